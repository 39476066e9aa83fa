"""Long capacity-limited cycling: run it, summarise it per cycle, judge its life, write the files.

The per-cycle table is a :class:`~metalair.tables.summary.SummaryTable` with
the same columns as the table made from a cycler file, plus model-only
columns (deposits left, catalyst state); cycle life uses the same
:func:`~metalair.analysis.cycle_metrics.cycle_life`, so a simulated and a
measured cell are judged by one definition.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metalair.analysis.cycle_metrics import CycleLife, cycle_life
from metalair.analysis.simulated import simulated_cycle_summary
from metalair.errors import ParameterError, ProtocolError
from metalair.protocols.steps import Charge, Cycle, Discharge, Protocol
from metalair.tables.summary import SummaryTable
from metalair.units import to_user

__all__ = ["CyclingResult", "check_eod_threshold", "cycling_protocol", "run_cycling", "write_cycling_outputs",
           "TABLE_FORMATS"]

#: Formats the per-cycle table can be written in.
TABLE_FORMATS = ("csv", "parquet")

Quantity = float | str


def cycling_protocol(current: Quantity = "500 mA/g", capacity: Quantity = "500 mAh/g", cycles: int = 1000,
                     v_min: Quantity = "1.5 V", v_max: Quantity = "4.8 V") -> Cycle:
    """``Cycle([Discharge(current, capacity or v_min), Charge(current, capacity or v_max)], repeat=cycles)``.

    Raises
    ------
    ProtocolError
        Zero or negative capacity or current, a bare number where a unit is
        needed, ``v_min >= v_max``, ``cycles < 1``, more cycles than
        :data:`~metalair.protocols.simulation.MAX_PROTOCOL_STEPS` allows.
    """
    d = Discharge(current, capacity=capacity, until=v_min)
    c = Charge(current, capacity=capacity, until=v_max)
    if d.capacity is None or c.capacity is None:
        raise ProtocolError("capacity-limited cycling needs a capacity limit, e.g. '500 mAh/g'")
    if d.until is not None and c.until is not None and d.until >= c.until:
        raise ProtocolError(f"v_min = {d.until:g} V must be below v_max = {c.until:g} V")
    if isinstance(cycles, bool) or not isinstance(cycles, (int, np.integer)) or cycles < 1:
        raise ProtocolError(f"cycles = {cycles!r} must be an integer >= 1")
    from metalair.protocols.simulation import MAX_PROTOCOL_STEPS

    if 2 * cycles > MAX_PROTOCOL_STEPS:
        raise ProtocolError(f"cycles = {cycles:,} is more than a run may have ({MAX_PROTOCOL_STEPS // 2:,} cycles, "
                            f"{MAX_PROTOCOL_STEPS:,} steps); give fewer cycles")
    return Cycle([d, c], repeat=int(cycles))


def check_eod_threshold(eod_threshold_V: Any, cycle: Cycle) -> None:
    """Refuse an end-of-discharge threshold that is not a voltage between 0 and the ``cycle``'s charge limit.

    (One at or below ``v_min`` is allowed: it never fires, which is what a user lowering ``v_min`` below the
    default 2.0 V threshold expects to see reported.)
    """
    if eod_threshold_V is None:
        return
    c = cycle.steps[1]
    if isinstance(eod_threshold_V, bool) or not isinstance(eod_threshold_V, (int, float, np.number)):
        raise ParameterError(f"eod_threshold_V must be a number of volts (or None), got {eod_threshold_V!r}")
    if not (0.0 < float(eod_threshold_V) < c.until):
        raise ParameterError(f"eod_threshold_V {eod_threshold_V!r} must be a voltage above 0 and below the "
                             f"charge limit {c.until:g} V, e.g. 2.0")

@dataclass
class CyclingResult:
    """Outcome of :func:`run_cycling`.

    Attributes
    ----------
    catalyst : str
        The catalyst's name.
    table : SummaryTable
        One row per cycle.
    life : CycleLife
        Cycle life by the capacity-limit definition.
    solution : Solution
        Time series only for the saved cycles, step summaries for all.
    wall_time_s : float
        Time the simulation took.
    settings : dict
        The protocol in user units and the end-of-life settings.
    files : dict
        Name -> file written (relative to ``out_dir``).
    """

    catalyst: str
    table: SummaryTable
    life: CycleLife
    solution: Any
    wall_time_s: float
    settings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The JSON-able summary written to ``summary.json``."""
        life = self.life
        t = self.table
        eod, eoc = t["End-of-discharge voltage [V]"], t["End-of-charge voltage [V]"]
        return {
            "catalyst": self.catalyst,
            "cycle_life": life.cycle_life,
            "censored": life.censored,
            "first_failed_cycle": life.first_failed_cycle,
            "end_of_life_reason": life.reason,
            "first_cycle_below_eod_threshold": life.first_cycle_below_eod_threshold,
            "first_cycle_charge_at_voltage_limit": life.first_cycle_charge_at_limit,
            "cycles_run": int(len(t)),
            "end_of_discharge_voltage_first_last_V": [float(eod[0]), float(eod[-1])],
            "end_of_charge_voltage_first_last_V": [float(eoc[0]), float(eoc[-1])],
            "settings": self.settings,
            "wall_time_s": round(self.wall_time_s, 3),
            "files": self.files,
            "status": self.solution.status,
            "message": self.solution.message,
            "warnings": list(self.solution.warnings),
        }


def run_cycling(catalyst: Any = "NLRO", current: Quantity = "500 mA/g", capacity: Quantity = "500 mAh/g",
                cycles: int = 1000, v_min: Quantity = "1.5 V", v_max: Quantity = "4.8 V",
                eod_threshold_V: float | None = 2.0, tolerance: float = 0.99,
                save_cycles: Iterable[int] | Callable[[int], bool] | None = None, parameters: Any = None,
                environment: Any = None,
                progress: Callable[[int, int], None] | None = None, out_dir: str | os.PathLike[str] | None = None,
                figure: bool = True, table_format: str = "csv", solver: Any = None) -> CyclingResult:
    """Capacity-limited cycling with per-cycle summary and cycle life.

    Parameters
    ----------
    catalyst : str or Catalyst
        A built-in catalyst name or a catalyst object.
    current, capacity : str
        Specific current and capacity limit per half-cycle with units
        (``"500 mA/g"``, ``"500 mAh/g"``).
    cycles : int
        Number of cycles.
    v_min, v_max : str or float
        Discharge and charge voltage limits (``"1.5 V"`` or 1.5).
    eod_threshold_V : float, optional
        Also report the first cycle whose end-of-discharge voltage is below this.
    tolerance : float
        A half-cycle "reaches" the capacity limit when it returns at least this
        fraction of it (end-of-life definition, see
        :func:`~metalair.analysis.cycle_metrics.cycle_life`).
    save_cycles : iterable of int or callable, optional
        Cycles whose full time series are kept (default: 1, 10, 100 and the
        last), which bounds memory on long runs; a function of the cycle
        number, as :class:`~metalair.protocols.simulation.Simulation` takes, also works.
    parameters, environment
        Passed to :class:`~metalair.protocols.simulation.Simulation`.
    progress : callable, optional
        ``progress(done, total)`` as the steps complete.
    out_dir : path, optional
        Writes ``cycles.csv`` (or ``cycles.parquet``), ``summary.json`` and
        ``cycling.png`` (atomically), see :func:`write_cycling_outputs`.
    figure : bool
        Draw ``cycling.png`` when writing.
    table_format : {"csv", "parquet"}
        Format of the per-cycle table.
    solver : SolverSettings, optional
        Step control (default ``SolverSettings()``); tighten it to check that
        a result is converged (see the solver-accuracy notes in the docs).
    """
    from metalair.chemistry import AMBIENT_AIR
    from metalair.protocols.simulation import Simulation, cycle_set

    if table_format not in TABLE_FORMATS:
        raise ProtocolError(f"table_format {table_format!r} is not supported; use 'csv' or 'parquet'")
    cyc = cycling_protocol(current, capacity, cycles, v_min, v_max)
    d, c = cyc.steps
    check_eod_threshold(eod_threshold_V, cyc)
    if not 0 < tolerance <= 1:
        raise ParameterError(f"tolerance must be in (0, 1], got {tolerance!r}")
    if save_cycles is None:
        keep = sorted({1, min(10, cycles), min(100, cycles), cycles})
    else:
        given = (sorted(c for c in range(1, cycles + 1) if save_cycles(c)) if callable(save_cycles)
                 else sorted(cycle_set(save_cycles)))
        keep = [c for c in given if c <= cycles]  # a generic [1, 10, 100] on a shorter run, as Simulation takes it
        if given and not keep:
            raise ParameterError(f"save_cycles holds {', '.join(map(str, given))}, but the run has {cycles} cycles: "
                                 f"no time series would be kept; give cycles from 1 to {cycles}")
    if out_dir is not None:
        from metalair.workflows.outputs import check_out_dir

        check_out_dir(out_dir, option="out_dir")
    t0 = time.perf_counter()
    sim = Simulation(catalyst, Protocol([cyc]), parameters=parameters,
                     environment=environment if environment is not None else AMBIENT_AIR, save_cycles=keep,
                     solver=solver)
    # matplotlib is imported in a forked process while the compiled kernel runs, and the figure is
    # drawn there while this process writes the table (None off Linux: drawn here)
    worker = _figure_worker() if out_dir is not None and figure else None
    try:
        sol = sim.run(progress=progress)
        wall = time.perf_counter() - t0
        table = simulated_cycle_summary(sol)
        capacity_mAh_g = float(to_user(d.capacity, "mAh/g"))
        life = cycle_life(table, capacity_limit_mAh_g=capacity_mAh_g, v_min=d.until, v_max=c.until,
                          eod_threshold_V=eod_threshold_V, tolerance=tolerance)
        res = CyclingResult(sim.model.catalyst.name, table, life, sol, wall, settings={
            "current_mA_g": float(to_user(d.current, "mA/g")), "capacity_mAh_g": capacity_mAh_g, "cycles": cycles,
            "v_min_V": d.until, "v_max_V": c.until, "tolerance": tolerance, "eod_threshold_V": eod_threshold_V,
            "environment": sim.model.environment.name, "saved_cycles": list(keep)})
        if out_dir is not None:
            write_cycling_outputs(res, out_dir, figure=figure, table_format=table_format, worker=worker)
    finally:
        if worker is not None:
            worker.close()
    return res


def write_cycling_outputs(res: CyclingResult, out_dir: str | os.PathLike[str], *, figure: bool = True,
                          table_format: str = "csv", worker: Any = None) -> dict[str, str]:
    """Write the per-cycle table, ``cycling.png`` and ``summary.json`` (last, once) into ``out_dir``.

    ``worker`` (a :class:`~metalair.plotting.worker.FigureWorker`) draws the figure in its process
    while the table is written; if it fails, the figure is drawn here.

    Returns
    -------
    dict
        ``res.files``: name -> file name in ``out_dir``.
    """
    from metalair._files import atomic_write_json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    title = (f"{res.catalyst}: {res.settings.get('current_mA_g', 0):g} mA/g, "
             f"{res.settings.get('capacity_mAh_g', 0):g} mAh/g per half-cycle")
    if figure and worker is not None:
        from metalair.plotting.simulation import plot_cycling

        worker.draw(plot_cycling, (res.table, res.life, res.solution),
                    {"title": title, "eod_threshold_V": res.settings.get("eod_threshold_V")}, out / "cycling.png")
    if table_format == "parquet":
        res.table.to_parquet(out / "cycles.parquet")
        res.files["table"] = "cycles.parquet"
    elif table_format == "csv":
        res.table.to_csv(out / "cycles.csv")
        res.files["table"] = "cycles.csv"
    else:
        raise ProtocolError(f"table_format {table_format!r} is not supported; use 'csv' or 'parquet'")
    if figure:
        if worker is None or worker.wait() is not None:  # no worker, or it failed: draw here
            from metalair.plotting.simulation import plot_cycling, save_figure

            save_figure(plot_cycling(res.table, res.life, res.solution, title=title,
                                     eod_threshold_V=res.settings.get("eod_threshold_V")), out / "cycling.png")
        res.files["figure"] = "cycling.png"
    res.files["summary"] = "summary.json"
    atomic_write_json(out / "summary.json", res.summary())
    return res.files


def _figure_worker() -> Any:
    from metalair.plotting.worker import start_figure_worker

    return start_figure_worker()
