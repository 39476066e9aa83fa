"""Built-in catalysts of Sun et al. (2025): NLRO (cascade, insertion host) and RuO2.

Descriptor values are the DFT numbers reported in the study (Ru 4d-band
centre and Ru–O ICOHP per catalytic state, free-energy charging
overpotential); the host couples are read from the study's XANES and
magnetometry statements and their positions set as noted.

References
----------
.. [1] Sun et al., "Cascade reactors for long-life solid-state sodium–air
   batteries", Nat. Commun. (2025).
"""

from __future__ import annotations

from metalair.catalysts.base import Catalyst, Descriptors, HostCouple
from metalair.constants import F
from metalair.units import from_user

SUN2025 = "Sun et al., Nat. Commun. (2025), 'Cascade reactors for long-life solid-state sodium-air batteries'"

#: Molar mass of Na[Li1/3Ru2/3]O2 [kg/mol] from IUPAC atomic weights
#: (Na 22.990, Li 6.94, Ru 101.07, O 15.999).
M_NLRO = float(from_user(22.98977 + 6.94 / 3 + 101.07 * 2 / 3 + 2 * 15.999, "g/mol"))
#: Molar mass of RuO2 [kg/mol].
M_RUO2 = float(from_user(101.07 + 2 * 15.999, "g/mol"))

NLRO = Catalyst(
    name="NLRO",
    formula="Na[Li1/3Ru2/3]O2",
    molar_mass=M_NLRO,
    description="O3-type layered oxide and Na insertion host whose catalytic state switches with potential (cascade)",
    descriptors={
        "NaO2": Descriptors(-1.97, -1.55, stage=0, source=SUN2025 + ": state at 2.5 V, NaO2 adsorbed"),
        "Na2O2": Descriptors(-1.73, -1.87, stage=1, source=SUN2025 + ": state at 3.5 V, Na2O2 adsorbed"),
        "Na2CO3": Descriptors(-1.60, -2.15, stage=2, source=SUN2025 + ": state at 4.5 V, Na2CO3 adsorbed"),
    },
    free_energy_overpotential=0.207,
    host_couples=(
        HostCouple(
            name="Ru4+/Ru4.45+",
            # 0.45 e per Ru x 2/3 Ru per formula unit = 0.30 e per formula unit
            standard_potential=3.30,
            capacity=0.30 * F / M_NLRO,
            width=0.05,
            rate_constant=0.05,
            source=SUN2025 + ": Ru 4+ -> ~4.45+ by 3.5 V (XANES); E0 fitted (width 0.05 V assumed) so that "
            "the couple is 98 % complete at 3.5 V (Ru 4.44+ there)",
        ),
        HostCouple(
            name="O2-/(O2)n-",
            # lattice-oxygen redox; 0.15 e per formula unit (assumed, order of the Li-pinned O3->O1 change)
            standard_potential=4.30,
            capacity=0.15 * F / M_NLRO,
            width=0.05,
            rate_constant=0.05,
            source=SUN2025 + ": (O2)n- species at 4.5 V (reductive coupling); E0 fitted (width 0.05 V "
            "assumed) so that the couple is 98 % complete at 4.5 V; capacity 0.15 e/f.u. assumed",
        ),
    ),
    sources={
        "descriptors": SUN2025,
        "free_energy_overpotential": SUN2025 + " (DFT charging overpotential 0.207 V)",
        "molar_mass": "IUPAC standard atomic weights",
    },
)

#: Values of the built-in catalysts fitted to the study's observations (the rest are its DFT numbers,
#: atomic weights or assumptions): "catalyst: couple field" -> the observation that fixes it.
FITTED: dict[str, str] = {
    "NLRO: Ru4+/Ru4.45+ standard_potential": "P11: Ru valence ~4.45+ by 3.5 V on charge (Ru K-edge XANES)",
    "NLRO: O2-/(O2)n- standard_potential": "P11, second part: lattice-oxygen redox ((O2)n- species at 4.5 V, the "
                                           "study's in-situ characterisation) after the Ru couple: < 10 % "
                                           "oxidised at 3.5 V, > 90 % by 4.5 V",
}


def fitted_values() -> list[dict[str, object]]:
    """The fitted catalyst values: name, value and the observation that fixes each."""
    by_name = {"NLRO": NLRO}
    rows: list[dict[str, object]] = []
    for key, why in FITTED.items():
        cat_name, rest = key.split(": ", 1)
        couple, field = rest.rsplit(" ", 1)
        hc = next(c for c in by_name[cat_name].host_couples if c.name == couple)
        rows.append({"parameter": key, "value": getattr(hc, field), "identified by": why})
    return rows


RUO2 = Catalyst(
    name="RuO2",
    formula="RuO2",
    molar_mass=M_RUO2,
    description="commercial conversion-type reference catalyst with one fixed active state",
    descriptors={
        "NaO2": Descriptors(-1.57, -1.54, source=SUN2025 + ": NaO2 adsorbed"),
        "Na2O2": Descriptors(-1.55, -1.68, source=SUN2025 + ": Na2O2 adsorbed"),
        "Na2CO3": Descriptors(-1.51, -1.71, source=SUN2025 + ": Na2CO3 adsorbed"),
    },
    free_energy_overpotential=0.855,
    host_couples=(),
    sources={
        "descriptors": SUN2025,
        "free_energy_overpotential": SUN2025 + " (DFT charging overpotential 0.855 V)",
        "molar_mass": "IUPAC standard atomic weights",
    },
)

CATALYSTS = {"NLRO": NLRO, "RuO2": RUO2}
