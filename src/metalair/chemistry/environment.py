"""The gas the air electrode breathes: temperature and partial pressures.

An :class:`Environment` is a frozen, validated record of temperature and the
partial pressures of the gases that take part in the cell chemistry (O2, CO2,
H2O). Reactions read gas activities a_i = p_i/p° from it (p° = 1 bar).

Built-ins: :data:`PURE_O2`, :data:`DRY_AIR`, :data:`AMBIENT_AIR`; look one up
by name with :func:`environment`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from metalair._validation import keyword_checked
from metalair.chemistry.species import _finite, did_you_mean
from metalair.constants import ENVIRONMENT_NAMES, P_STD
from metalair.errors import ParameterError
from metalair.units import parse_quantity

__all__ = [
    "Environment",
    "saturation_vapour_pressure_buck",
    "O2_FRACTION_DRY_AIR",
    "CO2_PPM_AMBIENT",
    "PURE_O2",
    "DRY_AIR",
    "AMBIENT_AIR",
    "ENVIRONMENTS",
    "ARGON",
    "environment",
]

#: Allowed temperature range of an environment [K].
T_MIN, T_MAX = 200.0, 400.0

#: O2 mole fraction of dry air: 0.209476 in the U.S. Standard Atmosphere, 1976
#: (NOAA-S/T 76-1562), rounded here to 0.2095.
O2_FRACTION_DRY_AIR = 0.2095

#: CO2 mole fraction of dry air [ppm]: global mean ≈ 419 ppm in 2023
#: (NOAA Global Monitoring Laboratory, Trends in atmospheric CO2), rounded.
CO2_PPM_AMBIENT = 420.0

#: Validity range of the Buck (1981) water-saturation fit used here [K].
BUCK_T_MIN, BUCK_T_MAX = 233.15, 323.15

#: Gas formula -> Environment field.
_GAS_FIELDS = {"O2": "p_O2", "CO2": "p_CO2", "H2O": "p_H2O"}


def saturation_vapour_pressure_buck(T: ArrayLike) -> float | np.ndarray:
    r"""Saturation vapour pressure of water over a plane liquid surface (Buck 1981).

    Parameters
    ----------
    T : array_like
        Temperature [K], within 233.15–323.15 K (−40 to +50 °C), the range
        of the fit.

    Returns
    -------
    float or ndarray
        e_w(T) [Pa]; 3168 Pa at 25 °C (tables: 3169.9 Pa).

    Raises
    ------
    ParameterError
        If a temperature is not finite or lies outside the fitted range.

    Notes
    -----
    .. math:: e_w = 611.21\,\exp\!\left(\frac{17.502\,t}{240.97 + t}\right)\ \mathrm{Pa},
       \qquad t = T - 273.15\ \mathrm{K}

    Pure water vapour; the small enhancement factor of moist air (≈1.004)
    is neglected.

    References
    ----------
    .. [1] A. L. Buck, "New equations for computing vapor pressure and
       enhancement factor", J. Appl. Meteorol. 20, 1527-1532 (1981).
       doi:10.1175/1520-0450(1981)020<1527:NEFCVP>2.0.CO;2
    """
    T_arr = np.asarray(T, float)
    if not np.all(np.isfinite(T_arr)) or np.any(T_arr < BUCK_T_MIN) or np.any(T_arr > BUCK_T_MAX):
        raise ParameterError(
            f"temperature T = {T_arr.tolist()} K is outside the Buck (1981) fit; allowed range "
            f"[{BUCK_T_MIN:g}, {BUCK_T_MAX:g}] K (−40 to +50 °C)"
        )
    t = T_arr - 273.15
    e = 611.21 * np.exp(17.502 * t / (240.97 + t))
    return float(e) if e.ndim == 0 else e


@keyword_checked
@dataclass(frozen=True)
class Environment:
    """Temperature and gas partial pressures at the air electrode.

    Parameters
    ----------
    name : str
        A label (``"ambient air"``).
    temperature : float or str
        Temperature [K], 200–400 K; or with its unit (``"25 °C"``, ``"298 K"``).
    p_O2, p_CO2, p_H2O : float or str
        Partial pressures of O2, CO2 and water vapour [Pa], finite and ≥ 0;
        or with a unit (``"21 kPa"``, ``"0.21 bar"``, ``"1 atm"``).
    total_pressure : float or str, optional
        Total gas pressure [Pa], default 1e5 (1 bar). The partial pressures
        must not add up to more than this; the rest is inert (N2, Ar).

    Notes
    -----
    Gas activities are a_i = p_i/p° with p° = 1e5 Pa (ideal gas).
    """

    name: str
    temperature: float
    p_O2: float
    p_CO2: float
    p_H2O: float
    total_pressure: float = P_STD

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ParameterError(f"Environment.name must be a non-empty string, got {self.name!r}")
        owner = f"Environment({self.name!r})"
        bare = {f: getattr(self, f) for f in _GAS_FIELDS.values() if not isinstance(getattr(self, f), str)}
        for field_name, dimension in (("temperature", "temperature"), ("total_pressure", "pressure"),
                                      *((f, "pressure") for f in _GAS_FIELDS.values())):
            value = getattr(self, field_name)
            if isinstance(value, str):  # a value with its unit, e.g. "21 kPa", "25 °C"
                try:
                    object.__setattr__(self, field_name, parse_quantity(value, dimension))
                except ParameterError as exc:
                    raise ParameterError(f"{owner}.{field_name}: {exc}") from None
        object.__setattr__(
            self, "temperature", _finite(owner, "temperature", self.temperature, T_MIN, T_MAX, unit="K")
        )
        object.__setattr__(
            self, "total_pressure", _finite(owner, "total_pressure", self.total_pressure, 0.0, lo_open=True, unit="Pa")
        )
        for gas_field in _GAS_FIELDS.values():
            value = _finite(owner, gas_field, getattr(self, gas_field), 0.0, self.total_pressure, unit="Pa")
            object.__setattr__(self, gas_field, value)
        # above saturation (where the Buck fit holds: outside it the saturation pressure is not known here)
        p_sat = (float(saturation_vapour_pressure_buck(self.temperature))
                 if BUCK_T_MIN <= self.temperature <= BUCK_T_MAX else math.inf)
        if self.p_H2O > p_sat * (1.0 + 1e-9):
            raise ParameterError(
                f"{owner}: p_H2O = {self.p_H2O:g} Pa exceeds the saturation pressure of water at "
                f"{self.temperature:g} K ({p_sat:.5g} Pa, Buck 1981): {100 * self.p_H2O / p_sat:.0f} % relative "
                "humidity; allowed: up to 100 % (Environment.from_relative_humidity takes it as a fraction)"
            )
        if len(bare) == len(_GAS_FIELDS) and 0.0 < self.p_O2 <= 1.0 and sum(bare.values()) <= 1.01:
            import warnings

            warnings.warn(
                f"{owner}: p_O2 = {self.p_O2:g} Pa, p_CO2 = {self.p_CO2:g} Pa, p_H2O = {self.p_H2O:g} Pa: partial "
                f"pressures are in Pa, so these look like bar or mole fractions (0.21 bar of O2 is 21000 or "
                f"'0.21 bar'); for trace gases, as in a glovebox, give the unit ('{self.p_O2:g} Pa') to say so",
                UserWarning, stacklevel=4)  # __post_init__, __init__, keyword_checked, the caller
        total = self.p_O2 + self.p_CO2 + self.p_H2O
        if total > self.total_pressure * (1.0 + 1e-12):
            raise ParameterError(
                f"{owner}: p_O2 + p_CO2 + p_H2O = {total:g} Pa exceeds total_pressure = "
                f"{self.total_pressure:g} Pa; allowed: a sum ≤ total_pressure"
            )

    @classmethod
    def from_relative_humidity(
        cls,
        name: str,
        T: float,
        rh: float,
        co2_ppm: float = CO2_PPM_AMBIENT,
        o2_fraction: float = O2_FRACTION_DRY_AIR,
        total_pressure: float = P_STD,
    ) -> Environment:
        """Moist air at a relative humidity.

        Parameters
        ----------
        name : str
            A label.
        T : float
            Temperature [K], 233.15–323.15 K (range of the Buck fit).
        rh : float
            Relative humidity, 0–1 (not percent).
        co2_ppm : float, optional
            CO2 mole fraction of the *dry* air [ppm], default 420.
        o2_fraction : float, optional
            O2 mole fraction of the *dry* air, default 0.2095.
        total_pressure : float, optional
            Total pressure [Pa], default 1e5.

        Returns
        -------
        Environment
            With p_H2O = rh · e_w(T) (:func:`saturation_vapour_pressure_buck`),
            and p_O2, p_CO2 = mole fraction × (total_pressure − p_H2O): the
            water vapour dilutes the dry air.
        """
        owner = f"Environment.from_relative_humidity({name!r})"
        rh = _finite(owner, "rh", rh, 0.0, 1.0, unit="(fraction, not %)")
        co2_ppm = _finite(owner, "co2_ppm", co2_ppm, 0.0, 1e6, unit="ppm")
        o2_fraction = _finite(owner, "o2_fraction", o2_fraction, 0.0, 1.0)
        if o2_fraction + co2_ppm * 1e-6 > 1.0:
            raise ParameterError(
                f"{owner}: o2_fraction + co2_ppm·1e-6 = {o2_fraction + co2_ppm * 1e-6:g} exceeds 1; "
                "allowed: mole fractions of the dry air that add up to ≤ 1"
            )
        T = _finite(owner, "T", T, BUCK_T_MIN, BUCK_T_MAX, unit="K")
        total_pressure = _finite(owner, "total_pressure", total_pressure, 0.0, lo_open=True, unit="Pa")
        p_H2O = rh * float(saturation_vapour_pressure_buck(T))
        if p_H2O > total_pressure:
            raise ParameterError(
                f"{owner}: water vapour {p_H2O:g} Pa exceeds total_pressure {total_pressure:g} Pa; "
                "raise the total pressure or lower rh"
            )
        dry = total_pressure - p_H2O
        return cls(name, T, o2_fraction * dry, co2_ppm * 1e-6 * dry, p_H2O, total_pressure)

    def partial_pressure(self, gas: str) -> float:
        """Partial pressure [Pa] of ``gas`` (``"O2"``, ``"CO2"`` or ``"H2O"``)."""
        try:
            return float(getattr(self, _GAS_FIELDS[gas]))
        except KeyError:
            raise ParameterError(
                did_you_mean(gas, list(_GAS_FIELDS), "gas", f"environment {self.name!r}")
                + " (the environment tracks only these gases)"
            ) from None

    def activity(self, gas: str) -> float:
        """Ideal-gas activity p/p° of ``gas`` with p° = 1e5 Pa."""
        return self.partial_pressure(gas) / P_STD

    @property
    def relative_humidity(self) -> float:
        """p_H2O / e_w(T); NaN outside the temperature range of the Buck fit."""
        if not BUCK_T_MIN <= self.temperature <= BUCK_T_MAX:
            return math.nan
        return self.p_H2O / float(saturation_vapour_pressure_buck(self.temperature))


#: 1 bar of dry O2 at 25 °C: the usual Na–O2 test gas.
PURE_O2 = Environment(ENVIRONMENT_NAMES[2], 298.15, p_O2=P_STD, p_CO2=0.0, p_H2O=0.0)

#: Dry air at 25 °C and 1 bar: 0.2095 bar O2, 420 ppm CO2, no water.
DRY_AIR = Environment(
    ENVIRONMENT_NAMES[1], 298.15, p_O2=O2_FRACTION_DRY_AIR * P_STD, p_CO2=CO2_PPM_AMBIENT * 1e-6 * P_STD, p_H2O=0.0
)

#: Ambient laboratory air: 25 °C, 20 % relative humidity, 420 ppm CO2, 1 bar.
AMBIENT_AIR = Environment.from_relative_humidity(ENVIRONMENT_NAMES[0], 298.15, rh=0.20, co2_ppm=CO2_PPM_AMBIENT)

#: An argon-filled cell at 25 °C: no O2, CO2 or water (the catalyst's own redox alone).
ARGON = Environment(ENVIRONMENT_NAMES[3], 298.15, p_O2=0.0, p_CO2=0.0, p_H2O=0.0)

#: Built-in environments by canonical key.
ENVIRONMENTS: dict[str, Environment] = {
    "argon": ARGON,
    "pure_o2": PURE_O2,
    "dry_air": DRY_AIR,
    "ambient_air": AMBIENT_AIR,
}

_ALIASES = {"ar": "argon", "o2": "pure_o2", "oxygen": "pure_o2", "air": "ambient_air", "ambient": "ambient_air"}


def environment(name_or_obj: str | Environment) -> Environment:
    """Return a built-in environment by name, or pass an :class:`Environment` through.

    Parameters
    ----------
    name_or_obj : str or Environment
        ``"pure O2"``, ``"dry air"``, ``"ambient air"`` (case, spaces, hyphens
        and underscores do not matter; ``"air"`` means ambient air), or an
        Environment.

    Raises
    ------
    ParameterError
        For an unknown name, with the closest built-in names.
    """
    if isinstance(name_or_obj, Environment):
        return name_or_obj
    if not isinstance(name_or_obj, str):
        raise ParameterError(
            f"environment must be an Environment or a name, got {type(name_or_obj).__name__} {name_or_obj!r}"
        )
    key = name_or_obj.strip().lower().replace(" ", "_").replace("-", "_")
    key = _ALIASES.get(key, key)
    if key in ENVIRONMENTS:
        return ENVIRONMENTS[key]
    raise ParameterError(did_you_mean(name_or_obj, environment_names(), "environment"))


def environment_names() -> list[str]:
    """The built-in environments as a user writes them: ``'ambient air'``, ``'dry air'``, ``'pure O2'``, ``'argon'``."""
    return list(ENVIRONMENT_NAMES)
