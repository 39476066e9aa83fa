"""``metalair impedance --bias``: a bare number is refused with how to write it, before anything runs."""

from __future__ import annotations

from typer.testing import CliRunner

from metalair.cli.app import app

runner = CliRunner()


def test_a_bare_bias_is_refused_with_how_to_write_it(tmp_path):
    res = runner.invoke(app, ["impedance", "--no-plot", "--points", "5", "--out", str(tmp_path / "o"),
                              "--at", "Discharge at 100 mA/g for 100 mAh/g", "--bias", "10"])
    assert res.exit_code == 1, res.output
    assert "--bias" in res.output and "'10 mA/g'" in res.output and "unknown unit ''" not in res.output
    assert not (tmp_path / "o").exists()


def test_a_bias_with_its_unit_runs(tmp_path):
    res = runner.invoke(app, ["impedance", "--no-plot", "--points", "5", "--out", str(tmp_path / "o"),
                              "--at", "Discharge at 100 mA/g for 100 mAh/g", "--bias", "10mA/g"])
    assert res.exit_code == 0, res.output
    assert "at 10 mA/g" in res.output
