"""Records for differential electrochemical mass spectrometry (DEMS): current and calibrated gas fluxes.

Conventions
-----------
* ``CurrentRecord.current_A`` is **positive on discharge** (as in
  :class:`~metalair.tables.cycler.CyclerData`): oxygen reduction at the air
  electrode of a metal–air cell.
* ``GasFluxRecord.fluxes`` are molar fluxes in mol/s, **positive for gas
  released by the cell** (evolution) and negative for gas taken up
  (consumption), after the mass spectrometer's calibration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair._validation import keyword_checked
from metalair.errors import DataFormatError

__all__ = ["CurrentRecord", "GasFluxRecord"]


def _check_time(t: Any, name: str, what: str) -> np.ndarray:
    arr = np.array(t, dtype=float, copy=True)
    if arr.ndim != 1 or arr.size < 2:
        raise DataFormatError(f"{name}: the {what} record needs at least two time points")
    if not np.all(np.isfinite(arr)):
        raise DataFormatError(f"{name}: the {what} record has non-finite times")
    if np.any(np.diff(arr) <= 0):
        k = int(np.flatnonzero(np.diff(arr) <= 0)[0]) + 1
        raise DataFormatError(f"{name}: time does not increase at record {k + 1} (counted from 1) of the {what} record")
    arr.setflags(write=False)
    return arr


@keyword_checked
@dataclass(frozen=True, eq=False)
class CurrentRecord:
    """Cell current against time (A, positive on discharge)."""

    time_s: np.ndarray
    current_A: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        name = str(self.metadata.get("file_name", "current record"))
        t = _check_time(self.time_s, name, "current")
        i = np.array(self.current_A, dtype=float, copy=True)
        if i.shape != t.shape or not np.all(np.isfinite(i)):
            raise DataFormatError(f"{name}: the current must be finite and as long as the time column")
        i.setflags(write=False)
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "current_A", i)


@keyword_checked
@dataclass(frozen=True, eq=False)
class GasFluxRecord:
    """Calibrated molar gas fluxes against time (mol/s, evolution positive)."""

    time_s: np.ndarray
    fluxes: Mapping[str, np.ndarray]
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        name = str(self.metadata.get("file_name", "gas record"))
        t = _check_time(self.time_s, name, "gas")
        out: dict[str, np.ndarray] = {}
        if not self.fluxes:
            raise DataFormatError(f"{name}: no gas flux columns")
        for gas, values in self.fluxes.items():
            arr = np.array(values, dtype=float, copy=True)
            if arr.ndim != 1:
                raise DataFormatError(f"{name}: the {gas} flux has shape {arr.shape}; give one value per time "
                                      "(a 1-D array), one column per gas")
            if arr.shape != t.shape:
                raise DataFormatError(f"{name}: the {gas} flux has {arr.size} values for {t.size} times")
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                raise DataFormatError(f"{name}: {bad.size} {gas} flux values are not finite "
                    f"(first at record {bad[0] + 1}, counted from 1)")
            arr.setflags(write=False)
            out[str(gas)] = arr
        object.__setattr__(self, "time_s", t)
        object.__setattr__(self, "fluxes", out)

    @property
    def gases(self) -> list[str]:
        """Gas names (e.g. ``["O2", "CO2"]``)."""
        return list(self.fluxes)
