r"""Electrode kinetics: one function per published relation, the same ones the model kernel runs.

All potentials in V, current densities in A/m², temperatures in K; anodic
(oxidation) current is positive. The functions take and return floats and are
compiled by numba with the kernel (:mod:`metalair._jit`); for arrays wrap them
with :func:`metalair.physics.vectorized`, e.g.
``vectorized(butler_volmer)(eta_array, 1.0)``.
"""

from __future__ import annotations

import math

from metalair._jit import jit
from metalair.constants import F, R
from metalair.physics.numerics import EXP_MAX, safe_exp

__all__ = [
    "butler_volmer",
    "butler_volmer_overpotential",
    "tafel_overpotential",
    "affinity_gated_rate",
    "frumkin_insertion_potential",
    "insertion_step",
    "gas_activity_factor",
]


@jit
def butler_volmer(eta: float, i0: float, alpha_a: float = 0.5, alpha_c: float = 0.5, n: float = 1.0,
                  T: float = 298.15, c_red: float = 1.0, c_ox: float = 1.0) -> float:
    r"""Butler–Volmer current density [A/m²], anodic positive.

    Parameters
    ----------
    eta : float
        Overpotential :math:`\eta = E - E_{eq}` [V].
    i0 : float
        Exchange current density [A/m²].
    alpha_a, alpha_c : float
        Anodic and cathodic transfer coefficients [-].
    n : float
        Electrons transferred [-].
    T : float
        Temperature [K].
    c_red, c_ox : float
        Relative activities multiplying the anodic and cathodic branch [-].

    Returns
    -------
    float
        Current density [A/m²].

    Notes
    -----
    .. math:: i = i_0\left[c_{red}\,e^{\alpha_a n F\eta/RT} - c_{ox}\,e^{-\alpha_c n F\eta/RT}\right]

    References
    ----------
    .. [1] Bard, A. J.; Faulkner, L. R. *Electrochemical Methods*, 2nd ed.,
       Wiley (2001), Eq. 3.4.11.
    """
    f = n * F / (R * T)
    return i0 * (c_red * math.exp(alpha_a * f * eta) - c_ox * math.exp(-alpha_c * f * eta))


@jit
def butler_volmer_overpotential(i: float, i0: float, n: float = 1.0, T: float = 298.15, alpha: float = 0.5) -> float:
    r"""Overpotential [V] of a symmetric Butler–Volmer reaction carrying current density ``i``.

    Parameters
    ----------
    i, i0 : float
        Current density and exchange current density [A/m²] (any common unit).
    n : float
        Electrons transferred [-].
    T : float
        Temperature [K].
    alpha : float
        Transfer coefficient of both branches [-].

    Returns
    -------
    float
        Overpotential [V], positive for anodic ``i``.

    Notes
    -----
    For :math:`\alpha_a = \alpha_c = \alpha` the Butler–Volmer equation
    inverts in closed form:

    .. math:: \eta = \frac{RT}{\alpha n F}\,\operatorname{asinh}\!\left(\frac{i}{2 i_0}\right)

    References
    ----------
    .. [1] Bard & Faulkner (2001), Eq. 3.4.11 with symmetric transfer coefficients.
    """
    return R * T / (alpha * n * F) * math.asinh(i / (2.0 * i0))


@jit
def tafel_overpotential(i: float, i0: float, alpha: float = 0.5, n: float = 1.0, T: float = 298.15) -> float:
    r"""High-field (Tafel) overpotential :math:`\eta = \frac{RT}{\alpha n F}\ln(i/i_0)` [V].

    Parameters
    ----------
    i, i0 : float
        Current density and exchange current density (same unit, both > 0).
    alpha : float
        Transfer coefficient [-].
    n : float
        Electrons transferred [-].
    T : float
        Temperature [K].

    Returns
    -------
    float
        Overpotential [V].

    References
    ----------
    .. [1] Tafel, J. Z. Phys. Chem. 50, 641 (1905). doi:10.1515/zpch-1905-5043
    """
    return R * T / (alpha * n * F) * math.log(i / i0)


@jit
def affinity_gated_rate(eta: float, k_forward: float, alpha: float, n: float = 1.0, T: float = 298.15,
                        n_rds: float = 0.0) -> float:
    r"""Net rate of a one-directional channel with the transition-state affinity factor.

    A decomposition channel whose forward rate follows Tafel kinetics in its
    rate-determining electron transfer, made thermodynamically consistent by the
    affinity factor of transition-state theory, so that it is zero at
    equilibrium and never runs uphill.

    Parameters
    ----------
    eta : float
        Driving overpotential in the channel's forward direction [V].
    k_forward : float
        Forward rate at :math:`\eta = 0` (any unit; the result has the same unit).
    alpha : float
        Transfer coefficient of the rate-determining step [-].
    n : float
        Electrons of the overall reaction (in the affinity) [-].
    T : float
        Temperature [K].
    n_rds : float
        Electrons in the rate-determining step (in the Tafel exponent); ``0``
        means ``n`` (a concerted reaction).

    Returns
    -------
    float
        Rate, same unit as ``k_forward``.

    Notes
    -----
    .. math:: r = k_f\,e^{\alpha n_{rds} F\eta/RT}\left(1 - e^{-nF\eta/RT}\right),\quad \eta > 0;
              \qquad r = 0,\ \eta \le 0

    References
    ----------
    .. [1] Aagaard, P.; Helgeson, H. C. "Thermodynamic and kinetic constraints on
       reaction rates among minerals and aqueous solutions", Am. J. Sci. 282,
       237 (1982). doi:10.2475/ajs.282.3.237
    .. [2] Bard & Faulkner (2001), §3.5: a rate-determining first electron
       transfer sets the Tafel slope of a multi-electron reaction.
    """
    if not eta > 0.0:
        return 0.0
    f = F / (R * T)
    m = n if n_rds <= 0.0 else n_rds
    return k_forward * safe_exp(alpha * m * f * eta) * (-math.expm1(-n * f * eta))


def gas_activity_factor(alpha_n: float, delta_E: float, T: float = 298.15) -> float:
    r"""Factor on a reference exchange current for the gases of another atmosphere (mass action).

    Parameters
    ----------
    alpha_n : float
        Transfer coefficient times the electrons of the exponent of the branch that must not depend on the
        gases: the anodic one (α_a·m) for the oxidation of a solid product, which the gases do not take part
        in; (1 − α_c)·n for an O2 reduction, whose cathodic branch is then first order in O2.
    delta_E : float
        The reaction's equilibrium potential in the atmosphere minus that in the reference atmosphere (the one
        the exchange current was set in) [V].
    T : float
        Temperature [K].

    Returns
    -------
    float
        :math:`\exp(\alpha n F\,\Delta E / RT)`, 1 in the reference atmosphere.

    Notes
    -----
    The exchange current carries the activities of the species on the oxidised side (O2, CO2, water) to the
    power of the transfer coefficient of the reduction's reverse, :math:`i_0 = F k^0 C_O^{1-\alpha}
    C_R^{\alpha}` (Bard & Faulkner, Electrochemical Methods, 2nd ed. (2001), Eq. 3.4.10). Referred to the
    atmosphere the reference value was set in, that is the Nernst shift of the equilibrium potential weighted
    by the branch's exponent: the oxidation of a solid then runs at the same rate at a given potential in
    any atmosphere (only its threshold, the equilibrium potential, moves), and O2 reduction is first order
    in O2.
    """
    return math.exp(alpha_n * F * delta_E / (R * T))


@jit
def frumkin_insertion_potential(z: float, E0: float, width: float = 0.0, T: float = 298.15) -> float:
    r"""Open-circuit potential [V] of an insertion couple at oxidised fraction ``z``.

    Parameters
    ----------
    z : float
        Oxidised fraction of the couple, in (0, 1).
    E0 : float
        Potential at half conversion [V].
    width : float
        Broadening :math:`w` [V]; ``0`` means the ideal lattice gas, :math:`RT/F`.
    T : float
        Temperature [K].

    Returns
    -------
    float
        Potential [V].

    Notes
    -----
    .. math:: E = E^0 + w\,\ln\frac{z}{1 - z}

    with :math:`w = RT/F` for an ideal lattice gas (Nernst) and :math:`w > RT/F`
    for a broadened (repulsive-interaction) couple.

    References
    ----------
    .. [1] Frumkin, A. N. Z. Phys. Chem. 116, 466 (1925); lattice-gas form as in
       Bazant, M. Z. Acc. Chem. Res. 46, 1144 (2013). doi:10.1021/ar300145c
    """
    w = R * T / F if width <= 0.0 else width
    return E0 + w * math.log(z / (1.0 - z))


@jit
def insertion_step(z_old: float, E: float, E0: float, width: float, k: float, dt: float) -> float:
    r"""Oxidised fraction of an insertion couple after a backward-Euler step at potential ``E``.

    Parameters
    ----------
    z_old : float
        Oxidised fraction at the start of the step [-].
    E : float
        Electrode potential over the step [V].
    E0, width : float
        Half-conversion potential and broadening of the couple [V].
    k : float
        Rate constant at half conversion and equilibrium [1/s].
    dt : float
        Step [s].

    Returns
    -------
    float
        Oxidised fraction at the end of the step, in [0, 1].

    Notes
    -----
    Butler–Volmer insertion kinetics with symmetric transfer coefficient and
    site-fraction activities; its open-circuit curve is
    :func:`frumkin_insertion_potential`:

    .. math:: \frac{dz}{dt} = k\left[e^{x/2}(1 - z) - e^{-x/2} z\right],\quad x = \frac{E - E^0}{w}

    The backward-Euler update is linear in :math:`z` and solved in closed form.

    References
    ----------
    .. [1] Bazant, M. Z. Acc. Chem. Res. 46, 1144 (2013). doi:10.1021/ar300145c
    """
    x = (E - E0) / width
    # clip the exponent on both sides, so that e^{-x/2} = 1/e stays finite: safe_exp returns 0 below -EXP_MAX, and a
    # couple 5 mV wide centred at 6 V, met by the potential search at -5 V, divided by that zero
    e = math.exp(min(max(0.5 * x, -EXP_MAX), EXP_MAX))
    a = k * e
    c = k / e
    return (z_old + dt * a) / (1.0 + dt * (a + c))
