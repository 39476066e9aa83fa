"""The lumped model's step: the physics functions assembled into one backward-Euler step.

Written in the restricted style numba compiles (floats, 1-D float arrays, the
:class:`~metalair.models.declaration.Constants` named tuple), so the same
source runs compiled or as plain Python (:mod:`metalair._jit`). Every relation
is a call to a documented function in :mod:`metalair.physics`; this module
only wires them to the state layout :data:`~metalair.models.declaration.Y`
and the output layout :data:`~metalair.models.declaration.O`.

``couples`` is an ``(n, 5)`` array: half-conversion potential [V], width [V],
rate constant [1/s], capacity [C/kg], 1.0 where the couple's progress moves the catalyst state.
``stage`` holds the d-band centre [eV] of the catalyst state at each integer host stage (one
entry for a fixed-state catalyst); the couples flagged in column 4 move the state.
"""

from __future__ import annotations

import numpy as np

from metalair._jit import jit
from metalair.constants import K_B_EV, F, R
from metalair.models.declaration import N_BASE_STATES, N_FIXED_OUTPUTS, O, Y
from metalair.physics.catalysis import (
    bep_exchange_current,
    binding_strength,
    desorption_current,
    film_fraction,
    state_d_band,
)
from metalair.physics.deposition import passivation_factor, skin_coverage, tunnelling_free_area
from metalair.physics.kinetics import affinity_gated_rate, butler_volmer_overpotential, insertion_step
from metalair.physics.numerics import implicit_decay, safe_exp
from metalair.physics.transport import o2_limited_formation, o2_supply
from metalair.solvers.integrate import make_integrator
from metalair.solvers.roots import root_finder

__all__ = ["CONTROL_CURRENT", "CONTROL_VOLTAGE", "step", "integrate", "surface_state", "cell_voltage",
           "evaluate", "new_output"]

#: Control modes of :func:`step`: the cell current, or the cell voltage, is prescribed.
CONTROL_CURRENT = 0
CONTROL_VOLTAGE = 1


@jit
def surface_state(p, y):
    """(free area fraction for O2 reduction, exchange-current factor of the interfacial skin, O2 supply).

    The O2 supply [mol/(s kg)] falls as the deposits (every solid product) thicken the O2 path.
    """
    v_co3x = y[Y.carbonate_exposed] * p.vm_Na2CO3
    v_co3e = y[Y.carbonate] * p.vm_Na2CO3 - v_co3x
    v_nao2s = y[Y.nao2_solution] * p.vm_NaO2
    v_nao2f = y[Y.nao2_film] * p.vm_NaO2
    v_na2o2 = y[Y.na2o2] * p.vm_Na2O2
    v_res = y[Y.residue] * p.vm_residue + y[Y.oxidised_electrolyte] * p.vm_oxidised_electrolyte
    v_block = p.solution_blocking * (v_nao2s + v_na2o2 + v_co3e) + p.film_blocking * v_nao2f
    v_skin = p.residue_blocking * (v_co3x + v_res)
    free = tunnelling_free_area((v_block + v_skin) / p.specific_area, p.tunnel_length, p.tunnel_width)
    theta = skin_coverage(v_skin, p.specific_area, p.residue_monolayer)
    supply = o2_supply(p.o2_film_supply, v_nao2s + v_nao2f + v_na2o2 + v_co3x + v_co3e + v_res,
                       p.o2_deposit_resistance)
    return free, passivation_factor(theta, p.residue_passivation_decades), supply


@jit
def cell_voltage(p, E, I_cell):
    """Cell voltage [V] from the air-electrode potential and the cell current (discharge positive)."""
    eta_anode = butler_volmer_overpotential(I_cell, p.anode_exchange_current, 1.0, p.T, 0.5)
    return E - eta_anode - I_cell * p.ohmic_resistance


@jit
def evaluate(E, y, dt, free, passiv, supply, p, couples, stage, out, full):
    """Net anodic current [A/kg] at air-electrode potential ``E`` after a step ``dt`` from ``y``.

    With ``full`` true, ``out`` receives the new state, channel currents, the cell current (the
    negative of the return value), amounts and diagnostics.
    """
    f = F / (R * p.T)
    A0 = p.specific_area
    A_free = A0 * free
    n_c = couples.shape[0]
    ny = N_BASE_STATES + n_c
    # couples (host redox of the catalyst and any extra couple): implicit, closed form
    I_couples = 0.0
    s = 0.0
    for j in range(n_c):
        zo = y[N_BASE_STATES + j]
        zn = insertion_step(zo, E, couples[j, 0], couples[j, 1], couples[j, 2], dt)
        I_j = couples[j, 3] * (zn - zo) / dt
        I_couples += I_j
        if couples[j, 4] > 0.0:
            s += zn
        if full:
            out[N_BASE_STATES + j] = zn
            out[ny + N_FIXED_OUTPUTS + j] = I_j
    eps = state_d_band(stage, s)
    # decomposition exchange currents from the descriptors, evaluated in the present state
    i0d1 = passiv * bep_exchange_current(
        p.i0_dec_NaO2, binding_strength(p.icohp_NaO2, eps, p.d_band_state_NaO2, p.gamma_d),
        p.binding_ref, p.beta_binding, p.eta_fe_NaO2, p.beta_fe, p.T)
    i0d2 = passiv * bep_exchange_current(
        p.i0_dec_Na2O2, binding_strength(p.icohp_Na2O2, eps, p.d_band_state_Na2O2, p.gamma_d),
        p.binding_ref, p.beta_binding, p.eta_fe_Na2O2, p.beta_fe, p.T)
    i0d3 = passiv * bep_exchange_current(
        p.i0_dec_Na2CO3, binding_strength(p.icohp_Na2CO3, eps, p.d_band_state_Na2CO3, p.gamma_d),
        p.binding_ref, p.beta_binding, p.eta_fe_Na2CO3, p.beta_fe, p.T)
    i0_res = p.i0_dec_residue * i0d3 / p.i0_dec_Na2CO3
    # formation (cathodic) channels; O2 at the reaction zone quasi-steady
    eta1 = E - p.E_NaO2
    eta2 = E - p.E_Na2O2
    eta3 = E - p.E_Na2CO3
    ac = p.alpha_cathodic
    k1 = A_free * passiv * p.i0_form_NaO2 / F
    k2 = A_free * passiv * p.i0_form_Na2O2 / (2.0 * F)
    theta, P1, P2 = o2_limited_formation(
        supply,
        k1 * safe_exp(-ac * f * eta1), k1 * safe_exp((1.0 - ac) * f * eta1),
        k2 * safe_exp(-ac * 2.0 * f * eta2), k2 * safe_exp((1.0 - ac) * 2.0 * f * eta2))
    # decomposition at full contact [mol/(s kg)]: first electron transfer rate-determining
    aa = p.alpha_anodic
    r1 = affinity_gated_rate(eta1, A0 * i0d1 / F, aa, 1.0, p.T, 1.0)
    r2 = affinity_gated_rate(eta2, A0 * i0d2 / (2.0 * F), aa, 2.0, p.T, 1.0)
    r3 = affinity_gated_rate(eta3, A0 * i0d3 / (2.0 * F), aa, 2.0, p.T, 1.0)
    r4 = affinity_gated_rate(eta3, A0 * i0_res / F, aa, 1.0, p.T, 1.0)
    # growth route and interfacial residence of superoxide (d-band)
    eps_nao2 = p.d_band_NaO2 + (eps - stage[0])
    j_form = F * (P1 + 2.0 * P2) / A_free if A_free > 0.0 else 0.0
    f_film = film_fraction(j_form, desorption_current(p.desorption_ref, eps_nao2, p.d_band_ref,
                                                      p.gamma_ads, p.T))
    resid = safe_exp(p.gamma_ads * (eps_nao2 - p.d_band_ref) / (K_B_EV * p.T))
    kd = p.k_disproportionation
    kc = p.k_carbonation * resid
    ka = p.k_electrolyte_attack * resid
    # implicit inventory updates in dependency order (exact mass balance)
    kt = dt * (kd + kc + ka)
    h1 = p.contact_NaO2
    h2 = p.contact_Na2O2
    h3 = p.contact_Na2CO3
    h4 = p.contact_residue
    # the solution-grown and the surface-grown NaO2 share the catalyst contact: one saturating sink for
    # both, each pool losing the same fraction of itself
    b0 = y[Y.nao2_solution] + dt * (1.0 - f_film) * P1
    bf = y[Y.nao2_film] + dt * f_film * P1
    nt = implicit_decay(b0 + bf, h1, dt * r1, kt)
    keep = nt / (b0 + bf) if b0 + bf > 0.0 else 0.0
    n0 = b0 * keep
    nf = bf * keep
    disp = kd * dt * nt
    carb0 = kc * dt * nt
    attack = ka * dt * nt
    d1 = dt * r1 * nt / (nt + h1)
    n1 = implicit_decay(y[Y.na2o2] + dt * P2 + 0.5 * disp, h2, dt * r2, dt * kc)
    carb1 = dt * kc * n1
    d2 = dt * r2 * n1 / (n1 + h2)
    n2 = implicit_decay(y[Y.carbonate] + 0.5 * carb0 + carb1, h3, dt * r3, 0.0)
    d3 = dt * r3 * n2 / (n2 + h3)
    n3 = implicit_decay(y[Y.residue] + attack, h4, dt * r4, 0.0)
    d4 = dt * r4 * n3 / (n3 + h4)
    I1 = F * (d1 / dt - P1)
    I2 = 2.0 * F * (d2 / dt - P2)
    I3 = 2.0 * F * d3 / dt
    I4 = F * d4 / dt
    I_eo = A0 * passiv * p.i0_electrolyte_oxidation * safe_exp(
        p.alpha_electrolyte_oxidation * f * (E - p.electrolyte_oxidation_potential))
    I_dl = p.double_layer_capacitance * (E - y[Y.potential]) / dt
    total = I1 + I2 + I3 + I4 + I_eo + I_couples + I_dl
    if not full:
        return total
    out[Y.nao2_solution] = n0
    out[Y.nao2_film] = nf
    out[Y.na2o2] = n1
    out[Y.carbonate] = n2
    out[Y.residue] = n3
    out[Y.oxidised_electrolyte] = y[Y.oxidised_electrolyte] + p.electrolyte_oxidation_deposit * dt * I_eo / (2.0 * F)
    out[Y.potential] = E
    # carbonate exposure: oxidising the particles that carried carbonate leaves it on the catalyst,
    # where it is the first carbonate to be oxidised
    host_old = y[Y.nao2_solution] + y[Y.nao2_film] + y[Y.na2o2]
    emb_old = y[Y.carbonate] - y[Y.carbonate_exposed]
    released = emb_old * min(1.0, (d1 + d2) / host_old) if host_old > 0.0 else emb_old
    out[Y.carbonate_exposed] = min(max(y[Y.carbonate_exposed] + released - d3, 0.0), n2)
    out[ny + O.i_nao2] = I1
    out[ny + O.i_na2o2] = I2
    out[ny + O.i_carbonate] = I3
    out[ny + O.i_residue] = I4
    out[ny + O.i_electrolyte] = I_eo
    out[ny + O.i_double_layer] = I_dl
    out[ny + O.n_nao2_formed] = dt * P1
    out[ny + O.n_nao2_decomposed] = d1
    out[ny + O.n_na2o2_formed] = dt * P2
    out[ny + O.n_na2o2_decomposed] = d2
    out[ny + O.n_carbonate_decomposed] = d3
    out[ny + O.n_residue_decomposed] = d4
    out[ny + O.n_disproportionated] = disp
    out[ny + O.n_nao2_carbonated] = carb0
    out[ny + O.n_na2o2_carbonated] = carb1
    out[ny + O.n_electrolyte_attack] = attack
    out[ny + O.n_electrolyte_oxidised] = dt * I_eo / (2.0 * F)
    out[ny + O.o2_saturation] = theta
    out[ny + O.o2_limit] = F * supply
    out[ny + O.d_band] = eps
    out[ny + O.film_fraction] = f_film
    out[ny + O.free_area] = free
    out[ny + O.skin_factor] = passiv
    out[ny + O.cell_current] = -total
    return total


def _balance(E, args):
    """Residual of the control equation at potential ``E`` (increasing in ``E``).

    Writes the full outputs at ``E`` into ``out``: the root finder's last
    evaluation is then the step's result, and :func:`step` need not evaluate again.
    """
    y, dt, free, passiv, supply, p, couples, stage, out, mode, value = args
    tot = evaluate(E, y, dt, free, passiv, supply, p, couples, stage, out, True)
    if mode == CONTROL_CURRENT:
        return tot + value
    return cell_voltage(p, E, -tot) - value


_balance = jit(_balance)
_potential_root = root_finder(_balance, "lumped_potential_root")


@jit
def step(ctx, y, dt, mode, value, guess, width, slope, out):
    """One backward-Euler step of the cell under current or voltage control.

    ``mode`` 0: ``value`` is the cell current, discharge positive [A/kg]; ``mode`` 1: ``value``
    is the cell voltage [V].

    ``guess`` and ``width`` are the first guess and half-width of the first bracket of the
    air-electrode potential; ``slope[0]`` is the slope of the current balance in that potential
    found by the last step (0: none), used for a Newton start and updated here. Returns False
    when no potential balances the step (the caller shortens ``dt``); on success ``out`` holds
    the new state and outputs.
    """
    p, couples, stage = ctx
    free, passiv, supply = surface_state(p, y)
    args = (y, dt, free, passiv, supply, p, couples, stage, out, mode, value)
    E, ok = _potential_root(args, guess - width, guess + width, 0.02, -5.0, 12.0,
                           1e-14, 1e-9 * (1.0 + abs(value)), 1.0, -1.0, False, 200, slope)
    if not ok:
        return False
    ny = y.shape[0]
    if out[Y.potential] != E:  # the root finder's last evaluation was elsewhere (a bracket end)
        evaluate(E, y, dt, free, passiv, supply, p, couples, stage, out, True)
    I_cell = out[ny + O.cell_current]
    out[ny + O.abs_current] = abs(I_cell)
    out[ny + O.cell_voltage] = cell_voltage(p, E, I_cell)
    return True


#: The integrator of :mod:`metalair.solvers.integrate` bound to this model's step.
integrate = make_integrator(step, "lumped")


def new_output(n_couples: int) -> np.ndarray:
    """An output row for a model with ``n_couples`` couples."""
    return np.zeros(N_BASE_STATES + n_couples + N_FIXED_OUTPUTS + n_couples)

