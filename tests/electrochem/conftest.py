"""Fixtures for the impedance, voltammetry and DEMS tests: real files from tests/data only.

Compressed files (``.xz``) are decompressed once per session into a temporary
folder; every file is checked against the sha256 in tests/data/PROVENANCE.md.
"""

from __future__ import annotations

import hashlib
import lzma
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# the helper module electrochem_data.py sits next to the tests (any pytest import mode)
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from electrochem_data import SHA

DATA = Path(__file__).resolve().parents[1] / "data"

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
