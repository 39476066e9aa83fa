"""Electrode kinetics: pure, vectorised functions, one per published relation.

All potentials in V, current densities in A/m², temperatures in K.
Anodic (oxidation) current is positive.
"""

from __future__ import annotations

import numpy as np

from metalair.constants import F, R

__all__ = [
    "butler_volmer",
    "butler_volmer_overpotential",
    "tafel_overpotential",
    "affinity_gated_rate",
    "frumkin_insertion_potential",
]


def butler_volmer(eta, i0, alpha_a=0.5, alpha_c=0.5, n=1, T=298.15, c_red=1.0, c_ox=1.0):
    r"""Butler–Volmer current density.

    Parameters
    ----------
    eta : array_like
        Overpotential :math:`\eta = E - E_{eq}` [V].
    i0 : array_like
        Exchange current density [A/m²].
    alpha_a, alpha_c : float
        Anodic and cathodic transfer coefficients [-].
    n : int
        Electrons transferred [-].
    T : float
        Temperature [K].
    c_red, c_ox : array_like
        Relative activities multiplying the anodic and cathodic branch [-].

    Returns
    -------
    ndarray
        Current density [A/m²], anodic positive.

    Notes
    -----
    .. math:: i = i_0\left[c_{red}\,e^{\alpha_a n F\eta/RT} - c_{ox}\,e^{-\alpha_c n F\eta/RT}\right]

    References
    ----------
    .. [1] Bard, A. J.; Faulkner, L. R. *Electrochemical Methods*, 2nd ed.,
       Wiley (2001), Eq. 3.4.11.
    """
    f = n * F / (R * np.asarray(T, dtype=float))
    eta = np.asarray(eta, dtype=float)
    return np.asarray(i0) * (
        np.asarray(c_red) * np.exp(alpha_a * f * eta) - np.asarray(c_ox) * np.exp(-alpha_c * f * eta)
    )


def butler_volmer_overpotential(i, i0, n=1, T=298.15, alpha=0.5):
    r"""Overpotential of a symmetric Butler–Volmer reaction carrying current ``i``.

    Notes
    -----
    For :math:`\alpha_a = \alpha_c = \alpha = 1/2` the Butler–Volmer equation
    inverts in closed form:

    .. math:: \eta = \frac{RT}{\alpha n F}\,\operatorname{asinh}\!\left(\frac{i}{2 i_0}\right)

    For other ``alpha`` this is the symmetric-form approximation.

    References
    ----------
    .. [1] Bard & Faulkner (2001), Eq. 3.4.11 with :math:`\alpha = 1/2`.
    """
    i = np.asarray(i, dtype=float)
    return R * np.asarray(T, dtype=float) / (alpha * n * F) * np.arcsinh(i / (2.0 * np.asarray(i0)))


def tafel_overpotential(i, i0, alpha=0.5, n=1, T=298.15):
    r"""High-field (Tafel) overpotential :math:`\eta = \frac{RT}{\alpha n F}\ln(i/i_0)` [V].

    References
    ----------
    .. [1] Tafel, J. Z. Phys. Chem. 50, 641 (1905). doi:10.1515/zpch-1905-5043
    """
    return R * np.asarray(T, dtype=float) / (alpha * n * F) * np.log(np.asarray(i, float) / np.asarray(i0))


def affinity_gated_rate(eta, k_forward, alpha, n=1, T=298.15):
    r"""Net rate of a one-directional channel with the transition-state affinity factor.

    A decomposition (or formation) channel whose forward rate follows Tafel
    kinetics, made thermodynamically consistent by the affinity factor of
    transition-state theory, so that it is zero at equilibrium and never runs
    uphill:

    .. math:: r = k_f\,e^{\alpha n F\eta/RT}\left(1 - e^{-nF\eta/RT}\right),\quad \eta > 0;\qquad r = 0,\ \eta \le 0

    Parameters
    ----------
    eta : array_like
        Driving overpotential in the channel's forward direction [V].
    k_forward : array_like
        Forward rate at :math:`\eta = 0` (any unit; the result has the same unit).
    alpha : float
        Transfer coefficient of the forward direction [-].

    References
    ----------
    .. [1] Aagaard, P.; Helgeson, H. C. "Thermodynamic and kinetic constraints on
       reaction rates among minerals and aqueous solutions", Am. J. Sci. 282,
       237 (1982). doi:10.2475/ajs.282.3.237
    .. [2] Lasaga, A. C. *Kinetic Theory in the Earth Sciences*, Princeton (1998), ch. 2.
    """
    f = n * F / (R * np.asarray(T, dtype=float))
    eta = np.asarray(eta, dtype=float)
    pos = np.maximum(eta, 0.0)
    return np.where(eta > 0.0, np.asarray(k_forward) * np.exp(alpha * f * pos) * (-np.expm1(-f * pos)), 0.0)


def frumkin_insertion_potential(z, E0, width=None, T=298.15):
    r"""Open-circuit potential of an insertion couple at oxidised fraction ``z``.

    .. math:: E = E^0 + w\,\ln\frac{z}{1 - z}

    with :math:`w = RT/F` for an ideal lattice gas (Nernst) and :math:`w > RT/F`
    for a broadened (repulsive-interaction) couple.

    References
    ----------
    .. [1] Frumkin, A. N. Z. Phys. Chem. 116, 466 (1925); lattice-gas form as in
       Bazant, M. Z. Acc. Chem. Res. 46, 1144 (2013). doi:10.1021/ar300145c
    """
    w = R * T / F if width is None else width
    z = np.asarray(z, dtype=float)
    return E0 + w * np.log(z / (1.0 - z))
