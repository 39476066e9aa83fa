"""A twin of metalair's lumped equations written as a PyBaMM model (benchmark only).

The same ODEs that metalair's kernel integrates with backward Euler, written
in continuous time as a ``pybamm.BaseModel`` and solved with PyBaMM's default
IDAKLU solver, half-cycle by half-cycle (constant current, capacity limit as
the step duration, voltage limit as an event), over the P6 protocol
(500 mA/g, 500 mAh/g per half-cycle, 1.5–4.8 V). The constants are taken from
the metalair model object, so both solve one parameter set.

Two differences from the kernel, both in how discrete updates are written in
continuous time: chemistry acts on the present state (the kernel updates the
chain in dependency order within a step), and carbonate decomposition takes
from the exposed pool in proportion to its share (the kernel takes the exposed
carbonate first).

Reports (1) the largest voltage difference over the first 10 cycles, with
metalair at its default and at a tight step control, and (2) the wall time of
both for the 1000-cycle run, measured in this process.

Run: ``python benchmarks/pybamm_twin.py`` (needs ``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

F = 96485.33212


#: the twin's state, by the names of the model declaration (metalair.models.declaration.StateIndex)
BASE = ("nao2_solution", "nao2_film", "na2o2", "carbonate", "carbonate_exposed", "residue",
        "oxidised_electrolyte", "potential")


def state_names(model):
    """The twin's variables: the declared base states, then one oxidised fraction per couple."""
    return list(BASE) + [f"couple_{j}" for j in range(len(model.couples))]


def build_twin(model):
    """The lumped equations as a pybamm.BaseModel; returns (pybamm model, state names).

    Constants are read by name from ``model.constants`` (metalair.models.declaration.Constants).
    """
    import math

    import pybamm

    from metalair.constants import K_B_EV, R

    c = model.constants
    couples = model._couples
    stage = model._stage
    names = state_names(model)
    v = {n: pybamm.Variable(n) for n in names}
    inp = {n: pybamm.InputParameter("y0_" + n) for n in names}
    I_cell = pybamm.InputParameter("I")
    v_lim = pybamm.InputParameter("V_lim")
    sign = pybamm.InputParameter("sign")
    f, kT, A0 = F / (R * c.T), K_B_EV * c.T, c.specific_area
    exp = pybamm.exp
    mx, mn = pybamm.maximum, pybamm.minimum

    # --- area and interfacial skin
    v_co3x = v["carbonate_exposed"] * c.vm_Na2CO3
    v_co3e = v["carbonate"] * c.vm_Na2CO3 - v_co3x
    v_block = (c.solution_blocking * (v["nao2_solution"] * c.vm_NaO2 + v["na2o2"] * c.vm_Na2O2 + v_co3e)
               + c.film_blocking * v["nao2_film"] * c.vm_NaO2)
    v_skin = c.residue_blocking * (v_co3x + v["residue"] * c.vm_residue
                                   + v["oxidised_electrolyte"] * c.vm_oxidised_electrolyte)
    delta = (v_block + v_skin) / A0
    free = pybamm.erfc((delta - c.tunnel_length) / c.tunnel_width) / math.erfc(-c.tunnel_length / c.tunnel_width)
    theta_r = 1 - exp(-v_skin / (A0 * c.residue_monolayer))
    passiv = 10 ** (-c.residue_passivation_decades * theta_r)
    E = v["potential"]
    # --- couples (host redox)
    I_host = 0
    s = 0
    rhs = {}
    for j in range(couples.shape[0]):
        E0, w, k, Q, moves = couples[j]
        x = (E - E0) / w
        z = v[f"couple_{j}"]
        dz = k * ((1 - z) * exp(0.5 * x) - z * exp(-0.5 * x))
        rhs[z] = dz
        I_host = I_host + Q * dz
        if moves:
            s = s + z
    eps = stage[0]
    for i in range(len(stage) - 1):
        eps = eps + (stage[i + 1] - stage[i]) * mn(mx(s - i, 0), 1)
    # --- decomposition exchange currents from descriptors, in the present state
    i0d = []
    for prod in ("NaO2", "Na2O2", "Na2CO3"):
        B = -getattr(c, f"icohp_{prod}") + c.gamma_d * (eps - getattr(c, f"d_band_state_{prod}"))
        i0d.append(getattr(c, f"i0_dec_{prod}") * passiv
                   * exp((c.beta_binding * (B - c.binding_ref) - c.beta_fe * getattr(c, f"eta_fe_{prod}")) / kT))
    i0_res = c.i0_dec_residue * i0d[2] / c.i0_dec_Na2CO3
    aa, ac = c.alpha_anodic, c.alpha_cathodic
    eta1, eta2, eta3 = E - c.E_NaO2, E - c.E_Na2O2, E - c.E_Na2CO3
    A_free = A0 * free
    k1 = A_free * passiv * c.i0_form_NaO2 / F
    k2 = A_free * passiv * c.i0_form_Na2O2 / (2 * F)
    a1, b1 = k1 * exp(-ac * f * eta1), k1 * exp((1 - ac) * f * eta1)
    a2, b2 = k2 * exp(-ac * 2 * f * eta2), k2 * exp((1 - ac) * 2 * f * eta2)
    v_dep = (c.vm_NaO2 * (v["nao2_solution"] + v["nao2_film"]) + c.vm_Na2O2 * v["na2o2"] + c.vm_Na2CO3 * v["carbonate"]
             + c.vm_residue * v["residue"] + c.vm_oxidised_electrolyte * v["oxidised_electrolyte"])
    S = 1 / (1 / c.o2_film_supply + v_dep * c.o2_deposit_resistance) if c.o2_film_supply > 0 else 0.0
    # ~1 on the cathodic side of each couple (eta < 0 by more than ~1 mV); the kernel finds this
    # active set exactly. (A sigmoid in the rates themselves, ~1e-3 mol/(s kg), was far too soft.)
    act1 = pybamm.sigmoid(eta1, 0.0, 5000.0)
    act2 = pybamm.sigmoid(eta2, 0.0, 5000.0)
    theta = (S + act1 * b1 + act2 * b2) / (S + act1 * a1 + act2 * a2)
    P1 = mx(a1 * theta - b1, 0)
    P2 = mx(a2 * theta - b2, 0)
    r1 = mx(A0 * i0d[0] / F * (exp(aa * f * eta1) - exp((aa - 1) * f * eta1)), 0)
    r2 = mx(A0 * i0d[1] / (2 * F) * (exp(aa * f * eta2) - exp((aa - 2) * f * eta2)), 0)
    r3 = mx(A0 * i0d[2] / (2 * F) * (exp(aa * f * eta3) - exp((aa - 2) * f * eta3)), 0)
    r4 = mx(A0 * i0_res / F * (exp(aa * f * eta3) - exp((aa - 1) * f * eta3)), 0)
    eps_nao2 = c.d_band_NaO2 + (eps - stage[0])
    dband = c.gamma_ads * (eps_nao2 - c.d_band_ref) / kT
    j_form = F * (P1 + 2 * P2) / A_free
    f_film = j_form / (j_form + c.desorption_ref * exp(-dband))
    resid = exp(dband)
    kd, kc, ka = c.k_disproportionation, c.k_carbonation * resid, c.k_electrolyte_attack * resid
    h1, h2, h3, h4 = c.contact_NaO2, c.contact_Na2O2, c.contact_Na2CO3, c.contact_residue
    ns, nf, n2, n3 = v["nao2_solution"], v["nao2_film"], v["na2o2"], v["carbonate"]
    # the two NaO2 pools share one catalyst contact
    D1 = r1 * (ns + nf) / (ns + nf + h1)
    D2 = r2 * n2 / (n2 + h2)
    D3 = r3 * n3 / (n3 + h3)
    D4 = r4 * v["residue"] / (v["residue"] + h4)
    kt = kd + kc + ka
    rhs[ns] = (1 - f_film) * P1 - r1 * ns / (ns + nf + h1) - kt * ns
    rhs[nf] = f_film * P1 - r1 * nf / (ns + nf + h1) - kt * nf
    rhs[n2] = P2 + 0.5 * kd * (ns + nf) - D2 - kc * n2
    rhs[n3] = 0.5 * kc * (ns + nf) + kc * n2 - D3
    hostinv = ns + nf + n2
    x3 = v["carbonate_exposed"]
    rhs[x3] = (n3 - x3) * (D1 + D2) / (hostinv + 1e-12) - D3 * x3 / (n3 + 1e-12)
    rhs[v["residue"]] = ka * (ns + nf) - D4
    I_eo = A0 * passiv * c.i0_electrolyte_oxidation * exp(
        c.alpha_electrolyte_oxidation * f * (E - c.electrolyte_oxidation_potential))
    rhs[v["oxidised_electrolyte"]] = c.electrolyte_oxidation_deposit * I_eo / (2 * F)
    I_far = F * (D1 - P1) + 2 * F * (D2 - P2) + 2 * F * D3 + F * D4 + I_eo + I_host
    rhs[E] = (-I_cell - I_far) / c.double_layer_capacitance
    V = E - 2 / f * pybamm.arcsinh(I_cell / (2 * c.anode_exchange_current)) - I_cell * c.ohmic_resistance
    m = pybamm.BaseModel("metalair lumped twin")
    m.rhs = rhs
    m.initial_conditions = {v[n]: inp[n] for n in names}
    m.variables = {"Voltage [V]": V, **{n: v[n] for n in names}}
    m.events = [pybamm.Event("voltage limit", sign * (V - v_lim))]
    pybamm.Discretisation().process_model(m)
    return m, names


def run_twin(catalyst: str, cycles: int, solver=None):
    """The P6 protocol on the twin. Returns (list of (t, V) per half-cycle, wall time [s], end voltages)."""
    import pybamm

    from metalair.models.lumped import LumpedAirElectrode

    model = LumpedAirElectrode(catalyst)
    twin, names = build_twin(model)
    solver = solver or pybamm.IDAKLUSolver()
    from metalair.models.declaration import N_BASE_STATES, Y

    y = model.initial_state()
    state = {**{n: y[getattr(Y, n)] for n in BASE},
             **{f"couple_{j}": y[N_BASE_STATES + j] for j in range(len(model.couples))}}
    I, cap, vmin, vmax = 500.0, 500.0 * 3600.0, 1.5, 4.8
    curves, ends = [], []
    t0 = time.perf_counter()
    t_offset = 0.0
    for c in range(cycles):
        for cur, vlim, sign in ((I, vmin, 1.0), (-I, vmax, -1.0)):
            dur = cap / abs(cur)
            inputs = {"I": cur, "V_lim": vlim, "sign": sign, **{"y0_" + k: float(v) for k, v in state.items()}}
            sol = solver.solve(twin, t_eval=[0.0, dur], inputs=inputs)
            t = sol.t
            V = sol["Voltage [V]"].entries
            if c < 10:
                curves.append((t + t_offset, V))
            ends.append(float(V[-1]))
            state = {k: float(sol[k].entries[-1]) for k in names}
            t_offset += float(t[-1])
    return curves, time.perf_counter() - t0, ends


def run_metalair(catalyst: str, cycles: int, solver=None):
    import metalair as ma
    from metalair.workflows.cycling import cycling_protocol

    t0 = time.perf_counter()
    sol = ma.Simulation(catalyst, [cycling_protocol(cycles=cycles)], solver=solver,
                        save_cycles=range(1, min(cycles, 10) + 1)).run()
    wall = time.perf_counter() - t0
    return sol, wall


#: where the twin's voltage moves faster than this, a voltage-at-time difference measures timing
STEEP_V_PER_S = 1e-3


def max_difference(curves, sol) -> tuple[float, float, float]:
    """Compare the first 10 cycles half-cycle by half-cycle, at the twin's output times.

    Returns (largest |ΔV| where the curve is not steep [V], largest |ΔV| anywhere [V],
    largest difference in the time at which a half-cycle ended [s]). Steep segments (the
    twin's |dV/dt| above :data:`STEEP_V_PER_S`, e.g. the rise to 4.8 V) are compared by the
    end-time difference instead, since there a sub-second shift is a large voltage difference.
    """
    t_m, V_m, step = sol["Time [s]"], sol["Voltage [V]"], sol["Step"]
    flat_worst = any_worst = end_worst = 0.0
    for k, (t, V) in enumerate(curves):
        m = step == k + 1
        tt, vv = t_m[m], V_m[m]
        if len(tt) < 2:
            continue
        end_worst = max(end_worst, abs(float(tt[-1] - t[-1])))
        sel = (t > t[0] + 1.0) & (t <= min(tt[-1], t[-1]))  # skip the first second (double-layer jump)
        if not sel.any():
            continue
        d = np.abs(np.interp(t[sel], tt, vv) - V[sel])
        steep = np.abs(np.gradient(V, t))[sel] > STEEP_V_PER_S
        any_worst = max(any_worst, float(d.max()))
        if (~steep).any():
            flat_worst = max(flat_worst, float(d[~steep].max()))
    return flat_worst, any_worst, end_worst


def main(out_dir=None) -> str:
    import pybamm

    import metalair as ma

    ma.simulate("NLRO", "Rest for 1 min")  # load the compiled kernel before timing
    tight = ma.SolverSettings(max_change=5e-4, dt_max=60.0)
    lines = ["PyBaMM twin (IDAKLU, pybamm %s) vs metalair, P6 protocol" % pybamm.__version__]
    rows = []
    for cat in ("NLRO", "RuO2"):
        twin10, _w, _e = run_twin(cat, 10)
        sol_d, _ = run_metalair(cat, 10)
        sol_t, _ = run_metalair(cat, 10, tight)
        d_default = max_difference(twin10, sol_d)
        d_tight = max_difference(twin10, sol_t)
        _c, w_twin, ends_twin = run_twin(cat, 1000)
        sol_1000, w_ma = run_metalair(cat, 1000)
        ends_ma = [s.end_voltage_V for s in sol_1000.steps]
        eod_twin, eod_ma = ends_twin[0::2], ends_ma[0::2]
        life_twin = next((i + 1 for i, v in enumerate(eod_twin) if v <= 1.5 + 1e-3), None)
        life_ma = next((i + 1 for i, v in enumerate(eod_ma) if v <= 1.5 + 1e-3), None)
        rows.append({"catalyst": cat,
                     "max_dV_10_cycles_default_mV": 1e3 * d_default[0], "max_dV_anywhere_default_mV": 1e3 * d_default[1],
                     "end_time_shift_default_s": d_default[2],
                     "max_dV_10_cycles_tight_mV": 1e3 * d_tight[0], "max_dV_anywhere_tight_mV": 1e3 * d_tight[1],
                     "end_time_shift_tight_s": d_tight[2], "twin_1000_cycles_s": w_twin,
                     "metalair_1000_cycles_s": w_ma, "speed_ratio": w_twin / w_ma,
                     "first_cycle_at_V_min_twin": life_twin, "first_cycle_at_V_min_metalair": life_ma})
    lines.append("max|dV| over the first 10 cycles where |dV/dt| < 1 mV/s (anywhere) [mV]; end-time shift [s];"
                 " metalair default step control and tight (max_change 0.5 mV, dt_max 60 s)")
    head = (f"{'catalyst':8s} {'default: dV (any) / dt_end':>28s} {'tight: dV (any) / dt_end':>26s} "
            f"{'twin 1000 cyc [s]':>18s} {'metalair [s]':>13s} {'ratio':>6s} {'V_min hit twin/ma':>18s}")
    lines += [head, "-" * len(head)]
    for r in rows:
        dflt = f"{r['max_dV_10_cycles_default_mV']:.2f} ({r['max_dV_anywhere_default_mV']:.0f}) / {r['end_time_shift_default_s']:.2f}"
        tght = f"{r['max_dV_10_cycles_tight_mV']:.2f} ({r['max_dV_anywhere_tight_mV']:.0f}) / {r['end_time_shift_tight_s']:.2f}"
        lines.append(f"{r['catalyst']:8s} {dflt:>28s} {tght:>26s} "
                     f"{r['twin_1000_cycles_s']:18.1f} {r['metalair_1000_cycles_s']:13.2f} {r['speed_ratio']:6.0f} "
                     f"{str(r['first_cycle_at_V_min_twin']) + '/' + str(r['first_cycle_at_V_min_metalair']):>18s}")
    text = "\n".join(lines)
    print(text)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "pybamm_twin.json").write_text(json.dumps(rows, indent=2))
    return text


if __name__ == "__main__":
    sys.exit(0 if main(Path(__file__).resolve().parent / "results") else 1)
