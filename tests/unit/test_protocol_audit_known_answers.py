"""Protocol audit: protocol steps against answers known without the model.

Limits end where they are set (a capacity is current x time, a duration is the clock, a voltage limit is
met to the solver's event tolerance); the step summaries are the integrals of the time series they sit
beside; the deposits hold the sodium, carbon and oxygen the charge and the gas brought (atom balances, not
the model's own bookkeeping); a sweep runs at the rate asked between the vertices asked; the text form
and the step objects run the same simulation; a long run's per-cycle table is its step summaries.
"""

from __future__ import annotations

import numpy as np
import pytest

import metalair as ma
from metalair import Charge, Discharge, Hold, Rest
from metalair.constants import F
from metalair.errors import ProtocolError
from metalair.protocols.steps import Cycle, Sweep
from metalair.solvers.integrate import SolverSettings
from metalair.units import from_user, to_user

TOL_V = SolverSettings().event_tolerance


@pytest.fixture(scope="module")
def galvanostatic():
    return ma.simulate("NLRO", "Discharge at 500 mA/g until 1.5 V; Charge at 500 mA/g for 500 mAh/g or until 4.8 V; "
                               "Discharge at 100 mA/g for 2 h; Charge at 100 mA/g for 1000 mAh/g or for 2 h or until "
                               "4.8 V")


def test_each_limit_ends_its_step_where_it_is_set(galvanostatic):
    v_lim, cap, dur, dur2 = galvanostatic.steps
    assert v_lim.end_reason == "voltage limit" and abs(v_lim.end_voltage_V - 1.5) <= TOL_V
    assert cap.end_reason == "capacity limit" and cap.capacity_mAh_g == pytest.approx(500.0, rel=1e-9)
    assert cap.end_time_s - cap.start_time_s == pytest.approx(3600.0, rel=1e-9)       # 500 mAh/g at 500 mA/g
    assert dur.end_reason == "duration" and dur.end_time_s - dur.start_time_s == pytest.approx(7200.0, rel=1e-12)
    assert dur.capacity_mAh_g == pytest.approx(200.0, rel=1e-9)
    # three limits: 2 h at 100 mA/g (200 mAh/g) comes before 1000 mAh/g and (here) before 4.8 V
    assert dur2.end_reason == "duration" and dur2.capacity_mAh_g == pytest.approx(200.0, rel=1e-9)


def test_step_summaries_are_the_integrals_of_their_series(galvanostatic):
    sol = galvanostatic
    for s in sol.steps:
        d = sol.step_data(s.index)
        t = np.concatenate(([s.start_time_s], d["Time [s]"]))
        current, volts = d["Current [mA/g]"], d["Voltage [V]"]
        # the solver's rule (the current at each time step's end, the voltage averaged over the time step, the
        # first from the row before the step) reproduces the summary ...
        before = sol["Voltage [V]"][np.flatnonzero(sol["Step"] == s.index)[0] - 1]
        v_pairs = np.concatenate(([before], volts))
        q = float(np.sum(np.abs(current) * np.diff(t))) / 3600.0
        e = float(np.sum(np.abs(current) * 0.5 * (v_pairs[1:] + v_pairs[:-1]) * np.diff(t))) / 3600.0
        assert s.capacity_mAh_g == pytest.approx(q, rel=1e-9)
        assert s.energy_Wh_kg == pytest.approx(e, rel=1e-6)
        # ... and the trapezoid rule on the stored rows to its own accuracy
        trap = float(np.sum(0.5 * (np.abs(current[1:]) + np.abs(current[:-1])) * np.diff(d["Time [s]"]))) / 3600
        assert s.capacity_mAh_g == pytest.approx(trap, rel=1e-4)
        assert s.mean_voltage_V == pytest.approx(s.energy_Wh_kg / s.capacity_mAh_g, rel=1e-12)
        assert d["Capacity [mAh/g]"][-1] == pytest.approx(s.capacity_mAh_g, rel=1e-12)
        assert s.end_voltage_V == volts[-1]
        # the charge by reaction (anodic positive) adds up to the step's capacity, with the step's sign
        sign = -1.0 if s.kind == "discharge" else 1.0
        assert sign * sum(s.charge_by_reaction_mAh_g.values()) == pytest.approx(s.capacity_mAh_g, rel=1e-9)


def test_the_deposits_hold_the_sodium_carbon_and_oxygen_brought_to_them():
    """Atom balances of a first discharge in ambient air, independent of the model's process bookkeeping.

    Sodium: every electron of a product channel brought one Na+ (NaO2: 1 Na, Na2O2 and Na2CO3: 2).
    Carbon: all CO2 taken up sits in Na2CO3. Oxygen: 2 O per O2 and per CO2 taken up (the hydrate's water
    carries its own O in and out) = 2 per NaO2, 2 per Na2O2, 3 per Na2CO3.
    """
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 3000 mAh/g")
    (dis,) = sol.steps
    p = dis.products_end_mol_g
    faradaic = -(dis.charge_by_reaction_mAh_g["NaO2"] + dis.charge_by_reaction_mAh_g["Na2O2"])  # mAh/g
    sodium = float(to_user(from_user(faradaic, "mAh/g") / F, "mol/g"))  # one Na+ per electron
    assert p["NaO2"] + 2 * p["Na2O2"] + 2 * p["Na2CO3"] == pytest.approx(sodium, rel=1e-6)
    o2, co2 = sol["O2 uptake [mol/g]"][-1], sol["CO2 uptake [mol/g]"][-1]
    assert co2 > 0 and co2 == pytest.approx(p["Na2CO3"], rel=1e-9)
    assert 2 * o2 + 2 * co2 == pytest.approx(2 * p["NaO2"] + 2 * p["Na2O2"] + 3 * p["Na2CO3"], rel=1e-9)
    # the uptake is the integral of the rate it is reported with
    t = np.concatenate(([0.0], sol["Time [s]"][1:]))
    rate = sol["O2 consumption rate [mol/s/g]"][1:]
    assert float(np.sum(rate * np.diff(t))) == pytest.approx(o2, rel=1e-9)


def test_a_hold_keeps_its_voltage_and_ends_on_its_current_or_its_time():
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 1000 mAh/g; Charge at 100 mA/g until 2.6 V; "
                              "Hold at 2.6 V until 10 mA/g; Hold at 2.5 V for 1 h")
    _d, _c, by_current, by_time = sol.steps
    first, second = sol.step_data(3), sol.step_data(4)
    assert np.max(np.abs(first["Voltage [V]"] - 2.6)) < 1e-6 and np.max(np.abs(second["Voltage [V]"] - 2.5)) < 1e-6
    assert by_current.end_reason == "current limit"
    current = np.abs(first["Current [mA/g]"])
    assert current[0] > 10.0 and np.all(np.diff(current) < 0)            # decays ...
    assert current[-1] <= 10.0 and current[-1] == pytest.approx(10.0, abs=1e-4)  # ... to the limit
    assert by_time.end_reason == "duration"
    assert by_time.end_time_s - by_time.start_time_s == pytest.approx(3600.0, rel=1e-12)
    # from 2.6 V down to 2.5 V the double layer discharges: the cell current is first positive (discharge)
    assert second["Current [mA/g]"][0] > 0


@pytest.mark.parametrize(("text", "path_V", "turns"), [
    # from the rest potential (2.227 V) down to 1.5, up to 4.5, twice, and back: 0.727 + 3 + 3 + 3 + 2.273 V
    ("Sweep 1.5-4.5 V at 0.1 mV/s for 2 cycles", None, [1.5, 4.5, 1.5, 4.5]),
    ("CV from 2.0 V to 4.5 V at 1 mV/s, first up, starting at 3.0 V x 3", 1.5 + 5 * 2.5 + 1.0,
     [4.5, 2.0, 4.5, 2.0, 4.5, 2.0]),
])
def test_a_sweep_runs_at_its_rate_between_its_vertices(text, path_V, turns):
    sol = ma.simulate("NLRO", text)
    (sweep,) = sol.steps
    step = ma.parse_protocol(text).steps[0]
    d = sol.step_data(1)
    t, v = d["Time [s]"], d["Voltage [V]"]
    rate = np.abs(np.diff(v) / np.diff(t))
    assert np.median(rate) == pytest.approx(step.scan_rate, rel=1e-6)
    assert np.all(np.abs(rate / step.scan_rate - 1) < 0.03)
    slope = np.sign(np.diff(v))
    vertices = v[1:][np.flatnonzero(np.diff(slope) != 0)]
    np.testing.assert_allclose(vertices, turns, atol=1e-6)
    start = v[0] if step.start is None else step.start
    path = path_V if path_V is not None else (start - 1.5) + 3 * 3.0 + (4.5 - start)
    assert sweep.end_time_s - sweep.start_time_s == pytest.approx(path / step.scan_rate, rel=1e-6)
    # the cell convention (docs/conventions.md): current positive on discharge, so cathodic at the low vertex
    assert d["Current [mA/g]"][np.argmin(v)] > 0 and d["Current [mA/g]"][np.argmax(v)] < 0


def test_a_limit_passed_before_the_step_is_refused_first_and_said_later():
    with pytest.raises(ProtocolError, match=r"rests at 2\.2\d\d V, already above 2 V"):
        ma.simulate("NLRO", "Charge at 100 mA/g until 2.0 V")
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 1000 mAh/g; Charge at 100 mA/g until 2.0 V")
    assert sol.steps[1].capacity_mAh_g < 1e-6
    assert any("past its limit 2 V, so the step ended at once" in w for w in sol.warnings)


def test_the_text_and_the_step_objects_run_the_same_simulation():
    text = ("Discharge at 500 mA/g for 500 mAh/g or until 1.5 V; Rest for 30 min; Charge at 500 mA/g until 4.8 V; "
            "Hold at 4.5 V until 10 mA/g or 1 h; (Discharge at 200 mA/g for 1 h; Charge at 200 mA/g for 1 h) x 2; "
            "Sweep 2-4.8 V at 1 mV/s")
    objects = [Discharge("500 mA/g", capacity="500 mAh/g", until=1.5), Rest("30 min"), Charge("500 mA/g", until=4.8),
               Hold(4.5, until_current="10 mA/g", duration="1 h"),
               Cycle([Discharge("200 mA/g", duration="1 h"), Charge("200 mA/g", duration="1 h")], repeat=2),
               Sweep("1 mV/s", lower=2, upper=4.8)]
    a, b = ma.simulate("RuO2", text), ma.simulate("RuO2", objects)
    assert a.ok and b.ok and [s.cycle for s in a.steps] == [1, 1, 1, 1, 2, 2, 3, 3, 3]
    for key in ("Time [s]", "Voltage [V]", "Current [mA/g]", "O2 uptake [mol/g]"):
        np.testing.assert_array_equal(a[key], b[key])


def test_a_long_run_keeps_the_series_it_was_asked_for_and_its_table_is_its_step_summaries():
    from metalair.workflows.cycling import run_cycling

    res = run_cycling("RuO2", current="500 mA/g", capacity="500 mAh/g", cycles=60, save_cycles=[1, 30, 60],
                      figure=False)
    sol, table = res.solution, res.table
    assert sorted(set(sol["Cycle"].tolist())) == [1, 30, 60] and len(sol.steps) == 120
    for c in (1, 30, 60):
        dis, ch = (s for s in sol.steps if s.cycle == c)
        assert table["Discharge capacity [mAh/g]"][c - 1] == dis.capacity_mAh_g
        assert table["Charge capacity [mAh/g]"][c - 1] == ch.capacity_mAh_g
        assert table["End-of-charge voltage [V]"][c - 1] == ch.end_voltage_V
        assert table["Mean discharge voltage [V]"][c - 1] == pytest.approx(dis.mean_voltage_V, rel=1e-12)
        assert sol.step_data(dis.index)["Capacity [mAh/g]"][-1] == dis.capacity_mAh_g
    with pytest.raises(ma.ParameterError, match="its cycle was not in save_cycles"):
        sol.step_data(3)


def test_a_charge_that_ends_at_once_is_summarised_not_a_dqdv_error(tmp_path):
    """'Charge ... until 2.0 V' from 2.22 V ends at once (a warning says so); `metalair simulate` then died with
    'dQ/dV needs at least 5 points of one half-cycle, got 1' and wrote nothing, though no dQ/dV was asked for."""
    import json

    from typer.testing import CliRunner

    from metalair.cli.app import app

    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["simulate", "-p", "Discharge at 100 mA/g for 500 mAh/g; Charge at 100 mA/g until "
                                   "2.0 V", "--out", str(out), "--no-plot", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "past its limit" in res.output
    summary = json.loads((out / "NLRO_summary.json").read_text())
    assert summary["charge_plateaus"] == []


def test_a_label_the_text_form_cannot_carry_keeps_the_steps_text_in_the_summary():
    """A label with ':' (or not text) made the step's description the bare type name ('Discharge')."""
    import metalair as ma
    from metalair import Charge, Discharge

    sol = ma.Simulation("NLRO", [Discharge("100 mA/g", capacity="100 mAh/g", label="a:b"),
                                 Charge("100 mA/g", capacity="100 mAh/g", label=3)]).run()
    assert [s.description for s in sol.steps] == ["a:b: Discharge at 100 mA/g for 100 mAh/g",
                                                 "3: Charge at 100 mA/g for 100 mAh/g"]


def test_a_tiny_charge_is_printed_with_its_digits_not_as_zero():
    """A charge of a fraction of a mAh/g printed as 'charge capacity 0 mAh/g' with an empty 'charge by reaction'."""
    from metalair.analysis.summary import format_summary

    text = format_summary({"catalyst": "NLRO", "environment": "ambient air", "status": "ok",
                           "discharge_capacity_mAh_g": 500.0, "charge_capacity_mAh_g": 0.139,
                           "charge_by_reaction_mAh_g": {"NaO2": 0.1, "Host": 0.035, "Double layer": 0.004}})
    assert "charge capacity                    0.139 mAh/g" in text
    assert "charge by reaction [mAh/g]         NaO2 0.1, Host 0.035, Double layer 0.004" in text
    assert "discharge capacity                 500 mAh/g" in text
