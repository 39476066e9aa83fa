"""Raman spectra from two-column text exports (WiRE, LabSpec, OPUS, generic).

>>> from metalair.io.raman import read_raman
>>> spec = read_raman("discharged_cathode.txt")     # doctest: +SKIP

Accepted layout: optional header or ``#`` comment lines, then rows of
numbers separated by tabs, commas, semicolons or spaces. Two columns are
Raman shift [cm⁻¹] and intensity. Renishaw WiRE map/line exports with four
columns (``#X #Y #Wave #Intensity``) or other files whose header names a
``wave``/``shift`` and an ``intensity``/``counts`` column are read from those
columns. Rows are sorted by shift by RamanSpectrum (WiRE writes them descending).

An x column headed as a wavelength ("Wavelength (nm)", "... nm") is refused, unless the laser's
wavelength is given (``laser_nm``): the axis is then read as scattered wavelengths in nm and converted
to the Stokes Raman shift (:func:`raman_shift_cm1`). The laser is never guessed.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io.columns import read_xy_text
from metalair.io.detect import as_path
from metalair.tables.spectra import RamanSpectrum
from metalair.units import convert

__all__ = ["read_raman", "raman_shift_cm1", "LASER_NM_RANGE"]

#: Laser wavelengths [nm] ``read_raman`` takes (deep UV to infrared Raman lasers).
LASER_NM_RANGE = (150.0, 2000.0)
_NM_PER_CM = float(convert(1e-2, "m", "nm"))  # 1 cm in nm: a wavenumber in cm-1 is this over the wavelength in nm


def raman_shift_cm1(wavelength_nm: Any, laser_nm: float) -> Any:
    """Raman shift [cm⁻¹] of light scattered at ``wavelength_nm`` from a laser at ``laser_nm`` (both in nm).

    shift = 1/λ_laser − 1/λ as wavenumbers, that is 1e7/λ_laser − 1e7/λ with λ in nm: positive for
    Stokes scattering (λ longer than the laser's).
    """
    return _NM_PER_CM / laser_nm - _NM_PER_CM / np.asarray(wavelength_nm, dtype=float)


def _laser(value: Any) -> float:
    lo, hi = LASER_NM_RANGE
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value))
            or not lo <= float(value) <= hi):
        raise ParameterError(f"laser_nm = {value!r} must be the excitation laser's wavelength in nm (--laser-nm on "
                             f"the command line), between {lo:g} and {hi:g} (e.g. 532, 633 or 785)")
    return float(value)

_SHIFT = ("wave", "shift", "raman", "cm-1", "cm^-1", "wavenumber")
_INTENSITY = ("intensity", "counts", "int", "cps", "signal")


def read_raman(path: str | os.PathLike[str], *, shift_column: int | None = None,
               intensity_column: int | None = None, laser_nm: float | None = None) -> RamanSpectrum:
    """Read a Raman spectrum from a text export.

    Parameters
    ----------
    path : path-like
        The file.
    shift_column, intensity_column : int, optional
        0-based columns for files with more than two columns whose header
        does not name them.
    laser_nm : float, optional
        The excitation laser's wavelength [nm]: the x column holds scattered wavelengths in nm, converted to
        the Raman shift (:func:`raman_shift_cm1`). Needed for a file whose x column is headed as a wavelength.

    Returns
    -------
    RamanSpectrum

    Raises
    ------
    DataFormatError
        Empty, binary or non-numeric files, rows of unequal length, more than
        two unnamed columns, fewer than 10 points, or shifts outside
        −1000…5000 cm⁻¹ (not a Raman spectrum), an x column headed as a wavelength without ``laser_nm``, or
        one headed as a shift with it.
    ParameterError
        A ``laser_nm`` outside :data:`LASER_NM_RANGE`.
    """
    laser = None if laser_nm is None else _laser(laser_nm)
    p = as_path(path)
    x, y, header, warnings = read_xy_text(
        p, x_keywords=_SHIFT, y_keywords=_INTENSITY, x_column=shift_column, y_column=intensity_column,
        what="Raman spectrum", column_options="read_raman(path, shift_column=..., intensity_column=...)")
    if x.size < 10:
        raise DataFormatError(f"{p.name}: only {x.size} points; a Raman spectrum needs at least 10")
    # the header of the x column: the first of two, else the first naming a shift (as read_xy_text chooses)
    x_name = (header[0] if len(header) == 2 else next((h for h in header if any(w in h for w in _SHIFT)), "")
              ) if header else ""
    named_nm = bool(x_name) and ("wavelength" in x_name or re.search(r"\bnm\b", x_name) is not None)
    if named_nm and laser is None:
        raise DataFormatError(
            f"{p.name}: the x column is headed {x_name!r}, a wavelength (its values run {x.min():.6g}-{x.max():.6g}), "
            "not a Raman shift in cm-1. Convert it: shift = 1e7/λ_laser − 1e7/λ in cm-1, with both wavelengths in "
            "nm; or give the excitation laser's wavelength (metalair raman --laser-nm 532, read_raman(path, "
            "laser_nm=532)) to have it converted")
    if laser is not None:
        if x_name and not named_nm and any(w in x_name for w in ("shift", "cm-1", "cm^-1", "wavenumber", "raman")):
            raise DataFormatError(f"{p.name}: a laser wavelength was given ({laser:g} nm), but the x column is headed "
                                  f"{x_name!r}, a Raman shift already; leave out the laser wavelength")
        if x.min() <= 0:
            raise DataFormatError(f"{p.name}: the x column runs {x.min():.6g}-{x.max():.6g}; with a laser wavelength "
                                  "given it is read as scattered wavelengths in nm, which are positive")
        warnings.append(f"the x axis ({x.min():.6g}-{x.max():.6g}) was read as wavelengths in nm and converted to "
                        f"Raman shift with the laser at {laser:g} nm (shift = 1e7/λ_laser − 1e7/λ)")
        x = raman_shift_cm1(x, laser)
    if x.min() < -1000 or x.max() > 5000:
        raise DataFormatError(
            f"{p.name}: the first column runs {x.min():.6g}-{x.max():.6g}, not a Raman shift in cm-1 "
            "(-1000 to 5000); is this another kind of file?"
        )
    meta: dict[str, Any] = {"file_name": p.name, "format": "raman_text", "columns": header, "warnings": warnings}
    if laser is not None:
        meta["laser_nm"] = laser
    return RamanSpectrum(shift_cm1=x, intensity=y, name=p.stem, metadata=meta)  # sorted there, with a note
