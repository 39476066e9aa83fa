"""Re-derive fitted parameters from declared targets: objective, bounds, multi-start, intervals, identifiability.

Objective
    χ²(θ) = Σ_i ((y_i(θ) − v_i)/σ_i)², y_i the model value of target i's
    observable (:mod:`metalair.calibration.targets`), v_i its value and σ_i
    its standard uncertainty. A run that fails, or an observable the run
    does not define, counts as a residual of ``FAILED_RESIDUAL`` (= 30 σ), large
    but finite so the optimiser steps back from it.

Parameters
----------
    Fitted as log10 of their value (all fitted values are positive and most
    span decades), bounded to ``bounds_decades`` decades either side of the
    base (shipped) value and to the parameter's allowed range
    (:data:`metalair.models.parameters.RANGES`).
Starts
    ``starts`` starting points, each parameter multiplied by an independent
    factor uniform in [1 − perturb, 1 + perturb] (default ±30 %), kept inside
    the bounds; the start with the lowest χ² wins, and the table reports the
    spread of the others.
Optimiser and intervals
    :func:`metalair.analysis.least_squares.fit_least_squares` (trust-region
    reflective, ``absolute_sigma=True``: the residuals are already divided by
    the targets' σ, so the covariance is (JᵀJ)⁻¹ and the 95 % intervals use
    the normal quantile). The Jacobian is a central difference of
    ``step_decades`` (default 0.02 decade, 4.7 %) in log10 space, one-sided at
    a bound: the model's adaptive time stepping and the dQ/dV plateau
    detection make its outputs change in small steps, which the optimiser's
    default step of ~1e-8 would measure instead of the slope. The 2n
    evaluations of a Jacobian run in parallel (:func:`~metalair.calibration.runs.parallel_map`).
Identifiability
    At the first start, the sensitivity matrix of all requested parameters is
    analysed (:func:`~metalair.calibration.identifiability.identifiability`);
    with ``select="auto"`` only the forward-selected identifiable subset is
    fitted and the others are held at their base values and reported "not
    identifiable: fix from literature". The analysis is repeated at the
    optimum for the table.
Resuming
    With ``checkpoint``, every model evaluation is stored (atomically) in a
    JSON file; ``resume=True`` reuses it, and since the optimiser is
    deterministic it retraces the finished part of the search from the
    stored evaluations without running the model again.

References
----------
.. [1] Branch, M. A., Coleman, T. F. & Li, Y. SIAM J. Sci. Comput. 21, 1–23
   (1999). doi:10.1137/S1064827595289108 (trust-region reflective).
.. [2] Seber, G. A. F. & Wild, C. J. Nonlinear Regression (Wiley, 1989).
   doi:10.1002/0471725315 (linearised intervals).
.. [3] Brun, R., Reichert, P. & Künsch, H. R. Water Resour. Res. 37, 1015–1030
   (2001). doi:10.1029/2000WR900350 (collinearity index, subset selection).
.. [4] Raue, A. et al. Bioinformatics 25, 1923–1929 (2009).
   doi:10.1093/bioinformatics/btp358 (profile likelihood).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metalair._progress import say
from metalair._validation import check_at_most, check_callable, check_range, check_seed, check_workers
from metalair.calibration.identifiability import COLLINEARITY_THRESHOLD, IdentifiabilityReport, identifiability
from metalair.calibration.runs import Evaluator
from metalair.calibration.targets import Target, _check_unique, builtin_targets
from metalair.errors import ParameterError

__all__ = ["calibrate", "CalibrationResult", "profile_likelihood", "Problem", "FAILED_RESIDUAL"]

#: Residual (in σ) of a target whose run failed or whose observable is undefined.
FAILED_RESIDUAL = 30.0


def _resolve_names(parameters: Sequence[str] | str | None) -> list[str]:
    from metalair.models.parameters import FITTED, RANGES, REMOVED

    if parameters is None:
        return list(FITTED)
    if isinstance(parameters, str):
        parameters = [p.strip() for p in parameters.split(",") if p.strip()]
    names = list(dict.fromkeys(parameters))
    if not names:
        raise ParameterError("no parameters to calibrate; name at least one (e.g. beta_fe)")
    for n in names:
        if n in REMOVED:
            raise ParameterError(f"unknown parameter {n!r}: {REMOVED[n]}")
        if n not in RANGES:
            import difflib

            hint = difflib.get_close_matches(n, list(RANGES), n=3)
            raise ParameterError(f"unknown parameter {n!r}" + (f"; did you mean {', '.join(map(repr, hint))}?"
                                                               if hint else "") + f"; fitted ones: {', '.join(FITTED)}")
    return names


def _start(values: Any, names: Sequence[str], base_vals: Mapping[str, float],
           bounds: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    """One start of ``start_values``: every calibrated name, the given ones checked against their bounds."""
    if not isinstance(values, Mapping):
        raise ParameterError(f"start_values holds {values!r}; each start is a mapping {{parameter: value}}")
    unknown = [k for k in values if k not in names]
    if unknown:
        raise ParameterError(f"start_values names {unknown[0]!r}, which is not calibrated here; calibrated: "
                             f"{', '.join(names)}")
    out = {}
    for n in names:
        v = values.get(n, base_vals[n])
        lo, hi = bounds[n]
        out[n] = check_range("start_values", n, v, lo, hi)
    return out


def _bounds(names: Sequence[str], base: Any, decades: float) -> dict[str, tuple[float, float]]:
    from metalair.models.parameters import RANGES

    out = {}
    for n in names:
        v = float(getattr(base, n))
        if not v > 0:
            raise ParameterError(f"{n} = {v!r}: only positive parameters can be calibrated (fitted in log10)")
        lo, hi, lo_open, hi_open = RANGES[n][:4]
        a, b = v * 10.0 ** (-decades), v * 10.0 ** decades
        a = max(a, lo * (1 + 1e-9) if lo_open or lo <= 0 else lo) if lo is not None else a
        if hi is not None and math.isfinite(hi):
            b = min(b, hi * (1 - 1e-9) if hi_open else hi)
        out[n] = (max(a, 1e-300), b)
    return out


class Problem:
    """Weighted residuals, a log-space finite-difference Jacobian and their cache for one calibration."""

    def __init__(self, evaluator: Evaluator, targets: Sequence[Target], names: Sequence[str],
                 bounds: Mapping[str, tuple[float, float]], step_decades: float = 0.02,
                 exclude: Sequence[str] = ()):
        self.ev, self.targets, self.names = evaluator, list(targets), list(names)
        #: targets in the objective (the excluded ones are still computed, to be predicted)
        self.mask = np.array([t.id not in set(exclude) for t in targets], dtype=bool)
        self.bounds = bounds
        self.h = float(step_decades)
        self.values = np.array([t.value for t in targets], dtype=float)
        self.sigma = np.array([t.sigma for t in targets], dtype=float)
        self.jz: dict[tuple[float, ...], np.ndarray] = {}
        self.trace: list[tuple[float, float]] = []     # (elapsed s, chi2) per residual evaluation

    def model(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """Model values of the targets at parameter values x."""
        return self.ev.evaluate(dict(zip(self.names, map(float, x))))

    def weighted(self, y: np.ndarray) -> np.ndarray:
        """(y - value)/σ, with failed values replaced by ``FAILED_RESIDUAL``."""
        r = (y - self.values) / self.sigma
        return np.where(np.isfinite(r), r, FAILED_RESIDUAL)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Weighted residuals of the targets in the objective at x."""
        r = self.weighted(self.model(x))[self.mask]
        self.trace.append((time.perf_counter(), float(r @ r)))
        return r

    def jacobian_z(self, x: np.ndarray) -> np.ndarray:
        """∂r/∂log10 θ of the targets in the objective at x."""
        return self.jacobian_all(x)[self.mask]

    def jacobian_all(self, x: np.ndarray, also: Sequence[Sequence[float] | np.ndarray] = ()) -> np.ndarray:
        """∂r/∂log10 θ of every target at x, central differences of ``step_decades`` (one-sided at a bound).

        ``also``: more parameter vectors to evaluate in the same parallel batch (their values are cached).
        """
        key = tuple(float(v) for v in x)
        if key in self.jz:
            return self.jz[key]
        pts, plan = [], []
        for j, n in enumerate(self.names):
            lo, hi = self.bounds[n]
            up, dn = x[j] * 10 ** self.h, x[j] * 10 ** (-self.h)
            hp = self.h if up <= hi else 0.0
            hm = self.h if dn >= lo else 0.0
            if hp == 0.0 and hm == 0.0:
                hp = self.h
            plan.append((hp, hm))
            for d in (hp, -hm):
                p = dict(zip(self.names, map(float, x)))
                p[n] = float(x[j] * 10 ** d)
                pts.append(p)
        extra = [dict(zip(self.names, map(float, a))) for a in also]
        vals = self.ev.evaluate_many(pts + [dict(zip(self.names, map(float, x)))] + extra)
        r0 = self.weighted(vals[len(pts)])
        J = np.empty((len(self.targets), len(self.names)))
        for j, (hp, hm) in enumerate(plan):
            rp, rm = self.weighted(vals[2 * j]), self.weighted(vals[2 * j + 1])
            if hp > 0 and hm > 0:
                J[:, j] = (rp - rm) / (hp + hm)
            elif hp > 0:
                J[:, j] = (rp - r0) / hp
            else:
                J[:, j] = (r0 - rm) / hm
        self.jz[key] = J
        return J

    def jacobian_x(self, x: np.ndarray) -> np.ndarray:
        """∂r/∂θ at x (the core's convention for log-fitted parameters)."""
        return self.jacobian_z(x) / (np.asarray(x, dtype=float) * math.log(10.0))


@dataclass
class CalibrationResult:
    """Outcome of :func:`calibrate`.

    Attributes
    ----------
    targets : list of Target
    requested : tuple of str
        Parameters asked for.
    fitted : tuple of str
        Parameters actually fitted (the identifiable subset with ``select="auto"``).
    base : dict
        Base (shipped) values of the requested parameters.
    fit : LeastSquaresResult or None
        The best start's fit (None when nothing was identifiable).
    starts : list of dict
        Per start: start values, end values, χ², evaluations.
    identifiability_start, identifiability : IdentifiabilityReport
        At the first start (used for the subset) and at the optimum.
    model_base, model_best : ndarray
        Model values of the targets at the base and the calibrated parameters.
    predictions : list of dict
        Excluded targets: predicted value, 95 % band, pass against the tolerance.
    dropped : dict
        ``{name: why}``: selected at the first start, not identifiable at the optimum
        (``select="auto"``), so held at the base value while the others were refitted.
    """

    targets: list[Target]
    requested: tuple[str, ...]
    fitted: tuple[str, ...]
    base: dict[str, float]
    fit: Any
    starts: list[dict[str, Any]]
    identifiability_start: IdentifiabilityReport
    identifiability: IdentifiabilityReport
    model_base: np.ndarray
    model_best: np.ndarray
    wall_time_s: float = 0.0
    n_model_runs: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    predictions: list[dict[str, Any]] = field(default_factory=list)
    #: Selected at the first start but not identifiable at the optimum: held at the base value, the rest refitted
    dropped: dict[str, str] = field(default_factory=dict)
    #: Values of the parameters not requested, from a custom ``base`` (empty for the shipped set): what a
    #: profile holds them at
    held_base: dict[str, float] = field(default_factory=dict)
    #: Target ids left out of the objective (``exclude``)
    excluded: tuple[str, ...] = ()

    @property
    def values(self) -> dict[str, float]:
        """Calibrated values (fitted ones) and base values (held ones) of the requested parameters."""
        out = dict(self.base)
        if self.fit is not None:
            out.update({n: float(v) for n, v in zip(self.fit.names, self.fit.values)})
        return out

    def rows(self) -> list[dict[str, Any]]:
        """The calibration table, one row per requested parameter."""
        idf = self.identifiability
        rows = []
        for n in self.requested:
            r: dict[str, Any] = {"parameter": n, "base": self.base[n],
                                 "identified by": ", ".join(idf.identified_by.get(n, ())),
                                 "importance": (float(idf.importance[idf.names.index(n)]) if n in idf.names
                                                else math.nan)}
            if self.fit is not None and n in self.fit.names:
                lo, hi = self.fit.interval(n)
                v = self.fit[n]
                r.update({"value": v, "ci95_low": lo, "ci95_high": hi, "ratio_to_base": v / self.base[n],
                          "base_within_ci95": bool(math.isfinite(lo) and lo <= self.base[n] <= hi)})
                spread = [s["values"][n] for s in self.starts if n in s.get("values", {})]
                r["start_spread"] = f"{min(spread):.4g}-{max(spread):.4g}" if spread else ""
                verdict = _interval_verdict(self.fit, n) or self.identifiability_start.verdicts.get(n, "identifiable")
                if verdict.startswith("not identifiable"):
                    pass
                elif idf.verdicts.get(n, "identifiable") != "identifiable":
                    verdict = "identifiable at the start; at the optimum " + idf.verdicts[n].split(": ", 1)[-1]
                if n in self.fit.at_bounds:
                    verdict = ("at its bound: the targets push it further than allowed, and its interval means "
                               "nothing there; " + verdict)
                r["verdict"] = verdict
            else:
                r.update({"value": self.base[n], "ci95_low": math.nan, "ci95_high": math.nan, "ratio_to_base": 1.0,
                          "base_within_ci95": None, "start_spread": "",
                          "verdict": self.dropped.get(n) or self.identifiability_start.verdicts.get(n, "held")})
            rows.append(r)
        return rows

    def target_rows(self) -> list[dict[str, Any]]:
        """Targets with the model value at the base and the calibrated parameters."""
        out = []
        for t, yb, yc in zip(self.targets, self.model_base, self.model_best):
            out.append({"target": t.id, "catalyst": t.catalyst, "observable": t.observable, "value": t.value,
                        "sigma": t.sigma, "unit": t.unit, "model_base": float(yb), "model_calibrated": float(yc),
                        "z_calibrated": float((yc - t.value) / t.sigma),
                        "pass": bool(abs(yc - t.value) <= t.pass_tolerance + 1e-12)})
        return out

    def table(self) -> str:
        """Printed calibration table (parameters, then targets, then identifiability and correlations)."""
        rows = self.rows()
        w = max([9, *(len(r["parameter"]) for r in rows)])
        head = (f"{'parameter':<{w}}  {'base':>10}  {'calibrated':>10}  {'95 % interval':>23}  {'base in':>7}  "
                f"{'identified by':<28}  verdict")
        lines = [f"calibration: {len(self.targets)} targets, {len(self.requested)} parameters requested, "
                 f"{len(self.fitted)} fitted; chi2 = {self.chi2:.4g}; "
                 f"{sum(not s.get('refit') for s in self.starts)} start(s)"
                 f"{' and a refit without ' + ', '.join(self.dropped) if self.dropped else ''}; "
                 f"{self.n_model_runs} model runs in {self.wall_time_s:.0f} s", head, "-" * len(head)]
        for r in rows:
            ci = (f"[{r['ci95_low']:.3g}, {r['ci95_high']:.3g}]" if math.isfinite(r["ci95_low"]) else "-")
            inn = {True: "yes", False: "NO", None: "-"}[r["base_within_ci95"]]
            lines.append(f"{r['parameter']:<{w}}  {r['base']:>10.4g}  {r['value']:>10.4g}  {ci:>23}  {inn:>7}  "
                         f"{r['identified by'][:28]:<28}  {r['verdict']}")
        lines.append("")
        lines.append(f"{'target':<16} {'value':>10} {'sigma':>8} {'model(base)':>12} {'model(cal)':>12} {'z':>6}")
        for t in self.target_rows():
            lines.append(f"{t['target']:<16} {t['value']:>10.4g} {t['sigma']:>8.3g} {t['model_base']:>12.4g} "
                         f"{t['model_calibrated']:>12.4g} {t['z_calibrated']:>6.2f}")
        lines.append("")
        lines.append("identifiability at the calibrated values (the verdicts above decide what was fitted: a value "
                     "held there stays held)")
        lines.append(self.identifiability.text())
        if self.fit is not None and len(self.fit.names) > 1:
            lines.append("")
            lines.append("correlation of the fitted parameters:")
            w2 = max(len(n) for n in self.fit.names)
            for n, row in zip(self.fit.names, self.fit.correlation):
                lines.append(f"  {n:<{w2}} " + " ".join(f"{v:6.2f}" for v in row))
        return "\n".join(lines)

    @property
    def chi2(self) -> float:
        """χ² of the targets in the objective at the calibrated parameters."""
        left = {p["target"] for p in self.predictions}
        r = np.array([(y - t.value) / t.sigma for t, y in zip(self.targets, self.model_best) if t.id not in left])
        return float(np.sum(np.where(np.isfinite(r), r, FAILED_RESIDUAL) ** 2))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"targets": [t.as_dict() for t in self.targets], "requested": list(self.requested),
                "fitted": list(self.fitted), "table": self.rows(), "target_table": self.target_rows(),
                "fit": self.fit.as_dict() if self.fit is not None else None, "starts": self.starts,
                "identifiability_start": self.identifiability_start.as_dict(),
                "identifiability": self.identifiability.as_dict(), "chi2": self.chi2,
                "wall_time_s": self.wall_time_s, "n_model_runs": self.n_model_runs, "settings": self.settings,
                "predictions": self.predictions, "dropped": self.dropped}

    def write(self, out_dir: str | os.PathLike[str], figure: bool = True) -> dict[str, str]:
        """Write ``calibration.csv``, ``targets.csv``, ``correlation.csv``, ``calibration.json`` and a figure."""
        from metalair._files import atomic_write_json, write_csv_rows

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        rows = self.rows()
        cols = ["parameter", "base", "value", "ci95_low", "ci95_high", "ratio_to_base", "base_within_ci95",
                "start_spread", "importance", "identified by", "verdict"]
        write_csv_rows(out / "calibration.csv", cols, [[r[c] for c in cols] for r in rows])
        trows = self.target_rows()
        tcols = list(trows[0]) if trows else []
        write_csv_rows(out / "targets.csv", tcols, [[r[c] for c in tcols] for r in trows])
        files = {"table": "calibration.csv", "targets": "targets.csv"}
        if self.fit is not None:
            write_csv_rows(out / "correlation.csv", ["parameter", *self.fit.names],
                           [[n, *row] for n, row in zip(self.fit.names, self.fit.correlation)])
            files["correlation"] = "correlation.csv"
        atomic_write_json(out / "calibration.json", self.as_dict())
        files["json"] = "calibration.json"
        if figure:
            try:
                from metalair.calibration.figures import plot_calibration

                plot_calibration(self, out / "calibration.png")
                files["figure"] = "calibration.png"
            except ImportError:  # pragma: no cover - matplotlib missing
                pass
        return files


def _interval_verdict(fit: Any, name: str) -> str | None:
    """"not identifiable: ..." when the fitted value's 95 % interval is singular or wider than 2 decades."""
    lo, hi = fit.interval(name)
    width = math.log10(hi / lo) if (math.isfinite(lo) and lo > 0 and math.isfinite(hi)) else math.inf
    if not math.isfinite(width):
        return "not identifiable: fix from literature (singular at the optimum)"
    if width > 2.0:
        return f"not identifiable: fix from literature (95 % interval spans {width:.1f} decades)"
    return None


def _check_computable(targets: Sequence[Target], y: np.ndarray, values: Mapping[str, float]) -> None:
    """Refuse targets the model gives no value for at the base parameters (they would count as 30 σ throughout)."""
    from metalair.calibration.runs import target_failure
    from metalair.models.parameters import DEFAULT_PARAMETERS

    bad = [t for t, v in zip(targets, y) if not math.isfinite(v)]
    if not bad:
        return
    t = bad[0]
    why = target_failure(t, DEFAULT_PARAMETERS.replace(**values)) or "its value is not finite"
    more = f" (and {len(bad) - 1} more: {', '.join(b.id for b in bad[1:4])}{' ...' if len(bad) > 4 else ''})" \
        if len(bad) > 1 else ""
    raise ParameterError(f"target {t.id!r} ({t.catalyst}, {t.observable}, run {t.run!r}) cannot be computed at the "
                         f"base parameter values: {why}{more}; fix its run or observable, or leave it out")


def _perturbed_starts(names: Sequence[str], base: Mapping[str, float], bounds: Mapping[str, tuple[float, float]],
                      starts: int, perturb: float, seed: int | None) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(starts):
        s = {}
        for n in names:
            lo, hi = bounds[n]
            v = base[n] * (1.0 + perturb * rng.uniform(-1.0, 1.0))
            s[n] = float(min(max(v, lo * (1 + 1e-9)), hi * (1 - 1e-9)))
        out.append(s)
    return out


#: Most starts of one calibration.
MAX_STARTS = 1000


def calibrate(targets: Sequence[Target] | None = None, parameters: Sequence[str] | str | None = None, *,
              starts: int = 3, perturb: float = 0.3, seed: int | None = 0, base: Any = None,
              start_values: Sequence[Mapping[str, float]] | None = None, select: str = "auto",
              threshold: float = COLLINEARITY_THRESHOLD, bounds_decades: float = 2.0, step_decades: float = 0.02,
              max_iterations: int = 25, tol: float = 1e-4, checkpoint: str | os.PathLike[str] | None = None,
              resume: bool = False, workers: int | None = None,
              progress: Callable[[str], None] | None = say,
              cache: dict[str, list[float]] | None = None, exclude: Sequence[str] = ()) -> CalibrationResult:
    """Calibrate parameters to targets (see the module notes for the objective and the method).

    Parameters
    ----------
    targets : sequence of Target, optional
        Default: every built-in published target (:func:`~metalair.calibration.targets.builtin_targets`).
    parameters : names or comma-separated str, optional
        Parameters to calibrate; default every fitted one (:data:`metalair.models.parameters.FITTED`).
    starts : int
        Number of perturbed starts.
    perturb : float
        Relative half-width of the uniform start perturbation (0.3 = ±30 %).
    seed : int, optional
        Seed of the perturbations.
    base : LumpedParameters, optional
        Base (shipped) parameters: the values held and the centre of starts and bounds.
    start_values : sequence of mapping, optional
        Explicit starts (overrides ``starts``/``perturb``).
    select : {"auto", "all"}
        Fit only the identifiable subset (default), or every requested parameter.
    threshold : float
        Collinearity-index threshold of the subset selection.
    bounds_decades : float
        Bounds are the base value × 10^(±bounds_decades) (within the allowed range).
    step_decades : float
        Finite-difference step in log10 space.
    max_iterations : int
        Largest number of optimiser iterations (residual evaluations) per start.
    tol : float
        Optimiser tolerance (ftol = xtol = gtol).
    checkpoint : path, optional
        JSON file of all model evaluations (written after each batch).
    resume : bool
        Reuse the evaluations in ``checkpoint`` (else it is started afresh).
    workers : int, optional
        Processes for the Jacobian's evaluations (default: all CPUs; ``METALAIR_WORKERS``).
    progress : callable or None
        ``progress(message)``; default prints to stderr.
    cache : dict, optional
        Model evaluations shared between calls (keyed by parameter values; use it only for
        targets with the same catalysts, runs and observables in the same order, e.g.
        repeated calibrations to resampled data, or leave-one-out).

    exclude : sequence of str
        Target ids left out of the objective but still computed: the result's
        ``predictions`` give their model value with a 95 % band from the fitted
        parameters' covariance (leave-one-out).

    Returns
    -------
    CalibrationResult

    Raises
    ------
    ParameterError
        Unknown parameter names, no targets, a target id given twice, a target the model
        cannot compute at the base values (its run fails or its observable is undefined
        there), no more targets than fitted parameters, bad ``starts``/``perturb``/``select``,
        a ``checkpoint`` of other targets, catalysts or metalair version with ``resume=True``.

    References
    ----------
    Brun, R., Reichert, P. & Künsch, H. R. Water Resour. Res. 37, 1015–1030 (2001).
    doi:10.1029/2000WR900350
    """
    from metalair.analysis.least_squares import fit_least_squares
    from metalair.models.parameters import DEFAULT_PARAMETERS

    t_start = time.perf_counter()
    check_callable(progress, "progress", "print")
    say = progress or (lambda _m: None)
    if targets is not None and (isinstance(targets, (str, bytes)) or not hasattr(targets, "__iter__")):
        raise ParameterError(f"targets = {targets!r} must be a list of Target (e.g. builtin_targets(), "
                             "load_targets('targets.csv'))")
    tg = list(targets) if targets is not None else builtin_targets()
    if not tg:
        raise ParameterError("no targets to calibrate to")
    bad = [t for t in tg if not isinstance(t, Target)]
    if bad:
        raise ParameterError(f"targets holds {bad[0]!r} ({type(bad[0]).__name__}); each must be a Target")
    _check_unique(tg)
    names = _resolve_names(parameters)
    for name, value, lo, hi in (("threshold", threshold, 1.0, math.inf), ("bounds_decades", bounds_decades, 0.0, 10.0),
                                ("step_decades", step_decades, 0.0, 1.0), ("tol", tol, 0.0, 1.0)):
        check_range("calibrate", name, value, lo, hi, lo_open=True)
    check_workers(workers, "workers", None)
    from metalair.models.parameters import LumpedParameters

    if base is not None and not isinstance(base, LumpedParameters):
        raise ParameterError(f"base = {base!r} must be a LumpedParameters (e.g. DEFAULT_PARAMETERS.replace(...))")
    if select not in ("auto", "all"):
        raise ParameterError(f"select = {select!r}; use 'auto' (identifiable subset) or 'all'")
    if isinstance(starts, bool) or not isinstance(starts, int) or starts < 1:
        raise ParameterError(f"starts = {starts!r} must be an integer >= 1")
    check_at_most(starts, "starts", MAX_STARTS, "each start is a whole fit; a few (3-10) find the best one")
    if not (isinstance(perturb, (int, float)) and 0 <= perturb < 1):
        raise ParameterError(f"perturb = {perturb!r} must be in [0, 1) (0.3 = ±30 %)")
    seed = check_seed(seed)
    bp = base if base is not None else DEFAULT_PARAMETERS
    base_vals = {n: float(getattr(bp, n)) for n in names}
    bounds = _bounds(names, bp, bounds_decades)
    if checkpoint is not None and not resume and Path(checkpoint).exists():
        Path(checkpoint).unlink()
    held_base = {k: v for k, v in bp.as_dict().items() if k not in names} if base is not None else {}
    ev = Evaluator(tg, base=held_base, checkpoint=checkpoint, workers=workers,
                   cache=cache if cache is not None else {})
    if resume and checkpoint is not None and ev.stale_checkpoint:
        from metalair.calibration.runs import checkpoint_mismatch

        raise ParameterError(f"checkpoint {os.fspath(checkpoint)!r} holds the model runs of another calibration "
                             f"({checkpoint_mismatch(checkpoint, tg)}): its values are not valid here; resume=False "
                             "starts afresh (and replaces it)")
    if resume and ev.cache:
        say(f"resuming: {len(ev.cache)} stored model evaluations")
    if isinstance(exclude, str):
        exclude = [exclude]
    unknown = [e for e in exclude if e not in {t.id for t in tg}]
    if unknown:
        raise ParameterError(f"exclude names unknown target {unknown[0]!r}; targets: {', '.join(t.id for t in tg)}")
    if all(t.id in set(exclude) for t in tg):
        raise ParameterError(f"exclude leaves out all {len(tg)} targets: at least one must stay in the objective "
                             "(leave-one-out leaves out one at a time)")
    prob = Problem(ev, tg, names, bounds, step_decades, exclude)
    if start_values is not None:
        s_list = [_start(s, names, base_vals, bounds) for s in start_values]
    else:
        s_list = _perturbed_starts(names, base_vals, bounds, starts, perturb, seed)
    tids = [t.id for t, m in zip(tg, prob.mask) if m]
    n_obj = len(tids)

    say(f"calibrate: {n_obj} targets, {len(names)} parameters; sensitivity at the first start "
        f"({2 * len(names) + 1} model evaluations)")
    x_first = np.array([s_list[0][n] for n in names])
    x_base = np.array([base_vals[n] for n in names])
    S0 = prob.jacobian_all(x_first, also=[x_base])[prob.mask]   # the base values in the same batch
    _check_computable(tg, prob.model(x_base), {**held_base, **base_vals})
    idf0 = identifiability(S0, names, tids, threshold=threshold)
    say(idf0.text())
    fitted = list(idf0.identifiable) if select == "auto" else list(names)
    if len(fitted) >= n_obj:
        raise ParameterError(f"{len(fitted)} parameters to fit from {n_obj} targets: fit fewer parameters "
                             "(or add targets) so there are more targets than parameters")
    def fit_subset(subset: list[str], starts_: list[dict[str, float]], tag: str = "start"
                   ) -> tuple[Any, list[dict[str, Any]]]:
        """Fit ``subset`` from each start (the other requested values held at base); the best fit and the log."""
        held = {n: base_vals[n] for n in names if n not in subset}
        sub = Problem(Evaluator(tg, base={**held_base, **held}, checkpoint=None, workers=workers, cache=ev.cache),
                      tg, subset, bounds, step_decades, exclude)
        sub.ev.checkpoint = checkpoint
        sub.ev._signature = ev._signature
        log: list[dict[str, Any]] = []
        best_fit = None
        for k, s in enumerate(starts_):
            x0 = [s[n] for n in subset]
            say(f"{tag} {k + 1}/{len(starts_)}: " + ", ".join(f"{n}={v:.4g}" for n, v in zip(subset, x0)))
            n_before = len(sub.trace)

            def res_fn(x: np.ndarray, _k: int = k, _n0: int = n_before) -> np.ndarray:
                r = sub.residuals(x)
                say(f"  {tag} {_k + 1}: evaluation {len(sub.trace) - _n0}, chi2 = {float(r @ r):.5g} "
                    f"({ev.n_model_runs + sub.ev.n_model_runs} model runs, {time.perf_counter() - t_start:.0f} s)")
                return r
            f = fit_least_squares(res_fn, x0, names=subset, bounds={n: bounds[n] for n in subset},
                                  jac=sub.jacobian_x, absolute_sigma=True, log_params=subset,
                                  max_nfev=max_iterations, tol=tol)
            log.append({"start": dict(zip(subset, map(float, x0))),
                        "values": dict(zip(subset, map(float, f.values))),
                        "chi2": float(f.chi2), "success": bool(f.success), "message": f.message,
                        "evaluations": int(f.n_evaluations)} | ({"refit": True} if tag != "start" else {}))
            say(f"{tag} {k + 1}: chi2 = {f.chi2:.5g}; " + ", ".join(f"{n}={v:.4g}" for n, v in zip(subset, f.values)))
            if best_fit is None or f.chi2 < best_fit.chi2:
                best_fit = f
        ev.n_model_runs += sub.ev.n_model_runs
        ev.model_time_s += sub.ev.model_time_s
        return best_fit, log

    results: list[dict[str, Any]] = []
    fit = None
    dropped: dict[str, str] = {}
    if fitted:
        fit, results = fit_subset(fitted, s_list)
        if select == "auto" and fit is not None:
            # a value selected at the first start can lose its identifiability on the way to the optimum
            # (it drifts where the targets no longer see it): hold it at its base value and refit the rest
            why = {n: v for n in fitted if (v := _interval_verdict(fit, n))}
            if why and len(why) < len(fitted):
                dropped = {n: f"not identifiable: fix from literature (selected at the first start; at the optimum, "
                              f"value {fit[n]:.3g}, {v.split('(', 1)[1].rstrip(')')}); held at its base value, the "
                              "others refitted" for n, v in why.items()}
                fitted = [n for n in fitted if n not in why]
                say("not identifiable at the optimum, held at the base value: " + ", ".join(why)
                    + f"; refitting the other {len(fitted)} from the best start")
                fit, more = fit_subset(fitted, [{n: float(fit[n]) for n in fitted}], tag="refit")
                results += more
    best = dict(base_vals)
    if fit is not None:
        best.update({n: float(v) for n, v in zip(fit.names, fit.values)})
    say("identifiability at the optimum")
    x_best = np.array([best[n] for n in names])
    S_all = prob.jacobian_all(x_best)
    idf1 = identifiability(S_all[prob.mask], names, tids, threshold=threshold)
    y_base = prob.model(x_base)
    y_best = prob.model(x_best)
    predictions = []
    for i in np.flatnonzero(~prob.mask):
        t = tg[i]
        sd = 0.0
        if fit is not None and np.all(np.isfinite(fit.covariance)):
            cols = [names.index(n) for n in fit.names]
            g = S_all[i, cols] * t.sigma                       # d y / d log10 theta, in the target's unit
            xv = np.asarray(fit.values, dtype=float)
            cov_z = fit.covariance / np.outer(xv, xv) / math.log(10.0) ** 2
            sd = math.sqrt(max(float(g @ cov_z @ g), 0.0))
        elif fit is not None:
            sd = math.inf
        y = float(y_best[i])
        predictions.append({"target": t.id, "value": t.value, "tolerance": t.pass_tolerance, "predicted": y,
                            "band95_low": y - 1.96 * sd, "band95_high": y + 1.96 * sd,
                            "pass": bool(math.isfinite(y) and abs(y - t.value) <= t.pass_tolerance + 1e-12)})
    return CalibrationResult(
        targets=tg, requested=tuple(names), fitted=tuple(fitted), base=base_vals, fit=fit, starts=results,
        identifiability_start=idf0, identifiability=idf1, model_base=y_base, model_best=y_best,
        wall_time_s=time.perf_counter() - t_start, n_model_runs=ev.n_model_runs, predictions=predictions,
        dropped=dropped, held_base=dict(held_base), excluded=tuple(exclude),
        settings={"starts": len(s_list), "perturb": perturb, "seed": seed, "select": select, "threshold": threshold,
                  "bounds_decades": bounds_decades, "step_decades": step_decades, "max_iterations": max_iterations,
                  "tol": tol, "bounds": {n: list(b) for n, b in bounds.items()}})


#: Largest number of profile points per side spent on bracketing a 95 % crossing.
PROFILE_REFINE_STEPS = 12
#: A crossing is accepted when the profile χ² is within this of the threshold (optimum + 3.84): about 0.5 %
#: of a standard error in the parameter.
PROFILE_CHI2_TOL = 0.02
#: Largest number of grid points of a profile (each is a refit).
MAX_PROFILE_POINTS = 1000


def profile_likelihood(result: CalibrationResult, name: str, *, span_decades: float = 0.5, points: int = 7,
                       max_iterations: int = 10, workers: int | None = None,
                       progress: Callable[[str], None] | None = None,
                       checkpoint: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Profile χ² of one fitted parameter: fix it, refit the others (Raue et al. 2009).

    The parameter is fixed on a log grid of ``points`` values over ±``span_decades``
    around its calibrated value (the calibrated value itself is always one of them),
    and the other fitted parameters are refitted at each. Where the profile crosses
    the threshold (the optimum's χ² + 3.84, the 95 % χ² quantile with one degree of
    freedom) between two grid points, the crossing is then found by bracketing:
    the profile is computed (with the others refitted) at points inside the bracket,
    guessed by interpolating √(χ² − χ²_min) (a straight line for a quadratic profile),
    until χ² is within ``PROFILE_CHI2_TOL`` of the threshold. A linear interpolation of
    χ² between grid points would cross early, as χ² is convex, and give too narrow an
    interval. A parameter is practically identifiable when its profile crosses the
    threshold on both sides within the span.

    The calibration's ``base`` (the values of the parameters not requested) and
    ``exclude`` (targets left out of the objective) are kept.

    Parameters
    ----------
    result : CalibrationResult
    name : str
        A fitted parameter.
    span_decades : float
        Half-width of the grid in decades (> 0, at most 10).
    points : int
        Grid points (>= 3).
    max_iterations : int
        Optimiser iterations of each refit of the others.
    workers : int, optional
        Processes for the refits' Jacobians.
    progress : callable, optional
        ``progress(message)`` after each profile point.
    checkpoint : path, optional
        The calibration's checkpoint: model evaluations are reused from it and added to it.

    Returns
    -------
    dict
        ``values`` and ``chi2`` (every profile point computed, grid and bracketing, in
        increasing order), ``threshold`` (optimum χ² + 3.84), ``ci95`` (where the profile
        crosses it, NaN where it does not within the span) and ``identifiable``.

    Raises
    ------
    ParameterError
        ``name`` was not fitted, or ``span_decades``, ``points`` or ``max_iterations`` are out of range.

    References
    ----------
    Raue, A. et al. Bioinformatics 25, 1923–1929 (2009). doi:10.1093/bioinformatics/btp358
    """
    from metalair.analysis.least_squares import fit_least_squares

    if result.fit is None or name not in result.fit.names:
        raise ParameterError(f"{name!r} was not fitted; profiles exist for {', '.join(result.fitted) or 'none'}")
    check_callable(progress, "progress", "print")
    span = check_range("profile_likelihood", "span_decades", span_decades, 0.0, 10.0, lo_open=True)
    for what, value, least in (("points", points, 3), ("max_iterations", max_iterations, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ParameterError(f"profile_likelihood.{what} = {value!r} must be a whole number >= {least}"
                                 + (" (the calibrated value and one point on each side)" if what == "points" else ""))
    check_at_most(int(points), "profile_likelihood.points", MAX_PROFILE_POINTS, "each point is a refit")
    check_workers(workers, "workers", None)
    say = progress or (lambda _m: None)
    best = result.values
    others = [n for n in result.fitted if n != name]
    bounds = {n: tuple(b) for n, b in result.settings["bounds"].items()}
    step = result.settings.get("step_decades", 0.02)
    held = {n: best[n] for n in result.requested if n not in result.fitted}
    base = {**result.held_base, **held}
    exclude = tuple(result.excluded) or tuple(p["target"] for p in result.predictions)
    thr = float(result.chi2 + 3.84)
    c_min = float(result.chi2)
    z_best = math.log10(best[name])
    cache: dict[str, list[float]] = {}
    if checkpoint is not None:  # loaded once; each point's evaluator shares the cache and adds to the file
        first = Evaluator(result.targets, checkpoint=checkpoint, workers=workers, cache=cache)
        signature = first._signature
        if first.stale_checkpoint:
            cache.clear()
    done: dict[float, tuple[float, list[float]]] = {}   # log10 value -> (profile chi2, the others' refitted values)

    def chi2_at(z: float) -> float:
        v = float(10.0 ** z)
        ev = Evaluator(result.targets, base={**base, name: v}, workers=workers, cache=cache)
        if checkpoint is not None:
            ev.checkpoint, ev._signature = checkpoint, signature
        if others:
            near = min(done, key=lambda d: abs(d - z)) if done else None   # warm start from the nearest point
            x0 = done[near][1] if near is not None else [best[n] for n in others]
            x0 = [min(max(x, bounds[n][0]), bounds[n][1]) for x, n in zip(x0, others)]
            prob = Problem(ev, result.targets, others, bounds, step, exclude)
            f = fit_least_squares(prob.residuals, x0, names=others, bounds={n: bounds[n] for n in others},
                                  jac=prob.jacobian_x, absolute_sigma=True, log_params=others,
                                  max_nfev=max_iterations, tol=1e-4)
            c, xs = float(f.chi2), [float(x) for x in f.values]
        else:
            prob = Problem(ev, result.targets, [], bounds, step, exclude)
            r = prob.weighted(ev.evaluate({}))[prob.mask]
            c, xs = float(r @ r), []
        done[z] = (c, xs)
        say(f"profile {name} = {v:.4g}: chi2 = {c:.4g}")
        return c

    offsets = np.linspace(-span, span, int(points))
    if not np.any(np.abs(offsets) < 1e-12 * span):   # an even count: the calibrated value is added
        offsets = np.sort(np.append(offsets, 0.0))
    grid = z_best + offsets
    for k in np.argsort(np.abs(offsets), kind="stable"):   # from the optimum outwards (warm starts)
        chi2_at(float(grid[k]))
    c = np.array([done[float(z)][0] for z in grid])

    def crossing(z_in: float, c_in: float, z_out: float, c_out: float) -> float:
        """log10 value where the profile reaches ``thr`` between an inside (<= thr) and an outside (> thr) point."""
        def guess(a: float, ca: float, b: float, cb: float) -> float:
            da, db = math.sqrt(max(ca - c_min, 0.0)), math.sqrt(max(cb - c_min, 0.0))
            return min(max((math.sqrt(thr - c_min) - da) / (db - da), 0.0), 1.0) if db > da else 0.5
        a, ca, b, cb = z_in, c_in, z_out, c_out
        for _ in range(PROFILE_REFINE_STEPS):
            if abs(ca - thr) <= PROFILE_CHI2_TOL:
                return a
            if abs(cb - thr) <= PROFILE_CHI2_TOL:
                return b
            t = min(max(guess(a, ca, b, cb), 0.1), 0.9)   # at least 10 % of the bracket off each end
            m = a + t * (b - a)
            cm = chi2_at(m)
            if cm > thr:
                b, cb = m, cm
            else:
                a, ca = m, cm
        return a + guess(a, ca, b, cb) * (b - a)

    i0 = int(np.argmin(c))
    lo = hi = math.nan
    for i in range(i0, 0, -1):
        if c[i - 1] > thr >= c[i]:
            lo = float(10 ** crossing(float(grid[i]), float(c[i]), float(grid[i - 1]), float(c[i - 1])))
            break
    for i in range(i0, len(c) - 1):
        if c[i + 1] > thr >= c[i]:
            hi = float(10 ** crossing(float(grid[i]), float(c[i]), float(grid[i + 1]), float(c[i + 1])))
            break
    zs = sorted(done)
    return {"parameter": name, "values": [float(10 ** z) for z in zs], "chi2": [done[z][0] for z in zs],
            "threshold": thr, "ci95": [lo, hi], "identifiable": bool(math.isfinite(lo) and math.isfinite(hi)),
            "grid": {"span_decades": span, "points": int(points)}}
