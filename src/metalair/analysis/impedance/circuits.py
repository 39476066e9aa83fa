"""Equivalent circuits written as text, e.g. ``"R0-p(R1,CPE1)-Ws1"``.

Grammar
-------
::

    circuit  := series
    series   := item { "-" item }            elements in series
    item     := element | "p(" series "," series { "," series } ")"   branches in parallel
    element  := TYPE [LABEL]                 LABEL: letters, digits, "_" (e.g. R0, Rct, CPE_dl)

TYPE is one of

======== ======================================== ======================= ===========================
type     impedance                                parameters              units
======== ======================================== ======================= ===========================
``R``    R                                        R                       Ω
``C``    1/(jωC)                                  C                       F
``L``    jωL                                      L                       H
``CPE``  1/(Q (jω)^α)                             Q, alpha                F·s^(α−1), –
``W``    σ√2/√(jω)  (semi-infinite Warburg)       sigma                   Ω·s^(−1/2)
``Ws``   R tanh√(jωτ)/√(jωτ) (finite length,      R, tau                  Ω, s
         transmissive boundary)
``Wo``   R coth√(jωτ)/√(jωτ) (finite space,       R, tau                  Ω, s
         reflective boundary)
======== ======================================== ======================= ===========================

``Ws``/``Wo`` are the names ZView and impedance.py use ("short"/"open"
terminus). Longer type names are matched first (``CPE`` before ``C``,
``Ws``/``Wo`` before ``W``), so a label must not start with ``s`` or ``o``
after a ``W`` (write ``W_so``), nor with ``EP`` after a ``C`` (``CEP1``, a
transposed ``CPE1``, is refused; write ``C_EP1`` for a capacitor). Elements
without a label are numbered per type from 1 in order of appearance
(``"R-p(R,C)"`` is ``R1-p(R2,C1)``).
Parameter names are the element label for one-parameter elements (``R1``,
``C1``, ``L1``, ``W1``) and ``label.parameter`` otherwise (``CPE1.Q``,
``CPE1.alpha``, ``Ws1.R``, ``Ws1.tau``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from metalair.analysis.impedance import elements as _el
from metalair.errors import ParameterError

__all__ = ["Circuit", "ELEMENT_TYPES", "parse_circuit"]


@dataclass(frozen=True)
class _Type:
    name: str
    params: tuple[str, ...]
    units: tuple[str, ...]
    function: Callable[..., np.ndarray]
    description: str


#: The element types of the grammar, longest name first (the order the parser tries them).
ELEMENT_TYPES: dict[str, _Type] = {
    "CPE": _Type("CPE", ("Q", "alpha"), ("F·s^(α-1)", "-"), _el.cpe, "constant-phase element"),
    "Ws": _Type("Ws", ("R", "tau"), ("Ω", "s"), _el.warburg_short, "finite-length (transmissive) Warburg"),
    "Wo": _Type("Wo", ("R", "tau"), ("Ω", "s"), _el.warburg_open, "finite-space (reflective) Warburg"),
    "W": _Type("W", ("sigma",), ("Ω·s^-1/2",), _el.warburg, "semi-infinite Warburg"),
    "R": _Type("R", ("R",), ("Ω",), _el.resistor, "resistor"),
    "C": _Type("C", ("C",), ("F",), _el.capacitor, "capacitor"),
    "L": _Type("L", ("L",), ("H",), _el.inductor, "inductor"),
}

_TOKEN = re.compile(r"\s*(p\(|\(|\)|,|-|(CPE|Ws|Wo|W|R|C|L)([A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Element:
    """One element of a circuit: its type and label."""

    type: str
    label: str

    @property
    def param_names(self) -> tuple[str, ...]:
        t = ELEMENT_TYPES[self.type]
        if len(t.params) == 1:
            return (self.label,)
        return tuple(f"{self.label}.{p}" for p in t.params)

    @property
    def param_units(self) -> tuple[str, ...]:
        return ELEMENT_TYPES[self.type].units


@dataclass(frozen=True)
class _Node:
    kind: str  # "series" | "parallel" | "element"
    children: tuple[_Node, ...] = ()
    element: Element | None = None


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, int, str | None, str | None]] = []
        pos = 0
        stripped = text.rstrip()
        while pos < len(stripped):
            m = _TOKEN.match(stripped, pos)
            if m is None:
                rest = stripped[pos:].strip()
                raise ParameterError(
                    f"circuit {text!r}: cannot read {rest[:20]!r} at position {pos}; elements are "
                    f"{', '.join(ELEMENT_TYPES)} (with an optional label, e.g. R0, CPE1), joined in series by '-' "
                    "and in parallel by p(a,b)"
                )
            tok = m.group(1)
            self.tokens.append((tok, m.start(1), m.group(2), m.group(3)))
            pos = m.end()
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, int, str | None, str | None]:
        if self.i >= len(self.tokens):
            raise ParameterError(f"circuit {self.text!r} ends too early; expected {expected or 'more'}")
        tok = self.tokens[self.i]
        if expected is not None and tok[0] != expected:
            raise ParameterError(f"circuit {self.text!r}: expected {expected!r} at position {tok[1]}, got {tok[0]!r}")
        self.i += 1
        return tok

    def series(self) -> _Node:
        items = [self.item()]
        while self.peek() == "-":
            self.take("-")
            items.append(self.item())
        return items[0] if len(items) == 1 else _Node("series", tuple(items))

    def item(self) -> _Node:
        tok = self.peek()
        if tok == "p(":
            self.take("p(")
            branches = [self.series()]
            while self.peek() == ",":
                self.take(",")
                branches.append(self.series())
            self.take(")")
            if len(branches) < 2:
                raise ParameterError(f"circuit {self.text!r}: p(...) needs at least two branches separated by ','")
            return _Node("parallel", tuple(branches))
        if tok == "(":
            self.take("(")
            inner = self.series()
            self.take(")")
            return inner
        text, pos, typ, label = self.take()
        if typ is None:
            raise ParameterError(f"circuit {self.text!r}: expected an element or p( at position {pos}, got {text!r}")
        written = typ + (label or "")
        longer = next((t for t in ("CPE", "Ws", "Wo") if len(t) > len(typ) and t.startswith(typ)
                       and written.upper().startswith(t.upper()) and not written.startswith(t)), None)
        if longer is not None:  # 'Cpe1' would be a capacitor labelled 'pe1', 'WO1' a Warburg labelled 'O1'
            raise ParameterError(
                f"circuit {self.text!r}: {written!r} reads as {typ!r} labelled {label!r}; element types are "
                f"case-sensitive: write {longer + written[len(longer):]!r} for a {longer}, or "
                f"{typ + '_' + (label or '')!r} for a {typ} with that label")
        if typ == "C" and (label or "").upper().startswith("EP"):  # 'CEP1': a transposed CPE, not a capacitor 'EP1'
            raise ParameterError(
                f"circuit {self.text!r}: {written!r} reads as a capacitor 'C' labelled {label!r}, which looks like a "
                f"misspelt constant-phase element: write {'CPE' + written[3:]!r} for a CPE, or "
                f"{'C_' + (label or '')!r} for a capacitor with that label")
        return _Node("element", element=Element(typ, label or ""))


def _label(node: _Node, used: set[str], counters: dict[str, int]) -> _Node:
    if node.kind == "element":
        assert node.element is not None
        el = node.element
        if el.label:
            return node
        n = counters.get(el.type, 0)
        while True:
            n += 1
            name = f"{el.type}{n}"
            if name not in used:
                break
        counters[el.type] = n
        used.add(name)
        return _Node("element", element=Element(el.type, name))
    return _Node(node.kind, tuple(_label(c, used, counters) for c in node.children))


def _elements(node: _Node) -> list[Element]:
    if node.kind == "element":
        assert node.element is not None
        return [node.element]
    return [e for c in node.children for e in _elements(c)]


def _text(node: _Node) -> str:
    if node.kind == "element":
        assert node.element is not None
        return node.element.label
    if node.kind == "series":
        return "-".join(_text(c) for c in node.children)
    return "p(" + ",".join(_text(c) for c in node.children) + ")"


class Circuit:
    """An equivalent circuit parsed from text (see the module notes for the grammar).

    Parameters
    ----------
    text : str
        E.g. ``"R0-p(R1,C1)"``, ``"L0-R0-p(R1,CPE1)-p(R2,CPE2)-Wo1"``.

    Examples
    --------
    >>> c = Circuit("R0-p(R1,C1)")
    >>> c.param_names
    ('R0', 'R1', 'C1')
    >>> z = c.impedance([1e3], {"R0": 10.0, "R1": 100.0, "C1": 1e-6})
    """

    def __init__(self, text: str):
        if not isinstance(text, str) or not text.strip():
            raise ParameterError(f"a circuit is a non-empty string such as 'R0-p(R1,C1)', got {text!r}")
        parser = _Parser(text)
        tree = parser.series()
        if parser.i != len(parser.tokens):
            tok = parser.tokens[parser.i]
            raise ParameterError(f"circuit {text!r}: unexpected {tok[0]!r} at position {tok[1]}")
        tree = _relabel_with_type(tree)
        used = {e.label for e in _elements(tree) if e.label}
        self._tree = _label(tree, used, {})
        self.elements: tuple[Element, ...] = tuple(_elements(self._tree))
        labels = [e.label for e in self.elements]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ParameterError(f"circuit {text!r}: element labels must be unique; repeated: {', '.join(dup)}")
        self.text = text

    # ------------------------------------------------------------------ description
    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of all parameters, in circuit order."""
        return tuple(n for e in self.elements for n in e.param_names)

    @property
    def param_units(self) -> dict[str, str]:
        """Unit of each parameter."""
        return {n: u for e in self.elements for n, u in zip(e.param_names, e.param_units)}

    def param_kind(self, name: str) -> str:
        """The generic parameter (``"R"``, ``"C"``, ``"alpha"``, ``"tau"`` ...) behind a name."""
        for e in self.elements:
            if name in e.param_names:
                return ELEMENT_TYPES[e.type].params[e.param_names.index(name)]
        raise ParameterError(f"circuit {self}: no parameter {name!r}; parameters: {', '.join(self.param_names)}")

    def __str__(self) -> str:
        return _text(self._tree)

    def __repr__(self) -> str:
        return f"Circuit({str(self)!r})"

    # ------------------------------------------------------------------ evaluation
    def _values(self, params: Mapping[str, float] | Sequence[float] | np.ndarray) -> dict[str, float]:
        names = self.param_names
        if isinstance(params, Mapping):
            missing = [n for n in names if n not in params]
            extra = [k for k in params if k not in names]
            if missing or extra:
                raise ParameterError(
                    f"circuit {self}: parameters {', '.join(names)} are needed"
                    + (f"; missing: {', '.join(missing)}" if missing else "")
                    + (f"; unknown: {', '.join(map(str, extra))}" if extra else "")
                )
            return {n: float(params[n]) for n in names}
        values = np.asarray(params, dtype=float).ravel()
        if values.size != len(names):
            raise ParameterError(f"circuit {self} has {len(names)} parameters ({', '.join(names)}); got {values.size}")
        return dict(zip(names, (float(v) for v in values)))

    def impedance(self, frequency_Hz: Any, params: Mapping[str, float] | Sequence[float] | np.ndarray) -> np.ndarray:
        """Complex impedance at the frequencies (Hz) for the given parameter values."""
        values = self._values(params)
        omega = 2.0 * np.pi * np.asarray(frequency_Hz, dtype=float)
        return _evaluate(self._tree, omega, values)


def _relabel_with_type(node: _Node) -> _Node:
    """Turn parsed (type, suffix) into full labels: R + '0' -> 'R0'; a bare 'R' keeps an empty label."""
    if node.kind == "element":
        assert node.element is not None
        el = node.element
        return _Node("element", element=Element(el.type, f"{el.type}{el.label}" if el.label else ""))
    return _Node(node.kind, tuple(_relabel_with_type(c) for c in node.children))


def _evaluate(node: _Node, omega: np.ndarray, values: dict[str, float]) -> np.ndarray:
    if node.kind == "element":
        assert node.element is not None
        el = node.element
        args = [values[n] for n in el.param_names]
        return np.asarray(ELEMENT_TYPES[el.type].function(omega, *args), dtype=complex)
    parts = [_evaluate(c, omega, values) for c in node.children]
    if node.kind == "series":
        return np.sum(parts, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / np.sum([1.0 / p for p in parts], axis=0)


def parse_circuit(text: str | Circuit) -> Circuit:
    """A :class:`Circuit` from text (a circuit is returned unchanged)."""
    return text if isinstance(text, Circuit) else Circuit(text)
