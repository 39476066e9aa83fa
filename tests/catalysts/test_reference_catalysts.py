"""NNRO and NLMO: built in, every value sourced or marked estimated, and what the model makes of them."""

from __future__ import annotations

import pytest

import metalair as ma
from metalair.analysis.summary import summarize
from metalair.catalysts import CATALYSTS, NLRO, get_catalyst
from metalair.catalysts.files import unsourced_values
from metalair.constants import F


@pytest.mark.parametrize("name", ["NNRO", "NLMO"])
def test_registered_and_every_value_marked(name):
    cat = get_catalyst(name.lower())
    assert CATALYSTS[name] is cat
    assert unsourced_values(cat) == []
    for d in cat.descriptors.values():
        assert d.source.startswith("estimated")
    for hc in cat.host_couples:
        assert hc.source.startswith("estimated")
    assert all(v.startswith("estimated") or "IUPAC" in v for v in cat.sources.values())


def test_chemistry_of_the_estimates():
    nnro, nlmo = CATALYSTS["NNRO"], CATALYSTS["NLMO"]
    # NNRO: the Ru couple only (no O redox without Li pinning), one formula unit heavier than NLRO by Na/3 - Li/3
    assert [hc.name for hc in nnro.host_couples] == [NLRO.host_couples[0].name]
    assert nnro.host_couples[0].capacity == pytest.approx(0.30 * F / nnro.molar_mass)
    assert nnro.molar_mass - NLRO.molar_mass == pytest.approx((22.98976928 - 6.94) / 3 / 1000, abs=1e-7)
    assert max(d.stage for d in nnro.descriptors.values()) == 1
    # NLMO: no metal couple, O redox at ~4.2 V; NaO2 and Na2O2 in the pristine state
    assert [hc.standard_potential for hc in nlmo.host_couples] == [4.2]
    assert nlmo.descriptors["Na2O2"].stage == 0 and nlmo.descriptors["Na2CO3"].stage == 1
    # ICOHP moved along the d-band relation: B = -ICOHP + 1.62 (eps - eps_dft), rounded to 0.01 eV
    assert nnro.descriptors["Na2CO3"].icohp == pytest.approx(-(2.15 + 1.62 * (-1.73 + 1.60)), abs=0.005)
    assert nlmo.descriptors["Na2O2"].icohp == pytest.approx(-(1.87 + 1.62 * (-1.97 + 1.73)), abs=0.005)


def _plateaus(name):
    s = summarize(ma.simulate(name))
    assert s["status"] == "ok"
    return [p["voltage_V"] for p in s["charge_plateaus"]], s


def test_model_predictions_relative_to_nlro():
    nlro, s_nlro = _plateaus("NLRO")
    nnro, s_nnro = _plateaus("NNRO")
    nlmo, s_nlmo = _plateaus("NLMO")
    assert len(nlro) == len(nnro) == len(nlmo) == 3
    # same Ru states below 4 V: NNRO's first two plateaus are NLRO's; its carbonate plateau is higher
    assert nnro[:2] == pytest.approx(nlro[:2], abs=0.02)
    assert nnro[2] > nlro[2] + 0.1
    # no metal couple: NLMO decomposes Na2O2 in its pristine state, at a higher voltage
    assert nlmo[1] > nlro[1] + 0.2
    assert s_nlmo["polarisation_V"] > s_nnro["polarisation_V"] > s_nlro["polarisation_V"]
