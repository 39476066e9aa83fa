"""Thermodynamic relations as pure, vectorised functions.

Each function is one textbook relation, named after it. They take and return
SI values (J/mol, J/(mol K), K, V) and broadcast over NumPy arrays; the
:class:`~metalair.chemistry.reactions.Reaction` methods are thin wrappers
that feed them the tabulated data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from metalair.constants import T_REF, F, R
from metalair.errors import ParameterError

__all__ = [
    "gibbs_energy_ulich",
    "potential_from_gibbs_energy",
    "nernst_potential",
    "temperature_coefficient",
    "formation_entropy",
    "consistency_gap",
]


def _scalar_or_array(x: np.ndarray) -> float | np.ndarray:
    return float(x) if np.ndim(x) == 0 else x


def gibbs_energy_ulich(delta_h: ArrayLike, delta_s: ArrayLike, T: ArrayLike) -> float | np.ndarray:
    r"""Reaction Gibbs energy with temperature-independent ΔrH and ΔrS (Ulich).

    Parameters
    ----------
    delta_h : array_like
        Reaction enthalpy ΔrH° [J/mol], taken as constant.
    delta_s : array_like
        Reaction entropy ΔrS° [J/(mol K)], taken as constant.
    T : array_like
        Temperature [K].

    Returns
    -------
    float or ndarray
        ΔrG°(T) [J/mol].

    Notes
    -----
    .. math:: \Delta_r G^\circ(T) = \Delta_r H^\circ - T\,\Delta_r S^\circ

    This is Ulich's first approximation (ΔrCp = 0), the "second-law" form. For
    the Na–O2 reactions it reproduces the JANAF heat-capacity-resolved E°(T)
    to about 1 mV between 273 and 353 K (checked against the NASA-7 polynomials
    of McBride, Gordon & Reno, NASA TM-4513, 1993).

    References
    ----------
    .. [1] P. Atkins and J. de Paula, *Atkins' Physical Chemistry*, 9th ed.
       (Oxford University Press, 2010), ch. 3-4 (Gibbs energy and its
       temperature dependence; constant-ΔrH, ΔrS estimate, often credited
       to H. Ulich).
    """
    return _scalar_or_array(np.asarray(delta_h, float) - np.asarray(T, float) * np.asarray(delta_s, float))


def potential_from_gibbs_energy(delta_g: ArrayLike, n: int) -> float | np.ndarray:
    """Electrode potential of a reduction from its Gibbs energy, E = −ΔrG/(nF).

    Parameters
    ----------
    delta_g : array_like
        Reaction Gibbs energy [J/mol] of the reaction written as a reduction
        (discharge direction).
    n : int
        Electrons transferred per reaction as written, > 0.

    Returns
    -------
    float or ndarray
        Potential [V] against the metal couple of the reaction (M+/M).

    References
    ----------
    .. [1] A. J. Bard and L. R. Faulkner, *Electrochemical Methods*, 2nd ed.
       (Wiley, 2001), ch. 2 (ΔG = −nFE).
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
        raise ParameterError(f"electrons n = {n!r} is not allowed; allowed: an integer ≥ 1")
    return _scalar_or_array(-np.asarray(delta_g, float) / (n * F))


def temperature_coefficient(delta_s: ArrayLike, n: int) -> float | np.ndarray:
    """Temperature coefficient of an electrode potential, dE°/dT = ΔrS°/(nF) [V/K].

    Parameters
    ----------
    delta_s : array_like
        Reaction entropy ΔrS° [J/(mol K)] of the reduction as written.
    n : int
        Electrons transferred, > 0.

    References
    ----------
    .. [1] A. J. Bard and L. R. Faulkner, *Electrochemical Methods*, 2nd ed.
       (Wiley, 2001), §2.1 (Gibbs–Helmholtz, (∂E/∂T)_p = ΔS/(nF)).
    """
    return potential_from_gibbs_energy(-np.asarray(delta_s, float), n)


def nernst_potential(
    E0: ArrayLike, n: int, T: ArrayLike, activities: ArrayLike, nu: ArrayLike
) -> float | np.ndarray:
    r"""Nernst equation for a reduction with species activities.

    Parameters
    ----------
    E0 : array_like
        Standard potential E°(T) [V] at the same temperature(s).
    n : int
        Electrons transferred per reaction as written, > 0.
    T : array_like
        Temperature [K]; broadcasts with ``E0`` and the leading axes of
        ``activities``.
    activities : array_like, shape (..., k)
        Activities a_i > 0 of the k species that are not at unit activity
        (for an ideal gas a_i = p_i/p°).
    nu : array_like, shape (k,)
        Signed stoichiometric coefficients of those species in the reduction
        (reactants negative, products positive).

    Returns
    -------
    float or ndarray
        Equilibrium potential E [V].

    Raises
    ------
    ParameterError
        If an activity is not a positive finite number (ln a undefined).

    Notes
    -----
    .. math:: E = E^\circ - \frac{RT}{nF}\sum_i \nu_i \ln a_i

    With reactants negative, a reduction that consumes a gas (ν < 0) is
    pushed to a higher potential by a higher partial pressure of that gas.

    References
    ----------
    .. [1] A. J. Bard and L. R. Faulkner, *Electrochemical Methods*, 2nd ed.
       (Wiley, 2001), ch. 2 (the Nernst equation).
    """
    a = np.asarray(activities, float)
    nu_arr = np.asarray(nu, float)
    if a.shape[-1:] != nu_arr.shape and not (a.ndim == 0 and nu_arr.size == 0):
        raise ParameterError(
            f"activities have shape {a.shape} but nu has shape {nu_arr.shape}; the last axis of the "
            "activities must list the same species as nu"
        )
    if a.size and (not np.all(np.isfinite(a)) or np.any(a <= 0.0)):
        raise ParameterError(
            f"activities must be positive finite numbers, got {a.tolist()}; a zero activity makes "
            "ln(a) infinite (the reaction cannot be at equilibrium)"
        )
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
        raise ParameterError(f"electrons n = {n!r} is not allowed; allowed: an integer ≥ 1")
    log_q = np.sum(nu_arr * np.log(a), axis=-1) if a.size else 0.0
    E = np.asarray(E0, float) - R * np.asarray(T, float) / (n * F) * log_q
    return _scalar_or_array(E)


def formation_entropy(composition: Mapping[str, float], S: float, element_entropy: Mapping[str, float]) -> float:
    """Entropy of formation ΔfS° = S° − Σ_el n_el S°_el [J/(mol K)].

    Parameters
    ----------
    composition : mapping of str to float
        Atoms of each element per formula unit.
    S : float
        Third-law entropy of the compound [J/(mol K)].
    element_entropy : mapping of str to float
        Entropy of each element in its reference state *per atom*
        [J/(mol K)] (e.g. O: 205.15/2 for O2(g)).

    Raises
    ------
    ParameterError
        If an element of the compound has no reference entropy.
    """
    missing = sorted(set(composition) - set(element_entropy))
    if missing:
        raise ParameterError(
            f"no reference-state entropy for element(s) {', '.join(missing)}; add the element's "
            "reference species (e.g. 'H2(g)', 'C(graphite)') to the table"
        )
    return float(S - sum(n * element_entropy[el] for el, n in composition.items()))


def consistency_gap(dHf: ArrayLike, dGf: ArrayLike, dSf: ArrayLike, T: float = T_REF) -> float | np.ndarray:
    """Internal-consistency gap of a table row, ΔfG° − (ΔfH° − T ΔfS°) [J/mol].

    A well-reconciled table gives |gap| below the rounding of its columns
    (≲ 0.5 kJ/mol). A larger gap means ΔfG°, ΔfH° and S° come from different
    evaluations; :class:`~metalair.chemistry.reactions.Reaction` then trusts
    ΔfG° at 298.15 K and uses S° only for the temperature slope.
    """
    return _scalar_or_array(np.asarray(dGf, float) - (np.asarray(dHf, float) - T * np.asarray(dSf, float)))
