"""A target's unit is checked: converted to the observable's unit when of its dimension, else refused.

Before, ``Target.unit`` was never read: a voltage given in mV, a capacity in C/kg
or a value in "parsecs" was compared raw with the model's V and mAh/g.
"""

from __future__ import annotations

import pytest

from metalair.calibration.targets import CYCLING_RUN, Target, load_targets
from metalair.errors import DataFormatError, ParameterError
from metalair.units import convert


def test_a_voltage_target_in_mV_is_converted_to_volts():
    t = Target("pol", "NLRO", "polarisation", 750.0, 40.0, "mV", tolerance=80.0)
    assert t.unit == "V"
    assert t.value == pytest.approx(0.75, rel=1e-12)
    assert t.sigma == pytest.approx(0.04, rel=1e-12)
    assert t.pass_tolerance == pytest.approx(0.08, rel=1e-12)


def test_a_capacity_target_in_C_per_kg_is_converted_to_mAh_per_g():
    t = Target("cap", "NLRO", "discharge_capacity", 5.4e7, 3.6e6, "C/kg")
    assert t.unit == "mAh/g"
    assert t.value == pytest.approx(float(convert(5.4e7, "C/kg", "mAh/g")), rel=1e-12)
    assert t.value == pytest.approx(15000.0, rel=1e-12) and t.sigma == pytest.approx(1000.0, rel=1e-12)


def test_the_observables_unit_and_no_unit_are_kept():
    assert Target("a", "NLRO", "polarisation", 0.7, 0.04).unit == "V"
    t = Target("b", "NLRO", "discharge_capacity", 15000.0, 1125.0, "mAh/g")
    assert (t.value, t.sigma, t.unit) == (15000.0, 1125.0, "mAh/g")
    assert Target("c", "RuO2", "cycle_life_proxy", 350.0, 50.0, "cycles", CYCLING_RUN).unit == "cycles"


@pytest.mark.parametrize("observable, unit, allowed", [
    ("discharge_capacity", "parsecs", "mAh/g"),
    ("discharge_capacity", "mV", "C/kg"),          # a unit, but of another dimension
    ("polarisation", "mAh/g", "mV"),
    ("charge_recovered", "mV", "%"),
])
def test_a_unit_of_another_dimension_is_refused_with_the_target_and_allowed_units(observable, unit, allowed):
    with pytest.raises(ParameterError) as err:
        Target("my-target", "NLRO", observable, 1.0, 0.1, unit)
    msg = str(err.value)
    assert "'my-target'" in msg and repr(unit) in msg and allowed in msg


def test_load_targets_converts_and_refuses_units(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("id,catalyst,observable,value,sigma,unit\npol,RuO2,polarisation,900,30,mV\n"
                   "cap,NLRO,discharge_capacity,54000,3600,C/g\n")
    pol, cap = load_targets(csv)
    assert (pol.unit, pol.value, pol.sigma) == ("V", pytest.approx(0.9, rel=1e-12), pytest.approx(0.03, rel=1e-12))
    assert (cap.unit, cap.value, cap.sigma) == ("mAh/g", pytest.approx(15000.0, rel=1e-12),
                                                pytest.approx(1000.0, rel=1e-12))
    bad = tmp_path / "bad.toml"
    bad.write_text("[[target]]\nid='far'\ncatalyst='NLRO'\nobservable='mid_discharge_voltage'\nvalue=2.3\n"
                   "sigma=0.05\nunit='parsecs'\n")
    with pytest.raises(DataFormatError, match=r"'far'.*'parsecs'.*V"):
        load_targets(bad)
