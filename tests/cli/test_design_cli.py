"""CLI: catalysts --show, catalyst from-dft, screen and sweep (serial, small)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from metalair.catalysts import NLRO
from metalair.catalysts.files import catalyst_to_toml, load_catalyst
from metalair.cli.app import app

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"


def test_catalysts_show_prints_the_catalyst_file(tmp_path):
    res = runner.invoke(app, ["catalysts", "--show", "nlro"])
    assert res.exit_code == 0, res.output
    assert res.output == catalyst_to_toml(NLRO)
    p = tmp_path / "nlro.toml"
    p.write_text(res.output)
    assert load_catalyst(p) == NLRO
    bad = runner.invoke(app, ["catalysts", "--show", "NLR0"])
    assert bad.exit_code == 1 and "NLRO" in bad.output


def test_catalysts_lists_references():
    res = runner.invoke(app, ["catalysts"])
    assert res.exit_code == 0
    assert "NNRO" in res.output and "NLMO" in res.output and "estimated" in res.output


def test_simulate_accepts_a_catalyst_file(tmp_path):
    p = tmp_path / "cat.toml"
    p.write_text(catalyst_to_toml(NLRO))
    res = runner.invoke(app, ["simulate", "--catalyst", str(p), "--out", str(tmp_path / "o"), "--no-plot",
                              "--no-progress"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "o" / "NLRO_summary.json").read_text())["status"] == "ok"


def _steps(tmp_path):
    p = tmp_path / "steps.csv"
    p.write_text("step,delta_G_eV,electrons\n* + Na+ + e- + O2 -> NaO2*,-2.07,1\nNaO2* + Na+ + e- -> Na2O2*,-2.59,1\n")
    return p


def test_from_dft_builds_a_catalyst_file(tmp_path):
    out = tmp_path / "cat.toml"
    res = runner.invoke(app, ["catalyst", "from-dft", "--vasprun", str(DATA / "dft" / "NiO_vasprun.xml.gz"),
                              "--elements", "Ni", "--icohp", str(DATA / "lobster" / "BaTiO3_ICOHPLIST.lobster.gz"),
                              "--bond", "Ti-O", "--cutoff", "2.3", "--steps", str(_steps(tmp_path)),
                              "--name", "NiO-test", "--formula", "NiO", "--out", str(out)])
    assert res.exit_code == 0, res.output
    cat = load_catalyst(out)
    for d in cat.descriptors.values():  # pymatgen's CompleteDos.get_band_center(d, [Ni]) = -1.2441 eV
        assert abs(d.d_band_centre - (-1.244097498101669)) < 0.01
        assert d.icohp == pytest.approx(-3.5391933333333334)
        assert "sha256 13debfbb09b6f20b" in d.source and "6 Ti-O bond(s)" in d.source
    assert cat.free_energy_overpotential == pytest.approx(0.26)
    assert cat.molar_mass == pytest.approx((58.6934 + 15.999) / 1000)
    assert not cat.host_couples
    assert (tmp_path / "cat_free_energy.png").stat().st_size > 1000
    assert "U_eq 2.330 V" in res.output


def test_from_dft_with_template_replaces_one_product(tmp_path):
    out = tmp_path / "nlro_mod.toml"
    res = runner.invoke(app, ["catalyst", "from-dft", "--vasprun",
                              f"Na2CO3={DATA / 'dft' / 'NiO_vasprun.xml.gz'}", "--elements", "Ni",
                              "--template", "NLRO", "--name", "NLRO-mod", "--out", str(out), "--no-figure"])
    assert res.exit_code == 0, res.output
    cat = load_catalyst(out)
    assert cat.host_couples == NLRO.host_couples
    assert cat.descriptors["NaO2"] == NLRO.descriptors["NaO2"]
    assert cat.descriptors["Na2CO3"].d_band_centre == pytest.approx(-1.2441, abs=1e-4)
    assert cat.descriptors["Na2CO3"].icohp == NLRO.descriptors["Na2CO3"].icohp  # kept from the template
    assert cat.descriptors["Na2CO3"].stage == 2.0


def test_from_dft_user_errors_exit_1(tmp_path):
    res = runner.invoke(app, ["catalyst", "from-dft", "--out", str(tmp_path / "x.toml")])
    assert res.exit_code == 1 and "nothing to compute" in res.output
    res = runner.invoke(app, ["catalyst", "from-dft", "--vasprun", str(DATA / "dft" / "NiO_vasprun.xml.gz"),
                              "--out", str(tmp_path / "x.toml")])
    assert res.exit_code == 1 and "--icohp" in res.output  # no ICOHP and no template
    res = runner.invoke(app, ["catalyst", "from-dft", "--vasprun", str(tmp_path / "none.xml"), "--template", "RuO2",
                              "--out", str(tmp_path / "x.toml")])
    assert res.exit_code == 1 and "none.xml: no such file" in res.output


def test_screen_grid_serial_writes_table_csv_and_map(tmp_path):
    out = tmp_path / "scr"
    res = runner.invoke(app, ["screen", "--grid", "descriptors.*.icohp=-2.0,-1.6", "--grid",
                              "catalyst.free_energy_overpotential=0.2,0.8", "--catalyst", "RuO2", "--summary-only",
                              "--cycle", "--cycles", "5", "--scheduler", "serial", "--out", str(out),
                              "--no-progress"])
    assert res.exit_code == 0, res.output
    t = pq.read_table(out / "results.parquet")
    assert t.num_rows == 4 and t.column("candidate_id").to_pylist() == [0, 1, 2, 3]
    assert set(t.column("status").to_pylist()) == {"ok"}
    pol = t.column("polarisation_V").to_pylist()
    assert pol[0] < pol[1]  # a larger free-energy overpotential polarises the charge more
    assert (out / "results.csv").exists() and (out / "map.png").stat().st_size > 1000
    again = runner.invoke(app, ["screen", "--grid", "descriptors.*.icohp=-2.0,-1.6", "--scheduler", "serial",
                                "--out", str(out), "--no-progress"])
    assert again.exit_code == 1 and "--resume" in again.output


def test_screen_bad_key_fails_fast(tmp_path):
    res = runner.invoke(app, ["screen", "--grid", "descriptors.*.icohpp=-2.0,-1.6", "--scheduler", "serial",
                              "--out", str(tmp_path / "s"), "--no-progress"])
    assert res.exit_code == 1 and "did you mean 'icohp'" in res.output


def test_sweep_protocol_variable(tmp_path):
    res = runner.invoke(app, ["sweep", "--var", "current=100,400", "--protocol",
                              "Discharge at {current} mA/g until 1.5 V; Charge at {current} mA/g until 4.8 V",
                              "--catalyst", "RuO2", "--summary-only", "--scheduler", "serial",
                              "--out", str(tmp_path / "sw"), "--no-progress"])
    assert res.exit_code == 0, res.output
    t = pq.read_table(tmp_path / "sw" / "results.parquet")
    assert t.column("protocol.current").to_pylist() == [100.0, 400.0]
    q = t.column("discharge_capacity_mAh_g").to_pylist()
    assert q[1] < q[0]  # a higher current gives less capacity
    # one swept axis: each result is drawn against it
    png = tmp_path / "sw" / "response.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "response.png" in res.output
    assert not (tmp_path / "sw" / "map.png").exists()


def test_sweep_response_column_only_for_one_numeric_axis():
    import pyarrow as pa

    from metalair.sweeps.screen import response_column

    t = pa.table({"protocol.current": [100.0, 400.0], "parameters.k": [1.0, 1.0], "catalyst": ["NLRO", "RuO2"]})
    assert response_column(t, ["protocol.current", "parameters.k"]) == "protocol.current"
    assert response_column(t, ["protocol.current", "catalyst"]) is None  # two axes vary
    assert response_column(t, ["catalyst"]) is None  # not numeric
    nan_axis = pa.table({"protocol.current": [100.0, float("nan")], "parameters.k": [1.0, 2.0]})
    assert response_column(nan_axis, ["protocol.current", "parameters.k"]) == "parameters.k"  # NaN is not a value
