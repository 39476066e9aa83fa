"""Fit model parameters to a cycler file and write ``fit.json`` and ``fit.png``."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metalair._files import atomic_write_text
from metalair.analysis.fitting import FitResult, fit_model
from metalair.io import DataQualityWarning, read

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
    format: str | None = None,
    column_map: Mapping[str, Any] | None = None,
    figure: bool = True,
) -> FitRun:
    """Read a cycler file, fit ``params`` to its curves, and write ``fit.json`` (and ``fit.png``).

    Parameters
    ----------
    path : path-like
        Any file :func:`metalair.io.read` understands (``format``,
        ``column_map`` and ``mass_g`` are passed to it; its data-quality
        warnings are silenced here because the fit's notes report them).
    catalyst, params, cycles, initial, bounds, noise_V, environment
        Passed to :func:`metalair.analysis.fitting.fit_model`.
    out_dir : path-like, optional
        Where ``fit.json`` and ``fit.png`` are written (atomically); nothing is
        written when omitted.
    figure : bool
        Write ``fit.png`` (:func:`metalair.plotting.fitting.plot_fit`).

    Returns
    -------
    FitRun
    """
    if column_map is not None and format is None:
        format = "csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        data = read(path, format=format, column_map=column_map, mass_g=mass_g)
    result = fit_model(data, catalyst, params, mass_g=mass_g, cycles=cycles, initial=initial,
                       bounds=bounds, noise_V=noise_V, environment=environment)
    run = FitRun(result)
    if out_dir is not None:
        out = Path(out_dir)
        run.files["fit.json"] = atomic_write_text(out / "fit.json", json.dumps(result.to_dict(), indent=2))
        if figure:
            from metalair.plotting.fitting import plot_fit
            from metalair.plotting.simulation import save_figure

            save_figure(plot_fit(result), out / "fit.png")
            run.files["fit.png"] = out / "fit.png"
    return run
