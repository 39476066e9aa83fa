"""Every unit conversion lives in metalair.units: no module keeps its own table of unit factors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import metalair
from metalair.units import UNITS, find_unit, from_user

SRC = Path(metalair.__file__).parent


def _numeric(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.Tuple):
        return any(_numeric(e) for e in node.elts)
    return isinstance(node, ast.BinOp)


def test_no_module_keeps_its_own_unit_factor_table():
    """A dict literal keyed by two or more unit names with numeric values is a second home of the units."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "units.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict) or len(node.keys) < 2:
                continue
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            mostly_units = sum(k in UNITS for k in keys) >= max(2, len(keys) // 2 + 1)
            if len(keys) == len(node.keys) and mostly_units and all(map(_numeric, node.values)):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno} {keys[:4]}")
    assert not offenders, "unit factors outside metalair.units: " + "; ".join(offenders)


@pytest.mark.parametrize("text,unit", [("MHz", "MHz"), ("mhz", None), ("MOhm", "MOhm"), ("mΩ", "mΩ"),
                                       ("MOHM", None), ("kohm", "kohm"), ("NMOL/S", "nmol/s")])
def test_case_only_spellings_of_different_sizes_are_ambiguous(text, unit):
    """'mhz' could be mHz or MHz (1e9 apart): refused rather than guessed; exact spellings always work."""
    assert find_unit(text) == unit


def test_reader_units_convert_to_si():
    assert from_user(2.0, "kOhm", "resistance") == 2000.0
    assert from_user(1.0, "Ω cm2", "area-specific resistance") == pytest.approx(1e-4)
    assert from_user(1.0, "mA/cm²", "current density") == pytest.approx(10.0)
    assert from_user(60.0, "nmol/min", "amount rate") == pytest.approx(1e-9)


def test_a_validated_field_takes_its_value_with_any_unit_of_its_dimension():
    """Fields stored in SI (a host couple's capacity in C/kg, the loading in kg/m², the specific area in
    m²/kg) take text with a unit, converted through the units module; a bare number in text is refused
    with how to write it; a bare number stays SI as documented."""
    import metalair as ma
    from metalair.catalysts.base import HostCouple
    from metalair.errors import ParameterError

    assert HostCouple("Ru", 3.3, "64.5 mAh/g").capacity == pytest.approx(64.5 * 3600.0)
    assert HostCouple("Ru", "3.3 V", 232200.0).standard_potential == 3.3
    p = ma.DEFAULT_PARAMETERS.replace(loading="0.5 mg/cm²", specific_area="20 m²/g")
    assert p.loading == pytest.approx(0.005) and p.specific_area == pytest.approx(20000.0)
    with pytest.raises(ParameterError, match=r"HostCouple.capacity: '64.5' has no unit: write it with one"):
        HostCouple("Ru", 3.3, "64.5")
    with pytest.raises(ParameterError, match=r"loading: '0.5 mAh/g' is a specific capacity, but an? areal loading"):
        ma.DEFAULT_PARAMETERS.replace(loading="0.5 mAh/g")


def test_an_unknown_unit_names_the_closest_spelling_not_every_unit():
    """'1 MA/g' names mA/g and that the prefix's case matters; a near miss names near spellings; the message
    lists a dimension's units only when the dimension is known (it had listed all 180)."""
    from metalair.errors import ParameterError
    from metalair.units import parse_quantity

    with pytest.raises(ParameterError, match=r"did you mean 'mA/g'\? \(units are case-sensitive: m is milli") as exc:
        parse_quantity("1 MA/g")
    assert "allowed units" not in str(exc.value) and len(str(exc.value)) < 250
    with pytest.raises(ParameterError, match=r"did you mean 'mV'\?.*allowed units: V, Volt, Volts, mV, uV, µV$"):
        parse_quantity("1 MV", "potential")
    with pytest.raises(ParameterError, match=r"did you mean 'mAh/g'"):
        parse_quantity("5 mAhg")
