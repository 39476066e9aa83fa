"""The ``metalair`` command line: a thin layer over the library.

Exit codes: 0 success; 1 user error (bad option, bad protocol, unknown
catalyst, a failed validation); 2 solver or internal failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from metalair import __version__
from metalair.errors import MetalairError, SolverError

app = typer.Typer(
    name="metalair",
    help="Simulate and analyse metal–air (sodium–air) cells. Run 'metalair COMMAND --help' for details.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_USER = 1
EXIT_SOLVER = 2


def _fail(message: str, code: int = EXIT_USER) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"metalair {__version__}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def _progress_bar(label: str):
    """A small progress reporter on stderr: (done, total) -> None."""
    state = {"last": -1}

    def report(done: int, total: int) -> None:
        pct = int(100 * done / max(total, 1))
        if pct != state["last"] and (pct % 5 == 0 or done == total):
            state["last"] = pct
            bar = "#" * (pct // 5) + "." * (20 - pct // 5)
            sys.stderr.write(f"\r{label} [{bar}] {pct:3d}% ({done}/{total} steps)")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()
    return report


#: protocols with more cycles than this keep full time series only for a few cycles
LONG_RUN_CYCLES = 20


def _run(catalyst: str, protocol: str, environment: str, progress: bool):
    from metalair.chemistry import environment as get_env
    from metalair.protocols.simulation import Simulation
    from metalair.protocols.steps import flatten

    try:
        sim = Simulation(catalyst, protocol, environment=get_env(environment))
        n_cycles = max(c for c, _s in flatten(sim.protocol.steps))
        if n_cycles > LONG_RUN_CYCLES:  # bound memory: time series for cycles 1, 10, 100 and the last
            keep = {1, 10, 100, n_cycles}
            sim = Simulation(catalyst, protocol, environment=get_env(environment), save_cycles=keep)
    except MetalairError as exc:
        _fail(str(exc))
    sol = sim.run(progress=_progress_bar(f"{sim.model.catalyst.name}") if progress else None)
    sol.meta["n_cycles"] = n_cycles
    return sol


def _write_outputs(sol, out: Path, fmt: str, stem: str) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    series = out / f"{stem}.{ 'parquet' if fmt == 'parquet' else 'csv'}"
    if fmt == "parquet":
        sol.to_parquet(series)
    else:
        sol.to_csv(series)
    written.append(str(series))
    summary = out / f"{stem}_summary.json"
    from metalair.analysis.summary import summarize

    from metalair._files import atomic_write_text

    atomic_write_text(summary, json.dumps(summarize(sol), indent=2))
    written.append(str(summary))
    return written


@app.command()
def simulate(
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c", help="Built-in catalyst (see 'metalair catalysts')."),
    protocol: str = typer.Option(
        "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V", "--protocol", "-p",
        help="Protocol text, steps separated by ';' (see 'metalair protocols')."),
    environment: str = typer.Option("ambient air", "--environment", "-e",
                                    help="'ambient air', 'dry air' or 'pure O2'."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    fmt: str = typer.Option("csv", "--format", help="Time-series format: csv or parquet."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figure."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress on stderr."),
) -> None:
    """Simulate a protocol on the reference sodium–air cell; print a summary and write files."""
    if fmt not in ("csv", "parquet"):
        _fail(f"--format {fmt!r} is not supported; use 'csv' or 'parquet'")
    from metalair.analysis.summary import format_summary, summarize

    sol = _run(catalyst, protocol, environment, progress)
    typer.echo(format_summary(summarize(sol)))
    stem = f"{sol.meta['catalyst']}"
    written = _write_outputs(sol, out, fmt, stem)
    if sol.meta.get("n_cycles", 1) > 1:  # a cycling protocol: per-cycle table and cycle life too
        from metalair.analysis.cycles import cycle_life
        from metalair.analysis.cycling import simulated_cycle_summary

        table = simulated_cycle_summary(sol)
        table.to_csv(out / "cycles.csv")
        written.append(str(out / "cycles.csv"))
        life = cycle_life(table)
        typer.echo(str(life))
        from metalair._files import atomic_write_text

        summary = summarize(sol)
        summary.update({"cycle_life": life.cycle_life, "censored": life.censored,
                        "first_failed_cycle": life.first_failed_cycle, "end_of_life_reason": life.reason,
                        "cycles_run": len(table), "cycle_table": "cycles.csv"})
        atomic_write_text(out / f"{stem}_summary.json", json.dumps(summary, indent=2, default=str))
    if plot:
        try:
            from metalair.plotting.simulation import plot_solution, save_figure

            fig_path = out / f"{stem}.png"
            save_figure(plot_solution(sol), fig_path)
            written.append(str(fig_path))
        except ImportError as exc:
            typer.echo(f"note: no figure ({exc})", err=True)
    typer.echo("wrote: " + ", ".join(written))
    if not sol.ok:
        _fail(sol.message, EXIT_SOLVER)


@app.command()
def compare(
    catalysts: List[str] = typer.Argument(None, help="Catalysts to compare (default: NLRO RuO2)."),
    protocol: str = typer.Option(
        "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V", "--protocol", "-p"),
    environment: str = typer.Option("ambient air", "--environment", "-e"),
    out: Path = typer.Option(Path("results"), "--out", "-o"),
) -> None:
    """Run the same protocol for several catalysts and draw them on one figure."""
    from metalair.analysis.summary import format_summary, summarize

    names = catalysts or ["NLRO", "RuO2"]
    sols = {}
    for name in names:
        sol = _run(name, protocol, environment, progress=False)
        sols[sol.meta["catalyst"]] = sol
        typer.echo(format_summary(summarize(sol)))
        if not sol.ok:
            _fail(sol.message, EXIT_SOLVER)
    out.mkdir(parents=True, exist_ok=True)
    try:
        from metalair.plotting.simulation import plot_comparison, save_figure

        path = out / ("compare_" + "_".join(sols) + ".png")
        save_figure(plot_comparison(sols), path)
        typer.echo(f"wrote: {path}")
    except ImportError as exc:
        typer.echo(f"note: no figure ({exc})", err=True)


@app.command()
def cycle(
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c", help="Built-in catalyst."),
    current: str = typer.Option("500mA/g", "--current", help="Specific current, e.g. 500mA/g."),
    capacity: str = typer.Option("500mAh/g", "--capacity", help="Capacity limit per half-cycle, e.g. 500mAh/g."),
    cycles: int = typer.Option(1000, "--cycles", "-n", help="Number of cycles."),
    v_min: str = typer.Option("1.5V", "--v-min", help="Discharge voltage limit."),
    v_max: str = typer.Option("4.8V", "--v-max", help="Charge voltage limit."),
    eod_threshold: float = typer.Option(2.0, "--eod-threshold", help="Report the first cycle whose end-of-discharge "
                                        "voltage falls below this [V]."),
    tolerance: float = typer.Option(0.99, "--tolerance", help="Fraction of the capacity limit a half-cycle must "
                                    "reach to count as passed."),
    environment: str = typer.Option("ambient air", "--environment", "-e"),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    fmt: str = typer.Option("csv", "--format", help="Per-cycle table format: csv or parquet."),
    progress: bool = typer.Option(True, "--progress/--no-progress"),
) -> None:
    """Capacity-limited cycling: cycle life, per-cycle table (cycles.csv), summary.json and figure."""
    from metalair.analysis.cycling import run_cycling
    from metalair.chemistry import environment as get_env

    if cycles < 1:
        _fail(f"--cycles {cycles} must be at least 1")
    if fmt not in ("csv", "parquet"):
        _fail(f"--format {fmt!r} is not supported; use 'csv' or 'parquet'")
    if not 0 < tolerance <= 1:
        _fail(f"--tolerance {tolerance} must be in (0, 1]")
    try:
        res = run_cycling(catalyst, current, capacity, cycles, v_min, v_max, eod_threshold_V=eod_threshold,
                          tolerance=tolerance, environment=get_env(environment),
                          progress=_progress_bar(f"{catalyst} cycling") if progress else None, out_dir=out,
                          table_format=fmt)
    except MetalairError as exc:
        _fail(str(exc))
    t = res.table
    typer.echo(f"{res.catalyst}: {cycles} cycles at {res.settings['current_mA_g']:g} mA/g, "
               f"{res.settings['capacity_mAh_g']:g} mAh/g per half-cycle, {res.settings['v_min_V']:g}-"
               f"{res.settings['v_max_V']:g} V ({res.wall_time_s:.2f} s)")
    typer.echo(str(res.life))
    head = ["Cycle", "Discharge capacity [mAh/g]", "Charge capacity [mAh/g]", "End-of-discharge voltage [V]",
            "End-of-charge voltage [V]", "Polarisation [V]", "Energy efficiency [%]", "Carbonate after charge [mmol/g]"]
    n = len(t)
    show = sorted({0, 1, 9, 99, 199, 299, 349, 399, 499, 999, n - 1} & set(range(n)))
    typer.echo("  ".join(f"{h:>14s}" if i else f"{h:>6s}" for i, h in enumerate(
        ["cycle", "Q_dis mAh/g", "Q_ch mAh/g", "EoD V", "EoC V", "polar. V", "EE %", "CO3 mmol/g"])))
    for i in show:
        vals = [t[h][i] for h in head]
        typer.echo(f"{int(vals[0]):6d}  " + "  ".join(f"{v:14.4g}" for v in vals[1:]))
    typer.echo("wrote: " + ", ".join(str(out / f) for f in res.files.values()))
    if not res.solution.ok:
        _fail(res.solution.message, EXIT_SOLVER)


@app.command()
def stages(
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c"),
    current: str = typer.Option("200mA/g", "--current"),
    capacity: str = typer.Option("1000mAh/g", "--capacity", help="Discharge capacity before the charge."),
    v_max: str = typer.Option("4.8V", "--v-max", help="Charge voltage limit."),
    at: str = typer.Option("2.8,3.8,4.6", "--at", help="Charge voltages [V] at which to report the inventory."),
) -> None:
    """Stage analysis (P8): products at the end of discharge and at chosen voltages on charge."""
    from metalair.analysis.cycling import stage_analysis

    try:
        volts = tuple(float(v) for v in at.split(",") if v.strip())
    except ValueError:
        _fail(f"--at {at!r} must be comma-separated voltages, e.g. 2.8,3.8,4.6")
    try:
        typer.echo(stage_analysis(catalyst, current, capacity, v_max, volts).table())
    except SolverError as exc:
        _fail(str(exc), EXIT_SOLVER)
    except MetalairError as exc:
        _fail(str(exc))


@app.command()
def catalysts() -> None:
    """List the built-in catalysts, their descriptors and sources."""
    from metalair.catalysts import CATALYSTS

    for cat in CATALYSTS.values():
        kind = "insertion host (state follows potential)" if cat.is_insertion_host else "fixed state"
        typer.echo(f"{cat.name}  {cat.formula}  — {kind}")
        typer.echo(f"    {cat.description}")
        for prod, d in cat.descriptors.items():
            typer.echo(f"    {prod:7s} d-band {d.d_band_centre:+.2f} eV, ICOHP {d.icohp:+.2f} eV"
                       + (f", host stage {d.stage:g}" if cat.is_insertion_host else ""))
        typer.echo(f"    free-energy charging overpotential {cat.free_energy_overpotential:.3f} V")
        for hc in cat.host_couples:
            typer.echo(f"    host couple {hc.name}: E0 {hc.standard_potential:.2f} V, "
                       f"{hc.capacity / 3600:.1f} mAh/g")
        for field, src in cat.sources.items():
            typer.echo(f"    source ({field}): {src}")
        typer.echo("")


@app.command()
def protocols() -> None:
    """Show the accepted protocol forms with examples."""
    from metalair.protocols.parser import ACCEPTED_FORMS

    typer.echo(ACCEPTED_FORMS)


@app.command()
def validate(
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
    catalyst: Optional[List[str]] = typer.Option(None, "--catalyst", "-c", help="Limit to these catalysts."),
) -> None:
    """Reproduce the published observations (system.md) from the built-in parameter sets."""
    from metalair.validation import format_rows, run_validation

    try:
        rows = run_validation(catalyst or None, progress=lambda m: typer.echo(f"running {m}", err=True))
    except SolverError as exc:
        _fail(str(exc), EXIT_SOLVER)
    except MetalairError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in rows], indent=2))
    else:
        typer.echo(format_rows(rows))
    if not all(r.passed for r in rows):
        raise typer.Exit(EXIT_USER)


def main() -> None:  # console-script entry point
    try:
        app()
    except MetalairError as exc:  # anything the commands did not catch themselves
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(EXIT_USER)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()


# commands defined in other modules register themselves on `app`
from metalair.cli import analysis_commands as _analysis_commands  # noqa: E402,F401
from metalair.cli import calibration as _calibration_commands  # noqa: E402

_calibration_commands.register(app)
