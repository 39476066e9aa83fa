"""The numerical core of the lumped model: one backward-Euler step and one galvanostatic segment.

Written once, in a restricted style (floats and 1-D float arrays, no Python
objects) so that the same source runs as plain Python or, when ``numba`` is
installed (extra ``fast``), compiled to machine code. The physics is documented
in :mod:`metalair.models.lumped`; this module only evaluates it.

Layout of the arrays
--------------------
``prm``   model constants, indices ``P_*`` below (packed by ``LumpedAirElectrode``)
``host``  ``(n_host, 4)``: E0 [V], width [V], rate constant [1/s], capacity [C/kg]
``stage`` d-band centre at each integer host stage [eV]
``y``     state, indices ``Y_*``; host progress from ``Y_HOST``
``out``   results of a step, indices ``O_*`` (new state first, length ``n_y``)
"""

from __future__ import annotations

import math
import os

import numpy as np

# ---------------------------------------------------------------- state layout
Y_NAO2, Y_NA2O2, Y_CO3, Y_RES, Y_OXE, Y_E, Y_FILM, Y_CO3X = range(8)
Y_HOST = 8

# ------------------------------------------------------------ constants layout
_P_NAMES = (
    "f", "kT", "A0", "C_dl", "R_ohm", "i0_anode", "o2_supply", "E1", "E2", "E3",
    "aa", "ac", "i0_form1", "i0_form2", "i0_dec1", "i0_dec2", "i0_dec3", "i0_res",
    "h1", "h2", "h3", "h4", "gamma_d", "beta_B", "beta_FE", "B_ref", "j_des_ref", "gamma_ads", "eps_ref",
    "phi_s", "phi_f", "phi_res", "l_m", "l_sig", "free0", "delta_mono", "passiv_dec",
    "k_disp", "k_carb", "k_attack", "E_ox", "i0_eo", "alpha_eo", "eo_deposit", "hydrate_x",
    "vm1", "vm2", "vm3", "vm4", "vm5", "n_host",
    "B1", "B2", "B3", "eps1", "eps2", "eps3", "etafe1", "etafe2", "etafe3",
)
for _i, _n in enumerate(_P_NAMES):
    globals()["P_" + _n.upper()] = _i
N_PRM = len(_P_NAMES)

# ------------------------------------------------------------- output layout
# after the new state (n_y entries): currents, amounts, diagnostics
(C_NAO2, C_NA2O2, C_CO3, C_RES, C_EO, C_HOST, C_DL,
 A_NAO2_FORMED, A_NAO2_DEC, A_NA2O2_FORMED, A_NA2O2_DEC, A_CO3_DEC, A_RES_DEC,
 A_DISP, A_CARB0, A_CARB1, A_ATTACK, A_EO, A_O2_IN, A_O2_OUT, A_CO2_IN, A_CO2_OUT, A_H2O_IN, A_H2O_OUT,
 D_THETA, D_EPS, D_FILM, D_FREE, D_TOTAL) = range(29)
N_OUT_EXTRA = 29

_F = 96485.33212
_XMAX = 600.0


def _exp(x):
    if x > _XMAX:
        x = _XMAX
    elif x < -_XMAX:
        return 0.0
    return math.exp(x)


def _implicit_decay(b, h, dtr, dtk):
    """Non-negative root of (1+dtk) n² + n[(1+dtk)h − b + dtr] − b h = 0 (backward Euler of
    dn/dt = P − r n/(n+h) − k n with b = n_old + dt P)."""
    if b <= 0.0:
        return 0.0
    a = 1.0 + dtk
    q = a * h - b + dtr
    disc = math.sqrt(q * q + 4.0 * a * b * h)
    if q >= 0.0:
        return 2.0 * b * h / (q + disc)
    return (disc - q) / (2.0 * a)


def _d_band(prm, stage, s):
    n = stage.shape[0]
    if n == 0:
        return prm[P_EPS1]  # noqa: F821 - defined through globals()
    if s <= 0.0:
        return stage[0]
    if s >= n - 1:
        return stage[n - 1]
    i = int(s)
    return stage[i] + (stage[i + 1] - stage[i]) * (s - i)


def pre_step(prm, y):
    """(free area fraction for O2 reduction, exchange-current factor of the interfacial skin)."""
    v_co3x = y[Y_CO3X] * prm[P_VM3]  # noqa: F821
    v_co3e = y[Y_CO3] * prm[P_VM3] - v_co3x  # noqa: F821
    v_block = (prm[P_PHI_S] * (y[Y_NAO2] * prm[P_VM1] + y[Y_NA2O2] * prm[P_VM2] + v_co3e)  # noqa: F821
               + prm[P_PHI_F] * y[Y_FILM] * prm[P_VM1])  # noqa: F821
    v_skin = prm[P_PHI_RES] * (v_co3x + y[Y_RES] * prm[P_VM4] + y[Y_OXE] * prm[P_VM5])  # noqa: F821
    delta = (v_block + v_skin) / prm[P_A0]  # noqa: F821
    free = 0.5 * math.erfc((delta - prm[P_L_M]) / prm[P_L_SIG]) / prm[P_FREE0]  # noqa: F821
    theta_r = 1.0 - math.exp(-v_skin / (prm[P_A0] * prm[P_DELTA_MONO]))  # noqa: F821
    return free, 10.0 ** (-prm[P_PASSIV_DEC] * theta_r)  # noqa: F821


def evaluate(E, y, dt, free, passiv, prm, host, stage, out, full):
    """Net anodic current [A/kg] at air-electrode potential ``E`` after a step ``dt`` from ``y``.

    With ``full`` true, ``out`` receives the new state, channel currents, amounts and diagnostics.
    """
    f = prm[P_F]  # noqa: F821
    A0 = prm[P_A0]  # noqa: F821
    A_free = A0 * free
    n_host = host.shape[0]
    # host couples (implicit, closed form)
    I_host = 0.0
    s = 0.0
    for j in range(n_host):
        x = (E - host[j, 0]) / host[j, 1]
        a = host[j, 2] * _exp(0.5 * x)
        c = host[j, 2] * _exp(-0.5 * x)
        zo = y[Y_HOST + j]
        zn = (zo + dt * a) / (1.0 + dt * (a + c))
        s += zn
        I_host += host[j, 3] * (zn - zo) / dt
        if full:
            out[Y_HOST + j] = zn
    eps = _d_band(prm, stage, s)
    # decomposition exchange currents from descriptors (binding strength, BEP, eta_FE)
    kT = prm[P_KT]  # noqa: F821
    i0d1 = prm[P_I0_DEC1]  # noqa: F821
    i0d2 = prm[P_I0_DEC2]  # noqa: F821
    i0d3 = prm[P_I0_DEC3]  # noqa: F821
    for k in range(3):
        B = prm[P_B1 + k]  # noqa: F821
        if n_host > 0:
            B += prm[P_GAMMA_D] * (eps - prm[P_EPS1 + k])  # noqa: F821
        fac = passiv * _exp((prm[P_BETA_B] * (B - prm[P_B_REF]) - prm[P_BETA_FE] * prm[P_ETAFE1 + k]) / kT)  # noqa: F821
        if k == 0:
            i0d1 *= fac
        elif k == 1:
            i0d2 *= fac
        else:
            i0d3 *= fac
    i0_res = prm[P_I0_RES] * i0d3 / prm[P_I0_DEC3]  # noqa: F821
    # formation (cathodic) channels, O2 at the reaction zone quasi-steady
    aa = prm[P_AA]  # noqa: F821
    ac = prm[P_AC]  # noqa: F821
    eta1 = E - prm[P_E1]  # noqa: F821
    eta2 = E - prm[P_E2]  # noqa: F821
    eta3 = E - prm[P_E3]  # noqa: F821
    k1 = A_free * passiv * prm[P_I0_FORM1] / _F  # noqa: F821
    k2 = A_free * passiv * prm[P_I0_FORM2] / (2.0 * _F)  # noqa: F821
    a1 = k1 * _exp(-ac * f * eta1)
    b1 = k1 * _exp((1.0 - ac) * f * eta1)
    a2 = k2 * _exp(-ac * 2.0 * f * eta2)
    b2 = k2 * _exp((1.0 - ac) * 2.0 * f * eta2)
    S = prm[P_O2_SUPPLY]  # noqa: F821
    act1 = a1 > b1
    act2 = a2 > b2
    theta = 1.0
    for _ in range(3):
        num = S + (b1 if act1 else 0.0) + (b2 if act2 else 0.0)
        den = S + (a1 if act1 else 0.0) + (a2 if act2 else 0.0)
        theta = num / den
        n1 = act1 and a1 * theta > b1
        n2 = act2 and a2 * theta > b2
        if n1 == act1 and n2 == act2:
            break
        act1 = n1
        act2 = n2
    P1 = a1 * theta - b1 if act1 else 0.0
    P2 = a2 * theta - b2 if act2 else 0.0
    if P1 < 0.0:
        P1 = 0.0
    if P2 < 0.0:
        P2 = 0.0
    # decomposition rate coefficients at full contact [mol/(s kg)]: first electron transfer
    # rate-determining (Tafel exponent alpha F eta/RT), TST affinity factor with the full n
    r1 = A0 * i0d1 / _F * _exp(aa * f * eta1) * (-math.expm1(-f * eta1)) if eta1 > 0.0 else 0.0
    r2 = A0 * i0d2 / (2.0 * _F) * _exp(aa * f * eta2) * (-math.expm1(-2.0 * f * eta2)) if eta2 > 0.0 else 0.0
    r3 = A0 * i0d3 / (2.0 * _F) * _exp(aa * f * eta3) * (-math.expm1(-2.0 * f * eta3)) if eta3 > 0.0 else 0.0
    r4 = A0 * i0_res / _F * _exp(aa * f * eta3) * (-math.expm1(-f * eta3)) if eta3 > 0.0 else 0.0
    # growth route (Horstmann et al. 2013) and interfacial residence of superoxide (d-band)
    eps_nao2 = prm[P_EPS1] + (eps - stage[0]) if n_host > 0 else prm[P_EPS1]  # noqa: F821
    dband = prm[P_GAMMA_ADS] * (eps_nao2 - prm[P_EPS_REF]) / kT  # noqa: F821
    j_form = _F * (P1 + 2.0 * P2) / A_free if A_free > 0.0 else 0.0
    f_film = j_form / (j_form + prm[P_J_DES_REF] * _exp(-dband)) if j_form > 0.0 else 0.0  # noqa: F821
    resid = _exp(dband)
    kd = prm[P_K_DISP]  # noqa: F821
    kc = prm[P_K_CARB] * resid  # noqa: F821
    ka = prm[P_K_ATTACK] * resid  # noqa: F821
    h1 = prm[P_H1]  # noqa: F821
    h2 = prm[P_H2]  # noqa: F821
    h3 = prm[P_H3]  # noqa: F821
    h4 = prm[P_H4]  # noqa: F821
    # implicit inventory updates in dependency order (exact mass balance)
    kt = dt * (kd + kc + ka)
    n0 = _implicit_decay(y[Y_NAO2] + dt * (1.0 - f_film) * P1, h1, dt * r1, kt)
    nf = _implicit_decay(y[Y_FILM] + dt * f_film * P1, h1, dt * r1, kt)
    disp = kd * dt * (n0 + nf)
    carb0 = kc * dt * (n0 + nf)
    attack = ka * dt * (n0 + nf)
    d1 = dt * r1 * (n0 / (n0 + h1) + nf / (nf + h1))
    n1 = _implicit_decay(y[Y_NA2O2] + dt * P2 + 0.5 * disp, h2, dt * r2, dt * kc)
    carb1 = dt * kc * n1
    d2 = dt * r2 * n1 / (n1 + h2)
    n2 = _implicit_decay(y[Y_CO3] + 0.5 * carb0 + carb1, h3, dt * r3, 0.0)
    d3 = dt * r3 * n2 / (n2 + h3)
    n3 = _implicit_decay(y[Y_RES] + attack, h4, dt * r4, 0.0)
    d4 = dt * r4 * n3 / (n3 + h4)
    I1 = _F * (d1 / dt - P1)
    I2 = 2.0 * _F * (d2 / dt - P2)
    I3 = 2.0 * _F * d3 / dt
    I4 = _F * d4 / dt
    I_eo = A0 * passiv * prm[P_I0_EO] * _exp(prm[P_ALPHA_EO] * f * (E - prm[P_E_OX]))  # noqa: F821
    I_dl = prm[P_C_DL] * (E - y[Y_E]) / dt  # noqa: F821
    total = I1 + I2 + I3 + I4 + I_eo + I_host + I_dl
    if not full:
        return total
    ny = Y_HOST + n_host
    out[Y_NAO2] = n0
    out[Y_FILM] = nf
    out[Y_NA2O2] = n1
    out[Y_CO3] = n2
    out[Y_RES] = n3
    out[Y_OXE] = y[Y_OXE] + prm[P_EO_DEPOSIT] * dt * I_eo / (2.0 * _F)  # noqa: F821
    out[Y_E] = E
    # carbonate exposure: oxidising host particles leaves the carbonate they carried on the
    # catalyst; carbonate in contact with the catalyst is the first to be oxidised
    host_old = y[Y_NAO2] + y[Y_FILM] + y[Y_NA2O2]
    emb_old = y[Y_CO3] - y[Y_CO3X]
    if host_old > 0.0:
        released = emb_old * min(1.0, (d1 + d2) / host_old)
    else:
        released = emb_old
    x_new = y[Y_CO3X] + released - d3
    out[Y_CO3X] = min(max(x_new, 0.0), n2)
    x = prm[P_HYDRATE_X]  # noqa: F821
    out[ny + C_NAO2] = I1
    out[ny + C_NA2O2] = I2
    out[ny + C_CO3] = I3
    out[ny + C_RES] = I4
    out[ny + C_EO] = I_eo
    out[ny + C_HOST] = I_host
    out[ny + C_DL] = I_dl
    out[ny + A_NAO2_FORMED] = dt * P1
    out[ny + A_NAO2_DEC] = d1
    out[ny + A_NA2O2_FORMED] = dt * P2
    out[ny + A_NA2O2_DEC] = d2
    out[ny + A_CO3_DEC] = d3
    out[ny + A_RES_DEC] = d4
    out[ny + A_DISP] = disp
    out[ny + A_CARB0] = carb0
    out[ny + A_CARB1] = carb1
    out[ny + A_ATTACK] = attack
    out[ny + A_EO] = dt * I_eo / (2.0 * _F)
    out[ny + A_O2_IN] = dt * (P1 + P2)
    out[ny + A_O2_OUT] = d1 + d2 + 0.5 * d3 + 0.5 * disp + 0.75 * carb0 + 0.5 * carb1
    out[ny + A_CO2_IN] = 0.5 * carb0 + carb1
    out[ny + A_CO2_OUT] = d3 + d4
    out[ny + A_H2O_IN] = x * (0.5 * carb0 + carb1)
    out[ny + A_H2O_OUT] = x * d3
    out[ny + D_THETA] = theta
    out[ny + D_EPS] = eps
    out[ny + D_FILM] = f_film
    out[ny + D_FREE] = free
    out[ny + D_TOTAL] = total
    return total


def cell_voltage(prm, E, I_cell):
    """Cell voltage from the air-electrode potential and the cell current (discharge positive)."""
    eta_a = 2.0 / prm[P_F] * math.asinh(I_cell / (2.0 * prm[P_I0_ANODE]))  # noqa: F821
    return E - eta_a - I_cell * prm[P_R_OHM]  # noqa: F821


def _residual(E, y, dt, free, passiv, prm, host, stage, out, mode, value):
    tot = evaluate(E, y, dt, free, passiv, prm, host, stage, out, False)
    if mode == 0:
        return tot + value
    return cell_voltage(prm, E, -tot) - value


def solve_step(y, dt, mode, value, E0, prm, host, stage, out, width=0.005):
    """One backward-Euler step. ``mode`` 0: cell current ``value`` [A/kg, discharge +];
    1: cell voltage ``value`` [V]. ``E0`` is the first guess, ``width`` the half-width of the
    first bracket. Returns the air-electrode potential, or NaN if no potential balances the
    step (the caller shortens ``dt``). ``out`` receives the results."""
    free, passiv = pre_step(prm, y)
    lo = E0 - width
    hi = E0 + width
    glo = _residual(lo, y, dt, free, passiv, prm, host, stage, out, mode, value)
    ghi = _residual(hi, y, dt, free, passiv, prm, host, stage, out, mode, value)
    step = 0.02
    it = 0
    while glo > 0.0:
        hi = lo
        ghi = glo
        lo -= step
        step *= 2.0
        glo = _residual(lo, y, dt, free, passiv, prm, host, stage, out, mode, value)
        it += 1
        if it > 40 or lo < -5.0:
            return math.nan
    step = 0.02
    it = 0
    while ghi < 0.0:
        lo = hi
        glo = ghi
        hi += step
        step *= 2.0
        ghi = _residual(hi, y, dt, free, passiv, prm, host, stage, out, mode, value)
        it += 1
        if it > 40 or hi > 12.0:
            return math.nan
    # bracketed root: Illinois regula falsi with bisection safeguard (monotone residual)
    side = 0
    E = 0.5 * (lo + hi)
    for _ in range(200):
        if hi - lo < 1e-14:
            break
        E = hi - ghi * (hi - lo) / (ghi - glo) if ghi != glo else 0.5 * (lo + hi)
        if not (lo < E < hi):
            E = 0.5 * (lo + hi)
        g = _residual(E, y, dt, free, passiv, prm, host, stage, out, mode, value)
        if g == 0.0:
            lo = E
            hi = E
            break
        if g > 0.0:
            hi = E
            ghi = g
            if side == 1:
                glo *= 0.5
            side = 1
        else:
            lo = E
            glo = g
            if side == -1:
                ghi *= 0.5
            side = -1
        if abs(g) < 1e-10 * (1.0 + abs(value)):
            break
    evaluate(E, y, dt, free, passiv, prm, host, stage, out, True)
    return E


#: absolute error scale of host oxidised fractions in the step control
HOST_ATOL = 1e-2
_SUMMARY = 12  # layout of a segment summary, see galvanostatic_segment


def galvanostatic_segment(y, t0, I_cell, duration, v_limit, sign, prm, host, stage,
                          max_change, dt_initial, dt_min, dt_max, growth, event_tol, max_steps,
                          store, buf, summary, rtol, atol):
    """Constant-current segment with step control and a voltage-limit event, all compiled.

    ``sign`` = +1 stops when V ≤ ``v_limit`` (discharge), −1 when V ≥ ``v_limit`` (charge),
    0 never. Accepted steps are appended to ``buf`` rows (time, V, E, state..., currents...)
    when ``store``; ``summary`` receives [status, t_end, n_rows, capacity C/kg, energy J/kg,
    V_start, V_end, q by channel x5 ...] (see the Python wrapper). Returns the number of steps.
    """
    ny = Y_HOST + host.shape[0]
    nout = ny + N_OUT_EXTRA
    out = np.empty(nout)
    trial = np.empty(nout)
    yy = y.copy()
    t = t0
    t_end = t0 + duration
    dt = min(dt_initial, duration)
    cap = dt_max
    slope = 0.0
    have_slope = False
    slopes = np.zeros(ny)  # rate of change of every state over the last accepted step
    v_prev = cell_voltage(prm, yy[Y_E], I_cell)
    v_start = math.nan
    q = 0.0
    energy = 0.0
    qch = np.zeros(7)
    gas = np.zeros(6)
    nrow = 0
    status = 0  # 0 duration, 1 voltage limit, 2 failed, 3 max steps
    n = 0
    while n < max_steps:
        remaining = t_end - t
        if remaining <= 1e-12 * max(1.0, abs(t_end)):
            break
        if dt > remaining:
            dt = remaining
        if dt > cap:
            dt = cap
        # first guess from the last step's trend; a narrow first bracket saves root iterations
        E_pred = yy[Y_E] + (slope * dt if have_slope else 0.0)
        E = solve_step(yy, dt, 0, I_cell, E_pred, prm, host, stage, trial,
                       max(2e-4, 0.5 * abs(slope * dt)) if have_slope else 0.005)
        if math.isnan(E):
            if dt <= dt_min:
                status = 2
                break
            dt = max(dt * 0.25, dt_min)
            continue
        delta = E - yy[Y_E]
        d = abs(delta - slope * dt) if have_slope else abs(delta)
        # the same first-order error estimate for the inventories and host fractions, scaled so
        # that rtol*|y| + atol counts as one max_change
        if have_slope:
            for i in range(ny):
                if i == Y_E:
                    continue
                # host fractions (dimensionless, 0..1) are held to a looser absolute scale
                tol = rtol * abs(yy[i]) + (atol if i < Y_HOST else HOST_ATOL)
                di = abs(trial[i] - yy[i] - slopes[i] * dt) / tol * max_change
                if di > d:
                    d = di
        if d > 2.5 * max_change and dt > dt_min:
            dt = max(dt * max(0.1, 0.8 * max_change / d), dt_min)
            continue
        V = cell_voltage(prm, E, I_cell)
        hit = sign != 0 and (sign * (v_limit - V) >= 0.0)
        if hit:
            # locate the limit: Illinois regula falsi on the step length
            a = 0.0
            fa = sign * (v_limit - v_prev)
            if fa >= 0.0:
                fa = -event_tol
            b = dt
            fb = sign * (v_limit - V)
            side = 0
            for _ in range(60):
                if abs(fb) <= event_tol or (b - a) <= dt_min:
                    break
                c = b - fb * (b - a) / (fb - fa) if fb != fa else 0.5 * (a + b)
                if not (a < c < b):
                    c = 0.5 * (a + b)
                Ec = solve_step(yy, c, 0, I_cell, yy[Y_E], prm, host, stage, out)
                if math.isnan(Ec):
                    c = 0.5 * (a + b)
                    Ec = solve_step(yy, c, 0, I_cell, yy[Y_E], prm, host, stage, out)
                Vc = cell_voltage(prm, Ec, I_cell)
                fc = sign * (v_limit - Vc)
                if fc >= 0.0:
                    b = c
                    fb = fc
                    for i in range(nout):
                        trial[i] = out[i]
                    V = Vc
                    if side == 1:
                        fa *= 0.5
                    side = 1
                else:
                    a = c
                    fa = fc
                    if side == -1:
                        fb *= 0.5
                    side = -1
                if abs(fc) <= event_tol:
                    b = c
                    for i in range(nout):
                        trial[i] = out[i]
                    V = Vc
                    break
            dt = b
            status = 1
        # accept
        if math.isnan(v_start):
            v_start = V
            vp = V
        else:
            vp = v_prev
        q += abs(I_cell) * dt
        energy += abs(I_cell) * dt * 0.5 * (V + vp)
        for i in range(7):
            qch[i] += trial[ny + C_NAO2 + i] * dt
        gas[0] += trial[ny + A_O2_IN] - trial[ny + A_O2_OUT]
        gas[1] += trial[ny + A_CO2_IN] - trial[ny + A_CO2_OUT]
        gas[2] += trial[ny + A_H2O_IN] - trial[ny + A_H2O_OUT]
        t += dt
        n += 1
        if store and nrow < buf.shape[0]:
            buf[nrow, 0] = t
            buf[nrow, 1] = dt
            buf[nrow, 2] = V
            buf[nrow, 3] = q
            for i in range(nout):
                buf[nrow, 4 + i] = trial[i]
            nrow += 1
        for i in range(ny):
            slopes[i] = (trial[i] - yy[i]) / dt
            yy[i] = trial[i]
        v_prev = V
        if status == 1:
            break
        slope = delta / dt
        have_slope = True
        factor = growth if d == 0.0 else min(growth, max(0.2, 0.8 * max_change / d))
        dt = max(dt * factor, dt_min)
    if n >= max_steps and status == 0:
        status = 3
    summary[0] = status
    summary[1] = t
    summary[2] = nrow
    summary[3] = q
    summary[4] = energy
    summary[5] = v_start
    summary[6] = v_prev
    summary[7] = n
    for i in range(7):
        summary[8 + i] = qch[i]
    for i in range(3):
        summary[15 + i] = gas[i]
    for i in range(ny):
        y[i] = yy[i]
    return n


def _compile():
    """Compile the kernel with numba if it is installed and not disabled (METALAIR_NO_JIT=1)."""
    if os.environ.get("METALAIR_NO_JIT", "") not in ("", "0"):
        return False
    try:
        import numba
    except ImportError:
        return False
    g = globals()
    opts = {"cache": True, "nogil": True}
    for name in ("_exp", "_implicit_decay", "_d_band", "pre_step", "evaluate", "cell_voltage", "_residual",
                 "solve_step", "galvanostatic_segment"):
        g[name] = numba.njit(**opts)(g[name])
    return True


JIT = _compile()
SUMMARY_LEN = 18
