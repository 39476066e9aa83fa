"""Numeric column blocks in instrument text exports, shared by the spectrum and CV readers.

Instrument exports put a free-form header above a block of numbers. The
helpers here find the block, split it (tab, ';', ',' or white space; decimal
comma recognised), tolerate rows that carry fewer fields than the header
names (EC-Lab writes header names for channels it did not record), and read
the unit a column name carries (``"freq/Hz"``, ``"Z' (Ω)"``, ``"Zre (ohms)"``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from metalair.errors import DataFormatError
from metalair.units import UNITS

__all__ = ["check_row_width", "NumericBlock", "numeric_block", "split_fields", "name_and_unit", "is_number", "number",
           "sniff", "ec_lab_header_index", "gamry_table_end", "uses_decimal_comma", "decimal_comma_fields"]

_NB_HEADER = re.compile(r"Nb header lines\s*:\s*(\d+)", re.IGNORECASE)
_NUM = re.compile(r"^[-+]?(?:(?:\d+[.,]?\d*|[.,]\d+)(?:[eE][-+]?\d+)?|nan|inf|infinity|1[.,]#(?:IND|QNAN|SNAN|INF)0*)$",
                  re.IGNORECASE)
#: Microsoft C runtime's spellings of NaN and infinity (``-1.#IND``, ``1.#QNAN``, ``1.#INF``), which Windows
#: instrument software writes for an undefined value (a phase of a zero impedance)
_WINDOWS_SPECIAL = re.compile(r"^([-+]?)1[.,]#(IND|QNAN|SNAN|INF)0*$", re.IGNORECASE)
#: a flag field in a numeric table (Gamry's overload bits ``...........``, ``..T........``): dots and letters
_FLAG = re.compile(r"^[.A-Za-z]*$")
#: the start of a number, cut short (``1.2E``, ``-0.``, ``-``): the last field of a row the file ends inside
_NUMBER_START = re.compile(r"^[-+]?\d*[.,]?\d*(?:[eE][-+]?\d*)?$")
#: a Gamry keyword line (``EXPERIMENTABORTED<tab>TOGGLE<tab>T...``, ``CURVE2<tab>TABLE``): it starts in column 1
_GAMRY_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\t|\s*$)")


def gamry_table_end(line: str) -> bool:
    """True for a line that ends a table of a Gamry ``.DTA`` file: the next keyword line.

    A table's rows start with a tab; the line after the last row starts with
    the keyword of the next entry (``EXPERIMENTABORTED``, ``CURVE2``,
    ``FRACURVE``). Any other line inside a table is a damaged row.
    """
    return _GAMRY_KEY.match(line) is not None


def ec_lab_header_index(name: str, lines: list[str]) -> int | None:
    """Index of the column-name line of an EC-Lab/BT-Lab text export (``.mpt``).

    The banner ``EC-Lab ASCII FILE`` is followed by ``Nb header lines : N``; the
    column names are on line N. Returns ``None`` for a file without the banner
    (a data-only export). Raises :class:`DataFormatError`, naming ``name``, when
    the banner is there but the count is missing or impossible.
    """
    first = lines[0].strip() if lines else ""
    if not first.startswith(("EC-Lab ASCII FILE", "BT-Lab ASCII FILE")):
        return None
    m = _NB_HEADER.search("\n".join(lines[:3]))
    if m is None:
        raise DataFormatError(
            f"{name}: EC-Lab text header without 'Nb header lines : N' on line 2; the file is damaged - "
            "export it again from EC-Lab"
        )
    index = int(m.group(1)) - 1
    if index < 1:
        raise DataFormatError(f"{name}: 'Nb header lines' says {index + 1}, but the banner and that line "
                              "already take 2; the file is damaged - export it again from EC-Lab")
    if index >= len(lines):
        raise DataFormatError(f"{name}: 'Nb header lines' says {index + 1} but the file has only {len(lines)} "
                              "lines; the file is truncated - export it again from EC-Lab")
    return index


def is_number(text: str) -> bool:
    """True for a decimal number with a point or a comma as decimal sign."""
    return bool(_NUM.match(text.strip()))


def number(text: str) -> float:
    """The value of a field :func:`is_number` accepts (a decimal comma, or Windows' ``-1.#IND``, included)."""
    return _to_float(text, "," in text and "." not in text)


def split_fields(line: str, delimiter: str | None) -> list[str]:
    """Fields of one line; ``delimiter=None`` splits on runs of white space."""
    if delimiter is None:
        return line.split()
    return [f.strip() for f in line.split(delimiter)]


def sniff(lines: list[str]) -> str | None:
    """The delimiter of numeric data lines: tab, ';', ',' or ``None`` (white space)."""
    sample = [ln for ln in lines if ln.strip()][:20]
    for delim in ("\t", ";"):
        if sample and all(delim in ln for ln in sample):
            return delim
    if sample and all("," in ln for ln in sample):
        # "1,5 2,3" (decimal comma, space separated) vs "1.5,2.3"
        if all(len(ln.split()) > 1 and all(is_number(t) for t in ln.split()) for ln in sample):
            return None
        return ","
    return None


_COMMA_DECIMAL = re.compile(r"^[-+]?\d*,\d+(?:[eE][-+]?\d+)?$")
_POINT_DECIMAL = re.compile(r"^[-+]?\d*\.\d+(?:[eE][-+]?\d+)?$")
#: A comma number that could equally be an integer with thousands separators ("1,500", "12,000,000").
_THOUSANDS_LIKE = re.compile(r"^[-+]?[1-9]\d{0,2}(?:,\d{3})+$")


def decimal_comma_fields(fields: Sequence[str], where: str, delimiter: str | None = None) -> bool:
    """Whether these numeric fields use a decimal comma: more ``1,5`` fields than ``1.5`` ones.

    A field such as ``1,500`` reads as 1.5 with a decimal comma and as 1500 with a thousands separator.
    It counts as a comma number, but it cannot decide the question alone. Another field settles it
    (``0,5``, ``12,34``, ``1234,5``: never a thousands separator), and so does a ``;`` delimiter (the list
    separator of spreadsheets in the locales that write a decimal comma); otherwise the file is refused
    rather than read 1000 times too small or too large.

    Raises
    ------
    DataFormatError
        If the comma numbers are all of the ambiguous kind, outnumber the ``1.5`` ones, and the delimiter
        is not ``;``.
    """
    commas = ambiguous = points = 0
    example = ""
    for t in fields:
        if _COMMA_DECIMAL.match(t):
            if _THOUSANDS_LIKE.match(t):
                ambiguous += 1
                example = example or t
            else:
                commas += 1
        elif _POINT_DECIMAL.match(t):
            points += 1
    if commas + ambiguous <= points:
        return False
    if commas or delimiter == ";":
        return True
    raise DataFormatError(
        f"{where}: its numbers have commas that could be decimal marks or thousands separators (e.g. {example!r}: "
        "1.5 or 1500), and no value in the first rows settles which; save the file again without thousands "
        "separators (or with decimal points)"
    )


def uses_decimal_comma(lines: list[str], delimiter: str | None, where: str = "the table") -> bool:
    """Whether the numbers of these data lines use a decimal comma (:func:`decimal_comma_fields`).

    Never with ``","`` as the delimiter (see :func:`sniff`, which decides it first).
    """
    if delimiter == ",":
        return False
    return decimal_comma_fields([t for ln in lines for t in split_fields(ln, delimiter) if t], where, delimiter)


@dataclass
class NumericBlock:
    """A block of numbers with the names of its columns (possibly fewer values than names)."""

    names: list[str]
    values: np.ndarray  # rows x columns (columns = number of fields the rows carry)
    first_line: int  # 1-based line number of the first row
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def column(self, index: int) -> np.ndarray:
        return self.values[:, index]


def _to_float(text: str, decimal_comma: bool) -> float:
    t = text.strip()
    special = _WINDOWS_SPECIAL.match(t)
    if special is not None:
        return float(special.group(1) + "inf") if special.group(2).upper() == "INF" else math.nan
    if decimal_comma:
        t = t.replace(",", ".")
    return float(t)


def numeric_block(
    lines: list[str],
    start: int,
    file_name: str,
    *,
    names: list[str] | None = None,
    delimiter: str | None = "auto",
    stop_at_text: bool = True,
    strip_leading_empty: bool = False,
    text_fields: bool = False,
    ends_table: Callable[[str], bool] | None = None,
) -> NumericBlock:
    """Read the rows of numbers from line index ``start`` on.

    Parameters
    ----------
    lines : list of str
        The whole file, split into lines.
    start : int
        0-based index of the first data line.
    file_name : str
        Named in the messages.
    names : list of str, optional
        Column names from the header (``None`` for a file without one).
    delimiter : str or None or "auto"
        Field separator; ``"auto"`` sniffs it from the data lines.
    stop_at_text : bool
        End the block at the first non-blank line that is not all numbers;
        otherwise such a line is an error. Ignored when ``ends_table`` is
        given.
    strip_leading_empty : bool
        Drop an empty first field (Gamry rows start with a tab).
    text_fields : bool
        A row whose first field is a number is a data row even if other
        fields are flag strings of dots and letters (Gamry's overload bits
        ``...........``) or empty; those fields become NaN. With
        ``ends_table``, any other text in a field is an error.
    ends_table : callable, optional
        True for a line that legitimately ends the table (the next section
        of the file, e.g. a Gamry ``KEY<tab>...`` line or VersaStudio's
        ``</Segment1>``). The block ends at the first such line; any other
        line that is not a data row is an error naming its first bad field,
        so a damaged row cannot silently cut the table short. A last line of
        the file cut off inside a number (``1.2E``) is dropped with a
        warning, like a short last row.

    Raises
    ------
    DataFormatError
        No data rows; rows whose field counts disagree in the middle of the
        block; more values than names (a name lost from the header); with
        ``ends_table``, a line inside the table that is neither a data row
        nor an end of the table, and a short row just before the end of the
        table.
    """
    body: list[tuple[int, str]] = []
    for i in range(start, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        body.append((i, line))
    if delimiter == "auto":
        delimiter = sniff([ln for _, ln in body[:20]])
    decimal_comma = uses_decimal_comma([ln for _, ln in body[:20]], delimiter, file_name)
    rows: list[list[float]] = []
    counts: list[int] = []
    lines_used: list[int] = []
    notes: list[str] = []
    warnings: list[str] = []
    ended_at: int | None = None  # index of the line that ended the table (with ends_table)
    for n, (i, line) in enumerate(body):
        fields = split_fields(line, delimiter)
        if strip_leading_empty and fields and not fields[0]:
            fields = fields[1:]
        while fields and not fields[-1]:
            fields.pop()
        if not fields:
            continue
        if text_fields and is_number(fields[0]) and (
                ends_table is None or all(is_number(t) or _FLAG.match(t) for t in fields)):
            fields = [t if is_number(t) else "nan" for t in fields]
        if all(is_number(t) for t in fields):
            rows.append([_to_float(t, decimal_comma) for t in fields])
            counts.append(len(fields))
            lines_used.append(i)
            continue
        if ends_table is None:
            if stop_at_text:
                break
            raise DataFormatError(
                f"{file_name}: line {i + 1} is not a row of numbers ({line.strip()[:60]!r}); the file is damaged"
            )
        if ends_table(line):
            ended_at = i
            break
        bad = next(k for k, t in enumerate(fields) if not is_number(t))
        usual = max(set(counts), key=counts.count) if counts else len(fields)
        if (n == len(body) - 1 and bad == len(fields) - 1 and bad > 0 and len(fields) <= usual
                and _NUMBER_START.match(fields[bad])):
            warnings.append(
                f"the last line ({i + 1}) is incomplete: it ends inside a number ({fields[bad]!r}, value {bad + 1} "
                f"of {usual}): the file was cut off while being written or copied; that point was dropped"
            )
            break
        column = f" ({names[bad]!r})" if names is not None and bad < len(names) else ""
        raise DataFormatError(
            f"{file_name}: line {i + 1}, field {bad + 1}{column}: {fields[bad][:40]!r} is not a number; the line is "
            "inside the data table but is neither a data row nor a line that ends the table, so the file looks "
            "damaged (edited by hand or corrupted in copying) - repair that line or export the file again from the "
            "instrument software"
        )
    if not rows:
        raise DataFormatError(
            f"{file_name}: no rows of numbers after the header (from line {start + 1}); the measurement "
            "recorded no points or the export was interrupted"
        )
    width = max(set(counts), key=counts.count)  # the usual row length
    short = [k for k, c in enumerate(counts) if c < width]
    if short:
        if short == [len(rows) - 1] and ended_at is None:
            warnings.append(
                f"the last line ({lines_used[-1] + 1}) is incomplete ({counts[-1]} of {width} values): the file "
                "was cut off while being written or copied; that point was dropped"
            )
            rows.pop()
            counts.pop()
            lines_used.pop()
        else:
            k = short[0]
            raise DataFormatError(
                f"{file_name}: line {lines_used[k] + 1} has {counts[k]} values where the other rows have {width}; "
                "the file is damaged (lines lost or joined) - export it again"
            )
    long = [k for k, c in enumerate(counts) if c > width]
    if long:
        k = long[0]
        raise DataFormatError(
            f"{file_name}: line {lines_used[k] + 1} has {counts[k]} values where the other rows have {width}; "
            "the file is damaged - export it again"
        )
    names = list(names) if names is not None else []
    if names and width > len(names):
        raise DataFormatError(
            f"{file_name}: the rows carry {width} values but the header names only {len(names)} columns "
            f"({', '.join(repr(n) for n in names)}); a column name is missing from the header, so values cannot "
            "be matched to their columns - export the file again with its full header"
        )
    if names and width < len(names):
        notes.append(
            f"the header names {len(names)} columns but the rows carry {width} values; the first {width} names "
            f"were matched to them and these columns hold no data: {', '.join(repr(n) for n in names[width:])}"
        )
    if decimal_comma:
        notes.append("decimal comma recognised")
    return NumericBlock(
        names=names[:width] if names else [], values=np.array(rows, dtype=float),
        first_line=lines_used[0] + 1, notes=notes, warnings=warnings,
    )


_UNIT_TAIL = re.compile(r"^(?P<base>.*?)\s*(?:/\s*(?P<slash>[^/]+?)|[(\[]\s*(?P<paren>[^()\[\]]+?)\s*[)\]])\s*$")

#: unit texts read from column names (case kept: mHz vs MHz): every unit of the units table, and the few
#: column-only spellings it has no dimension for
KNOWN_UNITS = frozenset(UNITS) | {"Mohm", "rad/s", "deg", "°", "A/m2", "mol/s/g", "umol/s/g", "nmol/s/g"}


def name_and_unit(name: str) -> tuple[str, str | None]:
    """``"freq/Hz"`` -> ``("freq", "Hz")``; ``"Z' (Ω)"`` -> ``("Z'", "Ω")``; ``"Re(Z)"`` -> ``("Re(Z)", None)``.

    Only a known unit is split off, so ``"Re(Z)/Ohm"`` gives ``("Re(Z)", "Ohm")``
    and ``"Z'(a)"`` stays whole.
    """
    text = name.strip().strip('"').strip()
    m = _UNIT_TAIL.match(text)
    if m:
        unit = (m.group("slash") or m.group("paren") or "").strip()
        if unit in KNOWN_UNITS:
            return m.group("base").strip(), unit
        # "mA.h" style or "Ohm-1": not a unit we read
    return text, None


def check_row_width(where: str, line_no: int, record: Sequence[str], header: Sequence[str]) -> None:
    """Refuse a CSV row with more cells than its header names columns (the extra cells would be dropped).

    A decimal comma (``-2,1`` for -2.1) or a column missing from the header splits a row into more cells
    than the header has; reading the named columns only would take the wrong numbers without a word.
    Shared by the candidate tables (``--table``) and the free-energy steps of ``catalyst from-dft``.

    Raises
    ------
    DataFormatError
        Naming ``where`` (the file), the row (its line in the file) and its cells.
    """
    if len(record) > len(header):
        raise DataFormatError(
            f"{where} row {line_no}: {len(record)} cells, but the header names {len(header)} columns "
            f"({', '.join(map(str, header))}); the row's cells are {[c.strip() for c in record]}. A decimal comma "
            "(write -2.1, not -2,1) or a column missing from the header splits a row into more cells; fix the row "
            "or name every column in the header")
