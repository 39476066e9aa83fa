"""CLI commands for measured data: ``analyze`` and ``fit``.

Both read a cycler file with :func:`metalair.io.read` (format recognised from
the content; ``--format csv --columns ...`` for any other delimited text),
call one library function, print its table and write files. Exit codes as
for the whole CLI: 0 ok, 1 user error (bad option, missing/unsupported/damaged
file, unknown parameter), 2 a fit whose optimiser did not converge or an
internal failure.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path
from typing import NoReturn

import typer

from metalair.cli._common import (
    COLUMNS_HELP,
    ENV_HELP,
    EXIT_SOLVER,
    OVERWRITE_HELP,
    cli_text,
    column_map_option,
    fail,
    mass_g_option,
)
from metalair.errors import MetalairError, SolverError
from metalair.units import convert

__all__ = ["register", "analyze", "fit"]

_INPUT_FORMAT_HELP = "Input file format, when not detected (e.g. 'ndax', 'mpt', 'maccor', 'csv')."
_FILE_HELP = ("Cycler file: Neware .nda/.ndax/BTSDA CSV, BioLogic .mpt/.mpr, Arbin .res/CSV, Maccor text, "
              "or CSV with --columns.")


def _user_error(exc: Exception) -> NoReturn:
    """Exit 1 with the library's message, plus the command-line spelling where it names keywords."""
    message = cli_text(str(exc))
    if "column_map" in message:  # a message the table of command-line spellings does not cover
        message += " (on the command line: --format csv --columns 'time_s=...,voltage_V=...,current_A=...')"
    fail(message)


def _int_list(text: str, option: str) -> list[int]:
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        fail(f"{option} {text!r}: give whole numbers separated by commas, e.g. '1,2'")
    if not values or min(values) < 1:
        fail(f"{option} {text!r}: give cycle numbers from 1, e.g. '1,2'")
    return values


def _pairs(text: str | None, option: str, example: str) -> dict[str, str]:
    if not text:
        return {}
    out = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"{option}: {item!r} is not of the form name=value (e.g. '{example}')")
        out[key.strip()] = value.strip()
    return out


def _number(text: str, option: str) -> float:
    try:
        value = float(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a number")
    if not math.isfinite(value):
        fail(f"{option}: {text!r} is not a finite number")
    return value


def analyze(
    file: Path = typer.Argument(..., help=_FILE_HELP),
    mass_mg: float | None = typer.Option(
        None, "--mass-mg", help="Catalyst mass in mg (else the file's; without one, capacities are in mAh)."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder for cycles.csv and the figures."),
    fmt: str | None = typer.Option(None, "--format", help=_INPUT_FORMAT_HELP),
    columns: str | None = typer.Option(None, "--columns", help=COLUMNS_HELP),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figures."),
    cycle_start: str = typer.Option(
        "auto", "--cycle-start",
        help="Cycle numbering: 'auto' (the file's own numbering, as the vendor's software shows it, unless the "
             "file's cycle column holds one value for several cycles or its cycles open with a charge in a record "
             "that starts with a discharge, which would pair each charge with the next discharge; else "
             "discharge-first), 'file' (the file's "
             "numbering always), 'discharge' (each discharge with the charge after it, the metal-air pairing) or "
             "'charge' (each charge with the discharge after it)."),
    coulombic_efficiency: str = typer.Option(
        "auto", "--ce",
        help="Coulombic efficiency: 'auto' (the second half-cycle over the first, as the record starts), "
             "'charge/discharge' (a discharge-first cell: metal-air, an anode) or 'discharge/charge' (a "
             "charge-first cell: a cathode half-cell)."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress on stderr."),
) -> None:
    """Summarise every cycle of a cycler file: print the table, write cycles.csv and figures."""
    from metalair.io import DataQualityWarning
    from metalair.workflows.cycler import analyze_to_folder
    from metalair.workflows.progress import stderr_progress

    if cycle_start not in ("auto", "discharge", "charge", "file"):
        fail(f"--cycle-start {cycle_start!r}: choose auto, discharge, charge or file")
    if coulombic_efficiency not in ("auto", "charge/discharge", "discharge/charge"):
        fail(f"--ce {coulombic_efficiency!r}: choose auto, charge/discharge (a discharge-first cell) or "
             "discharge/charge (a charge-first cell)")
    mass_g = mass_g_option(mass_mg)
    column_map = column_map_option(columns)
    if column_map is not None and fmt is None:
        fmt = "csv"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)  # printed as notes with the result
            result = analyze_to_folder(
                file, out, command=["metalair", "analyze", *sys.argv[2:]], overwrite=overwrite, mass_g=mass_g,
                format=fmt, column_map=column_map, cycle_start=cycle_start,  # type: ignore[arg-type]
                coulombic_efficiency=coulombic_efficiency,  # type: ignore[arg-type]
                figures=plot, progress=stderr_progress(file.name) if progress else None)
    except (MetalairError, ImportError) as exc:  # ImportError: an optional reader (fastnda, galvani) is missing
        if progress:
            typer.echo("", err=True)
        _user_error(exc)
    if progress:
        typer.echo("", err=True)
    typer.echo(cli_text(str(result)))


def fit(
    file: Path = typer.Argument(..., help=_FILE_HELP),
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c",
                                 help="Built-in catalyst (see 'metalair catalysts') or a catalyst .toml."),
    params: str = typer.Option(
        ..., "--params", "-p",
        help="Model parameters to fit (see 'metalair catalysts --parameters'), separated by commas, e.g. "
             "'i0_dec_NaO2,k_disproportionation'."),
    mass_mg: float | None = typer.Option(
        None, "--mass-mg", help="Catalyst mass in mg (needed unless the file stores it)."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder for fit.json and fit.png."),
    cycles: str = typer.Option("1", "--cycles", help="Cycles to fit, e.g. '1' or '1,2' (each starts with a discharge "
                                                    "for a discharge-first record)."),
    initial: str | None = typer.Option(None, "--initial", help="Starting values in SI units, e.g. "
                                         "'i0_dec_NaO2=1e-3' (A/m²; 'metalair catalysts --parameters' lists them)."),
    bounds: str | None = typer.Option(None, "--bounds", help="Bounds in SI units, e.g. "
                                        "'i0_dec_NaO2=1e-5:1e-1'."),
    noise_mv: float | None = typer.Option(None, "--noise-mv", help="Known voltage noise (standard deviation) in mV."),
    max_evaluations: int | None = typer.Option(None, "--max-evaluations", help="Largest number of model runs of the "
                                               "optimiser (default 60; raise it when a fit stops unconverged)."),
    environment: str = typer.Option("ambient air", "--environment", "-e", help=ENV_HELP),
    fmt: str | None = typer.Option(None, "--format", help=_INPUT_FORMAT_HELP),
    columns: str | None = typer.Option(None, "--columns", help=COLUMNS_HELP),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write fit.png."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress on stderr."),
) -> None:
    """Fit model parameters to the discharge/charge curves of a cycler file; write fit.json and fit.png."""
    from metalair.chemistry import environment as get_env
    from metalair.workflows.fitting import fit_file
    from metalair.workflows.progress import stderr_progress

    mass_g = mass_g_option(mass_mg)
    cycle_list = _int_list(cycles, "--cycles")
    start = {k: _number(v, "--initial") for k, v in _pairs(initial, "--initial", "i0_dec_NaO2=1e-3").items()}
    limits: dict[str, tuple[float, float]] = {}
    for k, v in _pairs(bounds, "--bounds", "i0_dec_NaO2=1e-5:1e-1").items():
        lo, sep, hi = v.partition(":")
        if not sep:
            fail(f"--bounds: {k}={v!r} must be low:high, e.g. '{k}=1e-5:1e-1'")
        limits[k] = (_number(lo, "--bounds"), _number(hi, "--bounds"))
    noise_V = None
    if noise_mv is not None:
        if not (math.isfinite(noise_mv) and noise_mv > 0):
            fail(f"--noise-mv {noise_mv:g} must be a positive number of mV")
        noise_V = float(convert(noise_mv, "mV", "V"))
    if max_evaluations is not None and max_evaluations < 1:
        fail(f"--max-evaluations {max_evaluations} must be at least 1")
    try:
        env = get_env(environment)
        run = fit_file(file, catalyst, params, out, mass_g=mass_g, cycles=cycle_list, initial=start or None,
                       bounds=limits or None, noise_V=noise_V, environment=env, max_nfev=max_evaluations, format=fmt,
                       column_map=column_map_option(columns), figure=plot, overwrite=overwrite,
                       command=["metalair", "fit", *sys.argv[2:]],
                       progress=stderr_progress(file.name) if progress else None)
    except SolverError as exc:
        fail(str(exc), EXIT_SOLVER)
    except (MetalairError, ImportError) as exc:
        _user_error(exc)
    if progress:
        typer.echo("", err=True)
    result = run.result
    typer.echo(cli_text(result.table()))
    typer.echo("wrote: " + ", ".join(str(p) for p in run.files.values()))
    if not result.success:
        hint = ""
        if "function evaluations" in result.message:
            hint = (f"; raise --max-evaluations (it was {max_evaluations or 60}), or fit fewer parameters if the "
                    "notes name correlated ones")
        fail(f"the fit did not converge: {result.message}{hint}", EXIT_SOLVER)


def register(app: typer.Typer) -> None:
    """Add ``analyze`` and ``fit`` to ``app``."""
    for command in (analyze, fit):
        app.command()(command)
