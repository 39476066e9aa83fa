"""The magnet, xas, xrd and raman commands: tables and figures written, clear errors, exit codes."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.analysis.diffraction import simulate_diffractogram
from metalair.analysis.peaks import pseudo_voigt
from metalair.cli.app import app
from metalair.tables.magnetometry import MagnetometryData
from metalair.units import UNITS

runner = CliRunner()


def rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def write_mt_file(path, seed=0):
    """A Quantum Design-style M(T) file of a Curie-Weiss paramagnet (C 0.95, theta -12 K)."""
    rng = np.random.default_rng(seed)
    t = np.arange(5.0, 300.0, 5.0)
    chi = 0.95 / (t + 12.0) + 2e-4
    emu = chi * (20.0e-3 / 160.0) * 1000.0 * (1 + 0.005 * rng.standard_normal(t.size))
    lines = ["[Header]", "; MPMS3 Data File", "INFO,20.0,SAMPLE_MASS", "INFO,160.0,SAMPLE_MOLECULAR_WEIGHT", "[Data]",
             "Comment,Time Stamp (sec),Temperature (K),Magnetic Field (Oe),Moment (emu),M. Std. Err. (emu)"]
    lines += [f",{k},{a},1000.0,{b}," for k, (a, b) in enumerate(zip(t, emu))]
    path.write_text("\n".join(lines) + "\n")
    _ = MagnetometryData, UNITS  # the reader's SI conversions are tested in test_magnetometry


def test_magnet_fits_an_mt_file(tmp_path):
    f = tmp_path / "mt.dat"
    write_mt_file(f)
    res = runner.invoke(app, ["magnet", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "mu_eff" in res.output
    cw = {r["quantity"]: r for r in rows(tmp_path / "o" / "curie_weiss.csv")}
    assert float(cw["C"]["ci95_low"]) < 0.95 < float(cw["C"]["ci95_high"])
    assert (tmp_path / "o" / "susceptibility.png").stat().st_size > 1000
    assert len(rows(tmp_path / "o" / "susceptibility.csv")) == 59


@pytest.mark.parametrize(("option", "message"), [
    (["--ions-per-formula", "0"], "error: --ions-per-formula 0.0 must be a positive number of ions per formula unit"),
    (["--t-range", "1000:2000"], "error: --t-range (1000, 2000) K holds 0 of the 59 points (mt.dat spans 5-295 K); "
                                 "a Curie-Weiss fit needs at least 10"),
])
def test_magnet_refuses_a_bad_option_before_writing_anything(tmp_path, option, message):
    # both left susceptibility.csv behind (the range one printed its error twice)
    f = tmp_path / "mt.dat"
    write_mt_file(f)
    res = runner.invoke(app, ["magnet", str(f), *option, "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and message in " ".join(res.output.split()) and res.output.count("error:") == 1
    assert not (tmp_path / "o" / "susceptibility.csv").exists()


def test_magnet_refuses_the_real_mh_file_with_exit_1(char_file, tmp_path):
    res = runner.invoke(app, ["magnet", str(char_file("magnetometry/MPMS_test.dat")), "--molar-mass", "478.72",
                              "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "no usable temperature range" in res.output
    assert (tmp_path / "susceptibility.csv").exists() and (tmp_path / "magnetisation.png").exists()
    res = runner.invoke(app, ["magnet", str(char_file("magnetometry/MPMS_test.dat")), "--out", str(tmp_path / "bad55")])
    assert res.exit_code == 1 and "--molar-mass" in res.output
    res = runner.invoke(app, ["magnet", str(char_file("xas/feo_rt1.xdi")), "--out", str(tmp_path / "bad57")])
    assert res.exit_code == 1 and "not a Quantum Design" in res.output
    res = runner.invoke(app, ["magnet", str(char_file("magnetometry/MPMS_test.dat")), "--t-range", "300-50"])
    assert res.exit_code == 1 and "LOW:HIGH" in res.output


def test_xas_command(char_file, tmp_path):
    res = runner.invoke(app, ["xas", str(char_file("xas/fe_athena.prj")), str(char_file("xas/cu_metal_rt.xdi")),
                              "-r", f"{char_file('xas/feo_rt1.xdi')}=2", "-r", f"{char_file('xas/fe2o3_rt1.xmu')}=3",
                              "--e0-uncertainty", "0.3", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    table = rows(tmp_path / "xas.csv")
    assert [r["spectrum"] for r in table] == ["fe2o3_rt1.xmu", "fe3c_rt.xdi", "feo_rt1.xmu", "Cu"]
    assert float(table[0]["valence"]) == pytest.approx(3.0, abs=0.01)  # the reference itself
    assert table[3]["valence"] == ""  # Cu K edge: refused by the Fe calibration, with a note
    assert "different edge" in res.output
    assert "fe3c_rt.xdi: valence 1.76 lies outside the references' 2-3: an extrapolation" in res.output  # Fe3C
    assert (tmp_path / "xas.png").exists()
    res = runner.invoke(app, ["xas", str(char_file("magnetometry/MPMS_test.dat")), "--out", str(tmp_path / "bad74")])
    assert res.exit_code == 1 and "not a row of numbers" in res.output
    res = runner.invoke(app, ["xas", str(char_file("xas/feo_rt1.xdi")), "-r", "x.xdi"])
    assert res.exit_code == 1 and "FILE=VALENCE" in res.output
    res = runner.invoke(app, ["xas", str(char_file("xas/feo_rt1.xdi")), "--e0", "inflection"])
    assert res.exit_code == 1 and "e0_method" in res.output


def test_xrd_command(tmp_path):
    pat = simulate_diffractogram({"Na2O2": 1.0, "Na2CO3": 0.5}, seed=5)
    f = tmp_path / "p.xy"
    f.write_text("\n".join(f"{a:.3f} {b:.0f}" for a, b in zip(pat.two_theta_deg, pat.intensity)))
    res = runner.invoke(app, ["xrd", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    ident = {r["phase"]: r["identified"] for r in rows(tmp_path / "o" / "xrd_phases.csv")}
    assert ident == {"Na2O2": "True", "Na2CO3": "True", "NaO2": "False", "Na2CO3·H2O": "False", "RuO2": "False"}
    assert len(rows(tmp_path / "o" / "xrd_peaks.csv")) > 10 and (tmp_path / "o" / "xrd.png").exists()
    res = runner.invoke(app, ["xrd", str(f), "--phases", "NaO3"])
    assert res.exit_code == 1 and "unknown phase" in res.output
    res = runner.invoke(app, ["xrd", str(f), "--wavelength-a", "1e-10"])
    assert res.exit_code == 1 and "wavelength" in res.output
    bad = tmp_path / "bad.xrdml"
    bad.write_text("<?xml version='1.0'?><xrdMeasurements><xrdMeasurement>")
    res = runner.invoke(app, ["xrd", str(bad)])
    assert res.exit_code == 1 and "not well-formed XML" in res.output


def test_raman_command(tmp_path):
    x = np.arange(200.0, 1800.0, 1.0)
    y = 1000 + 0.2 * x + pseudo_voigt(x, 1156, 300, 12, 0.5) + np.random.default_rng(1).normal(0, 5, x.size)
    f = tmp_path / "r.txt"
    f.write_text("\n".join(f"{a}\t{b}" for a, b in zip(x, y)))
    res = runner.invoke(app, ["raman", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    peaks = rows(tmp_path / "o" / "raman_peaks.csv")
    assert len(peaks) == 1 and peaks[0]["assignment"] == "NaO2"
    assert (tmp_path / "o" / "raman.png").exists()
    res = runner.invoke(app, ["raman", str(f), "--shape", "triangle"])
    assert res.exit_code == 1 and "shape" in res.output
    (tmp_path / "e.txt").write_text("")
    res = runner.invoke(app, ["raman", str(tmp_path / "e.txt")])
    assert res.exit_code == 1 and "empty" in res.output
    # --lam: a stiffer baseline for broad carbon bands (the docstring's advice had no CLI option)
    d_band = 1000 + 0.2 * x + pseudo_voigt(x, 1350, 800, 150, 0.8)
    (tmp_path / "d.txt").write_text("\n".join(f"{a}\t{b}" for a, b in zip(x, d_band)))
    heights = {}
    for lam in ("1e5", "1e8"):
        res = runner.invoke(app, ["raman", str(tmp_path / "d.txt"), "--lam", lam, "--no-plot",
                                  "--out", str(tmp_path / f"d{lam}")])
        assert res.exit_code == 0, res.output
        heights[lam] = max(float(r["height"]) for r in rows(tmp_path / f"d{lam}" / "raman_peaks.csv"))
    assert heights["1e8"] > 1.5 * heights["1e5"]
    res = runner.invoke(app, ["raman", str(f), "--lam", "-1"])
    assert res.exit_code == 1 and "--lam -1 must be a positive number" in res.output


def test_xas_prints_what_the_reader_did_to_the_file(tmp_path):
    """Energies read as keV and converted were neither printed nor kept."""
    from typer.testing import CliRunner

    from metalair.cli.app import app

    e = np.linspace(7.05, 7.30, 300)  # keV
    mu = 0.2 + 1.3 / (1 + np.exp(-(e - 7.125) / 0.002))
    path = tmp_path / "fe_kev.dat"
    path.write_text("# energy mu\n" + "\n".join(f"{a:.6f} {b:.6f}" for a, b in zip(e, mu)))
    res = CliRunner().invoke(app, ["xas", str(path), "--no-plot", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "note: fe_kev: energies below 200 read as keV and converted to eV" in res.output
