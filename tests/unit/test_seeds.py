"""Every function and command that takes a random seed refuses one numpy cannot use, with a clear message.

A negative seed reached numpy's ``SeedSequence`` and ended in ``ValueError: expected non-negative
integer`` from inside numpy (a traceback from ``metalair ensemble``, "internal failure" from
``metalair calibrate``).
"""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair._validation import check_seed
from metalair.cli.app import app
from metalair.errors import ParameterError

MESSAGE = "must be a whole number >= 0"


@pytest.mark.parametrize("seed", [-1, 2.5, True, "3", np.float64(1.0)])
def test_check_seed_refuses_what_numpy_cannot_use(seed):
    with pytest.raises(ParameterError, match=MESSAGE):
        check_seed(seed)


@pytest.mark.parametrize("seed", [None, 0, 7, np.int64(3)])
def test_check_seed_passes_usable_seeds(seed):
    out = check_seed(seed)
    assert out is None if seed is None else (out == int(seed) and type(out) is int)


def _calibrate(seed):
    from metalair.calibration.calibrate import calibrate
    from metalair.calibration.targets import builtin_targets

    calibrate(builtin_targets()[:1], starts=1, seed=seed)


def _sample_inputs(seed):
    from metalair.calibration.ensemble import default_inputs, sample_inputs

    sample_inputs(default_inputs("NLRO"), 4, seed=seed)


def _sobol(seed):
    from metalair.calibration.ensemble import sobol_indices
    from metalair.calibration.targets import builtin_targets

    sobol_indices(builtin_targets()[:1], n=4, seed=seed)


def _sweep_sample(seed):
    from metalair.sweeps.candidates import sample

    sample({"descriptors.NaO2.d_band_centre": (-2.0, -1.5)}, 2, seed=seed)


def _least_squares(seed):
    from metalair.analysis.least_squares import fit_least_squares

    fit_least_squares(lambda x: x - 1.0, [0.5], bounds=([0.0], [2.0]), n_starts=2, seed=seed)


def _circuit(seed):
    from metalair.analysis.impedance.fitting import fit_circuit
    from metalair.tables.impedance import ImpedanceSpectrum

    f = np.logspace(-1, 5, 20)
    z = 10.0 + 100.0 / (1.0 + 1j * 2 * np.pi * f * 100.0 * 1e-5)
    fit_circuit(ImpedanceSpectrum(frequency_Hz=f, impedance=z), "R0-p(R1,C1)", seed=seed)


def _diffractogram(seed):
    from metalair.analysis.diffraction import simulate_diffractogram

    simulate_diffractogram(["NaO2"], seed=seed)


@pytest.mark.parametrize("call", [_calibrate, _sample_inputs, _sobol, _sweep_sample, _least_squares, _circuit,
                                  _diffractogram])
def test_every_seeded_function_refuses_a_negative_seed_before_numpy_does(call):
    with pytest.raises(ParameterError, match="seed = -1 " + MESSAGE):
        call(-1)


@pytest.mark.parametrize("args", [
    ["ensemble", "simulate", "-n", "2"],
    ["calibrate", "--starts", "1"],
    ["screen", "--n", "2", "--sample", "descriptors.NaO2.d_band_centre=-2:-1.5"],
    ["sweep", "--n", "2", "--sample", "parameters.gamma_d=0.1:0.2"],
])
def test_seed_commands_refuse_a_negative_seed_and_leave_out_untouched(tmp_path, args):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, [*args, "--seed", "-1", "--out", str(out)])
    assert res.exit_code != 0
    text = res.output
    assert "seed = -1 " + MESSAGE in text, text
    assert "Traceback" not in text and "internal failure" not in text
    assert not out.exists()
