"""The noise check of ``normalize`` on the usual three-region XAS grid (10 eV, 0.25 eV, then even k-steps).

A review found a noiseless edge (step 0.02 on a pre-edge slope of −5·10⁻³ per eV) refused as "only 4.8 times the
point-to-point noise": the median of the first differences of µ measured the slope times the change of step
between the regions, not noise.
"""

from __future__ import annotations

import numpy as np
import pytest

from metalair.analysis.peaks import noise_level
from metalair.analysis.xas import MIN_STEP_OVER_NOISE, normalize
from metalair.errors import DataFormatError
from metalair.tables.spectra import XasSpectrum

E0 = 7112.0
K_PER_EV = 0.2625  # 2mₑ/ħ² in Å⁻² eV⁻¹: k = √(0.2625 (E − E0))


def _grid() -> np.ndarray:
    pre = np.arange(E0 - 200.0, E0 - 20.0, 10.0)
    xanes = np.arange(E0 - 20.0, E0 + 30.0, 0.25)
    k = np.arange(np.sqrt(K_PER_EV * 30.0) + 0.05, 12.0, 0.05)
    return np.concatenate([pre, xanes, E0 + k ** 2 / K_PER_EV])


def _edge(step: float, slope: float, noise: float = 0.0, seed: int = 0) -> XasSpectrum:
    e = _grid()
    k = np.sqrt(np.clip(e - E0, 0.0, None) * K_PER_EV)
    mu = (2.0 + slope * (e - E0) + step * (0.5 + np.arctan((e - E0) / 2.0) / np.pi)
          + step * 0.1 * np.sin(4.0 * k) * np.exp(-0.01 * k ** 2) * (e > E0))
    return XasSpectrum(energy_eV=e, mu=mu + noise * np.random.default_rng(seed).standard_normal(e.size), name="sim")


def test_a_noiseless_edge_on_a_sloping_three_region_grid_is_accepted():
    norm = normalize(_edge(0.02, -5e-3))
    assert norm.e0_eV == pytest.approx(E0, abs=0.5)
    assert norm.edge_step == pytest.approx(0.02, rel=0.1)


@pytest.mark.parametrize("sigma", [1e-3, 3e-3])
def test_the_noise_of_mu_is_the_noise_whatever_the_slope_and_the_steps(sigma):
    spec = _edge(0.02, -5e-3, sigma, seed=1)
    assert noise_level(spec.mu, spec.energy_eV) == pytest.approx(sigma, rel=0.1)
    assert normalize(spec).edge_step == pytest.approx(0.02, rel=0.2)


def test_an_edge_within_the_noise_and_noise_alone_are_still_refused_on_this_grid():
    with pytest.raises(DataFormatError, match=f"needs a step of at least {MIN_STEP_OVER_NOISE:g} times the noise"):
        normalize(_edge(0.02, -5e-3, 5e-3, seed=0))  # a step of about 2.5 noise units
    flat = _edge(0.0, 0.0, 1e-2, seed=2)
    with pytest.raises(DataFormatError, match="no absorption edge"):
        normalize(flat)


def test_noise_level_refuses_an_axis_it_cannot_use():
    """A descending axis returned 1e-300 without a word (every neighbour distance was negative)."""
    from metalair.analysis.peaks import noise_level
    from metalair.errors import ParameterError

    x = np.linspace(0.0, 10.0, 200)
    y = np.sin(x) + np.random.default_rng(0).normal(0.0, 0.01, x.size)
    assert 0.007 < noise_level(y, x) < 0.013
    for xs, ys in ((x[::-1], y[::-1]), (x[:2], y[:2]), (x, np.where(x > 5, np.nan, y))):
        with pytest.raises(ParameterError, match="strictly ascending"):
            noise_level(ys, xs)
