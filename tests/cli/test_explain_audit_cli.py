"""``metalair compare`` and ``metalair stages`` as a user runs them."""

from __future__ import annotations

from typer.testing import CliRunner

from metalair.cli.app import app

runner = CliRunner()


def test_compare_refuses_one_catalyst_named_twice(tmp_path):
    # "NLRO nlro" ran NLRO twice and drew it twice as "NLRO" and "NLRO (nlro)"
    res = runner.invoke(app, ["compare", "NLRO", "nlro", "--out", str(tmp_path / "c")])
    assert res.exit_code == 1, res.output
    assert "catalysts 'NLRO' and 'nlro' are the same catalyst (NLRO); give each once" in res.output
    assert not (tmp_path / "c").exists()


def test_compare_refuses_one_file_named_twice(tmp_path, monkeypatch):
    shown = runner.invoke(app, ["catalysts", "--show", "RuO2"])
    assert shown.exit_code == 0, shown.output
    (tmp_path / "x.toml").write_text(shown.output, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["compare", "x.toml", "./x.toml", "--out", "c"])
    assert res.exit_code == 1 and "are the same catalyst (RuO2); give each once" in res.output, res.output


def test_compare_numbers_are_simulate_numbers(tmp_path):
    protocol = "Discharge at 500 mA/g for 500 mAh/g or until 1.5 V; Charge at 500 mA/g until 4.8 V"
    cmp = runner.invoke(app, ["compare", "NLRO", "RuO2", "-p", protocol, "--out", str(tmp_path / "c")])
    assert cmp.exit_code == 0, cmp.output
    for cat in ("NLRO", "RuO2"):
        sim = runner.invoke(app, ["simulate", "-c", cat, "-p", protocol, "--no-plot", "--no-progress",
                                  "--out", str(tmp_path / cat)])
        assert sim.exit_code == 0, sim.output
        summary = [line for line in sim.output.splitlines() if not line.startswith("wrote:")]
        assert "\n".join(summary) in cmp.output


def test_stages_takes_an_environment():
    res = runner.invoke(app, ["stages", "-c", "RuO2", "--environment", "pure O2"])
    assert res.exit_code == 0, res.output
    assert "left after charge (above 0.001 mmol/g): nothing" in res.output  # no CO2, no carbonate to keep
    res = runner.invoke(app, ["stages", "-c", "RuO2", "-e", "moon"])
    assert res.exit_code == 1 and "unknown environment 'moon'" in res.output, res.output


def test_compare_catalysts_from_python_refuses_one_catalyst_in_two_spellings():
    """The command line refused it, but compare_catalysts(['NLRO', 'nlro']) ran NLRO twice."""
    import pytest

    from metalair.errors import ParameterError
    from metalair.workflows.simulate import compare_catalysts

    with pytest.raises(ParameterError, match=r"catalysts 'NLRO' and 'nlro' are the same catalyst \(NLRO\)"):
        compare_catalysts(["NLRO", "nlro"])
