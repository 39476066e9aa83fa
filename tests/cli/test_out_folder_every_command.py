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
