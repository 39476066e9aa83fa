"""Counts too large to run are refused before numpy fails to allocate them; options a run would ignore are refused.

An audit of every numeric option found ``--ensemble``, ``--sobol``, ``--n`` and ``--points`` at 10**20
ending in numpy's "Maximum allowed dimension exceeded" traceback (``--sobol`` after the ensemble had
run), ``calibrate --starts 10**20`` never ending, ``screen --cycle --cycles 10**20`` writing a result of
errors, and ``screen --cycles 5`` without ``--cycle`` (or ``--n`` with ``--grid``) ignored without a word.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from metalair.cli.app import app
from metalair.errors import ParameterError, ProtocolError

HUGE = 10**20
SAMPLE = ["--sample", "descriptors.NaO2.d_band_centre=-2:-1.5"]


def _run(args, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert res.exit_code != 0, res.output
    assert "Traceback" not in res.output and "internal failure" not in res.output, res.output
    assert not out.exists()  # refused before --out is touched
    return res.output


@pytest.mark.parametrize(("args", "message"), [
    (["simulate", "--ensemble", str(HUGE)], "--ensemble 100,000,000,000,000,000,000: give at most 10,000,000 samples"),
    (["cycle", "--ensemble", str(HUGE)], "give at most 10,000,000 samples"),
    (["ensemble", "simulate", "-n", str(HUGE)], "give at most 10,000,000 samples"),
    (["ensemble", "simulate", "-n", "2", "--sobol", str(HUGE)], "--sobol 100,000,000,000,000,000,000: give at most"),
    (["screen", *SAMPLE, "--n", str(HUGE)], "--n 100,000,000,000,000,000,000: give at most 10,000,000"),
    (["screen", *SAMPLE, "--n", "0"], "--n 0: give at least 1 sample"),
    (["screen", *SAMPLE, "--cycle", "--cycles", str(HUGE)], "--cycles 100,000,000,000,000,000,000 is more than a "
                                                             "run may have (25,000,000 cycles"),
    (["cycle", "--cycles", str(HUGE)], "--cycles 100,000,000,000,000,000,000 is more than a run may have"),
    (["impedance", "--points", str(HUGE)], "points = 100,000,000,000,000,000,000 is more than 10,000"),
    (["calibrate", "--starts", str(HUGE)], "--starts 100,000,000,000,000,000,000 is more than 1,000"),
    (["calibrate", "--perturb", "-1"], "--perturb -1.0 must be in [0, 1)"),
])
def test_counts_too_large_to_run_are_refused(tmp_path, args, message):
    assert message in _run(args, tmp_path)


def test_validate_refuses_a_huge_ensemble():
    res = CliRunner().invoke(app, ["validate", "--ensemble", str(HUGE)])
    assert res.exit_code != 0 and "give at most 10,000,000 samples" in res.output, res.output


def _ensemble_samples():
    from metalair.calibration.ensemble import default_inputs, sample_inputs

    sample_inputs(default_inputs("NLRO"), HUGE)


def _screen_samples():
    from metalair.sweeps.candidates import sample

    sample({"a": (0.0, 1.0)}, HUGE)


def _frequencies():
    from metalair.workflows.impedance import default_frequencies

    default_frequencies(points=HUGE)


@pytest.mark.parametrize("call", [_ensemble_samples, _screen_samples, _frequencies])
def test_the_library_refuses_huge_counts_too(call):
    with pytest.raises(ParameterError, match="is more than"):
        call()


def test_cycling_protocol_refuses_more_cycles_than_a_run_may_have():
    from metalair.workflows.cycling import cycling_protocol

    with pytest.raises(ProtocolError, match=r"cycles = 25,000,001 is more than a run may have \(25,000,000 cycles"):
        cycling_protocol(cycles=25_000_001)
    assert cycling_protocol(cycles=25_000_000).repeat == 25_000_000


@pytest.mark.parametrize(("args", "message"), [
    (["screen", *SAMPLE, "--cycles", "5"], "--cycles applies only with --cycle"),
    (["sweep", *SAMPLE, "--v-min", "1.8V", "--cycles", "4"], "--cycles, --v-min apply only with --cycle"),
    (["screen", "--grid", "descriptors.NaO2.d_band_centre=-2,-1.8", "--n", "5", "--seed", "3"],
     "--n, --seed apply only with --sample"),
    (["screen", *SAMPLE, "--no-full", "--protocol", "Discharge at 100 mA/g until 1.5 V"],
     "--protocol applies only with --full"),
])
def test_options_the_run_would_ignore_are_refused(tmp_path, args, message):
    assert message in _run(args, tmp_path)


@pytest.mark.parametrize("args", [
    ["screen", *SAMPLE, "--n", "2"],
    ["ensemble", "simulate", "-n", "2"],
    ["calibrate", "--starts", "1"],
])
def test_more_local_workers_than_four_per_core_are_refused(tmp_path, args):
    import os

    too_many = 4 * (os.cpu_count() or 1) + 1
    text = _run([*args, "--workers", str(too_many)], tmp_path)
    assert f"--workers {too_many:,} is more than 4 worker processes per core" in text
    assert ("--scheduler tcp://HOST:PORT" in text) == (args[0] != "calibrate")  # calibrate has no --scheduler


@pytest.mark.parametrize(("extra", "message"), [
    (["--steps", "STEPS", "--cutoff", "3"], "--cutoff applies only with --icohp (the mean bond ICOHP)"),
    (["--steps", "STEPS", "--orbital", "p", "--erange", "-5:2"],
     "--orbital, --erange apply only with --vasprun (the band of the projected DOS)"),
    (["--icohp", "ICOHP", "--bond", "Ti-O", "--cutoff", "-1"], "--cutoff -1 must be a positive bond length in Å"),
    (["--steps", "STEPS", "--molar-mass", "-1"], "--molar-mass -1 must be a positive molar mass in g/mol"),
])
def test_from_dft_refuses_options_it_would_ignore_and_bad_numbers(tmp_path, extra, message):
    from pathlib import Path

    steps = tmp_path / "steps.csv"
    steps.write_text("step,delta_G_eV,electrons\nNa+ + O2 -> NaO2*,-2.2,1\nNaO2* -> NaO2,-0.1,0\n")
    icohp = Path(__file__).parents[1] / "data" / "lobster" / "BaTiO3_ICOHPLIST.lobster.gz"
    args = [str(steps) if a == "STEPS" else str(icohp) if a == "ICOHP" else a for a in extra]
    out = tmp_path / "x.toml"
    res = CliRunner().invoke(app, ["catalyst", "from-dft", *args, "--template", "NLRO", "--no-figure", "--out",
                                   str(out)])
    assert res.exit_code != 0 and message in res.output, res.output
    assert not out.exists()
