"""The canonical in-memory table of a cycler measurement: :class:`CyclerData`.

Every reader in :mod:`metalair.io` returns one, and the cycle analysis in
:mod:`metalair.analysis.cycle_metrics` takes one, so a simulated solution converted
to a :class:`CyclerData` is analysed by exactly the same code as a file.

Conventions (written down once, here)
-------------------------------------
* Units are SI-like and in the attribute names: s, V, A, Ah, Wh.
* **Current is positive on discharge and negative on charge.** Readers
  convert the vendor's sign (Neware, Arbin and BioLogic all write charge as
  positive; Maccor writes magnitudes and a mode letter).
* ``capacity_Ah`` and ``energy_Wh`` are accumulated *within each step*
  (they restart at every step), and carry the sign of the current: they grow
  positive during a discharge step and negative during a charge step.
* ``cycle`` counts from 1, in the numbering the file (or the vendor software)
  uses. :meth:`CyclerData.renumber_cycles` re-counts cycles so that each one
  starts with a discharge (the metal–air convention) or with a charge.
* ``step`` is a running step counter: it changes whenever a new step starts,
  so each step number names one contiguous block of rows.
* ``step_type`` is one of :data:`STEP_TYPES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from metalair._validation import keyword_checked
from metalair.errors import ParameterError
from metalair.tables.base import frozen_column, metadata_dict, missing_column, require_finite

__all__ = ["CyclerData", "STEP_TYPES", "infer_steps_from_current", "step_starts"]

#: Allowed values of :attr:`CyclerData.step_type`.
STEP_TYPES: tuple[str, ...] = ("discharge", "charge", "rest", "hold", "other")

_FLOAT_FIELDS = ("time_s", "voltage_V", "current_A")
#: How the messages name the quantity of each float field that must be finite.
_FINITE_LABELS = {"time_s": "time", "voltage_V": "voltage", "current_A": "current"}
_OPTIONAL_FLOAT_FIELDS = ("capacity_Ah", "energy_Wh")
_INT_FIELDS = ("step", "cycle")


def _shared(values: Any, kinds: str) -> np.ndarray | None:
    """A read-only 1-D array of the right kind is immutable already: share it instead of copying.

    Tables made from other tables (``replace``, :meth:`CyclerData.renumber_cycles`,
    the readers' checks) then cost no copy of the columns they keep, which
    keeps the peak memory of reading a large file a small multiple of its size.
    """
    if (isinstance(values, np.ndarray) and values.ndim == 1 and not values.flags.writeable
            and values.dtype.kind in kinds):
        return values
    return None


def _as_float(name: str, values: Any) -> np.ndarray:
    shared = _shared(values, "f")
    if shared is not None and shared.dtype == np.float64:
        return shared
    return frozen_column("CyclerData", name, values, None)


def _as_int(name: str, values: Any) -> np.ndarray:
    shared = _shared(values, "i")
    if shared is not None and shared.dtype == np.int64:
        return shared
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise ParameterError(f"CyclerData.{name} must be one-dimensional, got shape {raw.shape}")
    if raw.dtype.kind in "iu":
        return raw.astype(np.int64, copy=True)
    if raw.dtype.kind == "b":
        raise ParameterError(f"CyclerData.{name} must hold integers, got booleans")
    try:
        as_float = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"CyclerData.{name} must hold integers, got dtype {raw.dtype}") from None
    if as_float.size and (not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float))):
        bad = int(np.flatnonzero(~np.isfinite(as_float) | (as_float != np.round(as_float)))[0])
        raise ParameterError(
            f"CyclerData.{name} must hold whole numbers; record {bad + 1} (counted from 1) holds "
            f"{float(as_float[bad])!r}"
        )
    return as_float.astype(np.int64)


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


@keyword_checked
@dataclass(frozen=True, eq=False)
class CyclerData:
    """A galvanostatic cycling record, one row per data point.

    Parameters
    ----------
    time_s : array of float
        Test time in s (not reset by steps).
    voltage_V : array of float
        Cell voltage in V.
    current_A : array of float
        Current in A, **positive on discharge, negative on charge**.
    step : array of int
        Running step number (changes at every new step).
    cycle : array of int
        Cycle number, counting from 1.
    step_type : array of str
        One of ``"discharge", "charge", "rest", "hold", "other"`` per row.
    capacity_Ah, energy_Wh : array of float, optional
        Charge and energy accumulated since the start of the row's step, with
        the sign of the current (positive while discharging), as the file
        gives them; ``None`` when the file has none.
    metadata : dict
        ``instrument``, ``software_version``, ``file_name``, ``format``,
        ``mass_g`` (active/catalyst mass, if known), ``warnings`` (list of
        str), and whatever else the reader found; ``None`` is taken as ``{}``.
    extra : dict of str to array
        Further per-row columns (e.g. ``"temperature_degC"``), same length.
    follows_gap : array of bool, optional
        True at a row whose previous row in this table is not the record before it in the file:
        rows were left out between them (:meth:`take`, :meth:`select_cycles`). Charge is never
        integrated across such a gap. ``None``: the rows are the file's, in order.

    Raises
    ------
    ParameterError
        If the arrays differ in length, are not one-dimensional, hold the wrong
        kind of values, a cycle number is below 1, or a step type is unknown.
    DataFormatError
        If time, voltage or current holds NaN or infinite values (the message
        names how many and the first record). Time that steps back or restarts
        is accepted: joined files do that, and the readers' checks report it.

    Notes
    -----
    Columns are copied and made read-only, except arrays that are read-only
    already (e.g. the columns of another ``CyclerData``), which are shared.
    """

    time_s: np.ndarray
    voltage_V: np.ndarray
    current_A: np.ndarray
    step: np.ndarray
    cycle: np.ndarray
    step_type: np.ndarray
    capacity_Ah: np.ndarray | None = None
    energy_Wh: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)
    follows_gap: np.ndarray | None = None

    def __post_init__(self) -> None:
        metadata = metadata_dict("CyclerData", self.metadata)
        source = str(metadata.get("file_name") or "CyclerData")
        arrays: dict[str, np.ndarray] = {}
        for name in _FLOAT_FIELDS:
            arrays[name] = _as_float(name, getattr(self, name))
        for name in _OPTIONAL_FLOAT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                arrays[name] = _as_float(name, value)
        for name in _INT_FIELDS:
            arrays[name] = _as_int(name, getattr(self, name))
        shared_types = _shared(self.step_type, "U")
        step_type = shared_types if shared_types is not None else np.array(self.step_type, dtype=str, copy=True)
        if step_type.ndim != 1:
            raise ParameterError(f"CyclerData.step_type must be one-dimensional, got shape {step_type.shape}")
        arrays["step_type"] = step_type

        if self.follows_gap is not None:
            gap = np.asarray(self.follows_gap)
            if gap.ndim != 1 or gap.dtype != bool:
                raise ParameterError(f"CyclerData.follows_gap must be a one-dimensional array of bool, got "
                                     f"{gap.dtype} of shape {gap.shape}")
            arrays["follows_gap"] = np.array(gap, copy=True)
        n = len(arrays["time_s"])
        lengths = {name: len(arr) for name, arr in arrays.items()}
        extra: dict[str, np.ndarray] = {}
        for key, value in dict(self.extra).items():
            arr = np.array(value, copy=True)
            if arr.ndim != 1:
                raise ParameterError(f"CyclerData.extra[{key!r}] must be one-dimensional, got shape {arr.shape}")
            extra[str(key)] = _readonly(arr)
            lengths[f"extra[{key!r}]"] = len(arr)
        if any(length != n for length in lengths.values()):
            detail = ", ".join(f"{k}={v}" for k, v in lengths.items())
            raise ParameterError(f"all CyclerData columns must have the same length; got {detail}")

        known = np.zeros(len(step_type), dtype=bool)  # no sorted copy of a long string column (peak memory)
        for kind in STEP_TYPES:
            known |= step_type == kind
        unknown = sorted(set(step_type[~known].tolist()))
        if unknown:
            raise ParameterError(
                f"unknown step_type value(s) {unknown}; allowed: {', '.join(STEP_TYPES)}"
            )
        if n and int(arrays["cycle"].min()) < 1:
            row = int(np.argmin(arrays["cycle"]))
            raise ParameterError(
                f"cycle numbers count from 1; record {row + 1} (counted from 1) has cycle {int(arrays['cycle'][row])}"
            )

        for name in _FLOAT_FIELDS:  # a NaN time or current gives NaN capacities and energies downstream
            require_finite(source, name, arrays[name], _FINITE_LABELS[name])

        for name, arr in arrays.items():
            object.__setattr__(self, name, _readonly(arr))
        object.__setattr__(self, "extra", extra)
        metadata["warnings"] = list(metadata.get("warnings", []))
        object.__setattr__(self, "metadata", metadata)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.time_s)

    def __repr__(self) -> str:
        name = self.metadata.get("file_name", "")
        where = f" from {name!r}" if name else ""
        return f"CyclerData({len(self)} rows, {self.n_cycles} cycles{where})"

    @property
    def n_cycles(self) -> int:
        """Number of distinct cycle numbers present."""
        return int(np.unique(self.cycle).size) if len(self) else 0

    @property
    def mass_g(self) -> float | None:
        """Catalyst (active) mass in g from the metadata, or ``None``."""
        mass = self.metadata.get("mass_g")
        return float(mass) if mass is not None else None

    @property
    def warnings(self) -> list[str]:
        """Problems the reader and the plausibility checks reported."""
        return list(self.metadata.get("warnings", []))

    def __getitem__(self, key: str) -> np.ndarray:
        """A column by its name in :meth:`columns` (``data["voltage_V"]``, the same as ``data.voltage_V``)."""
        cols = self.columns()
        if isinstance(key, str) and key in cols:
            return cols[key]
        # the names of a Solution or a summary table ("Voltage [V]") are common here: map their quantity
        alias = {"voltage": "voltage_V", "current": "current_A", "time": "time_s", "cycle": "cycle", "step": "step",
                 "capacity": "capacity_Ah", "energy": "energy_Wh"}
        word = key.split("[")[0].strip().lower() if isinstance(key, str) else ""
        err = missing_column(key, cols)
        if word in alias and alias[word] in cols:
            err = type(err)(f"no column named {key!r}: a CyclerData names its columns in SI with the unit in the "
                            f"name; did you mean {alias[word]!r} (data[{alias[word]!r}] or data.{alias[word]})?")
        raise err

    def columns(self) -> dict[str, np.ndarray]:
        """All per-row columns by name (optional ones only if present)."""
        cols: dict[str, np.ndarray] = {
            "time_s": self.time_s,
            "voltage_V": self.voltage_V,
            "current_A": self.current_A,
            "step": self.step,
            "cycle": self.cycle,
            "step_type": self.step_type,
        }
        if self.capacity_Ah is not None:
            cols["capacity_Ah"] = self.capacity_Ah
        if self.energy_Wh is not None:
            cols["energy_Wh"] = self.energy_Wh
        cols.update(self.extra)
        return cols

    # --------------------------------------------------------------- selection
    def take(self, rows: np.ndarray) -> CyclerData:
        """A new table with the given rows (boolean mask or integer indices).

        Where rows are left out between two kept ones, the later one is marked in :attr:`follows_gap`.
        """
        rows = np.asarray(rows)
        index = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.int64).ravel()
        gap = np.zeros(len(index), dtype=bool)
        gap[1:] = np.diff(index) != 1
        if self.follows_gap is not None:
            gap |= self.follows_gap[index]
        return replace(
            self,
            time_s=self.time_s[rows],
            voltage_V=self.voltage_V[rows],
            current_A=self.current_A[rows],
            step=self.step[rows],
            cycle=self.cycle[rows],
            step_type=self.step_type[rows],
            capacity_Ah=None if self.capacity_Ah is None else self.capacity_Ah[rows],
            energy_Wh=None if self.energy_Wh is None else self.energy_Wh[rows],
            metadata=dict(self.metadata),
            extra={k: v[rows] for k, v in self.extra.items()},
            follows_gap=gap if gap.any() else None,
        )

    def select_cycles(self, cycles: int | Iterable[int] | range) -> CyclerData:
        """Rows whose cycle number is in ``cycles`` (an int, a range or any iterable).

        Raises
        ------
        ParameterError
            If none of the requested cycles is present.
        """
        wanted = np.atleast_1d(np.asarray(list(cycles) if not isinstance(cycles, (int, np.integer)) else [cycles]))
        mask = np.isin(self.cycle, wanted)
        if not mask.any():
            present = np.unique(self.cycle)
            span = f"{present.min()}..{present.max()}" if present.size else "none"
            raise ParameterError(f"none of the cycles {wanted.tolist()} is present; cycles in the data: {span}")
        return self.take(mask)

    def renumber_cycles(self, start: Literal["auto", "discharge", "charge"] = "auto") -> CyclerData:
        """Re-count cycles so that each cycle begins with a discharge (or a charge).

        A new cycle starts wherever an active half-cycle of the ``start`` kind
        follows one of the other kind. Rests and "other" steps stay with the
        cycle they are in; a hold (constant-voltage step) counts as charge or
        discharge by the sign of its net charge. ``"auto"`` takes the kind of
        the first active half-cycle in the record, so a metal–air cell that is
        discharged first gets discharge→charge cycles.

        Returns
        -------
        CyclerData
            A copy with new ``cycle`` numbers (from 1); ``metadata["cycle_numbering"]``
            records the rule.
        """
        if start not in ("auto", "discharge", "charge"):
            raise ParameterError(f"start must be 'auto', 'discharge' or 'charge', got {start!r}")
        direction = step_directions(self)
        active = direction[direction != 0]
        if active.size == 0:
            new_cycle = np.ones(len(self), dtype=np.int64)
            kind = "discharge" if start == "auto" else start
        else:
            kind = start if start != "auto" else ("discharge" if active[0] > 0 else "charge")
            target = 1 if kind == "discharge" else -1
            # carry the last active direction forward over rests
            filled = direction.astype(np.int64).copy()
            idx = np.where(filled != 0, np.arange(len(filled)), 0)
            np.maximum.accumulate(idx, out=idx)
            filled = filled[idx]
            first = int(np.flatnonzero(direction != 0)[0])
            filled[:first] = 0
            begins = np.zeros(len(self), dtype=bool)
            begins[1:] = (filled[1:] == target) & (filled[:-1] == -target)
            new_cycle = 1 + np.cumsum(begins)
        metadata = dict(self.metadata)
        metadata["cycle_numbering"] = f"each cycle starts with a {kind} (renumbered by metalair)"
        return replace(self, cycle=new_cycle, metadata=metadata)

    # ------------------------------------------------------------------ export
    def to_pandas(self) -> Any:
        """The table as a :class:`pandas.DataFrame` (``metadata`` in ``df.attrs``).

        Requires pandas (``pip install pandas``).
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install pandas") from None
        df = pd.DataFrame(self.columns())
        df.attrs.update(self.metadata)
        return df


# ---------------------------------------------------------------------------
# helpers shared by the readers and the analysis
# ---------------------------------------------------------------------------
def step_starts(step: np.ndarray) -> np.ndarray:
    """Indices of the first row of each contiguous block of equal step numbers."""
    step = np.asarray(step)
    if step.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(([0], np.flatnonzero(step[1:] != step[:-1]) + 1)).astype(np.int64)


def step_directions(data: CyclerData) -> np.ndarray:
    """Per row: +1 in a discharge half-cycle, -1 in a charge, 0 in rest/other.

    Discharge and charge steps take their type; a hold takes the sign of its
    net charge (its capacity at the step's end, or the summed current).
    """
    st = data.step_type
    direction = np.zeros(len(data), dtype=np.int8)
    direction[st == "discharge"] = 1
    direction[st == "charge"] = -1
    hold = st == "hold"
    if hold.any():
        starts = step_starts(data.step)
        bounds = np.append(starts, len(data))
        for a, b in zip(bounds[:-1], bounds[1:]):
            if not hold[a]:
                continue
            if data.capacity_Ah is not None:
                net = data.capacity_Ah[b - 1]
            else:
                net = float(np.sum(data.current_A[a:b]))
            direction[a:b] = 1 if net > 0 else (-1 if net < 0 else 0)
    return direction


def infer_steps_from_current(
    current_A: np.ndarray, *, rest_fraction: float = 1e-3, rest_abs_A: float = 1e-9
) -> tuple[np.ndarray, np.ndarray]:
    """Split a record into steps where the current changes sign or stops.

    For files without step information. A row counts as rest when
    ``|I| <= max(rest_abs_A, rest_fraction * max|I|)``.

    Returns
    -------
    step : ndarray of int
        Running step number from 1.
    step_type : ndarray of str
        ``"discharge"`` (I > 0), ``"charge"`` (I < 0) or ``"rest"``.
    """
    current_A = np.asarray(current_A, dtype=float)
    if current_A.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype="<U9")
    finite = np.abs(current_A[np.isfinite(current_A)])
    threshold = max(rest_abs_A, rest_fraction * float(finite.max())) if finite.size else rest_abs_A
    sign = (current_A > threshold).astype(np.int8) - (current_A < -threshold).astype(np.int8)
    step = np.empty(current_A.size, dtype=np.int64)  # built in place: no temporaries of the record's length
    step[0] = 1
    np.cumsum(sign[1:] != sign[:-1], out=step[1:])
    step[1:] += 1
    sign += 1
    step_type = np.array(["charge", "rest", "discharge"], dtype="<U9")[sign]
    return step, step_type


def running_step(*keys: np.ndarray) -> np.ndarray:
    """Running step number from 1 that changes whenever any of ``keys`` changes."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    changed = np.zeros(n - 1, dtype=bool)
    for key in keys:
        key = np.asarray(key)
        changed |= key[1:] != key[:-1]
    return (1 + np.concatenate(([0], np.cumsum(changed)))).astype(np.int64)


def per_step_accumulated(values: np.ndarray, step: np.ndarray, *, reset: bool | None = None) -> np.ndarray:
    """Turn a capacity-like column into one that restarts at every step.

    ``reset=True``: the counter already restarts at each step (Neware,
    Maccor); values are returned unchanged. ``reset=False``: a magnitude
    counter that keeps running over a cycle and may restart at a cycle
    boundary (Arbin): the baseline of a step is the last value of the previous
    step unless the counter went down there, then 0. ``reset=None``: decided
    from the data - restarting if nearly every step begins near zero, else a
    running counter. A running counter is signed (net charge, continued from
    the previous row at every step) when it goes below zero or falls within a
    step, which a magnitude counter never does; a signed counter of a cell that
    starts with a discharge can stay positive throughout.
    """
    values = np.asarray(values, dtype=float)
    out = values.copy()
    starts = step_starts(step)
    if reset or starts.size == 0:
        return out
    ends = np.append(starts[1:], len(values))
    scale = float(np.nanmax(np.abs(values))) if values.size else 0.0
    tol = 1e-9 * scale
    signed_running = False
    if reset is None:
        near_zero = [
            abs(values[a]) <= 0.05 * float(np.max(np.abs(values[a:b]))) + tol
            for a, b in zip(starts[1:], ends[1:])
        ]
        if not near_zero or np.mean(near_zero) >= 0.8:
            return out
        falls_within_a_step = any(values[b - 1] < values[a] - max(tol, 1e-3 * scale) for a, b in zip(starts, ends))
        signed_running = bool(np.nanmin(values) < 0) or falls_within_a_step
    for i, (a, b) in enumerate(zip(starts, ends)):
        base = 0.0
        if i > 0:
            prev = values[a - 1]
            if signed_running or values[a] >= prev - tol:
                base = prev
        out[a:b] = values[a:b] - base
    return out


def signed_like_current(values: np.ndarray, current_A: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Give an unsigned per-step capacity (or energy) the sign of its step's current.

    Many exports write capacity as a magnitude. If ``values`` is never
    negative, each step's values are multiplied by the sign of the step's net
    current; columns that already carry a sign are returned unchanged.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0 or np.nanmin(values) < 0:
        return values.copy()
    out = values.copy()
    starts = step_starts(step)
    ends = np.append(starts[1:], len(values))
    for a, b in zip(starts, ends):
        if np.sum(current_A[a:b]) < 0:
            out[a:b] = -values[a:b]
    return out


def classify_by_direction(current_A: np.ndarray, step: np.ndarray, *, rest_fraction: float = 1e-3) -> np.ndarray:
    """Step type per row from the mean current of each step (for files without types)."""
    current_A = np.asarray(current_A, dtype=float)
    out = np.empty(len(current_A), dtype="<U9")
    if current_A.size == 0:
        return out
    threshold = max(1e-9, rest_fraction * float(np.nanmax(np.abs(current_A))))
    starts = step_starts(step)
    ends = np.append(starts[1:], len(current_A))
    for a, b in zip(starts, ends):
        mean = float(np.mean(current_A[a:b]))
        out[a:b] = "discharge" if mean > threshold else ("charge" if mean < -threshold else "rest")
    return out
