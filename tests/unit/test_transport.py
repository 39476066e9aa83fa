"""O2 supply to the reaction zone: the film, the deposits in series, the quasi-steady O2 balance."""

from __future__ import annotations

import math

import pytest

from metalair.physics.transport import o2_deposit_resistance, o2_film_supply, o2_limited_formation, o2_supply

# TEGDME at 25 °C (Laoire et al., J. Phys. Chem. C 114, 9178 (2010)) under air
HENRY, P_O2, D = 4.4 / 101325.0, 0.2095 * 101325.0, 2.17e-10


def test_film_supply_is_fick_with_bruggeman():
    s = o2_film_supply(HENRY, P_O2, D, 0.7, 2000.0, 1e-6)
    assert s == pytest.approx(D * 0.7 ** 1.5 * 2000.0 / 1e-6 * HENRY * P_O2, rel=1e-12)
    assert o2_film_supply(HENRY, 0.0, D, 0.7, 2000.0, 1e-6) == 0.0


def test_deposits_add_a_series_resistance_that_grows_with_their_volume():
    film = o2_film_supply(HENRY, P_O2, D, 0.7, 2000.0, 1e-6)
    r = o2_deposit_resistance(HENRY, P_O2, D, 0.7, 0.36, 2000.0)
    # a deposit layer h = V / a_gl thick, crossed through pores with D (eps_l eps_d)^1.5
    V = 1.4e-2  # m³/kg: ~15 Ah/g of NaO2
    h = V / 2000.0
    layer = D * (0.7 * 0.36) ** 1.5 * 2000.0 / h * HENRY * P_O2
    assert o2_supply(film, V, r) == pytest.approx(1.0 / (1.0 / film + 1.0 / layer), rel=1e-12)
    assert o2_supply(film, 0.0, r) == pytest.approx(film, rel=1e-15)
    assert o2_supply(film, 2 * V, r) < o2_supply(film, V, r) < film
    # F x supply: the largest NaO2 formation current; 22.6 A/g on a clean electrode, < 1 A/g at 15 Ah/g
    F = 96485.33212
    assert F * film / 1000.0 == pytest.approx(22.6, rel=0.01)
    assert F * o2_supply(film, V, r) / 1000.0 < 1.0


def test_no_o2_no_supply_and_no_division_by_zero():
    r = o2_deposit_resistance(HENRY, 0.0, D, 0.7, 0.36, 2000.0)
    assert math.isinf(r)
    assert o2_supply(0.0, 1e-3, r) == 0.0


def test_o2_balance_saturation_and_active_set():
    # supply S, one reaction consuming a*theta - b: S (1 - theta) = a theta - b
    theta, p1, p2 = o2_limited_formation(1.0, 3.0, 0.5, 0.0, 0.0)
    assert theta == pytest.approx(1.5 / 4.0)
    assert p1 == pytest.approx(3.0 * theta - 0.5) and p2 == 0.0
    # a reaction running anodically (b > a) is not in the O2 balance and forms nothing
    theta, p1, _ = o2_limited_formation(1.0, 0.5, 3.0, 0.0, 0.0)
    assert theta == 1.0 and p1 == 0.0


def test_no_supply_and_no_demand_is_no_oxygen_not_saturation():
    # in argon the reported O2 saturation read 1.0 (the 0/0 fell back to "saturated"); the rates were right
    assert o2_limited_formation(0.0, 0.0, 0.0, 0.0, 0.0) == (0.0, 0.0, 0.0)
    assert o2_limited_formation(1.0, 0.0, 0.0, 0.0, 0.0)[0] == 1.0  # air at rest: saturated
