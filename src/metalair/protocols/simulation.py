"""Simulation: a model, its parameters, a protocol and solver settings, run together."""

from __future__ import annotations

import math
from typing import Callable

from metalair.chemistry import AMBIENT_AIR
from metalair.constants import F
from metalair.errors import ProtocolError, SolverError
from metalair.models.lumped import CHANNELS, LumpedAirElectrode, PRODUCT_KEYS
from metalair.protocols.steps import Charge, Cycle, Discharge, Hold, Protocol, Rest, Sweep, flatten
from metalair.solvers.solution import Solution, StepSummary
from metalair.solvers.stepping import SolverSettings, run_segment

__all__ = ["Simulation", "REFERENCE_PROTOCOL", "simulate"]

#: The reference full discharge–charge of the study at 100 mA/g.
REFERENCE_PROTOCOL = "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V"

_MAH_G = 3600.0  # C/kg per mAh/g
_LONG = 1.0e9    # "no duration limit" [s]


def _as_protocol(protocol) -> Protocol:
    if protocol is None:
        protocol = REFERENCE_PROTOCOL
    if isinstance(protocol, str):
        from metalair.protocols.parser import parse_protocol

        return parse_protocol(protocol)
    if isinstance(protocol, Protocol):
        return protocol
    return Protocol(protocol)


class Simulation:
    """Run a protocol on the lumped sodium–air cell.

    Parameters
    ----------
    catalyst : str or Catalyst
        ``"NLRO"``, ``"RuO2"`` or a :class:`~metalair.catalysts.Catalyst`.
    protocol : str, step, list of steps or Protocol, optional
        Default: :data:`REFERENCE_PROTOCOL`.
    parameters : LumpedParameters, optional
    environment : Environment or str, optional
        Default ambient air (25 °C, 20 % RH, 420 ppm CO2).
    solver : SolverSettings, optional
    save_cycles : callable or collection of int, optional
        Which cycles keep their full time series (all by default); step
        summaries are kept for every step. Use it to bound memory on long runs.

    Examples
    --------
    >>> sim = Simulation("NLRO", "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V")
    >>> sol = sim.run()
    >>> sol["Voltage [V]"]  # doctest: +SKIP
    """

    def __init__(self, catalyst="NLRO", protocol=None, parameters=None, environment=AMBIENT_AIR,
                 solver: SolverSettings | None = None, save_cycles=None, model: LumpedAirElectrode | None = None):
        self.model = model if model is not None else LumpedAirElectrode(catalyst, parameters, environment)
        self.protocol = _as_protocol(protocol)
        self.solver = solver or SolverSettings()
        if save_cycles is None:
            self._keep = lambda c: True
        elif callable(save_cycles):
            self._keep = save_cycles
        else:
            keep = set(int(c) for c in save_cycles)
            self._keep = lambda c: c in keep

    def run(self, initial_state: list | None = None, progress: Callable | None = None,
            raise_on_failure: bool = False) -> Solution:
        """Run the protocol and return a :class:`~metalair.solvers.solution.Solution`.

        A solver failure ends the run early with ``status = "failed"`` and a
        message saying what to try; with ``raise_on_failure=True`` it raises
        :class:`~metalair.errors.SolverError` instead.
        """
        m = self.model
        y = list(initial_state) if initial_state is not None else m.initial_state()
        rec = _Recorder(m)
        steps = list(flatten(self.protocol.steps))
        n_total = len(steps)
        t = 0.0
        V0 = m.cell_voltage(m.potential(y), 0.0)
        rec.initial(y, t, V0)
        status, message = "ok", ""
        for i, (cycle, step) in enumerate(steps, start=1):
            keep = self._keep(cycle)
            y, t, summary, failed = self._run_step(i, cycle, step, y, t, rec, keep)
            rec.summaries.append(summary)
            if progress is not None:
                progress(i, n_total)
            if failed:
                status = "failed"
                message = failed
                break
        sol = rec.solution(status, message, {
            "catalyst": m.catalyst.name, "environment": m.environment.name,
            "equilibrium_potentials_V": m.equilibrium_potentials(),
        })
        sol.final_state = y
        if status != "ok" and raise_on_failure:
            raise SolverError(message)
        return sol

    # ------------------------------------------------------------------
    def _run_step(self, index, cycle, step, y, t0, rec, keep):
        m = self.model
        s = self.solver
        events = []
        dt_cap = None
        if isinstance(step, (Discharge, Charge)):
            kind = "discharge" if isinstance(step, Discharge) else "charge"
            I_cell = step.current if kind == "discharge" else -step.current
            duration = _LONG
            if step.capacity is not None:
                duration = step.capacity / step.current
            if step.duration is not None:
                duration = min(duration, step.duration)
            end_reason_duration = "capacity limit" if (step.capacity is not None and (
                step.duration is None or step.capacity / step.current <= step.duration)) else "duration"
            if step.until is not None:
                lim = step.until
                if kind == "discharge":
                    events.append(("voltage limit", lambda r, t, lim=lim: lim - r.V))
                else:
                    events.append(("voltage limit", lambda r, t, lim=lim: r.V - lim))
            if duration < _LONG:
                dt_cap = duration / 5.0

            def advance(yy, tt, dt):
                return m.solve_step(yy, dt, "I", I_cell)
            desc = _describe(step)
        elif isinstance(step, Rest):
            kind = "rest"
            duration = step.duration
            end_reason_duration = "duration"
            dt_cap = duration / 20.0

            def advance(yy, tt, dt):
                return m.solve_step(yy, dt, "I", 0.0)
            desc = _describe(step)
        elif isinstance(step, Hold):
            kind = "hold"
            duration = step.duration if step.duration is not None else _LONG
            end_reason_duration = "duration"
            if step.until_current is not None:
                lim = step.until_current
                events.append(("current limit", lambda r, t, lim=lim, t0=t0: (lim - abs(r.I_cell)) if t > t0 else -1.0))
            Vh = step.voltage

            def advance(yy, tt, dt):
                return m.solve_step(yy, dt, "V", Vh)
            desc = _describe(step)
        elif isinstance(step, Sweep):
            return self._run_sweep(index, cycle, step, y, t0, rec, keep)
        else:  # pragma: no cover
            raise ProtocolError(f"cannot run step {step!r}")

        rec.begin_step(index, cycle, kind, desc, t0, keep)
        seg = run_segment(
            advance, y, t0, duration, lambda yy, r: r.E - m.potential(yy), events, s,
            lambda r, t, dt: rec.accept(r, t, dt),
            dt_start=min(s.dt_initial, duration), dt_cap=dt_cap,
        )
        reason = seg.reason if seg.reason != "duration" else end_reason_duration
        failed = ""
        if seg.reason == "failed":
            reason = "failed"
            failed = (f"step {index} ({desc}) failed at t = {seg.t / 3600:.3f} h: {seg.message}. "
                      "Try a smaller SolverSettings.max_change or dt_max, or check that the step's "
                      "limits can be reached.")
        elif duration >= _LONG and seg.reason == "duration":  # pragma: no cover - practically unreachable
            failed = f"step {index} ({desc}) never reached its limits"
        summary = rec.end_step(reason)
        return seg.y, seg.t, summary, failed

    def _run_sweep(self, index, cycle, step: Sweep, y, t0, rec, keep):
        m = self.model
        start = step.start if step.start is not None else m.cell_voltage(m.potential(y), 0.0)
        vertices = []
        for _ in range(step.cycles):
            vertices += [step.lower, step.upper] if step.first == "down" else [step.upper, step.lower]
        vertices.append(start)
        desc = _describe(step)
        rec.begin_step(index, cycle, "sweep", desc, t0, keep)
        v_from, t = start, t0
        failed = ""
        for v_to in vertices:
            dur = abs(v_to - v_from) / step.scan_rate
            if dur <= 0:
                continue
            rate = (v_to - v_from) / dur
            tstart, vstart = t, v_from

            def advance(yy, tt, dt, tstart=tstart, vstart=vstart, rate=rate):
                return m.solve_step(yy, dt, "V", vstart + rate * (tt + dt - tstart))
            seg = run_segment(advance, y, t, dur, lambda yy, r: r.E - m.potential(yy), [], self.solver,
                              lambda r, tt, dt: rec.accept(r, tt, dt),
                              dt_start=min(1.0, dur), dt_cap=max(0.005 / step.scan_rate, 1e-3))
            y, t = seg.y, seg.t
            if seg.reason == "failed":
                failed = f"step {index} ({desc}) failed: {seg.message}"
                break
            v_from = v_to
        summary = rec.end_step("failed" if failed else "duration")
        return y, t, summary, failed


def _describe(step) -> str:
    try:
        from metalair.protocols.parser import format_protocol

        return format_protocol(Protocol([step]))
    except Exception:  # parser not available or step not expressible
        return type(step).__name__


class _Recorder:
    """Collects the time series and step summaries."""

    def __init__(self, model: LumpedAirElectrode):
        self.m = model
        self.cols: dict[str, list] = {}
        self.summaries: list[StepSummary] = []
        self.q_channel = {c: 0.0 for c in CHANNELS}  # cumulative charge per channel [C/kg]
        self.q_net = 0.0                               # cumulative ∫ I_cell dt [C/kg]
        self.q_thru = 0.0                              # cumulative ∫ |I_cell| dt [C/kg]
        self.gas = {"O2": 0.0, "CO2": 0.0, "H2O": 0.0}  # cumulative net uptake from the air [mol/kg]
        self.step_index = 0
        self.cycle = 1

    def _row(self, y, t, V, E, I_cell, currents, rates, o2, free, eps, film):
        c = self.cols
        add = lambda k, v: c.setdefault(k, []).append(v)  # noqa: E731
        add("Time [s]", t)
        add("Time [h]", t / 3600.0)
        add("Cycle", self.cycle)
        add("Step", self.step_index)
        add("Voltage [V]", V)
        add("Air electrode potential [V]", E)
        add("Current [mA/g]", I_cell)  # A/kg == mA/g
        add("Capacity [mAh/g]", self.q_step / _MAH_G)
        add("Net discharge capacity [mAh/g]", self.q_net / _MAH_G)
        add("Throughput capacity [mAh/g]", self.q_thru / _MAH_G)
        for key, v in self.m.inventories(y).items():
            add(f"{key} [mol/g]", v / 1000.0)
        for ch in CHANNELS:
            add(f"{ch} current [mA/g]", currents.get(ch, 0.0))
            add(f"{ch} charge [mAh/g]", self.q_channel[ch] / _MAH_G)
        m = self.m
        for hc, z in zip(m.catalyst.host_couples, m.host_progress(y)):
            add(f"Host {hc.name} oxidised fraction [-]", z)
        add("Catalyst d-band centre [eV]", eps)
        add("O2 saturation at reaction zone [-]", o2)
        add("Free area fraction [-]", free)
        add("Film growth fraction [-]", film)
        for k, v in rates.items():
            add(k, v)
        for g, v in self.gas.items():
            add(f"{g} uptake [mol/g]", v / 1000.0)

    def initial(self, y, t, V):
        self.q_step = 0.0
        self.keep = True
        self.step_index = 0
        eps = self.m.d_band(self.m.host_progress(y))
        free, _ = self.m.free_area_fraction(y)
        self._row(y, t, V, self.m.potential(y), 0.0, {}, _zero_rates(), 1.0, free, eps, 0.0)

    def begin_step(self, index, cycle, kind, desc, t0, keep):
        self.step_index = index
        self.cycle = cycle
        self.kind = kind
        self.desc = desc
        self.t0 = t0
        self.keep = keep
        self.q_step = 0.0
        self.e_step = 0.0
        self.v_start = None
        self.v_last = None
        self.q_by = {c: 0.0 for c in CHANNELS}
        self.last_y = None

    def accept(self, r, t, dt):
        if self.v_start is None:
            self.v_start = r.V
            v_prev = r.V
        else:
            v_prev = self.v_last
        self.q_step += abs(r.I_cell) * dt
        self.e_step += abs(r.I_cell) * dt * 0.5 * (r.V + v_prev)
        self.q_net += r.I_cell * dt
        self.q_thru += abs(r.I_cell) * dt
        for ch, i in r.currents.items():
            self.q_channel[ch] += i * dt
            self.q_by[ch] += i * dt
        self.v_last = r.V
        self.last_y = r.y
        a = r.amounts
        self.gas["O2"] += a["O2 consumed"] - a["O2 evolved"]
        self.gas["CO2"] += a["CO2 consumed"] - a["CO2 evolved"]
        self.gas["H2O"] += a["H2O consumed"] - a["H2O evolved"]
        if self.keep:
            a = r.amounts
            rates = {
                "O2 consumption rate [mol/s/g]": (a["O2 consumed"] - a["O2 evolved"]) / dt / 1000.0,
                "O2 evolution rate [mol/s/g]": (a["O2 evolved"] - a["O2 consumed"]) / dt / 1000.0,
                "CO2 evolution rate [mol/s/g]": (a["CO2 evolved"] - a["CO2 consumed"]) / dt / 1000.0,
                "H2O evolution rate [mol/s/g]": (a["H2O evolved"] - a["H2O consumed"]) / dt / 1000.0,
            }
            self._row(r.y, t, r.V, r.E, r.I_cell, r.currents, rates, r.o2_ratio, r.free_area, r.d_band,
                      r.film_fraction)
        self.t_last = t

    def end_step(self, reason) -> StepSummary:
        q = self.q_step
        y = self.last_y
        return StepSummary(
            index=self.step_index, cycle=self.cycle, kind=self.kind, description=self.desc,
            start_time_s=self.t0, end_time_s=getattr(self, "t_last", self.t0),
            capacity_mAh_g=q / _MAH_G, energy_Wh_kg=self.e_step / 3600.0,
            mean_voltage_V=(self.e_step / q) if q > 0 else (self.v_last if self.v_last is not None else math.nan),
            start_voltage_V=self.v_start if self.v_start is not None else math.nan,
            end_voltage_V=self.v_last if self.v_last is not None else math.nan,
            end_reason=reason,
            charge_by_reaction_mAh_g={k: v / _MAH_G for k, v in self.q_by.items()},
            products_end_mol_g=({k: v / 1000.0 for k, v in self.m.inventories(y).items()} if y is not None
                                else {k: math.nan for k in PRODUCT_KEYS}),
        )

    def solution(self, status, message, meta) -> Solution:
        return Solution(self.cols, self.summaries, status, message, meta)


def _zero_rates():
    return {"O2 consumption rate [mol/s/g]": 0.0, "O2 evolution rate [mol/s/g]": 0.0,
            "CO2 evolution rate [mol/s/g]": 0.0, "H2O evolution rate [mol/s/g]": 0.0}


def simulate(catalyst="NLRO", protocol=None, **kwargs) -> Solution:
    """Shortcut: ``Simulation(catalyst, protocol, **kwargs).run()``."""
    return Simulation(catalyst, protocol, **kwargs).run()
