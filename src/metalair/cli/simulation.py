"""CLI commands that simulate: ``simulate``, ``compare``, ``cycle`` and ``stages``.

Each parses its options, calls one workflow of :mod:`metalair.workflows`,
prints the result and exits with the codes of :mod:`metalair.cli._common`.
The workflows are imported inside the commands, so ``metalair --help`` does
not load the model.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from metalair._files import file_stem
from metalair.cli._common import (
    CYCLE_OPTIONS,
    ENV_HELP,
    EXIT_SOLVER,
    OVERWRITE_HELP,
    begin_output,
    check_sample_count,
    cli_text,
    fail,
    given_options,
    need_unit,
    progress_bar,
    stop_interrupted,
    volts,
)
from metalair.errors import MetalairError, SolverError
from metalair.units import is_bare_number, parse_quantity, to_user

__all__ = ["register", "simulate", "compare", "cycle", "stages"]

_REFERENCE = "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V"
_ENV_HELP = ENV_HELP


_OVERWRITE_HELP = OVERWRITE_HELP
_begin_run = begin_output


#: The options ``--ensemble`` uses; the others set up the single run it replaces.
_ENSEMBLE_OPTIONS = frozenset({"catalyst", "out", "plot", "progress", "overwrite", "ensemble"})


def _refuse_unused_with_ensemble(ctx: typer.Context, preset: str) -> None:
    """Refuse options the user gave that ``--ensemble`` would ignore (it runs the study's fixed protocol)."""
    from metalair.workflows.validation import P6_RUN, REFERENCE_RUN

    given = given_options(ctx, lambda name: name not in _ENSEMBLE_OPTIONS)
    if not given:
        return
    runs = (f"the study's cycling ({P6_RUN['current']}, {P6_RUN['capacity']} per half-cycle, {P6_RUN['cycles']} "
            f"cycles, {P6_RUN['v_min']}–{P6_RUN['v_max']}, ambient air)" if preset == "cycle" else
            f"the reference run ('{REFERENCE_RUN}', ambient air)")
    names = ", ".join(p.opts[0] for p in given)
    fail(f"--ensemble runs {runs} for every sample; {names} would be ignored: drop "
         f"{'it' if len(given) == 1 else 'them'}, or run without --ensemble")


def _run_ensemble(preset: str, catalyst: str, n: int, out: Path, plot: bool, progress: bool = True) -> list[str]:
    """``--ensemble N``: the command's outputs over N samples of ±0.1 eV on every DFT descriptor."""
    from metalair.calibration.ensemble import preset_ensemble

    check_sample_count(n, "--ensemble", 2, " (64 or more for a 90 % band)")
    try:
        res, _targets = preset_ensemble(preset, catalyst, n,
                                        progress=progress_bar(f"{catalyst} ensemble") if progress else None)
    except SolverError as exc:
        fail(str(exc), EXIT_SOLVER)
    except MetalairError as exc:
        fail(str(exc))
    typer.echo(res.table())
    files = [str(out / "ensemble" / Path(f).name) for f in res.write(out / "ensemble", figure=plot).values()]
    typer.echo(f"wrote: {', '.join(files)} ({res.wall_time_s:.1f} s for {res.n} samples)")
    return files


def _environment(name: str) -> object:
    from metalair.chemistry import environment as get_env

    try:
        return get_env(name)
    except MetalairError as exc:
        fail(str(exc))


def simulate(
    ctx: typer.Context,
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c",
                                 help="Built-in catalyst (see 'metalair catalysts') or a catalyst .toml."),
    protocol: str = typer.Option(_REFERENCE, "--protocol", "-p",
                                 help="Protocol text, steps separated by ';' (see 'metalair protocols')."),
    environment: str = typer.Option("ambient air", "--environment", "-e", help=_ENV_HELP),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    fmt: str = typer.Option("csv", "--format", help="Output format of the time series: csv or parquet."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figure."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress on stderr."),
    overwrite: bool = typer.Option(False, "--overwrite", help=_OVERWRITE_HELP),
    ensemble: int = typer.Option(0, "--ensemble", help="Instead: the reference run's capacity, polarisation, "
                                 "plateau and recovery over N samples of ±0.1 eV on every DFT descriptor (0: off)."),
) -> None:
    """Simulate a protocol on the reference sodium–air cell; print a summary and write files."""
    from metalair.analysis.summary import format_summary
    from metalair.workflows.simulate import SERIES_FORMATS, simulate_to_files

    if ensemble:
        _refuse_unused_with_ensemble(ctx, "simulate")
        manifest_e = _begin_run(out, overwrite)
        with manifest_e:
            manifest_e.add(*_run_ensemble("simulate", catalyst, ensemble, out, plot, progress))
        return

    if fmt not in SERIES_FORMATS:
        fail(f"--format {fmt!r} is not supported; use 'csv' or 'parquet'")
    env = _environment(environment)
    from metalair.catalysts import get_catalyst

    try:
        stem = file_stem(get_catalyst(catalyst).name)  # the files are named after it: refuse a clash before running
    except MetalairError as exc:
        fail(str(exc))
    manifest = _begin_run(out, overwrite, expected=(f"{stem}.{fmt}", f"{stem}.png", f"{stem}_summary.json",
                                                    "cycles.csv"))
    with manifest:
        try:
            run = simulate_to_files(catalyst, protocol, environment=env, out_dir=out, series_format=fmt,
                                    figure=plot, progress=progress_bar if progress else None)
        except SolverError as exc:
            fail(str(exc), EXIT_SOLVER)
        except MetalairError as exc:
            fail(str(exc))
        manifest.add(*run.files)
        if run.solution.status == "interrupted":
            stop_interrupted(manifest, run.solution.message)
        typer.echo(format_summary(run.summary))
        for w in run.solution.warnings:
            typer.echo(f"warning: {w}", err=True)
        if run.life is not None:
            typer.echo(str(run.life))
        typer.echo("wrote: " + ", ".join(str(p) for p in run.files))
        if not run.solution.ok:
            manifest.finish("partial", run.solution.message)
            fail(run.solution.message, EXIT_SOLVER)


def compare(
    catalysts: list[str] = typer.Argument(None, help="Catalysts to compare (default: NLRO RuO2)."),
    protocol: str = typer.Option(_REFERENCE, "--protocol", "-p", help="Protocol text (see 'metalair protocols')."),
    environment: str = typer.Option("ambient air", "--environment", "-e", help=_ENV_HELP),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help=_OVERWRITE_HELP),
) -> None:
    """Run the same protocol for several catalysts and draw them on one figure."""
    from metalair.analysis.summary import format_summary, summarize
    from metalair.catalysts import get_catalyst
    from metalair.workflows.simulate import check_distinct_catalysts, compare_catalysts

    names = catalysts or ["NLRO", "RuO2"]
    for name in names:  # every name is checked before anything runs
        try:
            get_catalyst(name)
        except MetalairError as exc:
            fail(str(exc))
    try:  # one catalyst in two spellings ("NLRO nlro", "x.toml ./x.toml") would run twice
        check_distinct_catalysts(names)
    except MetalairError as exc:
        fail(str(exc))
    env = _environment(environment)
    manifest = _begin_run(out, overwrite)
    with manifest:
        try:
            sols, path = compare_catalysts(names, protocol, environment=env, out_dir=out)
        except SolverError as exc:
            fail(str(exc), EXIT_SOLVER)
        except MetalairError as exc:
            fail(str(exc))
        manifest.add(path)
        for label, sol in sols.items():
            if label != sol.meta.get("catalyst"):  # two catalysts of one name: say which this is
                typer.echo(f"--- {label}")
            typer.echo(format_summary(summarize(sol)))
            if not sol.ok:
                manifest.finish("partial", sol.message)
                fail(sol.message, EXIT_SOLVER)
        typer.echo(f"wrote: {path}")


def cycle(
    ctx: typer.Context,
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c", help="Built-in catalyst or a catalyst .toml."),
    current: str = typer.Option("500mA/g", "--current", help="Specific current, e.g. 500mA/g."),
    capacity: str = typer.Option("500mAh/g", "--capacity", help="Capacity limit per half-cycle, e.g. 500mAh/g."),
    cycles: int = typer.Option(1000, "--cycles", "-n", help="Number of cycles."),
    v_min: str = typer.Option("1.5V", "--v-min", help="Discharge voltage limit, e.g. 1.5V (a bare number is in V)."),
    v_max: str = typer.Option("4.8V", "--v-max", help="Charge voltage limit, e.g. 4.8V (a bare number is in V)."),
    eod_threshold: str = typer.Option("2.0V", "--eod-threshold", help="Report the first cycle whose end-of-discharge "
                                      "voltage falls below this, e.g. 2.0V (a bare number is in V)."),
    tolerance: float = typer.Option(0.99, "--tolerance", help="Fraction of the capacity limit a half-cycle must "
                                    "reach to count as passed."),
    environment: str = typer.Option("ambient air", "--environment", "-e", help=_ENV_HELP),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    fmt: str = typer.Option("csv", "--format", help="Output format of the per-cycle table: csv or parquet."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write cycling.png."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress on stderr."),
    overwrite: bool = typer.Option(False, "--overwrite", help=_OVERWRITE_HELP),
    ensemble: int = typer.Option(0, "--ensemble", help="Instead: cycle life over N samples of ±0.1 eV on every "
                                 "DFT descriptor (median and 90 % band; the 500 mA/g, 500 mAh/g protocol; 0: off)."),
) -> None:
    """Capacity-limited cycling: cycle life, per-cycle table (cycles.csv), summary.json and figure."""
    from metalair.workflows.cycling import TABLE_FORMATS, run_cycling

    if ensemble:
        _refuse_unused_with_ensemble(ctx, "cycle")
        manifest = _begin_run(out, overwrite)
        with manifest:
            manifest.add(*_run_ensemble("cycle", catalyst, ensemble, out, plot, progress))
        return

    try:
        eod_V = float(parse_quantity(volts(eod_threshold), "potential"))
    except MetalairError as exc:
        fail(f"--eod-threshold {eod_threshold!r}: {exc}")
    if not math.isfinite(eod_V):
        fail(f"--eod-threshold {eod_threshold}: give a finite voltage, e.g. 2.0V")
    if not math.isfinite(tolerance):
        fail(f"--tolerance {tolerance}: give a number in (0, 1], e.g. 0.99")
    if cycles < 1:
        fail(f"--cycles {cycles} must be at least 1")
    if fmt not in TABLE_FORMATS:
        fail(f"--format {fmt!r} is not supported; use 'csv' or 'parquet'")
    if not 0 < tolerance <= 1:
        fail(f"--tolerance {tolerance} must be in (0, 1]")
    need_unit("--current", current, "mA/g")
    need_unit("--capacity", capacity, "mAh/g")
    env = _environment(environment)
    figure_file = ("cycling.png",) if plot else ()
    manifest = _begin_run(out, overwrite, expected=(f"cycles.{fmt}", "summary.json", *figure_file))
    try:
        res = run_cycling(catalyst, current, capacity, cycles, volts(v_min), volts(v_max),
                          eod_threshold_V=eod_V,
                          tolerance=tolerance, environment=env,
                          progress=progress_bar(f"{catalyst} cycling") if progress else None, out_dir=out,
                          figure=plot, table_format=fmt)
    except SolverError as exc:
        manifest.abandon()
        fail(str(exc), EXIT_SOLVER)
    except MetalairError as exc:
        manifest.abandon()
        fail(cli_text(str(exc), CYCLE_OPTIONS))
    except BaseException as exc:  # Ctrl-C or a bug: an earlier run set aside by --overwrite comes back
        manifest.__exit__(type(exc), exc, exc.__traceback__)
        raise
    manifest.add(*(out / f for f in res.files.values()))
    if res.solution.status == "interrupted":
        stop_interrupted(manifest, res.solution.message)
    manifest.finish("complete" if res.solution.ok else "partial", None if res.solution.ok else res.solution.message)
    t, s = res.table, res.settings
    typer.echo(f"{res.catalyst}: {cycles} cycles at {s['current_mA_g']:g} mA/g, {s['capacity_mAh_g']:g} mAh/g per "
               f"half-cycle, {s['v_min_V']:g}-{s['v_max_V']:g} V ({res.wall_time_s:.2f} s)")
    typer.echo(str(res.life))
    for w in res.solution.warnings:
        typer.echo(f"warning: {w}", err=True)
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
        fail(res.solution.message, EXIT_SOLVER)


def stages(
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c", help="Built-in catalyst or a catalyst .toml."),
    current: str = typer.Option("200mA/g", "--current", help="Specific current, e.g. 200mA/g."),
    capacity: str = typer.Option("1000mAh/g", "--capacity", help="Discharge capacity before the charge, e.g. "
                                 "1000mAh/g."),
    v_max: str = typer.Option("4.8V", "--v-max", help="Charge voltage limit, e.g. 4.8V (a bare number is in V)."),
    at: str = typer.Option("2.8,3.8,4.6", "--at", help="Charge voltages \\[V] at which to report the inventory."),
    environment: str = typer.Option("ambient air", "--environment", "-e", help=_ENV_HELP),
) -> None:
    """Stage analysis: products at the end of discharge and at chosen voltages on charge."""
    from metalair.units import parse_quantity
    from metalair.workflows.stages import stage_analysis

    need_unit("--current", current, "mA/g")
    need_unit("--capacity", capacity, "mAh/g")
    try:
        top = parse_quantity(volts(v_max), "potential")
    except MetalairError as exc:
        fail(f"--v-max {v_max!r}: {exc}")
    items = [v.strip() for v in at.split(",") if v.strip()]
    if not items:
        fail("--at is empty; give the charge voltages at which to report the inventory, e.g. --at 2.8,3.8,4.6")
    volts_list: list[float] = []
    for item in items:
        try:  # a bare number is in volts; a unit may be written ('3.8V', '3800 mV')
            v = float(item) if is_bare_number(item) else float(parse_quantity(item, "potential"))
        except MetalairError as exc:
            fail(f"--at {at!r}: {exc}")
        volts_list.append(v)
    at_volts = tuple(volts_list)
    not_numbers = [v for v in at_volts if not math.isfinite(v)]
    if not_numbers:
        fail(f"--at {at!r}: {', '.join(f'{v:g}' for v in not_numbers)} "
             f"{'is not a finite number' if len(not_numbers) == 1 else 'are not finite numbers'} of volts; "
             "give comma-separated voltages, e.g. 2.8,3.8,4.6")
    outside = [v for v in at_volts if not (0 < v <= top)]
    if outside and top < 2.5 and all(v > top for v in at_volts):  # a charge limit below any product's plateau
        fail(f"--v-max {top:g} V lies below every --at voltage ({min(at_volts):g}-{max(at_volts):g} V): the charge "
             "would reach none of them; raise --v-max (e.g. 4.8V) or lower --at")
    if outside:
        fail(f"--at {at!r}: {', '.join(f'{v:g} V' for v in outside)} cannot be reached on a charge to --v-max "
             f"{top:g} V; give voltages up to --v-max, e.g. --at 2.8,3.8,4.6 (or raise --v-max)")
    env = _environment(environment)
    try:
        typer.echo(stage_analysis(catalyst, current, capacity, volts(v_max), at_volts, environment=env).table())
    except SolverError as exc:
        fail(str(exc), EXIT_SOLVER)
    except MetalairError as exc:
        fail(str(exc))


_IMPEDANCE_AT = "Discharge at 100 mA/g for 5000 mAh/g"



#: Capacities [mAh/g] after which ``impedance --along`` takes a spectrum, unless --capacities says otherwise.
_ALONG_CAPACITIES = "500,2500,5000,7500,10000"


def impedance(
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c", help="Built-in catalyst or a catalyst .toml."),
    at: str | None = typer.Option(None, "--at", help="Protocol that brings the cell to the state where the "
                                  f"spectrum is taken (default: '{_IMPEDANCE_AT}')."),
    bias: str | None = typer.Option(None, "--bias", help="DC current during the measurement, discharge positive "
                                    "(e.g. 10mA/g); default: the current of the protocol's last step."),
    along: str | None = typer.Option(None, "--along", help="Instead of --at: spectra during a discharge at this "
                                     "current (e.g. 100mA/g), after each capacity of --capacities."),
    capacities: str | None = typer.Option(None, "--capacities",
                                          help="Capacities for --along, separated by commas: mAh/g, or with the "
                                          f"unit (e.g. 500,2500 or 500mAh/g,2500mAh/g; default {_ALONG_CAPACITIES})."),
    f_min: float = typer.Option(1e-3, "--fmin", help="Lowest frequency \\[Hz]."),
    f_max: float = typer.Option(1e6, "--fmax", help="Highest frequency \\[Hz]."),
    points: int = typer.Option(61, "--points", help="Frequencies (log-spaced)."),
    environment: str = typer.Option("ambient air", "--environment", "-e", help=_ENV_HELP),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write Nyquist and Bode figures."),
    overwrite: bool = typer.Option(False, "--overwrite", help=_OVERWRITE_HELP),
) -> None:
    """Impedance of the model from the linearisation of its own equations; spectrum table and figures."""
    from metalair.workflows.impedance import default_frequencies, model_spectrum, spectra_along, write_spectra

    env = _environment(environment)
    if along is not None and at is not None:
        fail("give --at (one state) or --along (states during a discharge), not both")
    if capacities is not None and along is None:
        fail("--capacities sets where --along takes its spectra; give --along CURRENT (e.g. --along 100mA/g) with it")
    capacities = _ALONG_CAPACITIES if capacities is None else capacities
    try:
        freqs = default_frequencies(f_min, f_max, points)
    except MetalairError as exc:
        fail(f"--fmin/--fmax/--points: {exc}")
    if bias is not None:
        try:  # refused before anything is run or written: a bare "10" says how to write it
            parse_quantity(bias, "specific current")
        except MetalairError as exc:
            fail(f"--bias: {exc}")
    qs: list[float] = []
    if along is not None:
        need_unit("--along", along, "mA/g")
        for item in (v.strip() for v in capacities.split(",")):
            if not item:
                continue
            try:
                qs.append(float(item) if is_bare_number(item) else
                          float(to_user(parse_quantity(item, "specific capacity"), "mAh/g")))
            except MetalairError as exc:
                fail(f"--capacities: {exc}")
        if not qs:
            fail("--capacities is empty; give the capacities after which to take spectra, e.g. 500,2500,5000")
        bad = [q for q in qs if not (math.isfinite(q) and q > 0)]
        if bad:
            fail(f"--capacities: {bad[0]:g} mAh/g is not a positive capacity")
    manifest = _begin_run(out, overwrite, expected=("impedance.csv", "impedance_nyquist.png"))
    with manifest:
        try:
            if along is not None:
                res = spectra_along(catalyst, along, qs, frequency_Hz=freqs, environment=env)
            else:
                res = model_spectrum(catalyst, at if at is not None else _IMPEDANCE_AT, bias=bias,
                                     frequency_Hz=freqs, environment=env)
            write_spectra(res, out, figures=plot)
        except SolverError as exc:
            fail(str(exc), EXIT_SOLVER)
        except MetalairError as exc:
            fail(str(exc))
        manifest.add(*res.files)
    for s in res.spectra:
        z = s.impedance
        rct = s.metadata["charge_transfer_resistance_ohm_cm2"]
        rct_text = (f"charge-transfer resistance {rct:.4g} Ω·cm²" if rct is not None
                    else "no charge transfer (no faradaic reaction at this state)")
        typer.echo(f"{s.metadata['source']}: {rct_text}; |Z| from {abs(z).min():.4g} to "
                   f"{abs(z).max():.4g} Ω·cm² over {freqs.min():g}-{freqs.max():g} Hz")
    for n in res.notes:
        typer.echo(f"note: {n}", err=True)
    typer.echo("wrote: " + ", ".join(str(p) for p in res.files))


def register(app: typer.Typer) -> None:
    """Add ``simulate``, ``compare``, ``cycle``, ``stages`` and ``impedance`` to ``app``."""
    for command in (simulate, compare, cycle, stages, impedance):
        app.command()(command)
