"""Physics: one pure function per published relation (kinetics, catalysis, transport, deposition).

These are the functions the model kernel calls; they take floats and are
compiled with the kernel. :func:`vectorized` applies one to arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["vectorized"]


def vectorized(fn: Callable[..., float]) -> Callable[..., Any]:
    """An array version of a scalar physics function (numpy broadcasting over every argument)."""
    return np.vectorize(fn, otypes=[float])
