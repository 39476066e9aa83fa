"""Voltammetry (measured, synthetic with known answers, simulated) and DEMS (simulated and synthetic records)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from electrochem_data import NU, synthetic_cv, synthetic_dems

import metalair as ma
from metalair.analysis.dems import dems_steps, electrons_per_o2, first_order_lag
from metalair.analysis.voltammetry import analyze_cv, find_cv_peaks, voltammogram_from_solution
from metalair.constants import F
from metalair.errors import DataFormatError, ParameterError
from metalair.io.dems import read_current_record, read_gas_flux
from metalair.io.voltammetry import read_voltammogram
from metalair.tables.dems import GasFluxRecord
from metalair.tables.voltammetry import Voltammogram, cycles_from_potential


def test_noise_on_the_measured_potential_does_not_split_the_sweeps():
    """A potentiostat logs the measured potential: with noise (0.1 mV) larger than its step per point (0.2 mV
    at this sampling, noise 0.5 of it) the potential reverses from sample to sample. Cutting the record at
    every sign change split one cycle into hundreds of "sweeps" and lost both peaks."""
    up = np.arange(0.0, 1.0 + 1e-12, 2e-4)
    e_true = np.concatenate([up, up[::-1][1:]])
    rising = np.concatenate([[True], np.diff(e_true) > 0])
    i = np.where(rising, 1e-6 + 1e-4 * np.exp(-((e_true - 0.6) / 0.05) ** 2),
                 -1e-6 - 8e-5 * np.exp(-((e_true - 0.5) / 0.05) ** 2))
    t = np.arange(e_true.size) * 2e-4 / NU
    e = e_true + np.random.default_rng(0).normal(0.0, 1e-4, e_true.size)
    peaks = analyze_cv(Voltammogram.from_arrays(e, i, time_s=t)).peaks
    assert sorted(p.direction for p in peaks) == ["anodic", "cathodic"]
    assert next(p for p in peaks if p.direction == "anodic").potential_V == pytest.approx(0.6, abs=2e-3)
    assert next(p for p in peaks if p.direction == "cathodic").potential_V == pytest.approx(0.5, abs=2e-3)


def test_synthetic_cv_peaks_have_the_known_position_charge_and_width():
    a = analyze_cv(synthetic_cv())
    assert [p.cycle for p in a.peaks] == [1, 1, 2, 2]
    an = [p for p in a.peaks if p.direction == "anodic"]
    ca = [p for p in a.peaks if p.direction == "cathodic"]
    sigma = 0.05
    for p in an:
        assert p.potential_V == pytest.approx(0.6, abs=2e-3)
        assert p.charge == pytest.approx(1e-4 * sigma * math.sqrt(math.pi) / NU, rel=0.01)  # ∫ i dt = ∫ i dE / ν
        assert p.fwhm_V == pytest.approx(2 * sigma * math.sqrt(math.log(2)), rel=0.01)
        assert 0.5 < p.onset_V < 0.6
    for p in ca:
        assert p.potential_V == pytest.approx(0.5, abs=2e-3)
        assert p.charge == pytest.approx(-8e-5 * sigma * math.sqrt(math.pi) / NU, rel=0.01)
        assert 0.5 < p.onset_V < 0.6  # onset lies before the peak along a negative-going sweep
    assert a.separation_V == pytest.approx({1: 0.1, 2: 0.1}, abs=3e-3)
    assert "peak separation 100.0 mV" in a.table()


def test_cv_peaks_need_current_of_their_own_direction():
    """A dip in an anodic current on a negative-going sweep is not a cathodic peak (and vice versa)."""
    up = np.linspace(0.0, 1.0, 501)
    e = np.concatenate([up, up[::-1][1:]])
    t = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(e)) / NU)])
    rising = np.concatenate([[True], np.diff(e) > 0])
    ripple = 2e-5 * np.sin(2 * np.pi * e / 0.1)  # wiggles of a positive (anodic) current on the way back
    i = np.where(rising, 1e-6 + 1e-4 * np.exp(-((e - 0.6) / 0.05) ** 2), 2e-4 + ripple)
    a = analyze_cv(Voltammogram.from_arrays(e, i, time_s=t))
    assert [p.direction for p in a.peaks] == ["anodic"]
    assert a.separation_V == {}
    # mirrored: a bump in a cathodic current on a positive-going sweep is not an anodic peak
    b = analyze_cv(Voltammogram.from_arrays(e, -i[::-1], time_s=t))
    assert [p.direction for p in b.peaks] == ["cathodic"]


def test_measured_cv_reports_no_peak_of_the_wrong_sign(data_file):
    a = analyze_cv(read_voltammogram(data_file("voltammetry/cv.mpt")))
    assert all((p.current > 0) == (p.direction == "anodic") for p in a.peaks)
    assert not any(p.direction == "cathodic" for p in a.peaks)  # the record's current is anodic throughout
    assert a.separation_V == {}  # no pair of real peaks, so no separation


def test_cycles_from_potential():
    v = synthetic_cv(3)
    assert v.cycles == [1, 2, 3]
    # a sweep starting mid-range going down and ending a little past its start is one cycle
    e = np.concatenate([np.linspace(2.2, 1.5, 50), np.linspace(1.5, 4.5, 200), np.linspace(4.5, 2.19, 150)])
    assert set(cycles_from_potential(e)) == {1}


@pytest.mark.parametrize("start", [2.0, 4.0])
def test_a_sweep_that_starts_at_a_vertex_is_split_at_that_vertex(start):
    """Started at its lower (or upper) vertex, the sweep comes back to its start potential only as a turning
    point, never passing it: each return starts a new cycle right after the turning point, which ends the sweep
    before it."""
    up, down = np.arange(2.0, 4.0, 0.5e-3), np.arange(4.0, 2.0, -0.5e-3)
    one = np.concatenate([up, down]) if start == 2.0 else np.concatenate([down, up])
    e = np.concatenate([one, one, one, [start]])
    c = cycles_from_potential(e)
    assert set(c) == {1, 2, 3}
    assert np.flatnonzero(np.diff(c)).tolist() == [one.size, 2 * one.size]
    # with a little noise on the vertex the split is the same
    noisy = e + np.where(np.isclose(e, start), 3e-4, 0.0)
    assert set(cycles_from_potential(noisy)) == {1, 2, 3}


def test_simulated_cv_is_analysed_by_the_same_code():
    sol = ma.simulate("NLRO", "Sweep between 1.5 V and 4.5 V starting at 2.2 V at 0.1 mV/s for 1 cycle")
    v = voltammogram_from_solution(sol)
    assert v.current_unit == "A/kg" and v.cycles == [1]
    # the model counts discharge positive; here oxygen reduction is cathodic (negative)
    np.testing.assert_allclose(v.current, -np.asarray(sol["Current [mA/g]"]))
    a = analyze_cv(v)
    cath = [p for p in a.peaks if p.direction == "cathodic"]
    an = [p for p in a.peaks if p.direction == "anodic"]
    assert cath and an
    assert cath[0].potential_V < an[0].potential_V  # reduction below oxidation
    assert a.separation_V[1] > 0
    assert math.isfinite(cath[0].charge) and cath[0].charge < 0


def test_gamry_cv_file_is_cycle_aware(data_file):
    v = read_voltammogram(data_file("cv/gamry_cv_data.dta"))
    assert v.metadata["format"] == "gamry_dta" and v.cycles == [1, 2, 3, 4, 5]
    assert len(v) == 50 and v.current_unit == "A"
    assert v["Potential [V]"][0] == pytest.approx(0.49) and v["Current [A]"][10] == pytest.approx(6.57772e-7)
    assert v.metadata["scan_rate_V_s"] == pytest.approx(1.23456e-3)
    # impedance files are refused by the CV reader and say where to go
    with pytest.raises(DataFormatError, match=r"impedance file \(ZCURVE\).*read_impedance"):
        read_voltammogram(data_file("eis/exampleDataGamry.DTA"))
    with pytest.raises(DataFormatError, match=r"impedance record.*read_impedance"):
        read_voltammogram(data_file("eis/exampleDataBioLogic.mpt"))


def test_csv_cv_units_signs_and_errors(tmp_path):
    v = synthetic_cv(1)
    p = tmp_path / "cv.csv"
    p.write_text("Time (s),Potential (mV),Current (uA)\n" + "\n".join(
        f"{t},{1e3 * e},{-1e6 * i}" for t, e, i in zip(v.time_s, v.potential_V, v.current)))
    w = read_voltammogram(p, anodic_sign=-1)
    np.testing.assert_allclose(w.current, v.current, rtol=1e-9)
    np.testing.assert_allclose(w.potential_V, v.potential_V, rtol=1e-12)
    assert any("sign flipped" in n for n in w.metadata["notes"])
    q = tmp_path / "nounit.csv"
    q.write_text("E (V),I\n0,1\n0.1,2\n0.2,3\n")
    with pytest.raises(DataFormatError, match=r"current column 'I' carries no unit"):
        read_voltammogram(q)
    with pytest.raises(ParameterError, match=r"prominence = 2 must lie in \(0, 1\)"):
        find_cv_peaks(v, prominence=2)


# --------------------------------------------------------------------------- DEMS
def test_simulated_dems_gives_one_electron_per_o2_for_sodium_superoxide():
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g for 50 mAh/g; Charge at 100 mA/g for 50 mAh/g")
    rows = electrons_per_o2(sol)
    assert [r["kind"] for r in rows] == ["discharge", "charge"]
    for r in rows:
        assert r["e_per_O2"] == pytest.approx(1.0, abs=0.02)  # NaO2: one electron per O2
        assert r["electrons_mol_g"] == pytest.approx(50 * 3.6 / F, rel=1e-3)
    lagged = electrons_per_o2(sol, time_constant_s=600.0)
    # a slow detector has not yet seen all the gas at the end of the step: the apparent ratio is higher
    assert lagged[0]["e_per_O2"] > rows[0]["e_per_O2"]
    # a rest between them is no half-cycle (its double-layer relaxation was a "charge" row of 0 mAh/g)
    rested = ma.simulate("NLRO", "Discharge at 100 mA/g for 50 mAh/g; Rest for 1 h; Charge at 100 mA/g for 50 mAh/g")
    assert [r["kind"] for r in electrons_per_o2(rested)] == ["discharge", "charge"]


def test_first_order_lag_is_exact_for_a_step():
    t = np.linspace(0, 100, 1001)
    x = np.where(t > 0, 1.0, 0.0)
    y = first_order_lag(t, x, 10.0)
    np.testing.assert_allclose(y[1:], 1 - np.exp(-t[1:] / 10.0), atol=1e-12)


def test_measured_dems_recovers_the_electron_count_within_its_uncertainty():
    cur, gas = synthetic_dems()
    steps, offset = dems_steps(cur, gas, time_offset_s="auto", tail_s=300.0)
    assert 40.0 <= offset <= 90.0  # the transport delay plus the lag's centroid
    assert [s.kind for s in steps] == ["discharge", "charge"]
    for s in steps:
        assert abs(s.e_per_o2 - 2.0) < 3 * s.e_per_o2_sigma
        assert 0 < s.e_per_o2_sigma < 0.05
        assert s.electrons_mol == pytest.approx(3.6 / F, rel=1e-3)
    assert steps[1].other_gases_mol["CO2"] == pytest.approx(3600e-10, rel=0.02)
    # a calibration uncertainty widens the interval
    wide, _ = dems_steps(cur, gas, time_offset_s=45.0, tail_s=300.0, calibration_uncertainty=0.05)
    assert wide[0].e_per_o2_sigma > 4 * steps[0].e_per_o2_sigma


def test_dems_csv_readers(tmp_path):
    cur, gas = synthetic_dems()
    pc, pg = tmp_path / "current.csv", tmp_path / "gas.csv"
    pc.write_text("time (min),I (mA)\n" + "\n".join(f"{t / 60},{1e3 * i}" for t, i in zip(cur.time_s, cur.current_A)))
    pg.write_text("Time (s),O2 (nmol/s),CO2 (nmol/s)\n" + "\n".join(
        f"{t},{1e9 * a},{1e9 * b}" for t, a, b in zip(gas.time_s, gas.fluxes["O2"], gas.fluxes["CO2"])))
    c2, g2 = read_current_record(pc), read_gas_flux(pg)
    np.testing.assert_allclose(c2.time_s, cur.time_s, rtol=1e-9)
    np.testing.assert_allclose(c2.current_A, cur.current_A, atol=1e-15)
    np.testing.assert_allclose(g2.fluxes["O2"], gas.fluxes["O2"], rtol=1e-9, atol=1e-20)
    bad = tmp_path / "bad.csv"
    bad.write_text("Time (s),O2 (A)\n0,1\n1,2\n")
    with pytest.raises(DataFormatError, match=r"gas column 'O2 \(A\)' needs a molar-flux unit"):
        read_gas_flux(bad)
    with pytest.raises(ParameterError, match=r"no O2 column"):
        dems_steps(cur, GasFluxRecord(gas.time_s, {"CO2": gas.fluxes["CO2"]}))


def test_ec_lab_cv_text_layout(data_file, tmp_path):
    """No permissively licensed EC-Lab CV export was found; this file keeps the real PEIS export's
    header and replaces the column line and rows by the CV columns EC-Lab writes, to test their mapping."""
    lines = data_file("eis/exampleDataBioLogic.mpt").read_text(encoding="latin-1").splitlines()[:60]
    lines[3] = "Cyclic Voltammetry"
    v = synthetic_cv(2)
    rows = [f"{t}\t{e}\t{1e3 * i}\t{c}" for t, e, i, c in zip(v.time_s, v.potential_V, v.current, v.cycle)]
    p = tmp_path / "cv.mpt"
    p.write_text("\n".join(lines + ["time/s\tEwe/V\t<I>/mA\tcycle number"] + rows) + "\n", encoding="latin-1")
    w = read_voltammogram(p)
    assert w.metadata["format"] == "biologic_mpt" and w.cycles == [1, 2]
    np.testing.assert_allclose(w.current, v.current, rtol=1e-12)
    assert analyze_cv(w).separation_V == pytest.approx({1: 0.1, 2: 0.1}, abs=3e-3)


def test_peak_charge_never_counts_current_of_the_other_direction():
    """An anodic peak whose left base lies in the cathodic tail at the start of the sweep: the straight
    baseline from there would run below zero and add cathodic 'background' to the peak. The baseline is
    held at zero there, so the peak's charge is at most the anodic charge the sweep passed, and positive."""
    nu = 1e-3
    e = np.concatenate([np.linspace(1.5, 4.5, 3001), np.linspace(4.5, 1.5, 3001)[1:]])
    t = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(e)) / nu)])
    up = np.concatenate([[True], np.diff(e) > 0])
    tail = -2e-3 * np.exp(-(e - 1.5) / 0.2)  # cathodic current decaying after the lower vertex
    i = np.where(up, tail + 1e-3 * np.exp(-((e - 3.4) / 0.1) ** 2), -1e-4)
    a = analyze_cv(Voltammogram.from_arrays(e, i, time_s=t))
    anodic = [p for p in a.peaks if p.direction == "anodic"]
    assert len(anodic) == 1
    sweep = up & (i > 0)
    passed = float(np.sum((0.5 * (i[1:] + i[:-1]) * np.diff(t))[sweep[1:] & sweep[:-1]]))
    assert 0.0 < anodic[0].charge <= passed * 1.001
    # the Gaussian's own charge, 1e-3 A x 0.1 V x sqrt(pi) / nu, within the tail's overlap
    assert anodic[0].charge == pytest.approx(1e-3 * 0.1 * math.sqrt(math.pi) / nu, rel=0.05)


def test_dems_refuses_a_delay_that_is_no_number_runs_past_the_record_or_into_the_next_step():
    """A gas window past the record or into the next step counted the wrong gas (e-/O2 2.00 where 1.00 was true).
    A negative offset is a gas clock running ahead (test_dems_audit.py)."""
    from metalair.tables.dems import CurrentRecord

    cur, gas = synthetic_dems()
    for bad in (math.nan, "soon", True):
        with pytest.raises(ParameterError, match=r"must be a finite number of seconds \(the gas line's delay, >= 0; "
                                                 r"negative when the gas record leads"):
            dems_steps(cur, gas, time_offset_s=bad)
    with pytest.raises(ParameterError, match=r"step 1 .*its gas arrives until .* after the gas record ends"):
        dems_steps(cur, gas, time_offset_s=1e6)
    # back to back: a step's window stops where the next step's gas arrives (its start + the delay)
    back = CurrentRecord(cur.time_s, np.where((cur.time_s >= 4200) & (cur.time_s < 5400), -1e-3, cur.current_A))
    steps, _ = dems_steps(back, gas, time_offset_s=45.0, tail_s=3000.0)
    assert len(steps) == 2


def test_dems_uncertainty_is_nan_without_a_baseline_window():
    """No gas points before the step: the noise and the baseline are unknown, not zero."""
    cur, gas = synthetic_dems()
    first = float(cur.time_s[np.flatnonzero(np.abs(cur.current_A) > 0)[0]])
    late = GasFluxRecord(gas.time_s[gas.time_s >= first], {g: f[gas.time_s >= first] for g, f in gas.fluxes.items()})
    steps, _ = dems_steps(cur, late, time_offset_s=45.0, tail_s=300.0)
    assert np.isnan(steps[0].o2_sigma_mol) and np.isnan(steps[0].e_per_o2_sigma)
    assert np.isfinite(steps[0].e_per_o2)


def test_a_voltammogram_refuses_a_standing_clock_and_potentials_in_millivolts():
    """Constant time gave peaks of charge 0; potentials of 3500 (mV) were taken as volts."""
    from metalair.errors import DataFormatError
    from metalair.tables.voltammetry import Voltammogram

    e = np.r_[np.linspace(2.0, 4.0, 50), np.linspace(4.0, 2.0, 50)]
    i = np.sin(np.linspace(0, 2 * np.pi, 100))
    with pytest.raises(DataFormatError, match=r"time does not advance \(0 s throughout\)"):
        Voltammogram.from_arrays(e, i, time_s=np.zeros(100))
    with pytest.raises(DataFormatError, match=r"potentials reach 4000 V, beyond ±10 V .*are they in mV\?"):
        Voltammogram.from_arrays(1000 * e, i)
    assert len(Voltammogram.from_arrays(e, i, time_s=np.arange(100.0))) == 100


def test_an_e_per_o2_far_from_any_o2_chemistry_is_noted(tmp_path):
    """A gas column labelled mol/s but holding nmol/s gave e-/O2 ~ 2e9 without a word."""
    from metalair.workflows.electrochem import analyse_dems_files

    cur, gas = synthetic_dems()
    pc, pg = tmp_path / "current.csv", tmp_path / "gas.csv"
    pc.write_text("time (s),I (A)\n" + "\n".join(f"{t},{i}" for t, i in zip(cur.time_s, cur.current_A)))
    pg.write_text("Time (s),O2 (mol/s)\n" + "\n".join(f"{t},{1e9 * a}" for t, a in zip(gas.time_s, gas.fluxes["O2"])))
    summary = analyse_dems_files(pc, pg, tmp_path / "out", time_offset_s=45.0, tail_s=300.0)
    assert any("lies outside 0.5-10, far from any O2 chemistry" in n for n in summary["notes"])


def test_a_current_still_rising_at_the_vertex_is_not_a_peak():
    """A sweep that ends while the current still rises (an LSV, or a CV turned early) has no peak there."""
    from metalair.analysis.voltammetry import analyze_cv
    from metalair.tables.voltammetry import Voltammogram

    e = np.linspace(3.0, 4.0, 500)
    i = np.exp((e - 4.0) / 0.05)
    i[-2] = i[-3] * 0.999  # a small wiggle right before the end: a local maximum for the peak finder
    res = analyze_cv(Voltammogram.from_arrays(e, i, time_s=np.arange(500.0)))
    assert res.peaks == []
    assert "(no peak: " in res.table()


def test_a_one_sample_spike_is_not_a_peak():
    """cv.mpt reported a one-sample spike (0.30 mA against 0.0006 mA around it) as a peak with 9.9 mC of charge."""
    from metalair.analysis.voltammetry import analyze_cv
    from metalair.tables.voltammetry import Voltammogram

    e = np.r_[np.linspace(3.0, 4.0, 200), np.linspace(4.0, 3.0, 200)]
    i = np.full(400, 1e-6)
    i[100] = 3e-4  # a spike on the anodic sweep
    res = analyze_cv(Voltammogram.from_arrays(e, i, time_s=np.arange(400.0)))
    assert res.peaks == []


def test_a_simulated_cv_written_and_read_back_gives_the_same_peaks(tmp_path):
    # 'metalair cv' read a simulate CSV's discharge-positive current as anodic and found no peak
    from typer.testing import CliRunner

    from metalair.cli.app import app

    sol = ma.simulate("NLRO", "Sweep between 1.5 V and 4.5 V starting at 2.2 V at 0.1 mV/s for 1 cycle")
    sol.to_csv(tmp_path / "cv.csv")
    direct = analyze_cv(voltammogram_from_solution(sol))
    read = read_voltammogram(tmp_path / "cv.csv")
    assert any("a metalair time series" in n for n in read.metadata["notes"])
    again = analyze_cv(read)
    assert [(p.direction, round(p.potential_V, 4)) for p in again.peaks] == \
        [(p.direction, round(p.potential_V, 4)) for p in direct.peaks]
    flipped = read_voltammogram(tmp_path / "cv.csv", anodic_sign=1)  # as before: the sign the file does not use
    np.testing.assert_allclose(flipped.current, -read.current)
    res = CliRunner().invoke(app, ["cv", str(tmp_path / "cv.csv"), "--no-plot", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0 and "anodic" in res.output and "cathodic" in res.output, res.output


def test_a_simulated_cv_of_several_cycles_keeps_its_cycles_when_read_back(tmp_path):
    """A metalair series' Cycle column counts protocol cycles (one Sweep step of 3 CV cycles is 1), so the
    reader counts CV cycles from the sweep direction, as voltammogram_from_solution does."""
    sol = ma.simulate("NLRO", "Sweep 2.0-4.5 V at 1 mV/s for 3 cycles")
    sol.to_csv(tmp_path / "cv.csv")
    direct = analyze_cv(voltammogram_from_solution(sol))
    read = read_voltammogram(tmp_path / "cv.csv")
    assert set(np.unique(sol["Cycle"])) == {1}
    assert any("counts protocol cycles" in n for n in read.metadata["notes"])
    again = analyze_cv(read)
    assert [(p.cycle, p.direction, round(p.potential_V, 4)) for p in again.peaks] == \
        [(p.cycle, p.direction, round(p.potential_V, 4)) for p in direct.peaks]
    assert {p.cycle for p in again.peaks} == {1, 2, 3}
    assert "negative: the largest anodic and cathodic peaks lie on different couples" in again.table()


def _gas_record(program, delay=30.0, tau=60.0, base=1e-10):
    """A cell run through ``program`` [(kind, seconds)] at 0.5 mA and its O2 flux at 2 e-/O2, delayed and
    smeared by a first-order lag as a DEMS inlet does."""
    from metalair.tables.dems import CurrentRecord

    t_end = sum(d for _k, d in program)
    t = np.arange(0.0, t_end + 1e-9, 1.0)
    i = np.zeros_like(t)
    edge = 0.0
    for kind, dur in program:
        i[(t >= edge) & (t < edge + dur)] = {"rest": 0.0, "discharge": 5e-4, "charge": -5e-4}[kind]
        edge += dur
    tg = np.arange(0.0, t_end + 600.0 + 1e-9, 2.0)
    at_cell = -np.interp(tg - delay, t, i, left=0.0, right=0.0) / (2.0 * F)
    flux = (first_order_lag(tg, at_cell, tau) if tau else at_cell) + base
    return CurrentRecord(t, i), GasFluxRecord(tg, {"O2": flux})


def test_dems_integrates_the_smeared_tail_and_counts_no_gas_twice():
    """The gas window closed at the step's end plus the delay (tail 0 by default): with a 60 s inlet lag the
    tail was lost, e-/O2 2.017 for 1 h steps (2.000 true). And a step right after another started its window
    at its own start, so the previous step's late gas was counted twice (2.016)."""
    rests = [("rest", 600), ("discharge", 3600), ("rest", 1200), ("charge", 3600), ("rest", 1200)]
    cur, gas = _gas_record(rests)
    steps, _ = dems_steps(cur, gas, time_offset_s=30.0)  # default: until the next step's gas arrives
    assert [s.e_per_o2 for s in steps] == pytest.approx([2.0, 2.0], abs=2e-3)
    cut, _ = dems_steps(cur, gas, time_offset_s=30.0, tail_s=0.0)
    assert all(s.e_per_o2 > 2.01 for s in cut)
    back = [("rest", 600), ("discharge", 3600), ("charge", 3600), ("rest", 1200)]
    cur, gas = _gas_record(back, tau=0.0, base=0.0)
    steps, _ = dems_steps(cur, gas, time_offset_s=30.0, baseline_s=0.0)
    # the current counts its 3600 s (the last sample held to the next); the gas, a sharp edge on a 2 s gas sample
    # between the steps, loses about 1 s of it to the trapezoid rule there (3e-4), far below the 0.016 counted twice
    assert [s.e_per_o2 for s in steps] == pytest.approx([2.0, 2.0], abs=1e-3)


def test_the_automatic_delay_is_the_gas_lines_delay_not_the_centre_of_its_smeared_response():
    """Correlating the O2 flux with -I/F itself put a 30 s delay at 70 s when the inlet smears the flux with a
    60 s lag; the delay is now found together with the lag's time constant."""
    cur, gas = _gas_record([("rest", 600), ("discharge", 3600), ("rest", 1200), ("charge", 3600), ("rest", 1200)],
                           delay=30.0, tau=60.0)
    steps, offset = dems_steps(cur, gas, time_offset_s="auto")
    assert offset == pytest.approx(30.0, abs=2.0)
    assert [s.e_per_o2 for s in steps] == pytest.approx([2.0, 2.0], abs=3e-3)


def test_peak_potentials_are_read_from_the_smoothed_top_not_the_highest_noisy_sample():
    """Gaussian peaks 100 mV wide at 0.1 mV per point with 1 % current noise: the raw current gave dozens of
    three-sample "peaks" of noise besides the two, and the highest sample put a peak up to several mV off; the
    search on the smoothed current finds the two, and their smoothed, parabola-refined tops stay within 4 mV."""
    e_up = np.arange(0.0, 1.0 + 1e-12, 1e-4)
    e = np.concatenate([e_up, e_up[::-1][1:]])
    rising = np.concatenate([[True], np.diff(e) > 0])
    clean = np.where(rising, 1e-4 * np.exp(-((e - 0.6) / 0.06) ** 2), -1e-4 * np.exp(-((e - 0.45) / 0.06) ** 2))
    t = np.arange(e.size) * 1e-4 / NU
    worst = 0.0
    for seed in range(10):
        i = clean + 1e-6 * np.random.default_rng(seed).standard_normal(e.size)
        peaks = analyze_cv(Voltammogram.from_arrays(e, i, time_s=t)).peaks
        assert sorted(p.direction for p in peaks) == ["anodic", "cathodic"]  # no peaks of noise
        an = next(p for p in peaks if p.direction == "anodic")
        ca = next(p for p in peaks if p.direction == "cathodic")
        worst = max(worst, abs(an.potential_V - 0.6), abs(ca.potential_V - 0.45))
    assert worst < 4e-3


def test_a_sweep_sampled_unevenly_keeps_its_peaks():
    """200 points over 2.5-3.5 V and 5000 more over 2.60-2.62 V (a simulation's adaptive steps are dense where the
    current changes fast): a 5 mV smoothing window counted in samples spanned hundreds of millivolts over the
    coarse part and flattened both peaks, and the vertex rule counted in samples (the last 2 % of them) dropped
    the anodic one, half a volt from the vertex."""
    e_up = np.sort(np.r_[np.linspace(2.5, 3.5, 200), np.linspace(2.6, 2.62, 5000)])
    e = np.concatenate([e_up, e_up[::-1][1:]])
    rising = np.r_[np.ones(e_up.size), -np.ones(e_up.size - 1)] > 0
    i = np.where(rising, np.exp(-((e - 3.0) / 0.04) ** 2), -np.exp(-((e - 2.9) / 0.04) ** 2))
    t = np.cumsum(np.r_[0.0, np.abs(np.diff(e))]) / 1e-3
    peaks = analyze_cv(Voltammogram.from_arrays(e, i, time_s=t)).peaks
    assert sorted((p.direction, round(p.potential_V, 2)) for p in peaks) == [("anodic", 3.0), ("cathodic", 2.9)]
