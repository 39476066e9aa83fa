"""An impedance spectrum: frequencies and complex impedance, measured or simulated.

Conventions (written down once, here)
-------------------------------------
* ``Z = Z' + j Z''`` with ``j`` the imaginary unit and the time dependence
  ``exp(+j ω t)``; a capacitive response has **Z'' < 0** and an inductive one
  Z'' > 0. Files that store ``-Z''`` (EC-Lab's ``-Im(Z)/Ohm``, Autolab NOVA's
  ``-Z'' (Ω)``) are converted by the readers.
* Frequencies are ordinary frequencies in Hz (not angular), strictly positive
  and finite; the spectrum is kept sorted from high to low frequency, the
  order in which instruments usually measure.
* ``unit`` names the unit of Z: ``"Ω"`` for a measured cell, ``"Ω·m²"`` for
  an area-specific impedance, ``"Ω·kg"`` for a mass-specific one (as the cell
  model gives for a catalyst-normalised electrode). Column names carry it:
  ``spectrum["Z' [Ω]"]``.

A simulated spectrum is built with :meth:`ImpedanceSpectrum.from_arrays` and is
analysed by exactly the same code as a measured one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from metalair._files import write_csv_rows
from metalair._validation import keyword_checked
from metalair.errors import DataFormatError, ParameterError
from metalair.tables.base import metadata_dict, missing_column
from metalair.units import stored_unit

__all__ = ["ImpedanceSpectrum", "SIGN_CONVENTION", "IMPEDANCE_UNITS", "as_spectrum", "check_spectrum_arrays",
           "frequency_hz", "require_analysable"]

#: The sign convention every spectrum in metalair follows.
SIGN_CONVENTION = "Z = Z' + jZ'' (time dependence exp(+jωt)); capacitive Z'' < 0, inductive Z'' > 0"

#: Units an impedance may carry.
IMPEDANCE_UNITS: tuple[str, ...] = ("Ω", "Ω·m²", "Ω·cm²", "Ω·kg")


def _where(rows: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (", ..." if rows.size > limit else "")


def check_spectrum_arrays(frequency_Hz: Any, impedance: Any, name: str = "spectrum") -> tuple[np.ndarray, np.ndarray]:
    """Check frequencies and impedances for what no spectrum can hold.

    Parameters
    ----------
    frequency_Hz : array-like
        Frequencies, Hz.
    impedance : array-like
        Complex impedances (same length).
    name : str
        Named in the messages (a file name for a measured spectrum).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Float frequencies and complex impedances (copies).

    Raises
    ------
    DataFormatError
        If the arrays differ in length, are empty, not one-dimensional, hold
        NaN or infinite values, or a frequency is zero or negative.
    """
    try:
        f = np.array(frequency_Hz, dtype=np.float64, copy=True)
        z = np.array(impedance, dtype=np.complex128, copy=True)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"{name}: frequencies must be real and impedances complex numbers ({exc})") from None
    if f.ndim != 1 or z.ndim != 1:
        raise DataFormatError(
            f"{name}: frequency and impedance must be one-dimensional, got shapes {f.shape} and {z.shape}"
        )
    if f.size != z.size:
        raise DataFormatError(f"{name}: {f.size} frequencies but {z.size} impedance values; they must pair up")
    if f.size == 0:
        raise DataFormatError(f"{name}: the spectrum holds no points")
    bad = np.flatnonzero(~np.isfinite(f))
    if bad.size:
        raise DataFormatError(
            f"{name}: {bad.size} of {f.size} frequencies are not finite numbers (points {_where(bad)}); "
            "the file is damaged or the frequency column was misread"
        )
    bad = np.flatnonzero(~(np.isfinite(z.real) & np.isfinite(z.imag)))
    if bad.size:
        raise DataFormatError(
            f"{name}: {bad.size} of {z.size} impedance values are not finite numbers (points {_where(bad)}, "
            f"e.g. {z[bad[0]]!r} at {f[bad[0]]:.6g} Hz); the file is damaged or the measurement overloaded there"
        )
    bad = np.flatnonzero(f <= 0)
    if bad.size:
        raise DataFormatError(
            f"{name}: {bad.size} frequencies are zero or negative (e.g. {f[bad[0]]:.6g} Hz at point {bad[0]}; "
            f"points {_where(bad)}); an impedance spectrum needs frequencies > 0 Hz - is the first column really "
            "the frequency?"
        )
    return f, z


def _require_complex(impedance: Any) -> None:
    """Refuse an impedance of real numbers only (Z'' would silently be 0 everywhere).

    Used by the constructor, so :meth:`ImpedanceSpectrum.from_arrays` and a direct
    ``ImpedanceSpectrum(...)`` refuse it alike; text and other kinds are left to
    :func:`check_spectrum_arrays`.
    """
    if np.asarray(impedance).dtype.kind in "biuf":
        raise ParameterError(
            "impedance holds real numbers only: Z'' would be taken as 0 everywhere. Give the complex "
            "impedance (Z' + 1j*Z''), or z_real= and z_imag= (Z'' negative for a capacitance)")


#: The words of the repeated-frequency warning (also what recognises it on a copy of the metadata).
_REPEATED = "frequencies occur more than once"


@keyword_checked
@dataclass(frozen=True, eq=False)
class ImpedanceSpectrum:
    """A checked impedance spectrum, sorted from high to low frequency.

    Parameters
    ----------
    frequency_Hz : numpy.ndarray
        Frequencies, Hz (> 0, finite).
    impedance : numpy.ndarray
        Complex impedance ``Z' + jZ''`` in :attr:`unit` (see
        :data:`SIGN_CONVENTION`).
    unit : str
        One of :data:`IMPEDANCE_UNITS`.
    metadata : dict
        Where the spectrum came from (``file_name``, ``format``,
        ``instrument``, ``notes``, ``warnings`` ...).

    Notes
    -----
    Construction sorts the points by decreasing frequency (a note in
    ``metadata["notes"]`` says so if the input was in another order) and
    rejects NaN, infinite and non-positive values with a
    :class:`~metalair.errors.DataFormatError`, and an impedance of real
    numbers only (no Z'') with a :class:`~metalair.errors.ParameterError`.
    Repeated frequencies are kept and reported in ``metadata["warnings"]``.
    """

    frequency_Hz: np.ndarray
    impedance: np.ndarray
    unit: str = "Ω"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meta = metadata_dict("ImpedanceSpectrum", self.metadata)
        name = str(meta.get("file_name", "spectrum"))
        stored = stored_unit(self.unit, IMPEDANCE_UNITS)  # 'Ohm', 'ohm cm2' are other spellings of the same units
        if stored is None or stored[1] != 1.0:
            raise ParameterError(f"impedance unit {self.unit!r} is not one of {', '.join(IMPEDANCE_UNITS)}")
        object.__setattr__(self, "unit", stored[0])
        _require_complex(self.impedance)
        f, z = check_spectrum_arrays(self.frequency_Hz, self.impedance, name)
        notes = list(meta.get("notes", []))
        found = list(meta.get("warnings", []))
        order = np.argsort(-f, kind="stable")
        if f.size > 1 and not np.all(np.diff(f) <= 0):
            if np.all(np.diff(f) >= 0):
                notes.append("points were stored from low to high frequency; sorted from high to low")
            else:
                notes.append("frequencies were not monotonic in the file; points sorted from high to low frequency")
        f, z = f[order], z[order]
        dup = np.flatnonzero(np.diff(f) == 0) + 1
        if dup.size and not any(_REPEATED in w for w in found):  # said once, not again on every copy
            found.append(f"{dup.size} {_REPEATED} (e.g. {f[dup[0]]:.6g} Hz); both points are kept")
        if z.size >= 3 and np.all(z.imag > 0) and not any("inductive" in w for w in found):
            found.append("every point has a positive imaginary part (inductive at all frequencies): is -Z'' "
                         "stored as Z''? metalair takes Z = Z' + jZ'', with Z'' < 0 where the response is "
                         "capacitive (flip the sign of the imaginary part)")
        meta["notes"] = notes
        meta["warnings"] = found
        meta.setdefault("sign_convention", SIGN_CONVENTION)
        for arr in (f, z):
            arr.setflags(write=False)
        object.__setattr__(self, "frequency_Hz", f)
        object.__setattr__(self, "impedance", z)
        object.__setattr__(self, "metadata", meta)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        frequency_Hz: Any,
        impedance: Any = None,
        *,
        z_real: Any = None,
        z_imag: Any = None,
        unit: str = "Ω",
        metadata: Mapping[str, Any] | None = None,
    ) -> ImpedanceSpectrum:
        """A spectrum from arrays: complex ``impedance``, or ``z_real`` and ``z_imag``.

        ``z_imag`` is Z'' itself (negative for a capacitance), not -Z''.
        """
        if impedance is None:
            if z_real is None or z_imag is None:
                raise ParameterError("give the complex impedance, or both z_real and z_imag")
            re, im = np.asarray(z_real, dtype=float), np.asarray(z_imag, dtype=float)
            if re.shape != im.shape:
                raise ParameterError(f"z_real has shape {re.shape} and z_imag {im.shape}: give one Z' and one Z'' "
                                     "per frequency")
            impedance = re + 1j * im
        elif z_real is not None or z_imag is not None:
            raise ParameterError("give either the complex impedance or z_real and z_imag, not both")
        return cls(np.asarray(frequency_Hz), np.asarray(impedance), unit=unit, metadata=dict(metadata or {}))

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return int(self.frequency_Hz.size)

    @property
    def angular_frequency(self) -> np.ndarray:
        """ω = 2πf, rad/s."""
        return 2.0 * np.pi * self.frequency_Hz

    @property
    def z_real(self) -> np.ndarray:
        """Z', in :attr:`unit`."""
        return self.impedance.real

    @property
    def z_imag(self) -> np.ndarray:
        """Z'' (negative for a capacitive response), in :attr:`unit`."""
        return self.impedance.imag

    @property
    def modulus(self) -> np.ndarray:
        """|Z|, in :attr:`unit`."""
        return np.abs(self.impedance)

    @property
    def phase_deg(self) -> np.ndarray:
        """Phase of Z, degrees (negative for a capacitive response)."""
        return np.degrees(np.angle(self.impedance))

    def _columns(self) -> dict[str, np.ndarray]:
        u = self.unit
        return {
            "Frequency [Hz]": self.frequency_Hz,
            "Angular frequency [rad/s]": self.angular_frequency,
            f"Z' [{u}]": self.z_real,
            f"Z'' [{u}]": self.z_imag,
            f"-Z'' [{u}]": -self.z_imag,
            f"|Z| [{u}]": self.modulus,
            "Phase [deg]": self.phase_deg,
        }

    def keys(self) -> list[str]:
        """Column names, e.g. ``"Frequency [Hz]"``, ``"Z' [Ω]"``."""
        return list(self._columns())

    def __contains__(self, key: object) -> bool:
        return key in self._columns()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __getitem__(self, key: str) -> np.ndarray:
        cols = self._columns()
        if not isinstance(key, str) or key not in cols:
            raise missing_column(key, cols)
        return cols[key]

    # ------------------------------------------------------------------ derived
    def with_metadata(self, **updates: Any) -> ImpedanceSpectrum:
        """A copy with metadata entries replaced or added."""
        meta = dict(self.metadata)
        meta.update(updates)
        return replace(self, metadata=meta)

    def select(self, f_min_Hz: float | None = None, f_max_Hz: float | None = None) -> ImpedanceSpectrum:
        """The points with ``f_min_Hz <= f <= f_max_Hz``."""
        lo = -np.inf if f_min_Hz is None else frequency_hz(f_min_Hz, "f_min_Hz")
        hi = np.inf if f_max_Hz is None else frequency_hz(f_max_Hz, "f_max_Hz")
        keep = (self.frequency_Hz >= lo) & (self.frequency_Hz <= hi)
        if not keep.any():
            raise ParameterError(
                f"no point of the spectrum ({self.frequency_Hz.min():.4g}-{self.frequency_Hz.max():.4g} Hz) lies "
                f"between {lo:g} and {hi:g} Hz"
            )
        return replace(self, frequency_Hz=self.frequency_Hz[keep], impedance=self.impedance[keep])

    def to_csv(self, path: Any) -> Any:
        """Write frequency, Z', Z'', |Z| and phase as CSV (atomically); returns the path."""
        names = ["Frequency [Hz]", f"Z' [{self.unit}]", f"Z'' [{self.unit}]", f"|Z| [{self.unit}]", "Phase [deg]"]
        cols = self._columns()
        rows = zip(*(cols[n] for n in names))
        return write_csv_rows(path, names, rows)

    def __repr__(self) -> str:
        src = self.metadata.get("file_name") or self.metadata.get("source") or "arrays"
        return (
            f"ImpedanceSpectrum({len(self)} points, {self.frequency_Hz.min():.4g}-{self.frequency_Hz.max():.4g} Hz, "
            f"unit {self.unit!r}, from {src})"
        )


def frequency_hz(value: Any, name: str) -> float:
    """A frequency in Hz from a number of Hz or a text with its unit (``"1 kHz"``, ``"10 mHz"``)."""
    from metalair.units import is_bare_number, parse_quantity

    if isinstance(value, str) and not is_bare_number(value):
        try:
            return float(parse_quantity(value, "frequency"))
        except ParameterError as exc:
            raise ParameterError(f"{name}: {exc}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating, str)):
        raise ParameterError(f"{name} = {value!r} must be a frequency: a number of Hz or a text like '1 kHz'")
    return float(value)


def as_spectrum(obj: Any, what: str = "spectrum") -> ImpedanceSpectrum:
    """``obj`` if it is an :class:`ImpedanceSpectrum`, else a message saying how to make one."""
    if isinstance(obj, ImpedanceSpectrum):
        return obj
    raise ParameterError(
        f"{what} must be an ImpedanceSpectrum, got {type(obj).__name__}: read one with metalair.io.read_impedance, "
        "or build one with ImpedanceSpectrum.from_arrays(frequency_Hz, impedance) (complex Z) or "
        "from_arrays(frequency_Hz, z_real=..., z_imag=...)")


def require_analysable(spectrum: ImpedanceSpectrum, points: int, what: str) -> None:
    """Refuse a spectrum an analysis cannot use: fewer than ``points`` distinct frequencies, or no impedance at all.

    Parameters
    ----------
    spectrum : ImpedanceSpectrum
        The spectrum.
    points : int
        Distinct frequencies the analysis needs.
    what : str
        The analysis, named in the message ("Lin-KK", "a DRT", "the circuit fit").

    Raises
    ------
    DataFormatError
        Naming the spectrum, what it holds and what the analysis needs.
    """
    name = str(spectrum.metadata.get("file_name", "spectrum"))
    distinct = int(np.unique(spectrum.frequency_Hz).size)
    if distinct < points:
        repeated = f" ({len(spectrum)} points, the frequencies repeated)" if distinct < len(spectrum) else ""
        raise DataFormatError(f"{name}: {what} needs at least {points} distinct frequencies; the spectrum has "
                              f"{distinct}{repeated}")
    if not np.any(np.abs(spectrum.impedance) > 0):
        raise DataFormatError(f"{name}: every impedance value is zero; the file holds no measurement (a short "
                              "circuit, or the impedance columns were misread)")
