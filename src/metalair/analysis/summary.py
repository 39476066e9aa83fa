"""Summary numbers of a simulated discharge–charge (the ones a paper quotes)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from metalair.analysis._arguments import solution
from metalair.analysis.efficiency import coulombic_efficiency_note, energy_efficiency
from metalair.catalysts.base import PRODUCTS
from metalair.errors import ParameterError
from metalair.protocols.solution import combine_steps, half_cycle
from metalair.units import convert

__all__ = ["summarize", "step_summary", "format_summary", "charge_plateaus", "PLATEAU_SEPARATION_V",
           "PLATEAU_MIN_SHARE"]

#: Two dQ/dV peaks closer than this are one plateau (the study resolves plateaus ~1 V apart).
PLATEAU_SEPARATION_V = 0.15
#: Peaks holding less of the step's capacity than this are not counted as plateaus.
PLATEAU_MIN_SHARE = 0.05
#: Below this O2 saturation at the reaction zone the discharge is reported as O2-starved.
STARVED_O2_SATURATION = 0.1


def charge_plateaus(sol, step_index: int, min_share: float = PLATEAU_MIN_SHARE):
    """Plateaus of one step of a simulated solution, found from dQ/dV (shared analysis code)."""
    from metalair.analysis.incremental_capacity import find_plateaus

    m = sol["Step"] == step_index
    return find_plateaus(sol["Voltage [V]"][m], sol["Capacity [mAh/g]"][m], min_share=min_share,
                         min_separation_V=PLATEAU_SEPARATION_V)


def _first_discharge_and_charge(sol: Any) -> tuple[Any, Any]:
    """The first discharge step and the first charge step after it (either may be None)."""
    dis = next((s for s in sol.steps if s.kind == "discharge"), None)
    ch = next((s for s in sol.steps if s.kind == "charge" and dis is not None and s.index > dis.index), None)
    return dis, ch


def step_summary(sol) -> dict:
    """The part of :func:`summarize` that needs only the step summaries, not the time series.

    Capacities, mean voltages, polarisation, coulombic, energy and voltage efficiency, end reasons,
    charge by reaction and products left, of the first discharge and the first charge after it, each
    with the steps that continue it (:func:`~metalair.protocols.solution.half_cycle`: the CV step of a
    CC-CV charge counts); what a run that kept no time series (``save_cycles=()``) can still report.
    """
    solution("step_summary", sol, columns=False)
    out: dict = {}
    dis, ch = _first_discharge_and_charge(sol)
    position = {id(s): k for k, s in enumerate(sol.steps)}
    if dis is not None:
        dis = combine_steps(half_cycle(sol.steps, position[id(dis)]))
    if ch is not None:
        ch = combine_steps(half_cycle(sol.steps, position[id(ch)]))
    if dis is not None:
        out["discharge_capacity_mAh_g"] = dis.capacity_mAh_g
        out["mean_discharge_voltage_V"] = dis.mean_voltage_V
        out["discharge_end_reason"] = dis.end_reason
    if ch is not None and dis is not None:
        out["charge_capacity_mAh_g"] = ch.capacity_mAh_g
        out["mean_charge_voltage_V"] = ch.mean_voltage_V
        out["polarisation_V"] = ch.mean_voltage_V - dis.mean_voltage_V
        out["coulombic_efficiency_pct"] = (100.0 * ch.capacity_mAh_g / dis.capacity_mAh_g if dis.capacity_mAh_g
                                           else math.nan)
        note = coulombic_efficiency_note(out["coulombic_efficiency_pct"], dis.capacity_mAh_g, ch.capacity_mAh_g,
                                         "mAh/g", dis.end_reason)
        if note:
            out["coulombic_efficiency_note"] = note
        out["energy_efficiency_pct"] = energy_efficiency(dis.capacity_mAh_g, ch.capacity_mAh_g,
                                                         dis.energy_Wh_kg, ch.energy_Wh_kg)
        out["voltage_efficiency_pct"] = 100.0 * dis.mean_voltage_V / ch.mean_voltage_V
        out["charge_end_reason"] = ch.end_reason
        out["charge_by_reaction_mAh_g"] = ch.charge_by_reaction_mAh_g
        out["products_after_charge_mol_g"] = ch.products_end_mol_g
    if dis is not None:
        out["products_after_discharge_mol_g"] = dis.products_end_mol_g
    return out


def summarize(sol) -> dict:
    """Discharge and charge capacity, mean voltages, polarisation, efficiencies, charge plateaus.

    Uses the first discharge step and the first charge step after it: :func:`step_summary`, and from
    the time series the mid-discharge voltage, the lowest O2 saturation and the charge plateaus.
    A measured record is summarised by :func:`metalair.analysis.cycle_metrics.cycle_summary` instead.
    """
    solution("summarize", sol)
    out: dict = {"catalyst": sol.meta.get("catalyst"), "environment": sol.meta.get("environment"),
                 "status": sol.status, "message": sol.message, "warnings": list(getattr(sol, "warnings", [])),
                 "steps": [{"index": s.index, "kind": s.kind, "capacity_mAh_g": s.capacity_mAh_g,
                            "mean_voltage_V": s.mean_voltage_V, "end_voltage_V": s.end_voltage_V,
                            "end_reason": s.end_reason} for s in sol.steps[:20]]}
    out.update(step_summary(sol))
    dis, ch = _first_discharge_and_charge(sol)
    if dis is not None:
        m = sol["Step"] == dis.index
        q, v = sol["Capacity [mAh/g]"][m], sol["Voltage [V]"][m]
        out["mid_discharge_voltage_V"] = float(np.interp(0.5 * dis.capacity_mAh_g, q, v)) if len(q) > 1 else math.nan
        if "O2 saturation at reaction zone [-]" in sol and np.any(m):
            out["discharge_min_o2_saturation"] = float(np.min(sol["O2 saturation at reaction zone [-]"][m]))
    if ch is not None and dis is not None:
        from metalair.analysis.incremental_capacity import MIN_POINTS

        if int(np.count_nonzero(sol["Step"] == ch.index)) < MIN_POINTS:  # a charge that ended at once: none to find
            out["charge_plateaus"] = []
        else:
            pl = charge_plateaus(sol, ch.index)
            out["charge_plateaus"] = [{"voltage_V": p.voltage_V, "capacity_share": p.capacity_share} for p in pl]
    return out


#: The current channels whose charge removes discharge products (P5 counts only these).
PRODUCT_CHANNELS = PRODUCTS  # the discharge products with catalyst descriptors


def product_recovery_pct(discharge: Any, charge: Any) -> float:
    """Charge that removed discharge products on ``charge`` over the capacity of ``discharge`` [%].

    Host extraction, residue and electrolyte oxidation and the double layer pass charge too but
    remove no discharge product; they are left out (and reported beside it by ``validate``).
    """
    by = charge.charge_by_reaction_mAh_g
    removed = sum(by.get(k, 0.0) for k in PRODUCT_CHANNELS)
    return 100.0 * removed / discharge.capacity_mAh_g if discharge.capacity_mAh_g > 0 else 0.0


def format_summary(s: dict) -> str:
    """Human-readable summary table of the dict :func:`summarize` returns."""
    if not isinstance(s, dict):
        raise ParameterError(f"format_summary needs the dict of summarize(sol), got {type(s).__name__}"
                             + ("; pass summarize(sol)" if hasattr(s, "steps") else ""))
    lines = [f"catalyst {s.get('catalyst')} in {s.get('environment')} — status {s.get('status')}"]
    if s.get("message"):
        lines.append(f"  {s['message']}")

    def row(label, key, fmt):
        if key in s and s[key] is not None and not (isinstance(s[key], float) and math.isnan(s[key])):
            lines.append(f"  {label:<34s} {fmt(s[key]) if callable(fmt) else fmt.format(s[key])}")

    def capacity(q: float) -> str:  # whole mAh/g, but a small capacity keeps three significant digits
        return f"{q:,.0f} mAh/g" if abs(q) >= 100 or q == 0 else f"{q:.3g} mAh/g"
    row("discharge capacity", "discharge_capacity_mAh_g", capacity)
    row("mid-discharge voltage", "mid_discharge_voltage_V", "{:.3f} V")
    row("mean discharge voltage", "mean_discharge_voltage_V", "{:.3f} V")
    if s.get("discharge_min_o2_saturation") is not None:
        sat = s["discharge_min_o2_saturation"]
        lines.append(f"  {'lowest O2 saturation on discharge':<34s} {sat:.2f}"
                     + ("  (O2-starved: the reaction zone ran out of O2)" if sat < STARVED_O2_SATURATION else ""))
    row("charge capacity", "charge_capacity_mAh_g", capacity)
    row("mean charge voltage", "mean_charge_voltage_V", "{:.3f} V")
    row("polarisation (mean charge − discharge)", "polarisation_V", "{:.3f} V")
    row("coulombic efficiency", "coulombic_efficiency_pct", "{:.1f} %")
    if s.get("coulombic_efficiency_note"):
        lines.append(f"  note: {s['coulombic_efficiency_note']}")
    row("voltage efficiency (mean dis./ch.)", "voltage_efficiency_pct", "{:.1f} %")
    if "energy_efficiency_pct" in s and isinstance(s["energy_efficiency_pct"], float) \
            and math.isnan(s["energy_efficiency_pct"]):
        lines.append(f"  {'energy efficiency':<34s} undefined: charge and discharge capacities differ")
    else:
        row("energy efficiency", "energy_efficiency_pct", "{:.1f} %")
    if "charge_capacity_mAh_g" not in s and s.get("steps"):  # no discharge-then-charge: say what each step did
        for st in s["steps"]:
            cap = st.get("capacity_mAh_g")
            mean, end = st.get("mean_voltage_V"), st.get("end_voltage_V")
            # a sweep passes charge both ways: its capacity is the throughput, not the net charge
            what = (f"{cap:,.1f} mAh/g" + (" passed both ways" if st["kind"] == "sweep" else "")
                    if cap is not None else "") + (
                f", mean {mean:.3f} V" if mean is not None and math.isfinite(mean) else "") + (
                f", ended at {end:.3f} V" if end is not None and math.isfinite(end) else "")
            lines.append(f"  {'step ' + str(st['index']) + ' ' + str(st['kind']):<34s} {what} ({st['end_reason']})")
    if s.get("charge_plateaus"):
        pl = ", ".join(f"{p['voltage_V']:.2f} V ({100 * p['capacity_share']:.0f} %)" for p in s["charge_plateaus"])
        lines.append(f"  {'charge plateaus':<34s} {pl}")
    if s.get("charge_by_reaction_mAh_g"):
        by = s["charge_by_reaction_mAh_g"]
        big = {k: v for k, v in by.items() if abs(v) >= 0.5}
        parts = (", ".join(f"{k} {v:,.0f}" for k, v in big.items()) if big  # a tiny charge: its largest shares
                 else ", ".join(f"{k} {v:.3g}" for k, v in sorted(by.items(), key=lambda kv: -abs(kv[1]))[:3]
                                if v != 0))
        lines.append(f"  {'charge by reaction [mAh/g]':<34s} {parts or 'none'}")
    if s.get("products_after_charge_mol_g"):
        # Surface-grown NaO2 and Exposed Na2CO3 are parts of NaO2 and Na2CO3, not further products
        parts = ", ".join(f"{k} {convert(v, 'mol/g', 'mmol/g'):.3g}"
                          for k, v in s["products_after_charge_mol_g"].items()
                          if v > 1e-9 and k not in ("Surface-grown NaO2", "Exposed Na2CO3"))
        lines.append(f"  {'left after charge [mmol/g]':<34s} {parts or 'nothing'}")
    return "\n".join(lines)
