"""The model's impedance (linearisation of its own equations) against a time-domain simulation.

A small sinusoidal current on top of a DC bias is simulated with the model's
own implicit step (1000 steps per period) and the voltage's response at that
frequency is extracted by least squares; it must match the linearised
impedance to 1 % in |Z| and 1° in phase. The charge-transfer arc must grow
as discharge products passivate the catalyst.
"""

from __future__ import annotations

import numpy as np
import pytest

import metalair as ma
from metalair.models import _kernel as K
from metalair.models.declaration import O, Y
from metalair.models.impedance import cell_impedance, linearise
from metalair.workflows.impedance import OPEN_CIRCUIT_NOTE, model_spectrum, spectra_along

BIAS = 50.0  # A/kg = mA/g, discharge


@pytest.fixture(scope="module")
def state():
    model = ma.LumpedAirElectrode("NLRO")
    sol = ma.Simulation(model=model, protocol=f"Discharge at {BIAS:g} mA/g for 5000 mAh/g").run()
    assert sol.ok
    return model, sol.final_state


def _time_domain(model, y0, f, amplitude=2.0, n_per=1000, periods=6):
    w = 2 * np.pi * f
    dt = 1.0 / (f * n_per)
    y = y0.copy()
    out = K.new_output(len(model.couples))
    ny = model.n_states
    t = np.arange(1, n_per * periods + 1) * dt
    v = np.empty(len(t))
    slope = np.zeros(1)  # the integrator's memory of the balance's slope, carried from step to step
    for k, tk in enumerate(t):
        assert K.step(model.ctx, y, dt, K.CONTROL_CURRENT, BIAS + amplitude * np.sin(w * tk), y[Y.potential],
                      0.005, slope, out)
        y = out[:ny].copy()
        v[k] = out[ny + O.cell_voltage]
    m = t > 2.0 / f  # past the start-up transient
    tt = t[m] - t[m].mean()
    basis = np.column_stack([np.ones(m.sum()), tt, tt ** 2, np.sin(w * t[m]), np.cos(w * t[m])])
    c = np.linalg.lstsq(basis, v[m], rcond=None)[0]
    return -(c[3] + 1j * c[4]) / amplitude  # Z = -dV/dI with the discharge-positive current


@pytest.mark.parametrize("f", [1000.0, 10.0, 1.0, 0.1, 0.001])
def test_linearised_impedance_matches_a_time_domain_sine(state, f):
    model, y0 = state
    z_lin = cell_impedance(linearise(model, y0, BIAS), [f])[0]
    z_td = _time_domain(model, y0, f)
    assert abs(z_td) == pytest.approx(abs(z_lin), rel=0.01)
    assert abs(np.degrees(np.angle(z_td) - np.angle(z_lin))) < 1.0


def test_high_frequency_limit_is_the_ohmic_and_anode_resistance(state):
    model, y0 = state
    lin = linearise(model, y0, BIAS)
    z = cell_impedance(lin, [1e7])[0]
    assert z.real == pytest.approx(lin.R_ohm + lin.R_anode, rel=1e-4)
    assert z.imag < 0  # capacitive


def test_charge_transfer_arc_grows_as_products_passivate_the_catalyst():
    res = spectra_along("NLRO", "100 mA/g", (500, 5000, 10000, 14000), frequency_Hz=np.logspace(3, -3, 13))
    rct = [s.metadata["charge_transfer_resistance_ohm_cm2"] for s in res.spectra]
    assert all(b > a for a, b in zip(rct, rct[1:]))
    assert rct[-1] > 5 * rct[0]
    low = [abs(s.impedance[-1]) for s in res.spectra]  # 1 mHz
    assert low[-1] > 5 * low[0]


def test_open_circuit_spectrum_says_it_is_not_unique():
    res = model_spectrum("NLRO", "Discharge at 100 mA/g for 1000 mAh/g; Rest for 10 min",
                         frequency_Hz=np.logspace(3, -2, 6))
    assert OPEN_CIRCUIT_NOTE in res.notes
    assert model_spectrum("NLRO", "Discharge at 100 mA/g for 1000 mAh/g", frequency_Hz=[1.0]).notes == []


def test_bad_state_and_frequencies_are_refused(state):
    model, y0 = state
    with pytest.raises(ma.ParameterError, match="finite"):
        linearise(model, y0[:-1], 0.0)
    with pytest.raises(ma.ParameterError, match="positive"):
        cell_impedance(linearise(model, y0, BIAS), [0.0])


def test_a_bias_other_than_the_last_steps_current_moves_the_potential_to_carry_it():
    """A stress audit: the spectrum under bias 0, +10, +1000 or -100 mA/g after a 100 mA/g discharge was the same
    to 13 digits, all taken at the potential that carries 100 mA/g. The potential now moves (products held) to
    where the faradaic current equals the bias, and the note says so; the bias of the last step changes nothing."""
    from metalair.models.impedance import _faradaic, balance_potential
    from metalair.workflows.impedance import model_spectrum

    at = "Discharge at 100 mA/g for 7000 mAh/g"
    none, same = model_spectrum("NLRO", at), model_spectrum("NLRO", at, bias="100 mA/g")
    np.testing.assert_allclose(same.spectra[0].impedance, none.spectra[0].impedance, rtol=1e-6)
    assert not any("was moved" in n for n in same.notes)
    charging = model_spectrum("NLRO", at, bias="-100 mA/g")
    assert any("the electrode potential was moved from" in n for n in charging.notes)
    rct = {k: s.spectra[0].metadata["charge_transfer_resistance_ohm_cm2"] for k, s in
           (("discharge", none), ("charge", charging))}
    assert rct["charge"] > 2 * rct["discharge"]  # NaO2 is oxidised at its contact area, formed on the free area
    # the balance itself: at the potential found, the state carries the bias
    from metalair.models.impedance import RATE_STEP
    from metalair.protocols.simulation import Simulation

    sim = Simulation("NLRO", at, save_cycles=())
    y = sim.run().final_state
    for bias in (-100.0, 0.0, 10.0):  # A/kg of catalyst, that is mA/g
        E = balance_potential(sim.model, y, bias)
        assert abs(-_faradaic(sim.model, y, E, RATE_STEP)[1] - bias) < 1e-6
    assert balance_potential(sim.model, y, 100.0) == pytest.approx(float(y[Y.potential]), abs=2e-4)


def test_a_state_without_a_faradaic_reaction_has_no_charge_transfer_resistance():
    """RuO2 in argon has no reaction to run: 1/(dI_F/dE) came out as 8.35e25 Ω·cm² and was printed as a number."""
    res = model_spectrum("RuO2", "Rest for 1 s", environment="argon")
    assert res.spectra[0].metadata["charge_transfer_resistance_ohm_cm2"] is None
    assert OPEN_CIRCUIT_NOTE not in res.notes  # a note on the NaO2 couple, where no NaO2 can form
    assert model_spectrum("RuO2", "Discharge at 100 mA/g for 500 mAh/g").spectra[0].metadata[
        "charge_transfer_resistance_ohm_cm2"] > 0
