"""Bad input to the simulation commands and their Python functions: one clear error, nothing run."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import metalair as ma
from metalair.cli.app import app
from metalair.errors import ParameterError
from metalair.workflows.cycling import run_cycling
from metalair.workflows.outputs import OutputFolderError

runner = CliRunner()
_P = "Discharge at 100 mA/g for 10 mAh/g"


@pytest.mark.parametrize(("args", "message"), [
    (["--along", "100mA/g", "--capacities", ""], "--capacities is empty"),
    (["--along", "100mA/g", "--capacities", "500,abc"], "could not read 'abc'"),
    (["--along", "100mA/g", "--capacities", "500,-3"], "-3 mAh/g is not a positive capacity"),
    (["--along", "100mA/g", "--at", "Rest for 1 h"], "not both"),
    (["--fmax", "inf"], "--fmin/--fmax/--points"),
])
def test_impedance_refuses(tmp_path, args, message):
    res = runner.invoke(app, ["impedance", "--no-plot", "--out", str(tmp_path / "o"), *args])
    assert res.exit_code == 1 and message in res.output, res.output
    assert "RuntimeWarning" not in res.output and not (tmp_path / "o").exists()


def test_impedance_capacities_take_units(tmp_path):
    res = runner.invoke(app, ["impedance", "--no-plot", "--points", "5", "--out", str(tmp_path / "o"),
                              "--along", "100mA/g", "--capacities", "500mAh/g,1000"])
    assert res.exit_code == 0, res.output
    assert "500 mAh/g:" in res.output and "1000 mAh/g:" in res.output


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"eod_threshold_V": "2 V"}, ParameterError, "must be a number of volts"),
    ({"eod_threshold_V": -1.0}, ParameterError, "above 0 and below the charge limit 4.8 V"),
    ({"eod_threshold_V": 10.0}, ParameterError, "above 0 and below the charge limit 4.8 V"),
    ({"save_cycles": 5}, ParameterError, "must be a collection of cycle numbers"),
    ({"save_cycles": "2"}, ParameterError, "must be a collection of cycle numbers"),
    ({"save_cycles": [0, 2]}, ParameterError, "holds 0; cycle numbers are whole numbers from 1"),
    ({"save_cycles": [1.5]}, ParameterError, "holds 1.5"),  # was kept as cycle 1
    ({"save_cycles": [3, 5]}, ParameterError, "save_cycles holds 3, 5, but the run has 2 cycles"),
    ({"tolerance": 1.5}, ParameterError, r"\(0, 1\]"),
])
def test_run_cycling_refuses_before_running(kwargs, error, message):
    calls = []
    with pytest.raises(error, match=message):
        run_cycling("NLRO", "500 mA/g", "500 mAh/g", 2, progress=lambda *a: calls.append(a), **kwargs)
    assert not calls  # refused before the first step


def test_run_cycling_out_dir_that_is_a_file(tmp_path):
    afile = tmp_path / "afile.txt"
    afile.write_text("x")
    with pytest.raises(OutputFolderError, match="is a file, not a folder"):
        run_cycling("NLRO", "500 mA/g", "500 mAh/g", 2, out_dir=afile)


def test_cycle_cli_refuses_eod_threshold_outside_the_window(tmp_path):
    res = runner.invoke(app, ["cycle", "--cycles", "2", "--eod-threshold", "10", "--no-plot", "--no-progress",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "error: --eod-threshold 10.0 must be a voltage" in res.output, res.output


def test_simulate_refuses_unknown_keyword_and_bad_solver():
    with pytest.raises(ParameterError, match="unknown keyword 'enviroment'; did you mean 'environment'"):
        ma.simulate("NLRO", _P, enviroment="dry air")
    with pytest.raises(ParameterError, match="solver must be a SolverSettings"):
        ma.simulate("NLRO", _P, solver="foo")


@pytest.mark.parametrize(("args", "message"), [
    (["--at", ""], "--at is empty"),
    (["--v-max", "1.0V"], "--v-max 1 V lies below every --at voltage"),
    (["--at", "nan"], "nan is not a finite number of volts"),
    (["--at", "2.8,abc"], "could not read 'abc'"),
    (["--at", "2.8,5.2"], "5.2 V cannot be reached on a charge to --v-max 4.8 V"),
])
def test_stages_refuses(args, message):
    res = runner.invoke(app, ["stages", *args])
    assert res.exit_code == 1 and message in res.output, res.output


def test_stages_voltages_take_units():
    res = runner.invoke(app, ["stages", "--capacity", "200mAh/g", "--at", "2.8V,3800mV"])
    assert res.exit_code == 0, res.output


def test_voltage_options_take_bare_numbers_as_volts(tmp_path):
    res = runner.invoke(app, ["cycle", "--cycles", "2", "--v-min", "1.5", "--v-max", "4.8", "--no-plot",
                              "--no-progress", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["stages", "--capacity", "200mAh/g", "--v-max", "4.8"]).exit_code == 0


@pytest.mark.parametrize("args, message", [
    (["--current", "500"], "--current 500: give its unit, e.g. --current 500mA/g"),
    (["--capacity", "500"], "--capacity 500: give its unit, e.g. --capacity 500mAh/g"),
    (["--v-min", "4.8", "--v-max", "1.5"], "--v-min 4.8 V must be below --v-max 1.5 V"),
    (["--v-max", "9"], "--v-max 9 V is outside the allowed window"),
])
def test_cycle_errors_name_the_options_typed(tmp_path, args, message):
    """The command's messages name its options, not the library's keywords (current_A_per_kg=, v_min =)."""
    from typer.testing import CliRunner

    from metalair.cli.app import app

    res = CliRunner().invoke(app, ["cycle", "--cycles", "2", "--out", str(tmp_path / "o"), *args])
    assert res.exit_code == 1
    assert message in res.output
    assert "current_A_per_kg" not in res.output and "field 'until'" not in res.output


def test_library_keywords_in_messages_become_command_line_options():
    from metalair.cli._common import cli_text

    assert cli_text("capacities are absolute (mAh, mWh); pass mass_g for mAh/g").endswith(
        "pass --mass-mg (the catalyst mass in mg) for mAh/g")
    assert "pass --cycle-start discharge to pair" in cli_text("pass cycle_start='discharge' to pair")


def test_cycle_eod_threshold_takes_a_unit(tmp_path):
    """--eod-threshold reads like --v-min beside it: a bare number is in V, and a unit may be written."""
    import json

    for text, volts in (("2.1V", 2.1), ("2100mV", 2.1), ("1.9", 1.9)):
        out = tmp_path / text
        res = runner.invoke(app, ["cycle", "--cycles", "2", "--eod-threshold", text, "--no-plot", "--no-progress",
                                  "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert json.loads((out / "summary.json").read_text())["settings"]["eod_threshold_V"] == pytest.approx(volts)
    res = runner.invoke(app, ["cycle", "--eod-threshold", "abc", "--out", str(tmp_path / "x"), "--no-progress"])
    assert res.exit_code == 1 and "--eod-threshold 'abc'" in res.output and not (tmp_path / "x").exists()


@pytest.mark.parametrize("args, option", [
    (["stages", "--current", "200"], "--current 200: give its unit, e.g. --current 200mA/g"),
    (["stages", "--capacity", "1000"], "--capacity 1000: give its unit, e.g. --capacity 1000mAh/g"),
    (["impedance", "--along", "100"], "--along 100: give its unit, e.g. --along 100mA/g"),
])
def test_bare_currents_and_capacities_are_refused_with_the_option_name(tmp_path, args, option):
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "o")] if args[0] == "impedance" else args)
    assert res.exit_code == 1 and option in res.output, res.output
    assert "current_A_per_kg" not in res.output and "Traceback" not in res.output


def test_ensemble_takes_repeated_catalyst_options(tmp_path):
    """-c A -c B means both (as in validate), not only the last."""
    res = runner.invoke(app, ["ensemble", "cycle", "-c", "NOPE1", "-c", "NLRO", "-n", "2",
                              "--out", str(tmp_path / "e")])
    assert res.exit_code == 1 and "unknown catalyst 'NOPE1'" in res.output, res.output


def test_run_cycling_takes_save_cycles_as_a_function_as_simulation_does():
    res = run_cycling("NLRO", "500 mA/g", "500 mAh/g", 4, save_cycles=lambda c: c % 2 == 0)
    assert res.settings["saved_cycles"] == [2, 4]
    assert set(res.solution["Cycle"][1:].tolist()) == {2, 4}  # after the initial row (t = 0)


def test_run_cycling_takes_a_generic_save_cycles_list_on_a_shorter_run():
    # [1, 10, 100] on a 3-cycle run was refused by run_cycling and accepted by Simulation
    res = run_cycling("NLRO", "500 mA/g", "500 mAh/g", 3, save_cycles=[1, 10, 100], figure=False)
    assert res.settings["saved_cycles"] == [1]
