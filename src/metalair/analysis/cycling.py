"""Long capacity-limited cycling: run it, summarise it per cycle, judge its life.

The per-cycle table is a :class:`~metalair.analysis.cycles.SummaryTable` with
the same columns as the table made from a cycler file, plus model-only
columns (deposits left, catalyst state); cycle life uses the same
:func:`~metalair.analysis.cycles.cycle_life`, so a simulated and a measured
cell are judged by one definition.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from metalair.errors import ProtocolError

__all__ = ["CyclingResult", "cycling_protocol", "run_cycling", "simulated_cycle_summary",
           "stage_analysis", "StageAnalysis"]


def cycling_protocol(current="500 mA/g", capacity="500 mAh/g", cycles: int = 1000,
                     v_min="1.5 V", v_max="4.8 V"):
    """``Cycle([Discharge(current, capacity or v_min), Charge(current, capacity or v_max)], repeat=cycles)``.

    Raises
    ------
    ProtocolError
        Zero or negative capacity or current, ``v_min >= v_max``, ``cycles < 1``.
    """
    from metalair.protocols.steps import Charge, Cycle, Discharge

    d = Discharge(current, capacity=capacity, until=v_min)
    c = Charge(current, capacity=capacity, until=v_max)
    if d.capacity is None or c.capacity is None:
        raise ProtocolError("capacity-limited cycling needs a capacity limit, e.g. '500 mAh/g'")
    if d.until is not None and c.until is not None and d.until >= c.until:
        raise ProtocolError(f"v_min = {d.until:g} V must be below v_max = {c.until:g} V")
    if isinstance(cycles, bool) or not isinstance(cycles, (int, np.integer)) or cycles < 1:
        raise ProtocolError(f"cycles = {cycles!r} must be an integer >= 1")
    return Cycle([d, c], repeat=int(cycles))


def simulated_cycle_summary(sol):
    """Per-cycle table of a simulated solution from its step summaries (works without stored time series)."""
    from metalair.analysis.efficiency import energy_efficiency
    from metalair.tables.summary import SummaryTable

    cycles: dict[int, dict] = {}
    for s in sol.steps:
        row = cycles.setdefault(s.cycle, {})
        if s.kind in ("discharge", "charge") and s.kind not in row:
            row[s.kind] = s
    keys = sorted(cycles)
    nan = math.nan

    def col(fn):
        return np.array([fn(cycles[k]) for k in keys], dtype=float)

    def get(r, kind, attr):
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
            "Discharge energy [mWh/g]": ed,
            "Charge energy [mWh/g]": ec,
            "Energy efficiency [%]": energy_efficiency(qd, qc0, ed, ec),
            "Mean discharge voltage [V]": vd,
            "Mean charge voltage [V]": vc,
            "End-of-discharge voltage [V]": col(lambda r: get(r, "discharge", "end_voltage_V")),
            "End-of-charge voltage [V]": col(lambda r: get(r, "charge", "end_voltage_V")),
            "Polarisation [V]": vc - vd,
        }

    def after(r, key):
        s = r.get("charge") or r.get("discharge")
        return s.products_end_mol_g.get(key, nan) * 1000.0 if s is not None else nan
    columns["Residue after charge [mmol/g]"] = col(lambda r: after(r, "Residue"))
    columns["Carbonate after charge [mmol/g]"] = col(lambda r: after(r, "Na2CO3"))
    columns["Na2O2 after charge [mmol/g]"] = col(lambda r: after(r, "Na2O2"))
    columns["Oxidised electrolyte after charge [mmol/g]"] = col(lambda r: after(r, "Oxidised electrolyte"))
    columns["Catalyst d-band centre at end of charge [eV]"] = col(lambda r: get(r, "charge", "catalyst_d_band_end_eV"))
    return SummaryTable(columns=columns, capacity_unit="mAh/g", mass_g=None,
                        notes=("simulated: capacities per gram of catalyst; one row per protocol cycle",))


@dataclass
class CyclingResult:
    """Outcome of :func:`run_cycling`."""

    catalyst: str
    table: object                  # SummaryTable
    life: object                   # CycleLife
    solution: object               # Solution (time series only for the saved cycles)
    wall_time_s: float
    settings: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)

    def summary(self) -> dict:
        life = self.life
        t = self.table
        return {
            "catalyst": self.catalyst,
            "cycle_life": life.cycle_life,
            "censored": life.censored,
            "first_failed_cycle": life.first_failed_cycle,
            "end_of_life_reason": life.reason,
            "first_cycle_below_eod_threshold": life.first_cycle_below_eod_threshold,
            "cycles_run": int(len(t)),
            "end_of_discharge_voltage_first_last_V": [float(t["End-of-discharge voltage [V]"][0]),
                                                      float(t["End-of-discharge voltage [V]"][-1])],
            "end_of_charge_voltage_first_last_V": [float(t["End-of-charge voltage [V]"][0]),
                                                   float(t["End-of-charge voltage [V]"][-1])],
            "settings": self.settings,
            "wall_time_s": round(self.wall_time_s, 3),
            "files": self.files,
            "status": self.solution.status,
            "message": self.solution.message,
        }


def run_cycling(catalyst="NLRO", current="500 mA/g", capacity="500 mAh/g", cycles: int = 1000,
                v_min="1.5 V", v_max="4.8 V", eod_threshold_V: float | None = 2.0, tolerance: float = 0.99,
                save_cycles=None, parameters=None, environment=None, progress=None,
                out_dir=None, figure: bool = True, table_format: str = "csv") -> CyclingResult:
    """Capacity-limited cycling with per-cycle summary and cycle life.

    Parameters
    ----------
    save_cycles : iterable of int, optional
        Cycles whose full time series are kept (default: 1, 10, 100 and the
        last), which bounds memory on long runs.
    eod_threshold_V : float, optional
        Also report the first cycle whose end-of-discharge voltage is below this.
    tolerance : float
        A half-cycle "reaches" the capacity limit when it returns at least this
        fraction of it (end-of-life definition, see :func:`~metalair.analysis.cycles.cycle_life`).
    out_dir : path, optional
        Writes ``cycles.csv`` (or ``cycles.parquet``), ``summary.json`` and ``cycling.png`` (atomically).
    table_format : {"csv", "parquet"}
        Format of the per-cycle table.
    """
    import time

    from metalair.analysis.cycles import cycle_life
    from metalair.chemistry import AMBIENT_AIR
    from metalair.protocols.simulation import Simulation
    from metalair.protocols.steps import Protocol

    cyc = cycling_protocol(current, capacity, cycles, v_min, v_max)
    d, c = cyc.steps
    if save_cycles is None:
        save_cycles = sorted({1, min(10, cycles), min(100, cycles), cycles})
    t0 = time.perf_counter()
    sim = Simulation(catalyst, Protocol([cyc]), parameters=parameters,
                     environment=environment if environment is not None else AMBIENT_AIR, save_cycles=save_cycles)
    sol = sim.run(progress=progress)
    wall = time.perf_counter() - t0
    table = simulated_cycle_summary(sol)
    life = cycle_life(table, capacity_limit_mAh_g=d.capacity / 3600.0, v_min=d.until, v_max=c.until,
                      eod_threshold_V=eod_threshold_V, tolerance=tolerance)
    res = CyclingResult(sim.model.catalyst.name, table, life, sol, wall, settings={
        "current_mA_g": d.current, "capacity_mAh_g": d.capacity / 3600.0, "cycles": cycles,
        "v_min_V": d.until, "v_max_V": c.until, "tolerance": tolerance, "eod_threshold_V": eod_threshold_V,
        "environment": sim.model.environment.name, "saved_cycles": list(save_cycles)})
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        if table_format == "parquet":
            table.to_parquet(out / "cycles.parquet")
            res.files["table"] = "cycles.parquet"
        elif table_format == "csv":
            table.to_csv(out / "cycles.csv")
            res.files["table"] = "cycles.csv"
        else:
            raise ProtocolError(f"table_format {table_format!r} is not supported; use 'csv' or 'parquet'")
        if figure:
            try:
                from metalair.plotting.simulation import plot_cycling, save_figure

                save_figure(plot_cycling(res), out / "cycling.png")
                res.files["figure"] = "cycling.png"
            except ImportError:  # pragma: no cover - depends on the install
                pass
        from metalair._files import atomic_write_text

        atomic_write_text(out / "summary.json", json.dumps(res.summary(), indent=2, default=_jsonable))
        res.files["summary"] = "summary.json"
    return res


def _jsonable(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    return str(x)


@dataclass
class StageAnalysis:
    """Product inventories at the end of discharge and at chosen voltages during the charge (P8)."""

    catalyst: str
    rows: list            # [{"stage": ..., "voltage_V": ..., "capacity_mAh_g": ..., products...}]
    vanish_order: list    # products in the order their inventory fell below 1 % of its peak on charge
    left_after_charge_mmol_g: dict

    def table(self) -> str:
        keys = ["NaO2", "Na2O2", "Na2CO3", "Residue"]
        lines = [f"{self.catalyst}: products [mmol/g]",
                 f"  {'stage':28s} {'V':>6s} " + " ".join(f"{k:>8s}" for k in keys)]
        for r in self.rows:
            lines.append(f"  {r['stage']:28s} {r['voltage_V']:6.2f} " + " ".join(f"{r[k]:8.3f}" for k in keys))
        lines.append(f"  vanish order on charge: {' -> '.join(self.vanish_order) or 'none'}")
        left = ", ".join(f"{k} {v:.3g}" for k, v in self.left_after_charge_mmol_g.items() if v > 1e-3)
        lines.append(f"  left after charge: {left or 'nothing'}")
        return "\n".join(lines)


def stage_analysis(catalyst="NLRO", current="200 mA/g", capacity="1000 mAh/g", v_max="4.8 V",
                   charge_voltages=(2.8, 3.8, 4.6), parameters=None) -> StageAnalysis:
    """One capacity-limited discharge, then a charge to ``v_max``: inventories at each stage (P8).

    The charge is not capacity-limited, so everything the catalyst can remove
    below ``v_max`` is removed.
    """
    from metalair.protocols.simulation import Simulation
    from metalair.protocols.steps import Charge, Discharge

    d = Discharge(current, capacity=capacity, until="1.5 V")
    c = Charge(current, until=v_max)
    sol = Simulation(catalyst, [d, c], parameters=parameters).run()
    if not sol.ok:
        from metalair.errors import SolverError

        raise SolverError(f"stage analysis for {catalyst}: {sol.message}")
    keys = ["NaO2", "Na2O2", "Na2CO3", "Residue"]
    step = sol["Step"]
    V = sol["Voltage [V]"]
    Q = sol["Capacity [mAh/g]"]
    inv = {k: sol[f"{k} [mol/g]"] * 1000.0 for k in keys}
    rows = []
    i_end = int(np.flatnonzero(step == 1)[-1])
    rows.append({"stage": "end of discharge", "voltage_V": float(V[i_end]), "capacity_mAh_g": float(Q[i_end]),
                 **{k: float(inv[k][i_end]) for k in keys}})
    ch = np.flatnonzero(step == 2)
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
    return StageAnalysis(sol.meta.get("catalyst", str(catalyst)), rows, vanish, left)
