"""Fixtures for the characterisation tests: real files from tests/data only.

Compressed files (``.xz``) are decompressed once per session into a temporary
folder; every file is checked against the sha256 recorded in tests/data/PROVENANCE.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from datafiles import data_getter

DATA = Path(__file__).resolve().parents[1] / "data"

#: sha256[:16] of the original bytes (tests/data/PROVENANCE.md)
SHA = {
    "magnetometry/MPMS_test.dat": "55c89a1fb687610a",
    "xas/fe3c_rt.xdi": "e650d741de2199a1",
    "xas/feo_rt1.xdi": "6144e0708f91aec9",
    "xas/fe2o3_rt1.xmu": "85e497dd98761e01",
    "xas/cu_metal_rt.xdi": "bc9cc1fc81de2534",
    "xas/fe_athena.prj": "e4a6e8f53378df6e",
}


@pytest.fixture(scope="session")
def char_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``char_file("xas/feo_rt1.xdi")`` -> path of the original bytes (checked)."""
    return data_getter(tmp_path_factory.mktemp("chardata"), SHA)


_XRDML = """<?xml version="1.0" encoding="UTF-8"?>
<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5" status="Completed">
  <xrdMeasurement measurementType="Scan" status="Completed">
    <usedWavelength intended="K-Alpha 1">
      <kAlpha1 unit="{unit}">{k1}</kAlpha1>
      {k2}
    </usedWavelength>
    <scan appendNumber="0" mode="Continuous" scanAxis="Gonio" status="Completed">
      <dataPoints>
        <positions axis="2Theta" unit="deg"><startPosition>{start}</startPosition><endPosition>{end}</endPosition>
        </positions>
        <intensities unit="counts">{counts}</intensities>
      </dataPoints>
    </scan>
  </xrdMeasurement>
</xrdMeasurements>
"""


@pytest.fixture
def xrdml_text() -> Callable[..., str]:
    """``xrdml_text(counts, start, end, k1=..., unit="Angstrom", k2="")``: a PANalytical XRDML scan as text.

    ``counts`` is the intensities as one space-separated string; ``k2`` is extra XML inside
    ``usedWavelength`` (a ``kAlpha2`` and its ratio), empty for none.
    """
    def make(counts: str, start: float, end: float, k1: str = "1.5405929", unit: str = "Angstrom",
             k2: str = "") -> str:
        return _XRDML.format(counts=counts, start=start, end=end, k1=k1, unit=unit, k2=k2)

    return make
