"""One nonlinear least-squares core with bounds, covariance and confidence intervals.

Every fit in metalair (model parameters against cycler curves, Curie–Weiss,
peak shapes, linear combinations of spectra) goes through
:func:`fit_least_squares`, or, where a caller runs its own optimiser, through
:func:`linearised_uncertainty`, so the statistics are computed in one place.

>>> import numpy as np
>>> x = np.linspace(0.0, 1.0, 11)
>>> y = 2.0 * x + 1.0
>>> fit = fit_least_squares(lambda p: p[0] * x + p[1] - y, [1.0, 0.0], names=["slope", "offset"])
>>> round(fit["slope"], 6), round(fit["offset"], 6)
(2.0, 1.0)

What is computed
----------------
Optimiser
    :func:`scipy.optimize.least_squares`, trust-region reflective (``"trf"``),
    which honours bounds; ``x_scale="jac"`` by default. Parameters named in
    ``log_params`` are optimised as log10 of their value (they must be
    positive), which suits rate constants spanning decades.
Covariance
    From the Jacobian J of the (weighted) residuals at the optimum, in the
    space the parameters were fitted in: cov = s² (JᵀJ)⁻¹, computed through a
    singular-value decomposition of J with unit-norm columns. s² = χ²/(m − n)
    (m residuals, n parameters) unless ``absolute_sigma`` is true, in which
    case the residuals are taken to be already divided by their known
    standard deviations and s² = 1. Without an analytic Jacobian the one at
    the optimum is a central difference (step ε^(1/3)·max(|x|, 1) with ε the
    double-precision machine epsilon), one-sided at a bound.
Intervals
    Estimate ± q·stderr, with q the 0.975 quantile of Student's t with m − n
    degrees of freedom, or of the standard normal distribution when
    ``absolute_sigma`` is true (the variance is then known, not estimated).
    For log10-fitted parameters the interval is computed in log10 space and
    transformed back (so it is asymmetric), and the standard error is the
    delta-method value x·ln(10)·stderr(log10 x). These are the usual
    linearised (Wald) intervals; they assume independent errors and a model
    that describes the data.
Information criteria
    With estimated variance (``absolute_sigma`` false), the Gaussian
    log-likelihood with the variance profiled out gives
    AIC = m ln(χ²/m) + 2n and BIC = m ln(χ²/m) + n ln m; with known variance
    AIC = χ² + 2n and BIC = χ² + n ln m. Both omit constants that cancel when
    models of the same data are compared.

References
----------
.. [1] Branch, M. A., Coleman, T. F. & Li, Y. A subspace, interior, and
   conjugate gradient method for large-scale bound-constrained minimization
   problems. SIAM J. Sci. Comput. 21, 1–23 (1999). doi:10.1137/S1064827595289108
.. [2] Seber, G. A. F. & Wild, C. J. Nonlinear Regression, ch. 5 (Wiley, 1989).
   doi:10.1002/0471725315
.. [3] Akaike, H. A new look at the statistical model identification. IEEE
   Trans. Autom. Control 19, 716–723 (1974). doi:10.1109/TAC.1974.1100705
.. [4] Schwarz, G. Estimating the dimension of a model. Ann. Stat. 6, 461–464
   (1978). doi:10.1214/aos/1176344136
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metalair._validation import check_seed
from metalair.errors import KeyNotFoundError, ParameterError

__all__ = [
    "LeastSquaresResult",
    "Uncertainty",
    "fit_least_squares",
    "linearised_uncertainty",
]

#: A Jacobian whose unit-column-norm form has singular values spread by more
#: than this ratio (cond(JᵀJ) above 1e12) does not determine all parameters.
_RCOND = 1e-6
_FD_STEP = float(np.finfo(float).eps) ** (1.0 / 3.0)


@dataclass(frozen=True, eq=False)
class LeastSquaresResult:
    """Result of :func:`fit_least_squares`.

    Attributes
    ----------
    names : tuple of str
        Parameter names, in the order of every array here.
    values : ndarray
        Best-fit values (in the parameters' own units, also for log10-fitted ones).
    stderr : ndarray
        Standard errors (NaN where the data do not determine a parameter).
    ci95 : ndarray, shape (n, 2)
        95 % confidence intervals (low, high).
    covariance : ndarray, shape (n, n)
        Covariance of the values (delta method for log10-fitted parameters).
    correlation : ndarray, shape (n, n)
        Correlation matrix.
    residuals : ndarray
        Residuals at the optimum, as the residual function returns them
        (weighted, if the caller weights them).
    chi2 : float
        Sum of squared residuals.
    dof : int
        Degrees of freedom, number of residuals minus number of parameters.
    reduced_chi2 : float
        ``chi2 / dof``.
    aic, bic : float
        Akaike and Bayesian information criteria (see the module notes).
    success : bool
        Whether the optimiser reports convergence.
    message : str
        The optimiser's message, plus notes (several starts, singular Jacobian).
    n_evaluations : int
        Residual-function evaluations over all starts (finite-difference ones included).
    at_bounds : tuple of str
        Parameters that ended on a bound (their interval is not meaningful there).
    log_params : tuple of str
        Parameters that were fitted as log10 of their value.
    absolute_sigma : bool
        Whether the residuals were taken as divided by known standard deviations.
    """

    names: tuple[str, ...]
    values: np.ndarray
    stderr: np.ndarray
    ci95: np.ndarray
    covariance: np.ndarray
    correlation: np.ndarray
    residuals: np.ndarray
    chi2: float
    dof: int
    reduced_chi2: float
    aic: float
    bic: float
    success: bool
    message: str
    n_evaluations: int
    at_bounds: tuple[str, ...]
    log_params: tuple[str, ...] = ()
    absolute_sigma: bool = False

    def _index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            close = difflib.get_close_matches(str(name), self.names, n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise KeyNotFoundError(
                f"no fitted parameter {name!r}{hint} (fitted: {', '.join(self.names)})"
            ) from None

    def __getitem__(self, name: str) -> float:
        """Best-fit value of the parameter ``name``."""
        return float(self.values[self._index(name)])

    def stderr_of(self, name: str) -> float:
        """Standard error of the parameter ``name``."""
        return float(self.stderr[self._index(name)])

    def interval(self, name: str) -> tuple[float, float]:
        """95 % confidence interval (low, high) of the parameter ``name``."""
        lo, hi = self.ci95[self._index(name)]
        return float(lo), float(hi)

    def as_dict(self) -> dict[str, Any]:
        """Plain-Python (JSON-ready; NaN becomes None) description of the fit."""

        def f(x: float) -> float | None:
            x = float(x)
            return x if math.isfinite(x) else None

        return {
            "parameters": {
                n: {"value": f(v), "stderr": f(s), "ci95": [f(lo), f(hi)]}
                for n, v, s, (lo, hi) in zip(self.names, self.values, self.stderr, self.ci95)
            },
            "correlation": [[f(x) for x in row] for row in self.correlation],
            "chi2": f(self.chi2),
            "dof": int(self.dof),
            "reduced_chi2": f(self.reduced_chi2),
            "aic": f(self.aic),
            "bic": f(self.bic),
            "success": bool(self.success),
            "message": self.message,
            "n_evaluations": int(self.n_evaluations),
            "at_bounds": list(self.at_bounds),
            "log_params": list(self.log_params),
            "absolute_sigma": bool(self.absolute_sigma),
        }

    def table(self) -> str:
        """Plain-text table of values, standard errors and intervals."""
        width = max([9, *(len(n) for n in self.names)])
        lines = [f"{'parameter':<{width}}  {'value':>13}  {'stderr':>11}  {'95 % interval':>29}"]
        for n, v, s, (lo, hi) in zip(self.names, self.values, self.stderr, self.ci95):
            lines.append(f"{n:<{width}}  {v:>13.6g}  {s:>11.4g}  [{lo:>12.6g}, {hi:>12.6g}]")
        lines.append(f"chi2 = {self.chi2:.6g}, dof = {self.dof}, reduced chi2 = {self.reduced_chi2:.4g}")
        if self.at_bounds:
            lines.append(f"at a bound: {', '.join(self.at_bounds)}")
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class Uncertainty:
    """Linearised uncertainty of a fit, in the space it was fitted in (see :func:`linearised_uncertainty`).

    Attributes
    ----------
    covariance : ndarray
        Covariance in fit space (NaN when singular).
    stderr : ndarray
        Standard errors in fit space.
    correlation : ndarray
        Correlation matrix.
    quantile : float
        Multiplier of the standard error for a two-sided 95 % interval.
    singular : bool
        Whether JᵀJ was (numerically) singular.
    """

    covariance: np.ndarray
    stderr: np.ndarray
    correlation: np.ndarray
    quantile: float
    singular: bool

    def ci95(self, z: np.ndarray) -> np.ndarray:
        """Intervals z ± quantile·stderr, shape (n, 2)."""
        z = np.asarray(z, dtype=float)
        return np.column_stack([z - self.quantile * self.stderr, z + self.quantile * self.stderr])


def linearised_uncertainty(jacobian: np.ndarray, residuals: np.ndarray, *, absolute_sigma: bool = False,
                           rcond: float = _RCOND) -> Uncertainty:
    """Covariance, standard errors and 95 % quantile from the Jacobian at the optimum.

    Parameters
    ----------
    jacobian : ndarray, shape (m, n)
        Jacobian of the (weighted) residuals with respect to the fitted parameters.
    residuals : ndarray, shape (m,)
        Residuals at the optimum.
    absolute_sigma : bool
        Residuals are already divided by known standard deviations: s² = 1 and
        the normal quantile; otherwise s² = χ²/(m − n) and Student's t.
    rcond : float
        Singular values of the unit-column-norm Jacobian below ``rcond`` times
        the largest mark it singular (no intervals: all NaN).

    Returns
    -------
    Uncertainty

    References
    ----------
    Seber, G. A. F. & Wild, C. J. Nonlinear Regression, §5.1 (Wiley, 1989).
    doi:10.1002/0471725315
    """
    from scipy.stats import norm
    from scipy.stats import t as student_t

    J = np.asarray(jacobian, dtype=float)
    r = np.asarray(residuals, dtype=float).ravel()
    if J.ndim != 2 or J.shape[0] != r.size:
        raise ParameterError(f"jacobian has shape {J.shape}; expected ({r.size}, n) for {r.size} residuals")
    m, n = J.shape
    dof = m - n
    if dof <= 0:
        raise ParameterError(f"{m} residuals for {n} parameters: need more residuals than parameters for intervals")
    if absolute_sigma:
        s2, q = 1.0, float(norm.ppf(0.975))
    else:
        s2, q = float(r @ r) / dof, float(student_t.ppf(0.975, dof))
    nan = np.full((n, n), math.nan)
    singular = True
    cov = nan
    if np.all(np.isfinite(J)):
        norms = np.sqrt(np.sum(J * J, axis=0))
        if np.all(norms > 0):
            _u, sv, vt = np.linalg.svd(J / norms, full_matrices=False)
            if sv[-1] > rcond * sv[0]:
                inner = (vt.T / sv**2) @ vt
                cov = s2 * inner / np.outer(norms, norms)
                singular = False
    diag = np.diag(cov)
    se = np.where(np.isfinite(diag), np.sqrt(np.clip(diag, 0.0, None)), math.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(se, se)
    if not singular:
        np.fill_diagonal(corr, 1.0)
    return Uncertainty(covariance=cov, stderr=se, correlation=corr, quantile=q, singular=singular)


# ---------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------
def _names(names: Sequence[str] | None, n: int) -> tuple[str, ...]:
    if names is None:
        return tuple(f"p{k}" for k in range(n))
    if isinstance(names, str):
        names = [s.strip() for s in names.split(",")]
    out = tuple(str(s) for s in names)
    if len(out) != n:
        raise ParameterError(f"{len(out)} names for {n} starting values; give one name per parameter")
    dup = sorted({s for s in out if out.count(s) > 1})
    if dup:
        raise ParameterError(f"parameter names must be unique; repeated: {', '.join(dup)}")
    return out


def _bounds(bounds: Any, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    n = len(names)
    lo, hi = np.full(n, -math.inf), np.full(n, math.inf)
    if bounds is None:
        return lo, hi
    if isinstance(bounds, Mapping):
        unknown = [k for k in bounds if k not in names]
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), names, n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ParameterError(
                f"bounds given for unknown parameter {unknown[0]!r}{hint} (parameters: {', '.join(names)})"
            )
        for k, pair in bounds.items():
            try:
                a, b = pair
            except (TypeError, ValueError):
                raise ParameterError(f"bounds[{k!r}] = {pair!r} must be a pair (low, high)") from None
            j = names.index(k)
            lo[j] = -math.inf if a is None else a
            hi[j] = math.inf if b is None else b
    else:
        try:
            a, b = bounds
            lo = np.broadcast_to(np.asarray(a, dtype=float), (n,)).copy()
            hi = np.broadcast_to(np.asarray(b, dtype=float), (n,)).copy()
        except (TypeError, ValueError):
            raise ParameterError(
                f"bounds = {bounds!r} must be (low, high) with scalars or {n} values each, "
                "or a mapping name -> (low, high)"
            ) from None
    for j, s in enumerate(names):
        if math.isnan(lo[j]) or math.isnan(hi[j]):
            raise ParameterError(f"bounds of {s!r} contain NaN")
        if not lo[j] < hi[j]:
            raise ParameterError(f"bounds of {s!r} = ({lo[j]:g}, {hi[j]:g}): the low bound must be below the high one")
    return lo, hi


class _Counted:
    """Residual function in fit space with a call counter and shape/finiteness checks."""

    def __init__(self, fun: Callable[[np.ndarray], Any], to_x: Callable[[np.ndarray], np.ndarray],
                 names: tuple[str, ...]):
        self.fun, self.to_x, self.names = fun, to_x, names
        self.count = 0
        self.size: int | None = None

    def __call__(self, z: np.ndarray) -> np.ndarray:
        x = self.to_x(np.asarray(z, dtype=float))
        self.count += 1
        r = np.asarray(self.fun(x.copy()), dtype=float)
        if r.ndim != 1:
            r = r.ravel() if r.size else r
        if self.size is None:
            self.size = r.size
        elif r.size != self.size:
            raise ParameterError(f"the residual function returned {r.size} values, earlier {self.size}")
        if not np.all(np.isfinite(r)):
            bad = int(np.count_nonzero(~np.isfinite(r)))
            at = ", ".join(f"{s}={v:.6g}" for s, v in zip(self.names, x))
            raise ParameterError(
                f"the residual function returned {bad} non-finite value(s) of {r.size} at {at}; "
                "check the model there, or bound the parameters to where it is defined"
            )
        return r


def _central_jacobian(fun: Callable[[np.ndarray], np.ndarray], z: np.ndarray, f0: np.ndarray,
                      lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    J = np.empty((f0.size, z.size))
    for j in range(z.size):
        h = _FD_STEP * max(abs(z[j]), 1.0)
        zp, zm = z.copy(), z.copy()
        if z[j] + h <= hi[j] and z[j] - h >= lo[j]:
            zp[j] += h
            zm[j] -= h
            J[:, j] = (fun(zp) - fun(zm)) / (zp[j] - zm[j])
        elif z[j] + h <= hi[j]:
            zp[j] += h
            J[:, j] = (fun(zp) - f0) / (zp[j] - z[j])
        else:
            zm[j] -= h
            J[:, j] = (f0 - fun(zm)) / (z[j] - zm[j])
    return J


#: A fitted value within this fraction of its bound range of a bound counts as at the bound (the optimiser
#: stops a little inside an active bound, by up to ~1e-5 of the range in the trust-region reflective method).
AT_BOUND_FRACTION = 1e-4


def fit_least_squares(
    residuals: Callable[[np.ndarray], np.ndarray],
    x0: Sequence[float] | np.ndarray,
    *,
    names: Sequence[str] | None = None,
    bounds: Any = None,
    jac: Callable[[np.ndarray], np.ndarray] | None = None,
    x_scale: Any = "jac",
    max_nfev: int | None = None,
    tol: float = 1e-10,
    absolute_sigma: bool = False,
    n_starts: int = 1,
    seed: int | None = None,
    log_params: Iterable[str] = (),
) -> LeastSquaresResult:
    """Minimise the sum of squared residuals with bounds, and report intervals.

    Parameters
    ----------
    residuals : callable
        ``residuals(x) -> ndarray`` of shape (m,), m > n; weight them (divide
        by the standard deviation of each point) if the points differ in precision.
    x0 : sequence of float
        Starting values (n of them), inside the bounds.
    names : sequence of str, optional
        Parameter names (default ``p0, p1, ...``).
    bounds : (low, high) or mapping name -> (low, high), optional
        Bounds as in :func:`scipy.optimize.least_squares` (scalars or one value
        per parameter; ``±inf`` for none), or per named parameter.
    jac : callable, optional
        ``jac(x) -> ndarray (m, n)``, the Jacobian of the residuals with
        respect to x (in the parameters' own units, also for log10-fitted
        ones). Default: finite differences (``"2-point"`` while optimising, a
        central difference at the optimum).
    x_scale : "jac" or array_like
        Passed to ``least_squares``.
    max_nfev : int, optional
        Largest number of residual evaluations per start (default: scipy's, 100 n).
    tol : float
        ``ftol``, ``xtol`` and ``gtol`` of ``least_squares``.
    absolute_sigma : bool
        The residuals are divided by known standard deviations: the
        covariance is not rescaled by the reduced χ² and intervals use the
        normal quantile.
    n_starts : int
        Number of starts: ``x0`` and ``n_starts − 1`` random perturbations of
        it, normally distributed in fit space with a standard deviation of a
        quarter of the bound width where both bounds are finite, else 25 % of
        the value (0.5 decade for log10-fitted parameters), kept inside the
        bounds; the start with the lowest χ² is kept.
    seed : int, optional
        Seed of the perturbations.
    log_params : iterable of str
        Names of parameters fitted as log10(value); they must start, and be
        bounded, above zero.

    Returns
    -------
    LeastSquaresResult

    Raises
    ------
    ParameterError
        Non-finite or out-of-bounds starting values, inconsistent bounds or
        names, non-finite residuals, fewer residuals than parameters.

    References
    ----------
    Branch, M. A., Coleman, T. F. & Li, Y. SIAM J. Sci. Comput. 21, 1–23 (1999).
    doi:10.1137/S1064827595289108 (trust-region reflective algorithm).
    Seber, G. A. F. & Wild, C. J. Nonlinear Regression (Wiley, 1989).
    doi:10.1002/0471725315 (linearised covariance and intervals).
    """
    from scipy.optimize import least_squares

    if not callable(residuals):
        raise ParameterError(f"residuals must be a callable residuals(x) -> array, got {type(residuals).__name__}")
    try:
        x0a = np.atleast_1d(np.asarray(x0, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise ParameterError(f"x0 = {x0!r} must be a sequence of numbers") from None
    n = x0a.size
    if n == 0:
        raise ParameterError("x0 is empty: give at least one starting value")
    pnames = _names(names, n)
    bad = [f"{s}={v}" for s, v in zip(pnames, x0a) if not math.isfinite(v)]
    if bad:
        raise ParameterError(f"starting values must be finite: {', '.join(bad)}")
    lo, hi = _bounds(bounds, pnames)
    outside = [f"{s}={v:g} not in [{a:g}, {b:g}]" for s, v, a, b in zip(pnames, x0a, lo, hi) if not a <= v <= b]
    if outside:
        raise ParameterError(f"starting values outside their bounds: {'; '.join(outside)}")
    logs = tuple(dict.fromkeys(str(s) for s in log_params))
    for s in logs:
        if s not in pnames:
            close = difflib.get_close_matches(s, pnames, n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise ParameterError(f"log_params names unknown parameter {s!r}{hint}")
    is_log = np.array([s in logs for s in pnames])
    for j in np.flatnonzero(is_log):
        if not x0a[j] > 0:
            raise ParameterError(f"{pnames[j]} = {x0a[j]:g} is fitted as log10 and must start above 0")
        lo[j] = max(lo[j], 0.0)
    if not (isinstance(n_starts, int) and not isinstance(n_starts, bool) and n_starts >= 1):
        raise ParameterError(f"n_starts = {n_starts!r} must be a positive integer")
    seed = check_seed(seed)
    if max_nfev is not None and not (isinstance(max_nfev, int) and max_nfev >= 1):
        raise ParameterError(f"max_nfev = {max_nfev!r} must be a positive integer or None")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ParameterError(f"tol = {tol!r} must be a number in (0, 1)")

    with np.errstate(divide="ignore"):
        zlo = np.where(is_log, np.log10(np.maximum(lo, 0.0)), lo)
        zhi = np.where(is_log, np.log10(np.where(is_log, np.maximum(hi, 0.0), 1.0)), hi)
    zhi = np.where(is_log, np.where(np.isinf(hi), math.inf, zhi), hi)

    def to_x(z: np.ndarray) -> np.ndarray:
        return np.where(is_log, np.power(10.0, np.where(is_log, z, 0.0)), z)

    def to_z(x: np.ndarray) -> np.ndarray:
        return np.where(is_log, np.log10(np.where(is_log, x, 1.0)), x)

    fun = _Counted(residuals, to_x, pnames)
    z0 = to_z(x0a)
    r0 = fun(z0)
    m = r0.size
    if m <= n:
        raise ParameterError(f"the residual function returns {m} values for {n} parameters; need more than {n}")

    jac_z: Any = "2-point"
    if jac is not None:
        if not callable(jac):
            raise ParameterError("jac must be a callable jac(x) -> (m, n) array, or None")

        def jac_z(z: np.ndarray) -> np.ndarray:
            x = to_x(np.asarray(z, dtype=float))
            Jx = np.asarray(jac(x.copy()), dtype=float)
            if Jx.shape != (m, n):
                raise ParameterError(f"jac returned shape {Jx.shape}; expected ({m}, {n})")
            return Jx * np.where(is_log, x * math.log(10.0), 1.0)

    starts = [z0]
    if n_starts > 1:
        rng = np.random.default_rng(seed)
        width = zhi - zlo
        spread = np.where(np.isfinite(width), 0.25 * width,
                          np.where(is_log, 0.5, 0.25 * np.maximum(np.abs(z0), 1e-12)))
        margin = np.where(np.isfinite(width), 1e-6 * width, 0.0)
        for _ in range(n_starts - 1):
            z = z0 + spread * rng.standard_normal(n)
            starts.append(np.clip(z, zlo + margin, zhi - margin))

    best = None
    messages = []
    for z_start in starts:
        try:
            res = least_squares(fun, z_start, jac=jac_z, bounds=(zlo, zhi), method="trf", x_scale=x_scale,
                                ftol=tol, xtol=tol, gtol=tol, max_nfev=max_nfev)
        except ParameterError:
            if len(starts) == 1:
                raise
            messages.append("a start failed (non-finite residuals)")
            continue
        if best is None or res.cost < best.cost:
            best = res
    if best is None:
        raise ParameterError("every start failed with non-finite residuals; check the model and the bounds")
    z = np.asarray(best.x, dtype=float)
    r = fun(z)
    chi2 = float(r @ r)
    if jac is not None:
        J = jac_z(z)
    else:
        J = _central_jacobian(fun, z, r, zlo, zhi)
    unc = linearised_uncertainty(J, r, absolute_sigma=absolute_sigma)
    x = to_x(z)
    ci_z = unc.ci95(z)
    with np.errstate(over="ignore", invalid="ignore"):
        ci = np.where(is_log[:, None], np.power(10.0, ci_z), ci_z)
    d = np.where(is_log, x * math.log(10.0), 1.0)
    cov = unc.covariance * np.outer(d, d)
    se = unc.stderr * d

    width = zhi - zlo
    tol_b = np.where(np.isfinite(width), AT_BOUND_FRACTION * width, 1e-10 * np.maximum(np.abs(z), 1.0))
    at_bounds = tuple(s for s, zz, a, b, t in zip(pnames, z, zlo, zhi, tol_b) if zz - a <= t or b - zz <= t)

    dof = m - n
    if absolute_sigma:
        aic, bic = chi2 + 2 * n, chi2 + n * math.log(m)
    else:
        ll = m * math.log(chi2 / m) if chi2 > 0 else -math.inf
        aic, bic = ll + 2 * n, ll + n * math.log(m)
    message = str(best.message)
    if n_starts > 1:
        messages.append(f"best of {n_starts} starts")
    if unc.singular:
        messages.append("the data do not determine all parameters separately (singular Jacobian); no intervals")
    if at_bounds:
        messages.append(f"at a bound: {', '.join(at_bounds)}")
    if messages:
        message += "; " + "; ".join(messages)
    return LeastSquaresResult(
        names=pnames, values=x, stderr=se, ci95=ci, covariance=cov, correlation=unc.correlation, residuals=r,
        chi2=chi2, dof=dof, reduced_chi2=chi2 / dof, aic=float(aic), bic=float(bic), success=bool(best.status > 0),
        message=message, n_evaluations=fun.count, at_bounds=at_bounds, log_params=logs,
        absolute_sigma=bool(absolute_sigma),
    )
