"""Bridge from a simulated :class:`~metalair.protocols.solution.Solution` to the measured-data table.

A simulation converted with :func:`to_cycler_data` is analysed by exactly the
same functions as a cycler file (cycle summaries, dQ/dV, plateaus, cycle life),
so measured and simulated cells are compared number for number.
"""

from __future__ import annotations

import numpy as np

__all__ = ["to_cycler_data"]


def to_cycler_data(sol, mass_g: float = 1.0):
    """Return the solution as :class:`metalair.io.CyclerData` for a cell with ``mass_g`` of catalyst.

    Currents (mA/g × g → A) keep the cell's sign convention (positive on
    discharge); ``capacity_Ah`` is the signed charge since the start of each step.
    """
    from metalair.tables.cycler import CyclerData

    if not (isinstance(mass_g, (int, float)) and mass_g > 0 and np.isfinite(mass_g)):
        from metalair.errors import ParameterError

        raise ParameterError(f"mass_g = {mass_g!r} must be a positive number of grams")
    kinds = {s.index: s.kind for s in sol.steps}
    step = np.asarray(sol["Step"], dtype=int)
    # the initial point (step 0) belongs to the first step
    step_fixed = np.where(step == 0, step[step > 0][0] if np.any(step > 0) else 1, step)
    step_type = np.array([{"sweep": "other"}.get(kinds.get(int(s), "rest"), kinds.get(int(s), "rest"))
                          for s in step_fixed])
    current_A = np.asarray(sol["Current [mA/g]"]) * 1e-3 * mass_g
    sign = np.where(step_type == "charge", -1.0, 1.0)
    cap_Ah = sign * np.asarray(sol["Capacity [mAh/g]"]) * 1e-3 * mass_g
    return CyclerData(
        time_s=np.asarray(sol["Time [s]"]),
        voltage_V=np.asarray(sol["Voltage [V]"]),
        current_A=current_A,
        step=step_fixed,
        cycle=np.asarray(sol["Cycle"], dtype=int),
        step_type=step_type,
        capacity_Ah=cap_Ah,
        metadata={"instrument": "metalair simulation", "catalyst": sol.meta.get("catalyst"),
                  "mass_g": mass_g, "format": "simulation", "warnings": []},
    )
