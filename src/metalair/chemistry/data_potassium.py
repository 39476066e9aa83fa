"""Potassium–oxygen chemistry, NBS/CRC data set.

A third metal through the same code. Expected (298.15 K): K + O2 → KO2
2.48 V vs K+/K, the value quoted for K–O2 cells (Ren & Wu 2013).

All rows: CRC Handbook "Standard Thermodynamic Properties of Chemical
Substances" (NBS values), checked against the copy in ``chemicals`` 1.5.2
[V]; densities from the CRC "Physical Constants of Inorganic Compounds" [V].

References
----------
.. [1] D. D. Wagman et al., J. Phys. Chem. Ref. Data 11, Suppl. 2 (1982).
.. [2] W. M. Haynes (ed.), *CRC Handbook of Chemistry and Physics*, 97th ed.
   (CRC Press, 2016).
.. [3] X. Ren and Y. Wu, "A low-overpotential potassium-oxygen battery based
   on potassium superoxide", J. Am. Chem. Soc. 135, 2923-2926 (2013).
   doi:10.1021/ja312059q
"""

from __future__ import annotations

from functools import partial

from metalair.chemistry.data_sodium import SPECIES as _NA
from metalair.chemistry.reactions import Chemistry, Reaction
from metalair.chemistry.species import Species

__all__ = ["POTASSIUM", "SPECIES", "REACTIONS"]

_CRC = "CRC Handbook (NBS, Wagman et al. 1982) [V]"
_CRC_DENSITY = "; density: CRC Physical Constants of Inorganic Compounds [V]"
_kJ = 1e3
_g_cm3 = 1e3

_rows = [
    Species("K", "K", dHf=0.0, dGf=0.0, S=64.7, phase="s", density=0.89 * _g_cm3, source=_CRC + _CRC_DENSITY),
    _NA["O2"],
    _NA["CO2"],
    _NA["C"],
    Species("KO2", "KO2", dHf=-284.9 * _kJ, dGf=-239.4 * _kJ, S=116.7, phase="s", density=2.16 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
    Species("K2O2", "K2O2", dHf=-494.1 * _kJ, dGf=-425.1 * _kJ, S=102.1, phase="s", source=_CRC),
    Species("K2CO3", "K2CO3", dHf=-1151.0 * _kJ, dGf=-1063.5 * _kJ, S=155.5, phase="s", source=_CRC),
]

#: The potassium species table, name → Species.
SPECIES: dict[str, Species] = {sp.name: sp for sp in _rows}

_rxn = partial(Reaction, species=SPECIES)

_reactions = [
    _rxn("KO2", {"K": -1, "O2": -1, "KO2": 1}, 1, "superoxide; 2.48 V (Ren & Wu 2013)"),
    _rxn("K2O2", {"K": -2, "O2": -1, "K2O2": 1}, 2, "peroxide"),
    _rxn("K2CO3", {"K": -2, "CO2": -1, "O2": -0.5, "K2CO3": 1}, 2, "carbonate in air"),
    _rxn("disproportionation", {"KO2": -2, "K2O2": 1, "O2": 1}, 0, "superoxide disproportionation"),
]

#: The potassium reactions, name → Reaction.
REACTIONS: dict[str, Reaction] = {r.name: r for r in _reactions}

#: K–O2 chemistry (NBS/CRC data set).
POTASSIUM = Chemistry(
    name="potassium",
    metal="K",
    species=SPECIES,
    reactions=REACTIONS,
    source="CRC Handbook (NBS, Wagman et al. 1982)",
)
