"""Simulation: a model, its parameters, a protocol and solver settings, run together."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Collection
from typing import Any

import numpy as np

from metalair._validation import PROGRESS_COUNT, check_callable
from metalair.chemistry import AMBIENT_AIR
from metalair.chemistry import environment as get_environment
from metalair.errors import ParameterError, ProtocolError, SolverError
from metalair.models.declaration import PROCESSES
from metalair.models.lumped import VALIDATED_TEMPERATURE_K, VALIDATED_WINDOW, VOLTAGE_WINDOW, LumpedAirElectrode
from metalair.protocols.solution import Solution, StepSummary
from metalair.protocols.steps import Charge, Cycle, Discharge, Hold, Protocol, Rest, Sweep, count_steps, flatten
from metalair.solvers.integrate import SegmentOutcome, SolverSettings
from metalair.units import from_user, to_user

__all__ = ["Simulation", "REFERENCE_PROTOCOL", "simulate"]

#: The reference full discharge–charge of the study at 100 mA/g.
REFERENCE_PROTOCOL = "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V"

_LONG = 1.0e12    # "no duration limit" [s]
#: Specific current [A/kg = mA/g] at and above which a galvanostatic step's time steps are capped at
#: SolverSettings.dt_max; below it the cap grows as 1/current, so that a slow step passes the same charge per
#: step as one at this current (a 1 mA/g discharge would otherwise need 100x the steps of a 100 mA/g one).
DT_MAX_CURRENT = 100.0
#: Largest number of protocol steps (after expanding cycles) a run accepts.
MAX_PROTOCOL_STEPS = 50_000_000
#: Longest simulated time [s] a run accepts (1000 years).
MAX_SIMULATED_TIME = float(from_user(1000 * 365.25, "d"))
#: Protocol steps beyond which every cycle's time series would not fit in memory: keep a few cycles.
MAX_STORED_STEPS = 20_000
_warned_uncompiled = False


def check_protocol_size(protocol: Protocol, save_cycles_given: bool) -> int:
    """Refuse, before any work, a protocol too large to run or to keep; return its step count.

    Raises
    ------
    ProtocolError
        More than :data:`MAX_PROTOCOL_STEPS` steps, a sweep or duration longer than
        :data:`MAX_SIMULATED_TIME`, or more than :data:`MAX_STORED_STEPS` steps with every
        time series kept (advice: ``save_cycles``).
    """
    n = count_steps(protocol.steps)
    if n > MAX_PROTOCOL_STEPS:
        raise ProtocolError(f"the protocol expands to {n:,} steps (more than {MAX_PROTOCOL_STEPS:,}); "
                            "reduce the repeat counts, e.g. '(...) x 1000'")

    def longest(steps: Any) -> float:
        worst = 0.0
        for st in steps:
            if isinstance(st, Cycle):
                worst = max(worst, longest(st.steps))
            elif isinstance(st, Sweep):
                worst = max(worst, st.cycles * 2.0 * (st.upper - st.lower) / st.scan_rate)
            elif getattr(st, "duration", None) is not None:
                worst = max(worst, float(st.duration))
        return worst

    t = longest(protocol.steps)
    if t > MAX_SIMULATED_TIME:
        raise ProtocolError(f"a step of the protocol lasts {to_user(t, 'h'):.3g} h of simulated time, more than "
                            f"{to_user(MAX_SIMULATED_TIME, 'h'):.3g} h (1000 years); shorten it (a sweep lasts "
                            "cycles x 2 x (upper - lower) / scan rate)")
    if n > MAX_STORED_STEPS and not save_cycles_given:
        raise ProtocolError(f"the protocol has {n:,} steps; keeping every time series would not fit in memory. "
                            "Pass save_cycles (e.g. save_cycles=[1, 10, 100]) to keep the series of a few cycles "
                            "(step summaries are kept for all); the CLI does this for long runs")
    return n


def _first_limit_check(model: LumpedAirElectrode, step: Any, y: np.ndarray) -> None:
    """Refuse a first step whose voltage limit the cell has already passed at rest."""
    if not isinstance(step, (Discharge, Charge)) or step.until is None:
        return
    v_oc = model.cell_voltage(model.potential(y), 0.0)
    desc = _describe(step)
    if isinstance(step, Discharge) and step.until >= v_oc:
        raise ProtocolError(
            f"'{desc}': the cell rests at {v_oc:.3f} V, already below {step.until:g} V, so the discharge would "
            f"end at once. A discharge lowers the voltage: did you mean 'Charge at {to_user(step.current, 'mA/g'):g} "
            f"mA/g until {step.until:g} V', or a discharge until a lower voltage such as 1.5 V?")
    if isinstance(step, Charge) and step.until <= v_oc:
        raise ProtocolError(
            f"'{desc}': the cell rests at {v_oc:.3f} V, already above {step.until:g} V, so the charge would end "
            f"at once. A charge raises the voltage: did you mean 'Discharge at "
            f"{to_user(step.current, 'mA/g'):g} mA/g until {step.until:g} V', or a charge until a higher voltage "
            "such as 4.8 V?")


def _extrapolation_warnings(protocol: Protocol) -> list[str]:
    """One warning per voltage of the protocol (limit, hold, sweep vertex) outside :data:`VALIDATED_WINDOW`."""
    lo, hi = VALIDATED_WINDOW
    seen: dict[float, str] = {}
    for _cycle, step in flatten(protocol.steps):
        if isinstance(step, (Discharge, Charge)):
            volts = [step.until]
        elif isinstance(step, Hold):
            volts = [step.voltage]
        elif isinstance(step, Sweep):
            volts = [step.lower, step.upper]
        else:
            volts = []
        for v in volts:
            if v is not None and not (lo - 1e-9 <= v <= hi + 1e-9) and v not in seen:
                seen[v] = _describe(step)
    return [f"'{desc}': {v:g} V lies outside {lo:g}-{hi:g} V, the window of the measurements the model was "
            f"built on (Sun et al. 2025); {'below' if v < lo else 'above'} it the results are extrapolation"
            + (f" (a limit in mV meant as {1000 * v:g} V?)" if 0.0 < v < 0.01 else "")
            for v, desc in seen.items()]


def _temperature_warnings(T: float) -> list[str]:
    """A warning when the run's temperature lies outside :data:`VALIDATED_TEMPERATURE_K`."""
    lo, hi = VALIDATED_TEMPERATURE_K
    if lo - 1e-9 <= T <= hi + 1e-9:
        return []
    return [f"the environment's temperature, {to_user(T, 'degC'):.4g} °C, lies outside {to_user(lo, 'degC'):g}-"
            f"{to_user(hi, 'degC'):g} °C, the room temperature of the measurements the model was built on (Sun "
            "et al. 2025): only the thermodynamics (reaction entropies, Nernst terms) and the Tafel slopes follow "
            "the temperature; the exchange currents, O2 transport and electrolyte resistance carry no activation "
            "energy (none was measured for this cell), so the kinetics are extrapolation"]


def cycle_set(save_cycles: Any) -> set[int]:
    """The cycle numbers of ``save_cycles`` (whole numbers >= 1), or a ParameterError naming the value."""
    example = "e.g. save_cycles=[1, 10, 100], or a function of the cycle number"
    if isinstance(save_cycles, (str, bytes)) or not hasattr(save_cycles, "__iter__"):  # '10' iterated as '1', '0'
        raise ParameterError(f"save_cycles = {save_cycles!r} must be a collection of cycle numbers, {example}")
    keep: set[int] = set()
    for c in save_cycles:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1:
            raise ParameterError(f"save_cycles holds {c!r}; cycle numbers are whole numbers from 1, {example}")
        keep.add(int(c))
    return keep


def _as_protocol(protocol: Any) -> Protocol:
    if protocol is None:
        protocol = REFERENCE_PROTOCOL
    from metalair.protocols.parser import as_protocol

    return as_protocol(protocol)


class Simulation:
    """Run a protocol on the lumped sodium–air cell.

    Parameters
    ----------
    catalyst : str or Catalyst, optional
        ``"NLRO"`` (default), ``"RuO2"`` or a :class:`~metalair.catalysts.Catalyst`.
    protocol : str, step, list of steps or Protocol, optional
        Default: :data:`REFERENCE_PROTOCOL`.
    parameters : LumpedParameters, optional
        Cell and kinetic parameters.
    environment : Environment or str, optional
        Default ambient air (25 °C, 20 % RH, 420 ppm CO2).
    solver : SolverSettings, optional
        Step control and tolerances.
    save_cycles : callable or collection of int, optional
        Which cycles keep their full time series (all by default); step
        summaries are kept for every step. Use it to bound memory on long runs.
    model : LumpedAirElectrode, optional
        A ready model, which carries its own catalyst, parameters and environment (giving others is an error).

    Examples
    --------
    >>> sim = Simulation("NLRO", "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V")
    >>> sol = sim.run()
    >>> sol["Voltage [V]"]  # doctest: +SKIP
    """

    def __init__(self, catalyst: Any = None, protocol: Any = None, parameters: Any = None,
                 environment: Any = AMBIENT_AIR, solver: SolverSettings | None = None,
                 save_cycles: Callable[[int], bool] | Collection[int] | None = None,
                 model: LumpedAirElectrode | None = None) -> None:
        if model is not None:
            if not isinstance(model, LumpedAirElectrode):
                raise ParameterError(f"model must be a LumpedAirElectrode (a ready model), got {type(model).__name__} "
                                     f"{model!r}; to name a catalyst, pass catalyst={model!r} instead")
            name = catalyst.name if hasattr(catalyst, "name") else catalyst
            ignored = [w for w, given in (("catalyst", catalyst is not None and name != model.catalyst.name),
                                          ("parameters", parameters),
                                          ("environment", environment is not AMBIENT_AIR
                                           and get_environment(environment).name != model.environment.name))
                       if given]
            if ignored:  # the model carries its own: they would be dropped without a word
                raise ParameterError(
                    f"model= carries its own catalyst ({model.catalyst.name}), parameters and environment "
                    f"({model.environment.name}); {', '.join(ignored)} would be ignored: give either model= or "
                    "catalyst/parameters/environment")
        self.model = model if model is not None else LumpedAirElectrode(
            "NLRO" if catalyst is None else catalyst, parameters, environment)
        self.protocol = _as_protocol(protocol)
        if solver is not None and not isinstance(solver, SolverSettings):
            raise ParameterError(f"solver must be a SolverSettings (e.g. SolverSettings(rtol=1e-5)), "
                                 f"got {type(solver).__name__} {solver!r}")
        self.solver = solver or SolverSettings()
        self.n_steps = check_protocol_size(self.protocol, save_cycles is not None)
        if save_cycles is None:
            self._keep: Callable[[int], bool] = lambda c: True
        elif callable(save_cycles):
            self._keep = save_cycles
        else:
            keep = cycle_set(save_cycles)
            n_cycles = self.protocol.n_cycles
            if keep and min(keep) > n_cycles:  # a generic [1, 10, 100] on a short run is fine; nothing kept is not
                raise ParameterError(f"save_cycles holds {', '.join(map(str, sorted(keep)))}, but the protocol runs "
                                     f"{n_cycles} cycle{'s' if n_cycles != 1 else ''}: no time series would be kept; "
                                     f"give cycles from 1 to {n_cycles} (or save_cycles=() to keep none)")
            self._keep = keep.__contains__

    #: Names of the results, which a Simulation (the set-up) does not have before it is run.
    _RESULT_NAMES = frozenset({"steps", "keys", "ok", "status", "message", "warnings", "step_data", "steps_table",
                               "to_csv", "to_parquet", "final_state"})

    def __getattr__(self, name: str) -> Any:
        if name in Simulation._RESULT_NAMES:
            raise AttributeError(f"'Simulation' object has no attribute {name!r}: a Simulation is the set-up; its "
                                 f"results come from running it: sol = sim.run(); sol.{name}")
        raise AttributeError(f"'Simulation' object has no attribute {name!r}")

    def __getitem__(self, key: str) -> Any:
        raise TypeError(f"a Simulation is the set-up, not its results; run it first: sol = sim.run(); sol[{key!r}]")

    def run(self, initial_state: Any = None, progress: Callable[[int, int], None] | None = None,
            raise_on_failure: bool = False) -> Solution:
        """Run the protocol and return a :class:`~metalair.protocols.solution.Solution`.

        A solver failure ends the run early with ``status = "failed"`` and a
        message saying what to try; with ``raise_on_failure=True`` it raises
        :class:`~metalair.errors.SolverError` instead.
        """
        global _warned_uncompiled
        check_callable(progress, "progress", PROGRESS_COUNT)
        from metalair._jit import compiled_kernel_notice

        notice = compiled_kernel_notice()
        if notice and not _warned_uncompiled:
            import warnings

            warnings.warn(notice, RuntimeWarning, stacklevel=2)
            _warned_uncompiled = True
        m = self.model
        y = m.check_state(initial_state) if initial_state is not None else m.initial_state()
        first = next(iter(flatten(self.protocol.steps)))[1]
        _first_limit_check(m, first, y)
        rec = _Recorder(m)
        rec.warnings.extend(_extrapolation_warnings(self.protocol))
        rec.warnings.extend(_temperature_warnings(self.model.T))
        n_total = self.n_steps
        t = 0.0
        rec.initial(y, t)
        status, message = "ok", ""
        i = 0
        try:
            for i, (cycle, step) in enumerate(flatten(self.protocol.steps), start=1):
                self._progress = (progress, i, n_total)
                y, t, summary, failed = self._run_step(i, cycle, step, y, t, rec, self._keep(cycle))
                rec.summaries.append(summary)
                if progress is not None:
                    progress(i, n_total)
                if failed:
                    status = "interrupted" if failed.startswith("interrupted") else "failed"
                    message = failed
                    break
        except KeyboardInterrupt:
            status = "interrupted"
            message = (f"interrupted by the user during step {i} of {n_total} at t = {to_user(t, 'h'):.4g} h; "
                       "the steps completed before are kept")
        sol = rec.solution(status, message, {
            "catalyst": m.catalyst.name, "environment": m.environment.name,
            "equilibrium_potentials_V": m.equilibrium_potentials(),
        })
        sol.final_state = y
        sol.warnings = list(rec.warnings)
        if status != "ok" and raise_on_failure:
            raise SolverError(message)
        return sol

    # ------------------------------------------------------------------
    def _run_step(self, index: int, cycle: int, step: Any, y: np.ndarray, t0: float, rec: _Recorder,
                  keep: bool) -> tuple[np.ndarray, float, StepSummary, str]:
        m = self.model
        s = self.solver
        desc = _describe(step)
        passed = False  # the step's voltage limit was already passed when it began
        if isinstance(step, Sweep):
            return self._run_sweep(index, cycle, step, y, t0, rec, keep, desc)
        if isinstance(step, (Discharge, Charge, Rest)):
            if isinstance(step, Rest):
                kind, I_cell, duration, limit = "rest", 0.0, step.duration, None
                end_by_duration = "duration"
                dt_cap: float | None = duration / 20.0
            else:
                kind = "discharge" if isinstance(step, Discharge) else "charge"
                if step.until is not None:
                    v_now = m.cell_voltage(m.potential(y), 0.0)
                    passed = step.until >= v_now if kind == "discharge" else step.until <= v_now
                    if passed:
                        rec.warnings.append(f"step {index} ({desc}): the cell was already at {v_now:.3f} V, past "
                                            f"its limit {step.until:g} V, so the step ended at once")
                I_cell = step.current if kind == "discharge" else -step.current
                duration = _LONG
                if step.capacity is not None:
                    duration = step.capacity / step.current
                if step.duration is not None:
                    duration = min(duration, step.duration)
                end_by_duration = "capacity limit" if (step.capacity is not None and (
                    step.duration is None or step.capacity / step.current <= step.duration)) else "duration"
                limit = ("voltage", step.until) if step.until is not None else None
                dt_cap = duration / 5.0 if duration < _LONG else None
                if abs(I_cell) < DT_MAX_CURRENT:  # a slow step: its largest step passes the charge of a fast one
                    slow_cap = s.dt_max * DT_MAX_CURRENT / max(abs(I_cell), 1e-12)
                    dt_cap = slow_cap if dt_cap is None else min(dt_cap, slow_cap)
            rec.begin_step(index, cycle, kind, desc, t0, keep)
            seg = m.segment(y, t0, duration, mode="I", value=I_cell, limit=limit, settings=s,
                            dt_start=min(s.dt_initial, duration), dt_cap=dt_cap,
                            cap_by_dt_max=kind != "rest" and abs(I_cell) >= DT_MAX_CURRENT,
                            store=keep, progress=self._within(t0, duration))
            rec.accept(seg)
            reason = {"duration": end_by_duration, "event": "voltage limit"}.get(seg.status, "failed")
            if seg.status == "event" and limit is not None and not passed \
                    and abs(seg.v_end - limit[1]) > _LIMIT_OVERSHOOT_V:
                rec.warnings.append(
                    f"step {index} ({desc}): the voltage jumped past its limit {limit[1]:g} V within one time step "
                    f"of {to_user(seg.t_end - t0, 's'):.3g} s and the step ended at {seg.v_end:.4g} V, "
                    f"{1000 * abs(seg.v_end - limit[1]):.0f} mV beyond it: at this current the cell's "
                    "instantaneous polarisation is larger than the room left to the limit")
        elif isinstance(step, Hold):
            duration = step.duration if step.duration is not None else _LONG
            limit = ("current", step.until_current) if step.until_current is not None else None
            rec.begin_step(index, cycle, "hold", desc, t0, keep)
            seg = m.segment(y, t0, duration, mode="V", value=step.voltage, limit=limit, settings=s,
                            dt_start=min(s.dt_initial, duration), store=keep, progress=self._within(t0, duration))
            rec.accept(seg)
            reason = {"duration": "duration", "event": "current limit"}.get(seg.status, "failed")
            if reason == "current limit" and seg.n_steps <= 1 and step.until_current is not None:
                rec.warnings.append(
                    f"step {index} ({desc}): the current was below its limit {to_user(step.until_current, 'mA/g'):g} "
                    f"mA/g from the first time step at {step.voltage:g} V, so the hold ended at once "
                    f"({to_user(seg.t_end - t0, 's'):.3g} s)")
        else:  # pragma: no cover - the step types are closed
            raise ProtocolError(f"cannot run step {step!r}")
        failed = ""
        if seg.status == "duration" and duration >= _LONG:  # a step limited only by a voltage or current
            failed = (f"step {index} ({desc}) did not reach its limit in {to_user(seg.t_end - t0, 'h'):.3g} h "
                      f"({to_user(seg.t_end - t0, 'd') / 365.25:,.0f} years) of cell time; the voltage is now "
                      f"{seg.v_end:.4g} V. At this current the cell never gets there: raise the current, or give "
                      "the step a time or capacity limit ('... or for 10 h')")
            reason = "failed"
        elif seg.status == "out of range":
            v_from = seg.v_end if math.isfinite(seg.v_end) else m.cell_voltage(m.potential(y), 0.0)
            failed = (f"step {index} ({desc}) stopped at t = {to_user(seg.t_end, 'h'):.3f} h: the next time step took "
                      f"the cell voltage from {v_from:.4g} V to {seg.v_out:.4g} V, outside the window where the "
                      f"model holds ({VOLTAGE_WINDOW[0]:g}-{VOLTAGE_WINDOW[1]:g} V). {_range_cause(m, step, seg)}")
        elif seg.status == "stopped":
            failed = f"interrupted by the user during step {index} ({desc}); the results up to there are kept"
        elif seg.status == "failed":
            failed = (f"step {index} ({desc}) failed at t = {to_user(seg.t_end, 'h'):.3f} h: no air-electrode "
                      "potential balances the step at the smallest time step. Check that the step's limits can be "
                      "reached, or try a smaller SolverSettings.max_change.")
        elif seg.status == "max steps":
            failed = (f"step {index} ({desc}) did not reach its end in {s.max_steps} time steps "
                      f"({to_user(seg.t_end - t0, 'h'):.4g} h of cell time); the voltage is now {seg.v_end:.4g} V"
                      f"{_carrier(m, seg)}. If the limit cannot be reached, lower it or give the step a time or "
                      "capacity limit ('... or for 10 h'). If it is a very slow step that needs more than "
                      f"{s.max_steps} steps of at most SolverSettings.dt_max = {s.dt_max:g} s, raise dt_max (e.g. "
                      f"SolverSettings(dt_max={max(10 * s.dt_max, 3600.0):g})) or max_steps.")
        return seg.y, seg.t_end, rec.end_step(reason, seg.y), failed

    def _within(self, t0: float, duration: float) -> Callable[[float], None] | None:
        """A callback reporting progress inside a long step (fraction of its duration, when finite)."""
        progress, i, n = getattr(self, "_progress", (None, 0, 0))
        if progress is None or duration >= _LONG:
            return None

        def report(t: float) -> None:
            progress(i - 1 + min(1.0, (t - t0) / duration), n)
        return report

    def _run_sweep(self, index: int, cycle: int, step: Sweep, y: np.ndarray, t0: float, rec: _Recorder,
                   keep: bool, desc: str) -> tuple[np.ndarray, float, StepSummary, str]:
        m = self.model
        start = step.start if step.start is not None else m.cell_voltage(m.potential(y), 0.0)
        if step.start is None and not step.lower - 1e-9 <= start <= step.upper + 1e-9:
            rec.warnings.append(
                f"step {index} ({desc}): the cell rests at {start:.4g} V, outside the sweep's window "
                f"{step.lower:g}-{step.upper:g} V; the sweep starts there, first runs to "
                f"{step.lower if step.first == 'down' else step.upper:g} V, and returns to {start:.4g} V at the "
                "end, as a potentiostat does from its initial potential. Bring the cell into the window first "
                "(a rest, a hold or a discharge) for a sweep that stays in it")
        vertices = []
        for _ in range(step.cycles):
            vertices += [step.lower, step.upper] if step.first == "down" else [step.upper, step.lower]
        vertices.append(start)
        rec.begin_step(index, cycle, "sweep", desc, t0, keep)
        v_from, t = start, t0
        failed = ""
        for v_to in vertices:
            dur = abs(v_to - v_from) / step.scan_rate
            if dur <= 0:
                continue
            rate = (v_to - v_from) / dur
            seg = m.segment(y, t, dur, mode="V", value=v_from, rate=rate, settings=self.solver,
                            dt_start=min(1.0, dur), dt_cap=max(self.solver.max_change / step.scan_rate, 1e-3),
                            store=keep)
            rec.accept(seg)
            y, t = seg.y, seg.t_end
            if seg.status == "out of range":
                failed = (f"step {index} ({desc}) stopped at {to_user(t, 'h'):.3f} h: the next time step took the "
                          f"cell voltage to {seg.v_out:.4g} V, outside the window where the model holds "
                          f"({VOLTAGE_WINDOW[0]:g}-{VOLTAGE_WINDOW[1]:g} V)")
                break
            if seg.status in ("failed", "max steps"):
                failed = (f"step {index} ({desc}) failed at {to_user(t, 'h'):.3f} h: no air-electrode potential "
                          "balances the sweep at the smallest time step; try a slower scan or a smaller "
                          "SolverSettings.max_change")
                break
            v_from = v_to
        return y, t, rec.end_step("failed" if failed else "duration", y), failed


def _carrier(model: LumpedAirElectrode, seg: SegmentOutcome) -> str:
    """``", where <channel> carries N % of the current"`` from the segment's last stored row ('' if none)."""
    if seg.rows is None or not len(seg.rows):
        return ""
    cur = model.channel_currents(seg.rows[-1:, 3:])[0]
    total = float(np.abs(cur).sum())
    if total <= 0.0:
        return ""
    k = int(np.argmax(np.abs(cur)))
    return f", where {model.channel_names()[k]} carries {100 * abs(float(cur[k])) / total:.0f} % of the current"


#: A step that ends on its voltage limit further from it than this [V] gets a warning (the event is
#: located to far better than this unless the voltage jumps past the limit within the smallest time step).
_LIMIT_OVERSHOOT_V = 0.005


def _range_cause(model: LumpedAirElectrode, step: Any, seg: SegmentOutcome) -> str:
    """The likeliest reason a galvanostatic step left the voltage window, and what to do."""
    current = getattr(step, "current", None)
    if current is None:
        return "Check the cell parameters."
    drop = current * model.constants.ohmic_resistance
    p = model.parameters
    if drop > 1.0:
        return (f"At {to_user(current, 'mA/g'):g} mA/g the electrolyte's ohmic drop alone is {drop:.3g} V "
                f"(electrolyte_conductivity = {p.electrolyte_conductivity:g} S/m, electrolyte_thickness = "
                f"{p.electrolyte_thickness:g} m, loading = {p.loading:g} kg/m²); check these parameters or lower "
                "the current.")
    if seg.v_out >= VOLTAGE_WINDOW[1]:
        limit = getattr(step, "until", None)
        if limit is not None and math.isfinite(seg.v_end) and seg.v_end < limit:
            return (f"The voltage jumped from {seg.v_end:.4g} V past the step's limit of {limit:g} V within one time "
                    f"step{_carrier(model, seg)}: no reaction can carry this charge current below the limit with "
                    "this catalyst's kinetics (a product's decomposition rate switching from nothing to far more "
                    "than the current within a sliver of potential: descriptors far outside the range the model "
                    "was calibrated on do this; 'metalair catalyst from-dft' warns about them).")
        return ("Nothing left on the electrode can carry this charge current below that voltage; give the step a "
                "voltage limit (e.g. 'until 4.8 V') or a capacity or time limit.")
    if model.environment.p_O2 <= 0.0:
        return (f"The gas ({model.environment.name}) holds no O2, so only the catalyst's host couples and the "
                "double layer can carry a discharge, and they are exhausted; give the step a voltage limit "
                "(e.g. 'until 1.5 V').")
    return ("The air electrode can no longer carry the current: the discharge deposits cover it or block its O2 "
            "(see 'Free area fraction [-]' and 'O2 saturation at reaction zone [-]' in the results). A cycler "
            "would stop at a voltage limit: give the step one (e.g. 'until 1.5 V'), or lower the current.")


_DESCRIPTIONS: dict[int, tuple[Any, str]] = {}
#: A decimal with more digits than a person wrote (float noise of the exact round-trip form).
_LONG_NUMBER = re.compile(r"\d+\.\d{8,}(?:e[-+]?\d+)?")


def _describe(step: Any) -> str:
    """The step as protocol text (memoised per step object: a cycle repeats the same steps)."""
    from metalair.protocols.parser import format_protocol

    hit = _DESCRIPTIONS.get(id(step))
    if hit is not None and hit[0] is step:
        return hit[1]
    def shown(s: Any) -> str:
        # display text: the exact round-trip form can carry float noise (0.0360514 A/g is written
        # 36.051399999999994 mA/g); six significant digits are what a reader of a summary needs
        return _LONG_NUMBER.sub(lambda m: f"{float(m.group()):.6g}", format_protocol(Protocol([s])))

    try:
        text = shown(step)
    except ProtocolError:  # a step the text form cannot express: often only its label (a ':' in it, a number)
        text = type(step).__name__
        if getattr(step, "label", None) is not None:
            bare = copy.copy(step)
            object.__setattr__(bare, "label", None)
            try:
                text = f"{step.label}: {shown(bare)}"
            except ProtocolError:
                pass
    if len(_DESCRIPTIONS) > 10_000:
        _DESCRIPTIONS.clear()
    _DESCRIPTIONS[id(step)] = (step, text)
    return text


class _Recorder:
    """Collects blocks of accepted steps (output rows) and the step summaries.

    The time series are derived from the rows once, at the end, vectorised,
    through the model's declaration.
    """

    def __init__(self, model: LumpedAirElectrode) -> None:
        self.m = model
        self.blocks: list[tuple[int, int, np.ndarray, float, np.ndarray, np.ndarray, float]] = []
        self.summaries: list[StepSummary] = []
        idx, _rate, names = model.summed_outputs()
        self.sum_names = names
        channels = model.channel_names()
        self.channel_names = channels
        self.n_channels = len(channels)
        # the segment sums (channel charges, couple charges, process amounts) mapped once to what is reported
        pos = {n: k for k, n in enumerate(names)}
        self.to_channels = np.zeros((len(channels), len(names)))
        for i, ch in enumerate(channels):
            if f"charge:{ch}" in pos:
                self.to_channels[i, pos[f"charge:{ch}"]] = 1.0
            elif ch == "Host":
                for c in model.couples:
                    if c.host:
                        self.to_channels[i, pos[f"couple:{c.name}"]] = 1.0
            else:
                self.to_channels[i, pos[f"couple:{ch}"]] = 1.0
        self.to_amounts = np.zeros((len(PROCESSES), len(names)))
        for i, pr in enumerate(PROCESSES):
            self.to_amounts[i, pos[f"amount:{pr.name}"]] = 1.0
        self.q_net = 0.0                                   # ∫ I dt, discharge positive [C/kg]
        self.q_through = 0.0                               # ∫ |I| dt, also over cycles not stored [C/kg]
        self.q_channel = np.zeros(self.n_channels)         # ∫ I_ch dt, anodic positive [C/kg]
        self.amounts = np.zeros(len(PROCESSES))            # Σ process amounts [mol/kg]
        self.warnings: list[str] = []

    def initial(self, y: np.ndarray, t: float) -> None:
        out = self.m.initial_output(y)
        row = np.concatenate(([t, 0.0, 0.0], out))
        self.blocks.append((1, 0, row[None, :], 0.0, np.zeros(self.n_channels), np.zeros(len(PROCESSES)), 0.0))

    def begin_step(self, index: int, cycle: int, kind: str, desc: str, t0: float, keep: bool) -> None:
        self.step_index, self.cycle, self.kind, self.desc, self.t0, self.keep = index, cycle, kind, desc, t0, keep
        self.q_step = 0.0
        self.e_step = 0.0
        self.v_start: float | None = None
        self.v_last: float | None = None
        self.t_last = t0
        self.q_by = np.zeros(self.n_channels)
        self.pending: list[tuple[np.ndarray, float, np.ndarray, np.ndarray, float]] = []

    def accept(self, seg: SegmentOutcome) -> None:
        """A whole integrated segment."""
        if seg.n_steps == 0:
            return
        if self.keep and seg.rows is not None and len(seg.rows):
            rows = seg.rows.copy()
            rows[:, 2] += self.q_step  # capacity counts from the start of the protocol step
            self.pending.append((rows, self.q_net, self.q_channel.copy(), self.amounts.copy(), self.q_through))
        self.q_step += seg.capacity
        self.q_through += seg.capacity
        self.e_step += seg.energy
        if self.v_start is None:
            self.v_start = seg.v_start
        self.v_last = seg.v_end
        self.t_last = seg.t_end
        q_channels = self.to_channels @ seg.sums
        self.q_by += q_channels
        self.q_channel += q_channels
        self.q_net -= float(q_channels.sum())  # actual ∫I dt (= applied current to the solver tolerance)
        self.amounts += self.to_amounts @ seg.sums

    def end_step(self, reason: str, y: np.ndarray) -> StepSummary:
        if self.keep and self.pending:
            for rows, q0, qc0, a0, qt0 in self.pending:
                self.blocks.append((self.cycle, self.step_index, rows, q0, qc0, a0, qt0))
        self.pending = []
        q = self.q_step
        m = self.m
        y = np.asarray(y)
        inventories = m.inventories(y)
        q_by = to_user(self.q_by, "mAh/g")  # one conversion per array: this runs at every step
        amounts = to_user(np.array([float(v) for v in inventories.values()]), "mol/g")
        z = m.host_progress(y)
        return StepSummary(
            index=self.step_index, cycle=self.cycle, kind=self.kind, description=self.desc,
            start_time_s=float(self.t0), end_time_s=float(self.t_last),
            capacity_mAh_g=float(to_user(q, "mAh/g")), energy_Wh_kg=float(to_user(self.e_step, "Wh/kg")),
            mean_voltage_V=(float(self.e_step / q) if q > 0 else
                            (float(self.v_last) if self.v_last is not None else math.nan)),
            start_voltage_V=float(self.v_start) if self.v_start is not None else math.nan,
            end_voltage_V=float(self.v_last) if self.v_last is not None else math.nan,
            end_reason=reason,
            charge_by_reaction_mAh_g=dict(zip(self.channel_names, q_by.tolist())),
            products_end_mol_g=dict(zip(inventories, amounts.tolist())),
            catalyst_d_band_end_eV=float(m.d_band(z)),
            host_oxidised_end={c.name: float(zj) for c, zj in zip(m.catalyst.host_couples, z)},
        )

    def solution(self, status: str, message: str, meta: dict[str, Any]) -> Solution:
        m = self.m
        cols: dict[str, np.ndarray] = {}
        if not self.blocks:
            return Solution(cols, self.summaries, status, message, meta)
        t_parts, dt_parts, qs_parts, out_parts, cyc, stp, qnet, qch, amt = [], [], [], [], [], [], [], [], []
        a_rows: list[np.ndarray] = []
        qthrough: list[np.ndarray] = []
        for cycle, step, rows, q0, qc0, a0, qt0 in self.blocks:
            t, dt, qs, out = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3:]
            cur = m.channel_currents(out)
            a = out[:, [m.output_index(pr.output) for pr in PROCESSES]]
            if step == 0:
                cur = np.zeros_like(cur)
                a = np.zeros_like(a)
            current = -cur.sum(axis=1)
            t_parts.append(t)
            dt_parts.append(dt)
            qs_parts.append(qs)
            out_parts.append(out)
            cyc.append(np.full(len(t), cycle))
            stp.append(np.full(len(t), step))
            qnet.append(q0 + np.cumsum(current * dt))
            qthrough.append(qt0 + np.cumsum(np.abs(current) * dt))
            qch.append(qc0[None, :] + np.cumsum(cur * dt[:, None], axis=0))
            amt.append(a0[None, :] + np.cumsum(a, axis=0))
            a_rows.append(a)
        t = np.concatenate(t_parts)
        dt = np.concatenate(dt_parts)
        out = np.vstack(out_parts)
        cur_all = m.channel_currents(out)
        cur_all[np.concatenate(stp) == 0] = 0.0
        current = -cur_all.sum(axis=1)
        cols["Time [s]"] = t
        cols["Time [h]"] = to_user(t, "h")
        cols["Cycle"] = np.concatenate(cyc)
        cols["Step"] = np.concatenate(stp)
        cols["Voltage [V]"] = out[:, m.output_index("cell_voltage")]
        cols["Current [mA/g]"] = to_user(current, "mA/g")
        cols["Capacity [mAh/g]"] = to_user(np.concatenate(qs_parts), "mAh/g")
        cols["Net discharge capacity [mAh/g]"] = to_user(np.concatenate(qnet), "mAh/g")
        cols["Throughput capacity [mAh/g]"] = to_user(np.concatenate(qthrough), "mAh/g")
        cols.update(m.variables(out))
        q_all = np.vstack(qch)
        for i, ch in enumerate(m.channel_names()):
            cols[f"{ch} current [mA/g]"] = to_user(cur_all[:, i], "mA/g")
            cols[f"{ch} charge [mAh/g]"] = to_user(q_all[:, i], "mAh/g")
        amounts = np.vstack(amt)
        per_step = np.vstack(a_rows)
        rate = m.gas_uptake({pr.name: per_step[:, k] for k, pr in enumerate(PROCESSES)})
        inv_dt = np.divide(1.0, dt, out=np.zeros_like(dt), where=dt > 0)
        cols["O2 consumption rate [mol/s/g]"] = to_user(rate["O2"] * inv_dt, "mol/s/g")
        cols["O2 evolution rate [mol/s/g]"] = to_user(-rate["O2"] * inv_dt, "mol/s/g")
        cols["CO2 evolution rate [mol/s/g]"] = to_user(-rate["CO2"] * inv_dt, "mol/s/g")
        cols["H2O evolution rate [mol/s/g]"] = to_user(-rate["H2O"] * inv_dt, "mol/s/g")
        uptake = m.gas_uptake({pr.name: amounts[:, k] for k, pr in enumerate(PROCESSES)})
        for g in ("O2", "CO2", "H2O"):
            cols[f"{g} uptake [mol/g]"] = to_user(uptake[g], "mol/g")
        return Solution(cols, self.summaries, status, message, meta)


def simulate(catalyst: Any = None, protocol: Any = None, **kwargs: Any) -> Solution:
    """Shortcut: ``Simulation(catalyst, protocol, **kwargs).run()`` (catalyst default ``"NLRO"``).

    A run that did not finish (``sol.status`` ``"failed"`` or ``"interrupted"``) is returned with what
    it computed, and a ``RuntimeWarning`` says so: in a notebook the status is easy to miss.
    """
    allowed = ("parameters", "environment", "solver", "save_cycles", "model")
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        import difflib

        hint = difflib.get_close_matches(unknown[0], allowed, n=1)
        raise ParameterError(f"simulate() got an unknown keyword {unknown[0]!r}"
                             + (f"; did you mean {hint[0]!r}?" if hint else "")
                             + f" (it takes catalyst, protocol, {', '.join(allowed)})")
    sol = Simulation(catalyst, protocol, **kwargs).run()
    if not sol.ok:
        import warnings

        n = len(sol.steps)
        warnings.warn(f"the simulation {sol.status} before the end of the protocol ({n} step{'s' * (n != 1)} ran): "
                      f"{sol.message}", RuntimeWarning, stacklevel=2)
    return sol
