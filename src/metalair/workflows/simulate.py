"""Simulate a protocol and write what a user keeps: time series, summary, per-cycle table, figure."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metalair._files import file_stem
from metalair._validation import check_callable
from metalair.analysis.cycle_metrics import CycleLife, cycle_life
from metalair.analysis.simulated import simulated_cycle_summary
from metalair.analysis.summary import summarize
from metalair.errors import ParameterError
from metalair.protocols.parser import as_protocol
from metalair.protocols.steps import flatten
from metalair.tables.summary import SummaryTable

__all__ = ["SimulationRun", "simulate_to_files", "compare_catalysts", "LONG_RUN_CYCLES", "SERIES_FORMATS"]

#: Protocols with more cycles than this keep full time series only for cycles 1, 10, 100 and the last.
LONG_RUN_CYCLES = 20
#: Formats the time series can be written in.
SERIES_FORMATS = ("csv", "parquet")


@dataclass
class SimulationRun:
    """Result of :func:`simulate_to_files`.

    Attributes
    ----------
    solution : Solution
        The simulated solution (time series of the kept cycles).
    summary : dict
        :func:`~metalair.analysis.summary.summarize` of it, plus the cycle
        life for a cycling protocol; this is what ``<stem>_summary.json`` holds.
    n_cycles : int
        Cycles in the protocol.
    table : SummaryTable or None
        The per-cycle table of a protocol with more than one cycle.
    life : CycleLife or None
        Its cycle life.
    files : list of Path
        Files written, in order.
    """

    solution: Any
    summary: dict[str, Any]
    n_cycles: int
    table: SummaryTable | None = None
    life: CycleLife | None = None
    files: list[Path] = field(default_factory=list)


def _simulation(catalyst: Any, protocol: Any, environment: Any, parameters: Any = None) -> tuple[Any, int]:
    """The Simulation, built once: long cycling protocols keep time series only for a few cycles."""
    from metalair.protocols.simulation import REFERENCE_PROTOCOL, Simulation

    proto = as_protocol(protocol if protocol is not None else REFERENCE_PROTOCOL)
    n_cycles = max(c for c, _s in flatten(proto.steps))
    keep = {c for c in (1, 10, 100, n_cycles) if c <= n_cycles} if n_cycles > LONG_RUN_CYCLES else None
    kwargs = {"environment": environment} if environment is not None else {}
    return Simulation(catalyst, proto, parameters=parameters, save_cycles=keep, **kwargs), n_cycles


def simulate_to_files(catalyst: Any = "NLRO", protocol: Any = None, *, environment: Any = None,
                      parameters: Any = None, out_dir: str | os.PathLike[str] | None = None,
                      series_format: str = "csv", figure: bool = True,
                      progress: Callable[[str], Callable[[int, int], None]] | None = None) -> SimulationRun:
    """Run a protocol; write the time series, ``<stem>_summary.json``, ``cycles.csv`` and ``<stem>.png``.

    Parameters
    ----------
    catalyst, protocol, environment, parameters
        As for :class:`~metalair.protocols.simulation.Simulation` (default:
        the reference discharge–charge in ambient air).
    out_dir : path-like, optional
        Where the files go (named after the catalyst); nothing is written when omitted.
    series_format : {"csv", "parquet"}
        Format of the time series.
    figure : bool
        Draw ``<stem>.png``.
    progress : callable, optional
        ``progress(label)`` returns the ``(done, total)`` reporter the run calls.

    Returns
    -------
    SimulationRun
        A protocol of more than one cycle also gets its per-cycle table
        (``cycles.csv``) and cycle life, which ``summary`` then includes.
    """
    if series_format not in SERIES_FORMATS:
        raise ParameterError(f"format {series_format!r} is not supported; use 'csv' or 'parquet'")
    check_callable(progress, "progress", "lambda label: (lambda done, total: print(label, done, total))")
    sim, n_cycles = _simulation(catalyst, protocol, environment, parameters)
    sol = sim.run(progress=progress(sim.model.catalyst.name) if progress is not None else None)
    run = SimulationRun(sol, summarize(sol), n_cycles)
    if n_cycles > 1:  # a cycling protocol: per-cycle table and cycle life too
        run.table = simulated_cycle_summary(sol)
        from metalair.protocols.steps import Discharge
        from metalair.units import to_user

        limits = {float(st.capacity) for _c, st in flatten(sim.protocol.steps)
                  if isinstance(st, Discharge) and st.capacity is not None}
        # the protocol's own capacity limit when it has exactly one (else the analysis infers it, and says so)
        limit = float(to_user(limits.pop(), "mAh/g")) if len(limits) == 1 else None
        run.life = cycle_life(run.table, limit)
        run.summary.update({"cycle_life": run.life.cycle_life, "censored": run.life.censored,
                            "first_failed_cycle": run.life.first_failed_cycle,
                            "end_of_life_reason": run.life.reason, "cycles_run": len(run.table),
                            "cycle_table": "cycles.csv"})
    if out_dir is not None:
        _write(run, Path(out_dir), file_stem(str(sol.meta["catalyst"])), series_format, figure)
    return run


def _write(run: SimulationRun, out: Path, stem: str, series_format: str, figure: bool) -> None:
    from metalair._files import atomic_write_json

    out.mkdir(parents=True, exist_ok=True)
    series = out / f"{stem}.{series_format}"
    if series_format == "parquet":
        run.solution.to_parquet(series)
    else:
        run.solution.to_csv(series)
    run.files.append(series)
    if run.table is not None:
        run.files.append(run.table.to_csv(out / "cycles.csv"))
    if figure:
        from metalair.plotting.simulation import plot_cycling, plot_solution, save_figure

        if run.table is not None and run.life is not None:  # a cycling protocol: end voltages per cycle and the
            # kept cycles drawn each with its own label (not side by side as if consecutive)
            fig = plot_cycling(run.table, run.life, run.solution, title=f"{run.solution.meta.get('catalyst')}")
        else:
            fig = plot_solution(run.solution)
        save_figure(fig, out / f"{stem}.png")
        run.files.append(out / f"{stem}.png")
    run.files.append(atomic_write_json(out / f"{stem}_summary.json", run.summary))


def check_distinct_catalysts(given: Sequence[Any]) -> None:
    """Refuse a catalyst given twice: the same entry, a built-in name in two spellings, one file under two paths.

    Raises
    ------
    ParameterError
        Naming the two entries and the catalyst they both are.
    """
    from metalair.catalysts import get_catalyst

    if len({c if isinstance(c, str) else id(c) for c in given}) < len(given):
        raise ParameterError(f"catalysts {list(given)!r}: a catalyst is given twice; give each once")
    seen: dict[Any, Any] = {}
    for c in given:
        if not isinstance(c, (str, os.PathLike)):
            continue
        text = os.fspath(c)
        cat = get_catalyst(c)
        key = str(Path(text).resolve()) if text.strip().lower().endswith(".toml") else cat.name
        if key in seen:
            raise ParameterError(f"catalysts {seen[key]!r} and {text!r} are the same catalyst ({cat.name}); "
                                 "give each once")
        seen[key] = text


def compare_catalysts(catalysts: Sequence[Any] = ("NLRO", "RuO2"), protocol: Any = None, *,
                      environment: Any = None, out_dir: str | os.PathLike[str] | None = None
                      ) -> tuple[dict[str, Any], Path | None]:
    """Run one protocol for several catalysts; draw them on one figure ``compare_<names>.png``.

    Returns
    -------
    (dict, Path or None)
        Catalyst name -> solution, and the figure written (None without ``out_dir``).
        A failed run stops the comparison at that catalyst (its solution is the last in the dict).
    """
    from metalair.catalysts import get_catalyst

    given = list(catalysts)
    check_distinct_catalysts(given)
    names = [get_catalyst(c).name for c in given]
    labels = []
    for c, name in zip(given, names):  # two catalysts of one name (a built-in and an edited copy) keep both
        labels.append(f"{name} ({Path(c).name})" if names.count(name) > 1 and isinstance(c, (str, os.PathLike))
                      and Path(c).name != name else name)
    if len(set(labels)) < len(labels):
        raise ParameterError(f"catalysts {given!r} share the name(s) "
                             f"{sorted({n for n in names if names.count(n) > 1})}; give them different names")
    sols: dict[str, Any] = {}
    for c, label in zip(given, labels):
        sim, _n = _simulation(c, protocol, environment)
        sol = sim.run()
        sols[label] = sol
        if not sol.ok:
            return sols, None
    path = None
    if out_dir is not None:
        from metalair.plotting.simulation import plot_comparison, save_figure

        stem = "_".join(file_stem(label).replace(" ", "-") for label in sols)
        path = Path(out_dir) / f"compare_{stem}.png"
        from metalair.protocols import format_protocol
        from metalair.protocols.simulation import REFERENCE_PROTOCOL

        run = as_protocol(protocol if protocol is not None else REFERENCE_PROTOCOL)
        gas = next(iter(sols.values())).meta.get("environment", "ambient air")
        save_figure(plot_comparison(sols, title=f"{format_protocol(run)}\n{gas}"), path)
    return sols, path
