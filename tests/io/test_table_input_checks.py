"""Bad input to the measured-data tables is refused at construction, with the count, the record and what is allowed.

CyclerData, ImpedanceSpectrum and Voltammogram (the spectra and magnetometry tables are in
tests/characterisation/test_spectrum_table_checks.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from cycler_synthetic import build, small

from metalair.errors import DataFormatError, ParameterError
from metalair.tables.base import require_finite, sorted_ascending
from metalair.tables.cycler import CyclerData
from metalair.tables.impedance import ImpedanceSpectrum
from metalair.tables.voltammetry import Voltammogram


# --------------------------------------------------------------------------- the shared helpers (tables/base.py)
def test_require_finite_counts_nan_and_inf_and_names_the_first_record():
    arr = np.array([1.0, 2.0, np.nan, 4.0, np.inf, np.nan])
    with pytest.raises(DataFormatError, match=r"^src: 3 of 6 x values are not finite numbers: 2 NaN and 1 infinite, "
                                              r"first at record 3 \(counted from 1\)"):
        require_finite("src", "x", arr)
    with pytest.raises(DataFormatError, match=r"3 of 6 voltage values are not finite numbers: 2 NaN and 1 infinite "
                                              r"in voltage_V, first at record 3"):
        require_finite("src", "voltage_V", arr, "voltage")
    require_finite("src", "x", np.arange(3.0))  # finite: nothing to say


def test_sorted_ascending_moves_the_columns_with_x_and_keeps_ties_in_order():
    moved, x, (y,) = sorted_ascending(np.array([3.0, 1.0, 2.0, 1.0]), np.array([30.0, 10.0, 20.0, 11.0]))
    assert moved
    np.testing.assert_array_equal(x, [1.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(y, [10.0, 11.0, 20.0, 30.0])
    assert not x.flags.writeable and not y.flags.writeable
    already = np.array([1.0, 2.0])
    moved, x, _ = sorted_ascending(already)
    assert not moved and x is already


# --------------------------------------------------------------------------- CyclerData
@pytest.mark.parametrize(("column", "label"), [("time_s", "time"), ("voltage_V", "voltage"), ("current_A", "current")])
def test_cycler_data_refuses_nan_and_inf_with_count_and_first_record(column, label):
    values = np.array(small().columns()[column], dtype=float)
    values[1] = np.nan
    values[3] = np.inf
    with pytest.raises(DataFormatError, match=rf"CyclerData: 2 of 4 {label} values are not finite numbers: 1 NaN and "
                                              rf"1 infinite in {column}, first at record 2 \(counted from 1\)"):
        small(**{column: values})


def test_a_nan_clock_is_refused_before_it_gives_a_nan_capacity():
    data = build([("discharge", 1, 2.8, 2.2), ("charge", 1, 3.8, 4.2)] * 2, with_capacity=False)
    with pytest.raises(DataFormatError, match=rf"{len(data)} of {len(data)} time values are not finite numbers: "
                                              rf"{len(data)} NaN in time_s, first at record 1"):
        CyclerData(time_s=data.time_s * np.nan, voltage_V=data.voltage_V, current_A=data.current_A, step=data.step,
                   cycle=data.cycle, step_type=data.step_type)


def test_the_message_names_the_file_when_the_metadata_has_one():
    with pytest.raises(DataFormatError, match=r"^cell\.csv: 1 of 4 voltage values"):
        small(voltage_V=[3.0, np.nan, 2.8, 2.9], metadata={"file_name": "cell.csv"})


def test_cycler_data_still_accepts_time_that_steps_back_or_restarts():
    # joined files and cyclers that restart their clock do this; the readers' checks warn about it
    data = small(time_s=[0.0, 5.0, 0.0, 1.0])
    np.testing.assert_array_equal(data.time_s, [0.0, 5.0, 0.0, 1.0])


def test_cycler_data_takes_metadata_none_as_no_metadata():
    data = small(metadata=None)
    assert data.metadata == {"warnings": []} and data.warnings == []


def test_cycler_data_refuses_metadata_that_is_not_a_mapping():
    with pytest.raises(ParameterError, match=r"CyclerData\.metadata must be a dict \(or None for none\), got int 5"):
        small(metadata=5)


# --------------------------------------------------------------------------- ImpedanceSpectrum
def _eis():
    f = np.logspace(5, -1, 30)
    return f, 10 + 100 / (1 + 1j * 2 * np.pi * f * 1e-3)


def test_a_real_only_impedance_is_refused_by_the_constructor_as_by_from_arrays():
    f, z = _eis()
    message = r"impedance holds real numbers only: Z'' would be taken as 0 everywhere"
    with pytest.raises(ParameterError, match=message):
        ImpedanceSpectrum(frequency_Hz=f, impedance=z.real)
    with pytest.raises(ParameterError, match=message):
        ImpedanceSpectrum.from_arrays(f, z.real)
    with pytest.raises(ParameterError, match=message):
        ImpedanceSpectrum(frequency_Hz=f, impedance=[1, 2, 3] * 10)
    assert len(ImpedanceSpectrum(frequency_Hz=f, impedance=z)) == 30
    assert len(ImpedanceSpectrum.from_arrays(f, z_real=z.real, z_imag=z.imag)) == 30


def test_impedance_spectrum_takes_metadata_none_as_no_metadata():
    f, z = _eis()
    assert ImpedanceSpectrum(frequency_Hz=f, impedance=z, metadata=None).metadata["warnings"] == []


# --------------------------------------------------------------------------- Voltammogram
def test_a_constant_potential_is_a_hold_not_a_voltammogram():
    # analyze_cv found two "peaks" at 3.0 V in it
    t = np.arange(50.0)
    with pytest.raises(DataFormatError, match=r"voltammogram: the potential stays at 3 V \(it spans 0 mV over 50 "
                                              r"points\): that is a hold, not a sweep; .*at least 1 mV"):
        Voltammogram.from_arrays(np.full(50, 3.0), np.sin(t), time_s=t)
    noisy = 3.0 + 1e-4 * np.sin(7 * t)  # a measured hold: noise, no sweep
    with pytest.raises(DataFormatError, match=r"the potential stays at 3 V \(it spans 0\.2 mV"):
        Voltammogram.from_arrays(noisy, np.sin(t), time_s=t, metadata={"file_name": "hold.txt"})
    sweep = np.r_[np.linspace(2.0, 4.0, 25), np.linspace(4.0, 2.0, 25)]
    assert len(Voltammogram.from_arrays(sweep, np.sin(t), time_s=t)) == 50


def test_voltammogram_non_finite_values_use_the_shared_message():
    e = np.r_[np.linspace(2.0, 4.0, 5), np.linspace(4.0, 2.0, 5)]
    i = np.sin(e)
    i[[2, 6]] = np.nan
    with pytest.raises(DataFormatError, match=r"cv\.txt: 2 of 10 current values are not finite numbers: 2 NaN, "
                                              r"first at record 3 \(counted from 1\)"):
        Voltammogram.from_arrays(e, i, metadata={"file_name": "cv.txt"})


def test_voltammogram_takes_metadata_none_as_no_metadata():
    e = np.r_[np.linspace(2.0, 4.0, 5), np.linspace(4.0, 2.0, 5)]
    v = Voltammogram(e, np.sin(e), metadata=None)  # type: ignore[arg-type]
    assert v.metadata["warnings"] == []
