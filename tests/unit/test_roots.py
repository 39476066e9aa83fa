"""The scalar root finder: stops at or past the root when asked to, uses its first guess; its guided front end."""

from __future__ import annotations

import math

import numpy as np

from metalair._jit import jit
from metalair.solvers.roots import guided_root_finder, root_finder


@jit
def _flat_cubic(x, args):  # increasing, almost flat around its root r: the hard case for regula falsi
    s, r = args
    return s * (x - r) ** 3 + 1e-7 * (x - r)


@jit
def _line(x, args):
    return x - args[0]


_cubic_root = root_finder(_flat_cubic, "test_flat_cubic_root")
_line_root = root_finder(_line, "test_line_root")


def test_keep_hi_returns_a_point_at_or_past_the_root_within_the_tolerance():
    """With keep_hi (events: stop exactly at, never before, a limit) the answer is the upper end of
    the final bracket, and its function value is within ftol: never the untouched first upper end."""
    for r in (0.1, 0.3, 0.55, 0.8):
        args = (1.0, r)
        x, ok = _cubic_root(args, 0.0, 1.0, 0.0, 0.0, 0.0, 1e-14, 1e-5,
                            _flat_cubic(0.0, args), _flat_cubic(1.0, args), True, 200)
        assert ok
        g = _flat_cubic(x, args)
        assert 0.0 <= g <= 1e-5, (r, x, g)


def test_a_first_guess_that_is_the_root_is_returned_exactly():
    """The centre of the first bracket is evaluated first; if it is the root, that is the answer,
    with or without keep_hi."""
    for keep_hi in (False, True):
        x, ok = _line_root((1.0,), 0.0, 2.0, 0.5, -5.0, 5.0, 1e-14, 1e-10, 1.0, -1.0, keep_hi, 200)
        assert ok and x == 1.0


def test_a_bracket_that_misses_the_root_is_widened():
    x, ok = _line_root((3.7,), 0.0, 1.0, 0.5, -5.0, 5.0, 1e-14, 1e-12, 1.0, -1.0, False, 200)
    assert ok and abs(x - 3.7) < 1e-9
    x, ok = _line_root((30.0,), 0.0, 1.0, 0.5, -5.0, 5.0, 1e-14, 1e-12, 1.0, -1.0, False, 200)
    assert not ok  # past the widening limit


# ---------------------------------------------------------------- guided_root: a sequence of similar solves


@jit
def _tafel(x, args):  # increasing and curved like a Butler-Volmer balance; counts its evaluations
    r, b, calls = args
    calls[0] += 1.0
    return math.exp((x - r) / b) - 1.0


@jit
def _tafel_nan_above(x, args):  # not finite above r + 0.01: a secant step that lands there must fall back
    r, b, calls = args
    calls[0] += 1.0
    if x > r + 0.01:
        return math.nan
    return math.exp((x - r) / b) - 1.0


_tafel_bracketed = root_finder(_tafel, "test_tafel_root")
_tafel_guided = guided_root_finder(_tafel, "test_tafel_root")
_nan_guided = guided_root_finder(_tafel_nan_above, "test_tafel_nan_root")


def test_guided_root_meets_the_same_stopping_rule_as_the_bracketed_search():
    for r in (-0.3, 0.02, 0.4):
        calls = np.zeros(1)
        hint = np.zeros(2)
        x, ok = _tafel_guided((r, 0.05, calls), r + 0.004, 0.005, 0.02, -5.0, 5.0, 1e-14, 1e-9, hint, 1)
        assert ok and abs(_tafel(x, (r, 0.05, calls))) <= 1e-9, (r, x)
        assert hint[1] > 0.0 and hint[0] == 0.0  # the slope it found is kept for the next solve, under its own key


def test_guided_root_needs_fewer_evaluations_than_the_bracketed_search_on_a_sequence_of_solves():
    """What it is for: one potential solve per time step, each root a little past the last, the first
    guess a linear extrapolation. The slope carried over saves the bracket's far end and the secant
    converges faster than Illinois' retained end."""
    roots = 0.3 + 0.02 * np.sin(np.linspace(0.0, 3.0, 200))
    counts = []
    for guided in (False, True):
        calls = np.zeros(1)
        hint = np.zeros(1)
        prev = prev2 = roots[0]
        for r in roots:
            guess = 2 * prev - prev2
            args = (r, 0.05, calls)
            if guided:
                x, ok = _tafel_guided(args, guess, 0.005, 0.02, -5.0, 5.0, 1e-14, 1e-9, hint, 0)
            else:
                x, ok = _tafel_bracketed(args, guess - 0.005, guess + 0.005, 0.02, -5.0, 5.0, 1e-14, 1e-9)
            assert ok and abs(_tafel(x, args)) <= 1e-9
            prev2, prev = prev, x
        counts.append(calls[0])
    assert counts[1] < 0.9 * counts[0], counts


def test_guided_root_falls_back_to_the_bracketed_search_and_forgets_the_slope():
    """A stale slope that sends the first step where the function is not finite: the solve starts
    again with the bracketed search, finds the root, and the slope estimate is dropped."""
    r = 0.1
    calls = np.zeros(1)
    hint = np.array([1e-3])  # far too small: the Newton step overshoots into the NaN region
    x, ok = _nan_guided((r, 0.05, calls), r - 0.004, 0.005, 0.02, -5.0, 5.0, 1e-14, 1e-9, hint, 0)
    assert ok and abs(x - r) < 1e-9
    assert hint[0] == 0.0


def test_guided_root_caps_the_first_step_of_a_stale_slope():
    """A slope estimate far too small would send the Newton step volts away; it is capped at
    max(4 x width, 0.05) and the secant steps still converge."""
    r = 0.25
    calls = np.zeros(1)
    hint = np.array([1e-9])
    x, ok = _tafel_guided((r, 0.05, calls), r - 0.01, 0.005, 0.02, -5.0, 5.0, 1e-14, 1e-9, hint, 0)
    assert ok and abs(_tafel(x, (r, 0.05, calls))) <= 1e-9
    assert calls[0] < 40


def test_guided_root_hands_a_step_below_the_resolution_of_x_to_the_bracketed_search():
    """A slope estimate so large that the Newton step does not change x (x1 == x0): the secant
    through the two points would divide by zero; the bracketed search takes over instead."""
    r = 0.3
    calls = np.zeros(1)
    hint = np.array([1e30])
    x, ok = _tafel_guided((r, 0.05, calls), r + 1e-12, 0.005, 0.02, -5.0, 5.0, 1e-14, 1e-13, hint, 0)
    assert ok and abs(x - r) <= 1e-12
    assert hint[0] == 0.0
