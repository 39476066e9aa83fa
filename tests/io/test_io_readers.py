"""Readers on real instrument files (tests/data, see tests/data/PROVENANCE.md).

Row and cycle counts are those the upstream collection lists for each file
(established readers agreed on them); the Maccor count is checked against an
independent count of complete data lines.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import sys
import warnings

import numpy as np
import pytest

from metalair.errors import DataFormatError
from metalair.io import DataQualityWarning, detect_format, read

try:
    import fastnda  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_FASTNDA = False
else:
    HAVE_FASTNDA = True
needs_fastnda = pytest.mark.skipif(not HAVE_FASTNDA, reason="Neware binary files need fastnda (a core dependency)")


def quiet_read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read(path, **kw)


# --------------------------------------------------------------------------- Neware
@needs_fastnda
@pytest.mark.parametrize(
    ("name", "rows", "cycles", "vmin", "vmax"),
    [
        ("neware/TestFile.nda", 6670, 3, 1.72, 4.20),
        ("neware/new_nda_file.nda", 439, 2, -0.101, -0.0849),
        ("neware/nw4-120-1-6-53.ndax", 18700, 160, 1.646, 5.0),
    ],
)
def test_neware_row_and_cycle_counts(data_file, name, rows, cycles, vmin, vmax):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = read(data_file(name))
    assert len(data) == rows
    assert data.n_cycles == cycles
    assert data.voltage_V.min() == pytest.approx(vmin, abs=2e-3)
    assert data.voltage_V.max() == pytest.approx(vmax, abs=2e-3)
    assert data.metadata["instrument"] == "Neware"
    if name == "neware/TestFile.nda":
        # records 6622 and 6623 carry the same time stamp (00:05:58.180) in the file and in
        # NewareNDA's reference output: a real duplicate, reported
        assert len(data.metadata["warnings"]) == 1
        warning = data.metadata["warnings"][0]
        assert "1 records repeat the time stamp" in warning and "at records 6623" in warning
    else:
        assert data.metadata["warnings"] == []


@needs_fastnda
def test_neware_sign_convention_discharge_positive(data_file):
    """TestFile.nda: 3 A discharge (CC_DChg) and 1.2 A charge steps; Neware writes charge positive."""
    data = read(data_file("neware/TestFile.nda"))
    dis = data.step_type == "discharge"
    chg = data.step_type == "charge"
    assert np.median(data.current_A[dis]) == pytest.approx(3.0, rel=1e-3)
    assert np.median(data.current_A[chg]) == pytest.approx(-1.2, rel=1e-3)
    # capacity carries the sign of the current and restarts at each step
    assert data.capacity_Ah[dis].max() > 3.7
    assert data.capacity_Ah[chg].min() < -5.6
    assert set(np.unique(data.step_type)) == {"discharge", "charge", "hold", "rest"}


@needs_fastnda
def test_neware_mass_from_file(data_file):
    """new_nda_file.nda stores an active mass of 1 mg; TestFile.nda stores 0 (= not set)."""
    assert read(data_file("neware/new_nda_file.nda")).mass_g == pytest.approx(0.001)
    assert read(data_file("neware/TestFile.nda")).mass_g is None
    assert read(data_file("neware/TestFile.nda"), mass_g=0.5).mass_g == 0.5


def _vendor_csv(path):
    """Independent parse of the BTSDA export (stdlib csv, not metalair's reader)."""
    text = path.read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(text)))
    head, body = rows[0], [r for r in rows[1:] if r]

    def col(prefix):
        j = next(i for i, h in enumerate(head) if h.startswith(prefix))
        return j

    def secs(s):
        h, m, x = s.split(":")
        return int(h) * 3600 + int(m) * 60 + float(x)

    t = np.array([secs(r[col("Total Time")]) for r in body])
    v_mV = np.array([float(r[col("Voltage(mV)")]) for r in body])
    i_uA = np.array([float(r[col("Current(")]) for r in body])
    chg_mAs = np.array([float(r[col("Chg. Cap.(mAs)")]) for r in body])
    dchg_mAs = np.array([float(r[col("DChg. Cap.(mAs)")]) for r in body])
    return t, v_mV, i_uA, chg_mAs, dchg_mAs


@needs_fastnda
def test_interp_ndax_agrees_with_vendor_csv_export(data_file):
    """interp-test.ndax has missing records that fastnda interpolates; BTSDA's CSV export of the
    same test is the ground truth for rows, times, voltages and capacities."""
    data = read(data_file("neware/interp-test.ndax"))
    t, v_mV, i_uA, chg, dchg = _vendor_csv(data_file("neware/interp-test.csv"))
    assert len(data) == len(t) == 333
    np.testing.assert_allclose(data.time_s, t, atol=1e-3)
    # the export rounds voltage to 0.1 mV
    np.testing.assert_allclose(data.voltage_V * 1e3, v_mV, atol=0.051)
    np.testing.assert_allclose(data.current_A, -i_uA * 1e-6, atol=1e-9)
    np.testing.assert_allclose(data.capacity_Ah, (dchg - chg) / 3.6e6, atol=1e-12)


@needs_fastnda
def test_neware_csv_reader_matches_binary(data_file):
    """metalair's own BTSDA-CSV reader gives the same table as the binary file."""
    a = read(data_file("neware/interp-test.ndax"))
    b = read(data_file("neware/interp-test.csv"))
    assert b.metadata["format"] == "neware_csv"
    assert len(a) == len(b)
    np.testing.assert_allclose(a.time_s, b.time_s, atol=1e-3)
    np.testing.assert_allclose(a.voltage_V, b.voltage_V, atol=5.1e-5)
    np.testing.assert_array_equal(a.step_type, b.step_type)
    np.testing.assert_array_equal(a.cycle, b.cycle)


@needs_fastnda
def test_empty_ndax_raises(data_file):
    """empty.ndax is a real, valid archive with zero data records (NewareNDA raises IndexError on
    it, fastnda returns an empty frame): there is nothing to analyse, so it is an error that says so."""
    with pytest.raises(DataFormatError, match=r"empty\.ndax: the file holds no data records"):
        read(data_file("neware/empty.ndax"))


@needs_fastnda
def test_corrupt_aux_metadata_reads_main_channels_with_warning(data_file):
    """Unit27_Example_Corrupt.ndax: only the auxiliary-channel description (TestInfo.xml) is damaged;
    the main data stream is intact (its CRC checks pass, 301 records of a 5-min rest at 2.983 V).
    Refusing the file would throw away good data, and silently dropping the aux channels would hide
    the damage, so the right result is the main channels plus an explicit warning, and an error
    when the caller asks for strict reading."""
    with pytest.warns(DataQualityWarning, match="auxiliary"):
        data = read(data_file("neware/Unit27_Example_Corrupt.ndax"))
    assert len(data) == 301
    assert data.n_cycles == 1
    assert np.all(data.step_type == "rest")
    assert np.allclose(data.voltage_V, 2.983, atol=5e-4)
    assert any("auxiliary" in w and "main channels" in w for w in data.warnings)
    assert not any(k.startswith("temperature") for k in data.extra)
    with pytest.raises(DataFormatError, match="strict"):
        read(data_file("neware/Unit27_Example_Corrupt.ndax"), strict=True)


@needs_fastnda
def test_neware_by_content_not_extension(data_file, tmp_path):
    renamed = tmp_path / "cell_record.bin"
    renamed.write_bytes(data_file("neware/new_nda_file.nda").read_bytes())
    assert detect_format(renamed) == "neware_nda"
    assert len(read(renamed)) == 439


@needs_fastnda
def test_newarenda_fallback_when_fastnda_fails(data_file, monkeypatch):
    pytest.importorskip("NewareNDA", reason="optional fallback reader not installed")
    import metalair.io.neware as nw

    ref = read(data_file("neware/TestFile.nda"))

    def broken(*args, **kwargs):
        raise ValueError("simulated fastnda failure")

    monkeypatch.setattr(nw, "_from_fastnda", broken)
    with pytest.warns(DataQualityWarning, match="NewareNDA"):
        alt = read(data_file("neware/TestFile.nda"))
    assert alt.metadata["reader"] == "NewareNDA"
    assert len(alt) == len(ref) and alt.n_cycles == ref.n_cycles
    np.testing.assert_allclose(alt.voltage_V, ref.voltage_V, atol=1e-6)
    np.testing.assert_allclose(alt.current_A, ref.current_A, atol=1e-6)
    np.testing.assert_allclose(alt.capacity_Ah, ref.capacity_Ah, rtol=1e-5, atol=1e-9)


def test_missing_fastnda_says_how_to_get_it(data_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "fastnda", None)
    monkeypatch.setitem(sys.modules, "NewareNDA", None)
    with pytest.raises(DataFormatError, match=r"needs fastnda, a dependency of metalair: reinstall metalair"):
        read(data_file("neware/new_nda_file.nda"))


# --------------------------------------------------------------------------- BioLogic
@pytest.mark.parametrize(("name", "rows"), [("biologic/00_test_04_MB_C01.mpr", 1501),
                                            ("biologic/00_test_01_OCV_C01.mpr", 2)])
def test_mpr_row_counts(data_file, name, rows):
    pytest.importorskip("galvani", reason="galvani (GPL, metalair[biologic]) not installed")
    path = data_file(name)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        data = read(path)
        gc.collect()
    assert not [w for w in seen if issubclass(w.category, ResourceWarning)]  # closed (galvani would not)
    assert len(data) == rows
    assert data.metadata["format"] == "biologic_mpr"


def test_mpr_modulo_bat_sign(data_file):
    """00_test_04: EC-Lab logs I = -0.04 mA (reduction at the working electrode) = discharge here."""
    pytest.importorskip("galvani", reason="galvani (GPL, metalair[biologic]) not installed")
    data = read(data_file("biologic/00_test_04_MB_C01.mpr"))
    assert np.all(data.current_A > 0)
    assert np.all(data.capacity_Ah >= 0)
    ocv = read(data_file("biologic/00_test_01_OCV_C01.mpr"))
    assert np.all(ocv.current_A == 0) and np.all(ocv.step_type == "rest")


def test_mpr_without_galvani_says_what_to_do(data_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "galvani", None)
    with pytest.raises(DataFormatError, match=r"pip install 'metalair\[biologic\]'.*\.mpt"):
        read(data_file("biologic/00_test_01_OCV_C01.mpr"))


def test_mpt_peis_export(data_file):
    """The EC-Lab PEIS text export reads as 43 rows; <I>/mA is oxidation-positive in EC-Lab."""
    path = data_file("eis/exampleDataBioLogic.mpt")
    data = read(path)
    assert len(data) == 43
    assert data.metadata["format"] == "biologic_mpt"
    assert data.mass_g == pytest.approx(0.001)  # "Characteristic mass : 0.001 g"
    assert data.metadata["software_version"].startswith("EC-Lab for windows v11.18")
    first = [ln for ln in path.read_text(encoding="latin-1").splitlines()][61].split("\t")
    assert data.current_A[0] == pytest.approx(-float(first[7]) * 1e-3)


def test_mpt_missing_column_name_is_an_error(data_file):
    """exampleDataBioLogic_MissingFreq.mpt: the header lost one column name but the rows still hold
    all values, so every column would be shifted by one; that must be an error, not a table."""
    with pytest.raises(DataFormatError, match=r"line 62 has 18 values but the header names only 17"):
        read(data_file("eis/exampleDataBioLogic_MissingFreq.mpt"))


def test_mpt_decimal_comma_and_missing_required_column(data_file, tmp_path):
    text = data_file("eis/exampleDataBioLogic.mpt").read_text(encoding="latin-1")
    lines = text.splitlines()
    comma = lines[:61] + [ln.replace(".", ",") for ln in lines[61:]]
    p = tmp_path / "comma.mpt"
    p.write_text("\n".join(comma) + "\n", encoding="latin-1")
    a, b = read(data_file("eis/exampleDataBioLogic.mpt")), read(p)
    np.testing.assert_allclose(a.voltage_V, b.voltage_V)
    np.testing.assert_allclose(a.current_A, b.current_A)
    # drop the time column entirely (name and values)
    cols = [ln.split("\t") for ln in lines[60:]]
    j = cols[0].index("time/s")
    dropped = lines[:60] + ["\t".join(c[:j] + c[j + 1 :]) for c in cols]
    q = tmp_path / "notime.mpt"
    q.write_text("\n".join(dropped) + "\n", encoding="latin-1")
    with pytest.raises(DataFormatError, match=r"notime\.mpt: no time \(time/s\) column; columns present"):
        read(q)


# --------------------------------------------------------------------------- Arbin / Maccor
def test_arbin_fast_charge_export(data_file):
    data = read(data_file("arbin/FastCharge_000025_CH8.csv"))
    assert len(data) == 248
    assert data.n_cycles == 1
    assert np.all(data.cycle == 1)  # the file counts from 0
    assert data.metadata["instrument"] == "Arbin"
    assert data.metadata["arbin_schedule_file_name"].endswith("4_4C.SDU")
    assert data.extra["temperature_degC"].min() > 28.9
    assert np.all(data.step_type == "rest")
    assert data.time_s[0] == pytest.approx(10.0024) and data.time_s[-1] == pytest.approx(1800.0104)


def test_maccor_export_rows_checked_independently(data_file):
    """maccor_two.txt: the reader keeps every complete record; an independent count of the lines
    with the header's 28 tab-separated fields (minus the header itself) must agree. The last record
    (Rec 214) is cut off after 9 fields: it is dropped and reported."""
    path = data_file("maccor/maccor_two.txt")
    lines = path.read_text(encoding="latin-1").splitlines()
    independent = sum(1 for ln in lines if len(ln.split("\t")) == 28) - 1
    assert independent == 213
    with pytest.warns(DataQualityWarning, match="incomplete"):
        data = read(path)
    assert len(data) == independent
    assert data.metadata["format"] == "maccor_txt"
    assert data.metadata["instrument"].startswith("Maccor")
    # TestTime is in minutes here (1 per record, records 60 s apart on the wall clock)
    assert np.allclose(np.diff(data.time_s), 60.0)
    assert np.all(data.step_type == "rest")
    assert data.voltage_V[0] == pytest.approx(0.1377)
    with pytest.raises(DataFormatError, match="strict"):
        read(path, strict=True)


def test_maccor_detected_by_content_under_another_name(data_file, tmp_path):
    p = tmp_path / "export.csv"
    p.write_bytes(data_file("maccor/maccor_two.txt").read_bytes())
    assert detect_format(p) == "maccor_txt"


def test_maccor_modes_and_signs(tmp_path):
    head = "Rec\tCycle C\tStep\tTestTime\tStepTime\tCap. [Ah]\tEner. [Wh]\tCurrent [A]\tVoltage [V]\tMd\tES\n"
    rows = []
    t = 0.0
    for step, md, amps, v0, dv in ((1, "D", 0.5, 3.0, -0.1), (2, "R", 0.0, 2.8, 0.0), (3, "C", 0.5, 3.4, 0.1)):
        for k in range(6):
            cap = amps * 60 * k / 3600
            rows.append(f"{len(rows) + 1}\t1\t{step}\t{t:.1f}\t{60 * k:.1f}\t{cap:.6f}\t{cap * 3:.6f}\t{amps}\t"
                        f"{v0 + dv * k / 5:.4f}\t{md}\t0\n")
            t += 60
    p = tmp_path / "m.txt"
    p.write_text("Today's Date\t01/01/2024\n" + head + "".join(rows))
    data = read(p)
    assert list(np.unique(data.step_type)) == ["charge", "discharge", "rest"]
    assert np.all(data.current_A[data.step_type == "discharge"] == 0.5)
    assert np.all(data.current_A[data.step_type == "charge"] == -0.5)
    assert data.capacity_Ah[data.step_type == "charge"].min() < 0
    assert any("assumed s" in n for n in data.metadata["notes"])


# --------------------------------------------------------------------------- detection
def test_detects_every_copied_format(data_file):
    expected = {
        "neware/TestFile.nda": "neware_nda",
        "neware/nw4-120-1-6-53.ndax": "neware_ndax",
        "neware/interp-test.csv": "neware_csv",
        "biologic/00_test_04_MB_C01.mpr": "biologic_mpr",
        "eis/exampleDataBioLogic.mpt": "biologic_mpt",
        "arbin/FastCharge_000025_CH8.csv": "arbin_csv",
        "maccor/maccor_two.txt": "maccor_txt",
    }
    for name, fmt in expected.items():
        assert detect_format(data_file(name)) == fmt, name


def test_every_data_file_is_in_provenance():
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data"
    table = (data / "PROVENANCE.md").read_text()
    for f in data.rglob("*"):
        if f.is_file() and f.name != "PROVENANCE.md" and f.suffix != ".md":
            rel = f.relative_to(data).as_posix()
            if rel.split("/")[0] in {"neware", "biologic", "arbin", "maccor", "eis", "cv"}:
                assert f"`{rel}`" in table, f"{rel} is not listed in tests/data/PROVENANCE.md"
    assert re.search(r"\| `neware/TestFile\.nda\.xz` \|", table)


def test_a_fit_says_which_mass_it_used_and_flags_ec_labs_default(data_file):
    """mb.mpt stores EC-Lab's default characteristic mass (1 mg); the fit's notes name it and where it came from."""
    from metalair.analysis.cycle_metrics import mass_note
    from metalair.io import read

    data = read(data_file("biologic/mb.mpt"))
    assert data.mass_g == 0.001
    note = mass_note(data, None, 0.001)
    assert note.startswith("catalyst mass 1 mg (from the file's EC-Lab characteristic mass); 1 mg is EC-Lab's "
                           "default characteristic mass")
    assert "--mass-mg" in note
    assert mass_note(data, 0.0025, 0.0025) == "catalyst mass 2.5 mg (given)"


def test_a_snake_case_unit_suffix_is_read_as_the_unit(tmp_path):
    """'current_mA' was read as amps (1000x the capacity), with the note 'carries no unit; assumed A' unprinted."""
    from metalair.io import read

    p = tmp_path / "cell.csv"
    p.write_text("time_s,voltage_V,current_mA\n" + "\n".join(f"{t},{3.0 - 1e-4 * t},1.0" for t in range(0, 3600, 60)),
                 encoding="utf-8")
    data = read(p, column_map={"time_s": "time_s", "voltage_V": "voltage_V", "current_A": "current_mA"})
    np.testing.assert_allclose(data.current_A, 1e-3)
    assert not any("carries no unit" in n for n in data.metadata["notes"])


def test_analyze_names_the_mass_it_used_and_flags_an_impossible_capacity(data_file):
    from metalair.workflows.analyze import analyze_file

    res = analyze_file(data_file("biologic/mb.mpt"))
    assert any(n.startswith("catalyst mass 1 mg (from the file's EC-Lab characteristic mass); 1 mg is EC-Lab's")
               for n in res.notes)
    tiny = analyze_file(data_file("biologic/mb.mpt"), mass_g=1e-9)
    assert any("beyond any air electrode" in n for n in tiny.notes)


def test_short_instrument_holds_keep_their_charge(data_file):
    """Holds of 4-5 rows were classed 'other' before their step type was read: cycle 63 showed CE 7838 %."""
    from metalair.workflows.analyze import analyze_file

    res = analyze_file(data_file("neware/nw4-120-1-6-53.ndax"))
    ce = dict(zip(res.table["Cycle"], res.table["Coulombic efficiency [%]"]))
    assert ce[63] == pytest.approx(100 / 0.819, abs=0.2)  # charge/discharge; the CLI's --ce auto prints 81.9 %


def test_a_cc_cv_charge_in_one_step_of_a_plain_csv_is_a_charge(tmp_path):
    """A generic CSV whose charge is one CC-CV block lost that charge (classed 'other'): CE 33 % instead of ~100 %."""
    from metalair.workflows.analyze import analyze_file

    rows, t = [], 0.0
    for _cycle in range(2):
        for k in range(60):  # CC discharge 1 mA, 4.0 -> 3.0 V
            rows.append((t, 4.0 - k / 60, 1e-3))
            t += 60.0
        for k in range(40):  # CC charge at -1 mA to 4.2 V ...
            rows.append((t, 3.0 + 1.2 * k / 40, -1e-3))
            t += 60.0
        for k in range(20):  # ... then held at 4.2 V while the current decays
            rows.append((t, 4.2, -1e-3 * 0.5 ** (k / 4)))
            t += 60.0
    p = tmp_path / "ccv.csv"
    p.write_text("t_s,U_V,I_A\n" + "\n".join(f"{a},{b},{c}" for a, b, c in rows), encoding="utf-8")
    res = analyze_file(p, column_map={"time_s": "t_s", "voltage_V": "U_V", "current_A": "I_A"},
                       cycle_start="discharge")
    q_dis = list(res.table["Discharge capacity [mAh]"])
    q_ch = list(res.table["Charge capacity [mAh]"])
    assert len(q_dis) == 2 and q_dis[0] == pytest.approx(1.0, rel=0.03)
    assert q_ch[0] == pytest.approx(0.667 + 0.11, abs=0.02)  # the CC part (0.667 mAh) and the CV tail both count


def test_a_reversed_current_sign_is_questioned(tmp_path):
    """Charge-positive data read as discharge-positive swapped the half-cycles: polarisation < 0, no warning."""
    from metalair.workflows.analyze import analyze_file

    rows, t = [], 0.0
    for _cycle in range(3):
        for k in range(50):  # discharge at -1 mA (charge-positive file), 3.0 -> 2.5 V
            rows.append((t, 3.0 - 0.5 * k / 50, -1e-3))
            t += 60.0
        for k in range(50):  # charge at +1 mA, 3.5 -> 4.0 V
            rows.append((t, 3.5 + 0.5 * k / 50, 1e-3))
            t += 60.0
    p = tmp_path / "flipped.csv"
    p.write_text("t_s,U_V,I_A\n" + "\n".join(f"{a},{b},{c}" for a, b, c in rows), encoding="utf-8")
    res = analyze_file(p, column_map={"time_s": "t_s", "voltage_V": "U_V", "current_A": "I_A"},
                       cycle_start="discharge")
    assert any("negative polarisation): is the current's sign reversed?" in n for n in res.notes)
    right = analyze_file(p, column_map={"time_s": "t_s", "voltage_V": "U_V", "current_A": ("I_A", -1.0)},
                         cycle_start="discharge")
    assert not any("sign reversed" in n for n in right.notes)


def test_a_constant_file_cycle_column_does_not_merge_the_cycles(tmp_path):
    """maccor_one.txt has Cyc# 0 throughout: one 'cycle' with CE 128 % (Qd 9536, Qc 12212 mAh) without a word."""
    import lzma
    from pathlib import Path

    from metalair.workflows.analyze import analyze_file

    data = Path(__file__).resolve().parents[1] / "data" / "maccor" / "maccor_one.txt.xz"
    path = tmp_path / "maccor_one.txt"
    path.write_bytes(lzma.decompress(data.read_bytes()))
    res = analyze_file(path)
    assert list(res.table["Discharge capacity [mAh]"]) == pytest.approx([637.8, 4544.0, 4354.0], abs=0.1)
    assert any("the file's cycle column holds one value for 3 cycles" in n for n in res.table.notes)
