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
