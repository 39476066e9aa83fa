"""Fitting equivalent circuits to an impedance spectrum.

The nonlinear fit is :func:`metalair.analysis.least_squares.fit_least_squares`
(the project's one least-squares core: bounds, 95 % intervals, AIC/BIC).
Positive parameters (R, C, L, Q, σ, τ) are fitted as log10 of their value,
the CPE exponent α linearly within (0, 1].

Residuals and weighting
-----------------------
The residual vector stacks the real and imaginary parts of
``(Z_model − Z_data) / w`` with

``"unit"``
    w = 1 (absolute residuals; large-impedance points dominate),
``"modulus"`` (default)
    w = |Z_data| for both parts (Orazem & Tribollet's modulus weighting),
``"proportional"``
    w = |Z'_data| for the real and |Z''_data| for the imaginary part, each
    floored at 10⁻³·|Z_data| so points where a part crosses zero do not
    get an unbounded weight.

The intervals assume the weighted residuals share one variance, which the
fit estimates (reduced χ² = χ²/(2N − p), N frequencies, p fitted parameters).

Fit quality
-----------
With the ``"modulus"`` and ``"proportional"`` weightings the residuals are
relative (dimensionless), so the reduced χ² is the mean square *relative*
misfit of a real or imaginary part, not a χ² against measurement noise: it is
not to be compared with 1. A fit within 1 % of |Z| everywhere has a reduced χ²
near 10⁻⁴; a reduced χ² of 0.4 means a misfit of the order of
√(2·0.4) ≈ 90 % of |Z|. (With ``"unit"`` weighting it is in the impedance
unit squared.) Whatever the weighting, :attr:`CircuitFit.relative_rms` is the
RMS of |Z_fit − Z|/|Z| over the frequencies, and a fit with
``relative_rms`` above :data:`POOR_FIT_RELATIVE_RMS` (10 %) is reported as a
poor fit: :attr:`CircuitFit.success` and ``"success"`` of
:meth:`CircuitFit.as_dict` are false (``"converged"`` keeps the optimiser's
verdict) and :attr:`CircuitFit.quality_note` says what to try. The circuit
then does not describe the spectrum, or the spectrum holds points it cannot
describe: under ``"modulus"`` weighting a point whose |Z| lies far below its
neighbours' (a measurement glitch) gets a weight 1/|Z|² that can outweigh all
the others, and the least-squares optimum is then a model that fits that
point and none of the rest.

A fit whose Jacobian is singular (the data do not separate some parameters:
too few frequencies, or more time constants than the spectrum shows) has no
finite standard error for them: :attr:`CircuitFit.undetermined` names them,
``success`` is false, the table's header says ``UNDETERMINED`` and
:attr:`CircuitFit.quality_note` says what to try. Fewer residuals than
parameters plus one (2N ≤ p) are refused before fitting.

Units
-----
Parameters are in the units that go with the spectrum's impedance unit
(:func:`parameter_unit`): Ω, F, H, F·s^(α−1), Ω·s^(−1/2) for a spectrum in Ω;
for an area-specific one in Ω·m² the resistances, Warburg coefficients and
inductances are per-area products (Ω·m², Ω·m²·s^-1/2, H·m²) and the
capacitances and CPE coefficients are per m² (F/m², F·s^(α-1)/m²). Time
constants stay in s. :meth:`CircuitFit.table` and :meth:`CircuitFit.as_dict`
label them so.

References
----------
Orazem, M. E. & Tribollet, B. Electrochemical Impedance Spectroscopy, 2nd ed.,
ch. 19 (regression) (Wiley, 2017). doi:10.1002/9781119363682

Boukamp, B. A. A nonlinear least squares fit procedure for analysis of
immittance data of electrochemical systems. Solid State Ionics 20, 31–44 (1986).
doi:10.1016/0167-2738(86)90031-7
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair._validation import check_seed
from metalair.analysis._arguments import known_keywords
from metalair.analysis.impedance.circuits import ELEMENT_TYPES, Circuit, parse_circuit
from metalair.analysis.least_squares import LeastSquaresResult, fit_least_squares
from metalair.errors import ParameterError
from metalair.tables.impedance import IMPEDANCE_UNITS, ImpedanceSpectrum, as_spectrum, require_analysable

__all__ = ["fit_circuit", "CircuitFit", "compare_circuits", "initial_guess", "parameter_unit", "WEIGHTINGS",
           "POOR_FIT_RELATIVE_RMS"]

#: Weighting choices of :func:`fit_circuit`.
WEIGHTINGS = ("unit", "modulus", "proportional")

#: A fit whose RMS of |Z_fit − Z|/|Z| over the frequencies exceeds this is reported as a poor fit
#: (not a success): a circuit that describes a spectrum leaves misfits of a few per cent at most.
POOR_FIT_RELATIVE_RMS = 0.10

_POSITIVE = {"R", "C", "L", "Q", "sigma", "tau"}
_KIND_WORDS = {"R": "resistance", "C": "capacitance", "L": "inductance", "Q": "CPE coefficient",
               "sigma": "Warburg coefficient", "tau": "time constant"}

#: Unit of each kind of parameter for an impedance in Ω (from the element table of the circuits module).
_BASE_UNITS: dict[str, str] = {k: u for t in ELEMENT_TYPES.values() for k, u in zip(t.params, t.units)}
#: How a kind follows a normalised impedance: "times" scales like Z (Ω·m², H·m²), "per" like 1/Z (F/m²);
#: the kinds not named (tau, alpha) do not change.
_SCALING: dict[str, str] = {"R": "times", "sigma": "times", "L": "times", "C": "per", "Q": "per"}


def parameter_unit(kind: str, impedance_unit: str = "Ω") -> str:
    """Unit of a circuit parameter for a spectrum whose impedance is in ``impedance_unit``.

    A spectrum normalised by an area (``"Ω·m²"``) or a mass (``"Ω·kg"``)
    carries the normalisation into every parameter: resistances, Warburg
    coefficients and inductances are multiplied by it (Ω·m², Ω·m²·s^-1/2,
    H·m²), capacitances and CPE coefficients divided by it (F/m²,
    F·s^(α-1)/m²); time constants (s) and CPE exponents are unchanged.

    Parameters
    ----------
    kind : str
        The generic parameter (``"R"``, ``"C"``, ``"L"``, ``"Q"``,
        ``"alpha"``, ``"sigma"``, ``"tau"``), as
        :meth:`~metalair.analysis.impedance.circuits.Circuit.param_kind` gives it.
    impedance_unit : str
        One of :data:`~metalair.tables.impedance.IMPEDANCE_UNITS`.

    Returns
    -------
    str
        E.g. ``"F/m²"`` for ``kind="C"`` and ``impedance_unit="Ω·m²"``.

    Raises
    ------
    ParameterError
        An unknown kind or impedance unit.

    Examples
    --------
    >>> parameter_unit("Q", "Ω·m²")
    'F·s^(α-1)/m²'
    >>> parameter_unit("sigma", "Ω·cm²")
    'Ω·cm²·s^-1/2'
    """
    if kind not in _BASE_UNITS:
        raise ParameterError(f"parameter kind {kind!r} is not one of {', '.join(_BASE_UNITS)}")
    if impedance_unit not in IMPEDANCE_UNITS:
        raise ParameterError(f"impedance unit {impedance_unit!r} is not one of {', '.join(IMPEDANCE_UNITS)}")
    base, scaling = _BASE_UNITS[kind], _SCALING.get(kind)
    norm = impedance_unit.removeprefix("Ω").removeprefix("·")  # "", "m²", "cm²", "kg"
    if not norm or scaling is None:
        return base
    if scaling == "per":
        return f"{base}/{norm}"
    head, sep, tail = base.partition("·")  # the normalisation follows the Ω or H: Ω·m²·s^-1/2
    return f"{head}·{norm}{sep}{tail}"


def _weights(z: np.ndarray, weighting: str) -> tuple[np.ndarray, np.ndarray]:
    mod = np.abs(z)
    if weighting == "unit":
        one = np.ones(z.size)
        return one, one
    if weighting == "modulus":
        return mod, mod
    if weighting == "proportional":
        floor = 1e-3 * mod
        return np.maximum(np.abs(z.real), floor), np.maximum(np.abs(z.imag), floor)
    raise ParameterError(f"weighting {weighting!r} is not one of {', '.join(WEIGHTINGS)}")


def _isolated_low_points(spectrum: ImpedanceSpectrum, factor: float = 3.0) -> list[int]:
    """Indices of points whose |Z| is more than ``factor`` times below both neighbours' (in frequency order)."""
    order = np.argsort(spectrum.frequency_Hz)
    mod = spectrum.modulus[order]
    if mod.size < 3:
        return []
    low = (factor * mod[1:-1] < mod[:-2]) & (factor * mod[1:-1] < mod[2:])
    return [int(order[k + 1]) for k in np.flatnonzero(low)]


def initial_guess(circuit: Circuit | str, spectrum: ImpedanceSpectrum) -> dict[str, float]:
    """Starting values from the shape of the spectrum.

    The series resistance is taken from the high-frequency intercept (the
    smallest Z' in the upper half of the log-frequency range, so that a
    glitch at low frequency cannot set it), the other resistances share the
    rest of the low-frequency real part (the median Z' of the three lowest
    frequencies), capacitances and CPEs get time constants spread over the
    measured decades, inductances the high-frequency positive Z'' (or a
    negligible value), Warburg elements the low-frequency slope.
    """
    c = parse_circuit(circuit)
    f = spectrum.frequency_Hz
    z = spectrum.impedance
    w = 2 * np.pi * f
    hf = int(np.argmax(f))
    lowest = np.argsort(f)[:3]
    upper = f >= math.sqrt(float(f.min()) * float(f.max()))
    r_inf = max(float(np.min(z.real[upper])), 1e-6 * float(np.max(np.abs(z))))
    r_span = max(float(np.median(z.real[lowest])) - r_inf, 0.1 * float(np.max(np.abs(z))))
    kinds = [c.param_kind(n) for n in c.param_names]
    n_r = sum(1 for k in kinds if k == "R")
    n_tc = max(1, sum(1 for k in kinds if k in ("C", "Q", "tau")))
    decades = np.logspace(math.log10(1 / w.max()), math.log10(1 / w.min()), n_tc + 2)[1:-1]
    guess: dict[str, float] = {}
    k_r = k_tc = 0
    first_r = True
    for name, kind in zip(c.param_names, kinds):
        if kind == "R":
            if first_r and "." not in name:
                guess[name] = r_inf
                first_r = False
            else:
                guess[name] = r_span / max(1, n_r - 1)
            k_r += 1
        elif kind in ("C", "Q"):
            guess[name] = float(decades[k_tc % decades.size]) / (r_span / max(1, n_r - 1))
            k_tc += 1
        elif kind == "tau":
            guess[name] = float(decades[k_tc % decades.size])
            k_tc += 1
        elif kind == "alpha":
            guess[name] = 0.85
        elif kind == "L":
            positive = float(z.imag[hf]) > 0
            guess[name] = float(z.imag[hf] / w[hf]) if positive else 1e-3 * r_inf / w[hf]
        elif kind == "sigma":
            guess[name] = max(float(np.median(np.abs(z.imag[lowest]) * np.sqrt(w[lowest]))), 1e-6 * r_span)
    for name in c.param_names:
        if name.endswith(".R"):
            guess[name] = r_span / max(1, n_r)
    return guess


@dataclass(frozen=True, eq=False)
class CircuitFit:
    """A circuit fitted to a spectrum.

    Attributes
    ----------
    circuit : Circuit
    spectrum : ImpedanceSpectrum
        The data that were fitted.
    result : LeastSquaresResult
        Values, standard errors, 95 % intervals, χ², AIC, BIC of the core fit
        (its ``success`` is the optimiser's; :attr:`success` also asks for a
        fit that is not poor, see the module notes).
    weighting : str
    fixed : dict
        Parameters held at a given value.
    impedance_fit : numpy.ndarray
        The model at the measured frequencies.
    """

    circuit: Circuit
    spectrum: ImpedanceSpectrum
    result: LeastSquaresResult
    weighting: str
    fixed: dict[str, float] = field(default_factory=dict)
    impedance_fit: np.ndarray = field(default_factory=lambda: np.zeros(0, complex))

    @property
    def parameters(self) -> dict[str, float]:
        """All parameter values (fitted and fixed)."""
        out = {n: float(v) for n, v in zip(self.result.names, self.result.values)}
        out.update(self.fixed)
        return {n: out[n] for n in self.circuit.param_names}

    def __getitem__(self, name: str) -> float:
        return self.parameters[name] if name in self.parameters else self.result[name]

    def interval(self, name: str) -> tuple[float, float]:
        """95 % confidence interval of a fitted parameter."""
        return self.result.interval(name)

    @property
    def aic(self) -> float:
        """Akaike information criterion of the fit (lower is better for the same data)."""
        return self.result.aic

    @property
    def bic(self) -> float:
        """Bayesian information criterion of the fit (lower is better for the same data)."""
        return self.result.bic

    @property
    def relative_rms(self) -> float:
        """RMS over the frequencies of |Z_fit − Z_data|/|Z_data| (0.05 = 5 %), whatever the weighting."""
        return float(np.sqrt(np.mean(self.residuals_real**2 + self.residuals_imag**2)))

    @property
    def poor_fit(self) -> bool:
        """Whether :attr:`relative_rms` exceeds :data:`POOR_FIT_RELATIVE_RMS`."""
        return not self.relative_rms <= POOR_FIT_RELATIVE_RMS  # NaN counts as poor

    @property
    def converged(self) -> bool:
        """Whether the optimiser reported convergence."""
        return bool(self.result.success)

    @property
    def undetermined(self) -> tuple[str, ...]:
        """Fitted parameters the data do not determine: no finite standard error (a singular Jacobian)."""
        return tuple(n for n, se in zip(self.result.names, self.result.stderr) if not math.isfinite(float(se)))

    @property
    def success(self) -> bool:
        """Converged, not a poor fit, and every fitted parameter determined (a finite standard error)."""
        return self.converged and not self.poor_fit and not self.undetermined

    @property
    def quality_note(self) -> str:
        """What a poor fit or undetermined parameters mean and what to try (empty for a good fit)."""
        notes = [self._poor_note()] if self.poor_fit else []
        if self.undetermined:
            n, p = len(self.spectrum), len(self.result.names)
            few = (f"; {n} frequencies are fewer than the {p} fitted parameters, too few in practice even though "
                   f"their {2 * n} numbers (Z', Z'') exceed {p}" if n < p else "")
            notes.append(
                f"undetermined parameters: the data do not determine {', '.join(self.undetermined)} (no finite "
                f"standard error: the fit's Jacobian is singular there, so other values fit as well){few}; their "
                "values and intervals are not results. Measure more frequencies over the range of the circuit's "
                "time constants, hold some parameters (fixed=...), or fit a simpler circuit")
        return "; ".join(notes)

    def _poor_note(self) -> str:
        note = (f"poor fit: the RMS of |Z_fit - Z|/|Z| is {100 * self.relative_rms:.3g} % (above "
                f"{100 * POOR_FIT_RELATIVE_RMS:g} %), so {self.circuit} does not describe this spectrum and its "
                "parameters and intervals mean little; try another circuit, initial values closer to the spectrum "
                "(initial=...), another weighting, or leaving out the frequencies where the spectrum fails the "
                "Lin-KK test (spectrum.select(f_min_Hz=..., f_max_Hz=...))")
        glitches = _isolated_low_points(self.spectrum)
        if glitches and self.weighting != "unit":
            where = ", ".join(f"{self.spectrum.frequency_Hz[k]:.4g} Hz (|Z| = {self.spectrum.modulus[k]:.4g} "
                              f"{self.spectrum.unit})" for k in glitches[:4])
            note += (f"; {len(glitches)} point(s) lie far below their neighbours in |Z| ({where}): under "
                     f"{self.weighting!r} weighting such a point weighs as much as many others together and can "
                     "pull the fit onto itself; check it, or fit with weighting='unit'")
        return note

    @property
    def residuals_real(self) -> np.ndarray:
        """(Z'_data − Z'_fit)/|Z_data| at each frequency."""
        return (self.spectrum.z_real - self.impedance_fit.real) / self.spectrum.modulus

    @property
    def residuals_imag(self) -> np.ndarray:
        """(Z''_data − Z''_fit)/|Z_data| at each frequency."""
        return (self.spectrum.z_imag - self.impedance_fit.imag) / self.spectrum.modulus

    def predict(self, frequency_Hz: Any) -> np.ndarray:
        """The fitted circuit's impedance at other frequencies."""
        return self.circuit.impedance(frequency_Hz, self.parameters)

    def as_spectrum(self, frequency_Hz: Any = None) -> ImpedanceSpectrum:
        """The fitted model as a spectrum (by default at the measured frequencies)."""
        f = self.spectrum.frequency_Hz if frequency_Hz is None else np.asarray(frequency_Hz, dtype=float)
        return ImpedanceSpectrum.from_arrays(
            f, self.predict(f), unit=self.spectrum.unit, metadata={"source": f"fit of {self.circuit}"}
        )

    @property
    def units(self) -> dict[str, str]:
        """Unit of each parameter, following the spectrum's impedance unit (see :func:`parameter_unit`)."""
        return {n: parameter_unit(self.circuit.param_kind(n), self.spectrum.unit) for n in self.circuit.param_names}

    def table(self) -> str:
        """Plain-text table: value, standard error, 95 % interval and unit of each parameter."""
        units = self.units
        width = max([9, *(len(n) for n in self.circuit.param_names)])
        quality = ("POOR FIT, " if self.poor_fit else "") + (
            f"UNDETERMINED: {', '.join(self.undetermined)}, " if self.undetermined else "")
        lines = [f"circuit {self.circuit}  (weighting: {self.weighting}; {quality}RMS |Z_fit - Z|/|Z| = "
                 f"{100 * self.relative_rms:.3g} %)",
                 f"{'parameter':<{width}}  {'value':>12}  {'stderr':>10}  {'95 % interval':>27}  unit"]
        for n in self.circuit.param_names:
            if n in self.fixed:
                lines.append(f"{n:<{width}}  {self.fixed[n]:>12.5g}  {'fixed':>10}  {'':>27}  {units[n]}")
                continue
            lo, hi = self.result.interval(n)
            lines.append(f"{n:<{width}}  {self.result[n]:>12.5g}  {self.result.stderr_of(n):>10.3g}  "
                         f"[{lo:>11.5g}, {hi:>11.5g}]  {units[n]}")
        r = self.result
        relative = " (of relative residuals)" if self.weighting != "unit" else ""
        lines.append(f"chi2 = {r.chi2:.4g}, dof = {r.dof}, reduced chi2 = {r.reduced_chi2:.4g}{relative}, "
                     f"AIC = {r.aic:.2f}, BIC = {r.bic:.2f}")
        if r.at_bounds:
            lines.append(f"at a bound (interval not meaningful): {', '.join(r.at_bounds)}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (parameters with units, intervals, statistics)."""
        d = self.result.as_dict()
        d["converged"] = self.converged
        d["success"] = self.success
        d["poor_fit"] = self.poor_fit
        d["relative_rms_residual"] = self.relative_rms if math.isfinite(self.relative_rms) else None
        d["poor_fit_threshold"] = POOR_FIT_RELATIVE_RMS
        d["undetermined"] = list(self.undetermined)
        d["quality_note"] = self.quality_note
        if self.quality_note:
            d["message"] = f"{d['message']}; {self.quality_note}"
        d["circuit"] = str(self.circuit)
        d["weighting"] = self.weighting
        d["fixed"] = dict(self.fixed)
        d["units"] = self.units
        d["impedance_unit"] = self.spectrum.unit
        return d


#: Further starts (resistance factor, CPE exponent or None, C/Q/tau factor) when the best of the ordinary
#: starts is a poor fit: those move only C, Q and tau, and a wrong local minimum can need R or alpha moved.
POOR_FIT_STARTS = ((0.1, None, 1.0), (10.0, None, 1.0), (1.0, 0.6, 1.0), (1.0, 0.95, 1.0), (0.3, 0.75, 10.0),
                   (3.0, 0.75, 0.1), (0.3, 0.95, 0.1), (3.0, 0.6, 10.0))


def fit_circuit(
    spectrum: ImpedanceSpectrum,
    circuit: Circuit | str,
    *,
    initial: Mapping[str, float] | None = None,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    fixed: Mapping[str, float] | None = None,
    weighting: str = "modulus",
    n_starts: int = 8,
    seed: int = 0,
) -> CircuitFit:
    """Fit an equivalent circuit to a spectrum.

    Parameters
    ----------
    spectrum : ImpedanceSpectrum
        Measured or simulated.
    circuit : Circuit or str
        E.g. ``"R0-p(R1,CPE1)-Wo1"`` (grammar in :mod:`metalair.analysis.impedance.circuits`).
    initial : mapping, optional
        Starting values for some or all parameters; the others come from
        :func:`initial_guess`.
    bounds : mapping name -> (low, high), optional
        Default: (0, ∞) for R, C, L, Q, σ, τ (fitted in log10) and [0, 1]
        for CPE exponents.
    fixed : mapping, optional
        Parameters held at the given value (not fitted).
    weighting : {"unit", "modulus", "proportional"}
        See the module notes.
    n_starts : int
        Starts of the optimiser: the initial values, then the same with the
        capacitances, CPE coefficients and time constants multiplied by 10,
        0.1, 100, 0.01, 3, 0.3, 30 (deterministic); the converged start with
        the lowest χ² is kept. When that fit is poor (see the module notes),
        eight more starts also move the resistances (all but the series
        one) and the CPE exponents (:data:`POOR_FIT_STARTS`).
    seed : int
        Unused (the starts are deterministic); kept for a stable signature.

    Returns
    -------
    CircuitFit

    Raises
    ------
    ParameterError
        Unknown parameter names, a bad weighting, fewer data than parameters,
        or no parameter left to fit.
    """
    spectrum = as_spectrum(spectrum)
    c = parse_circuit(circuit)
    names = c.param_names
    require_analysable(spectrum, 2, "the circuit fit")
    if isinstance(n_starts, bool) or not isinstance(n_starts, int) or n_starts < 1:
        raise ParameterError(f"n_starts = {n_starts!r} must be a whole number >= 1 (starts of the fit)")
    check_seed(seed)
    for given, label in ((initial, "initial"), (bounds, "bounds"), (fixed, "fixed")):
        if given is not None and not isinstance(given, Mapping):
            raise ParameterError(f"{label} must map parameter names to values (e.g. {label}={{'R0': "
                                 f"{'(0, 100)' if label == 'bounds' else '10.0'}}}), got {type(given).__name__} "
                                 f"{given!r}; the circuit's parameters are {', '.join(names)}")
    for given, label in ((initial or {}, "initial"), (fixed or {}, "fixed")):
        for key, value in given.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
                raise ParameterError(f"{label}[{key!r}] = {value!r} must be a finite number in the parameter's SI "
                                     "unit (Ω, F, F·s^(n-1), ...: see the circuit's parameter list)")
    fixed = {str(k): float(v) for k, v in (fixed or {}).items()}
    for group, what in ((initial or {}, "initial"), (bounds or {}, "bounds"), (fixed, "fixed")):
        unknown = [k for k in group if k not in names]
        if unknown:
            raise ParameterError(
                f"{what} names unknown parameter(s) {', '.join(map(repr, unknown))} of circuit {c}; "
                f"its parameters are {', '.join(names)}"
            )
    for key, value in fixed.items():  # a held value the circuit cannot have gives a fit of a different circuit
        kind = c.param_kind(key)
        unit = _BASE_UNITS.get(kind, "")
        if kind == "alpha" and not 0.0 <= value <= 1.0:
            raise ParameterError(f"fixed[{key!r}] = {value:g} is a CPE exponent and must lie in [0, 1]")
        if kind in ("C", "Q") and value <= 0.0:
            raise ParameterError(f"fixed[{key!r}] = {value:g} {unit}: a capacitance or CPE coefficient must be > 0 "
                                 "(0 would block every current)")
        if kind in _POSITIVE and value < 0.0:
            raise ParameterError(f"fixed[{key!r}] = {value:g} {unit} is negative; a {_KIND_WORDS.get(kind, kind)} "
                                 "of a passive element is >= 0")
    for key, b in (bounds or {}).items():
        pair_ok = not isinstance(b, (str, bytes, Mapping)) and np.ndim(b) == 1 and len(b) == 2  # type: ignore[arg-type]
        if not pair_ok or any(v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.number))
                                                 or math.isnan(v)) for v in b):
            raise ParameterError(f"bounds[{key!r}] = {b!r} must be a pair (low, high) in the parameter's unit, each a "
                                 f"number or None for no bound, e.g. bounds={{{key!r}: (0, 100)}}")
        lo_b, hi_b = b
        if lo_b is not None and hi_b is not None and float(lo_b) > float(hi_b):
            raise ParameterError(f"bounds[{key!r}] = ({lo_b:g}, {hi_b:g}): the lower bound exceeds the upper")
    free = [n for n in names if n not in fixed]
    if not free:
        raise ParameterError(f"every parameter of {c} is fixed; nothing to fit")
    if 2 * len(spectrum) <= len(free):
        raise ParameterError(
            f"{len(spectrum)} points (2 x {len(spectrum)} residuals) cannot determine {len(free)} parameters"
        )
    wr, wi = _weights(spectrum.impedance, weighting)
    start = initial_guess(c, spectrum)
    start.update({k: float(v) for k, v in (initial or {}).items()})
    lo_hi: dict[str, tuple[float, float]] = {}
    for n in free:
        kind = c.param_kind(n)
        if kind == "alpha":
            default = (0.0, 1.0)
        elif kind in _POSITIVE and start[n] > 0:
            # 10 decades either side of the start: wide, but a log10 fit cannot run off to 0 or infinity
            default = (start[n] * 1e-10, start[n] * 1e10)
        else:
            default = (0.0, math.inf)
        b = (bounds or {}).get(n, default)
        lo = default[0] if b[0] is None else float(b[0])
        hi = default[1] if b[1] is None else float(b[1])
        lo_hi[n] = (lo, hi)
        s = start[n]
        if not lo <= s <= hi or (kind in _POSITIVE and lo <= 0 and s <= 0):
            s = min(max(s, lo), hi)
            if kind in _POSITIVE and s <= 0:
                s = max(1e-12, 0.5 * hi) if math.isfinite(hi) else 1.0
            start[n] = s
    log_params = [n for n in free if c.param_kind(n) in _POSITIVE and lo_hi[n][0] >= 0 and start[n] > 0]
    f = spectrum.frequency_Hz
    data = spectrum.impedance

    def model(x: np.ndarray) -> np.ndarray:
        values = dict(fixed)
        values.update(zip(free, x))
        return c.impedance(f, values)

    def residuals(x: np.ndarray) -> np.ndarray:
        d = model(x) - data
        r = np.concatenate([d.real / wr, d.imag / wi])
        # an element driven to an extreme (a capacitance at its bound) can overflow; a large finite
        # residual keeps the optimiser away from there instead of stopping it
        return np.nan_to_num(r, nan=1e150, posinf=1e150, neginf=-1e150)

    series_r = next((n for n in names if c.param_kind(n) == "R" and "." not in n), None)

    def x_start(f_tc: float, f_r: float = 1.0, alpha: float | None = None) -> list[float]:
        """The start with C, Q, tau scaled by f_tc, the resistances but the series one by f_r, alpha set."""
        x0 = []
        for n in free:
            kind = c.param_kind(n)
            v = start[n] * (f_tc if kind in ("C", "Q", "tau") else f_r if kind == "R" and n != series_r else 1.0)
            if kind == "alpha" and alpha is not None:
                v = alpha
            lo, hi = lo_hi[n]
            x0.append(min(max(v, lo), hi))
        return x0

    def relative_rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(np.abs(model(x) - data) ** 2 / np.abs(data) ** 2)))

    # deterministic starts: the guess, then the time-constant-like parameters (C, Q, tau) moved by decades
    factors = [1.0, 10.0, 0.1, 100.0, 0.01, 3.0, 0.3, 30.0]
    starts = [x_start(factors[k % len(factors)] * (10.0 ** (k // len(factors)))) for k in range(max(1, n_starts))]
    res = None
    for k, x0 in enumerate(starts):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                trial = fit_least_squares(residuals, x0, names=free, bounds=lo_hi, log_params=log_params)
            except ParameterError:
                if k == len(starts) - 1 and res is None:
                    raise
                continue
        if res is None or (trial.success, -trial.chi2) > (res.success, -res.chi2):
            res = trial
    if res is not None and n_starts > 1 and not relative_rms(res.values) <= POOR_FIT_RELATIVE_RMS:
        # a poor best fit may be a wrong local minimum: also move the resistances and CPE exponents
        for f_r, alpha, f_tc in POOR_FIT_STARTS:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                try:
                    trial = fit_least_squares(residuals, x_start(f_tc, f_r, alpha), names=free, bounds=lo_hi,
                                              log_params=log_params)
                except ParameterError:
                    continue
            if (trial.success, -trial.chi2) > (res.success, -res.chi2):
                res = trial
    assert res is not None
    values = dict(fixed)
    values.update(zip(free, res.values))
    return CircuitFit(circuit=c, spectrum=spectrum, result=res, weighting=weighting, fixed=fixed,
                      impedance_fit=c.impedance(f, values))


def compare_circuits(
    spectrum: ImpedanceSpectrum, circuits: Sequence[Circuit | str], **options: Any
) -> list[CircuitFit]:
    """Fit several circuits to one spectrum; returned sorted by AIC (best first).

    AIC and BIC are comparable between the fits because they share the data
    and the weighting (pass the same ``weighting`` to all). ``circuits`` is a
    list of circuits (one circuit alone, a string or a Circuit, is fitted on
    its own); ``options`` are those of :func:`fit_circuit`, applied to every fit.
    """
    known_keywords("compare_circuits", options, fit_circuit, skip=2)
    spectrum = as_spectrum(spectrum)
    if isinstance(circuits, (str, Circuit)):  # one circuit: not its characters ('R', '0', '-', ...) one by one
        circuits = [circuits]
    if isinstance(circuits, Mapping) or not isinstance(circuits, Iterable):
        raise ParameterError(f"circuits must be a list of circuits (strings such as 'R0-p(R1,C1)', or Circuit "
                             f"objects), got {type(circuits).__name__}")
    circuits = list(circuits)
    if not circuits:
        raise ParameterError("circuits is empty: give the circuits to compare, e.g. ['R0-p(R1,C1)', "
                             "'R0-p(R1,CPE1)']")
    fits = [fit_circuit(spectrum, c, **options) for c in circuits]
    return sorted(fits, key=lambda fit: fit.aic)
