"""Powder diffraction: background, peak fits, phase identification and layer spacing.

>>> from metalair.io.diffraction import read_diffraction
>>> from metalair.analysis.diffraction import analyse_diffractogram, match_phases
>>> pattern = read_diffraction("discharged.xy")              # doctest: +SKIP
>>> result = analyse_diffractogram(pattern)                   # doctest: +SKIP
>>> for m in match_phases(result): print(m)                   # doctest: +SKIP

Method
------
Background
    Asymmetric-least-squares baseline (:func:`metalair.analysis.peaks.als_baseline`)
    with a stiff default (λ = 10⁷ for a 0.02° step, scaled as Δ2θ⁻⁴ to the
    pattern's own step), which follows the amorphous hump but not the Bragg
    peaks, whatever the sampling.
Peaks
    Found on the background-subtracted pattern and fitted as pseudo-Voigt
    profiles with a local straight background through the least-squares
    core (95 % intervals on position, height and width); each position is
    converted to d by Bragg's law with the pattern's wavelength.
Kα2
    A tube without a Kα1 monochromator adds the Kα2 line at about half the
    height (Kα1 comes from the 2p3/2 level, four electrons, Kα2 from 2p1/2,
    two). Below ~40° 2θ the two are not resolved, and a single line fitted
    to both sits between them (0.03-0.05° high for NaO2 with Cu Kα). Where
    the radiation is a Kα doublet each peak is fitted as one: the Kα2 line
    at the angle Bragg's law gives for the same d, sin θ₂ = (λ₂/λ₁) sin θ₁,
    with the same shape and width and ``ratio`` times the height, and no
    parameter of its own, so the fitted position is Kα1's with the interval
    of the counting noise. The raw counts are fitted (no Rachinger stripping,
    which subtracts a shifted, interpolated copy of the pattern and leaves
    correlated noise the intervals would ignore). Which radiation is
    assumed: :func:`kalpha2_setting`.
Phase scores
    The lines of each reference phase (:mod:`metalair.analysis.crystal`)
    inside the measured range with a relative intensity of at least
    ``min_line_intensity`` are compared with the fitted peaks: a line is
    matched when a peak lies within ``tolerance_deg`` of it. The score is the
    intensity-weighted fraction of the reference's lines that are matched
    (1: every expected line is there). Phases are accepted greedily, best
    score first, when the score is at least ``min_score``, the phase's
    strongest line is matched, and the phase explains at least one peak
    that no accepted phase explains; the peaks nobody explains are reported.
Layer spacing
    For a layered host the basal reflection (003) of an O3/P3 stacking
    ((002) for O2/P2, (001) for O1) gives the interlayer spacing
    d = λ/(2 sin θ) directly, and c = n·d with n = 3, 2, 1; its interval
    comes from the interval of the fitted position.

References
----------
.. [1] Bragg, W. H. & Bragg, W. L. The reflection of X-rays by crystals.
   Proc. R. Soc. Lond. A 88, 428–438 (1913). doi:10.1098/rspa.1913.0040
.. [2] Delmas, C., Fouassier, C. & Hagenmuller, P. Structural classification
   and properties of the layered oxides. Physica B+C 99, 81–85 (1980).
   doi:10.1016/0378-4363(80)90214-4 (O3/P2/O1 stacking notation).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair._validation import check_seed
from metalair.analysis._arguments import array_1d, instance, number
from metalair.analysis.crystal import REFERENCE_PHASES, CrystalStructure, Reflection, powder_pattern
from metalair.analysis.peaks import (
    FittedPeak,
    als_baseline,
    baseline_corrected,
    find_peaks,
    fit_peaks,
    peak_search_options,
    pseudo_voigt,
    stiffness_for_step,
)
from metalair.errors import DataFormatError, ParameterError
from metalair.tables.spectra import CU_KALPHA1_M, CU_KALPHA2_M, Diffractogram
from metalair.units import to_user

__all__ = [
    "DiffractionAnalysis",
    "PhaseMatch",
    "LayerSpacing",
    "analyse_diffractogram",
    "match_phases",
    "identify_phases",
    "kalpha2_satellites",
    "kalpha2_position",
    "kalpha2_setting",
    "kalpha2_evidence",
    "KALPHA2_RATIO",
    "simulate_diffractogram",
    "interlayer_spacing",
    "d_spacing",
    "BASAL_ORDER",
]

#: Basal reflection order n (reflection (00n)) and c = n·d for each stacking.
BASAL_ORDER = {"O3": 3, "P3": 3, "O2": 2, "P2": 2, "O1": 1}


#: Wavelengths [m] the analyses take, as :class:`~metalair.tables.spectra.Diffractogram` does (0.01-100 Å): a
#: wavelength outside is in another unit (1.54 is Cu Kα in Å, 0.154 in nm).
WAVELENGTH_RANGE_M = (1e-12, 1e-8)


def _wavelength(owner: str, value: Any) -> float:
    """A wavelength in m (or text with a length unit, ``"1.5406 Å"``), refused outside :data:`WAVELENGTH_RANGE_M`."""
    lo, hi = WAVELENGTH_RANGE_M
    hint = "a wavelength in m, e.g. 1.5406e-10 for Cu Kα1, or text with its unit such as '1.5406 Å'"
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and 0.01 <= float(value) <= 100.0:
        hint += f"; {float(value):g} looks like Å: in m that is {float(value):g}e-10"
    return number(owner, "wavelength_m", value, lo, hi, lo_open=True, hi_open=True, unit="m", hint=hint)


def _two_theta(owner: str, name: str, value: Any) -> np.ndarray:
    """Scattering angles 2θ [degrees] as an array, each finite and inside (0, 180)."""
    try:
        x = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{owner}.{name} must be 2θ in degrees (a number or an array of numbers), got "
                             f"{type(value).__name__} {value!r}") from None
    bad = np.flatnonzero(~(np.isfinite(x) & (x > 0.0) & (x < 180.0)).ravel())
    if bad.size:
        first = float(x.ravel()[bad[0]])
        raise ParameterError(f"{owner}.{name} = {first:g} lies outside (0, 180) degrees ({bad.size} of {x.size} "
                             "values): 2θ is a scattering angle in degrees, above 0 (no diffraction: d infinite) "
                             "and below 180")
    return x


def d_spacing(two_theta_deg: np.ndarray | float, wavelength_m: float | str) -> np.ndarray:
    """Bragg's law d = λ/(2 sin θ) [Å] for 2θ in degrees (inside (0, 180)) and λ in m (or ``"1.5406 Å"``).

    Raises
    ------
    ParameterError
        An angle outside (0, 180) degrees, or a wavelength outside :data:`WAVELENGTH_RANGE_M` (in another unit).
    """
    lam = _wavelength("d_spacing", wavelength_m)
    theta = np.radians(_two_theta("d_spacing", "two_theta_deg", two_theta_deg) / 2.0)
    return to_user(lam, "Å", "length") / (2.0 * np.sin(theta))


def _pattern(owner: str, pattern: Any) -> Diffractogram:
    return instance(owner, "pattern", pattern, Diffractogram,
                    "metalair.io.diffraction.read_diffraction, or simulate_diffractogram")


@dataclass(frozen=True, eq=False)
class DiffractionAnalysis:
    """Result of :func:`analyse_diffractogram`.

    Attributes
    ----------
    pattern : Diffractogram
        The input (cut to the range analysed).
    background, corrected : ndarray
        Background and pattern minus background.
    peaks : list of FittedPeak
        Fitted peaks (2θ in degrees), ascending.
    d_A : ndarray
        d spacing of each peak [Å].
    notes : tuple of str
        Warnings.
    kalpha2_m, kalpha2_ratio : float or None, float
        The Kα2 wavelength [m] and height ratio each peak was fitted with as a doublet (the peaks' position,
        height, width and area are then Kα1's), or None and 0 for single lines (:func:`kalpha2_setting`).
    """

    pattern: Diffractogram
    background: np.ndarray
    corrected: np.ndarray
    peaks: list[FittedPeak]
    d_A: np.ndarray
    notes: tuple[str, ...] = ()
    kalpha2_m: float | None = None
    kalpha2_ratio: float = 0.0

    def rows(self) -> list[dict[str, Any]]:
        """One dict per peak."""
        out = []
        for pk, d in zip(self.peaks, self.d_A):
            out.append({"two_theta_deg": pk.center, "two_theta_low": pk.center_ci95[0],
                        "two_theta_high": pk.center_ci95[1], "d_A": float(d), "height": pk.height,
                        "fwhm_deg": pk.fwhm, "area": pk.area, "eta": pk.eta})
        return out



#: Widest line-matching tolerance [degrees 2θ] :func:`match_phases` accepts.
MAX_TOLERANCE_DEG = 2.0
#: A pattern whose highest angle stops at a d-spacing above this [Å] misses most lines of the reference
#: phases (below it) and gets a note: its axis is probably d or q rather than 2θ.
MIN_D_REACHED_A = 4.0


def _structures(phases: Any, what: str) -> dict[str, CrystalStructure]:
    """Reference structures by name, checked: a mapping name -> CrystalStructure (None: the built-in ones)."""
    if phases is None:
        return dict(REFERENCE_PHASES)
    if not isinstance(phases, Mapping):
        raise ParameterError(f"{what} must map phase names to CrystalStructure objects (e.g. "
                             f"{{'NaO2': REFERENCE_PHASES['NaO2']}}), got {type(phases).__name__} {phases!r}; to "
                             "score only some built-in phases: {n: REFERENCE_PHASES[n] for n in ['NaO2']}")
    for name, st in phases.items():
        if not isinstance(st, CrystalStructure):
            close = difflib.get_close_matches(str(name), list(REFERENCE_PHASES), n=1)
            raise ParameterError(f"{what}[{name!r}] must be a CrystalStructure, got {type(st).__name__}"
                                 + (f"; the built-in {close[0]!r} is REFERENCE_PHASES[{close[0]!r}]" if close else ""))
    return dict(phases)

#: The 2θ step [°] for which the ``lam`` of ``analyse_diffractogram`` and ``interlayer_spacing`` is given (it is
#: scaled by (0.02°/Δ2θ)⁴ to the pattern's own step, so that the background does not depend on the sampling).
LAM_STEP_DEG = 0.02


#: Kα2/Kα1 height ratio of a Kα doublet when the file does not give one: 0.5, the ratio of the 2p1/2 to the 2p3/2
#: electrons (2 to 4) that the two lines come from.
KALPHA2_RATIO = 0.5
#: ``metadata["format"]`` of the patterns a reader made from a file (:mod:`metalair.io.diffraction`): for these
#: :func:`kalpha2_setting` assumes a Cu tube's Kα doublet when the wavelength is Cu Kα1 and the file says no more.
FILE_FORMATS = ("xy", "xrdml")


def kalpha2_position(two_theta_deg: float, wavelength_m: float, kalpha2_m: float) -> float:
    """2θ [degrees] of the Kα2 line of the reflection whose Kα1 line (λ = ``wavelength_m``) lies at ``two_theta_deg``.

    The same d in Bragg's law: sin θ₂ = (λ₂/λ₁) sin θ₁. NaN when the Kα2 line lies beyond 180°.
    """
    s = kalpha2_m / wavelength_m * math.sin(math.radians(two_theta_deg / 2.0))
    return 2.0 * math.degrees(math.asin(s)) if abs(s) < 1.0 else math.nan


def _is_cu_kalpha1(wavelength_m: float) -> bool:
    return math.isclose(wavelength_m, CU_KALPHA1_M, rel_tol=1e-4)


#: The peaks :func:`kalpha2_evidence` tests: those whose Cu Kα2 line would lie at least this many of their widths
#: (FWHM) above them, where a doublet is skewed and one line is not (below, the two shapes hardly differ), ...
KALPHA2_TEST_WIDTHS = 0.5
#: ... the strongest this many of them ...
KALPHA2_TEST_PEAKS = 8
#: ... and the χ² (in units of the counting noise) by which one shape must fit them better, summed over the tested
#: peaks, for the pattern to decide: the doublet and the single line have the same free parameters, so this is
#: 2 ln of the likelihood ratio, and 25 is odds above 10⁵ to 1. Short of it the pattern cannot tell.
KALPHA2_DECISIVE_CHI2 = 25.0


def _counting_noise(y: np.ndarray) -> np.ndarray:
    """The weights of the peak fits: the counting noise √y of each point (background included).

    Floored at 0.1 % of the highest count, so that an empty stretch does not carry infinite weight.
    """
    return np.sqrt(np.maximum(y, 1e-3 * float(np.max(y))))


def kalpha2_evidence(pattern: Diffractogram) -> tuple[float, int]:
    """Whether a Cu Kα1-wavelength pattern shows Cu Kα2 lines: ``(Δχ², number of peaks tested)``.

    Each of the :data:`KALPHA2_TEST_PEAKS` strongest isolated peaks (found as :func:`analyse_diffractogram` finds
    them, background by the default ALS) whose Kα2 line would lie at least :data:`KALPHA2_TEST_WIDTHS` widths from it
    is fitted twice on the same points, from below the peak to beyond its Kα2 position, with the same counting
    weights: as one line, and as a Kα1/Kα2 doublet with :data:`KALPHA2_RATIO`. Δχ² is the sum over those peaks of
    χ²(one line) − χ²(doublet), in units of the better fit's residual variance (its reduced χ²; the counting noise
    for counts, and the same for a pattern rescaled or normalised): positive when the pattern has Kα2 lines at about
    half the height (a tube without a Kα1 monochromator), negative when it has none (a Kα1-monochromated or
    Kα2-stripped pattern); (0, 0) when no peak is strong and sharp enough to be tested.

    Raises
    ------
    ParameterError
        A pattern whose wavelength is not Cu Kα1 (whose Kα2 line is not known here).
    """
    from scipy.signal import peak_widths

    _pattern("kalpha2_evidence", pattern)
    x, y = pattern.two_theta_deg, pattern.intensity
    lam1 = pattern.wavelength_m
    if not _is_cu_kalpha1(lam1):
        raise ParameterError(f"kalpha2_evidence: the pattern's wavelength is {to_user(lam1, 'Å', 'length'):.5f} Å; "
                             f"the Kα2 line is known here for Cu Kα1 ({to_user(CU_KALPHA1_M, 'Å', 'length'):.5f} Å) "
                             "only")
    if x.size < 20 or not np.any(y > 0):
        return 0.0, 0
    corr = y - als_baseline(y, lam=stiffness_for_step(x, 1e7, LAM_STEP_DEG), p=0.005)
    step = float(np.median(np.diff(x)))
    idx = find_peaks(x, corr, min_prominence=8.0, min_distance=2 * step)
    if idx.size == 0:
        return 0.0, 0
    widths = peak_widths(corr, idx, rel_height=0.5)[0] * step
    centers, heights = x[idx], corr[idx]
    sats = _satellites(centers, heights, lam1, CU_KALPHA2_M, max(KALPHA2_TOLERANCE_DEG, 2 * step))
    sigma = _counting_noise(y)
    doublet = (lambda c: kalpha2_position(c, lam1, CU_KALPHA2_M), KALPHA2_RATIO)
    total, tested = 0.0, 0
    for i in (int(k) for k in np.argsort(-heights)):
        if tested >= KALPHA2_TEST_PEAKS:
            break
        c, w = float(centers[i]), float(widths[i])
        at = kalpha2_position(c, lam1, CU_KALPHA2_M)
        if i in sats or not math.isfinite(at) or at - c < KALPHA2_TEST_WIDTHS * w:
            continue
        lo, hi = c - 4.0 * w, at + 4.0 * w
        if lo < x[0] or hi > x[-1] or any(lo <= centers[k] <= hi for k in range(centers.size)
                                          if k != i and k not in sats):
            continue  # at an end of the pattern, or another peak in the way
        sel = (x >= lo) & (x <= hi)
        xs, ys, ss = x[sel], corr[sel], sigma[sel]
        try:  # a window wider than the points: both fits see exactly these points
            (one,) = fit_peaks(xs, ys, [c], sigma=ss, window=2.0 * (hi - lo))
            (two,) = fit_peaks(xs, ys, [c], sigma=ss, window=2.0 * (hi - lo), doublet=doublet)
        except (ParameterError, DataFormatError):
            continue
        # in units of the better fit's residual scatter (its reduced χ²), so that the evidence does not depend on
        # whether the intensities are counts: a pattern normalised to 1 was 'undecided' (Δχ² −0.71 for a Kα1-only
        # pattern that gave −758 as counts); for counts with Poisson noise the reduced χ² is about 1
        best = min(one.fit.chi2, two.fit.chi2)
        if not (best > 0 and one.fit.dof > 0):
            continue
        total += (one.fit.chi2 - two.fit.chi2) / (best / one.fit.dof)
        tested += 1
    return float(total), tested


def kalpha2_setting(pattern: Diffractogram, kalpha2: bool | None = None) -> tuple[float | None, float, str]:
    """The Kα2 line to fit with each peak: ``(wavelength [m] or None, height ratio, note saying which and why)``.

    ``kalpha2``: True fits a doublet, False single lines, None (default) decides from what the pattern says:

    * a Kα2 wavelength and ratio recorded by the reader (``metadata["kalpha2"]``, from an XRDML file's
      ``kAlpha2`` and ``ratioKAlpha2KAlpha1``, or from :func:`simulate_diffractogram`) are used as given
      (a ratio of 0: single lines);
    * a pattern read from a file (:data:`FILE_FORMATS`) at the Cu Kα1 wavelength, with nothing said about Kα2,
      is asked (:func:`kalpha2_evidence`): when its resolved peaks fit a Cu Kα1/Kα2 doublet better than one line
      by :data:`KALPHA2_DECISIVE_CHI2`, doublets (Cu Kα2 at :data:`KALPHA2_RATIO`); when one line fits them better
      by as much, single lines (a Kα1-monochromated or Kα2-stripped pattern); when it cannot tell (no peak strong
      and sharp enough), a Cu tube without a Kα1 monochromator is assumed (doublets). The note says which and why;
    * any other wavelength (Mo, Co without a recorded Kα2, a synchrotron's single line) and a pattern built in
      Python: single lines.

    Raises
    ------
    ParameterError
        ``kalpha2`` not True, False or None; True for a wavelength whose Kα2 line is not known (not Cu Kα1, and
        none recorded).
    """
    if kalpha2 is not None and not isinstance(kalpha2, bool):
        raise ParameterError(f"kalpha2 = {kalpha2!r} must be True (fit each peak as a Kα1/Kα2 doublet), False "
                             "(single lines) or None (decide from the pattern's source)")
    lam1 = pattern.wavelength_m
    lam_a = to_user(lam1, "Å", "length")
    single = (f"each peak fitted as a single line at λ = {lam_a:.5f} Å")
    if kalpha2 is False:
        return None, 0.0, f"{single}, Kα2 not modelled (as asked)"
    facts = pattern.metadata.get("kalpha2") if isinstance(pattern.metadata, dict) else None
    if isinstance(facts, dict) and isinstance(facts.get("ratio"), numbers.Real):
        ratio, lam2, source = float(facts["ratio"]), facts.get("wavelength_m"), str(facts.get("source", ""))
        if ratio > 0 and isinstance(lam2, numbers.Real):
            why = "as asked" if kalpha2 is True else "--no-kalpha2 (kalpha2=False) if the source was Kα1-monochromated"
            return float(lam2), ratio, (f"Kα2 (λ = {to_user(float(lam2), 'Å', 'length'):.5f} Å, {ratio:g} of the "
                                        f"height, from {source}) fitted with each peak, {why}: positions, d and "
                                        "heights are Kα1's")
        if kalpha2 is None:
            return None, 0.0, f"{single}: {source} gives no Kα2 line"
    if _is_cu_kalpha1(lam1):
        if kalpha2 is True or pattern.metadata.get("format") in FILE_FORMATS:
            if kalpha2 is True:
                why = "as asked"
            else:
                chi2, tested = kalpha2_evidence(pattern)
                by = f"(Δχ² = {abs(chi2):.0f} over {tested} resolved peak(s))"
                if chi2 <= -KALPHA2_DECISIVE_CHI2:
                    return None, 0.0, (f"{single}, Kα2 not modelled: the pattern's peaks fit one line better than a Cu "
                                       f"Kα1/Kα2 doublet {by}, as a Kα1-monochromated or Kα2-stripped pattern's do; "
                                       "--kalpha2 (kalpha2=True) to fit doublets")
                if chi2 >= KALPHA2_DECISIVE_CHI2:
                    why = (f"as the pattern shows: its peaks fit a doublet better than one line {by}, as a Cu tube's "
                           "without a Kα1 monochromator do; --no-kalpha2 (kalpha2=False) for single lines")
                else:
                    told = (f"its {tested} resolved peak(s) fit both shapes alike (Δχ² = {chi2:+.0f}, short of "
                            f"±{KALPHA2_DECISIVE_CHI2:g})" if tested else
                            "no peak is strong and sharp enough, with its Kα2 line resolved, to show which")
                    why = (f"assumed for a Cu tube without a Kα1 monochromator, as the pattern cannot tell ({told}); "
                           "--no-kalpha2 (kalpha2=False) for a Kα1-monochromated or Kα2-stripped source")
            return CU_KALPHA2_M, KALPHA2_RATIO, (
                f"Cu Kα2 (λ = {to_user(CU_KALPHA2_M, 'Å', 'length'):.5f} Å, {KALPHA2_RATIO:g} of the height) fitted "
                f"with each peak, {why}: positions, d and heights are Kα1's")
        return None, 0.0, (f"{single}, Kα2 not modelled: the pattern does not say its source (kalpha2=True for a "
                           "Cu tube without a Kα1 monochromator)")
    if kalpha2 is True:
        raise ParameterError(f"kalpha2=True: the Kα2 line is known here for Cu Kα1 (λ = "
                             f"{to_user(CU_KALPHA1_M, 'Å', 'length'):.5f} Å) only, and this pattern's wavelength is "
                             f"{lam_a:.5f} Å with no Kα2 recorded; fit single lines (kalpha2=False or None)")
    return None, 0.0, f"{single}: not Cu Kα1, so no Cu Kα2 is assumed"


def _satellites(centers: np.ndarray, heights: np.ndarray, wavelength_m: float, kalpha2_m: float,
                tolerance: float) -> dict[int, int]:
    """``{satellite: main}`` of the peaks that sit where the Kα2 line of a stronger peak falls.

    Within ``tolerance`` of it, and at most :data:`KALPHA2_MAX_RATIO` of its height; the strongest peaks first.
    """
    out: dict[int, int] = {}
    for i in np.argsort(-heights):
        if int(i) in out:
            continue
        at = kalpha2_position(float(centers[i]), wavelength_m, kalpha2_m)
        if math.isnan(at):
            continue
        near = np.abs(centers - at)
        near[i] = np.inf
        j = int(np.argmin(near))
        if near[j] <= tolerance and heights[j] <= KALPHA2_MAX_RATIO * heights[i] and j not in out:
            out[j] = int(i)
    return out


def analyse_diffractogram(pattern: Diffractogram, *, two_theta_range: tuple[float, float] | None = None,
                          lam: float = 1e7, p: float = 0.005, min_prominence: float = 8.0,
                          max_peaks: int = 60, kalpha2: bool | None = None) -> DiffractionAnalysis:
    """Background, peak finding and pseudo-Voigt fits of a powder pattern (module notes).

    ``kalpha2`` (default None: from the pattern's source, :func:`kalpha2_setting`) fits each peak as a Kα1/Kα2
    doublet; the peaks found where the Kα2 line of a stronger one falls are then part of its fit, not peaks of
    their own. A note says which was done.

    Raises
    ------
    ParameterError
        Bad range or settings.
    DataFormatError
        Fewer than 20 points in the range.
    """
    _pattern("analyse_diffractogram", pattern)
    lam2, ratio, k2_note = kalpha2_setting(pattern, kalpha2)
    min_prominence, max_peaks = peak_search_options("analyse_diffractogram", min_prominence, max_peaks)
    if not np.any(np.asarray(pattern.intensity) > 0):
        raise DataFormatError(f"{pattern.name}: every intensity is zero or negative; a diffractogram counts "
                              "photons (is the intensity column the right one, or its sign flipped?)")
    x, y, corr = baseline_corrected(pattern.two_theta_deg, pattern.intensity, two_theta_range, pattern.name,
                                    "two_theta_range", lam=lam, p=p, owner="analyse_diffractogram",
                                    unit="degrees 2θ", lam_step=LAM_STEP_DEG)
    bg = y - corr
    step = float(np.median(np.diff(x)))
    idx = find_peaks(x, corr, min_prominence=min_prominence, min_distance=2 * step)
    notes: list[str] = []
    top = float(np.max(pattern.two_theta_deg))
    d_min = float(d_spacing(np.array([top]), pattern.wavelength_m)[0]) if 0 < top < 180 else math.nan
    if top <= 2 * math.pi:
        notes.append(f"2θ runs only to {top:.4g}°: if the axis is in radians, "
                     "convert it to degrees (a powder pattern for phase identification spans tens of degrees)")
    elif d_min > MIN_D_REACHED_A:
        notes.append(f"2θ runs only to {top:.4g}°, that is down to d = {d_min:.3g} Å at this wavelength, where most "
                     f"of the phases' lines (d below {MIN_D_REACHED_A:g} Å) are not reached: is the axis 2θ in "
                     "degrees, or d in Å (or q in 1/Å), to be converted?")
    if idx.size > max_peaks:
        keep = np.argsort(corr[idx])[::-1][:max_peaks]
        idx = np.sort(idx[keep])
        notes.append(f"only the {max_peaks} highest peaks were fitted")
    # counting noise: the variance of each point is its count (background included), larger on a peak than beside it
    sigma = _counting_noise(y)
    doublet = None
    if lam2 is not None:
        lam1 = pattern.wavelength_m
        doublet = (lambda c: kalpha2_position(c, lam1, lam2), ratio)
        # a resolved Kα2 line is found as a peak of its own: it is part of its Kα1 line's doublet instead
        sat = _satellites(x[idx], corr[idx], lam1, lam2, max(KALPHA2_TOLERANCE_DEG, 2 * step))
        idx = np.array([k for n, k in enumerate(idx) if n not in sat], dtype=int)
    peaks = fit_peaks(x, corr, [float(x[i]) for i in idx], sigma=sigma, doublet=doublet) if idx.size else []
    if doublet is not None and len(peaks) > 1:  # one found off the grid's Kα2 position, seen once fitted
        sat = _satellites(np.array([pk.center for pk in peaks]), np.array([pk.height for pk in peaks]),
                          pattern.wavelength_m, float(lam2 or 0.0), max(KALPHA2_TOLERANCE_DEG, step))
        if sat:
            peaks = fit_peaks(x, corr, [pk.center for n, pk in enumerate(peaks) if n not in sat], sigma=sigma,
                              doublet=doublet)
    if k2_note:
        notes.append(k2_note)
    if not peaks:
        notes.append("no peak above the threshold")
    cut = Diffractogram(two_theta_deg=x, intensity=y, wavelength_m=pattern.wavelength_m, name=pattern.name,
                        metadata=pattern.metadata)
    d = d_spacing(np.array([pk.center for pk in peaks]), pattern.wavelength_m) if peaks else np.zeros(0)
    return DiffractionAnalysis(pattern=cut, background=bg, corrected=corr, peaks=peaks, d_A=np.asarray(d),
                               notes=tuple(notes), kalpha2_m=lam2, kalpha2_ratio=ratio)


@dataclass(frozen=True, eq=False)
class PhaseMatch:
    """Score of one reference phase against the fitted peaks.

    Attributes
    ----------
    phase : str
        Reference name.
    score : float
        Intensity-weighted fraction of the phase's lines matched (0–1).
    matched, missing : list of Reflection
        Lines with and without a peak within tolerance.
    peak_indices : list of int
        Indices of the fitted peaks the phase explains.
    strongest_matched : bool
        Whether the phase's strongest line in range is matched.
    accepted : bool
        Whether the phase was identified (module notes).
    """

    phase: str
    score: float
    matched: list[Reflection]
    missing: list[Reflection]
    peak_indices: list[int]
    strongest_matched: bool
    accepted: bool = False

    def __str__(self) -> str:
        flag = "identified" if self.accepted else "not identified"
        return (f"{self.phase:<12} score {self.score:.2f} ({len(self.matched)} of "
                f"{len(self.matched) + len(self.missing)} lines matched) - {flag}")


def _lines(structure: CrystalStructure, wavelength_m: float, lo: float, hi: float,
           min_line_intensity: float) -> list[Reflection]:
    return [r for r in powder_pattern(structure, wavelength_m=wavelength_m, two_theta_range=(lo, hi),
                                      min_intensity=min_line_intensity)]


def match_phases(analysis: DiffractionAnalysis, phases: Mapping[str, CrystalStructure] | None = None, *,
                 tolerance_deg: float = 0.2, min_line_intensity: float = 5.0, min_score: float = 0.7,
                 ) -> list[PhaseMatch]:
    """Score reference phases against the fitted peaks and identify those present (module notes).

    Returns
    -------
    list of PhaseMatch
        All phases, best score first; ``accepted`` marks the identified ones.
    """
    if not isinstance(analysis, DiffractionAnalysis):
        raise ParameterError("analysis must come from analyse_diffractogram()")
    if not (isinstance(tolerance_deg, (int, float)) and math.isfinite(tolerance_deg)
            and 0 < tolerance_deg <= MAX_TOLERANCE_DEG):
        raise ParameterError(f"tolerance_deg = {tolerance_deg!r} must be an angle in (0, {MAX_TOLERANCE_DEG:g}] "
                             "degrees 2θ (e.g. 0.2): lines of different phases lie a degree or two apart, so a "
                             "wider tolerance matches every phase")
    if not (isinstance(min_score, (int, float)) and 0 < min_score <= 1):
        raise ParameterError(f"min_score = {min_score!r} must lie in (0, 1] (the share of lines matched)")
    if not (isinstance(min_line_intensity, (int, float)) and 0 <= min_line_intensity <= 100):
        raise ParameterError(f"min_line_intensity = {min_line_intensity!r} must lie in [0, 100] "
                             "(% of the strongest line)")
    refs = _structures(phases, "phases")
    centers = np.array([pk.center for pk in analysis.peaks])
    x = analysis.pattern.two_theta_deg
    lo, hi = float(x[0]), float(x[-1])
    out: list[PhaseMatch] = []
    for name, st in refs.items():
        lines = _lines(st, analysis.pattern.wavelength_m, lo, hi, min_line_intensity)
        if not lines:
            out.append(PhaseMatch(name, 0.0, [], [], [], False))
            continue
        matched, missing, used = [], [], set()
        for ln in lines:
            if centers.size and np.min(np.abs(centers - ln.two_theta_deg)) <= tolerance_deg:
                matched.append(ln)
                used.add(int(np.argmin(np.abs(centers - ln.two_theta_deg))))
            else:
                missing.append(ln)
        total = sum(ln.intensity for ln in lines)
        score = sum(ln.intensity for ln in matched) / total
        strongest = max(lines, key=lambda r: r.intensity)
        out.append(PhaseMatch(name, float(score), matched, missing, sorted(used), strongest in matched))
    out.sort(key=lambda m: -m.score)
    explained: set[int] = set()
    final = []
    for m in out:
        new = set(m.peak_indices) - explained
        ok = m.score >= min_score and m.strongest_matched and bool(new)
        if ok:
            explained |= set(m.peak_indices)
        final.append(PhaseMatch(m.phase, m.score, m.matched, m.missing, m.peak_indices, m.strongest_matched, ok))
    return final


#: Largest constant 2θ offset [°] :func:`offset_hint` tries (sample displacement or zero error).
MAX_OFFSET_DEG = 1.0
#: Fewest reference lines a phase must match at the trial offset for :func:`offset_hint` to name it: the offset is
#: itself chosen to match, so two lines at the right spacing among many peaks (a pattern read with the wrong
#: wavelength) match by chance.
MIN_OFFSET_LINES = 3


def offset_hint(analysis: DiffractionAnalysis, phases: Mapping[str, CrystalStructure] | None = None, *,
                tolerance_deg: float = 0.2, min_score: float = 0.7) -> str | None:
    """When no phase matches, whether one would with every line shifted by one constant angle.

    A displaced sample or a zero error of the goniometer shifts the whole pattern; beyond the
    matching tolerance no phase is identified. Offsets up to :data:`MAX_OFFSET_DEG` are tried in
    steps of a quarter of the tolerance; the note names the best phase and offset, or None when a phase
    matches as measured or none matches at any offset with at least :data:`MIN_OFFSET_LINES` of its lines.
    It does not correct the pattern.
    """
    if any(m.accepted for m in match_phases(analysis, phases, tolerance_deg=tolerance_deg, min_score=min_score)):
        return None
    if len(analysis.peaks) < 3:
        return None
    found: list[tuple[float, float, str]] = []  # (score, offset, phase) of every accepted match
    for offset in np.arange(-MAX_OFFSET_DEG, MAX_OFFSET_DEG + 1e-9, tolerance_deg / 4.0):
        if abs(offset) <= tolerance_deg:
            continue
        shifted = dataclasses.replace(analysis, peaks=[dataclasses.replace(pk, center=pk.center - offset)
                                                       for pk in analysis.peaks])
        found += [(m.score, float(offset), m.phase) for m in match_phases(shifted, phases, tolerance_deg=tolerance_deg,
                                                                          min_score=min_score)
                  if m.accepted and len(m.matched) >= MIN_OFFSET_LINES]
    if not found:
        return None
    score, _, phase = max(found)
    # every offset within the tolerance of the true one matches as well: the middle of those is the estimate
    offset = float(np.mean([o for sc, o, ph in found if ph == phase and sc >= score - 1e-9]))
    return (f"no phase matches as measured, but {phase} would (score {score:.2f}) if the whole pattern were moved "
            f"back by {offset:+.2f}° 2θ (its lines lie {offset:+.2f}° from {phase}'s): check the zero offset or the "
            "sample height (a displaced sample shifts the whole pattern); the pattern is not corrected")


#: A peak counts as the Cu Kα2 satellite of another when it lies this close [degrees 2θ] to where that peak's
#: Kα2 line falls and is at most :data:`KALPHA2_MAX_RATIO` of its height (Kα2/Kα1 is about 0.5).
KALPHA2_TOLERANCE_DEG = 0.03
KALPHA2_MAX_RATIO = 0.75


def kalpha2_satellites(analysis: DiffractionAnalysis) -> dict[int, int]:
    """Peaks that are the Cu Kα2 line of a stronger peak: ``{satellite index: Kα1 peak index}``.

    Only for a pattern recorded with Cu Kα1 as its wavelength (a laboratory tube without a Kα2 filter
    adds the Kα2 line, λ = :data:`~metalair.tables.spectra.CU_KALPHA2_M`, at about half the height and
    resolved from Kα1 above ~40° 2θ). Empty for any other wavelength, and when the peaks were fitted as
    Kα1/Kα2 doublets (``analysis.kalpha2_m``: each Kα2 line is then in its peak's fit).
    """
    if (analysis.kalpha2_m is not None or not _is_cu_kalpha1(analysis.pattern.wavelength_m)
            or len(analysis.peaks) < 2):
        return {}
    return _satellites(np.array([pk.center for pk in analysis.peaks]), np.array([pk.height for pk in analysis.peaks]),
                       CU_KALPHA1_M, CU_KALPHA2_M, KALPHA2_TOLERANCE_DEG)


def identify_phases(analysis: DiffractionAnalysis, phases: Mapping[str, CrystalStructure] | None = None,
                    **kwargs: Any) -> tuple[list[str], list[int]]:
    """Names of the identified phases, and indices of the peaks none of them explains.

    A peak that is the Cu Kα2 line of an explained peak (:func:`kalpha2_satellites`) counts as explained.
    """
    matches = match_phases(analysis, phases, **kwargs)
    names = [m.phase for m in matches if m.accepted]
    explained = set().union(*(set(m.peak_indices) for m in matches if m.accepted)) if names else set()
    explained |= {j for j, i in kalpha2_satellites(analysis).items() if i in explained}
    return names, [i for i in range(len(analysis.peaks)) if i not in explained]


def simulate_diffractogram(phases: Mapping[str, float] | Sequence[str], *,
                           structures: Mapping[str, CrystalStructure] | None = None,
                           two_theta_deg: np.ndarray | None = None, wavelength_m: float = CU_KALPHA1_M,
                           fwhm_deg: float = 0.12, eta: float = 0.5, background: float = 50.0,
                           peak_counts: float = 1000.0, noise: bool = True, seed: int | None = 0,
                           kalpha2_ratio: float = 0.0) -> Diffractogram:
    """A synthetic powder pattern of reference phases (each scaled so its strongest line has ``scale×peak_counts``).

    Parameters
    ----------
    phases : mapping name -> scale, or list of names (scale 1)
        Phases of ``structures`` (default :data:`REFERENCE_PHASES`).
    two_theta_deg : ndarray, optional
        Grid (default 10–80° in 0.02° steps).
    wavelength_m, fwhm_deg, eta : float
        Wavelength, peak width and Lorentzian fraction.
    background, peak_counts : float
        Flat background and the height of a phase's strongest line [counts].
    noise : bool
        Add Poisson counting noise.
    seed : int, optional
        Noise seed.
    kalpha2_ratio : float
        Add each line's Cu Kα2 line (:func:`kalpha2_position`) at this fraction of its height, as a tube without a
        Kα1 monochromator does (e.g. 0.5; only at the Cu Kα1 wavelength). Recorded in ``metadata["kalpha2"]``,
        so that :func:`analyse_diffractogram` fits doublets when it is above 0 and single lines when it is 0.

    Returns
    -------
    Diffractogram
    """
    owner = "simulate_diffractogram"
    refs = _structures(structures, "structures")
    if isinstance(phases, str):  # 'NaO2' would be read as the phases 'N', 'a', 'O', '2'
        phases = [phases]
    scales = dict(phases) if isinstance(phases, Mapping) else {str(n): 1.0 for n in phases}
    for name, sc in scales.items():
        if isinstance(sc, bool) or not isinstance(sc, numbers.Real) or not (math.isfinite(sc) and sc >= 0):
            raise ParameterError(f"the scale of phase {name!r} must be a number >= 0, got {sc!r}")
    wavelength_m = _wavelength(owner, wavelength_m)
    fwhm_deg = number(owner, "fwhm_deg", fwhm_deg, 0.0, lo_open=True, unit="degrees 2θ")
    eta = number(owner, "eta", eta, 0.0, 1.0, hint="the Lorentzian fraction of the pseudo-Voigt")
    background = number(owner, "background", background, 0.0, unit="counts")
    peak_counts = number(owner, "peak_counts", peak_counts, 0.0, lo_open=True, unit="counts",
                         hint="the height of a phase's strongest line")
    kalpha2_ratio = number(owner, "kalpha2_ratio", kalpha2_ratio, 0.0, 1.0,
                           hint=f"the Kα2/Kα1 height ratio, e.g. {KALPHA2_RATIO:g}, or 0 for Kα1 only")
    if kalpha2_ratio > 0 and not _is_cu_kalpha1(wavelength_m):
        raise ParameterError(f"{owner}: kalpha2_ratio = {kalpha2_ratio:g} adds Cu Kα2 lines, which needs the Cu Kα1 "
                             f"wavelength ({CU_KALPHA1_M:.7e} m), not {wavelength_m:g} m")
    if two_theta_deg is None:
        x = np.arange(10.0, 80.0, 0.02)
    else:
        x = _two_theta(owner, "two_theta_deg", array_1d(owner, "two_theta_deg", two_theta_deg, "degrees"))
        if x.size < 2:
            raise ParameterError(f"{owner}.two_theta_deg holds {x.size} angle(s); a pattern needs a grid of at least "
                                 "two, e.g. np.arange(10, 80, 0.02)")
    y = np.full(x.size, background)
    for name, sc in scales.items():
        if name not in refs:
            raise ParameterError(f"unknown phase {name!r}; known: {', '.join(refs)}")
        for ln in powder_pattern(refs[name], wavelength_m=wavelength_m,
                                 two_theta_range=(float(x.min()), float(x.max()))):
            h = sc * peak_counts * ln.intensity / 100.0
            y += pseudo_voigt(x, ln.two_theta_deg, h, fwhm_deg, eta)
            at = kalpha2_position(ln.two_theta_deg, wavelength_m, CU_KALPHA2_M) if kalpha2_ratio > 0 else math.nan
            if not math.isnan(at):
                y += pseudo_voigt(x, at, kalpha2_ratio * h, fwhm_deg, eta)
    if noise:
        y = np.random.default_rng(check_seed(seed)).poisson(np.clip(y, 0, None)).astype(float)
    k2 = {"wavelength_m": CU_KALPHA2_M if kalpha2_ratio > 0 else None, "ratio": kalpha2_ratio,
          "source": "the simulation"}
    return Diffractogram(two_theta_deg=x, intensity=y, wavelength_m=wavelength_m, name="+".join(scales),
                         metadata={"format": "simulated", "phases": scales, "kalpha2": k2})


@dataclass(frozen=True, eq=False)
class LayerSpacing:
    """Interlayer spacing from a basal reflection.

    Attributes
    ----------
    two_theta_deg : float
        Fitted position.
    two_theta_ci95 : (float, float)
        Its 95 % interval.
    d_A : float
        Interlayer spacing [Å].
    d_ci95 : (float, float)
        95 % interval of d.
    c_A : float
        c lattice parameter (n·d) [Å].
    stacking : str
        Stacking type used for n.
    peak : FittedPeak
        The fit.
    kalpha2_m : float or None
        The Kα2 wavelength [m] the line was fitted with as a doublet (its position is Kα1's), or None.
    """

    two_theta_deg: float
    two_theta_ci95: tuple[float, float]
    d_A: float
    d_ci95: tuple[float, float]
    c_A: float
    stacking: str
    peak: FittedPeak = field(repr=False)
    kalpha2_m: float | None = None


def interlayer_spacing(pattern: Diffractogram, two_theta_guess_deg: float, *, stacking: str = "O3",
                       window_deg: float = 1.5, lam: float = 1e7, p: float = 0.005,
                       kalpha2: bool | None = None) -> LayerSpacing:
    """Fit the basal reflection near a guess and give the interlayer spacing with its interval.

    Parameters
    ----------
    pattern : Diffractogram
        The pattern.
    two_theta_guess_deg : float
        Approximate position of the basal line (e.g. ~16.5° for O3 NaLi1/3Ru2/3O2 with Cu Kα).
    stacking : {"O3", "P3", "O2", "P2", "O1"}
        Stacking, which sets c = n·d.
    window_deg : float
        Half width of the search window.
    kalpha2 : bool, optional
        Fit the line as a Kα1/Kα2 doublet (default None: from the pattern's source, :func:`kalpha2_setting`);
        the spacing is then Kα1's.

    Returns
    -------
    LayerSpacing

    Raises
    ------
    ParameterError
        Unknown stacking, guess outside the pattern.
    DataFormatError
        No peak in the window.

    References
    ----------
    Delmas, C., Fouassier, C. & Hagenmuller, P. Physica B+C 99, 81–85 (1980).
    doi:10.1016/0378-4363(80)90214-4
    """
    _pattern("interlayer_spacing", pattern)
    if stacking not in BASAL_ORDER:
        raise ParameterError(f"stacking = {stacking!r}; allowed: {', '.join(BASAL_ORDER)}")
    two_theta_guess_deg = number("interlayer_spacing", "two_theta_guess_deg", two_theta_guess_deg,
                                 unit="degrees 2θ")
    window_deg = number("interlayer_spacing", "window_deg", window_deg, 0.0, lo_open=True, unit="degrees 2θ")
    lam2, ratio, _note = kalpha2_setting(pattern, kalpha2)
    x, y = pattern.two_theta_deg, pattern.intensity
    if not x[0] < two_theta_guess_deg < x[-1]:
        raise ParameterError(f"two_theta_guess_deg = {two_theta_guess_deg} is outside the pattern ({x[0]}-{x[-1]})")
    try:
        stiffness = stiffness_for_step(x, lam, LAM_STEP_DEG)
    except ParameterError as exc:
        raise ParameterError(f"interlayer_spacing: {exc}") from None
    corr = y - als_baseline(y, lam=stiffness, p=p)
    sel = np.abs(x - two_theta_guess_deg) <= window_deg
    if np.count_nonzero(sel) < 10:
        raise DataFormatError("fewer than 10 points in the window around the guess")
    xs, ys = x[sel], corr[sel]
    idx = find_peaks(xs, ys, min_prominence=5.0)
    if idx.size == 0:
        raise DataFormatError(f"no basal peak within ±{window_deg}° of {two_theta_guess_deg}°")
    k = int(idx[np.argmax(ys[idx])])
    lamb = pattern.wavelength_m
    doublet = None if lam2 is None else (lambda c: kalpha2_position(c, lamb, lam2), ratio)
    (pk,) = fit_peaks(xs, ys, [float(xs[k])], doublet=doublet)
    d = float(d_spacing(pk.center, lamb))
    lo, hi = pk.center_ci95
    d_lo, d_hi = float(d_spacing(hi, lamb)), float(d_spacing(lo, lamb))
    n = BASAL_ORDER[stacking]
    return LayerSpacing(two_theta_deg=pk.center, two_theta_ci95=(float(lo), float(hi)), d_A=d,
                        d_ci95=(d_lo, d_hi), c_A=n * d, stacking=stacking, peak=pk,
                        kalpha2_m=lam2)
