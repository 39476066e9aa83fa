r"""Small-signal impedance of the lumped cell, from the linearisation of its own equations.

The model's continuous-time equations are

.. math::

    \frac{ds}{dt} = f(s, E), \qquad C_{dl}\frac{dE}{dt} = -I - I_F(s, E),
    \qquad V = E - \eta_a(I) - I R_\Omega

with :math:`s` the inventories and the couples' oxidised fractions, :math:`E` the air-electrode
potential, :math:`I` the cell current (discharge positive) and :math:`I_F` the faradaic current
(anodic positive). Linearised about an operating point, a small sinusoidal current
:math:`\delta I\,e^{j\omega t}` gives

.. math::

    Y_F(\omega) = \frac{\partial I_F}{\partial E}
        + \frac{\partial I_F}{\partial s}\,(j\omega - A_{ss})^{-1} A_{sE},
    \qquad
    Z(\omega) = R_\Omega + R_a + \frac{1}{j\omega C_{dl} + Y_F(\omega)}

with :math:`A_{ss} = \partial f/\partial s`, :math:`A_{sE} = \partial f/\partial E` and the
anode's charge-transfer resistance :math:`R_a = d\eta_a/dI`. :math:`Z` is the impedance an
instrument reports (:math:`V` rises with charging current; capacitive :math:`Z'' < 0`), in Ω·kg
of catalyst (divide by the catalyst mass in kg for Ω). Every reaction's charge transfer, the
O2 supply (quasi-steady, inside :math:`I_F`), the host insertion (the couples in :math:`s`), the
double layer, the ohmic resistance and the anode appear through the model's own functions: the
derivatives are central differences of the kernel's step over a vanishing time step, nothing is
an equivalent circuit.

References
----------
.. [1] Lasia, A. *Electrochemical Impedance Spectroscopy and its Applications*, Springer (2014),
   ch. 5: impedance of reactions with adsorbed intermediates by linearisation.
   doi:10.1007/978-1-4614-8933-7
.. [2] Harrington, D. A.; Conway, B. E. "ac Impedance of Faradaic reactions involving
   electrosorbed intermediates—I. Kinetic theory", Electrochim. Acta 32, 1703 (1987).
   doi:10.1016/0013-4686(87)80005-1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from metalair.constants import F, R
from metalair.errors import ParameterError
from metalair.models import _kernel as K
from metalair.models.declaration import Y
from metalair.models.lumped import LumpedAirElectrode

__all__ = ["Linearisation", "balance_potential", "linearise", "cell_impedance"]

#: Time step [s] over which the kernel's implicit step stands for the continuous rates.
RATE_STEP = 1e-4


@dataclass(frozen=True)
class Linearisation:
    """The model linearised about one state: the matrices of the module docstring (SI, per kg)."""

    A_ss: np.ndarray        #: ∂f/∂s [1/s]
    A_sE: np.ndarray        #: ∂f/∂E [1/(s V)]
    dIF_ds: np.ndarray      #: ∂I_F/∂s [A/kg per state unit]
    dIF_dE: float           #: ∂I_F/∂E [A/(kg V)] (the faradaic charge-transfer conductance)
    C_dl: float             #: double-layer capacitance [F/kg]
    R_ohm: float            #: ohmic resistance [Ω kg]
    R_anode: float          #: anode charge-transfer resistance at the bias current [Ω kg]
    current: float          #: bias cell current [A/kg], discharge positive
    states: tuple[int, ...]  #: positions in the model state of the linearised states s


def _faradaic(model: LumpedAirElectrode, y: np.ndarray, E: float, h: float) -> tuple[np.ndarray, float]:
    """Continuous rates ds/dt and faradaic current at (s, E): the kernel's step over ``h``."""
    yy = np.array(y, dtype=float)
    yy[Y.potential] = E  # no double-layer current: the step's current is the faradaic current
    free, passiv, supply = K.surface_state(model.constants, yy)
    out = K.new_output(len(model.couples))
    total = K.evaluate(E, yy, h, free, passiv, supply, model.constants, model._couples, model._stage, out, True)
    rates = (out[: model.n_states] - yy) / h
    return rates, float(total)


def balance_potential(model: LumpedAirElectrode, y: Any, current: float) -> float:
    """The electrode potential [V] at which state ``y`` carries the faradaic cell current ``current`` [A/kg].

    The inventories and couple fractions of ``y`` are held; only the potential moves, as the double
    layer lets it within milliseconds of a change of the DC current. A state left by a protocol carries
    the current of its last step; a spectrum under another bias is taken about this potential.

    Raises
    ------
    ParameterError
        When no potential within 2 V of the state's carries that current (the state cannot pass it).
    """
    from metalair.solvers.roots import falling_root

    y = np.asarray(y, dtype=float)
    E0 = float(y[Y.potential])

    def gap(E: float) -> float:  # faradaic cell current (discharge positive) minus the bias; falls with E
        return -_faradaic(model, y, E, RATE_STEP)[1] - current

    E = falling_root(gap, E0, 0.01, 2.56, xtol=1e-9)  # steps of 0.01 V doubling, the last the first beyond 2 V
    if E is not None:
        return E
    raise ParameterError(f"no electrode potential within 2 V of {E0:.4g} V lets this state carry "
                         f"{current:g} A/kg; choose a smaller bias")


def linearise(model: LumpedAirElectrode, y: Any, current: float = 0.0, rel_step: float = 1e-4,
              abs_step: float = 1e-7, potential_step: float = 1e-5) -> Linearisation:
    """Linearise the model about state ``y`` carrying the cell current ``current`` [A/kg].

    Parameters
    ----------
    model : LumpedAirElectrode
        The model.
    y : array
        A model state (e.g. ``Solution.final_state`` after a protocol).
    current : float
        Bias cell current [A/kg], discharge positive (0 at open circuit).
    rel_step, abs_step : float
        Central-difference step of each state: ``rel_step * |s| + abs_step``.
    potential_step : float
        Central-difference step of the potential [V].

    Returns
    -------
    Linearisation
        The Jacobian blocks and the resistances.
    """
    y = np.asarray(y, dtype=float)
    if y.shape != (model.n_states,) or not np.all(np.isfinite(y)):
        raise ParameterError(f"the state must be {model.n_states} finite numbers (a model state, e.g. "
                             f"Solution.final_state), got shape {y.shape}")
    E = float(y[Y.potential])
    idx = tuple(i for i in range(model.n_states) if i != Y.potential)
    n = len(idx)
    A_ss = np.empty((n, n))
    dIF_ds = np.empty(n)
    for col, i in enumerate(idx):
        d = rel_step * abs(y[i]) + abs_step
        yp, ym = y.copy(), y.copy()
        yp[i] += d
        ym[i] = max(ym[i] - d, 0.0) if i not in range(len(y) - len(model.couples), len(y)) else ym[i] - d
        fp, ip = _faradaic(model, yp, E, RATE_STEP)
        fm, im = _faradaic(model, ym, E, RATE_STEP)
        span = yp[i] - ym[i]
        A_ss[:, col] = (fp[list(idx)] - fm[list(idx)]) / span
        dIF_ds[col] = (ip - im) / span
    fp, ip = _faradaic(model, y, E + potential_step, RATE_STEP)
    fm, im = _faradaic(model, y, E - potential_step, RATE_STEP)
    A_sE = (fp[list(idx)] - fm[list(idx)]) / (2.0 * potential_step)
    dIF_dE = (ip - im) / (2.0 * potential_step)
    c = model.constants
    # d(eta_a)/dI of the symmetric Butler–Volmer anode (physics.kinetics.butler_volmer_overpotential)
    b = R * c.T / (0.5 * F)
    i2 = 2.0 * c.anode_exchange_current
    R_anode = b / i2 / np.sqrt(1.0 + (current / i2) ** 2)
    return Linearisation(A_ss, A_sE, dIF_ds, float(dIF_dE), float(c.double_layer_capacitance),
                         float(c.ohmic_resistance), float(R_anode), float(current), idx)


def cell_impedance(lin: Linearisation, frequency_Hz: Any) -> np.ndarray:
    """Cell impedance [Ω kg of catalyst] at each frequency from a :class:`Linearisation`.

    Parameters
    ----------
    lin : Linearisation
        From :func:`linearise`.
    frequency_Hz : array
        Frequencies [Hz], positive.

    Returns
    -------
    ndarray of complex
        :math:`Z = Z' + jZ''` (capacitive :math:`Z'' < 0`).
    """
    f = np.atleast_1d(np.asarray(frequency_Hz, dtype=float))
    if np.any(~np.isfinite(f)) or np.any(f <= 0):
        raise ParameterError("frequencies must be positive finite numbers [Hz]")
    n = lin.A_ss.shape[0]
    eye = np.eye(n)
    Z = np.empty(len(f), dtype=complex)
    for k, fk in enumerate(f):
        jw = 2j * np.pi * fk
        ds_dE = np.linalg.solve(jw * eye - lin.A_ss, lin.A_sE)
        Y_F = lin.dIF_dE + lin.dIF_ds @ ds_dE
        Z[k] = lin.R_ohm + lin.R_anode + 1.0 / (jw * lin.C_dl + Y_F)
    return Z
