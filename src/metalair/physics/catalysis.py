r"""From catalyst descriptors to kinetics: the relations the model kernel runs.

1. **Binding strength of a product on the present catalyst state** (linear
   d-band model): the DFT bond strength :math:`-\mathrm{ICOHP}_k` was computed in
   the state where product *k* is decomposed; in any other state of an
   insertion host it shifts with the d-band centre (:func:`binding_strength`).
2. **Brønsted–Evans–Polanyi**: a stronger catalyst–product bond lowers the
   activation energy of the product's oxidation, and the free-energy (limiting
   potential) overpotential raises it (:func:`bep_exchange_current`).
3. **Surface versus solution growth on discharge**: the superoxide intermediate
   leaves the surface at a desorption-limited rate that falls as the d-band
   centre rises (:func:`desorption_current`); the part of the current above it
   grows a conformal film (:func:`film_fraction`).

References
----------
.. [1] Hammer, B.; Nørskov, J. K. Surf. Sci. 343, 211 (1995). doi:10.1016/0039-6028(96)80007-0
.. [2] Nørskov, J. K. et al. J. Catal. 209, 275 (2002). doi:10.1006/jcat.2002.3615
.. [3] Horstmann, B. et al. J. Phys. Chem. Lett. 4, 4217 (2013). doi:10.1021/jz401973c
.. [4] Sun, Y. et al. "Cascade reactors for long-life solid-state sodium–air
   batteries", Nat. Commun. (2025): the descriptor values of the built-in catalysts.
"""

from __future__ import annotations

from typing import Any

from metalair._jit import jit
from metalair.constants import K_B_EV
from metalair.physics.numerics import safe_exp

__all__ = ["state_d_band", "binding_strength", "bep_exchange_current", "desorption_current", "film_fraction"]


@jit
def state_d_band(stage_d_band: Any, stage: float) -> float:
    r"""d-band centre [eV] of an insertion host at (fractional) oxidation stage ``stage``.

    Parameters
    ----------
    stage_d_band : array
        d-band centre of the DFT states at the integer stages 0, 1, ... [eV].
    stage : float
        Present stage, :math:`s = \sum_j z_j` over the host couples' oxidised fractions.

    Returns
    -------
    float
        Linear interpolation between the bracketing integer stages, held constant outside them.

    Notes
    -----
    Sun et al. (2025) give one DFT state per potential window (2.5, 3.5 and 4.5 V); as the
    host's couples convert the state moves between them. A catalyst that does not switch
    stays at stage 0.
    """
    n = stage_d_band.shape[0]
    if stage <= 0.0 or n == 1:
        return stage_d_band[0]
    if stage >= n - 1:
        return stage_d_band[n - 1]
    i = int(stage)
    return stage_d_band[i] + (stage_d_band[i + 1] - stage_d_band[i]) * (stage - i)


@jit
def binding_strength(icohp: float, d_band_state: float, d_band_dft: float, gamma_d: float) -> float:
    r"""Catalyst–product binding strength :math:`B_k` [eV] in the present catalyst state.

    Parameters
    ----------
    icohp : float
        DFT ICOHP of the metal–O bond with product *k* adsorbed [eV] (negative).
    d_band_state : float
        d-band centre of the present state [eV].
    d_band_dft : float
        d-band centre of the state in which ``icohp`` was computed [eV].
    gamma_d : float
        Slope of the bond strength against the d-band centre [eV/eV].

    Returns
    -------
    float
        :math:`B_k` [eV] (positive: stronger bond is larger).

    Notes
    -----
    .. math:: B_k = -\mathrm{ICOHP}_k + \gamma_d\,(\varepsilon_d - \varepsilon_{d,k})

    For a fixed-state catalyst :math:`\varepsilon_d = \varepsilon_{d,k}` and :math:`B_k = -\mathrm{ICOHP}_k`.

    References
    ----------
    .. [1] Hammer & Nørskov (1995), linearised d-band model. doi:10.1016/0039-6028(96)80007-0
    """
    return -icohp + gamma_d * (d_band_state - d_band_dft)


@jit
def bep_exchange_current(i0_ref: float, binding: float, binding_ref: float, beta_binding: float,
                         eta_fe: float = 0.0, beta_fe: float = 0.0, T: float = 298.15) -> float:
    r"""Exchange current density [A/m²] of a product's oxidation from its descriptors.

    Parameters
    ----------
    i0_ref : float
        Exchange current at :math:`B = B_{ref}`, :math:`\eta_{FE} = 0` [A/m²].
    binding, binding_ref : float
        Binding strength and its reference [eV].
    beta_binding : float
        BEP slope of the barrier against the binding strength [-].
    eta_fe : float
        DFT free-energy (limiting-potential) overpotential of the step [V].
    beta_fe : float
        Weight of :math:`\eta_{FE}` in the barrier [-].
    T : float
        Temperature [K].

    Returns
    -------
    float
        Exchange current density [A/m²].

    Notes
    -----
    .. math:: i_{0,k} = i_{0,k}^{ref}\exp\!\left[
              \frac{\beta_B (B_k - B_{ref}) - \beta_{FE}\,e\,\eta_{FE,k}}{k_B T}\right]

    References
    ----------
    .. [1] Nørskov et al., J. Catal. 209, 275 (2002). doi:10.1006/jcat.2002.3615
    """
    return i0_ref * safe_exp((beta_binding * (binding - binding_ref) - beta_fe * eta_fe) / (K_B_EV * T))


@jit
def desorption_current(j_ref: float, d_band: float, d_band_ref: float, gamma_ads: float, T: float = 298.15) -> float:
    r"""Desorption-limited current density of the superoxide intermediate [A/m²].

    Parameters
    ----------
    j_ref : float
        Desorption current at the reference d-band centre [A/m²].
    d_band, d_band_ref : float
        d-band centre of the surface and its reference [eV].
    gamma_ads : float
        Slope of the superoxide adsorption energy against the d-band centre [eV/eV].
    T : float
        Temperature [K].

    Returns
    -------
    float
        Desorption current density [A/m²].

    Notes
    -----
    .. math:: j_{des} = j_{des}^{ref}\exp\!\left[-\frac{\gamma_{ads}(\varepsilon_d - \varepsilon_{ref})}{k_B T}\right]

    References
    ----------
    .. [1] Horstmann et al., J. Phys. Chem. Lett. 4, 4217 (2013). doi:10.1021/jz401973c
    """
    return j_ref * safe_exp(-gamma_ads * (d_band - d_band_ref) / (K_B_EV * T))


@jit
def film_fraction(j: float, j_des: float) -> float:
    r"""Fraction of new product grown as a conformal film, :math:`|j|/(|j| + j_{des})`.

    Parameters
    ----------
    j : float
        Local formation current density [A/m²].
    j_des : float
        Desorption-limited current density [A/m²].

    Returns
    -------
    float
        Film fraction in [0, 1).

    References
    ----------
    .. [1] Horstmann et al. (2013): surface growth takes over where the current
       exceeds the rate at which the intermediate leaves the surface.
    """
    j = abs(j)
    if j == 0.0:
        return 0.0
    return j / (j + j_des)
