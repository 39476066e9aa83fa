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
    """

    pattern: Diffractogram
    background: np.ndarray
    corrected: np.ndarray
    peaks: list[FittedPeak]
    d_A: np.ndarray
    notes: tuple[str, ...] = ()

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


def analyse_diffractogram(pattern: Diffractogram, *, two_theta_range: tuple[float, float] | None = None,
                          lam: float = 1e7, p: float = 0.005, min_prominence: float = 8.0,
                          max_peaks: int = 60) -> DiffractionAnalysis:
    """Background, peak finding and pseudo-Voigt fits of a powder pattern (module notes).

    Raises
    ------
    ParameterError
        Bad range or settings.
    DataFormatError
        Fewer than 20 points in the range.
    """
    _pattern("analyse_diffractogram", pattern)
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
    sigma = np.sqrt(np.maximum(y, 1e-3 * float(np.max(y))))
    peaks = fit_peaks(x, corr, [float(x[i]) for i in idx], sigma=sigma) if idx.size else []
    if not peaks:
        notes.append("no peak above the threshold")
    cut = Diffractogram(two_theta_deg=x, intensity=y, wavelength_m=pattern.wavelength_m, name=pattern.name,
                        metadata=pattern.metadata)
    d = d_spacing(np.array([pk.center for pk in peaks]), pattern.wavelength_m) if peaks else np.zeros(0)
    return DiffractionAnalysis(pattern=cut, background=bg, corrected=corr, peaks=peaks, d_A=np.asarray(d),
                               notes=tuple(notes))


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
    resolved from Kα1 above ~40° 2θ). Empty for any other wavelength.
    """
    if not math.isclose(analysis.pattern.wavelength_m, CU_KALPHA1_M, rel_tol=1e-4) or len(analysis.peaks) < 2:
        return {}
    centers = np.array([pk.center for pk in analysis.peaks])
    heights = np.array([pk.height for pk in analysis.peaks])
    out: dict[int, int] = {}
    for i in np.argsort(-heights):
        if int(i) in out:
            continue
        s = CU_KALPHA2_M / CU_KALPHA1_M * math.sin(math.radians(centers[i] / 2))
        if s >= 1:
            continue
        at = 2 * math.degrees(math.asin(s))
        near = np.abs(centers - at)
        near[i] = np.inf
        j = int(np.argmin(near))
        if near[j] <= KALPHA2_TOLERANCE_DEG and heights[j] <= KALPHA2_MAX_RATIO * heights[i] and j not in out:
            out[j] = int(i)
    return out


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
                           peak_counts: float = 1000.0, noise: bool = True, seed: int | None = 0) -> Diffractogram:
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
            y += pseudo_voigt(x, ln.two_theta_deg, sc * peak_counts * ln.intensity / 100.0, fwhm_deg, eta)
    if noise:
        y = np.random.default_rng(check_seed(seed)).poisson(np.clip(y, 0, None)).astype(float)
    return Diffractogram(two_theta_deg=x, intensity=y, wavelength_m=wavelength_m, name="+".join(scales),
                         metadata={"format": "simulated", "phases": scales})


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
    """

    two_theta_deg: float
    two_theta_ci95: tuple[float, float]
    d_A: float
    d_ci95: tuple[float, float]
    c_A: float
    stacking: str
    peak: FittedPeak = field(repr=False)


def interlayer_spacing(pattern: Diffractogram, two_theta_guess_deg: float, *, stacking: str = "O3",
                       window_deg: float = 1.5, lam: float = 1e7, p: float = 0.005) -> LayerSpacing:
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
    (pk,) = fit_peaks(xs, ys, [float(xs[k])])
    lamb = pattern.wavelength_m
    d = float(d_spacing(pk.center, lamb))
    lo, hi = pk.center_ci95
    d_lo, d_hi = float(d_spacing(hi, lamb)), float(d_spacing(lo, lamb))
    n = BASAL_ORDER[stacking]
    return LayerSpacing(two_theta_deg=pk.center, two_theta_ci95=(float(lo), float(hi)), d_A=d,
                        d_ci95=(d_lo, d_hi), c_A=n * d, stacking=stacking, peak=pk)
