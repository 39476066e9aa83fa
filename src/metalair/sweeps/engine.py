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
    the workers need no shared file system. Before any batch is sent, the
    scheduler must answer within :data:`CONNECT_TIMEOUT_S`, a worker must
    have joined within :data:`WORKER_TIMEOUT_S`, and every worker must have
    the same metalair version as this process; otherwise a
    :class:`~metalair.errors.ParameterError` says what is wrong.
a :class:`distributed.Client`
    That client's cluster (checked as above); the client stays open.
``"current"``
    The Dask client already active in this process
    (:func:`distributed.default_client`).

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
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metalair._files import atomic_write, atomic_write_text
from metalair._progress import ProgressLine
from metalair._validation import check_workers
from metalair.errors import MetalairError, ParameterError

__all__ = ["SweepError", "SweepResult", "run_sweep", "evaluate_batch", "default_batch_size", "read_sweep",
           "tables_identical", "ProgressBar", "MANIFEST", "RESULTS", "SCHEDULER_FORMS", "CONNECT_TIMEOUT_S",
           "WORKER_TIMEOUT_S", "check_scheduler", "check_workers", "check_candidate_kinds", "read_sweep_manifest",
           "sweep_files", "record_files", "dask_mapper", "finished_batches", "refuse_in_starting_worker"]

MANIFEST = "manifest.json"
RESULTS = "results.parquet"
_PART = "part-{:06d}.parquet"
_FORMAT = "metalair sweep"
#: Columns the engine adds to every row.
ENGINE_COLUMNS = ("candidate_id", "batch", "status", "message")
#: What ``scheduler`` accepts, in words (for messages).
SCHEDULER_FORMS = ("'local' (a Dask cluster on this machine), 'serial' (in this process, no Dask) or the address of a "
                   "running Dask scheduler, tcp://host:port (e.g. tcp://10.0.0.5:8786)")
#: ... and in Python also a Dask client.
_CLIENT_FORMS = ", a distributed.Client, or 'current' (the Dask client active in this process)"
#: Seconds a scheduler address has to answer as a Dask scheduler (connection and handshake together).
CONNECT_TIMEOUT_S = 20.0
#: Seconds to wait for the first worker of a scheduler that has none.
WORKER_TIMEOUT_S = 60.0
#: Files a sweep folder may hold besides its batches (``run_screen`` adds the CSV table and the figures): what
#: ``overwrite`` sets aside.
_OUTPUT_NAMES = (RESULTS, "results.csv", "map.png", "response.png")
_ADDRESS = re.compile(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")


class SweepError(MetalairError, RuntimeError):
    """A sweep could not finish (batches lost more often than allowed, or a folder mismatch).

    ``what`` is the message without the advice on how to continue (``rerun with --resume``).
    """

    def __init__(self, message: str, what: str | None = None):
        super().__init__(message)
        self.what = what if what is not None else message


def _words(cli: bool) -> dict[str, str]:
    """How messages name the options: the command line's or the Python arguments."""
    if cli:
        return {"resume": "--resume", "overwrite": "--overwrite", "out": "--out", "scheduler": "--scheduler",
                "local": "--scheduler local"}
    return {"resume": "resume=True", "overwrite": "overwrite=True", "out": "out_dir", "scheduler": "scheduler",
            "local": "scheduler='local'"}


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
def _version() -> str:
    from metalair._version import __version__

    return str(__version__)


def _candidates_hash(candidates: Sequence[Mapping[str, Any]]) -> str:
    h = hashlib.sha256()
    for c in candidates:
        h.update(json.dumps(c, sort_keys=True, default=repr).encode())
        h.update(b"\n")
    return h.hexdigest()


def _fingerprint(candidates: Sequence[Mapping[str, Any]], spec: Any, batch_size: int) -> str:
    """What a sweep is: its candidates, evaluation (``spec``), batch size and the metalair version that runs it."""
    h = hashlib.sha256()
    h.update(json.dumps({"spec": spec, "batch_size": batch_size, "metalair_version": _version()}, sort_keys=True,
                        default=repr).encode())
    h.update(_candidates_hash(candidates).encode())
    return h.hexdigest()


def _leaf_differences(old: Any, new: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any, Any]]:
    """The (path, old, new) of every value that differs between two JSON documents."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in list(old) + [k for k in new if k not in old]:
            out += _leaf_differences(old.get(k, "(absent)"), new.get(k, "(absent)"), (*path, str(k)))
        return out
    return [] if old == new else [(path, old, new)]


def _what_differs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """In words, what makes the sweep recorded in ``old`` (a manifest) differ from ``new``."""
    out = []
    if old.get("format") != _FORMAT:
        return [f"it is not a sweep's folder (its manifest was written by '{old.get('command', '?')}')"]
    if old.get("metalair_version") != new["metalair_version"]:
        out.append(f"the metalair version ({old.get('metalair_version', 'not recorded: 0.2.0 or earlier')} -> "
                   f"{new['metalair_version']})")
    if old.get("n_candidates") != new["n_candidates"]:
        out.append(f"the candidates ({old.get('n_candidates')} -> {new['n_candidates']} of them)")
    elif "candidates_sha256" in old and old["candidates_sha256"] != new["candidates_sha256"]:
        out.append("the candidates (same number, other values)")
    if old.get("batch_size") != new["batch_size"]:
        out.append(f"the batch size ({old.get('batch_size')} -> {new['batch_size']})")
    spec_new = json.loads(json.dumps(new["spec"], default=repr))
    for path, a, b in _leaf_differences(old.get("spec"), spec_new):
        if path[:1] == ("catalyst_files",) and len(path) == 2:
            change = "added" if a == "(absent)" else "no longer used" if b == "(absent)" else "its content changed"
            out.append(f"catalyst file {path[1]!r} ({change})")
        else:
            name = ".".join(path) or "the evaluation"
            out.append(f"{name} ({str(a)[:60]} -> {str(b)[:60]})")
    return out or ["the candidates, settings or batch size"]


def _rows_to_table(rows: list[dict]) -> Any:
    """One batch's rows as a table; a column's type follows only from its values (never from the batch).

    Whole numbers (Python ints in every row that has a value) give an int64 column, missing values (None)
    nulls; numbers with a fraction anywhere give float64.
    """
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
        if kinds == {int} and all(v is None or -2**63 <= v < 2**63 for v in vals):
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
    """A one-line progress bar on stderr: candidates done, rate, time left.

    Drawn by :class:`metalair._progress.ProgressLine`.
    """

    def __init__(self, label: str = "sweep", stream: Any = None, min_interval_s: float = 0.5,
                 interactive: bool | None = None):
        self.t0 = time.perf_counter()
        self.line = ProgressLine(label, stream=stream, width=30, decimals=1, min_interval_s=min_interval_s,
                                 interactive=interactive)

    def __call__(self, done: int, total: int, failed: int = 0, skipped: int = 0) -> None:
        """Report ``done`` of ``total`` candidates (``failed`` not ok, ``skipped`` from earlier runs)."""
        el = time.perf_counter() - self.t0
        ran = done - skipped
        rate = ran / el if el > 0 and ran > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else math.nan
        extra = (f" {done}/{total} candidates" + (f", {failed} failed" if failed else "")
                 + (f", {skipped} resumed" if skipped else "") + f", {rate:.1f}/s"
                 + (f", {eta:.0f} s left" if math.isfinite(eta) and done < total else ""))
        self.line.update(done, total, extra, end=f" ({el:.1f} s)")


def _is_client(obj: Any) -> bool:
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - dask is a core dependency
        return False
    return isinstance(obj, Client)


def check_scheduler(scheduler: Any, option: str = "scheduler", *, allow_client: bool = True) -> Any:
    """``scheduler`` if it is ``"local"``, ``"serial"``, a scheduler address ``[tcp://]host:port``, or a Dask client.

    Parameters
    ----------
    scheduler : str or distributed.Client
        The value to check.
    option : str
        How the message names it (``"--scheduler"`` on the command line).
    allow_client : bool
        Also accept a :class:`distributed.Client` and ``"current"`` (the client active in this process);
        the command line cannot give either.

    Raises
    ------
    ParameterError
        Anything else; the message lists the accepted forms.
    """
    if scheduler in ("local", "serial") or (allow_client and scheduler == "current"):
        return str(scheduler)
    if allow_client and _is_client(scheduler):
        return scheduler
    if isinstance(scheduler, str):
        text = scheduler.strip()
        m = _ADDRESS.fullmatch(text)
        if (m and 0 < int(m.group(1)) < 65536) or re.fullmatch(r"inproc://\S+", text):
            return text
    if scheduler == "current":
        raise ParameterError(f"{option} current is for Python (the Dask client active in the same process); on the "
                             f"command line use {SCHEDULER_FORMS}")
    raise ParameterError(f"{option} {scheduler!r} is not understood; use {SCHEDULER_FORMS}"
                         + (_CLIENT_FORMS if allow_client else ""))


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


def _current_client(words: Mapping[str, str]) -> Any:
    """The Dask client active in this process, for ``scheduler="current"``."""
    try:
        from distributed import default_client

        return default_client()
    except ValueError:
        raise ParameterError(f"{words['scheduler']} 'current' needs a Dask client active in this process, and there "
                             "is none; create one first (client = distributed.Client('tcp://host:8786')), pass it "
                             f"as {words['scheduler']}=client, or give the scheduler's address") from None


class _NotDaskReply(Exception):
    """The server at an address took the connection, but what it sent back is not a Dask message."""


def _probe_scheduler(address: str, timeout: float) -> dict:
    """Ask ``address`` who it is (Dask's ``identity`` call), all within ``timeout`` seconds.

    It runs in its own thread and event loop, so that a server that accepts the connection and then says
    nothing (or something that is not Dask) cannot hang the caller, whatever loop the caller runs.

    Raises
    ------
    _NotDaskReply
        The reply could not be read as a Dask message (an HTTP server's ``HTTP/1.1 400``, read as Dask's
        frame lengths, asked for exbibytes: ``MemoryError``), or it is not a mapping.
    Exception
        Whatever else went wrong (``TimeoutError`` when no answer came in time).
    """
    import asyncio
    import threading

    async def identity() -> Any:
        from distributed.comm import connect

        try:  # its own error first (e.g. connection refused); Dask's handshake is read here too
            comm = await connect(address, timeout=0.75 * timeout)
        except OSError:  # no connection (or a timeout): said as such by the caller
            raise
        except Exception as exc:  # the handshake: MemoryError or a decoding error on bytes that are not Dask's
            raise _NotDaskReply(f"{type(exc).__name__}: {exc}") from None
        try:
            await comm.write({"op": "identity", "reply": True})
            try:
                return await comm.read()
            except Exception as exc:  # MemoryError, a decoding error, the stream closed mid-reply
                raise _NotDaskReply(f"{type(exc).__name__}: {exc}") from None
        finally:
            comm.abort()

    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["reply"] = asyncio.run(asyncio.wait_for(identity(), timeout))
        except BaseException as exc:  # reported to the caller, whatever it is
            box["error"] = exc

    th = threading.Thread(target=run, name="metalair-scheduler-probe", daemon=True)
    th.start()
    th.join(timeout + 5.0)
    if "error" in box:
        raise box["error"]
    if "reply" not in box:
        raise TimeoutError()
    if not isinstance(box["reply"], dict):
        raise _NotDaskReply(f"a {type(box['reply']).__name__}, not a mapping")
    return box["reply"]


#: A TCP address: host name, IPv4 or [IPv6], and port, with or without ``tcp://``.
_TCP_ADDRESS = re.compile(r"(?:tcp://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})")


def _first_line(address: str, timeout: float) -> str | None:
    """The first line a TCP server at ``address`` sends, when it is short printable text, else None.

    It is read as it comes (an SSH server speaks first) or after a few bytes of ours (an HTTP server
    answers them with ``HTTP/1.1 400 Bad Request``), within about ``timeout`` seconds; it tells a user
    what kind of server answered in place of a Dask scheduler.
    """
    import socket

    m = _TCP_ADDRESS.fullmatch(address.strip())
    if m is None:
        return None
    host, port = m.group(1).strip("[]"), int(m.group(2))
    try:
        with socket.create_connection((host, port), timeout=timeout / 2) as sock:
            sock.settimeout(timeout / 4)
            try:
                data = sock.recv(256)
            except TimeoutError:  # a server that waits to be spoken to
                sock.sendall(b"\0" * 16)
                data = sock.recv(256)
    except OSError:
        return None
    line = data.replace(b"\r", b"\n").split(b"\n", 1)[0].strip()
    try:
        text = line.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text[:80] if text and text.isprintable() else None


def _tcp_refused(address: str, timeout: float) -> str | None:
    """Why a TCP ``address`` cannot be connected to at all (unknown host, connection refused), or None.

    Dask retries such connections until its timeout; this says at once what is wrong. Other protocols
    (``tls://``, ``inproc://``, ...) and anything else (e.g. a slow network) are left to Dask.
    """
    import socket

    m = _TCP_ADDRESS.fullmatch(address.strip())
    if m is None:
        return None
    host, port = m.group(1).strip("[]"), int(m.group(2))
    try:
        with socket.create_connection((host, port), timeout=min(timeout, 5.0)):
            return None
    except socket.gaierror as exc:
        return f"the host name {host!r} is not known ({exc.strerror or exc})"
    except ConnectionRefusedError:
        return f"nothing listens on port {port} of {host} (connection refused)"
    except OSError:  # a timeout or an unreachable network: Dask's own attempt says more
        return None


def _connect(address: str, words: Mapping[str, str]) -> Any:
    """A :class:`distributed.Client` of the scheduler at ``address``, within :data:`CONNECT_TIMEOUT_S`.

    Raises
    ------
    ParameterError
        Nothing answers there as a Dask scheduler; the message says what happened and what to check.
    """
    from distributed import Client

    limit = float(CONNECT_TIMEOUT_S)
    t0 = time.monotonic()

    def unreachable(reason: str) -> ParameterError:
        return ParameterError(
            f"cannot reach a Dask scheduler at {address} within {limit:g} s: {reason}; check the address "
            "(tcp://host:8786: the scheduler's port, not its dashboard's), that 'dask scheduler' runs there and "
            f"that no firewall blocks the port, or use {words['local']}")

    refused = _tcp_refused(address, limit)
    if refused:
        raise unreachable(refused)
    try:
        reply = _probe_scheduler(address, limit)
    except TimeoutError:
        raise unreachable("the connection was accepted, but no Dask answer came (another kind of server, or a "
                          "scheduler that hangs?)") from None
    except OSError as exc:
        cause = exc.__cause__
        raise unreachable(f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)) from None
    except Exception:  # _NotDaskReply, or anything else on reading bytes that are not Dask's protocol
        # (an HTTP server's "HTTP/1.1 400", read as a Dask frame length, asked for 3 EiB: not worth showing)
        sent = _first_line(address, min(4.0, max(limit - (time.monotonic() - t0), 1.0)))
        raise unreachable("the server there answered, but not in Dask's protocol, so it is not a Dask scheduler "
                          "(a scheduler answers a connection with Dask's handshake"
                          + (f"; this one sent {sent!r}" if sent else "") + ": another kind of server, e.g. HTTP "
                          "or SSH, listens on that port)") from None
    kind = str(reply.get("type", "?"))
    if kind != "Scheduler":
        raise unreachable(f"the server there is a Dask {kind.lower()}, not a scheduler"
                          + (f" (its scheduler: {reply['scheduler']})" if reply.get("scheduler") else ""))
    left = max(limit - (time.monotonic() - t0), 5.0)
    try:
        return Client(address, timeout=f"{left:.1f}s", set_as_default=False)
    except Exception as exc:
        raise unreachable(f"{type(exc).__name__}: {str(exc)[:160]}") from None


def _worker_check() -> tuple[bool, str]:
    """Run on every worker: (True, metalair's version there) or (False, why metalair cannot be imported).

    Sent by value (see :func:`_by_value`), so a worker without metalair can run it.
    """
    try:
        from metalair._version import __version__  # imports the whole package first
    except BaseException as exc:  # any failure to import is the answer
        return False, f"cannot import metalair ({type(exc).__name__}: {exc})"
    return True, str(__version__)


def _by_value(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A copy of ``fn`` that pickles by value: its code with builtins only, in no importable module."""
    import builtins
    import types

    glob = {"__builtins__": builtins, "__name__": "metalair_worker_check"}
    return types.FunctionType(fn.__code__, glob, fn.__name__, fn.__defaults__, fn.__closure__)


def _check_cluster(client: Any, where: str, words: Mapping[str, str]) -> None:
    """Refuse a cluster whose workers cannot run the sweep: none joined, or not the same metalair.

    Raises
    ------
    ParameterError
        No worker within :data:`WORKER_TIMEOUT_S`; or workers that cannot import metalair or have another
        version than this process (the message lists each worker and what it reported).
    """
    version = _version()
    try:
        client.wait_for_workers(1, timeout=float(WORKER_TIMEOUT_S))
    except Exception:  # TimeoutError (the type varies between distributed versions)
        raise ParameterError(
            f"the Dask scheduler at {where} has no worker: none joined within {float(WORKER_TIMEOUT_S):g} s, so "
            f"the sweep would wait forever; start workers with 'dask worker {where}' in an environment with "
            f"metalair {version} installed, or use {words['local']}") from None
    try:
        reports = client.run(_by_value(_worker_check), on_error="return", callback_timeout=float(CONNECT_TIMEOUT_S))
    except Exception as exc:
        raise ParameterError(f"the Dask workers of {where} did not answer a check within {CONNECT_TIMEOUT_S:g} s "
                             f"({type(exc).__name__}: {exc}); check that they run, or use {words['local']}") from None
    bad = []
    for addr, rep in sorted(reports.items()):
        if isinstance(rep, BaseException):
            bad.append(f"{addr}: the check failed ({type(rep).__name__}: {rep})")
        elif not (isinstance(rep, (tuple, list)) and len(rep) == 2 and rep[0]):
            bad.append(f"{addr}: {rep[1] if isinstance(rep, (tuple, list)) and len(rep) == 2 else rep}")
        elif str(rep[1]) != version:
            bad.append(f"{addr}: metalair {rep[1]}")
    if bad:
        raise ParameterError(
            f"{len(bad)} of {len(reports)} Dask worker(s) of {where} cannot run this sweep, which needs metalair "
            f"{version} (the version here): " + "; ".join(bad) + f". Install metalair {version} in the workers' "
            "environment (the same one as here) and restart them")


#: Why local workers fail to start when a script calls a sweep at its top level, and what to do.
_SCRIPT_GUARD_HINT = ("Each local worker process imports the script that started the sweep; a script that calls "
                      "the sweep at its top level must do so under 'if __name__ == \"__main__\":' (or use "
                      "scheduler='serial')")


def refuse_in_starting_worker() -> None:
    """Stop a sweep that a local worker process starts while it imports the user's script.

    Called first by :func:`run_sweep` and :func:`~metalair.sweeps.screen.run_screen`, before any other
    check or lock: a script without the ``__main__`` guard is run again by each worker as it starts, and
    the sweep it calls must end at once with the one advice, not after locking the output folder that
    the parent holds ("another metalair run is writing to this folder now").

    Raises
    ------
    ParameterError
        In a process that is starting as a worker (``multiprocessing``'s spawn, which Dask uses).
    """
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise ParameterError(_SCRIPT_GUARD_HINT)


@contextmanager
def _workers_deaf_to_ctrl_c() -> Iterator[None]:
    """Ignore SIGINT while the local cluster starts its processes, so that they inherit it ignored.

    A Ctrl-C at the terminal goes to the whole process group: each worker printed a traceback of its
    own interruption (60-80 lines before the sweep's one-line message). This process handles Ctrl-C
    and closes the cluster; a Ctrl-C pressed while the workers start (a second or two, longer only if
    they fail to start) is lost, and a worker the cluster restarts later hears Ctrl-C again. Nothing is
    changed outside the main thread (signals can only be set there).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _make_client(scheduler: Any, n_workers: int | None, words: Mapping[str, str]) -> tuple[Any, Any, str, bool]:
    """(client, cluster or None, mode in words, whether the client is ours to close), checked as the module says."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a core dependency
        raise ImportError("parallel sweeps need dask.distributed: pip install dask distributed") from None
    if scheduler == "local":
        import logging

        n = n_workers or os.cpu_count() or 1
        # no dashboard; the scheduler's HTTP server (health checks) on a free port: never "port 8787 in use".
        # The workers' own logs only above ERROR: when the cluster closes (after a Ctrl-C, say) a worker whose
        # heartbeat races the scheduler's exit logs that failure with a traceback at ERROR on the terminal;
        # what a candidate's failure says comes back through its future, as a row with its message
        try:
            with _workers_deaf_to_ctrl_c():
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                       scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                       silence_logs=logging.CRITICAL)
        except RuntimeError as exc:
            raise ParameterError(f"the local Dask workers did not start ({exc}). {_SCRIPT_GUARD_HINT}") from None
        try:
            return Client(cluster, set_as_default=False), cluster, f"local ({n} worker processes)", True
        except BaseException:
            cluster.close()
            raise
    if _is_client(scheduler):
        where = str(scheduler.scheduler.address)
        _check_cluster(scheduler, where, words)
        return scheduler, None, f"scheduler {where} (the client given)", False
    client = _connect(str(scheduler), words)
    try:
        _check_cluster(client, str(scheduler), words)
    except BaseException:
        client.close()
        raise
    return client, None, f"scheduler {scheduler}", True


@contextmanager
def dask_mapper(scheduler: Any = "local", n_workers: int | None = None, *,
                cli: bool = False) -> Iterator[Callable[..., list[Any]]]:
    """A ``mapper(fn, items, progress) -> [fn(x) for x in items]`` that runs on a Dask cluster.

    The cluster is reached and checked as :func:`run_sweep` does it (``scheduler``: ``"local"``, an
    address, a ``distributed.Client`` or ``"current"``; scheduler within :data:`CONNECT_TIMEOUT_S`, a
    worker, the same metalair on every worker); a cluster or client this opens is closed on leaving.
    For the calibration's ensembles and Sobol' designs (``mapper=`` there), whose runs are independent.
    ``"serial"`` maps in this process. Unlike :func:`run_sweep` nothing is written, so nothing resumes.
    """
    words = _words(cli)
    scheduler = check_scheduler(scheduler, words["scheduler"], allow_client=not cli)
    if isinstance(scheduler, str) and scheduler == "serial":
        from metalair.calibration.runs import parallel_map

        def serial(fn: Callable[[Any], Any], items: Sequence[Any], progress: Any = None) -> list[Any]:
            return parallel_map(fn, items, workers=1, progress=progress)  # one worker: in this process

        yield serial
        return
    if isinstance(scheduler, str) and scheduler == "current":
        scheduler = _current_client(words)
    from distributed import as_completed

    client, cluster, _mode, owned = _make_client(scheduler, n_workers, words)

    def on_cluster(fn: Callable[[Any], Any], items: Sequence[Any], progress: Any = None) -> list[Any]:
        futures = client.map(fn, list(items), pure=False)
        where = {f.key: k for k, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        for done, fut in enumerate(as_completed(futures, loop=client.loop), start=1):
            out[where[fut.key]] = fut.result()
            if progress:
                progress(done, len(futures))
        return out

    try:
        yield on_cluster
    finally:
        if owned:
            client.close()
        if cluster is not None:
            cluster.close()


#: Keys of a folder's manifest that say where its results came from; a resumed sweep keeps them.
_PROVENANCE = ("command", "started", "python")

def read_sweep_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of the sweep in ``out_dir`` (its fingerprint, batches, status), or None if it holds no sweep."""
    from metalair.workflows.outputs import read_manifest

    data = read_manifest(out_dir)
    return data if data is not None and data.get("format") == _FORMAT else None


def finished_batches(out_dir: str | os.PathLike[str]) -> tuple[int, int] | None:
    """``(finished, total)`` batches of the sweep in ``out_dir``, counted from its batch files; None if it holds none.

    What is on disk, not what the manifest last said: a sweep stopped after its last batch (while its
    tables or figures were written) has every batch finished, though no ``batches_finished`` was recorded.
    """
    data = read_sweep_manifest(out_dir)
    if data is None or not isinstance(data.get("n_batches"), int):
        return None
    total = int(data["n_batches"])
    folder = Path(out_dir)
    return sum((folder / _PART.format(b)).is_file() for b in range(total)), total


def sweep_files(out_dir: str | os.PathLike[str]) -> list[str]:
    """Names of a sweep's files in ``out_dir``: its batches, tables and figures (what ``overwrite`` replaces)."""
    folder = Path(out_dir)
    if not folder.is_dir():
        return []
    parts = sorted(p.name for p in folder.glob("part-*.parquet") if p.is_file())
    return parts + [name for name in _OUTPUT_NAMES if (folder / name).is_file()]


def record_files(out_dir: str | os.PathLike[str], names: Sequence[str], *, complete: bool = False) -> None:
    """Add file names to the ``files`` a sweep's manifest lists (e.g. the CSV table and figures of a screen).

    ``complete`` also marks the sweep complete: what a caller of ``run_sweep(..., outputs_follow=True)``
    does once its own files are written.
    """
    path = Path(out_dir) / MANIFEST
    data = read_sweep_manifest(out_dir)
    if data is None:
        return
    data["files"] = list(dict.fromkeys([*data.get("files", []), *(str(n) for n in names)]))
    if complete:
        data.update({"finished": True, "status": "complete"})
    atomic_write_text(path, json.dumps(data, indent=2, default=repr))


def _set_aside(out: Path, old: Mapping[str, Any] | None, words: Mapping[str, str]) -> Any:
    """Move an earlier run's files in ``out`` aside, to be put back if this sweep fails and deleted if it succeeds.

    The mechanism of every command's ``--overwrite``: :func:`metalair.workflows.outputs.begin_run`.
    """
    from metalair.workflows.outputs import begin_run

    if old is not None and old.get("format") == _FORMAT and "files" not in old:
        # a sweep of metalair <= 0.2.0 did not list its files: list them, so that its manifest is set aside too
        record_files(out, sweep_files(out))
    return begin_run(out, "metalair.sweeps.run_sweep", overwrite=True, expected=sweep_files(out),
                     option=words["out"])


def run_sweep(
    candidates: Sequence[Mapping[str, Any]],
    evaluate: Callable[[dict], Mapping[str, Any]],
    out_dir: str | os.PathLike[str],
    *,
    batch_size: int | None = None,
    scheduler: Any = "local",
    n_workers: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    spec: Any = None,
    progress: bool | Callable[..., None] = False,
    max_batch_retries: int = 3,
    cli: bool = False,
    outputs_follow: bool = False,
) -> SweepResult:
    """Evaluate every candidate, streaming one Parquet file per batch into ``out_dir``.

    Parameters
    ----------
    candidates : sequence of dict
        Flat ``{name: scalar}`` candidates (see :mod:`metalair.sweeps.candidates`).
    evaluate : callable
        ``evaluate(candidate) -> {name: scalar}``; picklable (a module-level
        function or a :func:`functools.partial` of one) for Dask. If it has a
        method ``for_batch(candidates)``, what that returns evaluates that
        batch (e.g. the evaluation with only the data those candidates need).
    out_dir : path
        Output folder: ``manifest.json``, ``part-NNNNNN.parquet`` per batch,
        and ``results.parquet`` at the end.
    batch_size : int, optional
        Candidates per batch (default :func:`default_batch_size`; a resumed
        sweep keeps the batch size it started with).
    scheduler : {"local", "serial", "current"}, address or distributed.Client
        See the module notes and :func:`check_scheduler`. A client given (or
        ``"current"``) is used and left open.
    n_workers : int, optional
        Worker processes of the local cluster, >= 1 (default: all cores).
    resume : bool
        Continue a sweep in ``out_dir``: finished batches are kept. Refused
        when anything that defines the sweep changed since it began (the
        candidates, ``spec``, the batch size, the metalair version); the
        message says what.
    overwrite : bool
        Replace an earlier sweep (or another run's files) in ``out_dir``: they
        are set aside, deleted when this sweep finishes, and put back
        unchanged if it fails or is interrupted.
    spec : JSON-able, optional
        Description of the evaluation (settings); part of the sweep's
        fingerprint, so that ``resume`` refuses a folder made by a different
        sweep. Default: the evaluation function's name and repr.
    progress : bool or callable
        Show a progress bar on stderr, or call ``progress(done, total, failed, skipped)``.
    max_batch_retries : int
        How often a batch is resubmitted after its task failed (e.g. its
        worker was lost repeatedly) before the sweep gives up.
    cli : bool
        Word the messages with the command-line options (``--resume``,
        ``--overwrite``, ``--out``, ``--scheduler``) instead of these arguments.
    outputs_follow : bool
        The caller writes more files from the table (``run_screen``: the CSV and the figures): the
        manifest still says ``"running"`` rather than ``"complete"`` until the caller lists them with
        ``record_files(out, names, complete=True)``, so that a folder killed in between does not claim
        to be complete (``resume`` finishes it).

    Returns
    -------
    SweepResult

    Raises
    ------
    ParameterError
        Before any work: bad options (an unknown ``scheduler``, ``n_workers`` < 1, an ``out_dir`` that
        is a file or cannot be written), a candidate name given numbers by some candidates and text by
        others, or ``out_dir`` holds a different sweep (without ``overwrite``). Before any batch runs: the
        scheduler does not answer as a Dask scheduler, has no worker, or has workers without this
        metalair version (see the module notes).
    SweepError
        Batches could not be finished; the finished ones are kept for ``resume``.
    """
    refuse_in_starting_worker()
    t_start = time.perf_counter()
    pa, pq = _pa()
    words = _words(cli)
    if isinstance(candidates, (str, bytes, Mapping)) or not hasattr(candidates, "__iter__"):
        raise ParameterError(f"candidates = {candidates!r} must be a list of candidates (mappings such as "
                             "{'descriptors.NaO2.d_band_centre': -1.8}), e.g. from metalair.sweeps.candidates.grid")
    given = list(candidates)
    bad = [c for c in given if not isinstance(c, Mapping)]
    if bad:
        raise ParameterError(f"candidates holds {bad[0]!r} ({type(bad[0]).__name__}); each candidate is a mapping "
                             "of names to values")
    cands = [dict(c) for c in given]
    n = len(cands)
    if n == 0:
        raise ParameterError("no candidates to evaluate")
    if not callable(evaluate):
        raise ParameterError(f"evaluate must be callable, got {type(evaluate).__name__}")
    if scheduler is None:
        scheduler = "local"
    scheduler = check_scheduler(scheduler, words["scheduler"])
    if isinstance(scheduler, str) and scheduler == "current":
        scheduler = _current_client(words)
    n_workers = check_workers(n_workers)
    check_candidate_kinds(cands)
    from metalair.workflows.outputs import (
        _now,
        check_out_dir,
        holding_out_dir,
        read_manifest,
        recover_killed_overwrite,
        remove_dead_temp_files,
    )

    out = check_out_dir(out_dir, option=words["out"])
    # held until the sweep ends: a second run given the same folder meanwhile is refused, never mixed in
    with holding_out_dir(out, option=words["out"]) as created:
        if not cli:  # (the command line has done it before setting aside an earlier run itself)
            recover_killed_overwrite(out)  # an overwrite that was killed: the earlier run it had set aside comes back
        remove_dead_temp_files(out)  # fragments of atomic writes by a sweep that was killed
        manifest_path = out / MANIFEST
        old = read_manifest(out) if out.is_dir() else None
        old_sweep = old if old is not None and old.get("format") == _FORMAT else None
        existing_parts = sorted(out.glob("part-*.parquet")) if out.is_dir() else []
        other_run = old is not None and old_sweep is None and any(
            (out / str(name)).is_file() for name in old.get("files", []) if str(name) != MANIFEST)
        if batch_size is None:
            batch_size = (int(old_sweep["batch_size"]) if (resume and old_sweep and "batch_size" in old_sweep)
                          else default_batch_size(n))
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ParameterError(f"batch_size = {batch_size!r} must be a positive integer")
        if spec is None:
            spec = _describe(evaluate)
        fp = _fingerprint(cands, spec, batch_size)
        n_batches = math.ceil(n / batch_size)
        record = {"format": _FORMAT, "version": 1, "fingerprint": fp, "metalair_version": _version(),
                  "n_candidates": n, "candidates_sha256": _candidates_hash(cands), "batch_size": batch_size,
                  "n_batches": n_batches, "spec": spec, "candidate_names": _names(cands)}
        earlier = old_sweep is not None or bool(existing_parts) or other_run or (out / RESULTS).is_file()
        set_aside = None
        if earlier:
            if overwrite:
                set_aside = _set_aside(out, old, words)
            elif not resume:
                if other_run and old is not None:
                    raise ParameterError(
                        f"{words['out']} {str(out)!r} already holds the files of another run "
                        f"('{old.get('command', '?')}'"
                        f"); use {words['overwrite']} to replace them, or choose another {words['out']}")
                parts = len(existing_parts)
                total = (old_sweep or {}).get("n_batches", "?")
                raise ParameterError(
                    f"{words['out']} {str(out)!r} already holds a sweep ({parts} of {total} batches finished); use "
                    f"{words['resume']} to continue it, {words['overwrite']} to start again, or choose another "
                    f"{words['out']}")
            elif old_sweep is None and not other_run:
                raise ParameterError(
                    f"{words['out']} {str(out)!r} holds sweep batches without the sweep's {MANIFEST}, so it cannot be "
                    f"told whether they belong to this sweep; use {words['overwrite']} to start again, or choose "
                    f"another {words['out']}")
            elif old_sweep is None or old_sweep.get("fingerprint") != fp:
                changed = _what_differs(old or {}, record)
                raise ParameterError(
                    f"{words['out']} {str(out)!r} holds a different sweep: changed since it began: "
                    f"{'; '.join(changed)}. {words['resume']} continues only the same sweep (same candidates, "
                    f"settings, catalyst files, batch "
                    f"size and metalair version), so that no table mixes results of two; use {words['overwrite']} to "
                    f"start it again with the new inputs, or choose another {words['out']}")
        out.mkdir(parents=True, exist_ok=True)
        # which batches are already finished (whole files only: they were written atomically)
        batches = [[(i, cands[i]) for i in range(b * batch_size, min(n, (b + 1) * batch_size))]
                   for b in range(n_batches)]
        done_batches = set()
        for b in range(n_batches):
            pth = out / _PART.format(b)
            if resume and set_aside is None and pth.is_file():
                try:
                    if pq.read_metadata(pth).num_rows == len(batches[b]):
                        done_batches.add(b)
                        continue
                except Exception:  # an unreadable part file is simply redone
                    pass
                pth.unlink(missing_ok=True)
        files = [_PART.format(b) for b in range(n_batches)] + [RESULTS]
        if old_sweep is not None and resume and set_aside is None:
            files = list(dict.fromkeys([*files, *(str(f) for f in old_sweep.get("files", []))]))
        # a resumed sweep keeps the provenance its first run recorded (the command, when it started, the Python);
        # the command line's is written now, not at the end: a sweep killed with -9 still says what it was
        kept = {k: v for k, v in (old or {}).items() if k in _PROVENANCE} if resume and set_aside is None else {}
        first = ({"command": shlex.join(["metalair", *sys.argv[1:]]), "started": _now(),
                  "python": sys.version.split()[0]} if cli else {})
        manifest = {**first, **kept, **record, "status": "running", "files": files}
        atomic_write_text(manifest_path, json.dumps(manifest, indent=2, default=repr))
        try:
            return _run_batches(evaluate, cands, batches, done_batches, out, manifest, manifest_path, progress,
                                scheduler, n_workers, fp, max_batch_retries, t_start, words, set_aside, outputs_follow)
        except BaseException as exc:  # an error or Ctrl-C: say so; the finished batches stay for --resume
            finished = sorted(b for b in range(n_batches) if (out / _PART.format(b)).is_file())
            if set_aside is not None:  # overwrite: this sweep's files go, the earlier run's come back as they were
                set_aside.adopt_new_files()
                set_aside.restore_earlier()
                if isinstance(exc, SweepError):
                    raise SweepError(f"{exc.what}; {words['overwrite']} undone: the earlier files in {str(out)!r} are "
                                     "back as they were", exc.what) from None
                raise
            if not finished and not earlier and not (out / RESULTS).exists():
                # nothing written and nothing there before: leave the folder as it was
                manifest_path.unlink(missing_ok=True)
                if created:
                    try:
                        out.rmdir()
                    except OSError:
                        pass
                raise
            manifest.update({"status": "partial", "error": "interrupted (Ctrl-C)" if isinstance(exc, KeyboardInterrupt)
                             else f"{type(exc).__name__}: {exc}", "batches_finished": len(finished),
                             "files": [f for f in manifest["files"] if (out / f).is_file()]})
            atomic_write_text(manifest_path, json.dumps(manifest, indent=2, default=repr))
            raise


def _run_batches(evaluate: Callable[..., Any], cands: list[dict], batches: list[list[tuple[int, dict]]],
                 done_batches: set[int], out: Path, manifest: dict[str, Any], manifest_path: Path,
                 progress: Any, scheduler: Any, n_workers: int | None, fp: str,
                 max_batch_retries: int, t_start: float, words: Mapping[str, str], set_aside: Any,
                 outputs_follow: bool = False) -> SweepResult:
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

    def evaluation(b: int) -> Callable[..., Any]:
        for_batch = getattr(evaluate, "for_batch", None)
        return for_batch([c for _i, c in batches[b]]) if callable(for_batch) else evaluate

    lost: dict[int, str] = {}
    if scheduler == "serial" or not todo:
        mode = "serial" if scheduler == "serial" else "resumed (nothing left to run)"
        for b in todo:
            _bi, rows = evaluate_batch(evaluation(b), b, batches[b])
            finish_batch(b, rows)
    else:
        from distributed import as_completed

        client, cluster, mode, owned = _make_client(scheduler, n_workers, words)
        futures = {}
        try:
            for b in todo:
                fut = client.submit(evaluate_batch, evaluation(b), b, batches[b],
                                    key=f"metalair-{fp[:16]}-batch-{b}", pure=False, retries=max_batch_retries)
                futures[fut] = b
            for fut in as_completed(list(futures), loop=client.loop):
                b = futures[fut]
                try:
                    _bi, rows = fut.result()
                except Exception as exc:  # e.g. KilledWorker after repeated worker loss
                    lost[b] = f"{type(exc).__name__}: {exc}"
                    continue
                finish_batch(b, rows)
                fut.release()
        finally:
            if owned:
                client.close()
            else:  # the caller's client stays open; what this sweep left on it goes
                try:
                    client.cancel(list(futures))
                except Exception:  # a closed client has nothing left to cancel
                    pass
            if cluster is not None:
                cluster.close()
    wall = time.perf_counter() - t_start
    if lost:
        what = (f"{len(lost)} batch(es) could not be evaluated (first: batch {min(lost)}: {lost[min(lost)]})")
        raise SweepError(f"{what}; {n_batches - len(lost)} of {n_batches} are kept in {str(out)!r}: rerun with "
                         f"{words['resume']}", what)
    # assemble and check: every candidate exactly once
    tables = [pq.read_table(out / _PART.format(b)) for b in range(n_batches)]
    table = _concat(tables)
    table = table.sort_by([("candidate_id", "ascending")])
    ids = table.column("candidate_id").to_pylist()
    if ids != list(range(n)):
        what = (f"the batches in {str(out)!r} do not hold each candidate exactly once ({len(ids)} rows for {n} "
                "candidates)")
        raise SweepError(f"{what}; rerun with {words['overwrite']}", what)
    table = _order_columns(table, manifest["candidate_names"])
    atomic_write(out / RESULTS, lambda tmp: pq.write_table(table, tmp))
    failed = sum(1 for s in table.column("status").to_pylist() if s != "ok")
    if set_aside is not None:  # the new sweep stands: the earlier run's files, set aside, are deleted
        set_aside.finish("complete")
    done = {"finished": True, "status": "complete"} if not outputs_follow else {"status": "running"}
    manifest.update({**done, "mode": mode, "wall_time_s": round(wall, 3),
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
