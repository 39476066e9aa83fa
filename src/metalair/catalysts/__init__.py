"""Catalysts: states, descriptors, host redox, and the built-in sets."""

from __future__ import annotations

import difflib

from metalair.catalysts.base import PRODUCTS, Catalyst, Descriptors, HostCouple
from metalair.catalysts.sets.sun2025 import CATALYSTS, NLRO, RUO2
from metalair.catalysts.sets.sun2025_references import REFERENCE_CATALYSTS
from metalair.errors import ParameterError

__all__ = ["Catalyst", "Descriptors", "HostCouple", "PRODUCTS", "NLRO", "RUO2", "CATALYSTS", "get_catalyst"]

CATALYSTS = {**CATALYSTS, **REFERENCE_CATALYSTS}  # the study's references NNRO and NLMO are built in too


def get_catalyst(name) -> Catalyst:
    """Return a built-in catalyst by name (case-insensitive), a catalyst file (``*.toml``), or the Catalyst given.

    Raises
    ------
    ParameterError
        For an unknown name, with the closest built-in names.
    """
    if isinstance(name, Catalyst):
        return name
    if str(name).strip().lower().endswith(".toml"):  # a catalyst file (metalair.catalysts.files)
        from metalair.catalysts.files import load_catalyst

        return load_catalyst(str(name).strip())
    lookup = {k.lower(): v for k, v in CATALYSTS.items()}
    key = str(name).strip().lower()
    if key in lookup:
        return lookup[key]
    close = difflib.get_close_matches(key, list(lookup), n=2, cutoff=0.4)
    names = [CATALYSTS_NAME for CATALYSTS_NAME in CATALYSTS if CATALYSTS_NAME.lower() in close]
    hint = f" Did you mean {' or '.join(repr(n) for n in names)}?" if names else ""
    raise ParameterError(
        f"unknown catalyst {name!r}.{hint} Built-in catalysts: {', '.join(CATALYSTS)} "
        "(or a catalyst file ending in .toml, or a metalair.catalysts.Catalyst object)"
    )
