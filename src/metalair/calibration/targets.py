"""Calibration targets as data: declared observations, their uncertainty, and how the model computes them.

A :class:`Target` names an observation (a published P-row of ``metalair
validate``, or a user's measured scalar), its value and standard uncertainty
σ, the catalyst, the *run* the model must do to produce it (the reference
discharge–charge, the P6 cycling protocol, or any protocol text) and the
*observable*: a named function of that run's result (:data:`OBSERVABLES`).

Built-in targets
----------------
:data:`PUBLISHED` is the one home of the published numbers of Sun et al.
(2025) and their tolerances; :func:`builtin_targets` turns them into targets.
The tolerance of a row is read as **two standard uncertainties** (σ =
tolerance / 2): the rows are "agreement within the tolerance", which this
reads as a 95 % band. For P6 (RuO2 cycle life 350, accepted window
250–450) σ = 50 cycles.

Observables
-----------
``mid_discharge_voltage``
    Voltage at half the first discharge's capacity (P1).
``discharge_capacity``
    Capacity of the first discharge (P2).
``charge_plateau_1/2/3``
    Voltage of the k-th charge plateau, from dQ/dV peaks
    (:func:`metalair.analysis.summary.charge_plateaus`, as ``validate``).
    Where dQ/dV does not resolve three plateaus (a parameter set far from the
    published one), the k-th plateau is taken as the charge-weighted mean
    voltage of the k-th product's oxidation current (NaO2, Na2O2, Na2CO3),
    which agrees with the dQ/dV peak within a few tens of mV where both
    exist, so the objective stays finite and continuous enough to optimise.
``polarisation``
    Mean charge minus mean discharge voltage (P4).
``charge_recovered``
    Product-removing charge over discharge capacity, % (P5: host extraction and side reactions
    are left out).
``coulombic_efficiency``
    All the charge over the discharge capacity, %, as a cycler measures it (targets from cycler files).
``cycle_life_proxy``
    A continuous stand-in for the integer cycle life (P6): the cycle at which
    the end-of-discharge voltage, interpolated linearly between cycles, first
    falls to the discharge cut-off plus ``CYCLE_LIFE_MARGIN_V`` (0.05 V). The
    end-of-discharge voltage falls smoothly over the last ~100 cycles before
    the first capacity failure, so this is continuous in the parameters
    where the integer cycle life jumps; it lies about 11 cycles before the
    first failed cycle (347.8 for the shipped RuO2, whose first failed cycle
    is 359). Runs that do not reach it
    in ``max_cycles`` return ``max_cycles`` (censored).
``cycle_life``
    The integer cycle life of ``validate`` (P6): last cycle before the first
    failed one (:func:`metalair.analysis.cycle_metrics.cycle_life`); for ensembles.
``mean_discharge_voltage``, ``mean_charge_voltage``
    Capacity-weighted means of the first discharge / charge (for measured curves).

References
----------
.. [1] Sun et al., "Cascade reactors for long-life solid-state sodium–air
   batteries", Nat. Commun. (2025): the published observations P1–P6.
"""

from __future__ import annotations

import csv
import difflib
import math
import numbers
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metalair._files import as_path
from metalair.errors import DataFormatError, ParameterError
from metalair.units import UNITS, convert, find_unit, to_user

__all__ = [
    "Target", "Observable", "OBSERVABLES", "PUBLISHED", "REFERENCE_RUN", "CYCLING_RUN", "CYCLE_LIFE_MARGIN_V",
    "builtin_targets", "load_targets", "targets_from_cycler", "select_targets",
]

#: The experiment behind P1–P5: full discharge then charge at 100 mA/g in ambient air (Sun et al. 2025).
REFERENCE_RUN = "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V"
#: The run key of the P6 protocol: 500 mA/g, 500 mAh/g per half-cycle, 1.5–4.8 V, up to 1000 cycles.
CYCLING_RUN = "cycling: 500 mA/g, 500 mAh/g, 1.5-4.8 V, 1000 cycles"
#: P6 cycling settings (Sun et al. 2025).
CYCLING_SETTINGS: dict[str, Any] = {"current": "500 mA/g", "capacity": "500 mAh/g", "v_min": 1.5, "v_max": 4.8,
                                   "cycles": 1000}
#: End-of-discharge voltage above the cut-off that marks the cycle-life proxy [V].
CYCLE_LIFE_MARGIN_V = 0.05

_SUN2025 = "Sun et al., Nat. Commun. (2025)"

#: The published observations used as calibration targets: one home for their numbers.
#: ``(id, catalyst, observable, value, tolerance, unit, quantity)``; σ = tolerance / 2.
PUBLISHED: tuple[tuple[str, str, str, float, float, str, str], ...] = (
    ("P1", "NLRO", "mid_discharge_voltage", 2.3, 0.1, "V", "discharge plateau voltage (at half capacity)"),
    ("P1", "RuO2", "mid_discharge_voltage", 2.3, 0.1, "V", "discharge plateau voltage (at half capacity)"),
    ("P2", "NLRO", "discharge_capacity", 15000.0, 2250.0, "mAh/g", "discharge capacity (100 mA/g to 1.5 V)"),
    ("P2", "RuO2", "discharge_capacity", 8500.0, 1275.0, "mAh/g", "discharge capacity (100 mA/g to 1.5 V)"),
    ("P3", "NLRO", "charge_plateau_1", 2.5, 0.1, "V", "first charge plateau (NaO2)"),
    ("P3", "NLRO", "charge_plateau_2", 3.5, 0.1, "V", "second charge plateau (Na2O2)"),
    ("P3", "NLRO", "charge_plateau_3", 4.5, 0.1, "V", "third charge plateau (Na2CO3)"),
    ("P4", "NLRO", "polarisation", 0.75, 0.08, "V", "polarisation (mean charge - mean discharge)"),
    ("P4", "RuO2", "polarisation", 0.97, 0.08, "V", "polarisation (mean charge - mean discharge)"),
    ("P5", "RuO2", "charge_recovered", 60.0, 10.0, "%", "charge recovered / discharge capacity"),
    ("P6", "RuO2", "cycle_life_proxy", 350.0, 100.0, "cycles", "cycle life (500 mA/g, 500 mAh/g per half-cycle)"),
)


@dataclass(frozen=True)
class Target:
    """One declared observation the model is calibrated to.

    Parameters
    ----------
    id : str
        Unique name, e.g. ``"P2-NLRO"``.
    catalyst : str
        Built-in catalyst name, or a catalyst file (``*.toml``); an unknown one is refused.
    observable : str
        Key of :data:`OBSERVABLES`.
    value : float
        Observed value, in ``unit``.
    sigma : float
        Standard uncertainty (> 0), in ``unit``.
    unit : str
        Unit of ``value``, ``sigma`` and ``tolerance``: the observable's (default), or another
        unit of its dimension (``"mV"`` for a voltage, ``"C/kg"`` for a capacity), which is
        converted to the observable's unit on construction (``unit`` then holds the
        observable's). Any other unit is refused.
    run : str
        :data:`REFERENCE_RUN` text (default), :data:`CYCLING_RUN`, or any protocol text
        (:func:`metalair.protocols.parser.parse_protocol`); text that does not parse is refused.
    tolerance : float, optional
        Pass/fail tolerance (default 2σ).
    quantity : str
        Human description.
    source : str
        Where the number comes from.
    """

    id: str
    catalyst: str
    observable: str
    value: float
    sigma: float
    unit: str = ""
    run: str = REFERENCE_RUN
    tolerance: float | None = None
    quantity: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if self.observable not in OBSERVABLES:
            raise ParameterError(f"target {self.id!r}: unknown observable {self.observable!r}"
                                 + _hint(self.observable, OBSERVABLES) + f"; known: {', '.join(OBSERVABLES)}")
        for name in ("value", "sigma"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
                raise ParameterError(f"target {self.id!r}: {name} = {v!r} must be a finite number")
        if not self.sigma > 0:
            raise ParameterError(f"target {self.id!r}: sigma = {self.sigma!r} must be > 0")
        if self.tolerance is not None and not (math.isfinite(self.tolerance) and self.tolerance > 0):
            raise ParameterError(f"target {self.id!r}: tolerance = {self.tolerance!r} must be a number > 0")
        obs = OBSERVABLES[self.observable]
        self._to_observable_unit(obs)
        if obs.run_kind == "cycling" and self.run != CYCLING_RUN:
            raise ParameterError(f"target {self.id!r}: observable {self.observable!r} needs run = {CYCLING_RUN!r}")
        if obs.run_kind == "protocol" and self.run == CYCLING_RUN:
            raise ParameterError(f"target {self.id!r}: observable {self.observable!r} needs a discharge-charge "
                                 "protocol, not the cycling run")
        if self.run != CYCLING_RUN:
            _check_run(self.id, self.run)
        _check_catalyst(self.id, self.catalyst)

    def _to_observable_unit(self, obs: Observable) -> None:
        """Express value, sigma and tolerance in the observable's unit; refuse a unit of another dimension.

        ``unit=""`` means the observable's unit. A unit of the observable's dimension
        (``"mV"`` for a voltage, ``"C/kg"`` for a capacity) is converted through
        :func:`metalair.units.convert`, so the target compares with the model's number.
        """
        unit = str(self.unit).strip()
        if unit in ("", obs.unit):
            object.__setattr__(self, "unit", obs.unit)
            return
        dimension = UNITS[obs.unit][0] if obs.unit in UNITS else None
        known = find_unit(unit, dimension) if dimension is not None else None
        if known is None:
            allowed = (sorted(u for u, (d, _f) in UNITS.items() if d == dimension) if dimension is not None
                       else [obs.unit])
            what = f"a {dimension} in {obs.unit}" if dimension is not None else f"in {obs.unit}"
            raise ParameterError(
                f"target {self.id!r}: unit {self.unit!r} does not fit observable {self.observable!r} ({what}); "
                f"allowed unit(s): {', '.join(allowed)}, e.g. unit = {obs.unit!r}")
        for name in ("value", "sigma", "tolerance"):
            v = getattr(self, name)
            if v is not None:  # sigma and tolerance are differences: no offset unit has these dimensions
                object.__setattr__(self, name, float(convert(float(v), known, obs.unit)))
        object.__setattr__(self, "unit", obs.unit)

    @property
    def pass_tolerance(self) -> float:
        """Tolerance for pass/fail: the declared one, else 2σ."""
        return self.tolerance if self.tolerance is not None else 2.0 * self.sigma

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON and CSV)."""
        return asdict(self)


def _check_run(tid: str, run: Any) -> None:
    """Refuse protocol text that the model cannot run (before any run, not as a failed run's 30 σ)."""
    from metalair.errors import ProtocolError
    from metalair.protocols.parser import parse_protocol

    if not isinstance(run, str) or not run.strip():
        raise ParameterError(f"target {tid!r}: run = {run!r} must be protocol text, e.g. {REFERENCE_RUN!r}")
    try:
        parse_protocol(run)
    except ProtocolError as exc:
        raise ParameterError(f"target {tid!r}: its run {run!r} is not a protocol the model can run: {exc}") from None


def _check_catalyst(tid: str, catalyst: Any) -> None:
    """Refuse an unknown catalyst or an unreadable catalyst file (before any run)."""
    from metalair.catalysts import get_catalyst
    from metalair.errors import MetalairError

    try:
        get_catalyst(catalyst)
    except (MetalairError, OSError) as exc:
        raise ParameterError(f"target {tid!r}: {exc}") from None


@dataclass(frozen=True)
class Observable:
    """A named function of a run's result.

    ``function(result) -> float``: ``result`` is a
    :class:`~metalair.protocols.solution.Solution` for a protocol run, or a
    :class:`CyclingOutcome` for the cycling run.
    """

    name: str
    function: Callable[[Any], float]
    unit: str
    run_kind: str          # "protocol" or "cycling"
    description: str = ""


# ---------------------------------------------------------------------------
# observable functions
# ---------------------------------------------------------------------------
def _first(sol: Any, kind: str, after: int = 0) -> Any:
    for s in sol.steps:
        if s.kind == kind and s.index > after:
            return s
    raise ParameterError(f"the run has no {kind} step; the observable needs one")


def _first_half(sol: Any, kind: str, after: int = 0) -> Any:
    """The first ``kind`` step after step ``after`` with the steps that continue its half-cycle, as one summary.

    A CC-CV charge (a charge, then a hold) or a discharge split by a rest is one half-cycle, as a cycler's
    record of it is (:func:`metalair.protocols.solution.half_cycle`).
    """
    from metalair.protocols.solution import combine_steps, half_cycle

    first = _first(sol, kind, after)
    position = next(k for k, st in enumerate(sol.steps) if st is first)
    return combine_steps(half_cycle(sol.steps, position))


def mid_discharge_voltage(sol: Any) -> float:
    """Voltage at half the first discharge's capacity [V]."""
    dis = _first(sol, "discharge")
    m = sol["Step"] == dis.index
    q, v = sol["Capacity [mAh/g]"][m], sol["Voltage [V]"][m]
    if len(q) < 2:
        return float(dis.mean_voltage_V)
    return float(np.interp(0.5 * dis.capacity_mAh_g, q, v))


def discharge_capacity(sol: Any) -> float:
    """Capacity of the first discharge (its half-cycle) [mAh/g]."""
    return float(_first_half(sol, "discharge").capacity_mAh_g)


def mean_discharge_voltage(sol: Any) -> float:
    """Capacity-weighted mean voltage of the first discharge (its half-cycle) [V]."""
    return float(_first_half(sol, "discharge").mean_voltage_V)


def mean_charge_voltage(sol: Any) -> float:
    """Capacity-weighted mean voltage of the first charge after the first discharge [V].

    Its half-cycle: a CC-CV charge's hold is included, as a cycler records it.
    """
    dis = _first(sol, "discharge")
    return float(_first_half(sol, "charge", dis.index).mean_voltage_V)


def polarisation(sol: Any) -> float:
    """Mean charge minus mean discharge voltage [V]."""
    return mean_charge_voltage(sol) - mean_discharge_voltage(sol)


def charge_recovered(sol: Any) -> float:
    """Product-removing charge over the discharge capacity [%] (as ``validate`` scores P5)."""
    from metalair.analysis.summary import product_recovery_pct

    dis = _first(sol, "discharge")
    ch = _first(sol, "charge", dis.index)
    return product_recovery_pct(dis, ch)


def coulombic_efficiency(sol: Any) -> float:
    """All charge over the discharge capacity [%], as a cycler sees it.

    Host extraction and side reactions included, each half-cycle whole.
    """
    dis = _first(sol, "discharge")
    return 100.0 * _first_half(sol, "charge", dis.index).capacity_mAh_g / _first_half(sol, "discharge").capacity_mAh_g


_PLATEAU_PRODUCTS = ("NaO2", "Na2O2", "Na2CO3")


def _charge_plateau(sol: Any, k: int) -> float:
    from metalair.analysis.summary import charge_plateaus

    dis = _first(sol, "discharge")
    ch = _first(sol, "charge", dis.index)
    try:
        pl = charge_plateaus(sol, ch.index)
    except (ValueError, ImportError):
        pl = []
    if len(pl) == len(_PLATEAU_PRODUCTS):
        return float(pl[k].voltage_V)
    # fallback: charge-weighted mean voltage of the k-th product's oxidation current
    m = sol["Step"] == ch.index
    v = sol["Voltage [V]"][m]
    key = f"{_PLATEAU_PRODUCTS[k]} current [mA/g]"
    if key not in sol:
        return float(ch.mean_voltage_V)
    i = np.clip(np.asarray(sol[key][m], dtype=float), 0.0, None)   # anodic (oxidation) part: positive
    t = sol["Time [s]"][m]
    w = i * np.gradient(t) if len(t) > 1 else i
    return float(np.sum(w * v) / np.sum(w)) if np.sum(w) > 0 else float(ch.end_voltage_V)


@dataclass
class CyclingOutcome:
    """What the cycling run keeps: end-of-discharge voltage per cycle, and the cycle life.

    ``life`` is :func:`metalair.analysis.cycle_metrics.cycle_life` of the per-cycle
    table (the definition ``validate`` uses), over the cycles run.
    """

    eod_voltage_V: np.ndarray
    v_min: float
    max_cycles: int
    life: Any = None


def cycle_life_value(out: CyclingOutcome) -> float:
    """Cycle life (last cycle before the first failed one; the cycles run when none failed) [cycles]."""
    return float(out.life.cycle_life) if out.life is not None else math.nan


def cycle_life_proxy(out: CyclingOutcome) -> float:
    """Fractional cycle at which the end-of-discharge voltage first falls to ``v_min + 0.05 V``."""
    return float(eod_crossing(out.eod_voltage_V, out.v_min + CYCLE_LIFE_MARGIN_V, out.max_cycles))


def eod_crossing(eod: Sequence[float] | np.ndarray, threshold: float, censor: float) -> float:
    """First (fractional, 1-based) cycle at which the series crosses ``threshold`` downwards; ``censor`` if never."""
    e = np.asarray(eod, dtype=float)
    below = np.flatnonzero(~(e > threshold))   # NaN (a failed cycle) counts as below
    if below.size == 0:
        return float(censor)
    j = int(below[0])
    if j == 0 or not math.isfinite(e[j]):
        return float(j + 1)
    a, b = e[j - 1], e[j]
    return float(j + (a - threshold) / (a - b))   # cycle j (1-based) + fraction towards cycle j+1


OBSERVABLES: dict[str, Observable] = {o.name: o for o in (
    Observable("mid_discharge_voltage", mid_discharge_voltage, "V", "protocol", "voltage at half discharge capacity"),
    Observable("discharge_capacity", discharge_capacity, "mAh/g", "protocol", "first discharge capacity"),
    Observable("mean_discharge_voltage", mean_discharge_voltage, "V", "protocol", "mean discharge voltage"),
    Observable("mean_charge_voltage", mean_charge_voltage, "V", "protocol", "mean charge voltage"),
    Observable("polarisation", polarisation, "V", "protocol", "mean charge - mean discharge voltage"),
    Observable("charge_recovered", charge_recovered, "%", "protocol",
               "product-removing charge / discharge capacity (P5)"),
    Observable("coulombic_efficiency", coulombic_efficiency, "%", "protocol",
               "all charge / discharge capacity (as a cycler measures it)"),
    Observable("charge_plateau_1", lambda s: _charge_plateau(s, 0), "V", "protocol", "first charge plateau"),
    Observable("charge_plateau_2", lambda s: _charge_plateau(s, 1), "V", "protocol", "second charge plateau"),
    Observable("charge_plateau_3", lambda s: _charge_plateau(s, 2), "V", "protocol", "third charge plateau"),
    Observable("cycle_life_proxy", cycle_life_proxy, "cycles", "cycling",
               "cycle at which the end-of-discharge voltage reaches the cut-off + 0.05 V"),
    Observable("cycle_life", cycle_life_value, "cycles", "cycling",
               "last cycle before the first failed one (integer; censored at the cycles run)"),
)}


# ---------------------------------------------------------------------------
# built-in, file and cycler-file targets
# ---------------------------------------------------------------------------
def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=3)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""


def builtin_targets(rows: Iterable[str] | None = None, catalysts: Iterable[str] | None = None) -> list[Target]:
    """The published observations of :data:`PUBLISHED` as targets (σ = tolerance / 2).

    Parameters
    ----------
    rows : iterable of str, optional
        P-rows to keep (``"P1"``…``"P6"``) or target ids (``"P3-NLRO-2"``); default all.
    catalysts : iterable of str, optional
        Catalysts to keep (default both).

    References
    ----------
    Sun et al., "Cascade reactors for long-life solid-state sodium–air
    batteries", Nat. Commun. (2025).
    """
    out = []
    for pid, cat, obs, value, tol, unit, quantity in PUBLISHED:
        tid = f"{pid}-{cat}" + (f"-{obs[-1]}" if obs.startswith("charge_plateau") else "")
        run = CYCLING_RUN if OBSERVABLES[obs].run_kind == "cycling" else REFERENCE_RUN
        out.append(Target(tid, cat, obs, value, tol / 2.0, unit, run, tol, quantity, _SUN2025))
    if catalysts is not None:
        cats = {c.lower() for c in catalysts}
        out = [t for t in out if t.catalyst.lower() in cats]
    if rows is not None:
        out = select_targets(out, rows)
    return out


def select_targets(targets: Sequence[Target], keys: Iterable[str]) -> list[Target]:
    """Targets whose id equals, or whose P-row prefix is, one of ``keys`` (case-insensitive)."""
    keys = [str(k).strip() for k in keys if str(k).strip()]
    ids = [t.id for t in targets]
    chosen = []
    for k in keys:
        hit = [t for t in targets if t.id.lower() == k.lower() or t.id.lower().startswith(k.lower() + "-")]
        if not hit:
            raise ParameterError(f"no target {k!r}" + _hint(k, ids) + f"; targets: {', '.join(ids)}")
        chosen += [t for t in hit if t not in chosen]
    return [t for t in targets if t in chosen]


_FIELDS = ("id", "catalyst", "observable", "value", "sigma", "unit", "run", "tolerance", "quantity", "source")


def _target_from_mapping(row: Mapping[str, Any], where: str) -> Target:
    unknown = [k for k in row if k not in _FIELDS and k != "protocol"]
    if unknown:
        raise DataFormatError(f"{where}: unknown field {unknown[0]!r}" + _hint(unknown[0], _FIELDS)
                              + f"; allowed: {', '.join(_FIELDS)} (or 'protocol' for 'run')")
    missing = [k for k in ("id", "catalyst", "observable", "value") if row.get(k) in (None, "")]
    if missing:
        raise DataFormatError(f"{where}: missing {', '.join(missing)}")

    def num(key: str) -> float | None:
        v = row.get(key)
        if v is None or v == "":
            return None
        try:
            return float(v)
        except (TypeError, ValueError):
            raise DataFormatError(f"{where}: {key} = {v!r} is not a number") from None
    sigma, tol = num("sigma"), num("tolerance")
    if sigma is None and tol is None:
        raise DataFormatError(f"{where}: give sigma (standard uncertainty) or tolerance (read as 2 sigma)")
    if sigma is None:
        sigma = tol / 2.0 if tol is not None else None
    obs = str(row["observable"])
    if obs not in OBSERVABLES:
        raise DataFormatError(f"{where}: unknown observable {obs!r}" + _hint(obs, OBSERVABLES)
                              + f"; known: {', '.join(OBSERVABLES)}")
    run = row.get("run") or row.get("protocol") or (CYCLING_RUN if OBSERVABLES[obs].run_kind == "cycling"
                                                   else REFERENCE_RUN)
    value = num("value")
    assert value is not None and sigma is not None
    try:
        return Target(str(row["id"]), str(row["catalyst"]), obs, value, sigma,
                      str(row.get("unit") or OBSERVABLES[obs].unit), str(run), tol,
                      str(row.get("quantity") or OBSERVABLES[obs].description), str(row.get("source") or where))
    except ParameterError as exc:
        raise DataFormatError(f"{where}: {exc}") from None


def load_targets(path: str | os.PathLike[str]) -> list[Target]:
    """Read targets from a TOML file (``[[target]]`` tables) or a CSV file (one target per row).

    Fields: ``id``, ``catalyst``, ``observable`` (a key of
    :data:`OBSERVABLES`), ``value``, ``sigma`` or ``tolerance`` (read as
    2σ), optional ``unit`` (default the observable's; another unit of its dimension,
    e.g. ``"mV"``, is converted, any other refused), ``run``/``protocol`` (protocol text; default the
    reference run), ``quantity``, ``source``. A TOML file may also list
    ``builtin = ["P1", "P2", ...]`` to include published targets.

    Raises
    ------
    DataFormatError
        Unreadable file, unknown fields or observables, missing values.
    """
    p = as_path(path)
    if not p.is_file():
        raise DataFormatError(f"targets file {str(p)!r} does not exist")
    out: list[Target] = []
    if p.suffix.lower() == ".toml":
        try:
            doc = tomllib.loads(p.read_text(encoding="utf-8-sig"))  # a byte-order mark (Notepad) is allowed
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DataFormatError(f"{p}: not valid TOML ({exc})") from None
        extra = [k for k in doc if k not in ("target", "builtin")]
        if extra:
            raise DataFormatError(f"{p}: unknown top-level key {extra[0]!r}; use [[target]] tables and 'builtin'")
        if "builtin" in doc:
            try:
                out += builtin_targets(doc["builtin"])
            except ParameterError as exc:
                raise DataFormatError(f"{p}: builtin: {exc}") from None
        rows = doc.get("target", [])
        if not isinstance(rows, list):
            raise DataFormatError(f"{p}: 'target' must be an array of tables ([[target]])")
        out += [_target_from_mapping(r, f"{p} target {i + 1}") for i, r in enumerate(rows)]
    elif p.suffix.lower() == ".csv":
        with p.open(newline="", encoding="utf-8-sig") as fh:  # spreadsheets' "CSV UTF-8" starts with a BOM
            reader = csv.DictReader(fh)
            out += [_target_from_mapping({k.strip(): (v.strip() if isinstance(v, str) else v)
                                          for k, v in r.items() if k}, f"{p} row {i + 2}")
                    for i, r in enumerate(reader)]
    else:
        raise DataFormatError(f"{p}: targets must be a .toml or .csv file, not {p.suffix or 'no extension'!r}")
    if not out:
        raise DataFormatError(f"{p}: no targets")
    _check_unique(out)
    return out


def _check_unique(targets: Sequence[Target], origins: Sequence[str] | None = None) -> None:
    """Refuse a target id given twice (it would count twice in χ² and narrow every interval by √2).

    ``origins`` names where each target came from (default its ``source``), for the message.
    """
    where = list(origins) if origins is not None else [t.source or "?" for t in targets]
    seen: dict[str, int] = {}
    for k, t in enumerate(targets):
        if t.id in seen:
            a, b = where[seen[t.id]], where[k]
            both = f"both from {a}" if a == b else f"by {a} and by {b}"
            raise ParameterError(f"target id {t.id!r} is used twice ({both}); ids must be unique, and each target "
                                 "may count only once: drop one of them")
        seen[t.id] = k


@dataclass
class MeasuredSummary:
    """What :func:`targets_from_cycler` read from a record (for the report)."""

    path: str
    protocol: str
    values: dict[str, float] = field(default_factory=dict)


def targets_from_cycler(path: str | os.PathLike[str], catalyst: str = "NLRO", *, mass_g: float | None = None,
                        quantities: Sequence[str] = ("discharge_capacity", "mean_discharge_voltage", "polarisation"),
                        capacity_rel_sigma: float = 0.05, voltage_sigma_V: float = 0.02,
                        data: Any = None, format: str | None = None,
                        column_map: Mapping[str, Any] | None = None, label: str | None = None) -> list[Target]:
    """Targets from the first cycle of a measured cycler file, read through :func:`metalair.io.read`.

    The first discharge and the charge after it are summarised with
    :func:`metalair.analysis.cycle_metrics.half_cycles` (capacity, capacity-weighted
    mean voltage); the model is run on the protocol these imply: each
    half-cycle at its constant (set) current, ending at its measured end
    voltage when it was ended by a voltage cut-off (its voltage moved by more
    than 0.05 V over its last 5 % of capacity), else at its capacity; a
    constant-voltage hold that follows a half-cycle's constant current is
    kept as a hold. What the cell did before the first discharge (a formation
    charge, a rest) is kept in the protocol, and so is a rest between the discharge and
    the charge. A capacity-limited discharge gives no capacity target (its
    capacity is imposed), and a capacity-limited charge no coulombic-efficiency
    target, each with a warning.

    Parameters
    ----------
    path : path-like
        Any file :func:`metalair.io.read` reads (current positive on discharge).
    catalyst : str
        Catalyst of the cell.
    mass_g : float, optional
        Catalyst mass [g] (default the record's).
    quantities : sequence of str
        Observables to turn into targets.
    capacity_rel_sigma, voltage_sigma_V : float
        Standard uncertainties of capacities (relative) and voltages [V].
    data : CyclerData, optional
        An already-read record (then ``path`` is only its label).
    format, column_map : optional
        Passed to :func:`metalair.io.read` (for a generic delimited file).
    label : str, optional
        Start of the target ids, ``label:observable`` (default the file's name; give another one
        to tell apart cells whose files have the same name in different folders).

    Raises
    ------
    DataFormatError
        The record lacks a discharge followed by a charge, or a mass, or its discharge or
        charge is not at constant current (a voltammetry record).
    """
    from metalair.analysis.cycle_metrics import half_cycles

    if data is None:
        from metalair.io import read

        data = read(path, mass_g=mass_g, format=format, column_map=column_map)
    mass = mass_g if mass_g is not None else data.metadata.get("mass_g")
    if not mass:
        raise DataFormatError(f"{path}: no catalyst mass; give mass_g so capacities are per gram")
    hcs = half_cycles(data)
    dis = next((h for h in hcs if h.kind == "discharge"), None)
    ch = next((h for h in hcs if dis is not None and h.kind == "charge" and h.rows[0] > dis.rows[-1]), None)
    if dis is None or ch is None:
        raise DataFormatError(f"{path}: needs a discharge followed by a charge to make targets; "
                              + _record_holds(hcs, dis))
    d, c = _half_summary(dis, float(mass), data, path), _half_summary(ch, float(mass), data, path)
    import warnings

    if not d["voltage_limited"] and "discharge_capacity" in quantities:
        warnings.warn(f"{path}: the first discharge ended at its capacity, not at a voltage cut-off; its capacity "
                      "is imposed by the protocol and is not used as a target", stacklevel=2)
        quantities = [q for q in quantities if q != "discharge_capacity"]
    if not c["voltage_limited"] and "coulombic_efficiency" in quantities:
        warnings.warn(f"{path}: the first charge ended at its capacity, not at a voltage cut-off; its coulombic "
                      "efficiency is imposed by the protocol and is not used as a target", stacklevel=2)
        quantities = [q for q in quantities if q != "coulombic_efficiency"]
    # everything the cell did before the first discharge (a formation charge) changes the state it starts from
    before = [h for h in hcs if h.rows[-1] < dis.rows[0]]
    halves = [(h.kind, _half_summary(h, float(mass), data, path)) for h in before] + [("discharge", d), ("charge", c)]
    t = np.asarray(data.time_s, dtype=float)
    starts = [h.rows[0] for h in [*before, dis, ch]]
    ends = [0, *(h.rows[-1] for h in [*before, dis])]
    pauses = [float(to_user(t[a] - t[b], "h")) for a, b in zip(starts, ends)]
    protocol = _protocol_text(halves, pauses)
    measured = {
        "discharge_capacity": d["capacity"], "mean_discharge_voltage": d["mean_voltage"],
        "mean_charge_voltage": c["mean_voltage"], "polarisation": c["mean_voltage"] - d["mean_voltage"],
        # a cycler counts all the charge: compared with the model's coulombic efficiency, not with its
        # product-removing share (charge_recovered, P5), which no current record can separate
        "coulombic_efficiency": 100.0 * c["capacity"] / d["capacity"],
    }
    out = []
    stem = label if label is not None else Path(str(path)).name
    for q in quantities:
        if q == "charge_recovered":
            raise ParameterError("cannot make a target 'charge_recovered' from a cycler file: it is the product-"
                                 "removing share of the charge (P5), which a current record cannot separate from "
                                 "host extraction and side reactions; use 'coulombic_efficiency' (all the charge)")
        if q not in measured:
            raise ParameterError(f"cannot make a target {q!r} from a cycler file" + _hint(q, measured)
                                 + f"; available: {', '.join(measured)}")
        value = float(measured[q])
        sigma = (capacity_rel_sigma * abs(value) if OBSERVABLES[q].unit in ("mAh/g", "%")
                 else (math.sqrt(2) * voltage_sigma_V if q == "polarisation" else voltage_sigma_V))
        out.append(Target(f"{stem}:{q}", catalyst, q, value, float(sigma), OBSERVABLES[q].unit, protocol, None,
                          OBSERVABLES[q].description, f"measured: {path}"))
    return out


def _record_holds(hcs: Sequence[Any], dis: Any) -> str:
    """What a record without a discharge followed by a charge holds instead (for the refusal)."""
    if not hcs:
        return "the record passes no current (an open-circuit or impedance record?)"
    kinds = [h.kind for h in hcs]
    text = f"the record holds {kinds.count('discharge')} discharge(s) and {kinds.count('charge')} charge(s)"
    if dis is None:
        return text + ", no discharge"
    if kinds.count("charge"):  # charges only before the discharge: a reversed sign reads as charge, discharge
        return (text + ", but no charge after its first discharge; metalair reads the current as positive on "
                "discharge: if the file counts discharge current as negative, flip it (--columns "
                "'current_A=<column>@-1')")
    return text + ", no charge"


#: A half-cycle is at constant current where this share (at least) of its rows typed as its kind carries its set
#: current ...
CC_MIN_SHARE = 0.1
#: ... within this fraction (the set current: the 95th percentile of the magnitude of its current).
CC_TOLERANCE = 0.03


def _half_summary(h: Any, mass_g: float, data: Any = None, path: Any = "the record",
                  drop_V: float = 0.05) -> dict[str, Any]:
    """Capacity, mean voltage and current of a half-cycle; voltage-limited when the voltage runs away at its end.

    A half-cycle counts as ended by a voltage cut-off when the voltage of its
    constant-current part moves by more than ``drop_V`` over that part's last 5 % of
    capacity (the sudden death of a discharge, the rise at the end of a charge);
    otherwise it ended at its capacity or time. Its current is the set current of
    its constant-current rows (steps typed as the half-cycle's kind), not its capacity
    over its duration, which a rest or a constant-voltage hold inside it would dilute;
    rows typed ``hold`` after them are a constant-voltage hold (voltage, final current, duration).
    """
    q = np.asarray(h.capacity_Ah, dtype=float)
    v = np.asarray(h.voltage_V, dtype=float)
    t = np.asarray(h.time_s, dtype=float)
    cap = float(q[-1] - q[0]) if q.size > 1 else 0.0
    if not cap > 0:
        raise DataFormatError(f"the {h.kind} of cycle {h.cycle} passes no charge")
    mean_v = float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(q)) / cap)
    cap_mAh_g = float(convert(cap, "Ah", "mAh")) / mass_g
    out: dict[str, Any] = {"capacity": cap_mAh_g, "mean_voltage": mean_v, "hold": None}
    if data is None:  # no currents: the half-cycle counts as one constant-current step
        duration_h = float(to_user(float(t[-1] - t[0]), "h"))
        cc = np.ones(q.size, dtype=bool)
        out["mean_current"] = cap_mAh_g / duration_h if duration_h > 0 else math.nan
    else:
        rows = np.asarray(h.rows)
        current = np.abs(np.asarray(data.current_A, dtype=float)[rows])
        types = np.asarray(data.step_type)[rows]
        cc = (types == h.kind) & (current > 1e-3 * float(np.max(current, initial=0.0)))  # not its idle records
        level = float(np.percentile(current[cc], 95)) if cc.any() else 0.0
        at_level = cc & (np.abs(current - level) <= CC_TOLERANCE * level)
        if not (level > 0 and np.count_nonzero(at_level) >= CC_MIN_SHARE * np.count_nonzero(cc)):
            kinds = ", ".join(sorted(set(types.tolist())))
            raise DataFormatError(
                f"{path}: the {h.kind} of cycle {h.cycle} (records {int(rows[0])}-{int(rows[-1])}, steps of type "
                f"{kinds}) is not at constant current: fewer than {CC_MIN_SHARE:.0%} of its {h.kind} records carry "
                "one current; targets need a galvanostatic discharge and charge (for a voltammetry record use "
                "'metalair cv')")
        out["mean_current"] = float(convert(float(np.median(current[at_level])), "A", "mA")) / mass_g
        held = types == "hold"
        last_cc = int(np.flatnonzero(cc)[-1])
        hold_rows = np.flatnonzero(held)
        hold_rows = hold_rows[hold_rows > last_cc]
        if not hold_rows.size:  # a CC-CV half-cycle written as one step: its constant-voltage tail is the hold
            from metalair.analysis.cycle_metrics import cv_tail_start

            idx = np.flatnonzero(cc)
            tail = cv_tail_start(v[idx], current[idx])
            if tail is not None and tail > 0:
                hold_rows, last_cc = idx[tail:], int(idx[tail - 1])
                cc[hold_rows] = False
        if hold_rows.size:
            out["hold"] = {"voltage": float(np.median(v[hold_rows])),
                           "end_current": float(convert(float(current[hold_rows[-1]]), "A", "mA")) / mass_g,
                           "duration_h": float(to_user(float(t[hold_rows[-1]] - t[last_cc]), "h"))}
        q, v = q[cc], v[cc]
    part = float(q[-1] - q[0]) if q.size > 1 else 0.0
    v95 = float(np.interp(q[0] + 0.95 * part, q, v)) if part > 0 else float(v[-1])
    out["end_voltage"] = float(v[-1])
    # a constant-voltage hold follows a constant current ended at its voltage
    out["voltage_limited"] = bool(abs(float(v[-1]) - v95) > drop_V or out["hold"] is not None)
    return out


#: Shortest pause [h] between the record's start and its first half-cycle, or between two half-cycles,
#: that the protocol reproduces as a rest (a rest changes the state the next step starts from).
MIN_REST_H = float(convert(1.0, "min", "h"))


def _protocol_text(halves: Sequence[tuple[str, dict[str, Any]]], pauses_h: Sequence[float]) -> str:
    """The protocol of measured half-cycles, in the order the cell ran them, with the pauses between them.

    Each half-cycle gives its current and how it ended; ``pauses_h[k]``, the pause before ``halves[k]``,
    is a rest when it lasts :data:`MIN_REST_H` or longer.
    A voltage cut-off is the last reading rounded to 10 mV (cyclers set limits in 10 mV steps; the last
    reading is the limit plus noise). A constant-voltage hold after a half-cycle's constant current is
    a hold at that voltage until its final current or its duration.
    """
    parts = []
    for (kind, h), pause in zip(halves, pauses_h):
        if pause >= MIN_REST_H:
            parts.append(f"Rest for {pause:.4g} h")
        text = f"{kind.capitalize()} at {h['mean_current']:.6g} mA/g"
        hold = h.get("hold")
        if hold is not None:
            parts.append(text + f" until {hold['voltage']:.2f} V")
            parts.append(f"Hold at {hold['voltage']:.2f} V until {hold['end_current']:.4g} mA/g "
                         f"or {max(hold['duration_h'], 1e-3):.4g} h")
            continue
        if h["voltage_limited"]:
            parts.append(text + f" until {round(h['end_voltage'], 2):.2f} V")
            continue
        safety = max(h["end_voltage"] - 0.5, 0.5) if kind == "discharge" else h["end_voltage"] + 0.5
        parts.append(text + f" for {h['capacity']:.6g} mAh/g or until {safety:.4g} V")
    return "; ".join(parts)
