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
    # magnetic field strength H -> A/m (1 Oe = 1000/(4 pi) A/m; tesla means mu0*H)
    "A/m": ("magnetic field", 1.0),
    "Oe": ("magnetic field", 1000.0 / (4.0 * math.pi)),
    "kOe": ("magnetic field", 1.0e6 / (4.0 * math.pi)),
    "T": ("magnetic field", 1.0e7 / (4.0 * math.pi)),
    "mT": ("magnetic field", 1.0e4 / (4.0 * math.pi)),
    # magnetic moment -> A m^2 (1 emu = 1e-3 A m^2)
    "A m2": ("magnetic moment", 1.0),
    "emu": ("magnetic moment", 1.0e-3),
    # molar magnetic susceptibility -> m^3/mol (CGS cm^3/mol = emu/(mol Oe): x 4 pi 1e-6)
    "m3/mol": ("molar susceptibility", 1.0),
    "cm3/mol": ("molar susceptibility", 4.0e-6 * math.pi),
    "emu/mol": ("molar susceptibility", 4.0e-6 * math.pi),
    "emu/(mol Oe)": ("molar susceptibility", 4.0e-6 * math.pi),
    # Curie constant (molar susceptibility x temperature) -> m^3 K/mol
    "m3 K/mol": ("Curie constant", 1.0),
    "cm3 K/mol": ("Curie constant", 4.0e-6 * math.pi),
    "emu K/mol": ("Curie constant", 4.0e-6 * math.pi),
    # mass -> kg
    "kg": ("mass", 1.0),
    "g": ("mass", 1.0e-3),
    "mg": ("mass", 1.0e-6),
    # molar mass -> kg/mol
    "g/mol": ("molar mass", 1.0e-3),
    "kg/mol": ("molar mass", 1.0),
    # photon energy -> eV (spectroscopy keeps eV; 1 keV = 1000 eV)
    "eV": ("photon energy", 1.0),
    "keV": ("photon energy", 1.0e3),
    # length (wavelengths, lattice spacings) -> m
    "m": ("length", 1.0),
    "nm": ("length", 1.0e-9),
    "Å": ("length", 1.0e-10),
    "angstrom": ("length", 1.0e-10),
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
