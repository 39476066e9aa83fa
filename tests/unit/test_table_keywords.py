"""The measured-data tables refuse a misspelt keyword with the close field names, like the parameter classes."""

from __future__ import annotations

import pytest

from metalair.errors import ParameterError
from metalair.tables.cycler import CyclerData
from metalair.tables.dems import CurrentRecord, GasFluxRecord
from metalair.tables.impedance import ImpedanceSpectrum
from metalair.tables.magnetometry import MagnetometryData
from metalair.tables.spectra import Diffractogram, RamanSpectrum, XasSpectrum


@pytest.mark.parametrize("cls, typo, meant", [
    (ImpedanceSpectrum, "impedence", "impedance"),
    (ImpedanceSpectrum, "frequency_hz", "frequency_Hz"),
    (CyclerData, "voltage_v", "voltage_V"),
    (CurrentRecord, "time", "time_s"),
    (GasFluxRecord, "time", "time_s"),
    (MagnetometryData, "temperature", "temperature_K"),
    (XasSpectrum, "energy", "energy_eV"),
    (RamanSpectrum, "shift_cm", "shift_cm1"),
    (Diffractogram, "two_theta", "two_theta_deg"),
])
def test_a_misspelt_keyword_names_the_field_meant(cls, typo, meant):
    with pytest.raises(ParameterError, match=rf"{cls.__name__} has no field '{typo}'; did you mean .*'{meant}'"):
        cls(**{typo: [1.0, 2.0]})
