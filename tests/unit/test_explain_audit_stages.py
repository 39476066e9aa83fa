"""Stage analysis against the time series it is built from: vanish order, what is left and what it means."""

from __future__ import annotations

import numpy as np
import pytest

import metalair as ma
from metalair.constants import F
from metalair.errors import ParameterError
from metalair.workflows.stages import stage_analysis

_DISCHARGE_PRODUCTS = ("NaO2", "Na2O2", "Na2CO3")


def _on_charge_mmol_g(catalyst: str, current: str, capacity: str) -> dict[str, np.ndarray]:
    """The three discharge products [mmol/g] over the charge, from a plain simulation of the same protocol."""
    protocol = f"Discharge at {current} for {capacity} or until 1.5 V; Charge at {current} until 4.8 V"
    sol = ma.simulate(catalyst, protocol)
    on_charge = sol["Step"] == 2
    return {k: 1e3 * sol[f"{k} [mol/g]"][on_charge] for k in _DISCHARGE_PRODUCTS}


@pytest.mark.parametrize("catalyst", ["NLRO", "RuO2"])
def test_vanish_order_matches_the_time_series(catalyst):
    res = stage_analysis(catalyst)
    inv = _on_charge_mmol_g(catalyst, "200 mA/g", "1000 mAh/g")
    expected = []
    for k, s in inv.items():  # vanished: below 1 % of its charge peak from some sample to the end
        still = np.flatnonzero(s >= 0.01 * s.max())
        if s.max() > 1e-3 and still[-1] < s.size - 1:
            expected.append((still[-1] + 1, k))
    assert res.vanish_order == [k for _i, k in sorted(expected)]
    for k in _DISCHARGE_PRODUCTS:
        assert res.left_after_charge_mmol_g[k] == pytest.approx(inv[k][-1], rel=1e-12, abs=1e-15)


def test_products_that_never_formed_are_not_said_to_vanish():
    # 5 mAh/g: Na2O2 and Na2CO3 peak at ~5e-6 and ~2e-6 mmol/g on charge; the table showed 0.000 for them at
    # every stage and still said "vanish order on charge: NaO2 -> Na2O2 -> Na2CO3"
    res = stage_analysis("NLRO", capacity="5 mAh/g", charge_voltages=(2.8,))
    inv = _on_charge_mmol_g("NLRO", "200 mA/g", "5 mAh/g")
    for k in res.vanish_order:
        assert inv[k].max() > 1e-3, f"{k} peaks at {inv[k].max():.2g} mmol/g on charge and is in the vanish order"
    assert res.vanish_order == ["NaO2"]
    assert "never above 0.001 mmol/g on charge: Na2O2, Na2CO3" in res.table()


def test_left_is_given_as_the_charge_that_would_remove_it():
    res = stage_analysis("RuO2")
    left = res.left_after_charge_mmol_g["Na2CO3"]
    assert left > 0.1  # RuO2 keeps carbonate (P8)
    # Na2CO3 -> 2 Na+ + CO2 + 1/2 O2 + 2 e-: 2 F per mole; [mmol/g] * 1e-3 = [mol/g]; 1 mAh/g = 3.6 C/g
    assert res.left_after_charge_mAh_g["Na2CO3"] == pytest.approx(left * 1e-3 * 2 * F / 3.6, rel=1e-12)
    table = res.table()
    share = 100 * res.left_after_charge_mAh_g["Na2CO3"] / res.rows[0]["capacity_mAh_g"]
    assert f"Na2CO3 {left:.3g} mmol/g ({res.left_after_charge_mAh_g['Na2CO3']:.3g} mAh/g to oxidise at 2 e- each, " \
           f"{share:.2g} % of the discharge)" in table


def test_table_says_what_vanished_and_left_mean_and_keeps_its_columns():
    res = stage_analysis("NLRO", capacity="20000 mAh/g", v_max="3.6 V", charge_voltages=(2.8,))
    table = res.table()
    assert "vanish order on charge (inventory below 1 % of its peak on charge): NaO2 -> Na2O2" in table
    assert "left after charge (above 0.001 mmol/g): Na2O2 " in table
    assert "[a trace: below 1 % of its peak]" in table  # Na2O2 vanished by the 1 % rule and 0.12 mmol/g remain
    # the discharge ran into 1.5 V before 20000 mAh/g: the row says so, and the capacity it reached
    first = res.rows[0]
    assert first["stage"] == "end of discharge (voltage limit)" and first["capacity_mAh_g"] < 20000
    lines = table.splitlines()[1:2 + len(res.rows)]
    assert len({len(line) for line in lines}) == 1, "\n".join(lines)  # every row under its header


def test_report_voltages_come_in_charge_order():
    res = stage_analysis("NLRO", charge_voltages=(4.6, 2.8, 2.8))
    assert [r["stage"] for r in res.rows[1:-1]] == ["charge, first reaching 2.8 V", "charge, first reaching 4.6 V"]
    q = [r["capacity_mAh_g"] for r in res.rows[1:]]
    assert q == sorted(q)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"charge_voltages": (2.8, 5.0)}, "charge_voltages 5 V lies above v_max 4.8 V, where the charge stops"),
    ({"v_max": "2.0 V"}, "charge_voltages 2.8, 3.8, 4.6 V lie above v_max 2 V"),
    ({"charge_voltages": (float("nan"),)}, "nan is not a finite voltage"),
    ({"charge_voltages": ("3.8",)}, "'3.8' is not a number of volts"),
    ({"charge_voltages": 3.8}, "charge_voltages=3.8: give a sequence of voltages in V"),
])
def test_report_voltages_the_charge_cannot_reach_are_refused(kwargs, message):
    # these were dropped from the table without a word (or raised a bare TypeError)
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        stage_analysis("NLRO", **kwargs)


def test_a_product_that_dips_and_grows_back_has_not_vanished():
    from metalair.workflows.stages import _vanish_order

    on_charge = {"NaO2": np.array([10.0, 5.0, 0.0, 0.0]),
                 "Na2O2": np.array([1.0, 0.001, 0.5, 0.6]),      # below 1 % of its peak once, then back
                 "Na2CO3": np.array([0.5, 0.5, 0.5, 0.0])}
    assert _vanish_order(on_charge) == ["NaO2", "Na2CO3"]


def test_environment_reaches_the_run():
    dry = stage_analysis("RuO2", environment="pure O2")
    assert dry.left_after_charge_mmol_g["Na2CO3"] == 0.0  # no CO2: no carbonate (ambient air leaves 0.695 mmol/g)
    assert stage_analysis("RuO2").left_after_charge_mmol_g["Na2CO3"] > 0.1


def test_report_voltages_may_be_a_numpy_array():
    """np.array([2.8, 3.8, 4.6]) was refused as 'not a sequence' by the stricter check of the audit."""
    import numpy as np

    from metalair.workflows.stages import stage_analysis

    st = stage_analysis("NLRO", charge_voltages=np.array([2.8, 3.8, 4.6]))
    assert st.vanish_order == ["NaO2", "Na2O2", "Na2CO3"]
