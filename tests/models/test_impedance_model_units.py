"""Units at the surface of the impedance workflow (``model_spectrum``, ``spectra_along``, ``default_frequencies``).

Before: ``spectra_along(..., ("500 mAh/g",))`` crashed with a plain ValueError,
``model_spectrum(bias=10)`` took the bare 10 as A/kg without a word, and
``frequency_Hz="1 kHz"`` / ``default_frequencies("1 mHz", ...)`` raised
ValueError / TypeError.
"""

from __future__ import annotations

import numpy as np
import pytest

from metalair.errors import ParameterError
from metalair.workflows.impedance import default_frequencies, model_spectrum, spectra_along

AT = "Discharge at 100 mA/g for 200 mAh/g"


def test_spectra_along_takes_capacities_with_units_as_the_same_numbers_of_mAh_per_g():
    f = [100.0, 0.1]
    bare = spectra_along("NLRO", "100 mA/g", (200,), frequency_Hz=f)
    text = spectra_along("NLRO", "100 mA/g", ("200 mAh/g",), frequency_Hz=f)
    si = spectra_along("NLRO", "100 mA/g", ("7.2e5 C/kg",), frequency_Hz=f)
    np.testing.assert_array_equal(text.spectra[0].impedance, bare.spectra[0].impedance)
    np.testing.assert_allclose(si.spectra[0].impedance, bare.spectra[0].impedance, rtol=1e-9)
    assert text.labels == bare.labels == si.labels == ["200 mAh/g"]


@pytest.mark.parametrize("capacities, match", [
    (("500 parsecs",), "unknown unit 'parsecs'"),
    (("500 mA/g",), "a specific current, but a specific capacity"),
    ((-5,), "not a positive capacity"),
    ((None,), "not a capacity"),
    ((), "empty"),
])
def test_spectra_along_refuses_what_is_not_a_capacity(capacities, match):
    with pytest.raises(ParameterError, match=match):
        spectra_along("NLRO", "100 mA/g", capacities, frequency_Hz=[1.0])


def test_spectra_along_refuses_a_bare_current():
    with pytest.raises(ParameterError, match=r"current=100 is ambiguous: write current='100 mA/g'"):
        spectra_along("NLRO", 100, (200,), frequency_Hz=[1.0])


@pytest.mark.parametrize("bias", [10, 10.0, "10"])
def test_model_spectrum_refuses_a_bare_bias_with_how_to_write_it(bias):
    with pytest.raises(ParameterError, match=r"bias=.*10.* is ambiguous: write bias='10 mA/g'"):
        model_spectrum("NLRO", AT, bias=bias, frequency_Hz=[1.0])


def test_model_spectrum_takes_a_bias_text_and_frequency_texts():
    res = model_spectrum("NLRO", AT, bias="10 mA/g", frequency_Hz="1 kHz")
    s = res.spectra[0]
    assert s.metadata["bias_mA_g"] == 10.0
    np.testing.assert_array_equal(s.frequency_Hz, [1000.0])
    same = model_spectrum("NLRO", AT, bias="0.01 A/g", frequency_Hz=[1000.0])
    np.testing.assert_array_equal(same.spectra[0].impedance, s.impedance)
    both = model_spectrum("NLRO", AT, bias="10 mA/g", frequency_Hz=["1 kHz", "100 mHz"])
    np.testing.assert_array_equal(both.spectra[0].frequency_Hz, [1000.0, 0.1])


@pytest.mark.parametrize("freq, match", [("1 mV", "a potential, but a frequency"), ("fast", "could not read"),
                                         ([1.0, -1.0], "positive"), (object(), "must be a frequency")])
def test_model_spectrum_refuses_what_is_not_a_frequency(freq, match):
    with pytest.raises(ParameterError, match=match):
        model_spectrum("NLRO", AT, frequency_Hz=freq)


def test_default_frequencies_takes_texts_with_units():
    np.testing.assert_array_equal(default_frequencies("1 mHz", "1 MHz", 61), default_frequencies(1e-3, 1e6, 61))
    np.testing.assert_array_equal(default_frequencies("10 mHz", "10 kHz", 7), default_frequencies(0.01, 1e4, 7))
    with pytest.raises(ParameterError, match="f_min: .*a time, but a frequency"):
        default_frequencies("1 s", "1 kHz")
    with pytest.raises(ParameterError, match="0 < f_min < f_max"):
        default_frequencies("1 kHz", "1 Hz")


def test_spectra_along_refuses_a_capacity_the_cell_does_not_reach():
    """Past the cell's capacity the state would be a cell driven below its 1.5 V floor (it reached 0.32 V)."""
    from metalair.errors import ParameterError
    from metalair.workflows.impedance import spectra_along

    with pytest.raises(ParameterError, match=r"50000 mAh/g is beyond this cell at 100 mA/g: its discharge ends at "
                                             r"1\.5 V \(voltage limit\) after 1\d{4} mAh/g; give capacities below"):
        spectra_along("NLRO", "100 mA/g", ["500 mAh/g", 50000], frequency_Hz=[1e3, 1.0])


def test_impedance_figures_say_what_the_spectra_are_of():
    """The Nyquist and Bode figures had no title: a legend of '500 mAh/g' alone, no catalyst or current."""
    from metalair.plotting.electrochem import plot_bode, plot_nyquist
    from metalair.workflows.impedance import spectra_along

    res = spectra_along("NLRO", "100 mA/g", ["500 mAh/g"], frequency_Hz=[1e3, 1.0, 1e-2])
    assert res.title == "NLRO during a 100 mA/g discharge, measured under that current"
    assert plot_nyquist(res.spectra, title=res.title).axes[0].get_title() == res.title
    assert plot_bode(res.spectra, title=res.title).axes[0].get_title() == res.title
