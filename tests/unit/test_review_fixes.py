"""Valid inputs the day's new checks refused, and two results they got wrong (from a review of the change)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import metalair as ma

DATA = Path(__file__).resolve().parents[1] / "data"


def test_a_hold_after_dropped_cycles_integrates_from_its_own_start():
    # the hold opening cycle 3 was integrated from the last kept point, a cycle earlier: 194,136 mAh/g
    from metalair import Charge, Discharge, Hold
    from metalair.analysis.simulated import to_cycler_data
    from metalair.protocols.steps import Cycle

    sol = ma.Simulation("NLRO", [Cycle([Hold("2.4 V", duration="30 min"), Discharge("500 mA/g", capacity="50 mAh/g"),
                                        Charge("500 mA/g", capacity="50 mAh/g")], repeat=3)], save_cycles=[1, 3]).run()
    data = to_cycler_data(sol)
    holds = [s for s in sol.steps if s.kind == "hold" and np.any(data.step == s.index)]
    assert [s.cycle for s in holds] == [1, 3]
    for s in holds:
        signed_mAh_g = 1000.0 * data.capacity_Ah[data.step == s.index][-1]  # 1 g of catalyst
        assert abs(signed_mAh_g) <= s.capacity_mAh_g * (1 + 1e-6)  # |signed charge| <= the charge passed


def test_a_flat_noisy_half_cycle_is_not_taken_for_a_joined_discharge_and_charge():
    from metalair.analysis.incremental_capacity import dqdv, find_plateaus

    rng = np.random.default_rng(0)
    q = np.linspace(0.0, 1000.0, 600)
    v = 2.2 - 0.005 * q / 1000.0 + rng.normal(0.0, 0.001, q.size)
    dqdv(v, q)
    find_plateaus(v, q)


def test_a_repeated_xas_energy_is_averaged_by_the_reader(tmp_path):
    from metalair.io.xas import read_xas

    src = DATA / "xas" / "fe2o3_rt1.xmu"
    lines = src.read_text().splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")) + 50
    (tmp_path / "dup.xmu").write_text("\n".join(lines[:k + 1] + [lines[k]] + lines[k + 1:]) + "\n")
    spectra = read_xas(tmp_path / "dup.xmu")
    spec = spectra[0] if isinstance(spectra, list) else spectra
    assert any("repeated energies" in w and "averaged" in w for w in spec.metadata["warnings"])


def test_numpy_scalars_and_arrays_are_taken_where_python_ones_are():
    from metalair._validation import check_workers
    from metalair.analysis.impedance.fitting import fit_circuit
    from metalair.analysis.magnetism import effective_moment
    from metalair.catalysts import NLRO
    from metalair.tables.impedance import ImpedanceSpectrum

    assert check_workers(np.int64(2)) == 2
    assert dataclasses.replace(NLRO, switching=np.bool_(False)).switching is not True
    assert effective_moment(1.0, np.int64(2)) == pytest.approx(effective_moment(1.0, 2))
    f = np.logspace(-1, 5, 30)
    z = 10.0 + 100.0 / (1.0 + 1j * 2 * np.pi * f * 100.0 * 1e-5)
    spectrum = ImpedanceSpectrum(frequency_Hz=f, impedance=z)
    fit = fit_circuit(spectrum, "R0-p(R1,C1)", bounds={"R0": np.array([0.0, 100.0])})
    assert fit.parameters["R0"] == pytest.approx(10.0, rel=1e-3)


def test_dems_prints_and_writes_why_a_step_has_no_baseline(tmp_path):
    from typer.testing import CliRunner

    from metalair.cli.app import app
    from metalair.constants import F

    t = np.arange(0.0, 2001.0, 1.0)
    i = np.where(t <= 1000.0, 1e-3, -1e-3)
    i[0] = 0.0
    (tmp_path / "cur.csv").write_text("Time (s),Current (A)\n" + "".join(f"{a},{b}\n" for a, b in zip(t, i)))
    (tmp_path / "gas.csv").write_text("Time (s),O2 (mol/s)\n" + "".join(f"{a},{-b / F / 2}\n" for a, b in zip(t, i)))
    res = CliRunner().invoke(app, ["dems", "--current", str(tmp_path / "cur.csv"), "--gas", str(tmp_path / "gas.csv"),
                                   "--offset", "0", "--no-plot", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "step 2 (charge): no baseline subtracted" in res.output
    assert "no baseline subtracted" in (tmp_path / "o" / "dems_steps.csv").read_text()


def test_a_fit_names_its_catalyst_and_its_figure_says_a_poor_fit(tmp_path):
    # given a catalyst file, the fit's title showed the file's path; a poor fit (RMSE 340 mV) was not said
    from metalair.analysis.fitting import fit_model
    from metalair.analysis.simulated import to_cycler_data
    from metalair.catalysts import NLRO
    from metalair.catalysts.files import save_catalyst
    from metalair.plotting.fitting import plot_fit

    path = tmp_path / "mine.toml"
    save_catalyst(dataclasses.replace(NLRO, name="Mine"), path)
    data = to_cycler_data(ma.simulate("NLRO", "Discharge at 500 mA/g for 50 mAh/g; Charge at 500 mA/g for 50 mAh/g"))
    res = fit_model(data, str(path), ["i0_dec_NaO2"], mass_g=1.0, max_nfev=2)
    assert res.catalyst == "Mine"
    title = plot_fit(dataclasses.replace(res, success=True, poor_fit=True)).axes[0].get_title()
    assert title.startswith("Mine: fit of i0_dec_NaO2") and "POOR FIT" in title
