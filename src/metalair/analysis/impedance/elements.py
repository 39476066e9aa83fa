"""Impedance of the circuit elements: one pure function per element.

Every function takes the angular frequency ``omega`` (rad/s, array) and the
element's parameters and returns the complex impedance (Ω) in the convention
``Z = Z' + jZ''`` with capacitive ``Z'' < 0`` (time dependence exp(+jωt)).

The two finite Warburg elements follow the names used by ZView and
impedance.py: ``Ws`` ("short", transmissive boundary, finite-length
diffusion, tanh) and ``Wo`` ("open", reflective boundary, finite-space
diffusion, coth).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "resistor", "capacitor", "inductor", "cpe", "warburg", "warburg_short", "warburg_open",
]


def resistor(omega: np.ndarray, R: float) -> np.ndarray:
    """Z = R (Ω)."""
    return np.full(np.shape(omega), complex(R))


def capacitor(omega: np.ndarray, C: float) -> np.ndarray:
    """Z = 1/(jωC); C in F."""
    return 1.0 / (1j * np.asarray(omega) * C)


def inductor(omega: np.ndarray, L: float) -> np.ndarray:
    """Z = jωL; L in H."""
    return 1j * np.asarray(omega) * L


def cpe(omega: np.ndarray, Q: float, alpha: float) -> np.ndarray:
    """Constant-phase element Z = 1/(Q (jω)^α); Q in F·s^(α−1), 0 < α ≤ 1.

    References
    ----------
    Brug, G. J., van den Eeden, A. L. G., Sluyters-Rehbach, M. & Sluyters, J. H.
    The analysis of electrode impedances complicated by the presence of a
    constant phase element. J. Electroanal. Chem. 176, 275–295 (1984).
    doi:10.1016/S0022-0728(84)80324-1
    """
    return 1.0 / (Q * (1j * np.asarray(omega)) ** alpha)


def warburg(omega: np.ndarray, sigma: float) -> np.ndarray:
    """Semi-infinite Warburg Z = σ(1 − j)/√ω = σ√2/√(jω); σ in Ω·s^(−1/2).

    References
    ----------
    Warburg, E. Ueber das Verhalten sogenannter unpolarisirbarer Elektroden
    gegen Wechselstrom. Ann. Phys. 303, 493–499 (1899). doi:10.1002/andp.18993030302

    Lasia, A. Electrochemical Impedance Spectroscopy and its Applications,
    ch. 4 (Springer, 2014). doi:10.1007/978-1-4614-8933-7
    """
    w = np.asarray(omega, dtype=float)
    return sigma * (1.0 - 1j) / np.sqrt(w)


def warburg_short(omega: np.ndarray, R: float, tau: float) -> np.ndarray:
    """Finite-length (transmissive) Warburg Z = R tanh(√(jωτ))/√(jωτ); R in Ω, τ = l²/D in s.

    Tends to R at low frequency and to the semi-infinite Warburg at high frequency.

    References
    ----------
    Lasia, A. Electrochemical Impedance Spectroscopy and its Applications,
    §4.9 (Springer, 2014). doi:10.1007/978-1-4614-8933-7

    Orazem, M. E. & Tribollet, B. Electrochemical Impedance Spectroscopy, 2nd ed.,
    ch. 11 (Wiley, 2017). doi:10.1002/9781119363682
    """
    s = np.sqrt(1j * np.asarray(omega) * tau)
    return R * np.tanh(s) / s


def warburg_open(omega: np.ndarray, R: float, tau: float) -> np.ndarray:
    """Finite-space (reflective) Warburg Z = R coth(√(jωτ))/√(jωτ); R in Ω, τ = l²/D in s.

    Tends to a capacitance (vertical line) at low frequency and to the
    semi-infinite Warburg at high frequency.

    References
    ----------
    Lasia, A. Electrochemical Impedance Spectroscopy and its Applications,
    §4.9 (Springer, 2014). doi:10.1007/978-1-4614-8933-7

    Orazem, M. E. & Tribollet, B. Electrochemical Impedance Spectroscopy, 2nd ed.,
    ch. 11 (Wiley, 2017). doi:10.1002/9781119363682
    """
    s = np.sqrt(1j * np.asarray(omega) * tau)
    return R / (s * np.tanh(s))
