"""Peaks of cyclic voltammograms, measured or simulated, with the same code.

For each cycle the record is split into sweeps at the potential's turning
points (found with a 5 % hysteresis, so noise on the measured potential makes
no turn). Anodic peaks are maxima of the current on positive-going sweeps,
cathodic peaks minima on negative-going sweeps, found with
:func:`scipy.signal.find_peaks` on the current smoothed over 5 mV, with a
prominence of at least ``prominence`` times the largest |current| of the
cycle and at least :data:`NOISE_PROMINENCE_SIGMAS` standard deviations of
the smoothed current's noise; a peak's current is the smoothed current at
its top, its potential is the top of the current smoothed over a fifth of
its width at half height, refined by a parabola. The current is
anodic-positive (``docs/conventions.md``), so an anodic peak must carry a
positive current and a cathodic peak a negative one: a dip in an anodic
current on a negative-going sweep (noise, or the tail of an oxidation) is not
a cathodic peak, and a bump in a cathodic current on a positive-going sweep
is not an anodic one.

For every peak:

* **baseline** – the current extrapolated from the foot of the wave, before
  its onset (Bard & Faulkner 2001, ch. 6; Nicholson 1966; Elgrishi et al.
  2018): fitted over the sweep from 4 to 6 rising half-widths (peak
  minus half-height potential: 57 mV for a reversible one-electron wave)
  before the peak, where the wave carries 0.1 % of its current (nearer
  where the sweep starts too close: 3.5 or 3 of them, where it carries 0.3
  and 0.9 %), and extrapolated under the peak. A foot nearer the peak lies on
  the wave itself (2 half-widths before a reversible peak it carries 8 % of
  it), and a line through it made the forward height 10-70 % low: there
  the height is measured from the bases (below). Where the foot follows another wave (a peak
  before it on the sweep, or current of the other direction over the foot:
  the forward wave decaying after the vertex) the baseline is that wave's
  decaying tail, a + b/√(t − t0) (the diffusion-limited decay, t0 fitted
  before the foot), else a straight line (charging current, a sloping
  background). On simulated reversible waves the forward height comes out
  within 0.5 % of Randles–Ševčík (also with 1 % noise, and on a capacitive and
  sloping background; 1.6 % and 4.4 % low where the record starts 4 and 3.5
  half-widths before the peak, its foot ending 3.5 and 3 of them before it,
  and the Nicholson ratio 3 and 5 % high), the reverse height within 0.5–3 % for a switching
  potential 300–200 mV past E1/2 (5–10 % low with 1 % noise), and the second
  of two waves 200 mV apart 11 % high (its foot lies under the first peak).
  The straight line between the prominence's bases (the old geometric
  baseline, which made reversible heights 14–56 % low) is used only where the
  sweep holds no foot 3 half-widths or more before the peak (a record started,
  or a switching potential, close to the wave), or the extrapolation leaves
  the peak less than half its prominence (a foot rising towards the peak, a
  peak on the shoulder of another: no background to extrapolate);
  ``CVPeak.baseline`` says which ("line", "tail", "bases"), and the table
  marks a height from the bases as the less accurate one;
* **charge** – ∫ (i − baseline) dt between the bases over the stretch where
  the current is above the baseline (C, or C/kg for a mass-normalised current;
  needs time): the reverse wave's charge counts from the forward wave's
  decaying tail, so it may exceed what the sweep passed in its direction;
* **FWHM** – width in potential at half the peak's prominence (its height above
  the higher of its two bases, closed by a valley towards a neighbour);
* **onset potential** – walking from the peak back along its sweep, the first
  potential at which the baseline-corrected current has fallen to
  ``onset_fraction`` (default 10 %) of the peak height.

When a cycle has as many anodic as cathodic peaks, they are paired into
couples in order of potential, and the cycle's peak separation is that of
the couple with the largest anodic peak; otherwise it is E(largest anodic
peak) − E(largest cathodic peak), which may mix couples. It is given only
when the cycle has both; for a reversible one-electron couple at 25 °C it is
57–59 mV, depending on the switching potential (Bard & Faulkner 2001, §6.2).

For a cycle with a single couple, ``CVAnalysis.peak_ratio`` gives the ratio
of the reverse to the forward peak current by Nicholson's empirical relation,
i_pr/i_pf = (i_pr)0/i_pf + 0.485 (i_sp)0/i_pf + 0.086, with (i_pr)0 the reverse
peak's faradaic current read from zero, (i_sp)0 the faradaic current at the
switching potential and i_pf the forward peak's height (Nicholson 1966), which
needs no baseline under the reverse peak. The double-layer charging current
is not faradaic, and it changes sign with the sweep: read from zero, a
charging current of 0.1 i_pf made a reversible couple's ratio 1.16 and a
couple that loses half its product 0.66 instead of 0.5. It is taken out at
the vertex, where the faradaic current is continuous and the charging current
jumps: the current on each side of the vertex (2 × ``DETECTION_SMOOTHING_V``
of potential, the vertex sample left out) is fitted with a quadratic in time
and extrapolated to the vertex; half the difference of the two limits is the
reverse sweep's charging current, taken off the reverse peak's current, and
their mean is (i_sp)0. (A current the same on both sweeps, such as a leak
through the cell, stays in both, as in Nicholson's reading from zero.) On
simulated reversible couples it gives 0.99–1.01 for switching potentials
70–270 mV past E1/2, with a charging current up to 0.2 i_pf and 1 % noise
within 0.02 of that; a ratio below 1 points to a following chemical step.
No ratio is given where the forward height is from the bases (no foot: it
is too uncertain to divide by) or either side of the vertex has fewer than
4 samples.

References
----------
Bard, A. J. & Faulkner, L. R. Electrochemical Methods, 2nd ed., ch. 6
(Wiley, 2001). ISBN 978-0-471-04372-0

Elgrishi, N. et al. A practical beginner's guide to cyclic voltammetry.
J. Chem. Educ. 95, 197–206 (2018). doi:10.1021/acs.jchemed.7b00361

Nicholson, R. S. Semiempirical procedure for measuring with stationary
electrode polarography rates of chemical reactions involving the product of
electron transfer. Anal. Chem. 38, 1406 (1966). doi:10.1021/ac60242a030
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair._validation import is_whole_number
from metalair.analysis._arguments import known_keywords
from metalair.analysis._arguments import solution as _solution
from metalair.errors import ParameterError
from metalair.tables.voltammetry import CHARGE_UNITS, Voltammogram

__all__ = ["CVPeak", "CVAnalysis", "find_cv_peaks", "analyze_cv", "scan_rate", "voltammogram_from_solution",
           "SOLUTION_KEYS"]

#: Keys of a simulation Solution this module reads (one place, in case they are renamed).
SOLUTION_KEYS = {"time": "Time [s]", "voltage": "Voltage [V]", "current": "Current [mA/g]", "cycle": "Cycle"}


@dataclass(frozen=True)
class CVPeak:
    """One CV peak, anodic positive.

    Current and height are in the voltammogram's ``current_unit``, the charge in the matching
    :data:`~metalair.tables.voltammetry.CHARGE_UNITS` unit.
    """

    cycle: int
    direction: str  # "anodic" or "cathodic"
    potential_V: float
    current: float  # raw current at the peak
    height: float  # baseline-corrected, signed like the current
    charge: float  # ∫(i − baseline) dt, signed; NaN without time
    fwhm_V: float
    onset_V: float
    sweep: int  # index of the sweep within the cycle, from 1
    #: how the height was measured: "line" or "tail" (extrapolated from the wave's foot), "bases" (no foot)
    baseline: str = "line"

    def as_dict(self) -> dict[str, Any]:
        """Plain dict."""
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False)
class CVAnalysis:
    """Peaks of every cycle and the peak separation per cycle."""

    voltammogram: Voltammogram
    peaks: list[CVPeak]
    separation_V: dict[int, float] = field(default_factory=dict)
    #: per cycle, (anodic, cathodic) peaks paired in order of potential, where the cycle has as many of each
    couples: dict[int, list[tuple[CVPeak, CVPeak]]] = field(default_factory=dict)
    #: per cycle with a single couple, |i_p,reverse / i_p,forward| by Nicholson's relation (module notes)
    peak_ratio: dict[int, float] = field(default_factory=dict)

    def table(self) -> str:
        """Plain-text table of the peaks."""
        u = self.voltammogram.current_unit
        q = CHARGE_UNITS[u]
        lines = [f"{'cycle':>5}  {'peak':>8}  {'E [V]':>8}  {'i [' + u + ']':>12}  {'height [' + u + ']':>16}  "
                 f"{'baseline':>8}  {'Q [' + q + ']':>12}  {'FWHM [V]':>9}  {'onset [V]':>9}"]
        for p in self.peaks:
            lines.append(f"{p.cycle:>5}  {p.direction:>8}  {p.potential_V:>8.4f}  {p.current:>12.5g}  "
                         f"{p.height:>16.5g}  {p.baseline + ('*' if p.baseline == 'bases' else ''):>8}  "
                         f"{p.charge:>12.5g}  {p.fwhm_V:>9.4f}  {p.onset_V:>9.4f}")
        if any(p.baseline == "bases" for p in self.peaks):
            lines.append("* height and charge from the straight line between the peak's bases: the sweep holds no "
                         "foot 3 rising half-widths or more before the wave (a record started, or a switching "
                         "potential, close to it), less accurate (15-45 % low on simulated reversible waves); "
                         "no Nicholson ratio from such a forward peak")
        if not self.peaks:
            lines.append("(no peak: none stands out by the prominence asked for, at least 3 samples wide (a "
                         "narrower maximum is a noise spike), away from the first and last 2 % of each sweep, where "
                         "a rising current meets the vertex)")
        for c, d in self.separation_V.items():
            pairs = self.couples.get(c, [])
            if len(pairs) > 1:
                lines.append(f"cycle {c}: {len(pairs)} couples (anodic and cathodic peaks paired in order of "
                             "potential): " + "; ".join(
                                 f"E1/2 {0.5 * (a.potential_V + k.potential_V):.4f} V, separation "
                                 f"{1000 * (a.potential_V - k.potential_V):.1f} mV" for a, k in pairs))
                continue
            n_an = sum(1 for p in self.peaks if p.cycle == c and p.direction == "anodic")
            n_ca = sum(1 for p in self.peaks if p.cycle == c and p.direction == "cathodic")
            ratio = self.peak_ratio.get(c)
            lines.append(f"cycle {c}: peak separation {1000 * d:.1f} mV" + (
                f", reverse/forward peak current {ratio:.3f} (Nicholson 1966)" if ratio is not None else "") + (
                f" (between the largest of {n_an} anodic and {n_ca} cathodic peaks, which may lie on different "
                "couples)" if not pairs and d >= 0 else "") + (
                " (negative: the largest anodic and cathodic peaks lie on different couples, the anodic one "
                "below the cathodic one; compare peaks of one couple in the table)" if d < 0 else ""))
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"peaks": [p.as_dict() for p in self.peaks],
                "separation_V": {str(k): v for k, v in self.separation_V.items()},
                "couples": {str(c): [{"anodic_V": a.potential_V, "cathodic_V": k.potential_V,
                                      "half_wave_V": 0.5 * (a.potential_V + k.potential_V),
                                      "separation_V": a.potential_V - k.potential_V,
                                      "reverse_to_forward_ratio": self.peak_ratio.get(c)} for a, k in pairs]
                            for c, pairs in self.couples.items()},
                "current_unit": self.voltammogram.current_unit,
                "file_name": self.voltammogram.metadata.get("file_name")}


def voltammogram_from_solution(solution: Any) -> Voltammogram:
    """A simulated CV (a :class:`~metalair.protocols.solution.Solution` of a Sweep protocol) as a voltammogram.

    The model's current is positive on discharge (oxygen reduction at the air
    electrode, cathodic); it is negated here so that anodic current is
    positive, in A/kg (= mA/g) of catalyst.
    """
    _solution("voltammogram_from_solution", solution, steps=False)
    missing = [k for k in SOLUTION_KEYS.values() if k not in solution]
    if missing:
        raise ParameterError(f"the solution lacks {', '.join(missing)}; is it a simulation result?")
    return Voltammogram(
        np.asarray(solution[SOLUTION_KEYS["voltage"]], dtype=float),
        -np.asarray(solution[SOLUTION_KEYS["current"]], dtype=float),  # mA/g = A/kg; cathodic discharge -> negative
        np.asarray(solution[SOLUTION_KEYS["time"]], dtype=float),
        None,  # cycles from the sweep direction (the protocol's Cycle counts protocol cycles, not CV cycles)
        "A/kg",
        {"source": "simulation", "notes": ["current negated: the model counts discharge (cathodic) as positive"]},
    )


def _sweeps(e: np.ndarray) -> list[np.ndarray]:
    """Index runs between the sweep's vertices (a vertex belongs to the sweep that reaches it).

    The vertices are the turning points of the potential with a hysteresis of 5 % of its span
    (:func:`metalair.analysis.classify.turning_points`): a measured potential with noise larger than its step
    per point reverses its sign from sample to sample, and cutting the record at every sign change split one
    sweep into hundreds and lost its peaks.
    """
    from metalair.analysis.classify import turning_points

    n = e.size
    edges = [0, *turning_points(e), n - 1]
    runs = []
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        idx = np.arange(a if k == 0 else a + 1, b + 1)
        if idx.size >= 3:
            runs.append(idx)
    return runs


def scan_rate(voltammogram: Voltammogram) -> float:
    """Scan rate [V/s]: the median over the record's sweeps of |potential covered| / time taken (NaN without time).

    Per sweep rather than per sample, so that noise on a measured potential (which reverses its sign from one
    sample to the next) does not count.
    """
    if not isinstance(voltammogram, Voltammogram):
        raise ParameterError(f"scan_rate needs a Voltammogram, got {type(voltammogram).__name__}")
    t = voltammogram.time_s
    if t is None:
        return math.nan
    e = voltammogram.potential_V
    rates = [abs(float(e[idx[-1]] - e[idx[0]])) / float(t[idx[-1]] - t[idx[0]])
             for idx in _sweeps(e) if t[idx[-1]] > t[idx[0]]]
    return float(np.median(rates)) if rates else math.nan


def _interp_index(x: np.ndarray, pos: float) -> float:
    k = int(math.floor(pos))
    if k >= x.size - 1:
        return float(x[-1])
    return float(x[k] + (pos - k) * (x[k + 1] - x[k]))


#: The peak potential is read from the current smoothed (Savitzky–Golay, 4th order) over this fraction of the
#: peak's width at half height, refined by a parabola through the smoothed top: the single highest sample
#: scattered ΔEp by ±4–6 mV at 0.5–1 % noise on a 0.1 mV-per-point sweep.
PEAK_SMOOTHING_FRACTION = 0.2


#: Peaks are found on the current smoothed over this potential window [V] (Savitzky–Golay, 2nd order), far
#: narrower than a voltammetric wave (90 mV wide for a one-electron surface couple, wider for diffusion): at 1 %
#: current noise on a 0.1 mV-per-point sweep the raw current gave dozens of three-sample "peaks".
DETECTION_SMOOTHING_V = 0.005


def _even_steps(e: np.ndarray) -> bool:
    """True when the sweep covers its potential evenly enough for a filter counted in samples.

    The sweep is cut into ten runs of equal numbers of samples, and the potential each run covers must agree
    within a factor 2 (runs long enough that noise on a measured potential does not count): a simulation's
    adaptive steps are dense in places and coarse in others, and a window of many dense samples would span
    hundreds of millivolts where they are coarse.
    """
    if e.size < 50:
        return False
    spans = np.array([float(np.ptp(chunk)) for chunk in np.array_split(e, 10)])
    return bool(spans.min() > 0 and spans.max() <= 2.0 * spans.min())


def _detection_window(e: np.ndarray, n: int) -> int | None:
    """Samples of the :data:`DETECTION_SMOOTHING_V` window on the sweep ``e`` (None: a coarse or uneven sweep)."""
    if not _even_steps(e):
        return None
    step = float(np.median(np.abs(np.diff(e))))
    w = int(round(DETECTION_SMOOTHING_V / step)) | 1 if step > 0 else 1
    return None if w < 5 or n <= w else w


def _smoothed(e: np.ndarray, i: np.ndarray) -> np.ndarray:
    """``i`` smoothed over :data:`DETECTION_SMOOTHING_V` of the sweep ``e`` (unchanged on a coarse or uneven sweep)."""
    from scipy.signal import savgol_filter

    w = _detection_window(e, i.size)
    return i if w is None else np.asarray(savgol_filter(i, w, 2), dtype=float)


#: A peak must stand out of the current's noise by this many standard deviations of the smoothed noise. White
#: noise smoothed over :data:`DETECTION_SMOOTHING_V` makes bumps whose prominence reaches 7-8 of them in a sweep of
#: a thousand samples (their largest in 2000 such sweeps: 8.2), and at 3 % noise on a reversible wave the fixed 5 %
#: prominence alone let through half a dozen "peaks" 2-6 mV wide.
NOISE_PROMINENCE_SIGMAS = 10.0


def _noise_prominence(e: np.ndarray, i: np.ndarray) -> float:
    """Smallest prominence that noise of the raw current ``i`` does not reach after smoothing (0 when unsmoothed).

    The noise is estimated from the second differences of the raw current (a robust, median-based standard
    deviation; a voltammetric wave curves far less from one sample to the next than noise does), scaled by the
    root sum of squares of the Savitzky-Golay weights that smooth it. On a coarse or uneven sweep (a
    simulation's adaptive steps) nothing is smoothed and the differences measure the wave, not noise: 0.
    """
    from scipy.signal import savgol_coeffs

    w = _detection_window(e, i.size)
    if w is None:
        return 0.0
    d2 = np.diff(i, 2)
    sigma = 1.4826 * float(np.median(np.abs(d2 - np.median(d2)))) / math.sqrt(6.0)
    return NOISE_PROMINENCE_SIGMAS * sigma * float(np.sqrt(np.sum(savgol_coeffs(w, 2) ** 2)))


def _top_of_peak(e: np.ndarray, signal: np.ndarray, k: int, width_points: float) -> float:
    """Potential of a peak's top along the sweep ``e`` (the highest sample ``k`` of ``signal``)."""
    from scipy.signal import savgol_filter

    w = int(round(PEAK_SMOOTHING_FRACTION * width_points)) | 1  # odd
    if w >= 7 and signal.size > w and _even_steps(e):
        smooth = savgol_filter(signal, w, 4)
        lo, hi = max(k - w, 1), min(k + w, signal.size - 2)
        k = lo + int(np.argmax(smooth[lo:hi + 1]))
    else:
        smooth = signal
        if not 0 < k < signal.size - 1:
            return float(e[k])
    y0, y1, y2 = smooth[k - 1], smooth[k], smooth[k + 1]
    denom = y0 - 2.0 * y1 + y2
    shift = 0.5 * (y0 - y2) / denom if denom < 0 else 0.0
    return _interp_index(e, k + float(np.clip(shift, -1.0, 1.0)))


#: A voltammetric peak spans at least this many samples at half height; narrower maxima are noise spikes.
MIN_PEAK_WIDTH_POINTS = 3.0


#: The foot of a wave, over which its baseline is fitted, ends this many rising half-widths (the distance along the
#: sweep from the half-height point before the peak to the peak) before the peak, where a reversible diffusion
#: wave carries 0.1 % of its peak current and a surface wave 0.5 %; where the sweep or the previous peak comes
#: closer, it ends at 3.5 or 3 of them, the nearest that leaves a foot. No nearer: 2.5 and 2 half-widths before
#: a reversible peak the wave carries 2.7 and 8 % of it, and a line through that foot made the forward height
#: 10-70 % low (a record started 120-180 mV before the peak); there the bases are used.
FOOT_END_WIDTHS = (4.0, 3.5, 3.0)
#: The foot spans at most this many rising half-widths, and needs at least half of one and 5 samples.
FOOT_SPAN_WIDTHS = 2.0


#: An extrapolated baseline is kept only where it leaves the peak at least this fraction of its prominence (its
#: rise above the higher of its two bases); a diffusion wave keeps 1.2-1.6 times it.
MIN_HEIGHT_OF_PROMINENCE = 0.5


def _foot_baseline(x: np.ndarray, signal: np.ndarray, p: int, lb: int,
                   previous: int | None) -> tuple[Any, str] | None:
    """The baseline under the peak at ``p`` of ``signal``, extrapolated from the wave's foot (module notes).

    ``x`` is the distance along the sweep (time, or potential covered), ``lb`` the index of the lowest point
    before the peak (its left base), ``previous`` the index of the sweep's peak before this one. Returns
    the baseline as a function of ``x`` and its kind ("line" or "tail"), or None where the sweep holds no foot.
    """
    # the rising half-width: from the peak back to half its rise above the left base
    level = 0.5 * (float(signal[p]) + float(signal[lb]))
    below = np.flatnonzero(signal[lb:p + 1] <= level)
    width = float(x[p]) - float(x[lb + int(below[-1])]) if below.size else 0.0
    if not width > 0:
        return None
    lowest = float(x[0]) if previous is None else float(x[previous]) + 0.5 * width
    for ends in FOOT_END_WIDTHS:
        end = float(x[p]) - ends * width
        start = max(lowest, end - FOOT_SPAN_WIDTHS * width)
        foot = (x >= start) & (x <= end)
        if end - start >= 0.5 * width and int(np.count_nonzero(foot)) >= 5:
            break
    else:
        return None
    xf, yf = x[foot], signal[foot]
    slope, offset = np.polyfit(xf, yf, 1)
    line_sse = float(np.sum((yf - (offset + slope * xf)) ** 2))
    # a decaying tail a + b / sqrt(x - x0) (the diffusion-limited decay of the previous wave, Cottrell-like),
    # its origin x0 searched before the foot, a and b fitted by least squares for each
    best: tuple[float, float, float, float] | None = None
    for lag in np.geomspace(0.02 * width, 1e3 * (float(x[p]) - start), 120):
        x0 = start - lag
        design = np.column_stack([np.ones_like(xf), 1.0 / np.sqrt(xf - x0)])
        coef, *_ = np.linalg.lstsq(design, yf, rcond=None)
        sse = float(np.sum((yf - design @ coef) ** 2))
        if best is None or sse < best[0]:
            best = (sse, float(coef[0]), float(coef[1]), x0)
    # another wave before this one: a peak before it on the sweep, or current of the other direction over the
    # foot (the previous sweep's wave, decaying after the vertex)
    follows = previous is not None or float(np.mean(yf)) < 0
    # there, the decaying tail (which becomes a line as its origin recedes): a significance test between the two
    # kept the line at 1 % noise, whose extrapolation over the 0.2 V to a reverse peak made it 5-11 % low
    if best is not None and follows and best[0] <= line_sse:
        _, a, b, x0 = best
        # before the foot the tail is held at its value at the foot's start (its origin may lie there)
        return (lambda z: a + b / np.sqrt(np.maximum(np.asarray(z, dtype=float), start) - x0)), "tail"
    return (lambda z: offset + slope * np.asarray(z, dtype=float)), "line"


def _cycles(voltammogram: Voltammogram, cycles: Any) -> list[int]:
    """The cycles asked for: all (None), one number, or a list of numbers, each one the voltammogram has."""
    present = voltammogram.cycles
    if cycles is None:
        return present
    items = [cycles] if isinstance(cycles, numbers.Integral) and not isinstance(cycles, bool) else cycles
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise ParameterError(f"find_cv_peaks.cycles = {cycles!r} must be a cycle number or a list of them; cycles "
                             f"present: {', '.join(map(str, present))}")
    chosen = []
    for c in items:
        if not is_whole_number(c):
            raise ParameterError(f"find_cv_peaks.cycles: {c!r} is not a cycle number (a whole number); cycles "
                                 f"present: {', '.join(map(str, present))}")
        if int(c) not in present:
            raise ParameterError(f"find_cv_peaks.cycles: no cycle {c}; cycles present: {', '.join(map(str, present))}")
        chosen.append(int(c))
    return chosen


def find_cv_peaks(
    voltammogram: Voltammogram,
    *,
    cycles: list[int] | None = None,
    prominence: float = 0.05,
    onset_fraction: float = 0.1,
) -> list[CVPeak]:
    """Anodic and cathodic peaks of each cycle (see the module notes).

    An anodic peak (positive-going sweep) needs a positive current at its top,
    a cathodic peak (negative-going sweep) a negative one; extrema of a current
    of the other sign are not reported.

    Parameters
    ----------
    voltammogram : Voltammogram
    cycles : int or list of int, optional
        Cycle(s) to analyse (default all); each must be one the voltammogram has.
    prominence : float
        Smallest prominence, as a fraction of the cycle's largest |current|.
    onset_fraction : float
        Fraction of the baseline-corrected peak height that defines the onset.
    """
    from scipy.signal import find_peaks, peak_widths

    if not isinstance(voltammogram, Voltammogram):
        raise ParameterError(
            f"voltammogram must be a Voltammogram, got {type(voltammogram).__name__}: read one with "
            "metalair.io.read_voltammogram, or build one with Voltammogram.from_arrays(potential_V, current, "
            "time_s=...)")
    for name, value in (("prominence", prominence), ("onset_fraction", onset_fraction)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
            raise ParameterError(f"{name} = {value!r} must lie in (0, 1)")
    chosen = _cycles(voltammogram, cycles)
    out: list[CVPeak] = []
    for c in chosen:
        v = voltammogram.select_cycle(c)
        e, i, t = v.potential_V, v.current, v.time_s
        scale = float(np.max(np.abs(i))) if i.size else 0.0
        if scale == 0:
            continue
        for s_no, idx in enumerate(_sweeps(e), start=1):
            es, is_ = e[idx], i[idx]
            up = es[-1] > es[0]
            raw = is_ if up else -is_
            signal = _smoothed(es, raw)
            # distance along the sweep: time where the record has it, else the potential covered
            x = t[idx] - t[idx][0] if t is not None else np.abs(es - es[0])
            found, props = find_peaks(signal, prominence=max(prominence * scale, _noise_prominence(es, raw)))
            if found.size == 0:
                continue
            half = peak_widths(signal, found, rel_height=0.5, prominence_data=(
                props["prominences"], props["left_bases"], props["right_bases"]))
            edge = max(3, es.size // 50)
            even = _even_steps(es)
            span = abs(float(es[-1] - es[0]))
            kept = []
            for k, p in enumerate(found):
                lb, rb = int(props["left_bases"][k]), int(props["right_bases"][k])
                if rb <= lb or signal[p] <= 0:  # no width, or current of the other direction: not a peak
                    continue
                # a maximum in the last (or first) 2 % of a sweep cannot be told from the current still rising
                # when the sweep turned: the vertex, not a peak (2 % of its samples, or of its potential where
                # the samples cover it unevenly)
                near_end = (es.size - 1 - p < edge or p < edge) if even else (
                    abs(float(es[-1] - es[p])) < 0.02 * span or abs(float(es[p] - es[0])) < 0.02 * span)
                if near_end:
                    continue
                if half[0][k] < MIN_PEAK_WIDTH_POINTS:  # one or two samples wide: a spike of noise, not a wave
                    continue
                kept.append(k)
            earlier: Any = None  # the baseline of the sweep's previous peak
            for n, k in enumerate(kept):
                p = int(found[k])
                lb, rb = int(props["left_bases"][k]), int(props["right_bases"][k])
                # a base never lies beyond the valley towards a neighbouring peak of the sweep: the prominence's
                # bases run on to the foot of the whole group, and the onset and charge of the second of two
                # overlapping waves were those of both
                if n > 0:
                    prev = int(found[kept[n - 1]])
                    lb = max(lb, prev + int(np.argmin(signal[prev:p + 1])))
                if n + 1 < len(kept):
                    nxt = int(found[kept[n + 1]])
                    rb = min(rb, p + int(np.argmin(signal[p:nxt + 1])))
                # baseline extrapolated from the foot of the wave (module notes); the straight line between the
                # bases only where the sweep holds no foot before the wave
                fitted = _foot_baseline(x, signal, p, lb,
                                        int(found[kept[n - 1]]) if n > 0 else None)
                base = None
                if fitted is not None:
                    model, kind = fitted
                    base = model(x[lb:rb + 1])
                    if n > 0 and earlier is not None:
                        # a wave's tail decays to that wave's own baseline, never below it: a line through the
                        # steep fall of a surface wave (no diffusion tail) ran far below and doubled the next height
                        base = np.maximum(base, earlier(x[lb:rb + 1]))
                    if float(signal[p] - base[p - lb]) < MIN_HEIGHT_OF_PROMINENCE * float(props["prominences"][k]):
                        # the foot rises towards the peak (a peak on the shoulder of another, as in a simulated
                        # cell's CV, where it left 3 % of an 11000 A/kg peak): no background to extrapolate
                        base = None
                    else:
                        earlier = model
                if base is None:
                    # the straight line between the bases
                    base = signal[lb] + (signal[rb] - signal[lb]) * (np.arange(lb, rb + 1) - lb) / (rb - lb)
                    base, kind = np.maximum(base, 0.0), "bases"
                corrected = signal[lb:rb + 1] - base
                height = float(corrected[p - lb])
                if height <= 0:
                    continue
                if t is not None:
                    ts = t[idx][lb:rb + 1]
                    above = np.maximum(corrected, 0.0)
                    q = float(np.sum(0.5 * (above[1:] + above[:-1]) * np.diff(ts)))
                else:
                    q = math.nan
                # the half-height crossings of the prominence's own bases, unless a valley closes them
                left_x = max(float(half[2][k]), float(lb))
                right_x = min(float(half[3][k]), float(rb))
                fwhm = abs(_interp_index(es, right_x) - _interp_index(es, left_x))
                onset_idx = lb
                for j in range(p - lb, -1, -1):
                    if corrected[j] <= onset_fraction * height:
                        onset_idx = lb + j
                        break
                sign = 1.0 if up else -1.0
                out.append(CVPeak(
                    cycle=int(c), direction="anodic" if up else "cathodic",
                    potential_V=_top_of_peak(es, signal, p, float(half[0][k])),
                    # the smoothed current at the top: the raw sample there adds its noise, and the highest of
                    # noisy samples is biased up (+9 % at 5 % noise)
                    current=sign * float(signal[p]), height=sign * height, charge=sign * q, fwhm_V=float(fwhm),
                    onset_V=float(es[onset_idx]), sweep=s_no, baseline=kind,
                ))
    return out


def _couples(anodic: list[CVPeak], cathodic: list[CVPeak]) -> list[tuple[CVPeak, CVPeak]]:
    """Anodic and cathodic peaks paired into couples, in order of potential, when their numbers are equal.

    Couples do not cross: the k-th anodic peak from the negative end belongs with the k-th cathodic one. With
    unequal numbers (a peak without a partner: a deposit's stripping, an irreversible step) which pair is a
    couple is not decided here: no couples.
    """
    if not anodic or len(anodic) != len(cathodic):
        return []
    return list(zip(sorted(anodic, key=lambda p: p.potential_V), sorted(cathodic, key=lambda p: p.potential_V)))


def analyze_cv(voltammogram: Voltammogram, **options: Any) -> CVAnalysis:
    """Peaks of every cycle, their couples and the peak separation per cycle.

    ``options`` are those of :func:`find_cv_peaks` (``cycles``, ``prominence``, ``onset_fraction``).

    When a cycle has as many anodic as cathodic peaks, they are paired into couples in order of potential
    (:attr:`CVAnalysis.couples`), and the cycle's peak separation is that of the couple with the largest anodic
    peak: of two couples 200 mV apart, pairing the largest anodic with the largest cathodic peak gave 251 mV
    where each couple's is 55 mV. Otherwise it is E(largest anodic) − E(largest cathodic).
    """
    known_keywords("analyze_cv", options, find_cv_peaks)
    peaks = find_cv_peaks(voltammogram, **options)
    sep: dict[int, float] = {}
    ratio: dict[int, float] = {}
    couples: dict[int, list[tuple[CVPeak, CVPeak]]] = {}
    for c in voltammogram.cycles:
        an = [p for p in peaks if p.cycle == c and p.direction == "anodic"]
        ca = [p for p in peaks if p.cycle == c and p.direction == "cathodic"]
        if an and ca:
            pairs = _couples(an, ca)
            if pairs:
                couples[c] = pairs
                a, k = max(pairs, key=lambda pair: abs(pair[0].height))
            else:
                a = max(an, key=lambda p: abs(p.height))
                k = max(ca, key=lambda p: abs(p.height))
            sep[c] = a.potential_V - k.potential_V
            if len(pairs) == 1:
                ratio[c] = _nicholson_ratio(voltammogram.select_cycle(c), *pairs[0])
    ratio = {c: r for c, r in ratio.items() if math.isfinite(r)}
    return CVAnalysis(voltammogram=voltammogram, peaks=peaks, separation_V=sep, couples=couples, peak_ratio=ratio)


def _nicholson_ratio(cycle: Voltammogram, anodic: CVPeak, cathodic: CVPeak) -> float:
    """|i_p,reverse / i_p,forward| of one couple by Nicholson's relation (module notes); NaN where it does not apply.

    The forward peak is the one on the earlier sweep, its height measured from its extrapolated baseline; the
    reverse peak's current is read from zero and the switching current is the current at the vertex between.
    """
    forward, reverse = (anodic, cathodic) if anodic.sweep < cathodic.sweep else (cathodic, anodic)
    runs = _sweeps(cycle.potential_V)
    if (reverse.sweep != forward.sweep + 1 or forward.sweep >= len(runs) or forward.height == 0
            or forward.baseline == "bases"):
        return math.nan
    limits = _vertex_limits(cycle, runs[forward.sweep - 1][:-1], runs[forward.sweep])
    if limits is None:
        return math.nan
    before, after = limits
    charging = 0.5 * (after - before)  # the reverse sweep's double-layer current (the forward one's is its negative)
    switching = 0.5 * (before + after)
    sign = 1.0 if forward.direction == "anodic" else -1.0
    return (-sign * (reverse.current - charging) + 0.485 * sign * switching) / abs(forward.height) + 0.086


#: Samples on each side of the vertex for :func:`_vertex_limits`, and the fewest that are fitted.
VERTEX_FIT_POINTS = 4


def _vertex_limits(cycle: Voltammogram, before: np.ndarray, after: np.ndarray) -> tuple[float, float] | None:
    """The current just before and just after the vertex, each extrapolated from its own side (module notes).

    ``before`` holds the indices of the sweep reaching the vertex (the vertex sample left out), ``after`` those of
    the sweep leaving it. Each side's current within 2 × :data:`DETECTION_SMOOTHING_V` of the vertex potential
    (at least its :data:`VERTEX_FIT_POINTS` nearest samples) is fitted with a quadratic in time (in potential
    without time) and read at the vertex. None where a side has fewer samples.
    """
    if before.size < VERTEX_FIT_POINTS or after.size < VERTEX_FIT_POINTS:
        return None
    e, i, t = cycle.potential_V, cycle.current, cycle.time_s
    vertex = int(before[-1]) + 1
    out = []
    for side in (before[::-1], after):  # nearest the vertex first
        near = np.abs(e[side] - e[vertex]) <= 2.0 * DETECTION_SMOOTHING_V
        take = side[near] if int(np.count_nonzero(near)) >= VERTEX_FIT_POINTS else side[:VERTEX_FIT_POINTS]
        x = (t[take] - t[vertex]) if t is not None else np.abs(e[take] - e[vertex])
        if np.ptp(x) == 0:
            return None
        out.append(float(np.polyval(np.polyfit(x, i[take], 2), 0.0)))
    return out[0], out[1]
