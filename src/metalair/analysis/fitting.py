"""Fit parameters of the lumped sodium–air model to measured discharge–charge curves.

>>> from metalair.io import read
>>> from metalair.analysis.fitting import fit_model
>>> data = read("cell.ndax", mass_g=0.0005)                                   # doctest: +SKIP
>>> fit = fit_model(data, "NLRO", ["i0_dec_NaO2", "k_disproportionation"])     # doctest: +SKIP
>>> print(fit.table())                                                         # doctest: +SKIP

The figure of a fit is :func:`metalair.plotting.fitting.plot_fit`; reading a
file, fitting it and writing ``fit.json`` and ``fit.png`` in one call is
:func:`metalair.workflows.fitting.fit_file`.

How the comparison is made
--------------------------
Protocol
    Derived from the data (:func:`protocol_from_data`): every discharge or
    charge half-cycle of the selected cycles becomes one galvanostatic step at
    the half-cycle's mean specific current (charge passed over the time it
    took, so a constant-voltage tail is folded into the mean) that ends at the
    half-cycle's measured capacity, with a voltage limit ``voltage_margin_V``
    beyond the lowest (discharge) or highest (charge) measured voltage as a
    safety stop. Rests between half-cycles become rests of the same duration.
    The half-cycles keep the order the cell ran them in (a cycle that opens
    with a charge is simulated charge first).
    Steps of the same direction within one cycle are merged into one
    half-cycle, as in :func:`metalair.analysis.cycle_metrics.half_cycles`. Cycles
    are numbered so that each starts with the record's first kind of
    half-cycle (``renumber_cycles("auto")``: the numbering ``metalair analyze``
    prints for a record without a cycle column; for a file with its own
    numbering, ``analyze --cycle-start discharge`` (or ``charge``, as the record
    starts) gives these cycles); the selected cycles are simulated one after the other from a
    fresh cell, so fitting ``cycles=[3]`` alone treats cycle 3 as the cell's
    first.
Residual
    Model voltage minus measured voltage, per half-cycle, at the measured
    capacities (at most ``max_points`` of them per half-cycle, spread evenly
    in capacity); the model's V(Q) is interpolated linearly onto them. Where
    the model stops before the measured capacity (it reached its voltage
    limit), the points it did not reach count with the model's end voltage,
    so an early stop costs in proportion to how early it is. A model run that
    fails (solver failure, or parameters the model refuses) gives a residual of
    ``FAILED_RESIDUAL_V`` at every point it did not reach, a large but finite
    value the optimiser can step back from.
Optimiser
    :func:`scipy.optimize.least_squares` (trust-region reflective, bounds,
    ``x_scale="jac"``). Exchange currents and rate constants (names starting
    with ``i0_`` or ``k_``) are fitted as log10 of their value. The Jacobian
    is a forward difference with a step of ``0.01`` decade (log parameters)
    or 0.5 % of the value (others): the model's adaptive time stepping makes
    its output change in steps of about 10 µV, so the optimiser's default
    step of 1e-8 would measure that noise rather than the slope. A fit the
    optimiser calls converged but whose parameters never left their starting
    values, with an RMSE above ``STUCK_RMSE_V`` or a half-cycle the model
    ends before ``STUCK_CAPACITY_SHARE`` of its measured capacity, is
    reported as not converged (the model could not respond to the
    parameters), with the reason in ``FitResult.message``.
Uncertainty
    From a central-difference Jacobian J (in fit space) at the optimum:
    cov = s² (JᵀJ)⁻¹ with s² = RSS/(m − n) (or σ² when ``noise_V`` = σ is
    given), standard errors sqrt(diag cov), 95 % intervals ± t(0.975, m − n)
    standard errors (± 1.96 when σ is given), transformed back to parameter
    units for log parameters (so those intervals are asymmetric), computed
    by :func:`metalair.analysis.least_squares.linearised_uncertainty`, the
    statistics every metalair fit shares. A parameter the residual does not
    change with at all (a zero column of J) gets no interval and a note; the
    others' come from the remaining columns. These are
    the usual linearised estimates: they assume independent errors of equal
    size and a model that describes the data; with a model that does not (a
    different chemistry, say), they describe the fit, not the cell. Even on
    curves the model itself made, the misfit at the true parameters is not
    zero but the model's discretisation error (about 0.7 mV at
    :data:`FIT_SOLVER`), systematic rather than independent: on noise-free
    simulated data the intervals are then narrower than the offset it gives
    the optimum (a relative 5e-4 on ``k_disproportionation`` in a round-trip
    audit) and can miss the true value. Give ``noise_V``, the measurement
    noise, to size them by the data rather than by that error.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from metalair._validation import PROGRESS_STAGE, check_callable
from metalair.analysis.least_squares import AT_BOUND_FRACTION, linearised_uncertainty
from metalair.errors import DataFormatError, MetalairError, ParameterError, ProtocolError
from metalair.tables.cycler import CyclerData
from metalair.units import convert, from_user, to_user

__all__ = [
    "FitResult",
    "FitCurve",
    "HalfCycleTarget",
    "fit_model",
    "protocol_from_data",
    "FAILED_RESIDUAL_V",
    "STUCK_RMSE_V",
    "STUCK_CAPACITY_SHARE",
    "FIT_SOLVER",
    "POOR_FIT_RMSE_V",
    "POOR_FIT_SIGMAS",
]

#: Solver settings of the model runs unless the caller gives others: finer than the
#: simulation default (whose first-order time stepping errs by several mV on steep
#: stretches, the end of a discharge or charge and the start of a step). With these the
#: model's own numerical error stays below 0.5 mV, under the noise of a cycler record, so
#: that it does not bias the fitted values (measured against 100x tighter settings).
FIT_SOLVER: dict[str, Any] = {"dt_max": 60.0, "max_change": 5e-4, "rtol": 1e-4, "atol": 3e-5}
#: A converged fit whose RMSE exceeds this [V] (or this many times the noise σ given) does not describe
#: the data; it is reported as a poor fit with what to check.
POOR_FIT_RMSE_V = 0.05
POOR_FIT_SIGMAS = 5.0
#: Residual [V] given to every point a failed model run did not reach.
FAILED_RESIDUAL_V = 10.0
#: A fit whose parameters never left their starting values is reported as not converged
#: when its RMSE exceeds this [V] ...
STUCK_RMSE_V = 0.1
#: ... or when the model ends a half-cycle before this share of its measured capacity.
STUCK_CAPACITY_SHARE = 0.5
#: What to check when the model cannot describe a record (said once, for a poor fit and a fit that cannot start).
_CHECK_RECORD = ("check the catalyst mass (the command line takes mg), the sign of the current (discharge "
                 "positive), the catalyst named, the environment (the gas the cell ran in: -e), and the parameters "
                 "fitted")
_LOG_STEP = 0.01  # finite-difference step in log10 space [decades]
_LIN_STEP = 0.005  # relative finite-difference step of linear parameters
#: JᵀJ counts as singular above a condition number of 1e12 (singular values of the
#: unit-column-norm Jacobian spread by more than 1e6), as before the move to the core.
_RCOND = 1e-6
_V_WINDOW = (0.01, 5.99)  # voltage limits the protocol accepts, with a margin inside (0, 6) V


# ---------------------------------------------------------------------------
# the protocol derived from the data
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HalfCycleTarget:
    """One measured half-cycle, the protocol step that reproduces it, and its comparison grid.

    Attributes
    ----------
    dataset : int
        Index of the data set (0 for a single record).
    cycle : int
        Cycle number (each cycle starting with the record's first kind of half-cycle).
    kind : str
        ``"discharge"`` or ``"charge"``.
    step_index : int
        Index (from 1) of the protocol step in the flattened protocol.
    current_mA_g : float
        Mean specific current of the half-cycle [mA/g = A/kg].
    capacity_mAh_g : ndarray
        Measured capacity since the half-cycle began at the comparison points [mAh/g].
    voltage_V : ndarray
        Measured voltage at those points [V].
    end_capacity_mAh_g : float
        Capacity at the half-cycle's last record [mAh/g].
    voltage_limit_V : float
        Voltage limit of the protocol step [V].
    """

    dataset: int
    cycle: int
    kind: str
    step_index: int
    current_mA_g: float
    capacity_mAh_g: np.ndarray
    voltage_V: np.ndarray
    end_capacity_mAh_g: float
    voltage_limit_V: float


def _resolve_mass(data: CyclerData, mass_g: float | None, which: str = "") -> float:
    mass = mass_g if mass_g is not None else data.mass_g
    if mass is None:
        name = data.metadata.get("file_name")
        where = f" ({name})" if name else which
        raise ParameterError(
            f"the record{where} has no catalyst mass, and the fit compares capacities per gram: "
            "give mass_g=... in g (on the command line: --mass-mg M)"
        )
    if isinstance(mass, bool) or not isinstance(mass, (int, float, np.floating)) or not (
        math.isfinite(float(mass)) and float(mass) > 0
    ):
        raise ParameterError(f"mass_g = {mass!r} must be a positive number of grams (--mass-mg takes mg)")
    return float(mass)


#: Default largest number of residual evaluations of :func:`fit_model`'s optimiser (``max_nfev``).
MAX_NFEV = 60
#: Correlation between two fitted parameters above which the data are said to fix only a combination of them.
CORRELATED_ABOVE = 0.99
#: Decades an interval of a parameter fitted in log10 may span before it is called not identified.
UNIDENTIFIED_DECADES = 2.0


def _identifiability_notes(specs: Any, ci: Mapping[str, tuple[float, float]], corr: Any,
                           singular: bool, flat: Iterable[str] = ()) -> list[str]:
    """Say which fitted values the data do not fix: a very wide interval, or two strongly correlated values.

    A parameter the model's curves do not change with at all (``flat``: its Jacobian column is
    zero), one fitted in log10 whose 95 % interval spans more than :data:`UNIDENTIFIED_DECADES`
    decades, or one fitted linearly whose interval reaches past its own bounds (a blocking fraction
    below 0), is not identified by these data; a pair with |r| above :data:`CORRELATED_ABOVE` is
    fixed only in combination. The intervals are still reported; these notes say how far to trust them.
    """
    flat = set(flat)
    loose = [f"{s.name} (the curves do not change with it at all)" for s in specs if s.name in flat]
    if singular:
        specs = []
    notes: list[str] = []
    for s in specs:
        if s.name in flat:
            continue
        lo_ci, hi_ci = ci[s.name]
        if not (math.isfinite(lo_ci) and math.isfinite(hi_ci)):
            loose.append(f"{s.name} (no finite interval)")
        elif s.log and lo_ci <= 0:  # the lower end underflowed: hundreds of decades
            loose.append(f"{s.name} (interval reaches 0)")
        elif s.log and math.log10(hi_ci / lo_ci) > UNIDENTIFIED_DECADES:
            loose.append(f"{s.name} (interval spans {math.log10(hi_ci / lo_ci):.2g} decades)")
        elif not s.log and (lo_ci < s.lo or hi_ci > s.hi):
            loose.append(f"{s.name} (interval {lo_ci:.3g} to {hi_ci:.3g} reaches past its bounds {s.lo:g} to "
                         f"{s.hi:g})")
    if loose:
        notes.append("not identified by these data: " + "; ".join(loose) + ". The protocol hardly moves them: "
                     "hold them at their shipped values, or fit data that exercise them (e.g. a full "
                     "discharge-charge rather than capacity-limited cycles)")
    names = [s.name for s in specs]
    pairs = [(names[i], names[j], float(corr[i, j])) for i in range(len(names)) for j in range(i + 1, len(names))
             if corr is not None and math.isfinite(float(corr[i, j])) and abs(float(corr[i, j])) > CORRELATED_ABOVE]
    for a, b, r in pairs:
        notes.append(f"{a} and {b} are strongly correlated (r = {r:+.3f}): the data fix a combination of them "
                     "better than each; hold one, or add data that separate them")
    return notes


def _as_cycles(cycles: int | Iterable[int] | None) -> list[int]:
    if cycles is None:
        return [1]
    if isinstance(cycles, (int, np.integer)) and not isinstance(cycles, bool):
        cycles = [int(cycles)]
    if isinstance(cycles, (str, bytes)) or not hasattr(cycles, "__iter__"):
        raise ParameterError(f"cycles = {cycles!r} must be a cycle number or a list of them, counting from 1, "
                             "e.g. cycles=[1, 2]")
    out: list[int] = []
    for c in cycles:  # type: ignore[union-attr]
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or int(c) < 1:
            raise ParameterError(f"cycles must be whole numbers counting from 1, got {c!r}")
        out.append(int(c))
    if not out:
        raise ParameterError("cycles is empty; give at least one cycle number, e.g. cycles=[1]")
    return sorted(set(out))


def _downsample(q: np.ndarray, n_max: int) -> np.ndarray:
    """Indices of at most ``n_max`` points spread evenly in capacity (first and last kept)."""
    if len(q) <= n_max:
        return np.arange(len(q))
    qm = np.maximum.accumulate(q)
    grid = np.linspace(qm[0], qm[-1], n_max)
    idx = np.unique(np.clip(np.searchsorted(qm, grid), 0, len(q) - 1))
    return np.unique(np.concatenate(([0], idx, [len(q) - 1])))


def protocol_from_data(
    data: CyclerData,
    mass_g: float | None = None,
    cycles: int | Iterable[int] | None = None,
    *,
    voltage_margin_V: float = 0.5,
    max_points: int = 200,
    dataset: int = 0,
) -> tuple[Any, list[HalfCycleTarget], list[str]]:
    """The protocol that reproduces the selected cycles of a record, and the measured curves.

    Parameters
    ----------
    data : CyclerData
        Current positive on discharge.
    mass_g : float, optional
        Catalyst mass [g]; default the record's.
    cycles : int or iterable of int, optional
        Cycles to reproduce (default ``[1]``), numbered so that each cycle
        starts with the record's first kind of half-cycle.
    voltage_margin_V : float
        Distance of each step's voltage limit beyond the measured extreme.
    max_points : int
        Largest number of comparison points per half-cycle.
    dataset : int
        Label stored in the targets.

    Returns
    -------
    protocol : Protocol
        Galvanostatic steps (capacity-limited) and rests.
    targets : list of HalfCycleTarget
        One per half-cycle, in protocol order.
    notes : list of str
        What was skipped and why.

    Raises
    ------
    ParameterError
        No mass, an impossible current (a mass in mg given as g?), or none of
        the cycles is present.
    DataFormatError
        The selected cycles hold no discharge or charge half-cycle.
    """
    from metalair.analysis.cycle_metrics import half_cycles
    from metalair.protocols.steps import I_ABS_MAX, Charge, Discharge, Protocol, Rest

    if not isinstance(data, CyclerData):
        raise ParameterError(f"data must be a metalair.io.CyclerData (from metalair.io.read), "
                             f"got {type(data).__name__}")
    if not (isinstance(max_points, int) and max_points >= 3):
        raise ParameterError(f"max_points = {max_points!r} must be an integer >= 3")
    if not (isinstance(voltage_margin_V, numbers.Real) and voltage_margin_V > 0):
        raise ParameterError(f"voltage_margin_V = {voltage_margin_V!r} must be a positive number of volts")
    mass = _resolve_mass(data, mass_g)
    wanted = _as_cycles(cycles)
    name = data.metadata.get("file_name") or "the record"
    if len(data) == 0:
        raise DataFormatError(f"{name}: the record holds no data rows; nothing to fit")
    renumbered = data.renumber_cycles("auto")
    sel = renumbered.select_cycles(wanted)
    present = set(np.unique(renumbered.cycle).tolist())
    missing = [c for c in wanted if c not in present]
    if missing:  # a fit of fewer cycles than asked for would pass for the one asked for
        raise ParameterError(f"cycle(s) {missing} of {wanted} are not in the data (cycles in the data: "
                             f"{min(present)}..{max(present)}); choose cycles that are there")
    halves = half_cycles(sel, cycle_start="file")  # in the order the cell ran them (a charge-first cycle too)
    if not halves:
        kinds = ", ".join(sorted(set(np.unique(data.step_type).tolist())))
        raise DataFormatError(
            f"{name}: cycle(s) {wanted} hold no discharge or charge half-cycle (step types present: {kinds}); "
            "a fit needs galvanostatic discharge/charge data. Check the file, or choose other cycles"
        )
    t = sel.time_s
    steps: list[Any] = []
    notes: list[str] = []
    present = set(np.unique(renumbered.cycle).tolist())
    skipped = [c for c in range(1, max(wanted)) if c in present and c not in wanted]
    if skipped:
        notes.append(f"cycle(s) {skipped} are not simulated: the model runs the selected cycles one after the "
                     "other from a fresh cell")
    targets: list[HalfCycleTarget] = []
    prev_end_t: float | None = float(t[0])
    for h in halves:
        q_ah = np.asarray(h.capacity_Ah, dtype=float)
        q = convert(q_ah, "Ah", "mAh") / mass  # mAh/g
        v = np.asarray(h.voltage_V, dtype=float)
        ok = np.isfinite(q) & np.isfinite(v)
        q, v, rows, tt = q[ok], v[ok], h.rows[ok], h.time_s[ok]
        label = f"cycle {h.cycle} {h.kind}"
        if len(q) < 2 or not (q[-1] > 0):
            notes.append(f"{label}: skipped ({len(q)} records, {q[-1] if len(q) else 0:.3g} mAh/g passed)")
            continue
        # mean current: charge over time across consecutive records of the half-cycle
        consecutive = np.diff(rows) == 1
        dt = np.diff(tt)[consecutive]
        dq = np.diff(q)[consecutive]
        good = dt > 0
        if good.any() and np.sum(dt[good]) > 0 and np.sum(dq[good]) > 0:
            current = float(np.sum(dq[good]) / to_user(np.sum(dt[good]), "h"))  # mAh/g per h = mA/g
        else:
            current = float(convert(np.mean(np.abs(sel.current_A[rows])), "A", "mA")) / mass
        if not (current > 0 and math.isfinite(current)):
            notes.append(f"{label}: skipped (no current)")
            continue
        if current > I_ABS_MAX:
            raise ParameterError(
                f"{label}: the mean current is {current:.6g} mA/g with mass_g = {mass:g} g, above the "
                f"{I_ABS_MAX:.6g} mA/g any cell can carry; is the mass in g (the command line takes mg)?"
            )
        # the step began one lead time before its first record
        lead = float(from_user(q[0] / current, "h"))
        start_t = float(tt[0]) - lead
        if prev_end_t is not None and start_t - prev_end_t >= 1.0:
            steps.append(Rest(duration_s=start_t - prev_end_t, label=f"rest before {label}"))
        if h.kind == "discharge":
            limit = float(np.clip(np.min(v) - voltage_margin_V, *_V_WINDOW))
            step: Discharge | Charge = Discharge(current_A_per_kg=from_user(current, "mA/g"),
                             capacity_C_per_kg=from_user(float(q[-1]), "mAh/g"), until=limit, label=label)
        else:
            limit = float(np.clip(np.max(v) + voltage_margin_V, *_V_WINDOW))
            step = Charge(current_A_per_kg=from_user(current, "mA/g"),
                          capacity_C_per_kg=from_user(float(q[-1]), "mAh/g"), until=limit, label=label)
        steps.append(step)
        keep = _downsample(q, max_points)
        targets.append(HalfCycleTarget(
            dataset=dataset, cycle=int(h.cycle), kind=h.kind, step_index=len(steps), current_mA_g=current,
            capacity_mAh_g=q[keep].copy(), voltage_V=v[keep].copy(), end_capacity_mAh_g=float(q[-1]),
            voltage_limit_V=limit,
        ))
        prev_end_t = float(tt[-1])
    if not targets:
        raise DataFormatError(
            f"{name}: cycle(s) {wanted} hold no half-cycle with charge passed ({'; '.join(notes)}); nothing to fit"
        )
    return Protocol(steps), targets, notes


def _match_protocol(protocol: Any, targets: list[HalfCycleTarget]) -> tuple[Any, list[HalfCycleTarget]]:
    """Use a protocol the caller gave: its galvanostatic steps, in order, meet the half-cycles."""
    from dataclasses import replace

    from metalair.protocols.parser import as_protocol
    from metalair.protocols.steps import Charge, Discharge, flatten

    proto = as_protocol(protocol)
    galv = [(i, s) for i, (_c, s) in enumerate(flatten(proto.steps), start=1) if isinstance(s, (Discharge, Charge))]
    if len(galv) != len(targets):
        raise ProtocolError(
            f"the protocol has {len(galv)} discharge/charge steps but the data's selected cycles have "
            f"{len(targets)} half-cycles ({', '.join(f'{t.cycle} {t.kind}' for t in targets)}); "
            "give one step per half-cycle, or leave protocol=None to derive it from the data"
        )
    out = []
    for (i, s), tgt in zip(galv, targets):
        kind = "discharge" if isinstance(s, Discharge) else "charge"
        if kind != tgt.kind:
            raise ProtocolError(
                f"protocol step {i} is a {kind}, but the half-cycle it meets in the data is the {tgt.kind} of "
                f"cycle {tgt.cycle}; give the steps in the order of the data"
            )
        out.append(replace(tgt, step_index=i, current_mA_g=float(to_user(s.current, "mA/g")),
                           voltage_limit_V=float(s.until) if s.until is not None else math.nan))
    return proto, out


# ---------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Allowed:
    lo: float
    hi: float
    lo_open: bool
    hi_open: bool
    unit: str


def _allowed_range(base: Any, name: str) -> _Allowed:
    """The range LumpedParameters accepts for ``name``."""
    return _Allowed(*type(base).allowed_range(name))


def _inside(a: _Allowed, lo: float, hi: float) -> tuple[float, float]:
    """Clip [lo, hi] to the allowed range (strictly inside at an open end)."""
    lo_a = a.lo + (max(abs(a.lo), 1e-300) * 1e-9 if a.lo_open else 0.0) if math.isfinite(a.lo) else -math.inf
    hi_a = a.hi - (max(abs(a.hi), 1e-300) * 1e-9 if a.hi_open else 0.0) if math.isfinite(a.hi) else math.inf
    return max(lo, lo_a), min(hi, hi_a)


def _allowed_text(a: _Allowed) -> str:
    """The allowed range as an interval, e.g. ``(0, inf) A/m²`` or ``[0, 1]``."""
    text = f"{'(' if a.lo_open else '['}{a.lo:g}, {a.hi:g}{')' if a.hi_open or not math.isfinite(a.hi) else ']'}"
    return f"allowed {text}" + (f" {a.unit}" if a.unit else "")


@dataclass(frozen=True)
class _Spec:
    name: str
    initial: float
    lo: float
    hi: float
    log: bool
    unit: str

    def to_fit(self, value: float) -> float:
        return math.log10(value) if self.log else value

    def from_fit(self, z: float) -> float:
        return 10.0 ** z if self.log else z


def _specs(base: Any, params: Sequence[str] | str, initial: Mapping[str, float] | None,
           bounds: Mapping[str, tuple[float, float]] | None, log_params: Iterable[str] | None) -> list[_Spec]:
    if isinstance(params, str):
        params = [p.strip() for p in params.split(",") if p.strip()]
    elif not isinstance(params, Iterable):
        raise ParameterError(
            f"params must name LumpedParameters fields, as a list of str or one comma-separated str "
            f"(e.g. ['i0_dec_NaO2', 'k_disproportionation']), got {params!r} ({type(params).__name__})"
        )
    params = list(params)
    if not params:
        raise ParameterError("no parameters to fit: give params, e.g. ['i0_dec_NaO2', 'k_disproportionation']")
    known = {f.name: f for f in fields(base)}
    for p in params:
        if not isinstance(p, str):
            raise ParameterError(f"parameter names must be strings, got {p!r}")
        if p not in known:
            hint = difflib.get_close_matches(p, list(known), n=3, cutoff=0.5)
            raise ParameterError(
                f"LumpedParameters has no field {p!r}"
                + (f"; did you mean {', '.join(map(repr, hint))}?" if hint else "")
                + " (the fields are listed in metalair.models.parameters.SOURCES)"
            )
        value = getattr(base, p)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ParameterError(f"{p!r} is not a number ({type(value).__name__}); only numeric fields can be fitted")
    if len(set(params)) != len(params):
        raise ParameterError(f"params lists a name twice: {params}")
    for label, extra, example in (("initial", initial, "{'i0_dec_NaO2': 1e-3}"),
                                  ("bounds", bounds, "{'i0_dec_NaO2': (1e-5, 1e-1)}")):
        if extra is not None and not isinstance(extra, Mapping):
            raise ParameterError(
                f"{label} must be a dict of parameter name -> value, e.g. {example}, "
                f"got {extra!r} ({type(extra).__name__})"
            )
        for k in (extra or {}):
            if k not in params:
                raise ParameterError(f"{label} names {k!r}, which is not among the fitted params {params}")
    if log_params is None:
        logs = {p for p in params if p.startswith(("i0_", "k_"))}
    else:
        if not isinstance(log_params, (str, Iterable)):
            raise ParameterError(f"log_params must be parameter names (a list of str), got {log_params!r} "
                                 f"({type(log_params).__name__})")
        logs = {log_params} if isinstance(log_params, str) else set(log_params)
        bad = sorted(logs - set(params))
        if bad:
            raise ParameterError(f"log_params names {bad}, which are not among the fitted params {params}")
    start = dict(initial or {})
    try:
        base = base.replace(**start)  # validates the starting values
    except TypeError as exc:  # pragma: no cover - replace() raises ParameterError for bad values
        raise ParameterError(str(exc)) from None
    specs = []
    for p in params:
        x0 = float(getattr(base, p))
        allowed = _allowed_range(base, p)
        is_log = p in logs
        if is_log and not x0 > 0:
            raise ParameterError(
                f"{p} starts at {x0:g}, but it is fitted in log10 space, which needs a positive value: "
                f"give initial={{{p!r}: ...}} > 0, or leave it out of log_params"
            )
        if bounds and p in bounds:
            try:
                lo, hi = (float(b) for b in bounds[p])
            except (TypeError, ValueError):
                raise ParameterError(
                    f"bounds[{p!r}] must be a pair (low, high) of numbers, got {bounds[p]!r}") from None
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ParameterError(f"bounds[{p!r}] = ({lo:g}, {hi:g}): both bounds must be finite numbers; "
                                     f"{_allowed_text(allowed)}")
            if not lo < hi:
                raise ParameterError(f"bounds[{p!r}] = ({lo:g}, {hi:g}): the low bound must be below the high one")
            if is_log and not lo > 0:
                raise ParameterError(
                    f"bounds[{p!r}] = ({lo:g}, {hi:g}): {p} is fitted in log10 space, so both bounds must be "
                    f"positive; give e.g. ({x0 / 100:g}, {x0 * 100:g}), or leave {p} out of log_params"
                )
        elif is_log:
            lo, hi = x0 / 100.0, x0 * 100.0
        else:
            span = 0.5 * abs(x0) if x0 != 0 else 1.0
            lo, hi = x0 - span, x0 + span
        given = (lo, hi)
        lo, hi = _inside(allowed, lo, hi)
        if is_log and not lo > 0:
            raise ParameterError(f"{p} is fitted in log10 space, so its low bound must be positive, got {lo:g}")
        if not lo < hi:
            raise ParameterError(f"bounds[{p!r}] = ({given[0]:g}, {given[1]:g}) lie outside the range "
                                 f"LumpedParameters allows for {p}: {_allowed_text(allowed)}; give bounds inside it")
        if not lo <= x0 <= hi:
            raise ParameterError(f"{p} starts at {x0:g}, outside its bounds ({lo:g}, {hi:g}); move initial or bounds")
        specs.append(_Spec(p, x0, lo, hi, is_log, allowed.unit))
    return specs


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class FitCurve:
    """Measured and fitted voltage of one half-cycle at the best parameters."""

    target: HalfCycleTarget
    model_voltage_V: np.ndarray  # at the measured capacities (end voltage beyond an early stop)
    model_capacity_trace_mAh_g: np.ndarray  # the model's own trace, for plots
    model_voltage_trace_V: np.ndarray
    reached_mAh_g: float  # capacity the model reached in the step
    end_reason: str

    @property
    def residual_V(self) -> np.ndarray:
        """Model minus measured voltage at the comparison points [V]."""
        return self.model_voltage_V - self.target.voltage_V

    @property
    def rmse_V(self) -> float:
        """Root-mean-square of :attr:`residual_V` [V]."""
        r = self.residual_V
        return float(np.sqrt(np.mean(r * r))) if r.size else math.nan

    @property
    def stopped_early(self) -> bool:
        """True when the model ended the step before the measured capacity (it reached its voltage limit)."""
        return self.reached_mAh_g < self.target.end_capacity_mAh_g * (1 - 1e-6) - 1e-9


def _finite_or_none(x: Any) -> Any:
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(float(x)) else None
    return x


@dataclass(frozen=True, eq=False)
class FitResult:
    """Fitted values with uncertainties, the fit's quality, and the curves.

    Attributes
    ----------
    names : tuple of str
        Fitted LumpedParameters fields, in order.
    values, initial : dict
        Best and starting values [SI units of the field].
    std_errors : dict
        Standard errors in the field's units (for log10-fitted parameters the
        linearised value ``ln(10) · value · se(log10)``).
    std_errors_log10 : dict
        Standard errors of log10(value) for the log10-fitted parameters.
    ci95 : dict of (low, high)
        95 % confidence intervals (asymmetric for log10-fitted parameters);
        NaN where they cannot be computed (too few points, a parameter the
        data do not determine).
    correlation : ndarray
        Correlation matrix of the estimates in fit space (log10 for log parameters).
    bounds : dict of (low, high)
    log_params : tuple of str
    rmse_V : float
        Root-mean-square residual over all comparison points [V].
    n_points : int
        Number of comparison points m.
    n_evaluations : int
        Model runs, Jacobians included.
    success : bool
        The optimiser converged (``scipy`` status > 0), the model ran at the
        optimum, and the fit did not stop where it started with a large
        residual (the model unable to respond to the parameters).
    message : str
        The optimiser's message and anything the caller should know.
    parameters : LumpedParameters
        The full parameter set with the fitted values.
    curves : list of FitCurve
    notes : tuple of str
    poor_fit : bool
        Converged, but with an RMSE above :data:`POOR_FIT_RMSE_V` (or
        :data:`POOR_FIT_SIGMAS` times the noise given): the model does not
        describe the data (a wrong mass, current sign or catalyst, or
        physics the model lacks); a note says what to check.
    """

    catalyst: str
    names: tuple[str, ...]
    values: dict[str, float]
    initial: dict[str, float]
    std_errors: dict[str, float]
    std_errors_log10: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    correlation: np.ndarray
    bounds: dict[str, tuple[float, float]]
    log_params: tuple[str, ...]
    units: dict[str, str]
    rmse_V: float
    n_points: int
    n_evaluations: int
    success: bool
    message: str
    parameters: Any
    curves: list[FitCurve] = field(repr=False)
    noise_V: float | None = None
    at_bounds: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    poor_fit: bool = False

    # ------------------------------------------------------------ text
    def table(self) -> str:
        """A readable text table of the result."""
        head = (f"fit of {self.catalyst} to {len(self.curves)} half-cycle(s), {self.n_points} points: "
                f"RMSE {to_user(self.rmse_V, 'mV'):.2f} mV, {self.n_evaluations} model runs, "
                f"{('converged to a POOR FIT' if self.poor_fit else 'converged') if self.success else 'NOT CONVERGED'}"
                + (f"; at a bound: {', '.join(self.at_bounds)}" if self.at_bounds else ""))
        rows = [("parameter", "initial", "fitted", "std error", "95% CI low", "95% CI high", "unit", "fitted as")]
        for n in self.names:
            lo, hi = self.ci95[n]
            rows.append((n, _num(self.initial[n]), _num(self.values[n]), _num(self.std_errors[n]), _num(lo),
                         _num(hi), self.units.get(n, ""), "log10" if n in self.log_params else "linear"))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [head, ""]
        lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                  for r in rows]
        if len(self.names) > 1:
            lines += ["", "correlation (fit space):"]
            w = max(len(n) for n in self.names)
            for n, row in zip(self.names, self.correlation):
                lines.append(n.ljust(w) + "  " + "  ".join(f"{c:+.3f}" if math.isfinite(c) else "   nan" for c in row))
        lines += ["", "half-cycle            points  RMSE [mV]  model reached [mAh/g] of measured"]
        for c in self.curves:
            t = c.target
            tag = f"{'set ' + str(t.dataset) + ' ' if self.n_sets > 1 else ''}cycle {t.cycle} {t.kind}"
            lines.append(f"{tag:<22}{len(t.voltage_V):>6}  {to_user(c.rmse_V, 'mV'):9.2f}  {c.reached_mAh_g:10.5g} of "
                         f"{t.end_capacity_mAh_g:.5g}"
                         + ("  (stopped early: " + c.end_reason + ")" if c.stopped_early else ""))
        lines += ["", f"optimiser: {self.message}"]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    @property
    def n_sets(self) -> int:
        """Number of data sets fitted together."""
        return len({c.target.dataset for c in self.curves})

    # ------------------------------------------------------------ export
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (non-finite numbers become ``None``)."""
        f = _finite_or_none
        return {
            "catalyst": self.catalyst,
            "parameters": list(self.names),
            "values": {k: f(v) for k, v in self.values.items()},
            "initial": {k: f(v) for k, v in self.initial.items()},
            "std_errors": {k: f(v) for k, v in self.std_errors.items()},
            "std_errors_log10": {k: f(v) for k, v in self.std_errors_log10.items()},
            "ci95": {k: [f(lo), f(hi)] for k, (lo, hi) in self.ci95.items()},
            "correlation": [[f(c) for c in row] for row in np.asarray(self.correlation, dtype=float)],
            "bounds": {k: [f(lo), f(hi)] for k, (lo, hi) in self.bounds.items()},
            "log_params": list(self.log_params),
            "units": dict(self.units),
            "rmse_V": f(self.rmse_V),
            "noise_V": f(self.noise_V) if self.noise_V is not None else None,
            "n_points": int(self.n_points),
            "n_evaluations": int(self.n_evaluations),
            "success": bool(self.success),
            "message": self.message,
            "at_bounds": list(self.at_bounds),
            "poor_fit": bool(self.poor_fit),
            "half_cycles": [
                {"dataset": c.target.dataset, "cycle": c.target.cycle, "kind": c.target.kind,
                 "current_mA_g": f(c.target.current_mA_g), "measured_capacity_mAh_g": f(c.target.end_capacity_mAh_g),
                 "model_capacity_mAh_g": f(c.reached_mAh_g), "stopped_early": bool(c.stopped_early),
                 "end_reason": c.end_reason, "points": int(len(c.target.voltage_V)), "rmse_V": f(c.rmse_V)}
                for c in self.curves
            ],
            "notes": list(self.notes),
        }


def _num(x: float) -> str:
    if x is None or math.isnan(x):
        return "nan"
    return f"{x:.4g}"


# ---------------------------------------------------------------------------
# the fit
# ---------------------------------------------------------------------------
class _Problem:
    """Runs the model for a vector in fit space and returns the residuals."""

    def __init__(self, specs, base, catalyst, environment, solver, sets):
        self.specs = specs
        self.base = base
        self.catalyst = catalyst
        self.environment = environment
        self.solver = solver
        self.sets = sets  # list of (protocol, targets)
        self.n_points = sum(len(t.voltage_V) for _p, ts in sets for t in ts)
        self.n_runs = 0
        self._cache: dict[tuple, np.ndarray] = {}

    def parameters(self, z: np.ndarray) -> Any:
        return self.base.replace(**{s.name: s.from_fit(float(v)) for s, v in zip(self.specs, z)})

    def residuals(self, z: np.ndarray) -> np.ndarray:
        key = tuple(np.asarray(z, dtype=float).tolist())
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        r = np.concatenate([c.residual_V for c in self.curves(z)])
        self._cache[key] = r
        return r

    def curves(self, z: np.ndarray) -> list[FitCurve]:
        from metalair.protocols.simulation import Simulation

        out: list[FitCurve] = []
        try:
            params = self.parameters(z)
        except (MetalairError, ValueError, ArithmeticError):
            params = None
        for proto, targets in self.sets:
            sol = None
            if params is not None:
                self.n_runs += 1
                try:
                    sim = Simulation(self.catalyst, proto, parameters=params, environment=self.environment,
                                     solver=self.solver)
                    sol = sim.run()
                except (MetalairError, ValueError, ArithmeticError, np.linalg.LinAlgError):
                    sol = None
            out.extend(_compare(sol, targets))
        return out

    def jacobian(self, z: np.ndarray, central: bool = False) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        f0 = self.residuals(z)
        J = np.empty((f0.size, z.size))
        for j, s in enumerate(self.specs):
            lo, hi = s.to_fit(s.lo), s.to_fit(s.hi)
            if s.log:
                h = _LOG_STEP
            else:
                scale = max(abs(z[j]), abs(s.initial))
                h = _LIN_STEP * scale if scale > 0 else 1e-3 * (hi - lo)
            up_ok, down_ok = z[j] + h <= hi, z[j] - h >= lo
            zp, zm = z.copy(), z.copy()
            if central and up_ok and down_ok:
                zp[j] += h
                zm[j] -= h
                J[:, j] = (self.residuals(zp) - self.residuals(zm)) / (2 * h)
            elif up_ok:
                zp[j] += h
                J[:, j] = (self.residuals(zp) - f0) / h
            else:
                zm[j] -= h
                J[:, j] = (f0 - self.residuals(zm)) / h
        return J


def _compare(sol: Any, targets: list[HalfCycleTarget]) -> list[FitCurve]:
    out = []
    failed_from = math.inf
    if sol is not None and not sol.ok:
        failed = [s.index for s in sol.steps if s.end_reason == "failed"]
        failed_from = failed[0] if failed else (max((s.index for s in sol.steps), default=0) + 1)
    if sol is not None:
        step = np.asarray(sol["Step"])
        cap = np.asarray(sol["Capacity [mAh/g]"], dtype=float)
        volt = np.asarray(sol["Voltage [V]"], dtype=float)
        reasons = {s.index: s.end_reason for s in sol.steps}
    for t in targets:
        if sol is None:
            out.append(FitCurve(t, t.voltage_V + FAILED_RESIDUAL_V, np.zeros(0), np.zeros(0), 0.0, "model failed"))
            continue
        rows = step == t.step_index
        qm, vm = cap[rows], volt[rows]
        good = np.isfinite(qm) & np.isfinite(vm)
        qm, vm = qm[good], vm[good]
        reason = reasons.get(t.step_index, "not run")
        if qm.size == 0:
            out.append(FitCurve(t, t.voltage_V + FAILED_RESIDUAL_V, qm, vm, 0.0, reason))
            continue
        reached = float(qm[-1])
        qm_mono = np.maximum.accumulate(qm)
        v = np.interp(t.capacity_mAh_g, qm_mono, vm)
        beyond = t.capacity_mAh_g > reached * (1 + 1e-6) + 1e-9
        if t.step_index >= failed_from:
            v[beyond] = t.voltage_V[beyond] + FAILED_RESIDUAL_V
            reason = "model failed"
        else:
            v[beyond] = vm[-1]
        out.append(FitCurve(t, v, qm, vm, reached, reason))
    return out


def _stuck(z: np.ndarray, z0: np.ndarray, lo: np.ndarray, hi: np.ndarray, curves: list[FitCurve],
           jacobian: np.ndarray, rmse_V: float, names: list[str]) -> str:
    """Why a fit that "converged" where it started did not converge; empty when it did.

    The optimiser reports convergence when the gradient vanishes, which it also
    does at the start when the model cannot respond to the parameters (it stops
    at once, every step giving the same residual). Such a fit counts as not
    converged when its parameters did not move from the starting values (by
    more than 1e-6 of their bound range) and the residual is large: an RMSE
    above :data:`STUCK_RMSE_V`, or a half-cycle the model ends before
    :data:`STUCK_CAPACITY_SHARE` of its measured capacity.
    """
    if np.any(np.abs(z - z0) > 1e-6 * (hi - lo)):
        return ""
    short = [c for c in curves if c.reached_mAh_g < STUCK_CAPACITY_SHARE * c.target.end_capacity_mAh_g]
    if not (rmse_V > STUCK_RMSE_V or short):
        return ""
    why = ["the parameters did not move from their starting values"]
    if short:
        why.append("the model cannot reach the data (model capacity " + ", ".join(
            f"{c.reached_mAh_g:.4g} of {c.target.end_capacity_mAh_g:.4g} mAh/g in cycle {c.target.cycle} "
            f"{c.target.kind}" for c in short) + ")")
    if jacobian.size and not np.any(jacobian):
        why.append(f"the residual does not change with {', '.join(names)} anywhere near the start")
    why.append(f"RMSE {to_user(rmse_V, 'mV'):.4g} mV")
    if short:
        why.append(_CHECK_RECORD)
    return "; ".join(why)


def fit_model(
    data: CyclerData | Sequence[CyclerData],
    catalyst: Any,
    params: Sequence[str] | str,
    *,
    mass_g: float | Sequence[float | None] | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    initial: Mapping[str, float] | None = None,
    protocol: Any = None,
    cycles: int | Iterable[int] | None = None,
    log_params: Iterable[str] | None = None,
    noise_V: float | None = None,
    parameters: Any = None,
    environment: Any = None,
    solver: Any = None,
    max_points: int = 200,
    voltage_margin_V: float = 0.5,
    max_nfev: int = MAX_NFEV,
    progress: Callable[[str, int, int], None] | None = None,
) -> FitResult:
    """Fit LumpedParameters fields so that the model reproduces measured discharge–charge curves.

    Parameters
    ----------
    data : CyclerData or list of CyclerData
        Measured records (current positive on discharge); several are fitted
        jointly, each with its own derived protocol.
    catalyst : str or Catalyst
        ``"NLRO"``, ``"RuO2"`` or a :class:`~metalair.catalysts.Catalyst`.
    params : list of str, or comma-separated str
        Names of :class:`~metalair.models.parameters.LumpedParameters` fields.
    mass_g : float or list, optional
        Catalyst mass [g] (one per record for a list); default the records'.
    bounds : dict name -> (low, high), optional
        Default initial/100 … initial×100 for log10-fitted parameters, ±50 %
        otherwise; always clipped to the range LumpedParameters accepts.
    initial : dict name -> value, optional
        Starting values (default: those of ``parameters``).
    protocol : protocol, or list of them, optional
        Use this protocol (text, steps or Protocol) instead of deriving one
        from the data; its discharge/charge steps are matched in order to the
        half-cycles of the selected cycles.
    cycles : int or iterable of int, optional
        Cycles to fit (default ``[1]``), numbered so each starts with the
        record's first kind of half-cycle.
    log_params : iterable of str, optional
        Parameters fitted as log10(value); default those whose names start
        with ``i0_`` or ``k_``.
    noise_V : float, optional
        Known standard deviation of the voltage noise [V]; when given it
        replaces the residual estimate s² in the covariance.
    parameters : LumpedParameters, optional
        The set the fit starts from and leaves unchanged outside ``params``
        (default :data:`~metalair.models.parameters.DEFAULT_PARAMETERS`).
    environment : Environment or str, optional
        Default ambient air.
    solver : SolverSettings, optional
        Passed to every simulation; default :data:`FIT_SOLVER`.
    max_points : int
        Comparison points per half-cycle (at most).
    voltage_margin_V : float
        How far beyond the measured extreme voltage each step's voltage limit lies.
    max_nfev : int
        Largest number of optimiser iterations' residual evaluations (passed
        to ``least_squares``; Jacobian runs come on top).
    progress : callable, optional
        ``progress("fit", evaluations, max_nfev)`` after each residual
        evaluation (the count can stop short of ``max_nfev`` on convergence).

    Returns
    -------
    FitResult

    Raises
    ------
    ParameterError
        Unknown or non-numeric parameter names (with suggestions), bad bounds
        or starting values, a missing mass, an unknown catalyst.
    DataFormatError
        A record without a discharge or charge half-cycle in the selected cycles.
    ProtocolError
        A given protocol that does not match the half-cycles.
    """
    from scipy.optimize import least_squares

    from metalair.chemistry import AMBIENT_AIR
    from metalair.models.lumped import LumpedAirElectrode
    from metalair.models.parameters import DEFAULT_PARAMETERS, LumpedParameters

    check_callable(progress, "progress", PROGRESS_STAGE)
    if not isinstance(data, (CyclerData, list, tuple)):
        shown = f"{data!r} ({type(data).__name__})" if isinstance(data, (type(None), int, float, str)) else (
            f"a {type(data).__name__}")
        raise ParameterError(f"data must be a CyclerData (from metalair.io.read) or a list of them, got {shown}")
    base = DEFAULT_PARAMETERS if parameters is None else parameters
    if not isinstance(base, LumpedParameters):
        raise ParameterError(f"parameters must be a LumpedParameters, got {type(base).__name__}")
    if isinstance(environment, str):
        from metalair.chemistry import environment as get_environment

        environment = get_environment(environment)
    env = AMBIENT_AIR if environment is None else environment
    specs = _specs(base, params, initial, bounds, log_params)
    if noise_V is not None and not (isinstance(noise_V, numbers.Real) and math.isfinite(noise_V) and noise_V > 0):
        raise ParameterError(f"noise_V = {noise_V!r} must be a positive number of volts")
    if not (isinstance(max_nfev, int) and max_nfev >= 1):
        raise ParameterError(f"max_nfev = {max_nfev!r} must be a positive integer")
    cat_name = LumpedAirElectrode(catalyst, base, env).catalyst.name  # an unknown catalyst fails here, with hints

    records = [data] if isinstance(data, CyclerData) else list(data)
    if not records:
        raise ParameterError("data is empty: give a CyclerData (metalair.io.read) or a list of them")
    if isinstance(mass_g, (list, tuple)):
        if len(mass_g) != len(records):
            raise ParameterError(f"mass_g has {len(mass_g)} values for {len(records)} records")
        masses = list(mass_g)
    else:
        masses = [mass_g] * len(records)
    if protocol is not None and len(records) > 1:
        if not isinstance(protocol, (list, tuple)) or len(protocol) != len(records):
            raise ProtocolError("with several records give one protocol per record (a list), or none")
        protocols = list(protocol)
    else:
        protocols = [protocol] * len(records)
    sets = []
    notes: list[str] = []
    for k, (rec, m, pr) in enumerate(zip(records, masses, protocols)):
        if not isinstance(rec, CyclerData):
            raise ParameterError(f"data[{k}] is a {type(rec).__name__}, not a CyclerData")
        proto, targets, why = protocol_from_data(rec, m, cycles, voltage_margin_V=voltage_margin_V,
                                                 max_points=max_points, dataset=k)
        if pr is not None:
            proto, targets = _match_protocol(pr, targets)
        prefix = f"record {k}: " if len(records) > 1 else ""
        from metalair.analysis.cycle_metrics import mass_note

        notes.append(prefix + mass_note(rec, m, _resolve_mass(rec, m)))
        notes.extend(prefix + w for w in why)
        sets.append((proto, targets))
    from metalair.solvers.integrate import SolverSettings

    if solver is None:
        solver = SolverSettings(**FIT_SOLVER)
    elif not isinstance(solver, SolverSettings):  # every model run would fail, reported as a bad fit
        raise ParameterError(f"solver = {solver!r} must be a SolverSettings (e.g. SolverSettings(rtol=1e-4)) or None")
    problem = _Problem(specs, base, catalyst, env, solver, sets)
    n = len(specs)
    m = problem.n_points
    if m <= n:
        raise DataFormatError(f"only {m} comparison points for {n} parameters; fit fewer parameters or more data")

    z0 = np.array([s.to_fit(s.initial) for s in specs])
    lo = np.array([s.to_fit(s.lo) for s in specs])
    hi = np.array([s.to_fit(s.hi) for s in specs])
    residuals = problem.residuals
    if progress is not None:  # one tick per model evaluation (Jacobian runs are counted by the residual calls)
        calls = [0]

        def residuals(z: np.ndarray) -> np.ndarray:
            calls[0] += 1
            progress("fit", min(calls[0], max_nfev), max_nfev)
            return problem.residuals(z)

    res = least_squares(
        residuals, z0, jac=lambda z: problem.jacobian(z), bounds=(lo, hi), method="trf",
        x_scale="jac", ftol=1e-6, xtol=1e-6, gtol=1e-8, max_nfev=max_nfev,
    )
    z = np.asarray(res.x, dtype=float)
    curves = problem.curves(z)
    r = np.concatenate([c.residual_V for c in curves])
    rss = float(r @ r)
    rmse = math.sqrt(rss / m)
    failed_at_opt = any(c.end_reason == "model failed" for c in curves)

    # uncertainty from a central-difference Jacobian at the optimum, through the one core
    J = problem.jacobian(z, central=True)
    extra_notes: list[str] = []
    # a parameter the residual does not change with at all (a zero column) carries no information and has no
    # interval; it leaves the others' covariance untouched, so theirs come from the other columns
    flat = [j for j in range(n) if not np.any(J[:, j])]
    live = [j for j in range(n) if j not in flat]
    se_z, corr, q, singular = np.full(n, math.nan), np.full((n, n), math.nan), math.nan, False
    if live:
        if noise_V is not None:  # residuals in units of the known noise: no rescaling, normal quantile
            unc = linearised_uncertainty(J[:, live] / noise_V, r / noise_V, absolute_sigma=True, rcond=_RCOND)
        else:
            unc = linearised_uncertainty(J[:, live], r, rcond=_RCOND)
        se_z[live] = unc.stderr
        corr[np.ix_(live, live)] = unc.correlation
        q, singular = unc.quantile, unc.singular
    if singular:
        extra_notes.append("the data do not determine all parameters separately (JᵀJ is singular); no intervals")

    values, init, ses, ses_log, ci, bnds, units = {}, {}, {}, {}, {}, {}, {}
    at_bounds = []
    for j, s in enumerate(specs):
        v = float(s.from_fit(float(z[j])))
        values[s.name] = v
        init[s.name] = s.initial
        bnds[s.name] = (s.lo, s.hi)
        units[s.name] = s.unit
        if s.log:
            ses_log[s.name] = float(se_z[j])
            ses[s.name] = float(v * math.log(10.0) * se_z[j])
            with np.errstate(over="ignore", invalid="ignore"):
                ci[s.name] = (float(np.power(10.0, z[j] - q * se_z[j])), float(np.power(10.0, z[j] + q * se_z[j])))
        else:
            ses[s.name] = float(se_z[j])
            ci[s.name] = (float(z[j] - q * se_z[j]), float(z[j] + q * se_z[j]))
        width = hi[j] - lo[j]
        if z[j] - lo[j] <= AT_BOUND_FRACTION * width or hi[j] - z[j] <= AT_BOUND_FRACTION * width:
            at_bounds.append(s.name)
    if at_bounds:
        extra_notes.append(f"at a bound: {', '.join(at_bounds)} (the interval there is not meaningful; widen bounds)")
    stuck = _stuck(z, z0, lo, hi, curves, J, rmse, [s.name for s in specs])
    if not stuck:  # a fit that could not start says why in its message; "hold them at their values" would mislead
        extra_notes += _identifiability_notes(specs, ci, corr, singular, flat=[specs[j].name for j in flat])
    for c in curves:
        if c.stopped_early:
            extra_notes.append(
                f"at the optimum the model stops at {c.reached_mAh_g:.4g} of {c.target.end_capacity_mAh_g:.4g} mAh/g "
                f"in cycle {c.target.cycle} {c.target.kind} ({c.end_reason}); those points count with its end voltage"
            )
    if noise_V is not None:
        extra_notes.append(f"noise σ = {to_user(noise_V, 'mV'):.3g} mV given; residual RMSE/σ = {rmse / noise_V:.3g}")
    success = bool(res.status > 0) and not failed_at_opt
    message = str(res.message)
    if failed_at_opt:
        message += "; the model fails at the best point found"
    if success and stuck:
        success = False
        message = f"{stuck} (scipy: {message})"
    poor = rmse > POOR_FIT_RMSE_V or (noise_V is not None and rmse > POOR_FIT_SIGMAS * noise_V)
    if success and poor:
        extra_notes.append(
            f"poor fit: the model does not describe the data (RMSE {to_user(rmse, 'mV'):.4g} mV"
            + (f", {rmse / noise_V:.3g} σ" if noise_V is not None else "")
            + f"); {_CHECK_RECORD}; the intervals of a poor fit mean little")
    for k, rec in enumerate(records):
        quality = [str(w) for w in (rec.metadata.get("warnings") or [])]
        if quality:
            extra_notes.append(("the record's" if len(records) == 1 else f"record {k}'s")
                               + " data-quality warnings: " + "; ".join(quality))
    return FitResult(
        catalyst=cat_name, names=tuple(s.name for s in specs), values=values,
        initial=init, std_errors=ses, std_errors_log10=ses_log, ci95=ci, correlation=np.asarray(corr),
        bounds=bnds, log_params=tuple(s.name for s in specs if s.log), units=units, rmse_V=rmse, n_points=m,
        n_evaluations=problem.n_runs, success=success, message=message, parameters=problem.parameters(z),
        curves=curves, noise_V=noise_V, at_bounds=tuple(at_bounds), notes=tuple(notes + extra_notes),
        poor_fit=bool(success and poor),
    )
