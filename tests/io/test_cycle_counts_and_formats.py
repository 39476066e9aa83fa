"""Vendor cycle numbering kept and checked, per-cycle warnings, and the formats issue 10 listed."""

from __future__ import annotations

import shutil
import sys
import warnings
import zipfile

import numpy as np
import pytest

from metalair.analysis.cycle_metrics import count_cycles, cycle_summary
from metalair.errors import DataFormatError
from metalair.io import DataQualityWarning, detect_format, read

needs_fastnda = pytest.mark.skipif(__import__("importlib").util.find_spec("fastnda") is None,
                                   reason="fastnda not installed")


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read(path, **kw)


# --------------------------------------------------------------------------- cycle counts
@needs_fastnda
@pytest.mark.parametrize(("name", "vendor", "halves", "rows"), [
    ("neware/TestFile.nda", 3, 4, 2),          # BTSDA cycles 1-3: D | C(+CV) D | C(+CV): paired (D C)(D C)
    ("neware/new_nda_file.nda", 2, 3, 2),      # D | C D: paired (D C)(D)
    ("neware/nw4-120-1-6-53.ndax", 160, None, 160),
    ("neware/interp-test.ndax", 1, 0, 1),
    ("neware/Unit27_Example_Corrupt.ndax", 1, 0, 1),
])
def test_neware_counts_match_the_vendor(data_file, name, vendor, halves, rows):
    """The vendor's cycles are counted and kept with cycle_start='file'. By default a record that starts with a
    discharge, whose Neware cycles open with a charge (D | C D | C), is paired discharge then charge instead."""
    data = _read(data_file(name))
    count = count_cycles(data)
    table = cycle_summary(data)
    assert count.file_cycles == vendor == len(cycle_summary(data, cycle_start="file"))
    assert len(table) == rows
    np.testing.assert_array_equal(table["Cycle"], np.arange(1, rows + 1))
    if halves is not None:
        assert count.half_cycles == halves


def test_counts_match_the_reference_readers(data_file):
    """NewareNDA's and fastnda's own regression outputs (reference files kept beside the data upstream)
    number the same cycles: 3 for TestFile.nda, 2 for new_nda_file.nda, 160 for nw4-120-1-6-53.ndax."""
    pytest.importorskip("fastnda")
    expected = {"neware/TestFile.nda": 3, "neware/new_nda_file.nda": 2, "neware/nw4-120-1-6-53.ndax": 160}
    for name, n in expected.items():
        assert len(cycle_summary(_read(data_file(name)), cycle_start="file")) == n


@pytest.mark.parametrize(("name", "vendor", "rows"), [
    ("arbin/FastCharge_000025_CH8.csv", 1, 1),
    ("arbin/arbin_example.res", 5, 5),
    ("maccor/maccor_two.txt", 1, 1),
    ("maccor/maccor_one.txt", 1, 3),  # Cyc# 0 throughout for three discharge-charge cycles: renumbered
    ("neware/interp-test.csv", 1, 1),
])
def test_other_vendor_counts(data_file, name, vendor, rows):
    if name.endswith(".res"):
        pytest.importorskip("access_parser")
    data = _read(data_file(name))
    assert count_cycles(data).file_cycles == vendor
    assert len(cycle_summary(data)) == rows


def test_a_last_charge_stopped_before_its_cv_step_is_flagged(data_file):
    """maccor_one's three cycles charge CC then CV; the record stops after the third cycle's CC step
    (3173 mAh against 4523 and 4517): that cycle's row and the notes say its charge is partial, the two
    complete cycles are not flagged for it."""
    table = cycle_summary(_read(data_file("maccor/maccor_one.txt")))
    warn = list(table["Warnings"])
    assert "partial" in warn[2] and "after 1 step(s) and 70 %" in warn[2] and "at least 2 steps" in warn[2]
    assert not any("partial" in w for w in warn[:2])
    assert any(n.startswith("cycle 3: the record ends in this cycle's charge") for n in table.notes)


# (kind, capacity [mAh], V start, V end) segments of cycler_synthetic.build, each its own step
DIS, CC_FULL = ("discharge", 1.0, 2.2, 2.0), ("charge", 1.0, 3.5, 4.0)
CC, CV = ("charge", 0.8, 3.5, 4.0), ("charge", 0.2, 4.0, 4.0)
THIRD, HALF = ("charge", 1 / 3, 3.5, 4.0), ("charge", 0.5, 3.5, 4.0)


@pytest.mark.parametrize("segments, cut", [
    ([DIS, CC, CV, DIS, CC, CV, DIS, CC], True),        # CC-CV twice, then the record stops after the CC
    ([DIS, CC, CV, DIS, CC, CV, DIS, CC_FULL], False),  # a CC charge that reached the same capacity: complete
    ([DIS, THIRD, THIRD, THIRD, DIS, HALF, HALF, DIS, CC_FULL], False),  # a rate test, all complete
    ([DIS, CC_FULL, DIS, CC_FULL, DIS, CC_FULL, DIS], False),  # ends after a full discharge
])
def test_cut_short_needs_fewer_steps_and_less_charge(segments, cut):
    """A last half is flagged only when it has fewer steps than every earlier one of its kind and passes
    less than 95 % of the smallest of them."""
    from cycler_synthetic import build

    table = cycle_summary(build(segments, rest_s=0.0), mass_g=1e-3)
    assert any("partial" in w for w in table["Warnings"]) is cut
    assert any("record ends in this cycle" in n for n in table.notes) is cut


@needs_fastnda
def test_half_missing_cycles_are_flagged_on_the_row(data_file):
    table = cycle_summary(_read(data_file("neware/TestFile.nda")), cycle_start="file")
    warn = list(table["Warnings"])
    assert warn[0].startswith("no charge") and warn[1] == "" and warn[2].startswith("no discharge")
    assert np.isnan(table["Energy efficiency [%]"][0]) and np.isnan(table["Energy efficiency [%]"][2])
    assert any("carry a warning" in n for n in table.notes)


def test_coulombic_efficiency_far_outside_range_is_flagged():
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from cycler_synthetic import build

    # a first discharge of 2 mAh from a part-charged start, then a 10 mAh charge: CE 500 %
    table = cycle_summary(build([("discharge", 2, 2.8, 2.2), ("charge", 10, 3.8, 4.2),
                                 ("discharge", 9, 2.8, 2.2), ("charge", 9, 3.8, 4.2)]))
    assert table["Coulombic efficiency [%]"][0] == pytest.approx(500)
    assert "outside 0-200 %" in table["Warnings"][0] and table["Warnings"][1] == ""


def test_discharge_first_pairing_still_available(data_file):
    pytest.importorskip("fastnda")
    data = _read(data_file("neware/TestFile.nda"))
    paired = cycle_summary(data, cycle_start="discharge")
    assert len(paired) == 2 and list(paired["Warnings"]) == ["", ""]


# --------------------------------------------------------------------------- Arbin .res
def test_arbin_res_read_with_access_parser(data_file):
    pytest.importorskip("access_parser")
    path = data_file("arbin/arbin_example.res")
    assert detect_format(path) == "arbin_res"
    data = _read(path)
    assert len(data) == 2150 and data.n_cycles == 5 and data.metadata["reader"] == "access-parser"
    table = cycle_summary(data)
    # charge capacity of cycle 1 = the file's Charge_Capacity at the end of cycle 1 (Arbin counts per cycle)
    from access_parser import AccessParser

    raw = AccessParser(str(path)).parse_table("Channel_Normal_Table")
    qc = np.asarray(raw["Charge_Capacity"], dtype=float)
    cyc = np.asarray(raw["Cycle_Index"])
    assert table["Charge capacity [mAh]"][0] == pytest.approx(1000 * qc[cyc == 1].max(), rel=1e-6)
    assert table["Warnings"][4].startswith("no current")  # cycle 5: the closing rest


def test_a_damaged_arbin_res_says_so_and_prints_nothing_of_its_own(data_file, tmp_path, capfd):
    """An audit cut the last byte off a .res: the message was 'cycle numbers count from 1; record 2150 has cycle
    -9223372036854775808' (an undecoded record cast to an integer), with numpy's RuntimeWarning and
    access-parser's 'DB is not full or PAGE_SIZE is wrong' printed on stdout."""
    pytest.importorskip("access_parser")
    data = data_file("arbin/arbin_example.res").read_bytes()
    cut = tmp_path / "cut.res"
    cut.write_bytes(data[:-1])
    with pytest.raises(DataFormatError, match=r"could not be decoded .* damaged or truncated"):
        _read(cut)
    out, _err = capfd.readouterr()
    assert "PAGE_SIZE" not in out


@pytest.mark.skipif(shutil.which("mdb-export") is None, reason="mdbtools not installed")
def test_arbin_res_mdbtools_gives_the_same_numbers(data_file, monkeypatch):
    pytest.importorskip("access_parser")
    a = _read(data_file("arbin/arbin_example.res"))
    monkeypatch.setitem(sys.modules, "access_parser", None)  # import fails -> mdbtools
    b = _read(data_file("arbin/arbin_example.res"))
    assert b.metadata["reader"].startswith("mdb-export")
    np.testing.assert_allclose(a.voltage_V, b.voltage_V, rtol=0, atol=1e-6)
    np.testing.assert_allclose(a.capacity_Ah, b.capacity_Ah, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(a.cycle, b.cycle)


def test_arbin_res_without_any_reader_says_what_to_install(data_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "access_parser", None)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(DataFormatError, match=r"access-parser.*mdbtools.*CSV"):
        read(data_file("arbin/arbin_example.res"))


# --------------------------------------------------------------------------- Maccor
def test_maccor_data_viewer_export(data_file, tmp_path):
    path = data_file("maccor/maccor_one.txt")
    assert detect_format(path) == "maccor_txt"
    data = _read(path)
    assert len(data) == 4459
    assert data.time_s[2] == pytest.approx(5.05, abs=1e-6)  # "0d 00:00:5.05000019073486"
    assert data.current_A[2] == pytest.approx(0.50401)  # State D: discharge, positive
    assert set(np.unique(data.step_type)) <= {"rest", "charge", "discharge", "other"}
    assert np.all(data.current_A[data.step_type == "charge"] <= 0)
    # the same export under Maccor's raw-file naming (.001) is recognised by its content
    named = tmp_path / "M50_Validation.001"
    shutil.copyfile(path, named)
    assert detect_format(named) == "maccor_txt"


def test_maccor_binary_raw_file_is_named_as_such(tmp_path):
    raw = tmp_path / "TEST.052"
    raw.write_bytes(b"\x00\x01MACCOR" + bytes(range(256)) * 4)
    with pytest.raises(DataFormatError, match=r"Maccor raw data file \(\.052\).*export it as text"):
        read(raw)


# --------------------------------------------------------------------------- zipped Neware
def test_zipped_nda_reads_the_member(data_file, tmp_path):
    pytest.importorskip("fastnda")
    archive = tmp_path / "TestFile.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(data_file("neware/TestFile.nda"), "run/TestFile.nda")
    assert detect_format(archive) == "neware_zip"
    zipped, direct = _read(archive), _read(data_file("neware/TestFile.nda"))
    assert len(zipped) == len(direct) == 6670 and zipped.n_cycles == 3
    np.testing.assert_array_equal(zipped.voltage_V, direct.voltage_V)
    assert zipped.metadata["archive_member"] == "run/TestFile.nda" and zipped.metadata["file_name"] == "TestFile.zip"


def test_zip_without_cycler_file_still_refused(tmp_path):
    archive = tmp_path / "notes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(DataFormatError, match="zip archive without"):
        read(archive)


# --------------------------------------------------------------------------- EC-Lab short rows, galvani
def _short_rows_copy(src, dst, keep):
    lines = src.read_bytes().decode("latin-1").splitlines()
    header = int(lines[1].split(":")[1])
    out = lines[:header] + ["\t".join(ln.split("\t")[:keep]) for ln in lines[header:]]
    dst.write_bytes(("\r\n".join(out) + "\r\n").encode("latin-1"))
    return dst


def test_mpt_with_short_data_rows_reads(data_file, tmp_path):
    """peis.mpt (real, 30 columns) with the counter-electrode columns left off every data row, as
    EC-Lab's 'with ECE' exports do: read, with a note naming the empty columns."""
    path = _short_rows_copy(data_file("eis/peis.mpt"), tmp_path / "short.mpt", keep=15)
    data = _read(path)
    assert len(data) == 32
    assert any("carry 15 fields but the header names" in n for n in data.metadata["notes"])
    np.testing.assert_allclose(data.voltage_V, _read(data_file("eis/peis.mpt")).voltage_V)


def test_mpt_with_one_short_row_inside_is_damage(data_file, tmp_path):
    src = data_file("eis/peis.mpt")
    lines = src.read_bytes().decode("latin-1").splitlines()
    header = int(lines[1].split(":")[1])
    lines[header + 5] = "\t".join(lines[header + 5].split("\t")[:4])
    bad = tmp_path / "bad.mpt"
    bad.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    with pytest.raises(DataFormatError, match=f"line {header + 6} has 4 fields"):
        read(bad)


def test_unknown_mpr_column_id_names_the_upgrade(data_file, monkeypatch):
    galvani = pytest.importorskip("galvani")

    def refuse(*a, **k):
        raise NotImplementedError("Column ID 999 after column Ewe/V is unknown")

    monkeypatch.setattr(galvani.BioLogic, "MPRfile", refuse)
    with pytest.raises(DataFormatError, match=r"does not know a column.*galvani>=0\.5.*\.mpt"):
        read(data_file("biologic/00_test_01_OCV_C01.mpr"))


def test_mpt_energy_counters_that_reset_at_each_new_cycle(tmp_path):
    """EC-Lab sets 'Energy charge/W.h' and 'Energy discharge/W.h' back to 0 at the first record of a new
    cycle, while the rest before it still carries the old cycle's values (as in tests/data/biologic/mb.mpt).
    Every cycle: 4 mAh out at 2.2 V, 4 mAh in at 3.0 V, 2 mg -> 4400 and 6000 mWh/g, 73.33 %."""
    names = ["mode", "ox/red", "Ns", "time/s", "Ewe/V", "I/mA", "(Q-Qo)/mA.h", "half cycle", "cycle number",
             "Energy charge/W.h", "Energy discharge/W.h"]
    rows, t, q, e_ch, e_dis, dt = [], 0.0, 0.0, 0.0, 0.0, 30.0
    n = int(round(4.0 / (1.0 * dt / 3600.0)))

    def add(mode, ns, i_mA, v, half, cyc, count):
        nonlocal t, q, e_ch, e_dis
        for _ in range(count):
            t += dt
            dq = i_mA * dt / 3600.0
            q += dq
            if i_mA > 0:
                e_ch += v * abs(dq) * 1e-3
            elif i_mA < 0:
                e_dis += v * abs(dq) * 1e-3
            rows.append((mode, int(i_mA > 0), ns, t, v, i_mA, q, half, cyc, e_ch, e_dis))

    for c in range(3):
        add(3, 0, 0.0, 2.6, max(2 * c - 1, 0), max(c - 1, 0), 10)  # rest, still counted in the cycle before
        if c > 0:
            e_ch = e_dis = 0.0
        add(1, 1, -1.0, 2.2, 2 * c, c, n)
        add(3, 2, 0.0, 2.6, 2 * c + 1, c, 10)
        add(1, 3, 1.0, 3.0, 2 * c + 1, c, n)
    header = ["EC-Lab ASCII FILE", "Nb header lines : 6", "", "Galvanostatic Cycling with Potential Limitation",
              "Characteristic mass : 2.000 mg", "\t".join(names)]
    path = tmp_path / "gcpl.mpt"
    path.write_text("\n".join(header + ["\t".join(f"{v:.10g}" for v in r) for r in rows]) + "\n", encoding="latin-1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = cycle_summary(read(path))
    np.testing.assert_allclose(table["Discharge energy [mWh/g]"], [4400.0] * 3, rtol=1e-6)
    np.testing.assert_allclose(table["Charge energy [mWh/g]"], [6000.0] * 3, rtol=1e-6)
    np.testing.assert_allclose(table["Energy efficiency [%]"], [73.333] * 3, rtol=1e-4)


def test_a_discharge_first_record_numbered_charge_first_pairs_each_discharge_with_its_charge():
    """Neware opens a cycle where a charge follows a discharge. For a metal-air cell discharged first, its
    cycle n holds charge n-1 and discharge n, and the default table compared each charge with the next
    discharge: 112.5 and 120 % for charges that each return 90 % of the discharge before them."""
    import dataclasses

    from cycler_synthetic import build

    segments = [("discharge", 1.0, 2.7, 2.5), ("charge", 0.9, 4.0, 4.2), ("discharge", 0.8, 2.7, 2.5),
                ("charge", 0.72, 4.0, 4.2), ("discharge", 0.6, 2.7, 2.5), ("charge", 0.54, 4.0, 4.2)]
    data = build(segments, cycles=[1, 2, 2, 3, 3, 4])
    data = dataclasses.replace(data, metadata={**data.metadata, "cycle_numbering_source": "vendor",
                                               "cycle_numbering": "Neware: a charge after a discharge opens a cycle"})
    table = cycle_summary(data)
    np.testing.assert_allclose(table["Coulombic efficiency [%]"], [90.0, 90.0, 90.0], rtol=1e-6)
    assert any("open with a charge, which would pair each charge with the discharge after it" in n
               for n in table.notes)
    vendor = cycle_summary(data, cycle_start="file")  # the file's rows, when asked for
    assert len(vendor) == 4
    np.testing.assert_allclose(vendor["Coulombic efficiency [%]"][1:3], [112.5, 120.0], rtol=1e-6)
    # a record that starts with a charge keeps the file's numbering
    charge_first = build([("charge", 1.0, 4.0, 4.2), ("discharge", 0.9, 2.7, 2.5)], cycles=[1, 1])
    charge_first = dataclasses.replace(charge_first, metadata={**charge_first.metadata,
                                                               "cycle_numbering_source": "vendor"})
    assert any(n.startswith("cycles numbered as in the file") for n in cycle_summary(charge_first).notes)


def test_a_record_exported_inside_a_discharge_is_censored_not_failed():
    """analyze_file gave cycle_life no lower voltage limit, so a last discharge cut off by the end of the
    record (a test still running) counted as the cell's failure; the lowest end of discharge in the record
    now stands in for the limit."""
    from cycler_synthetic import build

    from metalair.workflows.analyze import analyze_file

    segments = []
    for k in range(6):
        segments += [("discharge", 0.5, 2.4, 2.2 - 0.02 * k), ("charge", 0.5, 3.8, 4.2)]
    segments.append(("discharge", 0.2, 2.4, 2.3))  # exported 40 % into cycle 7's discharge
    data = build(segments, mass_g=1e-3)
    life = analyze_file("running.csv", data=data, capacity_limit_mAh_g=500.0, eod_threshold_V=2.0,
                        figures=False).life
    assert life is not None and life.first_failed_cycle is None and life.censored and life.cycle_life == 6
    # a last discharge that ends at the lowest voltage of the record is the cell's failure
    segments[-1] = ("discharge", 0.2, 2.4, 2.0)
    life = analyze_file("failing.csv", data=build(segments, mass_g=1e-3), capacity_limit_mAh_g=500.0,
                        figures=False).life
    assert life is not None and life.first_failed_cycle == 7
