"""Recognise a cycler file by its content (magic bytes, header text), not its name."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from metalair.errors import DataFormatError

__all__ = ["detect_format", "FORMATS", "FORMAT_ALIASES"]

#: Format names :func:`detect_format` returns, with a description.
FORMATS: dict[str, str] = {
    "neware_nda": "Neware .nda (binary; read with fastnda)",
    "neware_ndax": "Neware .ndax (zip of .ndc; read with fastnda)",
    "neware_csv": "Neware BTSDA CSV export",
    "biologic_mpr": "BioLogic EC-Lab .mpr (binary; read with galvani, GPL, optional)",
    "biologic_mpt": "BioLogic EC-Lab text export .mpt",
    "arbin_csv": "Arbin CSV export",
    "maccor_txt": "Maccor text export",
    "csv": "generic CSV/TSV with a column_map",
}

#: Names accepted for ``format=`` besides the keys of :data:`FORMATS`.
FORMAT_ALIASES: dict[str, str] = {
    "nda": "neware_nda",
    "ndax": "neware_ndax",
    "mpr": "biologic_mpr",
    "mpt": "biologic_mpt",
    "arbin": "arbin_csv",
    "maccor": "maccor_txt",
    "generic": "csv",
    "generic_csv": "csv",
    "tsv": "csv",
}

_HEAD_BYTES = 65536
MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"
NDA_MAGIC = b"NEWARE"
ZIP_MAGIC = b"PK\x03\x04"


def _first_lines(text: str, n: int = 60) -> list[str]:
    return text.splitlines()[:n]


def detect_format(path: str | os.PathLike[str]) -> str:
    """Name the format of a cycler file from its first bytes.

    Returns
    -------
    str
        A key of :data:`FORMATS`. ``"csv"`` is never returned by detection:
        a delimited file that is none of the known exports needs a
        ``column_map`` and ``format="csv"``.

    Raises
    ------
    DataFormatError
        If the file is missing, empty, or not a format metalair reads.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory, not a data file")
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if not head:
        raise DataFormatError(f"{path.name}: the file is empty (0 bytes); it was not saved or copied completely")

    if head.startswith(NDA_MAGIC):
        return "neware_nda"
    if head.startswith(MPR_MAGIC):
        return "biologic_mpr"
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise DataFormatError(
                f"{path.name}: starts like a zip archive (as Neware .ndax files do) but cannot be "
                f"opened ({exc}); the file is truncated or damaged - copy it again from the instrument PC"
            ) from None
        if any(n.endswith(".ndc") for n in names):
            return "neware_ndax"
        raise DataFormatError(
            f"{path.name}: a zip archive without Neware .ndc data ({', '.join(names[:5])}); "
            "not a cycler file metalair reads"
        )

    suffix = path.suffix.lower()
    if b"\x00" in head[:4096]:
        hint = ""
        if suffix == ".mpr":
            hint = " (named .mpr but lacks the 'BIO-LOGIC MODULAR FILE' header: damaged?)"
        elif suffix in (".nda", ".ndax"):
            hint = f" (named {suffix} but lacks the Neware header: damaged?)"
        raise DataFormatError(
            f"{path.name}: unrecognised binary file{hint}; supported formats: {', '.join(FORMATS)}"
        )

    text = head.decode("latin-1")
    lines = _first_lines(text)
    first = lines[0].strip() if lines else ""
    if first.startswith("EC-Lab ASCII FILE") or first.startswith("BT-Lab ASCII FILE"):
        return "biologic_mpt"
    for line in lines:
        low = line.lower()
        if "data_point" in low and "test_time" in low and "cycle_index" in low:
            return "arbin_csv"
        if "datapoint" in low.replace(" ", "") and "cycle index" in low and "step type" in low:
            return "neware_csv"
        fields = [f.strip() for f in line.split("\t")]
        if "Rec" in fields and any(f.startswith("Cyc") for f in fields) and (
            "Md" in fields or "State" in fields
        ):
            return "maccor_txt"
        if "time/s" in fields and any(f in fields for f in ("Ewe/V", "<Ewe>/V", "Ecell/V")):
            return "biologic_mpt"
    if suffix in (".mpr", ".nda", ".ndax"):
        raise DataFormatError(
            f"{path.name}: named {suffix} but the content is text, not the binary format; "
            "the file is damaged or misnamed"
        )
    raise DataFormatError(
        f"{path.name}: format not recognised from its content; supported: "
        f"{', '.join(k for k in FORMATS if k != 'csv')}. For another delimited text file pass "
        "format='csv' and column_map={'time_s': ..., 'voltage_V': ..., 'current_A': ...}"
    )
