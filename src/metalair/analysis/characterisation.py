"""The model's predictions beside characterisation: host sodium content, Ru valence, products.

>>> import metalair as ma
>>> from metalair.analysis.characterisation import model_stages
>>> sol = ma.simulate("NLRO", "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V")
>>> table = model_stages(sol, "NLRO", [3.0, 3.5, 4.0, 4.5])        # doctest: +SKIP
>>> print(table.table())                                            # doctest: +SKIP

What is computed, at each chosen voltage on the charge (the first time the
cell voltage reaches it during a charge step, interpolated linearly in time
between saved points):

Host sodium content x
    In Na_x[host]: x₀ − Σⱼ fⱼ nⱼ, with x₀ the sodium per formula unit of the
    catalyst's formula, fⱼ the oxidised fraction of host couple j from the
    solution and nⱼ = capacityⱼ · M / F the electrons (and Na⁺ ions) per
    formula unit the couple exchanges over its full conversion; all read from
    the catalyst object.
Ru valence
    v₀ + f_Ru · n_Ru / r, with v₀ the Ru valence of the pristine formula by
    charge balance (Na, Li +1; O −2), f_Ru the oxidised fraction of the
    couple whose name contains "Ru", n_Ru its electrons per formula unit and
    r the Ru atoms per formula unit (for NLRO: 0.30 e / (2/3 Ru) = 0.45 e per
    Ru over the full conversion). A catalyst without a Ru couple keeps v₀.
Products
    NaO2, Na2O2, Na2CO3 and residue inventories [mol per g of catalyst].

The solution's column names are kept in :data:`SOLUTION_KEYS` (one place to
change if the simulation renames them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from metalair.constants import F
from metalair.errors import KeyNotFoundError, ParameterError

__all__ = ["SOLUTION_KEYS", "ModelStage", "ModelStageTable", "model_stages", "formula_counts", "ru_valence_pristine"]

#: Solution column names used here (the only place they are spelled out).
SOLUTION_KEYS: dict[str, str] = {
    "time": "Time [h]",
    "voltage": "Voltage [V]",
    "step": "Step",
    "current": "Current [mA/g]",
    "capacity": "Capacity [mAh/g]",
    "d_band": "Catalyst d-band centre [eV]",
    "host_fraction": "Host {name} oxidised fraction [-]",
    "NaO2": "NaO2 [mol/g]",
    "Na2O2": "Na2O2 [mol/g]",
    "Na2CO3": "Na2CO3 [mol/g]",
    "residue": "Residue [mol/g]",
}
_PRODUCTS = ("NaO2", "Na2O2", "Na2CO3", "residue")
#: Oxidation states assumed for the charge balance of a host formula.
_FIXED_VALENCE = {"Na": 1, "Li": 1, "K": 1, "O": -2, "F": -1}


def formula_counts(formula: str) -> dict[str, Fraction]:
    """Atoms per formula unit of formulas such as ``"Na[Li1/3Ru2/3]O2"`` (brackets, fractions)."""
    tokens = re.findall(r"[A-Z][a-z]?|\d+(?:/\d+)?(?:\.\d+)?|[\[\]()]", formula)
    if "".join(tokens) != formula.replace(" ", ""):
        raise ParameterError(f"cannot read the formula {formula!r}")
    stack: list[dict[str, Fraction]] = [{}]
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        mult = Fraction(1)
        if i + 1 < len(tokens) and re.match(r"\d", tokens[i + 1]):
            mult = Fraction(tokens[i + 1])
        if tok in "[(":
            stack.append({})
            i += 1
            continue
        if tok in ")]":
            group = stack.pop()
            for el, n in group.items():
                stack[-1][el] = stack[-1].get(el, Fraction(0)) + n * mult
            i += 2 if mult != 1 or (i + 1 < len(tokens) and re.match(r"\d", tokens[i + 1])) else 1
            continue
        if re.match(r"[A-Z]", tok):
            stack[-1][tok] = stack[-1].get(tok, Fraction(0)) + mult
            i += 2 if (i + 1 < len(tokens) and re.match(r"\d", tokens[i + 1])) else 1
            continue
        raise ParameterError(f"cannot read the formula {formula!r} at {tok!r}")
    if len(stack) != 1:
        raise ParameterError(f"unbalanced brackets in the formula {formula!r}")
    return stack[0]


def ru_valence_pristine(formula: str) -> float:
    """Ru valence of a formula by charge balance (Na, Li, K +1; O −2; F −1)."""
    counts = formula_counts(formula)
    if "Ru" not in counts:
        raise ParameterError(f"{formula!r} holds no Ru")
    other = [el for el in counts if el not in _FIXED_VALENCE and el != "Ru"]
    if other:
        raise ParameterError(f"cannot balance {formula!r}: no fixed valence for {', '.join(other)}")
    charge = sum(_FIXED_VALENCE[el] * n for el, n in counts.items() if el != "Ru")
    return float(-charge / counts["Ru"])


@dataclass(frozen=True)
class ModelStage:
    """The model's state when the charge first reaches one voltage (NaN when it never does)."""

    voltage_V: float
    time_h: float
    capacity_mAh_g: float
    host_sodium: float
    ru_valence: float
    d_band_eV: float
    products_mol_g: dict[str, float]
    reached: bool
    #: oxidised fraction of each host couple [-], by couple name (empty for a catalyst without couples)
    couples_oxidised: dict[str, float] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        """Flat dict for tables."""
        row = {"voltage_V": self.voltage_V, "reached": self.reached, "time_h": self.time_h,
               "charge_capacity_mAh_g": self.capacity_mAh_g, "host_sodium_per_fu": self.host_sodium,
               "ru_valence": self.ru_valence, "d_band_eV": self.d_band_eV}
        row.update({f"{k}_mol_g": v for k, v in self.products_mol_g.items()})
        row.update({f"host {k} oxidised fraction": v for k, v in self.couples_oxidised.items()})
        return row


@dataclass(frozen=True, eq=False)
class ModelStageTable:
    """Result of :func:`model_stages`."""

    catalyst: str
    formula: str
    stages: list[ModelStage]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per voltage."""
        return [s.as_row() for s in self.stages]

    def table(self) -> str:
        """Plain-text table."""
        lines = [f"{self.catalyst} ({self.formula}) on charge",
                 f"{'V':>5} {'Q/mAh g-1':>10} {'Na x':>6} {'Ru val':>7} {'NaO2':>9} {'Na2O2':>9} {'Na2CO3':>9}"
                 "  (mol/g)"]
        for s in self.stages:
            p = s.products_mol_g
            lines.append(f"{s.voltage_V:5.2f} {s.capacity_mAh_g:10.1f} {s.host_sodium:6.3f} {s.ru_valence:7.3f} "
                         f"{p['NaO2']:9.3g} {p['Na2O2']:9.3g} {p['Na2CO3']:9.3g}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _column(solution: Any, key: str) -> np.ndarray:
    try:
        return np.asarray(solution[key], dtype=float)
    except KeyError:
        raise KeyNotFoundError(
            f"the solution has no column {key!r} (needed for the model side by side); its columns: "
            f"{', '.join(list(solution.keys())[:12])} ..."
        ) from None


def model_stages(solution: Any, catalyst: Any, voltages_V: Sequence[float]) -> ModelStageTable:
    """Host sodium content, Ru valence and product inventories where the charge reaches each voltage.

    Parameters
    ----------
    solution : Solution
        A simulated run holding at least one charge step.
    catalyst : str or Catalyst
        The catalyst simulated (``"NLRO"``, ``"RuO2"`` or a Catalyst).
    voltages_V : sequence of float
        Cell voltages on the charge [V].

    Returns
    -------
    ModelStageTable

    Raises
    ------
    ParameterError
        No charge step, bad voltages, an unknown catalyst.
    KeyNotFoundError
        A column the computation needs is missing from the solution.
    """
    from metalair.catalysts import get_catalyst

    cat = get_catalyst(catalyst)
    try:
        volts = [float(v) for v in voltages_V]
    except (TypeError, ValueError):
        raise ParameterError(f"voltages_V = {voltages_V!r} must be numbers in V") from None
    if not volts or not all(math.isfinite(v) and 0 < v < 6 for v in volts):
        raise ParameterError(f"voltages_V = {voltages_V!r} must be voltages between 0 and 6 V")
    v = _column(solution, SOLUTION_KEYS["voltage"])
    step = _column(solution, SOLUTION_KEYS["step"])
    current = _column(solution, SOLUTION_KEYS["current"])
    kinds = {s.index: s.kind for s in getattr(solution, "steps", [])}
    if kinds:
        is_charge = np.array([kinds.get(int(k)) == "charge" for k in step])
    else:
        is_charge = current < 0
    if not np.any(is_charge):
        raise ParameterError(
            "the solution holds no charge step; simulate a charge (e.g. 'Charge at 100 mA/g until 4.8 V')"
        )
    first = int(np.flatnonzero(is_charge)[0])
    rows = np.flatnonzero(is_charge & (np.arange(v.size) >= first))
    # the first charge step only (contiguous rows)
    breaks = np.flatnonzero(np.diff(rows) > 1)
    rows = rows[: breaks[0] + 1] if breaks.size else rows
    cols = {name: _column(solution, SOLUTION_KEYS[name]) for name in ("time", "capacity", "d_band", *_PRODUCTS)}
    notes: list[str] = []
    m = cat.molar_mass
    counts = formula_counts(cat.formula)
    x0 = float(counts.get("Na", Fraction(0)))
    couples = []
    for c in cat.host_couples:
        frac = _column(solution, SOLUTION_KEYS["host_fraction"].format(name=c.name))
        couples.append((c, frac, c.capacity * m / F))
    ru_couple = next(((c, f, n) for c, f, n in couples if "Ru" in c.name), None)
    v0 = ru_valence_pristine(cat.formula) if "Ru" in counts else math.nan
    n_ru = float(counts.get("Ru", Fraction(0)))
    if ru_couple is None and "Ru" in counts:
        notes.append(f"{cat.name} has no Ru host couple: Ru valence stays {v0:g}")
    if not couples:
        notes.append(f"{cat.name} is not an insertion host: no host sodium content (NaN)")

    vv = v[rows]
    out = []
    for target in volts:
        above = np.flatnonzero(vv >= target)
        if above.size == 0:
            notes.append(f"the charge never reaches {target:g} V (maximum {vv.max():.3f} V)")
            nan = {k: math.nan for k in ("NaO2", "Na2O2", "Na2CO3", "residue")}
            out.append(ModelStage(target, math.nan, math.nan, math.nan, math.nan, math.nan, nan, False,
                                  {c.name: math.nan for c, _f, _n in couples}))
            continue
        k = int(above[0])
        if k == 0:
            i0 = i1 = int(rows[0])
            w = 0.0
        else:
            i0, i1 = int(rows[k - 1]), int(rows[k])
            w = (target - v[i0]) / (v[i1] - v[i0]) if v[i1] != v[i0] else 1.0

        def at(arr: np.ndarray, i0: int = i0, i1: int = i1, w: float = w) -> float:
            return float(arr[i0] + w * (arr[i1] - arr[i0]))

        na = x0 - sum(at(f) * n for _c, f, n in couples) if couples else math.nan
        if ru_couple is not None:
            _c, f, n = ru_couple
            val = v0 + at(f) * n / n_ru
        else:
            val = v0
        prods = {p: at(cols[p]) for p in _PRODUCTS}
        out.append(ModelStage(target, at(cols["time"]), at(cols["capacity"]), na, val, at(cols["d_band"]), prods,
                              True, {c.name: at(f) for c, f, _n in couples}))
    return ModelStageTable(catalyst=cat.name, formula=cat.formula, stages=out, notes=tuple(dict.fromkeys(notes)))
