"""The per-candidate evaluation of screens and sweeps (one function: :func:`evaluate_candidate`).

A candidate is a flat ``{name: value}`` dictionary. Names address what they change:

``catalyst``
    Base catalyst: built-in name or catalyst file (``*.toml``). A screen reads
    its catalyst files once, where it was started, and sends the catalysts
    to the workers (:class:`ScreenEvaluation`): workers need neither the
    files nor the same working folder.
``catalyst.<field>``
    A scalar field of :class:`~metalair.catalysts.Catalyst`
    (``catalyst.free_energy_overpotential``).
``descriptors.<product>.<field>``
    A field of one product's :class:`~metalair.catalysts.Descriptors`;
    ``<product>`` = ``*`` sets all three (``descriptors.*.icohp``).
``host_couples.<index>.<field>``
    A field of one host couple (``*`` for all).
``parameters.<field>``
    A field of :class:`~metalair.models.parameters.LumpedParameters`.
``protocol.<name>``
    Fills ``{name}`` in the protocol text of the settings.
``environment``
    ``"ambient air"``, ``"dry air"`` or ``"pure O2"``.

The mapping to dataclass fields is generic (``dataclasses.replace``), so
fields added to the catalyst or parameter classes can be swept without a
change here. Everything the evaluation computes comes from the public API
(:class:`~metalair.protocols.simulation.Simulation`,
:func:`~metalair.analysis.summary.summarize`,
:func:`~metalair.workflows.cycling.run_cycling`); a faster summary-only path
can replace the body of :func:`evaluate_candidate` without touching the engine.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import os
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any

from metalair._files import file_sha256
from metalair._validation import keyword_checked
from metalair.analysis.efficiency import charge_incomplete
from metalair.catalysts import PRODUCTS, Catalyst, get_catalyst
from metalair.errors import MetalairError, ParameterError
from metalair.units import convert

__all__ = ["CyclingSettings", "ScreenSettings", "ScreenEvaluation", "evaluate_candidate", "apply_candidate",
           "descriptor_value", "as_bool", "INCOMPLETE_CHARGE_NOTE",
           "check_settings", "check_candidate", "read_catalyst_files", "KEY_FORMS",
           "RESULT_COLUMNS", "CYCLING_COLUMNS"]

KEY_FORMS = ("catalyst", "catalyst.<field>", "descriptors.<product|*>.<field>", "host_couples.<index|*>.<field>",
             "parameters.<field>", "protocol.<name>", "environment")

#: Result columns of a full discharge–charge (see :func:`evaluate_candidate`).
RESULT_COLUMNS = (
    "discharge_capacity_mAh_g", "mean_discharge_voltage_V", "mean_charge_voltage_V", "polarisation_V",
    "charge_capacity_mAh_g", "coulombic_efficiency_pct", "energy_efficiency_pct", "charge_plateaus",
    "charge_plateau_1_V", "charge_plateau_2_V", "charge_plateau_3_V", "carbonate_after_charge_mmol_g",
    "residue_after_charge_mmol_g", "discharge_end_reason", "charge_end_reason",
)

#: Result columns of capacity-limited cycling (see :func:`evaluate_candidate`).
CYCLING_COLUMNS = (
    "cycle_life", "censored", "first_failed_cycle", "cycles_run", "eod_voltage_first_V", "eod_voltage_last_V",
    "eoc_voltage_first_V", "eoc_voltage_last_V", "polarisation_first_cycle_V", "polarisation_last_cycle_V",
    "end_of_life_reason",
)


@keyword_checked
@dataclass(frozen=True)
class CyclingSettings:
    """Capacity-limited cycling run per candidate (see :func:`metalair.workflows.cycling.run_cycling`).

    Parameters
    ----------
    current, capacity : str
        Specific current and capacity limit per half-cycle (``"500 mA/g"``, ``"500 mAh/g"``).
    cycles : int
        Number of cycles.
    v_min, v_max : str
        Voltage limits.
    tolerance : float
        Fraction of the capacity limit a half-cycle must reach.
    eod_threshold_V : float
        End-of-discharge voltage threshold [V].
    """

    current: str = "500 mA/g"
    capacity: str = "500 mAh/g"
    cycles: int = 100
    v_min: str = "1.5 V"
    v_max: str = "4.8 V"
    tolerance: float = 0.99
    eod_threshold_V: float = 2.0

    def __post_init__(self) -> None:
        from metalair.workflows.cycling import check_eod_threshold, cycling_protocol

        cycle = cycling_protocol(self.current, self.capacity, self.cycles, self.v_min, self.v_max)
        if isinstance(self.tolerance, bool) or not isinstance(self.tolerance, Real) or not 0 < self.tolerance <= 1:
            raise ParameterError(f"cycling tolerance must be in (0, 1], got {self.tolerance!r}")
        if (isinstance(self.eod_threshold_V, bool) or not isinstance(self.eod_threshold_V, Real)
                or not math.isfinite(self.eod_threshold_V)):
            raise ParameterError(f"cycling eod_threshold_V must be a finite voltage in V, got {self.eod_threshold_V!r}")
        check_eod_threshold(self.eod_threshold_V, cycle)


@keyword_checked
@dataclass(frozen=True)
class ScreenSettings:
    """What is computed for each candidate.

    Parameters
    ----------
    catalyst : str
        Base catalyst when a candidate names none (built-in name or ``*.toml``).
    protocol : str or None
        Full discharge–charge protocol text (``{name}`` fields filled from
        ``protocol.<name>`` candidate keys); None skips it.
    environment : str
        Default environment.
    plateaus : bool
        Find charge plateaus (needs the time series of the run); False
        keeps step summaries only, which is faster.
    cycling : CyclingSettings or None
        Also run capacity-limited cycling and report cycle life.
    fast : bool
        Use :data:`SCREENING_SOLVER` (4x looser step control) for the discharge–charge: about twice
        as fast; on the 100 mA/g reference runs capacities move by < 0.2 % and polarisations by < 1 mV,
        at 500-1000 mA/g by up to 2.3 % and 6 mV (NLRO 6,584 vs 6,435 mAh/g at 1000 mA/g; RuO2
        1.022 vs 1.028 V at 500 mA/g): rank candidates with it, check the chosen ones without.
    """

    catalyst: str = "NLRO"
    protocol: str | None = "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V"
    environment: str = "ambient air"
    plateaus: bool = True
    cycling: CyclingSettings | None = None
    fast: bool = False

    def __post_init__(self) -> None:
        for name, kinds, what in (("catalyst", (str, os.PathLike), "a built-in catalyst name or a .toml file"),
                                  ("environment", (str,), "an environment name, e.g. 'ambient air'"),
                                  ("protocol", (str, type(None)), "protocol text, or None to skip it"),
                                  ("cycling", (CyclingSettings, type(None)), "a CyclingSettings, or None"),
                                  ("plateaus", (bool,), "True or False"),
                                  ("fast", (bool,), "True or False")):
            value = getattr(self, name)
            if not isinstance(value, kinds):
                raise ParameterError(f"ScreenSettings.{name} must be {what}, got {type(value).__name__} {value!r}")


def _screening_solver() -> Any:
    from metalair.solvers.integrate import SolverSettings

    return SolverSettings(max_change=0.02, rtol=4e-3, atol=1.2e-3, dt_max=480.0)


#: Step control of a ``fast`` screen: 4x the default tolerances and largest step. Against the default
#: on the 100 mA/g reference runs: NLRO 15,007 vs 14,995 mAh/g, polarisation 0.7490 vs 0.7493 V;
#: RuO2 8,513 vs 8,499 mAh/g, 0.9653 vs 0.9658 V (tests/sweeps check it); at higher currents more (NLRO at
#: 1000 mA/g 6,584 vs 6,534 mAh/g, RuO2 at 500 mA/g 1.008 vs 1.013 V).
SCREENING_SOLVER = _screening_solver()


@functools.lru_cache(maxsize=64)
def _base(name: str) -> Catalyst:
    return get_catalyst(name)


#: What :func:`read_catalyst_files` gives per file: the catalyst, or the error reading it gave.
CatalystFiles = Mapping[str, "Catalyst | MetalairError"]


def _is_file_name(name: Any) -> bool:
    return isinstance(name, str) and name.strip().lower().endswith(".toml")


def read_catalyst_files(names: Iterable[Any]) -> tuple[dict[str, Catalyst | MetalairError], dict[str, str]]:
    """Read the catalyst files among ``names`` (the ``*.toml`` ones), here and once.

    Parameters
    ----------
    names : iterable
        Catalyst names and file names, as candidates and settings give them (relative file names are
        relative to the current folder).

    Returns
    -------
    catalysts : dict
        ``{name: Catalyst}``, or the :class:`~metalair.errors.MetalairError` reading that file gave (each
        candidate that names it gets that error as its row).
    digests : dict
        ``{name: "sha256:..."}`` of each file's bytes (``"missing"`` if it cannot be read): what a
        resumed sweep compares, so that an edited file is noticed.
    """
    from metalair.catalysts.files import load_catalyst

    catalysts: dict[str, Catalyst | MetalairError] = {}
    digests: dict[str, str] = {}
    for name in dict.fromkeys(n for n in names if _is_file_name(n)):
        try:
            digests[name] = "sha256:" + file_sha256(name.strip())
        except OSError:
            digests[name] = "missing"
        try:
            catalysts[name] = load_catalyst(name.strip())
        except MetalairError as exc:
            catalysts[name] = exc
    return catalysts, digests


def _catalyst(name: str, catalysts: CatalystFiles | None) -> Catalyst:
    """The catalyst ``name`` stands for: one read by :func:`read_catalyst_files` if there, else built-in or file."""
    if catalysts is not None and name in catalysts:
        found = catalysts[name]
        if isinstance(found, MetalairError):
            raise type(found)(*found.args)  # a new one each time: never one exception raised in every row
        return found
    return get_catalyst(name) if _is_file_name(name) else _base(name)  # a file is read again: it may have changed


class ScreenEvaluation:
    """:func:`evaluate_candidate` with fixed settings and the catalyst files read where the sweep started.

    What the sweep engine sends to its workers (picklable); :meth:`for_batch` keeps only the catalysts a
    batch names, so each batch carries what it needs and no more.

    Parameters
    ----------
    settings : ScreenSettings
    catalysts : mapping, optional
        ``{name: Catalyst or error}`` from :func:`read_catalyst_files`.
    """

    def __init__(self, settings: ScreenSettings, catalysts: CatalystFiles | None = None):
        self.settings = settings
        self.catalysts = dict(catalysts or {})

    def __call__(self, candidate: Mapping[str, Any]) -> dict[str, Any]:
        """Evaluate one candidate (see :func:`evaluate_candidate`)."""
        return evaluate_candidate(candidate, self.settings, catalysts=self.catalysts)

    def for_batch(self, candidates: Iterable[Mapping[str, Any]]) -> ScreenEvaluation:
        """The same evaluation, carrying only the catalysts that ``candidates`` (and the settings) name."""
        needed = {str(c.get("catalyst", self.settings.catalyst)) for c in candidates} | {self.settings.catalyst}
        return ScreenEvaluation(self.settings, {k: v for k, v in self.catalysts.items() if k in needed})

    def __repr__(self) -> str:
        return f"ScreenEvaluation({self.settings!r}, catalysts={sorted(self.catalysts)})"


#: The note in ``message`` of a row whose charge ended before it returned the discharge
#: (see :func:`~metalair.analysis.efficiency.charge_incomplete`).
INCOMPLETE_CHARGE_NOTE = ("charge incomplete: it stopped at the {reason} after returning {ce:.1f} % of the discharge, "
                          "so polarisation_V and mean_charge_voltage_V are over the part that ran, not comparable "
                          "with rows that recharged fully (masked on the map)")


def _replace(obj: Any, changes: Mapping[str, Any], what: str) -> Any:
    names = [f.name for f in dataclasses.fields(obj)]
    for k in changes:
        if k not in names:
            from metalair.models.parameters import REMOVED, LumpedParameters

            if isinstance(obj, LumpedParameters) and k in REMOVED:
                raise ParameterError(f"{what} has no field {k!r}: {REMOVED[k]}")
            hint = difflib.get_close_matches(k, names, n=1)
            raise ParameterError(f"{what} has no field {k!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                                 + f" Fields: {', '.join(names)}")
    flags = {f.name for f in dataclasses.fields(obj) if f.type in (bool, "bool")}
    changes = {k: as_bool(v, f"{what}.{k}") if k in flags else v for k, v in changes.items()}
    return dataclasses.replace(obj, **changes)


def as_bool(value: Any, name: str) -> bool:
    """A true/false candidate value: a bool, 1 or 0, or text true/false, yes/no, 1/0 (any case).

    ``--grid catalyst.switching=true,false`` and a CSV cell give text or the numbers 1 and 0; the
    catalyst takes only a bool.
    """
    from metalair.sweeps.candidates import BOOL_TEXT

    if isinstance(value, bool):
        return value
    if hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "b":  # a numpy bool (a Parquet column)
        return bool(value)
    if isinstance(value, Real) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in BOOL_TEXT:
        return BOOL_TEXT[value.strip().lower()]
    raise ParameterError(f"{name} = {value!r} must be true or false (also written True/False, yes/no or 1/0)")


def apply_candidate(candidate: Mapping[str, Any], settings: ScreenSettings = ScreenSettings(),
                    catalysts: CatalystFiles | None = None) -> tuple[Catalyst, Any, str | None, str]:
    """The catalyst, parameters, protocol text and environment a candidate stands for.

    ``catalysts`` (from :func:`read_catalyst_files`) gives the catalyst files already read; a file not
    in it is read here.

    Raises
    ------
    ParameterError
        An unknown key form, field or product; a value out of range (from the
        dataclass validation).
    """
    from metalair.models.parameters import DEFAULT_PARAMETERS

    if not isinstance(candidate, Mapping):
        raise ParameterError(f"candidate = {candidate!r} must be a mapping of names to values, e.g. "
                             "{'descriptors.NaO2.d_band_centre': -1.8}")
    if not isinstance(settings, ScreenSettings):
        raise ParameterError(f"settings = {settings!r} must be a ScreenSettings")
    cat = _catalyst(str(candidate.get("catalyst", settings.catalyst)), catalysts)
    cat_changes: dict[str, Any] = {}
    desc_changes: dict[str, dict[str, Any]] = {}
    host_changes: dict[int, dict[str, Any]] = {}
    par_changes: dict[str, Any] = {}
    fills: dict[str, Any] = {}
    env = str(candidate.get("environment", settings.environment))
    for key, value in candidate.items():
        if key in ("catalyst", "environment"):
            continue
        parts = key.split(".")
        head = parts[0]
        if head == "catalyst" and len(parts) == 2:
            cat_changes[parts[1]] = value
        elif head == "descriptors" and len(parts) == 3:
            prods = PRODUCTS if parts[1] == "*" else (parts[1],)
            for p in prods:
                if p not in PRODUCTS:
                    raise ParameterError(f"candidate key {key!r}: unknown product {p!r}; allowed: "
                                         f"{', '.join(PRODUCTS)} or *")
                desc_changes.setdefault(p, {})[parts[2]] = value
        elif head == "host_couples" and len(parts) == 3:
            n = len(cat.host_couples)
            if parts[1] == "*":
                idx = list(range(n))
            else:
                try:
                    idx = [int(parts[1])]
                except ValueError:
                    raise ParameterError(f"candidate key {key!r}: host couple index must be an integer or *") \
                        from None
                if not 0 <= idx[0] < n:
                    raise ParameterError(f"candidate key {key!r}: {cat.name} has {n} host couple(s) (index 0..{n - 1})")
            for i in idx:
                host_changes.setdefault(i, {})[parts[2]] = value
        elif head == "parameters" and len(parts) == 2:
            par_changes[parts[1]] = value
        elif head == "protocol" and len(parts) == 2:
            fills[parts[1]] = value
        else:
            raise ParameterError(f"candidate key {key!r} is not understood; accepted forms: {', '.join(KEY_FORMS)}")
    if desc_changes:
        new = dict(cat.descriptors)
        for p, ch in desc_changes.items():
            new[p] = _replace(new[p], ch, f"Descriptors ({p})")
        cat_changes["descriptors"] = new
    if host_changes:
        hcs = list(cat.host_couples)
        for i, ch in host_changes.items():
            hcs[i] = _replace(hcs[i], ch, f"HostCouple {i}")
        cat_changes["host_couples"] = tuple(hcs)
    if cat_changes:
        cat = _replace(cat, cat_changes, "Catalyst")
    params = _replace(DEFAULT_PARAMETERS, par_changes, "LumpedParameters") if par_changes else DEFAULT_PARAMETERS
    protocol = settings.protocol
    if protocol is not None:
        needed = _protocol_fields(protocol)
        missing = [f for f in needed if f not in fills]
        if missing:
            raise ParameterError(f"protocol {protocol!r} needs value(s) for {missing}: add protocol.<name> to the "
                                 "candidates")
        unused = [f for f in fills if f not in needed]
        if unused:
            raise ParameterError(f"candidate key(s) {['protocol.' + u for u in unused]} fill nothing in the protocol "
                                 f"{protocol!r} (it has fields {needed or 'none'})")
        protocol = protocol.format(**fills)
    return cat, params, protocol, env


def _protocol_fields(protocol: str) -> list[str]:
    return [f for _t, f, _s, _c in string.Formatter().parse(protocol) if f]


def check_settings(settings: ScreenSettings) -> None:
    """Check what every candidate shares, before any candidate runs.

    The environment and the protocol (unless it holds ``{name}`` fields: those are filled per
    candidate, see :func:`check_candidate`); the settings' types and the cycling settings were
    checked when they were made. The errors are the ones
    ``metalair simulate`` and ``metalair cycle`` give for the same input, so a typo fails once,
    not in every row.

    Raises
    ------
    ParameterError, ProtocolError, KeyNotFoundError
        An unknown environment, a protocol that cannot be read.
    """
    from metalair.chemistry import environment as get_env

    if not isinstance(settings, ScreenSettings):
        raise ParameterError(f"settings must be a ScreenSettings, got {type(settings).__name__}")
    get_env(settings.environment)
    if settings.protocol is not None and not _protocol_fields(settings.protocol):
        from metalair.protocols.parser import parse_protocol

        parse_protocol(settings.protocol)
    # the cycling settings checked themselves when they were made (CyclingSettings.__post_init__)


def check_candidate(candidate: Mapping[str, Any], settings: ScreenSettings = ScreenSettings(),
                    catalysts: CatalystFiles | None = None) -> None:
    """Build everything one candidate's run needs (catalyst, parameters, environment, model, protocol); run nothing.

    Raises
    ------
    MetalairError
        What :func:`evaluate_candidate` would raise before its first time step.
    """
    from metalair.chemistry import environment as get_env

    cat, params, protocol, env_name = apply_candidate(candidate, settings, catalysts)
    env = get_env(env_name)
    if protocol is not None:
        _simulation(cat, params, protocol, env, settings)
    elif settings.cycling is not None:
        from metalair.models.lumped import LumpedAirElectrode

        LumpedAirElectrode(cat, params, env)


def _simulation(cat: Catalyst, params: Any, protocol: str, env: Any, settings: ScreenSettings) -> Any:
    """The discharge–charge :class:`~metalair.protocols.simulation.Simulation` of one candidate (not run)."""
    from metalair.protocols.simulation import Simulation

    return Simulation(cat, protocol, parameters=params, environment=env,
                      save_cycles=None if settings.plateaus else (),
                      solver=SCREENING_SOLVER if settings.fast else None)


def descriptor_value(cat: Catalyst, key: str) -> float:
    """Value of a candidate key for a catalyst (to mark it on a map); ``descriptors.*.<f>`` is the mean over products.

    Returns NaN for keys that are not catalyst descriptors.
    """
    parts = key.split(".")
    try:
        if parts[0] == "catalyst" and len(parts) == 2:
            return float(getattr(cat, parts[1]))
        if parts[0] == "descriptors" and len(parts) == 3:
            prods = PRODUCTS if parts[1] == "*" else (parts[1],)
            return float(sum(getattr(cat.descriptors[p], parts[2]) for p in prods) / len(prods))
    except (AttributeError, KeyError, TypeError, ValueError):
        return math.nan
    return math.nan


def evaluate_candidate(candidate: Mapping[str, Any], settings: ScreenSettings = ScreenSettings(),
                       catalysts: CatalystFiles | None = None) -> dict[str, Any]:
    """Simulate one candidate and return a flat dictionary of scalars.

    Full discharge–charge (``settings.protocol``): the columns of
    :data:`RESULT_COLUMNS` (discharge capacity, mean voltages, polarisation =
    mean charge − mean discharge voltage, charge recovered = charge / discharge
    capacity, energy efficiency, number and voltages of charge plateaus found
    from dQ/dV, carbonate and residue left after the charge, why each step
    ended). Cycling (``settings.cycling``): ``cycle_life``, ``censored``,
    ``first_failed_cycle``, ``cycles_run``, end-of-discharge/charge voltages
    of the first and last cycle, polarisation of the first and last cycle.
    ``status`` is ``"ok"`` or ``"failed"`` (a run that ended early, with its
    message); errors propagate (the engine turns them into rows). Counts
    (``charge_plateaus``, ``cycle_life``, ``first_failed_cycle``,
    ``cycles_run``) are integers, None where there is none (no plateau
    search, no failed cycle). ``catalysts``: see :func:`apply_candidate`.
    """
    from metalair.chemistry import environment as get_env

    cat, params, protocol, env_name = apply_candidate(candidate, settings, catalysts)
    env = get_env(env_name)
    out: dict[str, Any] = {}
    status, messages = "ok", []
    if protocol is not None:
        sol = _simulation(cat, params, protocol, env, settings).run()
        sol.raise_if_interrupted()  # Ctrl-C stops the sweep (resume redoes this batch), never a result
        from metalair.analysis.summary import step_summary, summarize

        if settings.plateaus:
            s = summarize(sol)
            plateaus = s.get("charge_plateaus") or []
        else:
            s = step_summary(sol)
            plateaus = []
        nan = math.nan
        out.update({
            "discharge_capacity_mAh_g": s.get("discharge_capacity_mAh_g", nan),
            "mean_discharge_voltage_V": s.get("mean_discharge_voltage_V", nan),
            "mean_charge_voltage_V": s.get("mean_charge_voltage_V", nan),
            "polarisation_V": s.get("polarisation_V", nan),
            "charge_capacity_mAh_g": s.get("charge_capacity_mAh_g", nan),
            "coulombic_efficiency_pct": s.get("coulombic_efficiency_pct", nan),
            "energy_efficiency_pct": s.get("energy_efficiency_pct", nan),
            "charge_plateaus": len(plateaus) if settings.plateaus else None,
        })
        for i in range(3):
            out[f"charge_plateau_{i + 1}_V"] = plateaus[i]["voltage_V"] if i < len(plateaus) else nan
        after = s.get("products_after_charge_mol_g") or {}
        out["carbonate_after_charge_mmol_g"] = convert(after.get("Na2CO3", nan), "mol/g", "mmol/g") if after else nan
        out["residue_after_charge_mmol_g"] = convert(after.get("Residue", nan), "mol/g", "mmol/g") if after else nan
        out["discharge_end_reason"] = s.get("discharge_end_reason", "")
        out["charge_end_reason"] = s.get("charge_end_reason", "")
        if sol.ok and s.get("coulombic_efficiency_note"):  # the same bounds a measured cycle table flags
            messages.append(s["coulombic_efficiency_note"])
        if sol.ok and charge_incomplete(out["coulombic_efficiency_pct"]):
            messages.append(INCOMPLETE_CHARGE_NOTE.format(ce=out["coulombic_efficiency_pct"],
                                                          reason=out["charge_end_reason"] or "its end"))
        if not sol.ok:  # a run that did not finish: its partial numbers are not results (the map would show them)
            status = "failed"
            messages.append(sol.message)
            discharge_done = out["discharge_end_reason"] not in ("", "failed")  # the failure came on charge
            for key, value in out.items():
                if discharge_done and key in ("discharge_capacity_mAh_g", "mean_discharge_voltage_V"):
                    continue
                if isinstance(value, float) or key == "charge_plateaus":
                    out[key] = None if key == "charge_plateaus" else nan
    if settings.cycling is not None:
        from metalair.workflows.cycling import run_cycling

        c = settings.cycling
        res = run_cycling(cat, c.current, c.capacity, c.cycles, c.v_min, c.v_max, eod_threshold_V=c.eod_threshold_V,
                          tolerance=c.tolerance, save_cycles=(), parameters=params, environment=env, figure=False)
        life: Any = res.life
        t: Any = res.table
        sol_c: Any = res.solution
        sol_c.raise_if_interrupted()
        out.update({
            "cycle_life": life.cycle_life,
            "censored": bool(life.censored),
            "first_failed_cycle": life.first_failed_cycle,
            "cycles_run": len(t),
            "eod_voltage_first_V": float(t["End-of-discharge voltage [V]"][0]),
            "eod_voltage_last_V": float(t["End-of-discharge voltage [V]"][-1]),
            "eoc_voltage_first_V": float(t["End-of-charge voltage [V]"][0]),
            "eoc_voltage_last_V": float(t["End-of-charge voltage [V]"][-1]),
            "polarisation_first_cycle_V": float(t["Polarisation [V]"][0]),
            "polarisation_last_cycle_V": float(t["Polarisation [V]"][-1]),
            "end_of_life_reason": str(life.reason or ""),
        })
        if not sol_c.ok:  # as above: cycles_run says how far it got; the rest is not a result
            status = "failed"
            messages.append("cycling: " + sol_c.message)
            for key in ("eod_voltage_first_V", "eod_voltage_last_V", "eoc_voltage_first_V", "eoc_voltage_last_V",
                        "polarisation_first_cycle_V", "polarisation_last_cycle_V"):
                out[key] = math.nan
            out.update({"cycle_life": None, "censored": None, "first_failed_cycle": None,
                        "end_of_life_reason": "not judged: the simulation failed (see message)"})
    out["status"] = status
    out["message"] = "; ".join(messages)
    return out
