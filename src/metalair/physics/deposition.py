r"""Deposits on the catalyst: the area they leave free and the passivation of a surface skin."""

from __future__ import annotations

import math

from metalair._jit import jit

__all__ = ["tunnelling_free_area", "skin_coverage", "passivation_factor"]


@jit
def tunnelling_free_area(thickness: float, tunnel_length: float, tunnel_width: float) -> float:
    r"""Fraction of catalyst area still electronically active under a deposit of mean ``thickness``.

    Parameters
    ----------
    thickness : float
        Mean (blocking-weighted) deposit thickness :math:`\delta` [m].
    tunnel_length : float
        Thickness :math:`l_m` at which half the area is lost [m].
    tunnel_width : float
        Width :math:`l_\sigma` of the transition [m].

    Returns
    -------
    float
        Active fraction, normalised to 1 at :math:`\delta = 0`.

    Notes
    -----
    .. math:: a/a_0 = \frac{\operatorname{erfc}\left((\delta - l_m)/l_\sigma\right)}
                           {\operatorname{erfc}\left(-l_m/l_\sigma\right)}

    References
    ----------
    .. [1] Jiang, K. et al. J. Power Sources 451, 227821 (2020), Eqs. 22–23.
       doi:10.1016/j.jpowsour.2020.227821
    .. [2] Viswanathan, V. et al. J. Chem. Phys. 135, 214704 (2011): charge
       transport through the peroxide film fails at 5–10 nm. doi:10.1063/1.3663385
    """
    return math.erfc((thickness - tunnel_length) / tunnel_width) / math.erfc(-tunnel_length / tunnel_width)


@jit
def skin_coverage(skin_volume: float, area: float, monolayer: float) -> float:
    r"""Coverage of the catalyst by a thin interfacial skin, :math:`1 - e^{-V/(A\,\delta_{mono})}`.

    Parameters
    ----------
    skin_volume : float
        Skin volume [m³ per kg catalyst].
    area : float
        Catalyst area [m² per kg].
    monolayer : float
        Monolayer thickness [m].

    Returns
    -------
    float
        Coverage in [0, 1).

    References
    ----------
    .. [1] McCloskey, B. D. et al. J. Phys. Chem. Lett. 3, 997 (2012):
       interfacial carbonate grows by about a monolayer per cycle. doi:10.1021/jz300243r
    """
    return 1.0 - math.exp(-skin_volume / (area * monolayer))


@jit
def passivation_factor(coverage: float, decades: float) -> float:
    r"""Exchange-current factor :math:`10^{-\lambda\theta}` of a surface covered to ``coverage``.

    Parameters
    ----------
    coverage : float
        Skin coverage :math:`\theta` [-].
    decades : float
        Decades :math:`\lambda` lost at full coverage [-].

    Returns
    -------
    float
        Factor in (0, 1].

    References
    ----------
    .. [1] McCloskey et al. (2012): a carbonate monolayer lowers i0 10–100x. doi:10.1021/jz300243r
    """
    return 10.0 ** (-decades * coverage)
