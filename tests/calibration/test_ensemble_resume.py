"""An interrupted ensemble continues from its checkpoint: no run is repeated, the result is the same."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

import metalair.calibration.ensemble as ens
from metalair.cli.app import app

runner = CliRunner()
ARGS = ["ensemble", "simulate", "-n", "4", "-c", "RuO2", "--no-plot", "--workers", "1"]
REAL = ens._evaluate_point


def _counting(monkeypatch, stop_after=None):
    calls = []

    def counted(point):
        if stop_after is not None and len(calls) >= stop_after:
            raise KeyboardInterrupt
        calls.append(1)
        return REAL(point)

    monkeypatch.setattr(ens, "_evaluate_point", counted)
    return calls


def test_an_interrupted_ensemble_resumes_without_repeating_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(ens, "CHECKPOINT_CHUNK", 2)
    whole = tmp_path / "whole"
    calls = _counting(monkeypatch)
    assert runner.invoke(app, [*ARGS, "--out", str(whole)]).exit_code == 0
    assert len(calls) == 5  # 4 samples and the nominal run

    part = tmp_path / "part"
    calls = _counting(monkeypatch, stop_after=3)  # Ctrl-C during the second chunk
    res = runner.invoke(app, [*ARGS, "--out", str(part)])
    assert res.exit_code == 130
    assert "run the same command with --resume to continue" in res.output
    saved = json.loads((part / "RuO2" / "ensemble_checkpoint.json").read_text())
    assert len(saved["values"]) == 2 and saved["n"] == 5

    calls = _counting(monkeypatch)
    res = runner.invoke(app, [*ARGS, "--out", str(part), "--resume"])
    assert res.exit_code == 0, res.output
    assert len(calls) == 3  # only the runs not in the checkpoint
    a = np.genfromtxt(whole / "RuO2" / "ensemble.csv", delimiter=",", names=True)
    b = np.genfromtxt(part / "RuO2" / "ensemble.csv", delimiter=",", names=True)
    for name in a.dtype.names:
        np.testing.assert_array_equal(a[name], b[name])

    # another design (seed) is not resumed in that folder: refused before any run (the settings are compared as
    # values); a checkpoint of another design is never taken (test_ensemble: the checkpoint's signature)
    calls = _counting(monkeypatch)
    res = runner.invoke(app, [*ARGS, "--seed", "7", "--out", str(part), "--resume"])
    assert res.exit_code == 1 and "holds the ensemble of another command" in " ".join(res.output.split())
    assert len(calls) == 0


def test_resume_and_overwrite_together_are_refused(tmp_path):
    res = runner.invoke(app, [*ARGS, "--out", str(tmp_path / "e"), "--resume", "--overwrite"])
    assert res.exit_code == 1 and "not both" in res.output
