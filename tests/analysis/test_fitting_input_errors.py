"""fit_model: arguments of the wrong type, impossible bounds, and a fit that never left its start."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.analysis.fitting import fit_model
from metalair.cli.app import app
from metalair.errors import ParameterError
from metalair.io import CyclerData, read
from metalair.models.parameters import DEFAULT_PARAMETERS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from datafiles import data_getter

runner = CliRunner()
ARBIN = "arbin/arbin_example.res"
SHA = {ARBIN: "298ffcc60acb4f04"}  # tests/data/PROVENANCE.md


def _record() -> CyclerData:
    """A 1 mA discharge for 1 h (no model run is needed to refuse the arguments)."""
    t = np.arange(0.0, 3600.0, 60.0)
    n = t.size
    return CyclerData(t, np.linspace(2.3, 2.1, n), np.full(n, 1e-3), np.ones(n), np.ones(n), ["discharge"] * n,
                      metadata={"mass_g": 0.001})


def test_fit_model_refuses_arguments_of_the_wrong_type():
    d = _record()
    with pytest.raises(ParameterError, match=r"data must be a CyclerData \(from metalair.io.read\) or a list of "
                                             r"them, got None \(NoneType\)"):
        fit_model(None, "NLRO", ["i0_dec_NaO2"])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"data must be a CyclerData .*got a dict"):
        fit_model({"a": 1}, "NLRO", ["i0_dec_NaO2"])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"params must name LumpedParameters fields, as a list of str or one "
                                             r"comma-separated str .*got 5 \(int\)"):
        fit_model(d, "NLRO", 5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"initial must be a dict of parameter name -> value.*got 5 \(int\)"):
        fit_model(d, "NLRO", ["i0_dec_NaO2"], initial=5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"bounds must be a dict.*got \[1, 2\] \(list\)"):
        fit_model(d, "NLRO", ["i0_dec_NaO2"], bounds=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"log_params must be parameter names .*got 5 \(int\)"):
        fit_model(d, "NLRO", ["i0_dec_NaO2"], log_params=5)  # type: ignore[arg-type]


def test_bounds_of_a_log_parameter_must_be_positive():
    d = _record()
    base = DEFAULT_PARAMETERS.i0_dec_NaO2  # the hint spans the shipped value x 10^+-2
    hint = re.escape(f"({base / 100:.3g}, {base * 100:.3g})")
    with pytest.raises(ParameterError, match=r"bounds\['i0_dec_NaO2'\] = \(-1, 1\): i0_dec_NaO2 is fitted in log10 "
                                             r"space, so both bounds must be positive; give e\.g\. " + hint):
        fit_model(d, "NLRO", ["i0_dec_NaO2"], bounds={"i0_dec_NaO2": (-1.0, 1.0)})
    with pytest.raises(ParameterError, match=r"bounds\['i0_dec_NaO2'\] = \(0, 1\): .*both bounds must be positive"):
        fit_model(d, "NLRO", ["i0_dec_NaO2"], bounds={"i0_dec_NaO2": (0.0, 1.0)})


@pytest.mark.filterwarnings("ignore::metalair.io.DataQualityWarning")  # records stored out of order, sorted
def test_a_fit_that_never_left_its_start_is_not_converged(tmp_path):
    """Arbin .res (a Li-ion cell, charged first): the NLRO model at 1 mg stops its charge at 99 of 484 mAh/g and
    its discharge at 99 of 475 mAh/g.

    The optimiser sees no slope and stops where it started (gtol); before the fix this said
    "converged", success true, with RMSE 1330 mV (then with the record's discharge simulated before its
    charge, the order protocol_from_data used before it kept the record's; now RMSE 1053 mV).
    """
    pytest.importorskip("access_parser")
    path = data_getter(tmp_path, SHA)(ARBIN)
    fit = fit_model(read(path), "NLRO", ["i0_dec_NaO2"], mass_g=0.001)
    assert not fit.success
    assert fit.values["i0_dec_NaO2"] == pytest.approx(fit.initial["i0_dec_NaO2"])
    assert fit.message.startswith("the parameters did not move from their starting values; the model cannot "
                                  "reach the data (model capacity 98.88 of 483.5 mAh/g in cycle 1 charge, 98.64 of "
                                  "475.2 mAh/g in cycle 1 discharge)")
    assert "RMSE 1053 mV" in fit.message
    assert "check the catalyst mass (the command line takes mg), the sign of the current" in fit.message
    assert "NOT CONVERGED" in fit.table()
    res = runner.invoke(app, ["fit", str(path), "-p", "i0_dec_NaO2", "--mass-mg", "1", "--out",
                              str(tmp_path / "out"), "--no-plot", "--no-progress"])
    assert res.exit_code == 2, res.output
    assert "error: the fit did not converge: the parameters did not move from their starting values" in res.output
    assert "Traceback" not in res.output
    assert json.loads((tmp_path / "out" / "fit.json").read_text())["success"] is False


def test_cycles_asked_for_but_not_in_the_data_are_refused():
    """`--cycles 3,4` on a 3-cycle record fitted cycle 3 alone and reported it as the fit asked for."""
    with pytest.raises(ParameterError, match=r"cycle\(s\) \[2\] of \[1, 2\] are not in the data \(cycles in the "
                                             r"data: 1\.\.1\); choose cycles that are there"):
        fit_model(_record(), "NLRO", ["i0_form_NaO2"], cycles=[1, 2])


def test_a_mass_read_as_grams_is_named_with_the_current_it_implies():
    with pytest.raises(ParameterError, match=r"the mean current is 1e\+06 mA/g with mass_g = 1e-06 g, above the "
                                             r"100000 mA/g any cell can carry"):
        fit_model(_record(), "NLRO", ["i0_form_NaO2"], mass_g=1e-6)


def test_values_the_data_do_not_fix_are_named():
    """A recovery audit: on capacity-limited cycles an exchange current's interval spanned 7 decades and a
    blocking fraction's went from -10.7 to 10.8, reported as converged with no word; a collinear pair (r =
    0.998) had narrow intervals each. The fit now says which values the data do not fix."""
    from types import SimpleNamespace

    from metalair.analysis.fitting import _identifiability_notes

    specs = [SimpleNamespace(name="i0_dec_Na2O2", log=True, lo=1e-20, hi=1e-8),
             SimpleNamespace(name="solution_blocking", log=False, lo=1e-4, hi=0.5),
             SimpleNamespace(name="i0_form_NaO2", log=True, lo=1e-4, hi=10.0)]
    ci = {"i0_dec_Na2O2": (8.9e-14, 1.19e-11), "solution_blocking": (-10.74, 10.75), "i0_form_NaO2": (0.098, 0.1)}
    corr = np.array([[1.0, 0.1, 0.0], [0.1, 1.0, 0.998], [0.0, 0.998, 1.0]])
    notes = _identifiability_notes(specs, ci, corr, singular=False)
    assert notes[0].startswith("not identified by these data: i0_dec_Na2O2 (interval spans 2.1 decades); "
                               "solution_blocking (interval -10.7 to 10.8 reaches past its bounds 0.0001 to 0.5)")
    assert "i0_form_NaO2 (" not in notes[0]
    assert notes[1].startswith("solution_blocking and i0_form_NaO2 are strongly correlated (r = +0.998)")
    underflow = {**ci, "i0_dec_Na2O2": (0.0, 1e-10)}  # 10**(z - q se) below the smallest float
    assert "i0_dec_Na2O2 (interval reaches 0)" in _identifiability_notes(specs, underflow, corr, singular=False)[0]
    tight = {"i0_dec_Na2O2": (3.0e-14, 3.2e-14), "solution_blocking": (0.0122, 0.0123), "i0_form_NaO2": (0.098, 0.1)}
    assert _identifiability_notes(specs, tight, np.eye(3), singular=False) == []
