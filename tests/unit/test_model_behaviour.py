"""Mechanism checks of the lumped model (regression style, from the model's own logic).

These are not published numbers (those are in tests/validation); they pin the
mechanism the model encodes (module docstrings of ``metalair.models.lumped``
and ``metalair.catalysts.descriptors``):

* NLRO's charge is a cascade: NaO2 goes first, then Na2O2, then Na2CO3, while
  the host gives up sodium couple by couple (oxidised fraction 0 -> 1);
* RuO2 is a fixed-state catalyst: no host couples, and its weaker carbonate
  bond leaves carbonate behind at 4.8 V;
* descriptors move numbers: a 10x larger NaO2 decomposition exchange current
  lowers the NaO2 plateau by about (RT/alpha F) ln 10 = 0.118 V (Tafel); a
  weaker Na2CO3 bond (RuO2's ICOHP) raises the carbonate plateau or leaves the
  carbonate undecomposed;
* the gas environment decides whether carbonate can form at all.
"""

from __future__ import annotations

import numpy as np
import pytest

import metalair as ma
from metalair.errors import ParameterError
from metalair.models.lumped import LumpedAirElectrode
from metalair.protocols.simulation import REFERENCE_PROTOCOL

PRODUCTS = ("NaO2", "Na2O2", "Na2CO3")


def _charge(sol, step=2):
    m = sol["Step"] == step
    return {k: sol[k][m] for k in sol.keys()}


def _time_below(c, product, fraction):
    """First charge time [h] at which the inventory falls below ``fraction`` of its charge maximum."""
    n = c[f"{product} [mol/g]"]
    idx = np.nonzero((np.arange(len(n)) > np.argmax(n)) & (n < fraction * n.max()))[0]
    return c["Time [h]"][idx[0]] if len(idx) else np.inf


def _plateau(c, product):
    """Cell voltage when half of the product's charge maximum has been removed (nan if never)."""
    n = c[f"{product} [mol/g]"]
    k = np.argmax(n)
    below = np.nonzero((np.arange(len(n)) > k) & (n <= 0.5 * n[k]))[0]
    if not len(below):
        return np.nan
    j = below[0]
    w = (n[j - 1] - 0.5 * n[k]) / (n[j - 1] - n[j])
    return c["Voltage [V]"][j - 1] + w * (c["Voltage [V]"][j] - c["Voltage [V]"][j - 1])


@pytest.fixture(scope="module")
def nlro():
    sol = ma.simulate("NLRO", REFERENCE_PROTOCOL)
    assert sol.ok
    return sol


@pytest.fixture(scope="module")
def ruo2():
    sol = ma.simulate("RuO2", REFERENCE_PROTOCOL)
    assert sol.ok
    return sol


def test_nlro_charge_removes_nao2_then_na2o2_then_na2co3(nlro):
    c = _charge(nlro)
    for p in PRODUCTS:
        assert c[f"{p} [mol/g]"].max() > 1e-3, f"no {p} to remove"
    t = [_time_below(c, p, 0.01) for p in PRODUCTS]
    assert np.all(np.isfinite(t)), t
    assert t[0] < t[1] < t[2], dict(zip(PRODUCTS, t))
    # ... at successively higher voltages (the three plateaus)
    v = [_plateau(c, p) for p in PRODUCTS]
    assert v[0] < v[1] < v[2], dict(zip(PRODUCTS, v))
    assert v[0] < 3.0 < v[1] < 4.0 < v[2] < 4.8
    # and the charge ends clean: < 1 % of each product left at 4.8 V
    for p in PRODUCTS:
        assert c[f"{p} [mol/g]"][-1] < 0.01 * c[f"{p} [mol/g]"].max()


def test_nlro_host_oxidised_during_charge(nlro):
    keys = [k for k in nlro.keys() if k.startswith("Host ") and "oxidised fraction" in k]
    assert len(keys) == len(ma.NLRO.host_couples) == 2
    d = nlro.step_data(1)
    c = _charge(nlro)
    for k in keys:
        assert d[k].max() < 1e-6, f"{k} oxidised on discharge"
        assert c[k][0] < 1e-6
        assert c[k][-1] > 0.99
    # couples are emptied in order of their potentials (Ru first, then lattice O)
    t_half = [c["Time [h]"][np.argmax(c[k] > 0.5)] for k in keys]
    assert t_half[0] < t_half[1]
    # d-band centre climbs from the NaO2 state to the Na2CO3 state with the host
    eps = c["Catalyst d-band centre [eV]"]
    assert eps[0] == pytest.approx(ma.NLRO.descriptors["NaO2"].d_band_centre, abs=1e-6)
    assert eps[-1] == pytest.approx(ma.NLRO.descriptors["Na2CO3"].d_band_centre, abs=1e-3)


def test_ruo2_has_no_host(ruo2):
    assert not [k for k in ruo2.keys() if "oxidised fraction" in k]
    assert np.all(ruo2["Host current [mA/g]"] == 0.0)
    assert np.all(ruo2["Host charge [mAh/g]"] == 0.0)
    eps = ruo2["Catalyst d-band centre [eV]"][1:]
    assert np.all(eps == ma.RUO2.descriptors["NaO2"].d_band_centre)  # one fixed state


def test_cascade_beats_fixed_state(nlro, ruo2):
    """The NLRO NaO2 plateau lies below RuO2's; RuO2 leaves carbonate behind at 4.8 V."""
    assert _plateau(_charge(nlro), "NaO2") < _plateau(_charge(ruo2), "NaO2") - 0.2
    c = _charge(ruo2)
    assert c["Na2CO3 [mol/g]"][-1] > 0.5 * c["Na2CO3 [mol/g]"].max()


def test_faster_nao2_decomposition_lowers_its_plateau(nlro):
    p = ma.DEFAULT_PARAMETERS
    fast = ma.simulate("NLRO", REFERENCE_PROTOCOL, parameters=p.replace(i0_dec_NaO2=10 * p.i0_dec_NaO2))
    assert fast.ok
    shift = _plateau(_charge(nlro), "NaO2") - _plateau(_charge(fast), "NaO2")
    # Tafel with alpha = 1/2: (RT/0.5F) ln 10 = 0.118 V; contact and affinity factors blur it
    assert 0.04 <= shift <= 0.15, shift
    # only the NaO2 plateau moves
    for prod in ("Na2O2", "Na2CO3"):
        assert _plateau(_charge(fast), prod) == pytest.approx(_plateau(_charge(nlro), prod), abs=0.02)


def test_weaker_carbonate_bond_hinders_carbonate_removal(nlro):
    weak = ma.NLRO.with_descriptor("Na2CO3", icohp=ma.RUO2.descriptors["Na2CO3"].icohp)
    assert weak.descriptors["Na2CO3"].icohp == -1.71
    sol = ma.simulate(weak, REFERENCE_PROTOCOL)
    assert sol.ok
    c0, c1 = _charge(nlro), _charge(sol)
    left = c1["Na2CO3 [mol/g]"][-1] / c1["Na2CO3 [mol/g]"].max()
    v0, v1 = _plateau(c0, "Na2CO3"), _plateau(c1, "Na2CO3")
    raised = np.isfinite(v1) and v1 > v0 + 0.1
    assert raised or left > 0.5, (v0, v1, left)
    # the first two plateaus do not care about the carbonate descriptor
    for prod in ("NaO2", "Na2O2"):
        assert _plateau(c1, prod) == pytest.approx(_plateau(c0, prod), abs=1e-3)


# -------------------------------------------------------------- environments


def test_ambient_air_forms_carbonate_from_co2_and_water(nlro):
    d = nlro.step_data(1)
    assert d["Na2CO3 [mol/g]"][-1] > 0.0
    assert d["CO2 uptake [mol/g]"][-1] > 0.0
    # x = 1 water per carbonate (both formed chemically, nothing decomposed yet)
    assert d["H2O uptake [mol/g]"][-1] == pytest.approx(d["CO2 uptake [mol/g]"][-1], rel=1e-9)


def test_dry_air_forms_anhydrous_carbonate():
    """Dry air has CO2 but no water: the carbonate forms, anhydrous (x = 0), and no water is taken up."""
    assert ma.DRY_AIR.p_H2O == 0.0 and ma.DRY_AIR.p_CO2 > 0.0
    m = LumpedAirElectrode("NLRO", environment=ma.DRY_AIR)
    assert m.carbonate_reaction == "Na2CO3" and m.hydrate_x == 0.0


def test_dry_air_error_says_how_to_fix_it_or_runs_without_water():
    """In dry air the carbonate forms anhydrous: no water is taken up (fixed: was a ParameterError)."""
    try:
        sol = ma.simulate("NLRO", REFERENCE_PROTOCOL, environment=ma.DRY_AIR)
    except ParameterError as exc:
        assert "hydrate_water" in str(exc)
    else:  # or the model handles dry air itself: then it must take up no water
        assert sol.ok
        assert np.all(sol["H2O uptake [mol/g]"] == 0.0)


def test_dry_air_with_anhydrous_carbonate_takes_up_no_water():
    sol = ma.simulate("NLRO", REFERENCE_PROTOCOL, environment=ma.DRY_AIR,
                      parameters=ma.DEFAULT_PARAMETERS.replace(hydrate_water=0.0))
    assert sol.ok
    assert sol["Na2CO3 [mol/g]"].max() > 0.0
    assert np.all(sol["H2O uptake [mol/g]"] == 0.0)


@pytest.mark.parametrize("hydrate_water", [1.0, 0.0])
def test_pure_o2_forms_no_carbonate(hydrate_water):
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 20 h; Rest for 10 h; Charge at 100 mA/g until 4.8 V",
                      environment=ma.PURE_O2, parameters=ma.DEFAULT_PARAMETERS.replace(hydrate_water=hydrate_water))
    assert sol.ok
    assert np.all(sol["Na2CO3 [mol/g]"] == 0.0)
    # no CO2 is taken up (the residue's oxidation may release some, from electrolyte carbon)
    assert np.all(sol["CO2 uptake [mol/g]"] <= 0.0)
    assert np.all(sol["Na2CO3 charge [mAh/g]"] == 0.0)


def test_a_run_does_not_depend_on_what_ran_before_it():
    """The model keeps no state between runs: a run repeated on the same model, after a different
    run, gives the same numbers to the last bit."""
    proto = ma.Protocol([ma.Cycle([ma.Discharge("500 mA/g", capacity="500 mAh/g", until="1.5 V"),
                                   ma.Charge("500 mA/g", capacity="500 mAh/g", until="4.8 V")], repeat=3)])
    sim = ma.Simulation("NLRO", proto)
    first = sim.run()
    ma.Simulation("NLRO", ma.Protocol([ma.Discharge("50 mA/g", until="2.0 V")]), model=sim.model).run()
    again = sim.run()
    assert np.array_equal(first["Voltage [V]"], again["Voltage [V]"])
    assert np.array_equal(first["Time [s]"], again["Time [s]"])
