"""Round-trip energy efficiency, reported only where it means something."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["energy_efficiency", "SAME_CHARGE_TOLERANCE"]

#: Largest relative difference between charge and discharge capacity for which an energy
#: efficiency is reported (beyond it, E_out/E_in mixes voltage loss with lost or extra charge).
SAME_CHARGE_TOLERANCE = 0.02


def energy_efficiency(q_discharge: Any, q_charge: Any, e_discharge: Any, e_charge: Any,
                      tolerance: float = SAME_CHARGE_TOLERANCE) -> Any:
    """Energy out over energy in [%], NaN where the half-cycles did not move the same charge.

    Parameters
    ----------
    q_discharge, q_charge : float or array
        Capacities of the two half-cycles (same unit, magnitudes).
    e_discharge, e_charge : float or array
        Their energies (same unit, magnitudes).
    tolerance : float
        Largest relative capacity difference, ``|Q_charge/Q_discharge - 1|``, for which the ratio is
        reported.

    Returns
    -------
    float or ndarray
        ``100 E_discharge / E_charge`` where both halves exist and their capacities agree within
        ``tolerance``; NaN elsewhere (a RuO2 cell that recovers 62 % of its discharge would otherwise
        show an "energy efficiency" above 100 %).
    """
    qd, qc, ed, ec = (np.asarray(x, dtype=float) for x in (q_discharge, q_charge, e_discharge, e_charge))
    with np.errstate(divide="ignore", invalid="ignore"):
        same = (qd > 0) & (qc > 0) & (np.abs(qc / np.where(qd > 0, qd, 1.0) - 1.0) <= tolerance)
        ee = np.where(same & (ec > 0), 100.0 * ed / np.where(ec > 0, ec, 1.0), np.nan)
    return float(ee) if ee.ndim == 0 else ee
