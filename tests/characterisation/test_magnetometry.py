"""Quantum Design reader, susceptibility and Curie–Weiss fits.

The real file (tests/data/magnetometry/MPMS_test.dat, see PROVENANCE.md) is an
MPMS3 VSM record of M(H) loops of a HoPtSn crystal at 2–3 K, 1,122 rows x 68
columns, sample mass 11.134 mg in the header: the reader must read it, and the
Curie–Weiss analysis must refuse it (no temperature range). Recovery of C, θ,
χ0 is checked on synthetic records over many noise seeds (interval coverage).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from metalair.analysis.magnetism import (
    CURIE_CGS,
    curie_weiss,
    effective_moment,
    estimate_diamagnetic,
    susceptibility,
)
from metalair.errors import DataFormatError, KeyNotFoundError, ParameterError
from metalair.io.magnetometry import read_quantum_design
from metalair.tables.magnetometry import MagnetometryData
from metalair.units import UNITS

TRUE = {"C": 0.95, "theta_K": -12.0, "chi0": 2.0e-4}
MASS_G, MOLAR = 0.020, 160.0


def synthetic(seed: int, *, noise: float = 0.005, t_step: float = 5.0, order_below_K: float | None = None,
              with_errors: bool = False) -> MagnetometryData:
    """An M(T) record at 1000 Oe of a Curie–Weiss paramagnet with relative Gaussian noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(5.0, 300.0 + 1e-9, t_step)
    chi = TRUE["C"] / (t - TRUE["theta_K"]) + TRUE["chi0"]
    if order_below_K is not None:  # an antiferromagnetic-like drop below T_N
        chi = np.where(t < order_below_K, chi * (0.6 + 0.4 * t / order_below_K), chi)
    chi_obs = chi * (1 + noise * rng.standard_normal(t.size))
    h_oe = 1000.0
    emu = chi_obs * (MASS_G / MOLAR) * h_oe
    err = np.abs(chi * noise * (MASS_G / MOLAR) * h_oe) * 1e-3 if with_errors else None
    return MagnetometryData(temperature_K=t, field_A_m=np.full(t.size, h_oe * UNITS["Oe"][1]),
                            moment_A_m2=emu * UNITS["emu"][1], moment_error_A_m2=err,
                            metadata={"file_name": f"synthetic-{seed}"})


# --------------------------------------------------------------------------- reader
def test_reads_the_real_mpms3_file(char_file):
    data = read_quantum_design(char_file("magnetometry/MPMS_test.dat"))
    assert len(data) == 1122
    assert data.metadata["instrument"] == "MPMS3"
    assert data.metadata["moment_column"] == "Moment (emu)"
    assert data.sample_mass_kg == pytest.approx(11.134e-6)  # SAMPLE_MASS 11.134 (mg)
    assert data.metadata["molar_mass_kg_mol"] is None  # SAMPLE_MOLECULAR_WEIGHT is empty
    assert data.metadata["material"].startswith("231025-HoPtSn")
    assert 1.99 < data.temperature_K.min() < 2.01 and 2.99 < data.temperature_K.max() < 3.01
    assert data.field_Oe.min() == pytest.approx(-70000, rel=1e-3) and data.field_Oe.max() == pytest.approx(70000,
                                                                                                           rel=1e-3)
    # first data row, by hand from the file
    assert data.moment_emu[0] == pytest.approx(-0.000155412707237067, rel=1e-12)
    assert data.field_A_m[0] == pytest.approx(0.0363077335059643 * 1000 / (4 * math.pi), rel=1e-12)
    assert data.moment_error_A_m2 is not None and data.moment_error_A_m2[0] == pytest.approx(1.92153119484395e-11)
    assert data["Temperature [K]"][0] == pytest.approx(1.99978995323181)
    with pytest.raises(KeyNotFoundError, match="Temperature"):
        data["Temperature (K)"]
    assert data.metadata["warnings"] == []


def test_the_real_mh_file_is_refused_by_curie_weiss(char_file):
    data = read_quantum_design(char_file("magnetometry/MPMS_test.dat"))
    chi = susceptibility(data, molar_mass_g_mol=164.93 + 195.08 + 118.71)  # HoPtSn, mass from the header
    assert chi.mass_g == pytest.approx(0.011134)
    assert any("M(H)" in n for n in chi.notes)  # the field sweeps: warned
    with pytest.raises(DataFormatError, match="no usable temperature range"):
        curie_weiss(chi)


def test_truncated_file_drops_the_cut_row(char_file, tmp_path):
    raw = char_file("magnetometry/MPMS_test.dat").read_bytes()
    cut = raw[: len(raw) - 300]  # ends in the middle of the last row
    p = tmp_path / "cut.dat"
    p.write_bytes(cut)
    data = read_quantum_design(p)
    assert len(data) == 1121
    assert any("cut off" in w for w in data.metadata["warnings"])


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary" * 10, "binary"),
        (b"Time,Voltage\n1,2\n", "starts with 'Time,Voltage'"),
        (b"[Header]\nINFO,1,SAMPLE_MASS\n", "no '\\[Data\\]' section"),
        (b"[Header]\n[Data]\n", "no column-name line"),
        (b"[Header]\n[Data]\nTemperature (K),Magnetic Field (Oe),Moment (emu)\n", "holds no rows"),
        (b"[Header]\n[Data]\nTemperature (K),Magnetic Field (Oe)\n1,2\n", "no magnetic moment column"),
        (b"[Header]\n[Data]\nTemperature (K),Magnetic Field (Oe),Moment (emu)\n1,2,x\n", "'x' is not a number"),
        (b"[Header]\n[Data]\nTemperature (K),Magnetic Field (Oe),Moment (emu)\n1,2,3,4\n", "4 fields"),
        (b"[Header]\n[Data]\nTemperature (K),Magnetic Field (mV),Moment (emu)\n1,2,3\n", "not a magnetic field"),
        (b"[Header]\n[Data]\nTemperature (K),Magnetic Field (Oe),Moment (emu)\n,2,3\n", "no row has"),
    ],
)
def test_damaged_or_foreign_files_are_refused(tmp_path, content, match):
    p = tmp_path / "bad.dat"
    p.write_bytes(content)
    with pytest.raises(DataFormatError, match=match):
        read_quantum_design(p)


def test_foreign_real_file_is_refused(char_file):
    with pytest.raises(DataFormatError, match="not a Quantum Design"):
        read_quantum_design(char_file("xas/feo_rt1.xdi"))


def test_old_style_header_and_moment_choice(tmp_path):
    text = ("[Header]\n; MPMS Data File\nINFO,WEIGHT,12.5\nINFO,SAMPLE_MOLECULAR_WEIGHT,200\n[Data]\n"
            "Time,Field (Oe),Temperature (K),Long Moment (emu),Long Scan Std Dev\n"
            "0,1000,10,1e-3,1e-6\n1,1000,20,5e-4,1e-6\n")
    p = tmp_path / "old.dat"
    p.write_text(text)
    d = read_quantum_design(p)
    assert d.sample_mass_kg == pytest.approx(12.5e-6)
    assert d.metadata["molar_mass_kg_mol"] == pytest.approx(0.2)
    assert d.metadata["moment_column"] == "Long Moment (emu)"
    assert d.moment_emu.tolist() == pytest.approx([1e-3, 5e-4])
    with pytest.raises(ParameterError, match="did you mean"):
        read_quantum_design(p, moment_column="Long Momnet (emu)")


# --------------------------------------------------------------------------- susceptibility
def test_susceptibility_units_and_diamagnetic_correction():
    d = synthetic(0, noise=0.0)
    chi = susceptibility(d, mass_g=MASS_G, molar_mass_g_mol=MOLAR)
    expected = TRUE["C"] / (chi.temperature_K - TRUE["theta_K"]) + TRUE["chi0"]
    np.testing.assert_allclose(chi.chi_cgs, expected, rtol=1e-12)
    np.testing.assert_allclose(chi.chi_si, expected * 4 * math.pi * 1e-6, rtol=1e-12)
    dia = estimate_diamagnetic(MOLAR)
    assert dia == pytest.approx(-80e-6)
    chi2 = susceptibility(d, mass_g=MASS_G, molar_mass_g_mol=MOLAR, diamagnetic_cm3_mol=dia)
    np.testing.assert_allclose(chi2.chi_cgs - chi.chi_cgs, 80e-6, rtol=1e-9)
    with pytest.raises(ParameterError, match="no sample mass"):
        susceptibility(d, molar_mass_g_mol=MOLAR)
    with pytest.raises(ParameterError, match="molar mass"):
        susceptibility(d, mass_g=MASS_G)
    with pytest.raises(ParameterError, match="positive"):
        susceptibility(d, mass_g=-1.0, molar_mass_g_mol=MOLAR)


def test_effective_moment_cgs_and_si_agree():
    # C = N_A mu_B^2 mu_eff^2 / (3 k_B) = 0.12505 mu_eff^2 (CGS)
    assert CURIE_CGS == pytest.approx(0.12505, abs=2e-5)
    assert effective_moment(0.375) == pytest.approx(math.sqrt(0.375 / CURIE_CGS))
    assert effective_moment(0.375) == pytest.approx(math.sqrt(8 * 0.375), rel=3e-4)  # the rounded rule
    from scipy.constants import Avogadro, Boltzmann, mu_0, physical_constants

    mu_b = physical_constants["Bohr magneton"][0]
    c_si = 0.375 * 4 * math.pi * 1e-6
    mu_si = math.sqrt(3 * Boltzmann * c_si / (mu_0 * Avogadro)) / mu_b
    assert mu_si == pytest.approx(effective_moment(0.375), rel=1e-12)
    assert effective_moment(0.75, ions_per_formula=2) == pytest.approx(effective_moment(0.375))


# --------------------------------------------------------------------------- Curie–Weiss
def test_curie_weiss_interval_coverage_given_range():
    """95 % intervals cover the true C, theta, chi0 in about 95 % of 40 noise seeds."""
    hits = {k: 0 for k in TRUE}
    n = 40
    for seed in range(n):
        chi = susceptibility(synthetic(seed), mass_g=MASS_G, molar_mass_g_mol=MOLAR)
        cw = curie_weiss(chi, t_range_K=(0, 400))
        for k, v in TRUE.items():
            lo, hi = cw.ci95[k]
            hits[k] += lo < v < hi
    # measured 36/40, 38/40, 36/40; binomial(40, 0.95) gives <= 33 with probability 1.4 %
    assert all(h >= 34 for h in hits.values()), hits


def test_curie_weiss_interval_coverage_automatic_range():
    """Same over 20 seeds with the automatic range (coarser temperature steps for speed)."""
    hits = {k: 0 for k in TRUE}
    n = 20
    for seed in range(100, 100 + n):
        chi = susceptibility(synthetic(seed, t_step=10.0), mass_g=MASS_G, molar_mass_g_mol=MOLAR)
        cw = curie_weiss(chi)
        assert cw.auto_range
        for k, v in TRUE.items():
            lo, hi = cw.ci95[k]
            hits[k] += lo < v < hi
    assert all(h >= 16 for h in hits.values()), hits


def test_automatic_range_stops_above_an_ordering_transition():
    for seed in range(3):
        chi = susceptibility(synthetic(seed, order_below_K=30.0), mass_g=MASS_G, molar_mass_g_mol=MOLAR)
        cw = curie_weiss(chi)
        assert cw.t_range_K[0] >= 30.0, cw.t_range_K
        assert any("curvature significant" in n for n in cw.notes)
        assert cw.C == pytest.approx(TRUE["C"], rel=0.03)
        # a fit forced through the transition is visibly off
        bad = curie_weiss(chi, t_range_K=(5, 300))
        assert abs(bad.theta_K - TRUE["theta_K"]) > abs(cw.theta_K - TRUE["theta_K"])


def test_curie_weiss_result_and_file_errors():
    chi = susceptibility(synthetic(1, with_errors=True), mass_g=MASS_G, molar_mass_g_mol=MOLAR)
    assert chi.chi_error_cgs is not None
    cw = curie_weiss(chi, t_range_K=(50, 300), ions_per_formula=1.0)
    assert cw.t_range_K[0] >= 50 and cw.n_points == 51
    assert cw.mu_eff == pytest.approx(math.sqrt(TRUE["C"] / CURIE_CGS), rel=0.01)
    lo, hi = cw.ci95["mu_eff"]
    assert lo < cw.mu_eff < hi
    assert cw.C_si == pytest.approx(cw.C * 4 * math.pi * 1e-6)
    assert "mu_eff" in cw.table() and cw.as_dict()["n_points"] == 51
    with pytest.raises(ParameterError, match="low < high"):
        curie_weiss(chi, t_range_K=(300, 50))
    # a range the caller chose that holds too few points is the caller's to change (ParameterError)
    with pytest.raises(ParameterError, match=r"t_range_K = \(296, 301\) K holds 1 of the 60 points \(synthetic-1 "
                                             r"spans 5-300 K\); a Curie-Weiss fit needs at least 10"):
        curie_weiss(chi, t_range_K=(296, 301))


def test_an_implausible_moment_is_flagged_as_a_likely_mass_error():
    """mu_eff = 2.76 mu_B at the right mass; the mass in g where mg was meant gives 0.087 mu_B, flagged."""
    right = curie_weiss(susceptibility(synthetic(0), mass_g=MASS_G, molar_mass_g_mol=MOLAR), t_range_K=(0, 400))
    assert 2.6 < right.mu_eff < 2.9
    assert not any("lies outside" in n for n in right.notes)
    wrong = curie_weiss(susceptibility(synthetic(0), mass_g=MASS_G * 1000, molar_mass_g_mol=MOLAR),
                        t_range_K=(0, 400))
    assert wrong.mu_eff == pytest.approx(right.mu_eff / math.sqrt(1000), rel=1e-6)
    assert any(n.startswith(f"mu_eff = {wrong.mu_eff:.3g} mu_B per formula unit (ions_per_formula = 1; give the "
                            "magnetic ions per formula unit for a per-ion value) lies outside 0.5-12 mu_B")
               and "check the sample mass" in n for n in wrong.notes)
    per_ion = curie_weiss(susceptibility(synthetic(0), mass_g=MASS_G * 1000, molar_mass_g_mol=MOLAR),
                          t_range_K=(0, 400), ions_per_formula=2)
    assert any(n.startswith(f"mu_eff = {per_ion.mu_eff:.3g} mu_B per magnetic ion lies outside") for n in per_ion.notes)


def test_automatic_range_on_exact_data_takes_everything_whatever_the_scale():
    """Noise-free Curie-Weiss data: the F test compared round-off and chose 50, 260 or 232 K as the scale changed."""
    t = np.arange(5.0, 300.0 + 1e-9, 5.0)
    chi = 1.875 / (t + 10.0)
    ranges = []
    for mass in (MASS_G, MASS_G * 1e-3, MASS_G * 10):
        emu = chi * (MASS_G / MOLAR) * 1000.0
        d = MagnetometryData(temperature_K=t, field_A_m=np.full(t.size, 1000.0 * UNITS["Oe"][1]),
                             moment_A_m2=emu * UNITS["emu"][1], metadata={"file_name": "exact"})
        ranges.append(curie_weiss(susceptibility(d, mass_g=mass, molar_mass_g_mol=MOLAR)).t_range_K)
    assert ranges == [(5.0, 300.0)] * 3


def test_a_diamagnetic_correction_far_beyond_the_formula_units_core_diamagnetism_is_refused():
    # -1 cm3/mol for 160 g/mol ran and gave theta = -29,667 K, mu_eff = 458 muB, with only a note
    d = synthetic(0, noise=0.0)
    with pytest.raises(ParameterError, match=r"-1 cm3/mol is 12,500 times the rough core diamagnetism .* 160 g/mol"):
        susceptibility(d, mass_g=MASS_G, molar_mass_g_mol=MOLAR, diamagnetic_cm3_mol=-1.0)
    ok = susceptibility(d, mass_g=MASS_G, molar_mass_g_mol=MOLAR, diamagnetic_cm3_mol=100 * estimate_diamagnetic(MOLAR))
    assert np.all(np.isfinite(ok.chi_cgs))


def test_automatic_range_stops_above_a_free_spin_tail():
    """A 3 % free-spin impurity (C_imp/T) bends χ(T) at low temperature. The curvature test used
    D/(T − θ)², whose derivative at D = 0 is θ's divided by C: the fit stopped at its start, the test
    never fired, and 2–300 K was fitted (C 58 % low, θ −15 K for −60 K). With D/(T − θ)³ the range
    stops above the tail and C comes back within a few per cent."""
    c, theta, chi0, c_imp, sigma_emu, h_oe = 0.60, -60.0, 3e-4, 0.018, 1e-7, 1000.0
    t = np.concatenate([np.arange(2.0, 20.0, 1.0), np.arange(20.0, 300.1, 4.0)])
    chi = c / (t - theta) + chi0 + c_imp / t
    for seed in range(3):
        rng = np.random.default_rng(seed)
        emu = chi * (MASS_G / MOLAR) * h_oe + sigma_emu * rng.standard_normal(t.size)
        data = MagnetometryData(temperature_K=t, field_A_m=np.full(t.size, h_oe * UNITS["Oe"][1]),
                                moment_A_m2=emu * UNITS["emu"][1],
                                moment_error_A_m2=np.full(t.size, sigma_emu * UNITS["emu"][1]),
                                metadata={"file_name": f"impurity-{seed}"})
        cw = curie_weiss(susceptibility(data, mass_g=MASS_G, molar_mass_g_mol=MOLAR))
        assert cw.t_range_K[0] >= 30.0, cw.t_range_K
        assert any("curvature significant" in n for n in cw.notes)
        assert cw.C == pytest.approx(c, rel=0.05)
        assert cw.fit.reduced_chi2 < 2.0
        assert f"reduced chi2 = {cw.fit.reduced_chi2:.3g} (the file's errors)" in cw.table()
        assert not any(n.startswith("reduced chi2") for n in cw.notes)
        forced = curie_weiss(susceptibility(data, mass_g=MASS_G, molar_mass_g_mol=MOLAR), t_range_K=(2, 300))
        assert any(n.startswith("reduced chi2 = ") and "more than its errors" in n for n in forced.notes)
