"""Audit 2 of the impedance tools: a transposed 'CPE' in a circuit string is refused, not read as a capacitor."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.analysis.impedance.circuits import parse_circuit
from metalair.cli.app import app
from metalair.errors import ParameterError


@pytest.mark.parametrize("text", ["R0-p(R1,CEP1)", "R0-p(R1,Cep)", "R0-p(R1,CEP_dl)"])
def test_a_transposed_cpe_is_refused_not_fitted_as_a_capacitor(text):
    """'R0-p(R1,CEP1)' was read as R0-p(R1,C) with a capacitor labelled 'CEP1': a fit of the wrong circuit (an
    ideal RC instead of an R-CPE) with parameters in F, no warning."""
    with pytest.raises(ParameterError, match=r"looks like a misspelt constant-phase element: write 'CPE"):
        parse_circuit(text)


def test_the_escape_and_real_capacitor_labels_still_parse():
    assert parse_circuit("R0-p(R1,C_EP1)").param_names == ("R0", "R1", "C_EP1")
    assert parse_circuit("R0-p(Rct,Cdl)").param_names == ("R0", "Rct", "Cdl")
    assert parse_circuit("R0-p(R1,CPE1)").param_names == ("R0", "R1", "CPE1.Q", "CPE1.alpha")


def test_eis_refuses_the_transposed_cpe_before_reading_the_file(tmp_path):
    f = np.logspace(5, -2, 30)
    z = parse_circuit("R0-p(R1,CPE1)").impedance(f, {"R0": 10.0, "R1": 50.0, "CPE1.Q": 1e-4, "CPE1.alpha": 0.85})
    path = tmp_path / "s.csv"
    path.write_text("Frequency [Hz],Z' [Ω],Z'' [Ω]\n" + "".join(f"{a!r},{b.real!r},{b.imag!r}\n" for a, b in zip(f, z)))
    res = CliRunner().invoke(app, ["eis", str(path), "--circuit", "R0-p(R1,CEP1)", "--out", str(tmp_path / "o"),
                                   "--no-plot", "--no-drt", "--no-kk"])
    assert res.exit_code != 0
    assert "misspelt constant-phase element" in res.output
    assert not (tmp_path / "o" / "s_fit.json").exists()
