"""Raman spectra from two-column text exports (WiRE, LabSpec, OPUS, generic).

>>> from metalair.io.raman import read_raman
>>> spec = read_raman("discharged_cathode.txt")     # doctest: +SKIP

Accepted layout: optional header or ``#`` comment lines, then rows of
numbers separated by tabs, commas, semicolons or spaces. Two columns are
Raman shift [cm⁻¹] and intensity. Renishaw WiRE map/line exports with four
columns (``#X #Y #Wave #Intensity``) or other files whose header names a
``wave``/``shift`` and an ``intensity``/``counts`` column are read from those
columns. Rows are sorted by shift by RamanSpectrum (WiRE writes them descending).
"""

from __future__ import annotations

import os
import re
from typing import Any

from metalair.errors import DataFormatError
from metalair.io.columns import read_xy_text
from metalair.io.detect import as_path
from metalair.tables.spectra import RamanSpectrum

__all__ = ["read_raman"]

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
    p = as_path(path)
    x, y, header, warnings = read_xy_text(
        p, x_keywords=_SHIFT, y_keywords=_INTENSITY, x_column=shift_column, y_column=intensity_column,
        what="Raman spectrum", column_options="read_raman(path, shift_column=..., intensity_column=...)")
    if x.size < 10:
        raise DataFormatError(f"{p.name}: only {x.size} points; a Raman spectrum needs at least 10")
    # the header of the x column: the first of two, else the first naming a shift (as read_xy_text chooses)
    x_name = (header[0] if len(header) == 2 else next((h for h in header if any(w in h for w in _SHIFT)), "")
              ) if header else ""
    named_nm = [x_name] if x_name and ("wavelength" in x_name or re.search(r"\bnm\b", x_name)) else []
    if named_nm:  # read as a shift all the same: say so, the numbers may be wavelengths
        warnings.append(f"a column is headed {named_nm[0]!r}: the x axis is read as Raman shift in cm-1; a wavelength "
                        "in nm must be converted first (shift = 1e7/λ_laser − 1e7/λ, both in nm)")
    if x.min() < -1000 or x.max() > 5000:
        raise DataFormatError(
            f"{p.name}: the first column runs {x.min():.6g}-{x.max():.6g}, not a Raman shift in cm-1 "
            "(-1000 to 5000); is this another kind of file?"
        )
    meta: dict[str, Any] = {"file_name": p.name, "format": "raman_text", "columns": header, "warnings": warnings}
    return RamanSpectrum(shift_cm1=x, intensity=y, name=p.stem, metadata=meta)  # sorted there, with a note
