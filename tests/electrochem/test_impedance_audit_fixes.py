"""Fixes from an audit of the impedance tools: the model spectrum's operating point after a hold, its
high-frequency intercept, rows out of frequency order, sign-flipped files, undetermined fits, the DRT band
and the repeated-frequency warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.analysis.impedance.circuits import parse_circuit
from metalair.analysis.impedance.fitting import fit_circuit
from metalair.analysis.impedance.kramers_kronig import lin_kk
from metalair.analysis.impedance.relaxation_times import drt
from metalair.cli.app import app
from metalair.io.checks import DataQualityWarning
from metalair.io.impedance import MultipleSpectraError, read_impedance
from metalair.tables.impedance import ImpedanceSpectrum
from metalair.workflows.impedance import OPEN_CIRCUIT_NOTE, model_spectrum, write_spectra

runner = CliRunner()

HOLD = "Discharge at 100 mA/g for 5000 mAh/g; Hold at 2.1 V for 10 min"
F = np.logspace(5, -1, 31)
LRQ = ("L1-R0-p(R1,CPE1)", {"L1": 2e-6, "R0": 10.0, "R1": 50.0, "CPE1.Q": 1e-4, "CPE1.alpha": 0.85})
Z = parse_circuit(LRQ[0]).impedance(F, LRQ[1])


def _csv(path, f, z, header="Frequency [Hz],Z' [Ω],Z'' [Ω]", imag_sign=1.0):
    path.write_text(header + "\n" + "\n".join(f"{float(a)!r},{float(b.real)!r},{float(imag_sign * b.imag)!r}"
                                              for a, b in zip(f, z)) + "\n")
    return path


# --------------------------------------------------------------------------- model spectrum after a hold
def test_after_a_hold_the_spectrum_is_taken_at_the_current_the_hold_ends_with():
    """After a hold the cell still carries 1413 mA/g; the spectrum was labelled 'at rest' and taken with the
    anode at 0 A (HF 35.69 Ω·cm²). Taken at that current (the potential balanced for it), it matches an explicit
    bias of that current: HF 34.23, Z(1 mHz) 319.6 Ω·cm²."""
    import metalair as ma

    res = model_spectrum("NLRO", HOLD, frequency_Hz=[1e6, 1e-3])
    s = res.spectra[0]
    hold_end = float(ma.simulate("NLRO", HOLD)["Current [mA/g]"][-1])  # 1413.06 mA/g
    assert s.metadata["bias_mA_g"] == pytest.approx(hold_end, rel=1e-6) and hold_end > 1000.0
    assert f"at {hold_end:.2f} mA/g, the DC current at the end of its last step (hold)" in res.labels[0]
    assert "at rest" not in res.labels[0]
    assert abs(s.impedance[0]) == pytest.approx(34.23, abs=0.01)
    assert abs(s.impedance[1]) == pytest.approx(319.6, abs=0.3)
    assert OPEN_CIRCUIT_NOTE not in res.notes
    explicit = model_spectrum("NLRO", HOLD, bias=f"{hold_end!r} mA/g", frequency_Hz=[1e6, 1e-3]).spectra[0]
    np.testing.assert_allclose(s.impedance, explicit.impedance, rtol=1e-4)


def test_a_zero_bias_after_a_hold_moves_the_state_to_open_circuit():
    """--bias 0mA/g after a hold was ignored (0 equalled the 0 the code assumed for a hold): Z(1 mHz) was
    318 Ω·cm² and Rct 282 instead of the open-circuit 130 and 94.6 (0.001 mA/g gives 130.3 and 94.57)."""
    res = model_spectrum("NLRO", HOLD, bias="0 mA/g", frequency_Hz=[1e6, 1e-3])
    s = res.spectra[0]
    assert abs(s.impedance[1]) == pytest.approx(130.3, rel=0.01)
    assert s.metadata["charge_transfer_resistance_ohm_cm2"] == pytest.approx(94.6, rel=0.01)
    assert s.metadata["bias_mA_g"] == 0.0
    assert res.labels[0].endswith("at open circuit")
    assert OPEN_CIRCUIT_NOTE in res.notes
    assert any(n.startswith("the bias 0 mA/g is not the current the protocol left the cell under (1413.06 mA/g)")
               for n in res.notes), res.notes


def test_the_high_frequency_intercept_is_said_to_be_r_ohm_plus_r_anode(tmp_path):
    res = model_spectrum("NLRO", "Discharge at 100 mA/g for 1000 mAh/g", frequency_Hz=[1e7, 1.0])
    m = res.spectra[0].metadata
    assert m["ohmic_resistance_ohm_cm2"] == pytest.approx(10.0)
    assert m["anode_resistance_ohm_cm2"] == pytest.approx(25.68, abs=0.01)
    assert m["high_frequency_intercept_ohm_cm2"] == pytest.approx(res.spectra[0].impedance[0].real, rel=1e-4)
    write_spectra(res, tmp_path, figures=False)
    note = [n for n in res.notes if n.startswith("the model's high-frequency intercept is R_ohm + R_anode")]
    assert len(note) == 1 and "10 + 25.68 = 35.68 Ω·cm²" in note[0]
    assert "not read the intercept, or a fitted series R0, as the electrolyte resistance" in note[0]
    write_spectra(res, tmp_path, figures=False)  # written again: said once
    assert len([n for n in res.notes if n.startswith("the model's high-frequency")]) == 1


# --------------------------------------------------------------------------- rows out of frequency order
@pytest.mark.parametrize("order", ["swap", "shuffle"])
def test_rows_out_of_frequency_order_are_one_spectrum_not_several(tmp_path, order):
    """Two swapped rows were refused as '3 spectra (4, 16, 11 points)', shuffled rows as 14 spectra."""
    o = np.arange(F.size)
    if order == "swap":
        o[[3, 20]] = o[[20, 3]]
    else:
        o = np.random.default_rng(0).permutation(F.size)
    p = _csv(tmp_path / "z.csv", F[o], Z[o])
    s = read_impedance(p)
    assert len(s) == F.size
    np.testing.assert_array_equal(s.frequency_Hz, F)
    np.testing.assert_allclose(s.impedance, Z)
    assert any("read as one spectrum whose rows are out of frequency order" in n for n in s.metadata["notes"])
    fit = fit_circuit(s, LRQ[0])
    assert fit["R1"] == pytest.approx(50.0, rel=1e-4) and fit.success
    res = runner.invoke(app, ["eis", str(p), "--out", str(tmp_path / "o"), "--no-plot", "--no-drt", "--no-kk"])
    assert res.exit_code == 0, res.output
    assert "31 points" in res.output


def test_repeated_sweeps_are_still_found(tmp_path):
    f2 = np.logspace(5, -1, 23)  # another grid: no frequency repeats, but the second sweep restarts at the top
    z2 = parse_circuit(LRQ[0]).impedance(f2, LRQ[1])
    p = _csv(tmp_path / "grids.csv", np.concatenate([F, f2]), np.concatenate([Z, z2]))
    with pytest.raises(MultipleSpectraError) as info:
        read_impedance(p)
    assert info.value.sizes == (31, 23)
    p = _csv(tmp_path / "aborted.csv", np.concatenate([F, F[:5]]), np.concatenate([Z, Z[:5]]))
    with pytest.raises(MultipleSpectraError) as info:
        read_impedance(p)
    assert info.value.sizes == (31, 5)


# --------------------------------------------------------------------------- -Z'' stored under a Z'' header
def test_a_sign_flipped_file_names_a_fix_the_command_line_can_apply(tmp_path):
    p = _csv(tmp_path / "flip.csv", F, Z, imag_sign=-1.0)
    with pytest.warns(DataQualityWarning, match=r"--imag-sign -1"):
        s = read_impedance(p)
    kk = lin_kk(s)
    assert not kk.passed
    assert any(n.startswith("28 of 31 points have a positive imaginary part") and "wrong sign" in n
               for n in kk.notes)
    assert not any("drift" in n for n in kk.notes)
    renamed = _csv(tmp_path / "renamed.csv", F, Z, header="Frequency [Hz],Z' [Ω],-Z'' [Ω]", imag_sign=-1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(read_impedance(renamed).impedance, Z)


def test_eis_imag_sign_option_reads_a_sign_flipped_file(tmp_path):
    from typer.testing import CliRunner

    from metalair.cli.app import app

    p = _csv(tmp_path / "flip.csv", F, Z, imag_sign=-1.0)
    res = CliRunner().invoke(app, ["eis", str(p), "-c", "R0-p(R1,CPE1)", "--imag-sign", "-1", "--no-plot",
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "POOR FIT" not in res.output and "wrong sign" not in res.output
    bad = CliRunner().invoke(app, ["eis", str(p), "--imag-sign", "2", "--out", str(tmp_path / "o2")])
    assert bad.exit_code != 0 and "--imag-sign 2: give -1" in bad.output


# --------------------------------------------------------------------------- undetermined fits
def test_a_fit_whose_parameters_are_undetermined_is_not_a_success(tmp_path):
    """2 points, 3 parameters: NaN standard errors, yet "success": true, "poor_fit": false and no note."""
    s = ImpedanceSpectrum.from_arrays(F[:2], Z[:2])
    fit = fit_circuit(s, "R0-p(R1,C1)")
    assert fit.undetermined and not fit.success
    assert fit.quality_note.startswith("undetermined parameters: the data do not determine ")
    assert "2 frequencies are fewer than the 3 fitted parameters" in fit.quality_note
    d = fit.as_dict()
    assert d["success"] is False and d["undetermined"] == list(fit.undetermined)
    assert "UNDETERMINED" in fit.table().splitlines()[0]
    good = fit_circuit(ImpedanceSpectrum.from_arrays(F, Z), LRQ[0])
    assert good.undetermined == () and good.success and good.quality_note == ""


# --------------------------------------------------------------------------- DRT band and R_inf
def test_the_drt_band_says_it_is_the_band_of_the_regularised_estimate():
    s = ImpedanceSpectrum.from_arrays(F, Z)
    r = drt(s, credible_band=True)
    assert any("excludes the smoothing bias" in n and "not a 95 % interval of the true gamma" in n
               for n in r.notes)
    band = r.as_dict()["band"]
    assert band["includes_smoothing_bias"] is False and "regularised estimate" in band["of"]
    assert drt(s).as_dict()["band"] is None
    assert "(biased low: take the series resistance from a circuit fit)" in r.peak_table()
    assert r.as_dict()["r_inf_note"].startswith("R_inf trades off against gamma beyond the highest frequency")


# --------------------------------------------------------------------------- repeated frequencies
def test_the_repeated_frequency_warning_is_said_once(tmp_path):
    s = ImpedanceSpectrum.from_arrays([100.0, 10.0, 10.0, 1.0], np.array([1 - 1j, 2 - 2j, 2 - 2.1j, 3 - 1j]))
    assert len(s.with_metadata(a=1).with_metadata(b=2).metadata["warnings"]) == 1
    f = F.copy()
    f[6] = f[5]
    with pytest.warns(DataQualityWarning):
        read = read_impedance(_csv(tmp_path / "dup.csv", f, Z))
    assert len([w for w in read.metadata["warnings"] if "occur more than once" in w]) == 1


def test_two_sweeps_on_different_grids_stay_two_spectra(tmp_path):
    """A second sweep starting on its own grid just below the first one's top (100 kHz-1 Hz, then 50 kHz-0.1 Hz)
    is a second spectrum, not rows out of order (a review found it merged into one of 76 points)."""
    from metalair.io.impedance import MultipleSpectraError

    f = np.concatenate([np.logspace(5, 0, 36), np.logspace(np.log10(5e4), -1, 40)])
    z = 10.0 + 50.0 / (1 + 1j * 2 * np.pi * f * 1e-3)
    p = tmp_path / "two.csv"
    p.write_text("Frequency [Hz],Z' [Ω],-Z'' [Ω]\n" + "\n".join(
        f"{float(a)!r},{float(b.real)!r},{float(-b.imag)!r}" for a, b in zip(f, z)))
    with pytest.raises(MultipleSpectraError) as exc:
        read_impedance(p)
    assert list(exc.value.sizes) == [36, 40]
