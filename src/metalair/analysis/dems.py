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
gas is counted twice. That causality holds on one clock only: when the two
instruments' clocks differ so that the gas record leads (its times read early by
more than the delay), a step's gas shows up before the step starts, and the
baseline window holds it (e⁻/O2 2.84 for a true 2.00 with a 30 s lead). Such a record
is given a negative ``time_offset_s`` (the windows then open at the step's
start plus the offset); the automatic search takes only delays >= 0 but
refuses a record that correlates clearly better at a negative lag, with the
estimated lead. A step whose gas starts arriving before the gas record starts
is refused (its O2 would be counted short), and a baseline window whose O2
flux still trends (the previous step's lagged gas) is noted on the step. The
current is integrated by the trapezoid rule over the step's samples, the last
one held until the next sample (the step's end, where a logger samples it). It
reports e⁻/O2 with its uncertainty:

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
import re
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

#: A gas record may start this share of a step (or 1.5 sampling intervals) after the step's gas begins to
#: arrive: what it misses biases e-/O2 by about as much.
LATE_GAS_FRACTION = 0.01

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


def _row_amounts(t: np.ndarray, x: np.ndarray, tau_s: float | None) -> np.ndarray:
    """Amount over each row's interval (t_{k-1}, t_k] of a rate x_k held over it (0 for the first row).

    Without a time constant: x_k Δt_k, exact for the model's step-averaged rates. Through the inlet's
    first-order lag (y_k = x_k + (y_{k-1} − x_k) e^{−Δt/τ}, :func:`first_order_lag`), the exact integral
    of the lagged flux over the interval: x_k Δt_k + (y_{k-1} − x_k) τ (1 − e^{−Δt_k/τ}).
    """
    dt = np.diff(t, prepend=t[0])
    if tau_s is None:
        return x * dt
    y = first_order_lag(t, x, tau_s)
    y_before = np.concatenate([y[:1], y[:-1]])
    return x * dt + (y_before - x) * tau_s * -np.expm1(-dt / tau_s)


def electrons_per_o2(solution: Any, *, time_constant_s: float | None = None) -> list[dict[str, Any]]:
    """e⁻/O2 and gas amounts per protocol step (half-cycle) of a simulation.

    Returns one dict per step with discharge or charge current: ``cycle``,
    ``step``, ``kind``, ``electrons_mol_g`` (∫|I| dt/F over the step), ``O2_mol_g`` (net
    O2 consumed on discharge, evolved on charge; positive when the gas moves
    in the expected direction), ``CO2_mol_g``, ``H2O_mol_g`` (evolved) and
    ``e_per_O2``. The gas of a step is counted from its start to the start of the next
    half-cycle (the rests that follow it included), as :func:`dems_steps` integrates a
    measured record: with a detector time constant the fluxes are the lagged ones, and
    the lagged tail that reaches the detector after the step's end is counted with it
    (back to back, the tail still arriving when the next step starts is lost, as in a
    measurement). The model's rates are step averages over each row's interval, so the
    amounts are their exact sums (Σ rate·Δt, equal to the uptake columns), not a
    trapezoid rule. ``note`` is empty, or says why ``e_per_O2`` is undefined (NaN): the
    step moved no O2, or moved it the other way.
    """
    solution_("electrons_per_o2", solution, steps=False)
    d = dems_from_solution(solution)
    tau = d.time_constant_s if time_constant_s is None else optional_number(
        "electrons_per_o2", "time_constant_s", time_constant_s, 0.0, lo_open=True, unit="s",
        hint="the detector's time constant, or None for an ideal detector")
    t = d.time_s
    charge = np.asarray(convert(d.current_mA_g, "mA/g", "A/g"), dtype=float) * np.diff(t, prepend=t[0])  # C/g per row
    gas = {g: _row_amounts(t, v, tau) for g, v in d.fluxes.items()}
    rests = {int(st.index) for st in getattr(solution, "steps", []) if st.kind == "rest"}
    halves = []  # (step, first row, charge C/g) of each half-cycle
    for s in np.unique(d.step):
        idx = np.flatnonzero(d.step == s)
        if int(s) in rests:  # a rest's double-layer relaxation is no half-cycle
            continue
        q = float(np.sum(charge[idx]))  # C/g, positive for discharge
        if abs(q) < 1e-12:
            continue
        halves.append((s, int(idx[0]), q))
    rows = []
    for h, (s, first, q) in enumerate(halves):
        # the step's gas: from its first row to the next half-cycle's start (the rests after it included)
        stop = halves[h + 1][1] if h + 1 < len(halves) else t.size
        gas_rows = np.arange(first, stop)
        kind = "discharge" if q > 0 else "charge"
        n_e = abs(q) / FARADAY
        o2 = float(np.sum(gas["O2"][gas_rows]))
        n_o2 = -o2 if kind == "discharge" else o2
        rows.append({
            "cycle": int(d.cycle[first]), "step": int(s), "kind": kind,
            "charge_mAh_g": float(convert(abs(q), "C/g", "mAh/g")),
            "electrons_mol_g": n_e, "O2_mol_g": n_o2,
            "CO2_mol_g": float(np.sum(gas["CO2"][gas_rows])), "H2O_mol_g": float(np.sum(gas["H2O"][gas_rows])),
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


def _lag_correlations(current: CurrentRecord, gas: GasFluxRecord, lags: np.ndarray, refs: list[np.ndarray],
                      grid: np.ndarray) -> np.ndarray:
    """For each lag, the best correlation of the shifted O2 flux with the inlet responses ``refs``."""
    out = np.full(lags.size, -math.inf)
    for k, lag in enumerate(lags):  # one shifted gas record at a time: memory of a few records
        y = np.interp(grid + lag, gas.time_s, gas.fluxes["O2"])
        y = y - y.mean()
        ny = math.sqrt(float(y @ y))
        if ny == 0:
            continue
        out[k] = max(float(ref @ y) / ny for ref in refs)
    return out


#: A gas record leads the current when its best correlation at a negative lag leaves at most this fraction of
#: the misfit (1 − r², less the detector noise's share) of the best lag >= 0, and correlates at least
#: :data:`LEAD_MIN_CORRELATION`.
LEAD_MISFIT_RATIO = 0.5
LEAD_MIN_CORRELATION = 0.5


def _best_lag(current: CurrentRecord, gas: GasFluxRecord, max_lag_s: float) -> float:
    """The gas line's delay, from 0 to ``max_lag_s``, found together with the inlet's time constant.

    The delay is the shift that best correlates the O2 flux with −I/F passed through a first-order lag.
    Only delays >= 0 are returned: gas reaches the detector after it leaves the cell (a search that
    returned negative lags gave -60 s on a record with no delay at all, one step of its coarse grid).
    The inlet's mixing smears the flux (a first-order lag τ, tens of seconds); correlating with −I/F itself
    put the delay about 0.7 τ late (70 s for a 30 s delay and τ = 60 s), which moved gas between steps.

    Negative lags (down to −``max_lag_s``, in whole samples) are only looked at to refuse a gas record that
    leads the current record (clocks that differ): when one of them correlates clearly better than every
    lag >= 0 (its misfit 1 − r², less the share of the flux's variance that is white noise, at most
    :data:`LEAD_MISFIT_RATIO` of theirs, and r >= :data:`LEAD_MIN_CORRELATION`), the best lag >= 0 (0, at
    the edge) counted a step's own gas in its baseline (e⁻/O2 2.84 for a true 2.00 with a 30 s
    lead), so the lead is given back to the user to pass as a negative ``time_offset_s``.
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
    lags = np.arange(0.0, max_lag_s + dt / 2, dt)
    c = _lag_correlations(current, gas, lags, refs, grid)
    k = int(np.argmax(c))
    best, best_c = (float(lags[k]), float(c[k])) if np.isfinite(c[k]) else (0.0, -math.inf)
    leads = -np.arange(dt, max_lag_s + dt / 2, dt)  # whole samples: between them, interpolation averages the
    # noise of two samples and so correlates better at any fractional lag (-0.5 s on a record with no delay)
    if leads.size:
        cn = _lag_correlations(current, gas, leads, refs, grid)
        j = int(np.argmax(cn))
        lead_c = float(cn[j])
        # the misfit 1 - r² beyond what the detector's white noise leaves (its share of the flux's variance,
        # from successive differences): noise alone must not make a lead look better, nor hide one
        y0 = np.interp(grid, gas.time_s, gas.fluxes["O2"])
        var = float(np.var(y0))
        floor = min(1.0, 0.5 * float(np.mean(np.diff(y0) ** 2)) / var) if var > 0 else 1.0
        m_pos = 1.0 - max(best_c, 0.0) ** 2 - floor
        m_neg = 1.0 - lead_c**2 - floor
        if lead_c >= LEAD_MIN_CORRELATION and m_pos > 0 and m_neg <= LEAD_MISFIT_RATIO * m_pos:
            lag = float(leads[j])
            edge = " or more (the edge of the search)" if j == leads.size - 1 else ""
            raise ParameterError(
                f"the gas record seems to lead the current record by about {-lag:g} s{edge}: its O2 flux "
                f"correlates with -I/F best {-lag:g} s early (correlation {lead_c:.4f}, against at most "
                f"{best_c:.4f} for a delay from 0 to {max_lag_s:g} s). Gas reaches the detector after it leaves "
                "the cell, so the two instruments' clocks probably differ (the gas times read early), and with any "
                "delay >= 0 each step's "
                "own gas would fall into its baseline window (a wrong e-/O2). Check the clocks, then pass the "
                f"difference as a negative offset: time_offset_s={lag:g} (on the command line: --offset={lag:g})")
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
        t_gas − offset. ``"auto"`` finds it by correlation within 0 to ``max_lag_s``, and refuses
        a record that correlates clearly better at a negative lag (its message gives the lead).
        Negative: the gas record leads the current record (the two clocks differ by more than
        the delay, so a step's gas is stamped before the step starts); each step's gas window
        and baseline window then open at the step's start plus the offset, not at its start.
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
        (back to back, no rest) gets no baseline, and its ``note`` says so; so does a step whose
        baseline's O2 flux still trends (the previous step's lagged gas, a short rest): 0 subtracts
        no baseline.
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
        seen = [c for c in gas.metadata.get("unread_columns", []) if re.search(r"(?<![A-Za-z])O2(?![0-9])", str(c),
                                                                               re.IGNORECASE)]
        also = (f"; the file has {', '.join(repr(c) for c in seen)}, which looks like O2 but was not read: a gas "
                "column is named after the gas alone (or '<gas> flux') with a molar-flux unit, e.g. 'O2 (nmol/s)'; "
                "rename it (a column counting consumption as positive: read the file with evolution_sign=-1)"
                if seen else "")
        raise ParameterError(f"the gas record has no O2 column (gases: {', '.join(gas.gases)}); e-/O2 needs it{also}")
    if time_offset_s == "auto":
        offset = _best_lag(current, gas, max_lag_s)
    elif isinstance(time_offset_s, numbers.Real) and not isinstance(time_offset_s, bool) \
            and math.isfinite(time_offset_s):
        offset = float(time_offset_s)
    else:
        raise ParameterError(f"time_offset_s = {time_offset_s!r} must be a finite number of seconds (the gas line's "
                             "delay, >= 0; negative when the gas record leads the current record, their clocks "
                             "differing), or 'auto'")
    # where a step's gas window opens on the gas clock, relative to its start: at the start itself for a delay
    # (causality), earlier by the lead when the gas record leads
    shift = min(offset, 0.0)
    tg = gas.time_s
    dt_gas = float(np.median(np.diff(tg)))
    steps = _steps(current, threshold)
    if steps and tg[-1] < current.time_s[steps[0][0]]:
        raise ParameterError(f"the gas record ends at {tg[-1]:g} s, before the first step starts "
                             f"({current.time_s[steps[0][0]]:g} s): are both time columns in seconds?")
    out = []
    previous_end = -math.inf  # where the previous step's window closed: gas is counted for one step only
    for n, (a, b, kind) in enumerate(steps, start=1):
        t0, t1 = float(current.time_s[a]), float(current.time_s[b])
        last_gas = float(tg[-1]) + 0.5 * dt_gas
        if t1 + offset > last_gas:
            raise ParameterError(
                f"step {n} ({t0:g}-{t1:g} s): its gas arrives until {t1 + offset:g} s (step end + delay {offset:g} s), "
                f"after the gas record ends ({tg[-1]:g} s); check the delay (time_offset_s, --offset) and that both "
                "time columns are in seconds")
        arrives = t0 + offset  # the step's first gas reaches the detector then (gas clock)
        # a record that starts one sampling interval in (logged from the step's first row) misses no more than
        # that interval: refused when it misses more than 1.5 intervals and more than 1 % of the step
        if float(tg[0]) - arrives > max(1.5 * dt_gas, LATE_GAS_FRACTION * (t1 - t0)):
            raise ParameterError(
                f"step {n} ({kind}, {t0:g}-{t1:g} s): the gas record starts at {tg[0]:g} s, but this step's gas "
                f"reaches the detector from {arrives:g} s (its start + the offset {offset:g} s), so its first "
                f"{float(tg[0]) - arrives:g} s of gas (of {t1 - t0:g} s of current) are not in the record: its O2 "
                "would be counted short and its e-/O2 too high. Start the gas record before the first step (with "
                f"a rest of at least baseline_s = {baseline_s:g} s before it for the baseline), or cut this step "
                f"out of the current record (keep it from {float(tg[0]) - offset:g} s on); check also the offset "
                "(time_offset_s, --offset) and that both time columns are in seconds")
        w_end = min(t1 + offset + tail_s, last_gas)  # the tail, as far as the record goes
        if n < len(steps):  # the next step's gas reaches the detector from its own start + the delay: stop there
            w_end = min(w_end, float(current.time_s[steps[n][0]]) + offset)
        q = _trapz(current.current_A[a:b + 1], current.time_s[a:b + 1])
        if b + 1 < current.time_s.size:  # the last logged current holds until the next sample (the step's end)
            q += float(current.current_A[b]) * float(current.time_s[b + 1] - current.time_s[b])
        n_e = abs(q) / FARADAY
        # causality: no gas from this step can reach the detector before the step starts, so the baseline
        # window ends and the integration starts at t0 on the gas clock (at t0 + offset when the gas record
        # leads, offset < 0); a delay only moves the window's end
        w_start = max(t0 + shift, previous_end)  # steps back to back: the previous step's late gas stays with it
        win = (tg >= w_start) & (tg <= w_end)
        previous_end = w_end
        base_win = (tg >= t0 + shift - baseline_s) & (tg < t0 + shift)
        # the baseline is a background only if the cell was at rest while that gas left it (cell time = gas
        # time - offset): a step running then (steps back to back) would have its own gas subtracted
        lo, hi = t0 + shift - baseline_s - offset, t0 + shift - offset
        busy = baseline_s > 0 and any(float(current.time_s[a2]) < hi and float(current.time_s[b2]) >= lo
                                      for a2, b2, _k in steps[:n - 1])
        if busy:
            base_win = np.zeros_like(base_win)
        if np.count_nonzero(win) < 2:
            raise ParameterError(f"step {n} ({t0:g}-{t1:g} s) has fewer than two gas points; check the time offset")
        amounts: dict[str, float] = {}
        sig_o2 = math.nan
        drift = ""
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
                    drift = _baseline_drift(tg[base_win], flux[base_win], span, amount, n, t0, steps[:n - 1],
                                            current, offset, baseline_s)
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
            note="; ".join(x for x in (_o2_note(kind, o2, "mol"), _BUSY_NOTE if busy else "", drift) if x),
        ))
    if not out:
        raise ParameterError("no galvanostatic step found in the current record")
    _check_o2_direction(out, current, gas, offset, max_lag_s if time_offset_s == "auto" else None)
    return out, offset


#: A baseline whose O2 trend is at least this many standard errors, and moves the step's O2 by at least
#: :data:`DRIFT_MIN_FRACTION` over its integration window, is noted (it still carries gas).
DRIFT_MIN_T = 4.0
DRIFT_MIN_FRACTION = 0.005


def _baseline_drift(tb: np.ndarray, fb: np.ndarray, span: float, amount: float, n: int, t0: float,
                    earlier: list[tuple[int, int, str]], current: CurrentRecord, offset: float,
                    baseline_s: float) -> str:
    """A note when the O2 flux in a step's baseline window still trends (e.g. the previous step's lagged gas).

    The window's mean is subtracted as a constant background over the whole integration window, so a flux
    still decaying there (delay 30 s, τ = 60 s, a 5-min rest) biased e⁻/O2 by 3 % without a word. The trend is
    the least-squares slope over the window; it is noted when it is at least :data:`DRIFT_MIN_T` standard
    errors and its change over the window, held over the integration window, is at least
    :data:`DRIFT_MIN_FRACTION` of the step's O2.
    """
    if tb.size < 5 or amount == 0:
        return ""
    x = tb - tb.mean()
    sxx = float(x @ x)
    if sxx <= 0:
        return ""
    slope = float(x @ (fb - fb.mean())) / sxx
    resid = fb - fb.mean() - slope * x
    se = math.sqrt(float(resid @ resid) / (tb.size - 2) / sxx)
    change = slope * float(tb[-1] - tb[0])
    share = abs(change) * span / abs(amount)
    if not (abs(slope) > DRIFT_MIN_T * se and share >= DRIFT_MIN_FRACTION):
        return ""
    times = f"{abs(slope) / se:.0f} times its standard error" if se > 0 else "with no noise"
    why = "the background drifts"
    if earlier:
        a2, b2, kind2 = earlier[-1]
        end2 = float(current.time_s[b2])
        why = (f"the previous step ({len(earlier)}, {kind2}) ended {t0 - end2:g} s before this one started, and its "
               f"gas, delayed by {offset:g} s and smeared by the inlet, probably still reaches the detector")
    if offset >= 0:
        why += (" (or, if the gas record leads the current record, the two clocks differing, this step's own gas: "
                "then pass the lead as a negative time_offset_s)")
    return (f"the O2 baseline still changes over its {baseline_s:g} s window before step {n} (by {change:.3g} mol/s, "
            f"{times}; held over the step's gas window that is about {100 * share:.1f} % of its O2): {why}. Its "
            "mean is subtracted as a constant background, so e-/O2 is biased; put a longer rest before the step, "
            "or, if the background is negligible, subtract none (baseline_s=0; on the command line: --baseline 0)")




#: Why a step has no baseline subtracted.
_BUSY_NOTE = ("no baseline subtracted: the cell was not at rest in the baseline window before this step (steps back "
              "to back); put a rest of at least baseline_s before a step to measure its background")

#: A step whose net O2 is at most this fraction of its electrons [mol/mol] moved no O2 (e⁻/O2 above 10⁹).
NO_O2_FRACTION = 1e-9


def _check_o2_direction(steps: list[DEMSStep], current: CurrentRecord, gas: GasFluxRecord, offset: float,
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
        cur_fix = ("the current record counts discharge as positive after all: read it with discharge_sign=1 (on "
                   "the command line: leave out --charge-positive)")
    else:
        cur_fix = ("the current record counts charge as positive (as EC-Lab does): read it with discharge_sign=-1 "
                   "(on the command line: --charge-positive)")
    if gas.metadata.get("evolution_sign") == -1:
        gas_fix = ("the gas record counts evolution as positive after all: read it with evolution_sign=1 (on the "
                   "command line: leave out --gas-consumption-positive)")
    else:
        gas_fix = ("the gas record counts consumption (uptake) as positive: read it with evolution_sign=-1 (on the "
                   "command line: --gas-consumption-positive)")
    fix = (f"either {cur_fix}, or {gas_fix}. Change only the one that is reversed (expected: current positive on "
           "discharge, O2 flux positive when O2 is evolved): look at the first step of the raw files. Reading "
           "the current reversed when it is the gas that counts the other way swaps the step kinds (a discharge "
           "reported as a charge) without any error")
    lag = ""
    if max_lag_s is not None and abs(abs(offset) - max_lag_s) < 1e-9 * max(max_lag_s, 1.0) + 1e-9:
        lag = (f"; the automatic gas delay ({offset:g} s) sits at the edge of its 0-{max_lag_s:g} s search "
               "for the same reason")
    raise ParameterError(
        f"the O2 flux runs against the current in every step: {shown}. A discharge consumes O2 and a charge "
        f"evolves it, so the sign conventions of the current and the gas records contradict each other: {fix}{lag}"
    )
