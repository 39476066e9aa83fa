"""CLI commands ``calibrate`` and ``ensemble cycle|simulate|validate`` (registered with :func:`register`).

Thin: parse options, call :func:`metalair.calibration.calibrate` or
:func:`metalair.calibration.ensemble.ensemble`, print the table and write the
files. Exit codes: 0 ok; 1 user error (unknown parameter, bad targets file,
bad option); 2 internal or solver failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from metalair.errors import DataFormatError, MetalairError
from metalair.units import convert

__all__ = ["register"]

EXIT_USER = 1
EXIT_INTERNAL = 2


def _fail(message: str, code: int = EXIT_USER) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _split(text: str | None) -> list[str]:
    return [s.strip() for s in (text or "").split(",") if s.strip()]


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _bar(label: str):
    def report(done: int, total: int) -> None:
        sys.stderr.write(f"\r{label}: {done}/{total} runs")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    return report


def calibrate_cmd(
    targets: Path | None = typer.Option(None, "--targets", "-t",
                                           help="Targets file (.toml with [[target]] tables, or .csv)."),
    data: str | None = typer.Option(None, "--data", "-d",
                                       help="Measured cycler file(s), comma-separated: first-cycle capacity, "
                                            "mean discharge voltage and polarisation become targets."),
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c", help="Catalyst of the --data cells."),
    mass_mg: float | None = typer.Option(None, "--mass-mg", help="Catalyst mass of the --data cells [mg]."),
    fmt: str | None = typer.Option(None, "--format", help="Force the --data format (e.g. 'csv')."),
    columns: str | None = typer.Option(None, "--columns",
                                       help="For a generic CSV: canonical=column pairs, comma-separated, e.g. "
                                            "'time_s=Time (s),voltage_V=Ecell/V,current_A=I/A'."),
    builtin: str = typer.Option("auto", "--builtin",
                                help="Published targets to include: 'all', 'none', or P-rows/ids (e.g. 'P1,P2,P4'); "
                                     "'auto' = all unless --targets or --data are given."),
    params: str | None = typer.Option(None, "--params", "-p",
                                         help="Parameters to calibrate, comma-separated (default every fitted value)."),
    starts: int = typer.Option(3, "--starts", help="Perturbed starts."),
    perturb: float = typer.Option(0.3, "--perturb", help="Start perturbation (0.3 = ±30 %)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the start perturbations."),
    select: str = typer.Option("auto", "--select", help="'auto': fit the identifiable subset; 'all': fit all."),
    max_iterations: int = typer.Option(25, "--max-iterations", help="Optimiser iterations per start."),
    workers: int | None = typer.Option(None, "--workers", help="Processes (default: all CPUs)."),
    profile: str | None = typer.Option(None, "--profile", help="Profile likelihood of these fitted parameters."),
    resume: bool = typer.Option(False, "--resume", help="Reuse the model evaluations stored in OUT/checkpoint.json."),
    out: Path = typer.Option(Path("calibration"), "--out", "-o", help="Output folder."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write calibration.png."),
) -> None:
    """Re-derive fitted parameters from published and/or measured targets; print and write the calibration table."""
    from metalair.calibration import builtin_targets, calibrate, load_targets, profile_likelihood, targets_from_cycler

    try:
        tg = []
        if targets is not None:
            tg += load_targets(targets)
        cmap = None
        if columns:
            cmap = {}
            for item in _split(columns):
                key, sep, col = item.partition("=")
                if not sep or not key.strip() or not col.strip():
                    _fail(f"--columns: {item!r} is not of the form canonical=column (e.g. 'voltage_V=Ecell/V')")
                cmap[key.strip()] = col.strip()
        mass_g = None if mass_mg is None else float(convert(mass_mg, "mg", "g"))
        for f in _split(data):
            tg += targets_from_cycler(f, catalyst, mass_g=mass_g, format=fmt, column_map=cmap)
        b = builtin.strip().lower()
        if b == "all" or (b == "auto" and not tg):
            tg = builtin_targets() + tg
        elif b not in ("none", "auto"):
            tg = builtin_targets(_split(builtin)) + tg
        if not tg:
            _fail("no targets: give --targets, --data or --builtin")
        out.mkdir(parents=True, exist_ok=True)
        ck = out / "checkpoint.json"
        if resume and not ck.is_file():
            typer.secho(f"note: no checkpoint at {ck}; starting afresh", err=True)
        res = calibrate(tg, _split(params) or None, starts=starts, perturb=perturb, seed=seed, select=select,
                        max_iterations=max_iterations, workers=workers, checkpoint=ck, resume=resume)
    except (MetalairError, DataFormatError, OSError) as exc:
        _fail(str(exc))
        return
    except Exception as exc:  # an internal failure: exit 2, not a traceback
        _fail(f"internal failure: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
        return
    typer.echo(res.table())
    files = res.write(out, figure=plot)
    for name in _split(profile):
        try:
            pr = profile_likelihood(res, name, workers=workers, progress=_say)
        except MetalairError as exc:
            _fail(str(exc))
            return
        typer.echo(f"profile likelihood {name}: 95 % interval {pr['ci95']} -> "
                   f"{'identifiable' if pr['identifiable'] else 'not identifiable within the span'}")
        from metalair._files import atomic_write_text

        atomic_write_text(out / f"profile_{name}.json", json.dumps(pr, indent=2))
        files[f"profile {name}"] = f"profile_{name}.json"
    typer.echo("wrote " + ", ".join(str(out / f) for f in files.values()))


ensemble_app = typer.Typer(
    help="Ensembles over uncertain DFT descriptors (and calibrated values): median and 90 % band.",
    no_args_is_help=True)


def _ensemble(preset: str, catalysts: str, n: int, method: str, seed: int, halfwidth: float,
              calibration: Path | None, sobol: int, workers: int | None, out: Path, plot: bool) -> None:
    from metalair.calibration.ensemble import preset_ensemble, sobol_indices

    try:
        doc = None
        if calibration is not None:
            if not calibration.is_file():
                _fail(f"--calibration {str(calibration)!r} does not exist "
                      "(give the calibration.json that 'metalair calibrate' writes)")
            doc = json.loads(calibration.read_text(encoding="utf-8"))
        results = {}
        for c in _split(catalysts):
            res, tg = preset_ensemble(preset, c, n, method=method, seed=seed, halfwidth=halfwidth,
                                      calibration=doc, workers=workers, progress=_bar(f"{c} ensemble"))
            inputs = res.inputs
            base = {r["parameter"]: r["value"] for r in doc.get("table", [])} if doc else None
            results[c] = res
            typer.echo(res.table())
            if preset == "validate":
                for t in tg:
                    s = res.stats[t.id]
                    ok = abs(s["median"] - t.value) <= t.pass_tolerance
                    typer.echo(f"  {t.id:<12} target {t.value:g} ± {t.pass_tolerance:g}: median {s['median']:.4g} "
                               f"[{s['p05']:.4g}, {s['p95']:.4g}] {'PASS' if ok else 'FAIL'}")
            res.write(out / c, figure=plot)
            if sobol:
                si = sobol_indices(tg, inputs, sobol, seed=seed, base=base, workers=workers,
                                   progress=_bar(f"{c} Sobol' design"))
                typer.echo(si.table())
                from metalair._files import atomic_write_text

                atomic_write_text(out / c / "sobol.json", json.dumps(si.as_dict(), indent=2))
    except MetalairError as exc:
        _fail(str(exc))
        return
    typer.echo(f"wrote {out}")


_N = typer.Option(64, "--ensemble", "-n", help="Number of samples.")
_CATS = typer.Option("RuO2,NLRO", "--catalyst", "-c", help="Catalysts, comma-separated.")
_METHOD = typer.Option("lhs", "--method", help="'lhs' (Latin hypercube) or 'sobol'.")
_SEED = typer.Option(0, "--seed")
_HW = typer.Option(0.1, "--halfwidth", help="Uniform half-width on every d-band centre and ICOHP [eV].")
_CAL = typer.Option(None, "--calibration", help="calibration.json: use its values and sample its intervals.")
_SOBOL = typer.Option(0, "--sobol", help="Also Sobol' indices with this many base samples (N(d+2) runs).")
_WORKERS = typer.Option(None, "--workers", help="Processes (default all CPUs).")
_OUT = typer.Option(Path("ensemble"), "--out", "-o", help="Output folder.")
_PLOT = typer.Option(True, "--plot/--no-plot")


@ensemble_app.command("cycle")
def ensemble_cycle(n: int = _N, catalysts: str = _CATS, method: str = _METHOD, seed: int = _SEED,
                   halfwidth: float = _HW, calibration: Path | None = _CAL, sobol: int = _SOBOL,
                   workers: int | None = _WORKERS, out: Path = _OUT, plot: bool = _PLOT) -> None:
    """Cycle life (500 mA/g, 500 mAh/g, 1.5–4.8 V) as median and 90 % band."""
    _ensemble("cycle", catalysts, n, method, seed, halfwidth, calibration, sobol, workers, out, plot)


@ensemble_app.command("simulate")
def ensemble_simulate(n: int = _N, catalysts: str = _CATS, method: str = _METHOD, seed: int = _SEED,
                      halfwidth: float = _HW, calibration: Path | None = _CAL, sobol: int = _SOBOL,
                      workers: int | None = _WORKERS, out: Path = _OUT, plot: bool = _PLOT) -> None:
    """Reference discharge–charge numbers (capacity, polarisation, ...) as median and 90 % band."""
    _ensemble("simulate", catalysts, n, method, seed, halfwidth, calibration, sobol, workers, out, plot)


@ensemble_app.command("validate")
def ensemble_validate(n: int = _N, catalysts: str = _CATS, method: str = _METHOD, seed: int = _SEED,
                      halfwidth: float = _HW, calibration: Path | None = _CAL, sobol: int = _SOBOL,
                      workers: int | None = _WORKERS, out: Path = _OUT, plot: bool = _PLOT) -> None:
    """The published targets: a row passes on its median; the 90 % band is printed."""
    _ensemble("validate", catalysts, n, method, seed, halfwidth, calibration, sobol, workers, out, plot)


def register(app: typer.Typer) -> None:
    """Add ``calibrate`` and the ``ensemble`` group to the main app."""
    app.command("calibrate")(calibrate_cmd)
    app.add_typer(ensemble_app, name="ensemble")
