"""cycle_summary / cycle_life / analyze_file against analytically known synthetic records."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest
from cycler_synthetic import build

from metalair.analysis.cycle_metrics import cycle_life, cycle_summary, half_cycles
from metalair.errors import KeyNotFoundError, ParameterError
from metalair.io import DataQualityWarning, read, write_cycler_csv
from metalair.workflows.analyze import analyze_file

MASS = 0.01  # g of catalyst


def metal_air_record(**kw):
    """Discharge-first cycles (mAh): (10 / 9.95), (10 / 10), (8 / 8); V linear in time."""
    segs = [
        ("discharge", 10.0, 2.8, 2.2), ("charge", 9.95, 3.8, 4.2),
        ("discharge", 10.0, 2.7, 2.1), ("charge", 10.0, 3.9, 4.3),
        ("discharge", 8.0, 2.6, 2.0), ("charge", 8.0, 4.0, 4.5),
    ]
    return build(segs, **kw)


@pytest.mark.parametrize("with_capacity", [True, False], ids=["file-capacity", "integrated"])
def test_summary_matches_analytic_values(with_capacity):
    table = cycle_summary(metal_air_record(with_capacity=with_capacity), MASS)
    assert table.capacity_unit == "mAh/g"
    np.testing.assert_array_equal(table["Cycle"], [1, 2, 3])
    qd = np.array([10.0, 10.0, 8.0]) / MASS
    qc = np.array([9.95, 10.0, 8.0]) / MASS
    vd = np.array([2.5, 2.4, 2.3])
    vc = np.array([4.0, 4.1, 4.25])
    rtol = 1e-9
    np.testing.assert_allclose(table["Discharge capacity [mAh/g]"], qd, rtol=rtol)
    np.testing.assert_allclose(table["Charge capacity [mAh/g]"], qc, rtol=rtol)
    np.testing.assert_allclose(table["Coulombic efficiency [%]"], 100 * qc / qd, rtol=rtol)
    np.testing.assert_allclose(table["Discharge energy [mWh/g]"], qd * vd, rtol=rtol)
    np.testing.assert_allclose(table["Charge energy [mWh/g]"], qc * vc, rtol=rtol)
    np.testing.assert_allclose(table["Energy efficiency [%]"], 100 * qd * vd / (qc * vc), rtol=rtol)
    np.testing.assert_allclose(table["Mean discharge voltage [V]"], vd, rtol=rtol)
    np.testing.assert_allclose(table["Mean charge voltage [V]"], vc, rtol=rtol)
    np.testing.assert_allclose(table["End-of-discharge voltage [V]"], [2.2, 2.1, 2.0], rtol=rtol)
    np.testing.assert_allclose(table["End-of-charge voltage [V]"], [4.2, 4.3, 4.5], rtol=rtol)
    np.testing.assert_allclose(table["Polarisation [V]"], vc - vd, rtol=1e-9)


def test_coulombic_efficiency_definition_is_a_parameter():
    data = metal_air_record()
    a = cycle_summary(data, MASS)["Coulombic efficiency [%]"][0]
    b = cycle_summary(data, MASS, coulombic_efficiency="discharge/charge")["Coulombic efficiency [%]"][0]
    assert a == pytest.approx(99.5)
    assert b == pytest.approx(100 * 10 / 9.95)
    with pytest.raises(ParameterError, match="coulombic_efficiency"):
        cycle_summary(data, MASS, coulombic_efficiency="charge-discharge")


def test_without_mass_capacities_are_absolute_and_said_so():
    table = cycle_summary(metal_air_record())
    assert table.capacity_unit == "mAh"
    np.testing.assert_allclose(table["Discharge capacity [mAh]"], [10, 10, 8], rtol=1e-9)
    assert any("absolute" in n and "mass_g" in n for n in table.notes)
    assert "absolute" in str(table)
    # the mass stored in the data is used when none is passed
    with_mass = cycle_summary(metal_air_record(mass_g=0.02))
    np.testing.assert_allclose(with_mass["Discharge capacity [mAh/g]"], [500, 500, 400], rtol=1e-9)


def test_cycles_are_renumbered_discharge_first():
    """A file that numbers cycles charge-first (Neware 'a cycle ends when a charge follows a
    discharge') gives D | C D | C D | C; the summary pairs each discharge with its charge."""
    segs = [("discharge", 10, 2.8, 2.2), ("charge", 9, 3.8, 4.2), ("discharge", 9, 2.8, 2.2), ("charge", 9, 3.8, 4.2)]
    data = build(segs, cycles=[1, 2, 2, 3])
    auto = cycle_summary(data, MASS)
    np.testing.assert_allclose(auto["Coulombic efficiency [%]"], [90.0, 100.0])
    file = cycle_summary(data, MASS, cycle_start="file")
    assert len(file) == 3
    # the third "cycle" of the file has a charge and no discharge: its discharge is missing (NaN), not 0
    np.testing.assert_allclose(file["Discharge capacity [mAh/g]"], [1000, 900, np.nan])


def test_summary_table_access_and_text():
    table = cycle_summary(metal_air_record(), MASS)
    with pytest.raises(KeyNotFoundError, match="(?i)did you mean 'Discharge capacity \\[mAh/g\\]'"):
        table["Discharge capacity [mAh]"]
    rows = table.rows()
    assert rows[1]["Cycle"] == 2 and rows[1]["Charge capacity [mAh/g]"] == pytest.approx(1000)
    text = str(table)
    assert text.splitlines()[0].split()[0] == "Cycle"
    assert len(text.splitlines()) >= 4


def test_cycle_life_discharge_hits_voltage_limit():
    table = cycle_summary(metal_air_record(), MASS)
    life = cycle_life(table, capacity_limit_mAh_g=1000, v_min=2.0, v_max=4.6, eod_threshold_V=2.15)
    assert life.cycle_life == 2
    assert life.first_failed_cycle == 3
    assert "voltage limit 2 V reached first" in life.reason
    assert life.first_cycle_below_eod_threshold == 2  # 2.1 V < 2.15 V
    assert not life.censored and not life.capacity_limit_inferred


def test_cycle_life_charge_failure_and_time_limit():
    segs = [("discharge", 10, 2.8, 2.2), ("charge", 10, 3.8, 4.2),
            ("discharge", 10, 2.8, 2.2), ("charge", 9.0, 3.8, 4.35)]
    table = cycle_summary(build(segs), MASS)
    life = cycle_life(table, capacity_limit_mAh_g=1000, v_max=4.5)
    assert (life.cycle_life, life.first_failed_cycle) == (1, 2)
    assert "charge returned" in life.reason and "below v_max" in life.reason


def test_cycle_life_names_the_first_charge_that_ends_at_the_voltage_limit():
    """A charge that reaches v_max but still returns >= 99 % of the limit passes, and is named as the
    first charge at the limit; without v_max no such cycle can be named."""
    segs = [("discharge", 10, 2.8, 2.2), ("charge", 10, 3.8, 4.2),
            ("discharge", 10, 2.8, 2.2), ("charge", 9.95, 3.8, 4.5),
            ("discharge", 10, 2.8, 2.2), ("charge", 9.95, 3.8, 4.5)]
    table = cycle_summary(build(segs), MASS)
    life = cycle_life(table, capacity_limit_mAh_g=1000, v_max=4.5)
    assert life.censored and life.cycle_life == 3
    assert life.first_cycle_charge_at_limit == 2
    assert "charge ended at the voltage limit: 2" in str(life)
    assert cycle_life(table, capacity_limit_mAh_g=1000).first_cycle_charge_at_limit is None
    assert cycle_life(table, capacity_limit_mAh_g=1000, v_max=4.8).first_cycle_charge_at_limit is None


def test_cycle_life_censored_inferred_and_incomplete_last_cycle():
    segs = [("discharge", 10, 2.8, 2.2), ("charge", 10, 3.8, 4.2), ("discharge", 10, 2.8, 2.2)]
    table = cycle_summary(build(segs), MASS)
    life = cycle_life(table)
    assert life.capacity_limit == pytest.approx(1000) and life.capacity_limit_inferred
    assert life.censored and life.first_failed_cycle is None
    assert life.cycle_life == 1  # cycle 2 has no charge yet: not judged
    with pytest.raises(ParameterError, match="absolute mAh"):
        cycle_life(cycle_summary(build(segs)), capacity_limit_mAh_g=1000)
    assert cycle_life(cycle_summary(build(segs)), capacity_limit_mAh=10).cycle_life == 1


def test_half_cycles_accumulate_capacity():
    halves = half_cycles(metal_air_record())
    assert [(h.cycle, h.kind) for h in halves] == [(c, k) for c in (1, 2, 3) for k in ("discharge", "charge")]
    assert halves[1].capacity_Ah[-1] == pytest.approx(9.95e-3)
    assert np.all(np.diff(halves[0].capacity_Ah) >= 0)


def test_bad_mass_is_refused():
    with pytest.raises(ParameterError, match="mass_g must be a positive"):
        cycle_summary(metal_air_record(), 0.0)
    with pytest.raises(ParameterError, match="mass_g must be a positive"):
        cycle_summary(metal_air_record(), float("nan"))


def test_analyze_file_round_trip_through_csv(tmp_path):
    """A record written as CSV and read back with a column_map gives the same summary, and
    analyze_file writes cycles.csv with one row per cycle (no temporary files left)."""
    pytest.importorskip("matplotlib")
    data = metal_air_record()
    src = write_cycler_csv(data, tmp_path / "record.csv")
    cmap = {k: k for k in ("time_s", "voltage_V", "current_A", "step", "cycle", "step_type", "capacity_Ah",
                           "energy_Wh")}
    result = analyze_file(src, mass_g=MASS, out_dir=tmp_path / "out", column_map=cmap, capacity_limit_mAh_g=1000)
    expected = cycle_summary(data, MASS)
    for name in expected.column_names:
        if name == "Warnings":
            assert list(result.table[name]) == list(expected[name])
            continue
        np.testing.assert_allclose(result.table[name], expected[name], rtol=1e-12, equal_nan=True)
    with open(tmp_path / "out" / "cycles.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == expected.column_names
    assert len(rows) == 1 + 3
    assert float(rows[3][1]) == pytest.approx(800.0)
    assert result.life is not None and result.life.cycle_life == 2
    for fig in ("voltage_capacity.png", "capacity_efficiency.png", "dqdv.png"):
        assert (tmp_path / "out" / fig).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_analyze_real_neware_file(data_file, tmp_path):
    """TestFile.nda (a 6 Ah cell: rest, 3 A discharge, then two 1.2 A CC-CV charge / discharge
    cycles): Neware's own three cycles (cycle 1 = the first discharge, cycle 3 = the last charge, each
    flagged as missing a half) come with cycle_start='file'; they open with a charge in a record that
    starts with a discharge, so by default (as with cycle_start='discharge') each discharge is paired
    with the charge after it (two cycles)."""
    pytest.importorskip("fastnda")
    result = analyze_file(data_file("neware/TestFile.nda"), out_dir=tmp_path, figures=False, cycle_start="file")
    assert len(result.table) == 3  # BTSDA shows cycles 1, 2, 3
    warn = list(result.table["Warnings"])
    assert "no charge" in warn[0] and warn[1] == "" and "no discharge" in warn[2]
    default = analyze_file(data_file("neware/TestFile.nda"), out_dir=tmp_path, figures=False).table
    assert any(n.startswith("the file's cycles (") and "open with a charge" in n for n in default.notes)
    result = analyze_file(data_file("neware/TestFile.nda"), out_dir=tmp_path, figures=False,
                          cycle_start="discharge")
    for column in ("Discharge capacity [mAh]", "Charge capacity [mAh]", "Coulombic efficiency [%]"):
        np.testing.assert_array_equal(default[column], result.table[column])
    table = result.table
    assert table.capacity_unit == "mAh"  # the file stores no mass
    assert len(table) == 2
    data = read(data_file("neware/TestFile.nda"))
    # discharge of cycle 2 = the file's own capacity at the end of the second CC_DChg step
    dis_ends = [data.capacity_Ah[b - 1] for b in np.flatnonzero(np.diff(data.step) != 0) + 1
                if data.step_type[b - 1] == "discharge"]
    assert table["Discharge capacity [mAh]"][1] == pytest.approx(1000 * dis_ends[1], rel=1e-9)
    assert table["Discharge capacity [mAh]"][1] == pytest.approx(5806.6, abs=0.1)
    assert table["End-of-charge voltage [V]"][1] == pytest.approx(4.2, abs=1e-3)
    assert table["End-of-discharge voltage [V]"][1] == pytest.approx(2.5, abs=1e-3)
    assert 3.3 < table["Mean discharge voltage [V]"][1] < table["Mean charge voltage [V]"][1] < 4.2
    assert (tmp_path / "cycles.csv").is_file()


def test_rest_only_file_gives_zero_capacity_row(data_file):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = read(data_file("maccor/maccor_two.txt"))
    table = cycle_summary(data)
    assert len(table) == 1
    assert table["Discharge capacity [mAh]"][0] == 0 and np.isnan(table["Coulombic efficiency [%]"][0])
    assert any("rest/open-circuit" in n for n in table.notes)


def test_a_missing_half_cycle_is_missing_not_zero():
    """A record that ends after a discharge: the last cycle's charge is missing (NaN, an empty CSV field),
    its coulombic efficiency undefined, and the warning says so; it is not a cycle that charged 0 mAh/g
    with CE 0 %. The cycle life does not count it as a failure."""
    segs = [("discharge", 10, 2.8, 2.2), ("charge", 10, 3.8, 4.2), ("discharge", 10, 2.8, 2.2)]
    table = cycle_summary(build(segs), MASS)
    assert np.isnan(table["Charge capacity [mAh/g]"][1]) and np.isnan(table["Charge energy [mWh/g]"][1])
    assert np.isnan(table["Coulombic efficiency [%]"][1])
    assert table["Warnings"][1] == "no charge in this cycle (one half missing)"
    life = cycle_life(table, capacity_limit_mAh_g=1000)
    assert life.censored and life.cycle_life == 1


def test_auto_coulombic_efficiency_follows_the_first_half_cycle():
    """A charge-first record (a cathode half-cell): CE is the discharge over the charge, as its user reads it;
    a discharge-first (metal-air) record keeps the charge over the discharge."""
    charge_first = build([("charge", 10, 3.8, 4.2), ("discharge", 9, 2.8, 2.2),
                          ("charge", 10, 3.8, 4.2), ("discharge", 9, 2.8, 2.2)])
    table = cycle_summary(charge_first, MASS, coulombic_efficiency="auto")
    np.testing.assert_allclose(table["Coulombic efficiency [%]"], [90.0, 90.0])
    assert any("starts with a charge" in n for n in table.notes)
    discharge_first = build([("discharge", 10, 2.8, 2.2), ("charge", 9, 3.8, 4.2)])
    np.testing.assert_allclose(cycle_summary(discharge_first, MASS, coulombic_efficiency="auto")
                               ["Coulombic efficiency [%]"], [90.0])


def test_cycle_summary_and_cycle_life_name_the_object_they_need():
    # a DataFrame gave "AttributeError: 'DataFrame' object has no attribute 'mass_g'" from inside pandas;
    # mass_g='0.5 mg' a bare "could not convert string to float"
    with pytest.raises(ParameterError, match=r"cycle_summary needs a CyclerData .* got str: read the file first"):
        cycle_summary("cell.csv")
    with pytest.raises(ParameterError, match="cycle_life needs the per-cycle SummaryTable of cycle_summary"):
        cycle_life({"Cycle": [1]})
    data = build([("discharge", 1.0, 2.8, 2.2), ("charge", 1.0, 2.3, 3.0)])
    with pytest.raises(ParameterError, match=r"mass_g must be the catalyst mass in g as a number"):
        cycle_summary(data, mass_g="0.5 mg")


def test_a_cycle_whose_time_goes_back_is_flagged_on_its_row():
    """Rows exported out of time order (a database dump in blocks) are integrated in the order given, so the
    jump forward over a missing block and the block itself both count: a cross-check gave cycle 3 of an Arbin
    record 0.93 mAh instead of 0.47 with an empty Warnings column. The row now says what is wrong."""
    import dataclasses

    data = build([("discharge", 1.0, 2.6, 2.2), ("charge", 1.0, 3.0, 4.2)] * 2, with_capacity=False)
    order = np.arange(len(data))
    second = np.flatnonzero(data.cycle == 2)
    block = second[10:20]
    order[block] = block[::-1]  # ten records of cycle 2 in reverse order
    shuffled = dataclasses.replace(data, **{f: getattr(data, f)[order] for f in
                                            ("time_s", "voltage_V", "current_A", "step", "cycle", "step_type")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = cycle_summary(shuffled)
    assert table["Warnings"][0] == ""
    assert table["Warnings"][1].startswith(f"time goes back at record {block[0] + 2}: records out of order")
    assert cycle_summary(data)["Warnings"][1] == ""


def test_the_packages_own_cycler_csv_reads_back_without_options(tmp_path):
    """write_cycler_csv's file (time_s, voltage_V, current_A, ...) is recognised from its header: `fit` and
    `analyze` refused it ("format not recognised from its content") unless every column was mapped by hand."""
    from metalair.io.detect import detect_format
    from metalair.tables.writers import write_cycler_csv

    data = build([("discharge", 1.0, 2.6, 2.2), ("charge", 1.0, 3.0, 4.2)])
    path = write_cycler_csv(data, tmp_path / "own.csv")
    assert detect_format(path) == "metalair_csv"
    back = read(path)
    for name in ("time_s", "voltage_V", "current_A", "step", "cycle", "capacity_Ah", "energy_Wh"):
        np.testing.assert_array_equal(getattr(back, name), getattr(data, name))
    assert list(back.step_type) == list(data.step_type)
    assert cycle_summary(back)["Discharge capacity [mAh]"][0] == pytest.approx(1.0, rel=1e-3)


def test_a_day_month_wall_clock_that_crosses_midnight_is_not_read_month_first(data_file, tmp_path):
    """An audit shifted every DPT Time of a Maccor export (DD/MM/YYYY) by 11 h, so the test ran from 06/05 into
    07/05: read month-first, that is a 29-day jump, the correct TestTime was discarded as 'not matching the wall
    clock' and the record ended at 2.5e6 s instead of its TestTime. The reading without the jump is taken."""
    import lzma
    from datetime import datetime, timedelta

    src = data_file("maccor/maccor_two.txt")
    text = (lzma.open(src, "rt") if str(src).endswith(".xz") else open(src)).read()
    lines = text.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("Rec\t"))
    col = lines[head].split("\t").index("DPT Time")
    out = lines[: head + 1]
    for ln in lines[head + 1:]:
        f = ln.split("\t")
        if len(f) > col and f[col].strip():
            stamp = datetime.strptime(f[col], "%d/%m/%Y %H:%M:%S") + timedelta(hours=11)
            f[col] = stamp.strftime("%d/%m/%Y %H:%M:%S")
        out.append("\t".join(f))
    shifted = tmp_path / "shifted.txt"
    shifted.write_text("\n".join(out) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = read(shifted)
        reference = read(src)
    assert data.time_s[-1] == pytest.approx(reference.time_s[-1])
