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

__all__ = ["LumpedParameters", "SOURCES", "DEFAULT_PARAMETERS", "RANGES"]


#: Allowed range of every field: (low, high, low_open, high_open, unit).
RANGES: dict = {
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
    "residue_blocking": between(0.0, 1.0),
    "tunnel_length": pos("m"),
    "tunnel_width": pos("m"),
    "residue_monolayer": pos("m"),
    "residue_passivation_decades": between(0.0, 10.0),
    "k_disproportionation": nonneg("1/s"),
    "k_carbonation": nonneg("1/s"),
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
}


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
    i0_dec_NaO2: float = 1.8e-3             # [A/m²]
    i0_dec_Na2O2: float = 3.5e-15          # [A/m²]
    i0_dec_Na2CO3: float = 6.3e-18         # [A/m²]
    i0_dec_residue: float = 6.3e-19        # [A/m²]
    contact_thickness: float = 0.5e-9       # product layer that saturates product-catalyst contact [m]
    # --- descriptor relation ---
    gamma_d: float = 1.62                   # d(-ICOHP)/d(eps_d) [eV/eV]
    beta_binding: float = 0.5               # BEP slope for binding [-]
    beta_fe: float = 0.39                   # weight of eta_FE in the barrier [-]
    binding_ref: float = 1.5                # [eV]
    # --- growth morphology and passivation ---
    desorption_current_ref: float = 0.045   # j_des at d_band_ref [A/m²]
    gamma_ads: float = 0.15                 # d(E_ads)/d(eps_d) [eV/eV] (compressed)
    d_band_ref: float = -1.97               # [eV]
    solution_blocking: float = 0.0095       # blocking efficiency of solution-grown particles [-]
    film_blocking: float = 0.04             # blocking efficiency of surface-grown (film-like) product [-]
    residue_blocking: float = 0.14          # the same for residue, oxidised electrolyte and exposed carbonate [-]
    tunnel_length: float = 7.0e-9           # l_m of the erf area law [m]
    tunnel_width: float = 1.0e-9            # l_sigma [m]
    residue_monolayer: float = 0.5e-9       # [m]
    residue_passivation_decades: float = 1.5  # i0 drop [decades] at full residue coverage
    # --- chemical conversions ---
    k_disproportionation: float = 5.5e-7    # 2 NaO2 -> Na2O2 + O2 [1/s]
    k_carbonation: float = 1.8e-7           # NaO2/Na2O2 + CO2 -> carbonate, solution-grown product [1/s] at p_CO2_ref
    p_co2_ref: float = 42.0                 # [Pa] (420 ppm)
    k_electrolyte_attack: float = 5.0e-9    # NaO2 + electrolyte -> residue [1/s]
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
        validate_fields(self, RANGES)

    @staticmethod
    def allowed_range(name: str) -> tuple:
        """(low, high, low_open, high_open, unit) accepted for field ``name``."""
        if name not in RANGES:
            import difflib

            hint = difflib.get_close_matches(name, RANGES, n=3)
            raise ParameterError(f"LumpedParameters has no field {name!r}"
                                 + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else ""))
        return RANGES[name]

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


#: Provenance of every default. Tags: [V] verified literature value, [D] derived from cited
#: values, [A] assumption, [F] fitted (which observation, how). The fit procedure for [F]
#: values: manual coordinate search on the reference protocol (100 mA/g full discharge to
#: 1.5 V then charge to 4.8 V, ambient air), one parameter set for both catalysts, targets
#: P1–P5 of system.md; each [F] line names the observation that pins it.
SOURCES: dict[str, str] = {
    "specific_area": "[A] 20 m²/g catalyst surface area (typical of oxide catalyst powders); same for both catalysts",
    "loading": "[V] 0.5 mg/cm² catalyst loading, Sun et al. 2025 (system.md)",
    "double_layer_capacitance": "[R] 0.15 F/m², typical of carbon/oxide electrodes (physics-notes §8, C_dl 0.1–0.2)",
    "electrolyte_conductivity": "[V] 1.0 mS/cm, PVDF-HFP–SiO2/NaClO4–TEGDME CPE, Hu et al., Sci. Adv. 3, e1602396 (2017)",
    "electrolyte_thickness": "[A] 100 µm film (thickness not given in the study; physics-notes §2.2)",
    "anode_exchange_current": "[A] 10 A/m² (1 mA/cm²) Na plating/stripping, low end of physics-notes §2.4 (1–10 mA/cm²)",
    "o2_solubility": "[R] 4.4 mM O2 in TEGDME at 1 atm, Laoire et al., J. Phys. Chem. C 114, 9178 (2010)",
    "o2_diffusivity": "[V] 2.17e-10 m²/s O2 in TEGDME, Laoire et al. (2010), as quoted in sampsonlau/superduperoxide",
    "gel_liquid_fraction": "[A] 0.7 liquid fraction of the swollen gel; D_gel = ε^1.5 D (Bruggeman, b = 1.5)",
    "o2_film_thickness": "[A] 1 µm electrolyte film between gas and reaction zone of an air-breathing Ni-foam electrode",
    "gas_liquid_area": "[A] 2000 m²/kg gas/electrolyte interfacial area (10 % of catalyst area)",
    "alpha_anodic": "[V] 0.5 symmetric transfer coefficient (standard; physics-notes §2.4)",
    "alpha_cathodic": "[V] 0.5 symmetric transfer coefficient (standard)",
    "i0_form_NaO2": "[F] 0.05 A/m² O2 reduction to superoxide; P1: discharge within ~5 mV of E(NaO2) at 100 mA/g "
                    "(the NaO2 overpotential on carbon is < 0.1 V, Hartmann et al., Nat. Mater. 12, 228 (2013))",
    "i0_form_Na2O2": "[A] 1e-12 A/m²: direct 2e- peroxide formation negligible; Na2O2 forms chemically (system.md)",
    "i0_dec_NaO2": "[F] 1.8e-3 A/m² at B = binding_ref, eta_FE = 0; P3: NLRO NaO2 plateau ≈2.5 V",
    "i0_dec_Na2O2": "[F] 3.5e-15 A/m²; P3: NLRO Na2O2 plateau ≈3.5 V (state 2)",
    "i0_dec_Na2CO3": "[F] 6.3e-18 A/m²; P3: NLRO carbonate plateau ≈4.5 V (state 3)",
    "i0_dec_residue": "[A] 1/10 of the carbonate value (carbonate-like residue, slower; physics-notes §4.3)",
    "contact_thickness": "[A] 0.5 nm: product–catalyst contact saturates at about a monolayer of product",
    "gamma_d": "[D] 1.62 eV/eV: slope of -ICOHP against the d-band centre across NLRO's three DFT states "
               "(-0.60 eV over +0.37 eV; Sun et al. 2025 numbers)",
    "beta_binding": "[V] 0.5 BEP/transfer coefficient (Nørskov et al., J. Catal. 209, 275 (2002); physics-notes §5.3)",
    "beta_fe": "[F] 0.39 weight of the DFT free-energy overpotential in the barrier (compressed from 0.5, as "
               "physics-notes §5.3 advises); P4: RuO2 polarisation ≈0.97 V",
    "binding_ref": "[A] 1.5 eV reference bond strength (≈ -ICOHP of the superoxide states)",
    "desorption_current_ref": "[F] 0.045 A/m² at d_band_ref; P2: NLRO ≈15,000 mAh/g together with solution_blocking",
    "gamma_ads": "[F] 0.15 eV/eV d-band sensitivity of superoxide adsorption (compressed linear d-band model, "
                 "Hammer & Nørskov; literature 0.5–1); P2: RuO2/NLRO capacity ratio",
    "d_band_ref": "[A] -1.97 eV, the NLRO superoxide state (reference of the relation)",
    "solution_blocking": "[F] 0.0095 area blocking per volume of solution-grown product relative to a film; P2",
    "film_blocking": "[F] 0.04 the same for surface-grown (film-like) product; P2",
    "residue_blocking": "[F] 0.14 interfacial skin left on the catalyst (residue, oxidised electrolyte, carbonate "
                        "no longer embedded in product); P6: RuO2 cycle life",
    "tunnel_length": "[V] 7 nm tunnelling cut-off of the erf area law, Jiang et al., JPS 451, 227821 (2020); "
                     "sudden death at 5–10 nm (Viswanathan et al., J. Chem. Phys. 135, 214704 (2011))",
    "tunnel_width": "[F] 1 nm (Jiang 2020 uses 2 nm); P1/P4: a discharge that ends in a sharp drop",
    "residue_monolayer": "[A] 0.5 nm residue monolayer (physics-notes §4.3, 0.5–1 nm)",
    "residue_passivation_decades": "[V] 1.5 decades: a carbonate monolayer lowers i0 10–100x, McCloskey et al., "
                                   "J. Phys. Chem. Lett. 3, 997 (2012)",
    "k_disproportionation": "[F] 5.5e-7 1/s; P4: NLRO Na2O2 plateau share (slow in glymes: 'Disproportionation of "
                            "sodium superoxide in metal–air batteries', physics-notes §1.2)",
    "k_carbonation": "[F] 1.8e-7 1/s at 420 ppm CO2 and the reference d-band centre; scaled by the superoxide residence (descriptor); P4 (NLRO carbonate share), P5 (RuO2 ≈60 % recovered)",
    "p_co2_ref": "[V] 42 Pa = 420 ppm CO2 of ambient air",
    "k_electrolyte_attack": "[F] 5e-9 1/s superoxide attack on the electrolyte at the reference d-band centre, scaled like carbonation; P2 (RuO2 capacity), P6",
    "electrolyte_oxidation_potential": "[R] 4.5 V onset of TEGDME/ClO4- oxidation (physics-notes §4.3: 4.3–4.6 V)",
    "i0_electrolyte_oxidation": "[A] 1e-6 A/m² at the onset potential (small parasitic current)",
    "alpha_electrolyte_oxidation": "[V] 0.5 (standard)",
    "electrolyte_oxidation_deposit": "[A] 10 % of oxidised electrolyte stays as a surface film",
    "hydrate_water": "[V] x = 1, thermonatrite Na2CO3·H2O forms in humid air (physics-notes §1.2)",
    "residue_molar_volume": "[D] sodium formate as residue proxy: 68.01 g/mol / 1.92 g/cm³ (CRC)",
    "oxidised_electrolyte_molar_volume": "[A] 1e-4 m³/mol (glyme fragment)",
    "initial_potential": "[D] E(NaO2) in ambient air, 2.223 V: a fresh cell rests near the O2/NaO2 couple",
}
DEFAULT_PARAMETERS = LumpedParameters()


def _check_sources() -> None:  # every field documented, nothing extra
    names = {f.name for f in fields(LumpedParameters)}
    missing, extra = names - set(SOURCES), set(SOURCES) - names
    if missing or extra:  # pragma: no cover - caught by the test suite
        raise RuntimeError(f"parameter sources out of date: missing {sorted(missing)}, extra {sorted(extra)}")


_check_sources()
