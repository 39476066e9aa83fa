"""Catalyst files (TOML): exact round trip, generic field mapping, clear errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import metalair as ma
from metalair.catalysts import CATALYSTS, NLRO, RUO2, Catalyst, Descriptors, get_catalyst
from metalair.catalysts import files as F
from metalair.errors import DataFormatError, ParameterError

PROTOCOL = "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V"


@pytest.mark.parametrize("name", list(CATALYSTS))
def test_round_trip_equal_for_every_builtin(name, tmp_path):
    cat = CATALYSTS[name]
    path = F.save_catalyst(cat, tmp_path / f"{name}.toml")
    back = F.load_catalyst(path)
    assert back == cat
    assert F.catalyst_to_toml(back) == F.catalyst_to_toml(cat)
    assert F.unsourced_values(cat) == []  # every number carries a source


@pytest.mark.parametrize("cat", [NLRO, RUO2], ids=["NLRO", "RuO2"])
def test_file_simulates_bit_identically(cat, tmp_path):
    path = F.save_catalyst(cat, tmp_path / "cat.toml")
    a = ma.simulate(cat, PROTOCOL)
    b = ma.simulate(str(path), PROTOCOL)  # a path ending in .toml is accepted where a name is
    assert a.ok and b.ok
    for key in ("Time [s]", "Voltage [V]", "Capacity [mAh/g]", "NaO2 [mol/g]", "Na2CO3 [mol/g]",
                "Catalyst d-band centre [eV]"):
        assert np.array_equal(a[key], b[key]), key
    assert [s.capacity_mAh_g for s in a.steps] == [s.capacity_mAh_g for s in b.steps]


def test_load_catalyst_exported_and_get_catalyst_accepts_path(tmp_path):
    path = F.save_catalyst(NLRO, tmp_path / "mine.TOML")
    assert ma.load_catalyst(path) == NLRO
    assert get_catalyst(str(path)) == NLRO


def test_text_with_quotes_backslashes_and_unicode_round_trips():
    cat = dataclasses.replace(RUO2, formula='Ru"O2\\test', description="tab\there\nnewline, ε_d, \x7f, µ",
                              sources={"weird key.with dots": "ÅÄÖ \"quoted\""})
    assert F.catalyst_from_toml(F.catalyst_to_toml(cat)) == cat


def test_any_catalyst_name_writes_its_files_inside_out(tmp_path):
    """'RuO2/C' is the field's notation; '../../escaped' once wrote outside --out. Files use a safe stem."""
    from metalair._files import file_stem
    from metalair.workflows.simulate import simulate_to_files

    assert file_stem("RuO2/C") == "RuO2-C" and file_stem("../../escaped") == "-..-escaped"
    cat = dataclasses.replace(RUO2, name="../../escaped")
    run = simulate_to_files(cat, "Discharge at 100 mA/g for 10 mAh/g", out_dir=tmp_path / "out", figure=False)
    assert all(p.resolve().parent == (tmp_path / "out").resolve() for p in map(Path, run.files))
    assert dataclasses.replace(RUO2, name="RuO2/C").name == "RuO2/C"
    for bad in ("", "a\tb"):
        with pytest.raises(ParameterError, match="catalyst name"):
            dataclasses.replace(RUO2, name=bad)


def test_units_from_docstrings_are_written_as_comments():
    text = F.catalyst_to_toml(NLRO)
    assert f"molar_mass = {NLRO.molar_mass!r}  # kg/mol" in text
    assert abs(NLRO.molar_mass - 0.1246811033) < 1e-10
    assert "d_band_centre = -1.97  # eV" in text
    assert "[[catalyst.host_couples]]" in text and "[catalyst.descriptors.Na2CO3]" in text


def test_mapping_is_generic_over_dataclass_fields(monkeypatch):
    """A field added to a catalyst dataclass is written and read without changes to files.py."""

    @dataclasses.dataclass(frozen=True)
    class RichDescriptors(Descriptors):
        adsorption_energy: float = -0.5
        note: str = ""

    monkeypatch.setitem(F._ELEMENT_TYPES, (Catalyst, "descriptors"), RichDescriptors)
    desc = {p: RichDescriptors(d.d_band_centre, d.icohp, d.stage, d.source, adsorption_energy=-0.1 * i, note=p)
            for i, (p, d) in enumerate(RUO2.descriptors.items())}
    cat = dataclasses.replace(RUO2, descriptors=desc)
    text = F.catalyst_to_toml(cat)
    assert "adsorption_energy = -0.2" in text
    back = F.catalyst_from_toml(text)
    assert back == cat
    assert isinstance(back.descriptors["Na2O2"], RichDescriptors)


def _write(tmp_path, text):
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_missing_file_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        F.load_catalyst(tmp_path / "nope.toml")
    with pytest.raises(ParameterError, match="does not exist"):
        get_catalyst(str(tmp_path / "nope.toml"))


def test_invalid_toml_names_file(tmp_path):
    p = _write(tmp_path, "[catalyst\nname = 1\n")
    with pytest.raises(DataFormatError, match=r"bad\.toml.*not valid TOML"):
        F.load_catalyst(p)


def test_unknown_key_names_file_table_key_and_suggests(tmp_path):
    text = F.catalyst_to_toml(RUO2).replace("d_band_centre = -1.55", "dband_centre = -1.55")
    with pytest.raises(DataFormatError) as err:
        F.load_catalyst(_write(tmp_path, text))
    msg = str(err.value)
    assert "bad.toml" in msg and "[catalyst.descriptors.Na2O2]" in msg and "'dband_centre'" in msg
    assert "did you mean 'd_band_centre'" in msg and "icohp" in msg  # allowed keys are listed


def test_missing_required_key(tmp_path):
    text = F.catalyst_to_toml(RUO2).replace("icohp = -1.71  # eV\n", "")
    with pytest.raises(DataFormatError, match=r"\[catalyst.descriptors.Na2CO3\].*missing required key.*'icohp'"):
        F.load_catalyst(_write(tmp_path, text))


def test_wrong_type(tmp_path):
    text = F.catalyst_to_toml(RUO2).replace("free_energy_overpotential = 0.855", 'free_energy_overpotential = "high"')
    with pytest.raises(DataFormatError, match="'free_energy_overpotential': expected a number"):
        F.load_catalyst(_write(tmp_path, text))


def test_out_of_range_value_names_file_and_range(tmp_path):
    text = F.catalyst_to_toml(RUO2).replace("icohp = -1.54", "icohp = 1.54")
    with pytest.raises(ParameterError, match=r"bad\.toml.*\[catalyst.descriptors.NaO2\].*icohp = 1.54.*\[-10, 0\]"):
        F.load_catalyst(_write(tmp_path, text))


def test_unknown_product_lists_allowed(tmp_path):
    text = F.catalyst_to_toml(RUO2).replace("[catalyst.descriptors.NaO2]", "[catalyst.descriptors.NaO3]")
    with pytest.raises(ParameterError, match=r"bad\.toml.*missing for \['NaO2'\].*'Na2CO3'"):
        F.load_catalyst(_write(tmp_path, text))
    extra = F.catalyst_to_toml(RUO2) + "\n[catalyst.descriptors.Li2O2]\nd_band_centre = -1.5\nicohp = -1.5\n"
    with pytest.raises(ParameterError, match="bad.toml.*unknown product 'Li2O2'.*did you mean 'Na2O2'"):
        F.load_catalyst(_write(tmp_path, extra))


def test_not_a_catalyst_file(tmp_path):
    with pytest.raises(DataFormatError, match=r"no \[catalyst\] table"):
        F.load_catalyst(_write(tmp_path, 'format = "metalair catalyst"\n'))
    with pytest.raises(DataFormatError, match="format = 'something else'"):
        F.load_catalyst(_write(tmp_path, 'format = "something else"\n[catalyst]\n'))
    with pytest.raises(DataFormatError, match="version = 99"):
        F.load_catalyst(_write(tmp_path, F.catalyst_to_toml(RUO2).replace("version = 1", "version = 99")))
    with pytest.raises(DataFormatError, match="unknown top-level"):
        F.load_catalyst(_write(tmp_path, "extra = 1\n" + F.catalyst_to_toml(RUO2)))


def test_unsourced_values_are_listed():
    bare = dataclasses.replace(RUO2, sources={}, descriptors={p: dataclasses.replace(d, source="")
                                                              for p, d in RUO2.descriptors.items()})
    missing = F.unsourced_values(bare)
    assert "catalyst.molar_mass" in missing and "catalyst.descriptors.NaO2.icohp" in missing


def test_a_molar_mass_in_g_per_mol_is_refused_with_how_to_write_it():
    """molar_mass = 133.068 (g/mol written where kg/mol is stored) was accepted: 1000x too few moles per gram."""
    with pytest.raises(ParameterError, match=r"molar_mass = 133.068 kg/mol is no formula unit's mass .* in g/mol\? "
                                             r"Write 0.133068 or '133.068 g/mol'"):
        dataclasses.replace(RUO2, molar_mass=133.068)
    assert dataclasses.replace(RUO2, molar_mass="133.068 g/mol").molar_mass == pytest.approx(0.133068)
