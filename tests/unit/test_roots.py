"""The one scalar root finder: stops at or past the root when asked to, and uses its first guess."""

from __future__ import annotations

import math

import numpy as np
import pytest

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
    it, to 1e-9 of the current. Without a slope, secant steps through the latest points need 4.9
    evaluations on average over these roots; Illinois steps alone needed 5.9."""
    total = 0.0
    for r in np.linspace(2.001, 2.0049, 40):
        count = np.zeros(1)
        x, ok = _bv_root((r, count), 1.995, 2.005, 0.02, -5.0, 12.0, 1e-14, 1e-9 * 501.0)
        assert ok and abs(x - r) < 1e-9
        total += count[0]
    assert total / 40 < 5.2


def _bv_evaluations(slope_for):
    """Mean evaluations over 40 roots of the balance above, with ``slope_for(i)`` as the slope array."""
    total = 0.0
    for i, r in enumerate(np.linspace(2.001, 2.0049, 40)):
        count = np.zeros(1)
        x, ok = _bv_root((r, count), 1.995, 2.005, 0.02, -5.0, 12.0, 1e-14, 1e-9 * 501.0, 1.0, -1.0, False, 200,
                         slope_for(i))
        assert ok and abs(x - r) < 1e-9, (r, x)
        total += count[0]
    return total / 40


def test_the_slope_of_the_last_root_gives_a_newton_start_and_is_kept_for_the_next():
    """The integrator carries the balance's slope from one step to the next: a Newton step from the
    predictor, then secant steps from the two nearest points, need 3.9 evaluations here against 4.9
    without it; the slope left behind is the balance's derivative at the root (2*500*19.5 + 1e3)."""
    carried = np.zeros(1)
    assert _bv_evaluations(lambda i: carried) < 4.2
    assert carried[0] == pytest.approx(20500.0, rel=1e-3)
    assert _bv_evaluations(lambda i: np.zeros(1)) > 4.6  # no slope: the bracket end is evaluated second


@pytest.mark.parametrize("factor", [1e-3, 0.1, 10.0, 1e3])
def test_a_wrong_slope_costs_no_more_than_no_slope(factor):
    """A slope far off (a step after a sudden change of regime) keeps its first Newton step inside the first
    bracket, so at worst that step is the bracket end the finder evaluates anyway."""
    assert _bv_evaluations(lambda i: np.array([factor * 20500.0])) <= _bv_evaluations(lambda i: np.zeros(1)) + 0.05


@pytest.mark.parametrize("slope", [1e-6, 1.0, 50.0, 1e6])
def test_newton_and_secant_starts_still_find_the_root_of_functions_flat_on_one_side(slope):
    r = 0.38125859116636696
    for centre in (-0.9, 0.0, 0.3, 0.9):
        x, ok = _expm1_root((50.0, r), centre - 0.005, centre + 0.005, 0.02, -5.0, 12.0, 1e-14, 1e-12,
                            1.0, -1.0, False, 200, np.array([slope]))
        assert ok and abs(x - r) < 1e-9, (centre, x)
    args = (0.018906835357378776, 32.63126690056609, 0.020382898202518162, -0.1688779734821284)
    for offset in (-1.4778432562657025, 0.3, -3.0):
        guess = args[3] + offset
        x, ok = _limited_root(args, guess - 0.005, guess + 0.005, 0.02, -5.0, 12.0, 1e-14, 1e-9,
                              1.0, -1.0, False, 200, np.array([slope]))
        assert ok and abs(_transport_limited(x, args)) <= 1e-9, (offset, x)


@jit
def _expm1(x, args):  # flat on one side, steep on the other
    return math.expm1(args[0] * (x - args[1]))


@jit
def _transport_limited(x, args):  # Butler-Volmer whose cathodic branch saturates at a limiting current
    i0, b, ilim, r = args
    ia = i0 * math.exp(b * (x - r) / 2)
    ic = i0 * math.exp(-b * (x - r) / 2)
    return ia - ic / (1.0 + ic / ilim)


_expm1_root = root_finder(_expm1, "test_expm1_root")
_limited_root = root_finder(_transport_limited, "test_transport_limited_root")


def test_secant_steps_cannot_cycle_on_a_function_flat_on_one_side():
    """Secant steps through the two latest points could alternate without closing the bracket on a function
    flat on one side: 200 iterations, then x = 0.664 for a root at 0.381 (f = 1.4e6) returned as converged.
    They are now taken only while the bracket keeps halving."""
    r = 0.38125859116636696
    x, ok = _expm1_root((50.0, r), -1.0, 1.0, 0.0, 0.0, 0.0, 1e-14, 1e-12,
                        math.expm1(50.0 * (-1.0 - r)), math.expm1(50.0 * (1.0 - r)), False, 200)
    assert ok and abs(x - r) < 1e-9
    args = (0.018906835357378776, 32.63126690056609, 0.020382898202518162, -0.1688779734821284)
    guess = args[3] - 1.4778432562657025
    x, ok = _limited_root(args, guess - 0.005, guess + 0.005, 0.02, -5.0, 12.0, 1e-14, 1e-9)
    assert ok and abs(_transport_limited(x, args)) <= 1e-9


def test_running_out_of_iterations_is_not_reported_as_a_root():
    # the finder returned ok = True after max_iter steps whatever the residual
    r = 0.38125859116636696
    x, ok = _expm1_root((50.0, r), -1.0, 1.0, 0.0, 0.0, 0.0, 1e-14, 1e-12,
                        math.expm1(50.0 * (-1.0 - r)), math.expm1(50.0 * (1.0 - r)), False, 3)
    assert not ok


@jit
def _tiny_line(x, args):  # a balance in units so small that products of residual differences underflow
    return 1e-200 * (x - args[0])


_tiny_root = root_finder(_tiny_line, "test_tiny_line_root")


def test_the_inverse_quadratic_step_is_skipped_when_its_denominators_underflow():
    """A review found (1e-200 * (x - r)) raising ZeroDivisionError from the inverse quadratic step: each
    difference of residuals was non-zero, their product underflowed to 0."""
    x, ok = _tiny_root((3e-4,), -0.005, 0.005, 0.02, -5.0, 12.0, 1e-14, 0.0)
    assert ok and abs(x - 3e-4) < 1e-12
    x, ok = _tiny_root((3e-4,), -0.005, 0.005, 0.0, -5.0, 12.0, 1e-14, 0.0,
                       _tiny_line(-0.005, (3e-4,)), _tiny_line(0.005, (3e-4,)))
    assert ok and abs(x - 3e-4) < 1e-12


@jit
def _nan_above(x, args):  # undefined above a threshold, as a balance past its model's range
    count = args[0]
    count[0] += 1.0
    return math.nan if x > 2.0001 else x - 2.0000001


_nan_root = root_finder(_nan_above, "test_nan_above_root")


def test_a_nan_met_by_the_newton_or_secant_steps_does_not_spend_the_iteration_budget():
    """A review found a NaN residual taken as 'nearer the root', then secant steps at x = NaN: 210
    evaluations. And with or without a slope, a bracket end where the function is NaN was taken for a
    positive value: x = 2.005, where it is undefined, came back as a root. Now the finder says it found none
    (the integrator then shortens the step), after a few evaluations; a slope that stays in the defined part
    finds the root."""
    for slope in (None, np.array([1e-6])):
        count = np.zeros(1)
        x, ok = _nan_root((count,), 1.995, 2.005, 0.02, -5.0, 12.0, 1e-14, 1e-12, 1.0, -1.0, False, 200, slope)
        assert not ok
        assert count[0] <= 4
    x, ok = _nan_root((np.zeros(1),), 1.995, 2.005, 0.02, -5.0, 12.0, 1e-14, 1e-12, 1.0, -1.0, False, 200,
                      np.array([1.0]))
    assert ok and abs(x - 2.0000001) < 1e-9


def test_a_stale_slope_on_a_transport_limited_balance_costs_few_extra_evaluations():
    """A slope from the kinetic branch used on the transport-limited one sent secant steps past the first
    bracket: 38 evaluations where none took 17. The first bracket's end is now checked when a step overshoots
    it, and five steps that do not halve the bracket are followed by a bisection."""
    import types

    from metalair.solvers import roots

    i0, b, ilim = 0.018906835357378776, 32.63126690056609, 0.020382898202518162
    calls = []

    def balance(x, args):
        calls.append(x)
        return _transport_limited(x, (i0, b, ilim, 0.0))

    glb = dict(roots.bracketed_root.__globals__)
    glb["fn"] = balance  # the plain-Python finder over a counting function (jit would hide the count)
    finder = types.FunctionType(roots.bracketed_root.__code__, glb, "finder", roots.bracketed_root.__defaults__)
    worst = 0
    for guess in np.linspace(-1.6, 0.4, 41):
        counts = []
        for slope in (None, np.array([1e-3]), np.array([1.0]), np.array([1e6])):
            calls.clear()
            x, ok = finder((), guess - 0.005, guess + 0.005, 0.02, -5.0, 12.0, 1e-14, 1e-9, 1.0, -1.0, False, 200,
                           slope)
            assert ok and abs(_transport_limited(x, (i0, b, ilim, 0.0))) <= 1e-9
            counts.append(len(calls))
        worst = max(worst, max(counts[1:]) - counts[0])
    assert worst <= 8
