"""Damaged rows inside a data table are refused, not taken for the end of the data or read into other columns.

Each test damages a copy of a real file from tests/data in ``tmp_path``: one field changed, lost or
cut off. A row in the middle of a table that cannot be read must raise :class:`DataFormatError`
naming the line and the field; only a last line cut off mid-row (a file copied while being written)
is dropped, with a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from datafiles import data_getter
from metalair.errors import DataFormatError
from metalair.io.checks import DataQualityWarning
from metalair.io.impedance import read_impedance
from metalair.io.magnetometry import read_quantum_design
from metalair.io.voltammetry import read_voltammogram

#: sha256[:16] of the original bytes (tests/data/PROVENANCE.md)
SHA = {
    "magnetometry/MPMS_test.dat": "55c89a1fb687610a",
    "eis/exampleDataGamry.DTA": "037350b3237bbe24",
    "eis/exampleDataVersaStudio.par": "1c509184b387e4a7",
    "cv/gamry_cv_data.dta": "de01e796e837ffa0",
}
#: the instrument files are not all UTF-8 (Gamry writes Windows code pages); latin-1 keeps every byte
ENCODING = "latin-1"


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``original("eis/exampleDataGamry.DTA")`` -> path of the original bytes."""
    return data_getter(tmp_path_factory.mktemp("damaged_rows"), SHA)


def lines_of(path: Path) -> tuple[list[str], str]:
    """The lines of a file without their ends, and the line end it uses."""
    text = path.read_bytes().decode(ENCODING)
    return text.splitlines(), ("\r\n" if "\r\n" in text else "\n")


def write(path: Path, lines: list[str], end: str, *, final_newline: bool = True) -> Path:
    path.write_bytes((end.join(lines) + (end if final_newline else "")).encode(ENCODING))
    return path


def set_field(line: str, delimiter: str, index: int, value: str) -> str:
    fields = line.split(delimiter)
    fields[index] = value
    return delimiter.join(fields)


# --------------------------------------------------------------------------- Quantum Design .dat
def mpms_data_start(lines: list[str]) -> int:
    """Index of the first data row (after ``[Data]`` and the column-name line)."""
    return next(i for i, ln in enumerate(lines) if ln.strip() == "[Data]") + 2


@pytest.mark.parametrize("change, fields, what", [("lose", 67, "lost"), ("add", 69, "added")])
def test_mpms_row_with_a_field_lost_or_added_in_the_middle_is_refused(original, tmp_path, change, fields, what):
    lines, end = lines_of(original("magnetometry/MPMS_test.dat"))
    k = mpms_data_start(lines) + 500
    parts = lines[k].split(",")
    if change == "lose":
        del parts[1]  # the time stamp: temperature would read the field, the moment the error column
    else:
        parts.insert(1, "0")
    lines[k] = ",".join(parts)
    path = write(tmp_path / "mpms.dat", lines, end)
    with pytest.raises(DataFormatError) as err:
        read_quantum_design(path)
    message = str(err.value)
    assert message.startswith("mpms.dat: line 541 has ")
    assert f"has {fields} fields but the column line (line 40) names 68" in message
    assert f"a field {what}" in message and "export it again from MultiVu" in message


def test_mpms_short_last_row_that_is_complete_is_refused(original, tmp_path):
    """A last row ending with its newline was written whole: a missing field there is damage, not a cut."""
    lines, end = lines_of(original("magnetometry/MPMS_test.dat"))
    lines[-1] = ",".join(lines[-1].split(",")[:-1])
    path = write(tmp_path / "mpms.dat", lines, end, final_newline=True)
    with pytest.raises(DataFormatError, match=rf"line {len(lines)} has 67 fields but the column line"):
        read_quantum_design(path)


def test_mpms_last_line_cut_off_mid_row_is_still_dropped_with_a_warning(original, tmp_path):
    lines, end = lines_of(original("magnetometry/MPMS_test.dat"))
    complete = len(read_quantum_design(original("magnetometry/MPMS_test.dat")))
    lines[-1] = ",".join(lines[-1].split(",")[:20])
    data = read_quantum_design(write(tmp_path / "mpms.dat", lines, end, final_newline=False))
    assert len(data) == complete - 1
    assert data.metadata["warnings"] == [f"the last line ({len(lines)}) is cut off mid-row and was dropped "
                                         "(file truncated)"]


# --------------------------------------------------------------------------- Gamry .DTA: impedance
def zcurve_rows(lines: list[str]) -> int:
    """Index of the first row of the ZCURVE table."""
    return next(i for i, ln in enumerate(lines) if ln.startswith("ZCURVE\tTABLE")) + 3


@pytest.mark.parametrize("column, field, name, value", [(1, 1, "Pt", "3O"), (4, 4, "Zreal", "-44x9.1")])
def test_gamry_eis_damaged_row_is_refused_not_taken_for_an_early_stop(original, tmp_path, column, field, name,
                                                                        value):
    lines, end = lines_of(original("eis/exampleDataGamry.DTA"))
    k = zcurve_rows(lines) + 30
    lines[k] = set_field(lines[k], "\t", column, value)  # field 0 is the empty one before the leading tab
    path = write(tmp_path / "gamry.DTA", lines, end)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # no "the sweep stopped early"
        with pytest.raises(DataFormatError) as err:
            read_impedance(path)
    message = str(err.value)
    assert message.startswith(f"gamry.DTA: line {k + 1}, field {field} ({name!r}): {value!r} is not a number")
    assert "the file looks damaged" in message and "stopped early" not in message


@pytest.mark.parametrize("cut", ["1.2E", "-2.23"])
def test_gamry_eis_file_cut_in_its_last_row_is_read_with_a_truncation_warning(original, tmp_path, cut):
    lines, end = lines_of(original("eis/exampleDataGamry.DTA"))
    fields = lines[-1].split("\t")
    lines[-1] = "\t".join(fields[:5] + [cut])  # cut inside a number, or just after one
    path = write(tmp_path / "gamry.DTA", lines, end, final_newline=False)
    with pytest.warns(DataQualityWarning, match=rf"the last line \({len(lines)}\) is incomplete.*cut off"):
        spectrum = read_impedance(path)
    assert len(spectrum) == 71


# --------------------------------------------------------------------------- VersaStudio .par
def par_rows(lines: list[str]) -> int:
    """Index of the first row of the impedance segment."""
    return next(i for i, ln in enumerate(lines) if ln.startswith("Definition=")) + 1


def test_versastudio_damaged_field_is_refused_not_taken_for_an_early_stop(original, tmp_path):
    lines, end = lines_of(original("eis/exampleDataVersaStudio.par"))
    k = par_rows(lines) + 24
    lines[k] = set_field(lines[k], ",", 14, "-44x9.1")
    path = write(tmp_path / "versa.par", lines, end)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        with pytest.raises(DataFormatError) as err:
            read_impedance(path)
    message = str(err.value)
    assert message.startswith(f"versa.par: line {k + 1}, field 15 ('Z Real'): '-44x9.1' is not a number")
    assert "the file looks damaged" in message and "stopped early" not in message


def test_versastudio_file_cut_in_its_last_row_is_read_with_a_truncation_warning(original, tmp_path):
    lines, end = lines_of(original("eis/exampleDataVersaStudio.par"))
    last = next(i for i, ln in enumerate(lines) if ln.startswith("</Segment1>")) - 1
    cut = lines[last].split(",")[:14]
    assert cut[-1] == "-1.049146E-05"  # I Imag
    cut[-1] = cut[-1][:-2]  # "-1.049146E-": the file ends inside the exponent
    path = write(tmp_path / "versa.par", lines[:last] + [",".join(cut)], end, final_newline=False)
    with pytest.warns(DataQualityWarning, match=rf"the last line \({last + 1}\) is incomplete.*cut off"):
        spectrum = read_impedance(path)
    assert len(spectrum) == 60


# --------------------------------------------------------------------------- Gamry .DTA: voltammogram
def cv_row(lines: list[str], point: int) -> int:
    return next(i for i, ln in enumerate(lines) if ln.startswith(f"\t{point}\t"))


def test_gamry_cv_damaged_point_number_is_refused(original, tmp_path):
    lines, end = lines_of(original("cv/gamry_cv_data.dta"))
    k = cv_row(lines, 43)
    lines[k] = set_field(lines[k], "\t", 1, "5x")
    path = write(tmp_path / "cv.dta", lines, end)
    with pytest.raises(DataFormatError, match=rf"^cv\.dta: line {k + 1}, field 1 \('Pt'\): '5x' is not a number; "
                                              r".*the file looks damaged"):
        read_voltammogram(path)


def test_gamry_cv_short_row_before_the_next_table_is_damage_not_a_cut_off_file(original, tmp_path):
    """The last row of CURVE2 with a value lost: the file goes on, so it was not cut off while being written."""
    lines, end = lines_of(original("cv/gamry_cv_data.dta"))
    k = cv_row(lines, 19)
    lines[k] = "\t".join(lines[k].split("\t")[:-2])
    path = write(tmp_path / "cv.dta", lines, end)
    with pytest.raises(DataFormatError, match=rf"line {k + 1} has 7 values where the other rows have 9"):
        read_voltammogram(path)


def test_gamry_cv_overload_flags_and_table_ends_still_read(original, tmp_path):
    """Overload bits with a flag set are flags, not damage; every CURVE table ends at the next keyword line."""
    lines, end = lines_of(original("cv/gamry_cv_data.dta"))
    k = cv_row(lines, 43)
    lines[k] = set_field(lines[k], "\t", 9, "..T........")
    v = read_voltammogram(write(tmp_path / "cv.dta", lines, end))
    assert v.cycles == [1, 2, 3, 4, 5] and len(v) == 50 and v.metadata["warnings"] == []


def test_windows_nan_spellings_in_a_gamry_table_are_values_not_damage(original, tmp_path):
    """Windows software writes an undefined value as '-1.#IND' or '1.#QNAN' (Microsoft's C runtime): a review found
    such a value in a Gamry EIS table refused as a damaged row. It is read as NaN (the reader then drops or reports
    the point as for any NaN), and the header values take it too."""
    import math

    from metalair.io._text_columns import is_number, number

    lines, end = lines_of(original("eis/exampleDataGamry.DTA"))
    header = next(ln for ln in lines if ln.startswith("ZCURVE\tTABLE"))
    names = lines[lines.index(header) + 1].split("\t")
    k = zcurve_rows(lines) + 30
    lines[k] = set_field(lines[k], "\t", names.index("Zphz"), "-1.#IND")
    reference = read_impedance(original("eis/exampleDataGamry.DTA"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        spectrum = read_impedance(write(tmp_path / "gamry.DTA", lines, end))  # no DataFormatError
    assert spectrum.frequency_Hz.size >= reference.frequency_Hz.size - 1
    for text, value in (("-1.#IND", math.nan), ("1.#QNAN", math.nan), ("-1.#INF", -math.inf), ("1.#INF00", math.inf)):
        assert is_number(text)
        got = number(text)
        assert (math.isnan(got) and math.isnan(value)) or got == value
    assert number("1,5") == 1.5 and number("2.5") == 2.5
