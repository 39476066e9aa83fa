"""CLI commands ``eis``, ``cv`` and ``dems`` (registered on the main app by :func:`register`).

Each command parses its options, calls one workflow of
:mod:`metalair.workflows.electrochem`, prints a short report and the files
written. Exit codes: 0 ok, 1 user error (missing, unsupported or damaged
file, bad option), 2 internal failure. Progress goes to stderr.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import typer

from metalair.cli._common import EXIT_SOLVER, EXIT_USER, OVERWRITE_HELP, begin_output
from metalair.cli._common import fail as _fail
from metalair.errors import DataFormatError, MetalairError

__all__ = ["register"]

EXIT_USER = EXIT_USER
EXIT_INTERNAL = EXIT_SOLVER  # solver or internal failure


def _progress(text: str) -> None:
    sys.stderr.write(f"... {text}\n")
    sys.stderr.flush()


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (MetalairError, ImportError) as exc:  # ImportError: an optional reader (galvani) is missing
        _fail(str(exc))
    except typer.Exit:
        raise
    except Exception as exc:  # pragma: no cover - a bug, not a user error
        _fail(f"internal error ({type(exc).__name__}: {exc}); please report it", EXIT_INTERNAL)


def eis(
    file: Path = typer.Argument(..., help="Impedance file: EC-Lab .mpt/.mpr, Gamry .DTA, NOVA, CHI, VersaStudio "
                                          ".par, ZPlot .z, PowerSuite, or CSV (f, Z', Z'')."),
    circuit: str | None = typer.Option(None, "--circuit", "-c",
                                          help="Equivalent circuit to fit, e.g. 'R0-p(R1,CPE1)-Wo1'."),
    kk: bool = typer.Option(True, "--kk/--no-kk", help="Lin-KK validity test."),
    drt: bool = typer.Option(True, "--drt/--no-drt", help="Distribution of relaxation times."),
    band: bool = typer.Option(False, "--band", help="Add the 95 % band of the regularised DRT estimate (the spread "
                              "from noise; it excludes the smoothing bias, so it can miss the true DRT at sharp "
                              "peaks)."),
    weighting: str = typer.Option("modulus", "--weighting", help="Fit weighting: unit, modulus or proportional."),
    imag_sign: int | None = typer.Option(None, "--imag-sign", help="-1 when the file's imaginary column holds "
                                         "-Z'' whatever its header says, 1 when it holds Z'' (default: from the "
                                         "header)."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figures."),
) -> None:
    """Read an impedance spectrum; fit a circuit, Lin-KK test, DRT; write tables and figures."""
    from metalair.analysis.impedance.fitting import WEIGHTINGS
    from metalair.io.impedance import MultipleSpectraError
    from metalair.workflows.electrochem import analyse_impedance_file

    if weighting not in WEIGHTINGS:
        _fail(f"--weighting {weighting!r} is not one of {', '.join(WEIGHTINGS)}")
    if band and not drt:
        _fail("--band is the credible band of the DRT, which --no-drt turns off: drop one of them")
    if imag_sign not in (None, 1, -1):
        _fail(f"--imag-sign {imag_sign}: give -1 (the column holds -Z'') or 1 (it holds Z'')")
    if circuit is not None:  # a circuit that cannot be read is refused before anything is read or written
        from metalair.analysis.impedance.circuits import parse_circuit

        _run(parse_circuit, circuit)

    def analyse() -> Any:
        try:
            return analyse_impedance_file(file, out, circuit=circuit, kk=kk, drt=drt, credible_band=band,
                                          weighting=weighting, progress=_progress, figures=plot,
                                          imag_sign=imag_sign)
        except MultipleSpectraError as exc:  # the command has no way to choose one: say what the user can do
            sizes = ", ".join(str(n) for n in exc.sizes[:6]) + (", ..." if len(exc.sizes) > 6 else "")
            raise DataFormatError(
                f"{exc.file_name}: the file holds {len(exc.sizes)} spectra ({sizes} points) and 'metalair eis' "
                "analyses one spectrum per file: export each sweep (EC-Lab: each cycle) to a file of its own, or "
                f"pick one in Python with metalair.io.impedance.read_impedance(path, sweep=N), N = 1..{len(exc.sizes)}"
            ) from None

    with begin_output(out, overwrite) as manifest:
        summary = _run(analyse)
        manifest.add(*summary["written"])
    lo, hi = summary["frequency_range_Hz"]
    typer.echo(f"{summary['file']}: {summary['format']}, {summary['points']} points, {lo:.4g}-{hi:.4g} Hz "
               f"({summary['sign_convention']})")
    for w in summary["warnings"]:
        typer.secho(f"warning: {w}", fg=typer.colors.YELLOW)
    if "fit_table" in summary:
        typer.echo(summary["fit_table"])
        if summary.get("fit", {}).get("quality_note"):
            typer.secho(f"warning: {summary['fit']['quality_note']}", fg=typer.colors.YELLOW)
    if "lin_kk_verdict" in summary:
        typer.echo(summary["lin_kk_verdict"])
        for note in summary.get("lin_kk", {}).get("notes", []):
            typer.echo(f"note: {note}")
    if "drt_table" in summary:
        typer.echo(summary["drt_table"])
        for note in summary.get("drt", {}).get("notes", []):
            typer.echo(f"note: {note}")
    for note in summary["notes"]:
        typer.echo(f"note: {note}")
    typer.echo("wrote: " + ", ".join(summary["written"]))


def cv(
    files: list[Path] = typer.Argument(..., help="CV files: EC-Lab .mpt, Gamry .DTA, or CSV with named columns."),
    prominence: float = typer.Option(0.05, "--prominence", help="Smallest peak, fraction of the largest |current|."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figures."),
    cathodic_positive: bool = typer.Option(False, "--cathodic-positive", help="The CSV counts cathodic current as "
                                           "positive (a metalair time series is recognised without it)."),
) -> None:
    """Find the anodic and cathodic peaks of one or more CVs; write a peak table and an overlay figure."""
    from metalair.workflows.electrochem import analyse_cv_files

    if not 0 < prominence < 1:
        _fail(f"--prominence {prominence:g} must lie between 0 and 1")
    with begin_output(out, overwrite) as manifest:
        summary = _run(analyse_cv_files, files, out, prominence=prominence, progress=_progress, figures=plot,
                       anodic_sign=-1 if cathodic_positive else None)
        manifest.add(*summary["written"])
    for f in summary["files"]:
        rate = f.get("scan_rate_V_s")
        ref = f.get("reference_electrode")
        typer.echo(f"{f['file']}: cycles {', '.join(map(str, f['cycles']))}"
                   + (f", scan rate {1000 * rate:.4g} mV/s" if rate else "")
                   + (f", potential vs {ref}" if ref else ""))
        for w in f.get("warnings", []):
            typer.secho(f"warning: {w}", fg=typer.colors.YELLOW)
        for note in f.get("notes", []):
            typer.echo(f"note: {note}")
        typer.echo(f["table"])
    for note in summary["notes"]:
        typer.echo(f"note: {note}")
    typer.echo("wrote: " + ", ".join(summary["written"]))


def dems(
    current: Path = typer.Option(..., "--current", help="CSV with time and current (unit in the header)."),
    gas: Path = typer.Option(..., "--gas", help="CSV with time and calibrated gas fluxes, e.g. 'O2 (nmol/s)'."),
    offset: str = typer.Option("auto", "--offset", help="Gas delay in s (negative when the gas record leads the "
                               "current record, their clocks differing), or 'auto' (correlation)."),
    tail: str = typer.Option("next", "--tail", help="Seconds of gas integrated after each step's end plus the "
                             "delay, or 'next' (default): until the next step's gas arrives or the record ends."),
    calibration: float = typer.Option(0.0, "--calibration-uncertainty",
                                      help="Relative standard uncertainty of the gas calibration, e.g. 0.05."),
    charge_positive: bool = typer.Option(False, "--charge-positive",
                                         help="The current file counts charge as positive (EC-Lab)."),
    gas_consumption_positive: bool = typer.Option(False, "--gas-consumption-positive",
                                                  help="The gas file counts consumption (uptake) as positive."),
    baseline: float = typer.Option(60.0, "--baseline", help="Seconds before each step whose mean gas flux is "
                                   "subtracted as background (0: none)."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figures."),
) -> None:
    """e-/O2 per galvanostatic step from a current record and calibrated gas fluxes."""
    from metalair.workflows.electrochem import analyse_dems_files

    try:
        time_offset: float | str = "auto" if offset == "auto" else float(offset)
    except ValueError:
        _fail(f"--offset {offset!r}: give a number of seconds or 'auto'")
    if isinstance(time_offset, float) and not math.isfinite(time_offset):
        _fail(f"--offset {offset!r}: give a finite number of seconds or 'auto'")
    if tail == "next":
        tail_s = math.inf
    else:
        try:
            tail_s = float(tail)
        except ValueError:
            _fail(f"--tail {tail!r}: give a number of seconds >= 0, or 'next'")
        if not (math.isfinite(tail_s) and tail_s >= 0):
            _fail(f"--tail {tail}: give a number of seconds >= 0, or 'next'")
    if not (math.isfinite(baseline) and baseline >= 0):
        _fail(f"--baseline {baseline:g}: give a finite number of seconds >= 0 (0: no background subtracted)")
    if not 0 <= calibration < 1:  # also refuses nan
        _fail(f"--calibration-uncertainty {calibration:g} must be a relative standard uncertainty from 0 to "
              "below 1 (e.g. 0.05 for 5 %)")
    with begin_output(out, overwrite) as manifest:
        summary = _run(analyse_dems_files, current, gas, out, time_offset_s=time_offset, tail_s=tail_s,
                       calibration_uncertainty=calibration, discharge_sign=-1 if charge_positive else 1,
                       evolution_sign=-1 if gas_consumption_positive else 1, baseline_s=baseline,
                       progress=_progress, figures=plot)
        manifest.add(*summary["written"])
    off = summary["time_offset_s"]
    typer.echo(f"gas delay {off:.4g} s" if off >= 0 else f"gas offset {off:.4g} s (the gas record leads the current)")
    typer.echo(f"{'step':>4}  {'kind':>9}  {'e-/O2':>8}  {'+/-':>7}")
    for s in summary["steps"]:
        typer.echo(f"{s['index']:>4}  {s['kind']:>9}  {s['e_per_o2']:>8.4f}  {s['e_per_o2_sigma']:>7.4f}")
    for note in summary["notes"]:
        typer.echo(f"note: {note}")
    typer.echo("wrote: " + ", ".join(summary["written"]))


def register(app: typer.Typer) -> None:
    """Add the ``eis``, ``cv`` and ``dems`` commands to ``app``."""
    app.command("eis")(eis)
    app.command("cv")(cv)
    app.command("dems")(dems)
