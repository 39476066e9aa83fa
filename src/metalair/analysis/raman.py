"""Raman analysis: baseline, peak fits and assignment to discharge products and catalysts.

>>> from metalair.io.raman import read_raman
>>> from metalair.analysis.raman import analyse_raman
>>> result = analyse_raman(read_raman("cathode.txt"))   # doctest: +SKIP
>>> print(result.table())                               # doctest: +SKIP

The spectrum is cut to ``x_range``, an asymmetric-least-squares baseline
(:func:`metalair.analysis.peaks.als_baseline`, its stiffness scaled to the
spectrum's step so that it does not depend on the sampling) is subtracted, peaks are found
and fitted (pseudo-Voigt by default, intervals from the least-squares core),
and each fitted peak is assigned to the bands of :data:`RAMAN_BANDS` whose
position lies within the band's tolerance. A peak within the tolerance of
several bands is reported as ambiguous, with all candidates.

The band table
--------------
Each entry gives a position, a tolerance, the species and mode, whether the
value is well established (``confident``) or tentative, and the literature
it comes from. Tentative entries are kept so that a user sees the candidate,
marked; they should be checked against a measured reference before a claim
rests on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair.analysis._arguments import number
from metalair.analysis.peaks import (
    FittedPeak,
    baseline_corrected,
    find_peaks,
    fit_peaks,
    noise_level,
    peak_search_options,
)
from metalair.errors import ParameterError
from metalair.tables.spectra import RamanSpectrum

__all__ = ["RamanBand", "RAMAN_BANDS", "RamanAnalysis", "Assignment", "analyse_raman", "assign_peak"]


@dataclass(frozen=True)
class RamanBand:
    """One tabulated Raman band.

    Attributes
    ----------
    species : str
        Phase (formula).
    position_cm1 : float
        Band position [cm⁻¹].
    tolerance_cm1 : float
        Largest distance at which a measured peak is assigned to it.
    mode : str
        Vibrational mode.
    confident : bool
        False for tentative values (see ``note``).
    reference : str
        Literature source.
    note : str
        Remarks (why tentative).
    """

    species: str
    position_cm1: float
    tolerance_cm1: float
    mode: str
    confident: bool
    reference: str
    note: str = ""


_HARTMANN = ("Hartmann, P. et al. A rechargeable room-temperature sodium superoxide (NaO2) battery. "
             "Nat. Mater. 12, 228–232 (2013). doi:10.1038/nmat3486")
_EYSEL = "Eysel, H. H. & Thym, S. Raman spectra of peroxides. Z. Anorg. Allg. Chem. 411, 97–102 (1975)"
_BROOKER = ("Brooker, M. H. & Bates, J. B. Raman and infrared spectral studies of anhydrous Li2CO3 and Na2CO3. "
            "J. Chem. Phys. 54, 4788–4796 (1971)")
_FERRARI = ("Ferrari, A. C. & Robertson, J. Interpretation of Raman spectra of disordered and amorphous carbon. "
            "Phys. Rev. B 61, 14095–14107 (2000). doi:10.1103/PhysRevB.61.14095")
_MAR = ("Mar, S. Y., Chen, C. S., Huang, Y. S. & Tiong, K. K. Characterization of RuO2 thin films by Raman "
        "spectroscopy. Appl. Surf. Sci. 90, 497–504 (1995)")

#: The band table used for assignments (see the module notes).
RAMAN_BANDS: tuple[RamanBand, ...] = (
    RamanBand("NaO2", 1156.0, 15.0, "O–O stretch of superoxide O2−", True, _HARTMANN),
    RamanBand("Na2O2", 792.0, 15.0, "O–O stretch of peroxide O2(2−)", True, _EYSEL),
    RamanBand("Na2O2", 737.0, 12.0, "O–O stretch of peroxide O2(2−), second site", False, "",
              "tentative: Na2O2 has two peroxide sites, and Na–O2 studies assign a band near 736–738 cm-1 to "
              "Na2O2; its value was not checked against a reference here"),
    RamanBand("Na2CO3", 1080.0, 8.0, "CO3(2−) symmetric stretch ν1", True, _BROOKER),
    RamanBand("Na2CO3", 701.0, 10.0, "CO3(2−) in-plane bend ν4", True, _BROOKER, "weak"),
    RamanBand("Na2CO3·H2O", 1068.0, 8.0, "CO3(2−) symmetric stretch ν1", False, "",
              "tentative: hydrate ν1 a little below the anhydrous 1080 cm-1; no reference checked here"),
    RamanBand("NaOH", 3633.0, 20.0, "O–H stretch", False, "",
              "tentative: hydroxide O–H stretch region; no reference checked here"),
    RamanBand("RuO2", 528.0, 12.0, "Eg", True, _MAR),
    RamanBand("RuO2", 646.0, 12.0, "A1g", True, _MAR),
    RamanBand("RuO2", 716.0, 12.0, "B2g", True, _MAR, "weak"),
    RamanBand("carbon", 1350.0, 40.0, "D band (disorder)", True, _FERRARI),
    RamanBand("carbon", 1582.0, 30.0, "G band (sp2 stretch)", True, _FERRARI),
)


@dataclass(frozen=True)
class Assignment:
    """Candidate bands of one fitted peak.

    Attributes
    ----------
    peak_cm1 : float
        Fitted position.
    bands : tuple of RamanBand
        Candidates within tolerance, closest first.
    """

    peak_cm1: float
    bands: tuple[RamanBand, ...]

    @property
    def label(self) -> str:
        """Best candidate ("NaO2"), "ambiguous: A / B", or "unassigned"."""
        if not self.bands:
            return "unassigned"
        names = list(dict.fromkeys(b.species for b in self.bands))
        best = names[0] + ("" if self.bands[0].confident else " (tentative)")
        return best if len(names) == 1 else f"ambiguous: {' / '.join(names)}"


def assign_peak(position_cm1: float, bands: tuple[RamanBand, ...] = RAMAN_BANDS) -> Assignment:
    """Bands within tolerance of a peak position [cm⁻¹], closest first."""
    position_cm1 = number("assign_peak", "position_cm1", position_cm1, hint="a Raman shift in cm-1, e.g. 1156.0")
    cands = [b for b in bands if abs(position_cm1 - b.position_cm1) <= b.tolerance_cm1]
    cands.sort(key=lambda b: abs(position_cm1 - b.position_cm1))
    return Assignment(float(position_cm1), tuple(cands))


@dataclass(frozen=True, eq=False)
class RamanAnalysis:
    """Result of :func:`analyse_raman`.

    Attributes
    ----------
    spectrum : RamanSpectrum
        The input (cut to the range analysed).
    baseline, corrected : ndarray
        ALS baseline and the spectrum minus it.
    peaks : list of FittedPeak
        Fitted peaks, ascending.
    assignments : list of Assignment
        One per peak.
    notes : tuple of str
        Warnings.
    """

    spectrum: RamanSpectrum
    baseline: np.ndarray
    corrected: np.ndarray
    peaks: list[FittedPeak]
    assignments: list[Assignment]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def species(self) -> list[str]:
        """Species with at least one unambiguously assigned peak (confident bands only)."""
        out = []
        for a in self.assignments:
            if a.bands and a.label == a.bands[0].species:
                out.append(a.bands[0].species)
        return list(dict.fromkeys(out))

    def rows(self) -> list[dict[str, Any]]:
        """One dict per peak (for tables)."""
        out = []
        for p, a in zip(self.peaks, self.assignments):
            out.append({
                "center_cm1": p.center, "center_low": p.center_ci95[0], "center_high": p.center_ci95[1],
                "height": p.height, "fwhm_cm1": p.fwhm, "area": p.area, "eta": p.eta, "assignment": a.label,
                "band_cm1": a.bands[0].position_cm1 if a.bands else float("nan"),
                "mode": a.bands[0].mode if a.bands else "",
            })
        return out

    def table(self) -> str:
        """Plain-text table."""
        lines = [f"{'peak / cm-1':>12} {'95 % interval':>21} {'FWHM':>7}  assignment"]
        for r in self.rows():
            lines.append(f"{r['center_cm1']:12.1f} [{r['center_low']:8.1f}, {r['center_high']:8.1f}] "
                         f"{r['fwhm_cm1']:7.1f}  {r['assignment']}{(' (' + r['mode'] + ')') if r['mode'] else ''}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


#: The grid step [cm⁻¹] for which ``analyse_raman``'s ``lam`` is given (it is scaled to the spectrum's step).
LAM_STEP_CM1 = 1.0

#: Peaks are searched for on the baseline-corrected spectrum smoothed with a Gaussian of this FWHM [cm⁻¹] (narrower
#: than any band of the reference table), against the noise the smoothing leaves: a band 3 times the per-point noise
#: high and 10 cm⁻¹ wide stands out of it (its integrated signal-to-noise is ~20), where 8 times the per-point noise
#: on the raw spectrum missed it. The fits use the unsmoothed spectrum.
DETECTION_SMOOTHING_CM1 = 4.0


def _detection_smoothing(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """``y`` smoothed for peak detection (:data:`DETECTION_SMOOTHING_CM1`), and the factor its noise is reduced by."""
    step = float(np.median(np.abs(np.diff(x)))) if x.size > 1 else 0.0
    sigma_pts = DETECTION_SMOOTHING_CM1 / (2.0 * math.sqrt(2.0 * math.log(2.0))) / step if step > 0 else 0.0
    if sigma_pts < 0.5:  # a coarse grid: the smoothing would span less than a point
        return y, 1.0
    half = int(math.ceil(4 * sigma_pts))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma_pts) ** 2)
    k /= k.sum()
    padded = np.pad(y, half, mode="edge")
    return np.convolve(padded, k, mode="valid"), float(np.sqrt(np.sum(k * k)))


def analyse_raman(spectrum: RamanSpectrum, *, x_range: tuple[float, float] | None = None, lam: float = 1e5,
                  p: float = 0.01, min_prominence: float = 8.0, min_relative: float = 0.005,
                  shape: str = "pseudo-voigt", max_peaks: int = 30) -> RamanAnalysis:
    """Baseline, find, fit and assign the peaks of a Raman spectrum.

    Parameters
    ----------
    spectrum : RamanSpectrum
        From :func:`metalair.io.raman.read_raman`.
    x_range : (float, float), optional
        Shift range to analyse [cm⁻¹], low below high.
    lam, p : float
        ALS baseline stiffness and asymmetry; ``lam`` is the stiffness for a 1 cm⁻¹ grid
        (:data:`LAM_STEP_CM1`), scaled by (1 cm⁻¹/Δx)⁴ to the spectrum's own step Δx, so that the
        baseline is the same whatever the sampling. The default suits product bands (FWHM ≲ 20 cm⁻¹);
        the baseline then takes part of broad bands (a carbon D band of FWHM 150 cm⁻¹ keeps about a third
        of its height), so give ``lam=1e8`` for D/G intensities or I_D/I_G.
    min_prominence : float
        Peak threshold in units of the noise (> 0).
    min_relative : float
        A peak must also rise this fraction of the tallest one above its surroundings. A spectrum
        without noise (simulated, or smoothed by the instrument) gives the noise threshold nothing to
        scale with, and the baseline leaves lobes of about 0.3 % of a strong band beside it.
    shape : str
        ``"pseudo-voigt"``, ``"lorentzian"`` or ``"gaussian"``.
    max_peaks : int
        Most prominent peaks kept (a whole number >= 1).

    Returns
    -------
    RamanAnalysis

    Raises
    ------
    ParameterError
        Bad range or settings.
    DataFormatError
        Fewer than 20 points in the range.

    References
    ----------
    Eilers, P. H. C. & Boelens, H. F. M. Baseline correction with asymmetric
    least squares smoothing (2005).
    """
    if not isinstance(spectrum, RamanSpectrum):
        raise ParameterError(f"spectrum must be a RamanSpectrum (metalair.io.raman), got {type(spectrum).__name__}")
    min_prominence, max_peaks = peak_search_options("analyse_raman", min_prominence, max_peaks)
    min_relative = number("analyse_raman", "min_relative", min_relative, 0.0, 1.0, hi_open=True,
                          hint="a fraction of the tallest peak, e.g. 0.005")
    x, y, corr = baseline_corrected(spectrum.shift_cm1, spectrum.intensity, x_range, spectrum.name, "x_range",
                                    lam=lam, p=p, owner="analyse_raman", unit="cm-1", lam_step=LAM_STEP_CM1)
    base = y - corr
    smooth, noise_factor = _detection_smoothing(x, corr)
    idx = find_peaks(x, smooth, prominence=max(min_prominence * noise_level(corr) * noise_factor,
                                               min_relative * float(np.max(corr))))
    notes: list[str] = []
    xr = (float(np.min(spectrum.shift_cm1)), float(np.max(spectrum.shift_cm1)))
    if not any(xr[0] - b.tolerance_cm1 <= b.position_cm1 <= xr[1] + b.tolerance_cm1 for b in RAMAN_BANDS):
        notes.append(f"the shift axis ({xr[0]:.4g}-{xr[1]:.4g}) holds none of the reference bands "
                     f"({min(b.position_cm1 for b in RAMAN_BANDS):g}-{max(b.position_cm1 for b in RAMAN_BANDS):g} "
                     "cm-1): is it a Raman shift in cm-1, not a wavelength in nm?")
    if idx.size > max_peaks:
        keep = np.argsort(corr[idx])[::-1][:max_peaks]
        idx = np.sort(idx[keep])
        notes.append(f"only the {max_peaks} highest peaks were fitted")
    peaks = fit_peaks(x, corr, [float(x[i]) for i in idx], shape=shape) if idx.size else []
    if not peaks:
        notes.append("no peak above the threshold")
    assignments = [assign_peak(pk.center) for pk in peaks]
    cut = RamanSpectrum(shift_cm1=x, intensity=y, name=spectrum.name, metadata=spectrum.metadata)
    return RamanAnalysis(spectrum=cut, baseline=base, corrected=corr, peaks=peaks, assignments=assignments,
                         notes=tuple(notes))
