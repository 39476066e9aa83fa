"""The one scalar root finder: stops at or past the root when asked to, and uses its first guess."""

from __future__ import annotations

import math

import numpy as np

from metalair._jit import jit
from metalair.solvers.roots import root_finder


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


@jit
def _butler_volmer(x, args):  # a cell's current balance near its root: exponential, steep, smooth
    r, count = args
    count[0] += 1.0
    return 500.0 * (math.exp(19.5 * (x - r)) - math.exp(-19.5 * (x - r))) + 1e3 * (x - r)


_bv_root = root_finder(_butler_volmer, "test_butler_volmer_root")


def test_secant_steps_inside_the_bracket_save_evaluations_on_a_smooth_balance():
    """The model's step solves a balance like this one from its predictor, a bracket of ±5 mV around
    it, to 1e-9 of the current. Secant steps through the two latest points (Dekker) need 4.8
    evaluations on average over these roots; Illinois steps alone needed 5.9."""
    total = 0.0
    for r in np.linspace(2.001, 2.0049, 40):
        count = np.zeros(1)
        x, ok = _bv_root((r, count), 1.995, 2.005, 0.02, -5.0, 12.0, 1e-14, 1e-9 * 501.0)
        assert ok and abs(x - r) < 1e-9
        total += count[0]
    assert total / 40 < 5.2
