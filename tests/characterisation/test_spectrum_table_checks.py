"""The spectra and magnetometry tables refuse NaN/inf and impossible axes, and sort a descending abscissa.

Each case used to be accepted and failed later, far from the cause: numpy's "All-NaN slice" in the XAS
analysis, "peak centre 1155.54 is outside the data (1800-400)" for a descending Raman export, "SVD did not
converge" (NaN moment) or a garbage Curie-Weiss fit (negative temperatures).
"""

from __future__ import annotations

import numpy as np
import pytest

from metalair.analysis.raman import analyse_raman
from metalair.analysis.xas import find_e0
from metalair.errors import DataFormatError, ParameterError
from metalair.tables.magnetometry import MagnetometryData
from metalair.tables.spectra import Diffractogram, RamanSpectrum, XasSpectrum

E = np.linspace(7000.0, 7300.0, 300)
MU = 0.5 * (1 + np.tanh((E - 7112.0) / 3.0)) + 0.001 * (E - 7000.0)
SHIFT = np.linspace(400.0, 1800.0, 700)
RAMAN = 100 + 1000 * np.exp(-(((SHIFT - 1350.0) / 15.0) ** 2)) + np.random.default_rng(0).normal(0, 3, SHIFT.size)
TTH = np.linspace(10.0, 80.0, 300)
XRD = 50 + 1000 * np.exp(-(((TTH - 32.0) / 0.2) ** 2))


# --------------------------------------------------------------------------- XasSpectrum
def test_xas_refuses_nan_and_inf_in_mu_and_energy_with_count_and_first_record():
    mu = MU.copy()
    mu[[40, 41, 100]] = np.nan
    with pytest.raises(DataFormatError, match=r"XasSpectrum: 3 of 300 mu values are not finite numbers: 3 NaN, "
                                              r"first at record 41 \(counted from 1\)"):
        XasSpectrum(energy_eV=E, mu=mu)
    e = E.copy()
    e[7] = np.inf
    with pytest.raises(DataFormatError, match=r"^fe\.xdi: XasSpectrum: 1 of 300 energy_eV values are not finite "
                                              r"numbers: 1 infinite, first at record 8"):
        XasSpectrum(energy_eV=e, mu=MU, metadata={"file_name": "fe.xdi"})


def test_xas_sorts_descending_energies_with_mu_i0_and_it():
    i0 = np.linspace(1.0, 2.0, E.size)
    spec = XasSpectrum(energy_eV=E[::-1], mu=MU[::-1], i0=i0[::-1], it=(2 * i0)[::-1], metadata={"warnings": ["w"]})
    np.testing.assert_array_equal(spec.energy_eV, E)
    np.testing.assert_array_equal(spec.mu, MU)
    np.testing.assert_array_equal(spec.i0, i0)
    np.testing.assert_array_equal(spec.it, 2 * i0)
    assert spec.metadata["warnings"] == ["w", "energies were not in ascending order; the points were sorted"]
    assert not spec.energy_eV.flags.writeable and not spec.mu.flags.writeable
    assert find_e0(spec) == pytest.approx(7112.0, abs=0.5)
    assert XasSpectrum(energy_eV=E, mu=MU).metadata == {}  # ascending: nothing to say


def test_xas_refuses_a_repeated_energy_naming_it():
    e = np.r_[E[:10], E[9], E[10:]]
    mu = np.r_[MU[:10], MU[9], MU[10:]]
    with pytest.raises(DataFormatError, match=r"XasSpectrum: energy 7009\.03 eV occurs 2 times; each energy must "
                                              r"occur once .*average or drop the repeated points"):
        XasSpectrum(energy_eV=e, mu=mu)


# --------------------------------------------------------------------------- RamanSpectrum
def test_a_descending_raman_export_is_sorted_and_its_peak_found_where_it_is():
    spec = RamanSpectrum(shift_cm1=SHIFT[::-1], intensity=RAMAN[::-1])
    np.testing.assert_array_equal(spec.shift_cm1, SHIFT)
    np.testing.assert_array_equal(spec.intensity, RAMAN)
    assert any("Raman shifts were not in ascending order" in w for w in spec.metadata["warnings"])
    centres = [p.center for p in analyse_raman(spec).peaks]
    assert centres and min(abs(c - 1350.0) for c in centres) < 1.0


# --------------------------------------------------------------------------- Diffractogram
def test_a_descending_diffractogram_is_sorted_with_its_intensities():
    pattern = Diffractogram(two_theta_deg=TTH[::-1], intensity=XRD[::-1])
    np.testing.assert_array_equal(pattern.two_theta_deg, TTH)
    np.testing.assert_array_equal(pattern.intensity, XRD)
    assert any("angles were not in ascending order" in w for w in pattern.metadata["warnings"])


@pytest.mark.parametrize(("cls", "x_name", "x", "y"), [(RamanSpectrum, "shift_cm1", SHIFT, RAMAN),
                                                      (Diffractogram, "two_theta_deg", TTH, XRD)])
def test_spectra_refuse_nan_in_either_column(cls, x_name, x, y):
    n = x.size
    bad_y = y.copy()
    bad_y[5] = np.nan
    with pytest.raises(DataFormatError, match=rf"1 of {n} intensity values are not finite numbers: 1 NaN, first at "
                                              r"record 6"):
        cls(**{x_name: x, "intensity": bad_y})
    bad_x = x.copy()
    bad_x[-1] = np.nan
    with pytest.raises(DataFormatError, match=rf"1 of {n} {x_name} values are not finite numbers: 1 NaN, first at "
                                              rf"record {n}"):
        cls(**{x_name: bad_x, "intensity": y})


@pytest.mark.parametrize(("shift", "first"), [(-10.0, "0"), (-20.0, "-10"), (100.0, "180"), (150.0, "180.134")])
def test_diffractogram_refuses_angles_outside_0_to_180_degrees(shift, first):
    x = TTH + shift
    with pytest.raises(DataFormatError, match=rf"Diffractogram: \d+ of 300 two_theta_deg values lie outside \(0, 180\) "
                                              rf"degrees, first {first} at record \d+ \(counted from 1\)"):
        Diffractogram(two_theta_deg=x, intensity=XRD)


# --------------------------------------------------------------------------- MagnetometryData
T = np.linspace(2.0, 300.0, 60)
H = np.full(T.size, 1e4 * 1000 / (4 * np.pi))
M = 1e-6 / (T + 5.0)


@pytest.mark.parametrize("column", ["temperature_K", "field_A_m", "moment_A_m2"])
def test_magnetometry_refuses_nan_and_inf(column):
    cols = {"temperature_K": T.copy(), "field_A_m": H.copy(), "moment_A_m2": M.copy()}
    cols[column][[10, 20]] = [np.nan, -np.inf]
    with pytest.raises(DataFormatError, match=rf"MagnetometryData: 2 of 60 {column} values are not finite numbers: "
                                              rf"1 NaN and 1 infinite, first at record 11 \(counted from 1\)"):
        MagnetometryData(**cols)


def test_magnetometry_refuses_temperatures_at_or_below_zero_kelvin():
    with pytest.raises(DataFormatError, match=r"^mpms\.dat: MagnetometryData: 2 of 60 temperature_K values are at or "
                                              r"below 0 K, first -8 K at record 1 \(counted from 1\); .*kelvin"):
        MagnetometryData(temperature_K=T - 10.0, field_A_m=H, moment_A_m2=M, metadata={"file_name": "mpms.dat"})
    with pytest.raises(DataFormatError, match=r"1 of 60 temperature_K values are at or below 0 K, first 0 K at "
                                              r"record 1"):
        MagnetometryData(temperature_K=T - 2.0, field_A_m=H, moment_A_m2=M)


# --------------------------------------------------------------------------- metadata=None
@pytest.mark.parametrize("make", [
    lambda: XasSpectrum(energy_eV=E, mu=MU, metadata=None),
    lambda: RamanSpectrum(shift_cm1=SHIFT, intensity=RAMAN, metadata=None),
    lambda: Diffractogram(two_theta_deg=TTH, intensity=XRD, metadata=None),
    lambda: MagnetometryData(temperature_K=T, field_A_m=H, moment_A_m2=M, metadata=None),
])
def test_metadata_none_is_no_metadata(make):
    assert make().metadata == {}


def test_metadata_of_the_wrong_kind_is_named():
    with pytest.raises(ParameterError, match=r"RamanSpectrum\.metadata must be a dict \(or None for none\), got str"):
        RamanSpectrum(shift_cm1=SHIFT, intensity=RAMAN, metadata="sample 1")
