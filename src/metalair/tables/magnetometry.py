"""The in-memory table of a magnetometry measurement: :class:`MagnetometryData`.

Readers in :mod:`metalair.io.magnetometry` return one; the susceptibility and
Curie–Weiss analysis in :mod:`metalair.analysis.magnetism` takes one.

Conventions
-----------
* SI inside, units in the attribute names: temperature in K, magnetic field
  strength H in A/m, magnetic moment in A m², sample mass in kg, molar mass
  in kg/mol. CGS views (Oe, emu) are properties converted through
  :mod:`metalair.units` (1 Oe = 1000/(4π) A/m, 1 emu = 10⁻³ A m²).
* Rows are kept in file order; rows where temperature, field or moment is
  missing are dropped by the reader (and counted in ``metadata["warnings"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair._validation import keyword_checked
from metalair.errors import DataFormatError, ParameterError
from metalair.tables.base import frozen_column, message_source, metadata_dict, missing_column, require_finite
from metalair.units import UNITS

__all__ = ["MagnetometryData"]

_OE = UNITS["Oe"][1]
_EMU = UNITS["emu"][1]


def _column(name: str, values: Any, n: int | None) -> np.ndarray:
    return frozen_column("MagnetometryData", name, values, n, against="temperature_K")


@keyword_checked
@dataclass(frozen=True, eq=False)
class MagnetometryData:
    """A DC magnetometry record (moment against temperature and field), one row per point.

    Parameters
    ----------
    temperature_K : array of float
        Sample temperature [K], above 0.
    field_A_m : array of float
        Applied field strength H [A/m].
    moment_A_m2 : array of float
        Measured magnetic moment [A m²].
    moment_error_A_m2 : array of float, optional
        Standard error of the moment [A m²], if the file has one.
    time_s : array of float, optional
        Time stamp [s].
    metadata : dict
        ``instrument``, ``file_name``, ``format``, ``sample_mass_kg`` (None if
        the file has none), ``molar_mass_kg_mol`` (None if none), ``material``,
        ``moment_column`` (the file's column used for the moment),
        ``header`` (dict of the header's INFO entries) and ``warnings`` (list).
    extra : dict of str to array
        Other numeric columns of the file, by their original names.

    Raises
    ------
    DataFormatError
        If temperature, field or moment holds NaN or infinite values, or a
        temperature is at or below 0 K.
    """

    temperature_K: np.ndarray
    field_A_m: np.ndarray
    moment_A_m2: np.ndarray
    moment_error_A_m2: np.ndarray | None = None
    time_s: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meta = metadata_dict("MagnetometryData", self.metadata)
        source = message_source("MagnetometryData", meta)
        t = _column("temperature_K", self.temperature_K, None)
        n = t.size
        h = _column("field_A_m", self.field_A_m, n)
        m = _column("moment_A_m2", self.moment_A_m2, n)
        for name, arr in (("temperature_K", t), ("field_A_m", h), ("moment_A_m2", m)):
            require_finite(source, name, arr)
        cold = np.flatnonzero(t <= 0.0)
        if cold.size:
            raise DataFormatError(
                f"{source}: {cold.size} of {n} temperature_K values are at or below 0 K, first {float(t[cold[0]]):.6g} "
                f"K at record {int(cold[0]) + 1} (counted from 1); temperatures are absolute, in kelvin, above 0 - "
                "were they given in °C (add 273.15)?")
        object.__setattr__(self, "temperature_K", t)
        object.__setattr__(self, "field_A_m", h)
        object.__setattr__(self, "moment_A_m2", m)
        for name in ("moment_error_A_m2", "time_s"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _column(name, value, n))
        extra = {str(k): _column(f"extra[{k!r}]", v, n) for k, v in dict(self.extra).items()}
        object.__setattr__(self, "extra", extra)
        object.__setattr__(self, "metadata", meta)

    def __len__(self) -> int:
        return int(self.temperature_K.size)

    @property
    def field_Oe(self) -> np.ndarray:
        """Field strength H in oersted."""
        return self.field_A_m / _OE

    @property
    def moment_emu(self) -> np.ndarray:
        """Moment in emu."""
        return self.moment_A_m2 / _EMU

    @property
    def sample_mass_kg(self) -> float | None:
        """Sample mass from the file header [kg], or None."""
        m = self.metadata.get("sample_mass_kg")
        return None if m is None else float(m)

    def columns(self) -> dict[str, np.ndarray]:
        """The standard columns by display name (with units), then the file's other columns."""
        out = {
            "Temperature [K]": self.temperature_K,
            "Field [Oe]": self.field_Oe,
            "Moment [emu]": self.moment_emu,
        }
        if self.moment_error_A_m2 is not None:
            out["Moment error [emu]"] = self.moment_error_A_m2 / _EMU
        if self.time_s is not None:
            out["Time [s]"] = self.time_s
        out.update(self.extra)
        return out

    def __getitem__(self, key: str) -> np.ndarray:
        cols = self.columns()
        if not isinstance(key, str) or key not in cols:
            raise missing_column(key, cols)
        return cols[key]

    def select(self, mask: np.ndarray) -> MagnetometryData:
        """Rows where the boolean ``mask`` is true, as a new table."""
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(self),):
            raise ParameterError(f"mask has shape {mask.shape}; expected ({len(self)},)")

        def pick(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[mask]

        return MagnetometryData(
            temperature_K=self.temperature_K[mask], field_A_m=self.field_A_m[mask],
            moment_A_m2=self.moment_A_m2[mask], moment_error_A_m2=pick(self.moment_error_A_m2),
            time_s=pick(self.time_s), metadata=self.metadata, extra={k: v[mask] for k, v in self.extra.items()},
        )
