"""sweep/screen and --out: a failed --overwrite loses nothing, Ctrl-C says what to do, messages name the options."""

from __future__ import annotations

import json
import socket
from contextlib import closing

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from metalair.cli.app import app
from metalair.sweeps import engine

runner = CliRunner()
PROTOCOL = "Discharge at {current} mA/g for 200 mAh/g or until 1.5 V"


def _sweep(out, *extra, currents="100,200"):
    return runner.invoke(app, ["sweep", "-c", "NLRO", "-p", PROTOCOL, "--var", f"current={currents}", "--out",
                               str(out), "--no-progress", "--batch-size", "1", *extra])


def _files(folder):
    """Every file below ``folder`` (hidden ones too) and its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused_address():
    with closing(socket.socket()) as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def test_failed_overwrite_gives_the_earlier_sweep_back_and_a_successful_one_replaces_it(tmp_path):
    out = tmp_path / "sw"
    first = _sweep(out, "--scheduler", "serial")
    assert first.exit_code == 0, first.output
    before = _files(out)
    assert {"part-000000.parquet", "part-000001.parquet", "results.parquet", "results.csv", "response.png",
            "manifest.json"} <= set(before)
    failed = _sweep(out, "--scheduler", _refused_address(), "--overwrite", currents="100,200,300")
    assert failed.exit_code == 1
    assert "cannot reach a Dask scheduler" in failed.output and "--overwrite undone" in failed.output
    assert _files(out) == before  # every file back, byte for byte, nothing left over
    resumed = _sweep(out, "--scheduler", "serial", "--resume")  # the earlier sweep can still be resumed
    assert resumed.exit_code == 0 and "(2 resumed)" in resumed.output
    replaced = _sweep(out, "--scheduler", "serial", "--overwrite", currents="300,400,500")
    assert replaced.exit_code == 0, replaced.output
    assert pq.read_table(out / "results.parquet").column("protocol.current").to_pylist() == [300, 400, 500]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the earlier sweep is gone, set-aside too
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["command"].startswith("metalair ")
    assert manifest["n_candidates"] == 3 and "fingerprint" in manifest
    again = _sweep(out, "--scheduler", "serial", "--resume", currents="300,400,500")  # the manifest still resumes
    assert again.exit_code == 0 and "(3 resumed)" in again.output


def test_overwrite_of_a_folder_of_an_older_metalair_sets_its_manifest_aside_too(tmp_path):
    out = tmp_path / "sw"
    assert _sweep(out, "--scheduler", "serial").exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("files", "command", "started", "python", "metalair_version"):  # as metalair 0.2.0 wrote it
        manifest.pop(key, None)
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = _files(out)
    failed = _sweep(out, "--scheduler", _refused_address(), "--overwrite")
    assert failed.exit_code == 1 and "--overwrite undone" in failed.output
    after = _files(out)
    assert set(after) == set(before) and all(after[k] == before[k] for k in before if k != "manifest.json")
    assert json.loads(after["manifest.json"])["fingerprint"] == manifest["fingerprint"]


def _interrupt_second_batch(monkeypatch):
    real = engine.evaluate_batch
    calls = []

    def evaluate_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "evaluate_batch", evaluate_batch)


def test_ctrl_c_says_so_and_how_to_finish(tmp_path, monkeypatch):
    out = tmp_path / "sw"
    with monkeypatch.context() as m:
        _interrupt_second_batch(m)
        res = _sweep(out, "--scheduler", "serial")
    assert res.exit_code == 130
    assert ("sweep interrupted (Ctrl-C), 1 of 2 batches finished; run the same command with --resume to finish it; "
            "what was written is in --out, marked partial in its manifest.json") in res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "partial" and "fingerprint" in manifest
    resumed = _sweep(out, "--scheduler", "serial", "--resume")
    assert resumed.exit_code == 0 and "(1 resumed)" in resumed.output


def test_ctrl_c_during_overwrite_gives_the_earlier_sweep_back(tmp_path, monkeypatch):
    out = tmp_path / "sw"
    assert _sweep(out, "--scheduler", "serial").exit_code == 0
    before = _files(out)
    with monkeypatch.context() as m:
        _interrupt_second_batch(m)
        res = _sweep(out, "--scheduler", "serial", "--overwrite", currents="300,400")
    assert res.exit_code == 130 and "sweep interrupted (Ctrl-C), 1 of 2 batches finished" in res.output
    assert "--overwrite undone: the earlier run's files in --out are back as they were" in res.output
    assert "--resume" not in res.output
    assert _files(out) == before


@pytest.mark.parametrize("command", ["sweep", "screen"])
def test_a_folder_with_a_sweep_is_refused_naming_the_options(tmp_path, command):
    out = tmp_path / "s"
    args = ({"sweep": ["sweep", "-p", PROTOCOL, "--var", "current=100,200"],
             "screen": ["screen", "--grid", "descriptors.*.icohp=-2.0,-1.6", "--summary-only", "-p",
                        "Discharge at 200 mA/g for 100 mAh/g or until 1.5 V"]}[command]
            + ["--scheduler", "serial", "--out", str(out), "--no-progress"])
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert "already holds a sweep (2 of 2 batches finished); use --resume to continue it, --overwrite to start " \
           "again, or choose another --out" in again.output
    assert "resume=True" not in again.output and "overwrite=True" not in again.output
    other = runner.invoke(app, [*args[:-5], "--batch-size", "2", "--scheduler", "serial", "--out", str(out),
                                "--no-progress", "--resume"])
    assert other.exit_code == 1 and "the batch size (1 -> 2)" in other.output and "--overwrite" in other.output
    assert "overwrite=True" not in other.output


def test_a_failed_connection_leaves_no_folder_behind(tmp_path):
    out = tmp_path / "sw"
    res = _sweep(out, "--scheduler", _refused_address())
    assert res.exit_code == 1 and "cannot reach a Dask scheduler" in res.output
    assert not out.exists()
    assert _sweep(out, "--scheduler", "serial").exit_code == 0  # no --resume or --overwrite needed


def test_scheduler_current_is_for_python_only(tmp_path):
    res = _sweep(tmp_path / "sw", "--scheduler", "current")
    assert res.exit_code == 1 and "--scheduler current is for Python" in res.output


def test_a_killed_overwrite_gets_the_earlier_sweep_back_at_the_next_command(tmp_path):
    """`sweep --overwrite` killed (SIGKILL: nothing can undo it then) leaves the earlier sweep in a hidden
    folder. The next command puts it back, byte for byte, before anything else; a plain rerun is then refused
    as for any finished sweep, with its true batch count."""
    out = tmp_path / "sw"
    assert _sweep(out, "--scheduler", "serial").exit_code == 0
    before = _files(out)
    earlier = json.loads((out / "manifest.json").read_text())
    engine._set_aside(out, earlier, engine._words(True))  # what the killed --overwrite had done
    stale = next(out.glob(".metalair-replaced-*"))
    stale.rename(out / ".metalair-replaced-999999999-0123456789ab")  # its process is gone
    (out / "part-000000.parquet").write_bytes(b"half a sweep")
    (out / "manifest.json").write_text(json.dumps({**earlier, "status": "running", "batches_finished": 0}))
    res = _sweep(out, "--scheduler", "serial")
    assert res.exit_code == 1
    assert "already holds a sweep (2 of 2 batches finished)" in " ".join(res.output.split())
    assert _files(out) == before
