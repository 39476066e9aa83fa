"""Dask clusters a sweep cannot use are refused at once, with a message; a client can be passed in."""

from __future__ import annotations

import socket
import subprocess
import sys
import warnings
from contextlib import closing

import pytest

from metalair.errors import ParameterError
from metalair.sweeps import engine
from metalair.sweeps.engine import run_sweep, tables_identical

distributed = pytest.importorskip("distributed")

CANDS = [{"x": 1}, {"x": 2}, {"x": 3}]


def _square(candidate):
    return {"y": candidate["x"] ** 2}


@pytest.fixture
def short_timeouts(monkeypatch):
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT_S", 3.0)
    monkeypatch.setattr(engine, "WORKER_TIMEOUT_S", 1.0)


@pytest.mark.parametrize("greeting, reason", [
    (None, "the connection was accepted, but no Dask answer came"),
    (b"SSH-2.0-OpenSSH_9.6\r\nHTTP/1.1 400 Bad Request\r\n\r\n", "answered, but not in Dask's protocol"),
])
def test_a_server_that_is_not_dask_is_refused_within_the_deadline(tmp_path, short_timeouts, tcp_server, greeting,
                                                                   reason):
    out = tmp_path / "s"
    with tcp_server(greeting) as address:
        with pytest.raises(ParameterError) as err:
            run_sweep(CANDS, _square, out, scheduler=address)
    msg = str(err.value)
    # the engine's own deadline (3 s here) ended the wait: nothing hangs on a server that is not Dask
    assert msg.startswith(f"cannot reach a Dask scheduler at {address} within 3 s: ")
    assert reason in msg and "check the address (tcp://host:8786" in msg and "scheduler='local'" in msg
    assert not out.exists()  # nothing was written: the folder is left as it was


def test_nothing_listening_is_said_at_once(tmp_path):
    with closing(socket.socket()) as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # the plain TCP probe answers (refused), before Dask's own retries
    with pytest.raises(ParameterError, match=f"nothing listens on port {port} of 127.0.0.1"):
        run_sweep(CANDS, _square, tmp_path / "s", scheduler=f"tcp://127.0.0.1:{port}")


def test_a_worker_address_is_not_a_scheduler(tmp_path, short_timeouts):
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        worker = next(iter(cluster.scheduler.workers))
        with pytest.raises(ParameterError, match="is a Dask worker, not a scheduler"):
            run_sweep(CANDS, _square, tmp_path / "s", scheduler=worker)


def test_a_scheduler_without_workers_is_refused(tmp_path, short_timeouts):
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        with pytest.raises(ParameterError) as err:
            run_sweep(CANDS, _square, tmp_path / "s", scheduler=address)
    msg = str(err.value)
    assert f"the Dask scheduler at {address} has no worker: none joined within 1 s" in msg
    assert f"'dask worker {address}'" in msg and "metalair" in msg
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("report, expected", [
    ((False, "cannot import metalair (ModuleNotFoundError: No module named 'metalair')"),
     "cannot import metalair (ModuleNotFoundError: No module named 'metalair')"),
    ((True, "0.0.1"), "metalair 0.0.1"),
])
def test_workers_without_the_same_metalair_are_refused(tmp_path, short_timeouts, monkeypatch, report, expected):
    monkeypatch.setattr(engine, "_worker_check", eval(f"lambda: {report!r}"))  # constants only: sent by value
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        worker = next(iter(cluster.scheduler.workers))
        with pytest.raises(ParameterError) as err:
            run_sweep(CANDS, _square, tmp_path / "s", scheduler=cluster.scheduler_address)
    msg = str(err.value)
    assert f"1 of 1 Dask worker(s) of {cluster.scheduler_address} cannot run this sweep" in msg
    assert f"{worker}: {expected}" in msg
    assert f"Install metalair {engine._version()} in the workers' environment" in msg


def test_the_worker_check_runs_where_metalair_cannot_be_imported():
    cloudpickle = pytest.importorskip("cloudpickle")
    payload = cloudpickle.dumps(engine._by_value(engine._worker_check))
    assert b"metalair.sweeps" not in payload  # the code travels, not a reference to this module
    child = ("import sys, pickle; sys.modules['metalair'] = None; "  # import metalair now fails
             "print(pickle.loads(sys.stdin.buffer.read())())")
    res = subprocess.run([sys.executable, "-c", child], input=payload, capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr.decode()
    out = res.stdout.decode()
    assert out.startswith("(False, ") and "cannot import metalair (" in out


def test_a_client_can_be_passed_in_and_stays_open(tmp_path):
    serial = run_sweep(CANDS, _square, tmp_path / "serial", scheduler="serial")
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        res = run_sweep(CANDS, _square, tmp_path / "client", scheduler=client, batch_size=1)
        assert res.mode == f"scheduler {cluster.scheduler_address} (the client given)"
        assert tables_identical(serial.table, res.table)
        current = run_sweep(CANDS, _square, tmp_path / "current", scheduler="current")  # the active client
        assert tables_identical(serial.table, current.table)
        assert client.status == "running" and client.submit(sum, [1, 2]).result(timeout=30) == 3


def test_current_without_an_active_client_is_refused(tmp_path):
    try:
        distributed.default_client()
        pytest.skip("a Dask client is active in this process")
    except ValueError:
        pass
    with pytest.raises(ParameterError, match="'current' needs a Dask client active in this process"):
        run_sweep(CANDS, _square, tmp_path / "s", scheduler="current")


def test_the_local_cluster_starts_no_dashboard_on_port_8787(tmp_path):
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8787))  # as a dashboard of another cluster would
        holder.listen(1)
    except OSError:
        pass  # already taken: the same situation
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = run_sweep(CANDS, _square, tmp_path / "s", scheduler="local", n_workers=1)
    finally:
        holder.close()
    assert res.table.column("y").to_pylist() == [1, 4, 9]
    assert not [w for w in caught if "already in use" in str(w.message)]


def test_a_script_without_the_main_guard_is_told_what_to_do(tmp_path, monkeypatch):
    """Local workers import the script that started the sweep: called at a script's top level, the sweep
    runs again in every starting worker (which then fails) and the workers never start. Both sides say why."""
    import multiprocessing

    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    with pytest.raises(ParameterError, match=r"if __name__ == \"__main__\":"):
        run_sweep(CANDS, _square, tmp_path / "child", scheduler="local")
    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", False, raising=False)

    def no_start(*args, **kwargs):
        raise RuntimeError("Nanny failed to start.")

    monkeypatch.setattr(distributed, "LocalCluster", no_start)
    with pytest.raises(ParameterError, match=r"local Dask workers did not start \(Nanny failed to start.\)"
                                             r".*if __name__ == \"__main__\":"):
        run_sweep(CANDS, _square, tmp_path / "parent", scheduler="local")
    assert not (tmp_path / "parent").exists()
