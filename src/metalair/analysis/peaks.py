"""Baselines, peak shapes, peak finding and peak fitting shared by Raman and diffraction.

Definitions (stated once)
-------------------------
Asymmetric least squares (ALS) baseline
    z minimises Σ wᵢ(yᵢ − zᵢ)² + λ Σ(Δ²zᵢ)² with weights wᵢ = p where yᵢ > zᵢ
    and 1 − p elsewhere, re-weighted ``n_iter`` times (Eilers & Boelens
    2005); λ sets the stiffness (in points², larger is smoother), p the
    asymmetry (small p keeps the baseline under the peaks).
Peak shapes (height-normalised, full width at half maximum w)
    Lorentzian L = 1/(1 + 4u²), Gaussian G = exp(−4 ln2 u²) with
    u = (x − x0)/w, pseudo-Voigt V = η L + (1 − η) G, 0 ≤ η ≤ 1
    (Thompson, Cox & Hastings 1987 use the same linear mixture). Area =
    height·w·[η π/2 + (1 − η)·√(π/(4 ln 2))].
Peak finding
    Local maxima of the baseline-subtracted signal whose prominence and
    height above zero both exceed ``min_prominence`` times the noise (the median absolute deviation of
    the point-to-point differences, scaled to a standard deviation), or a
    given absolute prominence.
Peak fitting
    The peaks of one group (peaks closer than ``group_width`` widths) are
    fitted together with a straight local background through
    :func:`metalair.analysis.least_squares.fit_least_squares`; intervals are
    Student-t 95 % from the covariance rescaled by the reduced χ².
Doublets
    Given a companion rule c₂(c) and a height ratio r, each peak is the sum
    of its line at c and a companion of the same shape and width at c₂(c),
    r times as high (a Cu Kα1/Kα2 doublet, c₂ from Bragg's law). Only the
    main line's position, height and width are free: the companion adds no
    parameter, so the intervals are those of the main line. Where c₂(c) is
    not finite (a Kα2 line that would lie beyond 180° 2θ) the peak has no
    companion.

References
----------
.. [1] Eilers, P. H. C. & Boelens, H. F. M. Baseline correction with
   asymmetric least squares smoothing. Leiden University Medical Centre
   report (2005).
.. [2] Thompson, P., Cox, D. E. & Hastings, J. B. Rietveld refinement of
   Debye–Scherrer synchrotron X-ray data from Al2O3. J. Appl. Cryst. 20,
   79–83 (1987). doi:10.1107/S0021889887087090
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metalair.analysis._arguments import number, pair, whole_number
from metalair.analysis.least_squares import LeastSquaresResult, fit_least_squares
from metalair.errors import DataFormatError, ParameterError

__all__ = [
    "baseline_corrected",
    "stiffness_for_step",
    "als_baseline",
    "lorentzian",
    "gaussian",
    "pseudo_voigt",
    "find_peaks",
    "noise_level",
    "fit_peaks",
    "FittedPeak",
    "PEAK_SHAPES",
    "peak_search_options",
]

#: Shapes :func:`fit_peaks` accepts.
PEAK_SHAPES = ("pseudo-voigt", "lorentzian", "gaussian")
_G_AREA = math.sqrt(math.pi / (4.0 * math.log(2.0)))


def lorentzian(x: np.ndarray, center: float, height: float, fwhm: float) -> np.ndarray:
    """Height-normalised Lorentzian (module notes)."""
    u = (np.asarray(x, dtype=float) - center) / fwhm
    return height / (1.0 + 4.0 * u * u)


def gaussian(x: np.ndarray, center: float, height: float, fwhm: float) -> np.ndarray:
    """Height-normalised Gaussian (module notes)."""
    u = (np.asarray(x, dtype=float) - center) / fwhm
    return height * np.exp(-4.0 * math.log(2.0) * u * u)


def pseudo_voigt(x: np.ndarray, center: float, height: float, fwhm: float, eta: float) -> np.ndarray:
    """Pseudo-Voigt η·L + (1 − η)·G with a common FWHM (module notes).

    References
    ----------
    Thompson, P., Cox, D. E. & Hastings, J. B. J. Appl. Cryst. 20, 79–83 (1987).
    doi:10.1107/S0021889887087090
    """
    return eta * lorentzian(x, center, height, fwhm) + (1.0 - eta) * gaussian(x, center, height, fwhm)


def _area(height: float, fwhm: float, eta: float) -> float:
    return height * fwhm * (eta * math.pi / 2.0 + (1.0 - eta) * _G_AREA)


def _check_stiffness(lam: Any, owner: str = "") -> None:
    """Refuse an ALS stiffness that is not a positive finite number (``owner`` names the function refusing it)."""
    if isinstance(lam, bool) or not (isinstance(lam, (int, float)) and lam > 0 and math.isfinite(lam)):
        raise ParameterError(f"{owner + ': ' if owner else ''}lam = {lam!r} must be a positive number (the "
                             "baseline's stiffness, e.g. 1e5)")


def stiffness_for_step(x: np.ndarray, lam: float, lam_step: float) -> float:
    """The ALS stiffness for the grid of ``x`` that smooths as ``lam`` does on a grid of step ``lam_step``.

    The penalty sums squared second differences, and a second difference of a curve is its curvature
    times the step squared: for the same physical smoothness (the same baseline in x units), λ scales
    as Δx⁻⁴. Without this a spectrum sampled twice as finely gets a baseline 16 times as flexible,
    which eats broad bands (a 150 cm⁻¹ carbon D band lost 91 % of its height on a 0.5 cm⁻¹ grid with
    the λ that fits it on a 1 cm⁻¹ grid).
    """
    _check_stiffness(lam)
    steps = np.abs(np.diff(np.asarray(x, dtype=float)))
    steps = steps[steps > 0]
    if steps.size == 0:
        return float(lam)
    return float(lam * (lam_step / float(np.median(steps))) ** 4)


def baseline_corrected(x: np.ndarray, y: np.ndarray, x_range: Any, name: str, range_name: str, *,
                       lam: float, p: float, owner: str = "baseline_corrected", unit: str = "",
                       lam_step: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, y, y - baseline)`` of a 1-D spectrum within ``x_range`` (an ALS baseline, :func:`als_baseline`).

    ``owner`` is the function whose argument ``range_name`` is, and ``unit`` that of x, named in a refusal.
    With ``lam_step``, ``lam`` is the stiffness for a grid of that step, scaled to the spectrum's own step
    (:func:`stiffness_for_step`); without it, ``lam`` is used per point as given.

    Raises
    ------
    ParameterError
        A range that is not a pair (low, high) of numbers with low below high.
    DataFormatError
        Fewer than 20 points in the range.
    """
    span = f"{float(np.min(x)):g}-{float(np.max(x)):g}{' ' + unit if unit else ''}" if x.size else "no points"
    if x_range is not None:
        lo, hi = pair(owner, range_name, x_range, unit=unit)
        sel = (x >= lo) & (x <= hi)
        x, y = x[sel], y[sel]
        if x.size < 20:
            raise DataFormatError(f"{name}: {x.size} points in the range {lo:g}-{hi:g}{' ' + unit if unit else ''} "
                                  f"given; the data span {span}; need at least 20 points: give a "
                                  "range inside the data")
    if x.size < 20:
        raise DataFormatError(f"{name}: {x.size} points in the range; need at least 20")
    _check_stiffness(lam, owner)
    stiffness = stiffness_for_step(x, lam, lam_step) if lam_step is not None else lam
    return x, y, y - als_baseline(y, lam=stiffness, p=p)


def peak_search_options(owner: str, min_prominence: Any, max_peaks: Any) -> tuple[float, int]:
    """The checked noise threshold (> 0, in units of the noise) and largest number of peaks (>= 1) of a search."""
    threshold = number(owner, "min_prominence", min_prominence, 0.0, lo_open=True,
                       hint="a peak's prominence in units of the noise, e.g. 8")
    return threshold, whole_number(owner, "max_peaks", max_peaks, 1, hint="the most prominent peaks kept")


def als_baseline(y: np.ndarray, *, lam: float = 1e5, p: float = 0.01, n_iter: int = 10) -> np.ndarray:
    """Asymmetric least-squares baseline (Eilers & Boelens 2005).

    Parameters
    ----------
    y : ndarray
        Signal on an (approximately) even grid.
    lam : float
        Smoothness λ > 0 (typical 1e2–1e9).
    p : float
        Asymmetry, 0 < p < 0.5 (typical 0.001–0.05).
    n_iter : int
        Re-weighting passes.

    Returns
    -------
    ndarray
        The baseline.

    References
    ----------
    Eilers, P. H. C. & Boelens, H. F. M. Baseline correction with asymmetric
    least squares smoothing. Leiden University Medical Centre report (2005).
    """
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    yv = np.asarray(y, dtype=float)
    if yv.ndim != 1 or yv.size < 4 or not np.all(np.isfinite(yv)):
        raise ParameterError("als_baseline needs a one-dimensional finite signal of at least 4 points")
    if not (isinstance(lam, (int, float)) and lam > 0 and math.isfinite(lam)):
        raise ParameterError(f"lam = {lam!r} must be a positive number")
    if not (isinstance(p, (int, float)) and 0 < p < 0.5):
        raise ParameterError(f"p = {p!r} must be in (0, 0.5)")
    n = yv.size
    D = sparse.diags([1.0, -2.0, 1.0], [0, -1, -2], shape=(n, n - 2))
    H = lam * (D @ D.T)
    w = np.ones(n)
    z = yv
    for _ in range(max(1, int(n_iter))):
        W = sparse.spdiags(w, 0, n, n)
        z = spsolve((W + H).tocsc(), w * yv)
        w_new = np.where(yv > z, p, 1.0 - p)
        if np.array_equal(w_new, w):
            break
        w = w_new
    return np.asarray(z, dtype=float)


def noise_level(y: np.ndarray, x: np.ndarray | None = None) -> float:
    """Standard deviation of the noise of ``y``, from the median absolute deviation of its differences.

    With ``x`` (ascending), from the departure of each point from the straight line through its two neighbours
    instead, yᵢ − (b yᵢ₋₁ + a yᵢ₊₁) with a, b the neighbours' distances shares (a + b = 1), divided by its
    standard deviation for white noise, σ·√(1 + a² + b²): a slope, and a change of step on an uneven grid, leave
    it at zero, where the differences of a sloping curve sampled at changing steps count their change as noise.
    """
    if x is None:
        d = np.diff(y)
        mad = float(np.median(np.abs(d - np.median(d)))) if d.size else 0.0
        return 1.4826 * mad / math.sqrt(2.0) if mad > 0 else float(np.std(d)) / math.sqrt(2.0) + 1e-300
    yv, xv = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    if xv.shape != yv.shape or xv.ndim != 1:
        raise ParameterError("noise_level: x and y must be one-dimensional arrays of the same length")
    if xv.size < 3 or not (np.all(np.isfinite(xv)) and np.all(np.isfinite(yv))) or np.any(np.diff(xv) <= 0):
        raise ParameterError(f"noise_level: x must be finite and strictly ascending and y finite, with at least 3 "
                             f"points (got {xv.size}); sort a descending axis first")
    h1, h2 = np.diff(xv)[:-1], np.diff(xv)[1:]
    ok = (h1 > 0) & (h2 > 0)
    a, b = h1[ok] / (h1[ok] + h2[ok]), h2[ok] / (h1[ok] + h2[ok])  # weights of the right and left neighbours
    r = (yv[1:-1][ok] - (b * yv[:-2][ok] + a * yv[2:][ok])) / np.sqrt(1.0 + a * a + b * b)
    if r.size == 0:
        return 1e-300
    mad = float(np.median(np.abs(r - np.median(r))))
    return 1.4826 * mad if mad > 0 else float(np.std(r)) + 1e-300


def find_peaks(x: np.ndarray, y: np.ndarray, *, min_prominence: float = 5.0, prominence: float | None = None,
               min_distance: float | None = None) -> np.ndarray:
    """Positions (indices) of peaks in a baseline-subtracted signal (module notes).

    Parameters
    ----------
    x, y : ndarray
        Abscissa (ascending) and signal.
    min_prominence : float
        Prominence threshold in units of the estimated noise.
    prominence : float, optional
        Absolute prominence threshold (overrides ``min_prominence``).
    min_distance : float, optional
        Smallest separation of two peaks, in units of x.

    Returns
    -------
    ndarray of int
        Indices of the peaks, ascending in x.
    """
    from scipy.signal import find_peaks as sp_find_peaks

    xv, yv = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xv.shape != yv.shape or xv.ndim != 1:
        raise ParameterError("x and y must be one-dimensional arrays of the same length")
    thr = float(prominence) if prominence is not None else float(min_prominence) * noise_level(yv)
    kw: dict[str, Any] = {"prominence": thr, "height": thr}
    if min_distance is not None and xv.size > 1:
        step = float(np.median(np.diff(xv)))
        kw["distance"] = max(1, int(round(min_distance / step)))
    idx, _props = sp_find_peaks(yv, **kw)
    return np.asarray(idx, dtype=int)


@dataclass(frozen=True, eq=False)
class FittedPeak:
    """One fitted peak with 95 % intervals.

    Attributes
    ----------
    center, height, fwhm, eta, area : float
        Position, height, full width at half maximum, Lorentzian fraction
        (1 for a Lorentzian, 0 for a Gaussian) and area.
    center_ci95, height_ci95, fwhm_ci95 : (float, float)
        95 % intervals.
    center_stderr, fwhm_stderr : float
        Standard errors.
    shape : str
        Peak shape.
    fit : LeastSquaresResult
        The fit of the peak's group.
    """

    center: float
    height: float
    fwhm: float
    eta: float
    area: float
    center_ci95: tuple[float, float]
    height_ci95: tuple[float, float]
    fwhm_ci95: tuple[float, float]
    center_stderr: float
    fwhm_stderr: float
    shape: str
    fit: LeastSquaresResult

    def as_dict(self) -> dict[str, Any]:
        """Plain numbers."""
        return {
            "center": self.center, "center_ci95": list(self.center_ci95), "height": self.height,
            "height_ci95": list(self.height_ci95), "fwhm": self.fwhm, "fwhm_ci95": list(self.fwhm_ci95),
            "eta": self.eta, "area": self.area, "shape": self.shape,
        }


def _initial_width(x: np.ndarray, y: np.ndarray, k: int) -> float:
    half = y[k] / 2.0
    i = k
    while i > 0 and y[i] > half:
        i -= 1
    j = k
    while j < y.size - 1 and y[j] > half:
        j += 1
    w = float(x[j] - x[i])
    step = float(np.median(np.diff(x)))
    return max(w, 2.0 * step)


class _GroupResidual:
    """Residual of a group of peaks on a straight background, scaled by the data's spread."""

    def __init__(self, x: np.ndarray, y: np.ndarray, n_peaks: int, n_per: int, shape: str, xm: float,
                 scale: float | np.ndarray, doublet: tuple[Callable[[float], float], float] | None = None):
        self.x, self.y, self.n_peaks, self.n_per = x, y, n_peaks, n_per
        self.shape, self.xm, self.scale, self.doublet = shape, xm, scale, doublet

    def _line(self, xx: np.ndarray, c: float, h: float, w: float, eta: float) -> np.ndarray:
        if self.shape == "pseudo-voigt":
            return pseudo_voigt(xx, c, h, w, eta)
        if self.shape == "lorentzian":
            return lorentzian(xx, c, h, w)
        return gaussian(xx, c, h, w)

    def model(self, p: np.ndarray, xx: np.ndarray) -> np.ndarray:
        total = p[-2] + p[-1] * (xx - self.xm)
        for k in range(self.n_peaks):
            b = k * self.n_per
            eta = p[b + 3] if self.shape == "pseudo-voigt" else 0.0
            total = total + self._line(xx, p[b], p[b + 1], p[b + 2], eta)
            if self.doublet is not None:
                companion, ratio = self.doublet
                at = companion(float(p[b]))
                if math.isfinite(at):  # no companion where it has none (a Kα2 line beyond 180° 2θ)
                    total = total + self._line(xx, at, ratio * p[b + 1], p[b + 2], eta)
        return total

    def __call__(self, p: np.ndarray) -> np.ndarray:
        return (self.model(p, self.x) - self.y) / self.scale


def fit_peaks(x: np.ndarray, y: np.ndarray, centers: Sequence[float], *, shape: str = "pseudo-voigt",
              window: float | None = None, group_width: float = 3.0, max_fwhm: float | None = None,
              sigma: np.ndarray | None = None,
              doublet: tuple[Callable[[float], float], float] | None = None) -> list[FittedPeak]:
    """Fit peaks near the given positions with intervals (module notes).

    Parameters
    ----------
    x, y : ndarray
        Abscissa (ascending) and baseline-subtracted signal.
    centers : sequence of float
        Starting positions (e.g. from :func:`find_peaks`).
    shape : {"pseudo-voigt", "lorentzian", "gaussian"}
        Peak shape.
    window : float, optional
        Half width of the fit window around a group, in units of x
        (default 4 starting widths).
    group_width : float
        Peaks closer than this many starting widths are fitted together; so are peaks whose fit
        windows overlap.
    sigma : array, optional
        Relative standard deviation of each point (e.g. the square root of the counts of a
        diffractogram, whose Poisson noise is larger on a peak than beside it); the residuals are
        weighted by it, so that the intervals follow the noise where the peak is. Default: equal.
    max_fwhm : float, optional
        Upper bound of a width (default the window).
    doublet : (callable, float), optional
        ``(companion, ratio)``: fit each peak as a doublet (module notes), its companion line at
        ``companion(center)`` and ``ratio`` times its height, same shape and width; where ``companion``
        gives NaN (no companion line there, e.g. a Kα2 line beyond 180° 2θ) the peak is a single line. The
        fit window reaches the companion. The returned centre, height, width and area are the main line's.
        Default: single lines.

    Returns
    -------
    list of FittedPeak
        In the order of ``centers``.

    Raises
    ------
    ParameterError
        Unknown shape, centres outside the data.
    """
    if shape not in PEAK_SHAPES:
        raise ParameterError(f"shape = {shape!r}; allowed: {', '.join(PEAK_SHAPES)}")
    xv, yv = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xv.shape != yv.shape or xv.ndim != 1 or xv.size < 5:
        raise ParameterError("x and y must be one-dimensional arrays of the same length (at least 5 points)")
    sigma_all = None
    if sigma is not None:
        sigma_all = np.asarray(sigma, dtype=float)
        if sigma_all.shape != xv.shape or not np.all(np.isfinite(sigma_all)) or np.any(sigma_all <= 0):
            raise ParameterError("sigma must hold one positive, finite standard deviation per point of x")
    if doublet is not None:
        ok = (isinstance(doublet, tuple) and len(doublet) == 2 and callable(doublet[0])
              and isinstance(doublet[1], (int, float)) and not isinstance(doublet[1], bool)
              and math.isfinite(doublet[1]) and doublet[1] >= 0)
        if not ok:
            raise ParameterError(f"doublet = {doublet!r} must be (companion, ratio): a function giving the companion "
                                 "line's centre from the main line's, and its height ratio >= 0 (e.g. 0.5)")
    cs = [float(c) for c in centers]
    for c in cs:
        if not xv[0] <= c <= xv[-1]:
            raise ParameterError(f"peak centre {c:g} is outside the data ({xv[0]:g}-{xv[-1]:g})")
    if not cs:
        return []
    idx = [int(np.argmin(np.abs(xv - c))) for c in cs]
    widths = [_initial_width(xv, yv, k) for k in idx]
    order = np.argsort(cs)
    groups: list[list[int]] = []
    for j in order:
        if groups:
            last = groups[-1][-1]
            wide = max(widths[j], widths[last])
            # together when close, and also when their fit windows overlap: fitted apart, each would take the
            # other's flank for background, and a Lorentzian's flank bends the other's width
            reach = 2.0 * window if window is not None else 4.0 * (widths[j] + widths[last])
            if cs[j] - cs[last] < max(group_width * wide, reach):
                groups[-1].append(int(j))
                continue
        groups.append([int(j)])
    out: dict[int, FittedPeak] = {}
    for g in groups:
        w0 = max(widths[j] for j in g)
        half = window if window is not None else 4.0 * w0
        lo_x, hi_x = min(cs[j] for j in g) - half, max(cs[j] for j in g) + half
        if doublet is not None:  # the window reaches each companion line, on whichever side it falls
            gaps = [gap for gap in (doublet[0](cs[j]) - cs[j] for j in g) if math.isfinite(gap)]
            lo_x, hi_x = lo_x + min([0.0, *gaps]), hi_x + max([0.0, *gaps])
        sel = (xv >= lo_x) & (xv <= hi_x)
        xs, ys = xv[sel], yv[sel]
        n_per = 4 if shape == "pseudo-voigt" else 3
        if xs.size <= n_per * len(g) + 2:
            raise ParameterError(f"too few points ({xs.size}) around {cs[g[0]]:g} to fit {len(g)} peak(s)")
        step = float(np.median(np.diff(xs)))
        wmax = max_fwhm if max_fwhm is not None else 2.0 * half
        x0: list[float] = []
        lo: list[float] = []
        hi: list[float] = []
        names: list[str] = []
        amp = float(np.max(np.abs(ys))) or 1.0
        for k, j in enumerate(g):
            h0 = max(float(yv[idx[j]]), 1e-12 * amp)
            x0 += [cs[j], h0, min(max(widths[j], 1.01 * step * 0.5), 0.99 * wmax)]
            lo += [max(cs[j] - half, float(xs[0])), 0.0, 0.5 * step]  # a centre stays inside the data it is fitted to
            hi += [min(cs[j] + half, float(xs[-1])), 10.0 * amp, wmax]
            names += [f"center{k}", f"height{k}", f"fwhm{k}"]
            if shape == "pseudo-voigt":
                x0.append(0.5)
                lo.append(0.0)
                hi.append(1.0)
                names.append(f"eta{k}")
        x0 += [0.0, 0.0]
        lo += [-np.inf, -np.inf]
        hi += [np.inf, np.inf]
        names += ["background", "slope"]
        xm = float(np.mean(xs))
        scale: float | np.ndarray = float(np.std(ys)) or 1.0
        if sigma_all is not None:
            ss = sigma_all[sel]
            scale = scale * ss / float(np.median(ss))
        resid = _GroupResidual(xs, ys, len(g), n_per, shape, xm, scale, doublet)
        fit = fit_least_squares(resid, x0, names=names, bounds=(lo, hi), tol=1e-10)
        for k, j in enumerate(g):
            b = k * n_per
            c, h, w = (float(v) for v in fit.values[b:b + 3])
            eta = float(fit.values[b + 3]) if shape == "pseudo-voigt" else (1.0 if shape == "lorentzian" else 0.0)
            out[j] = FittedPeak(
                center=c, height=h, fwhm=w, eta=eta, area=_area(h, w, eta),
                center_ci95=tuple(float(v) for v in fit.ci95[b]),  # type: ignore[arg-type]
                height_ci95=tuple(float(v) for v in fit.ci95[b + 1]),  # type: ignore[arg-type]
                fwhm_ci95=tuple(float(v) for v in fit.ci95[b + 2]),  # type: ignore[arg-type]
                center_stderr=float(fit.stderr[b]), fwhm_stderr=float(fit.stderr[b + 2]), shape=shape, fit=fit,
            )
    return [out[j] for j in range(len(cs))]
