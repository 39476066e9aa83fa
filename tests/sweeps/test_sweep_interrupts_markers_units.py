"""Audit of sweeps and screens as a user runs them: interruption counts, map markers, unit axes, --workers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.cli.app import app

RATE = ["sweep", "-c", "NLRO", "-p", "Discharge at {current} mA/g until 1.5 V", "--var", "current=100,200",
        "--summary-only", "--fast", "--scheduler", "serial", "--no-progress"]


def test_ctrl_c_while_the_figure_is_drawn_counts_the_finished_batches(tmp_path, monkeypatch):
    # every batch was written when Ctrl-C came (during the figure); the message said "0 of 2 batches finished"
    import metalair.plotting.design as design

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(design, "plot_sweep_response", interrupted)
    out = tmp_path / "s"
    res = CliRunner().invoke(app, [*RATE, "--out", str(out)])
    assert res.exit_code != 0
    assert len(list(out.glob("part-*.parquet"))) == 2
    assert "2 of 2 batches finished" in res.output, res.output
    assert "0 of 2" not in res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "partial" and "2 of 2 batches finished" in manifest["error"]
    monkeypatch.undo()
    again = CliRunner().invoke(app, [*RATE, "--out", str(out), "--resume"])
    assert again.exit_code == 0, again.output
    assert (out / "response.png").is_file()


def _marker_results(monkeypatch, tmp_path, grid):
    """Run a screen over ``grid`` axes; return what the map's stars were filled with."""
    import metalair.plotting.design as design

    seen = {}
    real = design.plot_screen_maps

    def spy(data, x, y, values, markers=None, marker_results=None, **kw):
        seen.update(marker_results or {})
        return real(data, x, y, values, markers=markers, marker_results=marker_results, **kw)

    monkeypatch.setattr(design, "plot_screen_maps", spy)
    from metalair.sweeps.candidates import grid as make_grid
    from metalair.sweeps.evaluate import ScreenSettings
    from metalair.sweeps.screen import run_screen

    res = run_screen(make_grid(grid), ScreenSettings(catalyst="NLRO", plateaus=False, fast=True),
                     tmp_path / "map", scheduler="serial")
    assert "map" in res.files
    return seen


def test_map_stars_are_simulated_in_the_environment_of_the_slice_shown(tmp_path, monkeypatch):
    # the map showed the pure-O2 slice, but NLRO's star was filled with its ambient-air polarisation
    # (0.75 V, against 0.14 V in pure O2)
    from metalair.sweeps.evaluate import ScreenSettings, evaluate_candidate

    seen = _marker_results(monkeypatch, tmp_path, {"environment": ["pure O2", "ambient air"],
                                                   "descriptors.*.icohp": [-2.4, -2.0],
                                                   "catalyst.free_energy_overpotential": [0.1, 0.5]})
    settings = ScreenSettings(catalyst="NLRO", plateaus=False, fast=True)
    in_o2 = evaluate_candidate({"catalyst": "NLRO", "environment": "pure O2"}, settings)["polarisation_V"]
    in_air = evaluate_candidate({"catalyst": "NLRO"}, settings)["polarisation_V"]
    assert abs(in_o2 - in_air) > 0.1  # the test means something
    assert seen["NLRO"]["polarisation_V"] == pytest.approx(in_o2, abs=1e-12)


def test_map_stars_take_a_parameter_every_candidate_shares(tmp_path, monkeypatch):
    from metalair.sweeps.evaluate import ScreenSettings, evaluate_candidate

    seen = _marker_results(monkeypatch, tmp_path, {"parameters.electrolyte_thickness": [2e-4],
                                                   "descriptors.*.icohp": [-2.4, -2.0],
                                                   "catalyst.free_energy_overpotential": [0.1, 0.5]})
    settings = ScreenSettings(catalyst="NLRO", plateaus=False, fast=True)
    own = evaluate_candidate({"catalyst": "NLRO", "parameters.electrolyte_thickness": 2e-4}, settings)
    default = evaluate_candidate({"catalyst": "NLRO"}, settings)
    assert own["polarisation_V"] != pytest.approx(default["polarisation_V"], abs=1e-6)
    assert seen["NLRO"]["polarisation_V"] == pytest.approx(own["polarisation_V"], abs=1e-12)


def test_an_axis_written_with_its_unit_still_gets_its_response_figure(tmp_path):
    # '--param loading=0.3 mg/cm2,1 mg/cm2' (the form the far-from-default note asks for) wrote no response.png
    out = tmp_path / "u"
    args = ["sweep", "-c", "NLRO", "--param", "loading=0.3 mg/cm2,1 mg/cm2,2 mg/cm2", "--no-full", "--cycle",
            "--cycles", "2", "--scheduler", "serial", "--no-progress", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (out / "response.png").is_file(), res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert "response.png" in manifest["files"]


def test_axis_values_with_units_are_read_for_the_figure():
    import pyarrow as pa

    from metalair.sweeps.screen import numeric_axis

    values, unit = numeric_axis(pa.array(["0.3 mg/cm2", "1 mg/cm2", "20 g/m2"]))
    assert unit == "mg/cm2"
    assert np.allclose(values, [0.3, 1.0, 2.0])  # 20 g/m² = 2 mg/cm²
    assert numeric_axis(pa.array(["NLRO", "RuO2"])) is None
    assert numeric_axis(pa.array(["1 mg/cm2", "2 V"])) is None  # no common unit
    assert numeric_axis(pa.array([1.0, 2.0])) is None  # already numbers: nothing to read


@pytest.mark.parametrize("scheduler", ["serial", "tcp://127.0.0.1:1"])
@pytest.mark.parametrize("command", ["screen", "sweep"])
def test_workers_without_a_local_cluster_are_refused(tmp_path, command, scheduler):
    # --workers 3 --scheduler serial ran in one process and said nothing
    grid = ["--grid", "descriptors.NaO2.d_band_centre=-1.57,-1.6"]
    res = CliRunner().invoke(app, [command, "--scheduler", scheduler, *grid, "--workers", "3",
                                   "-o", str(tmp_path / "s")])
    assert res.exit_code == 1
    assert "--workers" in res.output and "--scheduler local" in res.output, res.output
    assert not (tmp_path / "s").exists()


def test_a_python_grid_refuses_a_value_given_twice_as_the_command_line_does():
    # grid({'x': [0.1, 0.1]}) ran the same candidate twice; 'x=0.1,0.1' was refused
    from metalair.errors import ParameterError
    from metalair.sweeps.candidates import grid

    with pytest.raises(ParameterError, match=r"axis 'catalyst.free_energy_overpotential': 0.1 given more than once"):
        grid({"catalyst.free_energy_overpotential": [0.1, 0.2, 0.1]})
    with pytest.raises(ParameterError, match="given more than once"):
        grid({"descriptors.*.icohp": np.array([-2.0, -1.5, -2.0])})
    assert len(grid({"descriptors.*.icohp": np.array([-2.0, -1.5]), "environment": ["pure O2", "dry air"]})) == 4


def test_repeated_values_are_found_by_equality_also_beside_an_unhashable_one():
    """The first hash-table version compared every value by its text once one was unhashable: 1 and '1' were a
    repeat, 1 and 1.0 were not."""
    from metalair.errors import ParameterError
    from metalair.sweeps.candidates import _refuse_repeats

    _refuse_repeats("a", [1, "1", [2]])
    for values in ([1, 1.0, [2]], [[1], [1]], [0.1, 0.2, 0.1]):
        with pytest.raises(ParameterError, match="given more than once"):
            _refuse_repeats("a", values)
