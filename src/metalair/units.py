"""The one place where user units meet SI.

Inside metalair everything is SI: A, V, s, C, mol, m, K, Pa, and quantities
*per kilogram of catalyst* for normalised currents and capacities. Users and
papers speak in mA/g, mAh/g, minutes, hours, mV/s and °C. This module converts
between the two; the protocol parser, the readers, the CLI and the plots use
it, nothing else does.

Useful identities: 1 mA/g = 1 A/kg; 1 mAh/g = 3600 C/kg = 3.6 C/g.
"""

from __future__ import annotations

import math
import re
from typing import Any

from metalair.errors import ParameterError

__all__ = [
    "parse_quantity",
    "to_user",
    "UNITS",
    "mA_per_g",
    "mAh_per_g",
    "A_per_kg_to_mA_per_g",
    "C_per_kg_to_mAh_per_g",
]

# unit text -> (dimension, factor to SI)
UNITS: dict[str, tuple[str, float]] = {
    # specific current (per mass of catalyst) -> A/kg
    "mA/g": ("specific current", 1.0),
    "A/g": ("specific current", 1000.0),
    "A/kg": ("specific current", 1.0),
    "uA/g": ("specific current", 1e-3),
    "µA/g": ("specific current", 1e-3),
    "mA/mg": ("specific current", 1000.0),
    # specific capacity -> C/kg
    "mAh/g": ("specific capacity", 3600.0),
    "Ah/g": ("specific capacity", 3.6e6),
    "Ah/kg": ("specific capacity", 3600.0),
    "C/kg": ("specific capacity", 1.0),
    "C/g": ("specific capacity", 1000.0),
    # specific energy -> J/kg
    "mWh/g": ("specific energy", 3600.0),
    "Wh/kg": ("specific energy", 3600.0),
    "J/kg": ("specific energy", 1.0),
    # amount per mass of catalyst -> mol/kg
    "mol/g": ("specific amount", 1000.0),
    "mmol/g": ("specific amount", 1.0),
    "mol/kg": ("specific amount", 1.0),
    # amount rate per mass of catalyst -> mol/(s kg)
    "mol/s/g": ("specific amount rate", 1000.0),
    # potential -> V
    "V": ("potential", 1.0),
    "mV": ("potential", 1e-3),
    # time -> s
    "s": ("time", 1.0),
    "sec": ("time", 1.0),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "hr": ("time", 3600.0),
    "hours": ("time", 3600.0),
    "hour": ("time", 3600.0),
    "minutes": ("time", 60.0),
    "seconds": ("time", 1.0),
    # scan rate -> V/s
    "mV/s": ("scan rate", 1e-3),
    "V/s": ("scan rate", 1.0),
    # temperature (offset handled separately) -> K
    "K": ("temperature", 1.0),
    "°C": ("temperature", 1.0),
    "C": ("temperature", 1.0),
    # frequency -> Hz
    "Hz": ("frequency", 1.0),
    "kHz": ("frequency", 1e3),
    "mHz": ("frequency", 1e-3),
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([^\s\d].*?)?\s*$")


def parse_quantity(text: str, dimension: str | None = None) -> float:
    """Parse ``"100 mA/g"`` into an SI float (here 100.0 A/kg).

    Parameters
    ----------
    text : str
        A number followed by a unit from :data:`UNITS` (``"1.5 V"``,
        ``"500mAh/g"``, ``"30 min"``, ``"25 °C"``).
    dimension : str, optional
        If given, the unit must have this dimension (e.g. ``"specific current"``).

    Returns
    -------
    float
        The value in SI (A/kg, C/kg, V, s, V/s, K, Hz).

    Raises
    ------
    ParameterError
        If the text is not a number with a known unit of the right dimension.
    """
    match = _QUANTITY.match(str(text))
    if not match:
        raise ParameterError(
            f"could not read {text!r} as a quantity; write a number and a unit, e.g. '100 mA/g'"
        )
    value = float(match.group(1))
    unit = (match.group(2) or "").strip()
    if unit not in UNITS:
        allowed = sorted(u for u, (d, _) in UNITS.items() if dimension in (None, d))
        raise ParameterError(f"unknown unit {unit!r} in {text!r}; allowed units: {', '.join(allowed)}")
    dim, factor = UNITS[unit]
    if dimension is not None and dim != dimension:
        allowed = sorted(u for u, (d, _) in UNITS.items() if d == dimension)
        raise ParameterError(
            f"{text!r} is a {dim}, but a {dimension} is needed here; use one of: {', '.join(allowed)}"
        )
    if not math.isfinite(value):
        raise ParameterError(f"{text!r} is not a finite number")
    if dim == "temperature" and unit in ("°C", "C"):
        return value + 273.15
    return value * factor


def to_user(value_si: Any, unit: str) -> Any:
    """Convert an SI value (a float or an array) to the named user unit (inverse of :func:`parse_quantity`)."""
    if unit not in UNITS:
        raise ParameterError(f"unknown unit {unit!r}; allowed units: {', '.join(sorted(UNITS))}")
    dim, factor = UNITS[unit]
    if dim == "temperature" and unit in ("°C", "C"):
        return value_si - 273.15
    return value_si / factor


def mA_per_g(value: float) -> float:
    """Specific current in mA/g -> SI A/kg."""
    return value * 1.0


def mAh_per_g(value: float) -> float:
    """Specific capacity in mAh/g -> SI C/kg."""
    return value * 3600.0


def A_per_kg_to_mA_per_g(value: float) -> float:
    """Specific current in A/kg -> mA/g."""
    return value * 1.0


def C_per_kg_to_mAh_per_g(value: float) -> float:
    """Specific capacity in C/kg -> mAh/g."""
    return value / 3600.0
