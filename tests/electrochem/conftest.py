"""Fixtures for the impedance, voltammetry and DEMS tests: real files from tests/data only.

Compressed files (``.xz``) are decompressed once per session into a temporary
folder; every file is checked against the sha256 in tests/data/PROVENANCE.md.
"""

from __future__ import annotations

import hashlib
import lzma
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"

#: sha256[:16] of the original bytes (tests/data/PROVENANCE.md)
SHA = {
    "eis/exampleData.csv": "7a6185b5e95e7457",
    "eis/LIB_data.txt": "fa8923ff725ce7ed",
    "eis/exampleDataBioLogic.mpt": "cfe550c6693ca5cf",
    "eis/exampleDataBioLogic_MissingFreq.mpt": "f83527796fd3faa2",
    "eis/exampleDataBioLogic.mpr": "ff342d32ff26af09",
    "eis/exampleDataGamry.DTA": "037350b3237bbe24",
    "eis/exampleDataGamryABORT.DTA": "8c267dd1c0a31fa7",
    "eis/exampleDataAutolab.txt": "0d40dacf05575001",
    "eis/exampleDataCHInstruments.txt": "43e8f27cb7728f65",
    "eis/exampleDataPowersuite.txt": "c8496a5470910724",
    "eis/exampleDataVersaStudio.par": "1c509184b387e4a7",
    "eis/exampleDataZPlot.z": "8d84dd55a6806b07",
    "eis/exampleDataZPlot_noComments.z": "ac8cd2cd6182ff42",
    "eis/exampleDataParstat.txt": "6876a634bcdee5af",
    "eis/gamry_eispot_data_curveaborted.dta": "d67b71431ba070e7",
    "cv/gamry_cv_data.dta": "de01e796e837ffa0",
}

#: every impedance file in tests/data/eis, with what read_impedance must do with it
EIS_FILES = sorted(k for k in SHA if k.startswith("eis/"))


@pytest.fixture(scope="session")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``data_file("eis/LIB_data.txt")`` -> path of the original bytes."""
    cache: dict[str, Path] = {}
    root = tmp_path_factory.mktemp("electrochem_data")

    def get(name: str) -> Path:
        if name in cache:
            return cache[name]
        plain, packed = DATA / name, DATA / (name + ".xz")
        if plain.is_file():
            raw, path = plain.read_bytes(), plain
        elif packed.is_file():
            raw = lzma.decompress(packed.read_bytes())
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(raw)
        else:  # pragma: no cover - a missing file is a broken checkout
            raise FileNotFoundError(f"tests/data/{name}(.xz) is missing")
        assert hashlib.sha256(raw).hexdigest()[:16] == SHA[name], f"{name}: bytes differ from PROVENANCE.md"
        cache[name] = path
        return path

    return get
