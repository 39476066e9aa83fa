"""Candidate sets for sweeps: grids, tables, sampled distributions and catalyst files.

A candidate is a flat ``{name: scalar}`` dictionary; the names are whatever
the evaluation function understands (for screens: see
:func:`metalair.sweeps.evaluate.apply_candidate`). Every generator here is
deterministic (sampling takes a seed), so a sweep can be resumed and its
candidates regenerated identically.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError

__all__ = ["grid", "parse_axis", "from_table", "sample", "catalyst_files", "SAMPLERS"]

#: Accepted sampling methods of :func:`sample`.
SAMPLERS = ("sobol", "lhs", "random")


def parse_axis(text: str) -> tuple[str, list[Any]]:
    """Parse a grid axis ``"name=v1,v2,..."`` or ``"name=start:stop:num"`` (inclusive linspace).

    Examples
    --------
    >>> parse_axis("descriptors.*.icohp=-2.4:-1.2:4")
    ('descriptors.*.icohp', [-2.4, -2.0, -1.6, -1.2])
    >>> parse_axis("catalyst=NLRO,RuO2")
    ('catalyst', ['NLRO', 'RuO2'])
    """
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise ParameterError(f"axis {text!r} must look like 'name=v1,v2,...' or 'name=start:stop:num'")
    if ":" in spec and "," not in spec:
        parts = spec.split(":")
        try:
            if len(parts) != 3:
                raise ValueError
            lo, hi, num = float(parts[0]), float(parts[1]), int(parts[2])
        except ValueError:
            raise ParameterError(f"axis {text!r}: 'start:stop:num' needs two numbers and a count, e.g. -2.4:-1.2:13") \
                from None
        if num < 1 or not (math.isfinite(lo) and math.isfinite(hi)):
            raise ParameterError(f"axis {text!r}: num must be >= 1 and the ends finite")
        return name, [float(x) for x in np.round(np.linspace(lo, hi, num), 12)]
    return name, [_scalar(v.strip()) for v in spec.split(",") if v.strip()]


def _scalar(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def grid(axes: Mapping[str, Sequence[Any]] | Sequence[str]) -> list[dict[str, Any]]:
    """Full factorial grid; the last axis varies fastest.

    Parameters
    ----------
    axes : mapping name -> values, or sequence of ``"name=..."`` strings (see :func:`parse_axis`)
    """
    if not isinstance(axes, Mapping):
        axes = dict(parse_axis(a) for a in axes)
    if not axes:
        raise ParameterError("a grid needs at least one axis")
    for name, values in axes.items():
        if len(values) == 0:
            raise ParameterError(f"grid axis {name!r} has no values")
    names = list(axes)
    return [dict(zip(names, combo)) for combo in itertools.product(*(list(axes[n]) for n in names))]


def from_table(path_or_rows: str | os.PathLike[str] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Candidates from a CSV or Parquet table (one row per candidate, one column per name), or from rows."""
    if not isinstance(path_or_rows, (str, os.PathLike)):
        return [dict(r) for r in path_or_rows]
    p = Path(path_or_rows)
    if not p.is_file():
        raise ParameterError(f"candidate table {str(p)!r} does not exist")
    if p.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        rows = pq.read_table(p).to_pylist()
    else:
        with open(p, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(line for line in fh if not line.lstrip().startswith("#"))
            if not reader.fieldnames:
                raise DataFormatError(f"candidate table {str(p)!r} has no header row")
            rows = [{k.strip(): _scalar(v.strip()) for k, v in r.items() if k is not None and v not in (None, "")}
                    for r in reader]
    if not rows:
        raise DataFormatError(f"candidate table {str(p)!r} has no rows")
    return rows


def sample(ranges: Mapping[str, Sequence[Any]], n: int, method: str = "sobol", seed: int = 0) -> list[dict[str, Any]]:
    """Sample ``n`` candidates from independent ranges.

    Parameters
    ----------
    ranges : mapping name -> (low, high) or (low, high, "log")
        Uniform (or log-uniform) range of each name.
    n : int
        Number of candidates.
    method : {"sobol", "lhs", "random"}
        Scrambled Sobol' sequence or Latin hypercube (:mod:`scipy.stats.qmc`),
        or plain uniform random numbers.
    seed : int
        Seed (the same seed gives the same candidates).

    References
    ----------
    .. [1] Sobol', I. M. USSR Comput. Math. Math. Phys. 7, 86 (1967). doi:10.1016/0041-5553(67)90144-9
    .. [2] McKay, M. D.; Beckman, R. J.; Conover, W. J. Technometrics 21, 239 (1979). doi:10.2307/1268522
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n = {n!r} must be a positive integer number of candidates")
    if method not in SAMPLERS:
        raise ParameterError(f"sampling method {method!r} is not supported; use one of {', '.join(SAMPLERS)}")
    if not ranges:
        raise ParameterError("sampling needs at least one range")
    names = list(ranges)
    lo, hi, log = [], [], []
    for name in names:
        spec = list(ranges[name])
        if len(spec) not in (2, 3) or (len(spec) == 3 and spec[2] not in ("log", "linear")):
            raise ParameterError(f"range of {name!r} must be (low, high) or (low, high, 'log'), got {spec!r}")
        a, b = float(spec[0]), float(spec[1])
        is_log = len(spec) == 3 and spec[2] == "log"
        if not (math.isfinite(a) and math.isfinite(b) and a < b) or (is_log and a <= 0):
            raise ParameterError(f"range of {name!r} = ({a:g}, {b:g}) must be finite with low < high"
                                 + (" and low > 0 for 'log'" if is_log else ""))
        lo.append(math.log(a) if is_log else a)
        hi.append(math.log(b) if is_log else b)
        log.append(is_log)
    d = len(names)
    if method == "random":
        u = np.random.default_rng(seed).random((n, d))
    else:
        import warnings

        from scipy.stats import qmc

        engine = qmc.Sobol(d, scramble=True, seed=seed) if method == "sobol" else qmc.LatinHypercube(d, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Sobol' balance warning for n not a power of two
            u = engine.random(n)
    x = np.asarray(lo) + u * (np.asarray(hi) - np.asarray(lo))
    out = []
    for row in x:
        out.append({name: float(math.exp(v) if lg else v) for name, v, lg in zip(names, row, log)})
    return out


def catalyst_files(paths: Sequence[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """One candidate per catalyst file (or built-in name): ``{"catalyst": path}``."""
    out = []
    for p in paths:
        text = str(p)
        if text.lower().endswith(".toml") and not Path(text).is_file():
            raise ParameterError(f"catalyst file {text!r} does not exist")
        out.append({"catalyst": text})
    if not out:
        raise ParameterError("no catalyst files given")
    return out
