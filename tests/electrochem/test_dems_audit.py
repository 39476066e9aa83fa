"""Fixes from the gas analysis (DEMS) audit: clocks that differ, a gas record that starts late, sign hints,
a baseline still carrying gas, gas columns not read, and the simulated e-/O2 (lagged tail, exact sums)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metalair.analysis.dems import dems_steps, electrons_per_o2, first_order_lag
from metalair.constants import F
from metalair.errors import DataFormatError, ParameterError
from metalair.io.checks import DataQualityWarning
from metalair.io.dems import read_gas_flux
from metalair.tables.dems import CurrentRecord, GasFluxRecord

I_A = 1e-3


def _records(layout=((600, 0.0), (3600, I_A), (600, 0.0), (3600, -I_A), (2400, 0.0)), delay=30.0, tau=20.0,
             ratio=2.0, lead=0.0, noise=0.0, seed=0, log_every=1):
    """A current record (the current of ``layout`` [(seconds, A)], each logged value held until the next) and its
    O2 flux at ``ratio`` e-/O2, delayed and smeared by a first-order lag, as a DEMS records them. ``lead``: the gas
    record's times read that many seconds early (the two clocks differ)."""
    t_end = sum(d for d, _i in layout)
    t = np.arange(0.0, t_end + 0.5)
    i = np.zeros_like(t)
    edge = 0.0
    for dur, cur in layout:
        i[(t >= edge) & (t < edge + dur)] = cur
        edge += dur
    x = -i / (ratio * F)  # discharge consumes O2, charge evolves it (evolution positive)
    y = first_order_lag(t, x, tau) if tau > 0 else x
    flux = np.interp(t - delay, t, y, left=0.0) + noise * np.random.default_rng(seed).standard_normal(t.size)
    keep = (t % log_every) == 0
    return CurrentRecord(t[keep], i[keep]), GasFluxRecord(t - lead, {"O2": flux})


# --------------------------------------------------------------------------- 1: a gas record that leads
def _files(tmp_path, cur, gas, sign=1.0, shift=0.0, extra=""):
    """The records as a current CSV and a gas CSV (O2 times ``sign``, gas times + ``shift``, ``extra`` columns)."""
    pc, pg = tmp_path / "current.csv", tmp_path / f"gas{'_shifted' if shift else ''}.csv"
    pc.write_text("Time (s),I (A)\n" + "\n".join(f"{t},{i}" for t, i in zip(cur.time_s, cur.current_A)))
    head = "Time (s),O2 (mol/s)" + "".join(f",{name} (mol/s)" for name in extra.split(",") if name)
    cells = "".join(",1e-9" for name in extra.split(",") if name)
    pg.write_text(head + "\n" + "\n".join(
        f"{t + shift},{sign * float(f)!r}{cells}" for t, f in zip(gas.time_s, gas.fluxes["O2"])))
    return pc, pg


def test_a_gas_record_that_leads_the_current_is_refused_with_its_lead_and_can_be_given():
    """Gas times 60 s early against a 30 s delay: the automatic delay was 0 and e-/O2 2.84 / 3.40 for 2.00, without a
    word; a negative offset was refused."""
    cur, gas = _records(lead=60.0)
    with pytest.raises(ParameterError, match=r"the gas record seems to lead the current record by about 30 s: .*"
                                             r"time_offset_s=-30 \(on the command line: --offset=-30\)"):
        dems_steps(cur, gas, time_offset_s="auto")
    steps, offset = dems_steps(cur, gas, time_offset_s=-30.0)
    assert offset == -30.0
    assert [s.e_per_o2 for s in steps] == pytest.approx([2.0, 2.0], abs=1e-3)
    assert all(s.note == "" for s in steps)
    # with noise, as a mass spectrometer gives it
    cur, gas = _records(lead=60.0, noise=5e-10)
    with pytest.raises(ParameterError, match=r"lead the current record by about 30 s"):
        dems_steps(cur, gas, time_offset_s="auto")


@pytest.mark.parametrize("tau", [0.0, 20.0, 60.0])
@pytest.mark.parametrize("noise", [0.0, 1e-9])
def test_a_record_with_no_delay_still_gives_a_delay_of_zero_and_no_lead(tau, noise):
    """The lead search must not bring back the negative lags a search below 0 found on records with no delay."""
    cur, gas = _records(delay=0.0, tau=tau, noise=noise, seed=3)
    steps, offset = dems_steps(cur, gas, time_offset_s="auto")
    assert 0.0 <= offset <= (10.0 if tau == 60.0 else 2.0)
    assert len(steps) == 2


# --------------------------------------------------------------------------- 2: a gas record that starts late
def test_a_gas_record_that_starts_after_a_step_started_is_refused():
    """The gas record starting at 2000 s in a 600-4200 s discharge gave e-/O2 3.2 for 2.0 (its first 1370 s of gas
    missing), with only a note about the uncertainty."""
    cur, gas = _records(delay=30.0)
    late = gas.time_s >= 2000.0
    cut = GasFluxRecord(gas.time_s[late], {"O2": gas.fluxes["O2"][late]})
    with pytest.raises(ParameterError, match=r"step 1 \(discharge, 600-4199 s\): the gas record starts at 2000 s, "
                                             r"but this step's gas reaches the detector from 630 s .* its first "
                                             r"1370 s of gas .* are not in the record"):
        dems_steps(cur, cut, time_offset_s=30.0)


# --------------------------------------------------------------------------- 3: signs
def test_the_sign_message_names_both_records_and_the_workflow_takes_the_gas_sign(tmp_path):
    """A gas file counting consumption as positive was told to read the current with --charge-positive, which
    swapped discharge and charge without a word."""
    from metalair.workflows.electrochem import analyse_dems_files

    cur, gas = _records()
    flipped = GasFluxRecord(gas.time_s, {"O2": -gas.fluxes["O2"]})
    with pytest.raises(ParameterError, match=r"either the current record counts charge as positive .*"
                                             r"--charge-positive\), or the gas record counts consumption \(uptake\) "
                                             r"as positive: read it with evolution_sign=-1 \(on the command line: "
                                             r"--gas-consumption-positive\)"):
        dems_steps(cur, flipped, time_offset_s=30.0)
    pc, pg = _files(tmp_path, cur, gas, sign=-1.0)
    summary = analyse_dems_files(pc, pg, tmp_path / "out", time_offset_s=30.0, evolution_sign=-1, figures=False)
    assert [s["kind"] for s in summary["steps"]] == ["discharge", "charge"]
    assert [s["e_per_o2"] for s in summary["steps"]] == pytest.approx([2.0, 2.0], abs=1e-3)


# --------------------------------------------------------------------------- 4: a baseline still carrying gas
def test_a_baseline_that_still_carries_the_previous_steps_gas_is_noted_and_can_be_turned_off(tmp_path):
    """Delay 30 s, inlet tau 60 s, a 5-min rest: the charge's baseline held the discharge's decaying consumption,
    e-/O2 1.933 for 2.000 with no note, and the workflow could not set baseline_s."""
    from metalair.workflows.electrochem import analyse_dems_files

    layout = ((600, 0.0), (3600, I_A), (300, 0.0), (3600, -I_A), (3000, 0.0))
    cur, gas = _records(layout, delay=30.0, tau=60.0, noise=2e-11)
    steps, _ = dems_steps(cur, gas, time_offset_s=30.0)
    assert steps[0].note == ""
    assert steps[1].e_per_o2 == pytest.approx(1.933, abs=2e-3)
    assert "the O2 baseline still changes over its 60 s window before step 2" in steps[1].note
    assert "the previous step (1, discharge) ended 301 s before this one started" in steps[1].note
    assert "--baseline 0" in steps[1].note
    pc, pg = tmp_path / "current.csv", tmp_path / "gas.csv"
    pc.write_text("Time (s),I (A)\n" + "\n".join(f"{t},{i}" for t, i in zip(cur.time_s, cur.current_A)))
    pg.write_text("Time (s),O2 (mol/s)\n" + "\n".join(
        f"{t},{float(f)!r}" for t, f in zip(gas.time_s, gas.fluxes["O2"])))
    summary = analyse_dems_files(pc, pg, tmp_path / "out", time_offset_s=30.0, baseline_s=0.0, figures=False)
    assert [s["e_per_o2"] for s in summary["steps"]] == pytest.approx([2.0, 2.0], abs=1e-3)
    # a rest long enough for the tail to die away: no note
    long = ((600, 0.0), (3600, I_A), (1200, 0.0), (3600, -I_A), (3000, 0.0))
    cur, gas = _records(long, delay=30.0, tau=60.0, noise=2e-11)
    assert all(s.note == "" for s in dems_steps(cur, gas, time_offset_s=30.0)[0])


# --------------------------------------------------------------------------- 5: gas columns
def _gas_file(path, header, columns):
    t = np.arange(0.0, 20.0)
    path.write_text(",".join(header) + "\n" + "\n".join(
        ",".join([f"{x:g}"] + [f"{c * (1 + 0.1 * x):g}" for c in columns]) for x in t))
    return path


def test_gas_columns_not_read_are_named_and_one_gas_in_two_columns_is_refused(tmp_path):
    """Ar, N2O and CH4 columns were dropped without a note; a second O2 column (another calibration) silently
    replaced the first (e-/O2 0.40 for 2.00); 'O2 consumption (nmol/s)' gave 'no O2 column' without naming it."""
    with pytest.warns(DataQualityWarning, match=r"is not one of the gases read"):
        extra = read_gas_flux(_gas_file(tmp_path / "extra.csv", ["Time (s)", "O2 (nmol/s)", "Ar (nmol/s)",
                                                                 "N2O (nmol/s)", "CH4 (nmol/s)"], [1.0, 2.0, 3.0, 4.0]))
    assert extra.gases == ["O2"]
    for col in ("Ar (nmol/s)", "N2O (nmol/s)", "CH4 (nmol/s)"):
        assert any(repr(col) in n and "is not one of the gases read" in n for n in extra.metadata["notes"])
    assert extra.metadata["unread_columns"] == ["Ar (nmol/s)", "N2O (nmol/s)", "CH4 (nmol/s)"]
    with pytest.raises(DataFormatError, match=r"columns 'O2 \(nmol/s\)' and 'O2 \(umol/s\)' are both O2 fluxes"):
        read_gas_flux(_gas_file(tmp_path / "two.csv", ["Time (s)", "O2 (nmol/s)", "O2 (umol/s)"], [1.0, 5e-3]))
    with pytest.warns(DataQualityWarning, match=r"'O2 consumption \(nmol/s\)' is not one of the gases read"):
        cons = read_gas_flux(_gas_file(tmp_path / "cons.csv", ["Time (s)", "O2 consumption (nmol/s)", "CO2 (nmol/s)"],
                                       [1.0, 2.0]))
    cur = CurrentRecord(np.arange(0.0, 20.0), np.where(np.arange(20) > 5, 1e-3, 0.0))
    with pytest.raises(ParameterError, match=r"no O2 column \(gases: CO2\); e-/O2 needs it; the file has "
                                             r"'O2 consumption \(nmol/s\)', which looks like O2 but was not read"):
        dems_steps(cur, cons)


def test_the_workflow_reports_the_gas_columns_not_read(tmp_path):
    from metalair.workflows.electrochem import analyse_dems_files

    cur, gas = _records()
    pc, pg = _files(tmp_path, cur, gas, extra="Ar")
    summary = analyse_dems_files(pc, pg, tmp_path / "out", time_offset_s=30.0, figures=False)
    assert any(n.startswith("gas.csv: not read: column 'Ar (mol/s)'") for n in summary["notes"])


# --------------------------------------------------------------------------- 7: the last logging interval
def test_the_step_charge_includes_the_last_logging_interval():
    """Current logged every 10 s over 600 s steps: the trapezoid from the first to the last in-step sample left out
    the last 10 s (0.59 C for 0.60 C, e-/O2 1.967 for 2.000)."""
    layout = ((600, 0.0), (600, I_A), (600, 0.0), (600, -I_A), (1200, 0.0))
    cur, gas = _records(layout, log_every=10)
    steps, _ = dems_steps(cur, gas, time_offset_s=30.0)
    assert [s.electrons_mol * F for s in steps] == pytest.approx([0.6, 0.6], rel=1e-9)
    assert [s.e_per_o2 for s in steps] == pytest.approx([2.0, 2.0], abs=1e-3)


# --------------------------------------------------------------------------- 6, 8: simulated e-/O2
def test_the_simulated_e_per_o2_keeps_the_lagged_tail():
    """With a 60 s detector time constant the gas was cut off at each step's end: 1.118 / 1.128 against 1.001 /
    1.003 without it; the lag only delays the O2."""
    from metalair.protocols.simulation import Simulation

    sol = Simulation("NLRO", "Discharge at 100 mA/g for 10 min; Rest for 20 min; Charge at 100 mA/g for 10 min; "
                             "Rest for 20 min").run()
    ideal = electrons_per_o2(sol)
    lagged = electrons_per_o2(sol, time_constant_s=60.0)
    assert [r["kind"] for r in lagged] == ["discharge", "charge"]
    assert [r["e_per_O2"] for r in lagged] == pytest.approx([r["e_per_O2"] for r in ideal], rel=1e-3)
    assert [r["e_per_O2"] for r in ideal] == pytest.approx([1.0, 1.0], abs=0.01)


def test_the_simulated_amounts_are_the_exact_sums_of_the_step_averaged_rates():
    """The trapezoid rule over each step's rows dropped its first interval: the hold's 498.33 mAh/g against the
    step summary's 497.28, and the charge's e-/O2 70.36 against 67.70 from the rates times the time steps (0.3.0.dev0
    before the NaO2 pools shared one contact; 68.42 after)."""
    from metalair.protocols.simulation import Simulation

    sol = Simulation("NLRO", "Discharge at 100 mA/g for 5 h; Hold at 3.0 V for 1 h; Charge at 100 mA/g until 4.8 V"
                     ).run()
    rows = electrons_per_o2(sol)
    caps = {s.index: s.capacity_mAh_g for s in sol.steps}
    for r in rows:
        assert r["charge_mAh_g"] == pytest.approx(caps[r["step"]], rel=1e-9)
    t, step = np.asarray(sol["Time [s]"]), np.asarray(sol["Step"])
    uptake = np.asarray(sol["O2 uptake [mol/g]"])
    last = rows[-1]
    m = np.flatnonzero(step == last["step"])
    # the last step's O2 evolved is the fall of the O2 uptake over it (from the row before it)
    assert last["O2_mol_g"] == pytest.approx(uptake[m[0] - 1] - uptake[m[-1]], rel=1e-9)
    # and e-/O2 is the step's charge over F times that O2 (3.6 C per mAh)
    assert last["e_per_O2"] == pytest.approx(3.6 * caps[last["step"]] / (F * last["O2_mol_g"]), rel=1e-9)
    assert math.isfinite(float(t[-1]))


def test_the_dems_command_takes_the_gas_sign_the_baseline_and_a_negative_offset(tmp_path):
    """--gas-consumption-positive, --baseline and --offset=-N reach the analysis from the command line."""
    from typer.testing import CliRunner

    from metalair.cli.app import app

    cur, gas = _records()
    pc, pg = _files(tmp_path, cur, gas, sign=-1.0)
    run = CliRunner().invoke
    res = run(app, ["dems", "--current", str(pc), "--gas", str(pg), "--offset", "30", "--gas-consumption-positive",
                    "--baseline", "0", "--no-plot", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    rows = [ln.split() for ln in res.output.splitlines() if ln.strip()[:1].isdigit()]
    assert [(r[1], round(float(r[2]), 2)) for r in rows] == [("discharge", 2.0), ("charge", 2.0)]
    _pc, early = _files(tmp_path, cur, gas, shift=-60.0)  # the gas clock 60 s ahead: the gas record leads by 30 s
    res = run(app, ["dems", "--current", str(pc), "--gas", str(early), "--offset=-30", "--no-plot",
                    "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0, res.output
    assert "gas offset -30 s (the gas record leads the current)" in res.output
    bad = run(app, ["dems", "--current", str(pc), "--gas", str(pg), "--baseline", "nan", "--out", str(tmp_path / "o3")])
    assert bad.exit_code != 0 and "--baseline nan: give a finite number of seconds >= 0" in bad.output


def test_a_gas_record_that_starts_one_sampling_interval_in_is_read():
    """Gas logged every second from t = 1 s, a step from t = 0 (the review's case): not refused as late."""
    t = np.arange(0.0, 3 * 3600 + 1, 1.0)
    i = np.where(t < 3600, 1e-3, np.where(t < 7200, 0.0, -1e-3))
    tg = t[1:]
    o2 = np.where(tg <= 3600, -1e-3 / (2 * F), np.where(tg <= 7200, 0.0, 1e-3 / (2 * F)))
    steps, _ = dems_steps(CurrentRecord(t, i), GasFluxRecord(tg, {"O2": o2}), time_offset_s=0.0)
    assert [round(s.e_per_o2, 3) for s in steps] == [2.0, 2.0]
