"""A comma in a number is a decimal mark or a thousands separator: ``1,500`` is 1.5 or 1500.

A tab-separated export from a spreadsheet in an English locale, with thousands separators and zeros saved as
``0``, was read with decimal commas: every voltage, current and capacity 1000 times too small, with only a
vague capacity warning. Such a file is now refused with what to do; a value no thousands separator could
produce (``0,5``, ``12,34``, ``1234,5``) settles it for a decimal comma, and so does a ``;`` delimiter (the
list separator of the spreadsheets that write decimal commas: ``3,000;2,990`` volts).
"""

from __future__ import annotations

import re

import pytest

from metalair.errors import DataFormatError
from metalair.io import read
from metalair.io._text_columns import decimal_comma_fields


@pytest.mark.parametrize("fields, expected", [
    (["0,2", "1800", "0"], True),            # 0,2 is never a thousands separator
    (["3,456", "0,500", "12"], True),        # 0,500 settles the ambiguous 3,456
    (["1234,5", "3,456"], True),             # four digits before the comma: no thousands group
    (["1.5", "2.25", "1,500"], False),       # more decimal points than comma numbers
    (["1", "2", "3"], False),                # no comma, no point
])
def test_a_value_no_thousands_separator_could_make_decides(fields, expected):
    assert decimal_comma_fields(fields, "f.csv") is expected


def test_a_semicolon_delimiter_settles_three_decimal_commas():
    assert decimal_comma_fields(["3,000", "2,990", "-100", "0"], "f.csv", ";") is True
    with pytest.raises(DataFormatError, match="thousands separators"):
        decimal_comma_fields(["3,000", "2,990", "-100", "0"], "f.csv", "\t")


def test_only_thousands_like_commas_are_refused_with_what_to_do():
    with pytest.raises(DataFormatError, match=r"f\.csv: its numbers have commas that could be decimal marks or "
                                              r"thousands separators \(e\.g\. '-1,500': 1\.5 or 1500\).*save the "
                                              r"file again without thousands separators"):
        decimal_comma_fields(["-1,500", "3,456", "12,000", "0", "1"], "f.csv")


def test_a_tab_export_with_thousands_separators_is_refused_not_read_1000_times_too_small(data_file, tmp_path):
    """interp-test.csv rewritten as a tab file from an English-locale spreadsheet: integer currents, voltages and
    capacities with thousands separators (-1,500 uA, 3,456 mV, 12,000 mAs), zeros saved as 0. It was read as
    1.5 uA and 3.456 mV."""
    lines = data_file("neware/interp-test.csv").read_text(encoding="latin-1").splitlines()
    out = [lines[0].replace(",", "\t")]
    for k in range(60):
        f = [re.sub(r"^(-?\d+)\.0+$", r"\1", x) for x in lines[1 + k].split(",")]
        f[6], f[7], f[8] = f"{-1500:,}", f"{3456 - k:,}", f"{12000 + 10 * k:,}"
        f[3] = "CC_DChg"
        out.append("\t".join(f))
    path = tmp_path / "thousands.csv"
    path.write_text("\n".join(out) + "\n", encoding="latin-1")
    with pytest.raises(DataFormatError, match=r"thousands\.csv: .*thousands separators"):
        read(path)


def test_a_text_export_padded_with_zeros_is_called_a_damaged_copy_when_forced(data_file, tmp_path):
    """A BTSDA CSV cut off and padded with NUL bytes, read with format='neware_csv': it was called 'a binary file,
    not text' whose content no format matched, though it starts as the CSV it is."""
    raw = data_file("neware/interp-test.csv").read_bytes()
    path = tmp_path / "padded.csv"
    path.write_bytes(raw[: raw.rfind(b"\n", 0, 3000) + 1] + b"\x00" * 1000)
    with pytest.raises(DataFormatError, match=r"padded\.csv: the format was forced as 'neware_csv' .*holds NUL bytes "
                                              r"in its first 4 KiB .*a damaged copy") as err:
        read(path, format="neware_csv")
    assert "binary file, not text" not in str(err.value)


def test_a_padded_text_export_read_without_a_format_is_called_a_damaged_copy(data_file, tmp_path):
    """Without format=, the same padded CSV was 'unrecognised binary file' with no hint."""
    raw = data_file("neware/interp-test.csv").read_bytes()
    path = tmp_path / "padded.csv"
    path.write_bytes(raw[: raw.rfind(b"\n", 0, 3000) + 1] + b"\x00" * 1000)
    with pytest.raises(DataFormatError, match=r"padded\.csv: unrecognised binary file \(it starts as text and holds "
                                              r"NUL bytes further on: a damaged copy"):
        read(path)
