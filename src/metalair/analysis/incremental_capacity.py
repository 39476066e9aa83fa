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


def _validate(voltage: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(voltage, dtype=float).ravel()
    q = np.asarray(capacity, dtype=float).ravel()
    if v.shape != q.shape:
        raise ParameterError(f"voltage and capacity must have the same length, got {v.size} and {q.size}")
    if v.size < 5:
        raise ParameterError(f"dQ/dV needs at least 5 points of one half-cycle, got {v.size}")
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
        Cell voltage along the half-cycle, V.
    capacity : array
        Charge passed since the half-cycle began (any unit, e.g. Ah or mAh/g);
        a decreasing series (a charge written with the discharge-positive
        sign) is taken by magnitude.
    grid_step_V : float, optional
        Voltage grid spacing; default 1/400 of the voltage range rounded
        down to 1, 2 or 5 times a power of ten (at least 0.1 mV). The grid
        lies on whole multiples of the spacing, so the result does not move
        with the first sample's voltage.
    window_V : float, optional
        Savitzky–Golay window in volts; default 3 % of the voltage range (at
        least 7 grid steps). Use a wider window for noisier data.
    polyorder : int
        Polynomial order of the Savitzky–Golay filter (default 3).

    Returns
    -------
    DQDV
    """
    from scipy.signal import savgol_filter

    v, q = _validate(voltage, capacity)
    if q[-1] < q[0]:
        q = -q
    dq = np.diff(q)
    total = float(np.sum(dq))
    if not total > 0:
        raise ParameterError("the capacity does not grow along the half-cycle; pass one discharge or one charge")
    vmin, vmax = float(v.min()), float(v.max())
    span = vmax - vmin
    if span <= 0:
        raise ParameterError("the voltage does not change along the half-cycle; dQ/dV is undefined")
    step = grid_step_V if grid_step_V is not None else max(_round_spacing(span / 400.0), 1e-4)
    if not step > 0:
        raise ParameterError(f"grid_step_V must be positive, got {grid_step_V!r}")
    first = (np.floor(vmin / step) - 1.0) * step  # edges on whole multiples of the spacing
    n_bins = int(np.ceil((vmax - first) / step)) + 1
    edges = first + step * np.arange(n_bins + 1)
    lo = np.minimum(v[1:], v[:-1])
    hi = np.maximum(v[1:], v[:-1])
    raw = np.diff(_charge_below(edges, lo, hi, dq)) / step
    centres = 0.5 * (edges[1:] + edges[:-1])
    window = window_V if window_V is not None else 0.03 * span
    if not window > 0:
        raise ParameterError(f"window_V must be positive, got {window_V!r}")
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
        Drop plateaus holding less than this fraction of the capacity.
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

    if not 0 < prominence < 1:
        raise ParameterError(f"prominence is a fraction of the highest peak, in (0, 1); got {prominence!r}")
    curve = dqdv(voltage, capacity, grid_step_V=grid_step_V, window_V=window_V, polyorder=polyorder)
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
