"""Recognise a cycler file by its content (magic bytes, header text), not its name."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from metalair._files import as_path
from metalair.errors import DataFormatError, ParameterError

__all__ = ["detect_format", "named_format", "as_path", "FORMATS", "FORMAT_ALIASES"]

#: Format names :func:`detect_format` returns, with a description.
FORMATS: dict[str, str] = {
    "neware_nda": "Neware .nda (binary; read with fastnda)",
    "neware_ndax": "Neware .ndax (zip of .ndc; read with fastnda)",
    "neware_csv": "Neware BTSDA CSV export",
    "neware_zip": "zip archive holding one Neware .nda/.ndax file (the member is read)",
    "biologic_mpr": "BioLogic EC-Lab .mpr (binary; read with galvani, GPL, optional)",
    "biologic_mpt": "BioLogic EC-Lab text export .mpt",
    "arbin_csv": "Arbin CSV export",
    "arbin_res": "Arbin .res raw file (MS Access database; read with access-parser or mdbtools)",
    "maccor_txt": "Maccor text export",
    "metalair_csv": "metalair's own cycler CSV (write_cycler_csv: time_s, voltage_V, current_A, ...)",
    "metalair_series": "a time series metalair simulate wrote (Time [s], Voltage [V], Current [mA/g], ...; per gram)",
    "csv": "generic CSV/TSV with a column_map",
}

#: The header that starts metalair's own cycler CSV (:func:`metalair.tables.writers.write_cycler_csv`).
OWN_CSV_HEADER = ("time_s", "voltage_V", "current_A")

#: Columns of a simulated time series (``metalair simulate``, ``Solution.to_csv``) that reading it needs; its
#: current is per gram of catalyst, positive on discharge.
SERIES_COLUMNS = {"time_s": "Time [s]", "voltage_V": "Voltage [V]", "current_A": "Current [mA/g]", "step": "Step",
                  "cycle": "Cycle"}

#: Gamry Framework experiment tags (the .DTA file's ``TAG`` line) and the command that reads each.
GAMRY_TOOLS: dict[str, str] = {"CV": "metalair cv", "EISPOT": "metalair eis", "EISGALV": "metalair eis"}

#: Names accepted for ``format=`` besides the keys of :data:`FORMATS`.
FORMAT_ALIASES: dict[str, str] = {
    "nda": "neware_nda",
    "ndax": "neware_ndax",
    "mpr": "biologic_mpr",
    "mpt": "biologic_mpt",
    "arbin": "arbin_csv",
    "res": "arbin_res",
    "maccor": "maccor_txt",
    "generic": "csv",
    "generic_csv": "csv",
    "tsv": "csv",
}

_HEAD_BYTES = 65536
MPR_MAGIC = b"BIO-LOGIC MODULAR FILE"
NDA_MAGIC = b"NEWARE"
ZIP_MAGIC = b"PK\x03\x04"
#: MS Access (Jet 3/4, ACE) databases, as Arbin's .res files are, carry this at byte 4.
ACCESS_MAGICS = (b"Standard Jet DB", b"Standard ACE DB")
#: Maccor names its raw data files after the test with a three-digit extension (.001, .052, ...).
MACCOR_RAW_SUFFIX = re.compile(r"^\.\d{3}$")


#: Magic numbers of compressed files: (leading bytes, format), and how to unpack each.
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"\xfd7zXZ\x00", "xz"), (b"BZh", "bzip2"), (b"\x28\xb5\x2f\xfd", "zstd"))
_UNPACK = {"gzip": "gunzip", "xz": "unxz", "bzip2": "bunzip2", "zstd": "unzstd"}

def named_format(format: str, path: Path, formats: dict[str, str], aliases: dict[str, str], kind: str = "") -> str:
    """The format key a user named (``format=``), checked against ``formats`` and ``aliases``.

    Raises :class:`ParameterError` for an unknown name or one that is not a
    string (listing the choices) and :class:`DataFormatError` when ``path`` is
    not a file. ``kind`` words the error ("impedance " for the impedance
    readers).
    """
    if not isinstance(format, str):
        raise ParameterError(
            f"format must be a {kind}format name (a str), got {format!r} ({type(format).__name__}); "
            f"choose one of {', '.join(formats)} (aliases: {', '.join(aliases)}), or None to recognise it "
            "from the content"
        )
    key = aliases.get(format.lower(), format.lower())
    if key not in formats:
        raise ParameterError(
            f"unknown {kind}format {format!r}; choose one of {', '.join(formats)} "
            f"(aliases: {', '.join(aliases)})"
        )
    require_file(path)
    return key

#: The first bytes every file of a binary format starts with.
_MAGIC_OF: dict[str, tuple[bytes, ...]] = {
    "neware_nda": (NDA_MAGIC,), "biologic_mpr": (MPR_MAGIC,), "neware_ndax": (ZIP_MAGIC,), "neware_zip": (ZIP_MAGIC,),
}


def _starts_as_text(head: bytes, n: int = 256) -> bool:
    """Whether a file's first ``n`` bytes are printable text (tabs and line ends allowed): a text export."""
    start = head[:n]
    return bool(start) and b"\x00" not in start and all(b >= 32 or b in (9, 10, 13) for b in start)


def check_forced_format(path: Path, key: str, given: str) -> None:
    """Refuse a binary format forced on a file that does not start like it, naming what the file is instead."""
    magics = _MAGIC_OF.get(key)
    head = read_head(path)
    binary_format = magics is not None or key == "arbin_res"
    wrong_binary = (magics is not None and not head.startswith(magics)
                    or key == "arbin_res" and head[4:19] not in ACCESS_MAGICS)
    # a text export forced on a binary file (a .mpr or .nda renamed .csv or .mpt, then --format mpt): say what it is
    binary_for_text = not binary_format and b"\x00" in head[:4096] and not utf16_text(head)
    if wrong_binary or binary_for_text:
        try:
            found: str | None = FORMATS[detect_format(path)]
        except DataFormatError:
            found = None
        if binary_for_text and found is None:
            # NUL bytes in what may be a text export: a copy cut off and padded with zeros, or another binary file
            raise DataFormatError(
                f"{path.name}: the format was forced as {given!r} ({FORMATS[key].split(' (')[0]}; format=, "
                "--format), a text export, but the file holds NUL bytes in its first 4 KiB and is no binary cycler "
                "format metalair recognises: a damaged copy (e.g. cut off and padded with zeros) or a file of "
                "another program; copy it again from the instrument computer"
            )
        what = (f"it is a binary file, not text: it reads as {found}" if binary_for_text
                else f"it reads as {found}" if found is not None
                else "its content is not a cycler format metalair recognises")
        raise DataFormatError(
            f"{path.name}: the format was forced as {given!r} ({FORMATS[key].split(' (')[0]}; format=, --format), "
            f"but the file does not start like one ({what}): leave the format out to recognise it from the "
            "content, or name the right one"
        )


def zip_cycler_member(path: Path) -> str | None:
    """The single Neware .nda/.ndax member of a zip archive, or None."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/") and not n.startswith("__MACOSX/")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    members = [n for n in names if n.lower().endswith((".nda", ".ndax"))]
    return members[0] if len(members) == 1 else None


def _first_lines(text: str, n: int = 60) -> list[str]:
    return text.splitlines()[:n]


def utf16_text(head: bytes) -> bool:
    """Whether a file's first bytes are UTF-16 text (a byte-order mark, or ASCII with a NUL after every byte).

    Excel's "Unicode text" and some Windows tools save exports this way; read as bytes they look binary.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:512]
    text_bytes = sample[0::2]  # ASCII text as UTF-16LE: printable characters with a NUL after each
    return (len(sample) >= 8 and sample[1::2].count(0) > 0.9 * len(sample[1::2])
            and sum(32 <= c < 127 or c in (9, 10, 13) for c in text_bytes) > 0.95 * len(text_bytes))


def utf16_message(name: str) -> str:
    """What to tell a user whose text export is UTF-16."""
    return (f"{name}: the file is UTF-16 text (Excel's 'Unicode text' or a Windows tool saves exports this way), "
            "which metalair does not read: save it again as UTF-8 (in Excel: 'CSV UTF-8') and read that file")


def require_file(path: Path) -> None:
    """Refuse a missing path or a directory where a data file is expected (:class:`DataFormatError`)."""
    if not path.exists():
        raise DataFormatError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory, not a data file")


def read_head(path: Path, n_bytes: int = _HEAD_BYTES) -> bytes:
    """The first ``n_bytes`` of a data file, refusing a missing path, a directory and an empty file.

    Raises
    ------
    DataFormatError
        Saying which of the three it is and what to do.
    """
    require_file(path)
    with path.open("rb") as fh:
        head = fh.read(n_bytes)
    if not head:
        raise DataFormatError(f"{path.name}: the file is empty (0 bytes); it was not saved or copied completely")
    return head


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
    ParameterError
        If ``path`` is not a file path.
    """
    path = as_path(path)
    head = read_head(path)
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
        if zip_cycler_member(path) is not None:
            return "neware_zip"
        raise DataFormatError(
            f"{path.name}: a zip archive without Neware .ndc data ({', '.join(names[:5])}); "
            "not a cycler file metalair reads"
        )

    suffix = path.suffix.lower()
    if head[4:19] in ACCESS_MAGICS:
        return "arbin_res"
    if b"\x00" in head[:4096]:
        if utf16_text(head):
            raise DataFormatError(utf16_message(path.name))
        if MACCOR_RAW_SUFFIX.match(suffix):
            raise DataFormatError(
                f"{path.name}: a binary file named like a Maccor raw data file ({suffix}); Maccor's raw format is "
                "not documented, so metalair reads Maccor *text* exports: open the test in Maccor's software "
                "(MacTest / MIMS Client) and export it as text (tab-separated), then read that file")
        hint = ""
        packed = next((name for magic, name in _COMPRESSED if head.startswith(magic)), None)
        if packed is not None:
            hint = f" (it is {packed}-compressed: unpack it first, e.g. '{_UNPACK[packed]} {path.name}')"
        elif suffix == ".mpr":
            hint = " (named .mpr but lacks the 'BIO-LOGIC MODULAR FILE' header: damaged?)"
        elif suffix in (".nda", ".ndax"):
            hint = f" (named {suffix} but lacks the Neware header: damaged?)"
        elif _starts_as_text(head):
            hint = (" (it starts as text and holds NUL bytes further on: a damaged copy, e.g. cut off and padded "
                    "with zeros; copy it again from the instrument computer)")
        raise DataFormatError(
            f"{path.name}: unrecognised binary file{hint}; supported formats: {', '.join(FORMATS)}"
        )

    text = head.decode("latin-1")
    lines = _first_lines(text)
    first = lines[0].strip() if lines else ""
    if first.startswith("EC-Lab ASCII FILE") or first.startswith("BT-Lab ASCII FILE"):
        return "biologic_mpt"
    if tuple(f.strip() for f in first.split(",")[:3]) == OWN_CSV_HEADER:
        return "metalair_csv"
    if set(SERIES_COLUMNS.values()) <= {f.strip() for f in first.split(",")}:
        return "metalair_series"
    for line in lines:
        low = line.lower()
        if "data_point" in low and "test_time" in low and "cycle_index" in low:
            return "arbin_csv"
        if "datapoint" in low.replace(" ", "") and "cycle index" in low and "step type" in low:
            return "neware_csv"
        fields = [f.strip() for f in line.split("\t")]
        if ("Rec" in fields or "Rec#" in fields) and any(f.startswith("Cyc") for f in fields) and (
            "Md" in fields or "State" in fields
        ):
            return "maccor_txt"
        if "time/s" in fields and any(f in fields for f in ("Ewe/V", "<Ewe>/V", "Ecell/V")):
            return "biologic_mpt"
    if MACCOR_RAW_SUFFIX.match(suffix):
        raise DataFormatError(
            f"{path.name}: named like a Maccor data file ({suffix}) but holds neither Maccor's binary format nor a "
            "Maccor text export with a 'Rec#  Cyc#  Step ...  State' (or 'Rec  Cycle ... Md') header line; export "
            "the test as text from Maccor's software")
    if suffix in (".mpr", ".nda", ".ndax"):
        raise DataFormatError(
            f"{path.name}: named {suffix} but the content is text, not the binary format; "
            "the file is damaged or misnamed"
        )
    if first == "EXPLAIN" and len(lines) > 1 and lines[1].startswith("TAG"):  # Gamry Framework .DTA
        tag = lines[1].split("\t")[1].strip() if "\t" in lines[1] else lines[1][3:].strip()
        tool = GAMRY_TOOLS.get(tag.upper())
        raise DataFormatError(
            f"{path.name}: a Gamry {tag or '?'} file, not a cycling record"
            + (f": read it with '{tool}'" if tool else f"; metalair reads Gamry files of {', '.join(GAMRY_TOOLS)}"))
    raise DataFormatError(
        f"{path.name}: format not recognised from its content; supported: "
        f"{', '.join(k for k in FORMATS if k != 'csv')}. For another delimited text file pass "
        "format='csv' and column_map={'time_s': ..., 'voltage_V': ..., 'current_A': ...}"
    )
