"""Fixtures for the io/analysis tests: real files from tests/data only.

Compressed files (``.xz``) are decompressed once per session into a temporary
folder and checked against the sha256 recorded in tests/data/PROVENANCE.md.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from datafiles import data_getter

DATA = Path(__file__).resolve().parents[1] / "data"
# the helper module cycler_synthetic.py sits next to the tests (any pytest import mode)
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

#: sha256[:16] of the original bytes (tests/data/PROVENANCE.md)
SHA = {
    "neware/TestFile.nda": "bf43594b31e2e9b3",
    "neware/new_nda_file.nda": "97d49971a3c243e9",
    "neware/nw4-120-1-6-53.ndax": "7c39562b179f6138",
    "neware/Unit27_Example_Corrupt.ndax": "3dc78aa6ff67dff0",
    "neware/empty.ndax": "738553fe3f059110",
    "neware/interp-test.ndax": "6fda5987a52107dd",
    "neware/interp-test.csv": "4488aabcdba5812d",
    "biologic/00_test_04_MB_C01.mpr": "b537f573dddfc75c",
    "biologic/00_test_01_OCV_C01.mpr": "4facc137ac9bea35",
    "arbin/FastCharge_000025_CH8.csv": "7531313424b492fc",
    "arbin/FastCharge_000025_CH8_Metadata.csv": "7eda72d540eb8696",
    "maccor/maccor_two.txt": "467ccbb8b1142342",
    "eis/exampleDataBioLogic.mpt": "cfe550c6693ca5cf",
    "eis/exampleDataBioLogic_MissingFreq.mpt": "f83527796fd3faa2",
    "voltammetry/lsv.mpt": "1c4294366d4963fd",
    "voltammetry/cv.mpt": "45d685fc99a09673",
    "eis/peis.mpt": "13cd80abdab29b81",
    "biologic/mb.mpt": "5e9ff8ed69243899",
    "arbin/arbin_example.res": "298ffcc60acb4f04",
    "maccor/maccor_one.txt": "c02b03d7bc898a84",
}


@pytest.fixture(scope="session")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``data_file("neware/TestFile.nda")`` -> path of the original bytes."""
    return data_getter(tmp_path_factory.mktemp("data"), SHA)


@pytest.fixture()
def copy_of(data_file: Callable[[str], Path], tmp_path: Path) -> Callable[[str], Path]:
    """A writable copy of a test file in tmp_path (for damaging it)."""

    def get(name: str) -> Path:
        src = data_file(name)
        dst = tmp_path / Path(name).name
        shutil.copyfile(src, dst)
        return dst

    return get
