"""Chemical species as data: formula, molar mass, density and formation data.

A :class:`Species` is one row of a thermodynamic table (standard state,
298.15 K, 1 bar). It validates itself on construction and computes its molar
mass from its formula with the IUPAC standard atomic weights, so a typed-in
molar mass can never disagree with the formula.

The read-only :class:`Table` maps names to rows and answers a wrong name with
"did you mean" suggestions.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar

from metalair.errors import KeyNotFoundError, ParameterError
from metalair.units import from_user

__all__ = [
    "ATOMIC_WEIGHTS",
    "PHASES",
    "Species",
    "Table",
    "did_you_mean",
    "parse_formula",
    "molar_mass_from_formula",
]

#: Standard atomic weights [g/mol] (IUPAC 2021; the abridged/conventional value
#: is used for elements with an interval). Prohaska et al., "Standard atomic
#: weights of the elements 2021 (IUPAC Technical Report)", Pure Appl. Chem.
#: 94, 573-600 (2022), doi:10.1515/pac-2019-0603.
ATOMIC_WEIGHTS: dict[str, float] = {
    "H": 1.008,
    "Li": 6.94,
    "C": 12.011,
    "N": 14.007,
    "O": 15.999,
    "F": 18.998403162,
    "Na": 22.98976928,
    "Mg": 24.305,
    "Al": 26.9815384,
    "Si": 28.085,
    "P": 30.973761998,
    "S": 32.06,
    "Cl": 35.45,
    "K": 39.0983,
    "Ca": 40.078,
    "Ni": 58.6934,
    "Ru": 101.07,
}

#: Allowed phase codes: solid, liquid, gas.
PHASES: dict[str, str] = {"s": "solid", "l": "liquid", "g": "gas"}

_TOKEN = re.compile(r"([A-Z][a-z]?)|(\()|(\))|(\d+(?:\.\d+)?)")
_HYDRATE_SEPARATORS = ("·", "•", "∙", "*", ".")
_LEADING_COUNT = re.compile(r"^(\d+(?:\.\d+)?)(.*)$")


def _parse_group(text: str, formula: str) -> dict[str, float]:
    """Parse one dot-free formula part with nested parentheses."""
    stack: list[dict[str, float]] = [{}]
    pos = 0
    last: dict[str, float] | str | None = None  # what a following count multiplies
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ParameterError(
                f"cannot read formula {formula!r} at {text[pos:]!r}; write element symbols with "
                "counts, parentheses and an optional hydrate dot, e.g. 'Na2CO3·H2O' or 'Ca(OH)2'"
            )
        element, opening, closing, count = match.groups()
        pos = match.end()
        if element is not None:
            if element not in ATOMIC_WEIGHTS:
                raise ParameterError(
                    f"unknown element {element!r} in formula {formula!r}; known elements: "
                    f"{', '.join(sorted(ATOMIC_WEIGHTS))} (add it to ATOMIC_WEIGHTS with its IUPAC value)"
                )
            stack[-1][element] = stack[-1].get(element, 0.0) + 1.0
            last = element
        elif opening is not None:
            stack.append({})
            last = None
        elif closing is not None:
            if len(stack) == 1:
                raise ParameterError(f"unbalanced ')' in formula {formula!r}")
            group = stack.pop()
            for el, n in group.items():
                stack[-1][el] = stack[-1].get(el, 0.0) + n
            last = group
        else:
            n = float(count)
            if last is None:
                raise ParameterError(f"count {count!r} in formula {formula!r} follows nothing")
            if isinstance(last, str):
                stack[-1][last] += n - 1.0
            else:
                for el, k in last.items():
                    stack[-1][el] += k * (n - 1.0)
            last = None
    if len(stack) != 1:
        raise ParameterError(f"unbalanced '(' in formula {formula!r}")
    return stack[0]


def parse_formula(formula: str) -> dict[str, float]:
    """Element counts of a chemical formula.

    Parameters
    ----------
    formula : str
        A formula such as ``"NaO2"``, ``"Ca(OH)2"`` or ``"Na2CO3·H2O"``. Hydrate
        parts are joined by a middle dot (``·``), bullet, ``*`` or ``.``, and
        may carry a leading count (``"Na2CO3·10H2O"``). A phase suffix in
        parentheses such as ``"(s)"`` is *not* part of a formula.

    Returns
    -------
    dict of str to float
        Element symbol → number of atoms per formula unit.

    Raises
    ------
    ParameterError
        If the formula is empty, malformed or names an unknown element.
    """
    if not isinstance(formula, str) or not formula.strip():
        raise ParameterError(f"formula must be a non-empty string, got {formula!r}")
    text = formula.replace(" ", "")
    for sep in _HYDRATE_SEPARATORS[1:]:
        text = text.replace(sep, _HYDRATE_SEPARATORS[0])
    total: dict[str, float] = {}
    for part in text.split(_HYDRATE_SEPARATORS[0]):
        if not part:
            raise ParameterError(f"empty part in formula {formula!r} (two dots in a row?)")
        multiplier = 1.0
        lead = _LEADING_COUNT.match(part)
        if lead is not None:
            multiplier, part = float(lead.group(1)), lead.group(2)
            if not part:
                raise ParameterError(f"formula {formula!r} has a count with no species after it")
        for el, n in _parse_group(part, formula).items():
            total[el] = total.get(el, 0.0) + multiplier * n
    return total


def molar_mass_from_formula(formula: str) -> float:
    """Molar mass [kg/mol] of a formula from the IUPAC standard atomic weights.

    Parameters
    ----------
    formula : str
        See :func:`parse_formula`.

    Returns
    -------
    float
        Molar mass in kg/mol (e.g. 0.054988 for NaO2).

    References
    ----------
    .. [1] T. Prohaska et al., "Standard atomic weights of the elements 2021
       (IUPAC Technical Report)", Pure Appl. Chem. 94, 573-600 (2022).
       doi:10.1515/pac-2019-0603
    """
    return float(from_user(sum(ATOMIC_WEIGHTS[el] * n for el, n in parse_formula(formula).items()), "g/mol"))


def _finite(owner: str, name: str, value: object, lo: float = -math.inf, hi: float = math.inf,
            lo_open: bool = False, unit: str = "") -> float:
    """Return ``value`` as a float, or raise ParameterError naming field, value and range."""
    left = "(" if lo_open else "["
    allowed = f"{left}{lo:g}, {hi:g}]{(' ' + unit) if unit else ''}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{owner}.{name} must be a number, got {value!r}; allowed range {allowed}")
    value = float(value)
    if not math.isfinite(value):
        raise ParameterError(f"{owner}.{name} = {value} is not a finite number; allowed range {allowed}")
    if (value <= lo if lo_open else value < lo) or value > hi:
        raise ParameterError(f"{owner}.{name} = {value:g} is out of range; allowed range {allowed}")
    return value


@dataclass(frozen=True)
class Species:
    """One species of a thermodynamic table, in its standard state at 298.15 K.

    Parameters
    ----------
    name : str
        Table key, unique within a chemistry (``"NaO2"``, ``"H2O(g)"``).
    formula : str
        Chemical formula, parsed by :func:`parse_formula` (``"Na2CO3·H2O"``).
    molar_mass : float, optional
        Molar mass [kg/mol]. Computed from the formula when omitted; when
        given it must agree with the formula to 0.1 %.
    density : float or None
        Mass density of the condensed phase [kg/m³], or None when not needed
        (gases) or unknown.
    dHf : float
        Standard enthalpy of formation ΔfH° at 298.15 K [J/mol].
    dGf : float
        Standard Gibbs energy of formation ΔfG° at 298.15 K [J/mol].
    S : float
        Standard (third-law) molar entropy S° at 298.15 K [J/(mol K)], ≥ 0.
    phase : {"s", "l", "g"}
        Solid, liquid or (ideal) gas. Gases enter the Nernst equation through
        their partial pressure; condensed phases have unit activity.
    source : str
        The table the row comes from, with a confidence tag where useful.

    Notes
    -----
    All values are SI: J/mol, J/(mol K), kg/mol, kg/m³. The frozen instance
    is safe to share between simulations.
    """

    name: str
    formula: str
    _: KW_ONLY
    dHf: float
    dGf: float
    S: float
    phase: str
    source: str
    molar_mass: float | None = None
    density: float | None = None
    composition: Mapping[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        owner = f"Species({self.name!r})" if isinstance(self.name, str) else "Species"
        if not isinstance(self.name, str) or not self.name.strip():
            raise ParameterError(f"Species.name must be a non-empty string, got {self.name!r}")
        composition = parse_formula(self.formula)
        object.__setattr__(self, "composition", MappingProxyType(dict(composition)))
        computed = float(from_user(sum(ATOMIC_WEIGHTS[el] * n for el, n in composition.items()), "g/mol"))
        if self.molar_mass is None:
            object.__setattr__(self, "molar_mass", computed)
        else:
            mass = _finite(owner, "molar_mass", self.molar_mass, 0.0, lo_open=True, unit="kg/mol")
            if abs(mass - computed) > 1e-3 * computed:
                raise ParameterError(
                    f"{owner}.molar_mass = {mass:g} kg/mol disagrees with its formula "
                    f"{self.formula!r} ({computed:.6g} kg/mol); allowed: within 0.1 % of the "
                    "formula value, or leave it out to compute it"
                )
            object.__setattr__(self, "molar_mass", mass)
        if self.density is not None:
            object.__setattr__(
                self, "density", _finite(owner, "density", self.density, 0.0, lo_open=True, unit="kg/m³")
            )
        object.__setattr__(self, "dHf", _finite(owner, "dHf", self.dHf, unit="J/mol"))
        object.__setattr__(self, "dGf", _finite(owner, "dGf", self.dGf, unit="J/mol"))
        object.__setattr__(self, "S", _finite(owner, "S", self.S, 0.0, unit="J/(mol K)"))
        if self.phase not in PHASES:
            raise ParameterError(
                f"{owner}.phase = {self.phase!r} is not allowed; allowed: "
                + ", ".join(f"{k!r} ({v})" for k, v in PHASES.items())
            )
        if not isinstance(self.source, str) or not self.source.strip():
            raise ParameterError(f"{owner}.source must name the table the row comes from, got {self.source!r}")

    @property
    def molar_volume(self) -> float | None:
        """Molar volume V̄ = M/ρ [m³/mol], or None when the density is unknown."""
        if self.density is None:
            return None
        return float(self.molar_mass) / self.density  # type: ignore[arg-type]

    @property
    def is_gas(self) -> bool:
        """True for a gas-phase species (activity = p/p°)."""
        return self.phase == "g"

    @property
    def is_element_reference(self) -> bool:
        """True if this row is an element in its reference state (ΔfH° = ΔfG° = 0)."""
        return len(self.composition) == 1 and self.dHf == 0.0 and self.dGf == 0.0


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def did_you_mean(key: object, available: list[str], what: str, where: str = "") -> str:
    """A message for an unknown ``key`` naming the closest of ``available``.

    Names that start with ``key`` come first (``'H2O'`` → ``'H2O(g)'``), the
    rest by edit distance (case-insensitive), then by
    :class:`difflib.SequenceMatcher` similarity; for short chemical formulas
    this puts ``'NaO2'`` before ``'NaHCO3'`` for a mistyped ``'NaO3'``.
    """
    text = str(key)
    scored = []
    for name in available:
        distance = _edit_distance(text.lower(), name.lower())
        ratio = difflib.SequenceMatcher(None, text.lower(), name.lower()).ratio()
        prefix = len(text) >= 2 and name.lower().startswith(text.lower())  # "H2O" -> "H2O(g)"
        if prefix or ratio >= 0.5 or distance <= max(1, len(text) // 3):
            scored.append((not prefix, distance, -ratio, name))
    close = [entry[-1] for entry in sorted(scored)[:3]]
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    where = f" in {where}" if where else ""
    return f"unknown {what} {key!r}{where}.{hint} Available: {', '.join(repr(a) for a in available)}"


_V = TypeVar("_V")


class Table(Mapping[str, _V], Generic[_V]):
    """Read-only name → entry mapping whose lookup errors suggest close names.

    Parameters
    ----------
    entries : mapping of str to entry
        The rows, in display order.
    what : str
        What an entry is, for messages (``"species"``, ``"reaction"``).
    owner : str
        Whose table it is, for messages (``"the sodium chemistry"``).
    """

    def __init__(self, entries: Mapping[str, _V], what: str, owner: str = "") -> None:
        self._entries = dict(entries)
        self._what = what
        self._owner = owner

    def __getitem__(self, key: str) -> _V:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyNotFoundError(did_you_mean(key, list(self._entries), self._what, self._owner)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Table({self._what}: {', '.join(self._entries)})"
