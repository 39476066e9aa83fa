"""Distribution of relaxation times (DRT) by regularised, non-negative regression.

Model
-----
::

    Z(ω) = R∞ + jωL + ∫ γ(ln τ) / (1 + jωτ) d ln τ

γ(ln τ) (same unit as Z, per unit of ln τ) is expanded in Gaussian radial
basis functions φ_m(y) = exp(−(ε (y − y_m))²), y = ln τ, centred on a
logarithmic grid that covers the measured range 1/ω_max … 1/ω_min extended
by ``extend_decades`` on each side, with ε set so that each Gaussian's full
width at half maximum is twice the grid spacing. The basis integrals are
computed by quadrature on a fine ln τ grid.

The coefficients x_m ≥ 0, R∞ ≥ 0 and L ≥ 0 minimise

    ‖W (A θ − Z)‖² + λ ‖D x‖²

(real and imaginary parts stacked; W = 1/|Z| by default; D the first- or
second-derivative operator of γ on the fine grid, so ‖D x‖² ≈ ∫ (dᵏγ/dyᵏ)² dy),
solved exactly by NNLS on the augmented system.

Regularisation strength λ is chosen by the L-curve (maximum curvature;
Hansen 1992; the default), generalised cross-validation (GCV, Golub, Heath &
Wahba 1979) or modified GCV (mGCV, Kim & Gu 2004, with ρ = 1.3 below 50
residuals and 2 above, as in Maradesa et al. 2023), all
both evaluated for the unconstrained ridge solution over a log grid of λ and
refined by a bounded scalar search, as is usual for DRT (Saccoccio et al.
2014; Maradesa et al. 2023); the non-negative solution is then computed at
that λ. An L-curve without a corner (largest curvature below 0.1 on
natural-log axes, as for noise-free synthetic spectra whose residual keeps
falling as λ decreases) falls back to GCV, and ``method`` says so. On smooth
measured spectra GCV and mGCV choose a much smaller λ than the L-curve (on
the LIB test spectrum 4·10⁻⁶ against 10⁻³) and split broad features into
several peaks; the L-curve is therefore the default. The L-curve can in turn
take a corner of over-smoothing and merge two processes into one peak (an RC
at 1 ms and one at 10 ms with 1 % noise: one peak in 8 of 12 noise seeds); a
note says so wherever mGCV resolves more measured peaks.

Peaks are the local maxima of γ on a fine grid with a prominence above
``peak_prominence`` times the largest γ; each peak's resistance is the
integral of γ between the minima that separate it from its neighbours, its
capacitance C = τ/R. R, C and L carry the spectrum's normalisation: for an
area-specific spectrum in Ω·m², R is in Ω·m², C in F/m² and L in H·m²
(:func:`~metalair.analysis.impedance.fitting.parameter_unit`).

Measured window: the data constrain γ only for τ between 1/(2π f_max) and
1/(2π f_min) (1/ω_max … 1/ω_min); beyond it γ is an extrapolation shaped by the
regularisation and by whatever the fit needs to bend the ends of the
spectrum. Peaks there are flagged (``DRTPeak.extrapolated``, ``* extrapolated``
in the peak table, a note) and should not be read as
processes that were measured; :attr:`DRTResult.measured_tau_range` gives the
window.

Band of the regularised estimate (optional, ``credible_band=True``): the
Gaussian posterior of the regularised problem (Ciucci & Chen 2015: the ridge
solution is the maximum a posteriori estimate for a Gaussian prior on the
derivative of γ and Gaussian errors), with covariance Σ = σ² (AᵀWA + λDᵀD)⁻¹
and σ² estimated from the residuals as RSS/(2N − tr H). The band is
γ ± 1.96·sd(γ) at each τ, centred on the non-negative estimate and clipped at
zero; it ignores the non-negativity constraint in the covariance (Ciucci &
Chen sample the truncated posterior instead), so it is slightly wide where γ
is near zero.

It is the spread of the *regularised estimate* that the measurement noise
causes, at the chosen λ. It leaves out the smoothing bias of the
regularisation (the difference between the true γ and what the regularised
estimate would be without noise), which flattens and widens sharp peaks. At
a peak, where that bias is largest, the band is narrow compared with γ; it is
**not** a 95 % interval of the true γ: on a synthetic ZARC (R = 50 Ω, α = 0.8,
71 points 10⁵–10⁻² Hz, 0.1–1 % relative noise, L-curve λ) it held the true γ
at only 72–82 % of the measured τ points (mean of 10 spectra per noise
level), and with 1 % noise the true γ at the peak (24.0 Ω) lay above the
band (17.4–18.8 Ω). Read it as how much the estimate would move with other
noise, not as where the true γ lies.

R∞: γ is extended ``extend_decades`` beyond 1/ω_max, and a process there
trades off against R∞, so R∞ is biased low and far less precise than the
series resistance of a circuit fit (R0 − (R1‖C1) − (R2‖C2), R0 = 10 Ω,
0.5 % noise, 15 spectra: R∞ 9.79 ± 0.29 Ω against a fitted R0 of
10.002 ± 0.009 Ω). Take the series resistance from a circuit fit.

References
----------
Saccoccio, M., Wan, T. H., Chen, C. & Ciucci, F. Optimal regularization in
distribution of relaxation times applied to electrochemical impedance
spectroscopy: ridge and lasso regression methods – a theoretical and
experimental study. Electrochim. Acta 147, 470–482 (2014).
doi:10.1016/j.electacta.2014.09.058

Wan, T. H., Saccoccio, M., Chen, C. & Ciucci, F. Influence of the
discretization methods on the distribution of relaxation times deconvolution:
implementing radial basis functions with DRTtools. Electrochim. Acta 184,
483–499 (2015). doi:10.1016/j.electacta.2015.09.097

Maradesa, A., Py, B., Wan, T. H., Effat, M. B. & Ciucci, F. Selecting the
regularization parameter in the distribution of relaxation times.
J. Electrochem. Soc. 170, 030502 (2023). doi:10.1149/1945-7111/acbca4

Golub, G. H., Heath, M. & Wahba, G. Generalized cross-validation as a method
for choosing a good ridge parameter. Technometrics 21, 215–223 (1979).
doi:10.1080/00401706.1979.10489751

Hansen, P. C. Analysis of discrete ill-posed problems by means of the
L-curve. SIAM Rev. 34, 561–580 (1992). doi:10.1137/1034115

Kim, Y.-J. & Gu, C. Smoothing spline Gaussian regression: more scalable
computation via efficient approximation. J. R. Stat. Soc. B 66, 337–356
(2004). doi:10.1046/j.1369-7412.2003.05316.x

Ciucci, F. & Chen, C. Analysis of electrochemical impedance spectroscopy
data using the distribution of relaxation times: a Bayesian and hierarchical
Bayesian approach. Electrochim. Acta 167, 439–454 (2015).
doi:10.1016/j.electacta.2015.03.123
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair.analysis.impedance.fitting import parameter_unit
from metalair.errors import ParameterError
from metalair.tables.impedance import ImpedanceSpectrum, as_spectrum, require_analysable

__all__ = ["drt", "DRTResult", "DRTPeak"]

_FINE_PER_BASIS = 12  # quadrature points per basis spacing


#: Said with every R_inf.
R_INF_NOTE = ("R_inf trades off against gamma beyond the highest frequency: it is biased low and less precise than "
              "a circuit fit's series resistance; take that from a circuit fit")


@dataclass(frozen=True)
class DRTPeak:
    """One peak of γ(τ): position, resistance and capacitance."""

    tau_s: float
    frequency_Hz: float  # 1/(2πτ)
    resistance: float  # ∫γ d ln τ over the peak, in the spectrum's unit
    capacitance: float  # τ/R (F for a spectrum in Ω, F/m² for one in Ω·m²)
    height: float  # γ at the peak
    extrapolated: bool = False  # τ outside 1/(2π f_max) … 1/(2π f_min): not measured

    def as_dict(self) -> dict[str, float | bool]:
        """Plain dict."""
        return {"tau_s": self.tau_s, "frequency_Hz": self.frequency_Hz, "resistance": self.resistance,
                "capacitance": self.capacitance, "height": self.height, "extrapolated": self.extrapolated}


@dataclass(frozen=True, eq=False)
class DRTResult:
    """Result of :func:`drt`.

    Attributes
    ----------
    tau_s : numpy.ndarray
        Fine τ grid, s.
    gamma : numpy.ndarray
        γ(ln τ) on that grid, in the spectrum's unit (per unit ln τ).
    band : numpy.ndarray or None
        (2, n) lower and upper 95 % band of the regularised estimate of γ (noise only: it excludes the
        smoothing bias, so it can miss the true γ at sharp peaks; see the module notes), or None.
    r_inf : float
        Series (high-frequency) resistance; biased low and less precise than a circuit fit's series
        resistance (see the module notes).
    inductance : float
        Series inductance, H (H·m² for a spectrum in Ω·m²; see :attr:`units`).
    lam : float
        The regularisation strength used (for the spectrum scaled to max |Z| = 1).
    method : str
        How λ was chosen ("gcv", "lcurve" or "fixed").
    peaks : list of DRTPeak
        Sorted by τ; those outside :attr:`measured_tau_range` are marked ``extrapolated``.
    impedance_fit : numpy.ndarray
    spectrum : ImpedanceSpectrum
    residuals_real, residuals_imag : numpy.ndarray
        (Z − Z_fit)/|Z|.
    notes : list of str
    """

    tau_s: np.ndarray
    gamma: np.ndarray
    band: np.ndarray | None
    r_inf: float
    inductance: float
    lam: float
    method: str
    peaks: list[DRTPeak]
    impedance_fit: np.ndarray
    spectrum: ImpedanceSpectrum
    residuals_real: np.ndarray
    residuals_imag: np.ndarray
    polarisation_resistance: float
    notes: list[str] = field(default_factory=list)

    @property
    def units(self) -> dict[str, str]:
        """Unit of each number of :meth:`as_dict` and of the peaks, by key, following the spectrum's unit.

        For a spectrum in Ω·m²: resistances Ω·m², capacitances F/m², the
        inductance H·m² (its key ``inductance_H`` keeps its name).
        """
        u = self.spectrum.unit
        return {"tau_s": "s", "frequency_Hz": "Hz", "resistance": u, "capacitance": parameter_unit("C", u),
                "height": u, "r_inf": u, "inductance_H": parameter_unit("L", u), "polarisation_resistance": u}

    @property
    def measured_tau_range(self) -> tuple[float, float]:
        """(1/(2π f_max), 1/(2π f_min)) in s: the τ the measured frequencies reach."""
        omega = self.spectrum.angular_frequency
        return 1.0 / float(omega.max()), 1.0 / float(omega.min())

    def peak_table(self) -> str:
        """Plain-text table of the peaks (``*``: outside the measured τ window, extrapolated)."""
        units = self.units
        u, cu = units["resistance"], units["capacitance"]
        lines = [f"{'tau [s]':>11}  {'f [Hz]':>11}  {'R [' + u + ']':>12}  {'C [' + cu + ']':>11}"]
        for p in self.peaks:
            lines.append(f"{p.tau_s:>11.4g}  {p.frequency_Hz:>11.4g}  {p.resistance:>12.5g}  {p.capacitance:>11.4g}"
                         + ("  * extrapolated" if p.extrapolated else ""))
        lo, hi = self.measured_tau_range
        lines.append(f"measured tau window {lo:.4g} - {hi:.4g} s (1/(2 pi f_max) - 1/(2 pi f_min))"
                     + ("; * peaks outside it are extrapolated, not measured" if any(p.extrapolated for p in self.peaks)
                        else ""))
        lines.append(f"R_inf = {self.r_inf:.5g} {u} (biased low: take the series resistance from a circuit fit), "
                     f"L = {self.inductance:.4g} {units['inductance_H']}, R_pol = {self.polarisation_resistance:.5g} "
                     f"{u}, lambda = {self.lam:.3g} ({self.method})")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (peaks, R∞, L, λ)."""
        return {"peaks": [p.as_dict() for p in self.peaks], "r_inf": self.r_inf, "inductance_H": self.inductance,
                "polarisation_resistance": self.polarisation_resistance, "lambda": self.lam,
                "lambda_method": self.method, "measured_tau_range_s": list(self.measured_tau_range),
                "impedance_unit": self.spectrum.unit, "units": self.units,
                "band": None if self.band is None else {
                    "level": 0.95, "of": "the regularised estimate (measurement noise only)",
                    "includes_smoothing_bias": False, "note": BAND_NOTE},
                "r_inf_note": R_INF_NOTE,
                "notes": list(self.notes),
                "max_residual": float(max(np.max(np.abs(self.residuals_real)),
                                          np.max(np.abs(self.residuals_imag))))}


@dataclass
class _Problem:
    A: np.ndarray  # (2n, 2 + M) weighted real system for θ = [R∞, L, x]
    y: np.ndarray  # (2n,)
    D: np.ndarray  # (K, 2 + M) derivative operator (zero columns for R∞, L)
    phi_fine: np.ndarray  # (K, M) basis on the fine grid
    y_fine: np.ndarray  # ln τ on the fine grid
    dy: float
    scale: float
    omega_scale: float
    A_plain: np.ndarray  # (n, 2 + M) complex, unweighted, scaled
    w: np.ndarray


def _build(spectrum: ImpedanceSpectrum, n_basis: int | None, extend: float, order: int, weighting: str) -> _Problem:
    omega = spectrum.angular_frequency
    z = spectrum.impedance
    scale = float(np.max(np.abs(z)))
    zs = z / scale
    y_lo = math.log(1.0 / omega.max()) - extend * math.log(10.0)
    y_hi = math.log(1.0 / omega.min()) + extend * math.log(10.0)
    decades = (y_hi - y_lo) / math.log(10.0)
    m = n_basis if n_basis is not None else int(max(30, min(160, round(10 * decades))))
    centres = np.linspace(y_lo, y_hi, m)
    spacing = centres[1] - centres[0]
    eps = math.sqrt(math.log(2.0)) / spacing  # FWHM = 2 * spacing
    pad = 4.0 / eps
    k = int(_FINE_PER_BASIS * (y_hi - y_lo + 2 * pad) / spacing) + 1
    y_fine = np.linspace(y_lo - pad, y_hi + pad, k)
    dy = float(y_fine[1] - y_fine[0])
    phi = np.exp(-((eps * (y_fine[:, None] - centres[None, :])) ** 2))  # (K, M)
    tau = np.exp(y_fine)
    wt = omega[:, None] * tau[None, :]
    kernel = 1.0 / (1.0 + 1j * wt)  # (n, K)
    A_x = (kernel @ phi) * dy  # (n, M)
    om_scale = float(omega.max())
    A = np.column_stack([np.ones(omega.size, dtype=complex), 1j * omega / om_scale, A_x])
    if weighting == "relative":
        w = np.abs(zs)
    elif weighting == "unit":
        w = np.ones(omega.size)
    else:
        raise ParameterError(f"weighting {weighting!r} is not 'relative' or 'unit'")
    Ar = np.vstack([A.real / w[:, None], A.imag / w[:, None]])
    yr = np.concatenate([zs.real / w, zs.imag / w])
    if order == 1:
        dphi = phi * (-2.0 * eps**2 * (y_fine[:, None] - centres[None, :]))
    elif order == 2:
        u = y_fine[:, None] - centres[None, :]
        dphi = phi * (4.0 * eps**4 * u**2 - 2.0 * eps**2)
    elif order == 0:
        dphi = phi
    else:
        raise ParameterError(f"order {order!r} must be 0, 1 or 2 (derivative of gamma that is penalised)")
    D = np.column_stack([np.zeros((k, 2)), dphi * math.sqrt(dy)])
    return _Problem(A=Ar, y=yr, D=D, phi_fine=phi, y_fine=y_fine, dy=dy, scale=scale, omega_scale=om_scale,
                    A_plain=A, w=w)


def _ridge_terms(p: _Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    AtA = p.A.T @ p.A
    Aty = p.A.T @ p.y
    DtD = p.D.T @ p.D
    return AtA, Aty, DtD


def _gcv(lam: float, AtA: np.ndarray, Aty: np.ndarray, DtD: np.ndarray, p: _Problem, rho: float = 1.0) -> float:
    n = p.y.size
    M = AtA + lam * DtD + 1e-12 * np.trace(AtA) / AtA.shape[0] * np.eye(AtA.shape[0])
    try:
        Minv_At = np.linalg.solve(M, p.A.T)
    except np.linalg.LinAlgError:
        return math.inf
    H_trace = float(np.sum(p.A * Minv_At.T))
    theta = Minv_At @ p.y
    r = p.y - p.A @ theta
    return n * float(r @ r) / max(n - rho * H_trace, 1e-12) ** 2


def _lcurve_point(lam: float, AtA: np.ndarray, Aty: np.ndarray, DtD: np.ndarray, p: _Problem) -> tuple[float, float]:
    M = AtA + lam * DtD + 1e-12 * np.trace(AtA) / AtA.shape[0] * np.eye(AtA.shape[0])
    theta = np.linalg.solve(M, Aty)
    r = p.y - p.A @ theta
    return math.log(max(float(r @ r), 1e-300)), math.log(max(float(theta @ DtD @ theta), 1e-300))


#: an L-curve whose largest curvature (natural-log axes) stays below this has no corner
_MIN_CORNER_CURVATURE = 0.1


def _choose_lambda(p: _Problem, method: str, lam_range: tuple[float, float]) -> tuple[float, str]:
    from scipy.optimize import minimize_scalar

    AtA, Aty, DtD = _ridge_terms(p)
    logs = np.linspace(math.log10(lam_range[0]), math.log10(lam_range[1]), 41)
    if method in ("gcv", "mgcv"):
        # mGCV: rho = 1.3 below 50 residuals, else 2 (Kim & Gu 2004, as used by Maradesa et al. 2023, eq. 15)
        rho = 1.0 if method == "gcv" else (1.3 if p.y.size < 50 else 2.0)
        vals = np.array([_gcv(10**g, AtA, Aty, DtD, p, rho) for g in logs])
        i = int(np.argmin(vals))
        lo, hi = logs[max(i - 1, 0)], logs[min(i + 1, logs.size - 1)]
        if hi > lo:
            res = minimize_scalar(lambda g: _gcv(10**g, AtA, Aty, DtD, p, rho), bounds=(lo, hi), method="bounded",
                                  options={"xatol": 1e-3})
            return float(10 ** res.x), method
        return float(10 ** logs[i]), method
    pts = np.array([_lcurve_point(10**g, AtA, Aty, DtD, p) for g in logs])
    x, yv = pts[:, 0], pts[:, 1]
    dx, dyv = np.gradient(x, logs), np.gradient(yv, logs)
    ddx, ddy = np.gradient(dx, logs), np.gradient(dyv, logs)
    curvature = (dx * ddy - dyv * ddx) / np.maximum((dx**2 + dyv**2) ** 1.5, 1e-300)
    inner = slice(2, logs.size - 2)
    i = int(np.argmax(curvature[inner])) + 2
    if curvature[i] < _MIN_CORNER_CURVATURE:
        # no corner: typical of (nearly) noise-free spectra, where the residual keeps falling with lambda
        lam, _ = _choose_lambda(p, "gcv", lam_range)
        return lam, "gcv (the L-curve has no corner)"
    return float(10 ** logs[i]), method


def _solve_nnls(p: _Problem, lam: float, y: np.ndarray | None = None) -> np.ndarray:
    from scipy.optimize import nnls

    yy = p.y if y is None else y
    big = np.vstack([p.A, math.sqrt(lam) * p.D])
    rhs = np.concatenate([yy, np.zeros(p.D.shape[0])])
    theta, _ = nnls(big, rhs, maxiter=50 * big.shape[1])
    return np.asarray(theta)


#: Said with every band: what it covers and what it does not.
BAND_NOTE = ("the 95 % band is that of the regularised estimate: the spread the measurement noise causes at this "
             "lambda. It excludes the smoothing bias of the regularisation, which is largest at sharp peaks (their "
             "height is underestimated), so the true gamma can lie outside it there; it is not a 95 % interval of "
             "the true gamma")


def _credible_band(p: _Problem, theta: np.ndarray, lam: float, keep: np.ndarray) -> np.ndarray:
    """95 % band of the regularised γ from the Gaussian posterior of the ridge problem (Ciucci & Chen 2015).

    Noise only: it excludes the smoothing bias (see the module notes).
    """
    AtA, _, DtD = _ridge_terms(p)
    Mx = AtA + lam * DtD
    Mx = Mx + 1e-12 * np.trace(Mx) / Mx.shape[0] * np.eye(Mx.shape[0])
    inv = np.linalg.inv(Mx)
    r = p.y - p.A @ theta
    dof = max(p.y.size - float(np.sum(p.A * (inv @ p.A.T).T)), 1.0)
    sigma2 = float(r @ r) / dof
    G = p.phi_fine[keep]
    cov_x = sigma2 * inv[2:, 2:]
    sd = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", G, cov_x, G), 0.0, None)) * p.scale
    gamma = (G @ theta[2:]) * p.scale
    return np.vstack([np.clip(gamma - 1.96 * sd, 0.0, None), gamma + 1.96 * sd])


def _peaks(y: np.ndarray, gamma: np.ndarray, prominence: float,
           measured: tuple[float, float] = (0.0, math.inf)) -> list[DRTPeak]:
    from scipy.signal import find_peaks

    if not np.any(gamma > 0):
        return []
    top = float(np.max(gamma))
    idx, _ = find_peaks(np.concatenate(([0.0], gamma, [0.0])), prominence=prominence * top)
    idx = idx - 1
    idx = idx[(idx >= 0) & (idx < gamma.size)]
    if idx.size == 0:
        return []
    # boundaries: the minimum of gamma between neighbouring peaks
    bounds = [0]
    for a, b in zip(idx[:-1], idx[1:]):
        bounds.append(int(a + np.argmin(gamma[a:b + 1])))
    bounds.append(gamma.size - 1)
    dy = float(y[1] - y[0])
    out = []
    for k, i in enumerate(idx):
        lo, hi = bounds[k], bounds[k + 1]
        r = float(np.trapezoid(gamma[lo:hi + 1], dx=dy)) if hi > lo else 0.0
        # sub-grid position: parabola through the three points around the maximum (in ln tau)
        yi = float(y[i])
        if 0 < i < gamma.size - 1:
            g0, g1, g2 = gamma[i - 1], gamma[i], gamma[i + 1]
            den = g0 - 2 * g1 + g2
            if den < 0:
                yi += 0.5 * dy * (g0 - g2) / den
        tau = math.exp(yi)
        outside = not measured[0] * (1 - 1e-9) <= tau <= measured[1] * (1 + 1e-9)
        out.append(DRTPeak(tau_s=tau, frequency_Hz=1 / (2 * math.pi * tau), resistance=r,
                           capacitance=tau / r if r > 0 else math.nan, height=float(gamma[i]), extrapolated=outside))
    return out


def drt(
    spectrum: ImpedanceSpectrum,
    *,
    lam: float | str = "lcurve",
    order: int = 2,
    n_basis: int | None = None,
    extend_decades: float = 1.0,
    weighting: str = "relative",
    lam_range: tuple[float, float] = (1e-7, 1e0),
    peak_prominence: float = 0.02,
    credible_band: bool = False,
) -> DRTResult:
    """Distribution of relaxation times of a spectrum (see the module notes).

    Parameters
    ----------
    spectrum : ImpedanceSpectrum
    lam : float or {"lcurve", "gcv"}
        Regularisation strength (for the spectrum scaled to max |Z| = 1), or
        how to choose it. The default L-curve gives the smoother γ; GCV
        tends to choose a smaller λ on smooth, low-noise measured spectra
        (on the LIB test spectrum it splits the 10⁻³–10⁻² s features into
        several small peaks).
    order : {0, 1, 2}
        Derivative of γ that is penalised.
    n_basis : int, optional
        Number of Gaussian basis functions (default: 10 per decade of the
        extended τ range, between 30 and 160).
    extend_decades : float
        How far the τ range extends beyond 1/ω_max … 1/ω_min, decades.
    weighting : {"relative", "unit"}
        Residual weights 1/|Z| or 1.
    lam_range : (float, float)
        Range searched for λ.
    peak_prominence : float
        Smallest peak prominence, as a fraction of the largest γ.
    credible_band : bool
        Also compute the 95 % band of the regularised estimate: the spread the noise causes, excluding
        the smoothing bias, so it is not a 95 % interval of the true γ (see the module notes).

    Returns
    -------
    DRTResult

    References
    ----------
    Saccoccio et al., Electrochim. Acta 147, 470 (2014), doi:10.1016/j.electacta.2014.09.058;
    Wan et al., Electrochim. Acta 184, 483 (2015), doi:10.1016/j.electacta.2015.09.097;
    Maradesa et al., J. Electrochem. Soc. 170, 030502 (2023), doi:10.1149/1945-7111/acbca4.
    """
    spectrum = as_spectrum(spectrum)
    require_analysable(spectrum, 5, "a DRT")
    if isinstance(peak_prominence, bool) or not isinstance(peak_prominence, numbers.Real) or not (
            0 <= peak_prominence < 1):
        raise ParameterError(f"peak_prominence = {peak_prominence!r} must be a fraction of the largest gamma in "
                             "[0, 1), e.g. 0.02")
    if not (extend_decades >= 0 and math.isfinite(extend_decades)):
        raise ParameterError(f"extend_decades = {extend_decades!r} must be a finite number >= 0")
    if not (0 < lam_range[0] < lam_range[1]):
        raise ParameterError(f"lam_range = {lam_range!r} must be (low, high) with 0 < low < high")
    if n_basis is not None and not (isinstance(n_basis, int) and n_basis >= 5):
        raise ParameterError(f"n_basis = {n_basis!r} must be an integer >= 5")
    p = _build(spectrum, n_basis, extend_decades, order, weighting)
    notes: list[str] = []
    if isinstance(lam, str):
        if lam not in ("gcv", "mgcv", "lcurve"):
            raise ParameterError(f"lam = {lam!r}: give a number > 0, 'mgcv', 'gcv' or 'lcurve'")
        lam_value, method = _choose_lambda(p, lam, lam_range)
        if math.isclose(lam_value, lam_range[0], rel_tol=1e-3) or math.isclose(lam_value, lam_range[1], rel_tol=1e-3):
            notes.append(f"the {method} choice of lambda lies at the edge of lam_range {lam_range}; widen it")
    else:
        lam_value = float(lam)
        if not (lam_value > 0 and math.isfinite(lam_value)):
            raise ParameterError(f"lam = {lam!r} must be a finite number > 0, 'mgcv', 'gcv' or 'lcurve'")
        method = "fixed"
    theta = _solve_nnls(p, lam_value)
    x = theta[2:]
    gamma_fine = p.phi_fine @ x * p.scale
    fit = (p.A_plain @ theta) * p.scale
    z = spectrum.impedance
    mod = np.abs(z)
    # output grid: the measured-plus-extension range, without the quadrature padding
    y_lo = math.log(1.0 / spectrum.angular_frequency.max()) - extend_decades * math.log(10.0)
    y_hi = math.log(1.0 / spectrum.angular_frequency.min()) + extend_decades * math.log(10.0)
    keep = (p.y_fine >= y_lo - 1e-12) & (p.y_fine <= y_hi + 1e-12)
    y_out = p.y_fine[keep]
    gamma = gamma_fine[keep]
    band = None
    if credible_band:
        band = _credible_band(p, theta, lam_value, keep)
        notes.append(BAND_NOTE)
    window = (1.0 / float(spectrum.angular_frequency.max()), 1.0 / float(spectrum.angular_frequency.min()))
    peaks = _peaks(y_out, gamma, peak_prominence, window)
    r_pol = float(np.trapezoid(gamma_fine, dx=p.dy))
    if method == "lcurve":
        # the L-curve can take a corner of over-smoothing, merging two processes a decade apart into one peak with
        # the fit off by several per cent (a 1 and a 10 ms RC at 1 % noise: one peak at 1.6 ms in 8 of 12 seeds);
        # say so where mGCV resolves more measured peaks, without changing the result
        lam_m, _m = _choose_lambda(p, "mgcv", lam_range)
        theta_m = _solve_nnls(p, lam_m)
        peaks_m = _peaks(y_out, (p.phi_fine @ theta_m[2:] * p.scale)[keep], peak_prominence, window)
        n_l = sum(1 for pk in peaks if not pk.extrapolated)
        n_m = sum(1 for pk in peaks_m if not pk.extrapolated)
        if n_m > n_l and lam_m < lam_value:
            notes.append(f"the L-curve lambda {lam_value:.3g} is {math.log10(lam_value / lam_m):.2g} decades above "
                         f"mGCV's {lam_m:.3g}, at which {n_m} measured peaks appear instead of {n_l}: either the "
                         "L-curve smoothed neighbouring processes into one peak or mGCV splits noise into several "
                         "(on smooth measured spectra it often does); compare lam='mgcv' and its fit residuals "
                         "before reading the peak count")
    outside = [pk for pk in peaks if pk.extrapolated]
    if outside:
        share = sum(pk.resistance for pk in outside) / r_pol if r_pol > 0 else math.nan
        where = ", ".join(f"{pk.tau_s:.3g} s" for pk in outside)
        notes.append(f"{len(outside)} peak(s) (tau = {where}; {100 * share:.3g} % of R_pol) lie outside the measured "
                     f"tau window {window[0]:.3g} - {window[1]:.3g} s (1/(2 pi f_max) - 1/(2 pi f_min)): they are "
                     "extrapolated by the regularisation, not measured; extend the frequency range to resolve them")
    return DRTResult(
        tau_s=np.exp(y_out), gamma=gamma, band=band, r_inf=float(theta[0] * p.scale),
        inductance=float(theta[1] * p.scale / p.omega_scale), lam=lam_value, method=method, peaks=peaks,
        impedance_fit=fit, spectrum=spectrum, residuals_real=(z.real - fit.real) / mod,
        residuals_imag=(z.imag - fit.imag) / mod, polarisation_resistance=r_pol, notes=notes,
    )
