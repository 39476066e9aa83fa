"""Electrode kinetics: analytic identities, a closed-form overpotential and the integrator's order.

Kind 2 of the house style (analytic solutions and convergence order):

* the Butler–Volmer relation and its symmetric inverse, its Tafel (high-field)
  and linear (low-field) limits (Bard & Faulkner, *Electrochemical Methods*,
  2nd ed., 2001, Eq. 3.4.11 and §3.4.3–3.4.4);
* the affinity factor of transition-state theory (Aagaard & Helgeson 1982,
  doi:10.2475/ajs.282.3.237): no net rate at or below equilibrium;
* one Butler–Volmer reaction carrying a constant current: the NaO2 formation of
  the lumped model, whose overpotential has a closed form (derived below) that
  the simulated air-electrode potential must follow;
* backward Euler is first order: with fixed steps the error at a fixed time
  halves when the step halves.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import metalair as ma
from metalair.constants import F, R
from metalair.models.lumped import LumpedAirElectrode
from metalair.physics import kinetics, vectorized
from metalair.units import from_user

# the physics functions take floats (they are what the compiled kernel calls); these are their array forms
affinity_gated_rate = vectorized(kinetics.affinity_gated_rate)
butler_volmer = vectorized(kinetics.butler_volmer)
butler_volmer_overpotential = vectorized(kinetics.butler_volmer_overpotential)
tafel_overpotential = vectorized(kinetics.tafel_overpotential)

T = 298.15
f1 = F / (R * T)  # 1/V, about 38.9


# ---------------------------------------------------------------- Butler–Volmer


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("n", [1, 2])
def test_butler_volmer_round_trip_symmetric(alpha, n):
    """For alpha_a = alpha_c = alpha, i = 2 i0 sinh(alpha n f eta) inverts exactly."""
    eta = np.linspace(-0.4, 0.4, 81)
    i0 = 0.37
    i = butler_volmer(eta, i0, alpha_a=alpha, alpha_c=alpha, n=n, T=T)
    back = butler_volmer_overpotential(i, i0, n=n, T=T, alpha=alpha)
    np.testing.assert_allclose(back, eta, rtol=0, atol=1e-12)
    # and the closed form itself: 2 i0 sinh(alpha n f eta)
    np.testing.assert_allclose(i, 2 * i0 * np.sinh(alpha * n * f1 * eta), rtol=1e-12, atol=1e-300)


def test_butler_volmer_sign_and_odd_symmetry():
    eta = np.array([-0.3, -0.01, 0.0, 0.01, 0.3])
    i = butler_volmer(eta, 1.0)
    assert np.all(np.sign(i) == np.sign(eta))  # anodic (eta > 0) positive, cathodic negative
    assert i[2] == 0.0
    np.testing.assert_allclose(i, -i[::-1], rtol=1e-14)  # odd for alpha = 1/2


def test_butler_volmer_activities_shift_equilibrium_by_nernst():
    """With c_red, c_ox the zero-current overpotential is (RT/nF) ln(c_ox/c_red)."""
    c_red, c_ox, n = 0.2, 3.0, 1
    eta0 = math.log(c_ox / c_red) / (n * f1)
    assert abs(float(butler_volmer(eta0, 1.0, n=n, c_red=c_red, c_ox=c_ox))) < 1e-12


@pytest.mark.parametrize("alpha,n", [(0.5, 1), (0.3, 1), (0.5, 2)])
def test_tafel_limit(alpha, n):
    """Far from equilibrium the back reaction vanishes: eta = (RT/alpha n F) ln(i/i0)."""
    i0 = 1e-3
    eta = np.array([0.4, 0.6, 0.8])
    i = butler_volmer(eta, i0, alpha_a=alpha, alpha_c=1 - alpha, n=n, T=T)
    # the neglected cathodic branch is a fraction exp(-n f eta) of the anodic one
    np.testing.assert_allclose(tafel_overpotential(i, i0, alpha=alpha, n=n, T=T), eta, rtol=0, atol=1e-6)
    # symmetric inverse tends to the Tafel line
    if alpha == 0.5:
        np.testing.assert_allclose(butler_volmer_overpotential(i, i0, n=n, T=T), eta, atol=1e-9)
    # Tafel slope: 59.16 mV/decade / (alpha n) at 25 °C
    slope = np.diff(tafel_overpotential(np.array([1.0, 10.0]), 1e-3, alpha=alpha, n=n, T=T))[0]
    assert slope == pytest.approx(math.log(10) / (alpha * n * f1), rel=1e-12)
    assert slope * alpha * n == pytest.approx(0.05916, abs=1e-5)


def test_linear_limit_charge_transfer_resistance():
    """Near equilibrium di/deta = i0 n f (alpha_a + alpha_c)."""
    i0, n, aa, ac = 0.8, 2, 0.4, 0.6
    h = 1e-7
    slope = (butler_volmer(h, i0, aa, ac, n) - butler_volmer(-h, i0, aa, ac, n)) / (2 * h)
    assert float(slope) == pytest.approx(i0 * n * f1 * (aa + ac), rel=1e-9)


# --------------------------------------------------------- affinity-gated rate


def test_affinity_gated_rate_zero_at_and_below_equilibrium():
    eta = np.array([-50.0, -1.0, -1e-9, 0.0])
    r = affinity_gated_rate(eta, k_forward=3.0, alpha=0.5, n=2)
    assert np.all(r == 0.0)
    assert np.all(np.isfinite(r))


def test_affinity_gated_rate_positive_monotone_and_limits():
    k, alpha = 2.5, 0.5
    eta = np.linspace(1e-6, 0.6, 400)
    for n in (1, 2):
        r = affinity_gated_rate(eta, k, alpha, n=n, T=T)
        assert np.all(r > 0.0)
        assert np.all(np.diff(r) > 0.0)  # never falls as the driving force grows
        # near equilibrium: linear, r ~ k n f eta
        small = affinity_gated_rate(1e-7, k, alpha, n=n, T=T)
        assert float(small) == pytest.approx(k * n * f1 * 1e-7, rel=1e-5)
        # far from equilibrium: Tafel, r ~ k exp(alpha n f eta)
        big = affinity_gated_rate(0.6, k, alpha, n=n, T=T)
        assert float(big) == pytest.approx(k * math.exp(alpha * n * f1 * 0.6), rel=1e-9)


# ----------------------------------------- closed-form overpotential, full model


def _closed_form_eta(I, A, i0, theta, T):
    r"""Overpotential of the model's NaO2 formation carrying cathodic cell current ``I`` [A/kg].

    The model (``LumpedAirElectrode._evaluate``) writes the net NaO2 formation
    rate with O2 at the reaction zone (saturation theta) on the cathodic branch
    only, alpha_c = 1/2:

        I = A i0 [theta e^{-f eta/2} - e^{+f eta/2}]

    With x = f eta/2 and s = ln sqrt(theta): theta e^{-x} - e^{x}
    = sqrt(theta) (e^{s-x} - e^{x-s}) = 2 sqrt(theta) sinh(s - x), hence

        eta = (1/f) ln theta - (2/f) asinh( I / (2 A i0 sqrt(theta)) ),

    i.e. the symmetric Butler–Volmer inverse at the O2-scaled exchange current
    plus the Nernst shift of the O2 activity.
    """
    return (-butler_volmer_overpotential(I / A, i0 * np.sqrt(theta), n=1, T=T, alpha=0.5)
            + np.log(theta) * R * T / F)


@pytest.mark.parametrize(
    "catalyst,current,changes",
    [
        ("RuO2", 100.0, {}),
        ("NLRO", 100.0, {}),
        ("RuO2", 1000.0, {}),
        # O2-starved reaction zone (a 200x thicker film): theta ~ 0.1, so the Nernst term matters (~ -60 mV)
        ("RuO2", 100.0, {"o2_film_thickness": 2.0e-4}),
    ],
)
def test_single_butler_volmer_reaction_under_constant_current(catalyst, current, changes):
    """Early constant-current discharge: E = E_eq(NaO2) + eta_closed_form(I_cell) to 1e-6 V.

    Only NaO2 formation carries current here: Na2O2 formation and electrolyte
    oxidation are switched off, NLRO's host couples sit ~1 V above the potential
    and the double layer stops charging after the first seconds.
    """
    # no residue either: its interfacial skin would scale the exchange current (passivation)
    p = ma.DEFAULT_PARAMETERS.replace(i0_form_Na2O2=0.0, i0_electrolyte_oxidation=0.0,
                                      k_electrolyte_attack=0.0, **changes)
    m = LumpedAirElectrode(catalyst, parameters=p)
    hours = 200.0 / current  # 200 mAh/g: the free area stays 1
    duration = from_user(hours, "h")
    sol = ma.Simulation(model=m, protocol=ma.Discharge(f"{current!r} mA/g", duration=f"{hours!r} h"),
                        solver=ma.SolverSettings(dt_max=duration / 40.0)).run()
    assert sol.ok
    t = sol["Time [s]"]
    late = t > 0.25 * t[-1]  # past the double-layer transient
    assert late.sum() >= 5
    E = sol["Air electrode potential [V]"][late]
    I = sol["Current [mA/g]"][late]  # A/kg
    theta = sol["O2 saturation at reaction zone [-]"][late]
    free = sol["Free area fraction [-]"][late]
    np.testing.assert_allclose(I, current, rtol=1e-9)  # to the root-finder tolerance
    assert np.all(free > 0.999)
    if changes:
        assert theta.max() < 0.3  # the O2 term is really exercised
    expected = m.equilibrium_potentials()["NaO2"] + _closed_form_eta(I, m.A0 * free, p.i0_form_NaO2, theta, m.T)
    np.testing.assert_allclose(E, expected, rtol=0, atol=1e-6)


# -------------------------------------------------------- convergence order


CONVERGENCE_PROTOCOL = "Discharge at 100 mA/g for 1 h; Charge at 100 mA/g for 1.3 h"


def _fixed_step_voltage(dt):
    s = ma.SolverSettings(max_change=1e9, rtol=1e9, atol=1e9, dt_initial=dt, dt_max=dt, growth=1.0000001)
    sol = ma.Simulation("NLRO", CONVERGENCE_PROTOCOL, solver=s).run()
    assert sol.ok
    assert sol["Time [s]"][-1] == pytest.approx(2.3 * 3600.0, abs=1e-6)
    steps = np.diff(sol["Time [s]"][1:])
    # fixed steps really (the last one of a step may be shorter)
    assert np.median(steps) == pytest.approx(dt, rel=1e-6)
    return sol["Voltage [V]"][-1]


def test_backward_euler_first_order_across_charge_transition():
    """Voltage at the end of a charge that has crossed from the NaO2 plateau (~2.5 V)
    into the host-couple region (~3.3 V): error ∝ dt (backward Euler).

    The reference is Richardson-extrapolated from two fine runs (second order),
    so it does not bias the observed order.
    """
    v_fine, v_finer = _fixed_step_voltage(2.5), _fixed_step_voltage(1.25)
    reference = 2.0 * v_finer - v_fine
    assert 3.0 < reference < 3.5  # really in the transition
    dts = (40.0, 20.0, 10.0)
    errors = [abs(_fixed_step_voltage(dt) - reference) for dt in dts]
    orders = [math.log2(errors[k] / errors[k + 1]) for k in range(2)]
    for p in orders:
        assert 0.8 <= p <= 1.3, (errors, orders)
    # least-squares order over the three
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert 0.8 <= slope <= 1.3


def test_insertion_step_stays_finite_far_below_its_couple():
    """A couple 5 mV wide at 6 V met by the potential search at -5 V: the exponent -1100 made e^(x/2) zero and the
    update divided by it (ZeroDivisionError); far below the couple it is fully reduced, far above fully oxidised."""
    from metalair.physics.kinetics import insertion_step

    assert insertion_step(0.7, -5.0, 6.0, 0.005, 1.0, 10.0) == pytest.approx(0.0, abs=1e-200)
    assert insertion_step(0.3, 17.0, 6.0, 0.005, 1.0, 10.0) == pytest.approx(1.0, rel=1e-12)
    assert insertion_step(0.3, 6.0, 6.0, 0.005, 1.0, 1e9) == pytest.approx(0.5, rel=1e-9)  # equilibrium at E0
