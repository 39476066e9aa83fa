"""run_sweep(overwrite=True): the earlier sweep is set aside and comes back if the new one fails or is interrupted."""

from __future__ import annotations

import socket
from contextlib import closing

import pytest

from metalair.errors import ParameterError
from metalair.sweeps.engine import read_sweep, run_sweep, tables_identical


def _square(candidate):
    return {"y": candidate["x"] ** 2}


def _stop_at_x3(candidate):
    if candidate["x"] == 3:
        raise KeyboardInterrupt
    return {"y": candidate["x"] ** 2}


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused_address():
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def test_a_failed_or_interrupted_overwrite_leaves_the_earlier_sweep_as_it_was(tmp_path):
    out = tmp_path / "s"
    first = run_sweep([{"x": 1}, {"x": 2}], _square, out, scheduler="serial", batch_size=1)
    before = _files(out)
    with pytest.raises(ParameterError, match="cannot reach a Dask scheduler"):
        run_sweep([{"x": 5}, {"x": 6}], _square, out, scheduler=_refused_address(), overwrite=True)
    assert _files(out) == before
    with pytest.raises(KeyboardInterrupt):
        run_sweep([{"x": 2}, {"x": 3}], _stop_at_x3, out, scheduler="serial", batch_size=1, overwrite=True)
    assert _files(out) == before
    assert tables_identical(read_sweep(out), first.table)
    new = run_sweep([{"x": 7}], _square, out, scheduler="serial", overwrite=True)
    assert read_sweep(out).column("y").to_pylist() == [49] and new.n_candidates == 1
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "part-000000.parquet", "results.parquet"]


def test_the_python_messages_name_the_arguments(tmp_path):
    out = tmp_path / "s"
    run_sweep([{"x": 1}, {"x": 2}], _square, out, scheduler="serial", batch_size=1)
    with pytest.raises(ParameterError) as err:
        run_sweep([{"x": 1}, {"x": 2}], _square, out, scheduler="serial")
    assert "use resume=True to continue it, overwrite=True to start again" in str(err.value)
    assert "--" not in str(err.value)
    with pytest.raises(ParameterError, match=r"changed since it began: the candidates \(same number, other values\)"):
        run_sweep([{"x": 1}, {"x": 3}], _square, out, scheduler="serial", resume=True)
