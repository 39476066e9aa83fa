"""Adaptive one-step time integration with event location.

This module knows nothing about batteries. It drives an ``advance(y, t, dt)``
function (one implicit step that returns a result object or raises
``ArithmeticError``), controls the step size from a user-supplied measure of
change per step, and stops exactly where an event function crosses zero
(regula falsi on the step length, Illinois variant).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from metalair._validation import between, pos, validate_fields

__all__ = ["SolverSettings", "SegmentResult", "run_segment"]


@dataclass(frozen=True)
class SolverSettings:
    """Step-size control and tolerances.

    Parameters
    ----------
    max_change : float
        Largest allowed change per step of the monitored quantity (for the
        cell model: the electrode potential, in V).
    dt_initial : float
        First step of a segment [s].
    dt_min : float
        Smallest step before giving up [s].
    dt_max : float
        Largest step [s].
    growth : float
        Largest factor by which a step may grow.
    event_tolerance : float
        Events are located to this absolute tolerance in the event function.
    max_steps : int
        Steps per segment before giving up.
    rtol, atol : float
        Error scale of the other states (inventories [mol/kg], host fractions): a change of
        ``rtol*|y| + atol`` away from the straight-line predictor counts like ``max_change``.
    """

    max_change: float = 0.005
    dt_initial: float = 1.0
    dt_min: float = 1e-7
    dt_max: float = 120.0
    growth: float = 2.0
    event_tolerance: float = 1e-5
    max_steps: int = 200000
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
        from metalair.errors import ParameterError

        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) or self.max_steps < 1:
            raise ParameterError(f"SolverSettings.max_steps = {self.max_steps!r} must be an integer >= 1")
        if self.dt_min > self.dt_max:
            raise ParameterError(f"SolverSettings.dt_min = {self.dt_min:g} s exceeds dt_max = {self.dt_max:g} s; "
                                 "dt_min must not be larger than dt_max")
        if self.dt_initial < self.dt_min:
            raise ParameterError(f"SolverSettings.dt_initial = {self.dt_initial:g} s is below dt_min = "
                                 f"{self.dt_min:g} s")


@dataclass
class SegmentResult:
    y: object
    t: float
    reason: str          # name of the event that ended the segment, "duration", or "failed"
    message: str = ""
    last: object = None  # last accepted step result
    n_steps: int = 0


def run_segment(
    advance: Callable,
    y0,
    t0: float,
    duration: float,
    change: Callable,
    events: list,
    settings: SolverSettings,
    on_accept: Callable,
    dt_start: float | None = None,
    dt_cap: float | None = None,
) -> SegmentResult:
    """Integrate from ``t0`` for at most ``duration`` seconds.

    Parameters
    ----------
    advance : callable
        ``advance(y, t, dt) -> result``; raises ``ArithmeticError`` if the step cannot be solved.
    change : callable
        ``change(y, result) -> float``: change of the monitored quantity over the step.
    events : list of (name, callable)
        ``fn(result, t) -> float``, negative while running; the segment stops where it reaches 0.
    on_accept : callable
        ``on_accept(result, t_new, dt)`` for every accepted step.
    """
    s = settings
    y, t = y0, t0
    t_end = t0 + duration
    dt = min(dt_start or s.dt_initial, duration)
    cap = min(s.dt_max, dt_cap or s.dt_max)
    last = None
    slope = None  # rate of change of the monitored quantity over the last accepted step
    for n in range(s.max_steps):
        remaining = t_end - t
        if remaining <= 1e-12 * max(1.0, abs(t_end)):
            return SegmentResult(y, t, "duration", last=last, n_steps=n)
        dt = min(dt, remaining, cap)
        try:
            res = advance(y, t, dt)
        except ArithmeticError as exc:
            if dt <= s.dt_min:
                return SegmentResult(y, t, "failed", f"step could not be solved at t = {t:.6g} s "
                                     f"with dt = {dt:.3g} s ({exc})", last=last, n_steps=n)
            dt = max(dt * 0.25, s.dt_min)
            continue
        delta = change(y, res)
        # local error estimate of the (first-order) step: deviation from the straight-line
        # predictor through the previous step; the first step of a segment uses the change itself
        d = abs(delta - slope * dt) if slope is not None else abs(delta)
        if d > 2.5 * s.max_change and dt > s.dt_min:
            dt = max(dt * max(0.1, 0.8 * s.max_change / d), s.dt_min)
            continue
        # events
        hit = None
        for name, fn in events:
            if fn(res, t + dt) >= 0.0:
                hit = (name, fn)
                break
        if hit is not None:
            name, fn = hit
            res, dt_hit = _locate(advance, y, t, dt, fn, s, last)
            on_accept(res, t + dt_hit, dt_hit)
            return SegmentResult(res.y, t + dt_hit, name, last=res, n_steps=n + 1)
        on_accept(res, t + dt, dt)
        y, t, last = res.y, t + dt, res
        slope = delta / dt
        # next step size
        factor = s.growth if d == 0.0 else min(s.growth, max(0.2, 0.8 * s.max_change / d))
        dt = max(dt * factor, s.dt_min)
    return SegmentResult(y, t, "failed", f"more than {s.max_steps} steps in one protocol step; "
                         "loosen SolverSettings.max_change or raise max_steps", last=last, n_steps=s.max_steps)


def _locate(advance, y, t, dt, fn, s: SolverSettings, last):
    """Find the step length at which ``fn`` crosses zero (Illinois regula falsi)."""
    a, fa = 0.0, (fn(last, t) if last is not None else -1.0)
    if fa >= 0.0:  # already at/over the limit at the start: stop immediately with a tiny step
        fa = -s.event_tolerance
    b = dt
    res_b = advance(y, t, b)
    fb = fn(res_b, t + b)
    best = (res_b, b)
    side = 0
    for _ in range(60):
        if abs(fb) <= s.event_tolerance or (b - a) <= s.dt_min:
            return best
        c = b - fb * (b - a) / (fb - fa) if fb != fa else 0.5 * (a + b)
        if not (a < c < b):
            c = 0.5 * (a + b)
        try:
            res_c = advance(y, t, c)
        except ArithmeticError:
            c = 0.5 * (a + b)
            res_c = advance(y, t, c)
        fc = fn(res_c, t + c)
        if fc >= 0.0:
            b, fb = c, fc
            best = (res_c, c)
            if side == 1:
                fa *= 0.5
            side = 1
        else:
            a, fa = c, fc
            if side == -1:
                fb *= 0.5
            side = -1
        if abs(fc) <= s.event_tolerance:
            return (res_c, c)
    return best
