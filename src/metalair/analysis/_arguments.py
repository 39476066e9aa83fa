"""Argument checks shared by the analysis functions (one home per check).

Every check raises :class:`~metalair.errors.ParameterError` whose message names
the function and its argument, the value given and what is allowed, instead of
the bare ``TypeError``/``ValueError`` Python or numpy would raise further in,
or a silently wrong result. Numbers go through
:func:`metalair._validation.check_range`, so an argument with a unit also takes
text with any unit of the same dimension (``"5 mV"`` for a step in V).
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from metalair._validation import check_range, is_whole_number
from metalair.errors import ParameterError

__all__ = ["number", "optional_number", "whole_number", "pair", "instance", "known_keywords", "solution",
           "array_1d"]


def number(owner: str, name: str, value: Any, lo: float = -math.inf, hi: float = math.inf, *,
           lo_open: bool = False, hi_open: bool = False, unit: str = "", hint: str = "") -> float:
    """``value`` as a finite float inside the range (text with a unit of ``unit``'s dimension converted).

    ``hint`` (e.g. ``"a fraction: 0.02 for 2 %"``) is added to the refusal.
    """
    try:
        return check_range(owner, name, value, lo, hi, lo_open, hi_open, unit)
    except ParameterError as exc:
        if hint:
            raise ParameterError(f"{exc} ({hint})") from None
        raise


def optional_number(owner: str, name: str, value: Any, lo: float = -math.inf, hi: float = math.inf, *,
                    lo_open: bool = False, hi_open: bool = False, unit: str = "", hint: str = "") -> float | None:
    """:func:`number`, letting ``None`` (the default: not given) through."""
    if value is None:
        return None
    return number(owner, name, value, lo, hi, lo_open=lo_open, hi_open=hi_open, unit=unit, hint=hint)


def whole_number(owner: str, name: str, value: Any, lo: int, hi: float = math.inf, hint: str = "") -> int:
    """``value`` as an int in [lo, hi]; a fraction (2.5), text or bool is refused."""
    if not is_whole_number(value):
        raise ParameterError(f"{owner}.{name} must be a whole number, got {value!r} ({type(value).__name__})"
                             + (f" ({hint})" if hint else ""))
    return int(number(owner, name, int(value), lo, hi, hint=hint))


def pair(owner: str, name: str, value: Any, *, unit: str = "", hint: str = "") -> tuple[float, float]:
    """``(low, high)``: two finite numbers with low < high."""
    example = f" (e.g. {hint})" if hint else ""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) or isinstance(value, dict):
        raise ParameterError(f"{owner}.{name} = {value!r} must be a pair (low, high){' in ' + unit if unit else ''}"
                             f"{example}")
    items = list(value)
    if len(items) != 2:
        raise ParameterError(f"{owner}.{name} = {value!r} holds {len(items)} values; give two, (low, high)"
                             f"{' in ' + unit if unit else ''}{example}")
    lo, hi = (number(owner, f"{name}[{k}]", v, unit=unit) for k, v in enumerate(items))
    if not lo < hi:
        raise ParameterError(f"{owner}.{name} = ({lo:g}, {hi:g}): low must be below high{example}")
    return lo, hi


def instance(owner: str, name: str, value: Any, cls: type | tuple[type, ...], how: str) -> Any:
    """``value`` if it is a ``cls``, else a refusal that says what it must be and how to get one (``how``)."""
    if not isinstance(value, cls):
        names = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise ParameterError(f"{owner}: {name} must be a {names} ({how}), got {type(value).__name__}")
    return value


def array_1d(owner: str, name: str, value: Any, unit: str = "") -> np.ndarray:
    """``value`` as a one-dimensional float array (a list of numbers, or a 1-D array)."""
    what = f"an array of numbers{' in ' + unit if unit else ''}"
    if isinstance(value, (str, bytes)) or value is None:
        raise ParameterError(f"{owner}.{name} must be {what}, got {value!r} ({type(value).__name__})")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{owner}.{name} must be {what}, got {type(value).__name__} holding values that are "
                             "not numbers") from None
    if arr.ndim != 1:
        raise ParameterError(f"{owner}.{name} must be one-dimensional ({what}), got shape {arr.shape}")
    return arr


def _keyword_names(target: Callable[..., Any], skip: int) -> list[str]:
    """The names ``target`` takes by keyword, less its first ``skip`` positional ones."""
    params = list(inspect.signature(target).parameters.values())[skip:]
    return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def known_keywords(owner: str, options: dict[str, Any], target: Callable[..., Any], skip: int = 1) -> None:
    """Refuse an option ``target`` does not take (passed on through ``**options``), naming those it takes."""
    known = _keyword_names(target, skip)
    for key in options:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=3)
            did = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise ParameterError(f"{owner} has no option {key!r}{did}; its options are {', '.join(known)}")


def solution(owner: str, sol: Any, *, steps: bool = True, columns: bool = True) -> Any:
    """``sol`` if it looks like a simulation :class:`~metalair.protocols.solution.Solution`, else a refusal.

    ``steps`` asks for its step summaries (``sol.steps``, which a run that kept no time series still
    has), ``columns`` for its named columns (``sol.keys()``, ``sol["Time [s]"]``; a dict of columns
    passes when only the columns are needed).
    """
    has_steps = hasattr(sol, "steps")
    has_columns = hasattr(sol, "keys") and hasattr(sol, "__getitem__")
    if (has_steps or not steps) and (has_columns or not columns):
        return sol
    hint = ""
    if type(sol).__name__ in ("CyclerData", "SummaryTable"):
        hint = ("; that is a measured record or a cycle table: summarise a record with "
                "metalair.analysis.cycle_metrics.cycle_summary(data)")
    elif isinstance(sol, (str, bytes)) or hasattr(sol, "__fspath__"):
        hint = "; run the simulation first: sol = metalair.simulate(catalyst, protocol)"
    raise ParameterError(f"{owner} needs the Solution of a run (sol = metalair.simulate(...)), got "
                         f"{type(sol).__name__}{hint}")
