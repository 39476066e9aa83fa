"""Incremental capacity (dQ/dV) of one half-cycle, and voltage plateaus from its peaks.

Method
------
A measured half-cycle is a sequence of (voltage, capacity) points in which
the voltage is noisy and not monotonic on a plateau, so Q(V) is not a
function that can be differentiated directly. Instead the charge passed
between consecutive points, ΔQ_i, is spread uniformly over the voltage
interval the cell crossed meanwhile, [min(V_i-1, V_i), max(V_i-1, V_i)], and
collected on a uniform voltage grid (an exact, vectorised histogram of charge
over voltage). This is the derivative dQ/dV of the capacity resampled on a
uniform voltage grid, and its integral over the grid equals the total
capacity, so the capacity share of each plateau is well defined. The result
is then smoothed with a Savitzky–Golay filter (polynomial order 3 by
default, window given in volts), which keeps peak positions and areas while
removing noise [1]_.

Plateaus are the peaks of the smoothed dQ/dV (``scipy.signal.find_peaks``
with a prominence threshold relative to the highest peak). The voltage grid
is split at the minima between neighbouring peaks; the capacity share of a
plateau is the charge in its part of the grid over the half-cycle's total.

References
----------
.. [1] A. Savitzky, M. J. E. Golay, "Smoothing and differentiation of data by
   simplified least squares procedures", Anal. Chem. 36 (1964) 1627-1639.
   https://doi.org/10.1021/ac60214a047
.. [2] M. Dubarry, V. Svoboda, R. Hwu, B. Y. Liaw, "Incremental capacity
   analysis and close-to-equilibrium OCV measurements to quantify capacity
   fade in commercial rechargeable lithium batteries", Electrochem.
   Solid-State Lett. 9 (2006) A454. https://doi.org/10.1149/1.2221767
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from metalair.analysis._arguments import array_1d, number, optional_number, whole_number
from metalair.errors import ParameterError

__all__ = ["DQDV", "Plateau", "dqdv", "find_plateaus"]


@dataclass(frozen=True)
class DQDV:
    """dQ/dV on a uniform voltage grid.

    ``raw`` is the unsmoothed histogram, ``smoothed`` the Savitzky–Golay
    result; both in capacity units per volt (the units of the capacity passed
    in, divided by V). ``total`` is the half-cycle's capacity; ``noise`` a
    robust estimate of the standard deviation of the noise left in
    ``smoothed``: the same curve is computed from the even-numbered and the
    odd-numbered points separately, and half the spread (1.4826 x median
    absolute deviation) of their difference is taken, which also catches
    noise that is correlated over neighbouring grid points.
    """

    voltage_V: np.ndarray
    smoothed: np.ndarray
    raw: np.ndarray
    grid_step_V: float
    window_V: float
    total: float
    noise: float = 0.0


@dataclass(frozen=True)
class Plateau:
    """A voltage plateau: the position of a dQ/dV peak and the charge it holds."""

    voltage_V: float
    capacity_share: float
    capacity: float
    lower_V: float
    upper_V: float
    prominence: float

    def __str__(self) -> str:
        return f"{self.voltage_V:.4f} V: {100 * self.capacity_share:.1f} % ({self.capacity:.6g})"


#: Highest Savitzky–Golay polynomial order accepted (2–4 is usual; higher orders follow the noise).
MAX_POLYORDER = 10
#: Capacity moving back (against its overall direction) by more than this fraction of the net capacity is refused:
#: one half-cycle passes charge one way only.
MAX_CAPACITY_BACK = 0.05
#: Voltage moving against its overall direction by more than this fraction of its range is refused: a half-cycle
#: runs one way (noise and relaxation between steps retrace a little), a discharge and a charge joined run both.
MAX_VOLTAGE_RETRACE = 0.5
#: ... and by more than this many volts: a flat, noisy plateau retraces a few mV over a span of a few mV, a
#: discharge and a charge joined retrace hundreds of mV.
MIN_RETRACE_V = 0.1
#: A retrace beyond :data:`MIN_RETRACE_V` along which more than this fraction of the charge passed is refused too,
#: however small a part of the range it covers: a discharge from 2.3 to 1.8 V joined with a charge to 4.2 V retraces
#: 21 % of the range while half the charge passes; a relaxation between the pulses of a GITT half-cycle or a
#: nucleation dip retraces across a few records.
MAX_RETRACE_CHARGE = 0.2
#: Fewest points of a half-cycle dQ/dV is taken of.
MIN_POINTS = 5


def _smoothing(owner: str, grid_step_V: object, window_V: object,
               polyorder: object) -> tuple[float | None, float | None, int]:
    """The checked grid step [V], window [V] and polynomial order of :func:`dqdv` (text with units allowed)."""
    step = optional_number(owner, "grid_step_V", grid_step_V, 0.0, lo_open=True, unit="V")
    window = optional_number(owner, "window_V", window_V, 0.0, lo_open=True, unit="V")
    order = whole_number(owner, "polyorder", polyorder, 0, MAX_POLYORDER,
                         hint="the Savitzky-Golay polynomial order; 2-4 is usual")
    return step, window, order


def _one_half_cycle(v: np.ndarray, q: np.ndarray, owner: str) -> None:
    """Refuse a record that is not one half-cycle: capacity running back, or voltage running both ways."""
    dq = np.diff(q)
    forward, back = float(np.sum(dq[dq > 0])), float(-np.sum(dq[dq < 0]))
    if back > MAX_CAPACITY_BACK * forward:
        raise ParameterError(
            f"{owner}: the capacity runs back by {back:.4g} against {forward:.4g} forward; one half-cycle passes "
            "charge one way (capacity from 0 up, or down by magnitude): pass one discharge or one charge "
            "(metalair.analysis.cycle_metrics.half_cycles), not a whole cycle")
    span = float(np.ptp(v))
    falls = np.maximum.accumulate(v) - v  # how far below the highest voltage so far
    rises = v - np.minimum.accumulate(v)  # how far above the lowest so far
    up = float(np.max(falls))  # largest fall on a rising curve
    down = float(np.max(rises))  # largest rise on a falling curve
    if span > 0 and min(up, down) > max(MAX_VOLTAGE_RETRACE * span, MIN_RETRACE_V):
        raise ParameterError(
            f"{owner}: the voltage runs both ways over most of its {float(np.min(v)):.4g}-{float(np.max(v)):.4g} V "
            f"range (it rises by {down:.3g} V and falls by {up:.3g} V against its trend) while the capacity goes "
            "on: a discharge and a charge joined? dQ/dV and plateaus need one half-cycle, along which the voltage "
            "runs one way (metalair.analysis.cycle_metrics.half_cycles splits a record)")
    # the charge that passed along the retrace: from the last record at the extreme to where the retrace first
    # reaches 90 % of its largest size (not its largest: after a nucleation dip the recovery's largest size sits
    # wherever noise on the flat plateau puts it, which made the share follow the noise)
    against = falls if up <= down else rises
    end = int(np.flatnonzero(against >= 0.9 * float(np.max(against)))[0])
    extreme = np.max(v[:end + 1]) if up <= down else np.min(v[:end + 1])
    start = int(np.flatnonzero(v[:end + 1] == extreme)[-1])
    retrace_charge = abs(float(q[end] - q[start]))
    if span > 0 and min(up, down) > MIN_RETRACE_V and retrace_charge > MAX_RETRACE_CHARGE * forward:
        raise ParameterError(
            f"{owner}: the voltage runs both ways (it {'falls' if up <= down else 'rises'} by {min(up, down):.3g} V "
            f"against its trend over records {start + 1}-{end + 1}, counted from 1, while "
            f"{100 * retrace_charge / forward:.0f} "
            f"% of the charge passes; at most {100 * MAX_RETRACE_CHARGE:g} % may): a discharge and a charge joined? "
            "dQ/dV and plateaus need one half-cycle, along which the voltage runs one way "
            "(metalair.analysis.cycle_metrics.half_cycles splits a record)")


def _validate(voltage: np.ndarray, capacity: np.ndarray, owner: str) -> tuple[np.ndarray, np.ndarray]:
    v = array_1d(owner, "voltage", voltage, "V")
    q = array_1d(owner, "capacity", capacity)
    if v.shape != q.shape:
        raise ParameterError(f"voltage and capacity must have the same length, got {v.size} and {q.size}")
    if v.size < MIN_POINTS:
        raise ParameterError(f"dQ/dV needs at least {MIN_POINTS} points of one half-cycle, got {v.size}")
    good = np.isfinite(v) & np.isfinite(q)
    if not good.all():
        raise ParameterError(f"{int((~good).sum())} voltage/capacity values are NaN or infinite; drop them first")
    return v, q


def _charge_below(edges: np.ndarray, lo: np.ndarray, hi: np.ndarray, dq: np.ndarray) -> np.ndarray:
    """Charge of all segments that lies below each edge (segments spread uniformly over [lo, hi])."""
    width = hi - lo
    flat = width <= 0
    out = np.zeros(edges.size)
    if flat.any():  # a segment at constant voltage: a point mass at that voltage
        order = np.argsort(lo[flat])
        cum = np.concatenate(([0.0], np.cumsum(dq[flat][order])))
        out += cum[np.searchsorted(lo[flat][order], edges, side="left")]
    ramp = ~flat
    if ramp.any():
        a, b, w, d = lo[ramp], hi[ramp], width[ramp], dq[ramp]
        # ramp(x) = (max(x - a, 0) - max(x - b, 0)) / w, summed with prefix sums over sorted a and b
        ia = np.argsort(a)
        ib = np.argsort(b)
        s1 = np.concatenate(([0.0], np.cumsum((d / w)[ia])))
        s2 = np.concatenate(([0.0], np.cumsum((d * a / w)[ia])))
        s3 = np.concatenate(([0.0], np.cumsum((d / w)[ib])))
        s4 = np.concatenate(([0.0], np.cumsum((d * b / w)[ib])))
        ka = np.searchsorted(a[ia], edges, side="left")
        kb = np.searchsorted(b[ib], edges, side="left")
        out += edges * s1[ka] - s2[ka] - (edges * s3[kb] - s4[kb])
    return out


def _round_spacing(x: float) -> float:
    """The largest of 1, 2 or 5 times a power of ten that is not above ``x`` (a grid no coarser than asked)."""
    if not x > 0:
        return x
    decade = 10.0 ** np.floor(np.log10(x))
    return float(max(m for m in (1.0, 2.0, 5.0) if m * decade <= x * (1.0 + 1e-12)) * decade)


def dqdv(
    voltage: np.ndarray,
    capacity: np.ndarray,
    *,
    grid_step_V: float | None = None,
    window_V: float | None = None,
    polyorder: int = 3,
) -> DQDV:
    """dQ/dV of one half-cycle (discharge or charge), smoothed.

    Parameters
    ----------
    voltage : array
        Cell voltage along the half-cycle, V (one-dimensional). It may be
        noisy, but runs one way overall: a discharge and a charge joined are
        refused (see :data:`MAX_VOLTAGE_RETRACE`).
    capacity : array
        Charge passed since the half-cycle began (any unit, e.g. Ah or mAh/g);
        a decreasing series (a charge written with the discharge-positive
        sign) is taken by magnitude. It must not run back (see
        :data:`MAX_CAPACITY_BACK`).
    grid_step_V : float, optional
        Voltage grid spacing; default 1/400 of the voltage range rounded
        down to 1, 2 or 5 times a power of ten (at least 0.1 mV). The grid
        lies on whole multiples of the spacing, so the result does not move
        with the first sample's voltage.
    window_V : float, optional
        Savitzky–Golay window in volts; default 3 % of the voltage range (at
        least 7 grid steps). Use a wider window for noisier data, and a
        narrower one for close features: the default suits metal–air
        plateaus about 1 V apart, but on a 2.2–4.5 V charge it is 69 mV wide
        and merges two plateaus 50 mV apart into one (a 15 mV window, with
        ``min_separation_V`` in :func:`find_plateaus`, resolves them).
    polyorder : int
        Polynomial order of the Savitzky–Golay filter (default 3; 0 to
        :data:`MAX_POLYORDER`).

    The voltages may also be given as text with a unit (``"5 mV"``).

    Returns
    -------
    DQDV
    """
    return _dqdv(voltage, capacity, *_smoothing("dqdv", grid_step_V, window_V, polyorder), owner="dqdv")


def _dqdv(voltage: np.ndarray, capacity: np.ndarray, grid_step_V: float | None, window_V: float | None,
          polyorder: int, owner: str) -> DQDV:
    """:func:`dqdv` with checked smoothing options; ``owner`` names the function called in a refusal."""
    from scipy.signal import savgol_filter

    v, q = _validate(voltage, capacity, owner)
    if q[-1] < q[0]:
        q = -q
    _one_half_cycle(v, q, owner)
    dq = np.diff(q)
    total = float(np.sum(dq))
    if not total > 0:
        raise ParameterError("the capacity does not grow along the half-cycle; pass one discharge or one charge")
    vmin, vmax = float(v.min()), float(v.max())
    span = vmax - vmin
    if span <= 0:
        raise ParameterError("the voltage does not change along the half-cycle; dQ/dV is undefined")
    step = grid_step_V if grid_step_V is not None else max(_round_spacing(span / 400.0), 1e-4)
    first = (np.floor(vmin / step) - 1.0) * step  # edges on whole multiples of the spacing
    n_bins = int(np.ceil((vmax - first) / step)) + 1
    edges = first + step * np.arange(n_bins + 1)
    lo = np.minimum(v[1:], v[:-1])
    hi = np.maximum(v[1:], v[:-1])
    raw = np.diff(_charge_below(edges, lo, hi, dq)) / step
    centres = 0.5 * (edges[1:] + edges[:-1])
    window = window_V if window_V is not None else 0.03 * span
    points = int(round(window / step))
    points = max(points, polyorder + 2, 7)
    if points % 2 == 0:
        points += 1
    if points >= raw.size:
        points = raw.size - 1 if raw.size % 2 == 0 else raw.size

    def smooth(y: np.ndarray) -> np.ndarray:
        if points <= polyorder:
            return y.copy()
        return savgol_filter(y, points, polyorder, mode="constant", cval=0.0)

    smoothed = smooth(raw)
    noise = 0.0
    if v.size >= 20:
        halves = []
        for part in (slice(0, None, 2), slice(1, None, 2)):
            vp, qp = v[part], q[part]
            lo_p, hi_p = np.minimum(vp[1:], vp[:-1]), np.maximum(vp[1:], vp[:-1])
            halves.append(smooth(np.diff(_charge_below(edges, lo_p, hi_p, np.diff(qp))) / step))
        diff = halves[0] - halves[1]
        noise = 0.5 * 1.4826 * float(np.median(np.abs(diff - np.median(diff))))
    return DQDV(centres, smoothed, raw, float(step), float(points * step), total, noise)


def find_plateaus(
    voltage: np.ndarray,
    capacity: np.ndarray,
    *,
    prominence: float = 0.1,
    min_share: float = 0.02,
    min_separation_V: float | None = None,
    noise_sigma: float = 5.0,
    min_height_ratio: float = 3.0,
    grid_step_V: float | None = None,
    window_V: float | None = None,
    polyorder: int = 3,
) -> list[Plateau]:
    """Voltage plateaus of one half-cycle from the peaks of its dQ/dV.

    Parameters
    ----------
    voltage, capacity : array
        One discharge or one charge (see :func:`dqdv`).
    prominence : float
        Minimum peak prominence as a fraction of the highest smoothed dQ/dV
        value (default 0.1). A peak must also stand out from the noise: its
        prominence must exceed ``noise_sigma`` times the estimated noise of
        the smoothed curve (:attr:`DQDV.noise`), and its height must be at
        least ``min_height_ratio`` times the median of the smoothed dQ/dV
        over the half-cycle's voltage range: a plateau is where much more
        charge flows per volt than on typical stretches, so a sloping curve
        with noisy wiggles has none.
    min_share : float
        Drop plateaus holding less than this fraction of the capacity, in [0, 1).
    min_separation_V : float, optional
        Minimum distance between two plateaus; default the smoothing window.
    grid_step_V, window_V, polyorder
        Passed to :func:`dqdv`.

    Returns
    -------
    list of Plateau
        In order of increasing voltage; ``capacity_share`` values sum to 1
        over all peaks before ``min_share`` filtering (the grid is split at the
        minima between neighbouring peaks).
    """
    from scipy.signal import find_peaks

    owner = "find_plateaus"
    prominence = number(owner, "prominence", prominence, 0.0, 1.0, lo_open=True, hi_open=True,
                        hint="a fraction of the highest peak, e.g. 0.1")
    min_share = number(owner, "min_share", min_share, 0.0, 1.0, hi_open=True,
                       hint="a fraction of the capacity: 0.02 for 2 %")
    min_separation_V = optional_number(owner, "min_separation_V", min_separation_V, 0.0, lo_open=True, unit="V")
    noise_sigma = number(owner, "noise_sigma", noise_sigma, 0.0, hint="a multiple of the noise, e.g. 5")
    min_height_ratio = number(owner, "min_height_ratio", min_height_ratio, 0.0,
                              hint="a multiple of the median dQ/dV, e.g. 3")
    curve = _dqdv(voltage, capacity, *_smoothing(owner, grid_step_V, window_V, polyorder), owner=owner)
    y = curve.smoothed
    top = float(np.max(y))
    if not top > 0:
        return []
    separation = min_separation_V if min_separation_V is not None else curve.window_V
    distance = max(1, int(round(separation / curve.grid_step_V)))
    padded = np.concatenate(([0.0], y, [0.0]))  # lets a plateau at the very end be a peak
    threshold = max(prominence * top, noise_sigma * curve.noise)
    inside = (curve.voltage_V >= np.min(voltage)) & (curve.voltage_V <= np.max(voltage))
    level = float(np.median(y[inside])) if inside.any() else 0.0
    peaks, props = find_peaks(padded, prominence=threshold, distance=distance, height=min_height_ratio * level)
    peaks = peaks - 1
    if peaks.size == 0:
        return []
    # split the grid at the minimum between neighbouring peaks
    bounds = [0]
    for left, right in zip(peaks[:-1], peaks[1:]):
        bounds.append(int(left + np.argmin(y[left : right + 1])))
    bounds.append(y.size)
    raw_charge = curve.raw * curve.grid_step_V
    out: list[Plateau] = []
    for k, p in enumerate(peaks):
        a, b = bounds[k], bounds[k + 1]
        charge = float(np.sum(raw_charge[a:b]))
        share = charge / curve.total
        if share < min_share:
            continue
        out.append(
            Plateau(
                voltage_V=float(_refine_peak(curve.voltage_V, y, int(p))),
                capacity_share=share,
                capacity=charge,
                lower_V=float(curve.voltage_V[a]),
                upper_V=float(curve.voltage_V[b - 1]),
                prominence=float(props["prominences"][k]),
            )
        )
    return out


def _refine_peak(x: np.ndarray, y: np.ndarray, i: int) -> float:
    """Peak position from a parabola through the top three grid points."""
    if i <= 0 or i >= y.size - 1:
        return float(x[i])
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    denom = y0 - 2 * y1 + y2
    if denom == 0:
        return float(x[i])
    shift = 0.5 * (y0 - y2) / denom
    return float(x[i] + np.clip(shift, -1, 1) * (x[1] - x[0]))
