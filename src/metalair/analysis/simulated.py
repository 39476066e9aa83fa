"""Bridges from a simulated :class:`~metalair.protocols.solution.Solution` to the measured-data tables.

A simulation converted with :func:`to_cycler_data` is analysed by exactly the
same functions as a cycler file (cycle summaries, dQ/dV, plateaus, cycle life),
so measured and simulated cells are compared number for number;
:func:`simulated_cycle_summary` builds the same per-cycle table from the step
summaries alone, so it works on long runs that keep no time series.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from metalair.analysis._arguments import solution
from metalair.analysis.efficiency import energy_efficiency
from metalair.errors import ParameterError
from metalair.models.declaration import LEFT_AFTER_CHARGE
from metalair.protocols.solution import combine_steps, half_cycle
from metalair.tables.cycler import CyclerData
from metalair.tables.summary import SummaryTable
from metalair.units import convert

__all__ = ["to_cycler_data", "simulated_cycle_summary"]


def to_cycler_data(sol: Any, mass_g: float = 1.0) -> CyclerData:
    """Return the solution as :class:`~metalair.tables.cycler.CyclerData` for a cell with ``mass_g`` of catalyst.

    Currents (mA/g × g → A) keep the cell's sign convention (positive on
    discharge); ``capacity_Ah`` is the signed charge since the start of each step (a
    hold, rest or sweep: the current integrated over the step, so an oxidising hold
    counts as charge).
    """
    if not (isinstance(mass_g, (int, float)) and mass_g > 0 and np.isfinite(mass_g)):
        raise ParameterError(f"mass_g = {mass_g!r} must be a positive number of grams")
    solution("to_cycler_data", sol)
    kinds = {s.index: s.kind for s in sol.steps}
    step = np.asarray(sol["Step"], dtype=int)
    # the initial point (step 0) belongs to the first step
    step_fixed = np.where(step == 0, step[step > 0][0] if np.any(step > 0) else 1, step)
    step_type = np.array([{"sweep": "other"}.get(kinds.get(int(s), "rest"), kinds.get(int(s), "rest"))
                          for s in step_fixed])
    current_A = convert(np.asarray(sol["Current [mA/g]"]) * mass_g, "mA", "A")
    time_s = np.asarray(sol["Time [s]"], dtype=float)
    # a galvanostatic step's capacity comes from the run, its sign from the step; a hold, rest or sweep can pass
    # charge either way, so its capacity is the current integrated within the step, with the current's sign
    # (each output point's current over the step that ends there, as the backward-Euler run counts it)
    sign = np.where(step_type == "charge", -1.0, 1.0)
    cap_Ah = sign * convert(np.asarray(sol["Capacity [mAh/g]"]) * mass_g, "mAh", "Ah")
    cum = np.concatenate(([0.0], np.cumsum(current_A[1:] * np.diff(time_s))))
    first = np.maximum.accumulate(np.where(np.r_[True, step_fixed[1:] != step_fixed[:-1]], np.arange(step.size), 0))
    other = (step_type != "discharge") & (step_type != "charge")
    # a step's first output point ends its first solver step, which began when the step did (not at the point
    # before, which may lie cycles earlier when save_cycles dropped the ones between)
    began = np.array([{s.index: s.start_time_s for s in sol.steps}.get(int(s), time_s[0]) for s in step_fixed])
    head = current_A[first] * (time_s[first] - began[first])
    cap_Ah = np.where(other, convert(cum - cum[first] + head, "As", "Ah"), cap_Ah)
    return CyclerData(
        time_s=time_s,
        voltage_V=np.asarray(sol["Voltage [V]"]),
        current_A=current_A,
        step=step_fixed,
        cycle=np.asarray(sol["Cycle"], dtype=int),
        step_type=step_type,
        capacity_Ah=cap_Ah,
        metadata={"instrument": "metalair simulation", "catalyst": sol.meta.get("catalyst"),
                  "mass_g": mass_g, "format": "simulation", "warnings": []},
    )


def simulated_cycle_summary(sol: Any) -> SummaryTable:
    """Per-cycle table of a simulated solution from its step summaries (works without stored time series).

    The columns are those of :func:`metalair.analysis.cycle_metrics.cycle_summary`
    (capacities per gram of catalyst) plus model-only ones: deposits left after
    each charge and the catalyst's d-band centre at the end of the charge.
    Each cycle's discharge and charge are the half-cycles
    (:func:`~metalair.protocols.solution.half_cycle`) that start with its first
    galvanostatic discharge and charge: a CC-CV charge, or a charge stepped down in
    current, counts whole, as ``cycle_summary(to_cycler_data(sol))`` and cycler
    software count it (:func:`~metalair.protocols.solution.combine_steps`: summed
    capacities and energies, the end of the last step).
    """
    solution("simulated_cycle_summary", sol, columns=False)
    cycles: dict[int, dict[str, Any]] = {}
    for k, s in enumerate(sol.steps):
        row = cycles.setdefault(s.cycle, {})
        if s.kind in ("discharge", "charge") and s.kind not in row:
            row[s.kind] = combine_steps(half_cycle(sol.steps, k))
    keys = sorted(cycles)
    nan = math.nan

    def col(fn: Callable[[dict[str, Any]], float]) -> np.ndarray:
        return np.array([fn(cycles[k]) for k in keys], dtype=float)

    def get(r: dict[str, Any], kind: str, attr: str) -> float:
        s = r.get(kind)
        return getattr(s, attr) if s is not None else nan

    qd = col(lambda r: get(r, "discharge", "capacity_mAh_g"))
    qc = col(lambda r: get(r, "charge", "capacity_mAh_g"))
    ed = col(lambda r: get(r, "discharge", "energy_Wh_kg"))
    ec = col(lambda r: get(r, "charge", "energy_Wh_kg"))
    vd = col(lambda r: get(r, "discharge", "mean_voltage_V"))
    vc = col(lambda r: get(r, "charge", "mean_voltage_V"))
    qc0 = np.where(np.isnan(qc), 0.0, qc)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = {
            "Cycle": np.array(keys, dtype=int),
            "Discharge capacity [mAh/g]": qd,
            "Charge capacity [mAh/g]": qc0,
            "Coulombic efficiency [%]": 100.0 * qc / qd,
            "Discharge energy [mWh/g]": convert(ed, "Wh/kg", "mWh/g"),
            "Charge energy [mWh/g]": convert(ec, "Wh/kg", "mWh/g"),
            "Energy efficiency [%]": energy_efficiency(qd, qc0, ed, ec),
            "Mean discharge voltage [V]": vd,
            "Mean charge voltage [V]": vc,
            "End-of-discharge voltage [V]": col(lambda r: get(r, "discharge", "end_voltage_V")),
            "End-of-charge voltage [V]": col(lambda r: get(r, "charge", "end_voltage_V")),
            "Polarisation [V]": vc - vd,
        }

    def after(r: dict[str, Any], key: str) -> float:
        s = r.get("charge") or r.get("discharge")
        if s is None:
            return nan
        return float(convert(s.products_end_mol_g.get(key, nan), "mol/g", "mmol/g"))

    for inventory, stem in LEFT_AFTER_CHARGE:
        columns[f"{stem} after charge [mmol/g]"] = col(functools.partial(after, key=inventory))
    columns["Catalyst d-band centre at end of charge [eV]"] = col(lambda r: get(r, "charge", "catalyst_d_band_end_eV"))
    return SummaryTable(columns=columns, capacity_unit="mAh/g", mass_g=None,
                        notes=("simulated: capacities per gram of catalyst; one row per protocol cycle",))


