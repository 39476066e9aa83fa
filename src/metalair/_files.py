"""Atomic file output: nothing the user asked for is ever left half-written.

Every file is written to a uniquely named temporary file in the target folder
and moved into place with :func:`os.replace` (atomic on one file system), so
a crash, an interrupt or a full disk leaves either the old file or the new
one under the final name, never a fragment.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import io
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from metalair.errors import ParameterError

__all__ = ["as_path", "atomic_write", "atomic_write_bytes", "atomic_write_text", "atomic_write_json", "distinct_inputs",
           "file_sha256", "file_stem", "json_ready", "keep_existing", "write_csv_rows"]


def distinct_inputs(paths: Sequence[str | os.PathLike[str]], what: str) -> list[Path]:
    """``paths`` as paths, refusing a file given twice (the same file by any spelling of its path).

    A file read twice would appear twice in every table and figure of the run.

    Raises
    ------
    ParameterError
        Naming the repeated file: ``"a.dta is given twice (as 'a.dta' and './a.dta'); give each CV file once"``.
    """
    seen: dict[Path, str] = {}
    out = []
    for p in paths:
        path = Path(p)
        key = path.expanduser().resolve(strict=False)
        text = os.fspath(p)
        if key in seen:
            how = "" if seen[key] == text else f" (as {seen[key]!r} and {text!r})"
            raise ParameterError(f"{path.name} is given twice{how}; give each {what} once")
        seen[key] = text
        out.append(path)
    return out


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, in hex (read in 1 MiB chunks): what provenance and resume checks compare."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_stem(name: str) -> str:
    """``name`` as a safe file name stem: path separators and characters Windows forbids become ``-``.

    A catalyst named ``RuO2/C`` writes ``RuO2-C.csv`` inside the output folder, never a subfolder or a
    path outside it.
    """
    stem = "".join("-" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in str(name)).strip(" .")
    return stem or "catalyst"

#: Files the current run must not replace (resolved path -> the message that says how to replace it).
_KEEP: contextvars.ContextVar[dict[Path, str] | None] = contextvars.ContextVar("metalair_keep_existing",
                                                                              default=None)


class ExistingFileError(ParameterError):
    """A run would replace a file that was in its output folder before it started."""


@contextlib.contextmanager
def keep_existing(paths: Iterable[str | os.PathLike[str]], message: Callable[[Path], str]) -> Iterator[None]:
    """While the block runs, refuse to replace any of ``paths`` (files that were there before the run).

    ``message(path)`` is the error raised instead (say what to pass to replace the file).
    """
    keep = dict(_KEEP.get() or {})
    for p in paths:
        path = Path(p).resolve(strict=False)
        keep[path] = message(path)
    token = _KEEP.set(keep)
    try:
        yield
    finally:
        _KEEP.reset(token)


def as_path(path: object, what: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path`, refusing what is not a file path.

    Parameters
    ----------
    path : str or os.PathLike
        The file a reader or writer was given.
    what : str
        The argument's name in the message.

    Raises
    ------
    ParameterError
        If ``path`` is not a ``str`` or ``os.PathLike`` (``None``, a number,
        an open file, bytes) or is an empty string.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ParameterError(
            f"{what} must be a file path (a str or pathlib.Path), got {path!r} ({type(path).__name__})"
        )
    try:
        out = Path(path)
    except TypeError:  # an os.PathLike whose __fspath__ returns bytes
        raise ParameterError(
            f"{what} must be a file path (a str or pathlib.Path), got {path!r} ({type(path).__name__})"
        ) from None
    if str(path) == "":
        raise ParameterError(f"{what} is an empty string; give the path of a data file")
    return out


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically."""
    path = as_path(path)
    if path.is_dir():
        raise ParameterError(f"{path} is a folder; give the name of the file to write in it")
    keep = _KEEP.get()
    if keep and path.resolve(strict=False) in keep and path.exists():
        raise ExistingFileError(keep[path.resolve(strict=False)])
    path.parent.mkdir(parents=True, exist_ok=True)
    # a unique name in the same folder (same file system, so os.replace is atomic);
    # created with open(..., "x") so the final file gets the usual umask permissions
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    with open(tmp, "x"):
        pass
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding=encoding))


def json_ready(obj: Any, default: Callable[[Any], Any] = str) -> Any:
    """``obj`` as plain JSON data (strict JSON has no NaN or infinity).

    NaN and infinities become null, numpy scalars and arrays plain numbers and lists, complex numbers
    ``[real, imag]``, tuples lists, keys strings; anything else goes through ``default``.
    """
    if isinstance(obj, dict):
        return {str(k): json_ready(v, default) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v, default) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist(), default)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if np.isfinite(x) else None
    if isinstance(obj, complex):
        return [json_ready(obj.real), json_ready(obj.imag)]
    if obj is None or isinstance(obj, str):
        return obj
    return json_ready(default(obj), default)


def atomic_write_json(path: str | os.PathLike[str], data: Any, default: Callable[[Any], Any] = str) -> Path:
    """Write ``data`` as strict JSON (``json_ready``: NaN -> null), indented, atomically."""
    import json

    return atomic_write_text(path, json.dumps(json_ready(data, default), indent=2, ensure_ascii=False,
                                              allow_nan=False) + "\n")


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else repr(float(value))
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return str(value)


def write_csv_rows(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a header and rows as CSV atomically (full float precision; NaN becomes an empty field)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_fmt(v) for v in row])
    return atomic_write_text(path, buf.getvalue())
