"""Targets from cycler records that are not "fresh cell, discharge, charge": the protocol they imply.

Each record is made by the model itself at the shipped values, so the right answer is known: the
targets' protocol run at the same values gives back the record's numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from metalair.calibration import targets_from_cycler
from metalair.errors import DataFormatError

MASS_G = 5e-4


def _record(protocol: str):
    from metalair.analysis.simulated import to_cycler_data
    from metalair.protocols.simulation import simulate

    return to_cycler_data(simulate("NLRO", protocol), mass_g=MASS_G)


def _reproduced(tg, within_sigma: float = 0.1) -> None:
    from metalair.calibration.runs import evaluate_targets

    for t, y in zip(tg, evaluate_targets(tg)):
        assert abs(y - t.value) < within_sigma * t.sigma, (t.id, t.run, y, t.value)


def test_a_formation_charge_before_the_first_discharge_is_run_not_taken_as_a_rest():
    """A charge before the first discharge (host oxidised) changes the discharge; the protocol must charge too."""
    data = _record("Charge at 100 mA/g until 4.4 V; Discharge at 200 mA/g until 1.5 V; Charge at 200 mA/g until 4.4 V")
    tg = targets_from_cycler("cell.csv", "NLRO", data=data, quantities=("mean_discharge_voltage", "polarisation"))
    assert tg[0].run.startswith("Charge at 100 mA/g"), tg[0].run
    assert "Rest" not in tg[0].run
    _reproduced(tg)


def test_a_cc_cv_formation_charge_keeps_its_hold():
    data = _record("Charge at 100 mA/g until 4.0 V; Hold at 4.0 V until 10 mA/g or 2 h; Rest for 1 h; "
                   "Discharge at 200 mA/g until 1.5 V; Charge at 200 mA/g until 4.4 V")
    tg = targets_from_cycler("cell.csv", "NLRO", data=data, quantities=("mean_discharge_voltage", "polarisation"))
    assert tg[0].run.startswith("Charge at 100 mA/g until 4.00 V; Hold at 4.00 V until 10 mA/g"), tg[0].run
    assert "; Rest for 1 h; Discharge at 200 mA/g until 1.50 V" in tg[0].run
    _reproduced(tg)


def test_a_rest_inside_the_discharge_does_not_lower_its_current():
    """The discharge's current is the cycler's set current, not its capacity over a time that includes a rest."""
    data = _record("Discharge at 200 mA/g for 2000 mAh/g; Rest for 1 h; Discharge at 200 mA/g until 1.5 V; "
                   "Charge at 200 mA/g until 4.4 V")
    (tg,) = targets_from_cycler("cell.csv", "NLRO", data=data, quantities=("discharge_capacity",))
    assert "Discharge at 200 mA/g until 1.50 V" in tg.run, tg.run
    _reproduced([tg], 0.02)


def test_a_capacity_limited_charge_gives_no_coulombic_efficiency_target():
    """Charged for a fixed capacity, the efficiency is that capacity over the discharge's: imposed, not measured."""
    data = _record("Discharge at 200 mA/g until 1.5 V; Charge at 200 mA/g for 5000 mAh/g or until 4.4 V")
    with pytest.warns(UserWarning, match="coulombic efficiency is imposed"):
        tg = targets_from_cycler("cell.csv", "NLRO", data=data,
                                 quantities=("discharge_capacity", "coulombic_efficiency"))
    assert [t.observable for t in tg] == ["discharge_capacity"]


def _voltammogram(step_type_by_sign: bool):
    """Two cycles of a cyclic voltammogram, 2-4 V at 1 mV/s, with a reduction and an oxidation peak."""
    from metalair.tables.cycler import CyclerData

    up = np.linspace(2.0, 4.0, 400)
    sweep = np.concatenate([up[::-1], up[1:], up[::-1][1:], up[1:]])
    t = np.arange(sweep.size) * 5.0
    going_up = np.r_[True, np.diff(sweep) > 0]
    current = np.where(going_up, -1e-5 * np.exp(-((sweep - 3.4) / 0.2) ** 2) - 1e-7,
                       1e-5 * np.exp(-((sweep - 2.4) / 0.2) ** 2) + 1e-7)
    kinds = np.where(current > 0, "discharge", "charge") if step_type_by_sign else np.full(t.size, "hold")
    step = np.cumsum(np.r_[1, current[1:] * current[:-1] < 0])  # a step for each sweep direction
    return CyclerData(time_s=t, voltage_V=sweep, current_A=current, step=step,
                      cycle=np.where(np.arange(t.size) < 2 * up.size - 1, 1, 2), step_type=kinds,
                      metadata={"mass_g": MASS_G})


@pytest.mark.parametrize("by_sign", [False, True], ids=["typed-as-sweep", "typed-by-current-sign"])
def test_a_voltammetry_record_is_refused(by_sign):
    with pytest.raises(DataFormatError, match="not at constant current.*metalair cv"):
        targets_from_cycler("cv.mpt", "NLRO", data=_voltammogram(by_sign))


def test_a_record_whose_current_is_reversed_is_told_how_to_flip_it():
    import dataclasses

    data = _record("Discharge at 200 mA/g until 1.5 V; Charge at 200 mA/g until 4.4 V")
    flipped = dataclasses.replace(data, current_A=-data.current_A, capacity_Ah=None,
                                  step_type=np.where(data.step_type == "discharge", "charge", "discharge"))
    with pytest.raises(DataFormatError, match=r"positive on discharge.*--columns 'current_A=<column>@-1'"):
        targets_from_cycler("cell.csv", "NLRO", data=flipped)


def test_an_open_circuit_record_is_said_to_carry_no_current():
    from metalair.tables.cycler import CyclerData

    n = 20
    data = CyclerData(time_s=np.arange(n) * 10.0, voltage_V=np.full(n, 2.9), current_A=np.zeros(n),
                      step=np.ones(n, dtype=int), cycle=np.ones(n, dtype=int), step_type=np.full(n, "rest"),
                      metadata={"mass_g": MASS_G})
    with pytest.raises(DataFormatError, match="passes no current"):
        targets_from_cycler("ocv.mpr", "NLRO", data=data)


def test_a_cc_cv_charge_is_compared_whole_with_the_record():
    """A CC-CV charge after the discharge: the record's mean charge voltage and charge capacity cover the hold too;
    the model's observables took only the constant-current step of the run the targets imply."""
    # the hold carries 359 of the charge's 2559 mAh/g (2.45 V against the CC step's mean 2.419 V)
    data = _record("Discharge at 200 mA/g for 3000 mAh/g; Charge at 200 mA/g until 2.45 V; "
                   "Hold at 2.45 V until 20 mA/g or 2 h")
    tg = targets_from_cycler("cell.csv", "NLRO", data=data,
                             quantities=("mean_charge_voltage", "coulombic_efficiency"))
    assert "Hold at 2.45 V" in tg[0].run, tg[0].run
    _reproduced(tg, 0.02)


def test_a_cc_cv_charge_written_as_one_step_keeps_its_hold_and_its_efficiency_target():
    """A cycler that writes a CC-CV charge as one 'charge' step (Maccor, Neware CCCV_Chg): the constant-voltage
    tail was read as more constant current, the charge built as 'for <its capacity>' and its coulombic efficiency
    dropped with the untrue warning that it ended at its capacity (maccor_one.txt: 3.0 h instead of 5.0 h)."""
    import warnings
    from dataclasses import replace

    data = _record("Discharge at 200 mA/g for 3000 mAh/g; Charge at 200 mA/g until 2.5 V; "
                   "Hold at 2.5 V until 20 mA/g or 2 h")
    hold = np.asarray(data.step_type) == "hold"
    charge_step = np.asarray(data.step)[np.flatnonzero(np.asarray(data.step_type) == "charge")[0]]
    one_step = replace(data, step_type=np.where(hold, "charge", np.asarray(data.step_type)),
                       step=np.where(hold, charge_step, np.asarray(data.step)),
                       capacity_Ah=None, energy_Wh=None)  # per-step counters would restart inside the one step
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 'ended at its capacity' warning
        tg = targets_from_cycler("cell.csv", "NLRO", data=one_step,
                                 quantities=("mean_charge_voltage", "coulombic_efficiency"))
    assert [t.observable for t in tg] == ["mean_charge_voltage", "coulombic_efficiency"]
    assert "Charge at 200 mA/g until 2.50 V; Hold at 2.50 V" in tg[0].run, tg[0].run
    _reproduced(tg, 0.05)
