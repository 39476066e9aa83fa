"""Sampling, ensembles and Sobol' estimators."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metalair.calibration.ensemble import (
    _sobol_estimates,
    default_inputs,
    ensemble,
    inputs_from_calibration,
    output_targets,
    sample_inputs,
)
from metalair.errors import ParameterError


def test_default_inputs_cover_every_descriptor_and_lhs_stratifies():
    inp = default_inputs("RuO2")
    assert len(inp) == 6 and {i.field for i in inp} == {"d_band_centre", "icohp"}
    X = sample_inputs(inp, 64, "lhs", seed=3)
    assert X.shape == (64, 6) and np.all(np.abs(X) <= 0.1)
    # Latin hypercube: exactly one sample in each of the 64 strata of every input
    strata = np.floor((X + 0.1) / 0.2 * 64).astype(int)
    assert all(len(set(strata[:, j])) == 64 for j in range(6))
    with pytest.raises(ParameterError, match="'lhs' or 'sobol'"):
        sample_inputs(inp, 8, "grid")
    with pytest.raises(ParameterError, match=">= 2"):
        sample_inputs(inp, 1)


def test_calibration_intervals_become_lognormal_inputs():
    rows = {"table": [{"parameter": "beta_fe", "value": 0.4, "ci95_low": 0.3, "ci95_high": 0.5},
                      {"parameter": "i0_form_NaO2", "value": 0.1, "ci95_low": 1e-7, "ci95_high": 1e4}]}
    (inp,) = inputs_from_calibration(rows)            # the 11-decade interval is left out
    x = inp.from_unit(np.array([0.025, 0.5, 0.975]))
    assert x[1] == pytest.approx(0.4)
    assert math.log10(x[2] / x[0]) == pytest.approx(math.log10(0.5 / 0.3), rel=1e-4)


def test_sobol_estimators_on_the_ishigami_function():
    # Ishigami (a = 7, b = 0.1): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437
    from scipy.stats import qmc

    n, d = 4096, 3
    u = qmc.Sobol(d=2 * d, scramble=True, seed=0).random(n) * 2 * np.pi - np.pi

    def f(x):
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    A, B = u[:, :d], u[:, d:]
    fAB = np.column_stack([f(np.where(np.arange(d) == i, B, A)) for i in range(d)])
    S1, ST = _sobol_estimates(f(A), f(B), fAB)
    assert S1 == pytest.approx([0.3139, 0.4424, 0.0], abs=0.03)
    assert ST == pytest.approx([0.5576, 0.4424, 0.2437], abs=0.03)


def test_small_ensemble_of_the_reference_run_reports_a_band():
    tg = output_targets("simulate", "RuO2")[:2]
    res = ensemble(tg, default_inputs("RuO2", 0.05), n=4, workers=1, seed=1)
    cap = res.stats["discharge_capacity RuO2"]
    assert res.n == 4 and cap["failed"] == 0
    assert cap["p05"] <= cap["median"] <= cap["p95"]
    assert cap["p95"] > cap["p05"]                       # the descriptors move the capacity
    assert 8000 < res.nominal["discharge_capacity RuO2"] < 9500
    assert "note: 4 samples cannot place a 90 % band" in res.table()  # four samples are the sample range


def test_ensemble_csv_names_a_descriptor_sample_as_a_shift(tmp_path):
    # the columns 'RuO2:NaO2:d_band_centre' held offsets from the catalyst's value, which the name did not say
    from metalair.calibration.ensemble import preset_ensemble

    res, _targets = preset_ensemble("simulate", "RuO2", 2)
    res.write(tmp_path, figure=False)
    head = (tmp_path / "ensemble.csv").read_text().splitlines()[0].split(",")
    assert "RuO2:NaO2:d_band_centre shift [eV]" in head and "RuO2:NaO2:d_band_centre" not in head


def test_calibration_and_ensemble_figures_label_what_they_draw(monkeypatch):
    # one fitted value left the right half of the calibration figure blank; ensemble axes had no unit, no y label
    import metalair.calibration.figures as figures
    from metalair.calibration.calibrate import calibrate
    from metalair.calibration.ensemble import preset_ensemble
    from metalair.calibration.targets import builtin_targets

    drawn = []
    monkeypatch.setattr(figures, "_save", lambda fig, path: drawn.append(fig))
    res = calibrate(builtin_targets(["P4"]), ["beta_fe"], starts=1, max_iterations=2, progress=None)
    figures.plot_calibration(res, "x.png")
    assert len(drawn[-1].axes) == 1
    ens, _targets = preset_ensemble("simulate", "RuO2", 2)
    figures.plot_ensemble(ens, "y.png")
    axes = drawn[-1].axes
    assert "discharge_capacity RuO2 [mAh/g]" in [ax.get_xlabel() for ax in axes]
    assert all(ax.get_ylabel() == "samples" for ax in axes)


def test_a_checkpoint_made_with_another_version_of_a_catalyst_file_is_not_resumed(tmp_path, monkeypatch):
    """An audit edited a catalyst file between an interrupted `ensemble --resume` and its resumption: 16 rows came
    from the old file and 24 from the new, silently. The checkpoint's signature now holds the file's hash."""
    from metalair.catalysts import get_catalyst
    from metalair.catalysts.files import catalyst_to_toml

    monkeypatch.chdir(tmp_path)
    text = catalyst_to_toml(get_catalyst("RuO2"))
    (tmp_path / "my.toml").write_text(text)
    tg = output_targets("simulate", "my.toml")[1:2]  # polarisation
    name = tg[0].id
    check = tmp_path / "ck.json"
    first = ensemble(tg, default_inputs("RuO2", 0.05), n=2, workers=1, seed=1, nominal=False, checkpoint=check)
    again = ensemble(tg, default_inputs("RuO2", 0.05), n=2, workers=1, seed=1, nominal=False, checkpoint=check)
    assert np.array_equal(first.samples_out[name], again.samples_out[name])  # the same file: reused
    old = "free_energy_overpotential = 0.855"
    assert old in text
    (tmp_path / "my.toml").write_text(text.replace(old, "free_energy_overpotential = 0.3"))
    edited = ensemble(tg, default_inputs("RuO2", 0.05), n=2, workers=1, seed=1, nominal=False, checkpoint=check)
    assert np.all(edited.samples_out[name] < first.samples_out[name] - 0.2)  # every row from the edited file


@pytest.mark.skipif(not hasattr(__import__("os"), "killpg"), reason="process groups: POSIX")
def test_the_ensemble_workers_end_when_their_parent_is_killed(tmp_path):
    """An audit found `ensemble --workers 2` killed with -9 leaving its two idle workers running for good
    (adopted by init); each worker now ends within a second of its parent."""
    import os
    import signal
    import subprocess
    import sys
    import time

    p = subprocess.Popen([sys.executable, "-m", "metalair", "ensemble", "simulate", "-n", "200", "-c", "RuO2",
                          "--workers", "2", "--no-progress", "--no-plot", "-o", str(tmp_path / "e")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def group() -> list[int]:
        pids = []
        for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
            if entry.isdigit():
                try:
                    if os.getpgid(int(entry)) == p.pid:
                        pids.append(int(entry))
                except (ProcessLookupError, PermissionError):
                    pass
        return pids

    if not os.path.isdir("/proc"):
        pytest.skip("needs /proc to list the process group")
    try:
        t0 = time.monotonic()
        while len(group()) < 3 and time.monotonic() - t0 < 60:
            time.sleep(0.1)
        assert len(group()) >= 3, "the workers did not start"
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
        t0 = time.monotonic()
        while group() and time.monotonic() - t0 < 10:
            time.sleep(0.1)
        assert group() == []
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
