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

from metalair.errors import ParameterError, SolverError
from metalair.models.impedance import cell_impedance, linearise
from metalair.models.lumped import LumpedAirElectrode
from metalair.protocols.simulation import Simulation
from metalair.protocols.steps import Charge, Discharge, Rest, flatten
from metalair.tables.impedance import ImpedanceSpectrum
from metalair.units import convert, to_user

__all__ = ["ModelSpectra", "model_spectrum", "spectra_along", "default_frequencies", "OPEN_CIRCUIT_NOTE"]

#: Said whenever a spectrum is taken at open circuit.
OPEN_CIRCUIT_NOTE = (
    "at open circuit the model's NaO2 couple is two one-directional channels (formation on the free area, "
    "decomposition at the product contact) with different exchange currents, so its current-potential curve "
    "has a kink at equilibrium and the low-frequency impedance is not unique: this spectrum uses the mean of "
    "the two slopes. Give a small DC current (--bias) for a spectrum the time domain reproduces")


def default_frequencies(f_min: float = 1e-3, f_max: float = 1e6, points: int = 61) -> np.ndarray:
    """Log-spaced frequencies [Hz], high to low (as instruments sweep)."""
    if not (math.isfinite(f_min) and math.isfinite(f_max) and 0 < f_min < f_max) or points < 2:
        raise ParameterError(f"need 0 < f_min < f_max and at least 2 points, got {f_min:g}, {f_max:g}, {points}")
    return np.logspace(np.log10(f_max), np.log10(f_min), int(points))


@dataclass
class ModelSpectra:
    """Spectra of the model: one per state, with what state each is and the files written."""

    spectra: list[ImpedanceSpectrum]
    labels: list[str]
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def _spectrum(model: LumpedAirElectrode, y: np.ndarray, bias_A_per_kg: float, frequency_Hz: np.ndarray,
              label: str) -> ImpedanceSpectrum:
    lin = linearise(model, y, bias_A_per_kg)
    z_ohm_kg = cell_impedance(lin, frequency_Hz)
    z_area = convert(z_ohm_kg / model.parameters.loading, "Ω m²", "Ω cm²")
    return ImpedanceSpectrum.from_arrays(frequency_Hz, z_area, unit="Ω·cm²", metadata={
        "source": label, "catalyst": model.catalyst.name,
        "bias_mA_g": float(to_user(bias_A_per_kg, "mA/g")),
        "charge_transfer_resistance_ohm_cm2": float(convert(1.0 / lin.dIF_dE / model.parameters.loading,
                                                            "Ω m²", "Ω cm²")),
    })


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
        DC current during the measurement, discharge positive (``"10 mA/g"``); default: the
        current of the protocol's last step (0 after a rest).
    frequency_Hz : array, optional
        Default :func:`default_frequencies`.
    environment, parameters
        As for :class:`~metalair.protocols.simulation.Simulation`.
    """
    from metalair.chemistry import AMBIENT_AIR
    from metalair.units import parse_quantity

    model = LumpedAirElectrode(catalyst, parameters, environment or AMBIENT_AIR)
    sim = Simulation(model=model, protocol=at, save_cycles=())
    sol = sim.run()
    if not sol.ok:
        raise SolverError(f"the protocol did not reach its state: {sol.message}")
    last = list(flatten(sim.protocol.steps))[-1][1]
    if bias is not None:
        i0 = parse_quantity(bias, "specific current") if isinstance(bias, str) else float(bias)
    elif isinstance(last, Discharge):
        i0 = float(last.current)
    elif isinstance(last, Charge):
        i0 = -float(last.current)
    else:
        i0 = 0.0
    f = default_frequencies() if frequency_Hz is None else np.asarray(frequency_Hz, dtype=float)
    label = f"{model.catalyst.name} after '{at}'" + (f" at {to_user(i0, 'mA/g'):g} mA/g" if i0 else " at rest")
    assert sol.final_state is not None
    out = ModelSpectra([_spectrum(model, sol.final_state, i0, f, label)], [label])
    if i0 == 0.0 or isinstance(last, Rest) and bias is None:
        out.notes.append(OPEN_CIRCUIT_NOTE)
    return out


def spectra_along(catalyst: Any, current: str = "100 mA/g", capacities: Any = (500, 2500, 5000, 7500, 10000),
                  *, frequency_Hz: Any = None, environment: Any = None, parameters: Any = None) -> ModelSpectra:
    """Spectra during a galvanostatic discharge, after each of ``capacities`` [mAh/g], under that current."""
    from metalair.units import parse_quantity

    i0 = parse_quantity(current, "specific current")
    out = ModelSpectra([], [])
    for q in capacities:
        text = f"Discharge at {to_user(i0, 'mA/g'):g} mA/g for {float(q):g} mAh/g"
        one = model_spectrum(catalyst, text, frequency_Hz=frequency_Hz, environment=environment,
                             parameters=parameters)
        one.spectra[0].metadata["source"] = f"{float(q):g} mAh/g"
        out.spectra += one.spectra
        out.labels.append(f"{float(q):g} mAh/g")
    return out


def write_spectra(result: ModelSpectra, out_dir: str | os.PathLike[str], stem: str = "impedance",
                  figures: bool = True) -> ModelSpectra:
    """Write each spectrum as CSV and one Nyquist and one Bode figure of all of them."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for k, s in enumerate(result.spectra):
        name = f"{stem}.csv" if len(result.spectra) == 1 else f"{stem}_{k + 1}.csv"
        result.files.append(Path(s.to_csv(out / name)))
    if figures:
        from metalair.plotting.electrochem import plot_bode, plot_nyquist, save

        result.files.append(save(plot_nyquist(result.spectra), out / f"{stem}_nyquist.png"))
        result.files.append(save(plot_bode(result.spectra), out / f"{stem}_bode.png"))
    return result
