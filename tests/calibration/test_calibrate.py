"""calibrate: recovery of known parameters, identifiability flags, resume, errors, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from metalair.calibration import builtin_targets, calibrate
from metalair.calibration.runs import Evaluator, evaluate_targets
from metalair.calibration.targets import Target
from metalair.errors import ParameterError
from metalair.models.parameters import DEFAULT_PARAMETERS

BETA_FE = DEFAULT_PARAMETERS.beta_fe  # the shipped value

#: a short protocol: 1500 mAh/g discharge, then a full charge
SHORT = "Discharge at 200 mA/g for 1500 mAh/g or until 1.5 V; Charge at 200 mA/g until 4.8 V"
OBS = ("charge_plateau_1", "mean_charge_voltage", "mean_discharge_voltage")
#: known parameters: the shipped values x 1.67 and x 1.1
TRUTH = {"i0_dec_NaO2": 3.0e-3, "beta_fe": 0.43}
NOISE_V = 0.01


def _synthetic_targets(truth_values, seed):
    from metalair.models.parameters import DEFAULT_PARAMETERS

    base = [Target(f"{c}:{o}", c, o, 0.0, NOISE_V, run=SHORT) for c in ("NLRO", "RuO2") for o in OBS]
    clean = evaluate_targets(base, DEFAULT_PARAMETERS.replace(**truth_values))
    rng = np.random.default_rng(seed)
    return [Target(t.id, t.catalyst, t.observable, float(v + NOISE_V * rng.standard_normal()), NOISE_V, run=SHORT)
            for t, v in zip(base, clean)]


@pytest.mark.slow
def test_synthetic_recovery_over_20_seeds():
    """Noisy data from known parameters, recalibrated from +-30 % starts: the truth lies in the 95 % intervals.

    Six observables of NLRO and RuO2 on a short protocol with 10 mV noise identify i0_dec_NaO2 and
    beta_fe. Expected coverage of a 95 % interval is 0.95; the test needs at least 90 % per parameter over
    20 seeds (the issue's bar) and intervals narrow enough to mean something (median width below
    0.5 decade for i0_dec_NaO2 and 0.05 for beta_fe), so a fit that recovers nothing cannot pass.
    """
    cache: dict = {}
    hits = {n: 0 for n in TRUTH}
    widths: dict = {n: [] for n in TRUTH}
    for seed in range(20):
        tg = _synthetic_targets(TRUTH, seed)
        res = calibrate(tg, list(TRUTH), starts=1, seed=100 + seed, select="all", workers=1, progress=None,
                        max_iterations=15, cache=cache)
        for n, v in TRUTH.items():
            lo, hi = res.fit.interval(n)
            hits[n] += lo <= v <= hi
            widths[n].append(math.log10(hi / lo) if n.startswith("i0") else hi - lo)
    assert all(h >= 18 for h in hits.values()), hits
    assert np.median(widths["i0_dec_NaO2"]) < 0.5 and np.median(widths["beta_fe"]) < 0.05, widths


def test_unidentifiable_pair_is_flagged_and_not_fitted():
    """O2 solubility and diffusivity enter the model only as their product (the O2 supply)."""
    tg = builtin_targets(["P2-NLRO", "P2-RuO2", "P4-NLRO"])
    res = calibrate(tg, ["o2_solubility", "o2_diffusivity"], starts=1, workers=1, progress=None, max_iterations=5)
    verdicts = res.identifiability_start.verdicts
    assert len(res.fitted) <= 1
    flagged = [n for n, v in verdicts.items() if v.startswith("not identifiable: fix from literature")]
    assert len(flagged) >= 1
    assert res.identifiability_start.collinearity > 100 or "insensitive" in " ".join(verdicts.values())
    table = res.table()
    assert "not identifiable: fix from literature" in table


def test_evaluator_checkpoint_resumes_without_model_runs(tmp_path):
    tg = builtin_targets(["P4-RuO2"])
    ck = tmp_path / "ck.json"
    ev = Evaluator(tg, checkpoint=ck, workers=1)
    a = ev.evaluate({"beta_fe": BETA_FE})
    assert ev.n_model_runs == 1 and ck.is_file()
    ev2 = Evaluator(tg, checkpoint=ck, workers=1)
    b = ev2.evaluate({"beta_fe": BETA_FE})
    assert ev2.n_model_runs == 0 and np.array_equal(a, b)
    assert abs(a[0] - 0.967) < 0.02  # the shipped set's RuO2 polarisation (metalair validate: 0.967 V)
    # a checkpoint of other targets is not reused
    ev3 = Evaluator(builtin_targets(["P4-NLRO"]), checkpoint=ck, workers=1)
    assert ev3.cache == {}


def test_calibrate_refuses_bad_requests():
    tg = builtin_targets(["P4"])
    with pytest.raises(ParameterError, match="did you mean 'beta_fe'"):
        calibrate(tg, ["beta_f"], progress=None)
    with pytest.raises(ParameterError, match="perturb"):
        calibrate(tg, ["beta_fe"], perturb=1.5, progress=None)
    with pytest.raises(ParameterError, match="starts"):
        calibrate(tg, ["beta_fe"], starts=0, progress=None)
    with pytest.raises(ParameterError, match="more targets than parameters"):
        calibrate(builtin_targets(["P4-RuO2"]), ["beta_fe"], select="all", workers=1, progress=None)


def test_one_parameter_from_p4_recovers_beta_fe(tmp_path):
    tg = builtin_targets(["P4"])
    res = calibrate(tg, ["beta_fe"], starts=2, seed=5, workers=1, progress=None, checkpoint=tmp_path / "c.json")
    lo, hi = res.fit.interval("beta_fe")
    assert lo <= BETA_FE <= hi and hi - lo < 0.2
    assert all(abs(s["values"]["beta_fe"] - res.fit["beta_fe"]) < 0.02 for s in res.starts)
    files = res.write(tmp_path / "out", figure=False)
    rows = (tmp_path / "out" / files["table"]).read_text().splitlines()
    assert rows[0].startswith("parameter,base,value,ci95_low") and rows[1].startswith(f"beta_fe,{BETA_FE},")
    doc = json.loads((tmp_path / "out" / "calibration.json").read_text())
    assert doc["fitted"] == ["beta_fe"] and math.isclose(doc["table"][0]["value"], res.fit["beta_fe"])


def test_cli_calibrate_and_errors(tmp_path):
    from typer.testing import CliRunner

    from metalair.cli.app import app

    r = CliRunner().invoke(app, ["calibrate", "--builtin", "P4", "--params", "beta_fe", "--starts", "1",
                                 "--workers", "1", "--out", str(tmp_path), "--no-plot"])
    assert r.exit_code == 0, r.output
    assert "beta_fe" in r.output and (tmp_path / "calibration.csv").is_file()
    r = CliRunner().invoke(app, ["calibrate", "--builtin", "P4", "--params", "beta_fee", "--out", str(tmp_path)])
    assert r.exit_code == 1 and "did you mean 'beta_fe'" in r.output
    r = CliRunner().invoke(app, ["calibrate", "--targets", str(tmp_path / "none.toml"), "--out", str(tmp_path)])
    assert r.exit_code == 1 and "does not exist" in r.output


def test_cli_calibrate_to_a_measured_file_and_ensemble_simulate(tmp_path):
    from typer.testing import CliRunner

    from metalair.cli.app import app
    from metalair.protocols.simulation import simulate
    from metalair.tables.cycler import CyclerData
    from metalair.tables.writers import write_cycler_csv

    sol = simulate("RuO2", "Discharge at 200 mA/g until 1.5 V; Charge at 200 mA/g until 4.8 V",
                   parameters=__import__("metalair").models.parameters.DEFAULT_PARAMETERS.replace(beta_fe=0.42))
    mass_g = 5e-4
    step = np.asarray(sol["Step"])
    k = step > 0
    data = CyclerData(time_s=np.asarray(sol["Time [s]"])[k], voltage_V=np.asarray(sol["Voltage [V]"])[k],
                      current_A=np.asarray(sol["Current [mA/g]"])[k] * mass_g / 1000.0, step=step[k],
                      cycle=np.ones(int(k.sum()), dtype=int), step_type=np.where(step[k] == 1, "discharge", "charge"))
    write_cycler_csv(data, tmp_path / "cell.csv")
    cols = "time_s=time_s,voltage_V=voltage_V,current_A=current_A,step=step,cycle=cycle,step_type=step_type"
    r = CliRunner().invoke(app, ["calibrate", "--data", str(tmp_path / "cell.csv"), "--catalyst", "RuO2",
                                 "--mass-mg", "0.5", "--format", "csv", "--columns", cols, "--params", "beta_fe",
                                 "--starts", "1", "--workers", "1", "--out", str(tmp_path / "cal"), "--no-plot"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    row = doc["table"][0]
    assert row["ci95_low"] <= 0.42 <= row["ci95_high"] and abs(row["value"] - 0.42) < 0.01
    assert {t["observable"] for t in doc["targets"]} == {"discharge_capacity", "mean_discharge_voltage",
                                                          "polarisation"}
    r = CliRunner().invoke(app, ["ensemble", "simulate", "-c", "RuO2", "-n", "4", "--workers", "1",
                                 "--halfwidth", "0.05", "--out", str(tmp_path / "ens"), "--no-plot"])
    assert r.exit_code == 0, r.output
    assert "discharge_capacity RuO2" in r.output and (tmp_path / "ens" / "RuO2" / "ensemble_summary.csv").is_file()


def test_profile_likelihood_of_beta_fe_brackets_the_wald_interval():
    from metalair.calibration import profile_likelihood

    res = calibrate(builtin_targets(["P4"]), ["beta_fe"], starts=1, seed=3, workers=1, progress=None)
    pr = profile_likelihood(res, "beta_fe", span_decades=0.15, points=9, workers=1)
    lo, hi = pr["ci95"]
    wlo, whi = res.fit.interval("beta_fe")
    assert pr["identifiable"] and lo < res.fit["beta_fe"] < hi
    assert abs(math.log10(lo / wlo)) < 0.03 and abs(math.log10(hi / whi)) < 0.03   # near-linear problem
    with pytest.raises(ParameterError, match="was not fitted"):
        profile_likelihood(res, "gamma_ads")


def test_a_value_unidentifiable_at_the_optimum_is_held_and_the_rest_refitted(monkeypatch, tmp_path):
    """Selected at the first start, a value can drift where the targets no longer see it (its interval
    blows up at the optimum): it is held at its base value and the others are refitted from the best start."""
    import importlib

    cal = importlib.import_module("metalair.calibration.calibrate")  # the module (the package exports the function)
    real = cal._interval_verdict
    monkeypatch.setattr(cal, "_interval_verdict", lambda fit, n: (
        "not identifiable: fix from literature (95 % interval spans 3.0 decades)" if n == "i0_dec_Na2O2"
        else real(fit, n)))
    tg = builtin_targets(["P3", "P4"])
    res = calibrate(tg, ["beta_fe", "i0_dec_Na2O2"], starts=1, seed=1, workers=1, progress=None, max_iterations=3,
                    checkpoint=tmp_path / "c.json")
    assert set(res.identifiability_start.identifiable) == {"beta_fe", "i0_dec_Na2O2"}
    assert res.fitted == ("beta_fe",) and list(res.dropped) == ["i0_dec_Na2O2"]
    assert res.values["i0_dec_Na2O2"] == DEFAULT_PARAMETERS.i0_dec_Na2O2  # held at base
    assert [bool(s.get("refit")) for s in res.starts] == [False, True]
    assert set(res.starts[-1]["values"]) == {"beta_fe"}
    row = {r["parameter"]: r for r in res.rows()}["i0_dec_Na2O2"]
    assert row["verdict"].startswith("not identifiable") and "held at its base value" in row["verdict"]
    assert "1 start(s) and a refit without i0_dec_Na2O2" in res.table()
    assert res.as_dict()["dropped"] == res.dropped
