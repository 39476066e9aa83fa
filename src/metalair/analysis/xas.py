"""XANES: normalisation, edge energy, oxidation state by calibration, linear-combination fits.

>>> from metalair.io.xas import read_xas_spectrum
>>> from metalair.analysis.xas import normalize, calibrate_valence, linear_combination
>>> ru = read_xas_spectrum("nlro_3p5V.xdi")                                  # doctest: +SKIP
>>> norm = normalize(ru); norm.e0_eV, norm.edge_step                          # doctest: +SKIP
>>> cal = calibrate_valence([(ruo2, 4), (na3ruo4, 5)], e0_uncertainty_eV=0.2)  # doctest: +SKIP
>>> cal.predict(ru)                                                           # doctest: +SKIP

Conventions (stated once)
-------------------------
Pre-edge line
    Straight line fitted by least squares to µ(E) over E0 + ``pre1`` …
    E0 + ``pre2`` (default −150 … −30 eV, clipped to the data).
Post-edge curve
    Polynomial of degree ``nnorm`` (default 2) fitted to µ(E) over E0 +
    ``norm1`` … E0 + ``norm2`` (default +150 eV to the last point).
Edge step
    Post-edge curve minus pre-edge line, both evaluated at E0; refused when
    it is not positive or below ``MIN_STEP_OVER_NOISE`` times the
    noise of µ (no edge stands out of the noise): the scatter of each point
    about the straight line through its two neighbours, which neither the
    pre-edge slope nor the change of step between the regions of a scan
    (pre-edge, XANES, k-steps) counts as noise.
Normalised µ
    (µ − pre-edge line)/edge step; the *flattened* µ additionally replaces,
    above E0, the post-edge curve's departure from the step by the step
    itself. These are the conventions of Athena (defaults −150/−30 eV and a
    post-edge range starting 150 eV above E0).
E0
    ``"derivative"`` (default): the energy of the largest first derivative
    dµ/dE (central differences on the measured grid), refined to sub-grid
    precision by the vertex of the parabola through the largest value and its
    two neighbours; the ends of the scan (first and last 5 % of points) are
    excluded, unless the largest value lies on the border of that search (a
    scan that starts or ends close to the edge), when the search extends to
    that end. A derivative that is nowhere positive, or largest at the
    scan's first or last point, is refused (no edge inside the scan).
    ``"half-height"``: the first energy above the pre-edge region
    where the normalised µ reaches 0.5 (linear interpolation), iterated with
    the normalisation it depends on. The two differ by a few eV for edges
    with a white line or pre-edge peak; always state which one a number uses.
Oxidation state
    Linear calibration E0 = a + b·v against reference spectra of known
    valence v (same E0 method), fitted through the least-squares core; the
    valence of an unknown is v = (E0 − a)/b with a standard error that
    propagates the covariance of (a, b) and the scatter of a new E0 about the
    line (the residual standard deviation, or the user's E0 uncertainty),
    with a Student-t 95 % interval (m − 2 degrees of freedom).
Linear-combination fitting
    The normalised target over E0 − 20 … E0 + 30 eV (default) is fitted by
    Σ wᵢ·(normalised reference i), interpolated onto the target's energies;
    weights bounded to [0, 1] and summing to 1 by default (the last weight
    is 1 − Σ others). Intervals through the core; the R factor is
    Σ(data − fit)²/Σ data².

References
----------
.. [1] Ravel, B. & Newville, M. ATHENA, ARTEMIS, HEPHAESTUS: data analysis for
   X-ray absorption spectroscopy using IFEFFIT. J. Synchrotron Rad. 12,
   537–541 (2005). doi:10.1107/S0909049505012719
.. [2] Newville, M. Fundamentals of XAFS. Rev. Mineral. Geochem. 78, 33–74
   (2014). doi:10.2138/rmg.2014.78.2
.. [3] Wilke, M., Farges, F., Petit, P.-E., Brown, G. E. & Martin, F. Oxidation
   state and coordination of Fe in minerals: an Fe K-XANES spectroscopic
   study. Am. Mineral. 86, 714–730 (2001). doi:10.2138/am-2001-5-612
   (edge position against valence calibrations).
.. [4] Calvin, S. XAFS for Everyone, ch. 10 (CRC Press, 2013).
   doi:10.1201/b14843 (linear-combination analysis).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair.analysis.least_squares import LeastSquaresResult, fit_least_squares
from metalair.analysis.peaks import noise_level
from metalair.errors import DataFormatError, ParameterError
from metalair.tables.spectra import XasSpectrum

__all__ = [
    "XasNormalization",
    "normalize",
    "find_e0",
    "ValenceCalibration",
    "ValenceEstimate",
    "calibrate_valence",
    "LcfResult",
    "linear_combination",
    "E0_METHODS",
]

#: Edge-energy definitions :func:`find_e0` and :func:`normalize` accept.
E0_METHODS = ("derivative", "half-height")
_END_FRACTION = 0.05


def _check_spectrum(spec: Any, what: str = "spectrum") -> XasSpectrum:
    if not isinstance(spec, XasSpectrum):
        raise ParameterError(f"{what} must be an XasSpectrum (metalair.io.xas.read_xas), got {type(spec).__name__}")
    if len(spec) < 20:
        raise DataFormatError(f"{what} {spec.name!r} has {len(spec)} points; a XANES analysis needs at least 20")
    return spec


def _derivative(e: np.ndarray, mu: np.ndarray) -> np.ndarray:
    # merge duplicate energies (a repeated point would make the difference quotient infinite)
    return np.gradient(mu, e)


def _derivative_e0(e: np.ndarray, mu: np.ndarray, name: str = "spectrum") -> float:
    d = _derivative(e, mu)
    n = e.size
    lo, hi = max(1, int(_END_FRACTION * n)), min(n - 1, n - int(_END_FRACTION * n))
    k = lo + int(np.nanargmax(d[lo:hi]))
    # a maximum on the border of the searched points is where the window cut through the rise of the edge (a scan
    # that starts or ends within 5 % of its points of the edge): the window is widened to the scan's end on that side
    if k == lo and lo > 1:
        k = 1 + int(np.nanargmax(d[1:lo + 1]))
    elif k == hi - 1 and hi < n - 1:
        k = hi - 1 + int(np.nanargmax(d[hi - 1:n - 1]))
    if not d[k] > 0:
        raise DataFormatError(
            f"{name}: mu(E) rises nowhere (largest dmu/dE {d[k]:.3g} per eV): no absorption edge step, or mu has the "
            "wrong sign (a transmission mu is ln(I0/It), not ln(It/I0))")
    if k in (1, n - 2):
        raise DataFormatError(
            f"{name}: dmu/dE is largest at the {'start' if k == 1 else 'end'} of the scan ({e[k]:.6g} eV), so the "
            "edge is not inside it: the scan must cover the edge with points on both sides")
    if 0 < k < n - 1:
        x = e[k - 1:k + 2]
        y = d[k - 1:k + 2]
        # vertex of the parabola through three points (non-uniform spacing)
        denom = (x[0] - x[1]) * (x[0] - x[2]) * (x[1] - x[2])
        a = (x[2] * (y[1] - y[0]) + x[1] * (y[0] - y[2]) + x[0] * (y[2] - y[1])) / denom
        b = (x[2] ** 2 * (y[0] - y[1]) + x[1] ** 2 * (y[2] - y[0]) + x[0] ** 2 * (y[1] - y[2])) / denom
        if a < 0:
            v = -b / (2 * a)
            if x[0] <= v <= x[2]:
                return float(v)
    return float(e[k])


#: Smallest edge step, in units of the noise of µ (:func:`metalair.analysis.peaks.noise_level` on the energy grid), that
#: :func:`normalize` accepts: a scan of noise alone gives a "step" of about one noise unit at a random E0, while
#: measured K edges stand hundreds of noise units high.
MIN_STEP_OVER_NOISE = 5.0

#: Largest spread [eV] of E0 within one element's edge: chemical shifts are a few eV per unit of valence
#: (Wilke et al., Am. Mineral. 86, 714 (2001): about 1.4 eV per unit for the Fe K pre-edge); references or an
#: unknown further apart are another element or edge.
SAME_EDGE_EV = 50.0

@dataclass(frozen=True, eq=False)
class XasNormalization:
    """Result of :func:`normalize` (see the module notes for every definition).

    Attributes
    ----------
    spectrum : XasSpectrum
        The input.
    e0_eV : float
        Edge energy [eV].
    e0_method : str
        ``"derivative"``, ``"half-height"`` or ``"given"``.
    edge_step : float
        Post-edge curve minus pre-edge line at E0.
    pre_edge : ndarray
        Pre-edge line coefficients (slope, intercept) in µ per eV and µ.
    post_edge : ndarray
        Post-edge polynomial coefficients (highest power first) in E − E0.
    pre_range_eV, norm_range_eV : (float, float)
        Ranges used, relative to E0.
    norm : ndarray
        Normalised µ.
    flat : ndarray
        Flattened normalised µ.
    dmu_dE : ndarray
        First derivative of µ [1/eV].
    notes : tuple of str
        What was clipped or adjusted.
    """

    spectrum: XasSpectrum
    e0_eV: float
    e0_method: str
    edge_step: float
    pre_edge: np.ndarray
    post_edge: np.ndarray
    pre_range_eV: tuple[float, float]
    norm_range_eV: tuple[float, float]
    norm: np.ndarray
    flat: np.ndarray
    dmu_dE: np.ndarray
    notes: tuple[str, ...] = ()

    @property
    def energy_eV(self) -> np.ndarray:
        """Energies [eV]."""
        return self.spectrum.energy_eV

    def pre_line(self, energy_eV: np.ndarray | None = None) -> np.ndarray:
        """Pre-edge line at the given energies (default the spectrum's)."""
        e = self.energy_eV if energy_eV is None else np.asarray(energy_eV, dtype=float)
        return np.polyval(self.pre_edge, e)

    def post_curve(self, energy_eV: np.ndarray | None = None) -> np.ndarray:
        """Post-edge curve at the given energies."""
        e = self.energy_eV if energy_eV is None else np.asarray(energy_eV, dtype=float)
        return np.polyval(self.post_edge, e - self.e0_eV)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "name": self.spectrum.name, "e0_eV": self.e0_eV, "e0_method": self.e0_method,
            "edge_step": self.edge_step, "pre_range_eV": list(self.pre_range_eV),
            "norm_range_eV": list(self.norm_range_eV), "notes": list(self.notes),
        }


def _ranges(e: np.ndarray, e0: float, pre1: float | None, pre2: float, norm1: float,
            norm2: float | None, notes: list[str]) -> tuple[float, float, float, float]:
    emin, emax = float(e[0]) - e0, float(e[-1]) - e0
    p1 = -150.0 if pre1 is None else float(pre1)
    if p1 < emin:
        p1 = emin
    p2 = float(pre2)
    n1 = float(norm1)
    n2 = emax if norm2 is None else min(float(norm2), emax)
    if not p1 < p2 <= 0:
        raise DataFormatError(
            f"pre-edge range {p1:.4g}…{p2:.4g} eV relative to E0 is empty: the scan starts {-emin:.4g} eV below "
            "E0; measure further below the edge or give pre1/pre2 (on the command line --pre-range)"
        )
    if n2 - n1 < 20.0:
        new_n1 = max(5.0, n2 - max(0.5 * (n2 - 5.0), 20.0))
        notes.append(f"post-edge range start moved from {n1:g} to {new_n1:.4g} eV (scan ends {emax:.4g} eV above E0)")
        n1 = new_n1
    if not n1 < n2:
        raise DataFormatError(f"post-edge range {n1:.4g}…{n2:.4g} eV is empty: the scan ends {emax:.4g} eV above E0")
    return p1, p2, n1, n2


def _fit_ranges(e: np.ndarray, mu: np.ndarray, e0: float, pre1: float | None, pre2: float, norm1: float,
                norm2: float | None, nnorm: int, notes: list[str], label: str = "spectrum",
                ) -> tuple[np.ndarray, np.ndarray, float, tuple[float, float, float, float]]:
    try:
        return _fit_ranges_unlabelled(e, mu, e0, pre1, pre2, norm1, norm2, nnorm, notes)
    except DataFormatError as exc:  # say which spectrum: a run may hold several
        raise DataFormatError(f"{label}: {exc}") from None


def _fit_ranges_unlabelled(e: np.ndarray, mu: np.ndarray, e0: float, pre1: float | None, pre2: float, norm1: float,
                           norm2: float | None, nnorm: int, notes: list[str],
                           ) -> tuple[np.ndarray, np.ndarray, float, tuple[float, float, float, float]]:
    p1, p2, n1, n2 = _ranges(e, e0, pre1, pre2, norm1, norm2, notes)
    pre_sel = (e >= e0 + p1) & (e <= e0 + p2)
    if np.count_nonzero(pre_sel) < 2:
        raise DataFormatError(f"only {np.count_nonzero(pre_sel)} point(s) in the pre-edge range; need 2")
    pre = np.polyfit(e[pre_sel], mu[pre_sel], 1)
    post_sel = (e >= e0 + n1) & (e <= e0 + n2)
    deg = nnorm
    if np.count_nonzero(post_sel) < deg + 2:
        deg = max(0, int(np.count_nonzero(post_sel)) - 2)
        notes.append(f"post-edge polynomial degree lowered to {deg} (only {np.count_nonzero(post_sel)} points)")
    if np.count_nonzero(post_sel) < 1:
        raise DataFormatError("no point in the post-edge range")
    post = np.polyfit(e[post_sel] - e0, mu[post_sel], deg)
    step = float(np.polyval(post, 0.0) - np.polyval(pre, e0))
    return pre, post, step, (p1, p2, n1, n2)


def find_e0(spectrum: XasSpectrum, method: str = "derivative", **normalize_kwargs: Any) -> float:
    """Edge energy [eV] by the derivative maximum or the half-height (module notes).

    Parameters
    ----------
    spectrum : XasSpectrum
        The spectrum.
    method : {"derivative", "half-height"}
        Definition of E0.
    **normalize_kwargs
        Ranges passed to :func:`normalize` (half-height only).

    Returns
    -------
    float
        E0 [eV].
    """
    return normalize(spectrum, e0_method=method, **normalize_kwargs).e0_eV


def normalize(spectrum: XasSpectrum, *, e0: float | None = None, e0_method: str = "derivative",
              pre1: float | None = None, pre2: float = -30.0, norm1: float = 150.0, norm2: float | None = None,
              nnorm: int = 2) -> XasNormalization:
    """Pre-edge subtraction and edge-step normalisation of µ(E).

    Parameters
    ----------
    spectrum : XasSpectrum
        The spectrum.
    e0 : float, optional
        Edge energy [eV]; default found by ``e0_method``.
    e0_method : {"derivative", "half-height"}
        How E0 is found (module notes).
    pre1, pre2 : float
        Pre-edge range relative to E0 [eV] (default −150, clipped to the data, and −30);
        below E0: pre1 < pre2 <= 0.
    norm1, norm2 : float
        Post-edge range relative to E0 [eV] (default +150 to the last point);
        above E0: 0 <= norm1 < norm2.
    nnorm : int
        Degree of the post-edge polynomial (0–3).

    Returns
    -------
    XasNormalization

    Raises
    ------
    ParameterError
        Unknown method, bad ranges or degree.
    DataFormatError
        A scan too short on either side of the edge, or without an edge (step ≤ 0).

    References
    ----------
    Ravel, B. & Newville, M. J. Synchrotron Rad. 12, 537–541 (2005). doi:10.1107/S0909049505012719
    """
    spec = _check_spectrum(spectrum)
    if e0_method not in E0_METHODS:
        raise ParameterError(f"e0_method = {e0_method!r}; allowed: {', '.join(E0_METHODS)}")
    if not (isinstance(nnorm, int) and 0 <= nnorm <= 3):
        raise ParameterError(f"nnorm = {nnorm!r} must be an integer 0-3")
    for name, low, high, where in (("pre1, pre2", pre1, pre2, "at or below E0 (<= 0)"),
                                ("norm1, norm2", norm1, norm2, "at or above E0 (>= 0)")):
        for v in (low, high):
            if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v)):
                raise ParameterError(f"{name} = {low!r}, {high!r}: each must be a finite energy in eV relative to E0")
        example = "pre1=-150, pre2=-30" if name.startswith("pre") else "norm1=150, norm2=400"
        if low is not None and high is not None and not low < high:
            raise ParameterError(f"{name} = {low!r}, {high!r} eV: the range must run from low to high ({where}, "
                                 f"relative to E0), e.g. {example}")
        # the pre-edge line is fitted below the edge and the post-edge curve above it: a range on the wrong side of
        # E0 fits the edge's rise itself, and the edge step comes out wrong
        wrong = [v for v in (low, high) if v is not None and (v > 0 if name.startswith("pre") else v < 0)]
        if wrong:
            raise ParameterError(f"{name} = {low!r}, {high!r} eV: {wrong[0]:g} eV lies on the wrong side of the edge; "
                                 f"the range lies {where}, relative to E0 (not absolute energies), e.g. {example}")
    e, mu = spec.energy_eV, spec.mu
    notes: list[str] = []
    if e0 is not None:
        if not (isinstance(e0, numbers.Real) and math.isfinite(e0) and e[0] < e0 < e[-1]):
            raise ParameterError(f"e0 = {e0!r} must be an energy inside the scan ({e[0]:.6g}-{e[-1]:.6g} eV)")
        edge, method = float(e0), "given"
    else:
        edge, method = _derivative_e0(e, mu, spec.name or "spectrum"), e0_method
    label = spec.name or "spectrum"
    pre, post, step, rng = _fit_ranges(e, mu, edge, pre1, pre2, norm1, norm2, nnorm, notes, label)
    if method == "half-height":
        for _ in range(5):
            norm_mu = (mu - np.polyval(pre, e)) / step
            start = int(np.searchsorted(e, edge + rng[1]))
            above = np.flatnonzero(norm_mu[start:] >= 0.5)
            if above.size == 0 or step <= 0:
                break
            k = start + int(above[0])
            if k == 0:
                break
            x0, x1, y0, y1 = e[k - 1], e[k], norm_mu[k - 1], norm_mu[k]
            new = float(x0 + (0.5 - y0) * (x1 - x0) / (y1 - y0)) if y1 != y0 else float(x1)
            converged = abs(new - edge) < 1e-3
            edge = new
            pre, post, step, rng = _fit_ranges(e, mu, edge, pre1, pre2, norm1, norm2, nnorm, notes, label)
            if converged:
                break
    if not step > 0:
        raise DataFormatError(
            f"{spec.name or 'spectrum'}: edge step {step:.4g} <= 0 at E0 = {edge:.6g} eV; no absorption edge in the "
            "scan, or mu has the wrong sign (fluorescence vs transmission)"
        )
    noise = noise_level(mu, e)  # the scatter about the line through each point's neighbours: not a slope on a
    if step < MIN_STEP_OVER_NOISE * noise:  # grid whose step changes (10 eV, then 0.25 eV, then k-steps)
        raise DataFormatError(
            f"{spec.name or 'spectrum'}: edge step {step:.3g} at E0 = {edge:.6g} eV is only {step / noise:.2g} times "
            f"the noise of mu ({noise:.3g}, its points' scatter about the line through their neighbours); an edge "
            f"needs a step of at least {MIN_STEP_OVER_NOISE:g} "
            "times the noise: no absorption edge stands out of the noise in this scan"
        )
    norm_mu = (mu - np.polyval(pre, e)) / step
    flat = norm_mu.copy()
    hi = e > edge
    flat[hi] = norm_mu[hi] - (np.polyval(post, e[hi] - edge) - np.polyval(pre, e[hi])) / step + 1.0
    return XasNormalization(
        spectrum=spec, e0_eV=float(edge), e0_method=method, edge_step=step, pre_edge=pre, post_edge=post,
        pre_range_eV=(rng[0], rng[1]), norm_range_eV=(rng[2], rng[3]), norm=norm_mu, flat=flat,
        dmu_dE=_derivative(e, mu), notes=tuple(dict.fromkeys(notes)),
    )


# ---------------------------------------------------------------------------
# oxidation state
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ValenceEstimate:
    """Valence of one spectrum from a :class:`ValenceCalibration`.

    Attributes
    ----------
    name : str
        Spectrum label.
    e0_eV : float
        Its edge energy.
    valence : float
        Estimated valence.
    stderr : float
        Standard error (calibration plus E0 scatter).
    ci95 : (float, float)
        95 % interval.
    note : str
        Why the estimate needs care ("" if none): a valence outside the references' range is an
        extrapolation of the straight line, and the edge position also depends on the ligands and the
        coordination, not only on the valence (Wilke et al. 2001), so references of the same kind of
        compound that bracket the unknown are needed.
    """

    name: str
    e0_eV: float
    valence: float
    stderr: float
    ci95: tuple[float, float]
    note: str = ""


@dataclass(frozen=True, eq=False)
class ValenceCalibration:
    """Linear calibration E0 = a + b·valence (module notes).

    Attributes
    ----------
    intercept_eV, slope_eV : float
        a [eV] and b [eV per unit valence].
    covariance : ndarray
        Covariance of (a, b).
    scatter_eV : float
        Standard deviation of a new E0 about the line: the residual one (or
        the given E0 uncertainty).
    dof : int
        Degrees of freedom of the interval quantile (0: normal quantile with a given σ).
    quantile : float
        95 % two-sided quantile.
    references : list of (name, E0, valence)
        The calibration points.
    e0_method : str
        E0 definition used for references and unknowns.
    normalize_kwargs : dict
        Ranges passed to :func:`normalize` for every spectrum.
    fit : LeastSquaresResult or None
        The regression (None for two references).
    """

    intercept_eV: float
    slope_eV: float
    covariance: np.ndarray
    scatter_eV: float
    dof: int
    quantile: float
    references: list[tuple[str, float, float]]
    e0_method: str
    normalize_kwargs: dict[str, Any] = field(default_factory=dict)
    fit: LeastSquaresResult | None = None

    def predict(self, unknown: XasSpectrum | float, name: str = "") -> ValenceEstimate:
        """Valence of a spectrum (E0 found the calibration's way) or of an E0 in eV.

        Raises
        ------
        ParameterError
            An E0 more than :data:`SAME_EDGE_EV` outside the references' range (another edge).
        """
        if isinstance(unknown, XasSpectrum):
            e0 = normalize(unknown, e0_method=self.e0_method, **self.normalize_kwargs).e0_eV
            name = name or unknown.name
        elif isinstance(unknown, numbers.Real) and not isinstance(unknown, bool) and math.isfinite(unknown):
            e0 = float(unknown)
        else:
            raise ParameterError(f"unknown must be an XasSpectrum or an E0 in eV, got {unknown!r}")
        e_refs = [r[1] for r in self.references]
        if not min(e_refs) - SAME_EDGE_EV <= e0 <= max(e_refs) + SAME_EDGE_EV:
            raise ParameterError(
                f"E0 = {e0:.6g} eV lies more than {SAME_EDGE_EV:g} eV outside the references' "
                f"{min(e_refs):.6g}-{max(e_refs):.6g} eV: a different edge or element; no valence from this calibration"
            )
        a, b = self.intercept_eV, self.slope_eV
        if not (math.isfinite(b) and b != 0):
            raise ParameterError(f"the calibration's slope is {b!r} eV per valence; a valence needs E0 to change "
                                 "with valence (calibrate with references of different E0)")
        v = (e0 - a) / b
        g = np.array([-1.0 / b, -v / b])  # d v / d(a, b)
        var = float(g @ self.covariance @ g) + (self.scatter_eV / b) ** 2
        se = math.sqrt(var) if var >= 0 else math.nan
        v_refs = [r[2] for r in self.references]
        note = ""
        tol = 1e-6 * max(1.0, max(abs(x) for x in v_refs))  # a reference's own E0 returns its valence
        if not min(v_refs) - tol <= v <= max(v_refs) + tol:
            note = (f"valence {v:.3g} lies outside the references' {min(v_refs):g}-{max(v_refs):g}: an extrapolation "
                    "of the calibration line; add a reference of the same kind of compound (an oxide for an oxide) "
                    "on the other side of it")
        return ValenceEstimate(name=name, e0_eV=e0, valence=float(v), stderr=se,
                               ci95=(float(v - self.quantile * se), float(v + self.quantile * se)), note=note)

    def table(self) -> str:
        """Plain-text summary."""
        lines = [f"E0 ({self.e0_method}) = {self.intercept_eV:.6g} eV + {self.slope_eV:.5g} eV x valence; "
                 f"scatter {self.scatter_eV:.3g} eV, dof {self.dof}"]
        for n, e0, v in self.references:
            lines.append(f"  reference {n:<20} E0 {e0:10.3f} eV  valence {v:g}")
        return "\n".join(lines)


def calibrate_valence(references: Sequence[tuple[XasSpectrum | float, float]], *, e0_method: str = "derivative",
                      e0_uncertainty_eV: float | None = None, **normalize_kwargs: Any) -> ValenceCalibration:
    """Fit E0 = a + b·valence to reference spectra (or E0 values) of known valence.

    Parameters
    ----------
    references : sequence of (XasSpectrum or E0 in eV, valence)
        At least two, of at least two different valences.
    e0_method : {"derivative", "half-height"}
        E0 definition (the same is applied to unknowns).
    e0_uncertainty_eV : float, optional
        Known standard uncertainty of one E0 determination; then the
        intervals use it (normal quantile) instead of the residual scatter,
        which is the only option with two references.
    **normalize_kwargs
        Ranges for :func:`normalize`.

    Returns
    -------
    ValenceCalibration

    Raises
    ------
    ParameterError
        Fewer than two references, one valence only, references that all
        share one E0 (no slope), a negative valence, two references without
        ``e0_uncertainty_eV``, bad values.

    References
    ----------
    Wilke, M. et al. Am. Mineral. 86, 714–730 (2001). doi:10.2138/am-2001-5-612
    """
    from scipy.stats import norm as normal
    from scipy.stats import t as student_t

    sigma = None
    if e0_uncertainty_eV is not None:
        if isinstance(e0_uncertainty_eV, bool) or not isinstance(e0_uncertainty_eV, numbers.Real) or not (
            e0_uncertainty_eV > 0 and math.isfinite(e0_uncertainty_eV)
        ):
            raise ParameterError(f"e0_uncertainty_eV = {e0_uncertainty_eV!r} must be a positive number of eV")
        sigma = float(e0_uncertainty_eV)
    if isinstance(references, (str, bytes, XasSpectrum)) or not isinstance(references, Iterable):
        raise ParameterError(f"references must be a list of (spectrum or E0 in eV, valence) pairs, e.g. "
                             f"[(ruo2, 4), (na3ruo4, 5)], got {type(references).__name__}")
    refs = list(references)
    if len(refs) < 2:
        raise ParameterError(f"{len(refs)} reference(s); a valence calibration needs at least two of known valence")
    pts: list[tuple[str, float, float]] = []
    for k, item in enumerate(refs):
        try:
            spec, val = item
        except (TypeError, ValueError):
            raise ParameterError(f"references[{k}] must be a pair (spectrum or E0, valence)") from None
        if isinstance(val, bool) or not isinstance(val, numbers.Real) or not math.isfinite(val):
            raise ParameterError(f"references[{k}]: valence {val!r} must be a finite number")
        if val < 0:
            raise ParameterError(
                f"references[{k}]: valence {val:g} is negative; give the reference's oxidation state, a number "
                ">= 0 (e.g. 0 for the metal, 4 for RuO2)"
            )
        if isinstance(spec, XasSpectrum):
            e0 = normalize(spec, e0_method=e0_method, **normalize_kwargs).e0_eV
            pts.append((spec.name or f"reference {k}", e0, float(val)))
        elif isinstance(spec, numbers.Real) and not isinstance(spec, bool) and math.isfinite(spec):
            if spec < 200.0:
                raise ParameterError(f"references[{k}]: E0 = {spec!r} is not an edge energy in eV: in keV? Give eV "
                                     "(x 1000)")
            pts.append((f"E0 {k}", float(spec), float(val)))
        else:
            raise ParameterError(f"references[{k}]: {spec!r} is neither an XasSpectrum nor an E0 in eV")
    v = np.array([p[2] for p in pts])
    e = np.array([p[1] for p in pts])
    if np.ptp(e) > SAME_EDGE_EV:
        lo, hi = pts[int(np.argmin(e))], pts[int(np.argmax(e))]
        raise ParameterError(
            f"the references' edges lie {np.ptp(e):.0f} eV apart ({lo[0]} at {lo[1]:.6g} eV, {hi[0]} at "
            f"{hi[1]:.6g} eV): one edge shifts by a few eV per unit of valence, so these are edges of different "
            "elements (or shells); calibrate with references of the sample's own element and edge"
        )
    if np.ptp(v) == 0:
        raise ParameterError("all references have the same valence; a calibration needs at least two valences")
    if np.ptp(e) == 0:
        vals = [f"{x:g}" for x in sorted(set(v.tolist()))]
        shown = ", ".join(vals[:-1]) + " and " + vals[-1]
        raise ParameterError(
            f"references of valence {shown} share E0 {e[0]:.6g} eV; the calibration has no slope (E0 must change "
            "with valence): check that the reference files hold different compounds"
        )
    A = np.column_stack([np.ones_like(v), v])
    if len(pts) == 2:
        if sigma is None:
            raise ParameterError(
                "two references fix the line exactly and leave its uncertainty unknown: give e0_uncertainty_eV "
                "(the standard uncertainty of one E0; on the command line --e0-uncertainty), or add a third reference"
            )
        coef = np.linalg.solve(A, e)
        cov = sigma**2 * np.linalg.inv(A.T @ A)
        return ValenceCalibration(
            intercept_eV=float(coef[0]), slope_eV=float(coef[1]), covariance=cov, scatter_eV=sigma, dof=0,
            quantile=float(normal.ppf(0.975)), references=pts, e0_method=e0_method,
            normalize_kwargs=dict(normalize_kwargs), fit=None,
        )
    w = 1.0 if sigma is None else 1.0 / sigma
    slope0 = float(np.polyfit(v, e, 1)[0])
    fit = fit_least_squares(lambda p: (p[0] + p[1] * v - e) * w, [float(np.mean(e) - slope0 * np.mean(v)), slope0],
                            names=["intercept_eV", "slope_eV"], absolute_sigma=sigma is not None)
    if sigma is None:
        scatter, dof, q = math.sqrt(fit.reduced_chi2), fit.dof, float(student_t.ppf(0.975, fit.dof))
    else:
        scatter, dof, q = sigma, 0, float(normal.ppf(0.975))
    if not abs(fit["slope_eV"]) > 0:
        raise ParameterError("the references' E0 does not change with valence; no calibration possible")
    return ValenceCalibration(
        intercept_eV=fit["intercept_eV"], slope_eV=fit["slope_eV"], covariance=fit.covariance, scatter_eV=scatter,
        dof=dof, quantile=q, references=pts, e0_method=e0_method, normalize_kwargs=dict(normalize_kwargs), fit=fit,
    )


# ---------------------------------------------------------------------------
# linear combination fitting
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LcfResult:
    """A linear-combination fit of normalised XANES.

    Attributes
    ----------
    names : tuple of str
        Reference names.
    weights, stderr : ndarray
        Weights and their standard errors.
    ci95 : ndarray, shape (n, 2)
        95 % intervals of the weights.
    energy_eV, data, model : ndarray
        Fitted energies, normalised target, fitted combination.
    r_factor : float
        Σ(data − model)²/Σ data².
    reduced_chi2 : float
        Residual variance per degree of freedom (unweighted).
    sum_to_one : bool
        Whether the weights were constrained to sum to 1.
    fit : LeastSquaresResult
        The underlying fit (of the free weights).
    notes : tuple of str
        Warnings.
    """

    names: tuple[str, ...]
    weights: np.ndarray
    stderr: np.ndarray
    ci95: np.ndarray
    energy_eV: np.ndarray
    data: np.ndarray
    model: np.ndarray
    r_factor: float
    reduced_chi2: float
    sum_to_one: bool
    fit: LeastSquaresResult
    notes: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> float:
        """Weight of the reference ``name``."""
        if name not in self.names:
            from metalair.errors import KeyNotFoundError

            raise KeyNotFoundError(f"no reference {name!r}; references: {', '.join(self.names)}")
        return float(self.weights[self.names.index(name)])

    def table(self) -> str:
        """Plain-text summary."""
        lines = [f"{'reference':<24} {'weight':>9} {'stderr':>9}  95 % interval"]
        for n, w, s, (lo, hi) in zip(self.names, self.weights, self.stderr, self.ci95):
            lines.append(f"{n:<24} {w:9.4f} {s:9.4f}  [{lo:.4f}, {hi:.4f}]")
        lines.append(f"R factor {self.r_factor:.3g}; weights {'sum to 1' if self.sum_to_one else 'free'}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def linear_combination(target: XasSpectrum, references: Sequence[XasSpectrum], *,
                       fit_range_eV: tuple[float, float] = (-20.0, 30.0), sum_to_one: bool = True,
                       nonnegative: bool = True, e0_method: str = "derivative",
                       **normalize_kwargs: Any) -> LcfResult:
    """Fit the normalised target by a weighted sum of normalised references.

    Parameters
    ----------
    target : XasSpectrum
        The spectrum to decompose.
    references : sequence of XasSpectrum
        Components (two or more with ``sum_to_one``); they must cover the fit range.
    fit_range_eV : (float, float)
        Range relative to the target's E0 [eV].
    sum_to_one : bool
        Constrain the weights to sum to 1.
    nonnegative : bool
        Bound the free weights to [0, 1] (``sum_to_one``) or [0, ∞).
    e0_method : str
        E0 definition for the normalisations.
    **normalize_kwargs
        Ranges for :func:`normalize` (applied to every spectrum).

    Returns
    -------
    LcfResult

    Raises
    ------
    ParameterError
        Too few references, a bad range, references not covering the range.

    References
    ----------
    Calvin, S. XAFS for Everyone, ch. 10 (CRC Press, 2013). doi:10.1201/b14843
    """
    from scipy.stats import t as student_t

    tgt = normalize(_check_spectrum(target, "target"), e0_method=e0_method, **normalize_kwargs)
    if isinstance(references, XasSpectrum) or isinstance(references, (str, bytes)):
        raise ParameterError("references must be a list of XasSpectrum (one per reference compound), got one "
                             f"{type(references).__name__}")
    refs = [_check_spectrum(r, f"references[{k}]") for k, r in enumerate(references)]
    if len(refs) < (2 if sum_to_one else 1):
        raise ParameterError(f"{len(refs)} reference(s): a linear combination summing to 1 needs at least two")
    try:
        lo, hi = (float(x) for x in fit_range_eV)
    except (TypeError, ValueError):
        raise ParameterError(f"fit_range_eV = {fit_range_eV!r} must be (low, high) in eV relative to E0") from None
    if not lo < hi:
        raise ParameterError(f"fit_range_eV = {fit_range_eV!r}: low must be below high")
    e = tgt.energy_eV
    sel = (e >= tgt.e0_eV + lo) & (e <= tgt.e0_eV + hi)
    x, y = e[sel], tgt.norm[sel]
    if x.size < 2:
        raise ParameterError(
            f"fit_range_eV = {fit_range_eV!r} eV relative to E0 holds {x.size} point(s) of the target "
            f"{target.name!r}, which covers {e[0] - tgt.e0_eV:+.4g} to {e[-1] - tgt.e0_eV:+.4g} eV around its E0 "
            f"({tgt.e0_eV:.6g} eV): give a range inside that, relative to E0 (default (-20, 30))")
    names = []
    comps = []
    for k, r in enumerate(refs):
        nr = normalize(_check_spectrum(r, f"references[{k}]"), e0_method=e0_method, **normalize_kwargs)
        if nr.energy_eV[0] > x[0] or nr.energy_eV[-1] < x[-1]:
            raise ParameterError(
                f"reference {r.name!r} covers {nr.energy_eV[0]:.6g}-{nr.energy_eV[-1]:.6g} eV, not the fit range "
                f"{x[0]:.6g}-{x[-1]:.6g} eV"
            )
        comps.append(np.interp(x, nr.energy_eV, nr.norm))
        names.append(r.name or f"reference {k}")
    if len(set(names)) != len(names):
        names = [f"{n} [{k}]" for k, n in enumerate(names)]
    B = np.column_stack(comps)
    n = B.shape[1]
    if x.size <= n:
        raise ParameterError(f"only {x.size} points in the fit range for {n} weights")
    if sum_to_one:
        free = n - 1
        A = np.vstack([np.eye(free), -np.ones((1, free))])
        b0 = np.zeros(n)
        b0[-1] = 1.0
    else:
        free = n
        A, b0 = np.eye(n), np.zeros(n)

    def resid(p: np.ndarray) -> np.ndarray:
        return B @ (A @ p + b0) - y

    upper = 1.0 if sum_to_one else np.inf
    bounds = (0.0, upper) if nonnegative else (-np.inf, np.inf)
    x0 = np.full(free, 1.0 / n)
    fit = fit_least_squares(resid, x0, names=names[:free], bounds=bounds, jac=lambda p: B @ A, n_starts=1)
    w = A @ fit.values + b0
    cov = A @ fit.covariance @ A.T
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    q = float(student_t.ppf(0.975, fit.dof))
    model = B @ w
    notes = []
    if nonnegative and sum_to_one and w[-1] < 0:
        notes.append(f"the last weight ({names[-1]}) is {w[-1]:.3g} < 0: the references do not bracket the target")
    if fit.at_bounds:
        notes.append(f"weights at a bound: {', '.join(fit.at_bounds)}")
    return LcfResult(
        names=tuple(names), weights=w, stderr=se, ci95=np.column_stack([w - q * se, w + q * se]), energy_eV=x,
        data=y, model=model, r_factor=float(np.sum((y - model) ** 2) / np.sum(y**2)),
        reduced_chi2=fit.reduced_chi2, sum_to_one=sum_to_one, fit=fit, notes=tuple(notes),
    )
