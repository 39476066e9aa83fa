"""Powder diffraction files: ``.xy``/``.csv`` text and PANalytical ``.xrdml``.

>>> from metalair.io.diffraction import read_diffraction
>>> pattern = read_diffraction("discharged.xrdml")       # doctest: +SKIP
>>> pattern.two_theta_deg, pattern.wavelength_m          # doctest: +SKIP

Formats
-------
Text (``.xy``, ``.csv``, ``.txt``, ``.dat``)
    Two columns, 2θ [degrees] and intensity (see :mod:`metalair.io.columns`);
    the wavelength is not in such files: pass ``wavelength_m`` (default Cu Kα1,
    recorded as ``metadata["wavelength_source"] = "default"``).
PANalytical XRDML
    XML: the wavelength from ``usedWavelength/kAlpha1`` (in its ``unit``: Angstrom, nm, pm or m,
    converted through :mod:`metalair.units`; another unit is refused), the Kα2 line from ``kAlpha2`` and
    ``ratioKAlpha2KAlpha1`` when the file gives both (recorded as ``metadata["kalpha2"]``, a dict of
    ``wavelength_m``, ``ratio`` and ``source``, for the doublet fits of the analysis), the 2θ axis from
    ``dataPoints/positions[@axis="2Theta"]`` (start/end positions, or a
    list), the intensities from ``intensities`` or ``counts`` (divided by
    the counting time when the unit is counts and ``per_second`` is true).
    Files declaring XML entities are refused (no entity expansion).

References
----------
Degen, T., Sadki, M., Bron, E., König, U. & Nénert, G. The HighScore suite.
Powder Diffr. 29, S13–S18 (2014). doi:10.1017/S0885715614000840 (XRDML).
"""

from __future__ import annotations

import numbers
import os
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io.columns import read_xy_text
from metalair.io.detect import as_path
from metalair.tables.spectra import CU_KALPHA1_M, Diffractogram
from metalair.units import UNITS, find_unit, from_user

__all__ = ["read_diffraction", "read_xrdml", "read_xy"]

_X = ("2theta", "2-theta", "2θ", "angle", "two_theta", "pos")
_Y = ("intensity", "counts", "cps", "int", "i")


def _check_wavelength(w: Any) -> float:
    if isinstance(w, bool) or not isinstance(w, numbers.Real) or not (1e-12 < float(w) < 1e-8):
        raise ParameterError(f"wavelength_m = {w!r} must be a wavelength in m (e.g. 1.5406e-10 for Cu Kα1)")
    return float(w)


def _finish(name: str, stem: str, tth: np.ndarray, inten: np.ndarray, wavelength: float,
            meta: dict[str, Any]) -> Diffractogram:
    if tth.size < 10:
        raise DataFormatError(f"{name}: only {tth.size} points; a diffractogram needs at least 10")
    if tth.min() < 0 or tth.max() > 180:
        raise DataFormatError(f"{name}: the angle column runs {tth.min():.6g}-{tth.max():.6g}, not 2θ in degrees")
    order = np.argsort(tth, kind="stable")
    if np.any(np.diff(tth) < 0):
        meta.setdefault("warnings", []).append("angles were not ascending; sorted")
    return Diffractogram(two_theta_deg=tth[order], intensity=inten[order], wavelength_m=wavelength, name=stem,
                         metadata=meta)


def read_xy(path: str | os.PathLike[str], *, wavelength_m: float | None = None,
            two_theta_column: int | None = None, intensity_column: int | None = None) -> Diffractogram:
    """Read a 2θ/intensity text file (wavelength default Cu Kα1).

    Parameters
    ----------
    path : path-like
        Two columns, or more with a header naming the 2θ and intensity ones.
    wavelength_m : float, optional
        Wavelength [m]; default Cu Kα1.
    two_theta_column, intensity_column : int, optional
        0-based columns for a file with more than two columns whose header
        does not name them.
    """
    p = as_path(path)
    x, y, header, warnings = read_xy_text(
        p, x_keywords=_X, y_keywords=_Y, x_column=two_theta_column, y_column=intensity_column,
        what="diffractogram",
        column_options="read_diffraction(path, two_theta_column=..., intensity_column=...)")
    meta: dict[str, Any] = {"file_name": p.name, "format": "xy", "columns": header, "warnings": warnings,
                            "wavelength_source": "given" if wavelength_m is not None else "default (Cu Kα1)"}
    w = CU_KALPHA1_M if wavelength_m is None else _check_wavelength(wavelength_m)
    return _finish(p.name, p.stem, x, y, w, meta)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if _local(e.tag) == name]


def _numbers(text: str | None, what: str, name: str) -> np.ndarray:
    try:
        return np.array([float(v) for v in (text or "").split()], dtype=float)
    except ValueError:
        raise DataFormatError(f"{name}: {what} holds text that is not numbers") from None


def _xrdml_length(el: ET.Element, name: str) -> float:
    """The wavelength [m] an XRDML element such as ``<kAlpha1 unit="Angstrom">`` holds."""
    tag = _local(el.tag)
    try:
        val = float(el.text or "")
    except ValueError:
        raise DataFormatError(f"{name}: <{tag}> wavelength {el.text!r} is not a number (a decimal comma?); "
                              "write it like 1.5406, or give the wavelength") from None
    written = (el.get("unit") or "Angstrom").strip()
    unit = find_unit(written, "length") or ("Å" if written.lower() in ("ångström", "ang") else None)
    if unit is None:
        allowed = ", ".join(u for u, (d, _f) in UNITS.items() if d == "length")
        raise DataFormatError(f"{name}: <{tag}> wavelength {el.text!r} has unit {written!r}, which is not "
                              f"a length unit; XRDML writes unit=\"Angstrom\" (known: {allowed})")
    return float(from_user(val, unit, "length"))


def read_xrdml(path: str | os.PathLike[str], *, per_second: bool = False,
               wavelength_m: float | None = None) -> Diffractogram:
    """Read a PANalytical XRDML file (first scan).

    Parameters
    ----------
    path : path-like
        The file.
    per_second : bool
        Divide counts by the counting time.
    wavelength_m : float, optional
        Override the file's Kα1 wavelength.

    Raises
    ------
    DataFormatError
        Not XML / not XRDML, truncated XML, no 2θ axis or intensities,
        mismatched lengths, entity declarations.
    """
    p = as_path(path)
    if not p.is_file():
        raise DataFormatError(f"{p}: no such file")
    raw = p.read_bytes()
    if not raw:
        raise DataFormatError(f"{p.name}: the file is empty (0 bytes)")
    if b"<!ENTITY" in raw[:10000].upper():
        raise DataFormatError(f"{p.name}: XML entity declarations are not accepted")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise DataFormatError(f"{p.name}: not well-formed XML ({exc}); the file is truncated or not XRDML") from None
    if _local(root.tag) != "xrdMeasurements":
        raise DataFormatError(f"{p.name}: root element <{_local(root.tag)}>, not an XRDML <xrdMeasurements>")
    meta: dict[str, Any] = {"file_name": p.name, "format": "xrdml", "warnings": []}
    w = None
    for k in _find(root, "kAlpha1"):
        w = _xrdml_length(k, p.name)
        break
    k2 = next(iter(_find(root, "kAlpha2")), None)
    ratio_el = next(iter(_find(root, "ratioKAlpha2KAlpha1")), None)
    if wavelength_m is None and w is not None and k2 is not None and ratio_el is not None:
        try:
            ratio = float(ratio_el.text or "")
        except ValueError:
            raise DataFormatError(f"{p.name}: <ratioKAlpha2KAlpha1> {ratio_el.text!r} is not a number (a decimal "
                                  "comma?); write it like 0.5") from None
        if not 0.0 <= ratio <= 1.0:
            raise DataFormatError(f"{p.name}: <ratioKAlpha2KAlpha1> {ratio_el.text!r} is not a Kα2/Kα1 height ratio "
                                  "in [0, 1] (a tube gives about 0.5)")
        meta["kalpha2"] = {"wavelength_m": _xrdml_length(k2, p.name), "ratio": ratio,
                           "source": "the file's kAlpha2 and ratioKAlpha2KAlpha1"}
    if wavelength_m is not None:
        w = _check_wavelength(wavelength_m)
        meta["wavelength_source"] = "given"
    elif w is None:
        w = CU_KALPHA1_M
        meta["wavelength_source"] = "default (Cu Kα1): no kAlpha1 in the file"
        meta["warnings"].append("no wavelength in the file; Cu Kα1 assumed")
    else:
        meta["wavelength_source"] = "file (kAlpha1)"
    points = _find(root, "dataPoints")
    if not points:
        raise DataFormatError(f"{p.name}: no <dataPoints>; not a scan")
    dp = points[0]
    axis = next((e for e in dp if _local(e.tag) == "positions" and (e.get("axis") or "").lower() == "2theta"), None)
    if axis is None:
        raise DataFormatError(f"{p.name}: no 2Theta <positions> in the first scan")
    inten_el = next((e for e in dp if _local(e.tag) in ("intensities", "counts")), None)
    if inten_el is None:
        raise DataFormatError(f"{p.name}: no <intensities> or <counts> in the first scan")
    inten = _numbers(inten_el.text, "<intensities>", p.name)
    listed = next((e for e in axis if _local(e.tag) == "listPositions"), None)
    if listed is not None:
        tth = _numbers(listed.text, "<listPositions>", p.name)
    else:
        start = next((e for e in axis if _local(e.tag) == "startPosition"), None)
        end = next((e for e in axis if _local(e.tag) == "endPosition"), None)
        if start is None or end is None:
            raise DataFormatError(f"{p.name}: the 2Theta axis has neither start/end nor a list of positions")
        try:
            tth = np.linspace(float(start.text or ""), float(end.text or ""), inten.size)
        except ValueError:
            raise DataFormatError(f"{p.name}: 2Theta start/end are not numbers") from None
        scan = next((e for e in root.iter() if _local(e.tag) == "scan"), None)
        if scan is not None and (scan.get("status") or "").lower() not in ("", "completed"):
            meta["warnings"].append(
                f"the scan's status is {scan.get('status')!r}: if it stopped before its planned end, the "
                f"{inten.size} intensities were spread over the planned range {float(start.text or ''):g}-"
                f"{float(end.text or ''):g}° 2θ and their angles are wrong")
    if tth.size != inten.size:
        raise DataFormatError(f"{p.name}: {tth.size} angles but {inten.size} intensities")
    if per_second:
        t_el = next((e for e in dp if _local(e.tag) == "commonCountingTime"), None)
        if t_el is None:
            raise DataFormatError(f"{p.name}: per_second requested but no <commonCountingTime>")
        try:
            t = float(t_el.text or "nan")
        except ValueError:
            raise DataFormatError(f"{p.name}: <commonCountingTime> {t_el.text!r} is not a number (a decimal comma?); "
                                  "write it like 1.0") from None
        if not t > 0:
            raise DataFormatError(f"{p.name}: counting time {t_el.text!r} is not positive")
        inten = inten / t
        meta["intensity_unit"] = "counts/s"
    else:
        meta["intensity_unit"] = inten_el.get("unit") or "counts"
    return _finish(p.name, p.stem, tth, inten, float(w), meta)


def read_diffraction(path: str | os.PathLike[str], *, wavelength_m: float | None = None,
                     two_theta_column: int | None = None, intensity_column: int | None = None) -> Diffractogram:
    """Read ``.xrdml`` (by content) or a 2θ/intensity text file.

    ``two_theta_column`` and ``intensity_column`` (0-based) choose the columns
    of a text file with more than two whose header does not name them; see
    :func:`read_xy`.
    """
    p = as_path(path)
    if not p.is_file():
        raise DataFormatError(f"{p}: no such file")
    head = p.read_bytes()[:512].lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<xrdMeasurements") or p.suffix.lower() == ".xrdml":
        return read_xrdml(p, wavelength_m=wavelength_m)
    return read_xy(p, wavelength_m=wavelength_m, two_theta_column=two_theta_column,
                   intensity_column=intensity_column)
