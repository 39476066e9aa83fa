"""Damaged, truncated, empty and foreign files: an error or correct data, never silent garbage.

"Correct data" means: the table equals the intact file's table, or a prefix of it (a file
truncated exactly at a record boundary cannot be told from a shorter test), or the reader
reported the problem in ``metadata["warnings"]``.
"""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import pytest

from metalair.errors import DataFormatError
from metalair.io import DataQualityWarning, read

try:
    import fastnda  # noqa: F401
except ImportError:  # pragma: no cover
    HAVE_FASTNDA = False
else:
    HAVE_FASTNDA = True
try:
    import galvani  # noqa: F401
except ImportError:  # pragma: no cover
    HAVE_GALVANI = False
else:
    HAVE_GALVANI = True

CORE = ("time_s", "voltage_V", "current_A", "cycle", "step_type")


def outcome(path, original):
    """'error', 'warned', 'same' or 'prefix'; fails the test on silent garbage."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            data = read(path)
    except DataFormatError as exc:
        assert path.name in str(exc), "the message must name the file"
        return "error"
    if data.warnings:
        return "warned"
    n = len(data)
    assert 0 < n <= len(original), f"{n} rows silently returned for a {len(original)}-row file"
    for name in CORE:
        got, ref = getattr(data, name), getattr(original, name)[:n]
        if got.dtype.kind == "f":
            np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-9, err_msg=f"{name} silently changed")
        else:
            np.testing.assert_array_equal(got, ref, err_msg=f"{name} silently changed")
    return "same" if n == len(original) else "prefix"


CASES = [
    pytest.param("neware/TestFile.nda", marks=pytest.mark.skipif(not HAVE_FASTNDA, reason="fastnda")),
    pytest.param("neware/new_nda_file.nda", marks=pytest.mark.skipif(not HAVE_FASTNDA, reason="fastnda")),
    pytest.param("neware/nw4-120-1-6-53.ndax", marks=pytest.mark.skipif(not HAVE_FASTNDA, reason="fastnda")),
    pytest.param("biologic/00_test_04_MB_C01.mpr", marks=pytest.mark.skipif(not HAVE_GALVANI, reason="galvani")),
    "eis/exampleDataBioLogic.mpt",
    "arbin/FastCharge_000025_CH8.csv",
    "maccor/maccor_two.txt",
    pytest.param("neware/interp-test.csv", id="neware-btsda-csv"),
]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.77, 0.999])
def test_truncated(name, fraction, data_file, tmp_path):
    src = data_file(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        original = read(src)
    raw = src.read_bytes()
    damaged = tmp_path / src.name
    damaged.write_bytes(raw[: int(len(raw) * fraction)])
    result = outcome(damaged, original)
    if src.suffix == ".ndax":
        assert result == "error"  # a zip without its central directory
    if fraction < 0.05 and src.suffix in (".nda", ".mpr"):
        assert result in ("error", "warned")


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("position", [0.0005, 0.01, 0.1, 0.25, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97])
def test_flipped_bytes(name, position, data_file, tmp_path):
    src = data_file(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        original = read(src)
    raw = bytearray(src.read_bytes())
    start = int(len(raw) * position)
    for k in range(start, min(start + 12, len(raw))):
        raw[k] ^= 0xFF
    damaged = tmp_path / src.name
    damaged.write_bytes(bytes(raw))
    outcome(damaged, original)


@pytest.mark.parametrize("suffix", [".nda", ".ndax", ".mpr", ".mpt", ".csv", ".txt", ""])
def test_empty_file(suffix, tmp_path):
    p = tmp_path / f"nothing{suffix}"
    p.write_bytes(b"")
    with pytest.raises(DataFormatError, match=r"nothing.*empty \(0 bytes\)"):
        read(p)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("suffix", [".nda", ".ndax", ".mpr", ".mpt", ".csv"])
def test_random_bytes_and_random_text(seed, suffix, tmp_path):
    rng = np.random.default_rng(seed)
    p = tmp_path / f"junk{suffix}"
    p.write_bytes(rng.bytes(5000))
    with pytest.raises(DataFormatError):
        read(p)
    words = ["Voltage", "time", "3.14", "cycle", "\t", ",", "\n", "Rec", "abc", "1e3"]
    p.write_text("".join(rng.choice(words, size=800)))
    with pytest.raises(DataFormatError):
        read(p)


def test_foreign_files(tmp_path):
    z = tmp_path / "photos.ndax"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.jpg", b"\xff\xd8\xff")
    with pytest.raises(DataFormatError, match="without Neware .ndc data"):
        read(z)
    text_mpr = tmp_path / "looks.mpr"
    text_mpr.write_text("hello\nworld\n")
    with pytest.raises(DataFormatError, match="named .mpr but the content is text"):
        read(text_mpr)
    with pytest.raises(DataFormatError, match="no such file"):
        read(tmp_path / "missing.ndax")
    with pytest.raises(DataFormatError, match="is a directory"):
        read(tmp_path)


@pytest.mark.skipif(not HAVE_FASTNDA, reason="fastnda")
def test_truncated_bts9_nda_is_reported(data_file, tmp_path):
    """fastnda returns the records it can decode from a cut-off .nda without complaint; the
    missing BTS9 footer (which holds the record count) gives the truncation away."""
    raw = data_file("neware/TestFile.nda").read_bytes()
    p = tmp_path / "cut.nda"
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.warns(DataQualityWarning, match="truncated"):
        data = read(p)
    assert 0 < len(data) < 6670
    with pytest.raises(DataFormatError, match="truncated"):
        read(p, strict=True)


@pytest.mark.skipif(not HAVE_FASTNDA, reason="fastnda")
def test_truncated_old_nda_mid_record_is_reported(data_file, tmp_path):
    raw = data_file("neware/new_nda_file.nda").read_bytes()
    p = tmp_path / "cut_old.nda"
    p.write_bytes(raw[: len(raw) - 40])  # the last 86-byte record loses 40 bytes
    with pytest.warns(DataQualityWarning, match="ends inside a data record"):
        data = read(p)
    assert len(data) == 438


def test_text_export_cut_mid_line_drops_only_that_record(data_file, tmp_path):
    raw = data_file("arbin/FastCharge_000025_CH8.csv").read_bytes()
    lines = raw.split(b"\n")
    cut = b"\n".join(lines[:101]) + b"\n" + lines[101][:20]
    p = tmp_path / "FastCharge_cut.csv"
    p.write_bytes(cut)
    with pytest.warns(DataQualityWarning, match="incomplete"):
        data = read(p)
    assert len(data) == 100


def test_damaged_middle_line_is_an_error(data_file, tmp_path):
    lines = data_file("arbin/FastCharge_000025_CH8.csv").read_text().splitlines()
    lines[50] = lines[50][:15]
    p = tmp_path / "FastCharge_hole.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"line 51 has \d+ fields but the header has 15"):
        read(p)


def test_non_numeric_value_names_line_and_column(data_file, tmp_path):
    lines = data_file("arbin/FastCharge_000025_CH8.csv").read_text().splitlines()
    fields = lines[10].split(",")
    fields[7] = "3.3O1"  # letter O for zero
    lines[10] = ",".join(fields)
    p = tmp_path / "FastCharge_typo.csv"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match=r"line 11, column 'Voltage': '3\.3O1' is not a number"):
        read(p)


@pytest.mark.parametrize(("count", "message"), [
    (1, "says 1, but the banner and that line already take 2"),
    (9, "says 9 but the file has only 4 lines"),
])
def test_impossible_ec_lab_header_count_is_named_by_both_readers(count, message, tmp_path):
    # The cycler reader and the impedance reader share one EC-Lab header parser.
    from metalair.io.impedance import read_impedance

    path = tmp_path / "cell.mpt"
    path.write_text(f"EC-Lab ASCII FILE\nNb header lines : {count}\n\nmode\ttime/s\n", encoding="latin-1")
    with pytest.raises(DataFormatError, match=message):
        read(path)
    with pytest.raises(DataFormatError, match=message):
        read_impedance(path, format="mpt")


@pytest.mark.parametrize("reader", ["read_current_record", "read_gas_flux", "read_voltammogram", "detect_format"])
def test_a_directory_is_named_as_one_by_every_reader(tmp_path, reader):
    """One check of the path (io.detect.require_file): a folder is not 'no such file'."""
    import metalair.io.dems as dems
    import metalair.io.detect as detect
    import metalair.io.voltammetry as volt

    fn = {"read_current_record": dems.read_current_record, "read_gas_flux": dems.read_gas_flux,
          "read_voltammogram": volt.read_voltammogram, "detect_format": detect.detect_format}[reader]
    with pytest.raises(DataFormatError, match="is a directory, not a data file"):
        fn(tmp_path)
    with pytest.raises(DataFormatError, match="no such file"):
        fn(tmp_path / "missing.csv")


@pytest.mark.parametrize("header", ["Time (s),Ecell/V,I/mA", "Time (s),Ecell/V,I/mA\n\n\n"])
def test_a_header_without_data_rows_is_named_as_such(tmp_path, header):
    # what a cycler export looks like before its first point is logged: was a numpy TypeError
    path = tmp_path / "started.csv"
    path.write_text(header + "\n")
    with pytest.raises(DataFormatError, match=r"started\.csv: the column names are on line 1 but no data rows"):
        read(path, format="csv", column_map={"time_s": "Time (s)", "voltage_V": "Ecell/V", "current_A": "I/mA"})


def test_a_compressed_export_is_named_as_such(tmp_path):
    # "unrecognised binary file" and nothing about the compression
    import gzip

    path = tmp_path / "cell.csv.gz"
    path.write_bytes(gzip.compress(b"Time (s),Ecell/V,I/mA\n0,3.0,-0.1\n60,2.99,-0.1\n"))
    with pytest.raises(DataFormatError, match=r"cell\.csv\.gz: unrecognised binary file \(it is gzip-compressed: "
                                              r"unpack it first, e\.g\. 'gunzip cell\.csv\.gz'\)"):
        read(path)


def test_protocol_and_solution_keep_one_step_and_one_key_whole(tmp_path):
    # Cycle(Discharge(...), repeat=2): "'Discharge' object is not iterable"; to_csv(keys='Voltage [V]') iterated the
    # name's characters ("no output named 'V'")
    import metalair as ma

    assert ma.Cycle(ma.Discharge("100 mA/g", until=1.5), repeat=2).steps[0].until == 1.5
    with pytest.raises(ma.ProtocolError, match="Cycle: steps must be a list of steps"):
        ma.Cycle("Discharge at 100 mA/g until 1.5 V")
    sol = ma.simulate("NLRO", "Rest for 1 min")
    sol.to_csv(tmp_path / "v.csv", keys="Voltage [V]")
    assert (tmp_path / "v.csv").read_text().splitlines()[0] == "Voltage [V]"


def test_a_cycler_record_a_simulation_and_convert_answer_wrong_kinds_with_what_to_do():
    # data['Voltage [V]'] was "not subscriptable"; to_cycler_data(sol.steps) an AttributeError; convert('5', ...)
    # "can't multiply sequence by non-int"
    import metalair as ma
    from metalair.analysis.simulated import to_cycler_data
    from metalair.errors import KeyNotFoundError, ParameterError
    from metalair.units import convert

    sol = ma.simulate("NLRO", "Discharge at 500 mA/g for 20 mAh/g; Charge at 500 mA/g for 20 mAh/g")
    data = to_cycler_data(sol)
    assert data["voltage_V"] is data.voltage_V or np.array_equal(data["voltage_V"], data.voltage_V)
    with pytest.raises(KeyNotFoundError, match=r"did you mean 'voltage_V' \(data\['voltage_V'\] or data\.voltage_V\)"):
        data["Voltage [V]"]
    with pytest.raises(ParameterError, match="to_cycler_data needs the Solution of a run"):
        to_cycler_data(sol.steps)
    with pytest.raises(ParameterError, match=r"convert\(\) takes a number or an array, got the text '5'"):
        convert("5", "mA/g", "A/kg")
