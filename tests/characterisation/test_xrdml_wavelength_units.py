"""The XRDML ``kAlpha1`` wavelength is read in the unit the file declares.

Before, any unit other than Angstrom or nm (pm, m, or nonsense) was silently read as Å.
"""

from __future__ import annotations

import pytest

from metalair.errors import DataFormatError
from metalair.io.diffraction import read_diffraction
from metalair.units import convert

XRDML = """<?xml version="1.0" encoding="UTF-8"?>
<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5" status="Completed">
  <xrdMeasurement measurementType="Scan" status="Completed">
    <usedWavelength intended="K-Alpha 1"><kAlpha1 unit="{unit}">{value}</kAlpha1></usedWavelength>
    <scan appendNumber="0" mode="Continuous" scanAxis="Gonio" status="Completed">
      <dataPoints>
        <positions axis="2Theta" unit="deg"><startPosition>10.0</startPosition><endPosition>80.0</endPosition>
        </positions>
        <intensities unit="counts">{counts}</intensities>
      </dataPoints>
    </scan>
  </xrdMeasurement>
</xrdMeasurements>
"""
COUNTS = " ".join(str(100 + (i % 7)) for i in range(701))
LAMBDA_A = 1.5405980


def write(tmp_path, unit, value):
    p = tmp_path / f"scan_{abs(hash(unit))}.xrdml"
    p.write_text(XRDML.format(unit=unit, value=repr(value), counts=COUNTS), encoding="utf-8")
    return p


@pytest.mark.parametrize("unit", ["Angstrom", "angstrom", "Å", "nm", "pm", "m"])
def test_known_length_units_are_converted(tmp_path, unit):
    value = float(convert(LAMBDA_A, "Å", {"Angstrom": "Å", "angstrom": "Å"}.get(unit, unit)))
    d = read_diffraction(write(tmp_path, unit, value))
    assert d.wavelength_m == pytest.approx(1.5405980e-10, rel=1e-12)


@pytest.mark.parametrize("unit", ["furlongs", "keV", "mV"])
def test_other_units_are_refused(tmp_path, unit):
    with pytest.raises(DataFormatError, match=rf"unit '{unit}'.*not a length unit.*pm"):
        read_diffraction(write(tmp_path, unit, LAMBDA_A))
