"""The scalar root finder: a bracket, widened if needed, then Illinois regula falsi.

Battery-agnostic and compiled with the kernel. Used for the electrode
potential that balances an implicit step and for the step length at which an
event (a voltage or current limit) is reached. :func:`guided_root` is its
front end for a sequence of similar solves (one per time step): secant steps
from a close first guess, started with the slope the previous solve found,
falling back to :func:`bracketed_root` whenever they leave the safe path.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from metalair._jit import specialize

__all__ = ["bracketed_root", "guided_root", "guided_root_finder", "root_finder"]


def fn(x: float, args: Any) -> float:  # pragma: no cover - placeholder bound by root_finder
    """The function whose root is sought; bound to a real function by :func:`root_finder`."""
    raise NotImplementedError


def root_finder(function: Callable[..., float], name: str) -> Any:
    """The compiled :func:`bracketed_root` for ``function(x, args)``; ``name`` unique per function."""
    return specialize(bracketed_root, name, fn=function)


def guided_root_finder(function: Callable[..., float], name: str) -> Any:
    """The compiled :func:`guided_root` for ``function(x, args)``; ``name`` unique per function."""
    return specialize(guided_root, f"{name}_guided", fn=function, bracketed_root=root_finder(function, name))


def bracketed_root(args, lo, hi, expand, lo_limit, hi_limit, xtol, ftol, glo=1.0, ghi=-1.0,
                   keep_hi=False, max_iter=200):
    r"""Root of an increasing function ``fn(x, args)`` by Illinois regula falsi in a bracket.

    ``fn`` is bound by :func:`root_finder`, which returns the compiled version.

    Parameters
    ----------
    args : tuple
        Passed through to ``fn``.
    lo, hi : float
        First bracket.
    expand : float
        First widening step when the bracket does not hold the root; it doubles at every
        widening. ``0`` means the bracket is known to hold the root (``glo < 0 <= ghi`` given).
    lo_limit, hi_limit : float
        The bracket is not widened past these; reaching them is a failure.
    xtol, ftol : float
        Stop when the bracket is narrower than ``xtol`` or ``|fn| <= ftol``.
    glo, ghi : float
        ``fn`` at ``lo`` and ``hi`` when ``expand`` is 0 (not evaluated again).
    keep_hi : bool
        Return the upper end of the final bracket (where ``fn >= 0``) rather than the last
        point evaluated; used to stop exactly at, never before, an event.
    max_iter : int
        Largest number of regula falsi iterations.

    Returns
    -------
    tuple
        ``(x, ok)``; ``ok`` is False when no bracket could be found.

    Notes
    -----
    Regula falsi with the Illinois modification (the retained end's function
    value is halved when the same end is kept twice), which keeps superlinear
    convergence where plain regula falsi stalls.

    References
    ----------
    .. [1] Dowell, M.; Jarratt, P. "A modified regula falsi method for computing
       the root of an equation", BIT 11, 168 (1971). doi:10.1007/BF01934364
    """
    if expand > 0.0:
        mid = 0.5 * (lo + hi)
        gmid = fn(mid, args)
        if abs(gmid) <= ftol and not keep_hi:
            return mid, True
        if gmid >= 0.0:  # the centre is the upper end (or the root itself)
            hi = mid
            ghi = gmid
            glo = fn(lo, args)
        else:
            lo = mid
            glo = gmid
            ghi = fn(hi, args)
        step = expand
        it = 0
        while glo > 0.0:
            hi = lo
            ghi = glo
            lo -= step
            step *= 2.0
            glo = fn(lo, args)
            it += 1
            if it > 40 or lo < lo_limit:
                return lo, False
        step = expand
        it = 0
        while ghi < 0.0:
            lo = hi
            glo = ghi
            hi += step
            step *= 2.0
            ghi = fn(hi, args)
            it += 1
            if it > 40 or hi > hi_limit:
                return hi, False
    side = 0
    x = 0.5 * (lo + hi)
    f_hi = ghi  # fn at hi as evaluated (ghi itself is halved by the Illinois rule)
    for _ in range(max_iter):
        if hi - lo <= xtol or (keep_hi and abs(f_hi) <= ftol):
            return (hi if keep_hi else x), True
        x = hi - ghi * (hi - lo) / (ghi - glo) if ghi != glo else 0.5 * (lo + hi)
        if not (lo < x < hi):
            x = 0.5 * (lo + hi)
        g = fn(x, args)
        if g >= 0.0:
            hi = x
            ghi = g
            f_hi = g
            if side == 1:
                glo *= 0.5
            side = 1
        else:
            lo = x
            glo = g
            if side == -1:
                ghi *= 0.5
            side = -1
        if abs(g) <= ftol and (g >= 0.0 or not keep_hi):  # keep_hi: never stop short of the root
            return x, True
    return (hi if keep_hi else x), True


def guided_root(args, x0, width, expand, lo_limit, hi_limit, xtol, ftol, hint, k, max_iter=30):
    r"""Root of an increasing function ``fn(x, args)`` near ``x0``, by secant steps started with a slope estimate.

    For a sequence of similar solves (the potential of each implicit time step):
    ``hint[k]`` holds the slope of ``fn`` the previous solve ended with (0: none
    yet), so the first step is a Newton step with that slope and the next ones are
    secant steps through the last two points, kept inside the bracket the points
    have found so far. Near the root the secant converges superlinearly, where
    :func:`bracketed_root` first spends an evaluation on the far end of its
    bracket and then keeps that end; on the cell model's steps this takes about
    4 evaluations where the bracketed search takes 5.3. Whenever a step leaves the
    safe path (a slope that is not positive, a value that is not finite, a point
    past the limits, a step too small to change ``x``, or
    ``max_iter`` steps) the solve starts again with
    :func:`bracketed_root` over ``[x0 - width, x0 + width]``, so it never fails
    where that would succeed. ``hint[k]`` is updated in place; set it to 0 to make
    a solve independent of the ones before it.

    ``fn`` and ``bracketed_root`` are bound by :func:`guided_root_finder`.

    Parameters
    ----------
    args : tuple
        Passed through to ``fn``.
    x0, width : float
        First guess, and the half-width of the fallback bracket around it.
    expand, lo_limit, hi_limit, xtol, ftol : float
        As in :func:`bracketed_root` (``xtol``/``ftol``: the same stopping rule).
    hint : ndarray
        Slope estimates, one per kind of solve; ``hint[k]`` is read and updated.
    k : int
        Which estimate this solve uses.
    max_iter : int
        Secant steps before falling back.

    Returns
    -------
    tuple
        ``(x, ok)`` as :func:`bracketed_root` returns them (``keep_hi`` False); ``fn`` was last
        evaluated at ``x`` unless the fallback says otherwise.

    References
    ----------
    .. [1] Press, W. H.; Teukolsky, S. A.; Vetterling, W. T.; Flannery, B. P. *Numerical
       Recipes*, 3rd ed., Cambridge University Press (2007), section 9.2 (secant method).
    """
    guess = x0
    g0 = fn(x0, args)
    if abs(g0) <= ftol:
        return x0, True
    slope = hint[k]
    if slope > 0.0:
        dx = -g0 / slope
        cap = max(4.0 * width, 0.05)  # a stale slope may send the first step far: no further than this
        if dx > cap:
            dx = cap
        elif dx < -cap:
            dx = -cap
    else:
        dx = -width if g0 > 0.0 else width
    lo = -math.inf
    hi = math.inf
    if g0 > 0.0:
        hi = x0
    else:
        lo = x0
    x1 = x0 + dx
    for _ in range(max_iter):
        if not (lo_limit < x1 < hi_limit):
            break
        g1 = fn(x1, args)
        if not math.isfinite(g1):
            break
        if abs(g1) <= ftol:
            hint[k] = slope
            return x1, True
        if g1 > 0.0:
            if x1 < hi:
                hi = x1
        elif x1 > lo:
            lo = x1
        if hi - lo <= xtol:
            hint[k] = slope
            return x1, True
        if x1 == x0:  # a step below the resolution of x: leave it to the bracketed search
            break
        slope = (g1 - g0) / (x1 - x0)
        if not slope > 0.0:
            break
        x2 = x1 - g1 / slope
        if not (lo < x2 < hi):  # outside what the points have bracketed: halve the bracket, or step to its edge
            if math.isfinite(lo) and math.isfinite(hi):
                x2 = 0.5 * (lo + hi)
        x0 = x1
        g0 = g1
        x1 = x2
    hint[k] = 0.0
    return bracketed_root(args, guess - width, guess + width, expand, lo_limit, hi_limit, xtol, ftol)
