"""Peak heights measured from the baseline extrapolated from the wave's foot, and Nicholson's current ratio.

The reversible voltammogram is computed from the semi-integral relation of planar diffusion (Oldham 1972;
Bard & Faulkner 2001, §6.7): the semi-integral of the current is nFA√D·C·θ/(1+θ), θ = exp(f(E − E°)), and
the current its Grünwald–Letnikov semi-derivative. Its peak matches the Randles–Ševčík current
ip = 0.4463 nFAC√(nFvD/RT) (Bard & Faulkner eq. 6.2.19) to 1e-4.
"""

import math

import numpy as np
import pytest

from metalair.analysis.voltammetry import analyze_cv
from metalair.tables.voltammetry import Voltammogram

F, R, T = 96485.33212, 8.314462618, 298.15
D, C, A, NU = 1e-9, 1.0, 1e-4, 0.1  # m²/s, mol/m³, m², V/s


def _randles_sevcik() -> float:
    return 0.4463 * F * A * C * math.sqrt(F * NU * D / (R * T))


def _sweep(lower: float, vertex: float, step: float = 5e-4) -> tuple[np.ndarray, np.ndarray]:
    n = int(round((vertex - lower) / step))
    up = np.linspace(lower, vertex, n + 1)
    e = np.concatenate([up, up[::-1][1:]])
    return e, np.arange(e.size) * step / NU


def _reversible(e: np.ndarray, t: np.ndarray, e0: float = 0.0) -> np.ndarray:
    """Current [A] of R -> O + e- (all R at the start) by the semi-integral relation."""
    semi_integral = F * A * math.sqrt(D) * C / (1.0 + np.exp(-F / (R * T) * (e - e0)))
    k = np.arange(1, e.size)
    weights = np.concatenate([[1.0], np.cumprod((k - 1.5) / k)])
    return np.convolve(weights, semi_integral)[:e.size] / math.sqrt(t[1] - t[0])


def _peaks(e: np.ndarray, i: np.ndarray, t: np.ndarray) -> tuple[list, list]:
    a = analyze_cv(Voltammogram.from_arrays(e, i, time_s=t))
    return ([p for p in a.peaks if p.direction == "anodic"], [p for p in a.peaks if p.direction == "cathodic"])


def test_the_reference_voltammogram_obeys_randles_sevcik():
    e, t = _sweep(-0.3, 0.3)
    i = _reversible(e, t)
    assert i.max() == pytest.approx(_randles_sevcik(), rel=1e-3)
    assert e[np.argmax(i)] == pytest.approx(0.0285, abs=1e-3)


@pytest.mark.parametrize("vertex", [0.2, 0.3])
def test_reversible_heights_are_the_randles_sevcik_current(vertex):
    """The straight line between the prominence's bases made them 14-20 % (forward) and 13-17 % (reverse) low."""
    e, t = _sweep(-0.3, vertex)
    (an,), (ca,) = _peaks(e, _reversible(e, t), t)
    assert an.baseline == "line" and an.height == pytest.approx(_randles_sevcik(), rel=0.01)
    assert ca.baseline == "tail" and -ca.height == pytest.approx(_randles_sevcik(), rel=0.04)


def test_height_on_a_capacitive_and_sloping_background():
    """A double-layer current (50 µA, switching sign at the vertex) and a resistive slope (0.2 mA/V)."""
    e, t = _sweep(-0.3, 0.3)
    background = 5e-5 * np.sign(np.gradient(e)) + 2e-4 * (e + 0.3)
    (an,), (ca,) = _peaks(e, _reversible(e, t) + background, t)
    assert an.current > 1.3 * _randles_sevcik()  # the raw current carries the background
    assert an.height == pytest.approx(_randles_sevcik(), rel=0.01)
    assert -ca.height == pytest.approx(_randles_sevcik(), rel=0.04)


def test_the_first_of_two_overlapping_waves_has_its_own_height():
    """Two couples 200 mV apart: the first wave's height was 47 % low (its right base the valley, high up)."""
    e, t = _sweep(-0.3, 0.5)
    i = _reversible(e, t) + _reversible(e, t, e0=0.2)
    an, _ = _peaks(e, i, t)
    lower = min(an, key=lambda p: p.potential_V)
    assert lower.height == pytest.approx(_randles_sevcik(), rel=0.01)


@pytest.mark.parametrize("vertex", [0.1, 0.2, 0.3])
def test_nicholson_ratio_of_a_reversible_couple_is_one(vertex):
    """Nicholson (1966): a reversible couple gives 1.00 whatever the switching potential; read from zero, the
    reverse peak current is 0.57-0.74 of the forward one here."""
    e, t = _sweep(-0.3, vertex)
    a = analyze_cv(Voltammogram.from_arrays(e, _reversible(e, t), time_s=t))
    assert a.peak_ratio[1] == pytest.approx(1.0, abs=0.02)
    assert a.as_dict()["couples"]["1"][0]["reverse_to_forward_ratio"] == a.peak_ratio[1]
    assert "Nicholson" in a.table()


def test_nicholson_ratio_sees_a_reverse_wave_that_is_too_small():
    """Half of the oxidised species lost before the reverse sweep (scaled reverse wave): the ratio drops."""
    e, t = _sweep(-0.3, 0.3)
    i = _reversible(e, t)
    k = int(np.argmax(e))
    tail_only = i.copy()
    # the reverse wave shrunk: the current below the forward wave's decay halved on the reverse sweep
    decay = i[k] * np.sqrt((t[k] - t[int(np.argmax(i))]) / np.maximum(t - t[int(np.argmax(i))], 1e-9))
    tail_only[k:] = decay[k:] + 0.5 * (i[k:] - decay[k:])
    a = analyze_cv(Voltammogram.from_arrays(e, tail_only, time_s=t))
    assert a.peak_ratio[1] < 0.9
