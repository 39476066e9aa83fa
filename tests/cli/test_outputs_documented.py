"""docs/outputs.md lists every key the simulation, cv and fit commands write, and nothing they do not write."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from typer.testing import CliRunner

from metalair.cli.app import app

DOC = (Path(__file__).resolve().parents[2] / "docs" / "outputs.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = DOC.index(title)
    end = DOC.find("\n## ", start + 1)
    return DOC[start:] if end < 0 else DOC[start:end]


def _documented(section: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", section))


def test_simulate_and_cycle_outputs_are_documented(tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["simulate", "--out", str(tmp_path / "s"), "--no-plot"]).exit_code == 0
    assert runner.invoke(app, ["cycle", "--cycles", "5", "--out", str(tmp_path / "c"), "--no-plot"]).exit_code == 0

    simulate = _documented(_section("## `metalair simulate`"))
    keys = set(json.loads((tmp_path / "s" / "NLRO_summary.json").read_text()))
    assert keys <= simulate, f"undocumented summary keys: {sorted(keys - simulate)}"

    cycle = _documented(_section("## `metalair cycle`"))
    keys = set(json.loads((tmp_path / "c" / "summary.json").read_text()))
    assert keys <= cycle, f"undocumented summary keys: {sorted(keys - cycle)}"
    with open(tmp_path / "c" / "cycles.csv", newline="", encoding="utf-8") as fh:
        columns = set(next(csv.reader(fh)))
    assert columns <= cycle, f"undocumented columns: {sorted(columns - cycle)}"
    # nothing documented that the cycle command does not write (keys and columns together)
    written = keys | columns
    table_names = {name for name in cycle if name.endswith("]") or name == "Cycle" or name.islower()}
    stale = {n for n in table_names if "_" in n or n.endswith("]") or n == "Cycle"} - written - {"CycleLife"}
    assert not stale, f"documented but not written: {sorted(stale)}"


def test_screen_columns_are_documented():
    """Every result and engine column of a screen is in the docs' screen section, and no other."""
    from metalair.sweeps.engine import ENGINE_COLUMNS
    from metalair.sweeps.evaluate import CYCLING_COLUMNS, RESULT_COLUMNS

    section = _section("## `metalair screen`")
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {n for cell in first_cells for n in re.findall(r"`([^`]+)`", cell)}
    written = set(RESULT_COLUMNS) | set(CYCLING_COLUMNS) | set(ENGINE_COLUMNS)
    assert written <= documented, f"undocumented screen columns: {sorted(written - documented)}"
    assert documented <= written, f"documented but not written: {sorted(documented - written)}"


def test_cv_outputs_are_documented(tmp_path):
    """Every column of cv_peaks.csv and every key of cv_summary.json (its files and couples too) is in the docs'
    cv section, and the section's tables list nothing else."""
    import numpy as np

    up = np.linspace(-0.3, 0.3, 601)
    e = np.concatenate([up, up[::-1][1:]])
    going_up = np.arange(e.size) <= 600
    i = np.where(going_up, np.exp(-((e - 0.03) / 0.04) ** 2), -np.exp(-((e + 0.03) / 0.04) ** 2))  # mA
    path = tmp_path / "cv.csv"
    path.write_text("E vs. Ag/AgCl (3 M KCl) (V),I (mA),t (s)\n" + "".join(
        f"{a:.5f},{b:.6g},{k * 0.01:.2f}\n" for k, (a, b) in enumerate(zip(e, i))), encoding="utf-8")
    result = CliRunner().invoke(app, ["cv", str(path), "--out", str(tmp_path / "out"), "--no-plot"])
    assert result.exit_code == 0, result.output

    section = _section("## `metalair cv`")
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {n for cell in first_cells for n in re.findall(r"`([^`]+)`", cell)}
    summary = json.loads((tmp_path / "out" / "cv_summary.json").read_text())
    (entry,) = summary["files"]
    assert entry["reference_electrode"] == "Ag/AgCl (3 M KCl)" and entry["couples"]["1"]
    couple_keys = {k for pairs in entry["couples"].values() for pair in pairs for k in pair}
    with open(tmp_path / "out" / "cv_peaks.csv", newline="", encoding="utf-8") as fh:
        columns = set(next(csv.reader(fh)))
    written = set(summary) | set(entry) | couple_keys | columns
    assert written <= documented, f"undocumented cv outputs: {sorted(written - documented)}"
    assert documented <= written, f"documented but not written: {sorted(documented - written)}"


def test_fit_outputs_are_documented(tmp_path):
    """Every key of fit.json and of its half-cycle entries is in the docs' fit section, and no other."""
    runner = CliRunner()
    sim = tmp_path / "sim"
    assert runner.invoke(app, ["simulate", "-p", "Discharge at 100 mA/g for 200 mAh/g; Charge at 100 mA/g for "
                               "200 mAh/g", "--out", str(sim), "--no-plot"]).exit_code == 0
    res = runner.invoke(app, ["fit", str(sim / "NLRO.csv"), "-c", "NLRO", "--params", "i0_dec_NaO2", "--mass-mg",
                              "0.5", "--out", str(tmp_path / "f"), "--no-plot", "--no-progress"])
    assert res.exit_code == 0, res.output
    fit = json.loads((tmp_path / "f" / "fit.json").read_text())
    section = _section("## `metalair fit`")
    tables = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {n for cell in tables for n in re.findall(r"`([^`]+)`", cell)}
    written = set(fit) | set(fit["half_cycles"][0])
    assert written <= documented, f"undocumented: {sorted(written - documented)}"
    assert documented <= written, f"documented but not written: {sorted(documented - written)}"
