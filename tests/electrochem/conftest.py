"""Fixtures for the impedance, voltammetry and DEMS tests: real files from tests/data only.

Compressed files (``.xz``) are decompressed once per session into a temporary
folder; every file is checked against the sha256 in tests/data/PROVENANCE.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from datafiles import data_getter

# the helper module electrochem_data.py sits next to the tests (any pytest import mode)
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from electrochem_data import SHA

DATA = Path(__file__).resolve().parents[1] / "data"

@pytest.fixture(scope="session")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``data_file("eis/LIB_data.txt")`` -> path of the original bytes."""
    return data_getter(tmp_path_factory.mktemp("electrochem_data"), SHA)
