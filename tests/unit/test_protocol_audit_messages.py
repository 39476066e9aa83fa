"""Protocol audit: what the text form says about a unit it cannot take, and integer types the steps accept.

Before: a number with a unit metalair does not read was met with the same number in metalair's preferred
unit as the example to write ('100 mA/kg' -> "write it with its unit, e.g. '100 mA/g'", 1000 times the
current; '50 µV/s' -> "e.g. '50 mV/s'"; '1.5 kV' -> "e.g. '1.5 mAh/g' or '1.5 min'"), and a cell current or
charge ('100 mA', '500 mAh') was refused as "expected a current like '100 mA/g', got '100 mA', which is a
current". ``Cycle(repeat=numpy.int64(3))`` and ``Sweep(cycles=numpy.int64(2))`` were refused as "must be an
integer >= 1".
"""

from __future__ import annotations

import numpy as np
import pytest

from metalair.errors import ProtocolError
from metalair.protocols.parser import format_protocol, parse_protocol
from metalair.protocols.steps import Charge, Cycle, Discharge, Rest, Sweep


def _message(text: str) -> str:
    """The first paragraph of the error that reading ``text`` raises (the accepted forms follow it)."""
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text)
    return str(info.value).split("\n\n")[0]


@pytest.mark.parametrize(("text", "written", "misleading"), [
    ("Discharge at 100 mA/kg until 1.5 V", "100 mA/kg", "'100 mA/g'"),
    ("Discharge at 100 uA/mg until 1.5 V", "100 uA/mg", "'100 mA/g'"),
    ("Sweep 1.5-4.5 V at 50 µV/h", "50 µV/h", "'50 mV/s'"),
    ("Discharge at 100 mA/g for 10 µAh/mg", "10 µAh/mg", "'10 mAh/g'"),
    ("Discharge at 100 mA/g until 1.5 kV", "1.5 kV", "'1.5 mAh/g'"),
    ("Discharge at 100 mA/g for 2 weeks", "2 weeks", "'2 min'"),
])
def test_an_unknown_unit_is_not_answered_with_the_same_number_in_another_unit(text, written, misleading):
    message = _message(text)
    unit = written.split()[1]
    assert f"got '{written}'" in message and f"unknown unit '{unit}'" in message
    assert f"e.g. {misleading}" not in message and "without a unit" not in message
    assert "units metalair reads are listed below" in message


def test_an_unknown_areal_unit_says_how_to_get_a_current_per_gram():
    message = _message("Discharge at 0.1 mA/cm2 until 1.5 V")
    assert "a current per electrode area; metalair takes currents per gram of catalyst" in message
    assert "0.1 mA/cm² on 0.5 mg/cm² of catalyst is 200 mA/g" in message
    assert "e.g. '0.1 mA/g'" not in message


@pytest.mark.parametrize(("text", "says"), [
    ("Discharge at 100 mA for 2 h", "which is a current; metalair takes currents per gram of catalyst: divide the "
                                    "cell current by the catalyst mass (0.05 mA on 0.5 mg of catalyst is 100 mA/g)"),
    ("Hold at 4.2 V until 10 uA", "which is a current; metalair takes currents per gram of catalyst"),
    ("Discharge at 100 mA/g for 500 mAh", "which is a charge; metalair takes capacities per gram of catalyst: "
                                          "divide the charge by the catalyst mass (0.25 mAh on 0.5 mg of catalyst "
                                          "is 500 mAh/g)"),
])
def test_a_cell_current_or_charge_says_to_divide_by_the_catalyst_mass(text, says):
    assert says in _message(text)


def test_a_bare_number_still_gets_its_unit_suggested():
    # unchanged: a number without any unit is shown with the unit the field takes
    assert "got '100' without a unit; write it with its unit, e.g. '100 mA/g'" in _message(
        "Discharge at 100 until 1.5 V")


def test_a_wrong_kind_of_unit_gets_no_per_gram_hint_where_none_applies():
    message = _message("Discharge at 100 mA/g for 500 mA h/g")  # a current where a limit stands
    assert message.endswith("got '500 mA', which is a current")


def test_numpy_integers_count_as_whole_numbers():
    steps = [Discharge("100 mA/g", duration="1 h"), Charge("100 mA/g", duration="1 h")]
    assert Cycle(steps, repeat=np.int64(3)) == Cycle(steps, repeat=3)
    assert type(Cycle(steps, repeat=np.int64(3)).repeat) is int
    sweep = Sweep("1 mV/s", lower=2.0, upper=4.0, cycles=np.int32(2))
    assert sweep == Sweep("1 mV/s", lower=2.0, upper=4.0, cycles=2) and type(sweep.cycles) is int
    assert format_protocol([Cycle(steps, repeat=np.int64(3))]).endswith(") x 3")


@pytest.mark.parametrize("count", [True, 3.0, "3", np.float64(3.0), np.bool_(True), 0, np.int64(0)])
def test_what_is_not_a_whole_count_is_still_refused(count):
    with pytest.raises(ProtocolError, match="must be an integer >= 1"):
        Cycle([Rest("1 min")], repeat=count)
    with pytest.raises(ProtocolError, match="must be an integer >= 1"):
        Sweep("1 mV/s", lower=2.0, upper=4.0, cycles=count)


@pytest.mark.parametrize("text, unit, si", [("10 mAh/mg", "mAh/mg", 3.6e7), ("50 µV/s", "µV/s", 5e-5),
                                            ("50 uV/s", "uV/s", 5e-5), ("6 mV/min", "mV/min", 1e-4)])
def test_units_cyclers_and_potentiostats_write_are_read(text, unit, si):
    """mAh/mg, µV/s and mV/min were unknown units (an audit of the protocol grammar)."""
    from metalair.units import parse_quantity

    assert parse_quantity(text) == pytest.approx(si, rel=1e-12)
