"""Bad arguments to the analysis functions are refused by name, with the value and what is allowed.

From an audit of the analysis functions: each call here raised a bare TypeError, ValueError,
AttributeError, IndexError or ZeroDivisionError from deep inside Python, numpy or scipy, or ran on
silently (NaN returned, an argument ignored, a plateau made up).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from metalair.errors import ParameterError

# --------------------------------------------------------------------------- cycle metrics


@pytest.fixture(scope="module")
def table():
    from metalair.workflows.cycling import run_cycling

    return run_cycling("NLRO", cycles=3, figure=False).table


def _record():
    from metalair.tables.cycler import CyclerData

    t = np.arange(20.0)
    kind = np.where(t < 10, "discharge", "charge")
    return CyclerData(time_s=t, voltage_V=np.where(t < 10, 2.5 - 0.01 * t, 3.0 + 0.01 * t),
                      current_A=np.where(t < 10, 1e-3, -1e-3), step=np.where(t < 10, 1, 2),
                      cycle=np.ones(20, dtype=int), step_type=kind)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tolerance": "0.99"}, r"cycle_life\.tolerance must be a number, got '0\.99' \(str\)"),
    ({"tolerance": 1.5}, r"cycle_life\.tolerance = 1\.5 is out of range; allowed range \(0, 1\]"),
    ({"v_min": 5, "v_max": 1}, r"v_min = 5 V must lie below v_max = 1 V"),
    ({"v_min": math.nan}, r"cycle_life\.v_min = nan is not a finite number; allowed range \(0, 10\) V"),
    ({"eod_threshold_V": -2}, r"cycle_life\.eod_threshold_V = -2 is out of range; allowed range \(0, 10\) V"),
    ({"eod_threshold_V": 4.0, "v_max": 3.5}, r"eod_threshold_V = 4 V must lie below the charge limit v_max = 3\.5"),
    ({"voltage_tolerance_V": -1}, r"cycle_life\.voltage_tolerance_V = -1 is out of range; allowed range \[0, 0\.5\]"),
    ({"v_max": "4.8 mAh/g"}, r"cycle_life\.v_max: '4\.8 mAh/g' is a specific capacity, but a potential is needed"),
    ({"capacity_limit_mAh_g": -500}, r"cycle_life\.capacity_limit_mAh_g = -500 is out of range"),
])
def test_cycle_life_refuses_bad_limits(table, kwargs, message):
    from metalair.analysis.cycle_metrics import cycle_life

    with pytest.raises(ParameterError, match=message):
        cycle_life(table, **kwargs)


def test_cycle_life_takes_limits_and_voltages_with_units(table):
    """'500 mAh/g', '4.8 V' and '2 V' raised TypeError/UFuncTypeError; they are read through metalair.units."""
    from metalair.analysis.cycle_metrics import cycle_life

    plain = cycle_life(table, 500.0, v_min=1.5, v_max=4.8, eod_threshold_V=2.0)
    text = cycle_life(table, "0.5 Ah/g", v_min="1500 mV", v_max="4.8 V", eod_threshold_V="2 V",
                      voltage_tolerance_V="10 mV")
    assert text == plain
    assert text.capacity_limit == 500.0


def test_half_cycles_checks_its_record_and_options_as_cycle_summary_does():
    from metalair.analysis.cycle_metrics import cycle_summary, half_cycles

    with pytest.raises(ParameterError, match=r"half_cycles needs a CyclerData .*got NoneType"):
        half_cycles(None)  # type: ignore[arg-type]
    data = _record()
    for function in (half_cycles, cycle_summary):
        with pytest.raises(ParameterError, match=r"capacity_source must be 'auto', 'file' or 'integrate', got 'x'"):
            function(data, capacity_source="x")  # type: ignore[arg-type]
    assert [h.kind for h in half_cycles(data)] == ["discharge", "charge"]


# --------------------------------------------------------------------------- summaries of a simulation
def test_summaries_say_they_need_a_solution():
    from metalair.analysis.simulated import simulated_cycle_summary
    from metalair.analysis.summary import format_summary, summarize

    with pytest.raises(ParameterError, match=r"summarize needs the Solution of a run .*got NoneType"):
        summarize(None)
    with pytest.raises(ParameterError, match=r"got CyclerData; that is a measured record .*cycle_summary\(data\)"):
        summarize(_record())
    with pytest.raises(ParameterError, match=r"simulated_cycle_summary needs the Solution of a run .*NoneType"):
        simulated_cycle_summary(None)
    with pytest.raises(ParameterError, match=r"format_summary needs the dict of summarize\(sol\), got NoneType"):
        format_summary(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- dQ/dV and plateaus
def _discharge():
    q = np.linspace(0.0, 1.0, 400)
    return 3.0 - 0.5 * q - 0.3 * np.tanh((q - 0.5) * 12), q


@pytest.mark.parametrize(("call", "message"), [
    (lambda v, q: _ic().dqdv("x", q), r"dqdv\.voltage must be an array of numbers in V, got 'x' \(str\)"),
    (lambda v, q: _ic().dqdv(v, q, polyorder=2.5), r"dqdv\.polyorder must be a whole number, got 2\.5"),
    (lambda v, q: _ic().dqdv(v, q, polyorder=-1), r"dqdv\.polyorder = -1 is out of range; allowed range \[0, 10\]"),
    (lambda v, q: _ic().dqdv(v, q, polyorder=100), r"dqdv\.polyorder = 100 is out of range"),
    (lambda v, q: _ic().dqdv(np.vstack([v, v]), np.vstack([q, q])),
     r"dqdv\.voltage must be one-dimensional .*got shape \(2, 400\)"),
    (lambda v, q: _ic().dqdv(v, q, grid_step_V="5 mAh"), r"dqdv\.grid_step_V: '5 mAh' is a charge"),
    (lambda v, q: _ic().find_plateaus(v, q, min_share="2 %"),
     r"find_plateaus\.min_share must be a number, got '2 %' .*0\.02 for 2 %"),
    (lambda v, q: _ic().find_plateaus(v, q, min_share=2), r"find_plateaus\.min_share = 2 is out of range; allowed "
                                                          r"range \[0, 1\)"),
    (lambda v, q: _ic().find_plateaus(v, q, min_height_ratio=math.nan),
     r"find_plateaus\.min_height_ratio = nan is not a finite number"),
    (lambda v, q: _ic().find_plateaus(v, q, min_separation_V=-1), r"find_plateaus\.min_separation_V = -1 is out of "
                                                                  r"range"),
    (lambda v, q: _ic().find_plateaus(v, q, polyorder=100), r"find_plateaus\.polyorder = 100 is out of range"),
])
def test_dqdv_and_plateaus_refuse_bad_arguments(call, message):
    v, q = _discharge()
    with pytest.raises(ParameterError, match=message):
        call(v, q)


def _ic():
    import metalair.analysis.incremental_capacity as ic

    return ic


def test_dqdv_takes_its_voltages_with_units():
    v, q = _discharge()
    assert _ic().dqdv(v, q, grid_step_V="5 mV", window_V="50 mV").grid_step_V == 0.005


def test_a_discharge_and_a_charge_joined_are_refused_not_given_a_plateau():
    """Voltage down then up again, capacity going on: find_plateaus reported a plateau that is not there."""
    v, q = _discharge()
    both_v, both_q = np.concatenate([v, v[::-1]]), np.concatenate([q, q[-1] + q])
    with pytest.raises(ParameterError, match=r"find_plateaus: the voltage runs both ways .*a discharge and a charge "
                                             r"joined\?"):
        _ic().find_plateaus(both_v, both_q)
    # a signed capacity of a whole cycle (up, then back down) is not one half-cycle either
    with pytest.raises(ParameterError, match=r"dqdv: the capacity runs back by .*not a whole cycle"):
        _ic().dqdv(np.linspace(3.0, 2.0, 100), np.r_[np.linspace(0, 1, 70), np.linspace(1, 0.5, 30)])
    assert len(_ic().find_plateaus(v, q)) == 2  # one half-cycle still gives its two plateaus


# --------------------------------------------------------------------------- magnetism
def test_effective_moment_refuses_what_has_no_moment():
    from metalair.analysis.magnetism import effective_moment

    with pytest.raises(ParameterError, match=r"ions_per_formula = 0 must be a positive number of magnetic ions"):
        effective_moment(1.0, ions_per_formula=0)
    for c in (-1.0, 0.0, math.nan):
        with pytest.raises(ParameterError, match=r"curie_cgs = .* must be a positive number of cm3 K/mol"):
            effective_moment(c)
    assert effective_moment(1.0) == pytest.approx(2.828, abs=1e-3)


def test_susceptibility_takes_its_minimum_field_with_a_unit():
    from metalair.analysis.magnetism import susceptibility
    from metalair.tables.magnetometry import MagnetometryData
    from metalair.units import UNITS

    t = np.arange(5.0, 300.0)
    h = np.r_[0.0, np.full(t.size - 1, 1000.0)] * UNITS["Oe"][1]
    data = MagnetometryData(temperature_K=t, field_A_m=h, moment_A_m2=1e-6 / t, metadata={})
    given = susceptibility(data, mass_g=0.01, molar_mass_g_mol=100.0, min_field_Oe="1 Oe")
    np.testing.assert_array_equal(given.chi_cgs, susceptibility(data, mass_g=0.01, molar_mass_g_mol=100.0).chi_cgs)
    with pytest.raises(ParameterError, match=r"susceptibility\.min_field_Oe = 0 is out of range; allowed range "
                                             r"\(0, inf\] Oe"):
        susceptibility(data, mass_g=0.01, molar_mass_g_mol=100.0, min_field_Oe=0)


# --------------------------------------------------------------------------- XAS
def _xas(name="edge", e0=7120.0):
    from metalair.tables.spectra import XasSpectrum

    e = np.arange(e0 - 200.0, e0 + 600.0, 0.5)
    mu = 0.2 + 0.5 + np.arctan((e - e0) / 1.2) / np.pi + 0.4 * np.exp(-((e - e0 - 4) ** 2) / 8)
    return XasSpectrum(energy_eV=e, mu=mu, name=name)


@pytest.mark.parametrize(("kwargs", "side"), [
    ({"norm1": -50.0}, "above"), ({"norm1": -80.0, "norm2": -40.0}, "above"), ({"pre2": 20.0}, "below"),
    ({"pre1": 7000.0, "pre2": 7090.0}, "below"),
])
def test_normalize_refuses_a_range_on_the_wrong_side_of_the_edge(kwargs, side):
    """norm1=-50 fitted the post-edge curve through the edge's rise: a wrong edge step without a word."""
    from metalair.analysis.xas import normalize

    spec = _xas()
    assert normalize(spec).edge_step == pytest.approx(1.0, abs=0.02)
    with pytest.raises(ParameterError, match=rf"lies on the wrong side of the edge; the range lies at or {side} E0"):
        normalize(spec, **kwargs)


def test_linear_combination_refuses_a_fit_range_outside_the_data_and_calibration_a_missing_list():
    from metalair.analysis.xas import calibrate_valence, linear_combination

    target, a, b = _xas("target"), _xas("a", 7118.0), _xas("b", 7122.0)
    with pytest.raises(ParameterError, match=r"fit_range_eV = \(1000, 2000\) eV relative to E0 holds 0 point\(s\) of "
                                             r"the target 'target', which covers -2.* to \+5.* eV around its E0"):
        linear_combination(target, [a, b], fit_range_eV=(1000, 2000))
    with pytest.raises(ParameterError, match=r"references must be a list of \(spectrum or E0 in eV, valence\) pairs"
                                             r".*got NoneType"):
        calibrate_valence(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Raman
def _raman():
    from metalair.analysis.peaks import pseudo_voigt
    from metalair.tables.spectra import RamanSpectrum

    x = np.arange(200.0, 1800.0, 1.0)
    y = 2000 + 0.5 * x + pseudo_voigt(x, 1156.0, 400.0, 12.0, 0.5) + pseudo_voigt(x, 792.0, 250.0, 10.0, 0.5)
    return RamanSpectrum(shift_cm1=x, intensity=y + np.random.default_rng(0).normal(0, 8, x.size), name="r")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"x_range": 500}, r"analyse_raman\.x_range = 500 must be a pair \(low, high\) in cm-1"),
    ({"x_range": (900, 500)}, r"analyse_raman\.x_range = \(900, 500\): low must be below high"),
    ({"max_peaks": 2.5}, r"analyse_raman\.max_peaks must be a whole number, got 2\.5"),
    ({"max_peaks": -1}, r"analyse_raman\.max_peaks = -1 is out of range; allowed range \[1, inf\]"),
    ({"min_prominence": math.nan}, r"analyse_raman\.min_prominence = nan is not a finite number"),
])
def test_analyse_raman_refuses_bad_settings(kwargs, message):
    from metalair.analysis.raman import analyse_raman

    with pytest.raises(ParameterError, match=message):
        analyse_raman(_raman(), **kwargs)


def test_assign_peak_needs_a_number():
    from metalair.analysis.raman import assign_peak

    for bad in ("1156", None):
        with pytest.raises(ParameterError, match=r"assign_peak\.position_cm1 must be a number, got"):
            assign_peak(bad)  # type: ignore[arg-type]
    assert assign_peak(1156.0).label == "NaO2"


# --------------------------------------------------------------------------- diffraction
@pytest.mark.parametrize(("kwargs", "message"), [
    ({"two_theta_deg": np.array([])}, r"two_theta_deg holds 0 angle\(s\); a pattern needs a grid of at least two"),
    ({"two_theta_deg": np.array([0.0, 10.0, 20.0])}, r"two_theta_deg = 0 lies outside \(0, 180\) degrees"),
    ({"fwhm_deg": 0}, r"simulate_diffractogram\.fwhm_deg = 0 is out of range"),
    ({"fwhm_deg": -0.1}, r"simulate_diffractogram\.fwhm_deg = -0\.1 is out of range"),
    ({"eta": 2}, r"simulate_diffractogram\.eta = 2 is out of range; allowed range \[0, 1\]"),
    ({"peak_counts": -1}, r"simulate_diffractogram\.peak_counts = -1 is out of range"),
    ({"wavelength_m": 1.5406}, r"wavelength_m = 1\.5406 is out of range.*looks like Å: in m that is 1\.5406e-10"),
])
def test_simulate_diffractogram_refuses_bad_settings(kwargs, message):
    from metalair.analysis.diffraction import simulate_diffractogram

    with pytest.raises(ParameterError, match=message):
        simulate_diffractogram(["NaO2"], **kwargs)


def test_d_spacing_refuses_a_wavelength_in_angstrom_and_an_angle_of_zero():
    from metalair.analysis.diffraction import d_spacing, interlayer_spacing

    with pytest.raises(ParameterError, match=r"d_spacing\.wavelength_m = 1\.54 is out of range; allowed range "
                                             r"\(1e-12, 1e-08\) m .*1\.54 looks like Å"):
        d_spacing(30.0, 1.54)
    with pytest.raises(ParameterError, match=r"d_spacing\.two_theta_deg = 0 lies outside \(0, 180\) degrees"):
        d_spacing(0.0, 1.5406e-10)
    assert float(d_spacing(30.0, "1.5406 Å")) == pytest.approx(float(d_spacing(30.0, 1.5406e-10)))
    with pytest.raises(ParameterError, match=r"interlayer_spacing: pattern must be a Diffractogram .*got NoneType"):
        interlayer_spacing(None, 15.0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- voltammetry
def _cv():
    from metalair.tables.voltammetry import Voltammogram

    up = np.linspace(0.0, 1.0, 501)
    one = np.concatenate([up, up[::-1][1:]])
    e = np.concatenate([one, one[1:]])
    t = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(e)) / 0.01)])
    rising = np.concatenate([[True], np.diff(e) > 0])
    i = np.where(rising, 1e-6 + 1e-4 * np.exp(-((e - 0.6) / 0.05) ** 2),
                 -1e-6 - 8e-5 * np.exp(-((e - 0.5) / 0.05) ** 2))
    return Voltammogram.from_arrays(e, i, time_s=t)


def test_cv_analysis_names_cycles_options_and_solutions():
    from metalair.analysis.voltammetry import analyze_cv, find_cv_peaks, voltammogram_from_solution

    cv = _cv()
    assert {p.cycle for p in find_cv_peaks(cv, cycles=2)} == {2}  # one cycle number: that cycle
    with pytest.raises(ParameterError, match=r"find_cv_peaks\.cycles: no cycle 5; cycles present: 1, 2"):
        find_cv_peaks(cv, cycles=5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"find_cv_peaks\.cycles = '1' must be a cycle number or a list"):
        find_cv_peaks(cv, cycles="1")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"analyze_cv has no option 'foo'; its options are cycles, prominence, "
                                             r"onset_fraction"):
        analyze_cv(cv, foo=1)
    with pytest.raises(ParameterError, match=r"did you mean 'prominence'"):
        analyze_cv(cv, promincence=0.1)
    with pytest.raises(ParameterError, match=r"voltammogram_from_solution needs the Solution of a run .*NoneType"):
        voltammogram_from_solution(None)


# --------------------------------------------------------------------------- DEMS
def _dems(o2_scale=1.0):
    from metalair.constants import F
    from metalair.tables.dems import CurrentRecord, GasFluxRecord

    t = np.arange(0, 6000, 1.0)
    i = np.where((t >= 600) & (t < 2400), 1e-3, 0.0) + np.where((t >= 3000) & (t < 4800), -1e-3, 0.0)
    return CurrentRecord(t, i), GasFluxRecord(t, {"O2": o2_scale * (-i / (2 * F)) + 1e-10})


def test_dems_names_its_records_and_time_constant():
    from metalair.analysis.dems import dems_steps, electrons_per_o2, first_order_lag

    cur, gas = _dems()
    with pytest.raises(ParameterError, match=r"dems_steps: current must be a CurrentRecord .*got NoneType"):
        dems_steps(None, gas)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"dems_steps: gas must be a GasFluxRecord .*got NoneType"):
        dems_steps(cur, None)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"electrons_per_o2 needs the Solution of a run .*NoneType"):
        electrons_per_o2(None)
    tt, x = np.arange(10.0), np.ones(10)
    np.testing.assert_array_equal(first_order_lag(tt, x, "5 s"), first_order_lag(tt, x, 5.0))
    with pytest.raises(ParameterError, match=r"first_order_lag\.tau_s = -5 is out of range"):
        first_order_lag(tt, x, -5)
    with pytest.raises(ParameterError, match=r"time_s has 10 values and x 5; give one value of x per time"):
        first_order_lag(tt, x[:5], 5)
    with pytest.raises(ParameterError, match=r"first_order_lag: time_s and x are empty"):
        first_order_lag(np.array([]), np.array([]), 5)
    with pytest.raises(ParameterError, match=r"time_s goes back at point 3"):
        first_order_lag(np.array([0.0, 1.0, 0.5]), np.ones(3), 5)


def test_a_flat_o2_flux_is_refused_and_a_step_without_o2_says_so():
    """Zero O2 flux gave e-/O2 = NaN in every step without a word."""
    from metalair.analysis.dems import SOLUTION_KEYS, dems_steps, electrons_per_o2

    cur, gas = _dems(o2_scale=0.0)
    with pytest.raises(ParameterError, match=r"the O2 flux moves no O2 in any of the 2 steps .*e-/O2 is undefined"):
        dems_steps(cur, gas, time_offset_s=0.0)
    steps, _ = dems_steps(*_dems(), time_offset_s=0.0)
    assert [s.e_per_o2 for s in steps] == [pytest.approx(2.0, rel=1e-3)] * 2 and [s.note for s in steps] == ["", ""]

    t = np.arange(0.0, 200.0)
    columns = {SOLUTION_KEYS["time"]: t, SOLUTION_KEYS["current"]: np.where(t < 100, 100.0, -100.0),
               SOLUTION_KEYS["step"]: np.where(t < 100, 1, 2), SOLUTION_KEYS["cycle"]: np.ones(t.size),
               SOLUTION_KEYS["O2 consumption"]: np.zeros(t.size), SOLUTION_KEYS["O2 evolution"]: np.zeros(t.size),
               SOLUTION_KEYS["CO2 evolution"]: np.zeros(t.size), SOLUTION_KEYS["H2O evolution"]: np.zeros(t.size)}
    rows = electrons_per_o2(columns)
    assert all(math.isnan(r["e_per_O2"]) for r in rows)
    assert [r["note"] for r in rows] == ["no net O2 consumed over this discharge: e-/O2 is undefined (NaN)",
                                         "no net O2 evolved over this charge: e-/O2 is undefined (NaN)"]
    with pytest.raises(ParameterError, match=r"electrons_per_o2\.time_constant_s: '5 V' is a potential"):
        electrons_per_o2(columns, time_constant_s="5 V")
    assert len(electrons_per_o2(columns, time_constant_s="5 s")) == 2


# --------------------------------------------------------------------------- impedance
def _spectrum():
    from metalair.analysis.impedance.circuits import Circuit
    from metalair.tables.impedance import ImpedanceSpectrum

    f = np.logspace(5, -2, 40)
    return ImpedanceSpectrum.from_arrays(f, Circuit("R0-p(R1,C1)").impedance(f, {"R0": 10, "R1": 100, "C1": 1e-4}))


def test_circuit_fits_refuse_bad_bounds_options_and_read_one_circuit_as_one():
    from metalair.analysis.impedance.fitting import compare_circuits, fit_circuit

    sp = _spectrum()
    for bad in (5, (1.0,), (math.nan, 10.0), ("0", "10")):
        with pytest.raises(ParameterError, match=r"bounds\['R0'\] = .* must be a pair \(low, high\) in the "
                                                 r"parameter's unit, each a number or None"):
            fit_circuit(sp, "R0-p(R1,C1)", bounds={"R0": bad})
    with pytest.raises(ParameterError, match=r"bounds must map parameter names to values"):
        fit_circuit(sp, "R0-p(R1,C1)", bounds=(0, 5))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"compare_circuits has no option 'foo'; its options are initial, bounds"):
        compare_circuits(sp, ["R0-p(R1,C1)"], foo=1)
    (fit,) = compare_circuits(sp, "R0-p(R1,C1)")  # one circuit, not its characters one by one
    assert str(fit.circuit) == "R0-p(R1,C1)" and fit.success
    with pytest.raises(ParameterError, match=r"circuits is empty"):
        compare_circuits(sp, [])


@pytest.mark.parametrize("mu_floor", [5, -0.5, math.nan, "0.5"])
def test_lin_kk_checks_its_mu_floor(mu_floor):
    from metalair.analysis.impedance import lin_kk

    with pytest.raises(ParameterError, match=r"lin_kk\.mu_floor .*(out of range|not a finite|must be a number)"):
        lin_kk(_spectrum(), mu_floor=mu_floor)


def test_dems_baseline_is_not_taken_from_a_step_running_back_to_back():
    # a charge right after a discharge took the discharge's O2 consumption as its 'baseline' and
    # reported e-/O2 = 1 for a true 2 (0.597 for the model's own 1.127)
    from metalair.analysis.dems import dems_steps
    from metalair.constants import F
    from metalair.tables.dems import CurrentRecord, GasFluxRecord

    t = np.arange(0.0, 2001.0, 1.0)
    i = np.where(t <= 1000.0, 1e-3, -1e-3)
    i[0] = 0.0
    o2 = -i / F / 2.0  # 2 e- per O2: consumed on discharge (negative), evolved on charge
    steps, _ = dems_steps(CurrentRecord(t, i), GasFluxRecord(t, {"O2": o2}))
    assert [s.kind for s in steps] == ["discharge", "charge"]
    assert steps[1].e_per_o2 == pytest.approx(2.0, rel=1e-3)
    assert "no baseline subtracted: the cell was not at rest" in steps[1].note


def test_the_automatic_gas_delay_is_never_negative():
    # the correlation search ran over -max_lag..max_lag and returned -60 s for a record without delay
    from metalair.analysis.dems import dems_from_solution, dems_steps
    from metalair.protocols.simulation import simulate
    from metalair.tables.dems import CurrentRecord, GasFluxRecord

    sim = dems_from_solution(simulate("NLRO", "Discharge at 500 mA/g for 300 mAh/g; Rest for 10 min; "
                                              "Charge at 500 mA/g for 300 mAh/g"))
    t = np.asarray(sim.time_s)
    current = CurrentRecord(t, np.asarray(sim.current_mA_g) * 1e-3)  # 1 g of catalyst
    gas = GasFluxRecord(t, {"O2": np.asarray(sim.fluxes["O2"])})
    _steps, offset = dems_steps(current, gas, time_offset_s="auto")
    assert offset >= 0.0
