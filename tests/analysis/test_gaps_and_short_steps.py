"""Charge is never integrated across rows left out of a record, and a short step that carries current is kept.

From an audit of ``metalair analyze`` / ``metalair fit``: steps of fewer than 5 records were dropped as
"other" whatever their current, and the next step's first interval then reached back over the gap (a
cycler CSV with 2-row rests gave capacities 50 % too high; ``fit --cycles 1,3`` counted cycle 2's
charge in cycle 3, 3000 of 1000 mAh/g).
"""

from __future__ import annotations

import numpy as np
import pytest

import metalair as ma
from metalair.analysis.cycle_metrics import cycle_life, cycle_summary
from metalair.tables.cycler import CyclerData


def _record(rest_rows: int, *, charge_first: bool = False) -> CyclerData:
    """3 cycles of 1 mA for 1 h each way (12 records, 300 s apart), each half followed by a rest of
    ``rest_rows`` records 900 s apart. Truth: 1.000 mAh per half."""
    t, rows, step = 0.0, [], 0

    def add(n, dt, v0, dv, i):
        nonlocal t, step
        step += 1
        for k in range(n):
            t += dt
            rows.append((t, v0 + dv * np.sqrt(k / n), i, step))

    add(6, 60, 2.8, 0.0, 0.0)
    if charge_first:
        add(12, 300, 2.45, 0.6, -1e-3)
        add(rest_rows, 900, 2.6, 0.0, 0.0)
    for _ in range(3):
        add(12, 300, 2.25, -0.05, 1e-3)
        add(rest_rows, 900, 2.5, 0.0, 0.0)
        add(12, 300, 2.45, 0.6, -1e-3)
        add(rest_rows, 900, 2.6, 0.0, 0.0)
    a = np.array(rows)
    kinds = np.where(a[:, 2] > 0, "discharge", np.where(a[:, 2] < 0, "charge", "rest"))
    return CyclerData(time_s=a[:, 0], voltage_V=a[:, 1], current_A=a[:, 2], step=a[:, 3].astype(int),
                      cycle=np.ones(len(a), dtype=int), step_type=kinds,
                      metadata={"file_name": "synthetic.csv", "format": "csv"})


def _csv(data: CyclerData, path):
    path.write_text("Time (s),Ecell (V),I (A)\n" + "".join(
        f"{a},{b:.4f},{c}\n" for a, b, c in zip(data.time_s, data.voltage_V, data.current_A)))
    return path


_COLUMNS = {"time_s": "Time (s)", "voltage_V": "Ecell (V)", "current_A": "I (A)"}


@pytest.mark.parametrize("rest_rows", [2, 6])
def test_analyze_counts_each_half_once_with_short_rests(rest_rows, tmp_path):
    from metalair.workflows.analyze import analyze_file

    res = analyze_file(_csv(_record(rest_rows), tmp_path / "cell.csv"), column_map=_COLUMNS, figures=False)
    t = res.table
    assert list(t["Discharge capacity [mAh]"]) == pytest.approx([1.0, 1.0, 1.0], rel=1e-9)
    assert list(t["Charge capacity [mAh]"]) == pytest.approx([1.0, 1.0, 1.0], rel=1e-9)


def test_a_short_step_with_current_is_kept(tmp_path):
    """Three-record charges: kept as charge, not dropped as 'other' (3 cycles had become 1)."""
    from metalair.workflows.analyze import analyze_file

    t, rows = 0.0, [(0.0, 2.8, 0.0), (60.0, 2.8, 0.0)]  # a rest, then the cycles
    t = 60.0
    for _c in range(3):
        for i, n in ((1e-3, 12), (-4e-3, 3)):
            for _k in range(n):
                t += 300
                rows.append((t, 2.3 if i > 0 else 2.9, i))
    path = tmp_path / "short.csv"
    path.write_text("Time (s),Ecell (V),I (A)\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    res = analyze_file(path, column_map=_COLUMNS, figures=False)
    assert len(res.table) == 3
    assert list(res.table["Charge capacity [mAh]"]) == pytest.approx([1.0, 1.0, 1.0], rel=1e-9)
    assert list(res.table["Discharge capacity [mAh]"]) == pytest.approx([1.0, 1.0, 1.0], rel=1e-9)


def test_take_marks_gaps_and_no_charge_is_integrated_across_them():
    data = _record(6)
    whole = cycle_summary(data)
    assert data.follows_gap is None
    rests = np.flatnonzero(data.current_A == 0.0)
    sub = data.take(np.setdiff1d(np.arange(len(data)), rests[6:]))  # the rests between the halves left out
    assert sub.follows_gap is not None and sub.follows_gap.sum() == 5  # (the last rest ends the record)
    cut = cycle_summary(sub)  # each step's first record is one sampling interval after it began, as in the file
    assert list(cut["Discharge capacity [mAh]"]) == pytest.approx(list(whole["Discharge capacity [mAh]"]), rel=1e-9)
    assert list(cut["Charge capacity [mAh]"]) == pytest.approx(list(whole["Charge capacity [mAh]"]), rel=1e-9)
    # a whole cycle left out: the next cycle's capacity is its own
    renumbered = data.renumber_cycles("discharge")
    picked = cycle_summary(renumbered.select_cycles([1, 3]), cycle_start="file")
    assert list(picked["Discharge capacity [mAh]"]) == pytest.approx([1.0, 1.0], rel=1e-9)
    with pytest.raises(ma.ParameterError, match="follows_gap must be a one-dimensional array of bool"):
        CyclerData(time_s=[0.0], voltage_V=[1.0], current_A=[0.0], step=[1], cycle=[1], step_type=["rest"],
                   follows_gap=np.array([1]))


def test_fit_of_cycles_1_and_3_takes_cycle_3_from_its_own_start(tmp_path):
    from metalair.analysis.fitting import protocol_from_data
    from metalair.analysis.simulated import to_cycler_data

    p = "Discharge at 200 mA/g for 1000 mAh/g or until 1.5 V; Charge at 200 mA/g for 1000 mAh/g or until 4.8 V"
    sol = ma.simulate("NLRO", f"{p}; {p}; {p}")
    data = to_cycler_data(sol, mass_g=1e-3)
    data = CyclerData(**{**{k: getattr(data, k) for k in ("time_s", "voltage_V", "current_A", "step", "cycle",
                                                        "step_type", "metadata")}})  # no capacity column
    _proto, targets, _notes = protocol_from_data(data, cycles=[1, 3], mass_g=1e-3)
    assert [round(t.end_capacity_mAh_g) for t in targets] == [1000, 1000, 1000, 1000]


def test_a_record_that_starts_with_a_charge_is_not_a_failed_first_cycle():
    data = _record(6, charge_first=True)
    table = cycle_summary(data, cycle_start="discharge")
    life = cycle_life(table, capacity_limit_mAh=1.0)
    assert life.first_failed_cycle is None and life.censored
    assert any("the record starts with a charge" in n for n in life.notes)


def test_fit_refuses_a_record_that_is_no_cycling(tmp_path):
    from metalair.analysis.classify import NotCyclingError
    from metalair.workflows.fitting import fit_file

    t = np.arange(0.0, 3600.0, 10.0)
    path = tmp_path / "hold.csv"
    path.write_text("time_s,voltage_V,current_A\n" + "".join(
        f"{a},{4.2},{-1e-3 * np.exp(-a / 600):.6g}\n" for a in t))
    with pytest.raises(NotCyclingError, match="potentiostatic hold"):
        fit_file(path, "NLRO", ["i0_form_NaO2"], mass_g=1e-3, out_dir=tmp_path / "out")
    assert not (tmp_path / "out" / "fit.json").exists()
