"""The one place where user units meet SI.

Inside metalair everything is SI: A, V, s, C, mol, m, K, Pa, and quantities
*per kilogram of catalyst* for normalised currents and capacities. Users and
papers speak in mA/g, mAh/g, minutes, hours, mV/s and °C; cycler files in mA,
mAh and mWh. This module converts between the two; the protocol steps and
their parser, the readers, the CLI and the plots use it, and no other module
writes a conversion factor.

Useful identities: 1 mA/g = 1 A/kg; 1 mAh/g = 3600 C/kg = 3.6 C/g.

Functions
---------
:func:`parse_quantity`
    ``"100 mA/g"`` -> SI float.
:func:`from_user` / :func:`to_user`
    A number or an array in a named unit -> SI, and back.
:func:`convert`
    Between two units of one dimension (e.g. mAh -> Ah for cycler columns).
:func:`find_unit`
    Recognise a unit as files spell it (any case, ``µ`` or ``u``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from metalair.constants import HOUR
from metalair.errors import ParameterError

__all__ = [
    "units_of",
    "is_bare_number",
    "split_quantity",
    "parse_quantity",
    "to_user",
    "from_user",
    "convert",
    "find_unit",
    "dimension_of",
    "UNITS",
    "mA_per_g",
    "mAh_per_g",
    "A_per_kg_to_mA_per_g",
    "C_per_kg_to_mAh_per_g",
]

_HOUR = HOUR  # s per h (metalair.constants): every conversion involving hours goes through this table

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
    "mAh/g": ("specific capacity", _HOUR),
    "Ah/g": ("specific capacity", 1000.0 * _HOUR),
    "mAh/mg": ("specific capacity", 1000.0 * _HOUR),
    "Ah/kg": ("specific capacity", _HOUR),
    "C/kg": ("specific capacity", 1.0),
    "C/g": ("specific capacity", 1000.0),
    # specific energy -> J/kg
    "mWh/g": ("specific energy", _HOUR),
    "Wh/kg": ("specific energy", _HOUR),
    "J/kg": ("specific energy", 1.0),
    # amount per mass of catalyst -> mol/kg
    "mol/g": ("specific amount", 1000.0),
    "mmol/g": ("specific amount", 1.0),
    "mol/kg": ("specific amount", 1.0),
    # amount rate per mass of catalyst -> mol/(s kg)
    "mol/s/g": ("specific amount rate", 1000.0),
    # amount rate (calibrated DEMS gas fluxes) -> mol/s
    "mol/s": ("amount rate", 1.0),
    "mmol/s": ("amount rate", 1e-3),
    "umol/s": ("amount rate", 1e-6),
    "µmol/s": ("amount rate", 1e-6),
    "nmol/s": ("amount rate", 1e-9),
    "pmol/s": ("amount rate", 1e-12),
    "mol/min": ("amount rate", 1.0 / 60.0),
    "umol/min": ("amount rate", 1e-6 / 60.0),
    "µmol/min": ("amount rate", 1e-6 / 60.0),
    "nmol/min": ("amount rate", 1e-9 / 60.0),
    "mol/h": ("amount rate", 1.0 / _HOUR),
    "umol/h": ("amount rate", 1e-6 / _HOUR),
    "µmol/h": ("amount rate", 1e-6 / _HOUR),
    # cell current (cycler files) -> A
    "A": ("current", 1.0),
    "Amps": ("current", 1.0),  # Maccor's spelled-out column units
    "Amp": ("current", 1.0),
    "mA": ("current", 1e-3),
    "uA": ("current", 1e-6),
    "µA": ("current", 1e-6),
    "nA": ("current", 1e-9),
    "μA": ("current", 1e-6),  # Greek mu, as some instruments write it
    # current density (per electrode area) -> A/m²
    "A/m²": ("current density", 1.0),
    "A/m2": ("current density", 1.0),
    "mA/cm²": ("current density", 10.0),
    "mA/cm2": ("current density", 10.0),
    # electrical resistance (impedance spectra) -> Ω
    "Ω": ("resistance", 1.0),
    "Ohm": ("resistance", 1.0),
    "ohm": ("resistance", 1.0),
    "Ohms": ("resistance", 1.0),
    "ohms": ("resistance", 1.0),
    "kΩ": ("resistance", 1e3),
    "kOhm": ("resistance", 1e3),
    "kohm": ("resistance", 1e3),
    "MΩ": ("resistance", 1e6),
    "MOhm": ("resistance", 1e6),
    "Mohm": ("resistance", 1e6),
    "mΩ": ("resistance", 1e-3),
    "mOhm": ("resistance", 1e-3),
    "mohm": ("resistance", 1e-3),
    # charge (cycler files) -> C ("C" alone means °C in protocol text; see _ONLY_WITH_DIMENSION)
    "Ah": ("charge", _HOUR),
    "mAh": ("charge", 1e-3 * _HOUR),
    "uAh": ("charge", 1e-6 * _HOUR),
    "A.h": ("charge", _HOUR),
    "mA.h": ("charge", 1e-3 * _HOUR),
    "uA.h": ("charge", 1e-6 * _HOUR),
    "Ahr": ("charge", _HOUR),  # cycler exports' spellings (Maccor 'AHr', 'mAhr')
    "mAhr": ("charge", 1e-3 * _HOUR),
    "As": ("charge", 1.0),
    "mAs": ("charge", 1e-3),
    "uAs": ("charge", 1e-6),
    "mC": ("charge", 1e-3),
    # energy (cycler files) -> J
    "J": ("energy", 1.0),
    "mJ": ("energy", 1e-3),
    "Wh": ("energy", _HOUR),
    "mWh": ("energy", 1e-3 * _HOUR),
    "uWh": ("energy", 1e-6 * _HOUR),
    "W.h": ("energy", _HOUR),
    "mW.h": ("energy", 1e-3 * _HOUR),
    "kWh": ("energy", 1e3 * _HOUR),
    "Whr": ("energy", _HOUR),
    "mWhr": ("energy", 1e-3 * _HOUR),
    "Ws": ("energy", 1.0),
    "mWs": ("energy", 1e-3),
    # mass -> kg
    "kg": ("mass", 1.0),
    "g": ("mass", 1e-3),
    "mg": ("mass", 1e-6),
    "ug": ("mass", 1e-9),
    "µg": ("mass", 1e-9),
    # potential -> V
    "V": ("potential", 1.0),
    "Volts": ("potential", 1.0),
    "Volt": ("potential", 1.0),
    "mV": ("potential", 1e-3),
    "uV": ("potential", 1e-6),
    "µV": ("potential", 1e-6),
    # time -> s
    "s": ("time", 1.0),
    "sec": ("time", 1.0),
    "ms": ("time", 1e-3),
    "min": ("time", 60.0),
    "h": ("time", _HOUR),
    "hr": ("time", _HOUR),
    "hours": ("time", _HOUR),
    "hour": ("time", _HOUR),
    "minutes": ("time", 60.0),
    "minute": ("time", 60.0),
    "mins": ("time", 60.0),
    "hrs": ("time", _HOUR),
    "seconds": ("time", 1.0),
    "second": ("time", 1.0),
    "secs": ("time", 1.0),
    "d": ("time", 24.0 * _HOUR),
    "day": ("time", 24.0 * _HOUR),
    "days": ("time", 24.0 * _HOUR),
    # scan rate -> V/s
    "mV/s": ("scan rate", 1e-3),
    "V/s": ("scan rate", 1.0),
    "uV/s": ("scan rate", 1e-6),
    "µV/s": ("scan rate", 1e-6),
    "mV/min": ("scan rate", 1e-3 / 60.0),
    # temperature (offset handled separately) -> K
    "K": ("temperature", 1.0),
    "°C": ("temperature", 1.0),
    "C": ("temperature", 1.0),
    "degC": ("temperature", 1.0),
    # catalyst loading per electrode area -> kg/m²
    "kg/m²": ("areal loading", 1.0),
    "g/m²": ("areal loading", 1e-3),
    "mg/cm²": ("areal loading", 1e-2),
    "kg/m2": ("areal loading", 1.0),  # ASCII spellings, as the current densities have them
    "g/m2": ("areal loading", 1e-3),
    "mg/cm2": ("areal loading", 1e-2),
    # surface area per mass -> m²/kg
    "m²/kg": ("specific area", 1.0),
    "m²/g": ("specific area", 1e3),
    "m2/kg": ("specific area", 1.0),
    "m2/g": ("specific area", 1e3),
    # pressure (gas partial pressures) -> Pa; the standard atmosphere is 101325 Pa by definition
    "Pa": ("pressure", 1.0),
    "kPa": ("pressure", 1e3),
    "MPa": ("pressure", 1e6),
    "mbar": ("pressure", 1e2),
    "bar": ("pressure", 1e5),
    "atm": ("pressure", 101325.0),
    # frequency -> Hz
    "Hz": ("frequency", 1.0),
    "kHz": ("frequency", 1e3),
    "mHz": ("frequency", 1e-3),
    "MHz": ("frequency", 1e6),
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
    # molar mass -> kg/mol
    "g/mol": ("molar mass", 1.0e-3),
    "kg/mol": ("molar mass", 1.0),
    # photon energy -> eV (spectroscopy keeps eV; 1 keV = 1000 eV)
    "eV": ("photon energy", 1.0),
    "keV": ("photon energy", 1.0e3),
    # area-specific resistance -> Ω m²
    "Ω m²": ("area-specific resistance", 1.0),
    "Ω cm²": ("area-specific resistance", 1.0e-4),
    "Ω·cm²": ("area-specific resistance", 1.0e-4),
    "Ω.cm2": ("area-specific resistance", 1.0e-4),
    "Ω cm2": ("area-specific resistance", 1.0e-4),
    "Ohm.cm2": ("area-specific resistance", 1.0e-4),
    "ohm.cm2": ("area-specific resistance", 1.0e-4),
    "ohm cm2": ("area-specific resistance", 1.0e-4),
    "Ohm.cm²": ("area-specific resistance", 1.0e-4),
    "Ohm·cm²": ("area-specific resistance", 1.0e-4),
    "ohm·cm²": ("area-specific resistance", 1.0e-4),
    "Ohm cm²": ("area-specific resistance", 1.0e-4),
    "Ohm cm2": ("area-specific resistance", 1.0e-4),
    "Ohm*cm2": ("area-specific resistance", 1.0e-4),
    "Ohm*cm²": ("area-specific resistance", 1.0e-4),
    "Ohm cm^2": ("area-specific resistance", 1.0e-4),
    "Ω cm^2": ("area-specific resistance", 1.0e-4),
    "Ω*cm2": ("area-specific resistance", 1.0e-4),
    "Ω·m²": ("area-specific resistance", 1.0),
    "Ohm m2": ("area-specific resistance", 1.0),
    "Ohm m^2": ("area-specific resistance", 1.0),
    # length (wavelengths, lattice spacings) -> m
    "m": ("length", 1.0),
    "nm": ("length", 1.0e-9),
    "pm": ("length", 1.0e-12),
    "Å": ("length", 1.0e-10),
    "angstrom": ("length", 1.0e-10),
}

#: Units whose text means something else without a dimension: "C" is °C in
#: protocol text but coulomb in a cycler column "Q/C".
_ONLY_WITH_DIMENSION: dict[tuple[str, str], float] = {("charge", "C"): 1.0}

_CELSIUS = ("°C", "C", "degC")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([^\s\d].*?)?\s*$")


def units_of(dimension: str | None) -> list[str]:
    """The unit texts of a dimension (all units for ``None``), in the table's order.

    With those valid only for that dimension (``"C"`` for a charge): what error messages list as accepted.
    """
    units = [u for u, (d, _) in UNITS.items() if dimension in (None, d)]
    return units + [u for (d, u) in _ONLY_WITH_DIMENSION if d == dimension and u not in units]


def _allowed(dimension: str | None) -> list[str]:
    """:func:`units_of`, sorted."""
    return sorted(set(units_of(dimension)))


def _norm(text: str) -> str:
    """A unit's spelling, case and the micro sign aside; a middle dot is a product dot (``mA·h`` is ``mA.h``)."""
    return (text.strip().replace("µ", "u").replace("μ", "u").replace("·", ".").replace("⋅", ".")
            .replace(" ", "").lower())


def _unknown_unit(unit: str, dimension: str | None, where: str = "") -> ParameterError:
    """The error for a unit not in :data:`UNITS`: a close spelling first, then what is allowed."""
    import difflib

    allowed = _allowed(dimension)
    same = [u for u in allowed if _norm(u) == _norm(unit)]
    if same:
        hint = f"; did you mean {same[0]!r}? (units are case-sensitive: m is milli, M is mega)"
    else:
        close = difflib.get_close_matches(unit, allowed, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    listed = (f"allowed units: {', '.join(allowed)}" if dimension is not None else
              "units are written as in metalair.units.UNITS, e.g. mA/g, mAh/g, V, mV/s, h")
    return ParameterError(f"unknown unit {unit!r}{where}{hint}; {listed}")


def _factor(unit: str, dimension: str | None = None) -> tuple[str, float]:
    """Dimension and factor to SI of a unit written exactly as in :data:`UNITS`."""
    if dimension is not None and (dimension, unit) in _ONLY_WITH_DIMENSION:
        return dimension, _ONLY_WITH_DIMENSION[(dimension, unit)]
    if unit not in UNITS:
        raise _unknown_unit(unit, dimension)
    dim, factor = UNITS[unit]
    if dimension is not None and dim != dimension:
        allowed = _allowed(dimension)
        raise ParameterError(f"unit {unit!r} is {_a(dim)} {dim} unit, but {_a(dimension)} {dimension} is needed "
                             f"here; use one of: {', '.join(allowed)}")
    return dim, factor


def dimension_of(unit: str) -> str:
    """The dimension of a unit of :data:`UNITS` (``"mA/g"`` -> ``"specific current"``)."""
    return _factor(unit)[0]


def is_bare_number(text: Any) -> bool:
    """True if ``text`` reads as a number with no unit (``"1.5"``, ``"-3e2"``)."""
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def split_quantity(text: Any) -> tuple[float, str] | None:
    """``(number, unit text)`` of a number written with a unit (``"0.3 mg/cm2"`` -> ``(0.3, "mg/cm2")``).

    None for anything else: a bare number, text without a leading number, a non-string. The unit is not
    checked; :func:`find_unit` says whether it is a known one.
    """
    match = _QUANTITY.match(text) if isinstance(text, str) else None
    if match is None or not match.group(2):
        return None
    return float(match.group(1)), match.group(2)


def _a(noun: str) -> str:
    """The indefinite article of ``noun`` ("a specific capacity", "an areal loading")."""
    return "an" if noun[:1].lower() in "aeiou" else "a"


def parse_quantity(text: str, dimension: str | None = None) -> float:
    """Parse ``"100 mA/g"`` into an SI float (here 100.0 A/kg).

    Parameters
    ----------
    text : str
        A number followed by a unit from :data:`UNITS` (``"1.5 V"``,
        ``"500mAh/g"``, ``"30 min"``, ``"25 °C"``).
    dimension : str, optional
        If given, the unit must have this dimension (e.g. ``"specific current"``).
        It also decides what ``"C"`` means: the coulomb for a ``"charge"``, else
        °C (as in :func:`from_user`).

    Returns
    -------
    float
        The value in SI (A/kg, C/kg, V, s, V/s, K, Hz).

    Raises
    ------
    ParameterError
        If the text is not a number with a known unit of the right dimension.
    """
    if dimension is not None and not any(d == dimension for d, _f in UNITS.values()):
        import difflib

        dims = sorted({d for d, _f in UNITS.values()})
        close = difflib.get_close_matches(str(dimension), dims, n=1)
        raise ParameterError(f"unknown dimension {dimension!r}" + (f"; did you mean {close[0]!r}?" if close else
                                                                   f"; known: {', '.join(dims)}"))
    match = _QUANTITY.match(str(text))
    if not match:
        example = {"potential": "1.5 V", None: "100 mA/g"}.get(
            dimension, next((f"1 {u}" for u, (d, _f) in UNITS.items() if d == dimension), "100 mA/g"))
        raise ParameterError(f"could not read {text!r} as a quantity; write a number and a unit, e.g. '{example}'")
    value = float(match.group(1))
    unit = (match.group(2) or "").strip()
    if not unit:  # a bare number in a string is as ambiguous as a bare number
        example = next((u for u, (d, _f) in UNITS.items() if d == dimension), "mA/g")
        allowed = _allowed(dimension) if dimension is not None else []
        raise ParameterError(
            f"{text!r} has no unit: write it with one, e.g. '{match.group(1)} {example}'"
            + (f" (units of a {dimension}: {', '.join(allowed)})" if allowed else "")
        )
    if dimension is not None and (dimension, unit) in _ONLY_WITH_DIMENSION:
        dim = dimension  # "C" is the coulomb where a charge is needed (°C otherwise)
    elif unit not in UNITS:
        raise _unknown_unit(unit, dimension, f" in {text!r}")
    else:
        dim = UNITS[unit][0]
    if dimension is not None and dim != dimension:
        allowed = _allowed(dimension)
        raise ParameterError(
            f"{text!r} is {_a(dim)} {dim}, but {_a(dimension)} {dimension} is needed here; "
            f"use one of: {', '.join(allowed)}"
        )
    if not math.isfinite(value):
        raise ParameterError(f"{text!r} is not a finite number")
    return float(from_user(value, unit, dim))


def from_user(value: Any, unit: str, dimension: str | None = None) -> Any:
    """Convert a value (a float or an array) in the named unit to SI (inverse of :func:`to_user`).

    Parameters
    ----------
    value : float or ndarray
        The number(s) in ``unit``.
    unit : str
        A unit of :data:`UNITS` (``"mAh/g"``, ``"mA"``, ``"h"``, ...).
    dimension : str, optional
        If given, the unit must have this dimension.
    """
    _refuse_non_number(value, "from_user", unit)
    dim, factor = _factor(unit, dimension)
    if dim == "temperature" and unit in _CELSIUS:
        return value + 273.15
    return value * factor


def to_user(value_si: Any, unit: str, dimension: str | None = None) -> Any:
    """Convert an SI value (a float or an array) to the named user unit (inverse of :func:`from_user`)."""
    _refuse_non_number(value_si, "to_user", unit)
    dim, factor = _factor(unit, dimension)
    if dim == "temperature" and unit in _CELSIUS:
        return value_si - 273.15
    return value_si / factor


def _refuse_non_number(value: Any, function: str, unit: str) -> None:
    """A clear error for None or text given to a conversion (``'5' * 1e-3`` fails, ``'5' * 3`` repeats the text)."""
    if value is None or isinstance(value, (str, bytes)):
        text = "the text " if isinstance(value, str) else ""
        raise ParameterError(f"{function}() takes a number or an array, got {text}{value!r}"
                             + (f"; for text with its unit use parse_quantity({value!r} + ' {unit}')"
                                if isinstance(value, str) else ""))


def convert(value: Any, from_unit: str, to_unit: str) -> Any:
    """Convert a value (a float or an array) between two units of one dimension (``"mAh"`` -> ``"Ah"``).

    Raises
    ------
    ParameterError
        If a unit is unknown or the two have different dimensions.
    """
    _refuse_non_number(value, "convert", from_unit)
    to_dim, _ = _factor(to_unit)
    return to_user(from_user(value, from_unit, to_dim), to_unit, to_dim)


def stored_unit(unit: str, allowed: Sequence[str]) -> tuple[str, float] | None:
    """The unit of ``allowed`` a table stores values given in ``unit`` as, and the factor to multiply them by.

    ``unit`` itself when allowed; else the allowed unit of the same dimension and size (a spelling:
    ``"Ohm"`` -> ``"Ω"``, factor 1), else the first allowed unit of the same dimension (``"mA"`` ->
    ``"A"``, factor 1e-3). ``None`` when no allowed unit has its dimension (or ``unit`` is unknown).
    """
    if unit in allowed:
        return unit, 1.0
    if unit not in UNITS:
        return None
    dim, factor = UNITS[unit]
    same = [u for u in allowed if u in UNITS and UNITS[u][0] == dim]
    exact = next((u for u in same if UNITS[u][1] == factor), None)
    if exact is not None:
        return exact, 1.0
    return (same[0], factor / UNITS[same[0]][1]) if same else None

def find_unit(text: str, dimension: str | None = None) -> str | None:
    """The unit of :data:`UNITS` that ``text`` spells in any case (``"MAH"``, ``"µA"`` -> ``"mAh"``, ``"uA"``).

    Cycler files write units in every case; the exact spelling wins, and a
    spelling that matches units of different size in another case (``"MOHM"``:
    MΩ or mΩ?) is refused as ambiguous. ``"C"`` means coulomb when
    ``dimension="charge"``. Returns ``None`` for an unknown or ambiguous unit.
    """
    raw = text.strip()
    if dimension is not None and (dimension, raw) in _ONLY_WITH_DIMENSION:
        return raw
    if raw in UNITS and dimension in (None, UNITS[raw][0]):
        return raw
    key = _norm(raw)
    for (dim, unit) in _ONLY_WITH_DIMENSION:
        if dim == dimension and _norm(unit) == key:
            return unit
    matches = [u for u, (d, _) in UNITS.items() if _norm(u) == key and dimension in (None, d)]
    if len({UNITS[u] for u in matches}) > 1:  # e.g. "MOHM": mega or milli
        return None
    return matches[0] if matches else None


def mA_per_g(value: float) -> float:
    """Specific current in mA/g -> SI A/kg."""
    return float(from_user(value, "mA/g"))


def mAh_per_g(value: float) -> float:
    """Specific capacity in mAh/g -> SI C/kg."""
    return float(from_user(value, "mAh/g"))


def A_per_kg_to_mA_per_g(value: float) -> float:
    """Specific current in A/kg -> mA/g."""
    return float(to_user(value, "mA/g"))


def C_per_kg_to_mAh_per_g(value: float) -> float:
    """Specific capacity in C/kg -> mAh/g."""
    return float(to_user(value, "mAh/g"))
