"""The command line, run in-process."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from metalair import __version__
from metalair.cli.app import app

runner = CliRunner()


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert __version__ in res.output


def test_catalysts_lists_sources():
    res = runner.invoke(app, ["catalysts"])
    assert res.exit_code == 0
    assert "NLRO" in res.output and "RuO2" in res.output
    assert "Sun et al." in res.output
    assert "-1.97" in res.output  # NLRO NaO2-state d-band centre


def test_simulate_default_writes_files(tmp_path):
    res = runner.invoke(app, ["simulate", "--out", str(tmp_path), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "discharge capacity" in res.output
    assert "charge plateaus" in res.output
    for name in ("NLRO.csv", "NLRO_summary.json", "NLRO.png"):
        assert (tmp_path / name).exists(), name
    summary = json.loads((tmp_path / "NLRO_summary.json").read_text())
    assert summary["status"] == "ok"
    assert 12000 < summary["discharge_capacity_mAh_g"] < 18000
    header = (tmp_path / "NLRO.csv").read_text().splitlines()[0]
    assert "Voltage [V]" in header and "Capacity [mAh/g]" in header


def test_simulate_custom_protocol_parquet(tmp_path):
    res = runner.invoke(app, ["simulate", "-c", "RuO2", "-p",
                              "Discharge at 500 mA/g for 500 mAh/g or until 1.5 V; Rest for 30 min",
                              "--out", str(tmp_path), "--format", "parquet", "--no-plot", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "RuO2.parquet").exists()


def test_simulate_bad_protocol_is_user_error(tmp_path):
    res = runner.invoke(app, ["simulate", "-p", "Dischrage at 100 mA/g until 1.5 V", "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "Discharge" in res.output  # suggestion / accepted forms


def test_simulate_unknown_catalyst_suggests(tmp_path):
    res = runner.invoke(app, ["simulate", "-c", "NRLO", "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "NLRO" in res.output


def test_compare_writes_one_figure(tmp_path):
    res = runner.invoke(app, ["compare", "NLRO", "RuO2", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "compare_NLRO_RuO2.png").exists()


def test_validate_json_rows():
    res = runner.invoke(app, ["validate", "--json"])
    assert res.exit_code == 1, res.output  # rows fail (reported honestly): exit code 1
    rows = json.loads(res.stdout)  # progress goes to stderr
    keys = {"id", "catalyst", "quantity", "target", "tolerance", "value", "unit", "passed"}
    assert all(keys <= set(r) for r in rows)
    ids = {(r["id"], r["catalyst"]) for r in rows}
    for pid in ("P1", "P2", "P3", "P4", "P5", "P6", "P8", "P9", "P10"):
        assert (pid, "NLRO") in ids and (pid, "RuO2") in ids
    assert ("P7", "NLRO") in ids and ("P11", "NLRO") in ids
    assert {(r["id"], r["catalyst"]) for r in rows if not r["passed"]} == {
        ("P3", "RuO2"), ("P7", "NLRO"), ("P9", "NLRO"), ("P9", "RuO2")}


def test_protocols_lists_forms():
    res = runner.invoke(app, ["protocols"])
    assert res.exit_code == 0
    assert "Discharge at 100 mA/g until 1.5 V" in res.output


def test_cycle_writes_summary_table_and_figure(tmp_path):
    res = runner.invoke(app, ["cycle", "--catalyst", "RuO2", "--current", "500mA/g", "--capacity", "500mAh/g",
                              "--cycles", "40", "--out", str(tmp_path), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "cycle life" in res.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["cycles_run"] == 40
    assert summary["files"]["table"] == "cycles.csv"
    assert "end_of_life_reason" in summary and "cycle_life" in summary
    lines = (tmp_path / "cycles.csv").read_text().splitlines()
    assert len(lines) == 41 and lines[0].startswith("Cycle")
    assert (tmp_path / "cycling.png").exists()


def test_cycle_bad_input_is_user_error(tmp_path):
    res = runner.invoke(app, ["cycle", "--v-min", "4.9V", "--v-max", "4.8V", "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "--v-min 4.9 V must be below --v-max" in res.output
    res = runner.invoke(app, ["cycle", "--cycles", "0", "--out", str(tmp_path)])
    assert res.exit_code == 1


def test_stages_prints_order():
    res = runner.invoke(app, ["stages", "--catalyst", "NLRO"])
    assert res.exit_code == 0, res.output
    assert "NaO2 -> Na2O2 -> Na2CO3" in res.output


def test_simulate_cycling_protocol_writes_cycle_table(tmp_path):
    res = runner.invoke(app, ["simulate", "-c", "NLRO", "-p",
                              "(Discharge at 500 mA/g for 500 mAh/g or until 1.5 V; "
                              "Charge at 500 mA/g for 500 mAh/g or until 4.8 V) x 30",
                              "--out", str(tmp_path), "--no-plot", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "cycle life" in res.output
    lines = (tmp_path / "cycles.csv").read_text().splitlines()
    assert len(lines) == 31
    # memory bound: only cycles 1, 10 and 30 keep their time series
    import csv

    with open(tmp_path / "NLRO.csv") as fh:
        cycles = {int(float(r["Cycle"])) for r in csv.DictReader(fh)}
    assert cycles == {1, 10, 30}
    summary = json.loads((tmp_path / "NLRO_summary.json").read_text())
    assert summary["cycles_run"] == 30 and summary["cycle_table"] == "cycles.csv"
    assert summary["censored"] is True and summary["cycle_life"] == 30


def test_cycle_parquet_table(tmp_path):
    pq = __import__("pytest").importorskip("pyarrow.parquet")
    res = runner.invoke(app, ["cycle", "--cycles", "6", "--format", "parquet", "--out", str(tmp_path), "--no-progress"])
    assert res.exit_code == 0, res.output
    table = pq.read_table(tmp_path / "cycles.parquet")
    assert table.num_rows == 6 and "End-of-charge voltage [V]" in table.column_names
    assert json.loads((tmp_path / "summary.json").read_text())["files"]["table"] == "cycles.parquet"
    res = runner.invoke(app, ["cycle", "--format", "xlsx", "--out", str(tmp_path)])
    assert res.exit_code == 1 and "xlsx" in res.output


def test_impedance_writes_spectra_and_figures(tmp_path):
    res = runner.invoke(app, ["impedance", "--along", "100mA/g", "--capacities", "500,10000", "--points", "11",
                              "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "impedance_1.csv").exists() and (tmp_path / "impedance_2.csv").exists()
    assert (tmp_path / "impedance_nyquist.png").exists() and (tmp_path / "impedance_bode.png").exists()
    assert "charge-transfer resistance" in res.stdout


def test_cycle_ensemble_prints_median_and_band(tmp_path):
    res = runner.invoke(app, ["cycle", "--catalyst", "RuO2", "--ensemble", "4", "--out", str(tmp_path),
                              "--no-plot", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "cycle life RuO2" in res.stdout and "90 % band" in res.stdout
    assert (tmp_path / "ensemble" / "ensemble_summary.csv").exists()


def test_validate_ensemble_passes_rows_on_the_median():
    res = runner.invoke(app, ["validate", "--catalyst", "RuO2", "--ensemble", "3"])
    assert res.exit_code in (0, 1), res.output
    assert "median" in res.stdout and "[90 %:" in res.stdout


def test_console_entry_exit_codes_and_flushed_output():
    """The console entry skips the interpreter teardown: exit codes and piped output must survive it."""
    import subprocess
    import sys

    def run(*args):
        return subprocess.run([sys.executable, "-m", "metalair.cli.app", *args], capture_output=True, text=True,
                              timeout=120)

    ok = run("catalysts")
    assert ok.returncode == 0
    assert "NLRO" in ok.stdout and "RuO2" in ok.stdout  # the whole listing reached the pipe
    bad = run("validate", "--catalyst", "XYZ")
    assert bad.returncode == 1
    assert "unknown catalyst 'XYZ'" in bad.stderr
    usage = run("simulate", "--no-such-option")
    assert usage.returncode == 2  # click's usage error code is kept
    assert run("--version").stdout.strip().startswith("metalair ")
    closed = subprocess.run(f"'{sys.executable}' -m metalair.cli.app --version >&-", shell=True, timeout=120)
    assert closed.returncode == 0  # a closed stdout is not an error at exit


def test_compare_keeps_two_catalysts_of_one_name_apart(tmp_path):
    """An edited copy of NLRO (same name) replaced the built-in's result in the comparison without a word."""
    from metalair.catalysts import NLRO
    from metalair.catalysts.files import save_catalyst

    mine = save_catalyst(NLRO, tmp_path / "mine2.toml")
    proto = "Discharge at 100 mA/g for 100 mAh/g"
    res = CliRunner().invoke(app, ["compare", "NLRO", str(mine), "-p", proto, "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "--- NLRO (mine2.toml)" in res.output and res.output.count("discharge capacity") == 2
    assert (tmp_path / "c" / "compare_NLRO_NLRO-(mine2.toml).png").exists()
    twice = CliRunner().invoke(app, ["compare", "NLRO", "NLRO", "-p", proto, "--out", str(tmp_path / "d")])
    assert twice.exit_code == 1 and "a catalyst is given twice" in twice.output


def test_flags_are_shown_without_a_value_placeholder():
    """A flag takes no value: the command the console script runs shows '--overwrite' and '--help', not
    '--overwrite <bool>', while options that take a value keep theirs ('<int>')."""
    import os
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "metalair", "cycle", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"}, check=True).stdout
    cycles = next(line for line in out.splitlines() if "--cycles" in line)
    assert "--overwrite" in out and "--help" in out and "<int>" in cycles
    assert "<bool>" not in out  # the flags, --help included
    top = subprocess.run([sys.executable, "-m", "metalair", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"}, check=True).stdout
    assert "--version" in top and "<bool>" not in top


def test_validate_no_progress_is_quiet():
    """validate says which run is going unless --no-progress."""
    loud = runner.invoke(app, ["validate", "-c", "NLRO"])
    quiet = runner.invoke(app, ["validate", "-c", "NLRO", "--no-progress"])
    assert "running NLRO: reference discharge-charge" in loud.output
    assert "running" not in quiet.output and "P11" in quiet.output
