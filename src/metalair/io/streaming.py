"""Chunked reading of large delimited text files, so memory stays a small multiple of the file size.

:func:`metalair.io.generic_csv.read_generic_csv` hands files larger than
:data:`STREAM_THRESHOLD_BYTES` to :func:`stream_columns`, which reads the
header region once, then parses the data in blocks of
:data:`CHUNK_LINES` lines with NumPy's C parser (``numpy.loadtxt``), keeping
only the columns the ``column_map`` names, as float arrays. Peak memory is
then the final arrays plus one block, instead of every field of every row
as a Python string (which costs about 30 times the file size).

Problems are reported exactly as the in-memory reader reports them: a cut-off
last line is dropped with a warning, a short or non-numeric line elsewhere
raises :class:`~metalair.errors.DataFormatError` with its line number.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import numpy as np

from metalair.errors import DataFormatError

__all__ = ["STREAM_THRESHOLD_BYTES", "CHUNK_LINES", "stream_columns", "read_head"]

#: Files at least this large are read in chunks (smaller ones in one piece).
STREAM_THRESHOLD_BYTES = 16 * 1024 * 1024
#: Lines parsed per chunk.
CHUNK_LINES = 200_000
_HEAD_BYTES = 1 << 20


def read_head(path: Path) -> tuple[list[str], str]:
    """The first lines of a text file (up to 1 MiB, whole lines) and the encoding that decodes it."""
    with path.open("rb") as fh:
        raw = fh.read(_HEAD_BYTES)
    if not raw:
        raise DataFormatError(f"{path.name}: the file is empty (0 bytes); it was not saved or copied completely")
    if b"\x00" in raw[:65536]:
        raise DataFormatError(
            f"{path.name}: binary content where a text export was expected; the file is damaged or of another format")
    cut = raw.rfind(b"\n")
    if cut > 0 and len(raw) == _HEAD_BYTES:
        raw = raw[: cut + 1]
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding).splitlines(), encoding
        except UnicodeDecodeError:
            continue
    raise DataFormatError(f"{path.name}: the text encoding could not be recognised")  # pragma: no cover


def _bad_line(file_name: str, lines: list[str], first_line_no: int, delim: str, names: list[str],
              usecols: list[int], decimal_comma: bool) -> DataFormatError:
    """Find the line that made the fast parser fail and describe it like the in-memory reader does."""
    ncol = len(names)
    for k, line in enumerate(lines):
        if not line.strip():
            continue
        fields = line.rstrip("\r\n").split(delim)
        line_no = first_line_no + k
        if len(fields) < ncol and max(usecols) >= len(fields):
            return DataFormatError(
                f"{file_name}: line {line_no} has {len(fields)} fields but the header has {ncol}; "
                "the file is damaged (lines lost or joined) - export it again")
        for j in usecols:
            v = fields[j].strip()
            if not v:
                return DataFormatError(
                    f"{file_name}: column {names[j]!r} is empty in line {line_no}; the file is damaged or incomplete")
            try:
                float(v.replace(",", ".") if decimal_comma else v)
            except ValueError:
                return DataFormatError(
                    f"{file_name}: line {line_no}, column {names[j]!r}: {v[:40]!r} is not a number; the file is "
                    "damaged or this is not the expected export")
    return DataFormatError(f"{file_name}: lines {first_line_no}-{first_line_no + len(lines) - 1} could not be parsed")


def stream_columns(
    path: Path,
    encoding: str,
    header_index: int,
    delim: str,
    names: list[str],
    numeric: list[str],
    text: list[str],
    *,
    decimal_comma: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, list[str]], list[str]]:
    """Parse the data rows below ``header_index`` in chunks.

    Parameters
    ----------
    path, encoding
        The file and its text encoding (from :func:`read_head`).
    header_index : int
        0-based line of the column names.
    delim : str
        Field delimiter.
    names : list of str
        Column names of the header, in order.
    numeric, text : list of str
        Columns to return as floats, and as per-row strings.
    decimal_comma : bool
        Numbers use a decimal comma (only with tab or semicolon delimiters).
    progress : callable, optional
        ``progress("read", bytes_done, bytes_total)``.

    Returns
    -------
    (dict of float arrays, dict of string lists, list of warnings)
    """
    index = {n: k for k, n in enumerate(names)}
    usecols = [index[n] for n in numeric]
    textcols = [index[n] for n in text]
    total = max(os.path.getsize(path), 1)
    # numeric columns go straight into buffers sized from the first chunk's bytes per line (5 % margin,
    # grown by half when short): no list of chunks to concatenate, so the peak is about one copy of the data
    bufs: dict[str, np.ndarray] = {n: np.empty(0) for n in numeric}
    filled = 0
    strings: dict[str, list[str]] = {n: [] for n in text}
    warnings: list[str] = []
    ncol = len(names)
    done = 0
    with open(path, encoding=encoding, newline="") as fh:
        for _ in range(header_index + 1):
            done += len(fh.readline())
        line_no = header_index + 2  # 1-based number of the next line
        pending = list(islice(fh, CHUNK_LINES))
        while pending:
            lines = pending
            pending = list(islice(fh, CHUNK_LINES))  # one chunk of look-ahead tells where the file ends
            first = line_no
            line_no += len(lines)
            done += sum(len(ln) for ln in lines)
            if not pending:  # a cut-off last record (the test was still writing, or the copy stopped)
                last = len(lines) - 1
                while last >= 0 and not lines[last].strip():
                    last -= 1
                if last >= 0 and len(lines[last].rstrip("\r\n").split(delim)) < ncol:
                    warnings.append(
                        f"the last line ({first + last}) is incomplete ({len(lines[last].split(delim))} of {ncol} "
                        "fields): the file was cut off while being written or copied; that record was dropped")
                    lines = lines[:last]
            block = "".join(lines)
            if usecols:
                src = block.replace(",", ".") if decimal_comma else block
                try:
                    arr = np.loadtxt(io.StringIO(src), delimiter=delim, usecols=usecols, ndmin=2, dtype=float,
                                     comments=None, quotechar='"')
                except ValueError:
                    raise _bad_line(path.name, lines, first, delim, names, usecols, decimal_comma) from None
                m = arr.shape[0]
                if filled + m > (bufs[numeric[0]].size if numeric else 0):
                    per_line = max(len(block) / max(len(lines), 1), 1.0)
                    cap = max(int(total / per_line * 1.05) + m, int(1.5 * (filled + m)))
                    for n in numeric:
                        grown = np.empty(cap)
                        grown[:filled] = bufs[n][:filled]
                        bufs[n] = grown
                for k, n in enumerate(numeric):
                    bufs[n][filled:filled + m] = arr[:, k]
                filled += m
                del arr, src
            if textcols:
                for ln in lines:
                    if ln.strip():
                        fields = ln.rstrip("\r\n").split(delim)
                        for n, j in zip(text, textcols):
                            strings[n].append(fields[j].strip() if j < len(fields) else "")
            del block, lines
            if progress is not None:
                progress("read", min(done, total), total)
    columns = {n: b[:filled] for n, b in bufs.items()}
    if progress is not None:
        progress("read", total, total)
    return columns, strings, warnings
