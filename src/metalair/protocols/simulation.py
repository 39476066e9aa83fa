"""Simulation: a model, its parameters, a protocol and solver settings, run together."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from metalair.chemistry import AMBIENT_AIR
from metalair.errors import ProtocolError, SolverError
from metalair.models import _kernel as K
from metalair.models.lumped import CHANNELS, LumpedAirElectrode
from metalair.protocols.steps import Charge, Discharge, Hold, Protocol, Rest, Sweep, flatten
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
        y = np.array(initial_state, dtype=float) if initial_state is not None else m.initial_state()
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
        desc = _describe(step)
        if isinstance(step, (Discharge, Charge, Rest)):
            if isinstance(step, Rest):
                kind, I_cell, duration, v_lim = "rest", 0.0, step.duration, None
                end_by_duration = "duration"
                dt_cap = duration / 20.0
            else:
                kind = "discharge" if isinstance(step, Discharge) else "charge"
                I_cell = step.current if kind == "discharge" else -step.current
                duration = _LONG
                if step.capacity is not None:
                    duration = step.capacity / step.current
                if step.duration is not None:
                    duration = min(duration, step.duration)
                end_by_duration = "capacity limit" if (step.capacity is not None and (
                    step.duration is None or step.capacity / step.current <= step.duration)) else "duration"
                v_lim = step.until
                dt_cap = duration / 5.0 if duration < _LONG else None
            rec.begin_step(index, cycle, kind, desc, t0, keep)
            y_end, status, t_end, rows, summ = m.galvanostatic(y, t0, I_cell, duration, v_lim, s, keep, dt_cap)
            rec.accept_segment(rows, summ, I_cell)
            reason = {"duration": end_by_duration, "voltage limit": "voltage limit"}.get(status, "failed")
            failed = ""
            if status in ("failed", "max steps"):
                failed = (f"step {index} ({desc}) failed at t = {t_end / 3600:.3f} h: "
                          + ("no air-electrode potential balances the step at the smallest time step"
                             if status == "failed" else f"more than {s.max_steps} time steps")
                          + ". Try a smaller SolverSettings.max_change or dt_max, or check that the step's "
                            "limits can be reached.")
            elif duration >= _LONG and status == "duration":  # pragma: no cover - practically unreachable
                failed = f"step {index} ({desc}) never reached its limits"
            return y_end, t_end, rec.end_step(reason, y_end), failed
        if isinstance(step, Hold):
            events = []
            duration = step.duration if step.duration is not None else _LONG
            if step.until_current is not None:
                lim = step.until_current
                events.append(("current limit",
                               lambda r, t, lim=lim, t0=t0: (lim - abs(r.I_cell)) if t > t0 else -1.0))
            Vh = step.voltage

            def advance(yy, tt, dt):
                return m.solve_step(yy, dt, "V", Vh)
            rec.begin_step(index, cycle, "hold", desc, t0, keep)
            seg = run_segment(advance, y, t0, duration, lambda yy, r: r.E - m.potential(yy), events, s,
                              lambda r, t, dt: rec.accept(r, t, dt), dt_start=min(s.dt_initial, duration))
            reason = "duration" if seg.reason == "duration" else seg.reason
            failed = (f"step {index} ({desc}) failed at t = {seg.t / 3600:.3f} h: {seg.message}. Try a smaller "
                      "SolverSettings.max_change.") if seg.reason == "failed" else ""
            return seg.y, seg.t, rec.end_step(reason, seg.y), failed
        if isinstance(step, Sweep):
            return self._run_sweep(index, cycle, step, y, t0, rec, keep)
        raise ProtocolError(f"cannot run step {step!r}")  # pragma: no cover

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
        return y, t, rec.end_step("failed" if failed else "duration", y), failed


def _describe(step) -> str:
    try:
        from metalair.protocols.parser import format_protocol

        return format_protocol(Protocol([step]))
    except Exception:  # parser not available or step not expressible
        return type(step).__name__


class _Recorder:
    """Collects blocks of accepted steps (raw kernel rows) and the step summaries.

    The time series are derived from the raw rows once, at the end, vectorised.
    """

    def __init__(self, model: LumpedAirElectrode):
        self.m = model
        self.blocks: list = []        # (cycle, step, rows[t, dt, V, q_step, raw...], q_net0, q_ch0, gas0)
        self.summaries: list[StepSummary] = []
        self.q_net = 0.0
        self.q_channel = np.zeros(len(CHANNELS))
        self.gas = np.zeros(3)
        self.step_index = 0
        self.cycle = 1

    def initial(self, y, t, V):
        m = self.m
        raw = np.zeros(m.n_states + K.N_OUT_EXTRA)
        raw[: m.n_states] = y
        free, _ = m.free_area_fraction(y)
        raw[m.n_states + K.D_THETA] = 1.0
        raw[m.n_states + K.D_FREE] = free
        raw[m.n_states + K.D_EPS] = m.d_band(m.host_progress(y))
        row = np.concatenate(([t, 0.0, V, 0.0], raw))
        self.blocks.append((1, 0, row[None, :], 0.0, np.zeros(len(CHANNELS)), np.zeros(3)))

    def begin_step(self, index, cycle, kind, desc, t0, keep):
        self.step_index, self.cycle, self.kind, self.desc, self.t0, self.keep = index, cycle, kind, desc, t0, keep
        self.q_step = 0.0
        self.e_step = 0.0
        self.v_start = None
        self.v_last = None
        self.t_last = t0
        self.q_by = np.zeros(len(CHANNELS))
        self.pending: list = []
        self.block_q0 = (self.q_net, self.q_channel.copy(), self.gas.copy())

    def accept(self, r, t, dt):
        """One accepted step from the Python path (holds, sweeps)."""
        ny = self.m.n_states
        if self.v_start is None:
            self.v_start, v_prev = r.V, r.V
        else:
            v_prev = self.v_last
        self.q_step += abs(r.I_cell) * dt
        self.e_step += abs(r.I_cell) * dt * 0.5 * (r.V + v_prev)
        q_channels = r.raw[ny + K.C_NAO2: ny + K.C_NAO2 + len(CHANNELS)] * dt
        self.q_by += q_channels
        self.q_channel += q_channels
        self.q_net += r.I_cell * dt
        raw = r.raw
        self.gas += (raw[ny + K.A_O2_IN] - raw[ny + K.A_O2_OUT], raw[ny + K.A_CO2_IN] - raw[ny + K.A_CO2_OUT],
                     raw[ny + K.A_H2O_IN] - raw[ny + K.A_H2O_OUT])
        self.v_last = r.V
        self.t_last = t
        if self.keep:
            self.pending.append(np.concatenate(([t, dt, r.V, self.q_step], raw)))

    def accept_segment(self, rows, summ, I_cell):
        """A whole constant-current segment from the compiled kernel."""
        if int(summ[7]) == 0:
            return
        self.q_step = float(summ[3])
        self.e_step = float(summ[4])
        self.v_start = float(summ[5])
        self.v_last = float(summ[6])
        self.t_last = float(summ[1])
        q_channels = np.asarray(summ[8:15], dtype=float)
        self.q_by += q_channels
        self.q_channel += q_channels
        self.q_net -= float(q_channels.sum())  # actual ∫I dt (= applied current to the solver tolerance)
        self.gas += np.asarray(summ[15:18], dtype=float)
        if self.keep and rows is not None and len(rows):
            self.pending.append(rows)

    def end_step(self, reason, y) -> StepSummary:
        if self.keep and self.pending:
            rows = np.vstack([r if r.ndim == 2 else r[None, :] for r in self.pending])
            q0, qc0, g0 = self.block_q0
            self.blocks.append((self.cycle, self.step_index, rows, q0, qc0, g0))
        self.pending = []
        q = self.q_step
        m = self.m
        y = np.asarray(y)
        return StepSummary(
            index=self.step_index, cycle=self.cycle, kind=self.kind, description=self.desc,
            start_time_s=float(self.t0), end_time_s=float(self.t_last),
            capacity_mAh_g=float(q) / _MAH_G, energy_Wh_kg=float(self.e_step) / 3600.0,
            mean_voltage_V=(float(self.e_step / q) if q > 0 else
                            (float(self.v_last) if self.v_last is not None else math.nan)),
            start_voltage_V=float(self.v_start) if self.v_start is not None else math.nan,
            end_voltage_V=float(self.v_last) if self.v_last is not None else math.nan,
            end_reason=reason,
            charge_by_reaction_mAh_g={k: float(v) / _MAH_G for k, v in zip(CHANNELS, self.q_by)},
            products_end_mol_g={k: float(v) / 1000.0 for k, v in m.inventories(y).items()},
            catalyst_d_band_end_eV=float(m.d_band(m.host_progress(y))),
            host_oxidised_end={hc.name: float(z) for hc, z in zip(m.catalyst.host_couples, m.host_progress(y))},
        )

    def solution(self, status, message, meta) -> Solution:
        m = self.m
        ny = m.n_states
        cols: dict[str, np.ndarray] = {}
        parts = []
        for cycle, step, rows, q0, qc0, g0 in self.blocks:
            t, dt, V, qs = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
            raw = rows[:, 4:]
            I = -raw[:, ny + K.D_TOTAL]
            cur = raw[:, ny + K.C_NAO2: ny + K.C_NAO2 + len(CHANNELS)]
            if step == 0:
                I = np.zeros(len(t))
                cur = np.zeros_like(cur)
            dgas = np.stack([raw[:, ny + K.A_O2_IN] - raw[:, ny + K.A_O2_OUT],
                             raw[:, ny + K.A_CO2_IN] - raw[:, ny + K.A_CO2_OUT],
                             raw[:, ny + K.A_H2O_IN] - raw[:, ny + K.A_H2O_OUT]], axis=1)
            if step == 0:
                dgas = np.zeros_like(dgas)
            parts.append({
                "t": t, "dt": dt, "V": V, "qs": qs, "raw": raw, "I": I, "cur": cur, "dgas": dgas,
                "cycle": np.full(len(t), cycle), "step": np.full(len(t), step),
                "qnet": q0 + np.cumsum(I * dt),
                "qch": qc0[None, :] + np.cumsum(cur * dt[:, None], axis=0),
                "gas": g0[None, :] + np.cumsum(dgas, axis=0),
            })
        if not parts:
            return Solution(cols, self.summaries, status, message, meta)
        cat = lambda k: np.concatenate([p_[k] for p_ in parts])  # noqa: E731
        t, V, I, dt = cat("t"), cat("V"), cat("I"), cat("dt")
        raw = np.vstack([p_["raw"] for p_ in parts])
        cols["Time [s]"] = t
        cols["Time [h]"] = t / 3600.0
        cols["Cycle"] = cat("cycle")
        cols["Step"] = cat("step")
        cols["Voltage [V]"] = V
        cols["Air electrode potential [V]"] = raw[:, K.Y_E]
        cols["Current [mA/g]"] = I  # A/kg == mA/g
        cols["Capacity [mAh/g]"] = cat("qs") / _MAH_G
        cols["Net discharge capacity [mAh/g]"] = cat("qnet") / _MAH_G
        cols["Throughput capacity [mAh/g]"] = np.cumsum(np.abs(I) * dt) / _MAH_G
        for key, v in m.inventories(raw[:, :ny].T).items():
            cols[f"{key} [mol/g]"] = np.asarray(v) / 1000.0
        cur = np.vstack([p_["cur"] for p_ in parts])
        qch = np.vstack([p_["qch"] for p_ in parts])
        for i, ch in enumerate(CHANNELS):
            cols[f"{ch} current [mA/g]"] = cur[:, i]
            cols[f"{ch} charge [mAh/g]"] = qch[:, i] / _MAH_G
        for j, hc in enumerate(m.catalyst.host_couples):
            cols[f"Host {hc.name} oxidised fraction [-]"] = raw[:, K.Y_HOST + j]
        cols["Catalyst d-band centre [eV]"] = raw[:, ny + K.D_EPS]
        cols["O2 saturation at reaction zone [-]"] = raw[:, ny + K.D_THETA]
        cols["Free area fraction [-]"] = raw[:, ny + K.D_FREE]
        cols["Film growth fraction [-]"] = raw[:, ny + K.D_FILM]
        dgas = np.vstack([p_["dgas"] for p_ in parts])
        inv_dt = np.divide(1.0, dt, out=np.zeros_like(dt), where=dt > 0) / 1000.0
        cols["O2 consumption rate [mol/s/g]"] = dgas[:, 0] * inv_dt
        cols["O2 evolution rate [mol/s/g]"] = -dgas[:, 0] * inv_dt
        cols["CO2 evolution rate [mol/s/g]"] = -dgas[:, 1] * inv_dt
        cols["H2O evolution rate [mol/s/g]"] = -dgas[:, 2] * inv_dt
        gas = np.vstack([p_["gas"] for p_ in parts])
        for i, g in enumerate(("O2", "CO2", "H2O")):
            cols[f"{g} uptake [mol/g]"] = gas[:, i] / 1000.0
        return Solution(cols, self.summaries, status, message, meta)


def simulate(catalyst="NLRO", protocol=None, **kwargs) -> Solution:
    """Shortcut: ``Simulation(catalyst, protocol, **kwargs).run()``."""
    return Simulation(catalyst, protocol, **kwargs).run()
