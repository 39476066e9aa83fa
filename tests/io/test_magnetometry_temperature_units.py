"""Quantum Design ``.dat`` columns in an offset unit (``Temperature (°C)``).

A temperature in °C is not a multiple of kelvin: the reader must convert it
through :func:`metalair.units.from_user` (``+273.15``), not multiply it by a
factor (which read 5 K written as -268.15 °C as -268.15 K).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from metalair.errors import DataFormatError
from metalair.io.magnetometry import read_quantum_design
from metalair.units import convert

T_K = np.linspace(5.0, 300.0, 12)
EMU = (1.875 / (T_K + 15.0) + 2e-4) * (0.020 / 160.5) * 1000.0


def write_dat(path: Path, temperature_name: str, temperatures: np.ndarray, field: str = "Magnetic Field (Oe)",
              field_value: float = 1000.0) -> Path:
    lines = ["[Header]", "; VSM Data File", "INFO,20.0,SAMPLE_MASS", "INFO,160.5,SAMPLE_MOLECULAR_WEIGHT",
             "BYAPP,VSM,1.0", "[Data]", f"Comment,Time Stamp (sec),{temperature_name},{field},Moment (emu)"]
    for k, t in enumerate(temperatures):
        lines.append(f",{60.0 * k},{t:.10f},{field_value:.12g},{EMU[k]:.12g}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["Temperature (°C)", "Temperature (C)"])
def test_celsius_temperature_column_gets_its_offset(tmp_path, name):
    ref = read_quantum_design(write_dat(tmp_path / "k.dat", "Temperature (K)", T_K))
    data = read_quantum_design(write_dat(tmp_path / "c.dat", name, convert(T_K, "K", "°C")))
    np.testing.assert_allclose(data.temperature_K, ref.temperature_K, rtol=1e-10)
    assert data.temperature_K.min() == pytest.approx(5.0, abs=1e-8)  # not -268.15 K
    np.testing.assert_array_equal(data.moment_A_m2, ref.moment_A_m2)


def test_field_in_tesla_is_converted(tmp_path):
    ref = read_quantum_design(write_dat(tmp_path / "oe.dat", "Temperature (K)", T_K))
    data = read_quantum_design(write_dat(tmp_path / "t.dat", "Temperature (K)", T_K, "Magnetic Field (T)",
                                         float(convert(1000.0, "Oe", "T"))))
    np.testing.assert_allclose(data.field_A_m, ref.field_A_m, rtol=1e-10)


def test_temperature_column_in_a_non_temperature_unit_is_refused(tmp_path):
    with pytest.raises(DataFormatError, match="not a temperature unit"):
        read_quantum_design(write_dat(tmp_path / "bad.dat", "Temperature (mV)", T_K))
