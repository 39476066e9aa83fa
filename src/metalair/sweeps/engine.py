"""The sweep engine: candidates → batches → an evaluation per candidate → a Parquet dataset.

:func:`run_sweep` cuts the candidates into batches, evaluates every batch
(on a Dask cluster, or serially in this process) and writes one Parquet file
per finished batch into the output folder, atomically (temporary file, then
rename). The folder therefore always holds whole batches only, and

* ``resume=True`` after a killed run skips the batches already written;
* a worker lost mid-run costs only the batch it was running: Dask gives the
  task to another worker, and nothing of it was written;
* the final table (``results.parquet``) has every candidate exactly once, in
  candidate order; it is checked before it is written.

An evaluation that raises for one candidate gives a row with ``status =
"error"`` and the message, never a failed sweep. The table depends only on
the candidates and the evaluation, not on how or where it ran: serial, local
and distributed runs give identical tables (no timings or host names in it;
they go to ``manifest.json`` and the progress line).

Execution modes (``scheduler``):

``"local"`` (default)
    A :class:`distributed.LocalCluster` with one single-threaded worker
    process per core, started and stopped here.
``"serial"``
    In this process, no Dask.
``"tcp://host:port"`` (any address)
    An existing Dask scheduler; its workers must be able to import metalair
    (the same environment), and the results come back to this process, so
    the workers need no shared file system.

References
----------
.. [1] Rocklin, M. "Dask: Parallel computation with blocked algorithms and task
   scheduling", Proc. 14th Python in Science Conf., 130 (2015). doi:10.25080/Majora-7b98e3ed-013
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metalair._files import atomic_write, atomic_write_text
from metalair.errors import MetalairError, ParameterError

__all__ = ["SweepError", "SweepResult", "run_sweep", "evaluate_batch", "default_batch_size", "read_sweep",
           "tables_identical", "ProgressBar", "MANIFEST", "RESULTS", "SCHEDULER_FORMS", "check_scheduler",
           "check_workers", "check_candidate_kinds"]

MANIFEST = "manifest.json"
RESULTS = "results.parquet"
_PART = "part-{:06d}.parquet"
_FORMAT = "metalair sweep"
#: Columns the engine adds to every row.
ENGINE_COLUMNS = ("candidate_id", "batch", "status", "message")
#: What ``scheduler`` accepts, in words (for messages).
SCHEDULER_FORMS = ("'local' (a Dask cluster on this machine), 'serial' (in this process, no Dask) or the address of a "
                   "running Dask scheduler, tcp://host:port (e.g. tcp://10.0.0.5:8786)")
_ADDRESS = re.compile(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")


class SweepError(MetalairError, RuntimeError):
    """A sweep could not finish (batches lost more often than allowed, or a folder mismatch)."""


def _pa() -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("sweeps write Parquet datasets and need pyarrow: pip install 'metalair[sweep]'") from None
    return pa, pq


def default_batch_size(n_candidates: int) -> int:
    """Candidates per batch: about 64 batches, at most 100 candidates each (independent of the cluster size)."""
    return int(min(100, max(1, math.ceil(n_candidates / 64))))


# ----------------------------------------------------------------------------
# one batch (runs on a worker)
# ----------------------------------------------------------------------------
def _clean(value: Any) -> Any:
    """A Parquet-friendly scalar: bool, int, float, str or None."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    try:
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def evaluate_batch(evaluate: Callable[[dict], Mapping[str, Any]], batch: int,
                   candidates: Sequence[tuple[int, Mapping[str, Any]]]) -> tuple[int, list[dict]]:
    """Evaluate one batch; every candidate gives one row, a failing one a row with its error.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(candidate) -> {name: scalar}``; may return ``status`` and
        ``message`` itself (e.g. a simulation that ended early).
    batch : int
        Batch number.
    candidates : sequence of (candidate_id, candidate)

    Returns
    -------
    (batch, rows)
    """
    rows = []
    for cid, cand in candidates:
        row: dict[str, Any] = {"candidate_id": int(cid), "batch": int(batch)}
        row.update({str(k): _clean(v) for k, v in cand.items()})
        try:
            out = evaluate(dict(cand))
            status = str(out.get("status", "ok"))
            message = str(out.get("message", "") or "")
            for k, v in out.items():
                if k in ("status", "message"):
                    continue
                key = str(k)
                if key in row:
                    key = f"{key} (result)"
                row[key] = _clean(v)
        except Exception as exc:  # one candidate must never end the sweep
            status = "error"
            message = f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, (MetalairError, ValueError)):
                tb = traceback.extract_tb(exc.__traceback__)
                if tb:
                    message += f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})"
        row["status"] = status
        row["message"] = message
        rows.append(row)
    return batch, rows


# ----------------------------------------------------------------------------
# the dataset
# ----------------------------------------------------------------------------
def _fingerprint(candidates: Sequence[Mapping[str, Any]], spec: Any, batch_size: int) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"spec": spec, "batch_size": batch_size}, sort_keys=True, default=repr).encode())
    for c in candidates:
        h.update(json.dumps(c, sort_keys=True, default=repr).encode())
        h.update(b"\n")
    return h.hexdigest()


def _rows_to_table(rows: list[dict]) -> Any:
    pa, _pq = _pa()
    names: list[str] = []
    for r in rows:
        for k in r:
            if k not in names:
                names.append(k)
    arrays = {}
    for name in names:
        vals = [r.get(name) for r in rows]
        kinds = {type(v) for v in vals if v is not None}
        if kinds <= {int} and name in ("candidate_id", "batch"):
            arrays[name] = pa.array(vals, type=pa.int64())
        elif kinds and kinds <= {int, float}:
            arrays[name] = pa.array([None if v is None else float(v) for v in vals], type=pa.float64())
        elif kinds == {bool}:
            arrays[name] = pa.array(vals, type=pa.bool_())
        elif not kinds:
            arrays[name] = pa.array(vals, type=pa.null())
        else:
            arrays[name] = pa.array([None if v is None else str(v) for v in vals], type=pa.string())
    return pa.table(arrays)


def _concat(tables: list[Any]) -> Any:
    pa, _pq = _pa()
    if not tables:
        return pa.table({"candidate_id": pa.array([], pa.int64())})
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except TypeError:  # pragma: no cover - pyarrow < 14
        return pa.concat_tables(tables, promote=True)


def _order_columns(table: Any, candidate_names: list[str]) -> Any:
    first = [c for c in ("candidate_id",) if c in table.column_names]
    inputs = [c for c in candidate_names if c in table.column_names and c not in first]
    tail = [c for c in ("status", "message", "batch") if c in table.column_names]
    rest = [c for c in table.column_names if c not in first + inputs + tail]
    return table.select(first + inputs + rest + tail)


def tables_identical(a: Any, b: Any) -> bool:
    """True when two result tables have the same columns, types and bit-identical values (NaN equals NaN)."""
    import struct

    if a.schema != b.schema or a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        x, y = a.column(name).to_pylist(), b.column(name).to_pylist()
        for u, v in zip(x, y):
            if isinstance(u, float) and isinstance(v, float):
                if struct.pack("<d", u) != struct.pack("<d", v):
                    return False
            elif u != v:
                return False
    return True


def read_sweep(out_dir: str | os.PathLike[str]) -> Any:
    """The result table of a finished sweep folder (``results.parquet``) as a pyarrow Table."""
    _pa_mod, pq = _pa()
    p = Path(out_dir) / RESULTS
    if not p.is_file():
        raise ParameterError(f"{str(p)!r} does not exist: the sweep in {str(out_dir)!r} has not finished "
                             "(run it again with --resume)")
    return pq.read_table(p)


@dataclass
class SweepResult:
    """Outcome of :func:`run_sweep`."""

    table: Any                 # pyarrow.Table, one row per candidate, candidate order
    out_dir: Path
    n_candidates: int
    n_batches: int
    batches_run: int
    batches_skipped: int
    n_failed: int
    wall_time_s: float
    mode: str
    files: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Candidates evaluated per second in this run (skipped batches excluded)."""
        done = self.n_candidates * self.batches_run / max(self.n_batches, 1)
        return done / self.wall_time_s if self.wall_time_s > 0 else math.nan

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (needs pandas)."""
        return self.table.to_pandas()


class ProgressBar:
    """A one-line progress bar on stderr: candidates done, rate, time left."""

    def __init__(self, label: str = "sweep", stream: Any = None, min_interval_s: float = 0.5):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.t0 = time.perf_counter()
        self.last = -math.inf
        self.min_interval_s = min_interval_s

    def __call__(self, done: int, total: int, failed: int = 0, skipped: int = 0) -> None:
        """Report ``done`` of ``total`` candidates (``failed`` not ok, ``skipped`` from earlier runs)."""
        now = time.perf_counter()
        if done < total and now - self.last < self.min_interval_s:
            return
        self.last = now
        el = now - self.t0
        ran = done - skipped
        rate = ran / el if el > 0 and ran > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else math.nan
        frac = done / max(total, 1)
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        msg = (f"\r{self.label} [{bar}] {100 * frac:5.1f}% {done}/{total} candidates"
               + (f", {failed} failed" if failed else "") + (f", {skipped} resumed" if skipped else "")
               + f", {rate:.1f}/s" + (f", {eta:.0f} s left" if math.isfinite(eta) and done < total else "   "))
        self.stream.write(msg)
        if done >= total:
            self.stream.write(f" ({el:.1f} s)\n")
        self.stream.flush()


def check_scheduler(scheduler: Any, option: str = "scheduler") -> str:
    """``scheduler`` if it is ``"local"``, ``"serial"`` or a scheduler address ``[tcp://]host:port``.

    Parameters
    ----------
    scheduler : str
        The value to check.
    option : str
        How the message names it (``"--scheduler"`` on the command line).

    Raises
    ------
    ParameterError
        Anything else; the message lists the accepted forms.
    """
    if scheduler in ("local", "serial"):
        return str(scheduler)
    if isinstance(scheduler, str):
        text = scheduler.strip()
        m = _ADDRESS.fullmatch(text)
        if (m and 0 < int(m.group(1)) < 65536) or re.fullmatch(r"inproc://\S+", text):
            return text
    raise ParameterError(f"{option} {scheduler!r} is not understood; use {SCHEDULER_FORMS}")


def check_workers(n_workers: Any, option: str = "n_workers") -> int | None:
    """``n_workers`` if it is None (all cores) or a whole number >= 1; else :class:`ParameterError`."""
    if n_workers is None:
        return None
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ParameterError(f"{option} must be >= 1 (the number of worker processes), got {n_workers!r}")
    return int(n_workers)


def _kind(value: Any) -> str | None:
    v = _clean(value)
    if v is None:
        return None
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return "a number"
    return "text"


def check_candidate_kinds(candidates: Sequence[Mapping[str, Any]]) -> None:
    """Refuse a name whose values are of different kinds (numbers and text): its column could not have one type.

    Raises
    ------
    ParameterError
        Naming the first candidate that differs, and the one it differs from.
    """
    first: dict[str, tuple[str, int, Any]] = {}
    for i, cand in enumerate(candidates):
        for name, value in cand.items():
            kind = _kind(value)
            if kind is None:
                continue
            seen = first.setdefault(str(name), (kind, i, value))
            if seen[0] != kind:
                raise ParameterError(
                    f"candidate {i}: {name} = {value!r} is {kind}, but candidate {seen[1]} gives {seen[2]!r} "
                    f"({seen[0]}); give every candidate the same kind of value for {name} (all numbers, all text "
                    "or all true/false)")


def _make_client(scheduler: str, n_workers: int | None) -> tuple[Any, Any, str]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a core dependency
        raise ImportError("parallel sweeps need dask.distributed: pip install dask distributed") from None
    if scheduler == "local":
        import logging

        n = n_workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        return Client(cluster), cluster, f"local ({n} worker processes)"
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ParameterError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}. Start one with "
                             "'dask scheduler' and workers with 'dask worker ADDRESS', or use --scheduler local") \
            from None
    return client, None, f"scheduler {scheduler}"


def run_sweep(
    candidates: Sequence[Mapping[str, Any]],
    evaluate: Callable[[dict], Mapping[str, Any]],
    out_dir: str | os.PathLike[str],
    *,
    batch_size: int | None = None,
    scheduler: str = "local",
    n_workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    spec: Any = None,
    progress: bool | Callable[..., None] = False,
    max_batch_retries: int = 3,
) -> SweepResult:
    """Evaluate every candidate, streaming one Parquet file per batch into ``out_dir``.

    Parameters
    ----------
    candidates : sequence of dict
        Flat ``{name: scalar}`` candidates (see :mod:`metalair.sweeps.candidates`).
    evaluate : callable
        ``evaluate(candidate) -> {name: scalar}``; picklable (a module-level
        function or a :func:`functools.partial` of one) for Dask.
    out_dir : path
        Output folder: ``manifest.json``, ``part-NNNNNN.parquet`` per batch,
        and ``results.parquet`` at the end.
    batch_size : int, optional
        Candidates per batch (default :func:`default_batch_size`; a resumed
        sweep keeps the batch size it started with).
    scheduler : {"local", "serial"} or address
        See the module notes and :func:`check_scheduler`.
    n_workers : int, optional
        Worker processes of the local cluster, >= 1 (default: all cores).
    resume : bool
        Continue a sweep in ``out_dir``: finished batches are kept.
    overwrite : bool
        Delete an earlier sweep's batches in ``out_dir`` and start again.
    spec : JSON-able, optional
        Description of the evaluation (settings); part of the sweep's
        fingerprint, so that ``resume`` refuses a folder made by a different
        sweep. Default: the evaluation function's name and repr.
    progress : bool or callable
        Show a progress bar on stderr, or call ``progress(done, total, failed, skipped)``.
    max_batch_retries : int
        How often a batch is resubmitted after its task failed (e.g. its
        worker was lost repeatedly) before the sweep gives up.

    Returns
    -------
    SweepResult

    Raises
    ------
    ParameterError
        Before any work: bad options (an unknown ``scheduler``, ``n_workers`` < 1, an ``out_dir`` that
        is a file or cannot be written), a candidate name given numbers by some candidates and text by
        others, or ``out_dir`` holds a different sweep (without ``overwrite``).
    SweepError
        Batches could not be finished; the finished ones are kept for ``resume``.
    """
    t_start = time.perf_counter()
    pa, pq = _pa()
    cands = [dict(c) for c in candidates]
    n = len(cands)
    if n == 0:
        raise ParameterError("no candidates to evaluate")
    if not callable(evaluate):
        raise ParameterError(f"evaluate must be callable, got {type(evaluate).__name__}")
    if scheduler is None:
        scheduler = "local"
    scheduler = check_scheduler(scheduler)
    n_workers = check_workers(n_workers)
    check_candidate_kinds(cands)
    from metalair.workflows.outputs import check_out_dir, remove_dead_temp_files

    out = check_out_dir(out_dir, option="out_dir")
    remove_dead_temp_files(out)  # fragments of atomic writes by a sweep that was killed
    manifest_path = out / MANIFEST
    old = None
    if manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
    if batch_size is None:
        batch_size = int(old["batch_size"]) if (resume and old and "batch_size" in old) else default_batch_size(n)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ParameterError(f"batch_size = {batch_size!r} must be a positive integer")
    if spec is None:
        spec = _describe(evaluate)
    fp = _fingerprint(cands, spec, batch_size)
    n_batches = math.ceil(n / batch_size)
    existing_parts = sorted(out.glob("part-*.parquet")) if out.is_dir() else []
    if old is not None or existing_parts:
        same = old is not None and old.get("fingerprint") == fp
        if overwrite:
            for pth in existing_parts:
                pth.unlink()
            (out / RESULTS).unlink(missing_ok=True)
        elif not resume:
            raise ParameterError(f"{str(out)!r} already holds a sweep; use resume=True (--resume) to continue it, "
                                 "overwrite=True (--overwrite) to start again, or another folder")
        elif not same:
            raise ParameterError(
                f"{str(out)!r} holds a different sweep (other candidates, settings or batch size: fingerprint "
                f"{(old or {}).get('fingerprint', '?')[:12]} vs {fp[:12]}); resume needs the same sweep. "
                "Use --overwrite to replace it, or another folder")
    out.mkdir(parents=True, exist_ok=True)
    # which batches are already finished (whole files only: they were written atomically)
    batches = [[(i, cands[i]) for i in range(b * batch_size, min(n, (b + 1) * batch_size))] for b in range(n_batches)]
    done_batches = set()
    for b in range(n_batches):
        pth = out / _PART.format(b)
        if resume and pth.is_file():
            try:
                if pq.read_metadata(pth).num_rows == len(batches[b]):
                    done_batches.add(b)
                    continue
            except Exception:  # an unreadable part file is simply redone
                pass
            pth.unlink(missing_ok=True)
    manifest = {"format": _FORMAT, "version": 1, "fingerprint": fp, "n_candidates": n, "batch_size": batch_size,
                "n_batches": n_batches, "spec": spec, "candidate_names": _names(cands), "status": "running"}
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2, default=repr))
    try:
        return _run_batches(evaluate, cands, batches, done_batches, out, manifest, manifest_path, progress,
                            scheduler, n_workers, fp, max_batch_retries, t_start)
    except BaseException as exc:  # an error or Ctrl-C: say so; the finished batches stay for --resume
        finished = sorted(b for b in range(n_batches) if (out / _PART.format(b)).is_file())
        manifest.update({"status": "stopped", "error": "interrupted (Ctrl-C)" if isinstance(exc, KeyboardInterrupt)
                         else f"{type(exc).__name__}: {exc}", "batches_finished": len(finished)})
        atomic_write_text(manifest_path, json.dumps(manifest, indent=2, default=repr))
        raise


def _run_batches(evaluate: Callable[..., Any], cands: list[dict], batches: list[list[tuple[int, dict]]],
                 done_batches: set[int], out: Path, manifest: dict[str, Any], manifest_path: Path,
                 progress: Any, scheduler: str, n_workers: int | None, fp: str,
                 max_batch_retries: int, t_start: float) -> SweepResult:
    """Evaluate the batches not yet finished, then assemble and check the results (see :func:`run_sweep`)."""
    import pyarrow.parquet as pq

    n, n_batches = len(cands), len(batches)
    todo = [b for b in range(n_batches) if b not in done_batches]
    report: Callable[..., None] | None
    if progress is True:
        report = ProgressBar("sweep")
    elif callable(progress):
        report = progress
    else:
        report = None
    n_done = sum(len(batches[b]) for b in done_batches)
    skipped = n_done
    failed = 0
    if report:
        report(n_done, n, failed, skipped)

    def finish_batch(b: int, rows: list[dict]) -> None:
        nonlocal n_done, failed
        table = _rows_to_table(rows)
        atomic_write(out / _PART.format(b), lambda tmp: pq.write_table(table, tmp))
        n_done += len(rows)
        failed += sum(1 for r in rows if r.get("status") not in ("ok",))
        if report:
            report(n_done, n, failed, skipped)

    lost: dict[int, str] = {}
    if scheduler == "serial" or not todo:
        mode = "serial" if scheduler == "serial" else "resumed (nothing left to run)"
        for b in todo:
            _bi, rows = evaluate_batch(evaluate, b, batches[b])
            finish_batch(b, rows)
    else:
        from distributed import as_completed

        client, cluster, mode = _make_client(scheduler, n_workers)
        try:
            futures = {}
            for b in todo:
                fut = client.submit(evaluate_batch, evaluate, b, batches[b], key=f"metalair-{fp[:16]}-batch-{b}",
                                    pure=False, retries=max_batch_retries)
                futures[fut] = b
            for fut in as_completed(list(futures)):
                b = futures[fut]
                try:
                    _bi, rows = fut.result()
                except Exception as exc:  # e.g. KilledWorker after repeated worker loss
                    lost[b] = f"{type(exc).__name__}: {exc}"
                    continue
                finish_batch(b, rows)
                fut.release()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    wall = time.perf_counter() - t_start
    if lost:
        raise SweepError(f"{len(lost)} batch(es) could not be evaluated (first: batch {min(lost)}: {lost[min(lost)]}); "
                         f"{n_batches - len(lost)} of {n_batches} are kept in {str(out)!r}: rerun with --resume")
    # assemble and check: every candidate exactly once
    tables = [pq.read_table(out / _PART.format(b)) for b in range(n_batches)]
    table = _concat(tables)
    table = table.sort_by([("candidate_id", "ascending")])
    ids = table.column("candidate_id").to_pylist()
    if ids != list(range(n)):
        raise SweepError(f"the batches in {str(out)!r} do not hold each candidate exactly once "
                         f"({len(ids)} rows for {n} candidates); rerun with --overwrite")
    table = _order_columns(table, manifest["candidate_names"])
    atomic_write(out / RESULTS, lambda tmp: pq.write_table(table, tmp))
    failed = sum(1 for s in table.column("status").to_pylist() if s != "ok")
    manifest.update({"finished": True, "status": "complete", "mode": mode, "wall_time_s": round(wall, 3),
                     "batches_run": len(todo), "batches_resumed": len(done_batches), "failed": failed})
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2, default=repr))
    return SweepResult(table=table, out_dir=out, n_candidates=n, n_batches=n_batches, batches_run=len(todo),
                       batches_skipped=len(done_batches), n_failed=failed, wall_time_s=wall, mode=mode,
                       files={"results": str(out / RESULTS), "manifest": str(manifest_path)})


def _describe(evaluate: Any) -> dict:
    """A description of the evaluation that is the same in every process (no memory addresses)."""
    import functools

    if isinstance(evaluate, functools.partial):
        inner = _describe(evaluate.func)
        inner.update(args=[repr(a) for a in evaluate.args],
                     keywords={k: repr(v) for k, v in sorted(evaluate.keywords.items())})
        return inner
    name = getattr(evaluate, "__qualname__", None) or type(evaluate).__qualname__
    return {"evaluate": f"{getattr(evaluate, '__module__', '?')}.{name}"}


def _names(cands: list[dict]) -> list[str]:
    names: list[str] = []
    for c in cands:
        for k in c:
            if k not in names:
                names.append(str(k))
    return names
