"""Two-column spectra in text form (x, y), shared by the Raman and diffraction readers.

Accepted layout: optional header or ``#`` comment lines, then rows of numbers
separated by tabs, commas, semicolons or spaces. With more than two columns
the header must name the x and y columns (keywords given by the caller), or
the caller passes their indices. A last row cut short (a file copied while
being written) is dropped with a warning; a non-numeric row inside the data
is an error.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io.generic_csv import read_text

__all__ = ["read_xy_text"]

_SPLIT = re.compile(r"[\t,; ]+")


def read_xy_text(path: Path, *, x_keywords: tuple[str, ...], y_keywords: tuple[str, ...],
                 x_column: int | None = None, y_column: int | None = None, what: str = "spectrum",
                 column_options: str = "") -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Read (x, y) from a delimited text file.

    Parameters
    ----------
    path : Path
        The file.
    x_keywords, y_keywords : tuple of str
        Words that name the x and y columns in a header (the first is shown
        in messages).
    x_column, y_column : int, optional
        0-based column indices, for files with more than two columns whose
        header does not name them.
    what : str
        What the file holds, for messages ("Raman spectrum").
    column_options : str
        How the caller's user gives the column indices, e.g.
        ``"read_raman(path, shift_column=..., intensity_column=...)"``;
        named in the message when the columns cannot be told apart.

    Returns
    -------
    x, y : ndarray
        The chosen columns (non-finite rows dropped), in file order.
    header : list of str
        Lower-case column names from the header line (empty if none).
    warnings : list of str
        What was dropped.

    Raises
    ------
    DataFormatError
        Missing, empty, binary or non-numeric files, rows of unequal length,
        several unnamed columns.
    ParameterError
        Column indices out of range.
    """
    p = Path(path)
    if not p.is_file():
        raise DataFormatError(f"{p}: no such file")
    lines = read_text(p).splitlines()
    rows: list[list[float]] = []
    header: list[str] = []
    width = None
    warnings: list[str] = []
    for k, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        parts = [t for t in _SPLIT.split(s.lstrip("#").strip()) if t]
        try:
            vals = [float(t) for t in parts]
        except ValueError:
            if rows:
                if k == len(lines) - 1:
                    warnings.append(f"the last line ({k + 1}) is not a row of numbers and was dropped (truncated?)")
                    break
                raise DataFormatError(f"{p.name}: line {k + 1}: {s[:60]!r} is not a row of numbers") from None
            header = [t.strip().lower() for t in re.split(r"[\t,;]+|\s{2,}", s.lstrip("#").strip()) if t.strip()]
            if s.startswith("#") and len(parts) >= 2:
                header = [t.lower().lstrip("#") for t in parts]
            continue
        if width is None:
            width = len(vals)
        elif len(vals) != width:
            if k == len(lines) - 1 or all(not ln.strip() for ln in lines[k + 1:]):
                warnings.append(f"the last row (line {k + 1}) is cut short and was dropped (file truncated)")
                break
            raise DataFormatError(f"{p.name}: line {k + 1} has {len(vals)} values, earlier rows {width}")
        rows.append(vals)
    if not rows:
        raise DataFormatError(f"{p.name}: no rows of numbers; not a {what} text export")
    data = np.array(rows)
    ncol = data.shape[1]
    if ncol < 2:
        raise DataFormatError(f"{p.name}: one column only; a {what} needs two")
    xi, yi = x_column, y_column
    if xi is None or yi is None:
        if ncol == 2:
            xi, yi = 0, 1
        else:
            named = header if len(header) == ncol else []
            x_found = next((i for i, h in enumerate(named) if any(w in h for w in x_keywords)), None)
            y_found = next((i for i, h in enumerate(named) if any(w in h for w in y_keywords)), None)
            if x_found is None or y_found is None:
                how = f", or in Python give their 0-based indices: {column_options}" if column_options else ""
                example = ", ".join([x_keywords[0], y_keywords[0]] + [f"column{k + 1}" for k in range(2, ncol)])
                raise DataFormatError(
                    f"{p.name}: {ncol} columns and no header naming the {x_keywords[0]} and {y_keywords[0]} "
                    f"columns, so which is which is unknown. Add a header line above the numbers with one name "
                    f"per column (e.g. '{example}'), or save only those two columns ({x_keywords[0]} first){how}"
                )
            xi, yi = x_found, y_found
    for name, c in (("x column", xi), ("y column", yi)):
        if not 0 <= c < ncol:
            raise ParameterError(f"{name} = {c} is not a column index (0-{ncol - 1})")
    x, y = data[:, xi], data[:, yi]
    good = np.isfinite(x) & np.isfinite(y)
    if not good.all():
        bad = np.flatnonzero(~good)
        warnings.append(f"{bad.size} of {good.size} rows hold a value that is not a finite number (NaN, inf; first "
                        f"at data row {bad[0] + 1}) and were dropped")
    return x[good], y[good], header, warnings
