"""What a run tells its user: warnings of extrapolation (once per value) and a summary of every kind of protocol."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import metalair as ma
from metalair.cli.app import app
from metalair.models.lumped import VALIDATED_WINDOW


def _extrapolation(sol):
    return [w for w in sol.warnings if "outside 1.5-4.8 V" in w]


def test_limits_inside_the_validated_window_are_not_warned_of():
    assert VALIDATED_WINDOW == (1.5, 4.8)
    sol = ma.simulate("NLRO", "Discharge at 500 mA/g for 20 mAh/g or until 1.5 V; Charge at 500 mA/g for 20 mAh/g "
                              "or until 4.8 V")
    assert sol.ok and _extrapolation(sol) == []


def test_a_limit_in_mV_is_warned_of_with_the_value_in_V_it_probably_meant():
    sol = ma.simulate("NLRO", "(Discharge at 500 mA/g for 20 mAh/g or until 1.5 mV; Charge at 500 mA/g for "
                              "20 mAh/g or until 5.2 V) x 2")
    found = _extrapolation(sol)
    assert len(found) == 2, sol.warnings  # one per value, not per cycle
    assert "0.0015 V lies outside 1.5-4.8 V" in found[0] and "below it" in found[0]
    assert "(a limit in mV meant as 1.5 V?)" in found[0]
    assert "5.2 V lies outside" in found[1] and "above it" in found[1] and "meant as" not in found[1]


def test_holds_and_sweeps_are_checked_too_and_the_cli_prints_and_stores_the_warning(tmp_path):
    sol = ma.simulate("NLRO", "Hold at 5 V for 1 min; Sweep 1.0-4.5 V at 10 mV/s")
    assert [w.split(": ")[1].split(" lies")[0] for w in _extrapolation(sol)] == ["5 V", "1 V"]
    res = CliRunner().invoke(app, ["cycle", "-n", "2", "--v-min", "1.5 mV", "-o", str(tmp_path), "--no-progress",
                                   "--no-plot"])
    assert res.exit_code == 0, res.output
    assert "warning: 'Discharge at 500 mA/g for 500 mAh/g or until 0.0015 V': 0.0015 V lies outside" in res.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert any("meant as 1.5 V" in w for w in summary["warnings"])


def test_a_run_without_a_discharge_then_charge_prints_what_each_step_did(tmp_path):
    # printed only "status ok" and no number
    res = CliRunner().invoke(app, ["simulate", "-p", "Charge at 100 mA/g until 4.8 V; Rest for 10 min", "-o",
                                   str(tmp_path), "--no-progress", "--no-plot"])
    assert res.exit_code == 0, res.output
    lines = [ln.split() for ln in res.output.splitlines() if ln.strip().startswith("step ")]
    assert [ln[:3] for ln in lines] == [["step", "1", "charge"], ["step", "2", "rest"]]
    assert "ended at 4.800 V (voltage limit)" in res.output and "(duration)" in res.output


def test_a_ready_model_with_a_catalyst_or_environment_that_it_would_ignore_is_refused():
    # Simulation('RuO2', ..., model=LumpedAirElectrode('NLRO'), environment='dry air') ran NLRO in ambient air
    import pytest

    from metalair.errors import ParameterError
    from metalair.models.lumped import LumpedAirElectrode

    m = LumpedAirElectrode("NLRO")
    for kwargs, ignored in ((dict(catalyst="RuO2"), "catalyst would be ignored"),
                            (dict(environment="dry air"), "environment would be ignored")):
        with pytest.raises(ParameterError, match=ignored):
            ma.Simulation(protocol="Rest for 1 min", model=m, **kwargs)
    assert ma.Simulation("NLRO", "Rest for 1 min", model=m, environment="ambient air").model is m
    with pytest.raises(ParameterError, match="model must be a LumpedAirElectrode"):
        ma.Simulation("NLRO", "Rest for 1 min", model="NLRO")


def test_save_cycles_must_be_cycle_numbers():
    # save_cycles='10' kept cycles 1 and 0; [0] kept nothing
    import pytest

    from metalair.errors import ParameterError

    for bad, message in (("10", "must be a collection of cycle numbers"), (10, "must be a collection"),
                         ([0], "holds 0; cycle numbers are whole numbers from 1"), ([1.5], "holds 1.5")):
        with pytest.raises(ParameterError, match=message):
            ma.Simulation("NLRO", "Rest for 1 min", save_cycles=bad)
    sol = ma.simulate("NLRO", "(Discharge at 500 mA/g for 10 mAh/g; Charge at 500 mA/g for 10 mAh/g) x 3",
                      save_cycles=[2])
    assert set(sol["Cycle"][1:].tolist()) == {2}  # after the initial row (t = 0), only cycle 2


def test_a_simulation_asked_for_results_before_it_ran_says_to_run_it():
    import pytest

    sim = ma.Simulation("NLRO", "Rest for 1 min")
    with pytest.raises(AttributeError, match=r"a Simulation is the set-up; .* sol = sim\.run\(\); sol\.steps"):
        sim.steps  # noqa: B018
    with pytest.raises(TypeError, match=r"run it first: sol = sim\.run\(\); sol\['Voltage \[V\]'\]"):
        sim["Voltage [V]"]


def test_simulate_warns_when_the_run_did_not_finish():
    # the partial solution came back with status 'failed' and nothing said so; the README's "dis, ch = sol.steps"
    # then failed to unpack
    import pytest

    p = ma.DEFAULT_PARAMETERS.replace(electrolyte_conductivity=1e-6)
    with pytest.warns(RuntimeWarning, match=r"the simulation failed before the end of the protocol \(1 step ran\)"):
        sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 100 mAh/g", parameters=p)
    assert sol.status == "failed"


def test_a_run_away_from_room_temperature_warns_that_its_kinetics_are_extrapolation():
    """The exchange currents, O2 transport and electrolyte resistance have no activation energy (none was
    measured for this cell): at 50 °C only the thermodynamics and Tafel slopes move, and the run says so."""
    from metalair.chemistry.environment import Environment
    from metalair.models.lumped import VALIDATED_TEMPERATURE_K

    assert VALIDATED_TEMPERATURE_K == (293.15, 303.15)
    protocol = "Discharge at 100 mA/g for 50 mAh/g"
    at_25 = ma.simulate("NLRO", protocol, environment=Environment("dry 25", "25 °C", p_O2=2.095e4, p_CO2=42, p_H2O=0))
    at_50 = ma.simulate("NLRO", protocol, environment=Environment("dry 50", "50 °C", p_O2=2.095e4, p_CO2=42, p_H2O=0))
    assert not any("temperature" in w for w in at_25.warnings)
    found = [w for w in at_50.warnings if "temperature" in w]
    assert len(found) == 1 and "50 °C, lies outside 20-30 °C" in found[0]
    assert "carry no activation energy" in found[0]
    # what does follow T: the NaO2 equilibrium potential (its reaction entropy) lowers the voltage
    assert at_50.steps[0].mean_voltage_V < at_25.steps[0].mean_voltage_V - 0.03
