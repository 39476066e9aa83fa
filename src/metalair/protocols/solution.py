"""The result of a simulation: time series addressed by named keys, plus step summaries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from metalair._files import atomic_write_bytes, atomic_write_json, write_csv_rows
from metalair.errors import ParameterError
from metalair.tables.base import missing_column

__all__ = ["Solution", "StepSummary", "step_direction", "half_cycle", "combine_steps"]


@dataclass
class StepSummary:
    """What one protocol step did."""

    index: int
    cycle: int
    kind: str                 # "discharge", "charge", "rest", "hold", "sweep"
    description: str
    start_time_s: float
    end_time_s: float
    capacity_mAh_g: float     # ∫|I|dt of the step (a sweep's passes both ways: its throughput, not its net charge)
    energy_Wh_kg: float       # |energy| passed in the step (= mWh/g)
    mean_voltage_V: float     # capacity-weighted
    start_voltage_V: float
    end_voltage_V: float
    end_reason: str           # "voltage limit", "capacity limit", "duration", "current limit", "failed"
    charge_by_reaction_mAh_g: dict = field(default_factory=dict)
    products_end_mol_g: dict = field(default_factory=dict)
    catalyst_d_band_end_eV: float = float("nan")
    host_oxidised_end: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """All fields as a plain dict."""
        return asdict(self)


def step_direction(step: StepSummary) -> int:
    """+1 for a step that discharges, -1 for one that charges, 0 for one that is neither.

    Galvanostatic steps by their kind; a potentiostatic hold by the sign of the net charge it passed
    (a CC-CV charge's CV step charges, as cycler software counts it); rests and sweeps (which pass
    charge both ways) are neither.
    """
    if step.kind == "discharge":
        return 1
    if step.kind == "charge":
        return -1
    if step.kind == "hold":
        net_anodic = sum(step.charge_by_reaction_mAh_g.values())
        return -1 if net_anodic > 0 else (1 if net_anodic < 0 else 0)
    return 0


def half_cycle(steps: list[StepSummary], start: int) -> list[StepSummary]:
    """The half-cycle that starts with ``steps[start]``.

    It is that step and the steps after it in its cycle that pass charge the same way, up to the first
    step that passes it the other way (rests and sweeps between them neither end nor join it). A CC-CV
    charge, or a charge stepped down in current, is one half-cycle.
    """
    first = steps[start]
    way = step_direction(first)
    out = [first]
    for i in range(start + 1, len(steps)):
        s = steps[i]
        if s.cycle != first.cycle:
            break
        d = step_direction(s)
        if d == -way:
            break
        if d == way:
            out.append(s)
    return out


def combine_steps(steps: list[StepSummary]) -> StepSummary:
    """One summary of consecutive steps (a half-cycle).

    Capacities, energies and charge by reaction are summed, the mean voltage is energy over capacity,
    the start is the first step's and the end (voltage, reason, deposits, catalyst state) the last's.
    One step is returned as it is.
    """
    if len(steps) == 1:
        return steps[0]
    if not steps:
        raise ParameterError("combine_steps needs at least one step")
    a, z = steps[0], steps[-1]
    q = sum(s.capacity_mAh_g for s in steps)
    e = sum(s.energy_Wh_kg for s in steps)
    by: dict = {}
    for s in steps:
        for k, v in s.charge_by_reaction_mAh_g.items():
            by[k] = by.get(k, 0.0) + v
    return StepSummary(
        index=a.index, cycle=a.cycle, kind=a.kind, description="; ".join(s.description for s in steps),
        start_time_s=a.start_time_s, end_time_s=z.end_time_s, capacity_mAh_g=q, energy_Wh_kg=e,
        mean_voltage_V=e / q if q > 0 else z.mean_voltage_V,  # Wh/kg over mAh/g (= Ah/kg): V
        start_voltage_V=a.start_voltage_V, end_voltage_V=z.end_voltage_V, end_reason=z.end_reason,
        charge_by_reaction_mAh_g=by, products_end_mol_g=dict(z.products_end_mol_g),
        catalyst_d_band_end_eV=z.catalyst_d_band_end_eV, host_oxidised_end=dict(z.host_oxidised_end))


class Solution:
    """Time series of one simulation, addressed like ``sol["Voltage [V]"]``.

    Attributes
    ----------
    steps : list of StepSummary
        One entry per executed protocol step.
    status : str
        ``"ok"``, ``"failed"`` or ``"interrupted"`` (Ctrl-C: the completed steps are kept).
    message : str
        Why it failed and what to try (empty when ok).
    """

    def __init__(self, data: dict, steps: list, status: str = "ok", message: str = "", meta: dict | None = None):
        self._data = {k: np.asarray(v) for k, v in data.items()}
        self.steps = steps
        self.status = status
        self.message = message
        self.meta = dict(meta or {})
        #: the model state at the end of the run (to continue from it), set by the simulation
        self.final_state: np.ndarray | None = None
        #: things the user should know about the run (e.g. a step that ended at once)
        self.warnings: list[str] = []

    # -------------------------------------------------------------- access
    def keys(self) -> list:
        """Names of every output, e.g. ``"Voltage [V]"``."""
        return list(self._data)

    def __contains__(self, key) -> bool:
        return key in self._data

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self._data[key]
        except (KeyError, TypeError):
            raise missing_column(key, sorted(self._data), what="output") from None

    def __len__(self) -> int:
        return len(next(iter(self._data.values()))) if self._data else 0

    @property
    def ok(self) -> bool:
        """True when the run completed."""
        return self.status == "ok"

    def raise_if_interrupted(self) -> None:
        """Raise :class:`KeyboardInterrupt` if the user stopped this run (Ctrl-C).

        A run stopped by Ctrl-C returns what it had (status ``"interrupted"``); code that uses the
        result as one value among many (a calibration, a sweep) calls this, so that the interrupt stops
        it instead of being stored as a result.
        """
        if self.status == "interrupted":
            raise KeyboardInterrupt(self.message)

    def step_data(self, index: int) -> dict:
        """All series restricted to protocol step ``index`` (numbered from 1, as ``StepSummary.index``).

        Raises
        ------
        ParameterError
            ``index`` is not the number of a step that ran, or that step kept no time series
            (``save_cycles``).
        """
        ran = [s.index for s in self.steps]
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or int(index) not in ran:
            shown = f"1..{max(ran)}" if ran else "none ran"
            raise ParameterError(f"step_data({index!r}): give the number of a step that ran ({shown}; steps are "
                                 "numbered from 1, as in sol.steps[i].index)")
        mask = self._data["Step"] == index
        if not np.any(mask):
            raise ParameterError(f"step {index} kept no time series (its cycle was not in save_cycles); its "
                                 f"summary is sol.steps[{int(index) - 1}]")
        return {k: v[mask] for k, v in self._data.items()}

    # --------------------------------------------------------------- output
    def _keys(self, keys: Any) -> list[str]:
        if keys is None:
            return list(self._data)
        if isinstance(keys, str):  # one name, not its characters
            return [keys]
        if not hasattr(keys, "__iter__"):
            raise ParameterError(f"keys = {keys!r} must be a list of output names, e.g. ['Time [s]', 'Voltage [V]'] "
                                 "(None: all of them)")
        names = list(keys)
        if not names:
            raise ParameterError("keys is empty: name the outputs to write (None: all of them)")
        bad = [k for k in names if not isinstance(k, str)]
        if bad:
            raise ParameterError(f"keys holds {bad[0]!r}; output names are strings such as 'Voltage [V]'")
        return names

    def to_csv(self, path, keys: list | None = None) -> None:
        """Write the time series to CSV (atomically)."""
        keys = self._keys(keys)
        write_csv_rows(path, keys, zip(*(self[k] for k in keys)))

    def to_parquet(self, path, keys: list | None = None) -> None:
        """Write the time series to Parquet (needs the ``parquet`` extra: pyarrow)."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - depends on the install
            raise ImportError("writing Parquet needs pyarrow: pip install 'metalair[parquet]'") from None
        keys = self._keys(keys)
        table = pa.table({k: self[k] for k in keys})
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        atomic_write_bytes(path, sink.getvalue().to_pybytes())

    def steps_table(self) -> list[dict]:
        """The step summaries as plain dicts."""
        return [s.as_dict() for s in self.steps]

    def to_json_summary(self, path) -> None:
        """Write status, message, metadata and step summaries as JSON (atomically)."""
        atomic_write_json(path, {"status": self.status, "message": self.message, "meta": self.meta,
                                 "steps": self.steps_table()})
