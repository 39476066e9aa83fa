"""The sweep engine: serial, local and distributed runs agree; resume after a kill; a lost worker's batch is redone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from metalair.errors import ParameterError
from metalair.sweeps.candidates import grid
from metalair.sweeps.engine import RESULTS, run_sweep, tables_identical
from metalair.sweeps.evaluate import CyclingSettings, ScreenSettings, evaluate_candidate

SUMMARY = ScreenSettings(catalyst="RuO2", plateaus=False)


def _cands():
    # 11 candidates; the last one is out of range and must become an error row
    return grid({"descriptors.*.icohp": [-2.2, -1.8, -1.4], "catalyst.free_energy_overpotential": [0.2, 0.5, 0.9]}) \
        + [{"descriptors.*.icohp": -1.6}, {"descriptors.*.icohp": 0.5}]


def test_serial_run_rows_and_failure_row(tmp_path):
    ev = partial(evaluate_candidate, settings=SUMMARY)
    res = run_sweep(_cands(), ev, tmp_path / "s", scheduler="serial", batch_size=3)
    t = res.table
    assert t.num_rows == 11 and res.n_batches == 4 and res.n_failed == 1
    assert t.column("candidate_id").to_pylist() == list(range(11))
    row = t.slice(10).to_pylist()[0]
    assert row["status"] == "error" and "icohp = 0.5 is out of range" in row["message"]
    assert all(s == "ok" for s in t.column("status").to_pylist()[:10])
    assert t.column_names[:3] == ["candidate_id", "descriptors.*.icohp", "catalyst.free_energy_overpotential"]
    assert len(list((tmp_path / "s").glob("part-*.parquet"))) == 4
    assert tables_identical(t, pq.read_table(tmp_path / "s" / RESULTS))
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["finished"] and manifest["n_candidates"] == 11


def test_folder_guards(tmp_path):
    ev = partial(evaluate_candidate, settings=SUMMARY)
    run_sweep(_cands()[:4], ev, tmp_path / "g", scheduler="serial", batch_size=2)
    with pytest.raises(ParameterError, match="already holds a sweep"):
        run_sweep(_cands()[:4], ev, tmp_path / "g", scheduler="serial", batch_size=2)
    with pytest.raises(ParameterError, match="different sweep"):
        run_sweep(_cands()[:5], ev, tmp_path / "g", scheduler="serial", batch_size=2, resume=True)
    again = run_sweep(_cands()[:4], ev, tmp_path / "g", scheduler="serial", resume=True)  # keeps batch size 2
    assert again.batches_skipped == 2 and again.batches_run == 0
    fresh = run_sweep(_cands()[:5], ev, tmp_path / "g", scheduler="serial", batch_size=2, overwrite=True)
    assert fresh.table.num_rows == 5 and fresh.batches_skipped == 0


def test_local_cluster_equals_serial(tmp_path):
    ev = partial(evaluate_candidate, settings=SUMMARY)
    serial = run_sweep(_cands(), ev, tmp_path / "serial", scheduler="serial", batch_size=2)
    local = run_sweep(_cands(), ev, tmp_path / "local", scheduler="local", n_workers=2, batch_size=2)
    assert local.mode.startswith("local")
    assert tables_identical(serial.table, local.table)


# ---------------------------------------------------------------------------------------------
# separate processes: a run killed with SIGKILL and resumed; a real scheduler with a worker killed
# ---------------------------------------------------------------------------------------------
CYCLING = ScreenSettings(catalyst="RuO2", protocol=None, cycling=CyclingSettings(cycles=60))
KILL_CANDS = grid({"descriptors.*.icohp": [-2.2, -2.0, -1.8, -1.6, -1.4], "catalyst.free_energy_overpotential":
                   [0.3, 0.6, 0.9, 1.2]})

_CHILD = """
import sys
from functools import partial
from metalair.sweeps.candidates import grid
from metalair.sweeps.engine import run_sweep
from metalair.sweeps.evaluate import CyclingSettings, ScreenSettings, evaluate_candidate
cands = grid({"descriptors.*.icohp": [-2.2, -2.0, -1.8, -1.6, -1.4],
              "catalyst.free_energy_overpotential": [0.3, 0.6, 0.9, 1.2]})
settings = ScreenSettings(catalyst="RuO2", protocol=None, cycling=CyclingSettings(cycles=60))
run_sweep(cands, partial(evaluate_candidate, settings=settings), sys.argv[1], scheduler="serial", batch_size=2)
"""


def _wait_for(pred, timeout, what):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_table(tmp_path):
    ev = partial(evaluate_candidate, settings=CYCLING)
    reference = run_sweep(KILL_CANDS, ev, tmp_path / "ref", scheduler="serial", batch_size=2)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(list(out.glob("part-*.parquet"))) >= 3 or proc.poll() is not None, 120, "3 batches")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    parts = len(list(out.glob("part-*.parquet")))
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert 3 <= parts < 10 and not (out / RESULTS).exists()
    resumed = run_sweep(KILL_CANDS, ev, out, scheduler="serial", resume=True)
    assert resumed.batches_skipped == parts and resumed.batches_run == 10 - parts
    assert tables_identical(reference.table, resumed.table)
    assert not list(out.glob(".*.tmp"))  # no temporary files left


def _start(cmd, log):
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.slow
def test_real_scheduler_and_workers_with_a_worker_killed(tmp_path):
    distributed = pytest.importorskip("distributed")
    dask_exe = Path(sys.executable).with_name("dask")
    if not dask_exe.exists():
        pytest.skip("the 'dask' command is not installed next to this Python")
    ev = partial(evaluate_candidate, settings=CYCLING)
    reference = run_sweep(KILL_CANDS, ev, tmp_path / "ref", scheduler="serial", batch_size=2)
    sched_file = tmp_path / "scheduler.json"
    log = open(tmp_path / "dask.log", "w")
    procs = []
    try:
        procs.append(_start([str(dask_exe), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                             "--scheduler-file", str(sched_file)], log))
        _wait_for(lambda: sched_file.exists() and sched_file.stat().st_size > 0, 60, "the scheduler file")
        address = json.loads(sched_file.read_text())["address"]
        for _ in range(2):
            procs.append(_start([str(dask_exe), "worker", address, "--nthreads", "1", "--nworkers", "1",
                                 "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"], log))
        watcher = distributed.Client(address, timeout="30s")
        watcher.wait_for_workers(2, timeout=60)
        pids = watcher.run(os.getpid)  # worker address -> pid
        result = {}
        out = tmp_path / "dist"
        th = threading.Thread(target=lambda: result.setdefault(
            "res", run_sweep(KILL_CANDS, ev, out, scheduler=address, batch_size=2)), daemon=True)
        th.start()
        victim = {}

        def busy_worker():
            if not list(out.glob("part-*.parquet")):
                return False
            for addr, keys in watcher.processing().items():
                if keys and addr in pids:
                    victim.update(addr=addr, pid=pids[addr], keys=list(keys))
                    return True
            return False

        _wait_for(busy_worker, 120, "a finished batch and a busy worker")
        os.kill(victim["pid"], signal.SIGKILL)
        th.join(timeout=240)
        assert not th.is_alive(), "the sweep did not finish after the worker was killed"
        res = result["res"]
        assert tables_identical(reference.table, res.table)
        assert res.table.column("candidate_id").to_pylist() == list(range(len(KILL_CANDS)))
        killed_batches = [int(str(k).rsplit("-", 1)[1]) for k in victim["keys"]]
        for b in killed_batches:  # the batch the lost worker was running was redone elsewhere
            assert (out / f"part-{b:06d}.parquet").exists()
        assert len(watcher.scheduler_info()["workers"]) == 1
        watcher.close()
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=30)
        log.close()


def _interrupt_on_third(candidate, calls=[0]):  # noqa: B006 - a call counter shared by the serial calls
    calls[0] += 1
    if calls[0] == 3:
        raise KeyboardInterrupt
    return {"x2": 2 * candidate["x"]}


def test_ctrl_c_stops_the_sweep_and_the_manifest_says_so(tmp_path):
    out = tmp_path / "s"
    cands = [{"x": float(i)} for i in range(6)]
    with pytest.raises(KeyboardInterrupt):
        run_sweep(cands, _interrupt_on_third, out, scheduler="serial", batch_size=2)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "partial" and "Ctrl-C" in manifest["error"] and manifest["batches_finished"] == 1
    assert not (out / RESULTS).exists()
    res = run_sweep(cands, _interrupt_on_third, out, scheduler="serial", batch_size=2, resume=True)
    assert res.batches_skipped == 1 and res.table.column("x2").to_pylist() == [2.0 * i for i in range(6)]
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def _double(candidate):
    return {"x2": 2 * candidate["x"]}


def test_an_overwrite_killed_mid_sweep_gets_the_earlier_sweep_back_at_the_next_run(tmp_path):
    """SIGKILL during overwrite=True leaves the earlier, complete sweep set aside in a hidden folder and the
    killed sweep's batches in its place. The next run puts the earlier sweep back (as every command's
    --overwrite does), and then refuses as for any folder holding a sweep."""
    from metalair.sweeps.engine import _FORMAT, _set_aside, _words

    out = tmp_path / "s"
    cands = [{"x": float(i)} for i in range(4)]
    run_sweep(cands, _double, out, scheduler="serial", batch_size=2)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    # the killed overwrite: the earlier sweep set aside, then one batch and a running manifest of the new sweep
    _set_aside(out, json.loads((out / "manifest.json").read_text()), _words(False))
    assert list(out.glob(".metalair-replaced-*")) and not (out / RESULTS).exists()
    (out / "part-000000.parquet").write_bytes(b"a batch of the killed sweep")
    (out / "manifest.json").write_text(json.dumps({"format": _FORMAT, "status": "running", "n_batches": 3,
                                                   "files": ["part-000000.parquet", "part-000001.parquet",
                                                             "part-000002.parquet", RESULTS]}))
    with pytest.raises(ParameterError, match=r"already holds a sweep \(2 of 2 batches finished\)"):
        run_sweep(cands, _double, out, scheduler="serial", batch_size=2)
    assert not list(out.glob(".metalair-replaced-*"))
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # back byte for byte


def test_a_screen_says_complete_only_once_its_table_and_figure_are_written(tmp_path, monkeypatch):
    """The engine assembles the table, then run_screen writes results.csv and the figure: a folder killed
    in between must not claim to be complete."""
    import metalair._files as files_module
    from metalair.sweeps.screen import run_screen

    seen = {}

    original = files_module.write_csv_rows

    def spy(path, *args, **kwargs):
        seen["status while writing the CSV"] = json.loads((Path(path).parent / "manifest.json").read_text())["status"]
        return original(path, *args, **kwargs)

    monkeypatch.setattr(files_module, "write_csv_rows", spy)  # run_screen imports it where it writes
    res = run_screen(_cands()[:3], SUMMARY, tmp_path / "scr", scheduler="serial")
    assert seen["status while writing the CSV"] == "running"
    manifest = json.loads((tmp_path / "scr" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["finished"] and "results.csv" in manifest["files"]
    assert res.sweep.n_candidates == 3


@pytest.mark.slow
def test_ctrl_c_at_the_terminal_prints_one_line_not_the_workers_tracebacks(tmp_path):
    """A Ctrl-C at a terminal reaches the whole process group. An audit saw 60-80 lines of tracebacks from the
    local Dask workers' own interruption before the sweep's one-line message; the workers now start with SIGINT
    ignored, and this process closes them."""
    import subprocess
    import sys

    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "metalair", "sweep", "--sample", "catalyst.free_energy_overpotential=0.2:0.6",
           "--sample", "descriptors.*.icohp=-3:-1", "-n", "200", "--batch-size", "7", "--cycle", "--no-progress",
           "--workers", "2", "-o", str(out)]
    # started as from a terminal: with Ctrl-C's default disposition, even when this run inherited SIGINT ignored
    # (a test run under nohup or `&`), which Python would keep and the sweep would never see the Ctrl-C
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_for(lambda: len(list(out.glob("part-*.parquet"))) >= 2, 120, "two finished batches")
        os.killpg(p.pid, signal.SIGINT)  # what the terminal does: every process of the group
        _stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=30)
    assert p.returncode == 130
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: sweep interrupted (Ctrl-C)"), stderr[-3000:]


def test_a_sweep_killed_with_sigkill_still_records_its_command(tmp_path):
    """The command, start and Python were merged into the manifest only when the command ended: an audit's sweep
    killed with -9 and resumed had none of them."""
    import subprocess
    import sys

    out = tmp_path / "s"
    cmd = [sys.executable, "-m", "metalair", "sweep", "--sample", "catalyst.free_energy_overpotential=0.2:0.6",
           "-n", "60", "--batch-size", "3", "--cycle", "--cycles", "50", "--no-progress", "--scheduler", "serial",
           "-o", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: any(out.glob("part-*.parquet")), 120, "a finished batch")
        p.kill()
        p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "running"  # killed: nothing could mark it
    assert manifest["command"].startswith("metalair sweep --sample") and manifest["started"] and manifest["python"]
