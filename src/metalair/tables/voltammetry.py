"""A cyclic voltammogram (or any potential sweep), measured or simulated.

Conventions
-----------
* **Anodic (oxidation) current is positive** (IUPAC). For a metal–air cell
  whose working electrode is the air electrode, discharge (oxygen reduction)
  is cathodic, so negative here; the readers and
  :func:`metalair.analysis.voltammetry.voltammogram_from_solution` convert.
* ``current_unit`` is ``"A"`` (a measured cell), ``"A/kg"`` (per mass of
  catalyst; 1 A/kg = 1 mA/g, what the cell model gives) or ``"A/m²"``.
* ``cycle`` counts from 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.tables.base import metadata_dict, missing_column, require_finite
from metalair.units import stored_unit

__all__ = ["Voltammogram", "CURRENT_UNITS", "CHARGE_UNITS", "cycles_from_potential"]

#: Units a voltammogram's current may carry.
CURRENT_UNITS: tuple[str, ...] = ("A", "A/kg", "A/m²")
#: The unit of a charge (current × time) for each current unit.
CHARGE_UNITS: dict[str, str] = {"A": "C", "A/kg": "C/kg", "A/m²": "C/m²"}


def cycles_from_potential(potential_V: np.ndarray, min_excursion_V: float = 1e-3) -> np.ndarray:
    """Cycle numbers from the sweep direction.

    A cycle ends when, after two reversals, the sweep passes its start potential again in its first
    direction. A sweep that starts at a vertex turns at its start potential: the next cycle then
    begins right after that turning point (within ``min_excursion_V`` of the start). Reversals smaller than
    ``min_excursion_V`` (noise, a flat start) are ignored; a last "cycle" without a reversal (a sweep
    that ends slightly past its start potential) is joined to the one before.
    """
    e = np.asarray(potential_V, dtype=float)
    n = e.size
    cycle = np.ones(n, dtype=np.int64)
    if n < 3:
        return cycle
    e0 = e[0]
    first_dir = direction = 0
    extreme = e[0]
    extreme_at = 0
    count = 1
    reversals = 0
    for i in range(1, n):
        if direction == 0:
            if abs(e[i] - e0) >= min_excursion_V:
                direction = first_dir = 1 if e[i] > e0 else -1
                extreme, extreme_at = e[i], i
        elif (direction > 0 and e[i] > extreme) or (direction < 0 and e[i] < extreme):
            extreme, extreme_at = e[i], i
        elif abs(e[i] - extreme) >= min_excursion_V:
            direction = -direction
            turned_at, turned = extreme_at, extreme
            extreme, extreme_at = e[i], i
            reversals += 1
            if reversals >= 2 and direction == first_dir and abs(turned - e0) <= min_excursion_V:
                # a sweep started at a vertex has just turned at its start potential: the next cycle begins
                # after the turning point, which ends the previous sweep (as the record it started with began it)
                count += 1
                reversals = 0
                cycle[turned_at + 1:i] = count
        if reversals >= 2 and direction == first_dir and direction != 0:
            crossed = (e[i - 1] <= e0 < e[i]) if first_dir > 0 else (e[i - 1] >= e0 > e[i])
            if crossed:
                count += 1
                reversals = 0
        cycle[i] = count
    if count > 1 and reversals == 0:  # a tail past the start potential without a reversal is not a new cycle
        cycle[cycle == count] = count - 1
    return cycle


#: Largest |potential| a voltammogram may hold [V]; beyond it the values are taken to be in the wrong unit (mV).
POTENTIAL_LIMIT_V = 10.0
#: Smallest span of potential a voltammogram must sweep [V] (the smallest reversal :func:`cycles_from_potential`
#: counts); a record within it is a potentiostatic hold, in which every noise wiggle would count as a "peak".
MIN_SWEEP_V = 1e-3


@dataclass(frozen=True, eq=False)
class Voltammogram:
    """A checked potential sweep record.

    Parameters
    ----------
    potential_V : numpy.ndarray
        Working-electrode (or cell) potential, V.
    current : numpy.ndarray
        Current, anodic positive, in :attr:`current_unit`.
    time_s : numpy.ndarray or None
        Time, s (needed for peak charges).
    cycle : numpy.ndarray or None
        Cycle numbers from 1; derived from the sweep direction when None.
    current_unit : str
        One of :data:`CURRENT_UNITS`.
    metadata : dict
        ``file_name``, ``notes``, ``warnings`` ...; ``None`` is taken as ``{}``.

    Raises
    ------
    DataFormatError
        If potential or current holds NaN or infinite values, the potential
        spans less than :data:`MIN_SWEEP_V` (a hold, not a sweep) or looks like
        mV, or the time is not finite, runs backwards or stands still.
    """

    potential_V: np.ndarray
    current: np.ndarray
    time_s: np.ndarray | None = None
    cycle: np.ndarray | None = None
    current_unit: str = "A"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meta = metadata_dict("Voltammogram", self.metadata)
        name = str(meta.get("file_name", "voltammogram"))
        # another unit of the same kind ('mA', 'uA', 'mA/g', 'mA/cm2') is stored converted to one of CURRENT_UNITS
        stored = stored_unit(self.current_unit, CURRENT_UNITS)
        if stored is None:
            raise ParameterError(f"current unit {self.current_unit!r} is not a current; give one of "
                                 f"{', '.join(CURRENT_UNITS)} or a unit of the same kind (mA, uA, mA/g, mA/cm2)")
        unit, scale = stored
        object.__setattr__(self, "current_unit", unit)
        e = np.array(self.potential_V, dtype=float, copy=True)
        i = np.array(self.current, dtype=float, copy=True) * scale
        if e.ndim != 1 or e.shape != i.shape:
            raise DataFormatError(f"{name}: potential and current must be one-dimensional and of equal length, got "
                                  f"{e.shape} and {i.shape}")
        if e.size < 3:
            raise DataFormatError(f"{name}: a voltammogram needs at least 3 points, got {e.size}")
        for label, arr in (("potential", e), ("current", i)):
            require_finite(name, label, arr)
        t = None
        if self.time_s is not None:
            t = np.array(self.time_s, dtype=float, copy=True)
            if t.shape != e.shape or not np.all(np.isfinite(t)):
                raise DataFormatError(f"{name}: time must be finite and as long as the potential")
            if np.any(np.diff(t) < 0):
                raise DataFormatError(f"{name}: time goes backwards (first at record "
                                      f"{int(np.flatnonzero(np.diff(t) < 0)[0]) + 2}, counted from 1); "
                                      "records are out of order")
            if t[-1] <= t[0]:
                raise DataFormatError(f"{name}: time does not advance ({t[0]:g} s throughout): there is no scan "
                                      "rate and no peak charge; give the time in seconds, or leave it out")
        if float(np.max(np.abs(e))) > POTENTIAL_LIMIT_V:
            raise DataFormatError(
                f"{name}: potentials reach {float(np.max(np.abs(e))):.6g} V, beyond ±{POTENTIAL_LIMIT_V:g} V of any "
                "electrochemical cell: are they in mV? Convert to V (potential_V), or name the unit in the file's "
                "header")
        span = float(np.max(e) - np.min(e))
        if span < MIN_SWEEP_V:
            raise DataFormatError(
                f"{name}: the potential stays at {float(np.mean(e)):.6g} V (it spans {1000 * span:.3g} mV over "
                f"{e.size} points): that is a hold, not a sweep; a voltammogram needs the potential to sweep by at "
                f"least {1000 * MIN_SWEEP_V:g} mV (a chronoamperometry record is not a voltammogram)")
        if self.cycle is None:
            c = cycles_from_potential(e)
        else:
            c = np.asarray(self.cycle)
            if c.shape != e.shape:
                raise DataFormatError(f"{name}: the cycle column has {c.size} values for {e.size} points")
            c = np.rint(c.astype(float)).astype(np.int64)
            if c.min() == 0:
                c = c + 1
        for arr in (e, i, c) + ((t,) if t is not None else ()):
            arr.setflags(write=False)
        object.__setattr__(self, "potential_V", e)
        object.__setattr__(self, "current", i)
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "cycle", c)
        meta.setdefault("sign_convention", "anodic (oxidation) current positive")
        meta.setdefault("notes", [])
        meta.setdefault("warnings", [])
        object.__setattr__(self, "metadata", meta)

    def __len__(self) -> int:
        return int(self.potential_V.size)

    @property
    def cycles(self) -> list[int]:
        """The cycle numbers present."""
        assert self.cycle is not None
        return [int(c) for c in np.unique(self.cycle)]

    def select_cycle(self, cycle: int) -> Voltammogram:
        """The points of one cycle."""
        assert self.cycle is not None
        keep = self.cycle == cycle
        if not keep.any():
            raise ParameterError(f"no cycle {cycle}; cycles present: {', '.join(map(str, self.cycles))}")
        return replace(
            self, potential_V=self.potential_V[keep], current=self.current[keep],
            time_s=None if self.time_s is None else self.time_s[keep], cycle=self.cycle[keep],
        )

    def _columns(self) -> dict[str, np.ndarray]:
        assert self.cycle is not None
        cols: dict[str, np.ndarray] = {}
        if self.time_s is not None:
            cols["Time [s]"] = self.time_s
        cols["Potential [V]"] = self.potential_V
        cols[f"Current [{self.current_unit}]"] = self.current
        cols["Cycle"] = self.cycle
        return cols

    def keys(self) -> list[str]:
        """Column names (``"Potential [V]"``, ``"Current [A]"`` ...)."""
        return list(self._columns())

    def __getitem__(self, key: str) -> np.ndarray:
        cols = self._columns()
        if not isinstance(key, str) or key not in cols:
            raise missing_column(key, cols)
        return cols[key]

    @classmethod
    def from_arrays(cls, potential_V: Any, current: Any, *, time_s: Any = None, cycle: Any = None,
                    current_unit: str = "A", metadata: Mapping[str, Any] | None = None) -> Voltammogram:
        """A voltammogram from arrays (anodic current positive)."""
        return cls(np.asarray(potential_V), np.asarray(current), None if time_s is None else np.asarray(time_s),
                   None if cycle is None else np.asarray(cycle), current_unit, dict(metadata or {}))

    def __repr__(self) -> str:
        src = self.metadata.get("file_name") or self.metadata.get("source") or "arrays"
        return (f"Voltammogram({len(self)} points, {len(self.cycles)} cycles, "
                f"{self.potential_V.min():.4g}-{self.potential_V.max():.4g} V, current in {self.current_unit}, "
                f"from {src})")
