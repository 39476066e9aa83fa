"""Sodium–oxygen–carbon–hydrogen chemistry, NBS/CRC data set.

Every row is the CRC Handbook's "Standard Thermodynamic Properties of Chemical
Substances" table, which reproduces the NBS tables (Wagman et al. 1982), as
shipped in the ``chemicals`` package (1.5.2). Densities are the CRC "Physical
Constants of Inorganic Compounds" values (same source). One data set is used
throughout: mixing in JANAF values (Chase 1998) would shift potentials by
10-20 mV.

Nothing here is a potential: :class:`~metalair.chemistry.reactions.Reaction`
computes them. Expected results (NBS data, 298.15 K): NaO2
2.264 V, Na2O2 2.320 V, NaO2→Na2O2 2.377 V, Na2O 1.946 V, Na2CO3 3.368 V,
Na2CO3·H2O (water vapour) 3.432 V, Na–CO2 2.346 V.

References
----------
.. [1] D. D. Wagman et al., "The NBS tables of chemical thermodynamic
   properties", J. Phys. Chem. Ref. Data 11, Suppl. 2 (1982).
.. [2] W. M. Haynes (ed.), *CRC Handbook of Chemistry and Physics*, 97th ed.
   (CRC Press, 2016), "Standard Thermodynamic Properties of Chemical
   Substances" and "Physical Constants of Inorganic Compounds".
.. [3] J. D. Cox, D. D. Wagman and V. A. Medvedev, *CODATA Key Values for
   Thermodynamics* (Hemisphere, 1989): S°(O2, g) = 205.152, S°(H2, g) =
   130.680 J/(mol K).
.. [4] D. L. Parkhurst and C. A. J. Appelo, "Description of input and examples
   for PHREEQC version 3", USGS Techniques and Methods 6-A43 (2013),
   database minteq.v4.dat: log K = 0.637 for thermonatrite dissolution.
.. [5] M. W. Chase, *NIST-JANAF Thermochemical Tables*, 4th ed., J. Phys. Chem.
   Ref. Data Monograph 9 (1998).
"""

from __future__ import annotations

from functools import partial

from metalair.chemistry.reactions import Chemistry, Reaction
from metalair.chemistry.species import Species

__all__ = ["SODIUM", "SPECIES", "REACTIONS"]

_CRC = "CRC Handbook (NBS, Wagman et al. 1982) [V]"
_CRC_DENSITY = "; density: CRC Physical Constants of Inorganic Compounds [V]"
_CODATA = "CODATA Key Values (Cox, Wagman & Medvedev 1989); CRC lists {crc} [V]"

_kJ = 1e3
_g_cm3 = 1e3  # g/cm³ -> kg/m³

_rows = [
    # elements in their reference states
    Species("Na", "Na", dHf=0.0, dGf=0.0, S=51.3, phase="s", density=0.97 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
    Species("O2", "O2", dHf=0.0, dGf=0.0, S=205.15, phase="g", source=_CODATA.format(crc="205.2")),
    Species("H2", "H2", dHf=0.0, dGf=0.0, S=130.68, phase="g", source=_CODATA.format(crc="130.7")),
    Species("C", "C", dHf=0.0, dGf=0.0, S=5.74, phase="s", density=2.20 * _g_cm3,
            source="graphite; NBS (Wagman et al. 1982) S = 5.740, CRC lists 5.7 [V]" + _CRC_DENSITY),
    # gases and water
    Species("CO2", "CO2", dHf=-393.5 * _kJ, dGf=-394.4 * _kJ, S=213.8, phase="g", source=_CRC),
    Species("H2O(g)", "H2O", dHf=-241.8 * _kJ, dGf=-228.6 * _kJ, S=188.8, phase="g", source=_CRC),
    Species("H2O(l)", "H2O", dHf=-285.8 * _kJ, dGf=-237.1 * _kJ, S=70.0, phase="l", density=0.997 * _g_cm3,
            source=_CRC + "; density 0.997 g/cm³ at 25 °C (CRC) [R]"),
    # discharge products
    Species("NaO2", "NaO2", dHf=-260.2 * _kJ, dGf=-218.4 * _kJ, S=115.9, phase="s", density=2.20 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
    Species("Na2O2", "Na2O2", dHf=-510.9 * _kJ, dGf=-447.7 * _kJ, S=95.0, phase="s", density=2.805 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
    Species("Na2O", "Na2O", dHf=-414.2 * _kJ, dGf=-375.5 * _kJ, S=75.1, phase="s", density=2.27 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
    Species("NaOH", "NaOH", dHf=-425.8 * _kJ, dGf=-379.7 * _kJ, S=64.4, phase="s", density=2.13 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
    Species("Na2CO3", "Na2CO3", dHf=-1130.7 * _kJ, dGf=-1044.4 * _kJ, S=135.0, phase="s", density=2.54 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
    Species("NaHCO3", "NaHCO3", dHf=-950.8 * _kJ, dGf=-851.0 * _kJ, S=101.7, phase="s", density=2.20 * _g_cm3,
            source=_CRC + _CRC_DENSITY),
    Species(
        "Na2CO3·H2O", "Na2CO3·H2O", dHf=-1431.26 * _kJ, dGf=-1285.3 * _kJ, S=168.1, phase="s",
        density=2.25 * _g_cm3,
        source=(
            "thermonatrite; NBS (Wagman et al. 1982) [R]; ΔfG cross-checked "
            "−1285.1 kJ/mol from PHREEQC minteq.v4.dat log K = 0.637 (Parkhurst & Appelo 2013) [D]" + _CRC_DENSITY
        ),
    ),
]

#: The sodium species table, name → Species.
SPECIES: dict[str, Species] = {sp.name: sp for sp in _rows}

_rxn = partial(Reaction, species=SPECIES)
_NOTES = "NBS data (Wagman et al. 1982)"

_reactions = [
    # electrochemical, discharge direction, metal as metal; n = Na consumed
    _rxn("NaO2", {"Na": -1, "O2": -1, "NaO2": 1}, 1, f"superoxide; {_NOTES}; 2.27 V Hartmann et al. 2013"),
    _rxn("Na2O2", {"Na": -2, "O2": -1, "Na2O2": 1}, 2, f"peroxide; {_NOTES}"),
    _rxn("NaO2_to_Na2O2", {"NaO2": -1, "Na": -1, "Na2O2": 1}, 1, f"superoxide reduced to peroxide; {_NOTES}"),
    _rxn("Na2O", {"Na": -4, "O2": -1, "Na2O": 2}, 4, f"oxide; {_NOTES}"),
    _rxn("Na2O2_to_Na2O", {"Na2O2": -1, "Na": -2, "Na2O": 2}, 2, f"peroxide reduced to oxide; {_NOTES}"),
    _rxn("Na2CO3", {"Na": -2, "CO2": -1, "O2": -0.5, "Na2CO3": 1}, 2, f"carbonate in air; {_NOTES}"),
    _rxn(
        "Na2CO3·H2O", {"Na": -2, "CO2": -1, "O2": -0.5, "H2O(g)": -1, "Na2CO3·H2O": 1}, 2,
        f"carbonate monohydrate from water vapour; {_NOTES}",
    ),
    _rxn("Na_CO2", {"Na": -4, "CO2": -3, "Na2CO3": 2, "C": 1}, 4, f"Na–CO2 cell; {_NOTES}; 2.35 V Hu et al. 2017"),
    _rxn("NaOH", {"Na": -2, "O2": -0.5, "H2O(l)": -1, "NaOH": 2}, 2, f"hydroxide with liquid water; {_NOTES}"),
    # chemical (non-faradaic) steps
    _rxn("disproportionation", {"NaO2": -2, "Na2O2": 1, "O2": 1}, 0, f"superoxide disproportionation; {_NOTES}"),
    _rxn(
        "carbonation_NaO2", {"NaO2": -2, "CO2": -1, "H2O(g)": -1, "Na2CO3·H2O": 1, "O2": 1.5}, 0,
        f"superoxide + moist CO2 → carbonate hydrate; {_NOTES}",
    ),
    _rxn(
        "carbonation_Na2O2", {"Na2O2": -1, "CO2": -1, "H2O(g)": -1, "Na2CO3·H2O": 1, "O2": 0.5}, 0,
        f"peroxide + moist CO2 → carbonate hydrate; {_NOTES}",
    ),
    _rxn("carbonation_Na2O2_dry", {"Na2O2": -1, "CO2": -1, "Na2CO3": 1, "O2": 0.5}, 0,
         f"peroxide + dry CO2 → carbonate; {_NOTES}"),
    _rxn("hydration_Na2CO3", {"Na2CO3": -1, "H2O(g)": -1, "Na2CO3·H2O": 1}, 0,
         f"carbonate takes up water vapour; {_NOTES}"),
]

#: The sodium reactions, name → Reaction.
REACTIONS: dict[str, Reaction] = {r.name: r for r in _reactions}

#: Na–O2 / Na–air chemistry (NBS/CRC data set).
SODIUM = Chemistry(
    name="sodium",
    metal="Na",
    species=SPECIES,
    reactions=REACTIONS,
    source="CRC Handbook (NBS, Wagman et al. 1982)",
)
