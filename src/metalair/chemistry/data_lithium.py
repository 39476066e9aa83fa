"""Lithium–oxygen–carbon chemistry, NBS/CRC data set.

Built with exactly the classes and code of the sodium chemistry: the
potentials below are computed, not typed in. Expected (298.15 K):
Li2O2 2.96 V vs Li+/Li (the value used throughout the Li–O2 literature,
e.g. Hummelshøj et al. 2010), Li2CO3 (2Li + CO2 + ½O2) 3.82 V (from the CRC
ΔfG of −1132.1 kJ/mol), Li–CO2 (4Li + 3CO2 → 2Li2CO3 + C) 2.80 V.

Data provenance
---------------
* Li, Li2O, Li2CO3, CO2, C, O2: CRC Handbook "Standard Thermodynamic
  Properties of Chemical Substances" (NBS values), checked against the copy
  in ``chemicals`` 1.5.2 [V].
* Li2O2: the CRC/NBS table gives only ΔfH° = −634.3 kJ/mol [V]; it has no
  ΔfG° or S°. ΔfG° = −570.7 kJ/mol and S° = 56.5 J/(mol K) are recalled
  literature values [R] (not re-checked here). They are ≈1.9 kJ/mol away
  from ΔfH − TΔfS with the CRC ΔfH, which suggests they belong to an
  evaluation with ΔfH ≈ −632.6 kJ/mol (JANAF-like); the reaction code then
  trusts ΔfG° (see :class:`~metalair.chemistry.reactions.Reaction`). The
  resulting E° = 2.957 V agrees with the literature 2.96 V.
* Densities: CRC "Physical Constants of Inorganic Compounds" [V].

References
----------
.. [1] D. D. Wagman et al., J. Phys. Chem. Ref. Data 11, Suppl. 2 (1982).
.. [2] W. M. Haynes (ed.), *CRC Handbook of Chemistry and Physics*, 97th ed.
   (CRC Press, 2016).
.. [3] J. S. Hummelshøj et al., "Communications: Elementary oxygen electrode
   reactions in the aprotic Li-air battery", J. Chem. Phys. 132, 071101
   (2010). doi:10.1063/1.3298994
"""

from __future__ import annotations

from functools import partial

from metalair.chemistry.data_sodium import SPECIES as _NA
from metalair.chemistry.reactions import Chemistry, Reaction
from metalair.chemistry.species import Species

__all__ = ["LITHIUM", "SPECIES", "REACTIONS"]

_CRC = "CRC Handbook (NBS, Wagman et al. 1982) [V]"
_CRC_DENSITY = "; density: CRC Physical Constants of Inorganic Compounds [V]"
_kJ = 1e3
_g_cm3 = 1e3

_rows = [
    Species("Li", "Li", dHf=0.0, dGf=0.0, S=29.1, phase="s", density=0.534 * _g_cm3, source=_CRC + _CRC_DENSITY),
    # the shared gases and carbon are the very same rows as in the sodium table
    _NA["O2"],
    _NA["CO2"],
    _NA["C"],
    Species(
        "Li2O2", "Li2O2", dHf=-634.3 * _kJ, dGf=-570.7 * _kJ, S=56.5, phase="s", density=2.31 * _g_cm3,
        source=(
            "ΔfH: CRC Handbook (NBS) [V]; ΔfG and S: recalled NBS/CRC-type literature values [R], "
            "not in the CRC table" + _CRC_DENSITY
        ),
    ),
    Species("Li2O", "Li2O", dHf=-597.9 * _kJ, dGf=-561.2 * _kJ, S=37.6, phase="s", density=2.013 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
    Species("Li2CO3", "Li2CO3", dHf=-1215.9 * _kJ, dGf=-1132.1 * _kJ, S=90.4, phase="s", density=2.11 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
]

#: The lithium species table, name → Species.
SPECIES: dict[str, Species] = {sp.name: sp for sp in _rows}

_rxn = partial(Reaction, species=SPECIES)

_reactions = [
    _rxn("Li2O2", {"Li": -2, "O2": -1, "Li2O2": 1}, 2, "Li–O2 peroxide; 2.96 V (Hummelshøj et al. 2010)"),
    _rxn("Li2O", {"Li": -4, "O2": -1, "Li2O": 2}, 4, "oxide"),
    _rxn("Li2O2_to_Li2O", {"Li2O2": -1, "Li": -2, "Li2O": 2}, 2, "peroxide reduced to oxide"),
    _rxn("Li2CO3", {"Li": -2, "CO2": -1, "O2": -0.5, "Li2CO3": 1}, 2, "carbonate in air; CRC/NBS data"),
    _rxn("Li_CO2", {"Li": -4, "CO2": -3, "Li2CO3": 2, "C": 1}, 4, "Li–CO2 cell"),
    _rxn("carbonation_Li2O2_dry", {"Li2O2": -1, "CO2": -1, "Li2CO3": 1, "O2": 0.5}, 0, "peroxide + dry CO2"),
]

#: The lithium reactions, name → Reaction.
REACTIONS: dict[str, Reaction] = {r.name: r for r in _reactions}

#: Li–O2 / Li–air chemistry (NBS/CRC data set; Li2O2 ΔfG, S recalled).
LITHIUM = Chemistry(
    name="lithium",
    metal="Li",
    species=SPECIES,
    reactions=REACTIONS,
    source="CRC Handbook (NBS, Wagman et al. 1982); Li2O2 ΔfG°, S° recalled [R]",
)
