"""Round-trip energy efficiency, reported only where it means something."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["energy_efficiency", "charge_incomplete", "SAME_CHARGE_TOLERANCE", "CE_SANE_RANGE", "outside_ce_range",
           "coulombic_efficiency_note"]

#: Coulombic efficiencies outside this range (in %) are flagged: on a measured cycle's row, and on a simulated
#: discharge-charge whose charge is no round trip of its discharge.
CE_SANE_RANGE = (0.0, 200.0)


def outside_ce_range(ce_pct: Any) -> Any:
    """True where a finite coulombic efficiency [%] lies outside :data:`CE_SANE_RANGE` (NaN: False)."""
    lo, hi = CE_SANE_RANGE
    ce = np.asarray(ce_pct, dtype=float)
    out = np.isfinite(ce) & ((ce < lo) | (ce > hi))
    return bool(out) if out.ndim == 0 else out


def coulombic_efficiency_note(ce_pct: float, q_discharge: float, q_charge: float, unit: str,
                              discharge_end: str = "") -> str:
    """Why a coulombic efficiency outside :data:`CE_SANE_RANGE` says nothing about the product's round trip ("" inside).

    At 100 A/g NLRO's discharge reaches its voltage limit after 0.02 mAh/g and the charge takes 66 mAh/g from the
    catalyst's host: 303,000 %.
    """
    if not outside_ce_range(ce_pct):
        return ""
    lo, hi = CE_SANE_RANGE
    ended = f" (ended by {discharge_end})" if discharge_end else ""
    return (f"coulombic efficiency {ce_pct:.4g} % outside {lo:g}-{hi:g} %: the discharge passed {q_discharge:.3g} "
            f"{unit}{ended}, the charge {q_charge:.3g} {unit}; the charge is not a round trip of the discharge (host "
            "extraction, double layer, side reactions)")

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


def charge_incomplete(coulombic_efficiency_pct: Any) -> Any:
    """True where a charge returned less of the discharge than a full recharge does (NaN: False).

    Below ``100 (1 - SAME_CHARGE_TOLERANCE)`` %, the bound under which the energy efficiency is not
    reported either: the charge stopped (at its voltage limit) with product left, and its mean voltage,
    taken over the easy part, makes the candidate look better than one that recharged.
    """
    ce = np.asarray(coulombic_efficiency_pct, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.isfinite(ce) & (ce < 100.0 * (1.0 - SAME_CHARGE_TOLERANCE))
    return bool(out) if out.ndim == 0 else out
