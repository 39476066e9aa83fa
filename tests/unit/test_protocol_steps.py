"""Impossible protocol steps are refused; limits that are already passed end a step at once.

House style: "Protocol steps are objects first, text second"; "Errors ...
ProtocolError(ValueError) ... The message says what was wrong and how to fix
it". The window of allowed potentials is (0, 6) V vs Na+/Na
(``metalair.protocols.steps.V_ABS_MIN/MAX``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import metalair as ma
from metalair.errors import ProtocolError
from metalair.protocols.steps import Charge, Cycle, Discharge, Hold, Protocol, Rest, Sweep, flatten

# ------------------------------------------------------------ refused steps


@pytest.mark.parametrize("cls", [Discharge, Charge])
def test_galvanostatic_step_without_end_refused(cls):
    with pytest.raises(ProtocolError) as info:
        cls(current_A_per_kg=100.0)
    msg = str(info.value)
    assert "no end" in msg and "until" in msg  # says how to fix it, with an example


@pytest.mark.parametrize("cls", [Discharge, Charge])
@pytest.mark.parametrize("current", [0.0, -100.0, "-100 mA/g", "0 mA/g", 2e5, math.nan, math.inf])
def test_non_positive_or_absurd_current_refused(cls, current):
    with pytest.raises(ProtocolError, match="current"):
        cls(current=current, until=2.0)


@pytest.mark.parametrize("cls", [Discharge, Charge])
@pytest.mark.parametrize("until", [6.0, 7.5, "6 V", 0.0, -1.0, "0 V", math.nan])
def test_voltage_limit_outside_window_refused(cls, until):
    with pytest.raises(ProtocolError, match="until"):
        cls(current_A_per_kg=100.0, until=until)


@pytest.mark.parametrize("capacity", ["0 C/kg", "-3600 C/kg", "0 mAh/g", "-5 mAh/g"])
def test_zero_or_negative_capacity_refused(capacity):
    with pytest.raises(ProtocolError, match="capacity"):
        Discharge(current_A_per_kg=100.0, capacity=capacity)


@pytest.mark.parametrize("duration", ["0 s", "-1 s", "0 h"])
def test_zero_duration_refused(duration):
    with pytest.raises(ProtocolError, match="duration"):
        Discharge(current_A_per_kg=100.0, duration=duration)
    with pytest.raises(ProtocolError, match="duration"):
        Rest(duration=duration)


def test_wrong_unit_refused():
    with pytest.raises(ProtocolError, match="current"):
        Discharge(current="100 mAh/g", until=1.5)  # a capacity where a current belongs
    with pytest.raises(ProtocolError, match="until"):
        Discharge(current_A_per_kg=100.0, until="1.5 mA/g")


def test_rest_without_duration_refused():
    with pytest.raises(ProtocolError, match="duration"):
        Rest(duration=None)


def test_hold_without_end_refused():
    with pytest.raises(ProtocolError) as info:
        Hold(voltage=4.5)
    assert "no end" in str(info.value)


@pytest.mark.parametrize("voltage", [0.0, 6.0, -2.0])
def test_hold_outside_window_refused(voltage):
    with pytest.raises(ProtocolError, match="voltage"):
        Hold(voltage=voltage, duration_s=60.0)


@pytest.mark.parametrize("lower,upper", [(4.0, 2.0), (3.0, 3.0)])
def test_sweep_lower_not_below_upper_refused(lower, upper):
    with pytest.raises(ProtocolError) as info:
        Sweep(scan_rate="1 mV/s", lower=lower, upper=upper)
    assert "lower" in str(info.value) and "upper" in str(info.value)


@pytest.mark.parametrize("changes,word", [
    ({"scan_rate": "0 V/s"}, "scan_rate"),
    ({"scan_rate": "11 V/s"}, "scan_rate"),
    ({"cycles": 0}, "cycles"),
    ({"cycles": 1.5}, "cycles"),
    ({"cycles": True}, "cycles"),
    ({"first": "sideways"}, "first"),
    ({"upper": 6.5}, "upper"),
])
def test_sweep_bad_fields_refused(changes, word):
    kw = {"scan_rate": "1 mV/s", "lower": 2.0, "upper": 4.0, **changes}
    with pytest.raises(ProtocolError, match=word):
        Sweep(**kw)


@pytest.mark.parametrize("repeat", [0, -1, 1.5, True, "2"])
def test_cycle_bad_repeat_refused(repeat):
    with pytest.raises(ProtocolError, match="repeat"):
        Cycle([Rest("60.0 s")], repeat=repeat)


def test_cycle_and_protocol_need_steps():
    with pytest.raises(ProtocolError):
        Cycle([], repeat=2)
    with pytest.raises(ProtocolError, match="at least one step"):
        Protocol([])
    with pytest.raises(ProtocolError, match="not a protocol step"):
        Protocol(["Discharge at 100 mA/g until 1.5 V"])  # text must go through the parser
    with pytest.raises(ProtocolError, match="not a protocol step"):
        Cycle([Rest("60.0 s"), 42])


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        Discharge(current_A_per_kg=-1.0, until=1.5)


def test_units_converted_to_si():
    d = Discharge(current="100 mA/g", until="1.5 V", capacity="500 mAh/g", duration="2 h")
    assert (d.current, d.until, d.capacity, d.duration) == (100.0, 1.5, 1.8e6, 7200.0)


def test_flatten_counts_cycles():
    prot = Protocol([Rest("60.0 s"), Cycle([Rest("1.0 s"), Rest("2.0 s")], repeat=3), Rest("5.0 s")])
    pairs = list(flatten(prot.steps))
    assert [c for c, _ in pairs] == [1, 1, 1, 2, 2, 3, 3, 3]  # a closing rest belongs to the last cycle
    assert prot.n_cycles == 3 == max(c for c, _ in pairs)


def test_flatten_steps_after_the_last_cycle():
    """A rest after the cycles joins the last one; a discharge after them is a cycle of its own, and
    a rest after that discharge joins it; a rest before a cycle joins that cycle."""
    d, c, r = Discharge("100 mA/g", until="1.5 V"), Charge("100 mA/g", until="4.2 V"), Rest("1 h")
    for steps, cycles in (([Cycle([d, c], repeat=2), r, r], [1, 1, 2, 2, 2, 2]),
                          ([Cycle([d, c], repeat=2), d, r], [1, 1, 2, 2, 3, 3]),
                          ([r, Cycle([d, c], repeat=2), r, Cycle([d, c], repeat=1), r], [1, 1, 1, 2, 2, 3, 3, 3, 3]),
                          ([d, r, c, r], [1, 1, 1, 1])):
        prot = Protocol(steps)
        assert [k for k, _ in flatten(prot.steps)] == cycles
        assert prot.n_cycles == max(cycles)


# ------------------------------------------------ limits already passed


@pytest.mark.parametrize("protocol,meant", [
    # a fresh cell rests at ~2.23 V: a charge "until 2.0 V" could only end at once
    ("Charge at 100 mA/g until 2.0 V; Discharge at 100 mA/g for 1 h", "Discharge at 100 mA/g until 2 V"),
    # ... and so could a discharge "until 3.0 V" (issue: "Discharge at 100 mA/g until 5.0 V" returned 0 mAh/g)
    ("Discharge at 100 mA/g until 3.0 V; Discharge at 100 mA/g for 1 h", "Charge at 100 mA/g until 3 V"),
])
def test_first_step_with_its_limit_already_passed_is_refused_with_what_was_meant(protocol, meant):
    with pytest.raises(ma.ProtocolError, match="did you mean") as exc:
        ma.simulate("NLRO", protocol)
    assert meant in str(exc.value)
    assert "2.227 V" in str(exc.value)


def test_later_step_with_its_limit_already_passed_ends_at_once_with_a_warning():
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 1 h; Charge at 100 mA/g until 2.0 V; "
                              "Discharge at 100 mA/g for 1 h")
    assert sol.ok, sol.message
    s = sol.steps[1]
    assert s.end_reason == "voltage limit"
    assert s.capacity_mAh_g < 1e-6
    assert s.end_time_s - s.start_time_s < 1.0
    assert any("step 2" in w and "ended at once" in w for w in sol.warnings)
    # the protocol goes on: the next step runs normally
    nxt = sol.steps[2]
    assert nxt.end_reason == "duration"
    assert nxt.capacity_mAh_g == pytest.approx(100.0, rel=1e-9)


def test_charge_limit_below_voltage_after_full_charge():
    sol = ma.simulate("RuO2", "Discharge at 500 mA/g for 200 mAh/g; Charge at 500 mA/g until 4.8 V; "
                              "Charge at 100 mA/g until 4.0 V")
    assert sol.ok
    last = sol.steps[-1]
    assert last.end_reason == "voltage limit"
    assert last.capacity_mAh_g < 1e-6
    assert np.isfinite(last.end_voltage_V)


def test_capacity_limit_ends_discharge_exactly():
    sol = ma.simulate("NLRO", [Discharge(current_A_per_kg=250.0, capacity="123 mAh/g", until=1.0)])
    s = sol.steps[0]
    assert s.end_reason == "capacity limit"
    assert s.capacity_mAh_g == pytest.approx(123.0, rel=1e-9)
    assert s.end_time_s == pytest.approx(123.0 / 250.0 * 3600.0, rel=1e-9)


def test_hold_current_limit_reached():
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 2 h; Hold at 2.6 V until 5 mA/g or 20 h")
    hold = sol.steps[1]
    assert sol.ok
    assert hold.kind == "hold"
    assert hold.end_reason == "current limit"
    assert abs(sol["Current [mA/g]"][-1]) == pytest.approx(5.0, rel=1e-3)
    h = sol["Step"] == 2
    np.testing.assert_allclose(sol["Voltage [V]"][h], 2.6, atol=1e-8)


# ------------------------------------------------ runs that would mislead or never end


def test_voltage_outside_the_physical_window_stops_the_run_and_names_the_cause():
    """electrolyte_conductivity = 1e-6 S/m used to give -248 V with status ok."""
    p = ma.DEFAULT_PARAMETERS.replace(electrolyte_conductivity=1e-6)
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 100 mAh/g", parameters=p)
    assert sol.status == "failed"
    assert "outside the window where the model holds (0-7 V)" in sol.message
    assert "electrolyte_conductivity = 1e-06" in sol.message and "ohmic drop" in sol.message
    assert "from 2.227 V" in sol.message  # no time step was accepted: the step's starting voltage


def test_discharge_without_a_voltage_limit_stops_at_0_v_and_says_why():
    """A capacity-limited discharge the cell cannot carry went below 0 V with status ok (fuzzing)."""
    sol = ma.simulate("NLRO", "Discharge at 20 mA/g for 2.1 mAh/g", environment=ma.environment("argon"))
    assert sol.status == "failed" and sol["Voltage [V]"].min() >= 0.0
    assert "holds no O2" in sol.message and "until 1.5 V" in sol.message
    assert sol.steps[0].end_voltage_V == pytest.approx(sol["Voltage [V]"][-1])


def test_a_voltage_limit_passed_within_one_time_step_is_warned():
    sol = ma.simulate("NLRO", "Discharge at 100 A/g until 2.2 V")
    assert sol.ok and sol.steps[0].end_reason == "voltage limit"
    assert any("jumped past its limit 2.2 V" in w for w in sol.warnings), sol.warnings
    assert not ma.simulate("NLRO", "Discharge at 100 mA/g until 1.5 V").warnings


def test_throughput_counts_the_cycles_that_were_not_stored():
    protocol = "(Discharge at 500 mA/g for 500 mAh/g; Charge at 500 mA/g for 500 mAh/g) x 10"
    sol = ma.simulate("RuO2", protocol, save_cycles=[1, 10])
    assert sol["Throughput capacity [mAh/g]"][-1] == pytest.approx(sum(s.capacity_mAh_g for s in sol.steps),
                                                                   rel=1e-6)


def test_initial_state_is_checked():
    s1 = ma.simulate("NLRO", "Discharge at 100 mA/g for 100 mAh/g")
    from metalair.models.declaration import N_BASE_STATES

    with pytest.raises(ma.ParameterError, match=f"a RuO2 state has {N_BASE_STATES} values"):  # no host couple
        ma.Simulation("RuO2", "Rest for 1 h").run(initial_state=s1.final_state)
    with pytest.raises(ma.ParameterError, match="negative inventories"):
        ma.Simulation("NLRO", "Rest for 1 h").run(initial_state=-s1.final_state)
    with pytest.raises(ma.ParameterError, match="must be a state vector"):
        ma.Simulation("NLRO", "Rest for 1 h").run(initial_state="abc")
    assert ma.Simulation("NLRO", "Rest for 1 h").run(initial_state=s1.final_state).ok


def test_an_unreachable_limit_says_where_the_voltage_settled():
    sol = ma.simulate("NLRO", "Charge at 3000 mA/g until 5.4 V", solver=ma.SolverSettings(max_steps=20_000))
    assert sol.status == "failed"
    assert "did not reach its end in 20000 time steps" in sol.message
    assert "Electrolyte oxidation carries" in sol.message and "or for 10 h" in sol.message


def test_slow_long_discharge_completes():
    """2 mA/g to 1.5 V takes ~10,000 simulated hours and more than 200,000 steps (the old ceiling)."""
    sol = ma.simulate("NLRO", "Discharge at 2 mA/g until 1.5 V", save_cycles=())
    assert sol.ok, sol.message
    assert sol.steps[0].end_reason == "voltage limit"
    assert sol.steps[0].end_time_s / 3600.0 > 5000.0


def test_a_very_slow_discharge_completes_in_few_steps():
    """A stress audit: 0.01 mA/g to 1.5 V needed more than 10 million steps capped at dt_max = 120 s, stored them
    all (15.8 GB) and was killed. Below 100 mA/g a step's largest time step now passes the charge of a 100 mA/g
    step."""
    from metalair.protocols.simulation import DT_MAX_CURRENT

    assert DT_MAX_CURRENT == 100.0
    sol = ma.simulate("NLRO", "Discharge at 0.01 mA/g until 1.5 V")
    assert sol.ok, sol.message
    assert sol.steps[0].end_reason == "voltage limit" and sol.steps[0].capacity_mAh_g > 20000
    assert len(sol) < 20_000


def test_a_step_that_never_reaches_its_limit_fails_and_says_so():
    """A step limited only by a voltage that the cell never reaches is a failure, not an 'ok' run whose step
    ended by a duration nobody gave (the internal open-ended limit, ~31,700 years)."""
    sol = ma.simulate("NLRO", [ma.Discharge("1e-4 mA/g", until=1.5)])
    assert sol.status == "failed" and sol.steps[0].end_reason == "failed"
    assert "did not reach its limit in" in sol.message and "give the step a time or capacity limit" in sol.message
    sol = ma.simulate("NLRO", "Discharge at 1e-4 mA/g until 1.5 V or for 10 h")  # a time limit it reaches: ok
    assert sol.ok and sol.steps[0].end_reason == "duration"


def test_a_later_step_already_past_its_limit_gets_one_warning():
    sol = ma.simulate("NLRO", "Rest for 1 s; Discharge at 100 mA/g until 3 V")
    assert sol.ok
    assert len(sol.warnings) == 1 and "past its limit 3 V, so the step ended at once" in sol.warnings[0]


def test_a_step_that_cannot_end_names_dt_max_and_max_steps():
    assert ma.SolverSettings().max_steps == 1_000_000  # ~2 GB of stored rows at most, not 16
    sol = ma.simulate("NLRO", "Hold at 4.8 V until 0.01 mA/g", solver=ma.SolverSettings(max_steps=2000))
    assert sol.status == "failed"
    assert "did not reach its end in 2000 time steps" in sol.message
    assert "raise dt_max (e.g. SolverSettings(dt_max=3600)) or max_steps" in sol.message


def test_very_long_rest_grows_its_steps():
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 100 mAh/g; Rest for 1000000 h")
    assert sol.ok, sol.message
    assert sol.steps[1].end_time_s - sol.steps[1].start_time_s == pytest.approx(3.6e9, rel=1e-9)
    assert len(sol) < 2000  # steps grew with the error control, not capped at dt_max


@pytest.mark.parametrize("protocol,match", [
    ("(Discharge at 100 mA/g for 10 mAh/g; Charge at 100 mA/g for 10 mAh/g) x 1000000", "save_cycles"),
    ("CV from 1.5 V to 4.5 V at 0.1 mV/s for 1000000000 cycles", "1000 years"),
])
def test_runs_too_large_are_refused_before_any_work(protocol, match):
    with pytest.raises(ma.ProtocolError, match=match):
        ma.Simulation("NLRO", protocol)


def test_deeply_nested_cycles_are_counted_without_expanding():
    text = "Rest for 1 s"
    for _ in range(500):
        text = f"({text}) x 2"
    with pytest.raises(ma.ProtocolError, match="steps"):
        ma.Simulation("NLRO", text, save_cycles=())
# ------------------------------------------------ units at the surface
@pytest.mark.parametrize(("make", "field", "suggestion"), [
    (lambda: Discharge(100, until=1.5), "current", "current='100 mA/g'"),
    (lambda: Charge("100 mA/g", capacity=500), "capacity", "capacity='500 mAh/g'"),
    (lambda: Discharge("100 mA/g", duration=3600), "duration", "duration='3600 s'"),
    (lambda: Rest(1800), "duration", "duration_s=1800"),
    (lambda: Hold(4.5, until_current=10), "until_current", "until_current='10 mA/g'"),
    (lambda: Sweep(1e-4, lower=1.5, upper=4.5), "scan_rate", "scan_rate_V_per_s=0.0001"),
])
def test_a_bare_number_where_the_unit_is_ambiguous_is_refused_with_how_to_write_it(make, field, suggestion):
    with pytest.raises(ProtocolError) as info:
        make()
    message = str(info.value)
    assert f"{field}=" in message and "is ambiguous" in message and suggestion in message


def test_bare_voltages_are_volts_and_si_keywords_equal_the_unit_strings():
    a = Discharge("500 mA/g", capacity="500 mAh/g", duration="2 h", until=1.5)
    b = Discharge(current_A_per_kg=500.0, capacity_C_per_kg=1.8e6, duration_s=7200.0, until="1.5 V")
    assert a == b
    assert Hold(4.5, until_current="10 mA/g") == Hold("4.5 V", until_current_A_per_kg=10.0)
    assert Sweep("0.1 mV/s", 1.5, 4.5) == Sweep(scan_rate_V_per_s=1e-4, lower=1.5, upper=4.5)
    with pytest.raises(ProtocolError, match="not both"):
        Discharge("500 mA/g", current_A_per_kg=500.0, until=1.5)


def test_a_step_rebuilt_from_another_steps_fields_needs_no_unit():
    import dataclasses

    d = Discharge("500 mA/g", capacity="500 mAh/g", until=1.5)
    assert dataclasses.replace(d, until=2.0).capacity == d.capacity
    assert Charge(d.current, capacity=d.capacity, until=4.8).current == 500.0
    with pytest.raises(ProtocolError, match="ambiguous"):
        Charge(d.current * 2, until=4.8)  # arithmetic gives a plain number: its unit is needed again


def test_step_descriptions_carry_no_float_noise():
    sol = ma.simulate("NLRO", "Discharge at 0.0360514 A/g until 1.5 V or for 10 mAh/g")
    assert sol.steps[0].description == "Discharge at 36.0514 mA/g for 10 mAh/g or until 1.5 V"


def test_tighter_settings_reach_every_step_control():
    """atol tightens the host couples' state as well as the inventories (their scale follows it), and
    max_change also bounds the voltage swept per step of a CV: tighter settings take more steps there."""
    m = ma.LumpedAirElectrode("NLRO")
    default = ma.SolverSettings()
    tight = ma.SolverSettings(atol=default.atol / 10, max_change=default.max_change / 10)
    _, ab_default = m.tolerances(default)
    _, ab_tight = m.tolerances(tight)
    np.testing.assert_allclose(ab_tight[m.n_states - len(m.couples):], ab_default[m.n_states - len(m.couples):] / 10)
    cv = "Sweep between 2.0 V and 3.0 V starting at 2.2 V at 1 mV/s for 1 cycle"
    n_default = len(ma.simulate("NLRO", cv)["Time [s]"])
    n_tight = len(ma.simulate("NLRO", cv, solver=ma.SolverSettings(max_change=default.max_change / 10))["Time [s]"])
    assert n_tight > 5 * n_default


def test_a_charge_that_jumps_past_its_own_limit_is_not_told_to_add_one():
    """Descriptors far outside the calibrated range (ICOHP -5.12 eV on every product): the decomposition rate
    switches from nothing to far above the current within a sliver of potential and the voltage jumps past the
    step's 4.8 V limit in one time step. The message names the jump and the cause, not 'give it a limit'."""
    cat = ma.NLRO
    for product in cat.descriptors:
        cat = cat.with_descriptor(product, icohp=-5.12)
    sol = ma.simulate(cat)
    assert sol.status == "failed"
    assert "past the step's limit of 4.8 V within one time step" in sol.message
    assert "give the step a voltage limit" not in sol.message


def test_a_formation_step_before_a_cycle_group_is_a_cycle_of_its_own():
    """A formation discharge shared cycle 1 with the group's first repeat: cycles.csv then showed cycle 1 as
    discharge 100, charge 50, coulombic efficiency 50 %. A rest alone still joins the cycle that follows."""
    from metalair.protocols import parse_protocol

    formation = parse_protocol("Discharge at 100 mA/g for 100 mAh/g; "
                               "(Charge at 100 mA/g for 50 mAh/g; Discharge at 100 mA/g for 50 mAh/g) x 3")
    assert [c for c, _ in flatten(formation.steps)] == [1, 2, 2, 3, 3, 4, 4]
    assert formation.n_cycles == 4
    two_groups = parse_protocol("(Discharge at 100 mA/g for 1 mAh/g; Charge at 100 mA/g for 1 mAh/g) x 2; "
                                "(Discharge at 100 mA/g for 1 mAh/g) x 3")
    assert two_groups.n_cycles == 5  # was 3, the largest repeat count
    ocv_first = parse_protocol("Rest for 1 h; (Discharge at 100 mA/g for 1 mAh/g; Charge at 100 mA/g for 1 mAh/g) x 2")
    assert [c for c, _ in flatten(ocv_first.steps)] == [1, 1, 1, 2, 2] and ocv_first.n_cycles == 2


def test_a_formation_cycle_without_charge_is_not_a_failure():
    from metalair.workflows.simulate import simulate_to_files

    run = simulate_to_files("NLRO", "Discharge at 100 mA/g for 100 mAh/g; "
                                    "(Charge at 100 mA/g for 50 mAh/g; Discharge at 100 mA/g for 50 mAh/g) x 3")
    assert list(run.table["Discharge capacity [mAh/g]"]) == pytest.approx([100.0, 50.0, 50.0, 50.0], rel=1e-6)
    assert run.life is not None and run.life.first_failed_cycle is None and run.life.cycle_life == 4
    assert any("formation discharge" in n for n in run.life.notes)


def test_a_record_that_ends_inside_its_last_discharge_is_censored_not_failed():
    """Cut mid-discharge, cycle 4 was 'the first failed cycle' (36 mAh/g, 'stopped at 2.189 V'); the test stopped."""
    from metalair.analysis.cycle_metrics import cycle_life
    from metalair.workflows.simulate import simulate_to_files

    run = simulate_to_files("RuO2", "(Discharge at 500 mA/g for 500 mAh/g or until 1.5 V; Charge at 500 mA/g for "
                                    "500 mAh/g or until 4.8 V) x 3; Discharge at 500 mA/g for 100 mAh/g")
    life = cycle_life(run.table, 500, v_min=1.5, v_max=4.8)
    assert life.first_failed_cycle is None and life.censored and life.cycle_life == 3
    assert any("the record ends inside it" in n for n in life.notes)


def test_a_sweep_from_a_rest_outside_its_window_says_where_it_goes():
    """A stress audit: 'Sweep 2.5-4.5 V' from a fresh cell at 2.227 V ran up from there and back to it, 273 mV
    outside its window, without a word."""
    sol = ma.simulate("NLRO", "Sweep 2.5-4.5 V at 1 mV/s")
    assert sol.ok
    found = [w for w in sol.warnings if "outside the sweep's window" in w]
    assert len(found) == 1 and "the cell rests at 2.227 V" in found[0] and "returns to 2.227 V" in found[0]
    assert min(sol["Voltage [V]"]) < 2.3  # what the warning says happens, happens
    assert not [w for w in ma.simulate("NLRO", "Sweep 1.5-4.5 V at 10 mV/s").warnings if "window" in w]


def test_a_hold_whose_current_is_below_its_limit_from_the_start_says_so():
    """A galvanostatic step past its limit warned; a hold already under its current limit ended at 0 s in
    silence."""
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 1000 mAh/g; Rest for 1 h; "
                              "Hold at 2.3 V until 100000 mA/g or 1 h")
    found = [w for w in sol.warnings if "so the hold ended at once" in w]
    assert len(found) == 1 and "below its limit 100000 mA/g from the first time step at 2.3 V" in found[0]
    normal = ma.simulate("NLRO", "Discharge at 100 mA/g for 1000 mAh/g; Hold at 4.2 V until 10 mA/g or 10 h")
    assert normal.steps[-1].end_reason == "current limit" and not normal.warnings


def test_a_sweep_step_says_its_capacity_is_throughput():
    """A sweep's step capacity is ∫|I|dt (charge passed both ways); the summary says so beside the number."""
    from metalair.analysis.summary import format_summary, summarize

    sol = ma.simulate("RuO2", "Discharge at 500 mA/g for 100 mAh/g; Sweep 2.0-4.5 V at 1 mV/s")
    sweep = sol.steps[1]
    assert sweep.capacity_mAh_g > 5 * abs(sum(sweep.charge_by_reaction_mAh_g.values()))
    line = next(ln for ln in format_summary(summarize(sol)).splitlines() if "step 2 sweep" in ln)
    assert "mAh/g passed both ways" in line
