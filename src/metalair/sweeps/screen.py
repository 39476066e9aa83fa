"""Screens and sweeps: candidates + :func:`evaluate_candidate` on the engine, then maps.

:func:`run_screen` is the one call behind ``metalair screen`` and
``metalair sweep``: it checks the first candidate in this process (so a
typo fails at once, not in 10,000 rows), runs the sweep engine, writes
``results.csv`` next to the Parquet table and, for candidates spread over two
numeric names, a map figure (cycle life and/or polarisation) with the
built-in catalysts marked.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metalair.errors import MetalairError, ParameterError
from metalair.sweeps.engine import ENGINE_COLUMNS, SweepResult, record_files, refuse_in_starting_worker, run_sweep
from metalair.sweeps.evaluate import (
    CYCLING_COLUMNS,
    RESULT_COLUMNS,
    ScreenEvaluation,
    ScreenSettings,
    check_candidate,
    check_settings,
    descriptor_value,
    read_catalyst_files,
)

__all__ = ["ScreenResult", "run_screen", "screen_evaluation", "reference_markers", "map_columns",
           "MARKED_CATALYSTS", "numeric_axis", "marker_context"]

#: Catalysts marked on screening maps.
MARKED_CATALYSTS = ("NLRO", "RuO2", "NNRO", "NLMO")


@dataclass
class ScreenResult:
    """Outcome of :func:`run_screen`."""

    sweep: SweepResult
    settings: ScreenSettings
    files: dict = field(default_factory=dict)
    map_axes: tuple | None = None

    @property
    def table(self) -> Any:
        """The result table (pyarrow)."""
        return self.sweep.table


def reference_markers(x: str, y: str, names: Sequence[str] = MARKED_CATALYSTS) -> dict[str, tuple[float, float]]:
    """Map positions of built-in catalysts for candidate keys ``x``, ``y`` (``descriptors.*.f``: mean over products)."""
    from metalair.catalysts import get_catalyst

    out = {}
    for n in names:
        cat = get_catalyst(n)
        px, py = descriptor_value(cat, x), descriptor_value(cat, y)
        if math.isfinite(px) and math.isfinite(py):
            out[n] = (px, py)
    return out


def numeric_axis(column: Any, unit: str | None = None) -> tuple[Any, str] | None:
    """The numbers of a text column whose every value is a number with a unit (``"0.3 mg/cm2"``), and their unit.

    A candidate value written with its unit (as ``--param 'loading=0.3 mg/cm2,1 mg/cm2'``) keeps its text in
    the table; a figure needs numbers. They are given in ``unit`` (default: the unit of the first value),
    each value converted from its own unit. None for a column that is not text, or has a value that is not
    a number with a known unit of that one dimension (a catalyst name, ``"1 mg/cm2"`` beside ``"2 V"``).
    """
    import numpy as np
    import pyarrow as pa

    from metalair.units import convert, dimension_of, find_unit, split_quantity

    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    values = column.to_pylist()
    out = np.full(len(values), np.nan)
    for i, text in enumerate(values):
        if text is None:
            continue
        parts = split_quantity(str(text))
        given = find_unit(parts[1]) if parts is not None else None
        if parts is None or given is None:
            return None
        if unit is None:
            unit = given
        try:
            if dimension_of(given) != dimension_of(unit):
                return None
            out[i] = convert(parts[0], given, unit)
        except MetalairError:
            return None
    return (out, unit) if unit is not None else None


def marker_context(columns: Mapping[str, Sequence[Any]], keep: Sequence[bool] | None) -> dict[str, Any]:
    """What the built-in catalysts marked on a map are simulated with, besides their own catalyst.

    The environment, ``parameters.*`` and ``protocol.*`` values that every candidate drawn (the rows of
    ``keep``, all rows if None) shares, so that a star's colour compares with the cells around it: a map of
    the pure-O2 slice of a screen had its stars filled with their ambient-air values. Catalyst fields are not
    passed: a star stands for the catalyst as it is.
    """
    out: dict[str, Any] = {}
    for name, col in columns.items():
        if not (name == "environment" or name.startswith(("parameters.", "protocol."))):
            continue
        drawn = [v for v, k in zip(col, keep if keep is not None else [True] * len(col)) if k]
        if drawn and drawn[0] is not None and all(str(v) == str(drawn[0]) for v in drawn):
            out[name] = drawn[0]
    return out


def _numeric_axes(table: Any, names: Sequence[str], units: dict[str, str]) -> dict[str, Any]:
    """``{name: numbers}`` of the candidate columns written with units (see :func:`numeric_axis`).

    The numbers are in the unit a bare number of the column is read in, which the figure's label gives
    (``loading [kg/m²]``), except for a field of :data:`~metalair.plotting.design.SHOWN_UNITS`: in its stored
    unit (a host couple's capacity in C/kg), which the figure converts to the unit it shows (mAh/g). A column
    whose label names a unit that cannot be converted to stays text (no figure rather than a wrong axis). A
    protocol variable without a unit in the template (``{current}``) takes the unit of the values for its
    label, put into ``units``.
    """
    from metalair.plotting.design import column_unit, shown_unit
    from metalair.units import find_unit

    found = {}
    for n in names:
        if n not in table.column_names:
            continue
        protocol_field = n.split(".", 1)[1] if n.startswith("protocol.") else None
        target = None
        stored = shown_unit(n)
        labelled = column_unit(n, units) if protocol_field is None and stored is None else None
        if stored is not None:  # the figure draws it in the unit it is shown in, from this one
            target = stored[0]
        elif labelled:  # 'V vs Na+/Na': the unit is its first word
            target = find_unit(labelled) or find_unit(labelled.split()[0])
            if target is None:
                continue
        read = numeric_axis(table.column(n), target)
        if read is not None:
            found[n] = read[0]
            if protocol_field is not None:
                units[protocol_field] = read[1]
    return found


def map_columns(table: Any, candidate_names: Sequence[str],
                numeric: Sequence[str] = ()) -> tuple[str, str] | None:
    """The first two candidate columns that are numeric and vary (the axes of a map), or None.

    ``numeric``: text columns that figures read as numbers (:func:`numeric_axis`).
    """
    import pyarrow as pa

    numeric_cols = []
    for n in candidate_names:
        typ = table.schema.field(n).type if n in table.column_names else None
        if n in numeric or (typ is not None and (pa.types.is_floating(typ) or pa.types.is_integer(typ))):
            vals = {v for v in table.column(n).to_pylist() if v is not None}
            if len(vals) > 1:
                numeric_cols.append(n)
    return (numeric_cols[0], numeric_cols[1]) if len(numeric_cols) >= 2 else None


def response_column(table: Any, candidate_names: Sequence[str], numeric: Sequence[str] = ()) -> str | None:
    """The one candidate column that is numeric and varies (the axis of a response plot), or None.

    ``numeric``: text columns that figures read as numbers (:func:`numeric_axis`).
    """
    import pyarrow as pa

    varying = []
    for n in candidate_names:
        if n in table.column_names:
            vals = {v for v in table.column(n).to_pylist() if v is not None and v == v}  # v == v: not NaN
            if len(vals) > 1:
                varying.append(n)
    if len(varying) != 1:
        return None
    typ = table.schema.field(varying[0]).type
    return varying[0] if (varying[0] in numeric or pa.types.is_floating(typ) or pa.types.is_integer(typ)) else None


def screen_evaluation(candidates: Sequence[Mapping[str, Any]], settings: ScreenSettings
                      ) -> tuple[ScreenEvaluation, dict[str, Any]]:
    """The evaluation a screen sends to its workers, and the ``spec`` that identifies it for ``resume``.

    The catalyst files that the settings and candidates name are read here, once (see
    :func:`~metalair.sweeps.evaluate.read_catalyst_files`): the workers get the catalysts, not the file
    names, and the spec holds each file's content hash, so a resumed screen notices an edited file.
    """
    names = [settings.catalyst, *(c["catalyst"] for c in candidates if "catalyst" in c)]
    catalysts, digests = read_catalyst_files(names)
    spec = {"evaluate": "metalair.sweeps.evaluate.evaluate_candidate", "settings": dataclasses.asdict(settings),
            "catalyst_files": digests}
    return ScreenEvaluation(settings, catalysts), spec


#: Distinct non-numeric values of one key checked before a screen runs (beyond them, a bad one is its row's error).
_MAX_TEXT_PROBES = 200


def _check_extremes(cands: list[dict], names: Sequence[str], settings: ScreenSettings, catalysts: Any) -> None:
    """Refuse, before any work, a value outside what the model takes in any candidate, not only the first.

    For each key, the candidates that hold its smallest and its largest number, and the first candidate
    holding each of its other values (an environment, a protocol text, a NaN), are checked as they are: a
    parameter's allowed range is an interval, so its ends decide, and no combination that is not a
    candidate is tried. Catalyst files are not probed: one that cannot be read gives its error in its own
    row. An audit found the verdict depending on the seed: ``--sample loading=0.001:0.12`` was refused when
    the first sample lay above 0.1 and otherwise ran, leaving error rows and exit status 0.
    """
    from metalair.sweeps.candidates import is_number

    checked = {0}  # the first candidate is checked by the caller
    for key in names:
        if key == "catalyst":  # catalyst files are read per candidate: a broken one is its row's error, by design
            continue
        lo = hi = None  # indices of the smallest and largest number
        others: dict[str, int] = {}  # first index of each other value (by its text: NaN, text, lists)
        for i, c in enumerate(cands):
            if key not in c:
                continue
            v = c[key]
            if is_number(v) and v == v:
                if lo is None or v < cands[lo][key]:
                    lo = i
                if hi is None or v > cands[hi][key]:
                    hi = i
            elif len(others) < _MAX_TEXT_PROBES:
                others.setdefault(repr(v), i)
        for k in [i for i in (lo, hi) if i is not None] + list(others.values()):
            if k in checked:
                continue
            checked.add(k)
            try:
                check_candidate(cands[k], settings, catalysts)
            except MetalairError as exc:
                raise type(exc)(f"candidate {k} {cands[k]}: {exc}") from None


def run_screen(
    candidates: Sequence[Mapping[str, Any]],
    settings: ScreenSettings,
    out_dir: str | os.PathLike[str],
    *,
    scheduler: Any = "local",
    n_workers: int | None = None,
    batch_size: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | Callable[..., None] = False,
    map_axes: tuple[str, str] | None = None,
    figure: bool = True,
    cli: bool = False,
) -> ScreenResult:
    """Evaluate every candidate with :func:`~metalair.sweeps.evaluate.evaluate_candidate`; write tables and maps.

    Parameters
    ----------
    candidates : sequence of dict
        See :mod:`metalair.sweeps.candidates` and the key forms of
        :mod:`metalair.sweeps.evaluate`.
    settings : ScreenSettings
        What is computed per candidate.
    out_dir : path
        ``results.parquet``, ``results.csv``, ``manifest.json``, the batch
        files, ``map.png`` (two or more numeric axes) or ``response.png`` (one axis: each result
        against it, e.g. capacity against current).
    scheduler, n_workers, batch_size, resume, overwrite, progress, cli
        See :func:`metalair.sweeps.engine.run_sweep` (``scheduler`` may be a
        :class:`distributed.Client`, or ``"current"`` for the one active here).
    map_axes : (str, str), optional
        Candidate names for the map axes (default: the first two numeric
        candidate names that vary).
    figure : bool
        Draw the map (needs matplotlib).

    Raises
    ------
    ParameterError, ProtocolError
        Before any candidate runs: settings every candidate shares are wrong (unknown environment,
        unreadable protocol, impossible cycling settings: the message ``metalair simulate`` or
        ``metalair cycle`` gives), the first candidate cannot be applied (unknown key, bad value),
        a map axis is not a column, or an option of :func:`~metalair.sweeps.engine.run_sweep` is bad.
    """
    refuse_in_starting_worker()  # a script without the __main__ guard, run again by a starting worker: before the lock
    cands = [dict(c) for c in candidates]
    if not cands:
        raise ParameterError("no candidates to screen")
    if not isinstance(settings, ScreenSettings):
        raise ParameterError(f"settings must be a ScreenSettings, got {type(settings).__name__}")
    if settings.protocol is None and settings.cycling is None:
        raise ParameterError("nothing to compute: give a protocol, cycling settings, or both")
    check_settings(settings)  # shared by all candidates: one error now, not one per row
    evaluate, spec = screen_evaluation(cands, settings)  # catalyst files read here, once
    try:
        check_candidate(cands[0], settings, evaluate.catalysts)  # a typo in a key fails here, before any work
    except MetalairError as exc:
        raise type(exc)(f"candidate 0 {cands[0]}: {exc}") from None
    names = list(cands[0])
    for c in cands[1:]:
        names.extend(k for k in c if k not in names)
    _check_extremes(cands, names, settings, evaluate.catalysts)
    _refuse_overlapping(names)
    if "catalyst" not in names:  # one base catalyst for every candidate: an axis it ignores is refused
        _refuse_inert_axes(names, evaluate.catalysts.get(settings.catalyst) if evaluate.catalysts else None,
                           settings.catalyst)
    if map_axes is not None:
        known = [*names, *(RESULT_COLUMNS if settings.protocol is not None else ()),
                 *(CYCLING_COLUMNS if settings.cycling is not None else ()), *ENGINE_COLUMNS]
        for a in map_axes:
            if a not in known:
                raise ParameterError(f"map axis {a!r} is not a column of the screen; columns: {', '.join(known)}")
    from metalair.workflows.outputs import check_out_dir, holding_out_dir

    # the folder stays locked from the first batch to the last file of the screen (run_sweep shares the lock)
    folder = check_out_dir(out_dir, option="--out" if cli else "out_dir")
    with holding_out_dir(folder, option="--out" if cli else "out_dir"):
        sweep = run_sweep(cands, evaluate, out_dir, batch_size=batch_size, scheduler=scheduler, n_workers=n_workers,
                          resume=resume, overwrite=overwrite, spec=spec, progress=progress, cli=cli,
                          outputs_follow=True)
        out = sweep.out_dir  # the folder the engine checked and wrote (~ expanded)
        files = dict(sweep.files)
        from metalair._files import write_csv_rows

        table = sweep.table
        cols = table.column_names
        rows = zip(*(table.column(c).to_pylist() for c in cols))
        write_csv_rows(out / "results.csv", cols, ([("" if v is None else v) for v in r] for r in rows))
        files["csv"] = str(out / "results.csv")
        if evaluate.catalysts:  # the catalyst files the candidates were built from, as they were: provenance
            from metalair.catalysts.files import save_catalyst

            used: set[str] = set()
            for label, cat in evaluate.catalysts.items():
                if isinstance(cat, Exception):  # a file that could not be read: its rows carry the error
                    continue
                stem = Path(str(label)).stem or cat.name  # by file: two files may hold catalysts of one name
                name, k = f"{stem}.toml", 2
                while name in used:
                    name, k = f"{stem}-{k}.toml", k + 1
                used.add(name)
                path = save_catalyst(cat, out / "catalysts" / name)
                files[f"catalyst {label}"] = str(path)
        from metalair.plotting.design import protocol_units

        units = protocol_units(settings.protocol)
        as_numbers = _numeric_axes(table, names, units)  # axes written with their units: numbers for the figures

        def column(c: str) -> Any:
            return as_numbers[c] if c in as_numbers else table.column(c).to_numpy(zero_copy_only=False)

        axes = map_axes or map_columns(table, names, list(as_numbers))
        if map_axes is not None:
            for a in map_axes:
                if a not in cols:
                    raise ParameterError(f"map axis {a!r} is not a column of the screen; columns: {', '.join(names)}")
        if figure and axes is not None:
            values = [v for v in ("cycle_life", "polarisation_V") if v in cols]
            if values:
                try:
                    from metalair.plotting.design import plot_screen_maps
                    from metalair.plotting.simulation import save_figure

                    extra = [c for c in ("censored", "coulombic_efficiency_pct") if c in cols]
                    data = {c: column(c) for c in (*axes, *values, *extra)}
                    candidate_cols = {n: table.column(n).to_pylist() for n in names if n in cols}
                    keep, fixed = map_slice(candidate_cols, axes)
                    if keep is not None:
                        data = {c: v[keep] for c, v in data.items()}
                    markers = reference_markers(*axes)
                    shared = marker_context(candidate_cols, keep)  # the slice's environment, parameters, protocol
                    own = {}
                    for name in markers:  # each marked catalyst's own result fills its star
                        try:
                            own[name] = evaluate({**shared, "catalyst": name})
                        except Exception:  # a marker without a value is drawn white
                            pass
                    fig = plot_screen_maps(data, axes[0], axes[1], values, markers=markers, marker_results=own,
                                           title=f"{len(cands)} candidates, base {settings.catalyst}"
                                           + (f"; the slice at {', '.join(fixed)}" if fixed else "")
                                           + ("; stars: built-in catalysts at their own descriptors (mean over "
                                              "states), filled with their own simulated value" if markers else ""),
                                           units=units)
                    save_figure(fig, out / "map.png")
                    files["map"] = str(out / "map.png")
                except ImportError:  # pragma: no cover - no matplotlib
                    pass
        x = response_column(table, names, list(as_numbers)) if axes is None else None
        if figure and x is not None:
            try:
                import numpy as np

                from metalair.plotting.design import RESPONSE_COLUMNS, plot_sweep_response
                from metalair.plotting.simulation import save_figure

                # censored: a cycle life that is a lower bound is drawn as one (open, with a ≥)
                data = {c: column(c) for c in (x, *RESPONSE_COLUMNS, "censored") if c in cols}
                if any(c in data and np.isfinite(np.asarray(data[c], dtype=float)).any() for c in RESPONSE_COLUMNS):
                    fig = plot_sweep_response(data, x, title=f"{len(cands)} candidates, base {settings.catalyst}",
                                              units=units)
                    save_figure(fig, out / "response.png")
                    files["response"] = str(out / "response.png")
            except ImportError:  # pragma: no cover - no matplotlib
                pass
        record_files(out, [os.path.relpath(f, out) for k, f in files.items() if k != "manifest"], complete=True)
        return ScreenResult(sweep=sweep, settings=settings, files=files, map_axes=axes)


def map_slice(columns: Mapping[str, Sequence[Any]], axes: Sequence[str]) -> tuple[list[bool] | None, list[str]]:
    """Rows of the slice a two-axis map shows, and the fixed values, for a screen over more than two axes.

    Every candidate axis other than ``axes`` that varies is held at its first value (rather than draw several
    candidates on one point of the map). Returns ``(None, [])`` when only the map axes vary.
    """
    keep: list[bool] | None = None
    fixed: list[str] = []
    for name, col in columns.items():
        distinct = {str(v) for v in col}
        if name in axes or len(distinct) < 2:
            continue
        if len(distinct) > len(col) / 2:  # sampled, not a grid: every value once, no slice to take
            continue
        first = col[0]
        here = [str(v) == str(first) for v in col]
        keep = here if keep is None else [a and b for a, b in zip(keep, here)]
        fixed.append(f"{name} = {first:g}" if isinstance(first, (int, float)) else f"{name} = {first}")
    return keep, fixed


def _refuse_overlapping(names: Sequence[str]) -> None:
    """Refuse a descriptor set both for every product (``descriptors.*.x``) and for one (``descriptors.P.x``).

    Which one the model uses would depend on the order of the columns, while the row records both.
    """
    for name in names:
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "descriptors" and parts[1] == "*":
            specific = [n for n in names if n != name and n.split(".")[0] == "descriptors"
                        and n.split(".")[2:] == parts[2:]]
            if specific:
                raise ParameterError(
                    f"{name!r} and {', '.join(map(repr, specific))} both set {parts[2]} of "
                    f"{specific[0].split('.')[1]}: which one the model would use depends on the column order; "
                    "give one of them")


def _refuse_inert_axes(names: Sequence[str], base: Any, base_name: str) -> None:
    """Refuse a descriptor axis the base catalyst's model does not read (every candidate would give one result).

    A state's d-band centre is taken from the first product decomposed in that state
    (:meth:`~metalair.catalysts.base.Catalyst.stage_d_band`); a catalyst without host couples has one state,
    so a stage changes nothing.
    """
    from metalair.catalysts import PRODUCTS, get_catalyst

    if any(n.split(".")[-1] == "stage" for n in names if n.startswith("descriptors.")):
        cat = base if base is not None else get_catalyst(base_name)
        if not cat.host_couples:
            stage_axes = [n for n in names if n.startswith("descriptors.") and n.endswith(".stage")]
            raise ParameterError(
                f"{', '.join(stage_axes)}: {cat.name} has one catalytic state (no host couples), so a stage changes "
                "nothing; screen stages on a catalyst with host couples (e.g. NLRO)")
        return  # stages move: which product sets each state's d-band may change, so no axis is known inert
    cat = base if base is not None else get_catalyst(base_name)
    first_at_stage: dict[float, str] = {}
    for p in PRODUCTS:
        first_at_stage.setdefault(float(cat.descriptors[p].stage), p)
    for n in names:
        parts = n.split(".")
        if len(parts) == 3 and parts[0] == "descriptors" and parts[2] == "d_band_centre" and parts[1] != "*":
            product = parts[1]
            owner = first_at_stage.get(float(cat.descriptors[product].stage)) if product in PRODUCTS else None
            if owner is not None and owner != product:
                raise ParameterError(
                    f"{n}: on {cat.name} the state in which {product} is decomposed takes its d-band centre from "
                    f"{owner} (the first product of that state), so this axis changes nothing; screen "
                    f"descriptors.{owner}.d_band_centre (or descriptors.*.d_band_centre) instead")
