"""Per-cycle metrics of a cycling record: the per-cycle table, cycle life and half-cycles.

Everything here takes a :class:`~metalair.tables.cycler.CyclerData` (current
positive on discharge), so a measured file and a simulated solution converted
to that table are analysed by the same code.

Definitions
-----------
Charge per step
    The step's final ``capacity_Ah`` when the file gives capacities, else the
    trapezoid integral of the current over the step (the interval from the
    previous record to the step's first record counts with the step's first
    current). A step is a *discharge* step if its type is ``"discharge"``, a
    *charge* step if ``"charge"``; holds and other active steps count by the
    sign of their net charge; rests count for neither.
Discharge / charge capacity
    Sum over the cycle's discharge / charge steps, in mAh per g of catalyst
    (``mass_g``), or in mAh when no mass is known.
Coulombic efficiency (``coulombic_efficiency=``)
    ``"charge/discharge"`` (default): Q_charge / Q_discharge, for metal–air
    cells that start with a discharge, where the charge must remove the
    discharge product; ``"discharge/charge"``: Q_discharge / Q_charge, the
    usual definition for cells that start charged-first (Li-ion); ``"auto"``:
    each cycle's second half over its first, in the order the cycles are
    numbered (``cycle_start``).
Discharge / charge energy
    The file's per-step energies (as magnitudes) when it has them, else
    ∫ V dQ over the half-cycle.
Energy efficiency
    E_discharge / E_charge (energy out over energy in), whatever the cycle
    order; reported only where both halves moved the same charge (within 2 %),
    otherwise blank (:func:`metalair.analysis.efficiency.energy_efficiency`).
Mean discharge / charge voltage
    Capacity-weighted: ∫ V |dQ| / ∫ |dQ| over the half-cycle, computed from the
    voltage and charge traces (so it keeps its sign for half-cells measured
    below 0 V, and does not depend on the file's energy column).
End-of-discharge / end-of-charge voltage
    Voltage at the last record of the cycle's last discharge / charge step.
Polarisation
    Mean charge voltage minus mean discharge voltage.
Cycle numbering (``cycle_start=``)
    ``"auto"`` (default) keeps the file's own numbering whenever the reader
    found one (Neware, Arbin, Maccor, EC-Lab ``cycle number`` or ``half
    cycle``, a mapped cycle column), so the table has the rows the vendor's
    software shows, except where those rows pair the wrong half-cycles: a
    record that starts with a discharge (a metal–air cell) whose file cycles
    open with a charge (Neware starts a cycle where a charge follows a
    discharge, the lithium-ion order) would compare each charge with the
    *next* discharge, so there each discharge is paired with the charge after
    it (and a note says so). Without a file numbering each cycle starts with
    the kind of half-cycle the record starts with. ``"discharge"`` / ``"charge"`` force the pairing
    (``"discharge"``: each discharge with the charge after it, the metal–air
    convention), ``"file"`` insists on the file's numbering.
Warnings (the ``Warnings`` column)
    A cycle without a discharge or without a charge, a cycle with no current
    at all, a coulombic efficiency outside 0–200 % (a half-cycle cut
    short, a record that starts part-way through a half-cycle, or a
    misread current), and a cycle in which the time goes back (records out
    of order, or two tests joined) are reported on the row itself.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from metalair._validation import PROGRESS_STAGE, check_callable
from metalair.analysis._arguments import number, optional_number
from metalair.analysis.efficiency import CE_SANE_RANGE, energy_efficiency, outside_ce_range
from metalair.errors import ParameterError
from metalair.tables.cycler import CyclerData, step_directions, step_starts
from metalair.tables.summary import SummaryTable
from metalair.units import convert

__all__ = [
    "SummaryTable",
    "CycleLife",
    "CycleCount",
    "HalfCycle",
    "cycle_summary",
    "cycle_life",
    "count_cycles",
    "half_cycles",
    "mass_note",
    "without_cv",
]

#: ``progress(stage, done, total)``: called while a long analysis runs.
Progress = Callable[[str, int, int], None]


def _uses_file_numbering(data: CyclerData) -> bool:
    """True when the reader took the cycle numbers from the file (vendor or mapped column)."""
    return data.metadata.get("cycle_numbering_source") in ("vendor", "file")


def _file_cycles_open_with_a_charge(data: CyclerData) -> bool:
    """True when the record starts with a discharge but the file's cycles holding both halves open with a charge.

    Neware numbers a new cycle where a charge follows a discharge (the lithium-ion order): for a cell
    discharged first, its cycle n holds the charge after discharge n - 1 and then discharge n, and a
    coulombic efficiency within it would compare a charge with the next discharge.
    """
    direction = step_directions(data)
    moving = np.flatnonzero(direction != 0)
    if moving.size == 0 or direction[moving[0]] < 0:
        return False
    cycles, kinds = np.asarray(data.cycle)[moving], direction[moving]
    order = np.argsort(cycles, kind="stable")  # rows of each cycle together, in time order within it
    c_sorted, k_sorted = cycles[order], kinds[order]
    starts = np.flatnonzero(np.r_[True, c_sorted[1:] != c_sorted[:-1]])
    first = k_sorted[starts]  # the first moving half of each cycle
    has_d = np.maximum.reduceat((k_sorted > 0).astype(np.int8), starts) > 0
    has_c = np.maximum.reduceat((k_sorted < 0).astype(np.int8), starts) > 0
    both = has_d & has_c
    return bool(both.any()) and int(np.count_nonzero(first[both] < 0)) * 2 > int(np.count_nonzero(both))


def _numbered(data: CyclerData, cycle_start: str) -> tuple[CyclerData, str]:
    """The data with the cycle numbering ``cycle_start`` asks for, and a note saying which it is."""
    if cycle_start == "auto" and _uses_file_numbering(data) and len(data) and np.unique(data.cycle).size == 1:
        renumbered = data.renumber_cycles("auto")
        if renumbered.n_cycles > 1:  # the file's cycle column is constant (Maccor 'Cyc#' 0 throughout)
            return renumbered, (f"{renumbered.metadata['cycle_numbering']}: the file's cycle column holds one value "
                                f"for {renumbered.n_cycles} cycles; pass cycle_start='file' to keep it")
    if cycle_start == "auto" and _uses_file_numbering(data) and _file_cycles_open_with_a_charge(data):
        how = str(data.metadata.get("cycle_numbering") or "the file's cycle column")
        renumbered = data.renumber_cycles("discharge")
        return renumbered, (f"the file's cycles ({how}) open with a charge, which would pair each charge with the "
                            "discharge after it; the record starts with a discharge (the metal-air order), so each "
                            "cycle pairs a discharge with the charge after it (renumbered by metalair); pass "
                            "cycle_start='file' for the file's numbering")
    if cycle_start == "file" or (cycle_start == "auto" and _uses_file_numbering(data)):
        how = str(data.metadata.get("cycle_numbering") or "the file's cycle column")
        note = f"cycles numbered as in the file ({how})"
        if cycle_start == "auto":
            note += "; pass cycle_start='discharge' to pair each discharge with the charge after it"
        return data, note
    renumbered = data.renumber_cycles(cycle_start)  # type: ignore[arg-type]
    note = str(renumbered.metadata["cycle_numbering"])
    if cycle_start == "auto" and data.metadata.get("cycle_numbering_source") is None:
        note += "; pass cycle_start='file' for the file's numbering"
    return renumbered, note

CEDefinition = Literal["charge/discharge", "discharge/charge", "auto"]
_CE_DEFINITIONS = ("charge/discharge", "discharge/charge", "auto")


@dataclass(frozen=True)
class _Steps:
    start: np.ndarray  # first row
    stop: np.ndarray  # one past the last row
    direction: np.ndarray  # +1 discharge, -1 charge, 0 rest
    charge_Ah: np.ndarray  # signed (positive on discharge)
    energy_Wh: np.ndarray  # signed like charge_Ah (the file's, when it has energies)
    vq_Wh: np.ndarray  # integral of V |dQ| (for capacity-weighted mean voltages)


def _step_table(data: CyclerData, capacity_source: str, progress: Progress | None = None) -> _Steps:
    starts = step_starts(data.step)
    stops = np.append(starts[1:], len(data))
    direction_rows = step_directions(data)
    t, v, i = data.time_s, data.voltage_V, data.current_A
    use_file = data.capacity_Ah is not None and capacity_source in ("auto", "file")
    if capacity_source == "file" and data.capacity_Ah is None:
        raise ParameterError("capacity_source='file' but the data have no capacity column; use 'auto' or 'integrate'")
    q = np.zeros(len(starts))
    e = np.zeros(len(starts))
    vq = np.zeros(len(starts))
    every = max(1, len(starts) // 100)
    for k, (a, b) in enumerate(zip(starts, stops)):
        if progress is not None and k % every == 0:
            progress("steps", k, len(starts))
        vv = v[a:b]
        if use_file:
            cap = np.asarray(data.capacity_Ah)[a:b]
            dq = np.diff(cap, prepend=0.0)  # from 0 at the step start to the first record
        else:
            dq = _charge_increments_Ah(t, i, a, b, data.follows_gap)
        # voltage at the middle of each charge increment
        vmid = np.concatenate(([vv[0]], 0.5 * (vv[1:] + vv[:-1])))
        q[k] = float(np.sum(dq))
        vq[k] = float(np.sum(vmid * np.abs(dq)))
        if use_file and data.energy_Wh is not None:
            e[k] = float(np.asarray(data.energy_Wh)[b - 1])
        else:
            e[k] = float(np.sum(vmid * dq))
    if progress is not None:
        progress("steps", len(starts), len(starts))
    direction = direction_rows[starts].astype(np.int64) if len(starts) else np.zeros(0, dtype=np.int64)
    # holds/other: by sign of net charge; rests never count
    types = data.step_type[starts] if len(starts) else np.zeros(0, dtype=str)
    other = types == "other"
    direction[other] = np.sign(q[other]).astype(np.int64)
    direction[types == "rest"] = 0
    return _Steps(starts, stops, direction, q, e, vq)


def _charge_increments_Ah(t: np.ndarray, i: np.ndarray, a: int, b: int,
                          follows_gap: np.ndarray | None = None) -> np.ndarray:
    """Charge [Ah] passed up to each record of the step ``a:b`` since the record before it.

    The trapezoid rule between the step's records, and the interval from the previous record to its first
    one with its first current (module notes). Where rows were left out before the step's first record
    (``follows_gap``, :attr:`CyclerData.follows_gap`) that interval holds what was left out: the step's own
    first sampling interval stands in for it.
    """
    ii = i[a:b]
    lead = float(t[a] - t[a - 1]) if a > 0 and t[a] > t[a - 1] else 0.0
    if follows_gap is not None and follows_gap[a]:
        lead = min(lead, float(t[a + 1] - t[a])) if b - a > 1 and t[a + 1] > t[a] else 0.0
    dt = np.clip(np.diff(t[a:b]), 0.0, None)
    if follows_gap is not None:
        dt = np.where(follows_gap[a + 1:b], 0.0, dt)  # nor across rows left out inside the step
    return np.asarray(convert(np.concatenate(([lead * ii[0]], 0.5 * (ii[1:] + ii[:-1]) * dt)), "As", "Ah"))


# ---------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------
def _check_mass(mass_g: float | None) -> float | None:
    if mass_g is None:
        return None
    if isinstance(mass_g, str) or isinstance(mass_g, bool) or not isinstance(mass_g, numbers.Real):
        raise ParameterError(f"mass_g must be the catalyst mass in g as a number (0.5 mg: mass_g=0.5e-3), "
                             f"got {mass_g!r}")
    mass = float(mass_g)
    if not math.isfinite(mass) or mass <= 0:
        raise ParameterError(f"mass_g must be a positive, finite mass of catalyst in g; got {mass_g!r}")
    return mass


def _check_record(data: object, owner: str, cycle_start: str, capacity_source: str) -> None:
    """Refuse anything but a CyclerData, and a cycle numbering or capacity source :func:`cycle_summary` lacks."""
    if not isinstance(data, CyclerData):
        raise ParameterError(
            f"{owner} needs a CyclerData (from metalair.io.read, or to_cycler_data for a simulation), "
            f"got {type(data).__name__}" + (": read the file first, data = metalair.io.read(path)"
                                            if isinstance(data, (str, os.PathLike)) else ""))
    if cycle_start not in ("auto", "discharge", "charge", "file"):
        raise ParameterError(f"cycle_start must be 'auto', 'discharge', 'charge' or 'file', got {cycle_start!r}")
    if capacity_source not in ("auto", "file", "integrate"):
        raise ParameterError(f"capacity_source must be 'auto', 'file' or 'integrate', got {capacity_source!r}")


def cycle_summary(
    data: CyclerData,
    mass_g: float | None = None,
    *,
    coulombic_efficiency: CEDefinition = "charge/discharge",
    cycle_start: Literal["auto", "discharge", "charge", "file"] = "auto",
    capacity_source: Literal["auto", "file", "integrate"] = "auto",
    progress: Progress | None = None,
) -> SummaryTable:
    """Capacities, efficiencies and voltages of every cycle.

    Parameters
    ----------
    data : CyclerData
        A measured or simulated record (current positive on discharge).
    mass_g : float, optional
        Catalyst mass in g; capacities and energies are then per gram
        (mAh/g, mWh/g). Defaults to ``data.metadata["mass_g"]``; when neither
        is known, capacities are absolute (mAh, mWh) and a note says so.
    coulombic_efficiency : {"charge/discharge", "discharge/charge", "auto"}
        Which ratio is reported (see the module docstring). The default suits
        metal–air cells, which start with a discharge; ``"auto"`` takes each
        cycle's second half over its first: the charge over the discharge
        when the cycles (as ``cycle_start`` numbers them) open with a
        discharge, the discharge over the charge when they open with a charge
        (a cathode half-cell), and says which in the notes.
    cycle_start : {"auto", "discharge", "charge", "file"}
        How cycles are delimited: ``"auto"`` keeps the file's own numbering
        when the reader found one (as the vendor's software counts), else
        starts each cycle with the kind of half-cycle the record starts with;
        ``"discharge"``/``"charge"`` start every cycle with that kind;
        ``"file"`` keeps the file's own cycle numbers.
    capacity_source : {"auto", "file", "integrate"}
        Use the file's capacity column (``"auto"`` when present) or
        integrate the current.
    progress : callable, optional
        ``progress(stage, done, total)``, called about a hundred times on a
        long record.

    Returns
    -------
    SummaryTable
        Columns ``Cycle``, ``Discharge capacity [mAh/g]``, ``Charge capacity
        [mAh/g]``, ``Coulombic efficiency [%]``, ``Discharge energy [mWh/g]``,
        ``Charge energy [mWh/g]``, ``Energy efficiency [%]``, ``Mean discharge
        voltage [V]``, ``Mean charge voltage [V]``, ``End-of-discharge voltage
        [V]``, ``End-of-charge voltage [V]``, ``Polarisation [V]`` (units
        mAh/mWh when no mass is known), and ``Warnings`` (text, empty when
        the cycle looks sound). Quantities of a missing half-cycle (a record
        that starts or ends part-way through a cycle) are NaN.
    """
    _check_record(data, "cycle_summary", cycle_start, capacity_source)
    check_callable(progress, "progress", PROGRESS_STAGE)
    if coulombic_efficiency not in _CE_DEFINITIONS:
        raise ParameterError(
            f"coulombic_efficiency must be one of {', '.join(repr(d) for d in _CE_DEFINITIONS)}, "
            f"got {coulombic_efficiency!r}"
        )
    if len(data) == 0:
        raise ParameterError("the data hold no rows; nothing to summarise")
    if len(data) < 2:
        raise ParameterError(
            f"the data hold one record ({float(data.voltage_V[0]):.4g} V, {float(data.current_A[0]):.4g} A at "
            f"{float(data.time_s[0]):g} s): a capacity is the charge passed between records, so a cycle table needs at "
            "least two")
    mass = _check_mass(mass_g if mass_g is not None else data.mass_g)
    notes: list[str] = []
    data, numbering_note = _numbered(data, cycle_start)
    notes.append(numbering_note)
    steps = _step_table(data, capacity_source, progress)
    # Ah and Wh -> mAh and mWh, per gram when the mass is known
    scale = float(convert(1.0, "Ah", "mAh"))
    if mass is None:
        cap_unit, en_unit = "mAh", "mWh"
        notes.append("no catalyst mass given or stored in the file: capacities and energies are absolute "
                     "(mAh, mWh); pass mass_g for mAh/g")
    else:
        scale, cap_unit, en_unit = scale / mass, "mAh/g", "mWh/g"

    step_cycle = data.cycle[steps.start]
    if coulombic_efficiency == "auto":
        coulombic_efficiency, auto_note = _auto_ce(steps, step_cycle)
        notes.append(auto_note)
    cycles = np.unique(data.cycle)
    n = len(cycles)
    qd, qc, ed, ec, vqd, vqc = (np.zeros(n) for _ in range(6))
    eod, eoc = np.full(n, np.nan), np.full(n, np.nan)
    for k, c in enumerate(cycles):
        in_cycle = step_cycle == c
        dis = in_cycle & (steps.direction > 0)
        chg = in_cycle & (steps.direction < 0)
        qd[k] = float(np.sum(np.abs(steps.charge_Ah[dis])))
        qc[k] = float(np.sum(np.abs(steps.charge_Ah[chg])))
        ed[k] = float(np.sum(np.abs(steps.energy_Wh[dis])))
        ec[k] = float(np.sum(np.abs(steps.energy_Wh[chg])))
        vqd[k] = float(np.sum(steps.vq_Wh[dis]))
        vqc[k] = float(np.sum(steps.vq_Wh[chg]))
        if dis.any():
            eod[k] = data.voltage_V[steps.stop[np.flatnonzero(dis)[-1]] - 1]
        if chg.any():
            eoc[k] = data.voltage_V[steps.stop[np.flatnonzero(chg)[-1]] - 1]
    # a half-cycle the cycle does not have (the record starts or ends part-way through it) is missing, not 0
    has_d = np.array([bool(np.any((step_cycle == c) & (steps.direction > 0))) for c in cycles], dtype=bool)
    has_c = np.array([bool(np.any((step_cycle == c) & (steps.direction < 0))) for c in cycles], dtype=bool)
    qd[~has_d & has_c] = ed[~has_d & has_c] = np.nan  # (a cycle of rests only passed nothing: 0)
    qc[~has_c & has_d] = ec[~has_c & has_d] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_d = np.where(qd > 0, vqd / np.where(qd > 0, qd, 1.0), np.nan)
        mean_c = np.where(qc > 0, vqc / np.where(qc > 0, qc, 1.0), np.nan)
        if coulombic_efficiency == "charge/discharge":
            ce = np.where((qd > 0) & has_c, 100.0 * qc / np.where(qd > 0, qd, 1.0), np.nan)
        else:
            ce = np.where((qc > 0) & has_d, 100.0 * qd / np.where(qc > 0, qc, 1.0), np.nan)
        ee = energy_efficiency(qd, qc, ed, ec)  # both halves, moving the same charge
    columns = {
        "Cycle": cycles.astype(np.int64),
        f"Discharge capacity [{cap_unit}]": qd * scale,
        f"Charge capacity [{cap_unit}]": qc * scale,
        "Coulombic efficiency [%]": ce,
        f"Discharge energy [{en_unit}]": ed * scale,
        f"Charge energy [{en_unit}]": ec * scale,
        "Energy efficiency [%]": ee,
        "Mean discharge voltage [V]": mean_d,
        "Mean charge voltage [V]": mean_c,
        "End-of-discharge voltage [V]": eod,
        "End-of-charge voltage [V]": eoc,
        "Polarisation [V]": mean_c - mean_d,
        "Warnings": _cycle_warnings(qd, qc, ce, coulombic_efficiency, mean_d, mean_c),
    }
    back = np.flatnonzero(np.diff(data.time_s) < 0) + 1  # records whose time lies before the record before them
    for row in np.flatnonzero(np.isin(cycles, data.cycle[back])).tolist():
        first = int(back[data.cycle[back] == cycles[row]][0]) + 1  # counted from 1, as the readers' messages count
        warning = (f"time goes back at record {first}: records out of order (sort them by time or data point) "
                   "or two tests joined, so its capacity may count some time twice or not at all")
        columns["Warnings"][row] = "; ".join(w for w in (columns["Warnings"][row], warning) if w)
    short = _last_half_cut_short(steps, step_cycle, cycles)
    if short:
        columns["Warnings"][-1] = "; ".join(w for w in (columns["Warnings"][-1], short) if w)
        notes.append(f"cycle {int(cycles[-1])}: {short}")
    notes.append(f"coulombic efficiency = {coulombic_efficiency.replace('/', ' / ')} capacity")
    if not np.any(qd > 0) and not np.any(qc > 0):  # (NaN, a missing half, is not > 0)
        notes.append("no discharge or charge steps found (rest/open-circuit record only)")
    flagged = int(np.count_nonzero(columns["Warnings"] != ""))
    if flagged:
        notes.append(f"{flagged} of {n} cycles carry a warning (Warnings column)")
    return SummaryTable(
        columns=columns,
        capacity_unit=cap_unit,
        mass_g=mass,
        coulombic_efficiency=coulombic_efficiency,
        notes=tuple(notes),
    )


def _auto_ce(steps: _Steps, step_cycle: np.ndarray) -> tuple[CEDefinition, str]:
    """The ratio ``coulombic_efficiency="auto"`` takes: the second half of each cycle over its first, and a note.

    The order is that of the cycles as numbered: the kind of half-cycle that opens most of the cycles holding
    both halves (the record's first half-cycle when none holds both). A record that starts with a charge but is
    numbered discharge-first (``cycle_start="discharge"``) pairs each discharge with the charge after it, so its
    efficiency is that charge over that discharge, not the discharge over the charge that came after it.
    """
    moving = np.flatnonzero(steps.direction != 0)
    record_first = int(steps.direction[moving[0]]) if moving.size else 1
    opens = []
    for c in np.unique(step_cycle[moving]):
        kinds = steps.direction[moving[step_cycle[moving] == c]]
        if np.any(kinds > 0) and np.any(kinds < 0):
            opens.append(int(kinds[0]))
    n_charge_first = opens.count(-1)
    if not opens or 2 * n_charge_first == len(opens):
        first = record_first
    else:
        first = -1 if 2 * n_charge_first > len(opens) else 1
    definition: CEDefinition = "discharge/charge" if first < 0 else "charge/discharge"
    kind = "charge" if first < 0 else "discharge"
    if first == record_first:
        return definition, f"coulombic efficiency: the record starts with a {kind}"
    return definition, (f"coulombic efficiency: the cycles open with a {kind} (though the record starts with a "
                        f"{'discharge' if first < 0 else 'charge'}): each cycle's second half over its first")


def _last_half_cut_short(steps: _Steps, step_cycle: np.ndarray, cycles: np.ndarray) -> str:
    """Why the record's last half-cycle looks cut short, or "".

    The record ends in a half-cycle (the last step that passes current) made of fewer steps than
    the same half of every earlier cycle has, and passing less charge than the smallest of them
    (below 95 % of it): a CC-CV charge that stops after its CC step, say. Its capacity, and the
    cycle's efficiency, are then partial. A last half with fewer steps that still passes as much
    charge (a CC charge that reached its capacity limit) is complete. Needs two earlier cycles.
    """
    moving = np.flatnonzero(steps.direction != 0)
    if len(cycles) < 3 or moving.size == 0 or step_cycle[moving[-1]] != cycles[-1]:
        return ""
    sign = int(steps.direction[moving[-1]])
    same = steps.direction == sign
    counts = np.array([np.count_nonzero((step_cycle == c) & same) for c in cycles])
    charge = np.array([float(np.sum(np.abs(steps.charge_Ah[(step_cycle == c) & same]))) for c in cycles])
    had = counts[:-1] > 0
    if np.count_nonzero(had) < 2:
        return ""
    fewest, least = int(counts[:-1][had].min()), float(charge[:-1][had].min())
    if counts[-1] >= fewest or not charge[-1] < 0.95 * least:
        return ""
    half = "discharge" if sign > 0 else "charge"
    return (f"the record ends in this cycle's {half} after {counts[-1]} step(s) and {100 * charge[-1] / least:.0f} % "
            f"of the smallest earlier {half}, where every earlier {half} has at least {fewest} steps (e.g. a "
            f"CC-CV {half} stopped before its CV step): its {half} capacity and efficiency are partial")


def _cycle_warnings(qd: np.ndarray, qc: np.ndarray, ce: np.ndarray, definition: str,
                    mean_d: np.ndarray, mean_c: np.ndarray) -> np.ndarray:
    """Per-cycle sanity check: a half missing, no current, CE far outside 0-200 %, a charge below the discharge.

    A cell that returns to where it started needs at least the energy it gave: its mean charge voltage
    lies above its mean discharge voltage. Below it, the current's sign is likely reversed (charge
    counted as discharge).
    """
    lo, hi = CE_SANE_RANGE
    out = []
    for k in range(len(qd)):
        if not qd[k] > 0 and not qc[k] > 0:  # 0 or missing (NaN)
            out.append("no current in this cycle (rest only)")
        elif not qd[k] > 0:
            out.append("no discharge in this cycle (one half missing)")
        elif not qc[k] > 0:
            out.append("no charge in this cycle (one half missing)")
        elif outside_ce_range(ce[k]):
            hint = "a half-cycle cut short or begun part-way (e.g. the record starts from a part-charged state)"
            out.append(f"coulombic efficiency {ce[k]:.4g} % ({definition}) outside {lo:g}-{hi:g} %: {hint}")
        elif mean_c[k] < mean_d[k]:
            out.append(f"mean charge voltage {mean_c[k]:.4g} V below the mean discharge voltage {mean_d[k]:.4g} V: "
                       "is the current's sign reversed (metalair takes discharge current as positive)?")
        else:
            out.append("")
    return np.array(out, dtype=object)


@dataclass(frozen=True)
class CycleCount:
    """Result of :func:`count_cycles`.

    Attributes
    ----------
    half_cycles : int
        Alternating discharge/charge half-cycles in the record (rests do not
        split a half-cycle; a hold joins the half-cycle of its sign).
    first_half : str or None
        ``"discharge"`` or ``"charge"``: how the record starts.
    complete_cycles : int
        Discharge+charge pairs in the record's own order (``half_cycles // 2``).
    file_cycles : int or None
        Distinct cycle numbers in the file's own numbering (as the vendor's
        software shows them), when the file has one.
    file_numbering : str or None
        How the file numbers cycles.
    """

    half_cycles: int
    first_half: str | None
    complete_cycles: int
    file_cycles: int | None
    file_numbering: str | None

    def __str__(self) -> str:
        text = f"{self.half_cycles} half-cycles"
        if self.first_half:
            text += f" (first: {self.first_half}), {self.complete_cycles} complete cycles"
            if self.half_cycles % 2:
                text += " + 1 half-cycle"
        if self.file_cycles is not None:
            text += f"; the file numbers {self.file_cycles} cycles ({self.file_numbering})"
        return text


def count_cycles(data: CyclerData) -> CycleCount:
    """Count half-cycles and cycles the way a person reading the curve would, and as the file numbers them.

    A half-cycle is a run of rows with one direction of charge (discharge
    or charge steps, holds by the sign of their charge); rests do not end
    it. This is independent of the file's step and cycle columns, so it
    checks them.
    """
    direction = step_directions(data)
    active = direction[direction != 0]
    if active.size == 0:
        halves, first = 0, None
    else:
        halves = 1 + int(np.count_nonzero(active[1:] != active[:-1]))
        first = "discharge" if active[0] > 0 else "charge"
    file_cycles = data.n_cycles if _uses_file_numbering(data) else None
    numbering = str(data.metadata.get("cycle_numbering")) if file_cycles is not None else None
    return CycleCount(halves, first, halves // 2, file_cycles, numbering)


# ---------------------------------------------------------------------------
# cycle life
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CycleLife:
    """Result of :func:`cycle_life`.

    Attributes
    ----------
    cycle_life : int
        Last cycle before the first failed one (0 if the first cycle fails;
        the last cycle analysed if none fails, then ``censored`` is True).
    first_failed_cycle : int or None
        The first cycle that failed.
    reason : str
        Why it failed, or that no cycle failed.
    capacity_limit : float or None
        The limit used, in the table's capacity unit.
    capacity_limit_inferred : bool
        True when the limit was taken from the data (median of the first
        three discharge capacities) because none was given.
    first_cycle_below_eod_threshold : int or None
        First cycle whose end-of-discharge voltage is below ``eod_threshold_V``.
    censored : bool
        True when the test ended before any cycle failed.
    notes : tuple of str
        What the judgement assumed (an inferred limit, an unfinished last cycle).
    first_cycle_charge_at_limit : int or None
        First cycle whose charge ended at the charge voltage limit ``v_max``
        (within ``voltage_tolerance_V``), whether or not it still returned
        enough charge to pass; None when ``v_max`` was not given or no charge
        reached it. A cell whose charges run into the limit has lost its
        voltage margin even while its capacity holds.
    """

    cycle_life: int
    first_failed_cycle: int | None
    reason: str
    capacity_limit: float | None
    capacity_limit_inferred: bool
    first_cycle_below_eod_threshold: int | None
    censored: bool
    notes: tuple[str, ...] = ()
    first_cycle_charge_at_limit: int | None = None

    def __str__(self) -> str:
        lines = [f"cycle life: {self.cycle_life}" + (" (no failure observed: censored)" if self.censored else "")]
        if self.first_failed_cycle is not None:
            lines.append(f"first failed cycle: {self.first_failed_cycle} ({self.reason})")
        if self.first_cycle_below_eod_threshold is not None:
            lines.append(f"first cycle below the end-of-discharge threshold: {self.first_cycle_below_eod_threshold}")
        if self.first_cycle_charge_at_limit is not None:
            lines.append(f"first cycle whose charge ended at the voltage limit: {self.first_cycle_charge_at_limit}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)



#: EC-Lab writes this "characteristic mass" [g] into every file whose user never set one.
EC_LAB_DEFAULT_MASS_G = 0.001


def mass_note(data: CyclerData, mass_g: float | None, mass: float | None) -> str:
    """Which catalyst mass the capacities per gram use, and where it came from (a default is named as such)."""
    if mass is None:
        return "no catalyst mass (given or in the file): capacities and energies are absolute (mAh, mWh)"
    mg = float(convert(mass, "g", "mg"))
    if mass_g is not None:
        return f"catalyst mass {mg:.6g} mg (given)"
    source = str(data.metadata.get("mass_source") or "the record's")
    if source.startswith("file (") and source.endswith(")"):  # "file (EC-Lab characteristic mass)"
        source = "from the file's " + source[len("file ("):-1]
    note = f"catalyst mass {mg:.6g} mg ({source})"
    if "EC-Lab" in source and mass == EC_LAB_DEFAULT_MASS_G:
        note += ("; 1 mg is EC-Lab's default characteristic mass, written when none was set: if it is not the "
                 "real mass, give it (mass_g=..., on the command line --mass-mg)")
    return note


#: The voltages :func:`cycle_life` takes (limits, end-of-discharge threshold) are cell voltages in this range [V]
#: (exclusive): a metal–air cell works between about 1 and 5 V, and the readers take ±10 V as plausible.
CELL_VOLTAGE_RANGE_V = (0.0, 10.0)
#: Largest ``voltage_tolerance_V`` [V]: a wider margin calls every half-cycle "at its limit".
MAX_VOLTAGE_TOLERANCE_V = 0.5


def cycle_life(
    summary: SummaryTable,
    capacity_limit_mAh_g: float | None = None,
    v_min: float | None = None,
    v_max: float | None = None,
    eod_threshold_V: float | None = None,
    *,
    capacity_limit_mAh: float | None = None,
    tolerance: float = 0.99,
    voltage_tolerance_V: float = 0.01,
) -> CycleLife:
    """Cycle life of a capacity-limited test (the usual metal–air protocol).

    A cycle **fails** when its discharge stops before the capacity limit
    (discharge capacity < ``tolerance`` × limit: the voltage limit ``v_min``
    was reached first) or its charge returns less than ``tolerance`` × limit
    (``v_max`` reached first). The cycle life is the last cycle before the
    first failure. Independently, the first cycle whose end-of-discharge
    voltage falls below ``eod_threshold_V`` is reported.

    Parameters
    ----------
    summary : SummaryTable
        From :func:`cycle_summary`.
    capacity_limit_mAh_g : float, optional
        The capacity each half-cycle was limited to, in mAh/g (for a table in
        mAh/g). When neither limit is given it is inferred as the median of
        the first (up to three) discharge capacities, and the result says so.
    v_min, v_max : float, optional
        The discharge and charge voltage limits of the protocol, V (v_min <
        v_max, both inside :data:`CELL_VOLTAGE_RANGE_V`). Used to
        name the cause of a failure (limit reached, or the step ended early
        for another reason such as a time limit or an interruption).
    eod_threshold_V : float, optional
        End-of-discharge voltage threshold, V.
    capacity_limit_mAh : float, optional
        The limit in mAh, for a table with absolute capacities.
    tolerance : float
        Fraction of the limit a half-cycle must reach, in (0, 1] (default 0.99).
    voltage_tolerance_V : float
        How close to ``v_min``/``v_max`` counts as having reached it, 0 to
        :data:`MAX_VOLTAGE_TOLERANCE_V`.

    Limits and voltages may also be given as text with a unit
    (``"500 mAh/g"``, ``"4.2 V"``, ``"10 mV"``).

    Returns
    -------
    CycleLife
    """
    if not isinstance(summary, SummaryTable):
        raise ParameterError(f"cycle_life needs the per-cycle SummaryTable of cycle_summary(data), got "
                             f"{type(summary).__name__}")
    tolerance = number("cycle_life", "tolerance", tolerance, 0.0, 1.0, lo_open=True,
                       hint="the fraction of the limit a half-cycle must reach, e.g. 0.99")
    capacity_limit_mAh_g = optional_number("cycle_life", "capacity_limit_mAh_g", capacity_limit_mAh_g, 0.0,
                                           lo_open=True, unit="mAh/g")
    capacity_limit_mAh = optional_number("cycle_life", "capacity_limit_mAh", capacity_limit_mAh, 0.0, lo_open=True,
                                         unit="mAh")
    lo_v, hi_v = CELL_VOLTAGE_RANGE_V
    v_min, v_max, eod_threshold_V = (
        optional_number("cycle_life", name, value, lo_v, hi_v, lo_open=True, hi_open=True, unit="V")
        for name, value in (("v_min", v_min), ("v_max", v_max), ("eod_threshold_V", eod_threshold_V)))
    if v_min is not None and v_max is not None and not v_min < v_max:
        raise ParameterError(f"cycle_life: v_min = {v_min:g} V must lie below v_max = {v_max:g} V (v_min is the "
                             "discharge's lower voltage limit, v_max the charge's upper one)")
    if eod_threshold_V is not None and v_max is not None and not eod_threshold_V < v_max:
        # (one at or below v_min is allowed: it never fires, which is what it then reports)
        raise ParameterError(f"cycle_life: eod_threshold_V = {eod_threshold_V:g} V must lie below the charge limit "
                             f"v_max = {v_max:g} V: a discharge ends below where the charge stops")
    voltage_tolerance_V = number("cycle_life", "voltage_tolerance_V", voltage_tolerance_V, 0.0,
                                 MAX_VOLTAGE_TOLERANCE_V, unit="V")
    unit = summary.capacity_unit
    if capacity_limit_mAh_g is not None and capacity_limit_mAh is not None:
        raise ParameterError("give capacity_limit_mAh_g or capacity_limit_mAh, not both")
    if capacity_limit_mAh_g is not None and unit != "mAh/g":
        raise ParameterError(
            "capacity_limit_mAh_g was given but the summary is in absolute mAh (no catalyst mass); "
            "pass mass_g to cycle_summary, or give capacity_limit_mAh instead"
        )
    if capacity_limit_mAh is not None and unit != "mAh":
        raise ParameterError("capacity_limit_mAh was given but the summary is per gram; give capacity_limit_mAh_g")
    limit = capacity_limit_mAh_g if capacity_limit_mAh_g is not None else capacity_limit_mAh
    cycles = summary["Cycle"]
    qd = np.nan_to_num(summary[f"Discharge capacity [{unit}]"], nan=0.0)  # a missing half passed no charge
    qc = np.nan_to_num(summary[f"Charge capacity [{unit}]"], nan=0.0)
    eod = summary["End-of-discharge voltage [V]"]
    eoc = summary["End-of-charge voltage [V]"]
    notes: list[str] = []
    inferred = False
    if limit is None:
        first = qd[qd > 0][:3]
        if first.size == 0:
            return CycleLife(0, None, "no discharge in the record", None, False, None, True, ("nothing to judge",))
        limit = float(np.median(first))
        inferred = True
        notes.append(f"capacity limit not given; inferred as {limit:.6g} {unit} (median of the first discharges)")
    if not (limit > 0):
        raise ParameterError(f"the capacity limit must be positive, got {limit!r}")

    first_eod = None
    if eod_threshold_V is not None:
        below = np.flatnonzero(eod < eod_threshold_V)
        first_eod = int(cycles[below[0]]) if below.size else None

    first_at_limit = None
    if v_max is not None:
        at_limit = np.flatnonzero((qc > 0) & np.isfinite(eoc) & (eoc >= v_max - voltage_tolerance_V))
        first_at_limit = int(cycles[at_limit[0]]) if at_limit.size else None

    failed: int | None = None
    reason = "no cycle failed"
    last = len(cycles) - 1
    last_incomplete = False
    no_discharge = ~np.isfinite(np.asarray(summary[f"Discharge capacity [{unit}]"], dtype=float))
    for k in range(len(cycles)):
        if k == last and k > 0 and no_discharge[k]:
            notes.append(f"cycle {int(cycles[k])} has no discharge (the record ends with a charge after the last "
                         "full cycle); not counted as a failure")
            last_incomplete = True
            break
        if k == 0 and k < last and no_discharge[k]:  # a record that starts with a charge (cycles discharge first)
            notes.append(f"cycle {int(cycles[k])} has no discharge (the record starts with a charge before the "
                         "cycling); it is not judged")
            continue
        if qd[k] < tolerance * limit and k == last and v_min is not None and np.isfinite(eod[k]) \
                and eod[k] > v_min + voltage_tolerance_V:
            # the record ends inside its last discharge, above the voltage limit: the test stopped, the cell did not
            notes.append(f"cycle {int(cycles[k])}'s discharge stops at {qd[k]:.6g} {unit}, at {eod[k]:.4g} V above "
                         f"v_min: the record ends inside it; not counted as a failure")
            last_incomplete = True
            break
        if qd[k] < tolerance * limit:
            why = f"discharge gave {qd[k]:.6g} {unit} < {tolerance:g} x {limit:.6g}"
            if v_min is not None and np.isfinite(eod[k]):
                if eod[k] <= v_min + voltage_tolerance_V:
                    why += f": voltage limit {v_min:g} V reached first"
                else:
                    why += f": stopped at {eod[k]:.4g} V, above v_min (time limit or interruption?)"
            failed, reason = int(cycles[k]), why
            break
        if qc[k] == 0 and k == last:
            notes.append(f"cycle {int(cycles[k])} has no charge (test ended after its discharge); "
                         "not counted as a failure")
            last_incomplete = True
            break
        if qc[k] == 0 and k == 0:  # a formation discharge before the cycling proper
            notes.append(f"cycle {int(cycles[k])} has no charge (a formation discharge before the cycling); "
                         "its charge is not judged")
            continue
        if qc[k] < tolerance * limit:
            why = f"charge returned {qc[k]:.6g} {unit} < {tolerance:g} x {limit:.6g}"
            if v_max is not None and np.isfinite(eoc[k]):
                if eoc[k] >= v_max - voltage_tolerance_V:
                    why += f": voltage limit {v_max:g} V reached first"
                else:
                    why += f": stopped at {eoc[k]:.4g} V, below v_max (time limit or interruption?)"
            failed, reason = int(cycles[k]), why
            break
    if failed is None:
        life = int(cycles[-1]) if len(cycles) else 0
        if last_incomplete:
            life = int(cycles[-2]) if len(cycles) > 1 else 0
        censored = True
    else:
        previous = cycles[cycles < failed]
        life = int(previous[-1]) if previous.size else 0
        censored = False
    return CycleLife(life, failed, reason, float(limit), inferred, first_eod, censored, tuple(notes), first_at_limit)


# ---------------------------------------------------------------------------
# half cycles (for plots and dQ/dV)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class HalfCycle:
    """The rows of one discharge or charge of one cycle.

    ``capacity_Ah`` is the charge passed since the half-cycle began (>= 0),
    accumulated over all its steps.
    """

    cycle: int
    kind: str  # "discharge" or "charge"
    time_s: np.ndarray
    voltage_V: np.ndarray
    capacity_Ah: np.ndarray
    rows: np.ndarray = field(repr=False)


def half_cycles(
    data: CyclerData,
    *,
    cycle_start: Literal["auto", "discharge", "charge", "file"] = "auto",
    capacity_source: Literal["auto", "file", "integrate"] = "auto",
) -> list[HalfCycle]:
    """Split a record into half-cycles (discharge and charge of each cycle), in the order the cell ran them.

    A cycle that opens with a charge gives its charge first. ``cycle_start`` numbers the cycles and
    ``capacity_source`` chooses the charge as in :func:`cycle_summary`.
    """
    _check_record(data, "half_cycles", cycle_start, capacity_source)
    data, _ = _numbered(data, cycle_start)
    steps = _step_table(data, capacity_source)
    use_file = data.capacity_Ah is not None and capacity_source in ("auto", "file")
    out: list[HalfCycle] = []
    for c in np.unique(data.cycle):
        for sign, kind in ((1, "discharge"), (-1, "charge")):
            sel = np.flatnonzero((data.cycle[steps.start] == c) & (steps.direction == sign))
            if sel.size == 0:
                continue
            rows_list, caps = [], []
            offset = 0.0
            for k in sel:
                a, b = int(steps.start[k]), int(steps.stop[k])
                if use_file:
                    q = np.abs(np.asarray(data.capacity_Ah[a:b]))  # type: ignore[index]
                else:  # as the step table integrates (module notes)
                    q = np.abs(np.cumsum(_charge_increments_Ah(data.time_s, data.current_A, a, b, data.follows_gap)))
                rows_list.append(np.arange(a, b))
                caps.append(q + offset)
                offset += float(abs(steps.charge_Ah[k]))
            rows = np.concatenate(rows_list)
            out.append(
                HalfCycle(
                    cycle=int(c),
                    kind=kind,
                    time_s=data.time_s[rows],
                    voltage_V=data.voltage_V[rows],
                    capacity_Ah=np.concatenate(caps),
                    rows=rows,
                )
            )
    return sorted(out, key=lambda h: int(h.rows[0]))


#: A step is a constant-voltage hold when its voltage spans at most this [V] while its current changes.
CV_VOLTAGE_SPAN_V = 0.005
#: ... by more than this fraction of its largest magnitude (a constant-current step keeps its current).
CV_CURRENT_CHANGE = 0.2


def cv_tail_start(v: np.ndarray, current: np.ndarray) -> int | None:
    """Where a constant-voltage tail begins inside one step (a CC-CV charge written as one step), or None.

    The tail is the last run of points within :data:`CV_VOLTAGE_SPAN_V` of the step's final voltage, at
    least three long, in which the current has fallen by more than :data:`CV_CURRENT_CHANGE` of the
    constant current before it; a constant-current step ending on a flat plateau keeps its current.
    """
    within = np.abs(v - v[-1]) <= CV_VOLTAGE_SPAN_V
    k = v.size
    while k > 0 and within[k - 1]:
        k -= 1
    if k == 0 or v.size - k < 3:
        return None
    cc = float(np.median(current[:k]))
    if not (cc > 0 and float(current[-1]) < (1.0 - CV_CURRENT_CHANGE) * cc):
        return None
    # the constant current may run on into the voltage window: the tail starts where the current starts to fall
    falling = np.flatnonzero(current[k:] < 0.99 * cc)
    return k + max(int(falling[0]) - 1, 0) if falling.size else k


def without_cv(data: CyclerData, h: HalfCycle) -> tuple[np.ndarray, np.ndarray]:
    """Voltage and capacity of a half-cycle without its constant-voltage (CV) steps.

    A CV step is a ``hold`` step, or a step whose voltage stays within :data:`CV_VOLTAGE_SPAN_V`
    while its current changes by more than :data:`CV_CURRENT_CHANGE` of its largest magnitude (a
    CC step at almost constant voltage keeps its current, and stays); a CC-CV charge written as one
    step (Neware ``CCCV_Chg``, or steps inferred from the current's sign) loses its CV tail. The
    charge between the parts kept (a CV step left out, or the gap between separate steps) is not
    spread over the voltage jump.
    At constant voltage dQ/dV is unbounded: pass a half-cycle through this before
    :func:`~metalair.analysis.incremental_capacity.dqdv` or ``find_plateaus``, or its CV step reads as a plateau.
    """
    from metalair.tables.cycler import step_starts

    rows = np.asarray(h.rows)
    v = np.asarray(h.voltage_V, dtype=float)
    q = np.asarray(h.capacity_Ah, dtype=float)
    keep = np.ones(rows.size, dtype=bool)
    starts = step_starts(np.asarray(data.step)[rows])
    for a, b in zip(starts, np.append(starts[1:], rows.size)):
        current = np.abs(np.asarray(data.current_A)[rows[a:b]])
        hold = str(data.step_type[rows[a]]) == "hold"
        flat = float(np.ptp(v[a:b])) <= CV_VOLTAGE_SPAN_V
        decays = current.size > 1 and float(current.max() - current.min()) > CV_CURRENT_CHANGE * float(current.max())
        if hold or (flat and decays):
            keep[a:b] = False
        else:
            tail = cv_tail_start(v[a:b], current)
            if tail is not None:
                keep[a + tail + 1:b] = False  # the point that reached the limit is the last of the CC part
    dq = np.diff(q, prepend=q[:1])
    dq[np.flatnonzero(np.diff(rows) > 1) + 1] = 0.0  # the start of a separate step
    dq[1:][~keep[:-1]] = 0.0  # the first point after a CV step: its charge was the hold's
    return v[keep], q[0] + np.cumsum(dq[keep])
