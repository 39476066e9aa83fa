"""What every column table shares: named columns and a helpful error for a wrong name.

Simulated solutions, measured cycler records, per-cycle summaries and the
spectra of the characterisation readers are all addressed by column name
(``table["Voltage [V]"]``). A name that does not exist raises
:class:`~metalair.errors.KeyNotFoundError` listing the closest names, so a typo
or a missing unit is one glance away from being fixed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import numpy as np

from metalair.errors import KeyNotFoundError, ParameterError

__all__ = ["frozen_column", "missing_column", "suggest"]


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
