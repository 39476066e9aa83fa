"""Catalyst-design audit (s27): free-energy steps, catalyst files, from-dft outputs."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from metalair.catalysts import NLRO
from metalair.catalysts.files import catalyst_to_toml, load_catalyst
from metalair.cli.app import app
from metalair.errors import DataFormatError, ParameterError
from metalair.io.dft import read_free_energy_steps

STEPS = "step,delta_G_eV,electrons\n* + Na+ + e- + O2 -> NaO2*,-2.07,1\nNaO2* + Na+ + e- -> Na2O2*,-2.59,1\n"


def test_steps_row_with_decimal_commas_is_refused_naming_file_row_and_cells(tmp_path):
    # read as -2 eV and 3 electrons, without a word: eta_FE 1.0 V instead of 0.1 V
    p = tmp_path / "comma.csv"
    p.write_text("# exported\nstep,delta_G_eV,electrons\n* + Na+ + e- + O2 -> NaO2*,-2,1,1\n")
    with pytest.raises(DataFormatError, match=r"comma.csv' row 3: 4 cells, but the header names 3 columns.*"
                                              r"\['\* \+ Na\+ \+ e- \+ O2 -> NaO2\*', '-2', '1', '1'\]"):
        read_free_energy_steps(p)


def test_steps_row_with_a_column_the_header_does_not_name_is_refused(tmp_path):
    # a 2-electron step counted as 1 e-: U_eq 2.62 V instead of 1.965 V
    p = tmp_path / "noe.csv"
    p.write_text("step,delta_G_eV\nA,-2.07\n2 Na+ + 2 e- + CO2 + Na2O2* -> Na2CO3*,-3.2,2\n")
    with pytest.raises(DataFormatError, match=r"row 3: 3 cells, but the header names 2 columns"):
        read_free_energy_steps(p)


def test_catalyst_file_with_a_byte_order_mark_loads(tmp_path):
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf" + catalyst_to_toml(NLRO).encode())
    assert load_catalyst(p) == NLRO


def test_mis_cased_product_table_is_reported_as_a_typo(tmp_path):
    p = tmp_path / "lower.toml"
    p.write_text(catalyst_to_toml(NLRO).replace("[catalyst.descriptors.NaO2]", "[catalyst.descriptors.nao2]"))
    with pytest.raises(ParameterError, match=r"unknown product 'nao2'.*did you mean 'NaO2'"):
        load_catalyst(p)


def test_molar_mass_in_the_form_the_message_suggests_is_accepted(tmp_path):
    text = catalyst_to_toml(NLRO)
    line = next(x for x in text.splitlines() if x.startswith("molar_mass"))
    p = tmp_path / "gmol.toml"
    p.write_text(text.replace(line, "molar_mass = 124.68"))
    with pytest.raises(ParameterError, match=r"Write 0.12468 or '124.68 g/mol'"):
        load_catalyst(p)
    p.write_text(text.replace(line, 'molar_mass = "124.68 g/mol"'))
    assert load_catalyst(p).molar_mass == pytest.approx(0.12468)
    p.write_text(text.replace(line, 'molar_mass = "124.68"'))
    with pytest.raises(DataFormatError, match=r"key 'molar_mass'.*has no unit"):
        load_catalyst(p)


def test_from_dft_molar_mass_message_speaks_g_per_mol(tmp_path):
    (tmp_path / "steps.csv").write_text(STEPS)
    res = CliRunner().invoke(app, ["catalyst", "from-dft", "--steps", str(tmp_path / "steps.csv"), "--template",
                                   "RuO2", "-o", str(tmp_path / "m.toml"), "--molar-mass", "1e9"])
    assert res.exit_code == 1
    assert "--molar-mass 1e+09 g/mol is no formula unit's mass" in res.output and "kg/mol" not in res.output


def test_from_dft_no_figure_overwrite_removes_the_stale_figure_and_ignores_an_unrelated_one(tmp_path):
    (tmp_path / "steps.csv").write_text(STEPS)
    base = ["catalyst", "from-dft", "--steps", str(tmp_path / "steps.csv"), "--template", "RuO2"]
    out, fig = tmp_path / "fig.toml", tmp_path / "fig_free_energy.png"
    assert CliRunner().invoke(app, [*base, "-o", str(out)]).exit_code == 0
    assert fig.is_file()
    res = CliRunner().invoke(app, [*base, "-o", str(out), "--no-figure", "--overwrite"])
    assert res.exit_code == 0, res.output
    assert out.is_file() and not fig.exists()  # the earlier run's figure does not sit beside the new file
    other = tmp_path / "fig2_free_energy.png"
    other.write_bytes(b"not ours")
    res = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "fig2.toml"), "--no-figure"])
    assert res.exit_code == 0, res.output
    assert other.read_bytes() == b"not ours"
