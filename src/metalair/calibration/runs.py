"""Model evaluations for calibration and ensembles: the runs a set of targets needs, cached, optionally parallel.

One evaluation = every distinct (catalyst, run) pair the targets name, run
once, and each target's observable read off its run. Protocol runs keep
their time series (plateaus need them); the P6 cycling run keeps only step
summaries and is run in blocks of :data:`CYCLING_BLOCK` cycles, continued
from the last state, until its end-of-discharge voltage has crossed the
cycle-life threshold (a block-wise run reproduces a one-shot run to ~1e-11 V).

:func:`parallel_map` is the one place where independent evaluations are
spread over processes; a Dask or cluster engine can replace it.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metalair.calibration.targets import (
    CYCLE_LIFE_MARGIN_V,
    CYCLING_RUN,
    CYCLING_SETTINGS,
    OBSERVABLES,
    CyclingOutcome,
    Target,
)
from metalair.errors import MetalairError

__all__ = ["CatalystChange", "evaluate_targets", "parallel_map", "map_points", "Mapper", "Evaluator",
           "CYCLING_BLOCK", "targets_signature", "catalyst_identity", "target_failure", "checkpoint_mismatch"]

#: Cycles per block of the cycling run.
CYCLING_BLOCK = 50

#: Descriptor changes of one catalyst: ``{product: {"d_band_centre": eV, "icohp": eV}}`` (added to the built-in values).
CatalystChange = Mapping[str, Mapping[str, float]]


def _catalyst(name: str, shifts: Mapping[str, CatalystChange] | None) -> Any:
    from dataclasses import replace

    from metalair.catalysts import get_catalyst

    cat = get_catalyst(name)
    ch = (shifts or {}).get(cat.name)
    if not ch:
        return cat
    desc = dict(cat.descriptors)
    for product, deltas in ch.items():
        d = desc[product]
        desc[product] = replace(d, **{k: getattr(d, k) + float(v) for k, v in deltas.items()})
    return replace(cat, descriptors=desc)


def _cycling(cat: Any, parameters: Any, threshold: float) -> CyclingOutcome:
    """P6 cycling in blocks until the end-of-discharge voltage has crossed ``threshold`` and a cycle has failed."""
    from dataclasses import replace
    from types import SimpleNamespace

    from metalair.analysis.cycle_metrics import cycle_life
    from metalair.analysis.simulated import simulated_cycle_summary
    from metalair.protocols.simulation import Simulation
    from metalair.protocols.steps import Protocol
    from metalair.workflows.cycling import cycling_protocol

    s = CYCLING_SETTINGS
    cap = float(str(s["capacity"]).split()[0])
    max_cycles = int(s["cycles"])
    y = None
    steps: list[Any] = []
    eod: list[float] = []
    done = 0
    crossed = failed = False
    while done < max_cycles:
        n = min(CYCLING_BLOCK, max_cycles - done)
        proto = Protocol([cycling_protocol(s["current"], s["capacity"], n, f"{s['v_min']} V", f"{s['v_max']} V")])
        sol = Simulation(cat, proto, parameters=parameters, save_cycles=()).run(initial_state=y)
        sol.raise_if_interrupted()  # Ctrl-C stops the calibration: never a value
        for st in sol.steps:
            steps.append(replace(st, cycle=st.cycle + done))
            if st.kind == "discharge":
                eod.append(st.end_voltage_V)
                crossed = crossed or not (st.end_voltage_V > threshold)
            if st.kind in ("discharge", "charge") and st.capacity_mAh_g < 0.99 * cap:
                failed = True
        done += n
        if not sol.ok:
            eod.append(math.nan)
            break
        y = sol.final_state
        if crossed and failed:
            break
    table = simulated_cycle_summary(SimpleNamespace(steps=steps))
    life = cycle_life(table, capacity_limit_mAh_g=cap, v_min=float(s["v_min"]), v_max=float(s["v_max"]),
                      eod_threshold_V=2.0)
    return CyclingOutcome(np.array(eod), float(s["v_min"]), max_cycles, life)


def evaluate_targets(targets: Sequence[Target], parameters: Any = None,
                     descriptor_shifts: Mapping[str, CatalystChange] | None = None) -> np.ndarray:
    """Model value of every target's observable (NaN where the run failed or the observable is undefined).

    Parameters
    ----------
    targets : sequence of Target
    parameters : LumpedParameters, optional
        Default: the shipped set.
    descriptor_shifts : mapping, optional
        ``{catalyst: {product: {"d_band_centre": Δ, "icohp": Δ}}}`` added to
        the built-in descriptors (for uncertainty propagation).
    """
    results: dict[tuple[str, str], Any] = {}
    out = np.full(len(targets), math.nan)
    for k, t in enumerate(targets):
        key = (t.catalyst, t.run)
        if key not in results:
            try:
                results[key] = _target_run(t, _catalyst(t.catalyst, descriptor_shifts), parameters)
            except (MetalairError, FloatingPointError, ZeroDivisionError):
                results[key] = None
        res = results[key]
        if res is None:
            continue
        try:
            out[k] = float(OBSERVABLES[t.observable].function(res))
        except (MetalairError, ValueError, IndexError, ZeroDivisionError):
            out[k] = math.nan
    return out


class _RunFailed(MetalairError):
    """A target's run ended without reaching its end (its status and message)."""


def _target_run(target: Target, cat: Any, parameters: Any) -> Any:
    """The result of ``target``'s run on ``cat``: the cycling result, or the simulation's Solution.

    Raises
    ------
    MetalairError
        The run failed (``_RunFailed``, with its status and message), or could not start.
    """
    from metalair.protocols.simulation import Simulation

    if target.run == CYCLING_RUN:
        return _cycling(cat, parameters, float(CYCLING_SETTINGS["v_min"]) + CYCLE_LIFE_MARGIN_V)
    sol = Simulation(cat, target.run, parameters=parameters).run()
    sol.raise_if_interrupted()
    if not sol.ok:
        raise _RunFailed(f"its run failed ({sol.status}: {sol.message})")
    return sol


# ---------------------------------------------------------------------------
# parallel execution
# ---------------------------------------------------------------------------
def default_workers() -> int:
    """Worker processes to use: ``METALAIR_WORKERS`` if set, else the CPU count (at least 1)."""
    env = os.environ.get("METALAIR_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    return max(1, os.cpu_count() or 1)


#: What maps independent model evaluations: ``mapper(fn, items, progress) -> [fn(x) for x in items]`` in order.
#: The default is :func:`parallel_map` over local processes; a Dask cluster's (``sweeps.engine.dask_mapper``)
#: has the same form.
Mapper = Callable[[Callable[[Any], Any], Sequence[Any], "Callable[[int, int], None] | None"], list[Any]]


def map_points(fn: Callable[[Any], Any], items: Sequence[Any], *, workers: int | None = None,
               mapper: Mapper | None = None, progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """``[fn(x) for x in items]`` through ``mapper`` when given, else :func:`parallel_map` on ``workers``."""
    if mapper is not None:
        return list(mapper(fn, items, progress))
    return parallel_map(fn, items, workers=workers, progress=progress)


def parallel_map(fn: Callable[[Any], Any], items: Sequence[Any], workers: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """``[fn(x) for x in items]``, spread over ``workers`` processes (in order).

    ``fn`` and the items must be picklable (module-level function). One
    worker, or one item, runs in this process. This is the single place
    independent model evaluations are distributed; another engine (Dask)
    can take its place behind the same signature.
    """
    n = len(items)
    w = default_workers() if workers is None else max(1, int(workers))
    if w == 1 or n <= 1:
        out = []
        for i, x in enumerate(items):
            out.append(fn(x))
            if progress:
                progress(i + 1, n)
        return out
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: list[Any] = [None] * n
    ctx = mp.get_context("fork") if sys.platform.startswith("linux") else None
    with ProcessPoolExecutor(max_workers=min(w, n), mp_context=ctx, initializer=_ignore_interrupt) as pool:
        futs = {pool.submit(fn, x): i for i, x in enumerate(items)}
        done = 0
        try:
            for f in as_completed(futs):
                results[futs[f]] = f.result()
                done += 1
                if progress:
                    progress(done, n)
        except KeyboardInterrupt:  # the workers finish the run in hand; nothing queued starts
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return results


def _ignore_interrupt() -> None:  # pragma: no cover - runs in the worker processes
    """Leave Ctrl-C to the parent, which stops the queue (a worker's own traceback would only be noise).

    And end with the parent: a parent killed with -9 (or by SIGTERM) left its idle workers running for
    good, adopted by init; a daemon thread here ends the worker within a second of it.
    """
    import os
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="metalair-parent-watch", daemon=True).start()


@dataclass(frozen=True)
class _Point:
    targets: tuple[Target, ...]
    parameters: dict[str, float]
    descriptor_shifts: dict[str, dict[str, dict[str, float]]] | None = None


def _evaluate_point(p: _Point) -> list[float]:
    from metalair.models.parameters import DEFAULT_PARAMETERS

    try:
        params = DEFAULT_PARAMETERS.replace(**p.parameters)
    except MetalairError:
        return [math.nan] * len(p.targets)
    return [float(v) for v in evaluate_targets(p.targets, params, p.descriptor_shifts)]


def catalyst_identity(name: Any) -> str:
    """What a target's catalyst is, for a checkpoint: a catalyst file's bytes (hashed), else the built-in's values."""
    from metalair._files import file_sha256
    from metalair.catalysts import get_catalyst

    text = str(name).strip()
    if text.lower().endswith(".toml"):
        try:
            return "sha256:" + file_sha256(text)
        except OSError:
            return "missing"
    try:
        return repr(get_catalyst(name))
    except Exception:  # an unknown name fails in the run itself, with its message
        return text


def _signature_parts(targets: Sequence[Target]) -> dict[str, Any]:
    """What a checkpoint of ``targets``' evaluations is valid for, in parts (for :func:`checkpoint_mismatch`)."""
    import hashlib

    from metalair._version import __version__

    catalysts = sorted({str(t.catalyst) for t in targets})
    return {"runs": [[t.catalyst, t.run, t.observable] for t in targets],
            "catalysts": {c: hashlib.sha256(catalyst_identity(c).encode()).hexdigest()[:16] for c in catalysts},
            "metalair": __version__}


def targets_signature(targets: Sequence[Target]) -> str:
    """What the model computes for ``targets``, hashed: what a checkpoint of their evaluations is valid for.

    The targets' catalysts, runs and observables, what the catalysts are (a catalyst file's content, a
    built-in's values) and the metalair version. Not the observed values or uncertainties: the model's
    outputs do not depend on them, so a checkpoint stays valid when a target's value or σ changes.
    """
    return _hash_parts(_signature_parts(targets))


def _hash_parts(parts: Mapping[str, Any]) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


def checkpoint_mismatch(checkpoint: str | os.PathLike[str], targets: Sequence[Target]) -> str | None:
    """Why the evaluations in ``checkpoint`` are not valid for ``targets`` (None when they are): for messages."""
    try:
        doc = json.loads(Path(checkpoint).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"it cannot be read as a checkpoint ({exc})"
    if not isinstance(doc, dict) or "evaluations" not in doc:
        return "it is not a calibration checkpoint"
    if doc.get("targets") == targets_signature(targets):
        return None
    now, then = _signature_parts(targets), doc.get("about")
    if not isinstance(then, dict):
        return "it was written by an earlier metalair version, which recorded no catalyst identities"
    if then.get("metalair") != now["metalair"]:
        return f"it was written by metalair {then.get('metalair')}, this is {now['metalair']}"
    if [list(r) for r in then.get("runs", [])] != now["runs"]:
        return "it holds the model runs of other targets (other catalysts, runs or observables, or another order)"
    changed = [c for c, h in now["catalysts"].items() if (then.get("catalysts") or {}).get(c) != h]
    if changed:
        return (f"catalyst {', '.join(map(repr, changed))} changed since it was written (a catalyst file edited, "
                "or a built-in catalyst's values)")
    return "its signature differs"


def target_failure(target: Target, parameters: Any = None) -> str | None:
    """Why the model gives no value for ``target`` at ``parameters`` (None when it gives one): for messages."""
    try:
        res = _target_run(target, _catalyst(target.catalyst, None), parameters)
        value = float(OBSERVABLES[target.observable].function(res))
    except (MetalairError, ValueError, IndexError, FloatingPointError, ZeroDivisionError) as exc:
        return str(exc).split("\n")[0] or type(exc).__name__
    return None if math.isfinite(value) else f"its observable {target.observable!r} is {value} for this run"


def _key(values: Mapping[str, float]) -> str:
    return json.dumps({k: float(values[k]) for k in sorted(values)}, sort_keys=True)


@dataclass
class Evaluator:
    """Cached evaluations of a fixed set of targets at parameter values (optionally checkpointed).

    Parameters
    ----------
    targets : sequence of Target
    base : dict, optional
        Parameter values held fixed (added to every evaluation).
    checkpoint : path, optional
        JSON file: every evaluation is added to it (written atomically), and
        evaluations already in it are not repeated (resume).
    workers : int, optional
        Processes for :meth:`evaluate_many`.
    progress : callable, optional
        ``progress(message)`` after each batch.
    cache : dict, optional
        Evaluations to start from (shared between evaluators of targets with the same
        catalysts, runs and observables, in the same order).
    """

    targets: Sequence[Target]
    base: dict[str, float] = field(default_factory=dict)
    checkpoint: str | os.PathLike[str] | None = None
    workers: int | None = None
    progress: Callable[[str], None] | None = None
    cache: dict[str, list[float]] = field(default_factory=dict)
    n_model_runs: int = 0
    model_time_s: float = 0.0

    #: a checkpoint file was there but held the evaluations of other runs (other targets or catalysts, another
    #: metalair version): not used, and replaced at the next save
    stale_checkpoint: bool = False

    def __post_init__(self) -> None:
        self.targets = tuple(self.targets)
        self._about = _signature_parts(self.targets)
        self._signature = _hash_parts(self._about)
        if self.checkpoint is not None and Path(self.checkpoint).is_file():
            try:
                doc = json.loads(Path(self.checkpoint).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                doc = {}
            if isinstance(doc, dict) and doc.get("targets") == self._signature:
                self.cache.update({k: [math.nan if v is None else v for v in vals]
                                   for k, vals in doc.get("evaluations", {}).items()})
            else:
                self.stale_checkpoint = True

    def _save(self) -> None:
        if self.checkpoint is None:
            return
        from metalair._files import atomic_write_text

        doc = {"targets": self._signature, "about": self._about,
               "evaluations": {k: [v if math.isfinite(v) else None for v in vals] for k, vals in self.cache.items()}}
        atomic_write_text(self.checkpoint, json.dumps(doc))

    def evaluate_many(self, points: Iterable[Mapping[str, float]]) -> list[np.ndarray]:
        """Observables at each point (dict of parameter values), running only the uncached ones."""
        pts = [{**self.base, **{k: float(v) for k, v in p.items()}} for p in points]
        keys = [_key(p) for p in pts]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if todo:
            by_key = dict(zip(keys, pts))
            t0 = time.perf_counter()
            vals = parallel_map(_evaluate_point, [_Point(tuple(self.targets), by_key[k]) for k in todo],
                                workers=self.workers)
            self.model_time_s += time.perf_counter() - t0
            self.n_model_runs += len(todo)
            for k, v in zip(todo, vals):
                self.cache[k] = list(v)
            self._save()
        return [np.array(self.cache[k], dtype=float) for k in keys]

    def evaluate(self, point: Mapping[str, float]) -> np.ndarray:
        """Observables at one point."""
        return self.evaluate_many([point])[0]
