"""One integrator for every control mode: adaptive steps, error control and event location.

Battery-agnostic. A model supplies a compiled one-step function

``step(ctx, y, dt, mode, value, guess, width, slope, out) -> bool``

that advances the state ``y`` by ``dt`` under control ``mode`` with the
controlled quantity equal to ``value`` at the end of the step, writing the
new state and the model's outputs into ``out`` (new state first). ``slope``
is a one-element array the integrator keeps for the step from one step to
the next (the model stores there the slope of its algebraic equation, for a
Newton start at the next step: :func:`~metalair.solvers.roots.bracketed_root`). The
integrator chooses the steps (a first-order local error estimate: the
deviation of each state from the straight-line predictor through the last
step, scaled per state), stops at the end of the segment or where an output
crosses a limit (located with :func:`~metalair.solvers.roots.bracketed_root`),
accumulates the integrals the caller asks for, and stores accepted steps.

Constant current, rest, potentiostatic hold and linear sweep are the same
call with different ``mode``, ``value`` and ``rate`` (the controlled
quantity is ``value + rate * (t - t0)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from metalair._jit import specialize
from metalair._validation import between, keyword_checked, pos, validate_fields
from metalair.errors import ParameterError
from metalair.solvers.roots import root_finder

__all__ = ["SolverSettings", "SegmentOutcome", "integrate", "make_integrator", "run_segment", "STATUS"]

#: Segment end codes of :func:`integrate`.
STATUS = {0: "duration", 1: "event", 2: "failed", 3: "max steps", 4: "stopped", 5: "out of range"}


@keyword_checked
@dataclass(frozen=True)
class SolverSettings:
    """Step-size control and tolerances, the same for every control mode.

    Parameters
    ----------
    max_change : float
        Error scale of the model's algebraic variable per step (for the cell
        model: the electrode potential, in V); in a linear sweep also the
        largest sweep of the controlled voltage per step [V].
    dt_initial : float
        First step of a segment [s].
    dt_min : float
        Smallest step before giving up [s].
    dt_max : float
        Largest step [s] while current flows or the potential is driven (a galvanostatic step
        slower than 100 mA/g scales it up, so that its largest step passes the same charge:
        ``metalair.protocols.simulation.DT_MAX_CURRENT``).
    growth : float
        Largest factor by which a step may grow.
    event_tolerance : float
        Events are located to this absolute tolerance in the limited output.
    max_steps : int
        Steps per segment before giving up (a safety net against a runaway
        solve; a legitimate long step grows its steps and stays far below it).
    rtol, atol : float
        Error scale of the other states (inventories [mol/kg]): a deviation of
        ``rtol*|y| + atol`` counts like ``max_change``.
    """

    max_change: float = 0.005
    dt_initial: float = 1.0
    dt_min: float = 1e-7
    dt_max: float = 120.0
    growth: float = 2.0
    event_tolerance: float = 1e-5
    max_steps: int = 1_000_000
    rtol: float = 1e-3
    atol: float = 3e-4

    def __post_init__(self) -> None:
        validate_fields(self, {
            "max_change": pos(),
            "dt_initial": pos("s"),
            "dt_min": pos("s"),
            "dt_max": pos("s"),
            "growth": between(1.0, 100.0, lo_open=True),
            "event_tolerance": pos(),
            "rtol": pos(),
            "atol": pos(),
        })
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) or self.max_steps < 1:
            raise ParameterError(f"SolverSettings.max_steps = {self.max_steps!r} must be an integer >= 1")
        if self.dt_min > self.dt_max:
            raise ParameterError(f"SolverSettings.dt_min = {self.dt_min:g} s exceeds dt_max = {self.dt_max:g} s; "
                                 "dt_min must not be larger than dt_max")
        if self.dt_initial < self.dt_min:
            raise ParameterError(f"SolverSettings.dt_initial = {self.dt_initial:g} s is below dt_min = "
                                 f"{self.dt_min:g} s")


def step(ctx: Any, y: Any, dt: float, mode: int, value: float, guess: float, width: float,
         slope: Any, out: Any) -> bool:  # pragma: no cover - placeholder bound by make_integrator
    """The model's one-step function; bound to a real one by :func:`make_integrator`."""
    raise NotImplementedError


def event_root(*args: Any) -> Any:  # pragma: no cover - placeholder bound by make_integrator
    """The root finder over :func:`_event_gap`; bound by :func:`make_integrator`."""
    raise NotImplementedError


def make_integrator(step_function: Any, name: str) -> Any:
    """The compiled :func:`integrate` driving ``step_function``; ``name`` unique per model."""
    gap = specialize(_event_gap, f"{name}_event_gap", step=step_function)
    return specialize(integrate, f"{name}_integrate", step=step_function,
                      event_root=root_finder(gap, f"{name}_event_root"))


def _event_gap(dt, args):
    """How far past the limit the event output is after a step of ``dt`` (>= 0: reached)."""
    ctx, y, mode, value0, rate, guess, k_alg, slope, out, ev_index, ev_sign, ev_level = args
    ok = step(ctx, y, dt, mode, value0 + rate * dt, guess, 0.005, slope, out)
    if not ok:
        return math.nan
    return ev_sign * (ev_level - out[ev_index])


def integrate(ctx, y, t0, duration, mode, value0, rate, k_alg, tol_rel, tol_abs,
              ev_index, ev_sign, ev_level, ev_start, v_index, i_index, v_lo, v_hi,
              dt_start, dt_cap, dt_min, growth, event_tol, max_steps,
              store, buf, sum_index, sum_rate, sums, summary, stop):
    """Integrate one segment with the model's ``step``; ``y`` is updated in place. Returns the steps taken.

    Bound to a model's step function by :func:`make_integrator`.

    ``tol_rel``/``tol_abs`` give each state's error scale (a deviation of ``tol_rel*|y|+tol_abs`` from
    the predictor counts as one unit; the step is rejected above 2.5 units); before the first
    accepted step only state ``k_alg`` (the algebraic variable the step solves for) is checked.
    The segment stops where ``ev_sign * (ev_level - out[ev_index]) >= 0`` (``ev_sign`` 0: never);
    ``ev_start`` is that output at the segment start. ``v_index``/``i_index`` point to the
    voltage and the absolute current in ``out`` for the capacity and energy sums; a voltage outside
    ``[v_lo, v_hi]`` ends the segment (status 5: a physically meaningless state). Accepted steps are
    stored as rows ``(t, dt, capacity, out...)`` in ``buf`` when ``store``; ``sums[j]`` accumulates
    ``out[sum_index[j]]`` (times ``dt`` where ``sum_rate[j]``). ``summary`` receives
    ``[status, t_end, rows, capacity, energy, v_start, v_end, steps, next dt, event output at the end,
    voltage out of the window]`` (``v_end`` is that of the last accepted step).
    ``stop[0]`` set to 1 by
    another thread ends the segment (status 4).
    """
    ny = y.shape[0]
    nout = out_len = buf.shape[1] - 3
    out = np.empty(out_len)
    trial = np.empty(out_len)
    slopes = np.zeros(ny)
    residual_slope = np.zeros(1)
    t = t0
    t_end = t0 + duration
    dt = min(dt_start, duration)
    have_slope = False
    v_prev = math.nan
    ev_prev = ev_start
    v_start = math.nan
    q = 0.0
    energy = 0.0
    nrow = 0
    status = 0
    n = 0
    while n < max_steps:
        if stop[0] != 0:
            status = 4
            break
        remaining = t_end - t
        if remaining <= 1e-12 * max(1.0, abs(t_end)):
            break
        if dt > remaining:
            dt = remaining
        if dt > dt_cap:
            dt = dt_cap
        value = value0 + rate * (t + dt - t0)
        guess = y[k_alg] + (slopes[k_alg] * dt if have_slope else 0.0)
        width = max(2e-4, 0.5 * abs(slopes[k_alg] * dt)) if have_slope else 0.005
        if not step(ctx, y, dt, mode, value, guess, width, residual_slope, trial):
            if dt <= dt_min:
                status = 2
                break
            dt = max(dt * 0.25, dt_min)
            continue
        # local error estimate: deviation from the straight-line predictor, in units of each tolerance
        err = abs(trial[k_alg] - y[k_alg] - (slopes[k_alg] * dt if have_slope else 0.0)) / tol_abs[k_alg]
        if have_slope:
            for i in range(ny):
                if i == k_alg:
                    continue
                e = abs(trial[i] - y[i] - slopes[i] * dt) / (tol_rel[i] * abs(y[i]) + tol_abs[i])
                if e > err:
                    err = e
        if err > 2.5 and dt > dt_min:
            dt = max(dt * max(0.1, 0.8 / err), dt_min)
            continue
        if ev_sign != 0 and ev_sign * (ev_level - trial[ev_index]) >= 0.0:
            fa = ev_sign * (ev_level - ev_prev)
            if fa >= 0.0:
                fa = -event_tol
            fb = ev_sign * (ev_level - trial[ev_index])
            args = (ctx, y, mode, value0 + rate * (t - t0), rate, y[k_alg], k_alg, residual_slope, out,
                    ev_index, ev_sign, ev_level)
            dt, _ok = event_root(args, 0.0, dt, 0.0, 0.0, 0.0, dt_min, event_tol, fa, fb, True, 60)
            if dt < dt_min:
                dt = dt_min
            if not step(ctx, y, dt, mode, value0 + rate * (t + dt - t0), y[k_alg], 0.005, residual_slope, trial):
                status = 2
                break
            status = 1
        # accept
        V = trial[v_index]
        if not (v_lo <= V <= v_hi):
            status = 5
            summary[10] = V  # the voltage the rejected step would have reached; v_end stays the last accepted
            break
        vp = V if math.isnan(v_start) else v_prev
        if math.isnan(v_start):
            v_start = V
        dq = trial[i_index] * dt
        q += dq
        energy += dq * 0.5 * (V + vp)
        for j in range(sum_index.shape[0]):
            sums[j] += trial[sum_index[j]] * (dt if sum_rate[j] else 1.0)
        t += dt
        n += 1
        if store and nrow < buf.shape[0]:
            buf[nrow, 0] = t
            buf[nrow, 1] = dt
            buf[nrow, 2] = q
            for i in range(nout):
                buf[nrow, 3 + i] = trial[i]
            nrow += 1
        for i in range(ny):
            slopes[i] = (trial[i] - y[i]) / dt
            y[i] = trial[i]
        v_prev = V
        ev_prev = trial[ev_index] if ev_sign != 0 else ev_prev
        if status == 1:
            break
        have_slope = True
        factor = growth if err == 0.0 else min(growth, max(0.2, 0.8 / err))
        dt = max(dt * factor, dt_min)
    if n >= max_steps and status == 0:
        status = 3
    summary[0] = status
    summary[1] = t
    summary[2] = nrow
    summary[3] = q
    summary[4] = energy
    summary[5] = v_start
    summary[6] = v_prev
    summary[7] = n
    summary[8] = dt
    summary[9] = ev_prev
    return n


@dataclass
class SegmentOutcome:
    """What one integrated segment did."""

    y: np.ndarray
    status: str             #: "duration", "event", "failed", "max steps", "stopped" or "out of range"
    t_end: float
    rows: np.ndarray | None  #: accepted steps (t, dt, capacity, out...) when stored
    capacity: float         #: ∫|I| dt over the segment [C/kg]
    energy: float           #: ∫|I| V dt [J/kg]
    v_start: float
    v_end: float
    n_steps: int
    sums: np.ndarray
    v_out: float = math.nan  #: with status "out of range": the voltage the rejected step would have reached


#: Steps per call of the compiled integrator; between calls progress is reported and Ctrl-C is seen.
CHUNK_STEPS = 100_000


def run_segment(integrator: Any, ctx: Any, y: np.ndarray, t0: float, duration: float, *, mode: int, value: float,
                rate: float = 0.0, k_alg: int, tol_rel: np.ndarray, tol_abs: np.ndarray, n_out: int,
                event: tuple[int, int, float, float] | None = None, v_index: int, i_index: int,
                settings: SolverSettings, dt_start: float, dt_cap: float | None = None, cap_by_dt_max: bool = True,
                v_window: tuple[float, float] = (-math.inf, math.inf),
                sum_index: np.ndarray, sum_rate: np.ndarray, store: bool, max_rows: int = 4000,
                stop: np.ndarray | None = None, progress: Any = None) -> SegmentOutcome:
    """Run a bound integrator (:func:`make_integrator`) for one segment.

    The segment runs in chunks of :data:`CHUNK_STEPS` steps; between chunks ``progress(t)`` is
    called with the simulated time reached, and a ``KeyboardInterrupt`` ends the segment with
    status ``"stopped"`` (what was integrated is kept). ``event`` is ``(output index, sign, level,
    value at the start)`` or None. ``cap_by_dt_max`` False lets the steps grow past
    ``settings.dt_max`` (rests), bounded by ``dt_cap`` and the error control.
    """
    s = settings
    ev_index, ev_sign, ev_level, ev_start = event if event is not None else (0, 0, 0.0, 0.0)
    if cap_by_dt_max:
        cap = s.dt_max if dt_cap is None else min(s.dt_max, dt_cap)
    else:
        cap = math.inf if dt_cap is None else dt_cap
    stop = np.zeros(1, dtype=np.int64) if stop is None else stop
    yy = np.array(y, dtype=float)
    t, t_end = float(t0), float(t0) + float(duration)
    dt_next = float(min(dt_start, duration))
    rows_parts: list[np.ndarray] = []
    sums = np.zeros(len(sum_index))
    q = energy = 0.0
    v_start = v_end = v_out = math.nan
    n_total = 0
    status = "duration"
    interrupted = False
    while True:
        y_chunk = yy.copy()
        n_rows_buf = max_rows if store else 0
        while True:
            y_try = y_chunk.copy()
            buf = np.empty((n_rows_buf, 3 + n_out))
            chunk_sums = np.zeros(len(sum_index))
            summary = np.zeros(11)
            try:
                integrator(ctx, y_try, t, t_end - t, int(mode), float(value + rate * (t - t0)), float(rate),
                           int(k_alg), tol_rel, tol_abs, int(ev_index), int(ev_sign), float(ev_level),
                           float(ev_start), int(v_index), int(i_index), float(v_window[0]), float(v_window[1]),
                           float(dt_next), float(cap), float(s.dt_min), float(s.growth), float(s.event_tolerance),
                           int(min(CHUNK_STEPS, s.max_steps - n_total)), bool(store), buf, sum_index, sum_rate,
                           chunk_sums, summary, stop)
            except KeyboardInterrupt:  # pragma: no cover - interactive: the chunk finished, then stop
                interrupted = True
            n_rows, n_steps = int(summary[2]), int(summary[7])
            if not store or n_rows >= n_steps:
                break
            n_rows_buf = 2 * n_steps  # the buffer was too small for this chunk: run it again
        yy = y_try
        if n_steps:
            if store:
                rows = buf[:n_rows].copy()
                rows[:, 2] += q
                rows_parts.append(rows)
            if math.isnan(v_start):
                v_start = float(summary[5])
        if n_steps:
            v_end = float(summary[6])
        if int(summary[0]) == 5:
            v_out = float(summary[10])
        q += float(summary[3])
        energy += float(summary[4])
        sums += chunk_sums
        n_total += n_steps
        t = float(summary[1])
        dt_next = float(summary[8])
        ev_start = float(summary[9])
        status = STATUS[int(summary[0])]
        if interrupted:  # pragma: no cover - interactive
            status = "stopped"
            break
        if status != "max steps" or n_total >= s.max_steps:
            break
        if progress is not None:
            progress(t)
    rows_all = np.vstack(rows_parts) if (store and rows_parts) else (np.empty((0, 3 + n_out)) if store else None)
    return SegmentOutcome(yy, status, t, rows_all, q, energy, v_start, v_end, n_total, sums, v_out)
