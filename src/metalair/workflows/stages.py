"""Stage analysis: product inventories at each stage of one discharge–charge cycle."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np

from metalair.constants import F
from metalair.errors import ParameterError, SolverError
from metalair.models.declaration import PROCESSES, SODIUM_PRODUCTS
from metalair.protocols.steps import Charge, Discharge
from metalair.units import convert, from_user, to_user

__all__ = ["StageAnalysis", "stage_analysis", "STAGE_PRODUCTS", "VANISHED_FRACTION", "LEFT_MIN_MMOL_G"]

#: Products reported at each stage; the first three are the discharge products whose vanishing order is judged.
STAGE_PRODUCTS = SODIUM_PRODUCTS
#: A product has vanished on charge once its inventory falls below this fraction of its peak during the charge.
VANISHED_FRACTION = 0.01
#: A trace [mmol/g]: an inventory at or below it is not listed as left after the charge, and a product whose
#: inventory never exceeds it during the charge is not in the vanish order (its order would be numerical noise).
LEFT_MIN_MMOL_G = 1e-3
#: Electrons released per mole of each product oxidised on charge (the "<product> decomposed" processes).
_ELECTRONS = {pr.channel: pr.electrons for pr in PROCESSES if pr.channel and pr.name == f"{pr.channel} decomposed"}


@dataclass
class StageAnalysis:
    """Product inventories at the end of discharge and at chosen voltages during the charge.

    Attributes
    ----------
    catalyst : str
        The catalyst's name.
    rows : list of dict
        ``{"stage", "voltage_V", "capacity_mAh_g", <product>: mmol/g, ...}`` per stage; the capacity
        is the one passed in the step so far (discharge, then charge, each from zero).
    vanish_order : list of str
        Products in the order their inventory fell below :data:`VANISHED_FRACTION` (1 %) of its peak
        on charge, and stayed there; only products whose peak on charge exceeds :data:`LEFT_MIN_MMOL_G`.
    left_after_charge_mmol_g : dict
        Inventory of each product at the end of the charge.
    left_after_charge_mAh_g : dict
        The charge that would oxidise what is left of each product (its electrons per mole times F).
    """

    catalyst: str
    rows: list[dict[str, Any]]
    vanish_order: list[str]
    left_after_charge_mmol_g: dict[str, float]
    #: the protocol that was run, as protocol text
    protocol: str = ""
    left_after_charge_mAh_g: dict[str, float] = field(default_factory=dict)
    #: discharge products never above LEFT_MIN_MMOL_G during the charge (not judged in the vanish order)
    traces_only: list[str] = field(default_factory=list)

    def table(self) -> str:
        """The stages as a text table, with what "vanished" and "left" mean."""
        keys = STAGE_PRODUCTS
        run = f" after '{self.protocol}'" if self.protocol else ""
        width = max([28, *(len(r["stage"]) for r in self.rows)])
        lines = [f"{self.catalyst}: products [mmol/g]{run}; Q: capacity passed in the step [mAh/g]",
                 f"  {'stage':{width}s} {'Q':>8s} {'V':>6s} " + " ".join(f"{k:>8s}" for k in keys)]
        for r in self.rows:
            lines.append(f"  {r['stage']:{width}s} {r['capacity_mAh_g']:8.1f} {r['voltage_V']:6.2f} "
                         + " ".join(f"{r[k]:8.3f}" for k in keys))
        lines.append(f"  vanish order on charge (inventory below {100 * VANISHED_FRACTION:g} % of its peak on "
                     f"charge): {' -> '.join(self.vanish_order) or 'none'}"
                     + (f"; never above {LEFT_MIN_MMOL_G:g} mmol/g on charge: {', '.join(self.traces_only)}"
                        if self.traces_only else ""))
        discharged = float(self.rows[0]["capacity_mAh_g"]) if self.rows else 0.0
        left = []
        for k, v in self.left_after_charge_mmol_g.items():
            if v <= LEFT_MIN_MMOL_G:
                continue
            text = f"{k} {v:.3g} mmol/g"
            q = self.left_after_charge_mAh_g.get(k)
            if q is not None:
                share = f", {100 * q / discharged:.2g} % of the discharge" if discharged > 0 else ""
                text += f" ({q:.3g} mAh/g to oxidise at {_ELECTRONS[k]:g} e- each{share})"
            if k in self.vanish_order:
                text += f" [a trace: below {100 * VANISHED_FRACTION:g} % of its peak]"
            left.append(text)
        lines.append(f"  left after charge (above {LEFT_MIN_MMOL_G:g} mmol/g): {'; '.join(left) or 'nothing'}")
        return "\n".join(lines)


def _charge_voltages(charge_voltages: Any, v_max: float) -> list[float]:
    """The report voltages as sorted, distinct floats; refuse what is not a voltage up to ``v_max``."""
    example = "e.g. (2.8, 3.8, 4.6)"
    if isinstance(charge_voltages, (str, bytes)) or not (isinstance(charge_voltages, Sequence)
                                                         or np.ndim(charge_voltages) == 1):
        raise ParameterError(f"charge_voltages={charge_voltages!r}: give a sequence of voltages in V, {example}")
    volts: list[float] = []
    for v in list(charge_voltages):
        if isinstance(v, bool) or not isinstance(v, Real):
            raise ParameterError(f"charge_voltages: {v!r} is not a number of volts; give voltages in V, {example}")
        if not math.isfinite(float(v)):
            raise ParameterError(f"charge_voltages: {v!r} is not a finite voltage; give voltages in V, {example}")
        volts.append(float(v))
    above = [v for v in volts if v > v_max]
    if above:
        shown = ", ".join(f"{v:g}" for v in above)
        verb, them = ("lies", "it") if len(above) == 1 else ("lie", "them")
        raise ParameterError(f"charge_voltages {shown} V {verb} above v_max {v_max:g} V, where the charge stops, so "
                             f"it never reaches {them}; give voltages up to v_max (or raise v_max)")
    return sorted(set(volts))


def _vanish_order(on_charge: dict[str, np.ndarray]) -> list[str]:
    """Products (inventories on charge [mmol/g]) in the order they vanish below VANISHED_FRACTION of their peak.

    Vanished: below the threshold from some sample to the end of the charge. A product that dips below
    the threshold and grows back has not vanished; one whose peak stays at or below LEFT_MIN_MMOL_G (a
    trace) is not judged.
    """
    order = []
    for k, series in on_charge.items():
        peak = float(np.max(series)) if series.size else 0.0
        if peak <= LEFT_MIN_MMOL_G:
            continue
        present = np.flatnonzero(series >= VANISHED_FRACTION * peak)
        if present[-1] < series.size - 1:
            order.append((int(present[-1]) + 1, k))
    return [k for _i, k in sorted(order)]


def stage_analysis(catalyst: Any = "NLRO", current: str = "200 mA/g", capacity: str = "1000 mAh/g",
                   v_max: str | float = "4.8 V", charge_voltages: Sequence[float] = (2.8, 3.8, 4.6),
                   parameters: Any = None, environment: Any = None) -> StageAnalysis:
    """One capacity-limited discharge, then a charge to ``v_max``: inventories at each stage.

    The charge is not capacity-limited, so everything the catalyst can remove
    below ``v_max`` is removed. ``charge_voltages`` [V] are reported in rising order
    (the order the charge reaches them); ``environment`` defaults to ambient air.

    Raises
    ------
    ParameterError
        When a report voltage is not a finite number, lies above ``v_max`` or below where the charge starts.
    SolverError
        When the simulation fails.
    """
    from metalair.protocols.simulation import Simulation

    d = Discharge(current, capacity=capacity, until="1.5 V")
    c = Charge(current, until=v_max)
    if c.until is None:  # Charge(..., until=v_max) always has one; this keeps the type checker informed
        raise ParameterError(f"v_max={v_max!r}: give the charge's voltage limit, e.g. '4.8 V'")
    report_at = _charge_voltages(charge_voltages, float(c.until))
    env = {} if environment is None else {"environment": environment}
    sol = Simulation(catalyst, [d, c], parameters=parameters, **env).run()
    if not sol.ok:
        raise SolverError(f"stage analysis for {catalyst}: {sol.message}")
    keys = STAGE_PRODUCTS
    step = sol["Step"]
    V = sol["Voltage [V]"]
    Q = sol["Capacity [mAh/g]"]
    inv = {k: convert(sol[f"{k} [mol/g]"], "mol/g", "mmol/g") for k in keys}
    rows: list[dict[str, Any]] = []
    i_end = int(np.flatnonzero(step == 1)[-1])
    rows.append({"stage": f"end of discharge ({sol.steps[0].end_reason})", "voltage_V": float(V[i_end]),
                 "capacity_mAh_g": float(Q[i_end]), **{k: float(inv[k][i_end]) for k in keys}})
    ch = np.flatnonzero(step == 2)
    v_start = float(V[ch[0]])
    below = [vt for vt in report_at if vt < v_start]
    if below:  # the charge never passes through them: its first point would be reported "first reaching" them
        shown = ", ".join(f"{vt:g}" for vt in below)
        verb, them = ("is", "it") if len(below) == 1 else ("are", "them")
        raise ParameterError(f"charge_voltages {shown} V {verb} below {v_start:.3g} V, where the charge after the "
                             f"discharge starts, so it never reaches {them}; give voltages above that, e.g. 2.8, "
                             "3.8, 4.6")
    for vt in report_at:
        hit = ch[V[ch] >= vt]
        if hit.size:
            i = int(hit[0])
            rows.append({"stage": f"charge, first reaching {vt:g} V", "voltage_V": float(V[i]),
                         "capacity_mAh_g": float(Q[i]), **{k: float(inv[k][i]) for k in keys}})
    i_last = int(ch[-1])
    rows.append({"stage": f"end of charge ({sol.steps[1].end_reason})", "voltage_V": float(V[i_last]),
                 "capacity_mAh_g": float(Q[i_last]), **{k: float(inv[k][i_last]) for k in keys}})
    vanish = _vanish_order({k: inv[k][ch] for k in keys[:3]})
    traces = [k for k in keys[:3] if float(np.max(inv[k][ch])) <= LEFT_MIN_MMOL_G]
    left = {k: float(inv[k][i_last]) for k in keys}
    left_q = {k: float(to_user(from_user(v, "mmol/g") * _ELECTRONS[k] * F, "mAh/g")) for k, v in left.items()}
    from metalair.protocols import format_protocol

    return StageAnalysis(sol.meta.get("catalyst", str(catalyst)), rows, vanish, left,
                         protocol="; ".join(format_protocol(step) for step in (d, c)), left_after_charge_mAh_g=left_q,
                         traces_only=traces)
