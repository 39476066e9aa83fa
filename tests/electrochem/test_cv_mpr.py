"""`metalair cv` on BioLogic EC-Lab binary (.mpr) files.

No real cyclic-voltammetry .mpr with a licence that allows copying was available (tests/data holds a Modulo Bat
potentiostatic hold, an open-circuit record and an impedance record as .mpr, see tests/data/PROVENANCE.md). So:
the .mpr path is driven with the columns of the real CV text export (cv.mpt) standing in for what galvani decodes,
and must give the voltammogram the .mpt path gives; the real non-CV .mpr files must be refused, saying what they are.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from datafiles import data_getter  # tests/ is on sys.path (tests/electrochem/conftest.py)
from metalair.errors import DataFormatError
from metalair.io import voltammetry as volt_io
from metalair.io.voltammetry import read_voltammogram

#: sha256[:16] of the original bytes (tests/data/PROVENANCE.md)
SHA = {
    "voltammetry/cv.mpt": "45d685fc99a09673",
    "biologic/00_test_04_MB_C01.mpr": "b537f573dddfc75c",
    "biologic/00_test_01_OCV_C01.mpr": "4facc137ac9bea35",
    "eis/exampleDataBioLogic.mpr": "ff342d32ff26af09",
}
MPR_MAGIC = b"BIO-LOGIC MODULAR FILE\x1a"


@pytest.fixture(scope="module")
def mpr_data(tmp_path_factory):
    return data_getter(tmp_path_factory.mktemp("cv_mpr_data"), SHA)


def _raw_mpt_columns(path: Path) -> dict[str, np.ndarray]:
    """The numeric columns of an EC-Lab text export, parsed here independently of metalair's reader."""
    lines = path.read_text(encoding="latin-1").splitlines()
    n_header = int(lines[1].split(":")[1])
    names = [n.strip() for n in lines[n_header - 1].split("\t") if n.strip()]
    rows = np.array([[float(f.replace(",", ".")) for f in ln.split("\t")[:len(names)]]
                     for ln in lines[n_header:] if ln.strip()])
    return {n: rows[:, k] for k, n in enumerate(names)}


def _fake_mpr(tmp_path: Path, monkeypatch, cols: dict[str, np.ndarray], name: str = "cv.mpr") -> Path:
    """A file that starts as an .mpr does, whose decoded columns are ``cols`` (galvani's part stubbed)."""
    p = tmp_path / name
    p.write_bytes(MPR_MAGIC + b"\0" * 64)
    monkeypatch.setattr(volt_io, "read_mpr_columns",
                        lambda path: (cols, {"device": "BioLogic", "software_version": "EC-Lab data module v3"}))
    return p


def test_an_mpr_gives_the_voltammogram_of_its_text_export(mpr_data, tmp_path, monkeypatch):
    mpt = mpr_data("voltammetry/cv.mpt")
    ref = read_voltammogram(mpt)
    cols = _raw_mpt_columns(mpt)
    assert "<I>/mA" in cols and "cycle number" in cols  # the columns the mapping must pick
    got = read_voltammogram(_fake_mpr(tmp_path, monkeypatch, cols))
    assert got.metadata["format"] == "biologic_mpr"
    assert got.current_unit == ref.current_unit == "A"
    assert got.cycles == ref.cycles == [1, 2]
    np.testing.assert_array_equal(got.potential_V, ref.potential_V)
    np.testing.assert_array_equal(got.current, ref.current)
    np.testing.assert_array_equal(got.time_s, ref.time_s)
    # EC-Lab counts oxidation positive, as metalair does: no sign flip; mA -> A
    np.testing.assert_allclose(got.current, cols["<I>/mA"] * 1e-3, rtol=1e-12)


def test_the_mpr_current_unit_comes_from_the_column_name(tmp_path, monkeypatch):
    e = np.concatenate([np.linspace(0.0, 1.0, 60), np.linspace(1.0, 0.0, 60)])
    i = np.sin(np.linspace(0.0, 6.0, 120)) * 1e-4
    cols = {"mode": np.full(120, 2), "time/s": np.arange(120.0), "control/V": e, "Ewe/V": e, "I/A": i}
    got = read_voltammogram(_fake_mpr(tmp_path, monkeypatch, cols))
    np.testing.assert_allclose(got.current, i, rtol=1e-12)  # already in A: not scaled as if mA


@pytest.mark.parametrize("modes, what", [((1, 3), "constant-current \\(galvanostatic\\)"),
                                         ((3,), "open-circuit \\(rest\\)")])
def test_a_record_never_potential_controlled_is_refused_as_what_it_is(tmp_path, monkeypatch, modes, what):
    n = 120
    mode = np.resize(np.array(modes), n)
    cols = {"mode": mode, "time/s": np.arange(float(n)), "Ewe/V": np.linspace(2.0, 3.8, n),
            "I/mA": np.linspace(-1.0, 1.0, n)}  # a varying current: the constant-current check alone would pass it
    with pytest.raises(DataFormatError, match=f"cv.mpr: an? {what} record .*never 2.*not a voltammogram"):
        read_voltammogram(_fake_mpr(tmp_path, monkeypatch, cols))


@pytest.mark.parametrize("name, what", [
    ("biologic/00_test_04_MB_C01.mpr", r"the potential stays at -1.650\d* V .*a hold, not a sweep"),
    ("biologic/00_test_01_OCV_C01.mpr", r"an open-circuit \(rest\) record"),
    ("eis/exampleDataBioLogic.mpr", r"an impedance record"),
])
def test_a_real_mpr_that_is_not_a_voltammogram_is_refused_saying_what_it_is(mpr_data, name, what):
    pytest.importorskip("galvani")
    path = mpr_data(name)
    with pytest.raises(DataFormatError, match=f"{Path(name).name}: {what}.*not a"):
        read_voltammogram(path)


def test_without_galvani_the_mpr_message_names_the_extra(mpr_data, monkeypatch):
    path = mpr_data("biologic/00_test_04_MB_C01.mpr")
    monkeypatch.setitem(sys.modules, "galvani", None)  # import galvani -> ImportError
    with pytest.raises(DataFormatError, match=r"needs galvani.*pip install 'metalair\[biologic\]'.*\(\.mpt\)"):
        read_voltammogram(path)
