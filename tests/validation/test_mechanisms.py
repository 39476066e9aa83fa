"""Mechanism tests: remove or change one mechanism and the result must move, for the physical reason.

Each test is a counterfactual on the built-in parameter sets (Sun et al.,
Nat. Commun. 2025, for the catalysts): the cascade (the catalyst's state
following the host's sodium content), the atmosphere (CO2 and water make
the carbonate), and the kinetics (a faster current costs overpotential and
capacity).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

import metalair as ma
from metalair.analysis.summary import charge_plateaus
from metalair.catalysts import NLRO, RUO2
from metalair.constants import F, R
from metalair.protocols.simulation import REFERENCE_PROTOCOL
from metalair.workflows.cycling import run_cycling

P6 = {"current": "500 mA/g", "capacity": "500 mAh/g", "cycles": 1000, "v_min": "1.5 V", "v_max": "4.8 V",
      "eod_threshold_V": 2.0}


def _charge(sol):
    dis = next(s for s in sol.steps if s.kind == "discharge")
    ch = next(s for s in sol.steps if s.kind == "charge")
    return dis, ch, charge_plateaus(sol, ch.index)


def test_frozen_nlro_loses_the_separated_plateaus_and_recovers_less():
    """NLRO frozen in its discharged state binds Na2O2 and carbonate as state 0 does (weaker: the
    d-band sits 0.24/0.37 eV lower), so their oxidation needs more overpotential and no longer
    separates into the 3.5 and 4.5 V plateaus; the carbonate is not all removed by 4.8 V."""
    _, ch, pl = _charge(ma.simulate(NLRO, REFERENCE_PROTOCOL))
    dis_f, ch_f, pl_f = _charge(ma.simulate(NLRO.frozen(), REFERENCE_PROTOCOL))
    assert len(pl) == 3
    assert len(pl_f) < 3
    assert ch_f.capacity_mAh_g / dis_f.capacity_mAh_g < 0.95 * ch.capacity_mAh_g / dis_f.capacity_mAh_g
    # what is left after the frozen charge is carbonate
    assert ch_f.products_end_mol_g["Na2CO3"] > 10 * ch.products_end_mol_g["Na2CO3"]


def test_ruo2_given_nlro_switching_recovers_more_charge():
    """RuO2's own bond strengths, but a state that moves with an NLRO-like host: its charge
    recovers more of the discharge than the fixed-state RuO2 does."""
    switching = replace(
        RUO2, name="RuO2 with switching", host_couples=NLRO.host_couples,
        descriptors={k: replace(d, stage=NLRO.descriptors[k].stage, d_band_centre=NLRO.descriptors[k].d_band_centre)
                     for k, d in RUO2.descriptors.items()})
    dis, ch, _ = _charge(ma.simulate(RUO2, REFERENCE_PROTOCOL))
    dis_s, ch_s, _ = _charge(ma.simulate(switching, REFERENCE_PROTOCOL))
    assert ch_s.capacity_mAh_g / dis_s.capacity_mAh_g > ch.capacity_mAh_g / dis.capacity_mAh_g + 0.2


@pytest.mark.slow
def test_pure_o2_makes_no_carbonate_and_lives_longer():
    """No CO2, no carbonate: RuO2's interfacial skin only grows from the electrolyte oxidised on
    charge, so it outlives its ambient-air cycle life."""
    sol = ma.simulate("RuO2", "Discharge at 100 mA/g for 2000 mAh/g", environment=ma.PURE_O2)
    assert np.all(sol["Na2CO3 [mol/g]"] == 0.0)
    air = run_cycling("RuO2", **P6)
    o2 = run_cycling("RuO2", environment="pure O2", **P6)
    assert not air.life.censored
    assert o2.life.cycle_life > air.life.cycle_life + 100


def test_dry_air_makes_anhydrous_carbonate():
    """Without water the carbonate forms as Na2CO3 (x = 0): no water is taken up, and its
    equilibrium potential is the anhydrous one."""
    m_dry = ma.LumpedAirElectrode("NLRO", environment=ma.DRY_AIR)
    m_air = ma.LumpedAirElectrode("NLRO", environment=ma.AMBIENT_AIR)
    assert m_dry.carbonate_reaction == "Na2CO3" and m_air.carbonate_reaction == "Na2CO3·H2O"
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 3000 mAh/g", environment=ma.DRY_AIR)
    assert sol["Na2CO3 [mol/g]"][-1] > 0.0
    assert np.all(sol["H2O uptake [mol/g]"] == 0.0)


def test_superoxide_turns_to_peroxide_only_with_water():
    """Disproportionation of NaO2 is proton-mediated, first order in water vapour: after a discharge and a
    day at rest, dry air leaves the superoxide as it is (no Na2O2 beyond the negligible 2 e- channel),
    ambient air (20 % RH) converts some, and 40 % RH converts twice as much."""
    humid = ma.Environment.from_relative_humidity("40 % RH", 298.15, 0.40)
    na2o2 = {}
    for env in (ma.DRY_AIR, ma.AMBIENT_AIR, humid):
        sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 2000 mAh/g; Rest for 24 h", environment=env)
        na2o2[env.name] = sol["Na2O2 [mol/g]"][-1]
    assert na2o2[ma.DRY_AIR.name] < 1e-6 * na2o2[ma.AMBIENT_AIR.name] + 1e-9
    assert na2o2[humid.name] == pytest.approx(2.0 * na2o2[ma.AMBIENT_AIR.name], rel=0.1)


def test_faster_current_raises_the_charge_plateau_by_the_tafel_slope_and_lowers_capacity():
    """Doubling the current raises the NaO2 charge plateau by about (RT/αF) ln 2 (first electron
    transfer rate-determining, α = 0.5) plus the ohmic and anode terms, and lowers the discharge
    capacity (more of the product grows as a passivating film at higher current)."""
    res = {}
    for i in (50, 100, 200):
        dis, _, pl = _charge(ma.simulate("NLRO", f"Discharge at {i} mA/g until 1.5 V; Charge at {i} mA/g until 4.8 V"))
        res[i] = (dis.capacity_mAh_g, pl[0].voltage_V)
    tafel_per_doubling = R * 298.15 / (0.5 * F) * math.log(2.0)  # 35.6 mV
    for lo, hi in ((50, 100), (100, 200)):
        assert res[hi][0] < 0.9 * res[lo][0]
        rise = res[hi][1] - res[lo][1]
        assert 0.7 * tafel_per_doubling < rise < 1.3 * tafel_per_doubling


def test_end_of_charge_dip_is_the_interfacial_carbonate_leaving():
    """At the end of NLRO's carbonate plateau the voltage falls by ~0.1 V and the host takes back a
    little sodium. Cause: carbonate left on the catalyst once its host particles were oxidised forms
    an interfacial skin that lowers every exchange current (McCloskey et al., J. Phys. Chem. Lett. 3,
    997 (2012)); oxidising it lifts the skin factor from ~0.03 towards 1, so less overpotential is
    needed, and the host's lattice-O couple (4.30 V) relaxes towards the lower potential. Without the
    skin (residue_blocking = 0) there is no dip and the host current stays anodic."""
    def late(rb):
        sol = ma.simulate("NLRO", REFERENCE_PROTOCOL, parameters=ma.DEFAULT_PARAMETERS.replace(residue_blocking=rb))
        m = sol["Step"] == 2
        q = sol["Capacity [mAh/g]"][m]
        sel = q > q[-1] - 600.0
        V = sol["Voltage [V]"][m][sel]
        return (float(np.max(np.maximum.accumulate(V) - V)), float(sol["Host current [mA/g]"][m][sel].min()),
                sol["Skin exchange-current factor [-]"][m][sel])
    drop, host_min, skin = late(ma.DEFAULT_PARAMETERS.residue_blocking)
    assert 0.05 < drop < 0.2
    assert host_min < 0.0
    assert skin.min() < 0.1 and skin.max() > 0.7  # the skin is removed across the dip
    drop0, host_min0, _ = late(0.0)
    assert drop0 < 0.005 and host_min0 > -1e-3


@pytest.mark.slow
def test_frozen_nlro_accumulates_carbonate_over_cycling():
    """Over 1000 capacity-limited cycles NLRO's switching keeps the carbonate it cannot avoid making at a
    steady level and charges to ~4.46 V; frozen in its discharged state it cannot oxidise the carbonate
    in its window, so the carbonate grows cycle after cycle and every charge climbs to the 4.8 V limit."""
    from metalair.workflows.cycling import run_cycling

    live_run = run_cycling(NLRO, cycles=1000, figure=False)
    frozen_run = run_cycling(NLRO.frozen(), cycles=1000, figure=False)
    live, frozen = live_run.table, frozen_run.table
    co3_live = live["Carbonate after charge [mmol/g]"]
    co3_frozen = frozen["Carbonate after charge [mmol/g]"]
    assert abs(co3_live[-1] - co3_live[499]) < 0.05 * co3_live[-1]  # steady
    assert co3_frozen[-1] > 2.0 * co3_live[-1] and co3_frozen[-1] > co3_frozen[499] + 0.5  # still growing
    assert live["End-of-charge voltage [V]"][-1] < 4.6
    assert frozen["End-of-charge voltage [V]"][-1] > 4.75
    # the voltage margin: the frozen cell's charges run into the 4.8 V limit part-way through; the live one never
    assert live_run.life.first_cycle_charge_at_limit is None
    assert frozen_run.life.first_cycle_charge_at_limit is not None and frozen_run.life.first_cycle_charge_at_limit < 500


@pytest.mark.slow
def test_frozen_nlro_dies_of_its_carbonate_and_the_switching_one_does_not():
    """The cycle life the switching buys. At 500 mA/g and 500 mAh/g the frozen NLRO keeps ~4.6 umol/g of
    carbonate per cycle it cannot oxidise below 4.8 V; the interfacial skin it leaves lowers the discharge
    voltage until the end of discharge falls below 2.0 V (cycle 3327) and a discharge falls short of
    the 500 mAh/g (cycle 5539). The switching NLRO oxidises its carbonate every cycle (steady 1.75
    mmol/g) and runs 10,000 cycles at a steady 2.106 V end of discharge. RuO2, fixed in a state that
    binds superoxide more strongly, carbonates ~10x more in its first cycle (72 against 7.2 umol/g of CO2)
    and fails at cycle 358 (P6)."""
    from metalair.workflows.cycling import run_cycling

    frozen = run_cycling(NLRO.frozen(), cycles=6000, figure=False)
    live = run_cycling(NLRO, cycles=6000, figure=False)
    assert frozen.life.first_failed_cycle is not None and 3000 < frozen.life.first_failed_cycle < 6000
    assert frozen.life.first_cycle_below_eod_threshold is not None
    assert frozen.life.first_cycle_below_eod_threshold < frozen.life.first_failed_cycle
    assert live.life.first_failed_cycle is None and live.life.first_cycle_below_eod_threshold is None
    assert frozen.table["Carbonate after charge [mmol/g]"][-1] > 10 * live.table["Carbonate after charge [mmol/g]"][-1]


def _o2_transparent(model):
    """The same model with deposits that do not lengthen the O2 path (the counterfactual)."""
    model.constants = model.constants._replace(o2_deposit_resistance=0.0)
    return model


@pytest.mark.parametrize("catalyst", ["NLRO", "RuO2"])
def test_deposits_in_the_o2_path_end_a_fast_discharge(catalyst):
    """Solid products fill the path between the gas and the catalyst (a series resistance that grows with the
    deposit volume). At 2000 mA/g the reaction zone runs out of O2 (saturation < 0.1: 0.0006 for NLRO, 0.048
    for RuO2, whose film-grown deposits also block its surface) and the discharge ends well before it would with
    O2-transparent deposits (NLRO 4703 against 5698 mAh/g, RuO2 4494 against 4827: the film-grown deposits on
    RuO2 block its surface soon after the O2 runs short, so the O2 path shortens its discharge by 7 % only); at
    100 mA/g the supply keeps up (saturation > 0.8) and the deposits change the capacity by < 0.5 %. O2-limited,
    both catalysts end near the same capacity."""
    def run(current, transparent):
        m = ma.LumpedAirElectrode(catalyst)
        if transparent:
            _o2_transparent(m)
        sol = ma.Simulation(model=m, protocol=f"Discharge at {current} mA/g until 1.5 V").run()
        assert sol.ok
        return sol["Capacity [mAh/g]"][-1], sol["O2 saturation at reaction zone [-]"].min()

    q_fast, sat_fast = run(2000, False)
    q_fast_clear, sat_fast_clear = run(2000, True)
    assert sat_fast < 0.1 < 0.8 < sat_fast_clear
    assert q_fast < 0.95 * q_fast_clear
    q_slow, sat_slow = run(100, False)
    q_slow_clear, _ = run(100, True)
    assert sat_slow > 0.8
    assert q_slow == pytest.approx(q_slow_clear, rel=5e-3)


def test_o2_limited_capacity_does_not_depend_on_the_catalyst():
    """At 2000 mA/g both catalysts are O2-starved: their capacities differ by < 10 % (4703 and 4494 mAh/g: 4 %;
    RuO2's film-grown deposits block its surface a little before the O2 runs out), where at 100 mA/g
    (kinetics and passivation decide) NLRO's is 1.76x RuO2's."""
    q = {c: ma.simulate(c, "Discharge at 2000 mA/g until 1.5 V").steps[0].capacity_mAh_g for c in ("NLRO", "RuO2")}
    assert q["NLRO"] == pytest.approx(q["RuO2"], rel=0.1)
    slow = {c: ma.simulate(c, "Discharge at 100 mA/g until 1.5 V").steps[0].capacity_mAh_g for c in ("NLRO", "RuO2")}
    assert slow["NLRO"] > 1.5 * slow["RuO2"]


def test_less_oxygen_in_the_gas_starves_the_reaction_zone_sooner():
    """The O2 supply scales with the dissolved O2 (Henry's law): in 5 % O2 (ambient CO2 and water) a
    500 mA/g discharge runs out of O2 and ends at about half the capacity it reaches in air. At
    100 mA/g the supply still keeps up (the reaction zone stays above a third of saturation) and the
    capacity is within 2 % of air's, but O2 reduction is first order in O2 (mass action): the discharge
    runs lower, by between the Nernst shift (RT/F) ln(p_air/p) = 37 mV and the kinetic
    (RT/(alpha_c F)) ln(p_air/p) = 74 mV."""
    from metalair.chemistry import AMBIENT_AIR
    from metalair.chemistry.environment import Environment

    low = Environment("5 % O2", 298.15, p_O2=0.05 * 101325.0, p_CO2=AMBIENT_AIR.p_CO2, p_H2O=AMBIENT_AIR.p_H2O)

    def run(current, env):
        sol = ma.Simulation("NLRO", f"Discharge at {current} mA/g until 1.5 V", environment=env).run()
        return sol.steps[0].capacity_mAh_g, sol["O2 saturation at reaction zone [-]"].min(), sol.steps[0].mean_voltage_V

    q_air, sat_air, _ = run(500, AMBIENT_AIR)
    q_low, sat_low, _ = run(500, low)
    assert sat_low < 0.05 < 0.3 < sat_air
    assert q_low < 0.6 * q_air
    q_air_slow, _, v_air = run(100, AMBIENT_AIR)
    q_low_slow, sat_low_slow, v_low = run(100, low)
    assert sat_low_slow > 0.3  # not starved
    assert 0.037 < v_air - v_low < 0.074
    assert q_low_slow == pytest.approx(q_air_slow, rel=0.02)


def test_the_o2_limited_current_falls_to_the_applied_current_when_o2_runs_out():
    """The output 'O2-limited current [mA/g]' (F x the largest O2 supply) starts at the clean film's
    ~22 A/g and falls as deposits fill the O2 path; the discharge starves when it reaches the applied
    current."""
    sol = ma.simulate("NLRO", "Discharge at 2000 mA/g until 1.5 V")
    limit = sol["O2-limited current [mA/g]"]
    assert limit[0] == pytest.approx(22_170, rel=0.01)
    assert np.all(np.diff(limit) <= 1e-9 * limit[0])  # deposits only grow on discharge
    assert limit[-1] == pytest.approx(2000.0, rel=0.05)
    assert sol["O2 saturation at reaction zone [-]"][-1] < 0.01


def test_the_summary_says_when_a_discharge_was_o2_starved():
    from metalair.analysis.summary import STARVED_O2_SATURATION, format_summary, summarize

    fast = summarize(ma.simulate("NLRO", "Discharge at 2000 mA/g until 1.5 V"))
    slow = summarize(ma.simulate("NLRO", "Discharge at 100 mA/g until 1.5 V"))
    assert fast["discharge_min_o2_saturation"] < STARVED_O2_SATURATION < slow["discharge_min_o2_saturation"]
    assert "O2-starved" in format_summary(fast) and "O2-starved" not in format_summary(slow)


def test_a_solids_oxidation_rate_at_a_given_potential_does_not_depend_on_the_gas():
    """Mass action: O2 is not a reactant of NaO2 -> Na+ + O2 + e-, so at a given potential (in the Tafel region)
    its rate is the same in air, pure O2 and argon. With exchange currents fixed while the equilibrium
    potential followed the gas, it ran 2.2 times faster in air than in pure O2, and argon's charge plateau sat
    255 mV low, set by the 1 Pa floor of the absent O2."""
    from metalair.models import _kernel as K
    from metalair.models.declaration import O, Y

    def nao2_current(env):
        m = ma.LumpedAirElectrode("NLRO", environment=env)
        y = m.initial_state()
        y[Y.nao2_solution] = 10.0
        y[Y.potential] = 2.5
        out = K.new_output(len(m.couples))
        free, passiv, supply = K.surface_state(m.constants, y)
        K.evaluate(2.5, y, 1e-3, free, passiv, supply, m.constants, m._couples, m._stage, out, True)
        return out[m.n_states + O.i_nao2]

    air = nao2_current("ambient air")
    assert air > 0
    assert nao2_current("pure O2") == pytest.approx(air, rel=1e-3)
    assert nao2_current("argon") == pytest.approx(air, rel=1e-3)
    # the superoxide's desorption is a chemical step no gas takes part in: its reference stays (a first version
    # scaled it with the formation exchange current, and pure O2 gained 14 % capacity from that alone)
    refs = {env: ma.LumpedAirElectrode("NLRO", environment=env).constants.desorption_ref
            for env in ("ambient air", "pure O2", "argon")}
    assert len(set(refs.values())) == 1


def test_the_two_nao2_pools_share_one_catalyst_contact():
    """Solution-grown and surface-grown NaO2 are oxidised through the same catalyst area: splitting a given amount
    of NaO2 between the two pools does not change the oxidation current at a given potential, and each pool loses
    the same fraction of itself. When each pool was given the full-contact rate, an even split of NaO2 well above the
    contact inventory doubled the current (the catalyst area counted twice)."""
    from metalair.models import _kernel as K
    from metalair.models.declaration import O, Y

    m = ma.LumpedAirElectrode("NLRO")
    total = 50.0 * m.constants.contact_NaO2  # both halves far above the inventory that saturates the contact

    def oxidise(solution_share):
        y = m.initial_state()
        y[Y.nao2_solution] = solution_share * total
        y[Y.nao2_film] = (1.0 - solution_share) * total
        y[Y.potential] = 2.5
        out = K.new_output(len(m.couples))
        free, passiv, supply = K.surface_state(m.constants, y)
        K.evaluate(2.5, y, 1.0, free, passiv, supply, m.constants, m._couples, m._stage, out, True)
        return out[m.n_states + O.i_nao2], out[Y.nao2_solution], out[Y.nao2_film]

    one_pool, _, _ = oxidise(1.0)
    split, solution, film = oxidise(0.3)
    assert one_pool > 0.0
    assert split == pytest.approx(one_pool, rel=1e-9)
    # the same fraction kept of each (the separate sinks kept 0.99723 of the solution pool, 0.99877 of the film)
    assert solution / (0.3 * total) == pytest.approx(film / (0.7 * total), rel=1e-12)
