"""A bare number is read the same way as a number, as text in a step, and in protocol text.

Before: ``Discharge(until="1.5")`` and ``Rest("30")`` failed with "unknown unit ''"
while ``until=1.5`` was accepted and ``Rest(30)`` got the how-to-write message; the
text parser refused ``until 1.5`` although docs/conventions.md lets potentials be bare;
``parse_quantity("5 C", "charge")`` was refused as a temperature while
``from_user(5, "C", "charge")`` read it as 5 coulomb.
"""

from __future__ import annotations

import pytest

from metalair import Charge, Discharge, Hold, Rest, Sweep, parse_protocol
from metalair.errors import ParameterError, ProtocolError
from metalair.protocols.steps import Protocol
from metalair.units import convert, from_user, parse_quantity


def test_a_bare_voltage_in_a_string_is_volts_like_the_float():
    assert Discharge("100 mA/g", until="1.5") == Discharge("100 mA/g", until=1.5) == Discharge("100 mA/g",
                                                                                               until="1.5 V")
    assert Hold("4.5", until_current="10 mA/g") == Hold(4.5, until_current="10 mA/g")
    assert Sweep("0.1 mV/s", lower="1.5", upper="4.5") == Sweep("0.1 mV/s", lower=1.5, upper=4.5)


@pytest.mark.parametrize("make, bare", [
    (lambda v: Rest(v), "duration"),
    (lambda v: Discharge(v, until=1.5), "current"),
    (lambda v: Charge("100 mA/g", capacity=v), "capacity"),
    (lambda v: Sweep(v, lower=1.5, upper=4.5), "scan_rate"),
])
def test_a_bare_number_in_a_string_gets_the_how_to_write_message(make, bare):
    with pytest.raises(ProtocolError) as as_text:
        make("30")
    with pytest.raises(ProtocolError) as as_number:
        make(30)
    assert "unknown unit" not in str(as_text.value)
    assert f"{bare}='30' is ambiguous: write {bare}='30 " in str(as_text.value)
    assert str(as_text.value) == str(as_number.value).replace(f"{bare}=30 ", f"{bare}='30' ")


def test_rest_30_names_the_unit_to_write():
    with pytest.raises(ProtocolError, match=r"duration='30' is ambiguous: write duration='30 s' "
                                            r"\(or give SI with duration_s=30\)"):
        Rest("30")


@pytest.mark.parametrize("text, same_as", [
    ("Discharge at 100 mA/g until 1.5", "Discharge at 100 mA/g until 1.5 V"),
    ("Charge at 100 mA/g up to 4.8", "Charge at 100 mA/g until 4.8 V"),
    ("Discharge at 500 mA/g for 500 mAh/g or until 1.5", "Discharge at 500 mA/g for 500 mAh/g or until 1.5 V"),
    ("Hold at 4.5 until 10 mA/g", "Hold at 4.5 V until 10 mA/g"),
    ("Sweep 1.5-4.5 at 0.1 mV/s starting at 3", "Sweep 1.5-4.5 V at 0.1 mV/s starting at 3 V"),
])
def test_protocol_text_takes_bare_volts_like_the_step_objects(text, same_as):
    assert parse_protocol(text) == parse_protocol(same_as)


def test_text_and_objects_agree_on_until():
    assert parse_protocol("Discharge at 100 mA/g until 1.5") == Protocol([Discharge("100 mA/g", until=1.5)])


@pytest.mark.parametrize("text, hint", [
    ("Rest for 30", "write it with its unit, e.g. '30 min'"),
    ("Discharge at 100 mA/g for 500", "'500 mAh/g' or '500 min'"),
    ("Hold at 4.5 V until 10", "'10 mA/g'"),
    ("Discharge at 100 until 1.5 V", "'100 mA/g'"),
])
def test_protocol_text_refuses_other_bare_numbers_with_how_to_write(text, hint):
    with pytest.raises(ProtocolError) as err:
        parse_protocol(text)
    assert "without a unit" in str(err.value) and hint in str(err.value)


def test_C_is_the_coulomb_for_a_charge_in_parse_quantity_as_in_from_user():
    assert parse_quantity("5 C", "charge") == from_user(5.0, "C", "charge") == 5.0
    assert parse_quantity("5 C", "temperature") == pytest.approx(278.15)
    assert parse_quantity("5 C") == from_user(5.0, "C") == pytest.approx(278.15)
    assert parse_quantity("5 degC", "temperature") == convert(5.0, "°C", "K") == pytest.approx(278.15)
    with pytest.raises(ParameterError, match=r"a temperature, but a potential"):
        parse_quantity("5 C", "potential")


def test_parse_quantity_of_a_bare_number_says_how_to_write_it():
    with pytest.raises(ParameterError, match=r"'30' has no unit: write it with one, e.g. '30 s'"):
        parse_quantity("30", "time")
