"""Reading cycler files into one canonical table, and writing results.

>>> from metalair.io import read
>>> data = read("cell.ndax")                          # doctest: +SKIP
>>> data.n_cycles, data.metadata["warnings"]         # doctest: +SKIP

:func:`read` recognises the format from the file's content, runs the reader,
and checks the result for plausibility (:mod:`metalair.io.checks`). The
current in :class:`CyclerData` is positive on discharge.
"""

from __future__ import annotations

import math
import numbers
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from metalair._validation import PROGRESS_STAGE, check_callable
from metalair.errors import DataFormatError, ParameterError
from metalair.io.checks import DataQualityWarning, check_cycler_data, finish
from metalair.io.detect import (
    FORMAT_ALIASES,
    FORMATS,
    as_path,
    check_forced_format,
    detect_format,
    named_format,
    read_head,
)
from metalair.tables.cycler import STEP_TYPES, CyclerData
from metalair.tables.writers import atomic_write_text, write_csv_rows, write_cycler_csv, write_cycler_parquet

__all__ = [
    "read",
    "detect_format",
    "FORMATS",
    "CyclerData",
    "STEP_TYPES",
    "DataQualityWarning",
    "check_cycler_data",
    "atomic_write_text",
    "write_csv_rows",
    "write_cycler_csv",
    "write_cycler_parquet",
]


def _dispatch(
    path: Path, fmt: str, column_map: Mapping[str, Any] | None, progress: Callable[[str, int, int], None] | None = None
) -> tuple[CyclerData, list[str]]:
    if fmt in ("neware_nda", "neware_ndax"):
        from metalair.io.neware import read_neware

        return read_neware(path, kind=fmt)
    if fmt == "neware_zip":
        return _read_zip_member(path)
    if fmt == "arbin_res":
        from metalair.io.arbin import read_arbin_res

        return read_arbin_res(path)
    if fmt == "neware_csv":
        from metalair.io.neware import read_neware_csv

        return read_neware_csv(path)
    if fmt == "biologic_mpt":
        from metalair.io.biologic import read_mpt

        return read_mpt(path)
    if fmt == "biologic_mpr":
        from metalair.io.biologic import read_mpr

        return read_mpr(path)
    if fmt == "arbin_csv":
        from metalair.io.arbin import read_arbin_csv

        return read_arbin_csv(path)
    if fmt == "maccor_txt":
        from metalair.io.maccor import read_maccor_txt

        return read_maccor_txt(path)
    if fmt == "csv":
        from metalair.io.generic_csv import read_generic_csv

        if column_map is None:
            raise ParameterError(
                "format='csv' needs a column_map, e.g. {'time_s': 'Time (s)', 'voltage_V': 'Ecell/V', "
                "'current_A': ('I/mA', 'mA')}"
            )
        return read_generic_csv(path, column_map, progress=progress)
    raise ParameterError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")  # pragma: no cover


def _read_zip_member(path: Path) -> tuple[CyclerData, list[str]]:
    """A zipped .nda/.ndax: extract the one member to a temporary folder and read it."""
    import tempfile
    import zipfile

    from metalair.io.detect import zip_cycler_member
    from metalair.io.neware import read_neware

    member = zip_cycler_member(path)
    if member is None:  # pragma: no cover - detect_format checked it
        raise DataFormatError(f"{path.name}: the zip archive holds no single Neware .nda/.ndax file")
    with tempfile.TemporaryDirectory(prefix="metalair-zip-") as tmp:
        with zipfile.ZipFile(path) as zf:
            target = Path(tmp) / Path(member).name
            with zf.open(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
        data, notes = read_neware(target)
    metadata = dict(data.metadata)
    metadata["file_name"] = path.name
    metadata["archive_member"] = member
    metadata.setdefault("notes", []).append(f"read from the archive member {member}")
    return replace(data, metadata=metadata), notes


def read(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    column_map: Mapping[str, Any] | None = None,
    mass_g: float | None = None,
    strict: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> CyclerData:
    """Read a cycler file into a checked :class:`CyclerData`.

    Parameters
    ----------
    path : path-like
        Neware .nda/.ndax or BTSDA CSV, BioLogic .mpt/.mpr, Arbin CSV, Maccor
        text export, or any delimited text file with ``column_map``.
    format : str, optional
        Force a format (a key of :data:`FORMATS` or an alias such as
        ``"ndax"``, ``"mpt"``, ``"maccor"``, ``"csv"``). By default the format
        is recognised from the content; a ``column_map`` alone implies
        ``"csv"`` when the content is not a known export.
    column_map : mapping, optional
        For generic CSV: canonical name -> column name or (name, unit or
        factor); see :mod:`metalair.io.generic_csv`.
    mass_g : float, optional
        Catalyst (active) mass in g; overrides a mass stored in the file.
    strict : bool
        Raise :class:`DataFormatError` for problems that are otherwise
        reported as warnings (truncated files, missing records, damaged
        auxiliary metadata, time jumps).
    progress : callable, optional
        ``progress("read", done, total)`` while a large delimited text file
        is read (bytes).

    Returns
    -------
    CyclerData
        Current positive on discharge; ``metadata["warnings"]`` lists every
        problem found (also issued once as a :class:`DataQualityWarning`).

    Raises
    ------
    DataFormatError
        If the file is missing, empty, damaged, truncated beyond use, or not a
        supported format; the message names the file, the problem and what
        to do.
    ParameterError
        If ``path`` is not a file path, ``format`` not a known format name,
        ``mass_g`` not a positive number or ``column_map`` not a mapping.
    """
    path = as_path(path)
    check_callable(progress, "progress", PROGRESS_STAGE)
    if mass_g is not None and not (
        isinstance(mass_g, numbers.Real) and not isinstance(mass_g, bool) and math.isfinite(mass_g) and mass_g > 0
    ):
        raise ParameterError(f"mass_g must be a positive, finite number of grams, got {mass_g!r}")
    if column_map is not None and not isinstance(column_map, Mapping):
        raise ParameterError(
            f"column_map must be a mapping of canonical name -> column, e.g. {{'time_s': 'Time (s)', "
            f"'voltage_V': 'Ecell/V', 'current_A': ('I/mA', 'mA')}}; got {column_map!r} ({type(column_map).__name__})"
        )
    if format is not None:
        fmt = named_format(format, path, FORMATS, FORMAT_ALIASES)
        if column_map is not None and fmt != "csv":  # it would be ignored, and the reader's error would puzzle
            raise ParameterError(f"a column map (--columns) names the columns of a generic CSV file; format "
                                 f"{format!r} reads the instrument's own columns: leave out one of the two "
                                 "(--format csv with --columns, or --format alone)")
        check_forced_format(path, fmt, format)
    else:
        try:
            fmt = detect_format(path)
        except DataFormatError:
            if column_map is None:
                raise
            fmt = "csv"
        if column_map is not None and fmt != "csv":
            fmt = "csv"
    if fmt == "metalair_csv":  # its header names the canonical columns: read them as they are
        from metalair.io.generic_csv import CANONICAL_COLUMNS

        header = {f.strip() for f in read_head(path).decode("utf-8", "replace").splitlines()[0].split(",")}
        column_map = {k: k for k in CANONICAL_COLUMNS if k in header}
        fmt = "csv"
    series_mass = None
    if fmt == "metalair_series":  # per gram: read as a cell holding mass_g (default 1 g) of catalyst
        from metalair.io.detect import SERIES_COLUMNS

        series_mass = float(mass_g) if mass_g is not None else 1.0
        column_map = {k: (v, 1e-3 * series_mass) if k == "current_A" else v for k, v in SERIES_COLUMNS.items()}
        fmt = "csv"
    if fmt == "csv" and column_map is None:
        raise ParameterError(
            "format='csv' needs a column_map, e.g. {'time_s': 'Time (s)', 'voltage_V': 'Ecell/V', "
            "'current_A': ('I/mA', 'mA')}"
        )
    try:
        data, notes = _dispatch(path, fmt, column_map, progress)
    except ParameterError as exc:
        if column_map is not None and fmt == "csv":
            raise
        raise DataFormatError(f"{path.name}: the content does not form a valid table: {exc}") from None
    except (UnicodeError, OSError) as exc:
        raise DataFormatError(f"{path.name}: could not be read ({exc})") from None
    if mass_g is not None or series_mass is not None:
        metadata = dict(data.metadata)
        metadata["mass_g"] = float(mass_g) if mass_g is not None else series_mass
        metadata["mass_source"] = "given by the user" if mass_g is not None else (
            "a simulated time series, per gram of catalyst: read as 1 g, so capacities are in mAh/g")
        data = replace(data, metadata=metadata)
    return finish(data, notes, strict=strict)
