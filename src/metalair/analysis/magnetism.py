"""Magnetic susceptibility and Curie–Weiss analysis of DC magnetometry records.

>>> from metalair.io.magnetometry import read_quantum_design
>>> from metalair.analysis.magnetism import susceptibility, curie_weiss
>>> data = read_quantum_design("nlro_MT.dat")                           # doctest: +SKIP
>>> chi = susceptibility(data, mass_g=0.0123, molar_mass_g_mol=160.5)   # doctest: +SKIP
>>> cw = curie_weiss(chi); print(cw.table())                            # doctest: +SKIP

Conventions (stated once)
-------------------------
Molar susceptibility
    χ = M/(n H) with M the measured moment, H the applied field strength and
    n = mass / molar mass the amount of formula units; reported per mole of
    formula units in CGS, cm³ mol⁻¹ (= emu mol⁻¹ Oe⁻¹), the unit of the
    literature, and in SI, m³ mol⁻¹ (χ_SI = 4π·10⁻⁶ χ_CGS). χ = M/H assumes M
    linear in H, i.e. an M(T) record at one modest field; a record whose field
    changes (an M(H) loop) gets a warning.
Diamagnetic correction
    The core diamagnetism χ_dia (negative, cm³ mol⁻¹, e.g. summed Pascal
    constants from Bain & Berry 2008) is subtracted: χ_para = χ − χ_dia.
    :func:`estimate_diamagnetic` gives their rough rule χ_dia ≈ −(M/2)·10⁻⁶
    cm³ mol⁻¹ (M in g mol⁻¹) when no better value is at hand.
Curie–Weiss
    χ_para(T) = C/(T − θ) + χ0, fitted by least squares (through
    :func:`metalair.analysis.least_squares.fit_least_squares`) with relative
    weights: each point's σ is the moment's standard error from the file
    scaled to χ when the file has one, else a constant fraction of the
    fitted χ (a first fit weighted by the measured χ gives the curve, a
    second one uses it); the covariance is rescaled by the reduced χ². 95 % intervals are Student-t.
Effective moment
    From C (CGS, cm³ K mol⁻¹): C = N_A µ_B² µ_eff² / (3 k_B) = 0.12505 µ_eff²,
    so µ_eff = √(C/0.12505) µ_B ≈ √(8C) µ_B (the rounded form differs by
    0.02 %); the SI equivalent is C_SI = µ0 N_A µ_B² µ_eff² / (3 k_B) with
    C_SI = 4π·10⁻⁶ C_CGS m³ K mol⁻¹, giving the same µ_eff. The constants are
    CODATA values from :mod:`scipy.constants`. µ_eff is per formula unit,
    or per magnetic ion when ``ions_per_formula`` is given (C/n).
Automatic temperature range
    Curie–Weiss holds above the temperatures where exchange, crystal-field
    or ordering effects bend 1/(χ − χ0). Windows [T_low, T_max] are tried from
    the highest-temperature ``min_points`` points downwards; each is fitted
    with C/(T − θ) + χ0 and with a curvature term D/(T − θ)³ added, and the
    extra term is tested with an F test at 5 %. (D/(T − θ)², the term next to
    Curie–Weiss in a high-temperature expansion, cannot serve: at D = 0 its
    derivative is that of θ divided by C, so a fit started there has a
    singular Jacobian and stops where it began, and to second order it is only
    a shift of θ; a deviation from the Curie–Weiss form shows first at
    (T − θ)⁻³.) The widest window reached before the first significant curvature
    is used, so the range is the one over which 1/(χ − χ0) is linear in T
    within the noise.

References
----------
.. [1] Bain, G. A. & Berry, J. F. Diamagnetic corrections and Pascal's
   constants. J. Chem. Educ. 85, 532–536 (2008). doi:10.1021/ed085p532
.. [2] Kittel, C. Introduction to Solid State Physics, 8th ed., ch. 11 and 14
   (Wiley, 2005) (Curie and Curie–Weiss laws).
.. [3] Mugiraneza, S. & Hallas, A. M. Tutorial: a beginner's guide to
   interpreting magnetic susceptibility data with the Curie–Weiss law.
   Commun. Phys. 5, 95 (2022). doi:10.1038/s42005-022-00853-y
.. [4] Tiesinga, E. et al. CODATA recommended values of the fundamental
   physical constants: 2018. Rev. Mod. Phys. 93, 025010 (2021).
   doi:10.1103/RevModPhys.93.025010
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair.analysis._arguments import number
from metalair.analysis.least_squares import LeastSquaresResult, fit_least_squares
from metalair.errors import DataFormatError, ParameterError
from metalair.tables.magnetometry import MagnetometryData
from metalair.units import UNITS

__all__ = [
    "Susceptibility",
    "CurieWeissResult",
    "susceptibility",
    "curie_weiss",
    "effective_moment",
    "estimate_diamagnetic",
    "CURIE_CGS",
]

_CGS_CHI = UNITS["cm3/mol"][1]  # m^3/mol per cm^3/mol = 4 pi 1e-6


def _curie_cgs() -> float:
    from scipy.constants import Avogadro, Boltzmann, physical_constants

    mu_b = physical_constants["Bohr magneton"][0]  # J/T
    # in SI, C_SI = mu0 N_A mu_B^2 / (3 k_B) per mu_eff^2; CGS = SI / (4 pi 1e-6)
    from scipy.constants import mu_0

    return mu_0 * Avogadro * mu_b**2 / (3.0 * Boltzmann) / _CGS_CHI


#: Curie constant per µ_eff² in cm³ K mol⁻¹ (CGS): N_A µ_B² / (3 k_B) = 0.12505 (CODATA).
CURIE_CGS: float = _curie_cgs()

#: Effective moments [µ_B per magnetic ion] outside which a Curie–Weiss result is flagged: a local moment lies
#: between about 1 µ_B (below the S = 1/2 spin-only 1.73 µ_B only where spin–orbit coupling reduces it, as in
#: low-spin 4d⁵/5d⁵ ions such as Ru³⁺ and Ir⁴⁺; orbital quenching alone gives the spin-only value) and
#: 10.6 µ_B (Dy³⁺, Ho³⁺); a value outside usually means a mass, molar-mass or ions-per-formula error.
MU_EFF_PLAUSIBLE: tuple[float, float] = (0.5, 12.0)

#: With the file's own errors, a Curie–Weiss fit whose reduced χ² exceeds this is flagged (the law does not hold
#: over the range within the errors).
REDUCED_CHI2_FLAG: float = 3.0


def estimate_diamagnetic(molar_mass_g_mol: float) -> float:
    """Rough core diamagnetism χ_dia ≈ −(M/2)·10⁻⁶ cm³ mol⁻¹ for molar mass M in g mol⁻¹.

    Parameters
    ----------
    molar_mass_g_mol : float
        Molar mass of the formula unit [g/mol].

    Returns
    -------
    float
        χ_dia [cm³/mol] (negative). Prefer summed Pascal constants where known.

    References
    ----------
    Bain, G. A. & Berry, J. F. J. Chem. Educ. 85, 532–536 (2008). doi:10.1021/ed085p532
    """
    m = _positive("molar_mass_g_mol", molar_mass_g_mol, "g/mol")
    return -0.5e-6 * m


def _positive(name: str, value: Any, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
        math.isfinite(float(value)) and float(value) > 0
    ):
        raise ParameterError(f"{name} = {value!r} must be a positive number of {unit}")
    return float(value)


@dataclass(frozen=True, eq=False)
class Susceptibility:
    """Molar susceptibility against temperature (see the module notes for conventions).

    Attributes
    ----------
    temperature_K : ndarray
        Temperature [K], sorted ascending.
    field_Oe : ndarray
        Applied field [Oe].
    chi_cgs : ndarray
        Paramagnetic molar susceptibility, diamagnetic correction subtracted [cm³/mol].
    chi_error_cgs : ndarray or None
        Its standard error from the file's moment error [cm³/mol], if any.
    mass_g, molar_mass_g_mol, diamagnetic_cgs : float
        Sample mass [g], molar mass [g/mol], subtracted χ_dia [cm³/mol].
    notes : tuple of str
        Warnings (varying field, dropped rows).
    source : str
        The file the data came from.
    """

    temperature_K: np.ndarray
    field_Oe: np.ndarray
    chi_cgs: np.ndarray
    chi_error_cgs: np.ndarray | None
    mass_g: float
    molar_mass_g_mol: float
    diamagnetic_cgs: float
    notes: tuple[str, ...] = ()
    source: str = ""

    @property
    def chi_si(self) -> np.ndarray:
        """Molar susceptibility in SI [m³/mol]."""
        return self.chi_cgs * _CGS_CHI

    @property
    def inverse_chi_cgs(self) -> np.ndarray:
        """1/χ [mol/cm³]."""
        with np.errstate(divide="ignore"):
            return 1.0 / self.chi_cgs

    def columns(self) -> dict[str, np.ndarray]:
        """Columns by display name."""
        out = {
            "Temperature [K]": self.temperature_K,
            "Field [Oe]": self.field_Oe,
            "chi [cm3/mol]": self.chi_cgs,
            "chi [m3/mol]": self.chi_si,
            "1/chi [mol/cm3]": self.inverse_chi_cgs,
        }
        if self.chi_error_cgs is not None:
            out["chi error [cm3/mol]"] = self.chi_error_cgs
        return out


#: How many times :func:`estimate_diamagnetic` a given diamagnetic correction may be (a larger one is a mistake:
#: -1 cm3/mol for 160 g/mol gave theta = -29,667 K and mu_eff = 458 muB).
DIAMAGNETIC_LIMIT = 100.0


def susceptibility(data: MagnetometryData, *, mass_g: float | None = None, molar_mass_g_mol: float | None = None,
                   diamagnetic_cm3_mol: float = 0.0, min_field_Oe: float = 1.0) -> Susceptibility:
    """Molar susceptibility χ(T) = M/(n H) − χ_dia from a magnetometry record.

    Parameters
    ----------
    data : MagnetometryData
        From :func:`metalair.io.magnetometry.read_quantum_design`.
    mass_g : float, optional
        Sample mass [g]; default the file header's.
    molar_mass_g_mol : float, optional
        Molar mass of the formula unit [g/mol]; default the header's.
    diamagnetic_cm3_mol : float
        Core diamagnetic susceptibility χ_dia to subtract [cm³/mol], normally
        negative (see :func:`estimate_diamagnetic`).
    min_field_Oe : float
        Rows with |H| below this are dropped (M/H is undefined at zero field);
        > 0, in Oe or as text with a field unit (``"0.1 mT"``).

    Returns
    -------
    Susceptibility

    Raises
    ------
    ParameterError
        No mass or molar mass (in the file or given), or non-positive ones.
    DataFormatError
        No row with a field above ``min_field_Oe``.

    References
    ----------
    Bain, G. A. & Berry, J. F. J. Chem. Educ. 85, 532–536 (2008). doi:10.1021/ed085p532
    """
    if not isinstance(data, MagnetometryData):
        raise ParameterError(f"data must be a MagnetometryData (metalair.io.magnetometry), got {type(data).__name__}")
    name = str(data.metadata.get("file_name", ""))
    if mass_g is None:
        m_kg = data.sample_mass_kg
        if m_kg is None:
            raise ParameterError(f"{name or 'the record'} has no sample mass in its header: give mass_g (--mass-mg)")
        mass = m_kg / UNITS["g"][1]
    else:
        mass = _positive("mass_g", mass_g, "g")
    if molar_mass_g_mol is None:
        mm = data.metadata.get("molar_mass_kg_mol")
        if mm is None:
            raise ParameterError(
                f"{name or 'the record'} has no molar mass in its header: give molar_mass_g_mol (--molar-mass), "
                "the molar mass of one formula unit in g/mol"
            )
        molar = float(mm) / UNITS["g/mol"][1]
    else:
        molar = _positive("molar_mass_g_mol", molar_mass_g_mol, "g/mol")
    if isinstance(diamagnetic_cm3_mol, bool) or not isinstance(diamagnetic_cm3_mol, (int, float)) or not math.isfinite(
        diamagnetic_cm3_mol
    ):
        raise ParameterError(f"diamagnetic_cm3_mol = {diamagnetic_cm3_mol!r} must be a finite number of cm3/mol")
    pascal = estimate_diamagnetic(molar)
    if abs(diamagnetic_cm3_mol) > DIAMAGNETIC_LIMIT * abs(pascal):
        raise ParameterError(
            f"diamagnetic_cm3_mol = {diamagnetic_cm3_mol:g} cm3/mol is {abs(diamagnetic_cm3_mol / pascal):,.0f} times "
            f"the rough core diamagnetism of a formula unit of {molar:g} g/mol (-M/2 x 1e-6 = {pascal:.2g} cm3/mol; "
            "Bain & Berry, J. Chem. Educ. 85, 532 (2008)); give the correction per mole of formula units in "
            f"cm3/mol (emu/mol), at most {DIAMAGNETIC_LIMIT:g} times that estimate")
    notes: list[str] = list(data.metadata.get("warnings", []))
    if diamagnetic_cm3_mol > 0:
        notes.append(f"diamagnetic correction {diamagnetic_cm3_mol:g} cm3/mol is positive; core diamagnetism is "
                     "negative (the value is subtracted)")
    min_field_Oe = number("susceptibility", "min_field_Oe", min_field_Oe, 0.0, lo_open=True, unit="Oe",
                          hint="M/H needs a field: rows below it are dropped")
    h_oe = data.field_Oe
    keep = np.abs(h_oe) >= min_field_Oe
    if not np.any(keep):
        raise DataFormatError(f"{name}: no row with |H| >= {min_field_Oe:g} Oe; M/H needs a field")
    if not np.all(keep):
        notes.append(f"{int(np.count_nonzero(~keep))} rows with |H| < {min_field_Oe:g} Oe dropped")
    h = h_oe[keep]
    spread = float(np.ptp(np.abs(h)) / np.median(np.abs(h)))
    if spread > 0.05:
        notes.append(
            f"the field varies from {np.min(np.abs(h)):.4g} to {np.max(np.abs(h)):.4g} Oe: chi = M/H assumes M "
            "linear in H at one field (an M(T) record); this looks like an M(H) record"
        )
    n_mol = mass / molar
    emu = data.moment_emu[keep]
    chi = emu / (n_mol * h) - diamagnetic_cm3_mol
    err = None
    if data.moment_error_A_m2 is not None:
        err = np.abs(data.moment_error_A_m2[keep] / UNITS["emu"][1] / (n_mol * h))
    t = data.temperature_K[keep]
    order = np.argsort(t, kind="stable")
    return Susceptibility(
        temperature_K=t[order], field_Oe=h[order], chi_cgs=chi[order],
        chi_error_cgs=None if err is None else err[order],
        mass_g=mass, molar_mass_g_mol=molar, diamagnetic_cgs=float(diamagnetic_cm3_mol), notes=tuple(notes),
        source=name,
    )


def effective_moment(curie_cgs: float, ions_per_formula: float = 1.0) -> float:
    """µ_eff [µ_B] from a Curie constant in cm³ K mol⁻¹: √(C/(n·0.12505)).

    Parameters
    ----------
    curie_cgs : float
        Curie constant per mole of formula units [cm³ K/mol].
    ions_per_formula : float
        Magnetic ions per formula unit n (µ_eff is then per ion).

    Returns
    -------
    float
        Effective moment in Bohr magnetons.

    Raises
    ------
    ParameterError
        A Curie constant or ions per formula unit that is not a positive
        number (C ≤ 0 is no paramagnet, and has no moment).

    References
    ----------
    Kittel, C. Introduction to Solid State Physics, 8th ed., ch. 11 (Wiley, 2005).
    """
    c = _positive("curie_cgs", curie_cgs, "cm3 K/mol (a Curie constant C <= 0 is no paramagnet: no moment)")
    return _mu_eff(c, _positive("ions_per_formula", ions_per_formula, "magnetic ions per formula unit"))


def _mu_eff(curie_cgs: float, ions: float) -> float:
    """µ_eff of a fitted Curie constant: NaN where the fit left C at 0 (no moment to report)."""
    c = curie_cgs / ions
    return math.sqrt(c / CURIE_CGS) if c > 0 else math.nan


@dataclass(frozen=True, eq=False)
class CurieWeissResult:
    """A Curie–Weiss fit χ = C/(T − θ) + χ0 (CGS per mole of formula units).

    Attributes
    ----------
    C, theta_K, chi0 : float
        Curie constant [cm³ K/mol], Weiss temperature [K], temperature-independent term [cm³/mol].
    ci95 : dict of (low, high)
        95 % intervals of ``"C"``, ``"theta_K"``, ``"chi0"`` and ``"mu_eff"``.
    stderr : dict of float
        Standard errors of the same.
    mu_eff : float
        Effective moment [µ_B] per formula unit, or per ion (``ions_per_formula``).
    C_si : float
        Curie constant in SI [m³ K/mol].
    t_range_K : (float, float)
        Temperature window fitted.
    auto_range : bool
        Whether the window was chosen automatically.
    n_points : int
        Points in the window.
    fit : LeastSquaresResult
        The underlying fit.
    susceptibility : Susceptibility
        The data fitted (all temperatures).
    notes : tuple of str
        Warnings and the range-selection record.
    """

    C: float
    theta_K: float
    chi0: float
    ci95: dict[str, tuple[float, float]]
    stderr: dict[str, float]
    mu_eff: float
    C_si: float
    t_range_K: tuple[float, float]
    auto_range: bool
    n_points: int
    ions_per_formula: float
    fit: LeastSquaresResult
    susceptibility: Susceptibility
    notes: tuple[str, ...] = field(default_factory=tuple)

    def model(self, temperature_K: np.ndarray) -> np.ndarray:
        """χ(T) of the fit [cm³/mol]."""
        t = np.asarray(temperature_K, dtype=float)
        return self.C / (t - self.theta_K) + self.chi0

    def table(self) -> str:
        """Plain-text summary."""
        rows = [
            ("C", "cm3 K/mol", self.C), ("theta", "K", self.theta_K), ("chi0", "cm3/mol", self.chi0),
            ("mu_eff", "mu_B", self.mu_eff),
        ]
        keys = ["C", "theta_K", "chi0", "mu_eff"]
        lines = [f"Curie-Weiss fit chi = C/(T - theta) + chi0 over {self.t_range_K[0]:.4g}-{self.t_range_K[1]:.4g} K "
                 f"({self.n_points} points, {'automatic' if self.auto_range else 'given'} range)"]
        for (label, unit, v), k in zip(rows, keys):
            lo, hi = self.ci95[k]
            lines.append(f"  {label:<7}{v:>13.6g} {unit:<10} 95 % [{lo:.6g}, {hi:.6g}]")
        per = "per formula unit" if self.ions_per_formula == 1 else f"per ion ({self.ions_per_formula:g} per formula)"
        lines.append(f"  mu_eff = sqrt(C/{CURIE_CGS:.5f}) mu_B {per}; C(SI) = {self.C_si:.6g} m3 K/mol")
        weights = "the file's errors" if _has_errors(self.susceptibility) else "relative weights"
        lines.append(f"  reduced chi2 = {self.fit.reduced_chi2:.3g} ({weights})")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "C_cm3_K_mol": self.C, "theta_K": self.theta_K, "chi0_cm3_mol": self.chi0, "mu_eff_muB": self.mu_eff,
            "C_m3_K_mol": self.C_si, "ci95": {k: list(v) for k, v in self.ci95.items()}, "stderr": dict(self.stderr),
            "t_range_K": list(self.t_range_K), "auto_range": self.auto_range, "n_points": self.n_points,
            "ions_per_formula": self.ions_per_formula, "reduced_chi2": self.fit.reduced_chi2, "notes": list(self.notes),
        }


def _has_errors(chi: Susceptibility) -> bool:
    err = chi.chi_error_cgs
    return err is not None and bool(np.all(np.isfinite(err)) and np.all(err > 0))


def _sigma(chi: Susceptibility) -> np.ndarray:
    """Per-point σ of χ: the file's error where usable, else proportional to |χ| (relative weights)."""
    base = np.abs(chi.chi_cgs)
    floor = 1e-6 * float(np.max(base)) + 1e-300
    if _has_errors(chi):
        return np.maximum(np.asarray(chi.chi_error_cgs), floor)
    return np.maximum(base, floor)


def _fit_cw(t: np.ndarray, y: np.ndarray, s: np.ndarray, extended: bool = False,
            tol: float = 1e-12, start: np.ndarray | None = None) -> LeastSquaresResult:
    # start from the straight line 1/chi = (T - theta)/C (chi0 = 0) through the window
    a, b = np.polyfit(t, 1.0 / y, 1, w=y**2 / s) if np.all(y > 0) else (1.0 / max(np.max(y * t), 1e-12), 0.0)
    c0 = 1.0 / a if a > 0 else float(np.max(np.abs(y * t)))
    th0 = float(-b * c0) if a > 0 else 0.0
    t_min = float(np.min(t))
    th0 = min(th0, t_min - 0.05 * max(t_min, 1.0))
    hi_theta = t_min - 1e-3 * max(t_min, 1.0)
    names = ["C", "theta_K", "chi0"] + (["D"] if extended else [])
    x0 = [c0, th0, 0.0] + ([0.0] if extended else [])
    if start is not None and start[0] > 0 and start[1] < hi_theta:
        x0 = [float(v) for v in start[:3]] + ([0.0] if extended else [])
    lo = [0.0, -np.inf, -np.inf] + ([-np.inf] if extended else [])
    hi = [np.inf, hi_theta, np.inf] + ([np.inf] if extended else [])

    def resid(p: np.ndarray) -> np.ndarray:
        d = t - p[1]
        model = p[0] / d + p[2]
        if extended:  # curvature term, D/(T - theta)^3: independent of theta's derivative at D = 0
            model = model + p[3] / d**3
        return (model - y) / s

    def jac(p: np.ndarray) -> np.ndarray:
        d = t - p[1]
        cols = [1.0 / d, p[0] / d**2 + (3.0 * p[3] / d**4 if extended else 0.0), np.ones_like(t)]
        if extended:
            cols.append(1.0 / d**3)
        return np.column_stack(cols) / s[:, None]

    return fit_least_squares(resid, x0, names=names, bounds=(lo, hi), jac=jac, tol=tol)


def _auto_window(t: np.ndarray, y: np.ndarray, s: np.ndarray, min_points: int,
                 min_span_K: float) -> tuple[int, list[str]]:
    """Index of the lowest temperature of the widest window without significant curvature."""
    from scipy.stats import f as f_dist

    n = t.size
    # candidate lower ends: every distinct temperature step, thinned to at most 30 evenly spaced ones
    starts = list(range(n - min_points, -1, -1))
    starts = [i for i in starts if t[-1] - t[i] >= min_span_K] or [0]
    if len(starts) > 30:
        idx = np.unique(np.round(np.linspace(0, len(starts) - 1, 30)).astype(int))
        starts = [starts[i] for i in idx]
    alpha = 0.05 / len(starts)  # Bonferroni over the windows tried: 5 % family-wise false stops
    chosen = starts[0]
    log = []
    previous = None
    for i in starts:
        tt, yy, ss = t[i:], y[i:], s[i:]
        m = tt.size
        if m < 5:
            continue
        try:
            f3 = _fit_cw(tt, yy, ss, tol=1e-9, start=previous)
            f4 = _fit_cw(tt, yy, ss, extended=True, tol=1e-9, start=f3.values)
            previous = f3.values
        except ParameterError:
            break
        if f4.chi2 <= 0 or m - 4 <= 0 or f3.chi2 <= 1e-20 * m:
            # the three-parameter law already fits to rounding (|residual| < 1e-10 of the weight): an F test
            # would compare round-off with round-off, so no curvature is detectable
            chosen = i
            continue
        F = (f3.chi2 - f4.chi2) / (f4.chi2 / (m - 4))
        p = float(f_dist.sf(max(F, 0.0), 1, m - 4))
        if p < alpha:
            log.append(f"curvature significant from {tt[0]:.4g} K down (F test p = {p:.2g} < {alpha:.2g}); "
                       "range stops above")
            break
        chosen = i
    return chosen, log


def curie_weiss(chi: Susceptibility, *, t_range_K: Sequence[float] | None = None, min_points: int = 10,
                min_span_K: float = 20.0, ions_per_formula: float = 1.0) -> CurieWeissResult:
    """Fit χ = C/(T − θ) + χ0 over a given or automatically chosen temperature range.

    Parameters
    ----------
    chi : Susceptibility
        From :func:`susceptibility`.
    t_range_K : (low, high), optional
        Temperature window [K]; default chosen automatically (module notes).
    min_points : int
        Fewest points a window may hold (at least 4).
    min_span_K : float
        Smallest temperature span a window (and the record) must cover [K].
    ions_per_formula : float
        Magnetic ions per formula unit; µ_eff is per ion.

    Returns
    -------
    CurieWeissResult

    Raises
    ------
    DataFormatError
        The record has no usable temperature range (an M(H) record at one or
        two temperatures, fewer than ``min_points`` points, a span below
        ``min_span_K``), or χ is not positive in the window (not a paramagnet).
    ParameterError
        Bad window or settings.

    References
    ----------
    Mugiraneza, S. & Hallas, A. M. Commun. Phys. 5, 95 (2022). doi:10.1038/s42005-022-00853-y
    """
    if not isinstance(chi, Susceptibility):
        raise ParameterError(f"chi must be a Susceptibility (from susceptibility()), got {type(chi).__name__}")
    if not (isinstance(min_points, int) and min_points >= 4):
        raise ParameterError(f"min_points = {min_points!r} must be an integer >= 4")
    min_span = _positive("min_span_K", min_span_K, "K")
    ions = _positive("ions_per_formula", ions_per_formula, "ions per formula unit")
    t_all, y_all = chi.temperature_K, chi.chi_cgs
    s_all = _sigma(chi)
    what = chi.source or "the record"
    span = float(np.ptp(t_all)) if t_all.size else 0.0
    n_temps = np.unique(np.round(t_all, 1)).size
    if t_all.size < min_points or span < min_span or n_temps < min_points:
        raise DataFormatError(
            f"{what}: no usable temperature range for a Curie-Weiss fit: {t_all.size} points at {n_temps} distinct "
            f"temperatures spanning {np.min(t_all):.4g}-{np.max(t_all):.4g} K (span {span:.3g} K); the fit needs "
            f"chi(T) at >= {min_points} temperatures over >= {min_span:g} K, i.e. an M(T) record, "
            "not an M(H) loop at fixed temperature"
        )
    notes = list(chi.notes)
    auto = t_range_K is None
    if auto:
        pos = y_all > 0
        if np.count_nonzero(pos) < min_points:
            raise DataFormatError(f"{what}: chi is positive at only {np.count_nonzero(pos)} points; not a paramagnet")
        i0, log = _auto_window(t_all[pos], y_all[pos], s_all[pos], min_points, min_span)
        lo_t = float(t_all[pos][i0])
        hi_t = float(np.max(t_all))
        notes += log
    else:
        try:
            lo_t, hi_t = (float(v) for v in t_range_K)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise ParameterError(f"t_range_K = {t_range_K!r} must be (low, high) in K") from None
        if not (math.isfinite(lo_t) and math.isfinite(hi_t) and 0 <= lo_t < hi_t):
            raise ParameterError(f"t_range_K = {t_range_K!r} must satisfy 0 <= low < high")
    sel = (t_all >= lo_t) & (t_all <= hi_t)
    t, y, s = t_all[sel], y_all[sel], s_all[sel]
    if t.size < min_points and not auto:  # the range asked for, not the data, is short: the caller's to change
        raise ParameterError(
            f"t_range_K = ({lo_t:g}, {hi_t:g}) K holds {t.size} of the {t_all.size} points ({what} spans "
            f"{np.min(t_all):.4g}-{np.max(t_all):.4g} K); a Curie-Weiss fit needs at least {min_points}")
    if t.size < min_points:
        raise DataFormatError(f"{what}: only {t.size} points in {lo_t:g}-{hi_t:g} K; need at least {min_points}")
    fit = _fit_cw(t, y, s)
    if not _has_errors(chi):
        # relative weights from the fitted curve, not the noisy data (weights from the data bias the fit)
        p = fit.values
        fit = _fit_cw(t, y, np.maximum(np.abs(p[0] / (t - p[1]) + p[2]), 1e-6 * float(np.max(np.abs(y)))))
    C, th, c0 = (float(v) for v in fit.values)
    ci = {n: (float(a), float(b)) for n, (a, b) in zip(["C", "theta_K", "chi0"], fit.ci95)}
    se = {n: float(v) for n, v in zip(["C", "theta_K", "chi0"], fit.stderr)}
    mu = _mu_eff(C, ions)
    c_lo, c_hi = ci["C"]
    ci["mu_eff"] = (_mu_eff(c_lo, ions) if c_lo > 0 else 0.0, _mu_eff(c_hi, ions))
    se["mu_eff"] = mu / (2.0 * C) * se["C"] if C > 0 else math.nan
    if fit.at_bounds:
        notes.append(f"at a bound: {', '.join(fit.at_bounds)} (theta is kept below the lowest fitted temperature)")
    if not fit.success:
        notes.append(f"optimiser: {fit.message}")
    if _has_errors(chi) and fit.reduced_chi2 > REDUCED_CHI2_FLAG:
        notes.append(
            f"reduced chi2 = {fit.reduced_chi2:.3g} with the file's errors: chi deviates from Curie-Weiss over "
            f"{np.min(t):.4g}-{np.max(t):.4g} K by more than its errors (curvature in the range, or errors "
            "underestimated); try a higher lower limit")
    if math.isfinite(mu) and not (MU_EFF_PLAUSIBLE[0] <= mu <= MU_EFF_PLAUSIBLE[1]):
        per = ("per magnetic ion" if ions != 1 else
               "per formula unit (ions_per_formula = 1; give the magnetic ions per formula unit for a per-ion value)")
        notes.append(
            f"mu_eff = {mu:.3g} mu_B {per} lies outside {MU_EFF_PLAUSIBLE[0]:g}-{MU_EFF_PLAUSIBLE[1]:g} "
            "mu_B, the range of local moments (about 1 mu_B for a spin-orbit-reduced S = 1/2 up to ~10.6 for "
            "Dy3+/Ho3+): check the sample mass (mg, not g: a 1000x mass error moves mu_eff 32x), the molar mass "
            "and the magnetic ions per formula unit")
    return CurieWeissResult(
        C=C, theta_K=th, chi0=c0, ci95=ci, stderr=se, mu_eff=mu, C_si=C * _CGS_CHI,
        t_range_K=(float(np.min(t)), float(np.max(t))), auto_range=auto, n_points=int(t.size),
        ions_per_formula=ions, fit=fit, susceptibility=chi, notes=tuple(notes),
    )
