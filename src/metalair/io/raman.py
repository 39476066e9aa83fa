"""Raman spectra from two-column text exports (WiRE, LabSpec, OPUS, generic).

>>> from metalair.io.raman import read_raman
>>> spec = read_raman("discharged_cathode.txt")     # doctest: +SKIP

Accepted layout: optional header or ``#`` comment lines, then rows of
numbers separated by tabs, commas, semicolons or spaces. Two columns are
Raman shift [cm⁻¹] and intensity. Renishaw WiRE map/line exports with four
columns (``#X #Y #Wave #Intensity``) or other files whose header names a
``wave``/``shift`` and an ``intensity``/``counts`` column are read from those
columns. Rows are sorted by shift (WiRE writes them descending).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io.generic_csv import read_text
from metalair.tables.spectra import RamanSpectrum

__all__ = ["read_raman"]

_SPLIT = re.compile(r"[\t,; ]+")
_SHIFT = ("wave", "shift", "raman", "cm-1", "cm^-1", "wavenumber")
_INTENSITY = ("intensity", "counts", "int", "cps", "signal")


def read_raman(path: str | os.PathLike[str], *, shift_column: int | None = None,
               intensity_column: int | None = None) -> RamanSpectrum:
    """Read a Raman spectrum from a text export.

    Parameters
    ----------
    path : path-like
        The file.
    shift_column, intensity_column : int, optional
        0-based columns for files with more than two columns whose header
        does not name them.

    Returns
    -------
    RamanSpectrum

    Raises
    ------
    DataFormatError
        Empty, binary or non-numeric files, rows of unequal length, more than
        two unnamed columns, fewer than 10 points, or shifts outside
        −1000…5000 cm⁻¹ (not a Raman spectrum).
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
            header = [t.lower() for t in re.split(r"[\t,;]+|\s{2,}", s.lstrip("#").strip()) if t.strip()]
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
        raise DataFormatError(f"{p.name}: no rows of numbers; not a Raman text export")
    data = np.array(rows)
    ncol = data.shape[1]
    if ncol < 2:
        raise DataFormatError(f"{p.name}: one column only; a Raman export has shift and intensity")
    si, ii = shift_column, intensity_column
    if si is None or ii is None:
        if ncol == 2:
            si, ii = 0, 1
        else:
            named = header if len(header) == ncol else []
            s_found = next((i for i, h in enumerate(named) if any(w in h for w in _SHIFT)), None)
            i_found = next((i for i, h in enumerate(named) if any(w in h for w in _INTENSITY)), None)
            if s_found is None or i_found is None:
                raise DataFormatError(
                    f"{p.name}: {ncol} columns and no header naming the shift and intensity columns; give "
                    "shift_column= and intensity_column="
                )
            si, ii = s_found, i_found
    for name, c in (("shift_column", si), ("intensity_column", ii)):
        if not 0 <= c < ncol:
            raise ParameterError(f"{name} = {c} is not a column index (0-{ncol - 1})")
    x, y = data[:, si], data[:, ii]
    good = np.isfinite(x) & np.isfinite(y)
    x, y = x[good], y[good]
    if x.size < 10:
        raise DataFormatError(f"{p.name}: only {x.size} points; a Raman spectrum needs at least 10")
    if x.min() < -1000 or x.max() > 5000:
        raise DataFormatError(
            f"{p.name}: the first column runs {x.min():.6g}-{x.max():.6g}, not a Raman shift in cm-1 "
            "(-1000 to 5000); is this another kind of file?"
        )
    order = np.argsort(x, kind="stable")
    meta: dict[str, Any] = {"file_name": p.name, "format": "raman_text", "columns": header, "warnings": warnings}
    return RamanSpectrum(shift_cm1=x[order], intensity=y[order], name=p.stem, metadata=meta)
