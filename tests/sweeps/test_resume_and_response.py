"""A resumed screen keeps its manifest's provenance; the response figure marks candidates without a value."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.cli.app import app


def test_resume_keeps_the_command_and_start_in_the_manifest(tmp_path):
    # a resumed screen rebuilt its manifest from the sweep record and lost 'command', 'started', 'python'
    out = tmp_path / "s"
    args = ["screen", "--grid", "descriptors.NaO2.d_band_centre=-1.57,-1.6", "--scheduler", "serial",
            "--summary-only", "--fast", "--no-progress", "--out", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    first = json.loads((out / "manifest.json").read_text())
    res = CliRunner().invoke(app, [*args, "--resume"])
    assert res.exit_code == 0, res.output
    again = json.loads((out / "manifest.json").read_text())
    for key in ("command", "started", "python"):
        assert again.get(key) == first.get(key) and first.get(key), key


def test_the_response_figure_marks_candidates_without_a_value():
    # two of three candidates failed: the figure showed one point, zoomed on it, and said nothing
    from metalair.plotting.design import plot_sweep_response

    table = {"descriptors.NaO2.d_band_centre": np.array([-1.57, -30.0, 30.0]),
             "discharge_capacity_mAh_g": np.array([8500.0, np.nan, np.nan])}
    ax = plot_sweep_response(table, "descriptors.NaO2.d_band_centre").axes[0]
    marks = [line for line in ax.lines if line.get_marker() == "x"]
    assert marks and list(marks[0].get_xdata()) == [-30.0, 30.0]
    lo, hi = ax.get_xlim()
    assert lo < -30.0 and hi > 30.0  # every candidate's x in view
    assert "no value (failed: see status)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_calibrate_says_when_its_fit_stopped_before_converging(tmp_path):
    # the unconverged fit was saved in calibration.json but the printout never said so
    res = CliRunner().invoke(app, ["calibrate", "--builtin", "P4", "--params", "beta_fe", "--starts", "1",
                                   "--max-iterations", "1", "--no-plot", "--no-progress", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "warning: the best start's fit stopped before it converged" in res.output


def test_a_map_over_a_log_spaced_parameter_has_log_cells_and_the_parameters_unit():
    # i0_dec_NaO2 = 1e-4, 1e-3, 1e-2 sat on a linear axis (two cells squashed), with no unit
    from metalair.plotting.design import column_label, plot_screen_map

    assert column_label("parameters.i0_dec_NaO2") == "i0 dec NaO2 [A/m²]"
    x = np.repeat([1e-4, 1e-3, 1e-2], 2)
    y = np.tile([100.0, 300.0], 3)
    ax = plot_screen_map({"parameters.i0_dec_NaO2": x, "protocol.current": y, "polarisation_V": x * 0 + 0.4},
                         "parameters.i0_dec_NaO2", "protocol.current", "polarisation_V").axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    assert ax.get_xlabel() == "i0 dec NaO2 [A/m²]"
    lo, hi = ax.get_xlim()
    assert lo == pytest.approx(10 ** -4.5) and hi == pytest.approx(10 ** -1.5)  # cells centred on each decade


def test_censored_cycle_lives_are_marked_as_lower_bounds_on_the_map():
    # a map uniformly at the cycles run (no failure) looked like a measured cycle life of exactly that
    from metalair.plotting.design import plot_screen_map

    x = np.repeat([-1.9, -1.6], 2)
    y = np.tile([-1.6, -1.4], 2)
    table = {"dx": x, "dy": y, "cycle_life": np.array([30.0, 30.0, 12.0, 30.0]),
             "censored": np.array([True, True, False, True])}
    ax = plot_screen_map(table, "dx", "dy", "cycle_life").axes[0]
    marked = [c for c in ax.collections if c.get_label().startswith("≥: no failure in the cycles run")]
    assert len(marked) == 1 and len(marked[0].get_offsets()) == 3


def test_a_charge_that_is_no_round_trip_of_the_discharge_is_flagged_and_kept_off_the_efficiency_axis():
    # at 100 A/g the discharge reaches 1.5 V after 0.02 mAh/g and the charge takes 66 mAh/g from the host:
    # a coulombic efficiency of 303,000 % was written without a word and stretched the figure's axis to it
    from metalair.plotting.design import plot_sweep_response
    from metalair.sweeps.evaluate import ScreenSettings, evaluate_candidate

    protocol = ("Discharge at {current} mA/g for 500 mAh/g or until 1.5 V; "
                "Charge at {current} mA/g for 500 mAh/g or until 4.8 V")
    settings = ScreenSettings(protocol=protocol, plateaus=False, fast=True)
    ok = evaluate_candidate({"protocol.current": 100.0}, settings)
    far = evaluate_candidate({"protocol.current": 100_000.0}, settings)
    assert ok["status"] == "ok" and ok["message"] == ""
    assert far["status"] == "ok" and far["coulombic_efficiency_pct"] > 1e4
    assert far["message"].startswith("coulombic efficiency ") and "outside 0-200 %" in far["message"]
    assert "the discharge passed 0.0" in far["message"]

    table = {"protocol.current": np.array([100.0, 1000.0, 100_000.0]),
             "coulombic_efficiency_pct": np.array([ok["coulombic_efficiency_pct"], 100.0 - 1e-9,
                                                   far["coulombic_efficiency_pct"]])}
    ax = plot_sweep_response(table, "protocol.current").axes[0]
    line = ax.lines[0]
    assert list(line.get_xdata()) == [100.0, 1000.0]  # the outlier is not on the line
    lo, hi = ax.get_ylim()
    assert lo < 99.9 and 100.1 < hi < 200.0  # two values equal to 1e-9: a readable ±0.5 % window, not round-off
    assert "outside 0-200 % (see message)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.get_text() == f"{far['coulombic_efficiency_pct']:.3g} %" for t in ax.texts)


def test_one_decade_exactly_is_drawn_on_a_log_axis():
    # 1e-4 and 1e-3 (a ratio of exactly 10) stayed on a linear axis: "more than a decade" was strict
    from metalair.plotting.design import plot_sweep_response

    ax = plot_sweep_response({"parameters.i0_dec_NaO2": np.array([1e-4, 3e-4, 1e-3]),
                              "discharge_capacity_mAh_g": np.array([8000.0, 8200.0, 8300.0])},
                             "parameters.i0_dec_NaO2").axes[0]
    assert ax.get_xscale() == "log"
    ax = plot_sweep_response({"protocol.current": np.array([100.0, 500.0, 900.0]),
                              "discharge_capacity_mAh_g": np.array([8000.0, 8200.0, 8300.0])},
                             "protocol.current").axes[0]
    assert ax.get_xscale() == "linear"  # under a decade: linear


def test_the_sweep_printout_points_to_a_note_on_a_candidate_that_ran(tmp_path):
    protocol = ("Discharge at {current} mA/g for 500 mAh/g or until 1.5 V; "
                "Charge at {current} mA/g for 500 mAh/g or until 4.8 V")
    res = CliRunner().invoke(app, ["sweep", "-p", protocol, "--var", "current=100,100000", "--scheduler", "serial",
                                   "--summary-only", "--fast", "--no-progress", "--out", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert "0 not ok" in res.output
    assert "note: 1 candidate(s) ran but carry a note in the 'message' column; candidate 1: coulombic efficiency" \
        in res.output


def test_a_linear_grid_over_more_than_a_decade_keeps_a_linear_axis():
    # 0.05:1.0:7 (the README's eta_FE axis) went onto a log axis, its cells crowded at the top
    from metalair.plotting.design import _log_spaced

    assert not _log_spaced(np.linspace(0.05, 1.0, 7))
    assert _log_spaced(np.geomspace(1e-4, 1e-1, 7))
    assert _log_spaced(np.array([50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0]))  # the README's rate sweep
    assert _log_spaced(np.array([1e-4, 1e-3]))


def test_the_simulate_summary_flags_the_same_coulombic_efficiency():
    # only the sweep flagged it: `metalair simulate` printed 303380.3 % without a word
    import metalair as ma
    from metalair.analysis.summary import format_summary, summarize

    sol = ma.simulate("NLRO", "Discharge at 100000 mA/g for 500 mAh/g or until 1.5 V; "
                      "Charge at 100000 mA/g for 500 mAh/g or until 4.8 V")
    s = summarize(sol)
    assert s["coulombic_efficiency_pct"] > 1e4
    assert s["coulombic_efficiency_note"].startswith("coulombic efficiency ")
    assert "  note: coulombic efficiency " in format_summary(s)
    ok = summarize(ma.simulate("NLRO", "Discharge at 100 mA/g for 50 mAh/g; Charge at 100 mA/g for 50 mAh/g"))
    assert "coulombic_efficiency_note" not in ok
