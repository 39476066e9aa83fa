"""Ensembles run on a Dask cluster give what they give on local processes."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.calibration.ensemble import ensemble, output_targets
from metalair.cli.app import app
from metalair.sweeps.engine import dask_mapper

distributed = pytest.importorskip("distributed")


def test_an_ensemble_on_a_dask_cluster_equals_the_local_one():
    targets = output_targets("simulate", "RuO2")
    local = ensemble(targets, n=3, seed=1, workers=1)
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client, dask_mapper(client) as mapper:
        seen = []
        on_dask = ensemble(targets, n=3, seed=1, mapper=mapper, progress=lambda done, total: seen.append(done))
        assert client.status == "running"  # a client given is left open
    np.testing.assert_array_equal(on_dask.samples, local.samples)
    for name in local.outputs:
        np.testing.assert_array_equal(on_dask.samples_out[name], local.samples_out[name])
        assert on_dask.nominal[name] == local.nominal[name]
    assert sorted(seen) == [1, 2, 3, 4]  # 3 samples and the nominal run


def test_serial_mapper_runs_in_order():
    with dask_mapper("serial") as mapper:
        assert mapper(abs, [-1, 2, -3], None) == [1, 2, 3]


def test_the_ensemble_command_names_an_unreachable_scheduler(tmp_path):
    res = CliRunner().invoke(app, ["ensemble", "simulate", "-n", "2", "-c", "RuO2", "--no-plot",
                                   "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "e")])
    assert res.exit_code == 1
    assert "cannot reach a Dask scheduler at tcp://127.0.0.1:1" in res.output
    res = CliRunner().invoke(app, ["ensemble", "simulate", "--scheduler", "nowhere", "--out", str(tmp_path / "f")])
    assert res.exit_code == 1 and "--scheduler 'nowhere' is not understood" in res.output
