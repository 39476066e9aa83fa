"""Output folders that fail early and never silently mix the files of two runs.

Every command that writes files goes through :func:`begin_run` *before* it
does any work:

1. :func:`check_out_dir` refuses, with a one-line message, a ``--out`` that
   exists as a file, lies in a kernel pseudo file system (``/proc``, ``/sys``,
   ``/dev``), sits below a file, or cannot be written.
2. If the folder holds a ``manifest.json`` of an earlier run, or any of the
   files this run will write, the run is **refused unless ``overwrite=True``**
   (``--overwrite``). With it, the files the earlier run listed in its
   manifest (only those; nothing else in the folder is touched) and its
   manifest are first moved aside into a hidden ``.metalair-replaced-*``
   folder inside ``--out``, so the folder never mixes the files of two runs.
   They are deleted only when the new run finishes (complete, or partial by
   its own decision, such as a simulation that stopped early); if the new run
   fails with an error or is interrupted, its files are removed and the
   earlier run's files and manifest are moved back: a failed ``--overwrite``
   loses nothing.
3. While a run writes, it holds an exclusive lock on the folder (:func:`lock_out_dir`, an advisory
   ``flock`` on the folder itself, released when the run ends or its process dies): a second run
   given the same ``--out`` meanwhile, from another process, is refused instead of mixing its files
   with the first's (no lock where the platform has no ``flock``, e.g. Windows).
4. ``manifest.json`` is written at the start (status ``"running"``), and
   rewritten at the end with status ``"complete"``, or ``"partial"`` with the
   error when the run stops early (an exception or Ctrl-C): it names the
   command, the metalair version, the start and end time (UTC, ISO 8601) and
   every file the run wrote.

>>> with begin_run("out", "analyze cell.ndax", expected=["cycles.csv"]) as run:  # doctest: +SKIP
...     run.add(table.to_csv(run.path("cycles.csv")))
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from metalair._files import atomic_write_text, keep_existing
from metalair.errors import ParameterError

__all__ = ["MANIFEST_NAME", "OutputFolderError", "RunOutputs", "begin_run", "check_out_dir", "continue_run",
           "holding_out_dir", "lock_out_dir", "read_manifest", "recover_killed_overwrite", "remove_dead_temp_files"]

#: Name of the run manifest in every output folder.
MANIFEST_NAME = "manifest.json"
_PSEUDO_FS = ("/proc", "/sys", "/dev")


class OutputFolderError(ParameterError):
    """The output folder cannot be used; the message says why and what to do."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _probe(folder: Path) -> str | None:
    """Try to create and remove a file in ``folder``; the error text, or None if it worked."""
    probe = folder / f".metalair-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with open(probe, "x"):
            pass
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def check_out_dir(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Check that ``path`` can be used as an output folder; create nothing.

    Raises
    ------
    OutputFolderError
        With a one-line message naming the option, the path and the problem.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise OutputFolderError(f"{option} must be a folder path (a str or pathlib.Path), got {path!r} "
                                f"({type(path).__name__})")
    text = os.fspath(path)
    if not text.strip():
        raise OutputFolderError(f"{option} is empty; give a folder name, e.g. {option} results")
    p = Path(text).expanduser()
    resolved = p.resolve(strict=False)
    for root in _PSEUDO_FS:
        if resolved == Path(root) or Path(root) in resolved.parents:
            raise OutputFolderError(
                f"{option} {text}: lies in {root}, a kernel pseudo file system where results cannot be stored; "
                "choose a normal folder")
    if resolved == Path(resolved.anchor):
        raise OutputFolderError(f"{option} {text}: is the root of the file system; give a folder for the results, "
                                f"e.g. {option} results")
    if p.exists() and not p.is_dir():
        raise OutputFolderError(
            f"{option} {text}: exists and is a file, not a folder; choose another name or move the file away")
    ancestor = p if p.exists() else next((a for a in p.absolute().parents if a.exists()), Path("/"))
    if not ancestor.is_dir():
        raise OutputFolderError(f"{option} {text}: {ancestor} is a file, so no folder can be created below it")
    problem = _probe(ancestor)
    if problem is not None:
        where = "the folder" if ancestor == p else f"its parent {ancestor}"
        raise OutputFolderError(f"{option} {text}: {where} is not writable ({problem}); choose another folder")
    return p


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The manifest of the run that wrote ``folder``, or None (absent or unreadable)."""
    path = Path(folder) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


#: How many folder levels below an output folder :func:`_file_names` looks.
_WALK_DEPTH = 6


def _file_names(folder: Path) -> set[str]:
    """Relative names of the files in ``folder``, without the manifest and hidden names.

    Hidden names are the temporary files of atomic writes and set-aside earlier runs.

    Hidden folders are not entered, nor folders more than :data:`_WALK_DEPTH` levels down (no run
    writes that deep), nor symbolic links to folders; a folder that cannot be read is passed over
    (``--out /`` meets ``/proc``).
    """
    if not folder.is_dir():
        return set()
    names = set()
    for root, dirs, files in os.walk(folder, onerror=None, followlinks=False):
        rel_root = Path(root).relative_to(folder)
        if len(rel_root.parts) >= _WALK_DEPTH:
            dirs[:] = []
        else:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            rel = (rel_root / f).as_posix()
            if not f.startswith(".") and rel != MANIFEST_NAME and os.path.isfile(os.path.join(root, f)):
                names.add(rel)
    return names



def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but not ours, or kill() not usable here
        return True
    return True


def remove_dead_temp_files(folder: str | os.PathLike[str]) -> list[str]:
    """Delete the temporary files (``.NAME.PID.HEX.tmp``) that atomic writes of killed processes left.

    Returns
    -------
    list of str
        The names removed (a temporary file of a live process is kept).
    """
    root = Path(folder)
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for p in root.rglob(".*.tmp"):
        parts = p.name.split(".")
        if len(parts) >= 5 and parts[-3].isdigit() and not _pid_alive(int(parts[-3])):
            p.unlink(missing_ok=True)
            removed.append(p.relative_to(root).as_posix())
    return removed


def recover_killed_overwrite(folder: str | os.PathLike[str]) -> None:
    """Put back an earlier run that an ``--overwrite`` run had set aside when it was killed.

    The killed run's manifest still says ``"running"``: its files (those it listed, and the ones the
    earlier run's files replace) give way to the earlier run's, which was complete. A set-aside folder
    beside a finished manifest (killed between writing it and deleting the folder) is deleted.
    Set-aside folders of processes still running are left to them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return
    for stale in sorted(folder.glob(".metalair-replaced-*")):
        if not stale.is_dir():
            continue
        pid = stale.name.split("-")[2]
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            continue  # that run is still going: it puts its earlier run back or deletes it itself
        current = read_manifest(folder)
        if current is not None and current.get("status") != "running":
            shutil.rmtree(stale, ignore_errors=True)
            continue
        for name in (current or {}).get("files", []):
            target = _inside(folder, str(name))
            if target is not None and target.is_file():
                target.unlink()
        for src in sorted(p for p in stale.rglob("*") if p.is_file()):
            dest = folder / src.relative_to(stale)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        shutil.rmtree(stale, ignore_errors=True)


#: Folders this process holds locked: resolved path -> [file descriptor, holders] (the lock is per process).
_LOCKED: dict[str, list[int]] = {}


def _forget_locks_in_child() -> None:  # pragma: no cover - runs in a forked child
    """A forked child holds none of its parent's folders: it closes its copies of their descriptors.

    Closing a copy leaves the parent's lock in place (``flock`` holds while any copy is open); without
    this the child could write into the parent's folder as a holder, and a child that outlives the run
    would keep other processes out.
    """
    for fd, _count in _LOCKED.values():
        try:
            os.close(fd)
        except OSError:
            pass
    _LOCKED.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


def lock_out_dir(folder: str | os.PathLike[str], *, option: str = "--out") -> Callable[[], None]:
    """Lock an output folder against other processes for as long as this run writes into it.

    An exclusive advisory ``flock`` on the folder itself (no lock file is left behind); it is
    dropped by the returned function, or by the system when the process ends (a killed run leaves
    no stale lock). Within one process the lock is shared: nested holders (a command and the sweep
    it runs) count, and the last release drops it. Where ``fcntl`` is missing (Windows), or the file
    system cannot lock (some network mounts), nothing is locked. The folder must exist.

    Returns
    -------
    callable
        Releases this holder's share (calling it again does nothing).

    Raises
    ------
    OutputFolderError
        When another process holds the folder: naming its command and start from its manifest.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return lambda: None
    key = str(Path(folder).resolve())
    held = _LOCKED.get(key)
    if held is not None:
        held[1] += 1
    else:
        try:
            fd = os.open(key, os.O_RDONLY)
        except OSError:  # a folder that cannot be opened to read (write-only permissions): not locked
            return lambda: None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # held by another process
            os.close(fd)
            other = read_manifest(key) or {}
            who = (f" ('{other['command']}', started {other.get('started', '?')})" if other.get("command") else "")
            raise OutputFolderError(
                f"{option} {os.fspath(folder)}: another metalair run is writing to this folder now{who}; wait for it "
                f"to finish, or choose another {option}") from None
        except OSError:  # a file system without flock (some network mounts: ENOLCK): run unlocked, as before
            os.close(fd)
            return lambda: None
        held = _LOCKED[key] = [fd, 1]
    released = False

    def release() -> None:
        nonlocal released
        if released:
            return
        released = True
        held[1] -= 1
        if held[1] == 0 and _LOCKED.get(key) is held:
            del _LOCKED[key]
            os.close(held[0])  # closing the descriptor drops the lock

    return release


@contextmanager
def holding_out_dir(folder: Path, *, option: str = "--out") -> Iterator[bool]:
    """Create ``folder`` if needed and hold its lock (:func:`lock_out_dir`) while the block runs.

    Yields whether the folder was created here; one created here and left empty (a run refused, or
    stopped before it wrote) is removed at the end, while still locked, so that no other run can
    have taken it meanwhile.
    """
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        unlock = lock_out_dir(folder, option=option)
    except BaseException:
        if created:
            folder.rmdir()
        raise
    try:
        yield created
    finally:
        if created and folder.is_dir() and not any(folder.iterdir()):
            try:
                folder.rmdir()
            except OSError:
                pass
        unlock()


def continue_run(out_dir: str | os.PathLike[str], command: str | Sequence[str], *,
                 option: str = "--out") -> RunOutputs:
    """A run that continues the one in ``out_dir`` (``--resume``): nothing is moved, the manifest restarts.

    The files already there count as this run's once registered; the folder keeps everything.
    """
    folder = check_out_dir(out_dir, option=option)
    created = not folder.is_dir()
    folder.mkdir(parents=True, exist_ok=True)
    unlock = lock_out_dir(folder, option=option)
    try:
        recover_killed_overwrite(folder)
        remove_dead_temp_files(folder)
        earlier = read_manifest(folder) or {}
        text = command if isinstance(command, str) else shlex.join(str(c) for c in command)
        run = RunOutputs(folder=folder, command=text, created_folder=created,
                         preexisting=frozenset(_file_names(folder)), _unlock=unlock)
        for name in earlier.get("files", []):
            run._register(str(name))
        run.write_manifest()
    except BaseException:
        unlock()
        raise
    return run


def _same_command(earlier: Any, now: str) -> bool:
    """Whether two recorded command lines run the same (sub)command (``metalair ensemble cycle`` …)."""
    def head(text: Any) -> list[str]:
        return [w for w in str(text or "").split() if not w.startswith("-")][:3]

    return bool(earlier) and head(earlier)[:2] == head(now)[:2]


def _written_since(folder: Path, started: Any) -> list[str]:
    """The files in ``folder`` (as :func:`_file_names` lists them) modified at or after ``started`` (ISO 8601)."""
    try:
        since = datetime.fromisoformat(str(started)).timestamp() - 1.0  # the manifest keeps whole seconds
    except ValueError:
        return []
    return sorted(n for n in _file_names(folder) if (folder / n).stat().st_mtime >= since)


def _inside(folder: Path, name: str) -> Path | None:
    """``folder / name`` if ``name`` is a plain relative path that stays inside ``folder``."""
    candidate = (folder / name).resolve(strict=False)
    root = folder.resolve(strict=False)
    return candidate if root in candidate.parents else None


@dataclass
class RunOutputs:
    """The files one run writes into its folder, and its manifest (see the module docstring)."""

    folder: Path
    command: str
    files: list[str] = field(default_factory=list)
    started: str = field(default_factory=_now)
    replaced: list[str] = field(default_factory=list)
    status: str = "running"
    created_folder: bool = False
    backup: Path | None = None
    #: files (relative names) in the folder when the run began: anything else there later is this run's
    preexisting: frozenset[str] = frozenset()
    #: files there before the run that it may not replace (not an earlier run's, and no ``overwrite``)
    protected: frozenset[str] = frozenset()
    option: str = "--out"
    _guard: Any = field(default=None, repr=False, compare=False)
    #: drops this run's lock on the folder (:func:`lock_out_dir`); called when the run ends
    _unlock: Any = field(default=None, repr=False, compare=False)

    def path(self, name: str) -> Path:
        """Where the file ``name`` goes (registered as written by this run)."""
        self._register(name)
        return self.folder / name

    def add(self, *paths: str | os.PathLike[str]) -> None:
        """Register files written into the folder (by any function)."""
        for p in paths:
            path = Path(p)
            try:
                name = path.resolve().relative_to(self.folder.resolve()).as_posix()
            except ValueError:
                name = path.name
            self._register(name)

    def _register(self, name: str) -> None:
        if name != MANIFEST_NAME and name not in self.files:
            self.files.append(name)

    def manifest(self) -> dict[str, Any]:
        """The manifest as a dict."""
        from metalair._version import __version__

        data: dict[str, Any] = {
            "command": self.command,
            "metalair_version": __version__,
            "python": sys.version.split()[0],
            "started": self.started,
            "status": self.status,
            "files": [n for n in self.files if (self.folder / n).exists()],
        }
        if self.status != "running":
            data["finished"] = _now()
        if self.replaced:
            data["replaced_earlier_run_files"] = self.replaced
        return data

    def write_manifest(self) -> Path:
        """Write ``manifest.json`` atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return atomic_write_text(self.folder / MANIFEST_NAME, json.dumps(self.manifest(), indent=2) + "\n")

    def finish(self, status: str = "complete", error: str | None = None) -> Path:
        """Mark the run ``"complete"`` (or ``"partial"``) and write the manifest.

        The earlier run's files set aside by ``overwrite`` are deleted now: the
        new run stands.
        """
        self._release()
        self.status = status
        try:
            path = self.write_manifest()
            if error:
                data = self.manifest()
                data["error"] = error
                path = atomic_write_text(self.folder / MANIFEST_NAME, json.dumps(data, indent=2) + "\n")
            if self.backup is not None:
                shutil.rmtree(self.backup, ignore_errors=True)
                self.backup = None
        finally:
            self.unlock()
        return path

    def unlock(self) -> None:
        """Let other processes use the folder (the run is over; :meth:`finish` and :meth:`abandon` call it)."""
        if self._unlock is not None:
            self._unlock()
            self._unlock = None

    def restore_earlier(self) -> bool:
        """Undo this run and move the earlier run's files back (after a failed ``overwrite``).

        Returns
        -------
        bool
            True if there was an earlier run to restore.
        """
        if self.backup is None:
            return False
        for name in self.files:
            target = _inside(self.folder, name)
            if target is not None and target.is_file():
                target.unlink()
        (self.folder / MANIFEST_NAME).unlink(missing_ok=True)
        for src in sorted(p for p in self.backup.rglob("*") if p.is_file()):
            dest = self.folder / src.relative_to(self.backup)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        shutil.rmtree(self.backup, ignore_errors=True)
        self.backup = None
        self.status = "restored"
        self.unlock()  # the run is over: the earlier one stands again
        return True

    def adopt_new_files(self) -> None:
        """Register every file in the folder that was not there when the run began.

        For a run that stopped before registering what it had written.
        """
        for name in _file_names(self.folder) - self.preexisting:
            self._register(name)

    def protect(self) -> None:
        """From now until the run ends, refuse to replace a file the user had in the folder (not an earlier run's).

        :func:`begin_run` calls it, so a run protects the folder whether or not it is used as a context manager.
        """
        if self.protected and self._guard is None:
            self._guard = keep_existing(
                (self.folder / n for n in self.protected),
                lambda path: (f"{self.option} {self.folder}: {path.name} was already there (not written by an "
                              f"earlier metalair run) and this run would replace it; pass --overwrite to replace "
                              f"it, or choose another {self.option}"))
            self._guard.__enter__()

    def _release(self) -> None:
        if self._guard is not None:
            self._guard.__exit__(None, None, None)
            self._guard = None

    def __enter__(self) -> RunOutputs:
        self.protect()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._release()
        if self.status != "running":  # finished, restored or abandoned by the caller
            self.unlock()
            return
        if exc_type is None:
            self.finish("complete")
            return
        self.adopt_new_files()
        if self.restore_earlier():
            pass  # a failed --overwrite: the earlier run's files are back, as they were
        elif not any((self.folder / n).exists() for n in self.files):
            self.abandon()  # nothing was written: leave the folder as it was
        elif self.folder.exists():
            reason = "interrupted (Ctrl-C)" if exc_type is KeyboardInterrupt else f"{exc_type.__name__}: {exc}"
            self.finish("partial", reason)
        self.unlock()

    def abandon(self, reason: str | None = None) -> None:
        """Remove the manifest of a run that wrote nothing (and the folder, if this run created it empty).

        An earlier run's files set aside by ``overwrite`` are moved back. A run that did write is
        marked ``"partial"`` with ``reason`` (why it stopped, e.g. the error's message).
        """
        self._release()
        self.adopt_new_files()
        if self.restore_earlier():
            self.unlock()
            return
        if any((self.folder / n).exists() for n in self.files):  # it did write: say so, do not hide it
            self.finish("partial", reason or "stopped before it finished")
            return
        self.status = "abandoned"
        (self.folder / MANIFEST_NAME).unlink(missing_ok=True)
        if self.created_folder:  # removed while still locked: no other run can have taken it meanwhile
            try:
                self.folder.rmdir()
            except OSError:
                pass
        self.unlock()


def begin_run(
    out_dir: str | os.PathLike[str],
    command: str | Sequence[str],
    *,
    overwrite: bool = False,
    expected: Iterable[str] = (),
    option: str = "--out",
    resume_option: str | None = None,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> RunOutputs:
    """Check the folder, settle what an earlier run left there, and start the manifest.

    Parameters
    ----------
    out_dir : path-like
        The output folder (created if needed).
    command : str or list of str
        The command line (recorded in the manifest).
    overwrite : bool
        Replace an earlier run's files. Without it, a folder that holds an
        earlier run's manifest, or any of ``expected``, is refused.
    expected : iterable of str
        File names this run may write (to detect a folder written before
        manifests existed, or by hand).
    option : str
        The option name used in messages.
    resume_option : str, optional
        The command's option that continues an interrupted run (``"--resume"``): named in the refusal
        when the earlier run was interrupted.
    inputs : iterable of path-like
        Files this run reads. One of them that ``overwrite`` would set aside (a file of the earlier run)
        is refused: the run would not find it.

    Notes
    -----
    A run that never listed its files (its manifest still ``"running"``, listing none: killed, or
    still running) is taken to own the files written in the folder since it started, for the
    refusal only: without ``overwrite`` the folder is refused, naming them. With ``overwrite`` only
    the files this run would write (``expected``) are set aside, so that files the user put there
    are never taken.

    Returns
    -------
    RunOutputs
        Register files with :meth:`RunOutputs.path` or :meth:`RunOutputs.add`;
        use it as a context manager, or call :meth:`RunOutputs.finish`.

    Raises
    ------
    OutputFolderError
        If the folder cannot be used, or holds an earlier run and
        ``overwrite`` is False.
    """
    folder = check_out_dir(out_dir, option=option)
    existed = folder.is_dir()
    folder.mkdir(parents=True, exist_ok=True)
    unlock = lock_out_dir(folder, option=option)  # before looking at what an earlier run left: it may still run
    try:
        return _begin_locked(folder, out_dir, command, existed, unlock, overwrite=overwrite, expected=expected,
                             option=option, resume_option=resume_option, inputs=inputs)
    except BaseException:
        if not existed:  # refused: leave no empty folder behind (removed while still locked)
            try:
                folder.rmdir()
            except OSError:
                pass
        unlock()
        raise


def _begin_locked(folder: Path, out_dir: str | os.PathLike[str], command: str | Sequence[str], existed: bool,
                  unlock: Callable[[], None], *, overwrite: bool, expected: Iterable[str], option: str,
                  resume_option: str | None, inputs: Iterable[str | os.PathLike[str]] = ()) -> RunOutputs:
    """:func:`begin_run` once the folder exists and is locked."""
    text = command if isinstance(command, str) else shlex.join(str(c) for c in command)
    replaced: list[str] = []
    backup: Path | None = None  # where the earlier run's files wait while this one runs
    if existed:
        recover_killed_overwrite(folder)
        remove_dead_temp_files(folder)
        earlier = read_manifest(folder)
        if earlier is not None and not any(
            (t := _inside(folder, str(n))) is not None and t.exists() for n in earlier.get("files", [])
        ):
            unlisted = (_written_since(folder, earlier.get("started"))
                        if earlier.get("status") == "running" and not overwrite else [])
            if unlisted:  # a run that never listed its files (killed, or still running): refuse, never take them
                earlier = {**earlier, "files": unlisted, "status": "still running or stopped before it finished",
                           "_which": "written since it started"}
            else:  # (with overwrite only the files this run would write are set aside: the user's others stay)
                earlier = None  # an earlier run that left no files: nothing to mix with
                (folder / MANIFEST_NAME).unlink(missing_ok=True)
        clashes = sorted(n for n in set(expected) if (folder / n).exists())
        if earlier is not None or clashes:
            if not overwrite:
                if earlier is not None:
                    n_files = len(earlier.get("files", []))
                    which = earlier.get("_which", f"listed in {MANIFEST_NAME}")
                    what = (f"the files of an earlier run ('{earlier.get('command', '?')}', "
                            f"{earlier.get('status', '?')}, {earlier.get('started', '?')}, "
                            f"{n_files} file{'s' if n_files != 1 else ''} {which})")
                else:
                    what = f"files this run would write ({', '.join(clashes[:4])})"
                resume = (f", {resume_option} to continue it" if resume_option and earlier is not None
                          and _same_command(earlier.get("command"), text)
                          and str(earlier.get("status", "")).startswith(("still running", "partial")) else "")
                raise OutputFolderError(
                    f"{option} {os.fspath(out_dir)}: already holds {what}; pass --overwrite to replace them{resume}, "
                    f"or choose another {option}")
            names = [str(n) for n in (earlier or {}).get("files", [])] + clashes + [MANIFEST_NAME]
            read = {os.path.realpath(p) for p in inputs}
            taken = [n for n in names if (t := _inside(folder, n)) is not None and t.is_file()
                     and os.path.realpath(t) in read]
            if taken:
                raise OutputFolderError(
                    f"{option} {os.fspath(out_dir)}: the input {taken[0]} is a file of the earlier run there, which "
                    "--overwrite sets aside while this run reads it; copy it out of the folder first, or choose "
                    f"another {option}")
            backup = folder / f".metalair-replaced-{os.getpid()}-{uuid.uuid4().hex[:12]}"
            for name in dict.fromkeys(names):
                target = _inside(folder, name)
                if target is not None and target.is_file():
                    dest = backup / target.relative_to(folder.resolve(strict=False))
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(target, dest)  # same file system: a rename, nothing copied
                    if name != MANIFEST_NAME:
                        replaced.append(name)
    there = frozenset(_file_names(folder))
    run = RunOutputs(folder=folder, command=text, replaced=replaced, created_folder=not existed,
                     backup=backup if backup is not None and backup.exists() else None,
                     preexisting=there, protected=frozenset() if overwrite else there, option=option,
                     _unlock=unlock)
    run.write_manifest()
    run.protect()
    return run
