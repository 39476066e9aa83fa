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
* The abscissa is sorted ascending by the readers; duplicate abscissae are
  kept in file order.
* Arrays are read-only copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair._validation import keyword_checked
from metalair.errors import ParameterError
from metalair.tables.base import frozen_column, missing_column

__all__ = ["XasSpectrum", "RamanSpectrum", "Diffractogram", "CU_KALPHA1_M"]

#: Cu Kα1 wavelength [m]: 1.5405929 Å (Hölzer et al., Phys. Rev. A 56, 4554 (1997), doi:10.1103/PhysRevA.56.4554).
CU_KALPHA1_M = 1.5405929e-10


def _array(owner: str, name: str, values: Any, n: int | None) -> np.ndarray:
    return frozen_column(owner, name, values, n)


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
        e = _array("XasSpectrum", "energy_eV", self.energy_eV, None)
        n = e.size
        if n and float(np.nanmax(e)) < 200.0:
            raise ParameterError(f"XasSpectrum: energy_eV reaches only {float(np.nanmax(e)):.6g}: are the energies in "
                                 "keV? Give them in eV (x 1000); absorption edges lie above ~200 eV")
        object.__setattr__(self, "energy_eV", e)
        object.__setattr__(self, "mu", _array("XasSpectrum", "mu", self.mu, n))
        for k in ("i0", "it"):
            v = getattr(self, k)
            if v is not None:
                object.__setattr__(self, k, _array("XasSpectrum", k, v, n))
        object.__setattr__(self, "metadata", dict(self.metadata))

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
        x = _array("RamanSpectrum", "shift_cm1", self.shift_cm1, None)
        object.__setattr__(self, "shift_cm1", x)
        object.__setattr__(self, "intensity", _array("RamanSpectrum", "intensity", self.intensity, x.size))
        object.__setattr__(self, "metadata", dict(self.metadata))

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
        x = _array("Diffractogram", "two_theta_deg", self.two_theta_deg, None)
        object.__setattr__(self, "two_theta_deg", x)
        object.__setattr__(self, "intensity", _array("Diffractogram", "intensity", self.intensity, x.size))
        w = self.wavelength_m
        if isinstance(w, bool) or not isinstance(w, (int, float, np.floating)) or not (1e-12 < float(w) < 1e-8):
            raise ParameterError(f"Diffractogram.wavelength_m = {w!r} must be a wavelength in m (0.01-100 Å)")
        object.__setattr__(self, "wavelength_m", float(w))
        object.__setattr__(self, "metadata", dict(self.metadata))

    def _x(self) -> np.ndarray:
        return self.two_theta_deg

    def columns(self) -> dict[str, np.ndarray]:
        """Columns by display name."""
        return {"2theta [deg]": self.two_theta_deg, "Intensity": self.intensity}
