"""The Solution object: named outputs with "did you mean", atomic writers, step summaries.

House style: outputs are addressed as "Voltage [V]" with a fuzzy "did you mean"
on a wrong key; results go to files in open formats (CSV, Parquet), written so
that a failure never leaves a half-written file.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

import metalair as ma
from metalair.errors import KeyNotFoundError


@pytest.fixture(scope="module")
def sol():
    s = ma.simulate("NLRO", "Discharge at 200 mA/g until 1.8 V or 300 mAh/g; Rest for 1 h; "
                            "Charge at 200 mA/g until 4.0 V")
    assert s.ok
    return s


@pytest.mark.parametrize("wrong,right", [
    ("Voltage [v]", "Voltage [V]"),
    ("Voltage", "Voltage [V]"),
    ("Capacity [mAh/kg]", "Capacity [mAh/g]"),
    ("Na2O2 [mol/kg]", "Na2O2 [mol/g]"),
])
def test_wrong_key_suggests_close_key(sol, wrong, right):
    with pytest.raises(KeyError) as info:
        sol[wrong]
    assert isinstance(info.value, KeyNotFoundError)
    msg = str(info.value)
    assert "Did you mean" in msg
    assert repr(right) in msg.split("Available")[0]


def test_key_access_and_contains(sol):
    assert "Voltage [V]" in sol
    assert "Voltage" not in sol
    assert len(sol["Voltage [V]"]) == len(sol)
    assert set(sol.keys()) >= {"Time [s]", "Voltage [V]", "Capacity [mAh/g]", "Current [mA/g]", "Step", "Cycle"}
    for k in sol.keys():
        assert len(sol[k]) == len(sol), k


def test_to_csv(sol, tmp_path):
    path = tmp_path / "out" / "run.csv"  # folder created on the way
    sol.to_csv(path)
    assert path.exists()
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == sol.keys()
    assert len(rows) - 1 == len(sol)
    # floats written exactly (repr round-trips)
    col = rows[0].index("Voltage [V]")
    np.testing.assert_array_equal(np.array([float(r[col]) for r in rows[1:]]), sol["Voltage [V]"])
    # no temporary file left behind
    assert sorted(os.listdir(path.parent)) == ["run.csv"]


def test_to_csv_selected_keys(sol, tmp_path):
    path = tmp_path / "v.csv"
    sol.to_csv(path, keys=["Time [s]", "Voltage [V]"])
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Time [s]", "Voltage [V]"]
    with pytest.raises(KeyNotFoundError):
        sol.to_csv(tmp_path / "bad.csv", keys=["Voltag [V]"])
    assert not (tmp_path / "bad.csv").exists()


def test_to_csv_is_atomic_when_the_write_fails(sol, tmp_path, monkeypatch):
    """A failure during the final rename leaves the old file intact and no temporary file."""
    path = tmp_path / "run.csv"
    path.write_text("old content\n")

    def broken_replace(src, dst):
        raise OSError("disk full (simulated)")

    import metalair._files as files_module  # where the atomic write lives

    monkeypatch.setattr(files_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        sol.to_csv(path)
    assert path.read_text() == "old content\n"
    assert sorted(os.listdir(tmp_path)) == ["run.csv"]


def test_parquet_round_trip(sol, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "run.parquet"
    sol.to_parquet(path)
    table = pq.read_table(path)
    assert table.column_names == sol.keys()
    assert table.num_rows == len(sol)
    for k in sol.keys():
        np.testing.assert_array_equal(table.column(k).to_numpy(), sol[k])
    assert sorted(os.listdir(tmp_path)) == ["run.parquet"]


def test_json_summary(sol, tmp_path):
    import json

    path = tmp_path / "summary.json"
    sol.to_json_summary(path)
    data = json.loads(path.read_text())
    assert data["status"] == "ok"
    assert [s["kind"] for s in data["steps"]] == ["discharge", "rest", "charge"]


# ------------------------------------------------------------- step summaries


def test_step_summaries_match_the_time_series(sol):
    assert [s.index for s in sol.steps] == [1, 2, 3]
    for s in sol.steps:
        d = sol.step_data(s.index)
        assert len(d["Time [s]"]) > 0
        # capacity of the step is the last "Capacity [mAh/g]" of the step
        assert s.capacity_mAh_g == pytest.approx(d["Capacity [mAh/g]"][-1], rel=1e-12, abs=1e-12)
        assert s.end_time_s == pytest.approx(d["Time [s]"][-1], rel=1e-14)
        assert s.end_voltage_V == pytest.approx(d["Voltage [V]"][-1], rel=1e-14)
        assert s.start_voltage_V == pytest.approx(d["Voltage [V]"][0], rel=1e-14)
        if s.capacity_mAh_g > 0 and s.kind != "rest":
            v = d["Voltage [V]"]
            assert v.min() - 1e-12 <= s.mean_voltage_V <= v.max() + 1e-12
            assert s.energy_Wh_kg == pytest.approx(s.mean_voltage_V * s.capacity_mAh_g, rel=1e-12)
    first = sol.steps[0]
    assert first.kind == "discharge"
    assert first.capacity_mAh_g == pytest.approx(sol.step_data(1)["Capacity [mAh/g]"][-1], rel=1e-12)
    assert first.end_reason in ("voltage limit", "capacity limit")
    # the end-of-step product inventories are the time series' last values
    last = sol.step_data(1)
    for k, v in first.products_end_mol_g.items():
        assert v == pytest.approx(last[f"{k} [mol/g]"][-1], rel=1e-14, abs=1e-30)


def test_step_times_chain(sol):
    for a, b in zip(sol.steps[:-1], sol.steps[1:]):
        assert b.start_time_s == a.end_time_s
    assert sol.steps[1].end_time_s - sol.steps[1].start_time_s == pytest.approx(3600.0, rel=1e-12)


def test_step_data_refuses_a_step_that_did_not_run_or_kept_no_series():
    # step_data(0) gave only the initial row, step_data(5) and step_data('discharge') empty arrays: no error
    import metalair as ma
    from metalair.errors import ParameterError

    sol = ma.simulate("NLRO", "Discharge at 500 mA/g for 20 mAh/g; Charge at 500 mA/g for 20 mAh/g")
    assert len(sol.step_data(2)["Time [s]"]) > 1
    for bad in (0, 3, -1, "discharge", 1.0):
        with pytest.raises(ParameterError, match=r"give the number of a step that ran \(1\.\.2; steps are numbered"):
            sol.step_data(bad)
    kept = ma.simulate("NLRO", "(Discharge at 500 mA/g for 20 mAh/g; Charge at 500 mA/g for 20 mAh/g) x 2",
                       save_cycles=[2])
    with pytest.raises(ParameterError, match=r"step 1 kept no time series .* its summary is sol\.steps\[0\]"):
        kept.step_data(1)
