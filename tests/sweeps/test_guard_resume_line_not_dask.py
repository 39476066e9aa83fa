"""A script without the __main__ guard, a fully resumed sweep's summary, a port that answers but is not Dask."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from metalair.cli.app import app
from metalair.errors import ParameterError
from metalair.sweeps import engine
from metalair.sweeps.engine import run_sweep

distributed = pytest.importorskip("distributed")

PROTOCOL = "Discharge at {current} mA/g until 1.5 V; Charge at {current} mA/g until 4.8 V"


def test_a_starting_worker_running_a_screen_script_is_stopped_before_the_folder_lock(tmp_path, monkeypatch):
    # each starting worker re-runs a script without the guard: its run_screen locked the folder the parent
    # holds first, and said "another metalair run is writing to this folder now" instead of the advice
    import fcntl
    import multiprocessing

    from metalair.sweeps.evaluate import ScreenSettings
    from metalair.sweeps.screen import run_screen

    out = tmp_path / "s"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)  # the parent's lock, as the sweep that started the worker holds it
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
        with pytest.raises(ParameterError) as err:
            run_screen([{"protocol.current": 100}, {"protocol.current": 200}],
                       ScreenSettings(protocol=PROTOCOL, plateaus=False, fast=True), out, scheduler="local")
    finally:
        os.close(fd)
    msg = str(err.value)
    assert 'if __name__ == "__main__":' in msg and "another metalair run" not in msg


def _sweep_args(out) -> list[str]:
    return ["sweep", "--var", "current=100,200", "-p", PROTOCOL, "--scheduler", "serial", "--summary-only",
            "--fast", "--no-progress", "--out", str(out)]


def test_a_sweep_with_every_batch_resumed_says_nothing_was_left_to_run(tmp_path):
    out = tmp_path / "s"
    first = CliRunner().invoke(app, _sweep_args(out))
    assert first.exit_code == 0, first.output
    assert "2 candidates in 2 batches (0 resumed) on serial: " in first.output and " candidates/s; " in first.output
    again = CliRunner().invoke(app, [*_sweep_args(out), "--resume"])
    assert again.exit_code == 0, again.output
    line = "2 candidates in 2 batches (2 resumed): nothing left to run (all 2 batches resumed); 0 not ok"
    assert line in again.output
    assert "candidates/s" not in again.output  # was "0.0 candidates/s"
    (out / "part-000001.parquet").unlink()  # one batch to run again: the rate of that one is given
    part = CliRunner().invoke(app, [*_sweep_args(out), "--resume"])
    assert part.exit_code == 0, part.output
    assert "2 candidates in 2 batches (1 resumed) on serial: " in part.output and "candidates/s" in part.output


@pytest.mark.parametrize("banner, reply, sent", [
    (None, b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n", "HTTP/1.1 400 Bad Request"),
    (b"SSH-2.0-OpenSSH_9.6\r\n", b"Invalid SSH identification string.\r\n", "SSH-2.0-OpenSSH_9.6"),
])
def test_a_port_that_answers_but_is_not_a_dask_scheduler_is_named_as_such(tmp_path, monkeypatch, tcp_server, banner,
                                                                          reply, sent):
    # the audit's --scheduler 10.255.255.1:8786 (an HTTP server): "MemoryError: Unable to allocate 3.07 EiB ..."
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT_S", 5.0)
    out = tmp_path / "s"
    with tcp_server(banner, reply) as address:
        with pytest.raises(ParameterError) as err:
            run_sweep([{"x": 1}], dict, out, scheduler=address)
    msg = str(err.value)
    assert address in msg and "answered, but not in Dask's protocol, so it is not a Dask scheduler" in msg
    assert "a scheduler answers a connection with Dask's handshake" in msg and f"sent {sent!r}" in msg
    for internal in ("MemoryError", "allocate", "EiB", "uint8", "shape"):
        assert internal not in msg
    assert not out.exists()  # nothing written


def test_the_first_line_of_a_server_that_sends_no_text_is_not_shown(tcp_server):
    with tcp_server(None, bytes(range(256))) as address:
        assert engine._first_line(address, 2.0) is None
    with tcp_server(b"220 mail.example ESMTP\r\n", b"") as address:
        assert engine._first_line(address, 2.0) == "220 mail.example ESMTP"
