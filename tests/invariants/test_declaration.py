"""The model declaration generates the outputs: a reaction added there appears everywhere.

A toy redox couple (an insertion-type channel, one ``Couple`` entry) is added
to the model through the declaration alone; its current, charge and oxidised
fraction must appear in the solution, in the step summaries' charge
bookkeeping and in the per-cycle table's inputs, and every conservation law
must still close, with no other code changed.
"""

from __future__ import annotations

import numpy as np
import pytest

import metalair as ma
from metalair.models.declaration import CHANNELS, INVENTORIES, PROCESSES, Couple, O, OutputIndex, Y
from metalair.models.lumped import LumpedAirElectrode
from metalair.units import parse_quantity

from .test_balances import check_balances, check_physical

TOY = Couple(name="Toy couple", standard_potential=3.0, width=0.03, rate_constant=0.02,
             capacity=parse_quantity("20 mAh/g"))


@pytest.fixture(scope="module")
def toy_solution():
    model = LumpedAirElectrode("RuO2", extra_couples=[TOY])
    return model, ma.Simulation(model=model, protocol="Charge at 100 mA/g for 200 mAh/g; "
                                                      "Discharge at 100 mA/g for 200 mAh/g").run()


def test_toy_couple_outputs_are_generated(toy_solution):
    model, sol = toy_solution
    assert sol.ok, sol.message
    for key in ("Toy couple current [mA/g]", "Toy couple charge [mAh/g]", "Toy couple oxidised fraction [-]"):
        assert key in sol.keys()
    assert model.channel_names()[-1] == "Toy couple"
    # the couple is oxidised on charge (RuO2 climbs past 3.0 V) and reduced again on discharge
    z = sol["Toy couple oxidised fraction [-]"]
    assert z.max() > 0.99 and z[-1] < 0.05
    # its charge is its capacity times its conversion (20 mAh/g per unit fraction)
    q = sol["Toy couple charge [mAh/g]"]
    np.testing.assert_allclose(q - q[0], 20.0 * (z - z[0]), rtol=0, atol=1e-6)


def test_toy_couple_in_step_summaries_and_balances(toy_solution):
    _model, sol = toy_solution
    charge_step = sol.steps[0]
    assert charge_step.charge_by_reaction_mAh_g["Toy couple"] == pytest.approx(20.0, rel=0.02)
    for s in sol.steps:  # the summaries' bookkeeping still adds up to the step capacity
        sign = -1.0 if s.kind == "discharge" else 1.0
        assert sum(s.charge_by_reaction_mAh_g.values()) == pytest.approx(sign * s.capacity_mAh_g, rel=1e-9)
    check_balances(sol)
    check_physical(sol)


def test_toy_couple_changes_the_curve_for_the_physical_reason():
    """Counterfactual: without the couple the charge passes 3.0 V sooner (no couple capacity to fill)."""
    protocol = "Charge at 100 mA/g for 200 mAh/g"
    with_toy = ma.Simulation(model=LumpedAirElectrode("RuO2", extra_couples=[TOY]), protocol=protocol).run()
    without = ma.simulate("RuO2", protocol)
    t_with = with_toy["Time [h]"][np.argmax(with_toy["Voltage [V]"] > 3.05)]
    t_without = without["Time [h]"][np.argmax(without["Voltage [V]"] > 3.05)]
    assert t_with > t_without + 0.15  # 20 mAh/g at 100 mA/g is 0.2 h


def test_declaration_is_consistent():
    """Every channel, process and inventory points at a declared output or state."""
    for ch in CHANNELS:
        assert ch.output is None or ch.output in OutputIndex._fields
    names = {ch.name for ch in CHANNELS}
    for pr in PROCESSES:
        assert pr.output in OutputIndex._fields
        assert pr.channel is None or pr.channel in names
    for inv in INVENTORIES:
        for s in inv.states:
            assert s in Y._fields
    assert len(set(O)) == len(O) and len(set(Y)) == len(Y)


def test_bad_extra_couple_is_refused():
    with pytest.raises(ma.ParameterError, match="differ"):
        LumpedAirElectrode("RuO2", extra_couples=[Couple("NaO2", 3.0, 0.03, 0.02, 1e5)])
