"""Column units the readers do not know, and damaged gzip files from LOBSTER.

Before: the generic CSV reader read a column whose header carries an unknown
unit (``Current (ÂµA)``, ``Current (mA/cm^2)``, ``Time (days)``) as if it
were in the standard unit, with a note that wrongly said it "carries no
unit"; the DEMS current reader read ``Time (days)`` as seconds without a
word. ``read_icohplist`` let gzip's ``EOFError``, ``BadGzipFile`` and
``zlib.error`` out, and the CLI answered the ``EOFError`` with a bare
"Aborted.".
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from metalair.errors import DataFormatError
from metalair.io import read
from metalair.io.dems import read_current_record, read_gas_flux
from metalair.io.dft import read_free_energy_steps, read_icohplist, read_vasprun_pdos

LOBSTER = Path(__file__).resolve().parents[1] / "data" / "lobster"
ICOHP = LOBSTER / "BaTiO3_ICOHPLIST.lobster.gz"


def _csv(tmp_path: Path, text: str, name: str = "cell.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


CELL = ("Time (s),Time (days),Ecell/V,E (mV vs Na/Na+),Current (ÂµA),J (mA/cm^2),I/mA,Time (weeks)\n"
        "0,0,3.0,3000,50,1,0.05,0\n1,1,2.9,2900,50,1,0.05,1\n2,2,2.8,2800,50,1,0.05,2\n")
STANDARD = {"time_s": "Time (s)", "voltage_V": "Ecell/V", "current_A": "I/mA"}


# ---------------------------------------------------------------------------- generic CSV
@pytest.mark.parametrize(("key", "column", "unit", "what", "accepted"), [
    ("current_A", "Current (ÂµA)", "ÂµA", "current", "A, Amps, Amp, mA, uA, µA, nA, μA"),
    ("current_A", "J (mA/cm^2)", "mA/cm^2", "current", "A, Amps, Amp, mA, uA, µA, nA, μA"),
    ("time_s", "Time (weeks)", "weeks", "time", "s, sec, ms, min, h,"),
])
def test_generic_csv_refuses_a_header_unit_it_does_not_know(tmp_path, key, column, unit, what, accepted):
    p = _csv(tmp_path, CELL)
    with pytest.raises(DataFormatError) as err:
        read(p, column_map={**STANDARD, key: column})
    message = str(err.value)
    assert message.startswith(f"cell.csv: column {column!r} carries the unit {unit!r}, which is not a {what} unit")
    assert f"accepted {what} units: {accepted}" in message
    assert f"give that unit in column_map: {{{key!r}: ({column!r}, 'UNIT')}}" in message
    assert "carries no unit" not in message


def test_a_mangled_micro_sign_is_named_as_an_encoding_problem(tmp_path):
    p = _csv(tmp_path, CELL)
    with pytest.raises(DataFormatError, match=re.escape("'ÂµA' looks like an encoding problem: it is probably 'µA'")):
        read(p, column_map={**STANDARD, "current_A": "Current (ÂµA)"})


def test_a_current_density_header_is_named_as_such(tmp_path):
    p = _csv(tmp_path, CELL)
    with pytest.raises(DataFormatError, match=re.escape("not a current unit (it is a current density unit)")):
        read(p, column_map={**STANDARD, "current_A": "J (mA/cm^2)"})


def test_a_unit_of_another_quantity_names_the_column(tmp_path):
    p = _csv(tmp_path, CELL)
    with pytest.raises(DataFormatError, match=r"column 'I/mA' carries the unit 'mA', which is not a time unit "
                                              r"\(it is a current unit\)"):
        read(p, column_map={**STANDARD, "time_s": "I/mA"})


def test_the_unit_given_in_column_map_overrides_the_header(tmp_path):
    p = _csv(tmp_path, CELL)
    data = read(p, column_map={"time_s": ("Time (days)", "d"), "voltage_V": "Ecell/V",
                               "current_A": ("Current (ÂµA)", "uA")})
    np.testing.assert_allclose(data.time_s, [0.0, 86400.0, 172800.0])
    np.testing.assert_allclose(data.current_A, 50e-6)
    assert not any("carries no unit" in n for n in data.metadata["notes"])


def test_a_reference_electrode_after_the_unit_keeps_the_unit(tmp_path):
    p = _csv(tmp_path, CELL)
    data = read(p, column_map={**STANDARD, "voltage_V": "E (mV vs Na/Na+)"})
    np.testing.assert_allclose(data.voltage_V, [3.0, 2.9, 2.8])


def test_a_header_without_a_unit_is_still_read_in_the_standard_unit_with_a_note(tmp_path):
    p = _csv(tmp_path, "t,U,I\n0,3.0,0.001\n1,2.9,0.001\n2,2.8,0.001\n")
    data = read(p, column_map={"time_s": "t", "voltage_V": "U", "current_A": "I"})
    np.testing.assert_allclose(data.current_A, 1e-3)
    notes = data.metadata["notes"]
    assert "column 't' carries no unit; assumed s" in notes
    assert "column 'I' carries no unit; assumed A" in notes


# ---------------------------------------------------------------------------- DEMS
@pytest.mark.parametrize("header", ["Time (weeks),I/mA", "t/weeks,I/mA"])
def test_dems_current_record_refuses_an_unknown_time_unit(tmp_path, header):
    p = _csv(tmp_path, f"{header}\n0,1\n1,1\n2,1\n", "current.csv")
    column = header.split(",")[0]
    with pytest.raises(DataFormatError, match=re.escape(
            f"current.csv: column {column!r} carries the unit 'weeks', which is not a time unit; accepted time "
            "units: s, sec,")):
        read_current_record(p)


@pytest.mark.parametrize("header", ["Time (days),I/mA", "t/days,I/mA", "Time (d),I/mA"])
def test_days_are_a_time_unit_now_read_as_such(tmp_path, header):
    """'Time (days)' was read as seconds (then refused as unknown); 'days' is now a spelling of the day."""
    p = _csv(tmp_path, f"{header}\n0,1\n1,1\n", "current.csv")
    np.testing.assert_allclose(read_current_record(p).time_s, [0.0, 86400.0])


def test_dems_current_record_names_a_mangled_current_unit(tmp_path):
    p = _csv(tmp_path, "Time (s),Current (ÂµA)\n0,1\n1,1\n", "current.csv")
    with pytest.raises(DataFormatError, match=re.escape("'ÂµA' looks like an encoding problem: it is probably 'µA'")):
        read_current_record(p)


def test_dems_known_units_and_a_bare_time_still_read(tmp_path):
    p = _csv(tmp_path, "Time,I (uA)\n0,2\n1,2\n", "current.csv")
    record = read_current_record(p)
    np.testing.assert_allclose(record.time_s, [0.0, 1.0])
    np.testing.assert_allclose(record.current_A, 2e-6)
    p = _csv(tmp_path, "t/d,I/mA\n0,1\n1,1\n", "days.csv")
    np.testing.assert_allclose(read_current_record(p).time_s, [0.0, 86400.0])


def test_dems_gas_column_with_an_unknown_flux_unit_is_said_not_skipped_silently(tmp_path):
    """A gas column in a unit the reader does not know was skipped without a word. It is still not read (a raw or
    annotated column beside the calibrated ones, 'CO2 (m/z 44)', is common, and refusing the whole file left no
    way to read it), but a warning names it and its unit, and a file with no readable gas column says why."""
    from metalair.io.checks import DataQualityWarning

    p = _csv(tmp_path, "Time (s),O2 (mol/day),CO2 (nmol/s)\n0,1,1\n1,1,1\n", "gas.csv")
    with pytest.warns(DataQualityWarning, match=re.escape(
            "gas.csv: column 'O2 (mol/day)' carries the unit 'mol/day', which is not a molar-flux unit")):
        record = read_gas_flux(p)
    assert set(record.fluxes) == {"CO2"}
    raw = _csv(tmp_path, "Time (s),O2 (nmol/s),CO2 (m/z 44)\n0,1,1\n1,1,1\n", "raw.csv")
    with pytest.warns(DataQualityWarning, match="'CO2 \\(m/z 44\\)'"):
        assert set(read_gas_flux(raw).fluxes) == {"O2"}
    none = _csv(tmp_path, "Time (s),O2 (raw)\n0,1\n1,1\n", "none.csv")
    with pytest.raises(DataFormatError, match=r"no gas column .*'O2 \(raw\)' carries the unit 'raw'"):
        read_gas_flux(none)


# ---------------------------------------------------------------------------- damaged gzip
def _damaged(tmp_path: Path, kind: str) -> Path:
    raw = ICOHP.read_bytes()
    if kind == "cut in half":
        raw = raw[: len(raw) // 2]
    elif kind == "bytes flipped":
        raw = raw[:100] + bytes(b ^ 0xFF for b in raw[100:140]) + raw[140:]
    elif kind == "checksum wrong":
        raw = raw[:-8] + bytes(b ^ 0xFF for b in raw[-8:-4]) + raw[-4:]
    elif kind == "bad header":
        raw = b"\x1f\x8b\x00" + raw[3:]
    p = tmp_path / "ICOHPLIST.lobster.gz"
    p.write_bytes(raw)
    return p


KINDS = ["cut in half", "bytes flipped", "checksum wrong", "bad header"]
GZIP_DAMAGE = "is gzip-compressed but truncated or not valid gzip"


@pytest.mark.parametrize("kind", KINDS)
def test_read_icohplist_reports_a_damaged_gzip_file(tmp_path, kind):
    p = _damaged(tmp_path, kind)
    with pytest.raises(DataFormatError, match=re.escape(f"ICOHPLIST {str(p)!r} {GZIP_DAMAGE}")):
        read_icohplist(p)


def test_damaged_gzip_is_reported_with_the_isal_decompressor_of_fastnda(tmp_path, monkeypatch):
    """fastnda (the Neware reader) swaps zlib's decompressor for ISA-L's, whose error is not a zlib.error."""
    isal_zlib = pytest.importorskip("isal.isal_zlib")
    monkeypatch.setattr(zlib, "decompressobj", isal_zlib.decompressobj)
    p = _damaged(tmp_path, "bytes flipped")
    with pytest.raises(DataFormatError, match=re.escape(GZIP_DAMAGE)):
        read_icohplist(p)


def test_a_truncated_gzip_says_where_the_data_end(tmp_path):
    p = _damaged(tmp_path, "cut in half")
    with pytest.raises(DataFormatError, match=r"\(the compressed data end before the end-of-stream marker\)"):
        read_icohplist(p)


@pytest.mark.parametrize("kind", ["bytes flipped", "bad header"])
def test_vasprun_and_steps_readers_share_the_gzip_check(tmp_path, kind):
    p = _damaged(tmp_path, kind)
    with pytest.raises(DataFormatError, match=re.escape(GZIP_DAMAGE)):
        read_vasprun_pdos(p)
    with pytest.raises(DataFormatError, match=re.escape(GZIP_DAMAGE)):
        read_free_energy_steps(p)


def test_an_intact_gzip_icohplist_is_still_read(tmp_path):
    bonds = read_icohplist(ICOHP)
    p = tmp_path / "plain.lobster"
    p.write_bytes(gzip.decompress(ICOHP.read_bytes()))
    assert read_icohplist(p) == bonds and bonds


def test_cli_from_dft_reports_a_truncated_icohp_file_instead_of_aborted(tmp_path):
    from typer.testing import CliRunner

    from metalair.cli.app import app

    bad = _damaged(tmp_path, "cut in half")
    out = tmp_path / "x.toml"
    res = CliRunner().invoke(app, ["catalyst", "from-dft", "--icohp", str(bad), "--bond", "Ti-O",
                                   "--template", "NLRO", "--out", str(out), "--no-figure"])
    assert res.exit_code != 0
    assert "Aborted" not in res.output
    assert GZIP_DAMAGE in res.output
    assert not isinstance(res.exception, EOFError)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_utf16_export_is_named_as_such(tmp_path, encoding):
    """An audit saved exports as UTF-16 (Excel's 'Unicode text'): the readers said 'unrecognised binary file' or
    'binary content', which sends the user looking for damage."""
    from metalair.io import read
    from metalair.io.impedance import read_impedance

    text = "freq/Hz,Re(Z)/Ohm,-Im(Z)/Ohm\n" + "".join(f"{10.0 ** (k / 4):g},{10 + k},{k + 1}\n" for k in range(20))
    for name, reader in (("cell.csv", read), ("spectrum.csv", read_impedance)):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        with pytest.raises(DataFormatError, match="UTF-16 text .* save it again as UTF-8"):
            reader(path)


@pytest.mark.parametrize("column", ["Voltage (cell)", "Ewe/V vs. Li+/Li"])
def test_a_word_in_brackets_that_is_no_unit_is_read_in_the_base_unit_with_a_note(tmp_path, column):
    """A review found 'Voltage (cell)' and 'Ewe/V vs. Li+/Li' refused as carrying the units 'cell' and 'Li' once
    unknown units were refused; a plain word that names no unit is taken in the column's unit, as before, and said.
    A word that names a unit metalair does not read ('weeks') is still refused."""
    p = _csv(tmp_path, f"Time (s),{column},I/mA\n0,3.0,1\n1,2.9,1\n2,2.8,1\n")
    data = read(p, column_map={"time_s": "Time (s)", "voltage_V": column, "current_A": "I/mA"})
    np.testing.assert_allclose(data.voltage_V, [3.0, 2.9, 2.8])
    assert any("is not a unit; the column is taken in V" in n for n in data.metadata["notes"])
    q = _csv(tmp_path, "Time (s),Voltage (weeks),I/mA\n0,3.0,1\n1,2.9,1\n", "w.csv")
    with pytest.raises(DataFormatError, match="carries the unit 'weeks'"):
        read(q, column_map={"time_s": "Time (s)", "voltage_V": "Voltage (weeks)", "current_A": "I/mA"})
