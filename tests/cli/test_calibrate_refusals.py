"""`metalair calibrate`: options checked before any model run; an earlier run is not mixed or lost."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from metalair.cli.app import app
from metalair.workflows.outputs import MANIFEST_NAME

runner = CliRunner()


@pytest.mark.parametrize(("args", "message"), [
    (["--builtin", "none"], "no targets"),
    (["--max-iterations", "0"], "--max-iterations must be >= 1"),
    (["--starts", "0"], "--starts must be >= 1"),
    (["--workers", "0"], "--workers must be >= 1"),
    (["--profile", "foo"], "--profile: 'foo' is not a model parameter"),
])
def test_calibrate_refuses_before_running(tmp_path, args, message):
    res = runner.invoke(app, ["calibrate", "--out", str(tmp_path / "cal"), *args])
    assert res.exit_code == 1 and message in res.output and "internal failure" not in res.output, res.output
    assert not (tmp_path / "cal").exists()


def test_calibrate_out_that_is_a_file(tmp_path):
    afile = tmp_path / "afile.txt"
    afile.write_text("x")
    res = runner.invoke(app, ["calibrate", "--out", str(afile)])
    assert res.exit_code == 1 and "exists and is a file, not a folder" in res.output, res.output


def test_calibrate_twice_needs_overwrite_and_writes_a_manifest(tmp_path):
    args = ["calibrate", "--builtin", "P4", "--params", "beta_fe", "--starts", "1", "--workers", "1",
            "--out", str(tmp_path / "cal"), "--no-plot"]
    assert runner.invoke(app, args).exit_code == 0
    manifest = json.loads((tmp_path / "cal" / MANIFEST_NAME).read_text())
    assert manifest["status"] == "complete" and "calibration.json" in manifest["files"]
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "--overwrite" in again.output
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert runner.invoke(app, [*args, "--resume"]).exit_code == 0  # --resume continues the folder instead


def test_ctrl_c_during_calibrate_says_how_to_continue(tmp_path, monkeypatch):
    """It ended in a worker-process traceback and no word about --resume."""
    import metalair.calibration as calibration_pkg

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(calibration_pkg, "calibrate", interrupted)
    res = CliRunner().invoke(app, ["calibrate", "--builtin", "P4", "--params", "beta_fe", "--out", str(tmp_path / "c")])
    assert res.exit_code == 130
    assert "calibration interrupted (Ctrl-C)" in res.output and "run the same command with --resume" in res.output
    assert "Traceback" not in res.output


def test_parallel_workers_leave_ctrl_c_to_the_parent():
    import signal
    import subprocess
    import sys

    # the child starts with Python's own Ctrl-C handler, even when this run inherited SIGINT ignored (nohup, `&`)
    code = ("import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from metalair.calibration.runs import _ignore_interrupt; _ignore_interrupt(); "
            "print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)")
    before = signal.getsignal(signal.SIGINT)
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "True"
    assert signal.getsignal(signal.SIGINT) is before  # this process is untouched


def test_a_profile_of_a_value_not_fitted_is_refused_before_the_fit(tmp_path):
    """It ran the whole fit, wrote its files, then failed with "'gamma_ads' was not fitted"."""
    res = runner.invoke(app, ["calibrate", "--params", "beta_fe", "--profile", "gamma_ads", "--builtin", "P4",
                              "--out", str(tmp_path / "c")])
    assert res.exit_code == 1
    assert "--profile gamma_ads: a profile follows a fitted value, and --params fits only beta_fe" in res.output
    assert not (tmp_path / "c").exists()


def test_calibrate_no_progress_is_quiet(tmp_path):
    """The starts and evaluations go to stderr unless --no-progress; the table goes to stdout either way."""
    import subprocess
    import sys

    args = [sys.executable, "-m", "metalair", "calibrate", "--builtin", "P4", "--params", "beta_fe", "--starts", "1",
            "--max-iterations", "2", "--workers", "1", "--no-plot"]
    loud = subprocess.run([*args, "--out", str(tmp_path / "a")], capture_output=True, text=True)
    quiet = subprocess.run([*args, "--out", str(tmp_path / "b"), "--no-progress"], capture_output=True, text=True)
    assert loud.returncode == quiet.returncode == 0, quiet.stderr
    assert "start 1" in loud.stderr
    # no progress; a warning (here: the 2-evaluation fit did not converge) is still said
    assert all(line.startswith("warning:") for line in quiet.stderr.splitlines()), quiet.stderr
    assert "beta_fe" in quiet.stdout


def test_ensemble_no_progress_is_quiet(tmp_path):
    """ensemble's progress bars go to stderr unless --no-progress."""
    import subprocess
    import sys

    args = [sys.executable, "-m", "metalair", "ensemble", "simulate", "-n", "2", "-c", "RuO2", "--scheduler",
            "serial", "--no-plot"]
    loud = subprocess.run([*args, "--out", str(tmp_path / "a")], capture_output=True, text=True)
    quiet = subprocess.run([*args, "--out", str(tmp_path / "b"), "--no-progress"], capture_output=True, text=True)
    assert loud.returncode == quiet.returncode == 0, quiet.stderr
    assert "RuO2 ensemble [" in loud.stderr and "ensemble [" not in quiet.stderr
