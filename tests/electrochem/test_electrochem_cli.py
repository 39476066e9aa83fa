"""Every impedance file is analysed or refused; the eis, cv and dems commands end to end."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from electrochem_data import EIS_FILES, synthetic_cv, synthetic_dems
from typer.testing import CliRunner

from metalair.analysis.impedance import drt, fit_circuit, lin_kk
from metalair.cli.app import app
from metalair.errors import DataFormatError
from metalair.io.checks import DataQualityWarning
from metalair.io.impedance import read_impedance

REFUSED = {"eis/exampleDataBioLogic_MissingFreq.mpt": r"frequency column \(freq/Hz\) is missing"}


@pytest.mark.parametrize("name", EIS_FILES)
def test_every_eis_file_is_analysed_or_refused(data_file, name):
    path = data_file(name)
    if name in REFUSED:
        with pytest.raises(DataFormatError, match=REFUSED[name]):
            read_impedance(path)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        s = read_impedance(path)
    circuit = "R0-p(R1,CPE1)" if len(s) < 10 else "R0-p(R1,CPE1)-W1"
    fit = fit_circuit(s, circuit, n_starts=1)
    assert fit.result.success and all(math.isfinite(v) and v > 0 for v in fit.parameters.values())
    kk = lin_kk(s)
    assert isinstance(kk.passed, bool) and math.isfinite(kk.max_residual)
    d = drt(s)
    assert d.peaks and np.all(np.isfinite(d.gamma)) and np.all(d.gamma >= 0)
    assert d.r_inf >= 0


runner = CliRunner()


def test_eis_command_writes_tables_and_figures(data_file, tmp_path):
    res = runner.invoke(app, ["eis", str(data_file("eis/LIB_data.txt")), "--circuit", "L0-R0-p(R1,CPE1)-W1",
                              "--band", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "Lin-KK PASS" in res.output and "R_inf" in res.output and "95 % interval" in res.output
    for suffix in ("spectrum.csv", "fit.json", "fit_residuals.png", "nyquist.png", "bode.png", "linkk.json",
                   "linkk_residuals.png", "drt.csv", "drt.png", "summary.json"):
        assert (tmp_path / f"LIB_data_{suffix}").stat().st_size > 0, suffix
    summary = json.loads((tmp_path / "LIB_data_summary.json").read_text())
    assert summary["points"] == 107 and summary["lin_kk"]["passed"] is True
    header = (tmp_path / "LIB_data_drt.csv").read_text().splitlines()[0]
    assert header == "tau [s],gamma [Ω],gamma low 95 %,gamma high 95 %"


def test_eis_command_refuses_damaged_files_and_bad_options(data_file, tmp_path):
    res = runner.invoke(app, ["eis", str(data_file("eis/exampleDataBioLogic_MissingFreq.mpt")), "--out",
                              str(tmp_path)])
    assert res.exit_code == 1
    assert "frequency column (freq/Hz) is missing" in res.output
    res = runner.invoke(app, ["eis", str(data_file("eis/LIB_data.txt")), "--circuit", "R0-X", "--no-drt",
                              "--no-kk", "--out", str(tmp_path)])
    assert res.exit_code == 1 and "cannot read 'X'" in res.output
    res = runner.invoke(app, ["eis", str(tmp_path / "absent.txt"), "--out", str(tmp_path)])
    assert res.exit_code == 1 and "no such file" in res.output


def test_cv_command_overlays_several_files(data_file, tmp_path):
    v = synthetic_cv(2)
    p = tmp_path / "synthetic.csv"
    p.write_text("t (s),E (V),I (A)\n" + "\n".join(f"{a},{b},{c}" for a, b, c in zip(v.time_s, v.potential_V,
                                                                                     v.current)))
    res = runner.invoke(app, ["cv", str(p), str(data_file("cv/gamry_cv_data.dta")), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "peak separation 100.0 mV" in res.output
    assert (tmp_path / "o" / "cv_overlay.png").stat().st_size > 0
    rows = (tmp_path / "o" / "cv_peaks.csv").read_text().splitlines()
    assert rows[0].startswith("file,cycle,peak,potential [V]") and len(rows) >= 5
    header = rows[0].split(",")
    first = dict(zip(header, rows[1].split(",")))
    assert first["current unit"] == "A" and first["charge unit"] == "C"  # each row says its units


def test_dems_command(tmp_path):
    cur, gas = synthetic_dems()
    pc, pg = tmp_path / "current.csv", tmp_path / "gas.csv"
    pc.write_text("Time (s),Current (mA)\n" + "\n".join(f"{t},{1e3 * i}" for t, i in zip(cur.time_s, cur.current_A)))
    pg.write_text("Time (s),O2 (nmol/s)\n" + "\n".join(f"{t},{1e9 * a}" for t, a in zip(gas.time_s, gas.fluxes["O2"])))
    res = runner.invoke(app, ["dems", "--current", str(pc), "--gas", str(pg), "--tail", "300", "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    lines = [ln.split() for ln in res.output.splitlines() if ln.strip().startswith(("1 ", "2 "))]
    assert [ln[1] for ln in lines] == ["discharge", "charge"]
    assert all(abs(float(ln[2]) - 2.0) < 0.05 for ln in lines)
    assert (tmp_path / "o" / "dems_steps.csv").exists() and (tmp_path / "o" / "dems.png").exists()
    res = runner.invoke(app, ["dems", "--current", str(pc), "--gas", str(pg), "--offset", "soon"])
    assert res.exit_code == 1 and "--offset 'soon'" in res.output


def test_eis_no_plot_writes_the_tables_and_no_figure(data_file, tmp_path):
    """--no-plot, as on magnet, xas, xrd and raman (eis refused it)."""
    res = runner.invoke(app, ["eis", str(data_file("eis/LIB_data.txt")), "--no-drt", "--no-plot",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert "LIB_data_spectrum.csv" in names and not [n for n in names if n.endswith(".png")]


def test_eis_prints_why_lin_kk_is_inconclusive(data_file, tmp_path):
    # "Lin-KK INCONCLUSIVE" was printed alone; its reasons went only into the JSON
    res = runner.invoke(app, ["eis", str(data_file("eis/gamry_eispot_data_curveaborted.dta")), "--no-drt",
                              "--out", str(tmp_path / "kk")])
    assert res.exit_code == 0, res.output
    assert "Lin-KK INCONCLUSIVE" in res.output and "note: inconclusive: mu = -0.347 < 0" in res.output
