"""CLI commands ``calibrate`` and ``ensemble cycle|simulate|validate`` (registered with :func:`register`).

Thin: parse options, call :func:`metalair.calibration.calibrate` or
:func:`metalair.calibration.ensemble.ensemble`, print the table and write the
files. Exit codes: 0 ok; 1 user error (unknown parameter, bad targets file,
bad option); 2 internal or solver failure.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import numbers
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from metalair._progress import say
from metalair._validation import check_seed
from metalair.cli._common import (
    COLUMNS_HELP,
    EXIT_INTERRUPTED,
    OVERWRITE_HELP,
    check_sample_count,
    cli_text,
    column_map_option,
    fail,
    mass_g_option,
    progress_bar,
)
from metalair.errors import DataFormatError, MetalairError, ParameterError

__all__ = ["register"]

EXIT_USER = 1
EXIT_INTERNAL = 2


def _fail(message: str, code: int = EXIT_USER) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _split(text: str | None) -> list[str]:
    return [s.strip() for s in (text or "").split(",") if s.strip()]


def _bar(label: str) -> Callable[[int, int], None]:
    """A progress reporter on stderr like the package's other bars: ``label [####....]  40% (2/5 runs)``."""
    return progress_bar(label, unit="runs")


def calibrate_cmd(
    targets: Path | None = typer.Option(None, "--targets", "-t",
                                           help="Targets file (.toml with \\[\\[target]] tables, or .csv)."),
    data: str | None = typer.Option(None, "--data", "-d",
                                       help="Measured cycler file(s), comma-separated: first-cycle capacity, "
                                            "mean discharge voltage and polarisation become targets."),
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c", help="Catalyst of the --data cells."),
    mass_mg: float | None = typer.Option(None, "--mass-mg", help="Catalyst mass of the --data cells in mg."),
    fmt: str | None = typer.Option(None, "--format",
                                   help="Input file format of --data, when not detected (e.g. 'csv')."),
    columns: str | None = typer.Option(None, "--columns", help=COLUMNS_HELP),
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
    profile: str | None = typer.Option(None, "--profile", help="Profile likelihood of these fitted parameters, "
                                       "comma-separated."),
    resume: bool = typer.Option(False, "--resume", help="Reuse the model evaluations stored in --out's "
                                "checkpoint.json."),
    out: Path = typer.Option(Path("calibration"), "--out", "-o", help="Output folder."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Report the starts and evaluations on "
                                  "stderr."),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write calibration.png."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the files of an earlier run in --out "
                                   "(without it such a folder is refused; --resume continues it instead)."),
) -> None:
    """Re-derive fitted parameters from published and/or measured targets; print and write the calibration table."""
    from metalair.calibration import calibrate, profile_likelihood
    from metalair.models.parameters import REMOVED, LumpedParameters
    from metalair.workflows.outputs import begin_run, continue_run

    for option, value in (("--starts", starts), ("--max-iterations", max_iterations)):
        if value < 1:
            _fail(f"{option} must be >= 1, got {value}")
    from metalair.sweeps.engine import check_workers

    try:
        check_workers(workers, "--workers", None)
    except MetalairError as exc:
        _fail(str(exc))
    known = {f.name for f in dataclasses.fields(LumpedParameters)}
    for name in _split(profile) + _split(params):
        if name not in known:
            option = "--profile" if name in _split(profile) else "--params"
            if name in REMOVED:
                _fail(f"{option}: {name!r} is not a model parameter: {REMOVED[name]}")
            hint = difflib.get_close_matches(name, sorted(known), n=1)
            _fail(f"{option}: {name!r} is not a model parameter"
                  + (f"; did you mean {hint[0]!r}?" if hint else " (see 'metalair catalysts --parameters')"))
    if resume and overwrite:
        _fail("give --resume (continue the calibration in --out) or --overwrite (start it again), not both")
    from metalair.models.parameters import FITTED

    fits = _split(params) or list(FITTED)
    unfitted = [n for n in _split(profile) if n not in fits]
    if unfitted:  # refused before the fit, not after it
        which = (f"--params fits only {', '.join(fits)}" if _split(params) else
                 f"without --params the fitted values are {', '.join(fits)}")
        _fail(f"--profile {', '.join(unfitted)}: a profile follows a fitted value, and {which}; add "
              f"{'it' if len(unfitted) == 1 else 'them'} to --params")
    manifest = None
    try:
        check_seed(seed, "--seed")  # before --out is touched
        tg = _gather_targets(targets, data, catalyst, mass_mg, fmt, columns, builtin)
        settings = _calibrate_settings(tg, _split(params), starts, perturb, seed, select, max_iterations)
        ck = out / "checkpoint.json"
        if resume:  # the earlier run's checkpoint is what --resume continues: keep the folder as it is
            _check_resumable(out, tg, settings)
            manifest = continue_run(out, ["metalair", *sys.argv[1:]])
        else:
            manifest = begin_run(out, ["metalair", *sys.argv[1:]], overwrite=overwrite,
                                 expected=("calibration.json", "calibration.csv", "checkpoint.json", _CAL_SETTINGS),
                                 resume_option="--resume")
        out.mkdir(parents=True, exist_ok=True)
        from metalair._files import atomic_write_json

        atomic_write_json(manifest.path(_CAL_SETTINGS), settings)
        if resume and not ck.is_file():
            typer.secho(f"note: no checkpoint at {ck}; starting afresh", err=True)
        res = calibrate(tg, _split(params) or None, starts=starts, perturb=perturb, seed=seed, select=select,
                        max_iterations=max_iterations, workers=workers, checkpoint=ck, resume=resume,
                        progress=say if progress else None)
    except KeyboardInterrupt as exc:
        if manifest is not None:
            manifest.__exit__(type(exc), exc, exc.__traceback__)
        _fail(f"calibration interrupted (Ctrl-C); the model runs finished so far are saved in {out / 'checkpoint.json'}"
              ": run the same command with --resume to continue", EXIT_INTERRUPTED)
        return
    except typer.Exit as exc:
        if manifest is not None:
            manifest.__exit__(type(exc), exc, exc.__traceback__)
        raise
    except (MetalairError, DataFormatError, OSError) as exc:
        message = cli_text(str(exc), _CALIBRATE_OPTIONS)
        if manifest is not None:
            _forget_settings(out, resume)
            manifest.abandon(message)  # the manifest says why, not only that it stopped
        _fail(message)
        return
    except Exception as exc:  # an internal failure: exit 2, not a traceback
        message = f"internal failure: {type(exc).__name__}: {exc}"
        if manifest is not None:
            _forget_settings(out, resume)
            manifest.abandon(message)
        _fail(message, EXIT_INTERNAL)
        return
    typer.echo(res.table())
    if res.fit is not None and not res.fit.success:  # saved in calibration.json; said here too
        typer.secho(f"warning: the best start's fit stopped before it converged ({res.fit.message}); the values are "
                    "where it stopped: raise --max-iterations, or fit fewer parameters", fg=typer.colors.YELLOW,
                    err=True)
    files = res.write(out, figure=plot)
    for name in _split(profile):
        try:
            pr = profile_likelihood(res, name, workers=workers, progress=say if progress else None,
                                    checkpoint=out / "checkpoint.json")
        except (MetalairError, KeyboardInterrupt) as exc:
            stopped = isinstance(exc, KeyboardInterrupt)
            why = "interrupted (Ctrl-C)" if stopped else str(exc)
            if manifest is not None:
                manifest.add(*(out / f for f in files.values()), out / "checkpoint.json", out / _CAL_SETTINGS)
                manifest.finish("partial", f"--profile {name}: {why}")
            if stopped:
                _fail(f"profile of {name} interrupted (Ctrl-C); the calibration's files are written and the model "
                      f"runs finished so far are saved in {out / 'checkpoint.json'}: run the same command with "
                      "--resume to continue", EXIT_INTERRUPTED)
            _fail(str(exc))
            return
        typer.echo(f"profile likelihood {name}: 95 % interval {pr['ci95']} -> "
                   f"{'identifiable' if pr['identifiable'] else 'not identifiable within the span'}")
        from metalair._files import atomic_write_json

        atomic_write_json(out / f"profile_{name}.json", pr)
        files[f"profile {name}"] = f"profile_{name}.json"
    if manifest is not None:
        manifest.add(*(out / f for f in files.values()), out / "checkpoint.json", out / _CAL_SETTINGS)
        manifest.finish()
    typer.echo("wrote " + ", ".join(str(out / f) for f in files.values()))


#: The settings a calibration's results depend on, as values, written in --out: what --resume compares.
_CAL_SETTINGS = "calibration_settings.json"


def _forget_settings(out: Path, resume: bool) -> None:
    """Remove the settings file of a new run refused before any model run: the folder is then left as it was."""
    if not resume and not (out / "checkpoint.json").is_file():
        (out / _CAL_SETTINGS).unlink(missing_ok=True)


def _gather_targets(targets: Path | None, data: str | None, catalyst: str, mass_mg: float | None, fmt: str | None,
                    columns: str | None, builtin: str) -> list[Any]:
    """The targets of --targets, --data and --builtin, each with where it came from; a duplicate is refused."""
    import os
    import warnings

    from metalair.calibration import builtin_targets, load_targets, targets_from_cycler
    from metalair.calibration.targets import _check_unique

    tg: list[Any] = []
    origins: list[str] = []
    if targets is not None:
        got = load_targets(targets)
        tg += got
        origins += [f"--targets {targets}"] * len(got)
    files = _split(data)
    if files:
        from metalair.catalysts import get_catalyst

        try:  # before any file is read
            get_catalyst(catalyst)
        except (MetalairError, OSError) as exc:
            _fail(f"--catalyst {catalyst!r}: {exc}")
        cmap = column_map_option(columns)
        mass_g = mass_g_option(mass_mg)
        real = [os.path.realpath(f) for f in files]
        for k, f in enumerate(files):
            if real[k] in real[:k]:
                _fail(f"--data gives {f} twice ({files[real.index(real[k])]!r} and {f!r} are the same file): each "
                      "cell may count only once")
        names = [Path(f).name for f in files]
        for f, name in zip(files, names):
            # cells whose files have the same name in different folders: their ids carry the path as given
            label = f if names.count(name) > 1 else name
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                got = targets_from_cycler(f, catalyst, mass_g=mass_g, format=fmt, column_map=cmap, label=label)
            for w in caught:
                typer.secho(f"warning: {w.message}", fg=typer.colors.YELLOW, err=True)
            tg += got
            origins += [f"--data {f}"] * len(got)
    b = builtin.strip().lower()
    if b == "all" or (b == "auto" and not tg):
        got = builtin_targets()
    elif b not in ("none", "auto"):
        got = builtin_targets(_split(builtin))
    else:
        got = []
    tg = got + tg
    origins = [f"--builtin {builtin}" if b != "auto" else "the built-in targets"] * len(got) + origins
    if not tg:
        _fail("no targets: give --targets, --data or --builtin (--builtin none leaves only those two)")
    _check_unique(tg, origins)
    return tg


def _calibrate_settings(tg: list[Any], params: list[str], starts: int, perturb: float, seed: int, select: str,
                        max_iterations: int) -> dict[str, Any]:
    """What a calibration's results depend on (the targets as values; not --workers, --out, --plot, --profile)."""
    from metalair._version import __version__

    doc = {"targets": [t.as_dict() for t in tg], "params": params or "all fitted", "starts": starts,
           "perturb": perturb, "seed": seed, "select": select, "max_iterations": max_iterations,
           "metalair": __version__}
    return json.loads(json.dumps(doc, default=repr))


#: How the settings are named in a --resume refusal.
_SETTING_NAMES = {"targets": "the targets (--targets, --data, --builtin, --catalyst, ...)", "params": "--params",
                  "starts": "--starts", "perturb": "--perturb", "seed": "--seed", "select": "--select",
                  "max_iterations": "--max-iterations", "metalair": "the metalair version"}


def _check_resumable(out: Path, tg: list[Any], settings: dict[str, Any]) -> None:
    """Refuse a --resume of a folder that holds another run: another command, calibration or checkpoint."""
    from metalair.calibration.runs import checkpoint_mismatch
    from metalair.workflows.outputs import read_manifest

    if not out.is_dir():
        return
    earlier = read_manifest(out) or {}
    command = earlier.get("command")
    retry = "run this one without --resume and with --overwrite (or with another --out)"
    words = command.split() if isinstance(command, str) else []
    recorded = _read_settings(out / _CAL_SETTINGS)
    other = (len(words) > 1 and words[0] == "metalair" and words[1].isidentifier() and words[1] != "calibrate")
    if other or (earlier and recorded is None and not any((out / f).is_file() for f in (
            "checkpoint.json", "calibration.json"))):  # a folder of another command (an ensemble's, ...)
        _fail(f"--out {out} holds the results of another command ('{command or '?'}'); --resume continues only "
              f"a calibration: {retry}")
    if recorded is not None and recorded != settings:
        differ = [_SETTING_NAMES.get(k, k) for k in sorted(set(recorded) | set(settings))
                  if recorded.get(k) != settings.get(k)]
        _fail(f"--out {out} holds another calibration ('{command or '?'}'; it differs in {', '.join(differ)}); "
              "--resume continues only the same calibration (--workers, --profile, --plot and --progress may "
              f"differ): run that command with --resume, or {retry}")
    why = checkpoint_mismatch(out / "checkpoint.json", tg)
    if why is not None:
        _fail(f"--out {out}: its checkpoint.json does not fit this calibration ({why}), so its model runs cannot "
              f"be reused; {retry}")


ensemble_app = typer.Typer(
    help="Ensembles over uncertain DFT descriptors (and calibrated values): median and 90 % band.",
    no_args_is_help=True)


#: Largest accepted --halfwidth [eV]: DFT errors on d-band centres and ICOHPs are about 0.1-0.3 eV; beyond
#: 1 eV a sample no longer describes the same catalyst (and its runs fail).
MAX_HALFWIDTH_EV = 1.0


def _load_calibration(path: Path) -> dict[str, Any]:
    """The calibration.json document of ``metalair calibrate``, checked; exits with a message otherwise."""
    from metalair.models.parameters import DEFAULT_PARAMETERS

    what = f"--calibration {str(path)!r}"
    hint = "give the calibration.json that 'metalair calibrate' writes"
    if not path.is_file():
        fail(f"{what} does not exist ({hint})")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        fail(f"{what} is not a calibration.json written by 'metalair calibrate': it is not text ({hint})")
    except json.JSONDecodeError as exc:
        fail(f"{what} is not a calibration.json written by 'metalair calibrate': not JSON (line {exc.lineno}, "
              f"column {exc.colno}: {exc.msg}); {hint}")
    except OSError as exc:
        fail(f"{what} cannot be read: {exc.strerror or exc}")
    table = doc.get("table") if isinstance(doc, dict) else None
    if not isinstance(table, list) or not table:
        fail(f"{what} is not a calibration.json written by 'metalair calibrate': it has no 'table' of calibrated "
              f"parameters ({hint})")
    values: dict[str, float] = {}
    for i, row in enumerate(table):
        name = row.get("parameter") if isinstance(row, dict) else None
        value = row.get("value") if isinstance(row, dict) else None
        if (not isinstance(name, str) or isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not math.isfinite(value)):
            fail(f"{what}: row {i} of its 'table' needs a 'parameter' name and a finite 'value', got {row!r} "
                  f"({hint})")
        values[name] = float(value)
    try:
        DEFAULT_PARAMETERS.replace(**values)
    except (MetalairError, TypeError) as exc:
        fail(f"{what}: its values are not valid model parameters: {exc}")
    return doc


def _check_ensemble_options(catalysts: list[str], n: int, method: str, seed: int, halfwidth: float, sobol: int,
                            workers: int | None, out: Path) -> None:
    """Every option of ``ensemble`` checked before the first run; exits with a message."""
    from metalair.catalysts import get_catalyst
    from metalair.sweeps.engine import check_workers
    from metalair.workflows.outputs import check_out_dir

    if not catalysts:
        fail("--catalyst is empty: give one or more catalysts, comma-separated, e.g. RuO2,NLRO")
    check_sample_count(n, "--ensemble", 2, " (64 or more for a 90 % band)")
    if method not in ("lhs", "sobol"):
        fail(f"--method {method!r} is not supported; use 'lhs' (Latin hypercube) or 'sobol'")
    if not 0 < halfwidth <= MAX_HALFWIDTH_EV:
        fail(f"--halfwidth {halfwidth:g} eV: the half-width of the uncertainty on each DFT descriptor must be "
              f"> 0 and at most {MAX_HALFWIDTH_EV:g} eV (typical DFT errors are 0.1-0.3 eV; default 0.1)")
    if sobol != 0:
        check_sample_count(sobol, "--sobol", 4, " (or 0: no Sobol' indices)")
    try:
        check_workers(workers, "--workers", "--scheduler tcp://HOST:PORT")
        check_seed(seed, "--seed")
        check_out_dir(out, option="--out")
        for c in catalysts:
            get_catalyst(c)
            check_out_dir(_sub(out, c), option="--out")
        folders = [_sub(out, c).name for c in catalysts]
        twice = sorted({f for f in folders if folders.count(f) > 1})
        if twice:
            raise ParameterError(f"--catalyst: two catalysts would write into one folder {str(out / twice[0])!r} "
                                 "(catalyst files with the same name); rename one file, or run them separately")
    except MetalairError as exc:
        fail(str(exc))


#: How the library's calibration messages name the options of ``calibrate``.
_CALIBRATE_OPTIONS = (("perturb = ", "--perturb "), ("starts = ", "--starts "), ("select = ", "--select "))

def _ensemble(preset: str, catalysts: str, n: int, method: str, seed: int, halfwidth: float,
              calibration: Path | None, sobol: int, workers: int | None, out: Path, plot: bool,
              overwrite: bool = False, scheduler: str | None = None, resume: bool = False,
              progress: bool = True) -> None:
    from metalair.calibration.ensemble import CHECKPOINT_CHUNK
    from metalair.cli._common import begin_output

    names = _split(catalysts)
    _check_ensemble_options(names, n, method, seed, halfwidth, sobol, workers, out)
    if scheduler is not None:
        from metalair.sweeps.engine import check_scheduler

        try:
            check_scheduler(scheduler, "--scheduler", allow_client=False)
        except MetalairError as exc:
            fail(str(exc))
    if resume and overwrite:
        fail("give --resume (continue the ensemble in --out) or --overwrite (start it again), not both")
    doc = _load_calibration(calibration) if calibration is not None else None
    settings = {"preset": preset, "catalysts": sorted(set(names)), "ensemble": n, "method": method, "seed": seed,
                "halfwidth_eV": halfwidth, "sobol": sobol,
                "calibration": json.dumps(doc, sort_keys=True, default=repr) if doc is not None else None}
    if resume:  # the checkpoints of the earlier run are what --resume continues: keep the folder as it is
        from metalair.workflows.outputs import continue_run, read_manifest

        earlier = (read_manifest(out) or {}).get("command") if out.is_dir() else None
        now = ["metalair", *sys.argv[1:]]
        recorded = _read_settings(out / _SETTINGS)
        same = (recorded == settings if recorded is not None else  # the values (0.10 is 0.1; a default is given)
                not isinstance(earlier, str) or _without_resume(_split_command(earlier)) == _without_resume(now))
        if not same:
            fail(f"--out {out} holds the ensemble of another command ('{earlier}'); --resume continues only the "
                 "same command (the same preset, catalysts, samples, method, seed, half-width, calibration and "
                 "--sobol; --workers, --scheduler, --progress, --plot and how --out is written may differ): run "
                 "that one with --resume, or this one with --overwrite (or another --out)")
        try:
            outputs = continue_run(out, now)
        except MetalairError as exc:
            fail(str(exc))
    else:
        outputs = begin_output(out, overwrite, resume_option="--resume")
    with outputs as manifest:
        from metalair._files import atomic_write_json

        atomic_write_json(manifest.path(_SETTINGS), settings)
        try:
            _ensemble_runs(preset, names, n, method, seed, halfwidth, doc, sobol, workers, out, plot, scheduler,
                           progress)
        except KeyboardInterrupt:
            manifest.add(*(p for c in names if _sub(out, c).is_dir() for p in _sub(out, c).rglob("*") if p.is_file()))
            from metalair.cli._common import stop_interrupted

            stop_interrupted(manifest, "ensemble interrupted (Ctrl-C); the runs finished so far are saved (every "
                                       f"{CHECKPOINT_CHUNK}): run the same command with --resume to continue")
        manifest.add(*(p for c in names for p in _sub(out, c).rglob("*") if p.is_file()))
    typer.echo(f"wrote {out}")


#: The settings an ensemble's results depend on, as values, written in --out: what --resume compares.
_SETTINGS = "ensemble_settings.json"


def _read_settings(path: Path) -> dict[str, Any] | None:
    """The settings an earlier ensemble recorded (None for one that recorded none: compared by its command)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _split_command(text: str) -> list[str]:
    """A recorded command line as its arguments (quoted as recorded; plain split for an unquotable record)."""
    import shlex

    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


#: Options of ``ensemble`` that do not change its results: a resume may give them differently.
_HOW_NOT_WHAT = {"--workers": True, "--scheduler": True, "--progress": False, "--no-progress": False,
                 "--plot": False, "--no-plot": False, "--out": True, "-o": True}
#: Short spellings of the options that do change the results.
_LONG = {"-n": "--ensemble", "-c": "--catalyst"}


def _without_resume(argv: list[str]) -> list[str]:
    """A command line reduced to what decides an ensemble's results, in an order-free form.

    Options may come in any order (``-n 4 -c RuO2`` or ``-c RuO2 -n 4``), short or long, as
    ``--opt value`` or ``--opt=value``; catalysts repeated or comma-separated, in any order. Dropped:
    ``--resume``/``--overwrite`` (how to treat ``--out``), ``--out`` itself (the folder holding the
    manifest is the one being resumed, whatever path reaches it), and the options that change how it
    runs, not what it computes (``--workers``, ``--scheduler``, ``--progress``, ``--plot``).
    """
    args: list[str] = []
    for a in argv:
        if a.startswith("--") and "=" in a:
            args += a.split("=", 1)
        elif a not in ("--resume", "--overwrite"):
            args.append(a)
    head: list[str] = []
    pairs: list[str] = []
    catalysts: set[str] = set()
    k = 0
    while k < len(args):
        opt = _LONG.get(args[k], args[k])
        if not opt.startswith("-"):
            head.append(opt)
            k += 1
            continue
        takes_value = k + 1 < len(args) and not args[k + 1].startswith("-")
        value = args[k + 1].rstrip("/") or args[k + 1] if takes_value else None
        k += 2 if takes_value else 1
        if opt in _HOW_NOT_WHAT:
            continue
        if opt == "--catalyst" and value is not None:
            catalysts.update(c.strip() for c in value.split(",") if c.strip())
            continue
        pairs.append(opt + (f" {value}" if value is not None else ""))
    if catalysts:
        pairs.append("--catalyst " + ",".join(sorted(catalysts)))
    return head + sorted(pairs)


def _ensemble_runs(preset: str, names: list[str], n: int, method: str, seed: int, halfwidth: float,
                   doc: dict[str, Any] | None, sobol: int, workers: int | None, out: Path, plot: bool,
                   scheduler: str | None = None, progress: bool = True) -> None:
    from contextlib import nullcontext

    try:
        if scheduler is None:
            where: Any = nullcontext(None)  # local processes (--workers)
        else:
            from metalair.sweeps.engine import dask_mapper

            where = dask_mapper(scheduler, workers, cli=True)
        with where as mapper:
            _ensemble_each(preset, names, n, method, seed, halfwidth, doc, sobol, workers, out, plot, mapper,
                           progress)
    except MetalairError as exc:
        _fail(str(exc))
        return
    except OSError as exc:  # e.g. the disk filled up or the folder was removed during the run
        _fail(f"cannot write the results to --out {out}: {exc.strerror or exc}")


def _sub(out: Path, catalyst: str) -> Path:
    """The folder of one catalyst's results in ``out``: its name, or a catalyst file's stem.

    ``cats/my.toml`` -> ``out/my``: an absolute or ``../`` path had replaced ``out``, and a relative one
    had made a folder named like the file.
    """
    name = Path(catalyst).stem if catalyst.lower().endswith(".toml") or "/" in catalyst or "\\" in catalyst \
        else catalyst
    return out / name


def _ensemble_each(preset: str, names: list[str], n: int, method: str, seed: int, halfwidth: float,
                   doc: dict[str, Any] | None, sobol: int, workers: int | None, out: Path, plot: bool,
                   mapper: Any, progress: bool = True) -> None:
    from metalair.calibration.ensemble import preset_ensemble, sobol_indices

    results = {}
    for c in names:
        _sub(out, c).mkdir(parents=True, exist_ok=True)
        res, tg = preset_ensemble(preset, c, n, method=method, seed=seed, halfwidth=halfwidth,
                                  calibration=doc, workers=workers,
                                  progress=_bar(f"{c} ensemble") if progress else None, mapper=mapper,
                                  checkpoint=_sub(out, c) / "ensemble_checkpoint.json")
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
        res.write(_sub(out, c), figure=plot)
        if sobol:
            si = sobol_indices(tg, inputs, sobol, seed=seed, base=base, workers=workers,
                               progress=_bar(f"{c} Sobol' design") if progress else None, mapper=mapper,
                               checkpoint=_sub(out, c) / "sobol_checkpoint.json")
            typer.echo(si.table())
            from metalair._files import atomic_write_json

            atomic_write_json(_sub(out, c) / "sobol.json", si.as_dict())


_N = typer.Option(64, "--ensemble", "-n", help="Number of descriptor samples (not cycles).")
_CATS = typer.Option(["RuO2,NLRO"], "--catalyst", "-c", help="Catalysts: repeat the option or separate them by "
                     "commas (-c NLRO,RuO2).")
_METHOD = typer.Option("lhs", "--method", help="Sampling: lhs (Latin hypercube) or sobol.")
_SEED = typer.Option(0, "--seed", help="Seed of the descriptor samples.")
_HW = typer.Option(0.1, "--halfwidth", help="Uniform half-width on every d-band centre and ICOHP \\[eV], "
                   "> 0 and <= 1.")
_CAL = typer.Option(None, "--calibration", help="calibration.json: use its values and sample its intervals.")
_SOBOL = typer.Option(0, "--sobol", help="Also Sobol' indices with this many base samples N, 0 or >= 4 "
                      "(N x (descriptors + 2) runs).")
_WORKERS = typer.Option(None, "--workers", help="Processes (default all CPUs); with --scheduler local: the Dask "
                        "workers.")
_SCHEDULER = typer.Option(None, "--scheduler", help="Run on Dask instead of local processes: 'local' (a Dask "
                          "LocalCluster), 'serial' (this process) or a scheduler address tcp://host:8786 (its "
                          "workers need the same metalair). Default: local processes.")
_OUT = typer.Option(Path("ensemble"), "--out", "-o", help="Output folder.")
_PLOT = typer.Option(True, "--plot/--no-plot", help="Write the ensemble figures.")
_OVERWRITE = typer.Option(False, "--overwrite", help=OVERWRITE_HELP)
_PROGRESS = typer.Option(True, "--progress/--no-progress", help="Show progress on stderr.")
_RESUME = typer.Option(False, "--resume", help="Continue an interrupted ensemble in --out: the runs saved in its "
                       "checkpoints (every 16 runs) are not repeated; the same options are needed.")


def _ensemble_command(preset: str, doc: str) -> Callable[..., None]:
    """The ``metalair ensemble PRESET`` command (the three presets share every option)."""
    def command(n: int = _N, catalysts: list[str] = _CATS, method: str = _METHOD, seed: int = _SEED,
                halfwidth: float = _HW, calibration: Path | None = _CAL, sobol: int = _SOBOL,
                workers: int | None = _WORKERS, out: Path = _OUT, plot: bool = _PLOT,
                overwrite: bool = _OVERWRITE, scheduler: str | None = _SCHEDULER, resume: bool = _RESUME,
                progress: bool = _PROGRESS) -> None:
        _ensemble(preset, ",".join(catalysts), n, method, seed, halfwidth, calibration, sobol, workers, out, plot,
                  overwrite, scheduler, resume, progress)

    command.__doc__ = doc
    command.__name__ = f"ensemble_{preset}"
    return command


for _preset, _doc in (
        ("cycle", "Cycle life (500 mA/g, 500 mAh/g, 1.5–4.8 V) as median and 90 % band."),
        ("simulate", "Reference discharge–charge numbers (capacity, polarisation, ...) as median and 90 % band."),
        ("validate", "The published targets: a row passes on its median; the 90 % band is printed.")):
    ensemble_app.command(_preset)(_ensemble_command(_preset, _doc))


def register(app: typer.Typer) -> None:
    """Add ``calibrate`` and the ``ensemble`` group to the main app."""
    app.command("calibrate")(calibrate_cmd)
    app.add_typer(ensemble_app, name="ensemble")
