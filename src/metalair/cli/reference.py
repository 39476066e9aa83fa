"""CLI commands about the built-in knowledge: ``catalysts``, ``protocols`` and ``validate``."""

from __future__ import annotations

import json

import typer

from metalair.cli._common import EXIT_SOLVER, EXIT_USER, check_sample_count, fail
from metalair.errors import MetalairError, SolverError

__all__ = ["register", "catalysts", "protocols", "validate"]


def catalysts(
    show: str | None = typer.Option(None, "--show", help="Print one catalyst (built-in name or .toml) as a "
                                    "catalyst file."),
    parameters: bool = typer.Option(False, "--parameters", help="List the fitted model parameters: value, the "
                                    "observation that identifies each, and source."),
) -> None:
    """List the built-in catalysts, their descriptors and sources (or one as a file, or the fitted values)."""
    from metalair.catalysts import CATALYSTS, get_catalyst
    from metalair.catalysts.files import catalyst_to_toml
    from metalair.units import to_user

    if show is not None and parameters:
        fail("--show prints one catalyst as a file and --parameters the fitted model values: give one of them")
    if show is not None:
        try:
            typer.echo(catalyst_to_toml(get_catalyst(show)), nl=False)
        except MetalairError as exc:
            fail(str(exc))
        return
    if parameters:
        from metalair.calibration.targets import PUBLISHED
        from metalair.catalysts.sets.sun2025 import fitted_values
        from metalair.models.parameters import fitted_parameters
        from metalair.workflows.validation import HOST_TARGETS

        rows = fitted_parameters()
        cat_rows = fitted_values()
        typer.echo(f"{len(rows)} fitted model values, in SI units (everything else is from the literature, derived "
                   "or assumed; each value's source is in metalair.models.parameters.SOURCES and docs/calibration.md):")
        for r in rows:
            typer.echo(f"  {r['parameter']:24s} {r['value']:<10.4g} {r['unit'] or '-':<5s} {r['identified by']}")
        typer.echo(f"{len(cat_rows)} fitted catalyst values (the built-in catalysts' other values are the "
                   "study's DFT numbers or assumptions):")
        for r in cat_rows:
            typer.echo(f"  {r['parameter']:40s} {r['value']:<6.3g} V  {r['identified by']}")
        n_id = sum(bool(r["identifiable"]) for r in rows)
        n_weak = sum(not r["identifiable"] and str(r["identified by"]).startswith("calibrated") for r in rows)
        n_held = len(rows) - n_id - n_weak
        n_fit = len(rows) + len(cat_rows)
        n_targets = len(PUBLISHED) + len(HOST_TARGETS)
        verdict = ("more fitted values than targets" if n_fit > n_targets else
                   "as many fitted values as targets" if n_fit == n_targets else "fewer fitted values than targets")
        marginal = [str(r["parameter"]) for r in rows if r.get("marginal")]
        parts = [f"{n_id} model values identified by the targets (metalair calibrate"
                 + (f"; {', '.join(marginal)} only at the margin: held when calibrate starts from the shipped "
                    "values" if marginal else "") + ")"]
        if n_weak:
            parts.append(f"{n_weak} calibrated but not identifiable")
        parts += [f"{n_held} held (no measured value to replace them)", f"{len(cat_rows)} host-couple positions"]
        typer.echo(f"{n_fit} fitted values against {n_targets} published quantitative targets ({len(PUBLISHED)} "
                   f"calibration targets and {len(HOST_TARGETS)} for the host: {'; '.join(HOST_TARGETS)}): "
                   f"{', '.join(parts)}: {verdict}.")
        return

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
                       f"{to_user(hc.capacity, 'mAh/g'):.1f} mAh/g")
        for name, src in cat.sources.items():
            typer.echo(f"    source ({name}): {src}")
        typer.echo("")


def protocols() -> None:
    """Show the accepted protocol forms with examples."""
    from metalair.protocols.parser import ACCEPTED_FORMS

    typer.echo(ACCEPTED_FORMS)


def validate(
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
    catalyst: list[str] | None = typer.Option(None, "--catalyst", "-c", help="Limit to these catalysts: repeat the "
                                              "option or separate them by commas (-c NLRO,RuO2)."),
    ensemble: int = typer.Option(0, "--ensemble", help="Instead: the quantitative rows over N samples of ±0.1 eV "
                                 "on every DFT descriptor; a row passes on its median, the 90 % band is printed "
                                 "(0: off)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Say which run is going on stderr."),
) -> None:
    """Reproduce the published observations (Sun et al., Nat. Commun. 2025) from the built-in parameter sets."""
    from metalair.workflows.validation import format_rows, run_validation

    if ensemble and as_json:
        fail("--json prints the rows of one run; --ensemble prints bands over samples as a table: drop one of them")
    if catalyst:
        catalyst = [c.strip() for item in catalyst for c in item.split(",") if c.strip()]

    if ensemble:
        from metalair.calibration.ensemble import preset_ensemble

        check_sample_count(ensemble, "--ensemble", 2, " (64 or more for a 90 % band)")
        failed = False
        for cat in catalyst or ["NLRO", "RuO2"]:
            try:
                res, targets = preset_ensemble("validate", cat, ensemble)
            except SolverError as exc:
                fail(str(exc), EXIT_SOLVER)
            except MetalairError as exc:
                fail(str(exc))
            for t in targets:
                st = res.stats[t.id]
                ok = abs(st["median"] - t.value) <= t.pass_tolerance
                failed |= not ok
                typer.echo(f"{t.id:<14} {cat:5s} target {t.value:g} ± {t.pass_tolerance:g}: median {st['median']:.4g} "
                           f"[90 %: {st['p05']:.4g}, {st['p95']:.4g}] {'PASS' if ok else 'FAIL'}")
        if failed:
            raise typer.Exit(EXIT_USER)
        return

    try:
        rows = run_validation(catalyst or None,
                              progress=(lambda m: typer.echo(f"running {m}", err=True)) if progress else None)
    except SolverError as exc:
        fail(str(exc), EXIT_SOLVER)
    except MetalairError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in rows], indent=2, allow_nan=False))
    else:
        typer.echo(format_rows(rows))
    if not all(r.passed for r in rows):
        raise typer.Exit(EXIT_USER)


def register(app: typer.Typer) -> None:
    """Add ``catalysts``, ``protocols`` and ``validate`` to ``app``."""
    for command in (catalysts, protocols, validate):
        app.command()(command)
