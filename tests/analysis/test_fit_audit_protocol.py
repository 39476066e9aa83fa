"""Audit of ``fit_model`` against records with known answers: the order of a charge-first record,
a parameter the curves ignore, bounds outside the allowed range, and a record the model cannot start on.

Each record is simulated with known parameters and a finer solver than the fit's, then resampled
every 30 s (as a cycler logs) with Gaussian voltage noise of 3 mV.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import metalair as ma
from metalair.analysis.fitting import fit_model, protocol_from_data
from metalair.analysis.simulated import to_cycler_data
from metalair.errors import ParameterError
from metalair.protocols import Charge, Discharge, Rest
from metalair.tables.cycler import CyclerData

P = ma.DEFAULT_PARAMETERS
TRUTH_SOLVER = ma.SolverSettings(dt_max=20.0, max_change=5e-4, rtol=1e-5, atol=3e-6)
NOISE_V = 0.003


def _every(data: CyclerData, dt_s: float) -> CyclerData:
    """The record as a cycler logs it: every ``dt_s`` within each step, and the step's last point."""
    keep: list[int] = []
    for s in np.unique(data.step):
        rows = np.flatnonzero(data.step == s)
        t = data.time_s[rows]
        marks = np.arange(t[0], t[-1], dt_s)
        keep.extend(rows[np.unique(np.searchsorted(t, marks))].tolist())
        keep.append(int(rows[-1]))
    rows = np.unique(keep)
    return replace(data.take(rows), follows_gap=None)


def _record(steps, truth, seed=0, mass_g=5e-4) -> CyclerData:
    sol = ma.Simulation("NLRO", steps, parameters=P.replace(**truth), solver=TRUTH_SOLVER).run()
    assert sol.ok, sol.message
    data = _every(to_cycler_data(sol, mass_g=mass_g), 30.0)
    noise = np.random.default_rng(seed).normal(0.0, NOISE_V, len(data))
    return replace(data, voltage_V=data.voltage_V + noise)


CHARGE_FIRST = [Charge("100 mA/g", capacity="100 mAh/g"), Rest("10 min"),
                Discharge("100 mA/g", capacity="500 mAh/g"), Charge("100 mA/g", capacity="500 mAh/g")]


def test_a_charge_first_record_is_simulated_in_the_order_it_ran():
    """Before the fix each cycle's discharge was put before its charge: the model discharged first, rested
    4200 s, then charged 100 mAh/g; the fit ended at a bound (i0_dec_NaO2 2.9e-5 for a true 5.8e-3)
    with an RMSE of 720 mV, reported as a poor fit blaming the mass or the sign."""
    truth = {"i0_dec_NaO2": 2 * P.i0_dec_NaO2}
    data = _record(CHARGE_FIRST, truth)
    proto, targets, _notes = protocol_from_data(data, cycles=[1, 2])
    kinds = [type(s).__name__ for s in proto.steps]
    assert kinds == ["Charge", "Rest", "Discharge", "Charge"]
    assert proto.steps[1].duration == pytest.approx(600.0, abs=1.0)
    assert [(t.cycle, t.kind) for t in targets] == [(1, "charge"), (1, "discharge"), (2, "charge")]
    assert [round(t.end_capacity_mAh_g) for t in targets] == [100, 500, 500]

    fit = fit_model(data, "NLRO", list(truth), cycles=[1, 2])
    assert fit.success and not fit.poor_fit, fit.message
    lo, hi = fit.ci95["i0_dec_NaO2"]
    assert lo < truth["i0_dec_NaO2"] < hi
    assert 0.5 * NOISE_V < fit.rmse_V < 1.5 * NOISE_V


def test_a_parameter_the_curves_ignore_is_named_and_the_others_keep_their_intervals():
    """i0_dec_residue does not change a 500 mAh/g cycle at all (its Jacobian column is exactly zero). Before the
    fix that made JᵀJ singular: no interval for i0_dec_NaO2 either, and a note naming neither."""
    truth = {"i0_dec_NaO2": 2 * P.i0_dec_NaO2}
    data = _record([Discharge("100 mA/g", capacity="500 mAh/g"), Charge("100 mA/g", capacity="500 mAh/g")],
                   truth, seed=1)
    fit = fit_model(data, "NLRO", ["i0_dec_NaO2", "i0_dec_residue"])
    lo, hi = fit.ci95["i0_dec_NaO2"]
    assert lo < truth["i0_dec_NaO2"] < hi
    assert hi / lo < 1.1
    assert all(np.isnan(fit.ci95["i0_dec_residue"]))
    assert fit.values["i0_dec_residue"] == pytest.approx(P.i0_dec_residue, rel=1e-12)
    assert any("i0_dec_residue (the curves do not change with it at all)" in n for n in fit.notes), fit.notes
    assert not any("i0_dec_NaO2 (" in n for n in fit.notes)
    assert not any("JᵀJ is singular" in n for n in fit.notes)


def _flat_record() -> CyclerData:
    """A 1 mA discharge for 1 h (no model run is needed to refuse the arguments)."""
    t = np.arange(0.0, 3600.0, 60.0)
    n = t.size
    return CyclerData(t, np.linspace(2.3, 2.1, n), np.full(n, 1e-3), np.ones(n), np.ones(n), ["discharge"] * n,
                      metadata={"mass_g": 0.001})


@pytest.mark.parametrize(("bounds", "message"), [
    ({"beta_fe": (1.5, 2.0)}, r"bounds\['beta_fe'\] = \(1\.5, 2\) lie outside the range LumpedParameters allows "
                              r"for beta_fe: allowed \[0, 1\]; give bounds inside it"),
    ({"beta_fe": (float("nan"), 0.5)}, r"bounds\['beta_fe'\] = \(nan, 0\.5\): both bounds must be finite numbers; "
                                       r"allowed \[0, 1\]"),
    ({"i0_dec_NaO2": (1e-6, float("inf"))}, r"bounds\['i0_dec_NaO2'\] = \(1e-06, inf\): both bounds must be finite "
                                            r"numbers; allowed \(0, inf\) A/m²"),
])
def test_bounds_outside_the_allowed_range_or_not_finite_are_refused(bounds, message):
    """Before: (1.5, 2) said 'empty once clipped ... (1.5, 1)', NaN said 'the low bound must be below the high
    one', and an infinite bound ran the fit and flagged the start value as 'at a bound'."""
    with pytest.raises(ParameterError, match=message):
        fit_model(_flat_record(), "NLRO", list(bounds), bounds=bounds)


def test_a_fit_that_cannot_start_says_what_to_check_and_not_to_hold_the_value():
    """A record with its current sign reversed throughout (step types too): the model is asked to charge a fresh
    cell by 500 mAh/g and stops at once. The message says what to check; before the fix it did not, and a note
    said to hold the parameter at its shipped value."""
    data = _record([Discharge("100 mA/g", capacity="500 mAh/g"), Charge("100 mA/g", capacity="500 mAh/g")], {})
    swap = {"discharge": "charge", "charge": "discharge"}
    flipped = replace(data, current_A=-data.current_A, capacity_Ah=-data.capacity_Ah,
                      step_type=np.array([swap.get(k, k) for k in data.step_type]))
    fit = fit_model(flipped, "NLRO", ["i0_dec_NaO2"], max_nfev=10)
    assert not fit.success
    assert "the model cannot reach the data" in fit.message
    assert "the sign of the current (discharge positive)" in fit.message
    assert not any("hold them at their shipped values" in n for n in fit.notes), fit.notes


def test_half_cycles_come_in_the_order_the_cell_ran_them():
    """half_cycles promised 'in order' but listed each cycle's discharge before its charge, so a cycle that
    opens with a charge came out reversed (the cause of the charge-first fit above)."""
    from metalair.analysis.cycle_metrics import half_cycles

    sol = ma.Simulation("NLRO", CHARGE_FIRST).run()
    halves = half_cycles(to_cycler_data(sol, mass_g=5e-4), cycle_start="file")
    starts = [int(h.rows[0]) for h in halves]
    assert starts == sorted(starts)
    assert [h.kind for h in halves][:2] == ["charge", "discharge"]
