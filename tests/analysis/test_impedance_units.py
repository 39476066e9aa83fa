"""Units of fitted circuit parameters and DRT peaks for area-specific spectra.

A spectrum in Ω·m² (what the readers make of a file in Ω·cm²) gives
parameters in per-area units: R in Ω·m², C in F/m², a CPE coefficient in
F·s^(α-1)/m², a Warburg coefficient in Ω·m²·s^-1/2, L in H·m²; τ stays in s.
The numbers were always right; these tests pin the labels in
:meth:`CircuitFit.table`, :meth:`CircuitFit.as_dict`, the DRT peak table and
the files ``metalair eis`` writes.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.analysis.impedance.circuits import Circuit
from metalair.analysis.impedance.fitting import fit_circuit, parameter_unit
from metalair.analysis.impedance.relaxation_times import drt
from metalair.cli.app import app
from metalair.errors import ParameterError
from metalair.tables.impedance import ImpedanceSpectrum
from metalair.units import convert

F = np.logspace(6, -2, 50)
CIRCUIT = "R0-p(R1,CPE1)-W1"
#: R0 = 10 Ω·cm², R1 = 100 Ω·cm², Q = 1e-5 F s^(α-1) cm⁻², α = 0.85, σ = 20 Ω·cm² s^-1/2, in SI per m²
TRUE_SI = {"R0": 1e-3, "R1": 1e-2, "CPE1.Q": 0.1, "CPE1.alpha": 0.85, "W1": 2e-3}
UNITS_M2 = {"R0": "Ω·m²", "R1": "Ω·m²", "CPE1.Q": "F·s^(α-1)/m²", "CPE1.alpha": "-", "W1": "Ω·m²·s^-1/2"}
UNITS_OHM = {"R0": "Ω", "R1": "Ω", "CPE1.Q": "F·s^(α-1)", "CPE1.alpha": "-", "W1": "Ω·s^-1/2"}


def spectrum(unit: str, circuit: str = CIRCUIT, params: dict[str, float] | None = None) -> ImpedanceSpectrum:
    return ImpedanceSpectrum.from_arrays(F, Circuit(circuit).impedance(F, params or TRUE_SI), unit=unit)


def table_units(table: str) -> dict[str, str]:
    """Parameter -> unit (last field) of the rows of a :meth:`CircuitFit.table`."""
    rows = table.splitlines()[2:]
    return {r.split()[0]: r.split()[-1] for r in rows if not r.startswith(("chi2", "at a bound"))}


@pytest.mark.parametrize(("kind", "unit", "expected"), [
    ("R", "Ω", "Ω"), ("C", "Ω", "F"), ("L", "Ω", "H"), ("Q", "Ω", "F·s^(α-1)"), ("sigma", "Ω", "Ω·s^-1/2"),
    ("R", "Ω·m²", "Ω·m²"), ("C", "Ω·m²", "F/m²"), ("L", "Ω·m²", "H·m²"), ("Q", "Ω·m²", "F·s^(α-1)/m²"),
    ("sigma", "Ω·m²", "Ω·m²·s^-1/2"), ("tau", "Ω·m²", "s"), ("alpha", "Ω·m²", "-"),
    ("C", "Ω·cm²", "F/cm²"), ("sigma", "Ω·cm²", "Ω·cm²·s^-1/2"), ("R", "Ω·kg", "Ω·kg"), ("C", "Ω·kg", "F/kg"),
])
def test_parameter_unit_follows_the_impedance_unit(kind, unit, expected):
    assert parameter_unit(kind, unit) == expected


def test_parameter_unit_refuses_unknown_kinds_and_units():
    with pytest.raises(ParameterError, match="'Z'.*one of"):
        parameter_unit("Z", "Ω")
    with pytest.raises(ParameterError, match="'kΩ' is not one of"):
        parameter_unit("R", "kΩ")


def test_area_specific_fit_labels_parameters_per_area():
    fit = fit_circuit(spectrum("Ω·m²"), CIRCUIT)
    for name, value in TRUE_SI.items():
        assert fit[name] == pytest.approx(value, rel=1e-6)
    assert fit.units == UNITS_M2
    assert table_units(fit.table()) == UNITS_M2
    d = fit.as_dict()
    assert d["units"] == UNITS_M2 and d["impedance_unit"] == "Ω·m²"
    assert json.loads(json.dumps(d))["units"]["CPE1.Q"] == "F·s^(α-1)/m²"


def test_fixed_parameters_and_other_elements_are_labelled_too():
    circuit = "L0-R0-p(R1,C1)-Ws1"
    params = {"L0": 1e-9, "R0": 1e-3, "R1": 1e-2, "C1": 0.1, "Ws1.R": 5e-3, "Ws1.tau": 10.0}
    fit = fit_circuit(spectrum("Ω·m²", circuit, params), circuit, fixed={"L0": 1e-9}, n_starts=2)
    expected = {"L0": "H·m²", "R0": "Ω·m²", "R1": "Ω·m²", "C1": "F/m²", "Ws1.R": "Ω·m²", "Ws1.tau": "s"}
    assert table_units(fit.table()) == expected
    assert fit.as_dict()["units"] == expected


def test_spectrum_in_ohm_keeps_plain_units():
    fit = fit_circuit(spectrum("Ω"), CIRCUIT)
    assert fit.units == UNITS_OHM == Circuit(CIRCUIT).param_units
    assert table_units(fit.table()) == UNITS_OHM


def test_drt_peak_table_capacitance_follows_the_impedance_unit():
    params = {"R0": 1e-3, "R1": 1e-2, "C1": 0.1}
    area = drt(spectrum("Ω·m²", "R0-p(R1,C1)", params))
    header, *_rows, last = area.peak_table().splitlines()
    assert header.split() == ["tau", "[s]", "f", "[Hz]", "R", "[Ω·m²]", "C", "[F/m²]"]
    assert "H·m²" in last and " H," not in last
    assert area.peaks[0].capacitance == pytest.approx(0.1, rel=0.06)  # τ/R = 1e-3 s / 1e-2 Ω·m²
    units = area.as_dict()["units"]
    assert units["capacitance"] == "F/m²" and units["inductance_H"] == "H·m²" and units["resistance"] == "Ω·m²"
    plain = drt(spectrum("Ω", "R0-p(R1,C1)", params))
    assert plain.peak_table().splitlines()[0].split()[-2:] == ["C", "[F]"]
    assert plain.as_dict()["units"]["capacitance"] == "F"


def test_eis_command_on_an_ohm_cm2_file_labels_per_area(tmp_path):
    """A file in Ω·cm² is analysed in Ω·cm² (the unit it and metalair's own simulated spectra are written in)."""
    z_cm2 = convert(Circuit(CIRCUIT).impedance(F, TRUE_SI), "Ω m²", "Ω·cm²")  # R0 = 10 Ω·cm² ...
    src = tmp_path / "eis_ohmcm2.csv"
    src.write_text("Freq (Hz),Z' (Ohm.cm2),Z'' (Ohm.cm2)\n"
                   + "".join(f"{f:.10g},{z.real:.10g},{z.imag:.10g}\n" for f, z in zip(F, z_cm2)), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eis", str(src), "-c", CIRCUIT, "--no-kk", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    units_cm2 = {k: v.replace("m²", "cm²") for k, v in UNITS_M2.items()}
    rows = {ln.split()[0]: ln.split() for ln in lines if ln.split() and ln.split()[0] in TRUE_SI}
    assert {name: row[-1] for name, row in rows.items()} == units_cm2
    assert float(rows["R0"][1]) == pytest.approx(10.0, rel=1e-4)  # 1e-3 Ω·m²
    assert float(rows["CPE1.Q"][1]) == pytest.approx(1e-5, rel=1e-4)  # 0.1 F·s^(α-1)/m²
    assert any(ln.split()[-2:] == ["C", "[F/cm²]"] for ln in lines)
    assert "C [F]" not in result.output
    fit_json = json.loads((out / "eis_ohmcm2_fit.json").read_text(encoding="utf-8"))
    assert fit_json["units"] == units_cm2 and fit_json["impedance_unit"] == "Ω·cm²"
    drt_json = json.loads((out / "eis_ohmcm2_drt.json").read_text(encoding="utf-8"))
    assert drt_json["units"]["capacitance"] == "F/cm²"


def test_lin_kk_summary_names_its_units():
    from metalair.analysis.impedance.kramers_kronig import lin_kk

    area = lin_kk(spectrum("Ω·m²")).as_dict()["units"]
    assert area == {"series_resistance": "Ω·m²", "inductance_H": "H·m²", "inverse_capacitance_per_F": "1/(F/m²)"}
    plain = lin_kk(spectrum("Ω")).as_dict()["units"]
    assert plain == {"series_resistance": "Ω", "inductance_H": "H", "inverse_capacitance_per_F": "1/F"}
