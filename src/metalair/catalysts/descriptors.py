r"""From catalyst descriptors to kinetics: the one documented relation.

Three steps, each a published relation with fitted coefficients.

1. **Binding strength of a product on the present catalyst state** (linear
   d-band model, Hammer & Nørskov): the DFT bond strength :math:`-\mathrm{ICOHP}_k`
   was computed in the state where product *k* is decomposed; in any other
   state of an insertion host it shifts with the d-band centre,

   .. math:: B_k = -\mathrm{ICOHP}_k + \gamma_d\,(\varepsilon_d - \varepsilon_{d,k}).

   For a fixed-state catalyst :math:`\varepsilon_d = \varepsilon_{d,k}` and
   :math:`B_k = -\mathrm{ICOHP}_k`.
2. **Brønsted–Evans–Polanyi**: a stronger catalyst–product bond lowers the
   activation energy of the product's oxidation, and the free-energy (limiting
   potential) overpotential :math:`\eta_{FE}` of the superoxide step raises it:

   .. math:: i_{0,k} = i_{0,k}^{ref}\exp\!\left[\frac{\beta_B (B_k - B_{ref}) - \beta_{FE}\,e\,\eta_{FE,k}}{k_B T}\right].

3. **Surface versus solution growth on discharge** (Horstmann et al. 2013): the
   superoxide intermediate leaves the surface at a desorption-limited rate that
   falls as the d-band centre rises (stronger adsorption),

   .. math:: j_{des} = j_{des}^{ref}\exp\!\left[-\frac{\gamma_{ads}(\varepsilon_d - \varepsilon_{ref})}{k_B T}\right],

   and the fraction of product grown as a conformal, passivating film is
   :math:`f_{film} = j/(j + j_{des})` at local current density *j*.

References
----------
.. [1] Hammer, B.; Nørskov, J. K. Surf. Sci. 343, 211 (1995). doi:10.1016/0039-6028(96)80007-0
.. [2] Nørskov, J. K. et al. J. Catal. 209, 275 (2002). doi:10.1006/jcat.2002.3615
.. [3] Horstmann, B. et al. J. Phys. Chem. Lett. 4, 4217 (2013). doi:10.1021/jz401973c
.. [4] Sun et al., "Cascade reactors for long-life solid-state sodium–air
   batteries", Nat. Commun. (2025): the descriptor values.
"""

from __future__ import annotations

import numpy as np

from metalair.constants import K_B_EV

__all__ = ["binding_strength", "bep_exchange_current", "desorption_current", "film_fraction"]


def binding_strength(icohp, d_band_state, d_band_dft, gamma_d):
    r"""Catalyst–product binding strength :math:`B_k` [eV] in the present state (step 1)."""
    return -np.asarray(icohp, float) + gamma_d * (np.asarray(d_band_state, float) - np.asarray(d_band_dft, float))


def bep_exchange_current(i0_ref, binding, binding_ref, beta_binding, eta_fe=0.0, beta_fe=0.0, T=298.15):
    r"""Exchange current density [A/m²] of a product's oxidation from descriptors (step 2)."""
    kT = K_B_EV * np.asarray(T, float)
    return np.asarray(i0_ref, float) * np.exp(
        (beta_binding * (np.asarray(binding, float) - binding_ref) - beta_fe * np.asarray(eta_fe, float)) / kT
    )


def desorption_current(j_ref, d_band, d_band_ref, gamma_ads, T=298.15):
    r"""Desorption-limited current density of the superoxide intermediate [A/m²] (step 3)."""
    kT = K_B_EV * np.asarray(T, float)
    return np.asarray(j_ref, float) * np.exp(-gamma_ads * (np.asarray(d_band, float) - d_band_ref) / kT)


def film_fraction(j, j_des):
    r"""Fraction of product deposited as a conformal film, :math:`j/(j + j_{des})` (step 3)."""
    j = np.abs(np.asarray(j, float))
    return j / (j + np.asarray(j_des, float))
