"""Kramers–Kronig validity of a spectrum by the linear Lin-KK test.

A spectrum that obeys the Kramers–Kronig relations (linear, causal, stable,
time-invariant system) can be described by a series of M Voigt elements
(R_k ∥ C_k) with fixed time constants τ_k, plus a series resistance, an
inductance and a capacitance:

    Z(ω) = R₀ + jωL + 1/(jωC) + Σₖ R_k / (1 + jωτ_k)

With τ_k fixed (logarithmically spaced between 1/ω_max and 1/ω_min), the
fit is *linear* in R₀, L, 1/C and R_k, solved here by weighted linear least
squares on the real and imaginary parts together (weights 1/|Z|).

Choice of M (Schönleber et al. 2014): starting from M = 1, M grows until

    µ = 1 − Σ_{R_k<0} |R_k| / Σ_{R_k≥0} |R_k|

falls to c (default 0.85): beyond that point the fit starts to follow noise
with alternating-sign resistances.

The µ criterion alone stops too early for spectra with sharp, ideal-RC
time constants (noise-free or simulated data): a time constant between two
grid points is matched by neighbours of opposite sign, so µ drops below c
while the fit still misses the data by several per cent. :func:`lin_kk`
therefore raises M beyond the µ choice when the residuals there exceed the
threshold, as long as µ stays at or above ``mu_floor`` (default 0.5); a fit
that follows noise or drift has alternating resistances and µ → 0, so this
does not let drifting data pass. This safeguard is metalair's, not part of
the published method; ``mu_floor=1`` gives the plain µ criterion. When no M
meets the threshold, the fit reported is the closest one with µ ≥
``mu_floor``, not the under-fit at the µ choice: its residuals say how far the
spectrum is from any Kramers–Kronig-compliant model (a valid spectrum with
0.5 % noise: about 1.2 %; one whose resistances drift 20 % during the sweep:
2.4 %).

Verdict: the relative residuals Δ' = (Z' − Ẑ')/|Z| and Δ'' = (Z'' − Ẑ'')/|Z|
are computed at every frequency; the spectrum **passes** when the largest
|Δ| is at most ``threshold`` (default 1 %, i.e. every point agrees with a
Kramers–Kronig-compliant model to within 1 % of |Z|). Drift during the
measurement (a non-stationary cell) shows up as systematic residuals at low
frequency; large drift fails the test, small drift can pass (two R–CPE arcs
whose second resistance drifts linearly with sweep time, 0.2 % noise: +5 % and
+10 % of it pass at 0.47 % and 0.94 %, +20 % fails at 1.54 %), so a pass does
not prove the cell was stationary. Residuals of a valid spectrum scatter like noise
(Boukamp 1995). On a failure the notes say whether they trend with frequency
(lag-1 autocorrelation above 0.4 in both parts), as drift makes them, or
scatter without a trend (below 0.2 in both), as noise larger than the threshold
allows does. (A pass says nothing of the kind: the residuals of a noise-free
spectrum are smooth fit error, which trends too.)

References
----------
Schönleber, M., Klotz, D. & Ivers-Tiffée, E. A method for improving the
robustness of linear Kramers–Kronig validity tests. Electrochim. Acta 131,
20–27 (2014). doi:10.1016/j.electacta.2014.01.034

Boukamp, B. A. A linear Kronig–Kramers transform test for immittance data
validation. J. Electrochem. Soc. 142, 1885–1894 (1995). doi:10.1149/1.2044210
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair.analysis._arguments import number
from metalair.analysis.impedance.fitting import parameter_unit
from metalair.errors import ParameterError
from metalair.tables.impedance import ImpedanceSpectrum, as_spectrum, require_analysable

__all__ = ["lin_kk", "LinKKResult"]


@dataclass(frozen=True, eq=False)
class LinKKResult:
    """Result of :func:`lin_kk`.

    Attributes
    ----------
    spectrum : ImpedanceSpectrum
    n_elements : int
        The chosen number M of Voigt elements.
    mu : float
        µ at the chosen M.
    c : float
        The µ threshold used.
    tau_s : numpy.ndarray
        Time constants τ_k of the Voigt elements, s.
    resistances : numpy.ndarray
        Fitted R_k (may be negative), in the spectrum's unit.
    series_resistance, inductance, inverse_capacitance : float
        R₀, L and 1/C in the units that go with the spectrum's (Ω, H and 1/F
        for a spectrum in Ω; ``as_dict()["units"]`` names them); L and 1/C are
        0 when not fitted.
    impedance_fit : numpy.ndarray
    residuals_real, residuals_imag : numpy.ndarray
        (Z_data − Z_fit)/|Z_data|, real and imaginary parts.
    threshold : float
        Largest |residual| allowed for a pass.
    passed : bool
        The residuals are within the threshold and the test is conclusive.
    conclusive : bool
        False when the fit cannot judge the spectrum: fewer than :data:`MIN_RESIDUAL_DOF` numbers left over
        after the fit's parameters (a short spectrum), or µ < 0 (more negative than positive resistance:
        the fit follows the noise). The notes say which; ``passed`` is then False.
    mu_history : list of (M, µ)
        Every M tried.
    notes : list of str
    """

    spectrum: ImpedanceSpectrum
    n_elements: int
    mu: float
    c: float
    tau_s: np.ndarray
    resistances: np.ndarray
    series_resistance: float
    inductance: float
    inverse_capacitance: float
    impedance_fit: np.ndarray
    residuals_real: np.ndarray
    residuals_imag: np.ndarray
    threshold: float
    passed: bool
    mu_history: list[tuple[int, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    conclusive: bool = True

    @property
    def max_residual(self) -> float:
        """Largest |residual| (fraction of |Z|)."""
        return float(max(np.max(np.abs(self.residuals_real)), np.max(np.abs(self.residuals_imag))))

    @property
    def rms_residual(self) -> float:
        """Root-mean-square residual over real and imaginary parts (fraction of |Z|)."""
        r = np.concatenate([self.residuals_real, self.residuals_imag])
        return float(np.sqrt(np.mean(r * r)))

    @property
    def verdict(self) -> str:
        """One line: pass/fail, M, µ and the residuals."""
        word = "INCONCLUSIVE" if not self.conclusive else "PASS" if self.passed else "FAIL"
        return (f"Lin-KK {word}: max |residual| {100 * self.max_residual:.3g} % of |Z| "
                f"(threshold {100 * self.threshold:.3g} %), rms {100 * self.rms_residual:.3g} %, "
                f"M = {self.n_elements} Voigt elements, mu = {self.mu:.3f} (c = {self.c})")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "passed": bool(self.passed), "conclusive": bool(self.conclusive), "threshold": self.threshold,
            "max_residual": self.max_residual,
            "rms_residual": self.rms_residual, "n_elements": self.n_elements, "mu": self.mu, "c": self.c,
            "series_resistance": self.series_resistance, "inductance_H": self.inductance,
            "inverse_capacitance_per_F": self.inverse_capacitance, "notes": list(self.notes),
            "mu_history": [[m, mu] for m, mu in self.mu_history],
            "units": {"series_resistance": parameter_unit("R", self.spectrum.unit),
                      "inductance_H": parameter_unit("L", self.spectrum.unit),
                      "inverse_capacitance_per_F": _inverse(parameter_unit("C", self.spectrum.unit))},
        }


def _inverse(unit: str) -> str:
    """The reciprocal of a unit: "1/F", "1/(F/m²)"."""
    return f"1/({unit})" if "/" in unit else f"1/{unit}"


def _design(omega: np.ndarray, tau: np.ndarray, inductance: bool, capacitance: bool) -> np.ndarray:
    """Complex design matrix: columns R₀, R_k (Voigt), [L], [1/C]."""
    cols = [np.ones(omega.size, dtype=complex)]
    cols.extend(1.0 / (1.0 + 1j * omega * t) for t in tau)
    if inductance:
        cols.append(1j * omega)
    if capacitance:
        cols.append(1.0 / (1j * omega))
    return np.column_stack(cols)


#: Fewest numbers (real and imaginary parts) a Lin-KK fit must leave over its parameters for its residuals to judge
#: the spectrum: with fewer, any spectrum can be matched (a 5-point spectrum, 10 numbers, against 6 parameters).
MIN_RESIDUAL_DOF = 5

#: Lag-1 autocorrelation of the residuals (ordered by frequency) above which, in both parts, they are said to trend.
TREND_ABOVE = 0.4
#: ... and below which, in both parts, they scatter like noise (a fit through noise leaves them slightly negative).
NOISE_LIKE_BELOW = 0.2


def _lag1(r: np.ndarray) -> float:
    """Lag-1 autocorrelation of a residual series (0 for white noise, towards 1 for a trend)."""
    d = r - np.mean(r)
    den = float(np.sum(d * d))
    return float(np.sum(d[1:] * d[:-1]) / den) if den > 0 else 0.0


def _solve(A: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    Ar = np.vstack([A.real / w[:, None], A.imag / w[:, None]])
    b = np.concatenate([z.real / w, z.imag / w])
    scale = np.sqrt(np.sum(Ar * Ar, axis=0))
    scale[scale == 0] = 1.0
    x, *_ = np.linalg.lstsq(Ar / scale, b, rcond=None)
    return np.asarray(x / scale, dtype=float)


#: The safeguard of :func:`lin_kk` stops adding elements when ten more left the residuals above this fraction of
#: what they were (stalled: drift or noise, not too coarse a grid of time constants).
STALL_FACTOR = 0.8


def lin_kk(
    spectrum: ImpedanceSpectrum,
    *,
    c: float = 0.85,
    max_elements: int | None = None,
    inductance: bool = True,
    capacitance: bool = True,
    threshold: float = 0.01,
    mu_floor: float = 0.5,
) -> LinKKResult:
    """Lin-KK validity test with the automatic number of Voigt elements (µ criterion).

    Parameters
    ----------
    spectrum : ImpedanceSpectrum
    c : float
        µ threshold in (0, 1); Schönleber et al. recommend 0.85.
    max_elements : int, optional
        Largest M tried (default: the number of points).
    inductance, capacitance : bool
        Fit a series inductance / series capacitance besides R₀ and the R_k.
    threshold : float
        Largest |relative residual| for a pass (default 0.01 = 1 %).
    mu_floor : float
        Safeguard against the µ criterion stopping too early on spectra with
        sharp (ideal RC) time constants, e.g. simulated ones: when the fit at
        the µ-chosen M misses the threshold, M is raised to the first value at
        which the residuals meet it while µ stays at or above ``mu_floor``
        (a fit that follows noise or drift has µ → 0); the search stops when
        ten more elements leave the residuals above three times the threshold and
        above :data:`STALL_FACTOR` times what they were (a spectrum with many sharp time
        constants, such as a simulated one, keeps improving and is followed further).
        The result's ``notes`` say when M was raised. ``mu_floor=1`` switches
        the safeguard off; it lies in [0, 1] (µ is at most 1).

    Returns
    -------
    LinKKResult

    References
    ----------
    Schönleber, M., Klotz, D. & Ivers-Tiffée, E. Electrochim. Acta 131, 20–27 (2014).
    doi:10.1016/j.electacta.2014.01.034
    """
    spectrum = as_spectrum(spectrum)
    for name, value, example in (("c", c, "0.85, as Schönleber et al."), ("threshold", threshold,
                                                                         "0.01, a fraction of |Z|")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
            raise ParameterError(f"{name} = {value!r} must be a number in (0, 1), e.g. {example}")
    mu_floor = number("lin_kk", "mu_floor", mu_floor, 0.0, 1.0,
                      hint="mu = 1 - sum|R_k < 0| / sum|R_k > 0| lies at or below 1; 1 switches the safeguard off")
    for name, flag in (("inductance", inductance), ("capacitance", capacitance)):
        if not isinstance(flag, (bool, np.bool_)):
            raise ParameterError(f"{name} = {flag!r} must be True or False (fit a series {name} or not)")
    if max_elements is not None and (isinstance(max_elements, bool) or not isinstance(max_elements, numbers.Integral)):
        raise ParameterError(f"max_elements = {max_elements!r} must be a whole number of Voigt elements (or None)")
    n = len(spectrum)
    extra = 1 + int(inductance) + int(capacitance)
    require_analysable(spectrum, extra + 2, "Lin-KK")
    m_max = n if max_elements is None else int(max_elements)
    if m_max < 1:
        raise ParameterError(f"max_elements = {max_elements!r} must be at least 1")
    m_max = min(m_max, 2 * n - extra - 1)
    omega = spectrum.angular_frequency
    z = spectrum.impedance
    w = spectrum.modulus
    notes: list[str] = []
    history: list[tuple[int, float]] = []

    def fit(m: int) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, float]:
        if m == 1:
            tau = np.array([math.sqrt(1 / (omega.max() * omega.min()))])
        else:
            tau = np.logspace(math.log10(1 / omega.max()), math.log10(1 / omega.min()), m)
        A = _design(omega, tau, inductance, capacitance)
        x = _solve(A, z, w)
        rk = x[1:1 + m]
        pos = float(np.sum(np.abs(rk[rk >= 0])))
        neg = float(np.sum(np.abs(rk[rk < 0])))
        # with no positive resistance mu is undefined (an under-fit, not the over-fit mu detects): not accepted
        mu = 1.0 - neg / pos if pos > 0 else math.nan
        zf = A @ x
        worst = float(max(np.max(np.abs((z.real - zf.real) / w)), np.max(np.abs((z.imag - zf.imag) / w))))
        history.append((m, mu))
        return tau, x, mu, zf, worst

    chosen = None
    for m in range(1, m_max + 1):
        chosen = (m, *fit(m))
        if chosen[3] <= c:
            break
    else:
        notes.append(f"mu stayed above c = {c} up to M = {m_max}; the largest M was used")
    assert chosen is not None
    if chosen[5] > threshold and chosen[0] < m_max:
        # mu fell below c at a small M because sharp (ideal RC) time constants fall between the grid
        # points, not because noise is being fitted: add elements while the fit is not yet oscillating
        m_mu = chosen[0]
        best = chosen[5]
        closest = None  # the best fit with mu >= mu_floor, should none meet the threshold
        best_at = {m_mu: best}
        for m in range(m_mu + 1, m_max + 1):
            trial = (m, *fit(m))
            best = best_at[m] = min(best, trial[5])
            if m - m_mu >= 10 and best > 3 * threshold and best > STALL_FACTOR * best_at[m - 10]:
                break  # ten more elements brought the residuals nowhere near the threshold: not a grid effect
            if trial[3] < mu_floor:
                continue
            if closest is None or trial[5] < closest[5]:
                closest = trial
            if trial[5] <= threshold:
                notes.append(
                    f"mu fell to c at M = {m_mu} with residuals up to {100 * chosen[5]:.3g} % (too few elements for "
                    f"sharp time constants); M raised to {m}, where mu = {trial[3]:.3f} >= {mu_floor} and the "
                    "residuals are within the threshold"
                )
                chosen = trial
                break
        else:
            closest = closest if closest is not None and closest[5] < chosen[5] else None
        if chosen[5] > threshold and closest is not None and closest[5] < chosen[5]:
            # report how close a Kramers-Kronig-compliant model gets, not the under-fit at the mu choice
            notes.append(
                f"no M met the threshold; reported: the closest fit with mu >= {mu_floor} (M = {closest[0]}, "
                f"mu = {closest[3]:.3f}, residuals up to {100 * closest[5]:.3g} %; at the mu choice M = {m_mu} they "
                f"were {100 * chosen[5]:.3g} %)"
            )
            chosen = closest
    m, tau, x, mu, fit_z, max_res = chosen
    res_re = (z.real - fit_z.real) / w
    res_im = (z.imag - fit_z.imag) / w
    ac_re, ac_im = _lag1(res_re), _lag1(res_im)
    nonzero = z.imag[z.imag != 0]
    inductive = int(np.count_nonzero(nonzero > 0))
    if max_res > threshold and inductive > 0.5 * nonzero.size:
        notes.append(
            f"{inductive} of {n} points have a positive imaginary part (inductive): a passive cell is capacitive "
            "over most of its spectrum, so Z'' is probably stored with the wrong sign (-Z'' under a Z'' header), and "
            "a sign-flipped spectrum fails Lin-KK whatever the cell did. Flip the sign ('metalair eis --imag-sign "
            "-1', or read_impedance(path, imag_sign=-1)) and test again")
    elif max_res > threshold and max(ac_re, ac_im) < NOISE_LIKE_BELOW:
        notes.append(
            f"the residuals scatter without a trend (lag-1 autocorrelation {ac_re:.2f} real, {ac_im:.2f} imaginary; "
            f"rms {100 * math.sqrt(np.mean(np.concatenate([res_re, res_im]) ** 2)):.2g} %), as measurement noise "
            "does: the spectrum may be valid with more noise than the threshold allows")
    elif max_res > threshold and min(ac_re, ac_im) > TREND_ABOVE:
        notes.append(
            f"the residuals trend with frequency (lag-1 autocorrelation {ac_re:.2f} real, {ac_im:.2f} imaginary), "
            "as drift during the measurement (a non-stationary cell) makes them")
    conclusive = True
    dof = 2 * n - (1 + m + int(inductance) + int(capacitance))
    if dof < MIN_RESIDUAL_DOF:
        conclusive = False
        notes.append(f"inconclusive: {n} frequencies give {2 * n} numbers for {2 * n - dof} fitted parameters, "
                     f"{dof} left over (at least {MIN_RESIDUAL_DOF} are needed): a fit this flexible matches "
                     "any spectrum")
    if mu < 0:
        conclusive = False
        notes.append(f"inconclusive: mu = {mu:.3f} < 0, more negative than positive resistance in the fit: it "
                     "follows the noise (over-fitted), so its residuals do not test the spectrum")
    k = 1 + m
    ind = float(x[k]) if inductance else 0.0
    cap = float(x[k + int(inductance)]) if capacitance else 0.0
    return LinKKResult(
        spectrum=spectrum, n_elements=m, mu=float(mu), c=c, tau_s=tau, resistances=np.asarray(x[1:1 + m]),
        series_resistance=float(x[0]), inductance=ind, inverse_capacitance=cap, impedance_fit=fit_z,
        residuals_real=res_re, residuals_imag=res_im, threshold=threshold, passed=conclusive and max_res <= threshold,
        mu_history=history, notes=notes, conclusive=conclusive,
    )
