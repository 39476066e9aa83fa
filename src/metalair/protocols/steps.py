"""Protocol step objects: what a cycler or potentiostat is told to do.

Steps are objects first and text second (the parser in
:mod:`metalair.protocols.parser` builds these). Values are SI inside:
specific currents in A/kg of catalyst (= mA/g), capacities in C/kg
(1 mAh/g = 3600 C/kg), potentials in V vs Na+/Na, times in s. Each field also
accepts a string with a unit (``"100 mA/g"``, ``"1.5 V"``, ``"30 min"``).

Sign convention (written down once, see ``docs/conventions.md``): a step's
``current`` is a positive magnitude; :class:`Discharge` draws it from the cell
(reduction at the air electrode), :class:`Charge` pushes it in. In time series
the cell current is positive on discharge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Union

from metalair.errors import ProtocolError
from metalair.units import parse_quantity

__all__ = [
    "Discharge",
    "Charge",
    "Rest",
    "Hold",
    "Sweep",
    "Cycle",
    "Step",
    "Protocol",
    "flatten",
    "count_steps",
    "V_ABS_MIN",
    "V_ABS_MAX",
]

#: Potentials outside this window (V vs Na+/Na) are refused: below 0 V sodium
#: plates on the air electrode, above 6 V every known electrolyte decomposes.
V_ABS_MIN = 0.0
V_ABS_MAX = 6.0
#: Largest specific current accepted [A/kg] (= 100 A/g), far above any cell.
I_ABS_MAX = 1.0e5

Number = Union[float, int, str]


def _si(value: Number | None, dimension: str, field_name: str, step: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_quantity(value, dimension)
        except ValueError as exc:
            raise ProtocolError(f"{step}: field '{field_name}': {exc}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(
            f"{step}: field '{field_name}' must be a number (SI) or a string with a unit, got {value!r}"
        )
    value = float(value)
    if not math.isfinite(value):
        raise ProtocolError(f"{step}: field '{field_name}' is {value}, which is not a finite number")
    return value


def _positive(value: float | None, field_name: str, step: str, unit: str, upper: float = math.inf) -> None:
    if value is not None and not (0.0 < value <= upper):
        rng = f"greater than 0 {unit}" if math.isinf(upper) else f"in (0, {upper:g}] {unit}"
        raise ProtocolError(f"{step}: field '{field_name}' = {value:g} {unit} is not allowed; it must be {rng}")


def _potential(value: float | None, field_name: str, step: str) -> None:
    if value is not None and not (V_ABS_MIN < value < V_ABS_MAX):
        raise ProtocolError(
            f"{step}: field '{field_name}' = {value:g} V is outside the allowed window "
            f"({V_ABS_MIN:g}, {V_ABS_MAX:g}) V vs Na+/Na"
        )


@dataclass(frozen=True)
class _Galvanostatic:
    current: float
    until: float | None = None
    capacity: float | None = None
    duration: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        name = type(self).__name__
        object.__setattr__(self, "current", _si(self.current, "specific current", "current", name))
        object.__setattr__(self, "until", _si(self.until, "potential", "until", name))
        object.__setattr__(self, "capacity", _si(self.capacity, "specific capacity", "capacity", name))
        object.__setattr__(self, "duration", _si(self.duration, "time", "duration", name))
        _positive(self.current, "current", name, "A/kg (= mA/g)", I_ABS_MAX)
        _potential(self.until, "until", name)
        _positive(self.capacity, "capacity", name, "C/kg (1 mAh/g = 3600 C/kg)")
        _positive(self.duration, "duration", name, "s")
        if self.until is None and self.capacity is None and self.duration is None:
            raise ProtocolError(
                f"{name} at {self.current:g} mA/g has no end: give a voltage limit (until), "
                "a capacity limit or a duration, e.g. 'Discharge at 100 mA/g until 1.5 V'"
            )


@dataclass(frozen=True)
class Discharge(_Galvanostatic):
    """Constant-current discharge until a lower voltage, a capacity or a duration.

    Parameters
    ----------
    current : float or str
        Specific current magnitude [A/kg of catalyst] or a string such as ``"100 mA/g"``.
    until : float or str, optional
        Lower voltage limit [V].
    capacity : float or str, optional
        Capacity limit for this step [C/kg] or e.g. ``"500 mAh/g"``.
    duration : float or str, optional
        Longest duration [s] or e.g. ``"10 h"``.
    """

    direction = +1


@dataclass(frozen=True)
class Charge(_Galvanostatic):
    """Constant-current charge until an upper voltage, a capacity or a duration."""

    direction = -1


@dataclass(frozen=True)
class Rest:
    """Open circuit for a duration [s] (or e.g. ``"30 min"``)."""

    duration: float
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "duration", _si(self.duration, "time", "duration", "Rest"))
        if self.duration is None:
            raise ProtocolError("Rest: a duration is needed, e.g. 'Rest for 30 min'")
        _positive(self.duration, "duration", "Rest", "s")


@dataclass(frozen=True)
class Hold:
    """Potentiostatic hold at ``voltage`` until the current falls below ``until_current`` or a duration."""

    voltage: float
    until_current: float | None = None
    duration: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "voltage", _si(self.voltage, "potential", "voltage", "Hold"))
        object.__setattr__(
            self, "until_current", _si(self.until_current, "specific current", "until_current", "Hold")
        )
        object.__setattr__(self, "duration", _si(self.duration, "time", "duration", "Hold"))
        _potential(self.voltage, "voltage", "Hold")
        _positive(self.until_current, "until_current", "Hold", "A/kg (= mA/g)", I_ABS_MAX)
        _positive(self.duration, "duration", "Hold", "s")
        if self.until_current is None and self.duration is None:
            raise ProtocolError(
                "Hold has no end: give a current limit or a duration, e.g. 'Hold at 4.5 V until 10 mA/g'"
            )


@dataclass(frozen=True)
class Sweep:
    """Cyclic voltammetry between ``lower`` and ``upper`` at ``scan_rate`` [V/s] for ``cycles`` cycles.

    The sweep starts at the present open-circuit potential (or ``start``) and
    goes first towards ``first`` ("up" or "down").
    """

    scan_rate: float
    lower: float
    upper: float
    cycles: int = 1
    first: str = "down"
    start: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "scan_rate", _si(self.scan_rate, "scan rate", "scan_rate", "Sweep"))
        object.__setattr__(self, "lower", _si(self.lower, "potential", "lower", "Sweep"))
        object.__setattr__(self, "upper", _si(self.upper, "potential", "upper", "Sweep"))
        object.__setattr__(self, "start", _si(self.start, "potential", "start", "Sweep"))
        _positive(self.scan_rate, "scan_rate", "Sweep", "V/s", 10.0)
        _potential(self.lower, "lower", "Sweep")
        _potential(self.upper, "upper", "Sweep")
        _potential(self.start, "start", "Sweep")
        if self.lower >= self.upper:
            raise ProtocolError(
                f"Sweep: lower = {self.lower:g} V must be below upper = {self.upper:g} V"
            )
        if not isinstance(self.cycles, int) or isinstance(self.cycles, bool) or self.cycles < 1:
            raise ProtocolError(f"Sweep: cycles = {self.cycles!r} must be an integer >= 1")
        if self.first not in ("up", "down"):
            raise ProtocolError(f"Sweep: first = {self.first!r} must be 'up' or 'down'")


@dataclass(frozen=True)
class Cycle:
    """A list of steps repeated ``repeat`` times, state carried from one repeat to the next."""

    steps: tuple = field(default_factory=tuple)
    repeat: int = 1

    def __init__(self, steps, repeat: int = 1) -> None:  # noqa: D107 - documented on the class
        steps = tuple(steps)
        if not steps:
            raise ProtocolError("Cycle: needs at least one step")
        for s in steps:
            if not isinstance(s, (Discharge, Charge, Rest, Hold, Sweep, Cycle)):
                raise ProtocolError(f"Cycle: {s!r} is not a protocol step")
        if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
            raise ProtocolError(f"Cycle: repeat = {repeat!r} must be an integer >= 1")
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "repeat", repeat)


Step = Union[Discharge, Charge, Rest, Hold, Sweep, Cycle]


@dataclass(frozen=True)
class Protocol:
    """An ordered list of steps (cycles allowed at any level)."""

    steps: tuple

    def __init__(self, steps) -> None:  # noqa: D107
        if isinstance(steps, (Discharge, Charge, Rest, Hold, Sweep, Cycle)):
            steps = (steps,)
        if isinstance(steps, str) or not isinstance(steps, (list, tuple)):
            shown = repr(steps)
            shown = shown if len(shown) <= 80 else shown[:60] + f" ... ({len(shown)} characters)"
            raise ProtocolError(
                f"a protocol is text (e.g. 'Discharge at 100 mA/g until 1.5 V') or steps (a list of Discharge, "
                f"Charge, Rest, Hold, Sweep, Cycle), not {type(steps).__name__} {shown}"
                + ("; read text with parse_protocol" if isinstance(steps, str) else ""))
        steps = tuple(steps)
        if not steps:
            raise ProtocolError("a protocol needs at least one step")
        for s in steps:
            if not isinstance(s, (Discharge, Charge, Rest, Hold, Sweep, Cycle)):
                raise ProtocolError(f"{s!r} is not a protocol step (Discharge, Charge, Rest, Hold, Sweep, Cycle)")
        object.__setattr__(self, "steps", steps)

    def __iter__(self):
        return iter(self.steps)

    @property
    def n_cycles(self) -> int:
        """Number of top-level cycle repeats (1 when there is no Cycle)."""
        return max((s.repeat for s in self.steps if isinstance(s, Cycle)), default=1)


def count_steps(steps) -> int:
    """Number of steps :func:`flatten` yields, computed without expanding the cycles."""
    n = 0
    for s in steps:
        n += s.repeat * count_steps(s.steps) if isinstance(s, Cycle) else 1
    return n


def flatten(steps, cycle_offset: int = 0):
    """Yield ``(cycle_index, step)`` pairs with every :class:`Cycle` expanded.

    The cycle index counts from 1; steps outside any cycle belong to cycle 1
    (a plain discharge followed by a charge is "cycle 1"). Nested cycles
    count in the outermost loop.
    """
    cycle = 1 + cycle_offset
    for s in steps:
        if isinstance(s, Cycle):
            for r in range(s.repeat):
                for inner in s.steps:
                    if isinstance(inner, Cycle):
                        for _c, st in flatten([inner]):
                            yield cycle + r, st
                    else:
                        yield cycle + r, inner
            cycle += s.repeat
        else:
            yield cycle, s
