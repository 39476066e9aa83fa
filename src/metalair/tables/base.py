"""What every column table shares: named columns and a helpful error for a wrong name.

Simulated solutions, measured cycler records, per-cycle summaries and the
spectra of the characterisation readers are all addressed by column name
(``table["Voltage [V]"]``). A name that does not exist raises
:class:`~metalair.errors.KeyNotFoundError` listing the closest names, so a typo
or a missing unit is one glance away from being fixed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, KeyNotFoundError, ParameterError

__all__ = ["frozen_column", "message_source", "metadata_dict", "missing_column", "require_finite", "sorted_ascending",
           "suggest"]


def suggest(key: str, names: Iterable[str], n: int = 3) -> list[str]:
    """Names close to ``key``: fuzzy matches, else names containing the unit-less stem."""
    names = list(names)
    close = difflib.get_close_matches(key, names, n=n, cutoff=0.4)
    if not close:
        stem = key.split("[")[0].strip().lower()
        close = [k for k in names if stem and stem in k.lower()][:n]
    return close


def missing_column(key: object, names: Iterable[str], what: str = "column") -> KeyNotFoundError:
    """The error for a column name that does not exist, with "did you mean" suggestions."""
    names = list(names)
    if not isinstance(key, str):
        return KeyNotFoundError(
            f"{what}s are addressed by name, e.g. table['Voltage [V]'], not by {type(key).__name__} {key!r}; "
            f"available: {', '.join(names)}")
    close = suggest(key, names)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return KeyNotFoundError(f"no {what} named {key!r}.{hint} Available: {', '.join(names)}")


def frozen_column(owner: str, name: str, values: Any, n: int | None, against: str = "the abscissa") -> np.ndarray:
    """A read-only 1-D float64 copy of ``values``, checked against ``n`` rows.

    Raises :class:`~metalair.errors.ParameterError` naming ``owner.name`` when the
    values are not numeric, not one-dimensional, or not ``n`` long (``against``
    names what sets ``n`` in that message).
    """
    try:
        arr = np.array(values, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{owner}.{name} must be numeric: {exc}") from None
    if arr.ndim != 1:
        raise ParameterError(f"{owner}.{name} must be one-dimensional, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise ParameterError(f"{owner}.{name} has {arr.size} values, {against} has {n}")
    arr.setflags(write=False)
    return arr


def metadata_dict(owner: str, value: Any) -> dict[str, Any]:
    """A new dict of the entries of ``value``; ``None`` stands for no metadata (``{}``).

    Raises :class:`~metalair.errors.ParameterError` naming ``owner.metadata`` when
    ``value`` is neither a mapping nor ``None`` (nor anything ``dict()`` accepts).
    """
    if value is None:
        return {}
    try:
        return dict(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{owner}.metadata must be a dict (or None for none), got {type(value).__name__} "
                             f"{value!r:.60}") from None


def message_source(owner: str, metadata: Mapping[str, Any]) -> str:
    """How a table's messages open: its class, after the file name when the metadata has one."""
    return f"{metadata['file_name']}: {owner}" if metadata.get("file_name") else owner


def require_finite(source: str, name: str, arr: np.ndarray, label: str | None = None) -> None:
    """Refuse NaN and infinite values in a data column, naming how many and the first record.

    ``source`` opens the message (a file name, or the table's class), ``name``
    is the column; ``label`` (e.g. ``"voltage"`` for ``voltage_V``) is the
    quantity as the message names it, if it differs from the column name.

    Raises
    ------
    DataFormatError
        ``"cell.csv: 2 of 500 voltage values are not finite numbers: 1 NaN and 1 infinite in voltage_V,
        first at record 17 (counted from 1); ..."``
    """
    finite = np.isfinite(arr)
    if finite.all():
        return
    bad = np.flatnonzero(~finite)
    n_nan = int(np.count_nonzero(np.isnan(arr[bad])))
    kinds = " and ".join(part for part in (f"{n_nan} NaN" if n_nan else "",
                                           f"{bad.size - n_nan} infinite" if bad.size > n_nan else "") if part)
    where = f" in {name}" if label else ""
    raise DataFormatError(
        f"{source}: {bad.size} of {arr.size} {label or name} values are not finite numbers: {kinds}{where}, first "
        f"at record {int(bad[0]) + 1} (counted from 1); every value must be a finite number - drop or repair those "
        "records (the data is damaged, or a column was misread)")


def sorted_ascending(x: np.ndarray, *columns: np.ndarray) -> tuple[bool, np.ndarray, list[np.ndarray]]:
    """``x`` sorted ascending, with each of ``columns`` (rows of the same length) in the same order.

    Equal values of ``x`` keep their order (a stable sort). Returns whether the
    order changed, then ``x`` and the columns as read-only arrays (the inputs
    themselves when nothing moved).
    """
    if x.size < 2 or bool(np.all(x[1:] >= x[:-1])):
        return False, x, list(columns)
    order = np.argsort(x, kind="stable")
    moved = [col[order] for col in (x, *columns)]
    for col in moved:
        col.setflags(write=False)
    return True, moved[0], moved[1:]
