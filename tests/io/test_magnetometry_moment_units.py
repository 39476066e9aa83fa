"""Quantum Design ``.dat`` files whose moment column is not in emu (``Moment (Am2)``).

MultiVu writes ``Moment (emu)``; files exported in SI name the same column
``Moment (Am2)``. The reader must find it without ``moment_column=``, convert
it through :mod:`metalair.units` (1 emu = 10⁻³ A·m²) and refuse a file without
any moment column with a message that lists the columns it has.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from metalair.errors import DataFormatError
from metalair.io.magnetometry import read_quantum_design
from metalair.units import convert

T = np.linspace(5.0, 300.0, 12)
#: moments in emu of a Curie–Weiss paramagnet at 1000 Oe (0.020 g, 160.5 g/mol)
EMU = (1.875 / (T + 15.0) + 2e-4) * (0.020 / 160.5) * 1000.0
ERR_EMU = 0.002 * EMU


def write_dat(path: Path, columns: dict[str, np.ndarray | None]) -> Path:
    """A MultiVu-like file: header, then Comment, Time Stamp, Temperature, Field and ``columns`` (None: empty)."""
    names = ["Comment", "Time Stamp (sec)", "Temperature (K)", "Magnetic Field (Oe)", *columns]
    lines = ["[Header]", "; VSM Data File", "INFO,20.0,SAMPLE_MASS", "INFO,160.5,SAMPLE_MOLECULAR_WEIGHT",
             "BYAPP,VSM,1.0", "[Data]", ",".join(names)]
    for k, t in enumerate(T):
        extra = ["" if v is None else f"{v[k]:.12g}" for v in columns.values()]
        lines.append(",".join(["", f"{60.0 * k}", f"{t:.5f}", "1000", *extra]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_si_moment_column_is_found_and_converted(tmp_path):
    am2 = convert(EMU, "emu", "A m2")
    data = read_quantum_design(write_dat(tmp_path / "si.dat", {"Moment (Am2)": am2, "M. Std. Err. (emu)": ERR_EMU}))
    ref = read_quantum_design(write_dat(tmp_path / "cgs.dat", {"Moment (emu)": EMU, "M. Std. Err. (emu)": ERR_EMU}))
    assert data.metadata["moment_column"] == "Moment (Am2)"
    np.testing.assert_allclose(data.moment_A_m2, am2, rtol=1e-11)
    np.testing.assert_allclose(data.moment_emu, EMU, rtol=1e-11)  # 1 emu = 1e-3 A m2
    np.testing.assert_allclose(data.moment_A_m2, ref.moment_A_m2, rtol=1e-11)
    # the standard-error column of "Moment (emu)" goes with it, converted from its own unit (emu)
    assert data.moment_error_A_m2 is not None
    np.testing.assert_allclose(data.moment_error_A_m2, convert(ERR_EMU, "emu", "A m2"), rtol=1e-11)
    assert "M. Std. Err. (emu)" not in data.extra


@pytest.mark.parametrize("unit", ["Am2", "A m2", "A·m²", "A.m2"])
def test_si_moment_spellings_with_an_si_error_column(tmp_path, unit):
    am2 = convert(EMU, "emu", "A m2")
    err = convert(ERR_EMU, "emu", "A m2")
    data = read_quantum_design(write_dat(tmp_path / "si.dat",
                                         {f"Moment ({unit})": am2, f"M. Std. Err. ({unit})": err}))
    assert data.metadata["moment_column"] == f"Moment ({unit})"
    np.testing.assert_allclose(data.moment_emu, EMU, rtol=1e-11)
    assert data.moment_error_A_m2 is not None
    np.testing.assert_allclose(data.moment_error_A_m2, err, rtol=1e-11)


def test_named_si_moment_column_gives_the_same_result(tmp_path):
    path = write_dat(tmp_path / "si.dat", {"Moment (Am2)": convert(EMU, "emu", "A m2"), "M. Std. Err. (emu)": ERR_EMU})
    auto = read_quantum_design(path)
    named = read_quantum_design(path, moment_column="Moment (Am2)")
    np.testing.assert_array_equal(auto.moment_A_m2, named.moment_A_m2)
    assert named.moment_error_A_m2 is not None and auto.moment_error_A_m2 is not None
    np.testing.assert_array_equal(auto.moment_error_A_m2, named.moment_error_A_m2)


def test_empty_emu_column_falls_back_to_an_si_dc_moment(tmp_path):
    am2 = convert(EMU, "emu", "A m2")
    data = read_quantum_design(write_dat(tmp_path / "mpms3.dat",
                                         {"Moment (emu)": None, "DC Moment Free Ctr (Am2)": am2}))
    assert data.metadata["moment_column"] == "DC Moment Free Ctr (Am2)"
    np.testing.assert_allclose(data.moment_emu, EMU, rtol=1e-11)


def test_a_same_named_column_in_another_quantity_is_not_a_moment(tmp_path):
    # "Moment (emu/g)" is a mass magnetisation, not a moment: the ACMS column is used instead
    data = read_quantum_design(write_dat(tmp_path / "acms.dat",
                                         {"Moment (emu/g)": EMU / 0.020, "M-DC (emu)": EMU}))
    assert data.metadata["moment_column"] == "M-DC (emu)"
    np.testing.assert_allclose(data.moment_emu, EMU, rtol=1e-11)


@pytest.mark.parametrize("columns", [{"Voltage (V)": EMU}, {"Moment (emu/g)": EMU}])
def test_no_moment_column_is_a_clear_data_format_error(tmp_path, columns):
    path = write_dat(tmp_path / "none.dat", columns)
    with pytest.raises(DataFormatError, match="no magnetic moment column") as info:
        read_quantum_design(path)
    message = str(info.value)
    assert "none.dat" in message
    assert "columns present" in message and "'Temperature (K)'" in message and repr(next(iter(columns))) in message
    assert "'Moment (emu)'" in message and "moment_column=" in message  # what was looked for, and the way out
