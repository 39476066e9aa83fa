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


def build_twin(model):
    """The lumped equations as a pybamm.BaseModel; returns (pybamm model, state names)."""
    import pybamm

    from metalair.models import _kernel as K

    prm = model._prm
    P = lambda name: float(prm[getattr(K, "P_" + name.upper())])  # noqa: E731
    host = model._host
    stage = model._stage
    n_host = host.shape[0]
    names = ["n_sol", "n_film", "n2", "n3", "x3", "n_res", "n_oxe", "E"] + [f"z{j}" for j in range(n_host)]
    v = {n: pybamm.Variable(n) for n in names}
    inp = {n: pybamm.InputParameter("y0_" + n) for n in names}
    I_cell = pybamm.InputParameter("I")
    v_lim = pybamm.InputParameter("V_lim")
    sign = pybamm.InputParameter("sign")
    f, kT, A0 = P("f"), P("kT"), P("A0")
    exp = pybamm.exp
    mx, mn = pybamm.maximum, pybamm.minimum

    # --- area and interfacial skin (pre_step)
    v_co3x = v["x3"] * P("vm3")
    v_co3e = v["n3"] * P("vm3") - v_co3x
    v_block = (P("phi_s") * (v["n_sol"] * P("vm1") + v["n2"] * P("vm2") + v_co3e)
               + P("phi_f") * v["n_film"] * P("vm1"))
    v_skin = P("phi_res") * (v_co3x + v["n_res"] * P("vm4") + v["n_oxe"] * P("vm5"))
    delta = (v_block + v_skin) / A0
    free = 0.5 * pybamm.erfc((delta - P("l_m")) / P("l_sig")) / P("free0")
    theta_r = 1 - exp(-v_skin / (A0 * P("delta_mono")))
    passiv = 10 ** (-P("passiv_dec") * theta_r)
    E = v["E"]
    # --- host couples
    I_host = 0
    s = 0
    rhs = {}
    for j in range(n_host):
        E0, w, k, Q = host[j]
        x = (E - E0) / w
        z = v[f"z{j}"]
        dz = k * ((1 - z) * exp(0.5 * x) - z * exp(-0.5 * x))
        rhs[z] = dz
        I_host = I_host + Q * dz
        s = s + z
    if n_host:
        eps = stage[0]
        for i in range(len(stage) - 1):
            eps = eps + (stage[i + 1] - stage[i]) * mn(mx(s - i, 0), 1)
    else:
        eps = P("eps1")
    # --- decomposition exchange currents from descriptors
    i0d = []
    for k_, nm in enumerate(("dec1", "dec2", "dec3")):
        B = P(f"B{k_ + 1}")
        if n_host:
            B = B + P("gamma_d") * (eps - P(f"eps{k_ + 1}"))
        i0d.append(P("i0_" + nm) * passiv * exp((P("beta_B") * (B - P("B_ref")) - P("beta_FE") * P(f"etafe{k_ + 1}")) / kT))
    i0_res = P("i0_res") * i0d[2] / P("i0_dec3")
    aa, ac = P("aa"), P("ac")
    eta1, eta2, eta3 = E - P("E1"), E - P("E2"), E - P("E3")
    A_free = A0 * free
    k1 = A_free * passiv * P("i0_form1") / F
    k2 = A_free * passiv * P("i0_form2") / (2 * F)
    a1, b1 = k1 * exp(-ac * f * eta1), k1 * exp((1 - ac) * f * eta1)
    a2, b2 = k2 * exp(-ac * 2 * f * eta2), k2 * exp((1 - ac) * 2 * f * eta2)
    S = P("o2_supply")
    act1 = pybamm.sigmoid(b1, a1, 2000.0)  # ~1 when a1 > b1 (cathodic side of the NaO2 couple)
    act2 = pybamm.sigmoid(b2, a2, 2000.0)
    theta = (S + act1 * b1 + act2 * b2) / (S + act1 * a1 + act2 * a2)
    P1 = mx(a1 * theta - b1, 0)
    P2 = mx(a2 * theta - b2, 0)
    r1 = mx(A0 * i0d[0] / F * (exp(aa * f * eta1) - exp((aa - 1) * f * eta1)), 0)
    r2 = mx(A0 * i0d[1] / (2 * F) * (exp(aa * f * eta2) - exp((aa - 2) * f * eta2)), 0)
    r3 = mx(A0 * i0d[2] / (2 * F) * (exp(aa * f * eta3) - exp((aa - 2) * f * eta3)), 0)
    r4 = mx(A0 * i0_res / F * (exp(aa * f * eta3) - exp((aa - 1) * f * eta3)), 0)
    eps_nao2 = P("eps1") + (eps - stage[0]) if n_host else P("eps1")
    dband = P("gamma_ads") * (eps_nao2 - P("eps_ref")) / kT
    j_form = F * (P1 + 2 * P2) / A_free
    f_film = j_form / (j_form + P("j_des_ref") * exp(-dband))
    resid = exp(dband)
    kd, kc, ka = P("k_disp"), P("k_carb") * resid, P("k_attack") * resid
    h1, h2, h3, h4 = P("h1"), P("h2"), P("h3"), P("h4")
    ns, nf, n2, n3 = v["n_sol"], v["n_film"], v["n2"], v["n3"]
    D1 = r1 * (ns / (ns + h1) + nf / (nf + h1))
    D2 = r2 * n2 / (n2 + h2)
    D3 = r3 * n3 / (n3 + h3)
    D4 = r4 * v["n_res"] / (v["n_res"] + h4)
    kt = kd + kc + ka
    rhs[ns] = (1 - f_film) * P1 - r1 * ns / (ns + h1) - kt * ns
    rhs[nf] = f_film * P1 - r1 * nf / (nf + h1) - kt * nf
    rhs[n2] = P2 + 0.5 * kd * (ns + nf) - D2 - kc * n2
    rhs[n3] = 0.5 * kc * (ns + nf) + kc * n2 - D3
    hostinv = ns + nf + n2
    rhs[v["x3"]] = (n3 - v["x3"]) * (D1 + D2) / (hostinv + 1e-12) - D3 * v["x3"] / (n3 + 1e-12)
    rhs[v["n_res"]] = ka * (ns + nf) - D4
    I_eo = A0 * passiv * P("i0_eo") * exp(P("alpha_eo") * f * (E - P("E_ox")))
    rhs[v["n_oxe"]] = P("eo_deposit") * I_eo / (2 * F)
    I_far = F * (D1 - P1) + 2 * F * (D2 - P2) + 2 * F * D3 + F * D4 + I_eo + I_host
    rhs[E] = (-I_cell - I_far) / P("C_dl")
    V = E - 2 / f * pybamm.arcsinh(I_cell / (2 * P("i0_anode"))) - I_cell * P("R_ohm")
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
    y = model.initial_state()
    state = {"n_sol": y[0], "n_film": y[6], "n2": y[1], "n3": y[2], "x3": y[7], "n_res": y[3], "n_oxe": y[4],
             "E": y[5], **{f"z{j}": y[8 + j] for j in range(model.n_host)}}
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
