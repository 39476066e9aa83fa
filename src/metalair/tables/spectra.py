"""In-memory tables of one-dimensional spectra: X-ray absorption, Raman and diffraction.

Readers in :mod:`metalair.io.xas`, :mod:`metalair.io.raman` and
:mod:`metalair.io.diffraction` return these; the analyses in
:mod:`metalair.analysis.xas`, :mod:`metalair.analysis.raman` and
:mod:`metalair.analysis.diffraction` take them.

Conventions
-----------
* Units are in the attribute names, in the units every instrument and paper
  of the field uses: photon energy in eV, Raman shift in cm⁻¹, scattering
  angle 2θ in degrees, wavelength in m (SI).
* The abscissa is sorted ascending (by the readers, and at construction, the
  other columns with it: exports often run from high to low); duplicate Raman
  shifts and angles are kept in file order, a repeated XAS energy is refused.
* NaN and infinite values are refused (:class:`~metalair.errors.DataFormatError`).
* Arrays are read-only copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair._validation import keyword_checked
from metalair.errors import DataFormatError, ParameterError
from metalair.tables.base import (
    frozen_column,
    message_source,
    metadata_dict,
    missing_column,
    require_finite,
    sorted_ascending,
)

__all__ = ["XasSpectrum", "RamanSpectrum", "Diffractogram", "CU_KALPHA1_M", "CU_KALPHA2_M"]

#: Cu Kα1 wavelength [m]: 1.5405929 Å (Hölzer et al., Phys. Rev. A 56, 4554 (1997), doi:10.1103/PhysRevA.56.4554).
CU_KALPHA1_M = 1.5405929e-10
#: Cu Kα2 wavelength [m]: 1.544414 Å (same source); a tube without a monochromator adds this line at about half
#: the intensity of Kα1.
CU_KALPHA2_M = 1.544414e-10


def _array(owner: str, name: str, values: Any, n: int | None) -> np.ndarray:
    return frozen_column(owner, name, values, n)


def _finite(owner: str, metadata: dict[str, Any], *columns: tuple[str, np.ndarray]) -> None:
    for name, arr in columns:
        require_finite(message_source(owner, metadata), name, arr)


def _sort_note(metadata: dict[str, Any], what: str) -> None:
    """Record in ``metadata["warnings"]`` that the points were re-ordered (a new list: the caller's stays as it was)."""
    note = f"{what} were not in ascending order; the points were sorted"
    metadata["warnings"] = [*metadata.get("warnings", []), note]


class _Spectrum:
    """Shared behaviour: length, column access by display name."""

    def __len__(self) -> int:
        return int(self._x().size)

    def _x(self) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def columns(self) -> dict[str, np.ndarray]:  # pragma: no cover - overridden
        """Columns by display name."""
        raise NotImplementedError

    def __getitem__(self, key: str) -> np.ndarray:
        cols = self.columns()
        if not isinstance(key, str) or key not in cols:
            raise missing_column(key, cols)
        return cols[key]


@keyword_checked
@dataclass(frozen=True, eq=False)
class XasSpectrum(_Spectrum):
    """An X-ray absorption spectrum µ(E).

    Parameters
    ----------
    energy_eV : array of float
        Photon energy [eV].
    mu : array of float
        Absorption µ(E) (arbitrary units: ln(I0/It) for transmission, If/I0 for fluorescence).
    name : str
        Label (file stem, XDI ``Sample.name`` or Athena group label).
    i0, it : array of float, optional
        Incident and transmitted intensities, where the file has them.
    metadata : dict
        ``file_name``, ``format``, ``element``, ``edge``, ``mu_source`` (how
        µ was obtained), ``header`` (dict) and ``warnings`` (list).
    """

    energy_eV: np.ndarray
    mu: np.ndarray
    name: str = ""
    i0: np.ndarray | None = None
    it: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meta = metadata_dict("XasSpectrum", self.metadata)
        e = _array("XasSpectrum", "energy_eV", self.energy_eV, None)
        n = e.size
        mu = _array("XasSpectrum", "mu", self.mu, n)
        i0, it = (None if v is None else _array("XasSpectrum", k, v, n) for k, v in (("i0", self.i0), ("it", self.it)))
        _finite("XasSpectrum", meta, ("energy_eV", e), ("mu", mu))
        if n and float(np.max(e)) < 200.0:
            raise ParameterError(f"XasSpectrum: energy_eV reaches only {float(np.max(e)):.6g}: are the energies in "
                                 "keV? Give them in eV (x 1000); absorption edges lie above ~200 eV")
        columns = {k: v for k, v in (("mu", mu), ("i0", i0), ("it", it)) if v is not None}
        moved, e, rows = sorted_ascending(e, *columns.values())
        columns = dict(zip(columns, rows))
        if moved:
            _sort_note(meta, "energies")
        repeated = np.flatnonzero(e[1:] == e[:-1])
        if repeated.size:
            first = float(e[repeated[0]])
            times = int(np.count_nonzero(e == first))
            others = np.unique(e[repeated]).size - 1
            more = f" ({others} other energies repeat too)" if others else ""
            raise DataFormatError(
                f"{message_source('XasSpectrum', meta)}: energy {first:.6g} eV occurs {times} times{more}; each "
                "energy must occur once (the derivative and the normalisation divide by energy steps) - average or "
                "drop the repeated points")
        object.__setattr__(self, "energy_eV", e)
        for k in ("mu", "i0", "it"):
            object.__setattr__(self, k, columns.get(k))
        object.__setattr__(self, "metadata", meta)

    def _x(self) -> np.ndarray:
        return self.energy_eV

    def columns(self) -> dict[str, np.ndarray]:
        """Columns by display name."""
        out = {"Energy [eV]": self.energy_eV, "mu": self.mu}
        if self.i0 is not None:
            out["I0"] = self.i0
        if self.it is not None:
            out["It"] = self.it
        return out


@keyword_checked
@dataclass(frozen=True, eq=False)
class RamanSpectrum(_Spectrum):
    """A Raman spectrum: intensity against Raman shift.

    Parameters
    ----------
    shift_cm1 : array of float
        Raman shift [cm⁻¹].
    intensity : array of float
        Counts or arbitrary units.
    name : str
        Label.
    metadata : dict
        ``file_name``, ``format``, ``warnings`` and what else the reader found.
    """

    shift_cm1: np.ndarray
    intensity: np.ndarray
    name: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meta = metadata_dict("RamanSpectrum", self.metadata)
        x = _array("RamanSpectrum", "shift_cm1", self.shift_cm1, None)
        y = _array("RamanSpectrum", "intensity", self.intensity, x.size)
        _finite("RamanSpectrum", meta, ("shift_cm1", x), ("intensity", y))
        moved, x, (y,) = sorted_ascending(x, y)
        if moved:
            _sort_note(meta, "Raman shifts")
        object.__setattr__(self, "shift_cm1", x)
        object.__setattr__(self, "intensity", y)
        object.__setattr__(self, "metadata", meta)

    def _x(self) -> np.ndarray:
        return self.shift_cm1

    def columns(self) -> dict[str, np.ndarray]:
        """Columns by display name."""
        return {"Raman shift [cm-1]": self.shift_cm1, "Intensity": self.intensity}


@keyword_checked
@dataclass(frozen=True, eq=False)
class Diffractogram(_Spectrum):
    """A powder diffraction pattern: intensity against 2θ.

    Parameters
    ----------
    two_theta_deg : array of float
        Scattering angle 2θ [degrees].
    intensity : array of float
        Counts (or counts per second).
    wavelength_m : float
        Wavelength [m] (default Cu Kα1, :data:`CU_KALPHA1_M`).
    name : str
        Label.
    metadata : dict
        ``file_name``, ``format``, ``wavelength_source`` (file or default),
        ``warnings`` and what else the reader found.
    """

    two_theta_deg: np.ndarray
    intensity: np.ndarray
    wavelength_m: float = CU_KALPHA1_M
    name: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meta = metadata_dict("Diffractogram", self.metadata)
        x = _array("Diffractogram", "two_theta_deg", self.two_theta_deg, None)
        y = _array("Diffractogram", "intensity", self.intensity, x.size)
        _finite("Diffractogram", meta, ("two_theta_deg", x), ("intensity", y))
        outside = np.flatnonzero((x <= 0.0) | (x >= 180.0))
        if outside.size:
            raise DataFormatError(
                f"{message_source('Diffractogram', meta)}: {outside.size} of {x.size} two_theta_deg values lie outside "
                f"(0, 180) degrees, first {float(x[outside[0]]):.6g} at record {int(outside[0]) + 1} (counted from "
                "1); 2θ is a scattering angle in degrees, above 0 and below 180 - is the column really 2θ in degrees?")
        moved, x, (y,) = sorted_ascending(x, y)
        if moved:
            _sort_note(meta, "angles")
        object.__setattr__(self, "two_theta_deg", x)
        object.__setattr__(self, "intensity", y)
        w = self.wavelength_m
        if isinstance(w, bool) or not isinstance(w, (int, float, np.floating)) or not (1e-12 < float(w) < 1e-8):
            raise ParameterError(f"Diffractogram.wavelength_m = {w!r} must be a wavelength in m (0.01-100 Å)")
        object.__setattr__(self, "wavelength_m", float(w))
        object.__setattr__(self, "metadata", meta)

    def _x(self) -> np.ndarray:
        return self.two_theta_deg

    def columns(self) -> dict[str, np.ndarray]:
        """Columns by display name."""
        return {"2theta [deg]": self.two_theta_deg, "Intensity": self.intensity}
