"""Tests of the chemistry layer: species, reactions, potentials, environments.

Expected values are computed by hand from the NBS tables (Wagman et al., J. Phys.
Chem. Ref. Data 11, Suppl. 2, 1982) and CRC densities: E° = -ΔrG°/(nF), the
chemical ΔrG°, the ambient-air Nernst corrections and molar volumes; the
temperature coefficients are checked against the NASA-7/JANAF polynomials
(McBride, Gordon & Reno, NASA TM-4513, 1993); Li2O2 against Hummelshøj et al.,
J. Chem. Phys. 132, 071101 (2010).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metalair.chemistry import (
    AMBIENT_AIR,
    DRY_AIR,
    LITHIUM,
    POTASSIUM,
    PURE_O2,
    SODIUM,
    Chemistry,
    Environment,
    Reaction,
    Species,
    environment,
    get_chemistry,
    nernst_potential,
)
from metalair.chemistry.environment import saturation_vapour_pressure_buck
from metalair.chemistry.species import molar_mass_from_formula, parse_formula
from metalair.constants import T_REF, F, R
from metalair.errors import KeyNotFoundError, ParameterError

RT_F = R * T_REF / F
REACTIONS = SODIUM.reactions

# --------------------------------------------------------------------------
# 1. Published values
# --------------------------------------------------------------------------

# Equilibrium potentials vs Na+/Na (298.15 K) from the NBS formation data, E° = -ΔrG°/(nF)
NBS_POTENTIALS = {
    "NaO2": 2.264,
    "Na2O2": 2.320,
    "NaO2_to_Na2O2": 2.377,
    "Na2O": 1.946,
    "Na2O2_to_Na2O": 1.572,
    "Na2CO3": 3.368,
    "Na2CO3·H2O": 3.432,
    "Na_CO2": 2.346,
    "NaOH": 2.707,
}


@pytest.mark.parametrize(("name", "expected"), NBS_POTENTIALS.items())
def test_standard_potentials_match_physics_notes_1_2_nbs(name: str, expected: float) -> None:
    assert REACTIONS[name].standard_potential() == pytest.approx(expected, abs=3e-3)


# Chemical (non-faradaic) reaction free energies from the NBS data [kJ]
CHEMICAL_DG = {
    "disproportionation": -10.9,
    "carbonation_Na2O2_dry": -202.3,
    "hydration_Na2CO3": -12.3,
}


@pytest.mark.parametrize(("name", "expected_kJ"), CHEMICAL_DG.items())
def test_chemical_reaction_gibbs_energies_match_physics_notes_1_2(name: str, expected_kJ: float) -> None:
    assert REACTIONS[name].delta_g() / 1e3 == pytest.approx(expected_kJ, abs=0.5)


# dE°/dT from the JANAF (NASA-7) polynomials; the NBS entropies agree within ±0.3 mV/K
DEDT_MV_PER_K = {
    "NaO2": -1.46,
    "Na2O2": -1.10,
    "Na2O": -0.67,
    "Na2CO3": -1.45,
    "Na_CO2": -1.46,
    "NaO2_to_Na2O2": -0.75,
}


@pytest.mark.parametrize(("name", "expected"), DEDT_MV_PER_K.items())
def test_temperature_coefficients_match_physics_notes_1_3(name: str, expected: float) -> None:
    rxn = REACTIONS[name]
    assert rxn.temperature_coefficient() * 1e3 == pytest.approx(expected, abs=0.3)
    # and the computed E°(T) has that slope (finite difference over 273-353 K)
    slope = (rxn.standard_potential(353.15) - rxn.standard_potential(273.15)) / 80.0
    assert slope * 1e3 == pytest.approx(expected, abs=0.3)
    assert slope < 0  # O2/Na consumed: entropy falls, E falls with T


def test_e_of_t_tracks_janaf_table_1_3_within_a_few_mV() -> None:
    """E°(323) − E°(298) for NaO2: −36 mV in the JANAF table of §1.3."""
    rxn = REACTIONS["NaO2"]
    assert (rxn.standard_potential(323.15) - rxn.standard_potential()) * 1e3 == pytest.approx(-36.0, abs=2.0)


def test_ambient_air_nernst_shifts_match_physics_notes_1_2() -> None:
    """§1.2 "Ambient air corrections": −40 / −20 / −110 mV at 0.2095 bar O2, 4.2e-4 bar CO2."""
    shifts = {
        name: (REACTIONS[name].equilibrium_potential(T_REF, DRY_AIR) - REACTIONS[name].standard_potential()) * 1e3
        for name in ("NaO2", "Na2O2", "Na2CO3")
    }
    assert shifts["NaO2"] == pytest.approx(-40.0, abs=1.0)
    assert shifts["Na2O2"] == pytest.approx(-20.0, abs=1.0)
    assert shifts["Na2CO3"] == pytest.approx(-110.0, abs=1.5)
    # analytic: NaO2 shift is (RT/F) ln 0.2095 exactly
    assert shifts["NaO2"] * 1e-3 == pytest.approx(RT_F * math.log(0.2095), rel=1e-9)


def test_hydrate_potential_at_50_percent_rh_matches_physics_notes_1_2() -> None:
    """§1.2: Na2CO3·H2O from vapour at 50 % RH, 25 °C: −163 mV → 3.27 V."""
    env = Environment("notes §1.2", T_REF, p_O2=0.2095e5, p_CO2=42.0, p_H2O=0.0157e5)
    E = REACTIONS["Na2CO3·H2O"].equilibrium_potential(None, env)
    assert (E - REACTIONS["Na2CO3·H2O"].standard_potential()) * 1e3 == pytest.approx(-163.0, abs=2.0)
    assert E == pytest.approx(3.27, abs=0.005)


# molar volumes from CRC densities [m³/mol]
MOLAR_VOLUMES = {
    "NaO2": 2.4995e-5,
    "Na2O2": 2.780e-5,
    "Na2O": 2.730e-5,
    "Na2CO3": 4.173e-5,
    "Na2CO3·H2O": 5.511e-5,
}


@pytest.mark.parametrize(("name", "expected"), MOLAR_VOLUMES.items())
def test_molar_volumes_match_physics_notes_8(name: str, expected: float) -> None:
    assert SODIUM.species[name].molar_volume == pytest.approx(expected, rel=1e-3)


def test_pore_volume_per_coulomb_matches_physics_notes_1_4() -> None:
    """§1.4: V̄/(nF) = 2.591e-10 (NaO2), 1.441e-10 (Na2O2) m³/C."""
    for name, expected in (("NaO2", 2.591e-10), ("Na2O2", 1.441e-10), ("Na2CO3", 2.163e-10)):
        rxn = REACTIONS[name]
        assert SODIUM.species[name].molar_volume / (rxn.electrons * F) == pytest.approx(expected, rel=2e-3)


def test_lithium_chemistry_through_the_same_code() -> None:
    """Li2O2 2.96 V vs Li+/Li (Hummelshøj 2010); Li2CO3 3.82 V (CRC ΔfG −1132.1 kJ/mol)."""
    assert isinstance(LITHIUM, Chemistry)
    assert type(LITHIUM.reactions["Li2O2"]) is Reaction
    assert LITHIUM.reactions["Li2O2"].standard_potential() == pytest.approx(2.96, abs=0.03)
    assert LITHIUM.reactions["Li2CO3"].standard_potential() == pytest.approx(3.82, abs=0.01)
    assert LITHIUM.reactions["Li2O2"].temperature_coefficient() < 0


def test_potassium_superoxide_potential() -> None:
    """K + O2 → KO2: 2.48 V vs K+/K (Ren & Wu, JACS 2013), CRC data."""
    assert POTASSIUM.reactions["KO2"].standard_potential() == pytest.approx(2.48, abs=0.01)


def test_buck_saturation_pressure_against_steam_table() -> None:
    """Water at 25 °C: 3169.9 Pa (IAPWS-95 / CRC); Buck 1981 within 0.2 %."""
    assert saturation_vapour_pressure_buck(298.15) == pytest.approx(3169.9, rel=2e-3)
    assert saturation_vapour_pressure_buck(273.15) == pytest.approx(611.21, rel=1e-9)


# --------------------------------------------------------------------------
# 2. Analytic relations and data consistency
# --------------------------------------------------------------------------


def test_delta_g_at_reference_reproduces_the_gibbs_column_exactly() -> None:
    for rxn in list(SODIUM.reactions.values()) + list(LITHIUM.reactions.values()):
        expected = sum(nu * rxn.species[n].dGf for n, nu in rxn.stoichiometry.items())
        assert rxn.delta_g(T_REF) == pytest.approx(expected, abs=1e-6)


def test_enthalpy_route_agrees_where_the_table_is_consistent() -> None:
    """ΔrH − TΔrS equals ΔrG from ΔfG within 1 kJ/mol unless a row is flagged."""
    gaps = SODIUM.consistency_gaps()
    for name in ("NaO2", "Na2O2", "NaO2_to_Na2O2", "Na2O", "disproportionation"):
        rxn = REACTIONS[name]
        assert rxn.delta_h() - T_REF * rxn.delta_s() == pytest.approx(rxn.delta_g(), abs=1e3)
        assert all(abs(gaps[n]) < 1e3 for n in rxn.stoichiometry if n in gaps)


def test_rows_with_inconsistent_nbs_columns_are_exactly_the_documented_ones() -> None:
    """NBS Na2CO3, NaHCO3 and Na2CO3·H2O: ΔfG ≠ ΔfH − TΔfS by 2-2.5 kJ/mol (see Reaction notes)."""
    flagged = {n for n, gap in SODIUM.consistency_gaps().items() if abs(gap) > 1e3}
    assert flagged == {"Na2CO3", "NaHCO3", "Na2CO3·H2O"}
    assert {n for n, gap in LITHIUM.consistency_gaps().items() if abs(gap) > 1e3} == {"Li2O2"}
    assert all(abs(gap) < 3e3 for gap in SODIUM.consistency_gaps().values())


def test_hess_law_between_reactions() -> None:
    """carbonation(NaO2) = disproportionation + carbonation(Na2O2); E(NaO2) + E(NaO2→Na2O2) = 2 E(Na2O2)."""
    for T in (250.0, T_REF, 350.0):
        assert REACTIONS["carbonation_NaO2"].delta_g(T, AMBIENT_AIR) == pytest.approx(
            REACTIONS["disproportionation"].delta_g(T, AMBIENT_AIR)
            + REACTIONS["carbonation_Na2O2"].delta_g(T, AMBIENT_AIR),
            abs=1e-6,
        )
        E = {n: REACTIONS[n].equilibrium_potential(T, AMBIENT_AIR) for n in ("NaO2", "NaO2_to_Na2O2", "Na2O2")}
        assert E["NaO2"] + E["NaO2_to_Na2O2"] == pytest.approx(2 * E["Na2O2"], abs=1e-12)


def test_nernst_potential_pure_function() -> None:
    # one gas consumed (ν = −1), n = 1: E = E0 + (RT/F) ln a
    assert nernst_potential(2.0, 1, T_REF, [0.5], [-1.0]) == pytest.approx(2.0 + RT_F * math.log(0.5))
    # vectorised over T and activities
    T = np.array([280.0, 300.0, 320.0])
    a = np.array([[0.2], [0.5], [1.0]])
    E = nernst_potential(2.0, 1, T, a, [-1.0])
    assert E.shape == (3,)
    assert E == pytest.approx(2.0 + R * T / F * np.log(a[:, 0]))
    with pytest.raises(ParameterError, match="positive"):
        nernst_potential(2.0, 1, T_REF, [0.0], [-1.0])


def test_higher_partial_pressure_of_a_consumed_gas_raises_the_potential() -> None:
    low = Environment("low O2", T_REF, p_O2=1e3, p_CO2=0.0, p_H2O=0.0)
    assert REACTIONS["NaO2"].equilibrium_potential(None, low) < REACTIONS["NaO2"].equilibrium_potential(None, PURE_O2)
    # a reaction with no gases does not feel the environment
    no_gas = REACTIONS["NaO2_to_Na2O2"]
    assert no_gas.equilibrium_potential(None, low) == no_gas.standard_potential()
    # pure O2 at 1 bar is the standard state
    assert REACTIONS["NaO2"].equilibrium_potential(T_REF, PURE_O2) == pytest.approx(
        REACTIONS["NaO2"].standard_potential(), abs=1e-15
    )


@settings(max_examples=40, deadline=None)
@given(
    T=st.floats(250.0, 370.0),
    x_o2=st.floats(1e-4, 0.5),
    x_co2=st.floats(1e-6, 0.1),
    rh=st.floats(1e-3, 1.0),
    name=st.sampled_from(["NaO2", "Na2O2", "Na2CO3", "Na2CO3·H2O", "Na_CO2", "NaOH"]),
)
def test_potential_is_minus_delta_g_over_nf_in_any_environment(T, x_o2, x_co2, rh, name) -> None:
    from metalair.chemistry.environment import BUCK_T_MAX, saturation_vapour_pressure_buck

    # at most saturated (the Buck fit ends at 50 °C; its value there is below saturation at higher T)
    p_h2o = rh * min(float(saturation_vapour_pressure_buck(min(T, BUCK_T_MAX))), 0.4e5)
    env = Environment("random", T, p_O2=x_o2 * 1e5, p_CO2=x_co2 * 1e5, p_H2O=p_h2o)
    rxn = REACTIONS[name]
    E = rxn.equilibrium_potential(T, env)
    assert E == pytest.approx(-rxn.delta_g(T, env) / (rxn.electrons * F), abs=1e-12)


def test_vectorised_temperature_matches_scalar_calls() -> None:
    T = np.linspace(260.0, 360.0, 5)
    E = REACTIONS["Na2O2"].equilibrium_potential(T, AMBIENT_AIR)
    assert isinstance(E, np.ndarray) and E.shape == T.shape
    assert E == pytest.approx([REACTIONS["Na2O2"].equilibrium_potential(t, AMBIENT_AIR) for t in T])
    assert isinstance(REACTIONS["Na2O2"].equilibrium_potential(300.0, AMBIENT_AIR), float)


def test_electrons_equal_metal_consumed_in_every_builtin_reaction() -> None:
    for chem in (SODIUM, LITHIUM, POTASSIUM):
        for rxn in chem.reactions.values():
            if rxn.is_electrochemical:
                assert -rxn.stoichiometry[chem.metal] == rxn.electrons


# --------------------------------------------------------------------------
# 3. Species, formulas and validation
# --------------------------------------------------------------------------


def test_formula_parsing_and_molar_masses() -> None:
    assert parse_formula("Na2CO3·H2O") == {"Na": 2, "C": 1, "O": 4, "H": 2}
    assert parse_formula("Na2CO3.H2O") == parse_formula("Na2CO3·H2O")
    assert parse_formula("Na2CO3·10H2O") == {"Na": 2, "C": 1, "O": 13, "H": 20}
    assert parse_formula("Ca(OH)2") == {"Ca": 1, "O": 2, "H": 2}
    # IUPAC 2021 standard atomic weights
    assert molar_mass_from_formula("Na2CO3·H2O") == pytest.approx(124.003e-3, abs=2e-6)
    assert SODIUM.species["NaO2"].molar_mass == pytest.approx(54.988e-3, abs=1e-6)
    assert SODIUM.species["Na2CO3·H2O"].molar_mass == pytest.approx(
        SODIUM.species["Na2CO3"].molar_mass + SODIUM.species["H2O(g)"].molar_mass
    )


@pytest.mark.parametrize("bad", ["Xx2", "Na2(CO3", "Na2CO3)", "", "2", "na2o"])
def test_bad_formula_is_refused(bad: str) -> None:
    with pytest.raises(ParameterError):
        parse_formula(bad)


def _species(**overrides):
    kwargs = dict(dHf=-260.2e3, dGf=-218.4e3, S=115.9, phase="s", density=2200.0, source="test")
    kwargs.update(overrides)
    return Species("NaO2", "NaO2", **kwargs)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dGf", math.nan, "dGf = nan is not a finite number"),
        ("density", -2200.0, r"density = -2200 is out of range; allowed range \(0, inf\] kg/m³"),
        ("molar_mass", -0.055, "molar_mass"),
        ("molar_mass", 0.06, "disagrees with its formula"),
        ("S", -1.0, "S = -1 is out of range"),
        ("phase", "solid", "phase = 'solid' is not allowed"),
        ("source", "", "source"),
    ],
)
def test_species_validation_names_field_value_and_range(field: str, value, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        _species(**{field: value})


def test_species_is_frozen_and_molar_volume_none_without_density() -> None:
    sp = _species(density=None)
    assert sp.molar_volume is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        sp.dGf = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        REACTIONS["NaO2"].stoichiometry["Na"] = -2  # type: ignore[index]


def test_unknown_species_and_reaction_names_suggest_close_matches() -> None:
    with pytest.raises(KeyNotFoundError, match=r"unknown species 'NaO3'.*Did you mean 'NaO2'") as info:
        SODIUM.species["NaO3"]
    assert isinstance(info.value, KeyError)
    assert "Na2CO3·H2O" in str(info.value)  # lists what is available
    with pytest.raises(KeyError, match="Did you mean .*'Na2O2'"):
        SODIUM.reactions["Na2O3"]
    with pytest.raises(KeyError, match="Did you mean 'NaO2'"):
        SODIUM.species["nao2"]
    with pytest.raises(KeyError, match=r"Did you mean 'H2O\(g\)' or 'H2O\(l\)'"):
        SODIUM.species["H2O"]


# --------------------------------------------------------------------------
# 4. Reactions: refusals
# --------------------------------------------------------------------------


def test_unbalanced_reaction_is_refused_naming_the_element() -> None:
    message = r"not balanced in Na: 1 Na on the reactant side, 2 on the product side \(imbalance \+1 Na\)"
    with pytest.raises(ParameterError, match=message):
        Reaction("bad", {"Na": -1, "O2": -1, "Na2O2": 1}, 1, "test", species=SODIUM.species)


def test_reaction_with_unknown_species_suggests() -> None:
    with pytest.raises(ParameterError, match=r"unknown species 'Na2O3'.*Did you mean .*'Na2O2'"):
        Reaction("bad", {"Na": -2, "O2": -1, "Na2O3": 1}, 2, "test", species=SODIUM.species)


@pytest.mark.parametrize("stoich", [{"Na": -1, "O2": -1, "NaO2": math.nan}, {"Na": 0, "NaO2": 1}, {"NaO2": 1}])
def test_reaction_with_bad_coefficients_is_refused(stoich) -> None:
    with pytest.raises(ParameterError):
        Reaction("bad", stoich, 1, "test", species=SODIUM.species)


def test_chemistry_refuses_electron_count_that_differs_from_metal_consumed() -> None:
    wrong = Reaction("NaO2", {"Na": -1, "O2": -1, "NaO2": 1}, 2, "test", species=SODIUM.species)
    with pytest.raises(ParameterError, match="electrons = 2 but consumes 1 Na"):
        Chemistry("x", "Na", dict(SODIUM.species), {"NaO2": wrong}, "test")


def test_chemical_reaction_has_no_potential() -> None:
    with pytest.raises(ParameterError, match="chemical .*electrons = 0.*delta_g"):
        REACTIONS["disproportionation"].standard_potential()
    with pytest.raises(ParameterError):
        REACTIONS["disproportionation"].equilibrium_potential(T_REF, AMBIENT_AIR)


def test_missing_consumed_gas_raises_instead_of_minus_infinity() -> None:
    with pytest.raises(ParameterError, match="consumes CO2.*'pure O2' has p_CO2 = 0 Pa.*cannot proceed"):
        REACTIONS["Na2CO3"].equilibrium_potential(T_REF, PURE_O2)
    with pytest.raises(ParameterError, match="consumes H2O"):
        REACTIONS["Na2CO3·H2O"].equilibrium_potential(T_REF, DRY_AIR)


@pytest.mark.parametrize("T", [math.nan, math.inf, 150.0, 450.0, [300.0, math.nan]])
def test_bad_temperature_is_refused(T) -> None:
    with pytest.raises(ParameterError, match="allowed range"):
        REACTIONS["NaO2"].equilibrium_potential(T, AMBIENT_AIR)
    with pytest.raises(ParameterError, match="allowed range"):
        REACTIONS["NaO2"].delta_g(T)


# --------------------------------------------------------------------------
# 5. Environments
# --------------------------------------------------------------------------


def test_builtin_environments() -> None:
    assert PURE_O2.p_O2 == 1e5 and PURE_O2.p_CO2 == 0.0 and PURE_O2.p_H2O == 0.0
    assert DRY_AIR.p_O2 == pytest.approx(0.2095e5) and DRY_AIR.p_CO2 == pytest.approx(42.0)
    assert AMBIENT_AIR.temperature == 298.15
    assert AMBIENT_AIR.relative_humidity == pytest.approx(0.20)
    # water dilutes the dry air: O2 and CO2 are fractions of (P − p_H2O)
    assert AMBIENT_AIR.p_O2 == pytest.approx(0.2095 * (1e5 - AMBIENT_AIR.p_H2O))
    assert AMBIENT_AIR.p_CO2 / AMBIENT_AIR.p_O2 == pytest.approx(420e-6 / 0.2095)


def test_from_relative_humidity_matches_physics_notes_vapour_pressure() -> None:
    """§1.2 uses p_H2O = 0.0157 bar at 50 % RH, 25 °C."""
    env = Environment.from_relative_humidity("humid", 298.15, rh=0.5, co2_ppm=420)
    assert env.p_H2O == pytest.approx(1.57e3, rel=1e-2)


def test_environment_lookup_by_name_with_suggestions() -> None:
    assert environment("ambient air") is AMBIENT_AIR
    assert environment("Dry-Air") is DRY_AIR
    assert environment("pure O2") is PURE_O2
    assert environment(DRY_AIR) is DRY_AIR
    rxn = REACTIONS["NaO2"]
    assert rxn.equilibrium_potential(None, "dry air") == rxn.equilibrium_potential(None, DRY_AIR)
    with pytest.raises(ParameterError, match="Did you mean 'dry air'"):
        environment("dry ari")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(temperature=math.nan), "temperature = nan is not a finite number"),
        (dict(temperature=500.0), r"temperature = 500 is out of range; allowed range \[200, 400\] K"),
        (dict(p_O2=-1.0), r"p_O2 = -1 is out of range; allowed range \[0, 100000\] Pa"),
        (dict(p_CO2=math.inf), "p_CO2 = inf is not a finite number"),
        (dict(p_O2=0.9e5, p_CO2=0.2e5), "exceeds total_pressure"),
        (dict(p_H2O=1.0e4), r"p_H2O = 10000 Pa exceeds the saturation pressure of water at 298.15 K \(3167 Pa"),
        (dict(total_pressure=0.0), "total_pressure"),
    ],
)
def test_environment_validation(kwargs, message: str) -> None:
    base = dict(name="t", temperature=298.15, p_O2=2e4, p_CO2=40.0, p_H2O=0.0)
    base.update(kwargs)
    with pytest.raises(ParameterError, match=message):
        Environment(**base)


@pytest.mark.parametrize(("rh", "T"), [(1.2, 298.15), (-0.1, 298.15), (math.nan, 298.15), (0.5, 380.0)])
def test_relative_humidity_helper_validation(rh: float, T: float) -> None:
    with pytest.raises(ParameterError, match="allowed range"):
        Environment.from_relative_humidity("x", T, rh)


def test_get_chemistry_aliases_and_suggestions() -> None:
    assert get_chemistry("Na") is SODIUM and get_chemistry("sodium") is SODIUM
    assert get_chemistry("li") is LITHIUM and get_chemistry("Lithium") is LITHIUM
    assert get_chemistry("K") is POTASSIUM
    with pytest.raises(ParameterError, match="Did you mean 'sodium'"):
        get_chemistry("sodum")


def test_environment_takes_pressures_and_temperature_with_their_units():
    """A bare number is Pa (or K), as documented; written with a unit it is converted, and a wrong or
    missing unit in a string says how to write it."""
    from metalair.chemistry import Environment
    from metalair.errors import ParameterError

    e = Environment("humid O2", "25 °C", "1 atm", 0.0, "3.1 kPa", total_pressure="1.05 bar")
    assert (e.temperature, e.p_O2, e.p_H2O, e.total_pressure) == (298.15, 101325.0, 3100.0, 105000.0)
    assert Environment("air", 298.15, 21000.0, 40.0, 633.4) == Environment("air", "298.15 K", "21 kPa", "40 Pa",
                                                                              "6.334 mbar")
    with pytest.raises(ParameterError, match=r"Environment\('x'\)\.p_O2: unknown unit 'parsecs'"):
        Environment("x", 298.15, "21 parsecs", 0.0, 0.0)
    with pytest.raises(ParameterError, match=r"p_O2: '21' has no unit: write it with one, e.g. '21 Pa'"):
        Environment("x", 298.15, "21", 0.0, 0.0)
