"""Protocol step objects: what a cycler or potentiostat is told to do.

Steps are objects first and text second (the parser in
:mod:`metalair.protocols.parser` builds these). A value is written with its
unit (``"100 mA/g"``, ``"500 mAh/g"``, ``"30 min"``, ``"0.1 mV/s"``,
``"1.5 V"``); a bare number is accepted only for a potential (volts), since
``capacity=500`` could mean mAh/g or C/kg. SI numbers can be given through
unit-suffixed keywords (``current_A_per_kg``, ``capacity_C_per_kg``,
``duration_s``, ``until_current_A_per_kg``, ``scan_rate_V_per_s``). Values
are stored in SI: specific currents in A/kg of catalyst (= mA/g), capacities
in C/kg (1 mAh/g = 3600 C/kg), potentials in V vs Na+/Na, times in s (see
``docs/conventions.md``).

Sign convention (written down once, see ``docs/conventions.md``): a step's
``current`` is a positive magnitude; :class:`Discharge` draws it from the cell
(reduction at the air electrode), :class:`Charge` pushes it in. In time series
the cell current is positive on discharge.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from metalair.errors import ProtocolError
from metalair.units import is_bare_number, parse_quantity, to_user

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
    "I_ABS_MAX",
    "SCAN_RATE_MAX",
    "SIValue",
    "Quantity",
]

#: Potentials outside this window (V vs Na+/Na) are refused: below 0 V sodium
#: plates on the air electrode, above 6 V every known electrolyte decomposes.
V_ABS_MIN = 0.0
V_ABS_MAX = 6.0
#: Largest specific current accepted [A/kg] (= 100 A/g), far above any cell.
I_ABS_MAX = 1.0e5
#: Largest scan rate accepted [V/s].
SCAN_RATE_MAX = 10.0

#: A value with its unit (``"100 mA/g"``), or a number (volts only; see :func:`_si`).
Quantity = float | int | str

#: Preferred user unit and SI keyword of every field whose bare number would be ambiguous.
_AMBIGUOUS = {
    "specific current": ("mA/g", "A_per_kg"),
    "specific capacity": ("mAh/g", "C_per_kg"),
    "time": ("s", "s"),
    "scan rate": ("mV/s", "V_per_s"),
}


class SIValue(float):
    """A number already in SI units (A/kg, C/kg, s, V/s), as a step stores it.

    Steps keep their values as ``SIValue`` so that a step rebuilt from another
    step's fields (``dataclasses.replace``, ``Discharge(d.current, ...)``)
    needs no unit; any arithmetic on it gives a plain float, which needs one
    again.
    """

    __slots__ = ()


def _si(value: Quantity | None, dimension: str, field_name: str, step: str, si: float | None = None) -> float | None:
    """The SI value of a step field given as text with a unit, an SI keyword, or a bare number.

    A bare number is taken as it is only for potentials (V). For currents,
    capacities, durations and scan rates it is refused: ``capacity=500`` could
    mean mAh/g or C/kg, and ``duration=30`` seconds or minutes. A string
    holding a bare number (``"1.5"``, ``"30"``) is treated as that number.
    """
    if si is not None:
        keyword = f"{field_name}_{_AMBIGUOUS[dimension][1]}"
        if value is not None:
            raise ProtocolError(f"{step}: give {field_name} or {keyword}, not both")
        if isinstance(si, bool) or not isinstance(si, numbers.Real):
            raise ProtocolError(f"{step}: {keyword} must be a number (SI), got {si!r}")
        value = SIValue(si)
    if value is None:
        return None
    shown: Any = value
    if isinstance(value, str) and is_bare_number(value):
        # a bare number in a string ("1.5", "30") is read as the bare number it holds
        shown, value = value, float(value)
    if isinstance(value, str):
        try:
            return SIValue(parse_quantity(value, dimension))
        except ValueError as exc:
            raise ProtocolError(f"{step}: field '{field_name}': {exc}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ProtocolError(
            f"{step}: field '{field_name}' must be a string with a unit (e.g. {_example(dimension)!r}), got {value!r}"
        )
    if not math.isfinite(value):
        raise ProtocolError(f"{step}: field '{field_name}' is {value}, which is not a finite number")
    if dimension in _AMBIGUOUS and not isinstance(value, SIValue):
        unit, suffix = _AMBIGUOUS[dimension]
        number = shown.strip() if isinstance(shown, str) else repr(value)
        raise _Ambiguous(
            f"{field_name}={shown!r} is ambiguous: write {field_name}='{value:g} {unit}' "
            f"(or give SI with {field_name}_{suffix}={number})"
        )
    return SIValue(value)


class _Ambiguous(ProtocolError):
    """A bare number where a unit is needed (collected, so one message names every such field)."""


def _convert(step: str, fields: list[tuple[str, Quantity | None, str, float | None]]) -> list[float | None]:
    """:func:`_si` of each ``(field, value, dimension, si)``; every ambiguous field is named in one error."""
    out: list[float | None] = []
    ambiguous: list[str] = []
    for name, value, dimension, si in fields:
        try:
            out.append(_si(value, dimension, name, step, si))
        except _Ambiguous as exc:
            ambiguous.append(str(exc))
            out.append(None)
    if ambiguous:
        raise ProtocolError(f"{step}: " + "; ".join(ambiguous))
    return out


def _example(dimension: str) -> str:
    return {"specific current": "100 mA/g", "specific capacity": "500 mAh/g", "time": "30 min",
            "scan rate": "0.1 mV/s", "potential": "1.5 V"}[dimension]


def _positive(value: float | None, field_name: str, step: str, unit: str, upper: float = math.inf) -> None:
    if value is not None and not (0.0 < value <= upper):
        shown = to_user(value, unit)
        rng = f"greater than 0 {unit}" if math.isinf(upper) else f"in (0, {to_user(upper, unit):g}] {unit}"
        raise ProtocolError(f"{step}: field '{field_name}' = {shown:g} {unit} is not allowed; it must be {rng}")


def _potential(value: float | None, field_name: str, step: str) -> None:
    if value is not None and not (V_ABS_MIN < value < V_ABS_MAX):
        raise ProtocolError(
            f"{step}: field '{field_name}' = {value:g} V is outside the allowed window "
            f"({V_ABS_MIN:g}, {V_ABS_MAX:g}) V vs Na+/Na"
        )


def _whole(value: Any) -> Any:
    """An integer of any integer type (``numpy.int64(3)``, from ``np.arange`` or a table) as a plain ``int``.

    Anything else (a bool, a float such as 3.0, text) is returned as it is, for the caller to refuse.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value


def _set(obj: object, **values: Any) -> None:
    for name, value in values.items():
        object.__setattr__(obj, name, value)



def _refuse_unknown(name: str, unknown: dict[str, Any], cls: type) -> None:
    """A keyword the step does not take: say which, the closest it does take, and all of them."""
    if not unknown:
        return
    import difflib
    import inspect

    allowed = [p for p in inspect.signature(cls).parameters if p != "unknown"]
    key = next(iter(unknown))
    close = difflib.get_close_matches(key, allowed, n=2)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise ProtocolError(f"{name}: no keyword {key!r}; {hint}{name} takes {', '.join(allowed)}")

@dataclass(frozen=True, init=False)
class _Galvanostatic:
    current: float
    until: float | None = None
    capacity: float | None = None
    duration: float | None = None
    label: str = ""

    def __init__(self, current: Quantity | None = None, until: Quantity | None = None,
                 capacity: Quantity | None = None, duration: Quantity | None = None, label: str = "", *,
                 current_A_per_kg: float | None = None, capacity_C_per_kg: float | None = None,
                 duration_s: float | None = None, **unknown: Any) -> None:
        name = type(self).__name__
        _refuse_unknown(name, unknown, type(self))
        current_si, until_si, capacity_si, duration_si = _convert(name, [
            ("current", current, "specific current", current_A_per_kg), ("until", until, "potential", None),
            ("capacity", capacity, "specific capacity", capacity_C_per_kg), ("duration", duration, "time", duration_s)])
        if current_si is None:
            raise ProtocolError(f"{name}: a current is needed, e.g. {name}('100 mA/g', until='1.5 V')")
        _set(self, current=current_si, until=until_si, capacity=capacity_si, duration=duration_si, label=label)
        _positive(self.current, "current", name, "mA/g", I_ABS_MAX)
        _potential(self.until, "until", name)
        _positive(self.capacity, "capacity", name, "mAh/g")
        _positive(self.duration, "duration", name, "s")
        if self.until is None and self.capacity is None and self.duration is None:
            raise ProtocolError(
                f"{name} at {to_user(self.current, 'mA/g'):g} mA/g has no end: give a voltage limit (until), "
                "a capacity limit or a duration, e.g. 'Discharge at 100 mA/g until 1.5 V'"
            )


@dataclass(frozen=True, init=False)
class Discharge(_Galvanostatic):
    """Constant-current discharge until a lower voltage, a capacity or a duration.

    Values are written with their units; the step stores SI. A bare number
    is accepted only for voltages (V): ``Discharge(100, capacity=500)`` is
    refused, since 500 could mean mAh/g or C/kg.

    Parameters
    ----------
    current : str
        Specific current magnitude, e.g. ``"100 mA/g"`` (stored in A/kg = mA/g).
    until : str or float, optional
        Lower voltage limit, ``"1.5 V"`` or 1.5 [V].
    capacity : str, optional
        Capacity limit for this step, e.g. ``"500 mAh/g"`` (stored in C/kg).
    duration : str, optional
        Longest duration, e.g. ``"10 h"`` (stored in s).
    label : str
        A name for the step, shown in summaries.
    current_A_per_kg, capacity_C_per_kg, duration_s : float, optional
        The same values as SI numbers, instead of ``current``, ``capacity``
        or ``duration``.

    Raises
    ------
    ProtocolError
        A bare number where a unit is needed, a unit of the wrong kind, a
        value out of range, or no end.
    """

    direction = +1


@dataclass(frozen=True, init=False)
class Charge(_Galvanostatic):
    """Constant-current charge until an upper voltage, a capacity or a duration (fields as :class:`Discharge`)."""

    direction = -1


@dataclass(frozen=True, init=False)
class Rest:
    """Open circuit for a duration (``"30 min"``, or SI seconds as ``duration_s``)."""

    duration: float
    label: str = ""

    def __init__(self, duration: Quantity | None = None, label: str = "", *, duration_s: float | None = None,
                 **unknown: Any) -> None:
        _refuse_unknown("Rest", unknown, type(self))
        (value,) = _convert("Rest", [("duration", duration, "time", duration_s)])
        if value is None:
            raise ProtocolError("Rest: a duration is needed, e.g. Rest('30 min') or 'Rest for 30 min'")
        _set(self, duration=value, label=label)
        _positive(self.duration, "duration", "Rest", "s")


@dataclass(frozen=True, init=False)
class Hold:
    """Potentiostatic hold at ``voltage`` until the current falls below ``until_current`` or a duration.

    ``voltage`` may be a bare number of volts; ``until_current`` (``"10 mA/g"``)
    and ``duration`` (``"1 h"``) need units, or the SI keywords
    ``until_current_A_per_kg`` and ``duration_s``.
    """

    voltage: float
    until_current: float | None = None
    duration: float | None = None
    label: str = ""

    def __init__(self, voltage: Quantity, until_current: Quantity | None = None, duration: Quantity | None = None,
                 label: str = "", *, until_current_A_per_kg: float | None = None,
                 duration_s: float | None = None, **unknown: Any) -> None:
        _refuse_unknown("Hold", unknown, type(self))
        volts, limit, longest = _convert("Hold", [
            ("voltage", voltage, "potential", None),
            ("until_current", until_current, "specific current", until_current_A_per_kg),
            ("duration", duration, "time", duration_s)])
        _set(self, voltage=volts, until_current=limit, duration=longest, label=label)
        if self.voltage is None:
            raise ProtocolError("Hold: a voltage is needed, e.g. Hold('4.5 V', until_current='10 mA/g')")
        _potential(self.voltage, "voltage", "Hold")
        _positive(self.until_current, "until_current", "Hold", "mA/g", I_ABS_MAX)
        _positive(self.duration, "duration", "Hold", "s")
        if self.until_current is None and self.duration is None:
            raise ProtocolError(
                "Hold has no end: give a current limit or a duration, e.g. 'Hold at 4.5 V until 10 mA/g'"
            )


@dataclass(frozen=True, init=False)
class Sweep:
    """Cyclic voltammetry between ``lower`` and ``upper`` at ``scan_rate`` for ``cycles`` cycles.

    The sweep starts at the present open-circuit potential (or ``start``) and
    goes first towards ``first`` ("up" or "down"). Potentials may be bare
    numbers of volts; the scan rate needs its unit (``"0.1 mV/s"``) or the SI
    keyword ``scan_rate_V_per_s``.
    """

    scan_rate: float
    lower: float
    upper: float
    cycles: int = 1
    first: str = "down"
    start: float | None = None
    label: str = ""

    def __init__(self, scan_rate: Quantity | None = None, lower: Quantity | None = None,
                 upper: Quantity | None = None, cycles: int = 1, first: str = "down",
                 start: Quantity | None = None, label: str = "", *, scan_rate_V_per_s: float | None = None,
                 **unknown: Any) -> None:
        _refuse_unknown("Sweep", unknown, type(self))
        rate, low, high, begin = _convert("Sweep", [
            ("scan_rate", scan_rate, "scan rate", scan_rate_V_per_s), ("lower", lower, "potential", None),
            ("upper", upper, "potential", None), ("start", start, "potential", None)])
        _set(self, scan_rate=rate, lower=low, upper=high, cycles=_whole(cycles), first=first, start=begin,
             label=label)
        for name in ("scan_rate", "lower", "upper"):
            if getattr(self, name) is None:
                raise ProtocolError(f"Sweep: {name} is needed, e.g. Sweep('0.1 mV/s', lower=1.5, upper=4.5)")
        _positive(self.scan_rate, "scan_rate", "Sweep", "mV/s", SCAN_RATE_MAX)
        _potential(self.lower, "lower", "Sweep")
        _potential(self.upper, "upper", "Sweep")
        _potential(self.start, "start", "Sweep")
        if self.lower >= self.upper:
            raise ProtocolError(
                f"Sweep: lower = {self.lower:g} V must be below upper = {self.upper:g} V"
            )
        if self.start is not None and not self.lower <= self.start <= self.upper:
            raise ProtocolError(
                f"Sweep: start = {self.start:g} V lies outside the window {self.lower:g}-{self.upper:g} V; start "
                "inside it (or leave start out to begin at the open-circuit potential)"
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

    def __init__(self, steps, repeat: int = 1) -> None:
        if isinstance(steps, (Discharge, Charge, Rest, Hold, Sweep, Cycle)):
            steps = (steps,)  # Cycle(Discharge(...), repeat=2): one step
        if isinstance(steps, str) or not isinstance(steps, (list, tuple)):
            raise ProtocolError(f"Cycle: steps must be a list of steps, e.g. Cycle([Discharge(...), Charge(...)], "
                                f"repeat=10), not {type(steps).__name__} {steps!r:.80}")
        steps = tuple(steps)
        if not steps:
            raise ProtocolError("Cycle: needs at least one step")
        for s in steps:
            if not isinstance(s, (Discharge, Charge, Rest, Hold, Sweep, Cycle)):
                raise ProtocolError(f"Cycle: {s!r} is not a protocol step")
        repeat = _whole(repeat)
        if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
            raise ProtocolError(f"Cycle: repeat = {repeat!r} must be an integer >= 1")
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "repeat", repeat)


Step = Discharge | Charge | Rest | Hold | Sweep | Cycle


@dataclass(frozen=True)
class Protocol:
    """An ordered list of steps (cycles allowed at any level)."""

    steps: tuple

    def __init__(self, steps) -> None:
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
        """Number of cycles the protocol runs, numbered as :func:`flatten` numbers them (1 without a Cycle)."""
        n, used = 0, False
        for s in self.steps:
            if isinstance(s, Cycle):
                n += s.repeat + (1 if used else 0)
                used = False
            else:
                used = used or isinstance(s, (Discharge, Charge))
        return n + (1 if used else 0) or 1


def count_steps(steps) -> int:
    """Number of steps :func:`flatten` yields, computed without expanding the cycles."""
    n = 0
    for s in steps:
        n += s.repeat * count_steps(s.steps) if isinstance(s, Cycle) else 1
    return n


def flatten(steps, cycle_offset: int = 0):
    """Yield ``(cycle_index, step)`` pairs with every :class:`Cycle` expanded.

    The cycle index counts from 1; steps outside any cycle share one cycle
    (a plain discharge followed by a charge is "cycle 1"), and a group of
    such steps with a discharge or charge before a :class:`Cycle` is a cycle of
    its own (a formation discharge is cycle 1, the repeats 2, 3, ...); rests,
    holds and sweeps alone join the cycle that follows, or, after the last
    cycle, the last cycle (a closing rest is not a cycle of its own). Nested
    cycles count in the outermost loop.
    """
    steps = list(steps)
    moving = [i for i, s in enumerate(steps) if isinstance(s, (Cycle, Discharge, Charge))]
    last_moving = moving[-1] if moving else -1
    cycle = 1 + cycle_offset
    used = False  # the current cycle number already holds steps outside a Cycle
    after_cycle = False  # the steps so far end with a Cycle
    for i, s in enumerate(steps):
        if isinstance(s, Cycle):
            if used:
                cycle += 1
                used = False
            for r in range(s.repeat):
                for inner in s.steps:
                    if isinstance(inner, Cycle):
                        for _c, st in flatten([inner]):
                            yield cycle + r, st
                    else:
                        yield cycle + r, inner
            cycle += s.repeat
            after_cycle = True
        elif after_cycle and i > last_moving:  # rests, holds, sweeps after the last cycle: part of it
            yield cycle - 1, s
        else:
            used = used or isinstance(s, (Discharge, Charge))  # a rest, hold or sweep alone joins the next cycle
            after_cycle = after_cycle and not used
            yield cycle, s
