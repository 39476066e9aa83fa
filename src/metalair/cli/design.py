"""CLI commands for catalyst design: ``catalyst from-dft``, ``screen`` and ``sweep``.

Registered on the main app by :func:`register`. Exit codes: 0 ok; 1 user
error (bad option, missing or malformed file, unknown key); 2 a sweep that
could not finish (rerun with ``--resume``) or an internal failure.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import typer

from metalair.cli._common import (
    CYCLE_OPTIONS,
    ENV_HELP,
    EXIT_SOLVER,
    EXIT_USER,
    begin_output,
    check_sample_count,
    cli_text,
    need_unit,
    refuse_unused,
    stop_interrupted,
    volts,
)
from metalair.cli._common import fail as _fail
from metalair.errors import MetalairError, ParameterError
from metalair.units import from_user

__all__ = ["register"]

EXIT_USER = EXIT_USER
EXIT_FAILED = EXIT_SOLVER  # solver or internal failure


# ----------------------------------------------------------------------------
# metalair catalyst from-dft
# ----------------------------------------------------------------------------
catalyst_app = typer.Typer(help="Catalyst files: build one from DFT outputs.", no_args_is_help=True,
                           add_completion=False, pretty_exceptions_enable=False)


@catalyst_app.command("from-dft")
def from_dft(
    ctx: typer.Context,
    vasprun: list[str] | None = typer.Option(
        None, "--vasprun", help="VASP vasprun.xml(.gz) with a projected DOS: one file for all products, or "
        "PRODUCT=file (NaO2, Na2O2, Na2CO3), repeatable."),
    icohp: list[str] | None = typer.Option(
        None, "--icohp", help="LOBSTER ICOHPLIST.lobster: one file, or PRODUCT=file, repeatable."),
    steps: Path | None = typer.Option(
        None, "--steps", help="CSV of discharge steps (columns step, delta_G_eV, electrons) at 0 V vs Na+/Na."),
    out: Path = typer.Option(..., "--out", "-o", help="Catalyst file to write (.toml)."),
    elements: str | None = typer.Option(None, "--elements", help="Elements whose band is used, e.g. 'Ru' or "
                                           "'Ru,Ir' (default: all sites)."),
    sites: str | None = typer.Option(None, "--sites", help="Zero-based site indices instead of --elements, "
                                        "e.g. '0,3'."),
    orbital: str = typer.Option("d", "--orbital", help="Band: d, p, s or f."),
    erange: str | None = typer.Option(None, "--erange", help="Energy window relative to E_F in eV, 'LOW:HIGH', "
                                         "for the band centre and width; the filling always uses the whole grid "
                                         "(as pymatgen's get_band_filling)."),
    bond: str = typer.Option("Ru-O", "--bond", help="Bond type for the mean ICOHP, e.g. 'Ru-O'."),
    cutoff: float = typer.Option(2.3, "--cutoff", help="Longest bond counted \\[Å]."),
    template: str | None = typer.Option(None, "--template", help="Built-in name or catalyst file giving the "
                                           "values not computed here (host couples, other products, stages)."),
    name: str | None = typer.Option(None, "--name", help="Catalyst name (default: the --template's name with "
                                    "'-dft' appended, so that output files of the two do not share a name)."),
    formula: str | None = typer.Option(None, "--formula", help="Formula; a plain one gives the molar mass."),
    molar_mass: float | None = typer.Option(None, "--molar-mass", help="Molar mass \\[g/mol]."),
    figure: bool = typer.Option(True, "--figure/--no-figure", help="Write the free-energy diagram next to --out."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace --out (and its figure) if it exists."),
) -> None:
    """Assemble a catalyst file from DFT outputs (d-band centre, bond ICOHP, free-energy steps).

    The file gets the d-band centre, the mean bond ICOHP and η_FE; the band
    width and filling are printed only. Warnings (printed, and as comments at
    the top of the file): a chemical step uphill on charge, a charge limited
    by a step other than the superoxide one, descriptor values outside the
    range of the shipped catalysts the model was calibrated on.
    """
    from metalair.catalysts.files import save_catalyst
    from metalair.workflows.catalyst_design import catalyst_from_dft

    if out.suffix.lower() != ".toml":
        _fail(f"--out {str(out)!r} must end in .toml")
    refuse_unused(ctx, bool(vasprun), "--vasprun", frozenset({"elements", "sites", "orbital", "erange"}),
                  "the band of the projected DOS")
    refuse_unused(ctx, bool(icohp), "--icohp", frozenset({"bond", "cutoff"}), "the mean bond ICOHP")
    if not (math.isfinite(cutoff) and cutoff > 0):
        _fail(f"--cutoff {cutoff:g} must be a positive bond length in Å (default 2.3)")
    if molar_mass is not None and not (math.isfinite(molar_mass) and molar_mass > 0):
        _fail(f"--molar-mass {molar_mass:g} must be a positive molar mass in g/mol")
    if molar_mass is not None:
        from metalair.catalysts.base import MOLAR_MASS_MAX

        top = MOLAR_MASS_MAX * 1000.0  # kg/mol -> g/mol, the option's unit
        if molar_mass > top:  # the catalyst's own message would suggest kg/mol numbers this option does not take
            _fail(f"--molar-mass {molar_mass:g} g/mol is no formula unit's mass (above {top:g} g/mol); give the "
                  "molar mass of one formula unit in g/mol, e.g. --molar-mass 133.07 for RuO2")
    given = [("--vasprun", v) for v in vasprun or []] + [("--icohp", v) for v in icohp or []]
    given += [("--steps", str(steps))] if steps is not None else []
    for option, item in given:  # every file named is checked before any is read, and before the template logic
        path = Path(item.split("=", 1)[1] if "=" in item and not Path(item).exists() else item)
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else "no such file"
            _fail(f"{option} {item}: {what}" + (f" ({path})" if str(path) != item else ""))
    from metalair.workflows.outputs import OutputFolderError, check_out_dir

    try:
        check_out_dir(out.parent, option=f"--out {out}: its folder")
    except OutputFolderError as exc:
        _fail(str(exc))
    fig_path = out.with_name(out.stem + "_free_energy.png")
    writes_figure = figure and steps is not None  # the diagram needs the free-energy steps
    # the figure of an earlier run with this --out: replaced by --overwrite, or removed if this run writes none
    earlier_figure = out.exists() and fig_path.exists()
    taken = [p for p in (out, *([fig_path] if writes_figure else [])) if p.exists()]
    if taken and not overwrite:  # a hand-edited catalyst file is never replaced silently
        _fail(f"--out {out}: {', '.join(str(p) for p in taken)} already exist(s); pass --overwrite to replace, or "
              "choose another --out")
    if orbital not in ("s", "p", "d", "f"):
        _fail(f"--orbital {orbital!r} must be one of s, p, d, f")
    window = None
    if erange:
        try:
            lo, hi = (float(x) for x in erange.split(":"))
            window = (lo, hi)
        except ValueError:
            _fail(f"--erange {erange!r} must be 'LOW:HIGH' in eV, e.g. '-10:2'")
    site_list = None
    if sites:
        try:
            site_list = [int(s) for s in sites.split(",") if s.strip()]
        except ValueError:
            _fail(f"--sites {sites!r} must be comma-separated integers")
    el_list = [e.strip() for e in elements.split(",") if e.strip()] if elements else None
    try:
        res = catalyst_from_dft(
            vasprun=list(vasprun) if vasprun else None, icohp=list(icohp) if icohp else None, steps=steps,
            elements=el_list, sites=site_list, orbital=orbital, erange=window, bond=bond, max_distance=cutoff,
            template=template, name=name, formula=formula,
            molar_mass=float(from_user(molar_mass, "g/mol")) if molar_mass is not None else None)
        save_catalyst(res.catalyst, out)
        if res.warnings:
            _comment_warnings(out, res.warnings)
    except MetalairError as exc:
        _fail(str(exc))
    except OSError as exc:  # the folder became unwritable, or the disk is full: nothing half-written stays
        _fail(f"--out {out}: could not be written ({exc.strerror or exc})")
    typer.echo(res.report())
    for w in res.warnings:
        typer.secho(f"warning: {w}", fg=typer.colors.YELLOW, err=True)
    written = [str(out)]
    if figure and res.free_energy is not None:
        try:
            from metalair.plotting.design import plot_free_energy_diagram
            from metalair.plotting.simulation import save_figure

            save_figure(plot_free_energy_diagram(res.free_energy, catalyst=res.catalyst.name), fig_path)
            written.append(str(fig_path))
        except ImportError as exc:  # pragma: no cover
            typer.echo(f"note: no figure ({exc})", err=True)
    if earlier_figure and str(fig_path) not in written:
        # part of the output --overwrite replaced: removed only now that the new catalyst file is in place, so
        # that a failed run leaves the earlier pair as it was
        try:
            fig_path.unlink(missing_ok=True)
            typer.echo(f"removed {fig_path}: the free-energy diagram of the replaced {out} (this run draws none)",
                       err=True)
        except OSError as exc:
            typer.secho(f"warning: {fig_path} of the replaced {out} could not be removed ({exc.strerror or exc}); "
                        "it does not show this run", fg=typer.colors.YELLOW, err=True)
    typer.echo("wrote: " + ", ".join(written))


def _comment_warnings(path: Path, warnings: list[str]) -> None:
    """Put ``warnings`` as comment lines below the header comment of the catalyst file at ``path``."""
    import textwrap

    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    head = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    note: list[str] = []
    for w in warnings:
        wrapped = textwrap.wrap("warning (catalyst from-dft): " + w, width=100)
        note.extend(f"# {x}\n" if k == 0 else f"#   {x}\n" for k, x in enumerate(wrapped))
    path.write_text("".join(lines[:head] + note + lines[head:]), encoding="utf-8")


# ----------------------------------------------------------------------------
# metalair screen / metalair sweep
# ----------------------------------------------------------------------------
def _ranges(items: list[str]) -> dict:
    out = {}
    for item in items:
        name, sep, spec = item.partition("=")
        parts = spec.split(":")
        if not sep or len(parts) not in (2, 3):
            _fail(f"--sample {item!r} must be NAME=LOW:HIGH or NAME=LOW:HIGH:log")
        try:
            rng: list[Any] = [float(parts[0]), float(parts[1])]
        except ValueError:
            _fail(f"--sample {item!r}: LOW and HIGH must be numbers")
        if len(parts) == 3:
            rng.append(parts[2].strip())
        if name.strip() in out:
            _fail(f"axis {name.strip()} given twice; give each --sample name once")
        out[name.strip()] = rng
    return out


def _check_run_options(out: Path, scheduler: str, workers: int | None, batch_size: int | None) -> None:
    """Refuse bad --out, --scheduler, --workers and --batch-size before any candidate is built or run."""
    from metalair.sweeps.engine import check_scheduler, check_workers
    from metalair.workflows.outputs import check_out_dir

    try:
        check_scheduler(scheduler, "--scheduler", allow_client=False)
        check_workers(workers, "--workers", "--scheduler tcp://HOST:PORT")
        check_out_dir(out, option="--out")
    except MetalairError as exc:
        _fail(str(exc))
    if workers is not None and scheduler.strip() != "local":  # it sets the processes of a local cluster only
        where = ("runs in this one process" if scheduler.strip() == "serial" else
                 f"runs on the workers started for the scheduler at {scheduler.strip()} ('dask worker ADDRESS')")
        _fail(f"--workers {workers} sets the worker processes of a local Dask cluster (--scheduler local); "
              f"--scheduler {scheduler.strip()} {where}, so it would be ignored: drop --workers, or use "
              "--scheduler local")
    if batch_size is not None and batch_size < 1:
        _fail(f"--batch-size must be >= 1 (candidates per batch), got {batch_size}")


def _collect(grid_axes: list[str], table: Path | None, sample_specs: list[str], n: int, method: str, seed: int,
             files: list[str], prefix: str = "") -> list:
    from metalair.sweeps import candidates as C

    sources = sum(bool(x) for x in (grid_axes, table, sample_specs, files))
    if sources == 0:
        _fail("no candidates: give --grid AXIS (repeatable), --table FILE, --sample NAME=LOW:HIGH, or catalyst files")
    if sources > 1:
        _fail("give candidates one way: --grid, --table, --sample or catalyst files")
    if grid_axes:
        axes = [a if (not prefix or "." in a.split("=")[0] or a.split("=")[0] in ("catalyst", "environment"))
                else prefix + a for a in grid_axes]
        return C.grid(axes)
    if table:
        return C.from_table(table)
    if sample_specs:
        if n >= 100_000:  # a million candidates take ~15 s and ~1 GB to prepare: say so before the silence
            typer.echo(f"preparing {n:,} candidates ...", err=True)
        return C.sample(_ranges(sample_specs), n, method=method, seed=seed)
    return C.catalyst_files(files)


def _settings(catalyst: str, protocol: str | None, full: bool, plateaus: bool, environment: str, cycle: bool,
              cycle_current: str, cycle_capacity: str, cycles: int, v_min: str, v_max: str, fast: bool = False):
    from metalair.sweeps.evaluate import CyclingSettings, ScreenSettings

    if cycle:
        need_unit("--cycle-current", cycle_current, "mA/g")
        need_unit("--cycle-capacity", cycle_capacity, "mAh/g")
    if cycle and cycles < 1:
        _fail(f"--cycles {cycles} must be at least 1")
    cyc = CyclingSettings(current=cycle_current, capacity=cycle_capacity, cycles=cycles, v_min=volts(v_min),
                          v_max=volts(v_max)) if cycle else None
    proto = (protocol or "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V") if full else None
    return ScreenSettings(catalyst=catalyst, protocol=proto, environment=environment, plateaus=plateaus, cycling=cyc,
                          fast=fast)


class _SweepOutputs:
    """``--out`` of a sweep: the run that set an earlier one aside (:func:`begin_output`), and the sweep's manifest.

    The engine's ``manifest.json`` holds what ``--resume`` needs (the sweep's fingerprint and batches), so
    where :class:`~metalair.workflows.outputs.RunOutputs` would write its own manifest, its keys (command,
    start, files) are merged into the engine's instead. ``run`` is None for ``--resume``: nothing is set
    aside and the folder stays as it is. Has what :func:`stop_interrupted` uses.
    """

    def __init__(self, out: Path, run: Any):
        self.out = out
        self.run = run

    @property
    def replacing(self) -> bool:
        """True while an earlier run's files are set aside (``--overwrite``)."""
        return self.run is not None and self.run.backup is not None

    def adopt_new_files(self) -> None:
        """Count every new file in --out as this run's (see RunOutputs.adopt_new_files)."""
        if self.run is not None:
            self.run.adopt_new_files()

    def restore_earlier(self) -> bool:
        """Remove this sweep's files, put back the earlier run's that --overwrite set aside; True if there was one."""
        if self.run is None:
            return False
        self.run.adopt_new_files()
        return bool(self.run.restore_earlier())

    def undo(self) -> bool:
        """After a failure: put the earlier run back, or remove what a sweep that wrote nothing left.

        Returns True if an earlier run was put back.
        """
        from metalair.sweeps.engine import read_sweep_manifest

        if self.restore_earlier():
            return True
        if self.run is not None:
            if read_sweep_manifest(self.out) is None:  # the engine wrote nothing: leave --out as it was
                self.run.abandon()
            else:
                self.finish(None)
        return False

    def finish(self, status: str | None = "complete", error: str | None = None) -> None:
        """End the run: the earlier run's set-aside files are deleted; the manifest gets the run's keys.

        ``status`` None keeps the engine's status (``"partial"`` with its error).
        """
        from metalair._files import atomic_write_text
        from metalair.sweeps.engine import read_sweep_manifest
        from metalair.workflows.outputs import lock_out_dir

        record = read_sweep_manifest(self.out)
        if self.run is None and record is None:
            return
        hold = lock_out_dir(self.out) if self.out.is_dir() else None  # until the merged manifest is written
        try:
            if self.run is not None:
                if record is None:  # the sweep never started: nothing of it to keep
                    self.run.abandon()
                    return
                self.run.finish(status or "partial", error)
            merged = {**(self.run.manifest() if self.run is not None else {}), **(record or {})}
            merged["files"] = list(dict.fromkeys([*(record or {}).get("files", []),
                                                  *(self.run.manifest()["files"] if self.run is not None else [])]))
            if status is not None:
                merged["status"] = status
            if error:
                merged["error"] = error
            atomic_write_text(self.out / "manifest.json", json.dumps(merged, indent=2, default=repr))
        finally:
            if hold is not None:
                hold()


def _run(cands: list, settings: Any, out: Path, scheduler: str, workers: int | None, batch_size: int | None,
         resume: bool, overwrite: bool, progress: bool, map_x: str | None, map_y: str | None) -> None:
    from metalair.sweeps.engine import SweepError, finished_batches, read_sweep_manifest, sweep_files
    from metalair.sweeps.screen import run_screen

    if (map_x is None) != (map_y is None):
        _fail("give both --map-x and --map-y, or neither")
    if resume and overwrite:
        _fail("--resume continues the sweep in --out and --overwrite starts it again: give one of them")
    from metalair.workflows.outputs import recover_killed_overwrite

    recover_killed_overwrite(out)  # an --overwrite that was killed: the earlier sweep it had set aside comes back
    earlier = read_sweep_manifest(out) if out.is_dir() else None
    if resume and earlier is None:
        why = "no such folder" if not out.is_dir() else "no sweep manifest in it"
        _fail(f"--resume: {out} holds no sweep to continue ({why}); check --out, or run without --resume to start one")
    if not resume and not overwrite and (earlier is not None or any(out.glob("part-*.parquet"))):
        done = len(list(out.glob("part-*.parquet")))
        _fail(f"--out {out} already holds a sweep ({done} of {(earlier or {}).get('n_batches', '?')} batches "
              "finished); use --resume to continue it, --overwrite to start again, or choose another --out")
    run = None
    if overwrite or not resume:  # --resume keeps the folder as it is; otherwise begin as every command does
        if earlier is not None and "files" not in earlier:
            from metalair.sweeps.engine import record_files

            record_files(out, sweep_files(out))  # a sweep of metalair <= 0.2.0: list its files, to set them aside
        run = begin_output(out, overwrite, expected=tuple(sweep_files(out)))
    folder = _SweepOutputs(out, run)
    try:
        res = run_screen(cands, settings, out, scheduler=scheduler, n_workers=workers, batch_size=batch_size,
                         resume=resume and not overwrite, overwrite=False, progress=progress,
                         map_axes=(map_x, map_y) if map_x and map_y else None, cli=True)
    except KeyboardInterrupt:
        if progress:
            sys.stderr.write("\n")  # end the progress line
        count = finished_batches(out)  # the batch files: Ctrl-C while the tables or figures were written left all
        if count is None:
            state = "before any batch finished"
        elif count[0] == count[1]:
            state = f"{count[0]} of {count[1]} batches finished, not all of its tables and figures written"
        else:
            state = f"{count[0]} of {count[1]} batches finished"
        if folder.replacing:
            stop_interrupted(folder, f"sweep interrupted (Ctrl-C), {state}")
        stop_interrupted(folder, f"sweep interrupted (Ctrl-C), {state}; run the same command with --resume to "
                         "finish it")
    except SweepError as exc:
        if folder.undo():
            _fail(f"{exc.what}; --overwrite undone: the earlier run's files in --out are back as they were",
                  EXIT_FAILED)
        _fail(str(exc), EXIT_FAILED)
    except (MetalairError, ImportError) as exc:
        undo_note = "; --overwrite undone: the earlier run's files in --out are back as they were"
        _fail(cli_text(str(exc), CYCLE_OPTIONS) + (undo_note if folder.undo() else ""))
    except OSError as exc:  # e.g. the disk filled up or the folder was removed during the run
        undone = folder.undo()
        _fail(f"cannot write the results to --out {out}: {exc.strerror or exc}"
              + ("; --overwrite undone: the earlier run's files in --out are back as they were" if undone else ""))
    except BaseException:  # a bug: an earlier run set aside by --overwrite comes back all the same
        folder.undo()
        raise
    if run is not None:
        run.add(*res.files.values())
    folder.finish("complete")
    typer.echo(summary_line(res.sweep))
    _print_notes(res.table)
    _print_head(res.table)
    typer.echo("wrote: " + ", ".join(res.files.values()))


def summary_line(sw: Any) -> str:
    """The line a sweep or screen ends with: candidates, batches, where it ran, time and rate, how many not ok.

    A run that resumed every batch ran nothing: it says so, not "0.0 candidates/s".
    """
    head = f"{sw.n_candidates} candidates in {sw.n_batches} batches ({sw.batches_skipped} resumed)"
    if sw.batches_run == 0:
        return f"{head}: nothing left to run (all {sw.batches_skipped} batches resumed); {sw.n_failed} not ok"
    return f"{head} on {sw.mode}: {sw.wall_time_s:.1f} s, {sw.rate:.1f} candidates/s; {sw.n_failed} not ok"


def _print_notes(table: Any) -> None:
    """Say why candidates did not run (status other than ok) and how many that ran carry a note, with the first.

    A failed candidate's reason was only in results.csv: ``screen good.toml bad.toml`` printed "1 not ok"
    and nothing else.
    """
    if "message" not in table.column_names or "status" not in table.column_names:
        return
    ids = table.column("candidate_id").to_pylist() if "candidate_id" in table.column_names else range(table.num_rows)
    rows = list(zip(ids, table.column("status").to_pylist(), table.column("message").to_pylist()))
    bad = [(cid, st, m) for cid, st, m in rows if st != "ok"]
    for cid, st, m in bad[:5]:
        typer.secho(f"candidate {cid} {st or 'not ok'}: {m or '(no message)'}", fg=typer.colors.YELLOW, err=True)
    if len(bad) > 5:
        typer.secho(f"... {len(bad) - 5} more candidate(s) not ok: see 'status' and 'message' in results.csv",
                    fg=typer.colors.YELLOW, err=True)
    notes = [(cid, m) for cid, st, m in rows if st == "ok" and m]
    if notes:
        typer.echo(f"note: {len(notes)} candidate(s) ran but carry a note in the 'message' column; "
                   f"candidate {notes[0][0]}: {notes[0][1]}")


def _print_head(table: Any, n: int = 8) -> None:
    show = [c for c in table.column_names if c not in ("message", "batch", "discharge_end_reason",
                                                        "charge_end_reason", "end_of_life_reason")][:9]
    typer.echo("  ".join(f"{c[:16]:>16s}" for c in show))
    for i in range(min(n, table.num_rows)):
        cells = []
        for c in show:
            v = table.column(c)[i].as_py()
            cells.append(f"{v:16.4g}" if isinstance(v, float) else f"{'' if v is None else str(v)[:16]:>16s}")
        typer.echo("  ".join(cells))
    if table.num_rows > n:
        typer.echo(f"  ... {table.num_rows - n} more rows")


_SCHED_HELP = ("'local' (a Dask LocalCluster on all cores), 'serial' (this process), or the address of a "
               "running Dask scheduler, e.g. tcp://10.0.0.5:8786.")


_SEED_OPT = typer.Option(0, "--seed", help="Seed of the sampling (--sample).")
_FULL_OPT = typer.Option(True, "--full/--no-full", help="Run the full discharge–charge (or only --cycle).")
_PLATEAUS_OPT = typer.Option(True, "--plateaus/--summary-only", help="Find charge plateaus (needs time series) or "
                             "keep step summaries only (faster).")
_CYCLE_OPT = typer.Option(False, "--cycle", help="Also run capacity-limited cycling (cycle life).")
_CYCLE_CURRENT_OPT = typer.Option("500mA/g", "--cycle-current", help="With --cycle: current, e.g. 500mA/g.")
_CYCLE_CAPACITY_OPT = typer.Option("500mAh/g", "--cycle-capacity", help="With --cycle: capacity per half-cycle, "
                                   "e.g. 500mAh/g.")
_CYCLES_OPT = typer.Option(100, "--cycles", help="With --cycle: number of cycles.")
_V_MIN_OPT = typer.Option("1.5V", "--v-min", help="With --cycle: discharge voltage limit, e.g. 1.5V (a bare "
                          "number is in V).")
_V_MAX_OPT = typer.Option("4.8V", "--v-max", help="With --cycle: charge voltage limit, e.g. 4.8V (a bare number "
                          "is in V).")
_ENV_OPT = typer.Option("ambient air", "--environment", "-e", help=ENV_HELP)
_WORKERS_OPT = typer.Option(None, "--workers", help="Worker processes of the local cluster (>= 1; default: all "
                            "cores).")
_BATCH_OPT = typer.Option(None, "--batch-size", help="Candidates per batch (default ~N/64, <=100).")
_RESUME_OPT = typer.Option(False, "--resume", help="Continue the sweep in --out, skipping finished batches.")
_OVERWRITE_OPT = typer.Option(False, "--overwrite", help="Replace an earlier sweep (or run) in --out; its files come "
                              "back if this one fails or is interrupted.")
_MAP_X_OPT = typer.Option(None, "--map-x", help="Map x axis (a candidate name).")
_MAP_Y_OPT = typer.Option(None, "--map-y", help="Map y axis (a candidate name).")
_SCHED_OPT = typer.Option("local", "--scheduler", help=_SCHED_HELP)
_PROGRESS_OPT = typer.Option(True, "--progress/--no-progress", help="Show progress on stderr.")
_FAST_OPT = typer.Option(False, "--fast", help="Screening step control: about 2x faster; capacities within 0.2 % "
                         "and polarisations within 1 mV of the default on the 100 mA/g reference runs, but up to "
                         "2.3 % and 6 mV at 500-1000 mA/g: check a few candidates without it.")
_METHOD_OPT_HELP = "Sampling for --sample: sobol, lhs (Latin hypercube) or random."


#: Options that only take effect with --cycle, with --sample, with --full (see :func:`_refuse_unused`).
_CYCLE_ONLY = frozenset({"cycle_current", "cycle_capacity", "cycles", "v_min", "v_max"})
_SAMPLE_ONLY = frozenset({"n", "method", "seed"})
_FULL_ONLY = frozenset({"protocol"})


def _refuse_unused(ctx: typer.Context, cycle: bool, sample: list[str], full: bool, n: int) -> None:
    """Refuse options that this screen or sweep would ignore, and a --n out of range (before --out is touched)."""
    refuse_unused(ctx, cycle, "--cycle", _CYCLE_ONLY, "the cycling run of each candidate")
    refuse_unused(ctx, bool(sample), "--sample", _SAMPLE_ONLY, "sampled candidates")
    refuse_unused(ctx, full, "--full", _FULL_ONLY, "the full discharge-charge of each candidate")
    if sample:
        check_sample_count(n, "--n", 1, "")


def screen(
    ctx: typer.Context,
    files: list[str] | None = typer.Argument(None, help="Catalyst files (.toml) or built-in names to screen."),
    grid: list[str] = typer.Option([], "--grid", help="Grid axis NAME=v1,v2,... or NAME=start:stop:num, repeatable; "
                                   "names like descriptors.*.icohp, catalyst.free_energy_overpotential."),
    table: Path | None = typer.Option(None, "--table", help="CSV/Parquet with one candidate per row."),
    sample: list[str] = typer.Option([], "--sample", help="NAME=LOW:HIGH\\[:log], repeatable; with --n."),
    n: int = typer.Option(1000, "--n", "-n", help="Number of sampled candidates (--sample)."),
    method: str = typer.Option("sobol", "--method", help="Sampling: sobol, lhs (Latin hypercube) or random."),
    seed: int = _SEED_OPT,
    catalyst: str = typer.Option("RuO2", "--catalyst", "-c", help="Base catalyst (built-in or .toml) that the "
                                 "candidates modify."),
    protocol: str | None = typer.Option(None, "--protocol", "-p", help="Full discharge–charge protocol."),
    full: bool = _FULL_OPT,
    plateaus: bool = _PLATEAUS_OPT,
    fast: bool = _FAST_OPT,
    cycle: bool = _CYCLE_OPT,
    cycle_current: str = _CYCLE_CURRENT_OPT,
    cycle_capacity: str = _CYCLE_CAPACITY_OPT,
    cycles: int = _CYCLES_OPT,
    v_min: str = _V_MIN_OPT,
    v_max: str = _V_MAX_OPT,
    environment: str = _ENV_OPT,
    out: Path = typer.Option(Path("screen"), "--out", "-o", help="Output folder (Parquet dataset, CSV, map)."),
    scheduler: str = _SCHED_OPT,
    workers: int | None = _WORKERS_OPT,
    batch_size: int | None = _BATCH_OPT,
    resume: bool = _RESUME_OPT,
    overwrite: bool = _OVERWRITE_OPT,
    map_x: str | None = _MAP_X_OPT,
    map_y: str | None = _MAP_Y_OPT,
    progress: bool = _PROGRESS_OPT,
) -> None:
    """Screen catalysts: a descriptor grid, table, sampled distribution, or catalyst files, on Dask."""
    _refuse_unused(ctx, cycle, sample, full, n)
    _check_run_options(out, scheduler, workers, batch_size)
    try:
        cands = _collect(grid, table, sample, n, method, seed, list(files or []))
        for note in far_from_default(cands, catalyst=catalyst):
            typer.secho(f"note: {note}", err=True)
        settings = _settings(catalyst, protocol, full, plateaus, environment, cycle, cycle_current, cycle_capacity,
                             cycles, v_min, v_max, fast)
    except MetalairError as exc:
        _fail(cli_text(str(exc), CYCLE_OPTIONS))
    _run(cands, settings, out, scheduler, workers, batch_size, resume, overwrite, progress, map_x, map_y)


def sweep(
    ctx: typer.Context,
    param: list[str] = typer.Option([], "--param", help="Model parameter axis NAME=values in SI units (see "
                                    "'metalair catalysts --parameters'), repeatable."),
    var: list[str] = typer.Option([], "--var", help="Protocol variable axis NAME=values filling {NAME} in "
                                  "--protocol, repeatable."),
    grid: list[str] = typer.Option([], "--grid", help="Any other axis with its full name (e.g. "
                                   "descriptors.NaO2.d_band_centre=-2.1:-1.5:4), repeatable."),
    table: Path | None = typer.Option(None, "--table", help="CSV/Parquet with one candidate per row."),
    sample: list[str] = typer.Option([], "--sample", help="NAME=LOW:HIGH\\[:log] with full names, repeatable."),
    n: int = typer.Option(256, "--n", "-n", help="Number of sampled candidates (--sample)."),
    method: str = typer.Option("sobol", "--method", help=_METHOD_OPT_HELP),
    seed: int = _SEED_OPT,
    catalyst: str = typer.Option("NLRO", "--catalyst", "-c", help="Catalyst (built-in or .toml)."),
    protocol: str | None = typer.Option(None, "--protocol", "-p", help="Protocol text, may hold {NAME} fields, "
                                           "e.g. 'Discharge at {current} mA/g until 1.5 V; Charge at {current} mA/g "
                                           "until 4.8 V'."),
    full: bool = _FULL_OPT,
    plateaus: bool = _PLATEAUS_OPT,
    fast: bool = _FAST_OPT,
    cycle: bool = _CYCLE_OPT,
    cycle_current: str = _CYCLE_CURRENT_OPT,
    cycle_capacity: str = _CYCLE_CAPACITY_OPT,
    cycles: int = _CYCLES_OPT,
    v_min: str = _V_MIN_OPT,
    v_max: str = _V_MAX_OPT,
    environment: str = _ENV_OPT,
    out: Path = typer.Option(Path("sweep"), "--out", "-o", help="Output folder (Parquet dataset, CSV, figures)."),
    scheduler: str = _SCHED_OPT,
    workers: int | None = _WORKERS_OPT,
    batch_size: int | None = _BATCH_OPT,
    resume: bool = _RESUME_OPT,
    overwrite: bool = _OVERWRITE_OPT,
    map_x: str | None = _MAP_X_OPT,
    map_y: str | None = _MAP_Y_OPT,
    progress: bool = _PROGRESS_OPT,
) -> None:
    """Sweep model parameters and protocol variables (same engine and outputs as 'screen')."""
    _refuse_unused(ctx, cycle, sample, full, n)
    _check_run_options(out, scheduler, workers, batch_size)
    axes = [f"parameters.{a}" for a in param] + [f"protocol.{a}" for a in var] + list(grid)
    try:
        cands = _collect(axes, table, sample, n, method, seed, [])
        for note in far_from_default(cands, catalyst=catalyst):
            typer.secho(f"note: {note}", err=True)
        settings = _settings(catalyst, protocol, full, plateaus, environment, cycle, cycle_current, cycle_capacity,
                             cycles, v_min, v_max, fast)
    except MetalairError as exc:
        _fail(cli_text(str(exc), CYCLE_OPTIONS))
    _run(cands, settings, out, scheduler, workers, batch_size, resume, overwrite, progress, map_x, map_y)


#: Where a field of SHOWN_UNITS (a catalyst field whose stored unit, in which a bare number is read, is not the
#: unit metalair shows it in) is shown so. A bare number of such a field far from the base catalyst's value is
#: refused, not noted (64.5 meant in mAh/g was read as 64.5 C/kg, and the couple vanished).
_SHOWN_WHERE = {"capacity": " (as 'metalair catalysts' shows it)"}


def far_from_default(cands: list[dict[str, Any]], factor: float = 30.0, catalyst: str = "RuO2") -> list[str]:
    """Check bare numbers against the value they replace: notes for those more than ``factor`` from it.

    ``parameters.*`` are compared with the default parameters (an SI value meant in mg/cm²?);
    ``catalyst.*`` and ``host_couples.*`` with the base catalyst's value (each candidate's own
    ``catalyst``, else ``catalyst``). A field of :data:`metalair.plotting.design.SHOWN_UNITS` is refused instead
    of noted.
    Values written with a unit (text) are not checked: their unit says what they are.

    Raises
    ------
    ParameterError
        A bare number for a field of ``SHOWN_UNITS`` more than ``factor`` from the base value; the
        message shows how to write it with its unit.
    """
    from metalair.models.parameters import DEFAULT_PARAMETERS, RANGES
    from metalair.plotting.design import shown_unit
    from metalair.sweeps.candidates import is_number

    def far(v: float, ref: float) -> bool:
        return not (math.isfinite(v) and v and 1 / factor <= abs(v / ref) <= factor)

    notes = []
    keys = list(dict.fromkeys(k for c in cands for k in c))
    for key in (k for k in keys if k.startswith("parameters.")):
        field = key.split(".", 1)[1]
        default = getattr(DEFAULT_PARAMETERS, field, None)
        values = [c[key] for c in cands if is_number(c.get(key))]
        if not is_number(default) or not default or not values:
            continue
        bad = [v for v in values if far(v, default)]
        if bad:
            unit = RANGES[field][4] if field in RANGES else "SI"
            notes.append(f"{key} = {bad[0]:g} is far from its default {default:g} {unit}: a bare number is in "
                         f"{unit}; write the unit if you meant another"
                         + (f" (e.g. '{field}=0.5 mg/cm²')" if field == "loading" else ""))
    cat_keys = [k for k in keys if (k.startswith("catalyst.") and k.count(".") == 1)
                or (k.startswith("host_couples.") and k.count(".") == 2)]
    cache: dict[str, Any] = {}
    for key in cat_keys:
        for c in cands:
            value: Any = c.get(key)
            if not is_number(value):
                continue
            base = _base_values(str(c.get("catalyst", catalyst)), key, cache)
            if base is None:
                continue  # an unknown catalyst, field or couple: the candidate check says so
            cat, ref, unit = base
            if not ref or not all(far(value, r) for r in ref):
                continue
            field = key.rsplit(".", 1)[1]
            stored_shown = shown_unit(key)
            if stored_shown is not None:
                si, shown = stored_shown
                as_shown = _SHOWN_WHERE.get(field, "")
                per = float(from_user(1.0, shown))  # SI per shown unit
                raise ParameterError(
                    f"{key} = {value:g} is a bare number, read in {si} (the unit a catalyst file stores): "
                    f"{value:g} {si} = {value / per:.3g} {shown}, against {ref[0] / per:.4g} {shown} on "
                    f"{cat.name}{as_shown}. Write the unit: --grid "
                    f"'{key}={value:g} {shown}' (a list: '{value:g} {shown},{2 * value:g} {shown}'), or "
                    f"'{value:g} {shown}' in a --table cell; '{value:g} {si}' if you meant {si}. --sample "
                    f"ranges are in {si} (1 {shown} = {per:g} {si})")
            notes.append(f"{key} = {value:g} is far from {cat.name}'s {ref[0]:g} {unit}: a bare number is in "
                         f"{unit}; write the unit if you meant another")
            break  # one note per key
    return notes


def _base_values(name: str, key: str, cache: dict[str, Any]) -> tuple[Any, list[float], str] | None:
    """``(catalyst, values the key replaces, their SI unit)`` on the catalyst ``name``, or None if there is none."""
    from metalair.catalysts import get_catalyst
    from metalair.catalysts.files import _field_units
    from metalair.sweeps.candidates import is_number

    if name not in cache:
        try:
            cache[name] = get_catalyst(name)
        except MetalairError:
            cache[name] = None
    cat = cache[name]
    if cat is None:
        return None
    parts = key.split(".")
    if parts[0] == "catalyst":
        objs: list[Any] = [cat]
    elif parts[1] == "*":
        objs = list(cat.host_couples)
    elif parts[1].isdigit() and int(parts[1]) < len(cat.host_couples):
        objs = [cat.host_couples[int(parts[1])]]
    else:
        return None
    values: list[Any] = [getattr(o, parts[-1], None) for o in objs]
    if not objs or not all(is_number(v) for v in values):
        return None
    return cat, [float(v) for v in values], _field_units(type(objs[0])).get(parts[-1], "SI")


def show_catalyst(name: str) -> str:
    """The catalyst file text of a built-in catalyst or catalyst file (for ``metalair catalysts --show``)."""
    from metalair.catalysts import get_catalyst
    from metalair.catalysts.files import catalyst_to_toml

    return catalyst_to_toml(get_catalyst(name))


def register(app: typer.Typer) -> None:
    """Add ``catalyst from-dft``, ``screen`` and ``sweep`` to the main app."""
    app.add_typer(catalyst_app, name="catalyst")
    app.command("screen")(screen)
    app.command("sweep")(sweep)
