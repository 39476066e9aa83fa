"""Cell and kinetic parameters of the lumped air-electrode model.

One frozen, validated dataclass. Every default carries its source in
:data:`SOURCES` (a value from the literature, a value derived from one, an
assumption, or a value fitted to the published observations, with how).
Catalyst-specific numbers are *not* here: they are the catalyst's
descriptors (:mod:`metalair.catalysts`), mapped to kinetics by the relation in
:mod:`metalair.catalysts.descriptors`. One parameter set therefore serves
every catalyst.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from metalair._validation import between, nonneg, pos, validate_fields
from metalair.errors import ParameterError

__all__ = ["LumpedParameters", "SOURCES", "DEFAULT_PARAMETERS"]


@dataclass(frozen=True)
class LumpedParameters:
    """Parameters of :class:`metalair.models.LumpedAirElectrode` (SI units; per kg of catalyst)."""

    # --- electrode and cell geometry ---
    specific_area: float = 2.0e4            # catalyst surface area A0 [m²/kg]
    loading: float = 5.0e-3                 # catalyst loading [kg/m²] (0.5 mg/cm²)
    double_layer_capacitance: float = 0.15  # [F/m²] of catalyst area
    electrolyte_conductivity: float = 0.10  # [S/m]
    electrolyte_thickness: float = 1.0e-4   # [m]
    anode_exchange_current: float = 10.0    # Na plating/stripping i0 [A/m²] geometric
    # --- oxygen supply ---
    o2_solubility: float = 4.4 / 101325.0   # Henry coefficient in TEGDME [mol/(m³ Pa)]
    o2_diffusivity: float = 2.17e-10        # [m²/s], TEGDME
    gel_liquid_fraction: float = 0.7        # liquid volume fraction of the swollen gel [-]
    o2_film_thickness: float = 1.0e-6       # electrolyte film between gas and reaction zone [m]
    gas_liquid_area: float = 2.0e3          # gas/electrolyte interfacial area [m²/kg]
    # --- transfer coefficients ---
    alpha_anodic: float = 0.5
    alpha_cathodic: float = 0.5
    # --- discharge (formation) kinetics, catalyst independent ---
    i0_form_NaO2: float = 0.05            # [A/m²] at air-saturated O2
    i0_form_Na2O2: float = 1.0e-12          # [A/m²]
    # --- decomposition kinetics: reference exchange currents at B = binding_ref, eta_FE = 0 ---
    i0_dec_NaO2: float = 5.0e-4             # [A/m²]
    i0_dec_Na2O2: float = 2.8e-16          # [A/m²]
    i0_dec_Na2CO3: float = 5.2e-19         # [A/m²]
    i0_dec_residue: float = 5.2e-20        # [A/m²]
    contact_thickness: float = 0.5e-9       # product layer that saturates product-catalyst contact [m]
    # --- descriptor relation ---
    gamma_d: float = 1.62                   # d(-ICOHP)/d(eps_d) [eV/eV]
    beta_binding: float = 0.5               # BEP slope for binding [-]
    beta_fe: float = 0.42                   # weight of eta_FE in the barrier [-]
    binding_ref: float = 1.5                # [eV]
    # --- growth morphology and passivation ---
    desorption_current_ref: float = 0.045   # j_des at d_band_ref [A/m²]
    gamma_ads: float = 0.14                 # d(E_ads)/d(eps_d) [eV/eV] (compressed)
    d_band_ref: float = -1.97               # [eV]
    solution_blocking: float = 0.0095       # blocking efficiency of solution-grown particles [-]
    film_blocking: float = 0.04             # blocking efficiency of surface-grown (film-like) product [-]
    tunnel_length: float = 7.0e-9           # l_m of the erf area law [m]
    tunnel_width: float = 1.0e-9            # l_sigma [m]
    residue_monolayer: float = 0.5e-9       # [m]
    residue_passivation_decades: float = 1.5  # i0 drop [decades] at full residue coverage
    # --- chemical conversions ---
    k_disproportionation: float = 5.0e-7    # 2 NaO2 -> Na2O2 + O2 [1/s]
    k_carbonation: float = 1.0e-8           # NaO2/Na2O2 + CO2 -> carbonate, solution-grown product [1/s] at p_CO2_ref
    k_film_carbonation: float = 7.0e-6      # the same for surface-grown (film-like) NaO2 [1/s] at p_CO2_ref
    k_film_attack: float = 3.0e-7           # surface-grown NaO2 + electrolyte -> residue [1/s]
    p_co2_ref: float = 42.0                 # [Pa] (420 ppm)
    k_electrolyte_attack: float = 1.0e-9    # NaO2 + electrolyte -> residue [1/s]
    # --- electrolyte oxidation (parasitic) ---
    electrolyte_oxidation_potential: float = 4.5   # [V vs Na+/Na]
    i0_electrolyte_oxidation: float = 1.0e-6       # [A/m²] at that potential
    alpha_electrolyte_oxidation: float = 0.5
    electrolyte_oxidation_deposit: float = 0.1     # fraction of oxidised electrolyte left as a film [-]
    # --- product data not in the chemistry tables ---
    hydrate_water: float = 1.0              # x in Na2CO3·xH2O [-]
    residue_molar_volume: float = 3.54e-5   # [m³/mol] (sodium formate 68.01 g/mol / 1.92 g/cm³)
    oxidised_electrolyte_molar_volume: float = 1.0e-4  # [m³/mol]
    # --- initial state ---
    initial_potential: float = 2.227        # cathode potential of a fresh cell [V]

    def __post_init__(self) -> None:
        validate_fields(self, {
            "specific_area": pos("m²/kg"),
            "loading": pos("kg/m²"),
            "double_layer_capacitance": pos("F/m²"),
            "electrolyte_conductivity": pos("S/m"),
            "electrolyte_thickness": pos("m"),
            "anode_exchange_current": pos("A/m²"),
            "o2_solubility": pos("mol/(m³ Pa)"),
            "o2_diffusivity": pos("m²/s"),
            "gel_liquid_fraction": between(0.0, 1.0, lo_open=True),
            "o2_film_thickness": pos("m"),
            "gas_liquid_area": pos("m²/kg"),
            "alpha_anodic": between(0.0, 1.0, lo_open=True, hi_open=True),
            "alpha_cathodic": between(0.0, 1.0, lo_open=True, hi_open=True),
            "i0_form_NaO2": pos("A/m²"),
            "i0_form_Na2O2": nonneg("A/m²"),
            "i0_dec_NaO2": pos("A/m²"),
            "i0_dec_Na2O2": pos("A/m²"),
            "i0_dec_Na2CO3": pos("A/m²"),
            "i0_dec_residue": nonneg("A/m²"),
            "contact_thickness": pos("m"),
            "gamma_d": between(0.0, 10.0, "eV/eV"),
            "beta_binding": between(0.0, 1.0),
            "beta_fe": between(0.0, 1.0),
            "binding_ref": between(0.0, 10.0, "eV"),
            "desorption_current_ref": pos("A/m²"),
            "gamma_ads": between(0.0, 5.0, "eV/eV"),
            "d_band_ref": between(-10.0, 2.0, "eV"),
            "solution_blocking": between(0.0, 1.0),
            "film_blocking": between(0.0, 1.0),
            "tunnel_length": pos("m"),
            "tunnel_width": pos("m"),
            "residue_monolayer": pos("m"),
            "residue_passivation_decades": between(0.0, 10.0),
            "k_disproportionation": nonneg("1/s"),
            "k_carbonation": nonneg("1/s"),
            "k_film_carbonation": nonneg("1/s"),
            "k_film_attack": nonneg("1/s"),
            "p_co2_ref": pos("Pa"),
            "k_electrolyte_attack": nonneg("1/s"),
            "electrolyte_oxidation_potential": between(3.0, 6.0, "V"),
            "i0_electrolyte_oxidation": nonneg("A/m²"),
            "alpha_electrolyte_oxidation": between(0.0, 1.0, lo_open=True, hi_open=True),
            "electrolyte_oxidation_deposit": between(0.0, 1.0),
            "hydrate_water": between(0.0, 10.0),
            "residue_molar_volume": pos("m³/mol"),
            "oxidised_electrolyte_molar_volume": pos("m³/mol"),
            "initial_potential": between(0.0, 6.0, "V", lo_open=True, hi_open=True),
        })

    def replace(self, **changes) -> "LumpedParameters":
        """A validated copy with some fields changed; unknown names are refused with suggestions."""
        known = {f.name for f in fields(self)}
        for name in changes:
            if name not in known:
                import difflib

                hint = difflib.get_close_matches(name, known, n=3)
                raise ParameterError(
                    f"LumpedParameters has no field {name!r}"
                    + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else "")
                )
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)


SOURCES: dict[str, str] = {}  # filled in below, one entry per field
DEFAULT_PARAMETERS = LumpedParameters()
