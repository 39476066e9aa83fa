"""calibrate: targets the model cannot run, duplicates, stale or foreign checkpoints, and the profile interval.

Each test reproduces a finding of the calibration audit: an unknown catalyst or a protocol typo became a
silent 30 σ residual with exit 0; the profile's 95 % interval was 2-4x too narrow (χ² interpolated linearly
over a coarse grid); --resume reused model runs of an edited catalyst file, or wrote into another run's
folder; duplicated targets counted twice; the profile ignored ``base`` and ``exclude``; a byte-order mark
was refused.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.calibration import builtin_targets, calibrate, load_targets, profile_likelihood
from metalair.calibration.runs import Evaluator
from metalair.calibration.targets import Target
from metalair.cli.app import app
from metalair.errors import MetalairError, ParameterError
from metalair.models.parameters import DEFAULT_PARAMETERS
from metalair.workflows.outputs import MANIFEST_NAME

runner = CliRunner()

P4_ARGS = ["--builtin", "P4", "--params", "beta_fe", "--starts", "1", "--workers", "1", "--no-plot",
           "--no-progress"]


@pytest.fixture(scope="module")
def p4():
    """beta_fe calibrated to P4 (the audit's case: Wald [0.339, 0.440], χ² ≈ 0)."""
    return calibrate(builtin_targets(["P4"]), ["beta_fe"], starts=1, seed=0, workers=1, progress=None)


# --- 1: a target the model cannot run is refused before any run --------------------------------------------
def test_an_unknown_catalyst_in_a_targets_file_is_refused_before_any_run(tmp_path):
    p = tmp_path / "unkcat.csv"
    p.write_text("id,catalyst,observable,value,sigma\nA,XYZ,polarisation,0.75,0.04\n")
    res = runner.invoke(app, ["calibrate", "-t", str(p), "--out", str(tmp_path / "c"), *P4_ARGS[2:]])
    assert res.exit_code == 1, res.output
    assert "row 2: target 'A': unknown catalyst 'XYZ'" in res.output and "Built-in catalysts" in res.output
    assert not (tmp_path / "c").exists()


def test_catalyst_option_of_data_is_checked_before_the_file_is_read(tmp_path):
    res = runner.invoke(app, ["calibrate", "--data", str(tmp_path / "cell.csv"), "-c", "XYZ", "--mass-mg", "0.5",
                              "--out", str(tmp_path / "c")])
    assert res.exit_code == 1 and "--catalyst 'XYZ': unknown catalyst 'XYZ'" in res.output, res.output
    assert not (tmp_path / "c").exists()


def test_a_protocol_typo_in_a_target_run_is_refused_when_the_targets_are_read(tmp_path):
    p = tmp_path / "badrun.toml"
    p.write_text('[[target]]\nid = "A"\ncatalyst = "RuO2"\nobservable = "polarisation"\nvalue = 0.97\n'
                 'sigma = 0.04\nrun = "Dischrage at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V"\n')
    with pytest.raises(MetalairError, match="target 'A': its run .* is not a protocol the model can run: .*"
                                            "did you mean 'Discharge'"):
        load_targets(p)
    with pytest.raises(ParameterError, match="unknown catalyst 'XYZ'"):
        Target("B", "XYZ", "polarisation", 0.97, 0.04)


def test_a_target_the_model_cannot_compute_at_the_base_values_is_an_error_not_30_sigma():
    # a discharge without a charge has no polarisation: it was a silent NaN -> 30 sigma residual
    bad = Target("no-charge", "RuO2", "polarisation", 0.97, 0.04, run="Discharge at 100 mA/g for 100 mAh/g")
    with pytest.raises(ParameterError, match="target 'no-charge' .* cannot be computed at the base parameter "
                                             "values: the run has no charge step"):
        calibrate([*builtin_targets(["P4"]), bad], ["beta_fe"], starts=1, workers=1, progress=None)


# --- 2: the profile interval --------------------------------------------------------------------------------
def test_the_profile_interval_is_where_chi2_reaches_the_threshold(p4):
    """Defaults (7 points over ±0.5 decade): a straight line between grid points gave [0.3625, 0.3977] where a
    31-point grid gave [0.3363, 0.4359] (0.3.0.dev0); with the NaO2 pools sharing one contact the 31-point grid
    gives [0.3227, 0.4226] and the bracketed default [0.3229, 0.4226]."""
    pr = profile_likelihood(p4, "beta_fe", workers=1)
    lo, hi = pr["ci95"]
    assert pr["identifiable"] and abs(lo - 0.3227) < 0.002 and abs(hi - 0.4226) < 0.002, pr["ci95"]
    ev = Evaluator(p4.targets, workers=1)  # one parameter: the profile χ² at a value is the χ² there
    values = np.array([t.value for t in p4.targets])
    sigma = np.array([t.sigma for t in p4.targets])
    for v in (lo, hi):
        r = (ev.evaluate({"beta_fe": v}) - values) / sigma
        assert abs(float(r @ r) - pr["threshold"]) < 0.05
    wlo, whi = p4.fit.interval("beta_fe")   # a near-linear problem: close to the Wald interval
    assert abs(math.log10(lo / wlo)) < 0.01 and abs(math.log10(hi / whi)) < 0.01
    assert pr["values"] == sorted(pr["values"]) and len(pr["values"]) == len(pr["chi2"]) > 7


def test_profile_likelihood_checks_its_arguments(p4):
    for kwargs, message in (({"points": 0}, "points = 0 must be a whole number >= 3"),
                            ({"points": 2}, "points = 2 must be a whole number >= 3"),
                            ({"span_decades": -0.5}, "span_decades = -0.5 is out of range"),
                            ({"max_iterations": 0}, "max_iterations = 0 must be a whole number >= 1")):
        with pytest.raises(ParameterError, match=message):
            profile_likelihood(p4, "beta_fe", workers=1, **kwargs)


# --- 6: the profile keeps the calibration's base and exclude ------------------------------------------------
def test_the_profile_leaves_out_the_excluded_targets(p4):
    res = calibrate(builtin_targets(["P1-NLRO", "P4"]), ["beta_fe"], starts=1, seed=0, workers=1, progress=None,
                    exclude=["P1-NLRO"])
    pr = profile_likelihood(res, "beta_fe", workers=1)
    ref = profile_likelihood(p4, "beta_fe", workers=1)
    assert min(pr["chi2"]) < 1e-3      # it was 2.78: the left-out P1 counted in the profile
    assert np.allclose(pr["ci95"], ref["ci95"], rtol=1e-3), (pr["ci95"], ref["ci95"])


def test_the_profile_holds_the_other_values_at_the_calibration_base():
    base = DEFAULT_PARAMETERS.replace(film_blocking=0.03)
    res = calibrate(builtin_targets(["P4"]), ["beta_fe"], starts=1, seed=0, workers=1, progress=None, base=base)
    pr = profile_likelihood(res, "beta_fe", workers=1)
    assert abs(min(pr["chi2"]) - res.chi2) < 1e-6   # it was 0.017 against 12.19: the shipped film_blocking
    lo, hi = pr["ci95"]
    assert pr["identifiable"] and lo < res.fit["beta_fe"] < hi


# --- 3, 4: --resume ------------------------------------------------------------------------------------------
def _catalyst_file(tmp_path):
    res = runner.invoke(app, ["catalysts", "--show", "RuO2"])
    assert res.exit_code == 0
    path = tmp_path / "c.toml"
    path.write_text(res.output)
    assert "icohp = -1.54" in res.output
    return path


def test_a_checkpoint_is_not_reused_after_its_catalyst_file_changed(tmp_path):
    cat = _catalyst_file(tmp_path)
    tg = [Target("A", str(cat), "polarisation", 0.97, 0.04), Target("B", str(cat), "polarisation", 0.95, 0.04)]
    ck = tmp_path / "ck.json"
    Evaluator(tg, checkpoint=ck, workers=1).evaluate({"beta_fe": 0.384})
    again = Evaluator(tg, checkpoint=ck, workers=1)
    assert len(again.cache) == 1 and not again.stale_checkpoint
    cat.write_text(cat.read_text().replace("icohp = -1.54", "icohp = -1.44", 1))
    edited = Evaluator(tg, checkpoint=ck, workers=1)
    assert edited.cache == {} and edited.stale_checkpoint
    with pytest.raises(ParameterError, match="catalyst '.*c.toml' changed since it was written"):
        calibrate(tg, ["beta_fe"], starts=1, workers=1, progress=None, checkpoint=ck, resume=True)


def test_a_checkpoint_of_another_metalair_version_is_not_reused(tmp_path, monkeypatch):
    import metalair._version

    tg = builtin_targets(["P4-RuO2"])
    ck = tmp_path / "ck.json"
    Evaluator(tg, checkpoint=ck, workers=1).evaluate({"beta_fe": 0.384})
    monkeypatch.setattr(metalair._version, "__version__", "0.0.0-other")
    assert Evaluator(tg, checkpoint=ck, workers=1).cache == {}


def test_resume_refuses_another_calibration_and_keeps_its_checkpoint(tmp_path):
    out = tmp_path / "c"
    assert runner.invoke(app, ["calibrate", *P4_ARGS, "--out", str(out)]).exit_code == 0
    before = (out / "checkpoint.json").read_text()
    res = runner.invoke(app, ["calibrate", "--builtin", "P2", "--params", "film_blocking", "--starts", "1",
                              "--workers", "1", "--no-plot", "--resume", "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert "holds another calibration" in res.output and "it differs in --params, the targets" in res.output
    assert "--overwrite" in res.output
    assert (out / "checkpoint.json").read_text() == before   # not dropped and replaced
    assert json.loads((out / MANIFEST_NAME).read_text())["status"] == "complete"
    res = runner.invoke(app, ["calibrate", *P4_ARGS, "--out", str(out), "--resume", "--overwrite"])
    assert res.exit_code == 1 and "not both" in res.output


def test_resume_refuses_the_folder_of_another_command(tmp_path):
    out = tmp_path / "e"
    assert runner.invoke(app, ["ensemble", "simulate", "-n", "2", "-c", "RuO2", "--scheduler", "serial",
                               "--no-plot", "--no-progress", "--out", str(out)]).exit_code == 0
    manifest = (out / MANIFEST_NAME).read_text()
    res = runner.invoke(app, ["calibrate", *P4_ARGS, "--out", str(out), "--resume"])
    assert res.exit_code == 1 and "holds the results of another command" in res.output, res.output
    assert (out / MANIFEST_NAME).read_text() == manifest and not (out / "calibration.json").exists()


def test_resume_after_a_catalyst_file_edit_is_refused_by_the_cli(tmp_path):
    cat = _catalyst_file(tmp_path)
    t = tmp_path / "t.toml"
    t.write_text(f'[[target]]\nid = "A"\ncatalyst = "{cat}"\nobservable = "polarisation"\nvalue = 0.97\n'
                 f'sigma = 0.04\n[[target]]\nid = "B"\ncatalyst = "{cat}"\nobservable = "discharge_capacity"\n'
                 'value = 8500\nsigma = 600\n')
    args = ["calibrate", "-t", str(t), *P4_ARGS[2:], "--out", str(tmp_path / "c")]
    assert runner.invoke(app, args).exit_code == 0
    cat.write_text(cat.read_text().replace("icohp = -1.54", "icohp = -1.44", 1))
    res = runner.invoke(app, [*args, "--resume"])
    assert res.exit_code == 1 and "changed since it was written" in res.output, res.output


# --- 5: duplicates -------------------------------------------------------------------------------------------
def test_a_target_given_twice_is_refused_naming_both_sources(tmp_path):
    p = tmp_path / "p4.toml"
    p.write_text('builtin = ["P4"]\n')
    res = runner.invoke(app, ["calibrate", "-t", str(p), *P4_ARGS, "--out", str(tmp_path / "c")])
    assert res.exit_code == 1, res.output
    assert "target id 'P4-NLRO' is used twice (by --builtin P4 and by --targets" in res.output
    assert not (tmp_path / "c").exists()
    with pytest.raises(ParameterError, match="target id 'P4-NLRO' is used twice \\(both from Sun et al"):
        calibrate(builtin_targets(["P4"]) * 2, ["beta_fe"], progress=None)


def _cell(path):
    from metalair.protocols.simulation import simulate
    from metalair.tables.cycler import CyclerData
    from metalair.tables.writers import write_cycler_csv

    sol = simulate("RuO2", "Discharge at 400 mA/g until 1.5 V; Charge at 400 mA/g until 4.8 V")
    step = np.asarray(sol["Step"])
    k = step > 0
    data = CyclerData(time_s=np.asarray(sol["Time [s]"])[k], voltage_V=np.asarray(sol["Voltage [V]"])[k],
                      current_A=np.asarray(sol["Current [mA/g]"])[k] * 5e-7, step=step[k],
                      cycle=np.ones(int(k.sum()), dtype=int), step_type=np.where(step[k] == 1, "discharge", "charge"))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_cycler_csv(data, path)


def test_data_files_twice_or_with_the_same_name(tmp_path, monkeypatch):
    import metalair.calibration as calibration_pkg

    _cell(tmp_path / "a" / "cell.csv")
    _cell(tmp_path / "b" / "cell.csv")
    seen = []

    def capture(tg, *args, **kwargs):
        seen.append([t.id for t in tg])
        raise ParameterError("stop here")

    monkeypatch.setattr(calibration_pkg, "calibrate", capture)
    cols = "time_s=time_s,voltage_V=voltage_V,current_A=current_A,step=step,cycle=cycle,step_type=step_type"
    common = ["-c", "RuO2", "--mass-mg", "0.5", "--format", "csv", "--columns", cols, "--out", str(tmp_path / "c")]
    a, b = str(tmp_path / "a" / "cell.csv"), str(tmp_path / "b" / "cell.csv")
    res = runner.invoke(app, ["calibrate", "--data", f"{a},{a}", *common])
    assert res.exit_code == 1 and f"--data gives {a} twice" in res.output, res.output
    assert not seen
    res = runner.invoke(app, ["calibrate", "--data", f"{a},{b}", *common])
    assert res.exit_code == 1 and "stop here" in res.output, res.output
    ids = seen[0]
    assert len(ids) == len(set(ids)) == 6 and f"{a}:polarisation" in ids and f"{b}:polarisation" in ids


# --- 8: byte-order mark --------------------------------------------------------------------------------------
def test_targets_files_with_a_byte_order_mark_are_read(tmp_path):
    csv = tmp_path / "bom.csv"
    csv.write_bytes("id,catalyst,observable,value,sigma\nA,RuO2,polarisation,0.97,0.04\n".encode("utf-8-sig"))
    toml = tmp_path / "bom.toml"
    toml.write_bytes('builtin = ["P4"]\n'.encode("utf-8-sig"))
    assert [t.id for t in load_targets(csv)] == ["A"]
    assert [t.id for t in load_targets(toml)] == ["P4-NLRO", "P4-RuO2"]


# --- 10, 12, 13: refusals and messages -----------------------------------------------------------------------
def test_a_profile_of_a_value_not_fitted_by_default_is_refused_before_the_fit(tmp_path):
    res = runner.invoke(app, ["calibrate", "--builtin", "P4", "--profile", "o2_solubility", "--out",
                              str(tmp_path / "c")])
    assert res.exit_code == 1, res.output
    assert "--profile o2_solubility: a profile follows a fitted value" in res.output
    assert "without --params the fitted values are" in res.output and not (tmp_path / "c").exists()


def test_a_user_error_after_model_runs_is_the_reason_in_the_manifest(tmp_path):
    out = tmp_path / "c"
    res = runner.invoke(app, ["calibrate", "--builtin", "P4", "--params", "beta_fe,k_disproportionation",
                              "--select", "all", "--starts", "1", "--workers", "1", "--no-plot", "--out", str(out)])
    assert res.exit_code == 1 and "2 parameters to fit from 2 targets" in res.output, res.output
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["status"] == "partial" and "2 parameters to fit from 2 targets" in manifest["error"]


def test_messages_name_the_option_and_excluding_everything_is_refused(tmp_path):
    res = runner.invoke(app, ["calibrate", *P4_ARGS, "--select", "foo", "--out", str(tmp_path / "c")])
    assert res.exit_code == 1 and "--select 'foo'" in res.output, res.output
    assert not (tmp_path / "c").exists()
    tg = builtin_targets(["P4"])
    with pytest.raises(ParameterError, match="exclude leaves out all 2 targets"):
        calibrate(tg, ["beta_fe"], exclude=[t.id for t in tg], progress=None)


# --- 9: Ctrl-C during --profile ------------------------------------------------------------------------------
def test_ctrl_c_during_a_profile_says_how_to_continue(tmp_path, monkeypatch):
    import metalair.calibration as calibration_pkg

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(calibration_pkg, "profile_likelihood", interrupted)
    out = tmp_path / "c"
    res = runner.invoke(app, ["calibrate", *P4_ARGS, "--profile", "beta_fe", "--out", str(out)])
    assert res.exit_code == 130, res.output
    assert "profile of beta_fe interrupted (Ctrl-C)" in res.output and "with --resume" in res.output
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["status"] == "partial" and "calibration.json" in manifest["files"]
    assert "interrupted" in manifest["error"]


# --- 14: the documented P6 proxy -----------------------------------------------------------------------------
def test_the_p6_proxy_offset_is_the_same_in_the_docstring_and_the_docs():
    from pathlib import Path

    import metalair.calibration.targets as targets_module

    docs = Path(__file__).resolve().parents[2] / "docs" / "calibration.md"
    text = " ".join((targets_module.__doc__ or "").split())
    code = re.search(r"about 11 cycles before the first failed cycle \(([0-9.]+) for the shipped RuO2, whose first "
                     r"failed cycle is ([0-9]+)\)", text)
    assert code, text
    if docs.is_file():
        doc = re.search(r"\(([0-9.]+) for the shipped set, 11 cycles before the first failed cycle ([0-9]+)\)",
                        docs.read_text())
        assert doc and doc.groups() == code.groups()


def test_ensemble_of_a_catalyst_file_writes_into_out_under_the_file_stem(tmp_path):
    """`ensemble -c /abs/path/my.toml --out OUT` writes OUT/my; an absolute path had replaced OUT ("exists and
    is a file") and a relative one made a folder named my.toml. Two files with one stem are refused."""
    from metalair.cli.calibration import _sub

    assert _sub(tmp_path, "RuO2") == tmp_path / "RuO2"
    assert _sub(tmp_path, "/x/cats/my.toml") == _sub(tmp_path, "../my.toml") == tmp_path / "my"
    cat = tmp_path / "cats" / "my.toml"
    cat.parent.mkdir()
    res = CliRunner().invoke(app, ["catalysts", "--show", "RuO2"])
    cat.write_text(res.output)
    out = tmp_path / "ens"
    res = CliRunner().invoke(app, ["ensemble", "simulate", "-c", str(cat), "-n", "4", "--out", str(out), "--no-plot",
                                   "--no-progress"])
    assert res.exit_code == 0, res.output
    assert (out / "my").is_dir() and not (out / "my.toml").exists()
    other = tmp_path / "b" / "my.toml"
    other.parent.mkdir()
    other.write_text(cat.read_text())
    res = CliRunner().invoke(app, ["ensemble", "simulate", "-c", f"{cat},{other}", "-n", "4", "--out",
                                   str(tmp_path / "ens2"), "--no-plot", "--no-progress"])
    assert res.exit_code != 0 and "two catalysts would write into one folder" in res.output
