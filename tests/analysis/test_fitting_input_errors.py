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
    """Arbin .res (a Li-ion cell): the NLRO model at 1 mg stops its discharge at once (2.4e-9 of 475 mAh/g).

    The optimiser sees no slope and stops where it started (gtol); before the fix this said
    "converged", success true, with RMSE 1330 mV.
    """
    pytest.importorskip("access_parser")
    path = data_getter(tmp_path, SHA)(ARBIN)
    fit = fit_model(read(path), "NLRO", ["i0_dec_NaO2"], mass_g=0.001)
    assert not fit.success
    assert fit.values["i0_dec_NaO2"] == pytest.approx(fit.initial["i0_dec_NaO2"])
    assert fit.message.startswith("the parameters did not move from their starting values; the model cannot "
                                  "reach the data (model capacity 2.404e-09 of 475.2 mAh/g in cycle 1 discharge")
    assert "RMSE 1330 mV" in fit.message
    assert "NOT CONVERGED" in fit.table()
    res = runner.invoke(app, ["fit", str(path), "-p", "i0_dec_NaO2", "--mass-mg", "1", "--out",
                              str(tmp_path / "out"), "--no-plot", "--no-progress"])
    assert res.exit_code == 2, res.output
    assert "error: the fit did not converge: the parameters did not move from their starting values" in res.output
    assert "Traceback" not in res.output
    assert json.loads((tmp_path / "out" / "fit.json").read_text())["success"] is False
