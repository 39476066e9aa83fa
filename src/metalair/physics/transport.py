r"""Oxygen supply to the reaction zone of the air electrode."""

from __future__ import annotations

import math

from metalair._jit import jit

__all__ = ["o2_film_supply", "o2_deposit_resistance", "o2_supply", "o2_limited_formation"]


@jit
def o2_film_supply(solubility: float, p_o2: float, diffusivity: float, liquid_fraction: float,
                   gas_liquid_area: float, film_thickness: float) -> float:
    r"""Largest O2 flux [mol/(s kg)] the air can deliver through the wetted electrode to a dry reaction zone.

    Parameters
    ----------
    solubility : float
        Henry coefficient of O2 in the electrolyte [mol/(m³ Pa)].
    p_o2 : float
        O2 partial pressure of the gas [Pa].
    diffusivity : float
        O2 diffusivity in the liquid electrolyte [m²/s].
    liquid_fraction : float
        Liquid volume fraction of the swollen gel [-].
    gas_liquid_area : float
        Gas/electrolyte interfacial area [m² per kg catalyst].
    film_thickness : float
        Electrolyte film between gas and reaction zone [m].

    Returns
    -------
    float
        :math:`S = D\,\varepsilon^{1.5} a_{gl}\,c_{sat}/L` [mol/(s kg)].

    Notes
    -----
    Fickian flux across a film of thickness :math:`L` with a Bruggeman
    correction (exponent 1.5) of the diffusivity in the gel.

    References
    ----------
    .. [1] Laoire, C. O. et al. J. Phys. Chem. C 114, 9178 (2010): O2 solubility
       and diffusivity in TEGDME. doi:10.1021/jp102019y
    .. [2] Bruggeman, D. A. G. Ann. Phys. 416, 636 (1935). doi:10.1002/andp.19354160705
    """
    return diffusivity * liquid_fraction ** 1.5 * gas_liquid_area / film_thickness * (solubility * p_o2)


@jit
def o2_deposit_resistance(solubility: float, p_o2: float, diffusivity: float, liquid_fraction: float,
                          deposit_porosity: float, gas_liquid_area: float) -> float:
    r"""Resistance of the discharge deposits to the O2 supply, per deposit volume [s/mol per m³/kg].

    Parameters
    ----------
    solubility, p_o2, diffusivity, liquid_fraction, gas_liquid_area : float
        As in :func:`o2_film_supply`.
    deposit_porosity : float
        Electrolyte-filled pore fraction of the deposit layer [-].

    Returns
    -------
    float
        :math:`r = 1/(a_{gl}^2\,D\,(\varepsilon_l\varepsilon_d)^{1.5}\,c_{sat})`; infinite
        without O2 in the gas.

    Notes
    -----
    Solid products precipitate between the gas/electrolyte interface and the
    catalyst. Spread over the interfacial area :math:`a_{gl}`, a deposit volume
    :math:`V` [m³/kg] is a layer :math:`h = V/a_{gl}` thick that O2 crosses
    through its electrolyte-filled pores, with a Bruggeman diffusivity
    :math:`D(\varepsilon_l\varepsilon_d)^{1.5}`: a resistance :math:`V r` in
    series with the film's (:func:`o2_supply`). Product clogging of the
    O2 path is what ends the discharge of organic-electrolyte metal–O2 cells
    at high rate [1]_.

    References
    ----------
    .. [1] Read, J. J. Electrochem. Soc. 149, A1190 (2002): capacity of the
       Li/O2 organic-electrolyte cell set by O2 transport and product deposits
       in the air electrode. doi:10.1149/1.1498256
    .. [2] Bruggeman, D. A. G. Ann. Phys. 416, 636 (1935). doi:10.1002/andp.19354160705
    """
    c = solubility * p_o2
    if c <= 0.0:
        return math.inf
    return 1.0 / (gas_liquid_area * gas_liquid_area * diffusivity * (liquid_fraction * deposit_porosity) ** 1.5 * c)


@jit
def o2_supply(film_supply: float, deposit_volume: float, deposit_resistance: float) -> float:
    r"""Largest O2 flux [mol/(s kg)] through the wetted film and the deposits in series.

    :math:`S = 1/(1/S_{film} + V\,r)` with :math:`S_{film}` from :func:`o2_film_supply`,
    the deposit volume :math:`V` [m³/kg] and :math:`r` from :func:`o2_deposit_resistance`;
    0 without O2.
    """
    if film_supply <= 0.0:
        return 0.0
    return 1.0 / (1.0 / film_supply + max(deposit_volume, 0.0) * deposit_resistance)


@jit
def o2_limited_formation(supply: float, a1: float, b1: float, a2: float, b2: float) -> tuple[float, float, float]:
    r"""O2 saturation at the reaction zone and the net formation rates of two O2-consuming reactions.

    Parameters
    ----------
    supply : float
        Largest O2 flux from the air, :math:`S` [mol/(s kg)].
    a1, b1 : float
        Cathodic (O2-consuming, at air saturation) and anodic rate of reaction 1 [mol/(s kg)].
    a2, b2 : float
        The same for reaction 2.

    Returns
    -------
    tuple of float
        ``(theta, P1, P2)``: O2 saturation :math:`\theta = c_{O_2}/c_{O_2}^{air}` and
        net formation rates (never negative).

    Notes
    -----
    Quasi-steady O2 balance of the reaction zone, first order in O2 on the
    cathodic branches of the reactions that run cathodically:

    .. math:: S(1 - \theta) = \sum_{k\ \mathrm{active}} (a_k\theta - b_k)

    solved for :math:`\theta` with the active set (reactions with
    :math:`a_k\theta > b_k`) found by fixed-point iteration.
    """
    act1 = a1 > b1
    act2 = a2 > b2
    theta = 1.0
    for _ in range(3):
        num = supply + (b1 if act1 else 0.0) + (b2 if act2 else 0.0)
        den = supply + (a1 if act1 else 0.0) + (a2 if act2 else 0.0)
        theta = num / den if den > 0.0 else 0.0  # no supply and no demand: no O2 there (argon), not saturated
        new1 = act1 and a1 * theta > b1
        new2 = act2 and a2 * theta > b2
        if new1 == act1 and new2 == act2:
            break
        act1 = new1
        act2 = new2
    P1 = a1 * theta - b1 if act1 else 0.0
    P2 = a2 * theta - b2 if act2 else 0.0
    return theta, max(P1, 0.0), max(P2, 0.0)
