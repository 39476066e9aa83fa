"""Unit conversions outside ``metalair.units`` go through it (no hand-written factor).

The factors replaced (C/g -> mAh/g as /3.6, mol/g -> mmol/g as 1000*, keV -> eV as
1000, days as 86400, minutes as 1/60, m <-> Å as 1e10, Oe -> T as /1e4) were right
for today's table but would silently disagree with it if it changed. The results
are the same to 1 ulp; XDI energy columns in an unknown unit are now refused
(they were read as eV).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import metalair
from metalair.analysis.diffraction import d_spacing
from metalair.errors import DataFormatError
from metalair.io.xas import read_xdi
from metalair.units import convert, to_user

SRC = Path(metalair.__file__).resolve().parent

#: (file, a hand-written conversion that must not come back)
FACTORS = [
    ("analysis/dems.py", r"/\s*3\.6\b"),
    ("sweeps/evaluate.py", r"1000\.0\s*\*\s*after"),
    ("io/xas.py", r"1000\.0 if e_unit"),
    ("protocols/simulation.py", r"86400"),
    ("calibration/targets.py", r"1\.0\s*/\s*60\.0"),
    ("analysis/diffraction.py", r"\*\s*1e10"),
    ("analysis/crystal.py", r"\*\s*1e10"),
    ("workflows/characterisation.py", r"\*\s*1e10"),
    ("cli/characterisation.py", r"\*\s*1e-10"),
    ("plotting/characterisation.py", r"/\s*1e4"),
]


@pytest.mark.parametrize("path, pattern", FACTORS)
def test_no_hand_written_conversion_factor(path, pattern):
    text = (SRC / path).read_text(encoding="utf-8")
    assert not re.search(pattern, text), f"{path}: a conversion written by hand ({pattern}); use metalair.units"


def test_d_spacing_goes_through_the_angstrom_of_the_table():
    tth = np.array([10.0, 33.5, 120.0])
    lam = 1.5405980e-10
    np.testing.assert_allclose(d_spacing(tth, lam), to_user(lam, "Å") / (2 * np.sin(np.radians(tth / 2))),
                               rtol=1e-15)
    np.testing.assert_allclose(d_spacing(tth, lam), lam * 1e10 / (2 * np.sin(np.radians(tth / 2))), rtol=1e-12)


def _xdi(tmp_path: Path, unit: str, energies: np.ndarray) -> Path:
    lines = ["# XDI/1.0", f"# Column.1: energy {unit}".rstrip(), "# Column.2: mutrans", "# Element.symbol: Fe",
             "# -------------", "# energy mutrans"]
    lines += [f"{e:.10g} {0.1 + 0.001 * k:.6f}" for k, e in enumerate(energies)]
    p = tmp_path / f"s_{unit or 'none'}.xdi"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_xdi_energy_units_go_through_the_table(tmp_path):
    e_eV = np.linspace(7000.0, 7300.0, 40)
    ev = read_xdi(_xdi(tmp_path, "eV", e_eV))
    kev = read_xdi(_xdi(tmp_path, "keV", convert(e_eV, "eV", "keV")))
    bare = read_xdi(_xdi(tmp_path, "", e_eV))
    np.testing.assert_allclose(kev.energy_eV, ev.energy_eV, rtol=1e-12)
    np.testing.assert_array_equal(bare.energy_eV, ev.energy_eV)
    with pytest.raises(DataFormatError, match=r"unit 'degrees', not an energy unit"):
        read_xdi(_xdi(tmp_path, "degrees", e_eV))
