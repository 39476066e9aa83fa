"""Cycle tables, efficiencies and dQ/dV of records whose answers are known exactly.

From an audit of ``metalair analyze`` / ``cycle_summary``: records built from constant-current steps, so that
every capacity is Q = I t and every energy Q V on a flat step. Found: ``coulombic_efficiency="auto"`` chose its
ratio from the record's first half-cycle, not from the cycles as numbered (a charge-first record numbered
discharge-first divided each discharge by the charge *after* it); ``dqdv`` / ``find_plateaus`` took a discharge
and a charge joined when the discharge spanned less than half the voltage range; a one-record file gave a cycle
"with no current" (0 mAh/g) although its current was 1 mA.
"""

from __future__ import annotations

import numpy as np
import pytest

from metalair.analysis.cycle_metrics import cycle_summary, half_cycles
from metalair.analysis.incremental_capacity import dqdv, find_plateaus
from metalair.errors import ParameterError
from metalair.tables.cycler import CyclerData

MA = 1e-3  # A


def _steps(*steps: tuple[str, float, float, float], dt: float = 10.0) -> CyclerData:
    """Constant-current steps ``(kind, current [A], duration [s], voltage [V])``, recorded every ``dt`` from the
    step's start to its end (the boundary time appears in both steps, as cyclers write it). One cycle number:
    the analysis numbers the cycles."""
    t, v, i, step, kind = [], [], [], [], []
    start = 0.0
    for n, (name, current, duration, volts) in enumerate(steps, start=1):
        times = start + np.arange(0.0, duration + dt / 2, dt)
        t.append(times)
        v.append(np.full(times.size, volts))
        i.append(np.full(times.size, current))
        step.append(np.full(times.size, n))
        kind += [name] * times.size
        start += duration
    return CyclerData(time_s=np.concatenate(t), voltage_V=np.concatenate(v), current_A=np.concatenate(i),
                      step=np.concatenate(step), cycle=np.ones(len(kind), dtype=int), step_type=np.array(kind))


def _li_ion() -> CyclerData:
    """Charge first (the Li-ion order): C 1.0 mAh at 4.0 V, D 0.8333 mAh at 3.0 V, C 0.9444 mAh at 4.1 V,
    D 0.7778 mAh at 2.9 V, each followed by a rest."""
    return _steps(("charge", -MA, 3600, 4.0), ("rest", 0.0, 600, 3.5), ("discharge", MA, 3000, 3.0),
                  ("rest", 0.0, 600, 3.2), ("charge", -MA, 3400, 4.1), ("rest", 0.0, 600, 3.5),
                  ("discharge", MA, 2800, 2.9))


def _row(table, cycle):
    return next(r for r in table.rows() if r["Cycle"] == cycle)


def test_charge_first_record_capacities_energies_and_efficiency_are_exact():
    table = cycle_summary(_li_ion(), coulombic_efficiency="auto")  # cycles start with the charge, as the record
    assert list(table["Cycle"]) == [1, 2]
    assert table["Discharge capacity [mAh]"] == pytest.approx([3000 / 3600, 2800 / 3600], rel=1e-12)
    assert table["Charge capacity [mAh]"] == pytest.approx([1.0, 3400 / 3600], rel=1e-12)
    # each discharge over the charge before it (the cell's own cycle)
    assert table["Coulombic efficiency [%]"] == pytest.approx([100 * 3000 / 3600, 100 * 2800 / 3400], rel=1e-12)
    assert table["Discharge energy [mWh]"] == pytest.approx([3.0 * 3000 / 3600, 2.9 * 2800 / 3600], rel=1e-12)
    assert table["Charge energy [mWh]"] == pytest.approx([4.0, 4.1 * 3400 / 3600], rel=1e-12)
    assert table["Mean discharge voltage [V]"] == pytest.approx([3.0, 2.9], rel=1e-12)
    assert table["Mean charge voltage [V]"] == pytest.approx([4.0, 4.1], rel=1e-12)
    assert np.isnan(table["Energy efficiency [%]"]).all()  # the halves moved different charges


def test_auto_efficiency_follows_the_cycles_as_numbered_not_the_records_first_half():
    """cycle_start='discharge' pairs each discharge with the charge after it: 'auto' divides that charge by that
    discharge (it divided the discharge by the charge that came after it: 88.2 % instead of 113.3 %)."""
    table = cycle_summary(_li_ion(), cycle_start="discharge", coulombic_efficiency="auto")
    row = _row(table, 2)  # discharge 1 (3000 s) and the charge after it (3400 s)
    assert row["Discharge capacity [mAh]"] == pytest.approx(3000 / 3600, rel=1e-12)
    assert row["Charge capacity [mAh]"] == pytest.approx(3400 / 3600, rel=1e-12)
    assert row["Coulombic efficiency [%]"] == pytest.approx(100 * 3400 / 3000, rel=1e-12)
    assert table.coulombic_efficiency == "charge/discharge"
    assert any("the cycles open with a discharge (though the record starts with a charge)" in n
               for n in table.notes)
    # and the mirror: a discharge-first record numbered charge-first divides each discharge by the charge before it
    na_air = _steps(("discharge", MA, 3600, 2.2), ("charge", -MA, 3000, 3.5), ("discharge", MA, 3300, 2.2),
                    ("charge", -MA, 3600, 3.5))
    mirrored = cycle_summary(na_air, cycle_start="charge", coulombic_efficiency="auto")
    assert _row(mirrored, 2)["Coulombic efficiency [%]"] == pytest.approx(100 * 3300 / 3000, rel=1e-12)
    assert mirrored.coulombic_efficiency == "discharge/charge"


def test_discharge_first_record_with_split_steps_and_a_cv_hold_is_exact():
    """A discharge in two steps (1 mA then 0.5 mA, a rest between) and a CC charge followed by a CV hold whose
    current decays exponentially: capacities, energies, mean voltages and energy efficiency against Q = I t."""
    tau, hold = 720.0, 20000.0
    record = _steps(("discharge", MA, 1800, 2.2), ("rest", 0.0, 300, 2.5), ("discharge", MA / 2, 3600, 2.0),
                    ("charge", -MA, 2880, 3.5))
    t_hold = record.time_s[-1] + np.arange(0.0, hold + 1.0, 1.0)
    i_hold = -MA * np.exp(-(t_hold - t_hold[0]) / tau)
    data = CyclerData(time_s=np.r_[record.time_s, t_hold], voltage_V=np.r_[record.voltage_V, np.full(t_hold.size, 4.0)],
                      current_A=np.r_[record.current_A, i_hold], step=np.r_[record.step, np.full(t_hold.size, 5)],
                      cycle=np.ones(len(record) + t_hold.size, dtype=int),
                      step_type=np.r_[record.step_type, np.full(t_hold.size, "hold")])
    q_hold = MA * tau * (1 - np.exp(-hold / tau)) / 3.6  # mAh
    row = cycle_summary(data).rows()[0]
    assert row["Discharge capacity [mAh]"] == pytest.approx(1.0, rel=1e-12)
    assert row["Discharge energy [mWh]"] == pytest.approx(0.5 * 2.2 + 0.5 * 2.0, rel=1e-12)
    assert row["Mean discharge voltage [V]"] == pytest.approx(2.1, rel=1e-12)
    assert row["Charge capacity [mAh]"] == pytest.approx(0.8 + q_hold, rel=1e-5)
    assert row["Charge energy [mWh]"] == pytest.approx(0.8 * 3.5 + 4.0 * q_hold, rel=1e-5)
    assert row["Energy efficiency [%]"] == pytest.approx(100 * 2.1 / (0.8 * 3.5 + 4.0 * q_hold), rel=1e-5)
    assert row["End-of-charge voltage [V]"] == 4.0
    halves = half_cycles(data)
    assert [h.kind for h in halves] == ["discharge", "charge"]
    assert halves[0].capacity_Ah[-1] == pytest.approx(1e-3, rel=1e-12)


def _two_plateaus(points: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """A charge with 0.6 mAh on a plateau at 2.5 V and 0.4 mAh at 3.5 V (Q(V): two logistic steps 15 mV wide,
    so dQ/dV has two peaks at exactly 2.5 and 3.5 V), sampled at constant current (uniform in Q)."""
    volts = np.linspace(2.3, 3.7, 4000)
    charge = 0.6 / (1 + np.exp(-(volts - 2.5) / 0.015)) + 0.4 / (1 + np.exp(-(volts - 3.5) / 0.015))
    q = np.linspace(charge[0], charge[-1], points)
    return np.interp(q, charge, volts), q - q[0]


def test_plateaus_of_a_known_curve_are_where_and_as_large_as_built():
    v, q = _two_plateaus()
    found = find_plateaus(v, q)
    assert [p.voltage_V for p in found] == pytest.approx([2.5, 3.5], abs=2e-3)
    assert [p.capacity_share for p in found] == pytest.approx([0.6, 0.4], abs=5e-3)
    noisy = find_plateaus(v + 0.003 * np.random.default_rng(1).standard_normal(v.size), q)
    assert [p.voltage_V for p in noisy] == pytest.approx([2.5, 3.5], abs=1e-2)
    assert dqdv(v, q).raw.sum() * dqdv(v, q).grid_step_V == pytest.approx(q[-1], rel=1e-9)


def test_a_discharge_joined_to_a_longer_charge_is_refused():
    """2.3 -> 1.8 V discharge, then 1.8 -> 4.2 V charge, with the charge passed counted on: the fall is 21 % of
    the range (under the 50 % the range rule allows) but half the charge passes along it. find_plateaus gave
    'plateaus' at 1.83 and 2.27 V."""
    v = np.r_[np.linspace(2.3, 1.8, 100), np.linspace(1.8, 4.2, 100)]
    q = np.linspace(0.0, 2.0, 200)
    for call in (dqdv, find_plateaus):
        with pytest.raises(ParameterError, match=r"the voltage runs both ways \(it falls by 0\.5 V against its trend "
                                                 r"over records 1-91.* while 45 % of the charge passes"):
            call(v, q)
    # a nucleation dip at the start of a discharge and a hump at the start of a charge are one half-cycle
    q = np.linspace(0.0, 1.0, 500)
    assert len(find_plateaus(np.interp(q, [0, 0.02, 0.06, 0.9, 1.0], [2.3, 2.05, 2.2, 2.15, 1.8]), q)) == 1
    assert len(find_plateaus(np.interp(q, [0, 0.05, 0.15, 0.7, 1.0], [2.3, 2.7, 2.5, 2.55, 4.2]), q)) == 1


def test_a_single_record_is_refused_not_reported_as_a_rest():
    one = CyclerData(time_s=[0.0], voltage_V=[2.5], current_A=[MA], step=[1], cycle=[1], step_type=["discharge"])
    with pytest.raises(ParameterError, match=r"the data hold one record \(2\.5 V, 0\.001 A at 0 s\).*at least two"):
        cycle_summary(one)


def test_analyze_says_the_reader_counted_the_cycles_of_a_file_without_cycle_numbers(tmp_path):
    from metalair.workflows.analyze import analyze_file

    data = _li_ion()
    path = tmp_path / "cell.csv"
    path.write_text("time_s,voltage_V,current_A\n" + "".join(
        f"{t},{v},{i}\n" for t, v, i in zip(data.time_s, data.voltage_V, data.current_A)))
    result = analyze_file(path, 0.5e-3, figures=False)
    assert any(n.startswith("cell.csv: ") and "2 cycles; the file has no cycle numbers, so each cycle starts "
               "with a charge" in n for n in result.notes)
    assert not any("file's numbering" in n for n in result.notes)
    assert result.table["Charge capacity [mAh/g]"] == pytest.approx([2000.0, 2000.0 * 3400 / 3600], rel=1e-9)


def test_a_reversed_current_sign_is_flagged_by_the_charge_running_below_the_discharge():
    """A record whose charge current is stored positive (read as the discharge): the table gave an energy
    efficiency of 159 % with an empty Warnings column. A cell that returns to its start needs at least the energy
    it gave, so its mean charge voltage lies above its mean discharge voltage; below it, the sign is suspect."""
    right = cycle_summary(_steps(("discharge", MA, 3600, 2.2), ("charge", -MA, 3600, 3.5)))
    assert right["Warnings"][0] == ""
    flipped = cycle_summary(_steps(("discharge", MA, 3600, 3.5), ("charge", -MA, 3600, 2.2)))
    assert flipped["Warnings"][0].startswith("mean charge voltage 2.2 V below the mean discharge voltage 3.5 V: "
                                             "is the current's sign reversed")


@pytest.mark.parametrize("dip_V", [0.08, 0.11, 0.13, 0.15])
def test_a_nucleation_dip_before_a_flat_noisy_plateau_is_one_half_cycle(dip_V):
    """The retrace was measured to the highest point of the whole plateau, which noise on a flat plateau puts
    anywhere: a 110-150 mV dip with 1 mV noise was refused (57-79 % of the charge 'against the trend'). It now
    ends where the recovery first reaches 90 % of its size."""
    rng = np.random.default_rng(0)
    q = np.linspace(0.0, 1000.0, 1001)
    v = np.where(q < 5, 2.6 - (2.6 - (2.2 - dip_V)) * q / 5,
                 np.where(q < 20, 2.2 - dip_V + dip_V * (q - 5) / 15, 2.20)) + rng.normal(0.0, 0.001, q.size)
    v[q > 950] = 2.20 - (q[q > 950] - 950) * 0.008
    assert len(find_plateaus(v, q)) == 1
