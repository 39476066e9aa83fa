"""The one way tests reach a file of tests/data: decompressed if stored as .xz, checked against its hash."""

from __future__ import annotations

import hashlib
import lzma
from collections.abc import Callable, Mapping
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def data_getter(root: Path, sha: Mapping[str, str]) -> Callable[[str], Path]:
    """``get(name)`` -> path of the original bytes of ``tests/data/name`` (``.xz`` unpacked under ``root``).

    The bytes must hash (sha256, first 16 hex digits) to ``sha[name]``, the value in PROVENANCE.md.
    """
    cache: dict[str, Path] = {}

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
        assert hashlib.sha256(raw).hexdigest()[:16] == sha[name], f"{name}: bytes differ from PROVENANCE.md"
        cache[name] = path
        return path

    return get
