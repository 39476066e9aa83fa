"""Bad input to ``analyze`` and ``stages``: one-line errors, exit 1, no traceback or numpy warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.cli.app import app

runner = CliRunner()
COLUMNS = "time_s=time_s,voltage_V=voltage_V,current_A=current_A"


def _csv(tmp_path, time_s, name="run.csv"):
    n = len(time_s)
    current = np.where(np.arange(n) < n // 2, 1e-3, -1e-3)
    p = tmp_path / name
    p.write_text("time_s,voltage_V,current_A\n" + "\n".join(
        f"{t},{2.2 if i > 0 else 3.5},{i}" for t, i in zip(time_s, current)) + "\n")
    return p


@pytest.mark.parametrize(("kind", "message"), [
    ("reversed", "rev.csv: time must increase from record to record, but it does not at record 2 (7180 s after 7190 s "
                 "at record 1); of 719 intervals 719 go back, 0 stand still and 0 go forward"),
    ("constant", "rev.csv: time must increase from record to record, but it does not at record 2 (0 s after 0 s at "
                 "record 1); of 719 intervals 0 go back, 719 stand still and 0 go forward"),
])
def test_analyze_refuses_a_time_column_that_does_not_run_forward(tmp_path, kind, message):
    t = np.arange(0.0, 7200.0, 10.0)
    p = _csv(tmp_path, t[::-1] if kind == "reversed" else np.zeros_like(t), "rev.csv")
    res = runner.invoke(app, ["analyze", str(p), "--columns", COLUMNS, "--no-plot", "--no-progress",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    assert f"error: {message}" in res.output
    assert "(on the command line: --format csv --columns" in res.output
    assert "no current in this cycle" not in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o" / "cycles.csv").exists()


@pytest.mark.parametrize("factor", ["nan", "0", "inf"])
def test_analyze_refuses_a_factor_that_is_not_a_finite_nonzero_number(tmp_path, factor):
    p = _csv(tmp_path, np.arange(0.0, 7200.0, 10.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning may leak
        res = runner.invoke(app, ["analyze", str(p), "--columns", f"{COLUMNS}@{factor}", "--no-plot",
                                  "--no-progress", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    assert (f"error: --columns: 'current_A=current_A@{factor}': the factor after @ must be a finite, non-zero "
            "number") in res.output
    assert "RuntimeWarning" not in res.output


def test_infer_steps_from_an_all_nan_current_warns_nothing():
    from metalair.tables.cycler import infer_steps_from_current

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step, kind = infer_steps_from_current(np.full(5, np.nan))
    assert step.tolist() == [1] * 5 and kind.tolist() == ["rest"] * 5


@pytest.mark.parametrize(("at", "message"), [
    ("nan", "--at 'nan': nan is not a finite number of volts"),
    ("2.8,inf,nan", "--at '2.8,inf,nan': inf, nan are not finite numbers of volts"),
])
def test_stages_at_not_a_number(at, message):
    res = runner.invoke(app, ["stages", "--at", at])
    assert res.exit_code == 1
    assert f"error: {message}" in res.output
    assert "cannot be reached" not in res.output


def test_calibrate_data_options_speak_the_command_line(tmp_path):
    """calibrate --data shares analyze's --mass-mg and --columns handling: the messages name the options
    (not mass_g or column_map), and --columns takes @unit as analyze's does."""
    p = _csv(tmp_path, np.arange(0.0, 7200.0, 10.0), "cell.csv")
    res = runner.invoke(app, ["calibrate", "--data", str(p), "--mass-mg", "-1", "--out", str(tmp_path / "c")])
    assert res.exit_code == 1 and "--mass-mg -1 must be a positive catalyst mass in mg" in res.output, res.output
    res = runner.invoke(app, ["calibrate", "--data", str(p), "--format", "csv", "--columns", "current_A=I@mA",
                              "--out", str(tmp_path / "c")])
    assert res.exit_code == 1, res.output
    assert "--columns must name the columns for time_s, voltage_V" in res.output
    assert "column_map" not in res.output and "Traceback" not in res.output
