"""CLI: bad input to screen, sweep and ensemble is one 'error: ...' line (exit 1) before anything runs."""

from __future__ import annotations

import json
import lzma
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metalair.cli.app import app

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"
SCREEN = ["screen", "--scheduler", "serial", "--summary-only", "--fast", "--no-progress"]
GRID = ["--grid", "descriptors.NaO2.icohp=-1.5,-1.2"]
ENSEMBLE = ["-n", "2", "-c", "NLRO", "--no-plot", "--workers", "1"]


def _user_error(res) -> str:
    """The one error line of a refused command (no traceback, exit 1)."""
    assert isinstance(res.exception, SystemExit), res.exception  # not an uncaught exception
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    errors = [line for line in res.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, res.output
    return errors[0]


# ----------------------------------------------------------------------------
# screen / sweep
# ----------------------------------------------------------------------------
def test_screen_table_with_text_in_a_number_column_fails_before_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("tbl_bad.csv").write_text("descriptors.NaO2.icohp,catalyst\n-1.5,NLRO\nabc,NLRO\n")
    res = runner.invoke(app, [*SCREEN, "--table", "tbl_bad.csv", "-o", "sc52"])
    assert _user_error(res).startswith("error: tbl_bad.csv row 3, column descriptors.NaO2.icohp: 'abc' is not a "
                                       "number")
    assert not Path("sc52").exists()


def test_screen_table_binary_or_corrupt_file(tmp_path):
    res_file = tmp_path / "arbin_example.res"
    res_file.write_bytes(lzma.decompress((DATA / "arbin" / "arbin_example.res.xz").read_bytes()))
    fake = tmp_path / "nlro.parquet"
    fake.write_text('name = "NLRO"\n[descriptors.NaO2]\nicohp = -1.5\n')
    for table, what in ((res_file, "is not a text CSV file"), (fake, "is not a readable Parquet file")):
        line = _user_error(runner.invoke(app, [*SCREEN, "--table", str(table), "-o", str(tmp_path / "s")]))
        assert what in line and table.name in line
        assert "--table takes a CSV file" in line and "Parquet file (.parquet, .pq)" in line
    assert not (tmp_path / "s").exists()


def test_screen_unknown_scheduler_lists_the_accepted_forms(tmp_path):
    line = _user_error(runner.invoke(app, ["screen", *GRID, "--scheduler", "foo", "-o", str(tmp_path / "s")]))
    assert line.startswith("error: --scheduler 'foo' is not understood; use 'local'")
    assert "'serial'" in line and "tcp://host:port" in line
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("command", ["screen", "sweep"])
def test_out_that_is_a_file_is_refused(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    Path("afile.txt").write_text("keep me")
    args = [command, "--scheduler", "serial", "--no-progress", *GRID, "-o", "afile.txt"]
    assert _user_error(runner.invoke(app, args)).startswith("error: --out afile.txt: exists and is a file, not a "
                                                            "folder")
    assert Path("afile.txt").read_text() == "keep me"


@pytest.mark.parametrize("workers", ["0", "-2"])
@pytest.mark.parametrize("command", ["screen", "sweep"])
def test_workers_below_one_is_refused(tmp_path, command, workers):
    res = runner.invoke(app, [command, "--scheduler", "serial", *GRID, "--workers", workers,
                              "-o", str(tmp_path / "s")])
    assert _user_error(res) == f"error: --workers must be >= 1 (the number of worker processes), got {workers}"
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("screen_args, reference_args", [
    (["-p", "Discharge at 100 mA/g until 1.5 V; Charge at 100 until 4.8 V"],
     ["simulate", "-p", "Discharge at 100 mA/g until 1.5 V; Charge at 100 until 4.8 V"]),
    (["-e", "ambiant"], ["simulate", "-e", "ambiant"]),
    (["--cycle", "--v-min", "5V", "--v-max", "1V"], ["cycle", "--v-min", "5V", "--v-max", "1V", "-n", "2"]),
])
def test_screen_checks_shared_inputs_once_with_the_simulate_message(tmp_path, screen_args, reference_args):
    res = runner.invoke(app, [*SCREEN, *GRID, *screen_args, "-o", str(tmp_path / "s")])
    assert isinstance(res.exception, SystemExit) and res.exit_code == 1, res.output
    assert not (tmp_path / "s").exists()  # no candidate ran
    ref = runner.invoke(app, [*reference_args, "--no-plot", "--no-progress", "-o", str(tmp_path / "ref")])
    assert ref.exit_code == 1
    assert res.output.startswith("error: ") and res.output == ref.output


def test_screen_names_its_own_cycling_options(tmp_path):
    res = runner.invoke(app, [*SCREEN, *GRID, "--cycle", "--cycle-current", "500", "-o", str(tmp_path / "s")])
    assert _user_error(res) == "error: --cycle-current 500: give its unit, e.g. --cycle-current 500mA/g"
    assert not (tmp_path / "s").exists()


def test_axis_given_twice_is_refused(tmp_path):
    res = runner.invoke(app, [*SCREEN, "--grid", "descriptors.NaO2.icohp=-1.5,-1.0", "--grid",
                              "descriptors.NaO2.icohp=-1.2", "-o", str(tmp_path / "s")])
    assert _user_error(res).startswith("error: axis descriptors.NaO2.icohp given twice")
    table = tmp_path / "dup.csv"
    table.write_text("descriptors.NaO2.icohp,descriptors.NaO2.icohp\n-1.5,-1.2\n")
    res = runner.invoke(app, [*SCREEN, "--table", str(table), "-o", str(tmp_path / "s")])
    assert "axis descriptors.NaO2.icohp given twice (columns 1 and 2)" in _user_error(res)
    res = runner.invoke(app, ["sweep", "--scheduler", "serial", "--param", "loading=0.004,0.005", "--grid",
                              "parameters.loading=0.006", "-o", str(tmp_path / "s")])
    assert _user_error(res).startswith("error: axis parameters.loading given twice")
    res = runner.invoke(app, [*SCREEN, "--sample", "descriptors.NaO2.icohp=-2:-1", "--sample",
                              "descriptors.NaO2.icohp=-1.5:-1", "-o", str(tmp_path / "s")])
    assert _user_error(res).startswith("error: axis descriptors.NaO2.icohp given twice")
    assert not (tmp_path / "s").exists()


# ----------------------------------------------------------------------------
# ensemble
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("preset", ["simulate", "cycle"])
def test_ensemble_out_that_is_a_file_is_refused_before_running(tmp_path, monkeypatch, preset):
    monkeypatch.chdir(tmp_path)
    Path("afile.txt").write_text("keep me")
    res = runner.invoke(app, ["ensemble", preset, *ENSEMBLE, "-o", "afile.txt"])
    assert _user_error(res).startswith("error: --out afile.txt: exists and is a file, not a folder")
    assert "runs)" not in res.output  # no run was started


def test_ensemble_calibration_must_be_a_calibration_json(tmp_path):
    toml = tmp_path / "nlro.toml"
    toml.write_text('name = "NLRO"\n')
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"table": [{"parameter": "no_such_parameter", "value": 1.0}]}))
    for path, what in ((toml, "not JSON"), (empty, "it has no 'table' of calibrated parameters"),
                       (unknown, "no_such_parameter")):
        res = runner.invoke(app, ["ensemble", "simulate", *ENSEMBLE, "--calibration", str(path),
                                  "-o", str(tmp_path / "e")])
        line = _user_error(res)
        assert line.startswith(f"error: --calibration {str(path)!r}") and what in line, line
        if path != unknown:
            assert "is not a calibration.json written by 'metalair calibrate'" in line
        assert not (tmp_path / "e").exists()


@pytest.mark.parametrize("args, message", [
    (["--halfwidth", "50"], "error: --halfwidth 50 eV: the half-width of the uncertainty on each DFT descriptor "
                            "must be > 0 and at most 1 eV"),
    (["--halfwidth", "0"], "error: --halfwidth 0 eV:"),
    (["--sobol", "-1"], "error: --sobol -1: give at least 4 samples (or 0: no Sobol' indices)"),
    (["--workers", "0"], "error: --workers must be >= 1"),
    (["-n", "1"], "error: --ensemble 1: give at least 2 samples"),
    (["-c", "NLRO,NRLO"], "error: unknown catalyst 'NRLO'"),
])
def test_ensemble_options_are_checked_before_running(tmp_path, args, message):
    res = runner.invoke(app, ["ensemble", "simulate", *ENSEMBLE, *args, "-o", str(tmp_path / "e")])
    assert _user_error(res).startswith(message)
    assert "runs)" not in res.output and not (tmp_path / "e").exists()


def test_ensemble_progress_is_a_bar_redrawn_in_place_on_a_terminal(capsys, monkeypatch):
    from metalair.cli.calibration import _bar

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("metalair._progress.time.monotonic", iter(range(0, 100, 1)).__next__)
    report = _bar("NLRO ensemble")
    for done in range(1, 6):
        report(done, 5)
    err = capsys.readouterr().err
    assert err.startswith("\rNLRO ensemble [") and err.endswith("] 100% (5/5 runs)\n")
    assert err.count("\r") == 5 and err.count("\n") == 1
    assert "\rNLRO ensemble [########............]  40% (2/5 runs)" in err


def test_progress_in_a_log_is_a_few_whole_lines(capsys):
    """Not a terminal (CI, a log file, a pipe): whole lines, one per tenth of the work, no carriage returns."""
    from metalair.cli.calibration import _bar

    report = _bar("NLRO ensemble")
    for done in range(1, 66):
        report(done, 65)
    report(65, 65)  # the end is drawn once
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "\r" not in err and len(lines) == 11
    assert lines[0] == "NLRO ensemble [....................]   1% (1/65 runs)"
    assert lines[-1] == "NLRO ensemble [####################] 100% (65/65 runs)"


@pytest.mark.parametrize("args, ignored", [
    (["cycle", "-c", "RuO2", "--current", "100mA/g", "--cycles", "20"], "--current, --cycles would be ignored"),
    (["simulate", "-c", "RuO2", "-p", "Discharge at 500 mA/g until 1.5 V"], "--protocol would be ignored"),
    (["simulate", "-e", "dry air"], "--environment would be ignored"),
])
def test_ensemble_refuses_the_options_it_would_ignore(tmp_path, args, ignored):
    """--ensemble runs the study's fixed protocol; a protocol option given with it is refused before any run."""
    res = runner.invoke(app, [*args, "--ensemble", "3", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert ignored in res.output and "drop" in res.output and "or run without --ensemble" in res.output
    assert not (tmp_path / "o").exists()


def test_ensemble_resume_refuses_the_folder_of_another_command(tmp_path):
    """--resume with other options replaced a finished 64-sample ensemble with a new 32-sample one.

    Run as a process: the check compares the command line with the one the folder's manifest records."""
    import subprocess

    from metalair.workflows.outputs import begin_run

    out = tmp_path / "en"
    args = ["ensemble", "simulate", "-n", "2", "-c", "RuO2", "--out", str(out), "--no-plot"]
    earlier = " ".join(["metalair", *args])
    with begin_run(out, earlier):
        pass
    (out / "keep.txt").write_text("earlier", encoding="utf-8")
    other = [a if a != "2" else "3" for a in args]
    res = subprocess.run([sys.executable, "-m", "metalair", *other, "--resume"], capture_output=True, text=True)
    assert res.returncode == 1
    assert f"holds the ensemble of another command ('{earlier}'); --resume continues only the same command" \
        in " ".join(res.stderr.split())
    same = subprocess.run([sys.executable, "-m", "metalair", *args, "--resume"], capture_output=True, text=True)
    assert same.returncode == 0, same.stderr
    # the same ensemble asked for differently: options that change only how it runs, catalysts spelt otherwise,
    # the folder by a relative path
    relative = ["ensemble", "simulate", "--ensemble=2", "-c", "RuO2", "--out", "en", "--plot", "--workers", "1",
                "--no-progress", "--resume"]
    again = subprocess.run([sys.executable, "-m", "metalair", *relative], capture_output=True, text=True,
                           cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def test_ensemble_resume_compares_the_settings_as_values(tmp_path):
    """An audit's resume was refused for the same ensemble spelt otherwise: --seed 0 where the first run left the
    default, --halfwidth 0.10 for 0.1. The settings are recorded as values in --out and compared as values."""
    import json
    import subprocess

    out = tmp_path / "en"
    first = subprocess.run([sys.executable, "-m", "metalair", "ensemble", "simulate", "-n", "2", "-c", "RuO2",
                            "--out", str(out), "--no-plot", "--no-progress", "--workers", "1"],
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    recorded = json.loads((out / "ensemble_settings.json").read_text())
    assert recorded["seed"] == 0 and recorded["halfwidth_eV"] == 0.1 and recorded["catalysts"] == ["RuO2"]
    same = subprocess.run([sys.executable, "-m", "metalair", "ensemble", "simulate", "--ensemble", "2", "--catalyst",
                           "RuO2", "--seed", "0", "--halfwidth", "0.10", "--out", str(out), "--no-plot",
                           "--no-progress", "--workers", "1", "--resume"], capture_output=True, text=True)
    assert same.returncode == 0, same.stderr
    other = subprocess.run([sys.executable, "-m", "metalair", "ensemble", "simulate", "-n", "2", "-c", "RuO2",
                            "--seed", "1", "--out", str(out), "--no-plot", "--resume"], capture_output=True, text=True)
    assert other.returncode == 1 and "holds the ensemble of another command" in other.stderr
