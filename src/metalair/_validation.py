"""Validation helpers for frozen parameter dataclasses.

Every numeric field is checked on construction; a bad value raises
:class:`~metalair.errors.ParameterError` naming the object, the field, the
value and the allowed range.
"""

from __future__ import annotations

import difflib
import functools
import math
import numbers
import os
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from metalair.errors import ParameterError


def check_range(owner: str, name: str, value, lo: float = -math.inf, hi: float = math.inf,
                lo_open: bool = False, hi_open: bool = False, unit: str = "") -> float:
    """Return ``value`` as float if finite and inside the range, else raise ParameterError.

    A field with a ``unit`` that :data:`metalair.units.UNITS` knows also takes the value as text with any
    unit of the same dimension (``"64.5 mAh/g"`` for a capacity in C/kg), converted to ``unit``.
    """
    if isinstance(value, str) and unit:
        from metalair.units import UNITS, parse_quantity, to_user

        if unit in UNITS:
            try:
                value = float(to_user(parse_quantity(value, UNITS[unit][0]), unit))
            except ParameterError as exc:
                raise ParameterError(f"{owner}.{name}: {exc}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{owner}.{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    rng = f"{left}{lo:g}, {hi:g}{right}{(' ' + unit) if unit else ''}"
    if not math.isfinite(value):
        raise ParameterError(f"{owner}.{name} = {value} is not a finite number; allowed range {rng}")
    bad_lo = value <= lo if lo_open else value < lo
    bad_hi = value >= hi if hi_open else value > hi
    if bad_lo or bad_hi:
        raise ParameterError(f"{owner}.{name} = {value:g} is out of range; allowed range {rng}")
    return value


def is_whole_number(value: Any) -> bool:
    """True for an int or numpy integer, not a bool (True is an int to Python, not a count to a user)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


#: Most samples (ensemble members, screened candidates, Sobol' base samples) one call may ask for: each
#: is a simulation, and ten million of them is years of CPU time; numpy cannot even allocate 1e20.
MAX_SAMPLES = 10_000_000


def check_at_most(value: int, name: str, limit: int, why: str) -> None:
    """Refuse a count above ``limit`` with ``why`` (before numpy fails to allocate it, or the work never ends)."""
    if value > limit:
        raise ParameterError(f"{name} = {value:,} is more than {limit:,}: {why}")


#: The example :func:`check_callable` shows for a ``progress(stage, done, total)`` and a ``progress(done, total)``.
PROGRESS_STAGE = "lambda stage, done, total: print(stage, done, total)"
PROGRESS_COUNT = "lambda done, total: print(done, total)"


def check_callable(value: Any, name: str, example: str) -> None:
    """Refuse a ``value`` that is neither None nor callable (a callback such as ``progress``), showing ``example``."""
    if value is not None and not callable(value):
        raise ParameterError(f"{name} = {value!r} must be a function (or None), e.g. {name}={example}")


#: Most local worker processes per core (:func:`check_workers`).
WORKERS_PER_CORE = 4


def check_workers(n_workers: Any, option: str = "n_workers",
                  cluster: str | None = "scheduler='tcp://HOST:PORT'") -> int | None:
    """``n_workers`` if it is None (all cores) or a whole number from 1 to :data:`WORKERS_PER_CORE` per core.

    Each local worker is a process: 10**20 of them, or thousands on a laptop, would never start.
    ``cluster`` says how the caller runs on a cluster instead (None: it cannot).
    """
    if n_workers is None:
        return None
    if not is_whole_number(n_workers) or n_workers < 1:
        raise ParameterError(f"{option} must be >= 1 (the number of worker processes), got {n_workers!r}")
    n_workers = int(n_workers)
    cores = os.cpu_count() or 1
    if n_workers > WORKERS_PER_CORE * cores:
        raise ParameterError(f"{option} {n_workers:,} is more than {WORKERS_PER_CORE} worker processes per core "
                             f"on this machine ({cores} cores): give at most {WORKERS_PER_CORE * cores}"
                             + (f", or run on a cluster ({cluster})" if cluster else ""))
    return int(n_workers)


def check_seed(seed: Any, name: str = "seed") -> int | None:
    """``seed`` if it is None or an integer >= 0 (what numpy's and scipy's generators accept), else ParameterError."""
    if seed is None:
        return None
    if not is_whole_number(seed) or seed < 0:
        raise ParameterError(f"{name} = {seed!r} must be a whole number >= 0 (the same seed gives the same samples)")
    return int(seed)


def validate_fields(obj, ranges: dict) -> None:
    """Check each field listed in ``ranges`` = {name: (lo, hi, lo_open, hi_open, unit)}."""
    owner = type(obj).__name__
    known = {f.name for f in fields(obj)}
    for name, spec in ranges.items():
        if name not in known:  # pragma: no cover - programming error
            raise AttributeError(f"{owner} has no field {name}")
        lo, hi, lo_open, hi_open, unit = spec
        object.__setattr__(obj, name, check_range(owner, name, getattr(obj, name), lo, hi, lo_open, hi_open, unit))


POS = (0.0, math.inf, True, False, "")      # > 0
NONNEG = (0.0, math.inf, False, False, "")  # >= 0
FRACTION = (0.0, 1.0, False, False, "")     # [0, 1]
OPEN_FRACTION = (0.0, 1.0, True, True, "")  # (0, 1)


def pos(unit: str = ""):
    return (0.0, math.inf, True, False, unit)


def nonneg(unit: str = ""):
    return (0.0, math.inf, False, False, unit)


def between(lo: float, hi: float, unit: str = "", lo_open=False, hi_open=False):
    return (lo, hi, lo_open, hi_open, unit)


def keyword_checked(cls: Any = None, *, message: Callable[[str, list[str]], str] | None = None) -> Any:
    """Class decorator (above ``@dataclass``): a keyword the class has no field for is refused with the closest names.

    Without it a misspelt keyword (``LumpedParameters(i0_form_Na02=0.1)``) raised Python's bare
    ``TypeError: unexpected keyword argument``, with no suggestion. ``dataclasses.replace`` goes
    through the same check. ``message(name, known)`` writes the refusal (default: the close matches).
    """
    def wrap(klass: Any) -> Any:
        init = klass.__init__
        known = [f.name for f in fields(klass) if f.init]
        known_set = set(known)

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            for name in kwargs:
                if name not in known_set:
                    if message is not None:
                        raise ParameterError(message(name, known))
                    hint = difflib.get_close_matches(name, known, n=3)
                    raise ParameterError(f"{klass.__name__} has no field {name!r}"
                                         + (f"; did you mean {', '.join(map(repr, hint))}?" if hint
                                            else f"; its fields: {', '.join(known)}"))
            init(self, *args, **kwargs)

        klass.__init__ = __init__
        return klass

    return wrap(cls) if cls is not None else wrap
