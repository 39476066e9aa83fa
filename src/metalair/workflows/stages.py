"""Stage analysis: product inventories at each stage of one discharge–charge cycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metalair.errors import ParameterError, SolverError
from metalair.models.declaration import SODIUM_PRODUCTS
from metalair.protocols.steps import Charge, Discharge
from metalair.units import convert

__all__ = ["StageAnalysis", "stage_analysis", "STAGE_PRODUCTS"]

#: Products reported at each stage; the first three are the discharge products whose vanishing order is judged.
STAGE_PRODUCTS = SODIUM_PRODUCTS


@dataclass
class StageAnalysis:
    """Product inventories at the end of discharge and at chosen voltages during the charge.

    Attributes
    ----------
    catalyst : str
        The catalyst's name.
    rows : list of dict
        ``{"stage", "voltage_V", "capacity_mAh_g", <product>: mmol/g, ...}`` per stage.
    vanish_order : list of str
        Products in the order their inventory fell below 1 % of its peak on charge.
    left_after_charge_mmol_g : dict
        Inventory of each product at the end of the charge.
    """

    catalyst: str
    rows: list[dict[str, Any]]
    vanish_order: list[str]
    left_after_charge_mmol_g: dict[str, float]
    #: the protocol that was run, as protocol text
    protocol: str = ""

    def table(self) -> str:
        """The stages as a text table."""
        keys = STAGE_PRODUCTS
        run = f" after '{self.protocol}'" if self.protocol else ""
        lines = [f"{self.catalyst}: products [mmol/g]{run}",
                 f"  {'stage':28s} {'V':>6s} " + " ".join(f"{k:>8s}" for k in keys)]
        for r in self.rows:
            lines.append(f"  {r['stage']:28s} {r['voltage_V']:6.2f} " + " ".join(f"{r[k]:8.3f}" for k in keys))
        lines.append(f"  vanish order on charge: {' -> '.join(self.vanish_order) or 'none'}")
        left = ", ".join(f"{k} {v:.3g}" for k, v in self.left_after_charge_mmol_g.items() if v > 1e-3)
        lines.append(f"  left after charge: {left or 'nothing'}")
        return "\n".join(lines)


def stage_analysis(catalyst: Any = "NLRO", current: str = "200 mA/g", capacity: str = "1000 mAh/g",
                   v_max: str | float = "4.8 V", charge_voltages: Sequence[float] = (2.8, 3.8, 4.6),
                   parameters: Any = None) -> StageAnalysis:
    """One capacity-limited discharge, then a charge to ``v_max``: inventories at each stage.

    The charge is not capacity-limited, so everything the catalyst can remove
    below ``v_max`` is removed.

    Raises
    ------
    SolverError
        When the simulation fails.
    """
    from metalair.protocols.simulation import Simulation

    d = Discharge(current, capacity=capacity, until="1.5 V")
    c = Charge(current, until=v_max)
    sol = Simulation(catalyst, [d, c], parameters=parameters).run()
    if not sol.ok:
        raise SolverError(f"stage analysis for {catalyst}: {sol.message}")
    keys = STAGE_PRODUCTS
    step = sol["Step"]
    V = sol["Voltage [V]"]
    Q = sol["Capacity [mAh/g]"]
    inv = {k: convert(sol[f"{k} [mol/g]"], "mol/g", "mmol/g") for k in keys}
    rows: list[dict[str, Any]] = []
    i_end = int(np.flatnonzero(step == 1)[-1])
    rows.append({"stage": "end of discharge", "voltage_V": float(V[i_end]), "capacity_mAh_g": float(Q[i_end]),
                 **{k: float(inv[k][i_end]) for k in keys}})
    ch = np.flatnonzero(step == 2)
    v_start = float(V[ch[0]])
    below = [vt for vt in charge_voltages if vt < v_start]
    if below:  # the charge never passes through them: its first point would be reported "first reaching" them
        shown = ", ".join(f"{vt:g}" for vt in below)
        verb, them = ("is", "it") if len(below) == 1 else ("are", "them")
        raise ParameterError(f"charge_voltages {shown} V {verb} below {v_start:.3g} V, where the charge after the "
                             f"discharge starts, so it never reaches {them}; give voltages above that, e.g. 2.8, "
                             "3.8, 4.6")
    for vt in charge_voltages:
        hit = ch[V[ch] >= vt]
        if hit.size:
            i = int(hit[0])
            rows.append({"stage": f"charge, first reaching {vt:g} V", "voltage_V": float(V[i]),
                         "capacity_mAh_g": float(Q[i]), **{k: float(inv[k][i]) for k in keys}})
    i_last = int(ch[-1])
    rows.append({"stage": f"end of charge ({sol.steps[1].end_reason})", "voltage_V": float(V[i_last]),
                 "capacity_mAh_g": float(Q[i_last]), **{k: float(inv[k][i_last]) for k in keys}})
    order = []
    for k in keys[:3]:
        series = inv[k][ch]
        peak = float(np.max(series)) if series.size else 0.0
        if peak <= 1e-9:
            continue
        gone = np.flatnonzero(series < 0.01 * peak)
        if gone.size:
            order.append((int(gone[0]), k))
    vanish = [k for _i, k in sorted(order)]
    left = {k: float(inv[k][i_last]) for k in keys}
    from metalair.protocols import format_protocol

    return StageAnalysis(sol.meta.get("catalyst", str(catalyst)), rows, vanish, left,
                         protocol="; ".join(format_protocol(step) for step in (d, c)))
