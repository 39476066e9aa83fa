"""Public functions refuse arguments of the wrong kind with a ParameterError that names them.

From an audit of the Python API: ``progress=5`` ended in "'int' object is not callable", a path given as
None in pathlib's TypeError, a folder as the file to write in IsADirectoryError, ``keys=[]`` wrote an
empty CSV, ``save_cycles=[2]`` on a one-cycle protocol kept nothing without a word,
``model_spectrum(cat, None)`` ran the reference protocol, and calibrate, the sweep engine and the unit
conversions took or choked on arguments of the wrong kind.
"""

from __future__ import annotations

import pytest

import metalair as ma
from metalair.errors import ParameterError
from metalair.workflows.outputs import OutputFolderError

SHORT = "Discharge at 500 mA/g for 10 mAh/g"


@pytest.fixture(scope="module")
def sol():
    return ma.simulate("NLRO", SHORT)


def test_callbacks_must_be_callable():
    from metalair.calibration.calibrate import calibrate
    from metalair.calibration.targets import builtin_targets
    from metalair.workflows.cycling import run_cycling

    for call in (lambda: ma.Simulation("NLRO", "Rest for 1 min").run(progress=5),
                 lambda: run_cycling("NLRO", cycles=2, progress=5, figure=False),
                 lambda: calibrate(builtin_targets()[:1], progress=5)):
        with pytest.raises(ParameterError, match=r"progress = 5 must be a function \(or None\), e.g. progress="):
            call()


def test_paths_must_be_paths_and_files_must_not_be_folders(sol, tmp_path):
    from metalair.catalysts import NLRO
    from metalair.catalysts.files import load_catalyst, save_catalyst
    from metalair.io.arbin import read_arbin_res
    from metalair.io.neware import read_neware
    from metalair.workflows.cycling import run_cycling

    for call in (lambda: sol.to_csv(None), lambda: save_catalyst(NLRO, None), lambda: load_catalyst(None),
                 lambda: read_neware(None), lambda: read_arbin_res(5)):
        with pytest.raises(ParameterError, match="must be a file path"):
            call()
    for call in (lambda: sol.to_csv(tmp_path), lambda: save_catalyst(NLRO, tmp_path)):
        with pytest.raises(ParameterError, match="is a folder; give the name of the file to write in it"):
            call()
    with pytest.raises(OutputFolderError, match="out_dir must be a folder path"):
        run_cycling("NLRO", cycles=2, out_dir=5)


@pytest.mark.parametrize(("keys", "message"), [
    (5, "keys = 5 must be a list of output names"),
    ([], "keys is empty"),
    ([1], "keys holds 1; output names are strings"),
])
def test_to_csv_keys_are_checked(sol, tmp_path, keys, message):
    with pytest.raises(ParameterError, match=message):
        sol.to_csv(tmp_path / "x.csv", keys=keys)
    assert not (tmp_path / "x.csv").exists()


def test_save_cycles_beyond_the_protocol_are_refused():
    with pytest.raises(ParameterError, match="save_cycles holds 2, 3, but the protocol runs 1 cycle: no time series"):
        ma.Simulation("NLRO", SHORT, save_cycles=[2, 3])
    two = f"({SHORT}; Charge at 500 mA/g for 10 mAh/g) x 2"
    assert set(ma.simulate("NLRO", two, save_cycles=[2, 10, 100])["Cycle"][1:].tolist()) == {2}  # generic list: fine


def test_model_spectrum_needs_the_state_it_is_taken_at():
    from metalair.workflows.impedance import model_spectrum

    with pytest.raises(ParameterError, match="at is None: give the protocol that brings the cell to the state"):
        model_spectrum("NLRO", None)


def test_screen_cycling_settings_refuse_a_negative_threshold():
    from metalair.sweeps.evaluate import CyclingSettings

    with pytest.raises(ParameterError, match="eod_threshold_V -1 must be a voltage above 0 and below the charge"):
        CyclingSettings(eod_threshold_V=-1)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"threshold": -1}, r"calibrate.threshold = -1 is out of range; allowed range \(1, inf\]"),
    ({"step_decades": 0}, r"calibrate.step_decades = 0 is out of range"),
    ({"workers": 0}, "workers must be >= 1"),
    ({"start_values": [{"nope": 1}]}, "start_values names 'nope', which is not calibrated here"),
    ({"start_values": [{"beta_fe": -1}]}, r"start_values.beta_fe = -1 is out of range"),
    ({"targets": 5}, "targets = 5 must be a list of Target"),
    ({"targets": [5]}, "targets holds 5 .int.; each must be a Target"),
    ({"base": 5}, "base = 5 must be a LumpedParameters"),
])
def test_calibrate_checks_its_arguments_before_running(kwargs, message):
    from metalair.calibration.calibrate import calibrate
    from metalair.calibration.targets import builtin_targets

    kwargs.setdefault("targets", builtin_targets()[:1])
    with pytest.raises(ParameterError, match=message):
        calibrate(parameters=["beta_fe"], progress=None, **kwargs)


def test_sweep_engine_checks_its_candidates(tmp_path):
    from metalair.sweeps.engine import run_sweep
    from metalair.sweeps.evaluate import evaluate_candidate

    with pytest.raises(ParameterError, match="candidates = 5 must be a list of candidates"):
        run_sweep(5, print, tmp_path / "a")
    with pytest.raises(ParameterError, match="candidates holds None .NoneType.; each candidate is a mapping"):
        run_sweep([None], print, tmp_path / "b")
    with pytest.raises(ParameterError, match="candidate = None must be a mapping"):
        evaluate_candidate(None)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_unit_conversions_refuse_none_and_text():
    from metalair.units import convert, from_user, to_user

    for call, message in ((lambda: convert(None, "V", "mV"), r"convert\(\) takes a number or an array, got None"),
                          (lambda: from_user("5", "V"),
                           r"got the text '5'; for text with its unit use parse_quantity\('5' \+ ' V'\)"),
                          (lambda: to_user(None, "V"), r"to_user\(\) takes a number or an array, got None")):
        with pytest.raises(ParameterError, match=message):
            call()


@pytest.mark.parametrize(("changes", "message"), [
    ({"descriptors": None}, "descriptors = None must be a dict"),
    ({"sources": None}, "sources = None must be a dict"),
    ({"host_couples": None}, "host_couples = None must be a tuple of HostCouple"),
    ({"host_couples": "abc"}, "host_couples = 'abc' must be a tuple of HostCouple"),  # failed later, in the model
    ({"switching": "no"}, "switching = 'no' must be True or False"),  # 'no' is truthy: it switched
])
def test_catalyst_fields_of_the_wrong_kind_are_refused(changes, message):
    import dataclasses

    from metalair.catalysts import NLRO

    with pytest.raises(ParameterError, match=message):
        dataclasses.replace(NLRO, **changes)


def test_state_d_band_names_an_unknown_product():
    from metalair.catalysts import NLRO

    with pytest.raises(ParameterError, match="unknown product 'NaO3'"):
        NLRO.state_d_band("NaO3")


def test_fit_model_and_cycle_summary_check_solver_cycles_and_progress(sol):
    from metalair.analysis.cycle_metrics import cycle_summary
    from metalair.analysis.fitting import fit_model
    from metalair.analysis.simulated import to_cycler_data

    data = to_cycler_data(ma.simulate("NLRO", f"{SHORT}; Charge at 500 mA/g for 10 mAh/g"))
    with pytest.raises(ParameterError, match=r"solver = 5 must be a SolverSettings"):  # every run failed, 'rmse 10 V'
        fit_model(data, "NLRO", ["i0_dec_NaO2"], mass_g=1.0, solver=5)
    with pytest.raises(ParameterError, match=r"cycles = 2.5 must be a cycle number or a list of them"):
        fit_model(data, "NLRO", ["i0_dec_NaO2"], mass_g=1.0, cycles=2.5)
    with pytest.raises(ParameterError, match="progress = 5 must be a function"):
        fit_model(data, "NLRO", ["i0_dec_NaO2"], mass_g=1.0, progress=5)
    with pytest.raises(ParameterError, match="progress = 5 must be a function"):
        cycle_summary(data, progress=5)


def test_an_oxidising_hold_counts_as_charge_in_the_simulated_cycler_record():
    # to_cycler_data gave every hold a positive (discharge) capacity: cycle_summary made a cycle 2 of
    # 689 mAh/g discharge at 2.5 V, where the written CSV read back gives charge
    from metalair.analysis.cycle_metrics import cycle_summary
    from metalair.analysis.simulated import to_cycler_data

    sol = ma.simulate("NLRO", "Discharge at 200 mA/g for 1000 mAh/g or until 1.5 V; Charge at 200 mA/g for 300 mAh/g "
                              "or until 4.8 V; Hold at 2.5 V for 1 h")
    hold = sol.steps[2].capacity_mAh_g
    table = cycle_summary(to_cycler_data(sol))
    assert list(table["Cycle"]) == [1]
    assert table["Charge capacity [mAh/g]"][0] == pytest.approx(300.0 + hold, rel=1e-6)  # as the run counted it
