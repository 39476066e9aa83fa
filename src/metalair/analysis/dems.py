"""Gas analysis (DEMS): what a mass spectrometer sees, and electrons per O2 molecule.

Simulated
---------
:func:`dems_from_solution` turns the model's gas rates into the net fluxes a
mass spectrometer records (evolution positive), optionally through the
first-order lag of the cell-to-detector volume,

    τ dy/dt = x(t) − y(t),

integrated exactly for an input held constant over each time step
(y_{k+1} = x_{k+1} + (y_k − x_{k+1}) e^{−Δt/τ}). :func:`electrons_per_o2`
gives, for each half-cycle (protocol step), the electrons passed
n_e = ∫|I| dt / F and the net O2 consumed (discharge) or evolved (charge),
and their ratio e⁻/O2 (1 for NaO2, 2 for Na2O2, 4 for an oxide).

Measured
--------
:func:`dems_steps` takes a :class:`~metalair.tables.dems.CurrentRecord` and a
calibrated :class:`~metalair.tables.dems.GasFluxRecord`, shifts the gas
record's delay (a given offset, or the lag that best correlates the O2 flux
with −I/F, searched within ``max_lag_s``), finds the galvanostatic steps
(runs of current of one sign above 2 % of the largest |I|), subtracts the
gas baseline measured over ``baseline_s`` before each step starts, and
integrates the current over the step and the gas from the step's start to
its end plus the delay plus ``tail_s`` (what the cell-to-detector lag still
carries; by default until the next step's gas arrives, its start plus the
delay, or the record ends). By causality no gas of a step reaches the
detector before the step starts, so an over- or underestimated delay only
moves the end of the gas window, which ``tail_s`` covers; a step that follows
another back to back starts its window where the previous one closed, so no
gas is counted twice. It reports e⁻/O2 with its uncertainty:

* σ(n_O2)² = (σ_b √N Δt)² + (σ_b/√N_b · T)² + (u_cal n_O2)², with σ_b the
  standard deviation of the flux in the baseline window (N_b points), N
  points over the integration window of length T and step Δt, u_cal the
  relative calibration uncertainty (``calibration_uncertainty``, default 0);
* σ(n_e) = u_I n_e (``current_uncertainty``, default 0);
* σ(e⁻/O2) from the relative errors added in quadrature.

References
----------
Baltruschat, H. Differential electrochemical mass spectrometry.
J. Am. Soc. Mass Spectrom. 15, 1693–1706 (2004). doi:10.1016/j.jasms.2004.09.011

McCloskey, B. D. et al. Solvents' critical role in nonaqueous lithium–oxygen
battery electrochemistry. J. Phys. Chem. Lett. 2, 1161–1166 (2011).
doi:10.1021/jz200352v

JCGM 100:2008, Evaluation of measurement data – Guide to the expression of
uncertainty in measurement, §5.1 (law of propagation of uncertainty).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from metalair.analysis._arguments import array_1d, instance, number, optional_number
from metalair.analysis._arguments import solution as solution_
from metalair.constants import F as FARADAY
from metalair.errors import ParameterError
from metalair.tables.dems import CurrentRecord, GasFluxRecord
from metalair.units import convert

__all__ = ["SOLUTION_KEYS", "SimulatedDEMS", "dems_from_solution", "electrons_per_o2", "DEMSStep", "dems_steps",
           "first_order_lag"]

#: The simulation Solution keys this module reads (the one place to change if the model renames them).
SOLUTION_KEYS = {
    "time": "Time [s]",
    "current": "Current [mA/g]",
    "step": "Step",
    "cycle": "Cycle",
    "O2 consumption": "O2 consumption rate [mol/s/g]",
    "O2 evolution": "O2 evolution rate [mol/s/g]",
    "CO2 evolution": "CO2 evolution rate [mol/s/g]",
    "H2O evolution": "H2O evolution rate [mol/s/g]",
}


def first_order_lag(time_s: np.ndarray, x: np.ndarray, tau_s: float | str) -> np.ndarray:
    """Response y of τ dy/dt = x − y (y(0) = x(0)), exact for x held over each step.

    ``time_s`` (not going back) and ``x`` are one-dimensional, finite and of one length (at least one
    point); ``tau_s`` > 0 in s, or text with a time unit (``"30 s"``, ``"2 min"``).
    """
    owner = "first_order_lag"
    tau_s = number(owner, "tau_s", tau_s, 0.0, lo_open=True, unit="s", hint="the detector's time constant")
    t = array_1d(owner, "time_s", time_s, "s")
    x = array_1d(owner, "x", x)
    if t.size != x.size:
        raise ParameterError(f"{owner}: time_s has {t.size} values and x {x.size}; give one value of x per time")
    if t.size == 0:
        raise ParameterError(f"{owner}: time_s and x are empty; the lag needs at least one point")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(x))):
        raise ParameterError(f"{owner}: time_s and x must be finite (NaN or infinite values found)")
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:
        raise ParameterError(f"{owner}: time_s goes back at point {int(back[0]) + 2} (counted from 1: "
                             f"{t[back[0]]:g} s, then {t[back[0] + 1]:g} s); sort the record by time")
    dts = np.diff(t)
    if dts.size and np.allclose(dts, dts[0], rtol=1e-9, atol=0.0):  # a uniform grid: a one-pole filter
        from scipy.signal import lfilter

        a = math.exp(-float(dts[0]) / tau_s)
        return np.asarray(lfilter([1.0 - a], [1.0, -a], x, zi=[a * x[0]])[0], dtype=float)
    y = np.empty_like(x)
    y[0] = x[0]
    decay = np.exp(-dts / tau_s)
    for k in range(1, x.size):
        y[k] = x[k] + (y[k - 1] - x[k]) * decay[k - 1]
    return y


@dataclass(frozen=True, eq=False)
class SimulatedDEMS:
    """Net gas fluxes a mass spectrometer would record from a simulation (mol/s per g of catalyst)."""

    time_s: np.ndarray
    fluxes: dict[str, np.ndarray]  # "O2", "CO2", "H2O": evolution positive, mol/s/g
    current_mA_g: np.ndarray
    step: np.ndarray
    cycle: np.ndarray
    time_constant_s: float | None

    def columns(self) -> dict[str, np.ndarray]:
        """Named columns for a table."""
        out = {"Time [s]": self.time_s, "Current [mA/g]": self.current_mA_g}
        for gas, v in self.fluxes.items():
            out[f"{gas} flux [mol/s/g]"] = v
        out["Step"] = self.step
        out["Cycle"] = self.cycle
        return out


def dems_from_solution(solution: Any, *, time_constant_s: float | None = None) -> SimulatedDEMS:
    """Gas fluxes of a simulation as a mass spectrometer sees them (evolution positive).

    Parameters
    ----------
    solution : Solution
        A simulation result with the keys in :data:`SOLUTION_KEYS`.
    time_constant_s : float, optional
        First-order cell-to-detector time constant; ``None`` for an ideal detector.
    """
    solution_("dems_from_solution", solution, steps=False)
    time_constant_s = optional_number("dems_from_solution", "time_constant_s", time_constant_s, 0.0, lo_open=True,
                                      unit="s", hint="the detector's time constant, or None for an ideal detector")
    missing = [k for k in SOLUTION_KEYS.values() if k not in solution]
    if missing:
        raise ParameterError(f"the solution lacks {', '.join(missing)}; the gas analysis needs them")
    t = np.asarray(solution[SOLUTION_KEYS["time"]], dtype=float)
    fluxes = {
        "O2": np.asarray(solution[SOLUTION_KEYS["O2 evolution"]], dtype=float),
        "CO2": np.asarray(solution[SOLUTION_KEYS["CO2 evolution"]], dtype=float),
        "H2O": np.asarray(solution[SOLUTION_KEYS["H2O evolution"]], dtype=float),
    }
    if time_constant_s is not None:
        fluxes = {g: first_order_lag(t, v, time_constant_s) for g, v in fluxes.items()}
    return SimulatedDEMS(time_s=t, fluxes=fluxes, current_mA_g=np.asarray(solution[SOLUTION_KEYS["current"]]),
                         step=np.asarray(solution[SOLUTION_KEYS["step"]]),
                         cycle=np.asarray(solution[SOLUTION_KEYS["cycle"]]), time_constant_s=time_constant_s)


def _trapz(y: np.ndarray, t: np.ndarray) -> float:
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(t))) if y.size > 1 else 0.0


def electrons_per_o2(solution: Any, *, time_constant_s: float | None = None) -> list[dict[str, Any]]:
    """e⁻/O2 and gas amounts per protocol step (half-cycle) of a simulation.

    Returns one dict per step with discharge or charge current: ``cycle``,
    ``step``, ``kind``, ``electrons_mol_g`` (∫|I| dt/F), ``O2_mol_g`` (net
    O2 consumed on discharge, evolved on charge; positive when the gas moves
    in the expected direction), ``CO2_mol_g``, ``H2O_mol_g`` (evolved) and
    ``e_per_O2``. With a detector time constant the gas fluxes are the lagged
    ones, as a measurement would integrate them over the step. ``note`` is
    empty, or says why ``e_per_O2`` is undefined (NaN): the step moved no O2,
    or moved it the other way.
    """
    solution_("electrons_per_o2", solution, steps=False)
    d = dems_from_solution(solution, time_constant_s=time_constant_s)
    i_A_g = convert(d.current_mA_g, "mA/g", "A/g")
    rests = {int(st.index) for st in getattr(solution, "steps", []) if st.kind == "rest"}
    rows = []
    for s in np.unique(d.step):
        idx = np.flatnonzero(d.step == s)
        if idx.size < 2 or int(s) in rests:  # a rest's double-layer relaxation is no half-cycle
            continue
        t = d.time_s[idx]
        q = _trapz(i_A_g[idx], t)  # C/g, positive for discharge
        if abs(q) < 1e-12:
            continue
        kind = "discharge" if q > 0 else "charge"
        n_e = abs(q) / FARADAY
        o2 = _trapz(d.fluxes["O2"][idx], t)
        n_o2 = -o2 if kind == "discharge" else o2
        rows.append({
            "cycle": int(d.cycle[idx[0]]), "step": int(s), "kind": kind,
            "charge_mAh_g": float(convert(abs(q), "C/g", "mAh/g")),
            "electrons_mol_g": n_e, "O2_mol_g": n_o2,
            "CO2_mol_g": _trapz(d.fluxes["CO2"][idx], t), "H2O_mol_g": _trapz(d.fluxes["H2O"][idx], t),
            "e_per_O2": n_e / n_o2 if n_o2 > 0 else math.nan, "note": _o2_note(kind, n_o2, "mol/g"),
        })
    return rows


def _o2_note(kind: str, o2: float, unit: str) -> str:
    """Why a step's e⁻/O2 is undefined (NaN), or "" when its O2 moved the expected way."""
    if o2 > 0:
        return ""
    expected = "consumed" if kind == "discharge" else "evolved"
    if o2 == 0:
        return f"no net O2 {expected} over this {kind}: e-/O2 is undefined (NaN)"
    other = "evolved" if kind == "discharge" else "consumed"
    return f"O2 {other} ({-o2:.3g} {unit}) instead of {expected} over this {kind}: e-/O2 is undefined (NaN)"


# --------------------------------------------------------------------------- measured
@dataclass(frozen=True)
class DEMSStep:
    """One galvanostatic step of a measured DEMS record.

    ``note`` is empty, or says why ``e_per_o2`` is undefined (NaN): no O2, or O2 moving the other way.
    """

    index: int
    kind: str  # "discharge" or "charge"
    start_s: float
    end_s: float
    electrons_mol: float
    electrons_sigma_mol: float
    o2_mol: float  # O2 consumed (discharge) or evolved (charge); positive in the expected direction
    o2_sigma_mol: float
    e_per_o2: float
    e_per_o2_sigma: float
    other_gases_mol: dict[str, float]
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain dict."""
        return dict(self.__dict__)


def _best_lag(current: CurrentRecord, gas: GasFluxRecord, max_lag_s: float) -> float:
    """The gas line's delay, from 0 to ``max_lag_s``, found together with the inlet's time constant.

    The delay is the shift that best correlates the O2 flux with −I/F passed through a first-order lag.
    Only delays >= 0, as ``time_offset_s`` takes: gas reaches the detector after it leaves the cell (a
    search over negative ones returned -60 s on a record with no delay at all, one step of its coarse grid).
    The inlet's mixing smears the flux (a first-order lag τ, tens of seconds); correlating with −I/F itself
    put the delay about 0.7 τ late (70 s for a 30 s delay and τ = 60 s), which moved gas between steps.
    """
    if "O2" not in gas.fluxes:
        raise ParameterError("automatic time alignment needs an O2 flux column")
    dt = float(np.median(np.diff(gas.time_s)))
    grid = np.arange(max(current.time_s[0], gas.time_s[0]), min(current.time_s[-1], gas.time_s[-1]), dt)
    if grid.size < 10:
        raise ParameterError("the current and gas records overlap too little in time to align them")
    raw = -np.interp(grid, current.time_s, current.current_A) / FARADAY
    refs = []  # the inlet's response to the flux leaving the cell, for each time constant tried
    for tau in (0.0, *np.geomspace(dt, max(2.0 * max_lag_s, 2.0 * dt), 16)):
        ref = first_order_lag(grid, raw, float(tau)) if tau > 0 else raw
        ref = ref - ref.mean()
        r = math.sqrt(float(ref @ ref))
        if r > 0:
            refs.append(ref / r)
    best, best_c = 0.0, -math.inf
    for lag in np.arange(0.0, max_lag_s + dt / 2, dt):  # one shifted gas record at a time: memory of a few records
        y = np.interp(grid + lag, gas.time_s, gas.fluxes["O2"])
        y = y - y.mean()
        ny = math.sqrt(float(y @ y))
        if ny == 0:
            continue
        for ref in refs:
            c = float(ref @ y) / ny
            if c > best_c:
                best, best_c = float(lag), c
    return best


def _steps(current: CurrentRecord, threshold: float) -> list[tuple[int, int, str]]:
    i = current.current_A
    big = np.abs(i) > threshold * float(np.max(np.abs(i)))
    sign = np.where(big, np.sign(i), 0)
    out = []
    k = 0
    n = i.size
    while k < n:
        if sign[k] == 0:
            k += 1
            continue
        j = k
        while j + 1 < n and sign[j + 1] == sign[k]:
            j += 1
        if j > k:
            out.append((k, j, "discharge" if sign[k] > 0 else "charge"))
        k = j + 1
    return out


def dems_steps(
    current: CurrentRecord,
    gas: GasFluxRecord,
    *,
    time_offset_s: float | str = 0.0,
    max_lag_s: float = 300.0,
    tail_s: float = math.inf,
    baseline_s: float = 60.0,
    calibration_uncertainty: float = 0.0,
    current_uncertainty: float = 0.0,
    threshold: float = 0.02,
) -> tuple[list[DEMSStep], float]:
    """e⁻/O2 per galvanostatic step of a measured record, with uncertainty (see the module notes).

    Parameters
    ----------
    current, gas : CurrentRecord, GasFluxRecord
    time_offset_s : float or "auto"
        The gas record's delay: gas time t_gas corresponds to cell time
        t_gas − offset. ``"auto"`` finds it by correlation within ``max_lag_s``.
    tail_s : float
        Time after each step's end plus the delay over which its gas is still integrated; default
        (``math.inf``): until the next step's gas arrives (its start plus the delay) or the record
        ends. The gas line smears the flux (a first-order lag of tens of seconds), so a window that
        closes at the step's end plus the delay misses the tail: e⁻/O2 2.017 for a true 2.000 with
        1 h steps and a 60 s lag, 2.105 with 10 min steps.
    baseline_s : float
        Length of the window before each step whose mean flux is the baseline, taken as a constant
        background over the step (gas a rest evolves chemically, e.g. from superoxide
        disproportionation, counts as background). A step that follows another within the window
        (back to back, no rest) gets no baseline, and its ``note`` says so.
    calibration_uncertainty, current_uncertainty : float
        Relative standard uncertainties of the gas calibration and the current.
    threshold : float
        Current magnitude (fraction of the largest) above which a point belongs to a step.

    Returns
    -------
    (list of DEMSStep, float)
        The steps and the time offset used, s.
    """
    instance("dems_steps", "current", current, CurrentRecord, "metalair.io.dems.read_current_record")
    instance("dems_steps", "gas", gas, GasFluxRecord, "metalair.io.dems.read_gas_flux, calibrated to mol/s")
    if not tail_s >= 0:
        raise ParameterError(f"tail_s = {tail_s!r} must be a number >= 0 (math.inf: until the next step's gas)")
    for name, v in (("baseline_s", baseline_s), ("max_lag_s", max_lag_s)):
        if not (v >= 0 and math.isfinite(v)):
            raise ParameterError(f"{name} = {v!r} must be a finite number >= 0")
    for name, v in (("calibration_uncertainty", calibration_uncertainty),
                    ("current_uncertainty", current_uncertainty)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (0 <= v < 1):
            raise ParameterError(
                f"{name} = {v!r} must be a relative standard uncertainty, a number from 0 to below 1 "
                "(e.g. 0.05 for 5 %)"
            )
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not (0 < threshold < 1):
        raise ParameterError(f"threshold = {threshold!r} must lie between 0 and 1 (a fraction of the largest |I|)")
    if "O2" not in gas.fluxes:
        raise ParameterError(f"the gas record has no O2 column (gases: {', '.join(gas.gases)}); e-/O2 needs it")
    if time_offset_s == "auto":
        offset = _best_lag(current, gas, max_lag_s)
    elif isinstance(time_offset_s, numbers.Real) and not isinstance(time_offset_s, bool) \
            and math.isfinite(time_offset_s) and time_offset_s >= 0:
        offset = float(time_offset_s)
    else:
        raise ParameterError(f"time_offset_s = {time_offset_s!r} must be the gas line's delay, a number of seconds "
                             ">= 0 (gas reaches the detector after it leaves the cell), or 'auto'")
    tg = gas.time_s
    steps = _steps(current, threshold)
    if steps and tg[-1] < current.time_s[steps[0][0]]:
        raise ParameterError(f"the gas record ends at {tg[-1]:g} s, before the first step starts "
                             f"({current.time_s[steps[0][0]]:g} s): are both time columns in seconds?")
    out = []
    previous_end = -math.inf  # where the previous step's window closed: gas is counted for one step only
    for n, (a, b, kind) in enumerate(steps, start=1):
        t0, t1 = float(current.time_s[a]), float(current.time_s[b])
        last_gas = float(tg[-1]) + 0.5 * float(np.median(np.diff(tg)))
        if t1 + offset > last_gas:
            raise ParameterError(
                f"step {n} ({t0:g}-{t1:g} s): its gas arrives until {t1 + offset:g} s (step end + delay {offset:g} s), "
                f"after the gas record ends ({tg[-1]:g} s); check the delay (time_offset_s, --offset) and that both "
                "time columns are in seconds")
        w_end = min(t1 + offset + tail_s, last_gas)  # the tail, as far as the record goes
        if n < len(steps):  # the next step's gas reaches the detector from its own start + the delay: stop there
            w_end = min(w_end, float(current.time_s[steps[n][0]]) + offset)
        q = _trapz(current.current_A[a:b + 1], current.time_s[a:b + 1])
        n_e = abs(q) / FARADAY
        # causality: no gas from this step can reach the detector before the step starts, so the baseline
        # window ends and the integration starts at t0 on the gas clock; the delay only moves the window's end
        w_start = max(t0, previous_end)  # steps back to back: the previous step's late gas stays with it
        win = (tg >= w_start) & (tg <= w_end)
        previous_end = w_end
        base_win = (tg >= t0 - baseline_s) & (tg < t0)
        # the baseline is a background only if the cell was at rest while that gas left it (cell time = gas
        # time - delay): a step running then (steps back to back) would have its own gas subtracted
        lo, hi = t0 - baseline_s - offset, t0 - offset
        busy = baseline_s > 0 and any(float(current.time_s[a2]) < hi and float(current.time_s[b2]) >= lo
                                      for a2, b2, _k in steps[:n - 1])
        if busy:
            base_win = np.zeros_like(base_win)
        if np.count_nonzero(win) < 2:
            raise ParameterError(f"step {n} ({t0:g}-{t1:g} s) has fewer than two gas points; check the time offset")
        amounts: dict[str, float] = {}
        sig_o2 = math.nan
        for g, flux in gas.fluxes.items():
            if np.count_nonzero(base_win) >= 2:
                base = float(np.mean(flux[base_win]))
                sb = float(np.std(flux[base_win], ddof=1))
                nb = int(np.count_nonzero(base_win))
            else:
                base, sb, nb = 0.0, math.nan, 0
            tw = tg[win]
            amount = _trapz(flux[win] - base, tw)
            amounts[g] = amount
            if g == "O2":
                span = float(tw[-1] - tw[0])
                dt = span / max(tw.size - 1, 1)
                if nb:
                    noise = sb * math.sqrt(tw.size) * dt
                    base_err = sb / math.sqrt(nb) * span
                    sig_o2 = math.sqrt(noise**2 + base_err**2 + (calibration_uncertainty * amount) ** 2)
                else:  # no baseline window before the step: the noise and the baseline are unknown
                    sig_o2 = math.nan
        o2 = -amounts["O2"] if kind == "discharge" else amounts["O2"]
        sig_e = current_uncertainty * n_e
        ratio = n_e / o2 if o2 > 0 else math.nan
        rel = math.sqrt((sig_e / n_e) ** 2 + (sig_o2 / o2) ** 2) if o2 > 0 and n_e > 0 else math.nan
        out.append(DEMSStep(
            index=n, kind=kind, start_s=t0, end_s=t1, electrons_mol=n_e, electrons_sigma_mol=sig_e, o2_mol=o2,
            o2_sigma_mol=sig_o2, e_per_o2=ratio, e_per_o2_sigma=ratio * rel,
            other_gases_mol={g: v for g, v in amounts.items() if g != "O2"},
            note="; ".join(x for x in (_o2_note(kind, o2, "mol"), _BUSY_NOTE if busy else "") if x),
        ))
    if not out:
        raise ParameterError("no galvanostatic step found in the current record")
    _check_o2_direction(out, current, offset, max_lag_s if time_offset_s == "auto" else None)
    return out, offset


#: Why a step has no baseline subtracted.
_BUSY_NOTE = ("no baseline subtracted: the cell was not at rest in the baseline window before this step (steps back "
              "to back); put a rest of at least baseline_s before a step to measure its background")

#: A step whose net O2 is at most this fraction of its electrons [mol/mol] moved no O2 (e⁻/O2 above 10⁹).
NO_O2_FRACTION = 1e-9


def _check_o2_direction(steps: list[DEMSStep], current: CurrentRecord, offset: float,
                        max_lag_s: float | None) -> None:
    """Refuse a record whose O2 flux runs against the current in every step (a sign convention mix-up).

    A discharge consumes O2 and a charge evolves it. When no step moves O2 the
    expected way and at least one moves it clearly (by more than three standard
    uncertainties) the other way, the current's sign is the opposite of the one
    assumed, and every e⁻/O2 would be NaN. When no step moves any O2 at all
    (:data:`NO_O2_FRACTION`), the O2 column is flat: refused too, as every e⁻/O2
    would be NaN.
    """
    if any(s.o2_mol > 0 for s in steps):
        return
    if all(abs(s.o2_mol) <= NO_O2_FRACTION * s.electrons_mol for s in steps):
        raise ParameterError(
            f"the O2 flux moves no O2 in any of the {len(steps)} steps (net amounts "
            f"{', '.join(f'{s.o2_mol:.3g}' for s in steps[:4])} mol against {steps[0].electrons_mol:.3g} mol of "
            "electrons in the first), so e-/O2 is undefined in every step: the O2 column is flat over the "
            "record; is it the calibrated O2 flux (m/z 32, in mol/s), and does the gas record cover the steps?")
    clear = [s for s in steps if s.o2_mol < 0 and not (-s.o2_mol <= 3 * s.o2_sigma_mol)]
    if not clear:
        return
    shown = "; ".join(
        f"step {s.index} ({s.kind}) {'evolves' if s.kind == 'discharge' else 'consumes'} {-s.o2_mol:.3g} mol O2 "
        f"instead of {'consuming' if s.kind == 'discharge' else 'evolving'} it" for s in clear[:3])
    if current.metadata.get("discharge_sign") == -1:
        fix = ("the current record probably counts discharge as positive after all: read it with "
               "discharge_sign=1 (on the command line: leave out --charge-positive)")
    else:
        fix = ("the current record probably counts charge as positive (as EC-Lab does): read it with "
               "discharge_sign=-1 (on the command line: --charge-positive)")
    lag = ""
    if max_lag_s is not None and abs(abs(offset) - max_lag_s) < 1e-9 * max(max_lag_s, 1.0) + 1e-9:
        lag = (f"; the automatic gas delay ({offset:g} s) sits at the edge of its 0-{max_lag_s:g} s search "
               "for the same reason")
    raise ParameterError(
        f"the O2 flux runs against the current in every step: {shown}. A discharge consumes O2 and a charge "
        f"evolves it, so the current's sign convention contradicts the gas record; {fix}{lag}"
    )
