"""The model's impedance at a state a protocol reaches, and a series of spectra along a discharge.

``metalair impedance`` runs the protocol, linearises the model's own equations
there (:mod:`metalair.models.impedance`), and writes the spectrum as a table
and Nyquist and Bode figures, analysable with the same tools as a measured
spectrum (:mod:`metalair.analysis.impedance`). Impedances are per geometric
electrode area (Ω·cm²): the model's Ω·kg of catalyst divided by the loading.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from metalair._validation import check_at_most
from metalair.errors import ParameterError, SolverError
from metalair.models.declaration import Y
from metalair.models.impedance import balance_potential, cell_impedance, linearise
from metalair.models.lumped import LumpedAirElectrode
from metalair.protocols.simulation import Simulation
from metalair.protocols.steps import Charge, Discharge, Rest, flatten
from metalair.tables.impedance import ImpedanceSpectrum, frequency_hz
from metalair.units import convert, is_bare_number, parse_quantity, to_user

__all__ = ["ModelSpectra", "model_spectrum", "spectra_along", "default_frequencies", "OPEN_CIRCUIT_NOTE"]

#: Said whenever a spectrum is taken at open circuit.
OPEN_CIRCUIT_NOTE = (
    "at open circuit the model's NaO2 couple is two one-directional channels (formation on the free area, "
    "decomposition at the product contact) with different exchange currents, so its current-potential curve "
    "has a kink at equilibrium and the low-frequency impedance is not unique: this spectrum uses the mean of "
    "the two slopes. Give a small DC current (--bias) for a spectrum the time domain reproduces")


def _frequencies(value: Any) -> np.ndarray:
    """``frequency_Hz`` as an array of Hz: numbers of Hz, texts with units (``"1 kHz"``), or a list of either."""
    if value is None:
        return default_frequencies()
    items = [value] if isinstance(value, str) or np.ndim(value) == 0 else list(np.asarray(value, dtype=object).ravel())
    f = np.array([frequency_hz(v, "frequency_Hz") for v in items], dtype=float)
    if f.size == 0 or not np.all(np.isfinite(f) & (f > 0)):
        raise ParameterError(f"frequency_Hz = {value!r} must hold positive, finite frequencies (Hz, or '1 kHz')")
    return f


#: Most frequencies a simulated spectrum may have (10,000 is 1,000 per decade over 1 mHz-1 MHz).
MAX_FREQUENCIES = 10_000

def default_frequencies(f_min: float | str = 1e-3, f_max: float | str = 1e6, points: int = 61) -> np.ndarray:
    """Log-spaced frequencies [Hz], high to low (as instruments sweep).

    ``f_min`` and ``f_max`` are numbers of Hz or texts with a frequency unit (``"1 mHz"``, ``"1 MHz"``).
    """
    lo, hi = frequency_hz(f_min, "f_min"), frequency_hz(f_max, "f_max")
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)):
        raise ParameterError(f"points = {points!r} must be a whole number of frequencies (>= 2)")
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi) or points < 2:
        raise ParameterError(f"need 0 < f_min < f_max and at least 2 points, got {lo:g} Hz, {hi:g} Hz, {points}")
    check_at_most(points, "points", MAX_FREQUENCIES, "an instrument records tens of points per decade")
    return np.logspace(np.log10(hi), np.log10(lo), int(points))


def _specific_current(value: Any, name: str, example: str, what: str = "a specific current") -> float:
    """A specific current given as text with its unit (``"10 mA/g"``) in A/kg; a bare number is refused."""
    if isinstance(value, str) and not is_bare_number(value):
        try:
            return float(parse_quantity(value, "specific current"))
        except ParameterError as exc:
            raise ParameterError(f"{name}: {exc}") from None
    if isinstance(value, (str, int, float, np.integer, np.floating)) and not isinstance(value, bool):
        raise ParameterError(f"{name}={value!r} is ambiguous: write {name}='{float(value):g} mA/g' ({what})")
    raise ParameterError(f"{name} = {value!r} must be a specific current with its unit, e.g. '{example}'")


def _bias(bias: Any) -> float:
    """The DC current during a measurement in A/kg (discharge positive); a bare number is refused (mA/g? A?)."""
    return _specific_current(bias, "bias", "10 mA/g", "a specific current, discharge positive")


def _current(current: Any) -> float:
    """The discharge current of :func:`spectra_along` in A/kg, from a text with its unit."""
    return _specific_current(current, "current", "100 mA/g")


def _capacity_mAh_g(q: Any) -> float:
    """A capacity of ``spectra_along`` in mAh/g: a number of mAh/g (as documented) or a text with its unit."""
    if isinstance(q, str) and not is_bare_number(q):
        try:
            value = float(to_user(parse_quantity(q, "specific capacity"), "mAh/g"))
        except ParameterError as exc:
            raise ParameterError(f"capacities: {exc}") from None
    elif isinstance(q, (str, int, float, np.integer, np.floating)) and not isinstance(q, bool):
        value = float(q)
    else:
        raise ParameterError(f"capacities: {q!r} is not a capacity; give numbers of mAh/g or texts like '500 mAh/g'")
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"capacities: {q!r} is not a positive capacity (mAh/g, or a text like '500 mAh/g')")
    return value


@dataclass
class ModelSpectra:
    """Spectra of the model: one per state, with what state each is and the files written."""

    spectra: list[ImpedanceSpectrum]
    labels: list[str]
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: what the spectra are of (catalyst, protocol, bias): the figures' title
    title: str = ""


def _spectrum(model: LumpedAirElectrode, y: np.ndarray, bias_A_per_kg: float, frequency_Hz: np.ndarray,
              label: str) -> ImpedanceSpectrum:
    lin = linearise(model, y, bias_A_per_kg)
    z_ohm_kg = cell_impedance(lin, frequency_Hz)
    z_area = convert(z_ohm_kg / model.parameters.loading, "Ω m²", "Ω cm²")
    with np.errstate(divide="ignore"):
        rct = float(convert(1.0 / lin.dIF_dE / model.parameters.loading, "Ω m²", "Ω cm²"))
    r_ohm, r_anode = (float(convert(r / model.parameters.loading, "Ω m²", "Ω cm²")) for r in (lin.R_ohm, lin.R_anode))
    return ImpedanceSpectrum.from_arrays(frequency_Hz, z_area, unit="Ω·cm²", metadata={
        "source": label, "catalyst": model.catalyst.name,
        "bias_mA_g": float(to_user(bias_A_per_kg, "mA/g")),
        # the high-frequency limit of Z: the anode has no double layer, so its resistance is never shorted
        "ohmic_resistance_ohm_cm2": r_ohm, "anode_resistance_ohm_cm2": r_anode,
        "high_frequency_intercept_ohm_cm2": r_ohm + r_anode,
        # no faradaic reaction at this state (argon, no product, no O2): null rather than 1e25 Ω·cm²
        "charge_transfer_resistance_ohm_cm2": rct if math.isfinite(rct) and 0 < rct <= NO_CHARGE_TRANSFER_OHM_CM2
        else None,
    })


#: A charge-transfer resistance above this [Ω·cm²] means no faradaic reaction at the state (it is reported as null).
NO_CHARGE_TRANSFER_OHM_CM2 = 1e12


#: A hold's or sweep's final current [A/kg] below which it is taken as 0 (open circuit; 1e-6 mA/g).
END_CURRENT_ZERO = 1e-6


def _end_current(model: LumpedAirElectrode, state: Any, voltage_V: float) -> float:
    """The cell current [A/kg, discharge positive] of ``state`` at cell voltage ``voltage_V``.

    The current a voltage-controlled step (a hold, a sweep) drives at its end: the cell voltage
    ``E - eta_a(I) - I R_ohm`` at the state's electrode potential equals the step's final voltage.
    Below :data:`END_CURRENT_ZERO` in magnitude it is 0 (a hold at the rest voltage).
    """
    from metalair.solvers.roots import falling_root

    E = float(np.asarray(state, dtype=float)[Y.potential])

    def gap(i: float) -> float:  # falls as the discharge current rises
        return model.cell_voltage(E, i) - float(voltage_V)

    i = falling_root(gap, 0.0, 1.0, 1e9, xtol=1e-12, rtol=1e-12)
    if i is not None:
        return 0.0 if abs(i) < END_CURRENT_ZERO else i
    raise SolverError(f"no cell current gives {voltage_V:.4g} V at the electrode potential {E:.4g} V the protocol "
                      "left; the state at the end of its last step is not a consistent operating point")


def _intercept_note(spectrum: ImpedanceSpectrum) -> str:
    """What the model's high-frequency intercept is made of (it is not the electrolyte resistance)."""
    m = spectrum.metadata
    return (f"the model's high-frequency intercept is R_ohm + R_anode = {m['ohmic_resistance_ohm_cm2']:.4g} + "
            f"{m['anode_resistance_ohm_cm2']:.4g} = {m['high_frequency_intercept_ohm_cm2']:.4g} Ω·cm²: the sodium "
            "anode's charge-transfer resistance R_anode has no double layer in the model, so it is never shorted "
            "and shows no arc. The electrolyte (ohmic) resistance is R_ohm alone; do not read the intercept, or a "
            "fitted series R0, as the electrolyte resistance")


def model_spectrum(catalyst: Any, at: Any, *, bias: str | None = None, frequency_Hz: Any = None,
                   environment: Any = None, parameters: Any = None) -> ModelSpectra:
    """The model's spectrum at the end of protocol ``at``.

    Parameters
    ----------
    catalyst : str or Catalyst
        The catalyst.
    at : str or steps
        The protocol that brings the cell to the state (e.g.
        ``"Discharge at 100 mA/g for 5000 mAh/g; Rest for 1 h"``).
    bias : str, optional
        DC current during the measurement, discharge positive, with its unit (``"10 mA/g"``; a
        bare number is refused); default: the DC current at the end of the protocol's last step (a
        charge's or a discharge's current, 0 after a rest, the current a hold or a sweep drives at its
        end). ``"0 mA/g"`` takes the spectrum at open circuit, the potential moved to where no
        faradaic current flows.
    frequency_Hz : array, str or list of str, optional
        Frequencies in Hz, or texts with their unit (``"1 kHz"``, ``["1 kHz", "1 Hz"]``).
        Default :func:`default_frequencies`.
    environment, parameters
        As for :class:`~metalair.protocols.simulation.Simulation`.
    """
    return _model_spectrum(catalyst, at, bias=bias, frequency_Hz=frequency_Hz, environment=environment,
                           parameters=parameters)[0]


def _model_spectrum(catalyst: Any, at: Any, *, bias: str | None, frequency_Hz: Any, environment: Any,
                    parameters: Any) -> tuple[ModelSpectra, Any]:
    """:func:`model_spectrum`, and the summary of the protocol's last step (how the state was reached)."""
    from metalair.chemistry import AMBIENT_AIR

    if at is None:  # Simulation's default (the reference run) is not a state the caller chose
        raise ParameterError("at is None: give the protocol that brings the cell to the state, e.g. "
                             "'Discharge at 100 mA/g for 5000 mAh/g' (a rest: 'Rest for 1 h')")
    i_given = None if bias is None else _bias(bias)  # refused before the run
    f = _frequencies(frequency_Hz)
    model = LumpedAirElectrode(catalyst, parameters, environment or AMBIENT_AIR)
    sim = Simulation(model=model, protocol=at, save_cycles=())
    sol = sim.run()
    if not sol.ok:
        raise SolverError(f"the protocol did not reach its state: {sol.message}")
    last = list(flatten(sim.protocol.steps))[-1][1]
    assert sol.final_state is not None
    state = sol.final_state
    reached = sol.steps[-1]
    if isinstance(last, Discharge):
        i_last = float(last.current)
    elif isinstance(last, Charge):
        i_last = -float(last.current)
    elif isinstance(last, Rest):
        i_last = 0.0
    else:  # a hold or a sweep: the current its voltage drove at the end is the cell's operating point
        i_last = _end_current(model, state, reached.end_voltage_V)
    i0 = i_given if i_given is not None else i_last
    if i0:
        origin = "" if i_given is not None or isinstance(last, (Discharge, Charge)) else \
            f", the DC current at the end of its last step ({reached.kind})"
        label = f"{model.catalyst.name} after '{at}' at {to_user(i0, 'mA/g'):.6g} mA/g{origin}"
    else:
        label = f"{model.catalyst.name} after '{at}' " + ("at open circuit" if i_given is not None else "at rest")
    moved = ""
    if i0 != i_last or not isinstance(last, (Discharge, Charge, Rest)):
        # the state carries the current its last step left it under (a hold's or a sweep's double layer may still
        # carry part of it): move the potential to where the faradaic current alone carries the DC current
        state = state.copy()
        E_before = float(state[Y.potential])
        try:
            state[Y.potential] = balance_potential(model, state, i0)
        except ParameterError:
            if i_given is not None:
                raise
            # no faradaic reaction carries the step's final current (it is the double layer's alone): as it ended
        if abs(state[Y.potential] - E_before) > 1e-4:
            if not math.isclose(i0, i_last, rel_tol=1e-6, abs_tol=1e-12):
                moved = (f"the bias {to_user(i0, 'mA/g'):g} mA/g is not the current the protocol left the cell "
                         f"under ({to_user(i_last, 'mA/g'):.6g} mA/g): the electrode potential was moved from "
                         f"{E_before:.4f} to {state[Y.potential]:.4f} V, where the faradaic current equals the bias "
                         "(the products as the protocol left them)")
            else:
                moved = (f"the {reached.kind} ended with the cell carrying {to_user(i0, 'mA/g'):.6g} mA/g, part of it "
                         f"still through the double layer: the electrode potential was moved from {E_before:.4f} to "
                         f"{state[Y.potential]:.4f} V, where the faradaic current alone carries it (a steady "
                         "operating point)")
    out = ModelSpectra([_spectrum(model, state, i0, f, label)], [label], title=label)
    if moved:
        out.notes.append(moved)
    no_reaction = out.spectra[0].metadata["charge_transfer_resistance_ohm_cm2"] is None
    if i0 == 0.0 and not no_reaction:
        out.notes.append(OPEN_CIRCUIT_NOTE)  # (about the NaO2 couple: nothing to say where no reaction runs)
    return out, sol.steps[-1]


#: Discharge floor of :func:`spectra_along`'s states [V]: the study's cut-off; a capacity the cell does not
#: reach above it is refused (below it the state would be a cell driven past its end of discharge).
ALONG_FLOOR_V = 1.5


def spectra_along(catalyst: Any, current: str = "100 mA/g", capacities: Any = (500, 2500, 5000, 7500, 10000),
                  *, frequency_Hz: Any = None, environment: Any = None, parameters: Any = None) -> ModelSpectra:
    """Spectra during a galvanostatic discharge, after each of ``capacities``, under that current.

    ``capacities`` are numbers of mAh/g or texts with their unit (``"500 mAh/g"``, ``"1.8e6 C/kg"``);
    ``current`` needs its unit (``"100 mA/g"``).
    """
    if isinstance(capacities, (str, int, float)):
        capacities = (capacities,)
    qs = [_capacity_mAh_g(q) for q in capacities]
    if not qs:
        raise ParameterError("capacities is empty; give the capacities after which to take spectra, e.g. "
                             "('500 mAh/g', '2500 mAh/g')")
    i0 = _current(current)
    i_mA_g = float(to_user(i0, "mA/g"))
    from metalair.catalysts import get_catalyst

    name = get_catalyst(catalyst).name
    out = ModelSpectra([], [], title=f"{name} during a {i_mA_g:g} mA/g discharge, measured under that current")
    for q in qs:
        text = f"Discharge at {i_mA_g!r} mA/g for {q!r} mAh/g or until {ALONG_FLOOR_V!r} V"
        one, reached = _model_spectrum(catalyst, text, bias=None, frequency_Hz=frequency_Hz,
                                       environment=environment, parameters=parameters)
        if reached.end_reason != "capacity limit":
            raise ParameterError(
                f"capacities: {q:g} mAh/g is beyond this cell at {i_mA_g:g} mA/g: its discharge ends at "
                f"{reached.end_voltage_V:.3g} V ({reached.end_reason}) after {reached.capacity_mAh_g:.5g} mAh/g; "
                f"give capacities below that")
        one.spectra[0].metadata["source"] = f"{float(q):g} mAh/g"
        one.spectra[0].metadata["discharge_capacity_mAh_g"] = float(q)
        one.spectra[0].metadata["state_protocol"] = text
        out.spectra += one.spectra
        out.labels.append(f"{float(q):g} mAh/g")
    return out


def write_spectra(result: ModelSpectra, out_dir: str | os.PathLike[str], stem: str = "impedance",
                  figures: bool = True) -> ModelSpectra:
    """Write each spectrum as CSV, a summary and one Nyquist and one Bode figure of all of them.

    ``{stem}_summary.json`` says which state each CSV is (capacity, bias, protocol) with its
    charge-transfer resistance and the two resistances of its high-frequency intercept. A note that
    this intercept is R_ohm + R_anode, not the electrolyte resistance (:func:`_intercept_note`), is
    added to ``result.notes`` (and the summary's notes).
    """
    from metalair._files import atomic_write_json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for s in result.spectra:  # what a reader of the files needs to know about their high-frequency intercept
        note = _intercept_note(s)
        if note not in result.notes:
            result.notes.append(note)
    listed = []
    for k, s in enumerate(result.spectra):
        name = f"{stem}.csv" if len(result.spectra) == 1 else f"{stem}_{k + 1}.csv"
        result.files.append(Path(s.to_csv(out / name)))
        listed.append({"file": name, "impedance_unit": s.unit, **s.metadata})
    result.files.append(atomic_write_json(out / f"{stem}_summary.json", {"spectra": listed,
                                                                         "notes": list(result.notes)}))
    if figures:
        from metalair.plotting.electrochem import plot_bode, plot_nyquist, save

        title = result.title or None
        result.files.append(save(plot_nyquist(result.spectra, title=title), out / f"{stem}_nyquist.png"))
        result.files.append(save(plot_bode(result.spectra, title=title), out / f"{stem}_bode.png"))
    return result
