"""The model's host sodium content, Ru valence and products at chosen voltages on the charge."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

import metalair as ma
from metalair.analysis.characterisation import (
    SOLUTION_KEYS,
    formula_counts,
    model_stages,
    ru_valence_pristine,
)
from metalair.catalysts import NLRO
from metalair.errors import ParameterError

PROTOCOL = "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V"


@pytest.fixture(scope="module")
def nlro_solution():
    return ma.simulate("NLRO", PROTOCOL)


def test_formula_and_charge_balance():
    c = formula_counts("Na[Li1/3Ru2/3]O2")
    assert c == {"Na": 1, "Li": pytest.approx(1 / 3), "Ru": pytest.approx(2 / 3), "O": 2}
    assert ru_valence_pristine("Na[Li1/3Ru2/3]O2") == pytest.approx(4.0)
    assert ru_valence_pristine("RuO2") == pytest.approx(4.0)
    assert formula_counts("Na2CO3") == {"Na": 2, "C": 1, "O": 3}
    with pytest.raises(ParameterError):
        formula_counts("Na[Li")


def test_solution_has_every_key_used(nlro_solution):
    keys = set(nlro_solution.keys())
    for name, key in SOLUTION_KEYS.items():
        if name == "host_fraction":
            for c in NLRO.host_couples:
                assert key.format(name=c.name) in keys
        else:
            assert key in keys, key


def test_nlro_stages_on_charge(nlro_solution):
    t = model_stages(nlro_solution, "NLRO", [2.5, 3.0, 3.5, 4.0, 4.5, 4.8, 5.5])
    s = {st.voltage_V: st for st in t.stages}
    # Ru 4+ in the pristine host, about 4.45+ once the Ru couple is converted (0.45 e per Ru)
    assert s[2.5].ru_valence == pytest.approx(4.0, abs=0.01)
    assert s[3.5].ru_valence == pytest.approx(4.45, abs=0.02)
    assert s[4.8].ru_valence == pytest.approx(4.45, abs=1e-6)
    vals = [st.ru_valence for st in t.stages if st.reached]
    assert all(b >= a - 1e-9 for a, b in zip(vals, vals[1:]))
    # host sodium: 1 - 0.30 (Ru couple) - 0.15 (O couple) at the end
    assert s[2.5].host_sodium == pytest.approx(1.0, abs=0.01)
    assert s[4.8].host_sodium == pytest.approx(0.55, abs=0.005)
    # products: superoxide gone before peroxide, carbonate last
    assert s[2.5].products_mol_g["NaO2"] > 0.1
    assert s[3.5].products_mol_g["NaO2"] < 1e-6 < s[3.5].products_mol_g["Na2O2"]
    assert s[4.0].products_mol_g["Na2O2"] < 1e-6 < s[4.0].products_mol_g["Na2CO3"]  # between the plateaus
    assert not s[5.5].reached and math.isnan(s[5.5].ru_valence)
    assert any("never reaches 5.5 V" in n for n in t.notes)
    assert "Ru val" in t.table() and len(t.rows()) == 7


def test_couples_are_read_from_the_catalyst_not_hard_coded(nlro_solution):
    ru, ox = NLRO.host_couples
    doubled = replace(NLRO, host_couples=(replace(ru, capacity=2 * ru.capacity), ox))
    t = model_stages(nlro_solution, doubled, [4.8])
    assert t.stages[0].ru_valence == pytest.approx(4.9, abs=1e-6)  # 0.90 e per Ru
    assert t.stages[0].host_sodium == pytest.approx(1 - 0.60 - 0.15, abs=0.005)


def test_ruo2_and_bad_input():
    sol = ma.simulate("RuO2", PROTOCOL)
    t = model_stages(sol, "RuO2", [3.0])
    assert t.stages[0].ru_valence == 4.0 and math.isnan(t.stages[0].host_sodium)
    with pytest.raises(ParameterError, match="between 0 and 6"):
        model_stages(sol, "RuO2", [7.0])
    with pytest.raises(ParameterError, match="unknown catalyst"):
        model_stages(sol, "RuO3", [3.0])
    dis = ma.simulate("RuO2", "Discharge at 100 mA/g until 2.0 V")
    with pytest.raises(ParameterError, match="no charge step"):
        model_stages(dis, "RuO2", [3.0])
    assert np.isfinite(t.stages[0].capacity_mAh_g)
