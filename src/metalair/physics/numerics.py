"""Small numerical helpers shared by the physics functions and the kernel (compiled with it)."""

from __future__ import annotations

import math

from metalair._jit import jit

__all__ = ["safe_exp", "implicit_decay", "EXP_MAX"]

#: Exponents are clipped to this magnitude (exp(600) ~ 1e260 stays finite).
EXP_MAX = 600.0


@jit
def safe_exp(x: float) -> float:
    """``exp(x)`` with ``x`` clipped to ``EXP_MAX`` above and 0 returned below ``-EXP_MAX``."""
    if x > EXP_MAX:
        x = EXP_MAX
    elif x < -EXP_MAX:
        return 0.0
    return math.exp(x)


@jit
def implicit_decay(b: float, h: float, dtr: float, dtk: float) -> float:
    r"""Backward-Euler inventory of a product consumed by saturating and first-order sinks.

    Parameters
    ----------
    b : float
        Old inventory plus what is produced over the step, :math:`n_{old} + \Delta t\,P`.
    h : float
        Half-saturation inventory of the saturating sink.
    dtr : float
        Step times the saturating sink's largest rate, :math:`\Delta t\,r`.
    dtk : float
        Step times the first-order rate constant, :math:`\Delta t\,k`.

    Returns
    -------
    float
        The non-negative new inventory :math:`n`.

    Notes
    -----
    Backward Euler of :math:`dn/dt = P - r\,n/(n + h) - k n` is the quadratic
    :math:`(1+\Delta t k)\,n^2 + n[(1+\Delta t k)h - b + \Delta t r] - b h = 0`,
    whose non-negative root is taken in the cancellation-free form.
    """
    if b <= 0.0:
        return 0.0
    a = 1.0 + dtk
    q = a * h - b + dtr
    disc = math.sqrt(q * q + 4.0 * a * b * h)
    if q >= 0.0:
        return 2.0 * b * h / (q + disc)
    return (disc - q) / (2.0 * a)
