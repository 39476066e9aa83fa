"""The cycler-language text form of a protocol, read and written.

``parse_protocol`` turns text such as::

    Rest for 30 min
    (Discharge at 500 mA/g for 500 mAh/g or until 1.5 V;
     Charge at 500 mA/g for 500 mAh/g or until 4.8 V) x 1000

into the step objects of :mod:`metalair.protocols.steps`, and
``format_protocol`` writes step objects back as text that parses to the same
objects. This module is one of the edges where user units (mA/g, mAh/g, min,
h, mV/s) meet SI; the conversion itself is :func:`metalair.units.parse_quantity`.

Grammar (case and spacing do not matter; ``100mA/g`` = ``100 mA / g``)::

    protocol  := item { (newline | ";") item }      empty items are skipped
    item      := [label ":"] step  |  "(" protocol ")" repeat
    repeat    := ("x" | "×" | "*") N | "repeat" N ["times"] | N "times"     N a whole number >= 1
    step      := galvano | rest | hold | sweep        an optional final "." is ignored
    galvano   := ("Discharge" | "Charge") ["at"] CURRENT limit { ("or" | ",") [kw] LIMIT }
    limit     := ("until" | "to" | "up to" | "down to" | "for") LIMIT
                 LIMIT is a voltage, a capacity or a time; its unit says which
                 (a bare number after "until"/"to" is volts: "until 1.5" = "until 1.5 V")
    rest      := ("Rest" | "OCV") ["for"] TIME
    hold      := "Hold" ["at"] VOLTAGE limit { ("or" | ",") [kw] LIMIT }   LIMIT: a current or a time
    sweep     := ("Sweep" | "CV") clauses, in any order:
                 range         "1.5-4.5 V" | "1.5 V to 4.5 V" | "from 1.5 to 4.5 V" | "between 1.5 and 4.5 V"
                 scan rate     "at 0.1 mV/s"
                 cycles        "for 3 cycles" | "3 cycles" | "x 3"
                 direction     "first up" | "first down" | "starting up"     (default down)
                 start         "starting at 3.0 V"

A voltage may be a bare number of volts wherever only a voltage can stand
(``until 1.5``, ``Hold at 4.5``, ``Sweep 1.5-4.5``, ``starting at 3``), as
``until=1.5`` is for the step objects (``docs/conventions.md``); currents,
capacities, times and scan rates need their units.

Everything after ``#`` on a line is a comment.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from metalair.errors import ParameterError, ProtocolError
from metalair.protocols.steps import (
    Charge,
    Cycle,
    Discharge,
    Hold,
    Protocol,
    Rest,
    SIValue,
    Step,
    Sweep,
)
from metalair.units import UNITS, parse_quantity, to_user

__all__ = ["parse_protocol", "format_protocol", "as_protocol", "ACCEPTED_FORMS"]

_STEP_TYPES = (Discharge, Charge, Rest, Hold, Sweep, Cycle)

# (form, worked example); the examples are tested to parse.
_FORMS: tuple[tuple[str, str], ...] = (
    ("Discharge at <current> until <voltage>", "Discharge at 100 mA/g until 1.5 V"),
    ("Charge at <current> until <voltage>", "Charge at 100 mA/g until 4.8 V"),
    (
        "Discharge|Charge at <current> for <capacity> or until <voltage>",
        "Discharge at 500 mA/g for 500 mAh/g or until 1.5 V",
    ),
    ("Discharge|Charge at <current> for <time> [or until <voltage>]", "Discharge at 100 mA/g for 2 h or until 2.0 V"),
    ("Rest for <time>", "Rest for 30 min"),
    ("Hold at <voltage> until <current> [or <time>]", "Hold at 4.5 V until 10 mA/g or 2 h"),
    ("Hold at <voltage> for <time>", "Hold at 4.5 V for 1 h"),
    ("Sweep <lower>-<upper> V at <scan rate>", "Sweep 1.5-4.5 V at 0.1 mV/s"),
    ("CV from <lower> to <upper> at <scan rate> for <n> cycles", "CV from 1.5 V to 4.5 V at 0.1 mV/s for 3 cycles"),
    (
        "(<step>; <step>; ...) x <n>      a cycle repeated n >= 1 times; groups nest",
        "(Discharge at 500 mA/g for 500 mAh/g or until 1.5 V; Charge at 500 mA/g for 500 mAh/g or until 4.8 V) x 1000",
    ),
    ("<label>: <step>                 an optional label", "formation: Discharge at 50 mA/g until 1.5 V"),
)

#: The unit a bare number's error message suggests, per dimension.
_PREFERRED_UNIT = {
    "specific current": "mA/g",
    "specific capacity": "mAh/g",
    "potential": "V",
    "time": "min",
    "scan rate": "mV/s",
}

_DIMENSION_WORDS = {
    "specific current": "current",
    "specific capacity": "capacity",
    "potential": "voltage",
    "time": "time",
    "scan rate": "scan rate",
}


def _units_line() -> str:
    parts = []
    for dim, word in _DIMENSION_WORDS.items():
        units = ", ".join(u for u, (d, _f) in UNITS.items() if d == dim)
        parts.append(f"    {word}: {units}")
    return "\n".join(parts)


#: Every accepted step form with one worked example each (printed by parse errors and the CLI).
ACCEPTED_FORMS: str = (
    "Accepted forms (one step per line or separated by ';'; case and spaces do not matter):\n"
    + "\n".join(f"  {form}\n      e.g. {example}" for form, example in _FORMS)
    + "\nUnits:\n"
    + _units_line()
)

# ---------------------------------------------------------------------------
# errors


class _StepSyntax(Exception):
    """Raised inside the step reader; the caller adds where it happened."""


def _syntax_error(where: str, text: str, detail: str) -> ProtocolError:
    if re.search(r"(?i)(?:^|\s)(?:[x×*]\s*\d+|\d+\s*times)\.?$", text):
        detail += "; to repeat steps, put them in parentheses: '(Rest for 30 min; Charge at 100 mA/g until 4.8 V) x 3'"
    return ProtocolError(f"{where}: cannot read '{text}': {detail}\n\n{ACCEPTED_FORMS}")


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word.lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if not close:
        return ""
    original = next(c for c in choices if c.lower() == close[0])
    return f"; did you mean '{original}'?"


# ---------------------------------------------------------------------------
# tokens of one step


def _prefixed(unit: str) -> bool:
    """Whether ``unit`` starts with the prefix m (milli) or M (mega): mA, MHz, mbar, mmol/g; not min, mol, m2/g."""
    return len(unit) > 1 and unit[0] in "mM" and (unit[1:] in UNITS or unit[1].isupper() or unit[1] == "Ω")


_UNIT_LOOKUP: dict[str, str] = {u.lower(): u for u in UNITS if not _prefixed(u)}
_UNIT_LOOKUP.update(
    {
        "μa/g": "uA/g",  # Greek mu as well as the micro sign
    }
)
#: Units that begin with m or M, looked up with that letter as written: m (milli) and M (mega) are not the
#: same prefix ("MA/g" is not "mA/g"); only the letters after it may be in either case ("mv", "MAH/G" no).
_M_UNITS: dict[str, str] = {u[0] + u[1:].lower(): u for u in UNITS if _prefixed(u)}


def _unit(word: str) -> str | None:
    """The canonical unit of ``word`` (case-insensitive, except the m/M of a prefix), or None."""
    if word in UNITS:
        return word
    found = _M_UNITS.get(word[0] + word[1:].lower())
    if found is None and word[0] in "mM":
        if word[0].swapcase() + word[1:].lower() in _M_UNITS:
            other = _M_UNITS[word[0].swapcase() + word[1:].lower()]
            raise _StepSyntax(f"unknown unit '{word}': units are case-sensitive in their prefix (m is milli, M is "
                              f"mega); did you mean '{other}'?")
    return found if found is not None else _UNIT_LOOKUP.get(word.lower())


_TOKEN = re.compile(
    r"(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<word>[^\W\d_]+(?:/[^\W\d_]+)*)"
    r"|(?P<sign>[-+])"
    r"|(?P<comma>,)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)


class _Tok(NamedTuple):
    kind: str  # "qty", "word", "dash", "comma", "other"
    text: str  # number text for "qty", lower-case word for "word"
    unit: str | None = None  # canonical unit of a "qty", None when the number has none
    original: str = ""  # a word as written, for messages

    @property
    def raw(self) -> str:
        if self.kind == "qty":
            return f"{self.text} {self.unit}" if self.unit else self.text
        return self.original or self.text


def _normalise(text: str) -> str:
    text = text.replace("×", " x ").replace("–", "-").replace("—", "-").replace("−", "-")
    text = text.replace("⁻¹", "-1")
    # "mA g-1", "mAh g^-1", "mV s-1" -> "mA/g", "mAh/g", "mV/s"
    text = re.sub(r"(?<=[^\W\d_])[\s·⋅]+(kg|g|s)\s*\^?\s*-\s*1(?![\d.])", r"/\1", text)
    text = re.sub(r"\s*/\s*", "/", text)
    return text


def _tokenise(text: str) -> list[_Tok]:
    pieces = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(_normalise(text))]
    tokens: list[_Tok] = []
    i = 0
    while i < len(pieces):
        kind, piece = pieces[i]
        if kind == "space":
            i += 1
            continue
        if kind == "sign":
            # a sign glued to a number starts a signed number unless it follows a number ("1.5-4.5 V")
            follows_number = bool(tokens) and tokens[-1].kind == "qty"
            if not follows_number and i + 1 < len(pieces) and pieces[i + 1][0] == "num":
                i += 1
                kind, piece = "num", piece + pieces[i][1]
            else:
                tokens.append(_Tok("dash" if piece == "-" else "other", piece))
                i += 1
                continue
        if kind == "num":
            j = i + 1
            if j < len(pieces) and pieces[j][0] == "space":
                j += 1
            unit = None
            if j < len(pieces) and pieces[j][0] == "word":
                unit = _unit(pieces[j][1])
            tokens.append(_Tok("qty", piece, unit))
            i = j + 1 if unit else i + 1
            continue
        if kind == "word":
            tokens.append(_Tok("word", piece.lower(), None, piece))
        elif kind == "comma":
            tokens.append(_Tok("comma", piece))
        else:
            tokens.append(_Tok("other", piece))
        i += 1
    return tokens


_LIKE = {
    "specific current": "a current like '100 mA/g'",
    "specific capacity": "a capacity like '500 mAh/g'",
    "potential": "a voltage like '1.5 V'",
    "time": "a time like '30 min'",
    "scan rate": "a scan rate like '0.1 mV/s'",
}


#: (dimension written, dimension wanted) -> how to turn the first into the second: metalair's currents and
#: capacities are per gram of catalyst, a cycler's are of the whole cell (or per electrode area).
_PER_GRAM = {
    ("current", "specific current"): ("; metalair takes currents per gram of catalyst: divide the cell current by "
                                      "the catalyst mass (0.05 mA on 0.5 mg of catalyst is 100 mA/g)"),
    ("current density", "specific current"): ("; metalair takes currents per gram of catalyst: divide the areal "
                                              "current by the catalyst loading (0.1 mA/cm² on 0.5 mg/cm² of "
                                              "catalyst is 200 mA/g)"),
    ("charge", "specific capacity"): ("; metalair takes capacities per gram of catalyst: divide the charge by the "
                                      "catalyst mass (0.25 mAh on 0.5 mg of catalyst is 500 mAh/g)"),
}


def _like(dims: tuple[str, ...]) -> str:
    names = [_LIKE[d] for d in dims]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


class _Cursor:
    def __init__(self, tokens: list[_Tok], last: str) -> None:
        self.tokens = tokens
        self.i = 0
        self.last = last  # the text just read, for "after '...'"

    def done(self) -> bool:
        return self.i >= len(self.tokens)

    def peek(self, k: int = 0) -> _Tok | None:
        j = self.i + k
        return self.tokens[j] if j < len(self.tokens) else None

    def head(self) -> _Tok:
        """The next token (only when not :meth:`done`)."""
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        self.last = tok.raw
        return tok

    def is_word(self, *words: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind == "word" and tok.text in words

    def word(self, *words: str) -> str | None:
        if self.is_word(*words):
            return self.take().text
        return None

    def got(self) -> str:
        tok = self.peek()
        return "the step ends there" if tok is None else f"got '{tok.raw}'"

    def unexpected(self, expected: str, keywords: tuple[str, ...] = ()) -> _StepSyntax:
        tok = self.peek()
        hint = _suggest(tok.text, list(keywords)) if tok is not None and tok.kind == "word" else ""
        return _StepSyntax(f"expected {expected} after '{self.last}', {self.got()}{hint}")

    def quantity(self, dims: tuple[str, ...], bare_volts: bool = False) -> tuple[str, float]:
        """Read a number with a unit of one of ``dims``; return (dimension, SI value).

        With ``bare_volts`` (where only a voltage can follow, e.g. ``until 1.5``), a
        bare number is a potential in volts, as in the step objects (``until=1.5``).
        """
        expected = _like(dims)
        tok = self.peek()
        if tok is None or tok.kind != "qty":
            raise self.unexpected(expected)
        if tok.unit is None:
            nxt = self.peek(1)
            unknown = nxt is not None and nxt.kind == "word" and nxt.text not in _KEYWORDS
            if bare_volts and "potential" in dims and not unknown:
                try:
                    value = parse_quantity(f"{tok.text} V", "potential")
                except ParameterError as exc:
                    raise _StepSyntax(str(exc)) from None
                self.take()
                return "potential", SIValue(value)
            if nxt is not None and unknown:
                # the number came with a unit metalair does not read: the same number in another unit would be
                # a different quantity ('100 mA/kg' is not '100 mA/g'), so no such example is offered
                why = "the units metalair reads are listed below"
                if "/cm" in nxt.raw.lower() and "specific current" in dims:
                    why = "a current per electrode area" + _PER_GRAM["current density", "specific current"]
                raise _StepSyntax(f"expected {expected} after '{self.last}', got '{tok.text} {nxt.raw}' "
                                  f"(unknown unit '{nxt.raw}': {why})")
            shown = [d for d in dims if d in _PREFERRED_UNIT and (d != "potential" or len(dims) == 1)]
            how = " or ".join(f"'{tok.text} {_PREFERRED_UNIT[d]}'" for d in shown)
            raise _StepSyntax(
                f"expected {expected} after '{self.last}', got '{tok.text}' without a unit"
                + (f"; write it with its unit, e.g. {how}" if how else "")
            )
        dim = UNITS[tok.unit][0]
        if dim not in dims:
            hint = next((text for (found, wanted), text in _PER_GRAM.items() if found == dim and wanted in dims), "")
            if tok.unit == "C" and "specific current" in dims:
                hint = "; a C-rate is not taken: give the current per gram of catalyst, e.g. '100 mA/g'"
            raise _StepSyntax(f"expected {expected} after '{self.last}', got '{tok.raw}', which is a {dim}{hint}")
        try:
            value = parse_quantity(f"{tok.text} {tok.unit}", dim)
        except ParameterError as exc:
            raise _StepSyntax(str(exc)) from None
        self.take()
        return dim, SIValue(value)


# ---------------------------------------------------------------------------
# one step

# a step reader returns a function of the label that builds the step object
_Build = Callable[[str], Step]


def _limit_keyword(cur: _Cursor) -> str | None:
    """Consume 'until' / 'to' / 'up to' / 'down to' / 'for'; return it ('to' for 'up/down to'), or None."""
    if cur.is_word("up", "down") and cur.is_word("to", k=1):
        cur.take()
        cur.take()
        return "to"
    return cur.word("until", "to", "for")


def _limits(cur: _Cursor, fields: dict[str, str], step: str) -> dict[str, float]:
    """Read ``limit { or LIMIT }``; ``fields`` maps a dimension to the step's field name."""
    dims = tuple(fields)
    found: dict[str, float] = {}
    first = True
    while not cur.done() or first:
        if first:
            keyword = _limit_keyword(cur)
            if keyword is None:
                raise cur.unexpected(f"a limit ('until ...' or 'for ...') for the {step}", ("until", "for"))
        else:
            if cur.head().kind == "comma":
                cur.take()
                cur.word("or")
            elif cur.word("or") is None:
                raise cur.unexpected("'or' and another limit, or the end of the step", ("or",))
            keyword = _limit_keyword(cur)
        first = False
        # "until 1.5" / "to 1.5": a bare number is volts (docs/conventions.md), as until=1.5 is for the objects
        dim, value = cur.quantity(dims, bare_volts=keyword in ("until", "to"))
        name = fields[dim]
        if name in found:
            raise _StepSyntax(f"two {_DIMENSION_WORDS[dim]} limits in one step (the second is '{cur.last}'); give one")
        found[name] = value
    return found


def _galvanostatic(cls: type, cur: _Cursor) -> _Build:
    cur.word("at")
    _dim, current = cur.quantity(("specific current",))
    limits = _limits(
        cur, {"potential": "until", "specific capacity": "capacity", "time": "duration"}, cls.__name__.lower()
    )
    return lambda label: cls(current=current, label=label, **limits)


def _rest(cur: _Cursor) -> _Build:
    cur.word("for")
    _dim, duration = cur.quantity(("time",))
    if not cur.done():
        raise cur.unexpected("the end of the step (a rest takes only a duration)")
    return lambda label: Rest(duration=duration, label=label)


def _hold(cur: _Cursor) -> _Build:
    cur.word("at")
    _dim, voltage = cur.quantity(("potential",), bare_volts=True)
    limits = _limits(cur, {"specific current": "until_current", "time": "duration"}, "hold")
    return lambda label: Hold(voltage=voltage, label=label, **limits)


def _count(cur: _Cursor) -> int:
    tok = cur.peek()
    if tok is None or tok.kind != "qty" or tok.unit is not None or not tok.text.isdigit():
        raise cur.unexpected("a whole number of cycles like '3'")
    cur.take()
    return int(tok.text)


def _bare_or_voltage(cur: _Cursor) -> tuple[str, str | None]:
    tok = cur.peek()
    if tok is None or tok.kind != "qty" or (tok.unit is not None and UNITS[tok.unit][0] != "potential"):
        raise cur.unexpected("a voltage like '1.5 V'")
    cur.take()
    return tok.text, tok.unit


def _range(cur: _Cursor) -> tuple[float, float]:
    lo_text, lo_unit = _bare_or_voltage(cur)
    tok = cur.peek()
    if tok is not None and tok.kind == "dash":
        cur.take()
    elif cur.word("to", "and") is None:
        raise cur.unexpected("'-', 'to' or 'and' and the upper voltage", ("to", "and"))
    hi_text, hi_unit = _bare_or_voltage(cur)
    try:  # bare numbers are volts (docs/conventions.md), as lower=1.5, upper=4.5 are for Sweep
        lower = parse_quantity(f"{lo_text} {lo_unit or hi_unit or 'V'}", "potential")
        upper = parse_quantity(f"{hi_text} {hi_unit or lo_unit or 'V'}", "potential")
    except ParameterError as exc:
        raise _StepSyntax(str(exc)) from None
    return lower, upper


_KEYWORDS = {"at", "until", "to", "up", "down", "for", "or", "and", "from", "between", "first", "start",
             "starting", "x", "cycles", "cycle", "times"}
_SWEEP_WORDS = ("from", "between", "at", "for", "x", "first", "starting", "start", "up", "down")


def _sweep(cur: _Cursor) -> _Build:
    found: dict[str, Any] = {}

    def put(name: str, value: Any, what: str) -> None:
        if name in found:
            raise _StepSyntax(f"the sweep has two {what}s (the second ends at '{cur.last}'); give one")
        found[name] = value

    while not cur.done():
        tok = cur.head()
        nxt = cur.peek(1)
        if tok.kind == "comma":
            cur.take()
        elif cur.word("from", "between"):
            put("range", _range(cur), "voltage range")
        elif tok.kind == "qty" and tok.unit is None and nxt is not None and nxt.kind == "word" and nxt.text in (
            "cycles",
            "cycle",
        ):
            put("cycles", _count(cur), "cycle count")
            cur.take()
        elif tok.kind == "qty" and (tok.unit is None or UNITS[tok.unit][0] == "potential"):
            put("range", _range(cur), "voltage range")
        elif cur.word("at"):
            put("scan_rate", cur.quantity(("scan rate",))[1], "scan rate")
        elif tok.kind == "qty" and tok.unit is not None and UNITS[tok.unit][0] == "scan rate":
            put("scan_rate", cur.quantity(("scan rate",))[1], "scan rate")
        elif cur.word("for"):
            put("cycles", _count(cur), "cycle count")
            if cur.word("cycles", "cycle") is None:
                raise cur.unexpected("'cycles'", ("cycles",))
        elif cur.word("x"):
            put("cycles", _count(cur), "cycle count")
            cur.word("cycles", "cycle", "times")
        elif cur.word("first", "starting", "start"):
            if cur.is_word("up", "down"):
                put("first", cur.take().text, "direction")
            else:
                cur.word("at", "from")
                put("start", cur.quantity(("potential",), bare_volts=True)[1], "start voltage")
        elif cur.is_word("up", "down") and cur.is_word("first", k=1):
            put("first", cur.take().text, "direction")
            cur.take()
        else:
            raise cur.unexpected(
                "a voltage range, 'at <scan rate>', 'for <n> cycles', 'first up|down' or 'starting at <voltage>'",
                _SWEEP_WORDS,
            )
    if "range" not in found:
        raise _StepSyntax("the sweep has no voltage range; write it like 'Sweep 1.5-4.5 V at 0.1 mV/s'")
    if "scan_rate" not in found:
        raise _StepSyntax("the sweep has no scan rate; write it like 'Sweep 1.5-4.5 V at 0.1 mV/s'")
    lower, upper = found.pop("range")
    return lambda label: Sweep(lower=lower, upper=upper, label=label, **found)


_VERBS: dict[str, Callable[[_Cursor], _Build]] = {
    "discharge": lambda cur: _galvanostatic(Discharge, cur),
    "charge": lambda cur: _galvanostatic(Charge, cur),
    "rest": _rest,
    "ocv": _rest,
    "hold": _hold,
    "sweep": _sweep,
    "cv": _sweep,
}
_VERB_NAMES = ["Discharge", "Charge", "Rest", "OCV", "Hold", "Sweep", "CV"]


#: A step label that is a repeat instruction ("Repeat 3 times", "3 times", "3x", "x3", "5 cycles"; "Cycle 3" is a
#: label naming the cycle, and stays one).
_REPEAT_LABEL = re.compile(r"^(?:repeat\b.*|\d+\s*(?:x|×|times|cycles?)|(?:x|×)\s*\d+)$", re.IGNORECASE)


def _parse_step(text: str, where: str) -> Step:
    label = ""
    body = text
    if ":" in text:
        label, body = (part.strip() for part in text.split(":", 1))
        label = " ".join(label.split())
        if _REPEAT_LABEL.search(label):  # 'Repeat 3 times: Discharge ...' ran the step once, labelled
            raise _syntax_error(where, text, f"'{label}:' reads as a label, not a repeat count, so the step would "
                                             f"run once; to repeat steps, put them in parentheses: '({body}) x N'")
    body = re.sub(r"\s*\.\s*$", "", body)
    thousands = re.search(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])", body)
    if thousands:
        raise _syntax_error(where, text, f"'{thousands.group(0)}': write numbers without a thousands separator, "
                                         f"'{thousands.group(0).replace(',', '')}' (or, for a decimal comma, with '.')")
    comma = re.search(r"\d+,\d+", body)
    if comma:
        raise _syntax_error(where, text, f"'{comma.group(0)}' uses a comma as the decimal separator; write "
                                         f"'{comma.group(0).replace(',', '.')}'")
    try:
        tokens = _tokenise(body)
        if not tokens:
            raise _StepSyntax(f"the label '{label}' is followed by no step")
        head = tokens[0]
        if head.kind != "word":
            raise _StepSyntax(
                f"a step starts with its name ({', '.join(_VERB_NAMES)}), got '{head.raw}'"
            )
        start = 1
        verb = head.text
        if verb == "cyclic" and len(tokens) > 1 and tokens[1].text == "voltammetry":
            verb, start = "cv", 2
        if verb not in _VERBS:
            hint = _suggest(verb, _VERB_NAMES) or f"; a step starts with one of {', '.join(_VERB_NAMES)}"
            raise _StepSyntax(f"unknown step '{head.raw}'{hint}")
        build = _VERBS[verb](_Cursor(tokens[start:], " ".join(t.raw for t in tokens[:start])))
    except _StepSyntax as exc:
        raise _syntax_error(where, text, str(exc)) from None
    try:
        return build(label)
    except ProtocolError as exc:  # impossible values, refused by the step object
        raise ProtocolError(f"{where}: '{text}': {exc}") from None


# ---------------------------------------------------------------------------
# groups and separators

_REPEAT = re.compile(
    r"^(?:(?:x|\*)\s*(?P<a>.+?)(?:\s+(?:times|cycles))?"
    r"|(?:repeat(?:ed)?|for)\s+(?P<b>.+?)(?:\s+(?:times|cycles))?"
    r"|(?P<c>.+?)\s*(?:times|x))$"
)


def _repeat(spec: str, where: str, opened: int, line_text: str) -> int:
    clean = re.sub(r"\s*\.$", "", " ".join(spec.replace("×", "x").split())).lower()
    group = f"the group opened on line {opened}"
    example = (
        "write the repeat count after ')', "
        "e.g. '(Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V) x 10'"
    )
    if not clean:
        raise ProtocolError(
            f"{where}: cannot read '{line_text}': {group} has no repeat count; {example}\n\n{ACCEPTED_FORMS}"
        )
    match = _REPEAT.match(clean)
    if not match:
        raise ProtocolError(
            f"{where}: cannot read '{spec.strip()}' after {group}: expected a repeat count like 'x 10'; "
            f"{example}\n\n{ACCEPTED_FORMS}"
        )
    number = match.group("a") or match.group("b") or match.group("c")
    if not number.isdigit() or int(number) < 1:
        raise ProtocolError(
            f"{where}: cannot read '{spec.strip()}' after {group}: the repeat count must be a whole number "
            f"of at least 1, got '{number}'; {example}\n\n{ACCEPTED_FORMS}"
        )
    return int(number)


class _Group:
    def __init__(self, line: int) -> None:
        self.line = line
        self.steps: list[Step] = []


def parse_protocol(text: str) -> Protocol:
    """Read the cycler-language text form of a protocol into step objects.

    Parameters
    ----------
    text : str
        Steps separated by new lines or ``;``, e.g.
        ``"(Discharge at 500 mA/g for 500 mAh/g or until 1.5 V; Charge at 500 mA/g until 4.8 V) x 100"``.
        Case and spaces do not matter; ``#`` starts a comment. The accepted
        forms are listed in :data:`ACCEPTED_FORMS` and the module docstring.

    Returns
    -------
    Protocol
        The steps with SI values (A/kg, C/kg, V, s, V/s); a parenthesised
        group followed by ``x N`` becomes ``Cycle(steps, repeat=N)``.

    Raises
    ------
    ProtocolError
        If a step cannot be read (the message quotes it with its line and step
        number, says what was expected there and lists the accepted forms), if
        parentheses do not balance, if a repeat count is not a whole number
        >= 1, or if a value is impossible (e.g. a negative current).
    """
    if not isinstance(text, str):
        raise ProtocolError(
            f"parse_protocol needs text, not {type(text).__name__} {_clip(repr(text))}: a protocol is text (e.g. "
            "'Discharge at 100 mA/g until 1.5 V') or steps (Discharge(...), Charge(...)); use as_protocol for steps")
    try:
        return _parse_protocol(text)
    except ProtocolError as exc:  # quote long input only in part: the message must stay readable
        message = str(exc)
        if len(message) > 4000:
            raise ProtocolError(_QUOTED.sub(lambda m: "'" + _clip(m.group(1)) + "'", message)) from None
        raise


#: longest piece of the user's input quoted in an error message
_QUOTE_LIMIT = 80
_QUOTED = re.compile(r"'([^'\n]{" + str(_QUOTE_LIMIT + 1) + r",})'")


def _clip(text: str, limit: int = _QUOTE_LIMIT) -> str:
    """``text`` shortened to about ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]} ... {text[-half // 2:]} ({len(text)} characters)"


def _parse_protocol(text: str) -> Protocol:
    lines = text.splitlines() or [""]
    stack = [_Group(1)]
    closed: _Group | None = None  # a group whose ')' was read and whose repeat count is being read
    buf: list[str] = []
    buf_line = 1
    n_steps = 0
    line = 1

    def quote_line(number: int) -> str:
        return lines[number - 1].strip() if number - 1 < len(lines) else ""

    def flush() -> None:
        nonlocal closed, n_steps, buf
        chunk = "".join(buf).strip()
        buf = []
        if closed is not None:
            group, closed = closed, None
            repeat = _repeat(chunk, f"line {buf_line}", group.line, quote_line(buf_line))
            stack[-1].steps.append(Cycle(group.steps, repeat=repeat))
        elif chunk:
            n_steps += 1
            stack[-1].steps.append(_parse_step(chunk, f"line {buf_line}, step {n_steps}"))

    clean = "\n".join(raw.split("#", 1)[0] for raw in lines)
    for char in clean:
        if char in "\n;":
            flush()
            if char == "\n":
                line += 1
        elif char == "(":
            chunk = "".join(buf).strip()
            if closed is not None or chunk:
                hint = (
                    "write the repeat count after the group, e.g. '(...) x 10'"
                    if chunk and re.fullmatch(r"(?i)(?:\d+\s*[x×*]|repeat\s+\d+\s+times:?)", chunk)
                    else "put ';' or a new line between steps"
                )
                raise ProtocolError(
                    f"line {line}: cannot read '{quote_line(line)}': unexpected '(' after '{chunk or ')'}'; "
                    f"{hint}\n\n{ACCEPTED_FORMS}"
                )
            buf = []
            stack.append(_Group(line))
        elif char == ")":
            flush()
            if len(stack) == 1:
                raise ProtocolError(
                    f"line {line}: cannot read '{quote_line(line)}': ')' without a matching '('"
                    f"\n\n{ACCEPTED_FORMS}"
                )
            group = stack.pop()
            if not group.steps:
                raise ProtocolError(
                    f"line {line}: cannot read '{quote_line(line)}': the group '()' opened on line "
                    f"{group.line} has no steps\n\n{ACCEPTED_FORMS}"
                )
            closed = group
            buf_line = line
        else:
            if not buf and not char.isspace() and closed is None:
                buf_line = line
            if not char.isspace() or buf:
                buf.append(char)
    flush()
    if len(stack) > 1:
        opened = stack[-1].line
        raise ProtocolError(
            f"line {opened}: cannot read '{quote_line(opened)}': the '(' opened here is never closed "
            f"with ')'\n\n{ACCEPTED_FORMS}"
        )
    if not stack[0].steps:
        raise ProtocolError(f"the protocol text has no steps\n\n{ACCEPTED_FORMS}")
    return Protocol(stack[0].steps)


# ---------------------------------------------------------------------------
# writing

# preferred user units per dimension, then the SI unit (factor 1, always exact)
_WRITE_UNITS = {
    "specific current": ("mA/g",),
    "potential": ("V",),
    "specific capacity": ("mAh/g",),  # never C/kg: what a user wrote comes back as they wrote it
    "time": ("h", "min", "s"),
    "scan rate": ("mV/s", "V/s"),
}


def _number(value: float, unit: str, dim: str, si: float, digits_tried: tuple[int, ...]) -> str | None:
    """The shortest of ``digits_tried`` significant digits of ``value`` that reads back to ``si`` exactly.

    With 17 digits allowed, the floats next to ``value`` are tried too: the
    number a user wrote (``0.7 mAh/g``) may sit one rounding away from
    ``si / 3600``.
    """
    for digits in digits_tried:
        text = f"{value:.{digits}g}"
        if parse_quantity(f"{text} {unit}", dim) == si:
            return text
    if digits_tried[-1] >= 17:
        below = above = value
        for _ in range(4):
            below, above = math.nextafter(below, -math.inf), math.nextafter(above, math.inf)
            for candidate in (below, above):
                if parse_quantity(f"{candidate!r} {unit}", dim) == si:
                    return repr(candidate)
    return None


def _quantity(si: float, dim: str) -> str:
    """Write ``si`` in the first unit of its dimension that reads back exactly.

    The last unit of a dimension is always used when the others fail; for a
    capacity (only mAh/g) a value that no decimal in mAh/g reproduces exactly
    is written with 17 significant digits, which reads back within one
    rounding (about 1e-16 relative).
    """
    units = _WRITE_UNITS[dim]
    for k, unit in enumerate(units):
        last = k == len(units) - 1
        value = float(to_user(si, unit))
        if dim == "time" and not last:
            if value < 1:
                continue
            digits: tuple[int, ...] = (6,)  # hours and minutes only for short values (1.5 h, 30 min)
        else:
            digits = (6, 12, 17) if last else (6, 12)  # 138.888888889 mAh/g is still readable
        text = _number(value, unit, dim, si, digits)
        if text is not None:
            return f"{text} {unit}"
    return f"{float(to_user(si, units[-1]))!r} {units[-1]}"


def _label_prefix(step: Discharge | Charge | Rest | Hold | Sweep) -> str:
    label = step.label
    if not label:
        return ""
    if not isinstance(label, str) or label != " ".join(label.split()) or any(c in label for c in ":;()#"):
        raise ProtocolError(
            f"the label {label!r} of {type(step).__name__} cannot be written as text: a label must not "
            "contain ':', ';', '(', ')', '#', new lines or leading, trailing or repeated spaces"
        )
    return f"{label}: "


def _format_step(step: Step) -> str:
    if isinstance(step, Cycle):
        return "(" + "; ".join(_format_step(s) for s in step.steps) + f") x {step.repeat}"
    prefix = _label_prefix(step)
    if isinstance(step, (Discharge, Charge)):
        limits = []
        if step.capacity is not None:
            limits.append(f"for {_quantity(step.capacity, 'specific capacity')}")
        if step.duration is not None:
            limits.append(f"for {_quantity(step.duration, 'time')}")
        if step.until is not None:
            limits.append(f"until {_quantity(step.until, 'potential')}")
        name = type(step).__name__
        return f"{prefix}{name} at {_quantity(step.current, 'specific current')} " + " or ".join(limits)
    if isinstance(step, Rest):
        return f"{prefix}Rest for {_quantity(step.duration, 'time')}"
    if isinstance(step, Hold):
        limits = []
        if step.until_current is not None:
            limits.append(f"until {_quantity(step.until_current, 'specific current')}")
        if step.duration is not None:
            limits.append(("or " if limits else "for ") + _quantity(step.duration, "time"))
        return f"{prefix}Hold at {_quantity(step.voltage, 'potential')} " + " ".join(limits)
    if isinstance(step, Sweep):
        lower = _quantity(step.lower, "potential")[: -len(" V")]
        text = f"{prefix}Sweep {lower}-{_quantity(step.upper, 'potential')} at {_quantity(step.scan_rate, 'scan rate')}"
        if step.cycles != 1:
            text += f" for {step.cycles} cycles"
        if step.first != "down":
            text += f", first {step.first}"
        if step.start is not None:
            text += f", starting at {_quantity(step.start, 'potential')}"
        return text
    raise ProtocolError(f"{step!r} is not a protocol step (Discharge, Charge, Rest, Hold, Sweep, Cycle)")


def format_protocol(protocol: Protocol | Step | list | tuple | str) -> str:
    """Write a protocol in the text form that :func:`parse_protocol` reads.

    Values are written in user units (mA/g, mAh/g, V, h/min/s, mV/s) with as
    few digits as read back to the identical float, so
    ``parse_protocol(format_protocol(p)) == p`` for every protocol written
    with user units; where h, min or mV/s cannot reproduce a float exactly,
    s or V/s is written. Capacities are always in mAh/g (never C/kg): a
    capacity given in SI that no decimal in mAh/g reproduces exactly reads
    back within one rounding (about 1e-16 relative).

    Parameters
    ----------
    protocol : Protocol, step, list of steps or str
        Anything :func:`as_protocol` accepts.

    Returns
    -------
    str
        One top-level step per line; cycles as ``(step; step) x N``.

    Raises
    ------
    ProtocolError
        If a step label cannot be written as text (it contains ``:``, ``;``,
        parentheses, ``#`` or stray spaces).
    """
    return "\n".join(_format_step(s) for s in as_protocol(protocol).steps)


def as_protocol(obj: Protocol | Step | list | tuple | str) -> Protocol:
    """Return ``obj`` as a :class:`Protocol`.

    Parameters
    ----------
    obj : Protocol, step, list or tuple of steps, or str
        A protocol is returned as it is, a single step is wrapped, text is read
        with :func:`parse_protocol`; a list may mix steps, protocols and text.

    Raises
    ------
    ProtocolError
        If ``obj`` (or an item of it) is none of these, or the list is empty.
    """
    if isinstance(obj, Protocol):
        return obj
    if isinstance(obj, str):
        return parse_protocol(obj)
    if isinstance(obj, _STEP_TYPES):
        return Protocol([obj])
    if isinstance(obj, (list, tuple)):
        steps: list[Step] = []
        for k, item in enumerate(obj, start=1):
            if isinstance(item, _STEP_TYPES):
                steps.append(item)
            elif isinstance(item, (Protocol, str)):
                steps.extend(as_protocol(item).steps)
            else:
                raise ProtocolError(
                    f"item {k} of the list, {item!r}, is not a step (Discharge, Charge, Rest, Hold, Sweep, "
                    "Cycle), a Protocol or protocol text"
                )
        if not steps:
            raise ProtocolError("an empty list is not a protocol; give at least one step, e.g. 'Rest for 30 min'")
        return Protocol(steps)
    raise ProtocolError(
        f"cannot make a protocol from {type(obj).__name__} {_clip(repr(obj))}: a protocol is text (such as "
        "'Discharge at 100 mA/g until 1.5 V') or steps (a step, a list of steps or a Protocol)"
    )
