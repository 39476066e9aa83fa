"""Bad input to the XAS, XRD, Raman and magnetometry analyses and their commands."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.analysis.diffraction import analyse_diffractogram, match_phases, simulate_diffractogram
from metalair.analysis.xas import calibrate_valence
from metalair.cli.app import app
from metalair.errors import DataFormatError, ParameterError
from metalair.io.diffraction import read_diffraction
from metalair.io.raman import read_raman
from metalair.io.xas import read_xas

runner = CliRunner()


# --------------------------------------------------------------------------- XAS
def test_references_sharing_one_e0_have_no_slope(char_file, tmp_path):
    cu = read_xas(char_file("xas/cu_metal_rt.xdi"))[0]
    with pytest.raises(ParameterError, match=r"references of valence 2 and 3 share E0 8980\.55 eV; the calibration "
                                             r"has no slope"):
        calibrate_valence([(cu, 2), (cu, 3)], e0_uncertainty_eV=0.1)
    with pytest.raises(ParameterError, match=r"references of valence 2, 3 and 4 share E0"):
        calibrate_valence([(cu, 2), (cu, 3), (cu, 4)])
    a, b = tmp_path / "xa.xdi", tmp_path / "xb.xdi"
    shutil.copy(char_file("xas/cu_metal_rt.xdi"), a)
    shutil.copy(char_file("xas/cu_metal_rt.xdi"), b)
    res = runner.invoke(app, ["xas", "--no-plot", str(char_file("xas/cu_metal_rt.xdi")), "-r", f"{a}=2", "-r",
                              f"{b}=3", "--e0-uncertainty", "0.1", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    assert "error: references of valence 2 and 3 share E0 8980.55 eV; the calibration has no slope" in res.output
    assert "Traceback" not in res.output and "ZeroDivisionError" not in res.output


def test_negative_valence_is_refused(char_file, tmp_path):
    with pytest.raises(ParameterError, match=r"references\[0\]: valence -7 is negative"):
        calibrate_valence([(8980.0, -7), (8985.0, 2)], e0_uncertainty_eV=0.1)
    res = runner.invoke(app, ["xas", "--no-plot", str(char_file("xas/cu_metal_rt.xdi")), "-r", "xa.xdi=-7",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "error: --reference 'xa.xdi=-7': valence -7 is negative" in res.output


@pytest.mark.parametrize("value", ["-1", "nan", "0"])
def test_e0_uncertainty_is_checked_without_references(char_file, tmp_path, value):
    res = runner.invoke(app, ["xas", "--no-plot", str(char_file("xas/cu_metal_rt.xdi")), "--e0-uncertainty", value,
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 1, res.output
    assert f"error: --e0-uncertainty {value} must be a positive number of eV" in res.output
    with pytest.raises(ParameterError, match=r"e0_uncertainty_eV = .* must be a positive number of eV"):
        calibrate_valence([], e0_uncertainty_eV=float(value))


# --------------------------------------------------------------------------- XRD and Raman
def _three_columns(tmp_path, name, x):
    y = 100 + 1000 * np.exp(-((x - x[len(x) // 2]) / (x[1] - x[0]) / 5) ** 2)
    p = tmp_path / name
    p.write_text("\n".join(f"{a},{b},{0.1 * b}" for a, b in zip(x, y)) + "\n")
    return p


def test_unnamed_columns_say_how_to_name_them(tmp_path):
    p = _three_columns(tmp_path, "ok.csv", np.linspace(10, 80, 400))
    with pytest.raises(DataFormatError, match=r"ok.csv: 3 columns and no header naming the 2theta and intensity "
                                              r"columns, so which is which is unknown\. Add a header line above the "
                                              r"numbers with one name per column \(e\.g\. '2theta, intensity, "
                                              r"column3'\), or save only those two columns \(2theta first\), or in "
                                              r"Python give their 0-based indices: read_diffraction\(path, "
                                              r"two_theta_column=\.\.\., intensity_column=\.\.\.\)"):
        read_diffraction(p)
    assert read_diffraction(p, two_theta_column=0, intensity_column=1).two_theta_deg.size == 400
    res = runner.invoke(app, ["xrd", str(p), "--no-plot", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "give the column indices" not in res.output
    assert "Add a header line above the numbers with one name per column (e.g. '2theta, intensity, column3')" in (
        res.output)
    named = tmp_path / "named.csv"
    named.write_text("2theta, intensity, column3\n" + p.read_text())
    assert runner.invoke(app, ["xrd", str(named), "--no-plot", "--out", str(tmp_path / "o")]).exit_code == 0

    r = _three_columns(tmp_path, "ok_raman.csv", np.linspace(100, 1500, 400))
    with pytest.raises(DataFormatError, match=r"in Python give their 0-based indices: read_raman\(path, "
                                              r"shift_column=\.\.\., intensity_column=\.\.\.\)"):
        read_raman(r)
    res = runner.invoke(app, ["raman", str(r), "--no-plot", "--out", str(tmp_path / "o_raman")])
    assert res.exit_code == 1 and "(e.g. 'wave, intensity, column3')" in res.output


def test_xrd_tolerance_is_echoed():
    a = analyse_diffractogram(simulate_diffractogram({"Na2O2": 1.0}, seed=1))
    with pytest.raises(ParameterError, match=r"tolerance_deg = -1 must be an angle in \(0, 2\] degrees 2θ"):
        match_phases(a, tolerance_deg=-1)
    with pytest.raises(ParameterError, match=r"min_score = 1\.5 must lie in \(0, 1\]"):
        match_phases(a, min_score=1.5)


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_xrd_cli_checks_the_tolerance_up_front(tmp_path, value):
    p = tmp_path / "p.xy"
    p.write_text("10 1\n20 2\n")
    res = runner.invoke(app, ["xrd", str(p), "--tolerance-deg", value, "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert f"error: --tolerance-deg {value} must be an angle in (0, 2] degrees 2theta (e.g. 0.2)" in res.output


# --------------------------------------------------------------------------- magnetometry
def test_magnet_t_range_below_absolute_zero_is_refused_up_front(tmp_path):
    res = runner.invoke(app, ["magnet", str(tmp_path / "missing.dat"), "--t-range", "-5:300",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "error: --t-range '-5:300': LOW = -5 K lies below absolute zero" in res.output
