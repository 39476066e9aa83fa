"""The two reference catalysts of Sun et al. (2025) besides RuO2: NNRO and NLMO.

The study compares NLRO (Na[Li1/3Ru2/3]O2) with Na[Na1/3Ru2/3]O2 (NNRO, the
same Ru host without the Li that pins the structure) and Na[Li1/3Mn2/3]O2
(NLMO, Mn in place of Ru). It gives no DFT descriptor numbers for these two
in the form this package needs, so every value below is marked
**estimated** with how it was obtained. The estimates change only what the
chemistry of each compound dictates and transfer everything else from NLRO;
no new precision is invented:

* **NNRO** keeps the Ru 4d host and its Ru couple (values transferred from
  NLRO, capacity rescaled to the molar mass). Without the Li pinning, the
  high-potential lattice-oxygen redox of the Na-rich Ru oxide is not reversibly
  reachable (it depends on in-plane ordering and is accompanied by structural
  change, Mortemard de Boisse et al. 2016), so the O-redox couple and the
  stage-2 state are absent: Na2CO3 is decomposed in the stage-1 state, its
  ICOHP transferred from NLRO's stage-2 value along the package's d-band
  relation (B = −ICOHP + γ_d Δε_d, γ_d = 1.62 eV/eV).
* **NLMO**: Mn4+ cannot be oxidised further in the octahedral layer, so there
  is no metal couple; the only host couple is lattice-oxygen redox, whose
  plateau in Mn4+ layered sodium oxides with a non-redox cation in the metal
  layer lies near 4.2 V vs Na+/Na (Maitra et al. 2018). Without a metal couple
  the catalyst stays in its pristine state until the O-redox couple, so NaO2
  and Na2O2 are both decomposed at stage 0. No citable DFT d-band centre or
  ICOHP of Mn 3d in this structure with the adsorbed products was available;
  the NLRO values are transferred (Na2O2 moved to the stage-0 d-band along the
  same relation). NLMO therefore differs from NLRO in this model only through
  its missing metal couple and the O-redox potential: the Mn-vs-Ru difference
  of the binding itself is NOT represented.

References
----------
.. [1] Sun et al., "Cascade reactors for long-life solid-state sodium–air
   batteries", Nat. Commun. (2025).
.. [2] Mortemard de Boisse, B. et al. "Intermediate honeycomb ordering to trigger
   oxygen redox chemistry in layered battery electrode", Nat. Commun. 7, 11397 (2016).
   doi:10.1038/ncomms11397
.. [3] Maitra, U. et al. "Oxygen redox chemistry without excess alkali-metal ions in
   Na2/3[Mg0.28Mn0.72]O2", Nat. Chem. 10, 288 (2018). doi:10.1038/nchem.2923
.. [4] Prohaska, T. et al. Pure Appl. Chem. 94, 573 (2022). doi:10.1515/pac-2019-0603 (atomic weights)
"""

from __future__ import annotations

from metalair.catalysts.base import Catalyst, Descriptors, HostCouple
from metalair.catalysts.sets.sun2025 import NLRO, SUN2025
from metalair.constants import F
from metalair.units import from_user

__all__ = ["NNRO", "NLMO", "REFERENCE_CATALYSTS", "M_NNRO", "M_NLMO"]

#: Molar mass of Na[Na1/3Ru2/3]O2 (two thirds of Na2RuO3) [kg/mol], IUPAC 2021 weights.
M_NNRO = float(from_user(22.98976928 * (1 + 1 / 3) + 101.07 * 2 / 3 + 2 * 15.999, "g/mol"))
#: Molar mass of Na[Li1/3Mn2/3]O2 [kg/mol], IUPAC 2021 weights.
M_NLMO = float(from_user(22.98976928 + 6.94 / 3 + 54.938043 * 2 / 3 + 2 * 15.999, "g/mol"))

_GAMMA_D = 1.62  # eV/eV, the package's d-band relation slope (metalair.models.parameters, gamma_d)
_EST = "estimated"
_IUPAC = "IUPAC 2021 standard atomic weights (Prohaska et al., Pure Appl. Chem. 94, 573 (2022))"
_MDB2016 = "Mortemard de Boisse et al., Nat. Commun. 7, 11397 (2016), doi:10.1038/ncomms11397"
_MAITRA2018 = "Maitra et al., Nat. Chem. 10, 288 (2018), doi:10.1038/nchem.2923"


def _moved(d: Descriptors, eps_new: float) -> float:
    """ICOHP of a product in a state with d-band ``eps_new``, from its DFT state, rounded to 0.01 eV."""
    binding = -d.icohp + _GAMMA_D * (eps_new - d.d_band_centre)
    return round(-binding, 2)


_N = NLRO.descriptors
_RU = NLRO.host_couples[0]
_O = NLRO.host_couples[1]

NNRO = Catalyst(
    name="NNRO",
    formula="Na[Na1/3Ru2/3]O2",
    molar_mass=M_NNRO,
    description="Na-rich layered Ru oxide (Na2RuO3): NLRO's Ru host without the Li pinning; study reference",
    descriptors={
        "NaO2": Descriptors(_N["NaO2"].d_band_centre, _N["NaO2"].icohp, stage=0,
                            source=f"{_EST}: NLRO stage-0 value transferred (same Ru4+ host state); {SUN2025}"),
        "Na2O2": Descriptors(_N["Na2O2"].d_band_centre, _N["Na2O2"].icohp, stage=1,
                             source=f"{_EST}: NLRO stage-1 value transferred (same oxidised-Ru state); {SUN2025}"),
        "Na2CO3": Descriptors(_N["Na2O2"].d_band_centre, _moved(_N["Na2CO3"], _N["Na2O2"].d_band_centre), stage=1,
                              source=f"{_EST}: no reversible O-redox state without Li pinning ({_MDB2016}), so "
                              "Na2CO3 is decomposed in the stage-1 state; d-band = NLRO stage-1 value, ICOHP = NLRO "
                              "stage-2 value moved to that d-band with gamma_d = 1.62 eV/eV, rounded to 0.01 eV"),
    },
    free_energy_overpotential=NLRO.free_energy_overpotential,
    host_couples=(
        HostCouple(name=_RU.name, standard_potential=_RU.standard_potential, capacity=0.30 * F / M_NNRO,
                   width=_RU.width, rate_constant=_RU.rate_constant,
                   source=f"{_EST}: NLRO's Ru couple transferred (0.30 e per formula unit), capacity per kg of NNRO; "
                   f"{SUN2025}"),
    ),
    sources={
        "descriptors": f"{_EST}: transferred from NLRO (see each descriptor)",
        "free_energy_overpotential": f"{_EST}: NLRO's 0.207 V transferred (superoxide step on the same Ru4+ state)",
        "molar_mass": _IUPAC,
        "host_couples": f"{_EST}: Ru couple only; lattice-O redox not reversible without Li pinning ({_MDB2016})",
    },
)

NLMO = Catalyst(
    name="NLMO",
    formula="Na[Li1/3Mn2/3]O2",
    molar_mass=M_NLMO,
    description="Li-pinned layered Mn oxide: no metal couple (Mn4+), lattice-O redox only; study reference",
    descriptors={
        "NaO2": Descriptors(_N["NaO2"].d_band_centre, _N["NaO2"].icohp, stage=0,
                            source=f"{_EST}: NLRO stage-0 value transferred (no Mn 3d DFT value available); {SUN2025}"),
        "Na2O2": Descriptors(_N["NaO2"].d_band_centre, _moved(_N["Na2O2"], _N["NaO2"].d_band_centre), stage=0,
                             source=f"{_EST}: no metal couple (Mn4+), so Na2O2 is decomposed in the pristine state; "
                             "d-band = stage-0 value, ICOHP = NLRO stage-1 value moved to it with "
                             "gamma_d = 1.62 eV/eV, rounded to 0.01 eV"),
        "Na2CO3": Descriptors(_N["Na2CO3"].d_band_centre, _N["Na2CO3"].icohp, stage=1,
                              source=f"{_EST}: NLRO O-redox-state value transferred (state after lattice-O redox); "
                              f"{SUN2025}"),
    },
    free_energy_overpotential=NLRO.free_energy_overpotential,
    host_couples=(
        HostCouple(name="O2-/(O2)n-", standard_potential=4.2, capacity=0.15 * F / M_NLMO, width=_O.width,
                   rate_constant=_O.rate_constant,
                   source=f"{_EST}: E0 ~4.2 V, the lattice-O redox plateau of Mn4+ layered Na oxides ({_MAITRA2018}); "
                   "capacity 0.15 e per formula unit, width and rate constant as NLRO's O couple (assumed)"),
    ),
    sources={
        "descriptors": f"{_EST}: transferred from NLRO (see each descriptor); Mn-vs-Ru binding difference not "
                       "represented",
        "free_energy_overpotential": f"{_EST}: NLRO's 0.207 V transferred (no Mn value available)",
        "molar_mass": _IUPAC,
        "host_couples": f"{_EST}: no metal couple (Mn4+ not oxidisable in the octahedral layer); O-redox near 4.2 V "
                        f"({_MAITRA2018})",
    },
)

#: The study's additional reference catalysts, by name.
REFERENCE_CATALYSTS = {"NNRO": NNRO, "NLMO": NLMO}
