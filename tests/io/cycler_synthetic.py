"""Synthetic cycling records with analytically known capacities, energies and voltages.

Each half-cycle runs at constant current with the voltage linear in time, so the
capacity is I·t, the capacity-weighted mean voltage is the mid-point of the two
end voltages, and the energy is capacity × mean voltage; the trapezoid rule is
exact for all of them.
"""

from __future__ import annotations

import numpy as np

from metalair.tables.cycler import CyclerData

I_A = 1e-3  # 1 mA


def build(segments, *, dt_s=60.0, current_A=I_A, with_capacity=True, cycles=None, rest_s=600.0, mass_g=None):
    """segments: list of (kind, capacity_mAh, v_start, v_end); kind 'discharge' or 'charge'.

    A rest of ``rest_s`` (at the last voltage) follows every segment. ``cycles`` optionally
    gives the file's cycle number per segment; by default cycles count discharge-first.
    """
    t_all, v_all, i_all, step_all, type_all, cap_all, en_all, cyc_all = ([] for _ in range(8))
    t0 = 0.0
    step = 0
    cycle = 0
    for k, (kind, q_mAh, va, vb) in enumerate(segments):
        if cycles is None:
            if kind == "discharge" or cycle == 0:
                cycle += 1
            this_cycle = cycle
        else:
            this_cycle = cycles[k]
        duration = q_mAh * 1e-3 / current_A * 3600.0
        n = max(int(round(duration / dt_s)), 2) + 1
        t = np.linspace(0.0, duration, n)
        v = va + (vb - va) * t / duration
        sign = 1.0 if kind == "discharge" else -1.0
        q = sign * current_A * t / 3600.0
        e = sign * current_A / 3600.0 * (va * t + 0.5 * (vb - va) / duration * t**2)
        step += 1
        t_all.append(t0 + t)
        v_all.append(v)
        i_all.append(np.full(n, sign * current_A))
        step_all.append(np.full(n, step))
        type_all.append(np.full(n, kind))
        cap_all.append(q)
        en_all.append(e)
        cyc_all.append(np.full(n, this_cycle))
        t0 += duration
        if rest_s:
            step += 1
            m = 5
            tr = np.linspace(0.0, rest_s, m)
            t_all.append(t0 + tr)
            v_all.append(np.full(m, vb))
            i_all.append(np.zeros(m))
            step_all.append(np.full(m, step))
            type_all.append(np.full(m, "rest"))
            cap_all.append(np.zeros(m))
            en_all.append(np.zeros(m))
            cyc_all.append(np.full(m, this_cycle))
            t0 += rest_s
    return CyclerData(
        time_s=np.concatenate(t_all),
        voltage_V=np.concatenate(v_all),
        current_A=np.concatenate(i_all),
        step=np.concatenate(step_all),
        cycle=np.concatenate(cyc_all),
        step_type=np.concatenate(type_all),
        capacity_Ah=np.concatenate(cap_all) if with_capacity else None,
        energy_Wh=np.concatenate(en_all) if with_capacity else None,
        metadata={"file_name": "synthetic", "mass_g": mass_g},
    )


def small(**over):
    """A four-record CyclerData (discharge, rest, charge); ``over`` replaces columns."""
    cols = dict(
        time_s=[0.0, 1.0, 2.0, 3.0],
        voltage_V=[3.0, 2.9, 2.8, 2.9],
        current_A=[0.1, 0.1, 0.0, -0.1],
        step=[1, 1, 2, 3],
        cycle=[1, 1, 1, 1],
        step_type=["discharge", "discharge", "rest", "charge"],
    )
    cols.update(over)
    return CyclerData(**cols)
