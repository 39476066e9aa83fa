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

from metalair._validation import MAX_SAMPLES, check_at_most, check_seed
from metalair.errors import DataFormatError, ParameterError

__all__ = ["grid", "parse_axis", "from_table", "sample", "catalyst_files", "SAMPLERS", "TEXT_NAMES",
           "BOOL_TEXT", "is_bool_text", "TABLE_FORMATS"]

#: Accepted sampling methods of :func:`sample`.
SAMPLERS = ("sobol", "lhs", "random")

#: Candidate names whose values are always text (a catalyst name or file, an environment name), even when a
#: value looks like a number.
TEXT_NAMES = ("catalyst", "environment")

#: What ``--table`` / :func:`from_table` reads.
TABLE_FORMATS = ("a CSV file (UTF-8 text: a header row of candidate names, then one candidate per row) or a "
                 "Parquet file (.parquet, .pq)")


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
        if num == 1 and lo != hi:
            raise ParameterError(f"axis {text!r}: one point from {lo:g} to {hi:g} would be the start alone; give "
                                 f"num >= 2, or the single value '{name}={lo:g}'")
        if num > 1 and lo == hi:
            raise ParameterError(f"axis {text!r}: start and stop are both {lo:g}, so the {num} points are one "
                                 "candidate repeated; give different ends")
        check_at_most(num, f"axis {name}: num", MAX_SAMPLES, "each point is a candidate simulation; use fewer points")
        return name, [float(x) for x in np.round(np.linspace(lo, hi, num), 12)]
    values = [v.strip() if name in TEXT_NAMES else _scalar(v.strip()) for v in spec.split(",") if v.strip()]
    _refuse_repeats(repr(text), values)
    return name, values


def _refuse_repeats(axis: str, values: Sequence[Any]) -> None:
    """Refuse an axis that gives one value twice: every candidate holding it would run twice."""
    from collections import Counter

    def key(v: Any) -> Any:  # the value itself (1 and 1.0 are one value), or, unhashable (a list), its text
        try:
            hash(v)
        except TypeError:
            return ("unhashable", repr(v))
        return v

    counts = Counter(key(v) for v in values)
    repeated = sorted({str(v[1] if isinstance(v, tuple) and v[:1] == ("unhashable",) else v)
                       for v, n in counts.items() if n > 1})
    if repeated:
        raise ParameterError(f"axis {axis}: {', '.join(repeated)} given more than once (the same candidate "
                             "would run twice); give each value once")


def is_number(value: Any) -> bool:
    """A real number (int, float or numpy scalar), not a bool."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


#: Spellings of true and false in a grid axis or a table cell (any case); the catalyst's field takes a bool.
BOOL_TEXT = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def is_bool_text(value: Any) -> bool:
    """A true/false value as a grid or table gives it: a bool, 1 or 0, or a spelling of :data:`BOOL_TEXT`."""
    return isinstance(value, (bool, np.bool_)) or str(value).strip().lower() in BOOL_TEXT


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
        parsed: dict[str, list[Any]] = {}
        for a in axes:
            axis, parsed_values = parse_axis(a)
            if axis in parsed:
                raise ParameterError(f"axis {axis} given twice; give each axis once, with all its values "
                                     f"(e.g. {axis}=v1,v2,v3)")
            parsed[axis] = parsed_values
        axes = parsed
    if not axes:
        raise ParameterError("a grid needs at least one axis")
    for name, values in axes.items():
        listed = hasattr(values, "__len__") and hasattr(values, "__iter__")  # a list, tuple, range or numpy array
        if isinstance(values, (str, bytes, Mapping)) or not listed:
            # a string is a sequence of its characters: '50,200' gave the candidates '5', '0', ',', '2', ...
            raise ParameterError(
                f"grid axis {name!r}: give its values as a list, e.g. {{{name!r}: [50, 200]}} or "
                f"grid(['{name}=50,200']), not {values!r}")
        if len(values) == 0:
            raise ParameterError(f"grid axis {name!r} has no values")
        _refuse_repeats(repr(name), values)
        if name not in TEXT_NAMES and any(is_number(v) for v in values) and not all(map(is_bool_text, values)):
            bad = next((v for v in values if not is_number(v)), None)
            if bad is not None:
                raise ParameterError(f"axis {name}: {bad!r} is not a number (the axis's other values are numbers)")
    names = list(axes)
    sizes = [len(axes[n]) for n in names]
    total = math.prod(sizes)
    if total > MAX_SAMPLES:  # before the list of candidates is built: 1e5 x 1e5 filled 14 GB, then failed
        raise ParameterError(
            f"the grid has {' x '.join(f'{k:,}' for k in sizes)} = {total:,} candidates, more than {MAX_SAMPLES:,}: "
            "each is a simulation; use fewer points per axis, or sample the space (--sample with -n)")
    return [dict(zip(names, combo)) for combo in itertools.product(*(list(axes[n]) for n in names))]


def from_table(path_or_rows: str | os.PathLike[str] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Candidates from a CSV or Parquet table (one row per candidate, one column per name), or from rows.

    In a CSV file, a line starting with ``#`` is a comment, an empty cell leaves that name out of the
    candidate, and a cell that reads as a number is a number (``catalyst`` and ``environment`` stay text).

    Raises
    ------
    ParameterError
        The file does not exist.
    DataFormatError
        The file is neither a UTF-8 text CSV nor a Parquet file, has no header or no rows, names a column
        twice, has a row with more cells than the header or a value in a column without a name, or has a
        column of numbers with a cell that is not a number (the message names the row and the column).
    """
    if not isinstance(path_or_rows, (str, os.PathLike)):
        return [dict(r) for r in path_or_rows]
    p = Path(path_or_rows)
    if not p.is_file():
        raise ParameterError(f"candidate table {str(p)!r} does not exist")
    if p.suffix.lower() in (".parquet", ".pq"):
        rows = _parquet_rows(p)
    else:
        rows = _csv_rows(p)
    if not rows:
        raise DataFormatError(f"candidate table {str(p)!r} has no rows")
    return rows


def _parquet_rows(p: Path) -> list[dict[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        _check_unique(p, [str(n) for n in pq.read_schema(p).names])
        table = pq.read_table(p)
    except (pa.ArrowException, OSError) as exc:
        raise DataFormatError(f"candidate table {str(p)!r} is not a readable Parquet file ({exc}); --table takes "
                              f"{TABLE_FORMATS}") from None
    return list(table.to_pylist())


def _check_unique(p: Path, names: Sequence[str]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name in seen:
            raise DataFormatError(f"candidate table {str(p)!r}: axis {name} given twice (columns {seen[name]} and "
                                  f"{i}); give each name in one column")
        seen[name] = i


def _csv_rows(p: Path) -> list[dict[str, Any]]:
    from metalair.io._text_columns import check_row_width

    try:
        text = p.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark (spreadsheet exports) is not a name
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"candidate table {str(p)!r} is not a text CSV file (byte {exc.start} is not UTF-8 "
                              f"text); --table takes {TABLE_FORMATS}") from None
    if "\x00" in text:
        raise DataFormatError(f"candidate table {str(p)!r} is not a text CSV file (it holds NUL bytes: a binary "
                              f"file); --table takes {TABLE_FORMATS}")
    kept = [(n, line) for n, line in enumerate(text.splitlines(keepends=True), start=1)
            if not line.lstrip().startswith("#")]
    reader = csv.reader(line for _n, line in kept)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise DataFormatError(f"candidate table {str(p)!r} has no header row")
        names = [h.strip() for h in header]
        _check_unique(p, [n for n in names if n])  # unnamed columns (a trailing comma) are checked below
        cells: list[tuple[int, list[str]]] = []
        for record in reader:
            line_no = kept[reader.line_num - 1][0]
            if not any(c.strip() for c in record):
                continue
            check_row_width(str(p), line_no, record, names)
            cells.append((line_no, [c.strip() for c in record] + [""] * (len(names) - len(record))))
    except csv.Error as exc:
        raise DataFormatError(f"candidate table {str(p)!r} is not a readable CSV file ({exc}); --table takes "
                              f"{TABLE_FORMATS}") from None
    rows: list[dict[str, Any]] = [{} for _ in cells]
    for j, name in enumerate(names):
        column = [(line_no, rec[j]) for line_no, rec in cells]
        if not name:
            filled = next(((line_no, t) for line_no, t in column if t), None)
            if filled is not None:
                raise DataFormatError(f"{p} row {filled[0]}, column {j + 1}: {filled[1]!r} is in a column without "
                                      "a name in the header row")
            continue
        if name in TEXT_NAMES:
            values = [v for _n, v in column]
        else:
            values = [_scalar(v) for _n, v in column]
            if any(is_number(v) for v, (_n, t) in zip(values, column) if t) and \
                    not all(is_bool_text(t) for _n, t in column if t):  # true/false and 1/0: a true/false column
                for v, (line_no, t) in zip(values, column):
                    if t and not is_number(v):
                        raise DataFormatError(f"{p} row {line_no}, column {name}: {t!r} is not a number (the "
                                              "column's other cells are numbers)")
        for row, v, (_n, t) in zip(rows, values, column):
            if t:
                row[name] = v
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
    check_at_most(n, "n", MAX_SAMPLES, "each candidate is a simulation; split the screen")
    check_seed(seed)
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
