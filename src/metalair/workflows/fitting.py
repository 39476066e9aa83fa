"""Fit model parameters to a cycler file and write ``fit.json`` and ``fit.png``."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metalair._files import atomic_write_json
from metalair._validation import PROGRESS_STAGE, check_callable
from metalair.analysis.fitting import MAX_NFEV, FitResult, fit_model
from metalair.io import DataQualityWarning, read
from metalair.workflows.outputs import begin_run

__all__ = ["FitRun", "fit_file"]


@dataclass
class FitRun:
    """Result of :func:`fit_file`: the fit and the files written (name -> path)."""

    result: FitResult
    files: dict[str, Path] = field(default_factory=dict)


def fit_file(
    path: str | os.PathLike[str],
    catalyst: Any,
    params: Sequence[str] | str,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    mass_g: float | None = None,
    cycles: Sequence[int] | int | None = None,
    initial: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    noise_V: float | None = None,
    environment: Any = None,
    max_nfev: int | None = None,
    format: str | None = None,
    column_map: Mapping[str, Any] | None = None,
    figure: bool = True,
    overwrite: bool = False,
    command: str | Sequence[str] = "fit",
    progress: Callable[[str, int, int], None] | None = None,
) -> FitRun:
    """Read a cycler file, fit ``params`` to its curves, and write ``fit.json`` (and ``fit.png``).

    Parameters
    ----------
    path : path-like
        Any file :func:`metalair.io.read` understands (``format``,
        ``column_map`` and ``mass_g`` are passed to it; its data-quality
        warnings are not repeated as Python warnings: the fit's notes list them).
    catalyst, params, cycles, initial, bounds, noise_V, environment, max_nfev
        Passed to :func:`metalair.analysis.fitting.fit_model` (``max_nfev`` None: its default).
    out_dir : path-like, optional
        Where ``fit.json`` and ``fit.png`` are written (atomically); nothing is
        written when omitted.
    figure : bool
        Write ``fit.png`` (:func:`metalair.plotting.fitting.plot_fit`).
    overwrite, command
        The output folder is checked before any work and gets a run manifest
        (:func:`metalair.workflows.outputs.begin_run`); an earlier run there is
        replaced only with ``overwrite``.
    progress : callable, optional
        ``progress(stage, done, total)`` for the reading and the fit.

    Returns
    -------
    FitRun

    Raises
    ------
    NotCyclingError
        If the record holds no galvanostatic cycling (a hold, a CV, an impedance file).
    """
    from metalair.analysis.classify import ROUTES, NotCyclingError, classify_record, route_message

    if column_map is not None and format is None:
        format = "csv"
    check_callable(progress, "progress", PROGRESS_STAGE)
    manifest = (begin_run(out_dir, command, overwrite=overwrite, expected=("fit.json", "fit.png"), inputs=[path])
                if out_dir is not None else None)
    with manifest if manifest is not None else contextlib.nullcontext():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            data = read(path, format=format, column_map=column_map, mass_g=mass_g, progress=progress)
        kind = classify_record(data)
        if not kind.is_cycling:  # as analyze refuses it: a hold or a CV is not a discharge-charge to fit
            raise NotCyclingError(route_message(kind), kind.kind, ROUTES.get(kind.kind))
        result = fit_model(data, catalyst, params, mass_g=mass_g, cycles=cycles, initial=initial,
                           bounds=bounds, noise_V=noise_V, environment=environment, progress=progress,
                           max_nfev=MAX_NFEV if max_nfev is None else max_nfev)
        run = FitRun(result)
        if out_dir is not None and manifest is not None:
            run.files["fit.json"] = atomic_write_json(manifest.path("fit.json"), result.to_dict())
            if figure:
                from metalair.plotting.fitting import plot_fit
                from metalair.plotting.simulation import save_figure

                save_figure(plot_fit(result), manifest.path("fit.png"))
                run.files["fit.png"] = Path(out_dir) / "fit.png"
    return run
