"""Conservation laws of the lumped model, on fixed and on random protocols (hypothesis).

Kind 3 of the house style (invariants). The balances are generated from the
model declaration (``metalair.models.declaration``): the current channels, the
product inventories with their sodium and oxygen content, and the gas
stoichiometry of every process. So a reaction added to the declaration is
checked here without editing this file.

* charge: every coulomb through the cell went into one channel,
  Σ_channels Q_ch + Q_net = 0 (channel charges anodic positive, net discharge
  capacity discharge positive);
* sodium: every Na+ in a product came with one electron of a product channel,
  Σ_inventories Na_i n_i = −Σ_product channels Q_ch / F (the host and
  double-layer channels carry no product sodium; carbonate and residue form
  chemically from NaO2/Na2O2 and so keep their sodium);
* oxygen: every O atom in a product came from the gas,
  Σ_inventories O_i n_i = 2 O2 + 2 CO2 + H2O taken up.

Plus positivity of every inventory, host fractions in [0, 1], free area in
(0, 1], strictly increasing time and non-decreasing step capacity.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import metalair as ma
from metalair.constants import F
from metalair.models.declaration import CHANNELS, INVENTORIES
from metalair.protocols.simulation import REFERENCE_PROTOCOL

MAH_G_TO_MOL_G = 3.6 / F  # 1 mAh/g = 3.6 C/g

RTOL = 1e-9


def _close(lhs, rhs, scale, what):
    err = np.max(np.abs(lhs - rhs))
    tol = RTOL * scale + 1e-30
    assert err <= tol, f"{what} balance off by {err:.3e} (scale {scale:.3e})"


def channel_names(sol):
    """Every channel the solution reports (declared channels and extra couples)."""
    return [k[: -len(" charge [mAh/g]")] for k in sol.keys() if k.endswith(" charge [mAh/g]")]


def check_balances(sol, hydrate_water=1.0):
    """The three conservation laws at every recorded time."""
    names = channel_names(sol)
    assert {ch.name for ch in CHANNELS} <= set(names)
    q = {ch: sol[f"{ch} charge [mAh/g]"] for ch in names}
    q_net = sol["Net discharge capacity [mAh/g]"]
    # charge
    channel_sum = sum(q.values())
    scale_q = max(np.max(np.abs(q_net)), max(np.max(np.abs(v)) for v in q.values()))
    _close(channel_sum, -q_net, scale_q, "charge")
    # sodium
    product_channels = [ch.name for ch in CHANNELS if ch.product]
    n = {inv.name: sol[f"{inv.name} [mol/g]"] for inv in INVENTORIES}
    na_products = sum(inv.sodium * n[inv.name] for inv in INVENTORIES)
    na_electrons = -sum(q[ch] for ch in product_channels) * MAH_G_TO_MOL_G
    scale_na = max(np.max(na_products), max(np.max(np.abs(q[ch])) for ch in product_channels) * MAH_G_TO_MOL_G)
    _close(na_products, na_electrons, scale_na, "sodium")
    # oxygen
    o_products = sum((inv.oxygen + inv.oxygen_per_x * hydrate_water) * n[inv.name] for inv in INVENTORIES)
    gas = {g: sol[f"{g} uptake [mol/g]"] for g in ("O2", "CO2", "H2O")}
    o_gas = 2 * gas["O2"] + 2 * gas["CO2"] + gas["H2O"]
    scale_o = max(np.max(o_products), max(np.max(np.abs(v)) for v in gas.values()))
    _close(o_products, o_gas, scale_o, "oxygen")


def check_physical(sol):
    """Nothing negative, fractions in range, time forward, step capacity non-decreasing."""
    for inv in INVENTORIES:
        k = inv.name
        v = sol[f"{k} [mol/g]"]
        assert np.all(np.isfinite(v)), k
        assert np.min(v) >= 0.0, f"{k} went negative: {np.min(v)}"
    assert np.all(sol["Surface-grown NaO2 [mol/g]"] <= sol["NaO2 [mol/g]"])  # a part of the total
    for k in sol.keys():
        if "oxidised fraction" in k:
            z = sol[k]
            assert np.all((z >= 0.0) & (z <= 1.0)), k
    free = sol["Free area fraction [-]"]
    assert np.all((free > 0.0) & (free <= 1.0))
    theta = sol["O2 saturation at reaction zone [-]"]
    assert np.all((theta >= 0.0) & (theta <= 1.0 + 1e-12))
    t = sol["Time [s]"]
    assert np.all(np.diff(t) > 0.0), "time must increase strictly"
    step = sol["Step"]
    cap = sol["Capacity [mAh/g]"]
    for i in np.unique(step[1:]):
        c = cap[step == i]
        assert np.all(np.diff(c) >= 0.0), f"capacity fell within step {i}"
    assert np.all(np.isfinite(sol["Voltage [V]"]))


# --------------------------------------------------------------- fixed protocols


@pytest.fixture(scope="module", params=["NLRO", "RuO2"])
def reference_solution(request):
    return ma.simulate(request.param, REFERENCE_PROTOCOL)


@pytest.mark.parametrize("catalyst", ["NLRO", "RuO2"])
def test_balances_hold_with_superoxide_attack_on(catalyst):
    """Superoxide attack on the electrolyte is off in the shipped set; switched on, the residue it
    leaves forms (and NLRO oxidises it on charge; RuO2 keeps it), and sodium, oxygen and charge
    still balance."""
    sol = ma.simulate(catalyst, REFERENCE_PROTOCOL,
                      parameters=ma.DEFAULT_PARAMETERS.replace(k_electrolyte_attack=5e-9))
    assert sol.ok
    assert np.max(sol["Residue [mol/g]"]) > 1e-4
    if catalyst == "NLRO":
        assert sol.steps[1].charge_by_reaction_mAh_g["Residue"] > 1.0
    check_balances(sol)
    check_physical(sol)


def test_reference_protocol_balances(reference_solution):
    sol = reference_solution
    assert sol.ok
    assert [s.end_reason for s in sol.steps] == ["voltage limit", "voltage limit"]
    check_balances(sol)
    check_physical(sol)


def test_reference_protocol_balances_hold_in_the_step_summaries(reference_solution):
    """Step summaries: Σ channel charges of a step = ± its capacity (sign of the step)."""
    for s in reference_solution.steps:
        total = sum(s.charge_by_reaction_mAh_g.values())
        sign = -1.0 if s.kind == "discharge" else 1.0
        assert total == pytest.approx(sign * s.capacity_mAh_g, rel=1e-9)


MIXED = [
    ma.Discharge(current="200 mA/g", capacity="300 mAh/g", until="1.5 V"),
    ma.Rest(duration="2 h"),
    ma.Hold(voltage="3.0 V", duration="1 h"),
    ma.Rest(duration="30 min"),
    ma.Sweep(scan_rate="1 mV/s", lower=2.0, upper=4.0),
    ma.Charge(current="100 mA/g", until="4.8 V"),
]


@pytest.mark.parametrize("catalyst", ["NLRO", "RuO2"])
def test_rests_hold_and_cv_sweep_balances(catalyst):
    sol = ma.simulate(catalyst, MIXED)
    assert sol.ok, sol.message
    assert [s.kind for s in sol.steps] == ["discharge", "rest", "hold", "rest", "sweep", "charge"]
    check_balances(sol)
    check_physical(sol)
    # a rest passes no net current through the cell
    rest = sol["Step"] == 2
    assert np.all(np.abs(sol["Current [mA/g]"][rest]) < 1e-6)  # root-finder residual only


@pytest.mark.parametrize("x", [0.0, 2.5])
def test_balances_with_other_hydrate_water(x):
    """The oxygen balance must follow x of Na2CO3·xH2O (x = 0 in dry air, where no water is taken up)."""
    env = ma.DRY_AIR if x == 0.0 else ma.AMBIENT_AIR
    sol = ma.simulate("NLRO", "Discharge at 500 mA/g for 400 mAh/g; Rest for 10 h; Charge at 500 mA/g until 4.8 V",
                      parameters=ma.DEFAULT_PARAMETERS.replace(hydrate_water=x), environment=env)
    assert sol.ok
    assert sol["Na2CO3 [mol/g]"].max() > 0.0  # carbonate really formed
    check_balances(sol, hydrate_water=x)
    check_physical(sol)
    if x == 0.0:
        assert np.all(sol["H2O uptake [mol/g]"] == 0.0)


# ---------------------------------------------------------------- random protocols


def _discharge(draw):
    return ma.Discharge(current=f"{draw(st.floats(20.0, 1000.0))!r} mA/g",
                        capacity=f"{draw(st.floats(10.0, 500.0))!r} mAh/g",
                        until=draw(st.floats(1.5, 2.15)))


def _charge(draw):
    return ma.Charge(current=f"{draw(st.floats(20.0, 1000.0))!r} mA/g",
                     capacity=f"{draw(st.floats(10.0, 500.0))!r} mAh/g",
                     until=draw(st.floats(2.5, 4.8)))


def _rest(draw):
    return ma.Rest(duration=f"{draw(st.floats(1.0, 600.0))!r} min")


def _hold(draw):
    return ma.Hold(voltage=draw(st.floats(2.1, 4.6)),
                   duration=f"{draw(st.floats(1.0, 180.0))!r} min",
                   until_current=draw(st.one_of(st.none(), st.floats(1.0, 50.0).map(lambda i: f"{i!r} mA/g"))))


@st.composite
def random_protocols(draw):
    makers = draw(st.lists(st.sampled_from([_discharge, _charge, _rest, _hold]), min_size=2, max_size=5))
    return [make(draw) for make in makers]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalyst=st.sampled_from(["NLRO", "RuO2"]), steps=random_protocols())
def test_random_protocols_conserve_charge_sodium_oxygen(catalyst, steps):
    sol = ma.simulate(catalyst, steps)
    assert sol.ok, sol.message
    assert len(sol.steps) == len(steps)
    check_balances(sol)
    check_physical(sol)
