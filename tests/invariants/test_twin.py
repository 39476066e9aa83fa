"""The PyBaMM twin (benchmarks/pybamm_twin.py) and the kernel share one right-hand side.

The twin is a deliberately independent transcription of the model's equations
in continuous time (for the speed benchmark against PyBaMM's solver). This
test evaluates both at the same states and potentials: the kernel's implicit
step over a vanishing time step must give the twin's rates. The exposed
carbonate is left out: the kernel takes the exposed carbonate first within a
step, the twin in proportion (a documented difference of the twin).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pybamm = pytest.importorskip("pybamm")

import metalair as ma  # noqa: E402
from metalair.models import _kernel as K  # noqa: E402
from metalair.models.declaration import N_BASE_STATES, O, Y  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from pybamm_twin import BASE, build_twin  # noqa: E402


def _states(model):
    """A few states along a discharge and charge (products, carbonate, residue, host progress)."""
    y = model.initial_state()
    out = []
    for mode, value, n in (("I", 100.0, 40), ("I", -100.0, 60)):
        for _ in range(n):
            y = model.step(y, 600.0, mode, value)[: model.n_states]
        out.append(y.copy())
    return out


#: Superoxide attack on the electrolyte is off in the shipped set; the comparison also runs with it on,
#: so that the residue channel stays checked.
ATTACK_ON = ma.DEFAULT_PARAMETERS.replace(k_electrolyte_attack=5e-9)


@pytest.mark.parametrize("parameters", [None, ATTACK_ON], ids=["shipped", "attack-on"])
@pytest.mark.parametrize("catalyst", ["NLRO", "RuO2"])
def test_twin_rhs_equals_kernel_rates(catalyst, parameters):
    model = ma.LumpedAirElectrode(catalyst, parameters=parameters)
    twin, names = build_twin(model)
    rhs = twin.concatenated_rhs
    order = [var.name for var, sl in sorted(twin.y_slices.items(), key=lambda kv: kv[1][0].start)]
    dt = 1e-7
    for y in _states(model):
        for dE in (-0.05, 0.0, 0.05):
            E = y[Y.potential] + dE
            yy = y.copy()
            yy[Y.potential] = E
            full = {**{n: yy[getattr(Y, n)] for n in BASE},
                    **{f"couple_{j}": yy[N_BASE_STATES + j] for j in range(len(model.couples))}}
            vec = np.array([full[n] for n in order])
            inputs = {"I": 0.0, "V_lim": 0.0, "sign": 1.0, **{"y0_" + k: 0.0 for k in names}}
            twin_rates = dict(zip(order, np.ravel(rhs.evaluate(0.0, vec, inputs=inputs))))
            out = K.new_output(len(model.couples))
            free, passiv, supply = K.surface_state(model.constants, yy)
            y_old = yy.copy()
            y_old[Y.potential] = E  # no double-layer current: compare faradaic rates only
            K.evaluate(E, y_old, dt, free, passiv, supply, model.constants, model._couples, model._stage, out, True)
            ny = model.n_states
            for n in BASE:
                if n in ("carbonate_exposed", "potential"):
                    continue
                k_rate = (out[getattr(Y, n)] - y_old[getattr(Y, n)]) / dt
                scale = max(abs(twin_rates[n]), 1e-12 + 1e-6 * abs(y_old[getattr(Y, n)]))
                # the new state is a float near the old one: its difference over dt resolves the rate only to
                # a few units in the last place of y per dt (2e-8 mol/(kg s) for 11.6 mol/kg of NaO2)
                roundoff = 8.0 * np.spacing(abs(y_old[getattr(Y, n)])) / dt
                assert k_rate == pytest.approx(twin_rates[n], rel=1e-4, abs=max(1e-3 * scale, roundoff)), n
            # faradaic current: twin dE/dt = (-I - I_far)/C_dl at I = 0
            i_far = -twin_rates["potential"] * model.constants.double_layer_capacitance
            k_far = float(model.channel_currents(out).sum()) - out[ny + O.i_double_layer]
            assert k_far == pytest.approx(i_far, rel=1e-4, abs=1e-6)
