"""Uncertainty propagation and global sensitivity: ensembles over uncertain descriptors and fitted values.

Inputs
    By default every DFT descriptor of the catalyst (the d-band centre and
    the ICOHP of each product's state) is shifted by a uniform amount in
    ±``descriptor_halfwidth`` (0.1 eV), a typical DFT error for these
    quantities. Fitted parameters can be added with their calibration
    interval: log10 of the value normal with the standard deviation implied
    by the 95 % interval ((log10 hi − log10 lo)/(2·1.96)), centred on the
    calibrated value.
Sampling
    Latin hypercube (McKay et al. 1979) or scrambled Sobol' points (Sobol'
    1967; Owen scrambling) from :mod:`scipy.stats.qmc`, mapped through each
    input's inverse distribution function.
Outputs
    Any target observables (:mod:`metalair.calibration.targets`): cycle life
    of the P6 protocol, polarisation, capacity, plateaus ...; each is reported
    as median and 90 % band (5th–95th percentile). Failed runs count as NaN
    and are reported, not dropped silently.
Global sensitivity
    First-order and total Sobol' indices from Saltelli's radial design: two
    independent sample matrices A and B (N rows each) and, for each input i,
    A with column i taken from B (N(d + 2) runs). First order: the estimator
    of Saltelli et al. (2010), S_i = mean(f(B)·(f(A_B^i) − f(A)))/V; total:
    Jansen's, S_Ti = mean((f(A) − f(A_B^i))²)/(2V); V the variance of
    f(A) ∪ f(B), all outputs centred on the mean of f(A) ∪ f(B) first (which
    leaves the estimators unbiased and makes the first-order one usable for
    outputs whose mean is large against their spread). 95 % intervals by
    bootstrap over the N rows.

References
----------
.. [1] McKay, M. D., Beckman, R. J. & Conover, W. J. A comparison of three
   methods for selecting values of input variables in the analysis of output
   from a computer code. Technometrics 21, 239–245 (1979). doi:10.2307/1268522
.. [2] Sobol', I. M. On the distribution of points in a cube and the
   approximate evaluation of integrals. USSR Comput. Math. Math. Phys. 7,
   86–112 (1967). doi:10.1016/0041-5553(67)90144-9
.. [3] Saltelli, A. et al. Variance based sensitivity analysis of model
   output. Design and estimator for the total sensitivity index. Comput.
   Phys. Commun. 181, 259–270 (2010). doi:10.1016/j.cpc.2009.09.018
.. [4] Jansen, M. J. W. Analysis of variance designs for model output.
   Comput. Phys. Commun. 117, 35–43 (1999). doi:10.1016/S0010-4655(98)00154-4
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metalair._validation import MAX_SAMPLES, PROGRESS_COUNT, check_at_most, check_callable, check_seed
from metalair.calibration.runs import Mapper, _evaluate_point, _Point, catalyst_identity, map_points
from metalair.calibration.targets import CYCLING_RUN, REFERENCE_RUN, Target
from metalair.errors import ParameterError

__all__ = [
    "preset_ensemble","UncertainInput", "default_inputs", "inputs_from_calibration", "sample_inputs", "ensemble",
           "EnsembleResult", "sobol_indices", "SobolResult", "output_targets", "DESCRIPTOR_HALFWIDTH_EV"]

#: Default half-width of the uniform uncertainty on every DFT descriptor [eV].
DESCRIPTOR_HALFWIDTH_EV = 0.1


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input.

    ``kind`` is ``"descriptor"`` (``catalyst``, ``product``, ``field``
    (``d_band_centre`` or ``icohp``), shifted uniformly in [low, high] eV) or
    ``"parameter"`` (``field`` a LumpedParameters name; log10 of it normal
    with mean ``low`` and standard deviation ``high``).
    """

    name: str
    kind: str
    field: str
    low: float
    high: float
    catalyst: str = ""
    product: str = ""

    @property
    def column(self) -> str:
        """Its column in ``ensemble.csv``: a descriptor's sample is a shift from the catalyst's value, in eV."""
        return f"{self.name} shift [eV]" if self.kind == "descriptor" else f"{self.name} value"

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map uniform [0, 1) samples to this input's values (shift in eV, or parameter value)."""
        u = np.asarray(u, dtype=float)
        if self.kind == "descriptor":
            return self.low + (self.high - self.low) * u
        from scipy.stats import norm

        return np.power(10.0, self.low + self.high * norm.ppf(np.clip(u, 1e-12, 1 - 1e-12)))


def default_inputs(catalyst: str, descriptor_halfwidth: float = DESCRIPTOR_HALFWIDTH_EV,
                   fields: Sequence[str] = ("d_band_centre", "icohp")) -> list[UncertainInput]:
    """±``descriptor_halfwidth`` eV (uniform) on every descriptor of one catalyst."""
    from metalair.catalysts import PRODUCTS, get_catalyst

    cat = get_catalyst(catalyst)
    if not descriptor_halfwidth > 0:
        raise ParameterError(f"descriptor_halfwidth = {descriptor_halfwidth!r} must be > 0 eV")
    h = float(descriptor_halfwidth)
    return [UncertainInput(f"{cat.name}:{p}:{f}", "descriptor", f, -h, h, cat.name, p)
            for p in PRODUCTS for f in fields]


def inputs_from_calibration(calibration: Any, max_decades: float = 2.0) -> list[UncertainInput]:
    """Fitted values with their calibration intervals (a CalibrationResult, its JSON dict or JSON path).

    Parameters whose 95 % interval is missing or spans more than ``max_decades``
    decades (not identified) are left out, with their value held.
    """
    if isinstance(calibration, (str, os.PathLike)):
        calibration = json.loads(Path(calibration).read_text(encoding="utf-8"))
    rows = calibration.rows() if hasattr(calibration, "rows") else calibration.get("table", [])
    out = []
    for r in rows:
        lo, hi, v = r.get("ci95_low"), r.get("ci95_high"), r.get("value")
        if lo is None or hi is None or v is None or not (math.isfinite(lo) and math.isfinite(hi) and lo > 0):
            continue
        width = math.log10(hi / lo)
        if width > max_decades:
            continue
        out.append(UncertainInput(r["parameter"], "parameter", r["parameter"], math.log10(v), width / (2 * 1.96)))
    return out


def sample_inputs(inputs: Sequence[UncertainInput], n: int, method: str = "lhs", seed: int | None = 0) -> np.ndarray:
    """``n`` samples (rows) of the inputs (columns): Latin hypercube (``"lhs"``) or scrambled Sobol' (``"sobol"``)."""
    from scipy.stats import qmc

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ParameterError(f"n = {n!r} samples: need an integer >= 2")
    check_at_most(n, "n", MAX_SAMPLES, "each sample is a simulation; split the ensemble")
    seed = check_seed(seed)
    d = len(inputs)
    if d == 0:
        raise ParameterError("no uncertain inputs to sample")
    if method == "lhs":
        u = qmc.LatinHypercube(d=d, seed=seed).random(int(n))
    elif method == "sobol":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # n not a power of two: balance warning
            u = qmc.Sobol(d=d, scramble=True, seed=seed).random(int(n))
    else:
        raise ParameterError(f"sampling method {method!r}: use 'lhs' or 'sobol'")
    return np.column_stack([inp.from_unit(u[:, j]) for j, inp in enumerate(inputs)])


def _point(targets: tuple[Target, ...], inputs: Sequence[UncertainInput], row: np.ndarray,
           base: Mapping[str, float] | None) -> _Point:
    shifts: dict[str, dict[str, dict[str, float]]] = {}
    params = dict(base or {})
    for inp, v in zip(inputs, row):
        if inp.kind == "descriptor":
            shifts.setdefault(inp.catalyst, {}).setdefault(inp.product, {})[inp.field] = float(v)
        else:
            params[inp.field] = float(v)
    return _Point(targets, params, shifts or None)


def output_targets(preset: str, catalyst: str) -> list[Target]:
    """Output observables for an ensemble: ``"cycle"`` (P6 cycle life), ``"simulate"`` (reference-run numbers)."""
    if preset == "cycle":
        return [Target(f"cycle life {catalyst}", catalyst, "cycle_life", 0.0, 1.0, "cycles", CYCLING_RUN),
                Target(f"cycle-life proxy {catalyst}", catalyst, "cycle_life_proxy", 0.0, 1.0, "cycles",
                       CYCLING_RUN)]
    if preset == "simulate":
        return [Target(f"{o} {catalyst}", catalyst, o, 0.0, 1.0, u, REFERENCE_RUN) for o, u in
                (("discharge_capacity", "mAh/g"), ("polarisation", "V"), ("mid_discharge_voltage", "V"),
                 ("charge_recovered", "%"))]
    raise ParameterError(f"ensemble outputs {preset!r}: use 'cycle' or 'simulate', or pass targets")


def _stats(v: np.ndarray) -> dict[str, float]:
    f = v[np.isfinite(v)]
    if f.size == 0:
        return {"median": math.nan, "p05": math.nan, "p95": math.nan, "mean": math.nan, "failed": int(v.size)}
    p05, med, p95 = np.percentile(f, [5, 50, 95])
    return {"median": float(med), "p05": float(p05), "p95": float(p95), "mean": float(f.mean()),
            "failed": int(v.size - f.size)}


@dataclass
class EnsembleResult:
    """Outcome of :func:`ensemble`: inputs, samples, output values, median and 90 % band per output."""

    inputs: list[UncertainInput]
    samples: np.ndarray
    outputs: list[str]
    samples_out: dict[str, np.ndarray]
    stats: dict[str, dict[str, float]]
    nominal: dict[str, float]
    wall_time_s: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.samples.shape[0])

    def table(self) -> str:
        """Printed summary: output, nominal, median, 90 % band, failed runs."""
        w = max([10, *(len(o) for o in self.outputs)])
        lines = [f"ensemble: {self.n} samples ({self.settings.get('method')}) of {len(self.inputs)} inputs "
                 f"in {self.wall_time_s:.1f} s",
                 f"{'output':<{w}}  {'nominal':>10}  {'median':>10}  {'90 % band':>23}  failed"]
        for o in self.outputs:
            s = self.stats[o]
            lines.append(f"{o:<{w}}  {self.nominal.get(o, math.nan):>10.4g}  {s['median']:>10.4g}  "
                         f"[{s['p05']:>9.4g}, {s['p95']:>9.4g}]  {s['failed']}")
        if self.band_caveat:
            lines.append(f"note: {self.band_caveat}")
        return "\n".join(lines)

    @property
    def band_caveat(self) -> str:
        """Why the 90 % band is only the sample range (too few samples), or ``""``."""
        if self.n >= MIN_SAMPLES_FOR_BAND:
            return ""
        return (f"{self.n} samples cannot place a 90 % band (the 5th and 95th percentiles need about "
                f"{MIN_SAMPLES_FOR_BAND}; 64 or more give a stable one): the band shown is the sample range or close "
                "to it")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        def f(x: float) -> float | None:
            return float(x) if math.isfinite(float(x)) else None
        return {"inputs": [vars(i) if not hasattr(i, "__dataclass_fields__") else
                           {k: getattr(i, k) for k in i.__dataclass_fields__} for i in self.inputs],
                "outputs": self.outputs, "stats": self.stats, "nominal": {k: f(v) for k, v in self.nominal.items()},
                "samples": [[f(v) for v in row] for row in self.samples],
                "values": {k: [f(v) for v in vals] for k, vals in self.samples_out.items()},
                "wall_time_s": self.wall_time_s, "settings": self.settings}

    def write(self, out_dir: str | os.PathLike[str], figure: bool = True) -> dict[str, str]:
        """Write ``ensemble.csv`` (one row per sample), ``ensemble_summary.csv``, ``ensemble.json`` and a figure."""
        from metalair._files import atomic_write_json, write_csv_rows

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        head = [i.column for i in self.inputs] + self.outputs
        write_csv_rows(out / "ensemble.csv", head,
                       [[*row, *(self.samples_out[o][k] for o in self.outputs)] for k, row in enumerate(self.samples)])
        write_csv_rows(out / "ensemble_summary.csv", ["output", "nominal", "median", "p05", "p95", "failed"],
                       [[o, self.nominal.get(o), self.stats[o]["median"], self.stats[o]["p05"], self.stats[o]["p95"],
                         self.stats[o]["failed"]] for o in self.outputs])
        atomic_write_json(out / "ensemble.json", self.as_dict())
        files = {"samples": "ensemble.csv", "summary": "ensemble_summary.csv", "json": "ensemble.json"}
        if figure:
            try:
                from metalair.calibration.figures import plot_ensemble

                plot_ensemble(self, out / "ensemble.png")
                files["figure"] = "ensemble.png"
            except ImportError:  # pragma: no cover
                pass
        return files


#: Samples below which the 5th-95th percentile band is little more than the sample range (1/0.05).
MIN_SAMPLES_FOR_BAND = 20

#: Runs per saved chunk of a checkpointed ensemble or Sobol' design (what a kill can cost, at most).
CHECKPOINT_CHUNK = 16


def _points_signature(pts: Sequence[_Point]) -> str:
    """What a list of runs computes, hashed.

    The targets' runs and observables, what their catalysts are (an edited catalyst file is another
    ensemble), the metalair version, and each point's values and shifts.
    """
    import hashlib

    from metalair._version import __version__

    targets = pts[0].targets if pts else []
    catalysts = sorted({str(t.catalyst) for t in targets})
    doc = [[[t.catalyst, t.run, t.observable] for t in targets],
           [[c, catalyst_identity(c)] for c in catalysts], __version__,
           [[sorted((k, float(v)) for k, v in p.parameters.items()),
             sorted((c, sorted((pr, sorted(d.items())) for pr, d in by.items()))
                    for c, by in (p.descriptor_shifts or {}).items())] for p in pts]]
    return hashlib.sha256(json.dumps(doc, default=repr).encode()).hexdigest()


def _run_points(pts: list[_Point], *, workers: int | None, mapper: Mapper | None,
                progress: Callable[[int, int], None] | None,
                checkpoint: str | os.PathLike[str] | None) -> np.ndarray:
    """Every point's observables; with ``checkpoint``, saved every :data:`CHECKPOINT_CHUNK` runs and resumed.

    A checkpoint of other runs (another design, seed, inputs or targets) is not used: it is replaced.
    """
    n = len(pts)
    if checkpoint is None:
        return np.array(map_points(_evaluate_point, pts, workers=workers, mapper=mapper, progress=progress),
                        dtype=float)
    from metalair._files import atomic_write_text

    path = Path(checkpoint)
    signature = _points_signature(pts)
    done: list[list[float]] = []
    if path.is_file():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            doc = {}
        if doc.get("signature") == signature:
            done = [[math.nan if v is None else float(v) for v in row] for row in doc.get("values", [])][:n]
    while len(done) < n:
        start = len(done)
        chunk = pts[start:start + CHECKPOINT_CHUNK]

        def step(k: int, total: int, start: int = start) -> None:
            if progress:
                progress(start + k, n)

        done += [list(map(float, row)) for row in map_points(_evaluate_point, chunk, workers=workers,
                                                             mapper=mapper, progress=step)]
        atomic_write_text(path, json.dumps({"signature": signature, "n": n, "values": [
            [v if math.isfinite(v) else None for v in row] for row in done]}))
    if progress and n:
        progress(n, n)
    return np.array(done, dtype=float)


def ensemble(targets: Sequence[Target], inputs: Sequence[UncertainInput] | None = None, n: int = 64, *,
             method: str = "lhs", seed: int | None = 0, base: Mapping[str, float] | None = None,
             workers: int | None = None, progress: Callable[[int, int], None] | None = None,
             nominal: bool = True, mapper: Mapper | None = None,
             checkpoint: str | os.PathLike[str] | None = None) -> EnsembleResult:
    """Run the targets' observables over ``n`` samples of the uncertain inputs; median and 90 % band.

    Parameters
    ----------
    targets : sequence of Target
        Outputs (their value and σ are not used); e.g. :func:`output_targets`.
    inputs : sequence of UncertainInput, optional
        Default: :func:`default_inputs` of every catalyst the targets name.
    n : int
        Samples (≥ 2; 64 or more for a 90 % band).
    method : {"lhs", "sobol"}
    base : mapping, optional
        Parameter values held (e.g. a calibration's).
    workers : int, optional
        Processes (default all CPUs).
    progress : callable, optional
        ``progress(done, total)``.
    nominal : bool
        Also run the unperturbed inputs (reported as "nominal").
    mapper : callable, optional
        ``mapper(fn, items, progress)``: where the runs go instead of ``workers`` local
        processes, e.g. a Dask cluster (:func:`metalair.sweeps.engine.dask_mapper`).
    checkpoint : path, optional
        JSON file the finished runs are saved to every :data:`CHECKPOINT_CHUNK` runs; a
        checkpoint of the same runs found there is continued (resume), another is replaced.

    References
    ----------
    McKay, M. D., Beckman, R. J. & Conover, W. J. Technometrics 21, 239–245 (1979). doi:10.2307/1268522
    """
    t0 = time.perf_counter()
    tg = tuple(targets)
    if not tg:
        raise ParameterError("no outputs for the ensemble")
    if inputs is None:
        inputs = [i for c in dict.fromkeys(t.catalyst for t in tg) for i in default_inputs(c)]
    inputs = list(inputs)
    check_callable(progress, "progress", PROGRESS_COUNT)
    X = sample_inputs(inputs, n, method, seed)
    pts = [_point(tg, inputs, row, base) for row in X]
    if nominal:
        pts.append(_Point(tg, dict(base or {}), None))
    vals = _run_points(pts, workers=workers, mapper=mapper, progress=progress, checkpoint=checkpoint)
    nom = {t.id: float(v) for t, v in zip(tg, vals[-1])} if nominal else {}
    Y = vals[:-1] if nominal else vals
    outs = [t.id for t in tg]
    samples_out = {o: Y[:, k] for k, o in enumerate(outs)}
    return EnsembleResult(inputs, X, outs, samples_out, {o: _stats(samples_out[o]) for o in outs}, nom,
                          time.perf_counter() - t0, {"n": int(n), "method": method, "seed": seed})


@dataclass
class SobolResult:
    """First-order (``S1``) and total (``ST``) Sobol' indices per output and input, with bootstrap 95 % intervals."""

    inputs: list[str]
    outputs: list[str]
    S1: dict[str, np.ndarray]
    ST: dict[str, np.ndarray]
    S1_ci: dict[str, np.ndarray]
    ST_ci: dict[str, np.ndarray]
    n_base: int
    n_runs: int
    failed: dict[str, int]
    wall_time_s: float

    def table(self) -> str:
        """Printed indices."""
        w = max([8, *(len(i) for i in self.inputs)])
        lines = [f"Sobol' indices (Saltelli design, N = {self.n_base}, {self.n_runs} runs, {self.wall_time_s:.0f} s)"]
        for o in self.outputs:
            lines.append(f"{o} (failed runs: {self.failed[o]})")
            lines.append(f"  {'input':<{w}}  {'S1':>6} {'95 % CI':>16}  {'ST':>6} {'95 % CI':>16}")
            for k in np.argsort(-np.nan_to_num(self.ST[o])):
                lines.append(f"  {self.inputs[k]:<{w}}  {self.S1[o][k]:6.2f} [{self.S1_ci[o][k, 0]:6.2f},"
                             f"{self.S1_ci[o][k, 1]:6.2f}]  {self.ST[o][k]:6.2f} [{self.ST_ci[o][k, 0]:6.2f},"
                             f"{self.ST_ci[o][k, 1]:6.2f}]")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"inputs": self.inputs, "outputs": self.outputs, "n_base": self.n_base, "n_runs": self.n_runs,
                "failed": self.failed, "wall_time_s": self.wall_time_s,
                "S1": {o: self.S1[o].tolist() for o in self.outputs},
                "ST": {o: self.ST[o].tolist() for o in self.outputs},
                "S1_ci": {o: self.S1_ci[o].tolist() for o in self.outputs},
                "ST_ci": {o: self.ST_ci[o].tolist() for o in self.outputs}}


def _sobol_estimates(fA: np.ndarray, fB: np.ndarray, fAB: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # centre the outputs first: the first-order estimator is unbiased either way (E[f(A_B^i) - f(A)] = 0)
    # but its variance grows with mean²/variance, which is huge for a voltage that moves by millivolts
    mu = float(np.mean(np.concatenate([fA, fB])))
    fA, fB, fAB = fA - mu, fB - mu, fAB - mu
    V = np.var(np.concatenate([fA, fB]))
    if not V > 0:
        z = np.zeros(fAB.shape[1])
        return z, z
    S1 = np.mean(fB[:, None] * (fAB - fA[:, None]), axis=0) / V
    ST = 0.5 * np.mean((fA[:, None] - fAB) ** 2, axis=0) / V
    return S1, ST


def sobol_indices(targets: Sequence[Target], inputs: Sequence[UncertainInput] | None = None, n: int = 64, *,
                  seed: int | None = 0, base: Mapping[str, float] | None = None, workers: int | None = None,
                  progress: Callable[[int, int], None] | None = None, bootstrap: int = 500,
                  mapper: Mapper | None = None, checkpoint: str | os.PathLike[str] | None = None) -> SobolResult:
    """Sobol' first-order and total indices of each target observable by Saltelli sampling (N(d + 2) runs).

    A and B are the two halves of a scrambled Sobol' sequence of dimension 2d.
    Rows where any run failed are dropped (counted in ``failed``). The runs go to ``workers`` local
    processes, or to ``mapper`` when given, and are saved to ``checkpoint`` (as in :func:`ensemble`).

    References
    ----------
    Saltelli, A. et al. Comput. Phys. Commun. 181, 259–270 (2010). doi:10.1016/j.cpc.2009.09.018
    Jansen, M. J. W. Comput. Phys. Commun. 117, 35–43 (1999). doi:10.1016/S0010-4655(98)00154-4
    """
    import warnings

    from scipy.stats import qmc

    t0 = time.perf_counter()
    tg = tuple(targets)
    if inputs is None:
        inputs = [i for c in dict.fromkeys(t.catalyst for t in tg) for i in default_inputs(c)]
    inputs = list(inputs)
    d = len(inputs)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 4:
        raise ParameterError(f"n = {n!r}: Sobol' indices need an integer N >= 4 base samples")
    check_at_most(n, "n", MAX_SAMPLES, "each base sample is (inputs + 2) simulations")
    seed = check_seed(seed)
    check_callable(progress, "progress", PROGRESS_COUNT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(int(n))
    uA, uB = u[:, :d], u[:, d:]
    mats = [uA, uB] + [np.where(np.arange(d) == i, uB, uA) for i in range(d)]
    U = np.vstack(mats)
    X = np.column_stack([inp.from_unit(U[:, j]) for j, inp in enumerate(inputs)])
    vals = _run_points([_point(tg, inputs, row, base) for row in X], workers=workers, mapper=mapper,
                       progress=progress, checkpoint=checkpoint)
    rng = np.random.default_rng(None if seed is None else seed + 1)
    outs = [t.id for t in tg]
    S1, ST, S1c, STc, failed = {}, {}, {}, {}, {}
    for k, o in enumerate(outs):
        f = vals[:, k].reshape(d + 2, n)
        ok = np.all(np.isfinite(f), axis=0)
        failed[o] = int(np.sum(~ok))
        fA, fB, fAB = f[0, ok], f[1, ok], f[2:, ok].T
        S1[o], ST[o] = _sobol_estimates(fA, fB, fAB)
        m = int(ok.sum())
        b1, bt = [], []
        for _ in range(bootstrap if m > 2 else 0):
            idx = rng.integers(0, m, m)
            a, b = _sobol_estimates(fA[idx], fB[idx], fAB[idx])
            b1.append(a)
            bt.append(b)
        S1c[o] = np.percentile(b1, [2.5, 97.5], axis=0).T if b1 else np.full((d, 2), math.nan)
        STc[o] = np.percentile(bt, [2.5, 97.5], axis=0).T if bt else np.full((d, 2), math.nan)
    return SobolResult([i.name for i in inputs], outs, S1, ST, S1c, STc, int(n), int(X.shape[0]), failed,
                       time.perf_counter() - t0)


def preset_ensemble(preset: str, catalyst: str, n: int = 64, *, method: str = "lhs", seed: int | None = 0,
                    halfwidth: float = DESCRIPTOR_HALFWIDTH_EV, calibration: Mapping[str, Any] | None = None,
                    workers: int | None = None, progress: Callable[[int, int], None] | None = None,
                    mapper: Mapper | None = None, checkpoint: str | os.PathLike[str] | None = None
                    ) -> tuple[EnsembleResult, list[Target]]:
    """One catalyst's ensemble for a command: ``"cycle"``, ``"simulate"`` or ``"validate"`` outputs.

    ``calibration`` is the document ``metalair calibrate`` writes (``calibration.json``): its values
    are held and its intervals sampled beside the descriptors. ``mapper`` and ``checkpoint`` as in
    :func:`ensemble`.
    Returns the result and the targets.
    """
    from metalair.calibration.targets import builtin_targets

    base = None
    extra: list[UncertainInput] = []
    if calibration is not None:
        base = {r["parameter"]: r["value"] for r in calibration.get("table", [])}
        extra = inputs_from_calibration(calibration)
    tg = output_targets(preset, catalyst) if preset != "validate" else builtin_targets(catalysts=[catalyst])
    res = ensemble(tg, default_inputs(catalyst, halfwidth) + extra, n, method=method, seed=seed, base=base,
                   workers=workers, progress=progress, mapper=mapper, checkpoint=checkpoint)
    return res, tg
