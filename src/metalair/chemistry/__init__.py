"""The chemistry layer: species and reactions as cited data tables.

Equilibrium potentials are computed from formation data (ΔfH°, ΔfG°, S°),
never typed in::

    from metalair.chemistry import SODIUM, AMBIENT_AIR
    SODIUM.reactions["NaO2"].standard_potential()               # 2.264 V vs Na+/Na
    SODIUM.reactions["NaO2"].equilibrium_potential(298.15, AMBIENT_AIR)
    SODIUM.species["NaO2"].molar_volume                           # m³/mol

This layer imports only :mod:`metalair.errors` and :mod:`metalair.constants`.
"""

from __future__ import annotations

from metalair.chemistry.data_lithium import LITHIUM
from metalair.chemistry.data_potassium import POTASSIUM
from metalair.chemistry.data_sodium import SODIUM
from metalair.chemistry.environment import AMBIENT_AIR, ARGON, DRY_AIR, PURE_O2, Environment, environment
from metalair.chemistry.reactions import Chemistry, Reaction
from metalair.chemistry.species import Species, did_you_mean
from metalair.chemistry.thermo import nernst_potential
from metalair.errors import ParameterError

__all__ = [
    "Species",
    "Reaction",
    "Chemistry",
    "Environment",
    "SODIUM",
    "LITHIUM",
    "POTASSIUM",
    "PURE_O2",
    "DRY_AIR",
    "AMBIENT_AIR",
    "ARGON",
    "CHEMISTRIES",
    "environment",
    "get_chemistry",
    "nernst_potential",
]

#: Built-in chemistries by canonical name.
CHEMISTRIES: dict[str, Chemistry] = {"sodium": SODIUM, "lithium": LITHIUM, "potassium": POTASSIUM}

_ALIASES = {"na": "sodium", "li": "lithium", "k": "potassium"}


def get_chemistry(name: str | Chemistry) -> Chemistry:
    """Return a built-in chemistry by name or metal symbol.

    Parameters
    ----------
    name : str or Chemistry
        ``"sodium"``/``"Na"``, ``"lithium"``/``"Li"``, ``"potassium"``/``"K"``
        (any case), or a Chemistry, returned as is.

    Raises
    ------
    ParameterError
        For an unknown name, with the closest built-in names.
    """
    if isinstance(name, Chemistry):
        return name
    if not isinstance(name, str):
        raise ParameterError(f"chemistry must be a name or a Chemistry, got {type(name).__name__} {name!r}")
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in CHEMISTRIES:
        return CHEMISTRIES[key]
    raise ParameterError(did_you_mean(name, list(CHEMISTRIES), "chemistry") + " (or the metal symbol: Na, Li, K)")
