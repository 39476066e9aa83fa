"""The fast screening step control stays within its documented accuracy on the reference runs."""

from __future__ import annotations

import pytest

import metalair as ma
from metalair.sweeps.evaluate import SCREENING_SOLVER


@pytest.mark.parametrize("catalyst", ["NLRO", "RuO2"])
def test_screening_solver_keeps_capacity_and_polarisation(catalyst):
    ref = ma.simulate(catalyst, save_cycles=())
    fast = ma.simulate(catalyst, solver=SCREENING_SOLVER, save_cycles=())
    for a, b in zip(ref.steps, fast.steps):
        assert b.capacity_mAh_g == pytest.approx(a.capacity_mAh_g, rel=2e-3)
    pol = lambda s: s.steps[1].mean_voltage_V - s.steps[0].mean_voltage_V  # noqa: E731
    assert abs(pol(fast) - pol(ref)) < 1e-3
