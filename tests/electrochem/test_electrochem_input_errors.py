"""Bad input to the DEMS and impedance analyses and to the ``dems`` and ``eis`` commands."""

from __future__ import annotations

import numpy as np
import pytest
from electrochem_data import synthetic_dems
from typer.testing import CliRunner

from metalair.analysis.dems import dems_steps
from metalair.cli.app import app
from metalair.errors import DataFormatError, ParameterError
from metalair.io.dems import read_current_record
from metalair.io.impedance import MultipleSpectraError, read_impedance
from metalair.tables.dems import CurrentRecord

runner = CliRunner()


def _dems_files(tmp_path, current_sign=1.0):
    """The synthetic DEMS record as CSV files; ``current_sign=-1`` writes the current charge-positive."""
    cur, gas = synthetic_dems()
    pc, pg = tmp_path / "cur.csv", tmp_path / "gas.csv"
    pc.write_text("time (s),I (mA)\n" + "\n".join(
        f"{t},{current_sign * 1e3 * i}" for t, i in zip(cur.time_s, cur.current_A)) + "\n")
    pg.write_text("Time (s),O2 (nmol/s),CO2 (nmol/s)\n" + "\n".join(
        f"{t},{1e9 * a},{1e9 * b}" for t, a, b in zip(gas.time_s, gas.fluxes["O2"], gas.fluxes["CO2"])) + "\n")
    return pc, pg


# --------------------------------------------------------------------------- DEMS
def test_o2_against_the_current_is_a_sign_convention_error():
    cur, gas = synthetic_dems()
    flipped = CurrentRecord(cur.time_s, -cur.current_A)
    for offset in ("auto", 45.0):
        with pytest.raises(ParameterError, match=r"the O2 flux runs against the current in every step: step 1 "
                                                 r"\(charge\) consumes .* mol O2 instead of evolving it; step 2 "
                                                 r"\(discharge\) evolves .* mol O2 instead of consuming it\..*"
                                                 r"read it with discharge_sign=-1 \(on the command line: "
                                                 r"--charge-positive\)"):
            dems_steps(flipped, gas, time_offset_s=offset, tail_s=300.0)
    steps, _ = dems_steps(cur, gas, time_offset_s="auto", tail_s=300.0)  # the right sign still works
    assert all(abs(s.e_per_o2 - 2.0) < 0.1 for s in steps)


def test_dems_cli_suggests_charge_positive_for_the_other_convention(tmp_path):
    pc, pg = _dems_files(tmp_path, current_sign=-1.0)
    res = runner.invoke(app, ["dems", "--current", str(pc), "--gas", str(pg), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    assert "error: the O2 flux runs against the current in every step" in res.output
    assert "(on the command line: --charge-positive)" in res.output
    assert "the automatic gas delay (300 s) sits at the edge of its 0-300 s search" in res.output
    assert "Traceback" not in res.output
    ok = runner.invoke(app, ["dems", "--current", str(pc), "--gas", str(pg), "--charge-positive",
                             "--out", str(tmp_path / "o")])
    assert ok.exit_code == 0, ok.output
    # the other way round: --charge-positive given for a discharge-positive file
    pc, pg = _dems_files(tmp_path, current_sign=1.0)
    assert read_current_record(pc, discharge_sign=-1).metadata["discharge_sign"] == -1
    res = runner.invoke(app, ["dems", "--current", str(pc), "--gas", str(pg), "--charge-positive",
                              "--out", str(tmp_path / "o"), "--overwrite"])
    assert res.exit_code == 1 and "leave out --charge-positive" in res.output
    assert (tmp_path / "o" / "manifest.json").is_file()  # the failed --overwrite kept the earlier good run


@pytest.mark.parametrize("value", [-0.5, float("nan"), 1.5])
def test_calibration_uncertainty_must_be_a_relative_uncertainty(value):
    cur, gas = synthetic_dems()
    with pytest.raises(ParameterError, match=r"calibration_uncertainty = .* must be a relative standard "
                                             r"uncertainty, a number from 0 to below 1"):
        dems_steps(cur, gas, time_offset_s=45.0, calibration_uncertainty=value)
    with pytest.raises(ParameterError, match=r"current_uncertainty = .* must be a relative standard uncertainty"):
        dems_steps(cur, gas, time_offset_s=45.0, current_uncertainty=value)


@pytest.mark.parametrize(("option", "message"), [
    (["--calibration-uncertainty", "-0.5"], "--calibration-uncertainty -0.5 must be a relative standard uncertainty"),
    (["--calibration-uncertainty", "nan"], "--calibration-uncertainty nan must be a relative standard uncertainty"),
    (["--tail", "-1"], "--tail -1: give a number of seconds >= 0, or 'next'"),
    (["--offset", "nan"], "--offset 'nan': give a finite number of seconds or 'auto'"),
])
def test_dems_cli_refuses_bad_options(tmp_path, option, message):
    pc, pg = _dems_files(tmp_path)
    res = runner.invoke(app, ["dems", "--current", str(pc), "--gas", str(pg), "--out", str(tmp_path / "o"), *option])
    assert res.exit_code == 1, res.output
    assert f"error: {message}" in res.output


# --------------------------------------------------------------------------- impedance
def _spectrum(tmp_path, bad_frequency=None, name="z.csv"):
    f = np.logspace(4, -1, 30)
    if bad_frequency is not None:
        f[12] = bad_frequency
    p = tmp_path / name
    p.write_text("f (Hz),Zreal (Ohm),Zimag (Ohm)\n" + "\n".join(
        f"{a},{10 + 5 / (1 + (a / 10) ** 2)},{-5 * (a / 10) / (1 + (a / 10) ** 2) - 0.01}" for a in f) + "\n")
    return p


@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_zero_or_negative_frequency_is_named_not_a_split_into_sweeps(tmp_path, bad):
    p = _spectrum(tmp_path, bad)
    with pytest.raises(DataFormatError, match=rf"z.csv: 1 frequencies are zero or negative \(e\.g\. {bad:g} Hz at "
                                              r"point 12"):
        read_impedance(p)
    res = runner.invoke(app, ["eis", str(p), "--out", str(tmp_path / "o"), "--no-drt", "--no-kk"])
    assert res.exit_code == 1
    assert "zero or negative" in res.output and "spectra" not in res.output


def test_eis_cli_says_what_to_do_with_several_spectra(tmp_path):
    f = np.logspace(3, -1, 9)
    p = tmp_path / "two.csv"
    p.write_text("f (Hz),Zreal (Ohm),Zimag (Ohm)\n" + "\n".join(
        f"{a},{10 + k},{-1 - a / 1e3}" for k in (0, 5) for a in f))
    with pytest.raises(MultipleSpectraError) as info:
        read_impedance(p)
    assert info.value.sizes == (9, 9) and info.value.file_name == "two.csv"
    res = runner.invoke(app, ["eis", str(p), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert ("error: two.csv: the file holds 2 spectra (9, 9 points) and 'metalair eis' analyses one spectrum per "
            "file: export each sweep (EC-Lab: each cycle) to a file of its own, or pick one in Python with "
            "metalair.io.impedance.read_impedance(path, sweep=N), N = 1..2") in res.output
    assert "sweep=1..2" not in res.output  # the keyword the command line has no option for


def test_eis_cli_checks_the_weighting_without_a_circuit(tmp_path):
    p = _spectrum(tmp_path)
    res = runner.invoke(app, ["eis", str(p), "--out", str(tmp_path / "o"), "--weighting", "foo", "--no-drt"])
    assert res.exit_code == 1
    assert "error: --weighting 'foo' is not one of unit, modulus, proportional" in res.output


def test_analysis_functions_name_the_object_they_need_instead_of_an_attribute_error():
    """A tuple of arrays gave "AttributeError: 'tuple' object has no attribute 'impedance'" (or a wrong count)."""
    from metalair.analysis.impedance import drt, fit_circuit
    from metalair.analysis.voltammetry import analyze_cv
    from metalair.errors import ParameterError
    from metalair.tables.dems import GasFluxRecord
    from metalair.tables.impedance import ImpedanceSpectrum

    f = np.logspace(-1, 5, 30)
    z = 10 + 100 / (1 + 1j * 2 * np.pi * f * 100 * 1e-5)
    with pytest.raises(ParameterError, match=r"spectrum must be an ImpedanceSpectrum, got tuple: read one with"):
        fit_circuit((f, z), "R0-p(R1,C1)")
    with pytest.raises(ParameterError, match=r"spectrum must be an ImpedanceSpectrum, got tuple"):
        drt((f, z))
    with pytest.raises(ParameterError, match=r"voltammogram must be a Voltammogram, got tuple"):
        analyze_cv((np.linspace(2, 4, 10), np.ones(10)))
    spec = ImpedanceSpectrum.from_arrays(f, z)
    with pytest.raises(ParameterError, match=r"initial\['R0'\] = '10 ohm' must be a finite number"):
        fit_circuit(spec, "R0-p(R1,C1)", initial={"R0": "10 ohm"})
    assert len(spec.select(f_min_Hz="1 kHz")) == len(spec.select(f_min_Hz=1000.0))
    with pytest.raises(Exception, match=r"flux has shape \(30, 2\); give one value per time"):
        GasFluxRecord(np.arange(30.0), {"O2": np.ones((30, 2))})


@pytest.mark.parametrize(("rows", "message"), [
    # one frequency repeated 30 times: passed Lin-KK and gave a DRT with a tau window of one point
    ([(100.0, 5.0 + k * 0.01, -1.0) for k in range(30)],
     "a DRT needs at least 5 distinct frequencies; the spectrum has 1 (30 points, the frequencies repeated)"),
    # every impedance zero: an SVD failure inside the DRT, and a half-written results folder
    ([(10.0 ** (3 - k / 3), 0.0, 0.0) for k in range(12)], "every impedance value is zero"),
])
def test_eis_refuses_a_spectrum_no_analysis_can_use_before_writing_anything(tmp_path, rows, message):
    from metalair.analysis.impedance.kramers_kronig import lin_kk
    from metalair.analysis.impedance.relaxation_times import drt

    p = tmp_path / "bad.csv"
    p.write_text("f (Hz),Zreal (Ohm),Zimag (Ohm)\n" + "\n".join(f"{f},{a},{b}" for f, a, b in rows) + "\n")
    res = runner.invoke(app, ["eis", str(p), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and f"error: bad.csv: {message}" in " ".join(res.output.split())
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").glob("bad_*"))
    spectrum = read_impedance(p)
    for analysis in (lin_kk, drt):
        with pytest.raises(DataFormatError, match="distinct frequencies|every impedance value is zero"):
            analysis(spectrum)


def test_cv_refuses_a_constant_current_record_and_sends_an_impedance_file_to_eis(tmp_path):
    # a galvanostatic record was "analysed" as a CV: cycles 1, 2, 3, no peak, exit 0
    p = tmp_path / "gcd.csv"
    rows = [(60 * k, 3.0 - 0.01 * (k % 50) if (k // 50) % 2 == 0 else 2.5 + 0.01 * (k % 50), -0.1 if (k // 50) % 2 == 0
             else 0.1) for k in range(300)]
    p.write_text("Time (s),Ecell/V,I/mA\n" + "\n".join(f"{t},{e},{i}" for t, e, i in rows) + "\n")
    res = runner.invoke(app, ["cv", str(p), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "gcd.csv: the current takes only 2 values over 300 points, as in constant-current cycling" in \
        " ".join(res.output.split()) and "'metalair analyze'" in res.output


@pytest.mark.parametrize(("circuit", "message"), [
    # fitted an ideal capacitor labelled 'pe1', and a semi-infinite Warburg labelled 'O1', without a word
    ("R0-p(R1,Cpe1)", "'Cpe1' reads as 'C' labelled 'pe1'; element types are case-sensitive: write 'CPE1' for a CPE"),
    ("R0-WO1", "'WO1' reads as 'W' labelled 'O1'; element types are case-sensitive: write 'Wo1' for a Wo"),
])
def test_an_element_type_in_the_wrong_case_is_refused(circuit, message):
    from metalair.analysis.impedance.circuits import parse_circuit

    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_circuit(circuit)
    assert [e.label for e in parse_circuit("R0-p(Rct,Cdl)-W_so").elements] == ["R0", "Rct", "Cdl", "W_so"]


def test_a_spectrum_inductive_at_every_point_is_flagged_as_a_likely_sign_flip():
    # -Z'' stored as Z'': fitted R1 = 86 against 100 and a DRT with peaks, no word of warning
    from metalair.tables.impedance import ImpedanceSpectrum

    f = np.logspace(4, -1, 30)
    z = 10 + 100 / (1 + 1j * 2 * np.pi * f * 1e-3)
    flipped = ImpedanceSpectrum.from_arrays(f, np.conj(z))
    assert any("is -Z'' stored as Z''?" in w for w in flipped.metadata["warnings"])
    assert not any("inductive" in w for w in ImpedanceSpectrum.from_arrays(f, z).metadata["warnings"])


def test_a_voltammogram_in_ma_or_ma_per_g_is_converted_not_refused():
    # current_unit='mA' was refused ("not one of A, A/kg, A/m²")
    from metalair.tables.voltammetry import Voltammogram

    e = np.linspace(2.0, 4.0, 10)
    i = np.sin(e)
    for unit, base, factor in (("mA", "A", 1e-3), ("mA/g", "A/kg", 1.0), ("mA/cm2", "A/m²", 10.0)):
        v = Voltammogram(e, i, current_unit=unit)
        assert v.current_unit == base and np.allclose(v.current, factor * i)
    with pytest.raises(ParameterError, match="current unit 'V' is not a current"):
        Voltammogram(e, i, current_unit="V")


def test_lin_kk_settings_of_the_wrong_kind_are_named():
    # c='0.85' was "'<' not supported between 'int' and 'str'"; inductance='no' "invalid literal for int()"
    from metalair.analysis.impedance.kramers_kronig import lin_kk
    from metalair.tables.impedance import ImpedanceSpectrum

    f = np.logspace(4, -1, 30)
    spectrum = ImpedanceSpectrum.from_arrays(f, 10 + 100 / (1 + 1j * 2 * np.pi * f * 1e-3))
    for kwargs, message in ((dict(c="0.85"), r"c = '0.85' must be a number in \(0, 1\)"),
                            (dict(inductance="no"), "inductance = 'no' must be True or False"),
                            (dict(max_elements=2.5), "max_elements = 2.5 must be a whole number")):
        with pytest.raises(ParameterError, match=message):
            lin_kk(spectrum, **kwargs)
    assert lin_kk(spectrum, c=0.85).verdict


def test_drt_and_circuit_fit_settings_out_of_range_are_refused():
    # peak_prominence=-1 or 2 and n_starts=0 ran without a word
    from metalair.analysis.impedance.fitting import fit_circuit
    from metalair.analysis.impedance.relaxation_times import drt
    from metalair.tables.impedance import ImpedanceSpectrum

    f = np.logspace(4, -1, 30)
    spectrum = ImpedanceSpectrum.from_arrays(f, 10 + 100 / (1 + 1j * 2 * np.pi * f * 1e-3))
    for bad in (-1, 2):
        with pytest.raises(ParameterError, match=rf"peak_prominence = {bad} must be a fraction"):
            drt(spectrum, peak_prominence=bad)
    with pytest.raises(ParameterError, match="n_starts = 0 must be a whole number >= 1"):
        fit_circuit(spectrum, "R0-p(R1,C1)", n_starts=0)


@pytest.mark.parametrize(("circuit", "kwargs", "message"), [
    ("R0-p(R1,C1)", {"fixed": {"R0": -5.0}}, r"fixed\['R0'\] = -5 Ω is negative; a resistance of a passive element"),
    ("R0-p(R1,CPE1)", {"fixed": {"CPE1.alpha": 1.5}}, r"CPE exponent and must lie in \[0, 1\]"),
    ("R0-p(R1,C1)", {"fixed": {"C1": 0.0}}, r"fixed\['C1'\] = 0 F: a capacitance or CPE coefficient must be > 0"),
    ("R0-p(R1,C1)", {"bounds": {"R1": (10.0, 1.0)}}, r"bounds\['R1'\] = \(10, 1\): the lower bound exceeds"),
])
def test_a_held_value_or_bound_the_circuit_cannot_have_is_refused(circuit, kwargs, message):
    """A negative resistance held fixed fitted a different circuit without a word (chi2 1.9 either way)."""
    from metalair.analysis.impedance.fitting import fit_circuit
    from metalair.tables.impedance import ImpedanceSpectrum

    f = np.logspace(4, -1, 30)
    spectrum = ImpedanceSpectrum.from_arrays(f, 10 + 100 / (1 + 1j * 2 * np.pi * f * 1e-3))
    with pytest.raises(ParameterError, match=message):
        fit_circuit(spectrum, circuit, **kwargs)
    fit_circuit(spectrum, "R0-p(R1,C1)", fixed={"R0": 0.0})  # a short is a circuit
