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

from metalair.errors import KeyNotFoundError

__all__ = ["missing_column", "suggest"]


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
