"""The XRDML ``kAlpha1`` wavelength is read in the unit the file declares.

Before, any unit other than Angstrom or nm (pm, m, or nonsense) was silently read as Å.
"""

from __future__ import annotations

import pytest

from metalair.errors import DataFormatError
from metalair.io.diffraction import read_diffraction
from metalair.units import convert

COUNTS = " ".join(str(100 + (i % 7)) for i in range(701))
LAMBDA_A = 1.5405980


@pytest.fixture
def write(tmp_path, xrdml_text):
    def make(unit, value):
        p = tmp_path / f"scan_{abs(hash(unit))}.xrdml"
        p.write_text(xrdml_text(COUNTS, 10.0, 80.0, k1=repr(value), unit=unit), encoding="utf-8")
        return p
    return make


@pytest.mark.parametrize("unit", ["Angstrom", "angstrom", "Å", "nm", "pm", "m"])
def test_known_length_units_are_converted(write, unit):
    value = float(convert(LAMBDA_A, "Å", {"Angstrom": "Å", "angstrom": "Å"}.get(unit, unit)))
    d = read_diffraction(write(unit, value))
    assert d.wavelength_m == pytest.approx(1.5405980e-10, rel=1e-12)


@pytest.mark.parametrize("unit", ["furlongs", "keV", "mV"])
def test_other_units_are_refused(write, unit):
    with pytest.raises(DataFormatError, match=rf"unit '{unit}'.*not a length unit.*pm"):
        read_diffraction(write(unit, LAMBDA_A))
