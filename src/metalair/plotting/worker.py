"""Draw a figure in a forked process, so that importing matplotlib overlaps the computation.

A long command (``metalair cycle``) spends ~0.45 s importing matplotlib and
~0.15 s drawing. In a thread that import competes with the simulation for the
GIL; a forked process imports it on the other core while the simulation runs,
then draws the figure from the results it is sent while the caller writes its
tables. Off Linux (where forking a process that has loaded system frameworks
is unsafe, or impossible) :func:`start_figure_worker` returns None and the
caller draws in its own process; so it does with ``METALAIR_NO_FIGURE_PROCESS=1``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["FigureWorker", "start_figure_worker"]


#: What the figure process sends once matplotlib is imported and it is ready for the job.
READY = "ready"


def _serve(conn: Any, parent_end: Any) -> None:  # pragma: no cover - runs in the forked child
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    parent_end.close()  # so that the parent's death reaches this process as EOF
    try:
        from metalair.plotting.simulation import preload, save_figure

        preload()
        conn.send(READY)
        job = conn.recv()
        if job is None:
            return
        draw, args, kwargs, path = job
        save_figure(draw(*args, **kwargs), path)
        conn.send(None)
    except EOFError:  # the parent went away
        return
    except BaseException:  # report it: the parent draws the figure itself
        try:
            conn.send(traceback.format_exc())
        except OSError:
            pass


class FigureWorker:
    """A forked process that imports matplotlib now and draws one figure when asked.

    Nothing here raises: a worker that cannot draw (it died, hung, or the job could not be sent)
    makes :meth:`wait` return the reason, and the caller draws the figure itself.
    """

    def __init__(self, context: Any) -> None:
        self._conn, child = context.Pipe()
        self._proc = context.Process(target=_serve, args=(child, self._conn), name="metalair-figure", daemon=True)
        self._proc.start()
        child.close()
        self._sent = False
        self._failed: str | None = None

    def draw(self, draw: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
             path: str | os.PathLike[str], ready_timeout: float = 60.0) -> None:
        """Ask for ``save_figure(draw(*args, **kwargs), path)`` once the worker is ready.

        Never blocks on a worker that is not reading: the job is sent only after its ready message.
        """
        try:
            if not self._conn.poll(ready_timeout):
                self._failed = f"the figure process was not ready within {ready_timeout:g} s"
                return
            token = self._conn.recv()
            if token != READY:
                self._failed = f"the figure process failed before drawing: {token}"
                return
            self._conn.send((draw, args, kwargs, os.fspath(path)))
            self._sent = True
        except Exception as exc:  # a closed pipe, or a job that cannot be pickled
            self._failed = f"the figure could not be sent to its process ({exc!r})"

    def wait(self, timeout: float = 120.0) -> str | None:
        """Wait for the figure: None when it was written, else why not (then draw it yourself)."""
        if self._failed is not None:
            return self._failed
        if not self._sent:
            return "no figure was requested"
        try:
            if not self._conn.poll(timeout):
                return f"the figure process did not answer within {timeout:g} s"
            reply: str | None = self._conn.recv()
            return reply
        except (EOFError, OSError) as exc:
            return f"the figure process ended without drawing ({exc!r})"

    def close(self) -> None:
        """End the process (after :meth:`wait`, or to abandon the figure)."""
        try:
            if not self._sent:
                self._conn.send(None)
        except OSError:
            pass
        self._conn.close()
        self._proc.join(timeout=5.0)
        if self._proc.is_alive():  # a draw that hung, or a job never read
            self._proc.terminate()
            self._proc.join(timeout=5.0)


def start_figure_worker() -> FigureWorker | None:
    """A :class:`FigureWorker`, or None where this process should not fork (then draw in-process).

    None off Linux, with ``METALAIR_NO_FIGURE_PROCESS=1``, inside a daemonic process (a
    ``multiprocessing`` pool worker, a Dask nanny worker: they may not have children) and in a
    process running other threads (forking it could copy a lock another thread holds).
    """
    import threading

    if not sys.platform.startswith("linux"):
        return None
    if os.environ.get("METALAIR_NO_FIGURE_PROCESS", "") not in ("", "0"):
        return None
    if multiprocessing.current_process().daemon or threading.active_count() > 1:
        return None
    try:
        return FigureWorker(multiprocessing.get_context("fork"))
    except (OSError, AssertionError, ValueError):  # pragma: no cover - no process could be created
        return None
