"""The analysis commands guard --out like the simulation ones: a second run needs --overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metalair.cli.app import app

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("args", [
    ["eis", str(DATA / "eis" / "exampleData.csv"), "--no-drt", "--no-kk"],
    ["cv", str(DATA / "cv" / "gamry_cv_data.dta")],
    ["ensemble", "simulate", "-n", "4", "-c", "NLRO", "--no-plot", "--workers", "1"],
])
def test_second_run_needs_overwrite_and_the_manifest_lists_the_files(tmp_path, args):
    out = tmp_path / "o"
    first = runner.invoke(app, [*args, "--out", str(out)])
    assert first.exit_code == 0, first.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["files"]
    again = runner.invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 1 and "pass --overwrite" in again.output  # no silent mixing of two runs
    assert runner.invoke(app, [*args, "--out", str(out), "--overwrite"]).exit_code == 0


@pytest.mark.parametrize("args", [
    ["cycle", "--cycles", "2", "--no-progress", "--out", ""],
    ["simulate", "--out", "  "],
    ["analyze", ""],
    ["cv", "x.dta", ""],  # one of several files
])
def test_an_empty_path_is_refused_not_read_as_the_current_folder(tmp_path, args):
    """Typer turns '' into '.': `--out "$DIR"` with DIR unset would write the results into the
    current folder. The assembled command (what the console script runs) refuses it by option name."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "200"}  # the message on one line of the error box
    res = subprocess.run([sys.executable, "-m", "metalair", *args], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, env=env)
    assert res.returncode == 2, res.stderr
    assert "is empty; give a file or folder name" in " ".join(res.stderr.split())
    assert list(tmp_path.iterdir()) == []  # nothing written where the command ran


@pytest.mark.parametrize(("command", "name", "what"), [
    ("cv", DATA / "cv" / "gamry_cv_data.dta", "CV file"),
    ("xas", DATA / "xas" / "fe3c_rt.xdi", "XAS file"),
])
def test_a_file_given_twice_is_refused_by_name(tmp_path, command, name, what):
    """Read twice, a file would appear twice in the peak table and the figure; any spelling of the
    same path counts."""
    other = name.parent / ".." / name.parent.name / name.name
    res = runner.invoke(app, [command, str(name), str(other), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    message = f"{name.name} is given twice (as '{name}' and '{other}'); give each {what} once"
    assert message in " ".join(res.output.split())
    assert not (tmp_path / "o").exists()
