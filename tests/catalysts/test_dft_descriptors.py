"""DFT descriptors: own vasprun/ICOHPLIST readers against pymatgen's numbers, free-energy steps, errors."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pytest

from metalair.catalysts.dft import (
    FreeEnergyStep,
    analyse_free_energy_steps,
    band_moments,
    bond_icohp,
    element_of,
)
from metalair.errors import DataFormatError, ParameterError
from metalair.io.dft import read_free_energy_steps, read_icohplist, read_vasprun_pdos

DATA = Path(__file__).resolve().parents[1] / "data"
NIO = DATA / "dft" / "NiO_vasprun.xml.gz"
LOB = DATA / "lobster"

# pymatgen 2026.10.24 on the same bytes (tests/data/PROVENANCE.md): CompleteDos.get_band_center /
# get_band_width / get_band_filling (OrbitalType.d, elements=[Ni]) for spin None, up, down
PMG_NI_D = {"total": (-1.244097498101669, 4.078135597368148, 0.7726171757418565),
            "up": (-2.4645428525485196, 4.053998759540672, 0.9292514309109937),
            "down": (0.05174436465223029, 3.6849544978025954, 0.6063063907076188)}


def test_nio_d_band_matches_pymatgen_reference():
    pdos = read_vasprun_pdos(NIO)
    assert pdos.elements == ("Ni", "O") and pdos.n_spin == 2
    assert pdos.e_fermi == pytest.approx(3.8142582)
    m = pdos.band_moments("d", elements=["Ni"])
    for spin, (centre, width, filling) in PMG_NI_D.items():
        assert m[spin].centre == pytest.approx(centre, abs=1e-6), spin  # the issue asks for 0.01 eV
        assert m[spin].width == pytest.approx(width, abs=1e-6), spin
        assert m[spin].filling == pytest.approx(filling, abs=1e-6), spin
    assert pdos.band_moments("d", sites=[0])["total"] == m["total"]


def test_nio_d_band_matches_live_pymatgen():
    pytest.importorskip("pymatgen.io.vasp")
    import warnings

    from pymatgen.core import Element
    from pymatgen.electronic_structure.core import OrbitalType
    from pymatgen.io.vasp import Vasprun

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dos = Vasprun(str(NIO), parse_potcar_file=False).complete_dos
    ref = dos.get_band_center(OrbitalType.d, elements=[Element("Ni")])
    ours = read_vasprun_pdos(NIO).band_moments("d", elements=["Ni"])["total"].centre
    assert abs(ours - ref) < 0.01


def test_band_moments_of_a_gaussian():
    e = np.linspace(-20, 20, 8001)
    rho = np.exp(-0.5 * ((e + 2.0) / 1.5) ** 2)
    m = band_moments(e, rho, e_fermi=0.0)
    assert m.centre == pytest.approx(-2.0, abs=1e-6)
    assert m.width == pytest.approx(1.5, abs=1e-6)
    # filling integrates the grid points strictly below E_F (pymatgen's convention): one grid step short
    assert m.filling == pytest.approx(0.5 * (1 + math.erf(2.0 / (1.5 * math.sqrt(2)))), abs=1e-3)
    shifted = band_moments(e + 3.0, rho, e_fermi=3.0)  # only energies relative to E_F matter
    assert shifted.centre == pytest.approx(m.centre, abs=1e-9)
    windowed = band_moments(e, rho, 0.0, erange=(-2.0, 20.0))
    assert windowed.centre > m.centre


def test_band_moment_errors():
    e = np.linspace(-5, 5, 11)
    with pytest.raises(ParameterError, match="no states"):
        band_moments(e, np.zeros_like(e))
    with pytest.raises(ParameterError, match="shapes"):
        band_moments(e, np.ones(5))
    with pytest.raises(ParameterError, match="erange"):
        band_moments(e, np.ones_like(e), erange=(1.0, -1.0))


def test_unknown_element_suggests(tmp_path):
    pdos = read_vasprun_pdos(NIO)
    with pytest.raises(ParameterError, match="'Nb' is not in this calculation.*Ni, O"):
        pdos.band_moments("d", elements=["Nb"])
    with pytest.raises(ParameterError, match="out of range"):
        pdos.band_moments("d", sites=[5])


def _nio_text() -> str:
    return gzip.decompress(NIO.read_bytes()).decode()


def test_no_projections_is_a_clear_error(tmp_path):
    text = _nio_text()
    start, end = text.index("<partial>"), text.index("</partial>") + len("</partial>")
    p = tmp_path / "vasprun.xml"
    p.write_text(text[:start] + text[end:])
    with pytest.raises(DataFormatError, match="no projected DOS.*LORBIT"):
        read_vasprun_pdos(p)


def test_truncated_and_non_vasp_files(tmp_path):
    text = _nio_text()
    p = tmp_path / "cut.xml"
    p.write_text(text[: len(text) // 2])
    with pytest.raises(DataFormatError, match="not well-formed XML"):
        read_vasprun_pdos(p)
    q = tmp_path / "other.xml"
    q.write_text("<modeling><calculation></calculation></modeling>")
    with pytest.raises(DataFormatError, match="no <dos> block"):
        read_vasprun_pdos(q)
    with pytest.raises(ParameterError, match="does not exist"):
        read_vasprun_pdos(tmp_path / "missing.xml")


# mean summed ICOHP from pymatgen.io.lobster.Icohplist on the same bytes (tests/data/PROVENANCE.md)
@pytest.mark.parametrize("name, pair, cutoff, n, mean, n_spin", [
    ("BaTiO3_ICOHPLIST.lobster.gz", "Ti-O", 2.3, 6, -3.5391933333333334, 1),
    ("NaCl_spin_ICOHPLIST.lobster.gz", "Cl-Na", 3.0, 6, -0.56539, 2),
    ("AlN_v51_ICOHPLIST.lobster.gz", "Al-N", 2.0, 8, -4.86659625, 2),
])
def test_icohp_matches_pymatgen(name, pair, cutoff, n, mean, n_spin):
    bonds = read_icohplist(LOB / name)
    res = bond_icohp(bonds, pair, cutoff)
    assert res.count == n
    assert res.mean == pytest.approx(mean, abs=1e-9)
    assert len(res.mean_by_spin) == n_spin
    assert sum(res.mean_by_spin) == pytest.approx(mean, abs=1e-9)


def test_icohp_orbital_rows_and_errors(tmp_path):
    whole = read_icohplist(LOB / "BaTiO3_ICOHPLIST.lobster.gz")
    resolved = read_icohplist(LOB / "BaTiO3_ICOHPLIST.lobster.gz", orbital_resolved=True)
    assert len(resolved) > 10 * len(whole)
    assert element_of("Ti2") == "Ti" and element_of("O13") == "O"
    with pytest.raises(ParameterError, match=r"no Ru-O bond within 2\.3 Å; bonds present: .*O-Ti \(shortest 1\.874"):
        bond_icohp(whole, "Ru-O", 2.3)
    bad = tmp_path / "ICOHPLIST.lobster"
    bad.write_text("hello\n")
    with pytest.raises(DataFormatError, match="before any 'COHP#' header"):
        read_icohplist(bad)
    bad.write_text("  COHP#  atomMU  atomNU  distance  translation  ICOHP (at) eF for spin 1\n  1  Ti1  O2  1.9  x\n")
    with pytest.raises(DataFormatError, match="line 2 is not a bond row"):
        read_icohplist(bad)


def test_free_energy_steps_analysis():
    steps = [FreeEnergyStep("* + Na+ + e- + O2 -> NaO2*", -2.07), FreeEnergyStep("NaO2* + Na+ + e- -> Na2O2*", -2.59)]
    fe = analyse_free_energy_steps(steps)
    assert fe.equilibrium_potential == pytest.approx(2.33)
    assert fe.limiting_discharge_potential == pytest.approx(2.07)
    assert fe.limiting_charge_potential == pytest.approx(2.59)
    assert fe.limiting_charge_step.startswith("NaO2*")
    assert fe.eta_fe == pytest.approx(0.26) and fe.discharge_overpotential == pytest.approx(0.26)
    np.testing.assert_allclose(fe.profile(0.0), [0.0, -2.07, -4.66])
    np.testing.assert_allclose(fe.profile(fe.equilibrium_potential), [0.0, 0.26, 0.0], atol=1e-12)
    chem = analyse_free_energy_steps(steps + [FreeEnergyStep("2 NaO2* -> Na2O2* + O2", 0.1, electrons=0)])
    assert chem.uphill_chemical_steps == ("2 NaO2* -> Na2O2* + O2",)
    with pytest.raises(ParameterError, match="downhill"):
        analyse_free_energy_steps([FreeEnergyStep("up", 1.0)])
    with pytest.raises(ParameterError, match="no electrochemical step"):
        analyse_free_energy_steps([FreeEnergyStep("chem", -1.0, electrons=0)])


def test_free_energy_steps_csv(tmp_path):
    p = tmp_path / "steps.csv"
    p.write_text("# Na-O2 on a model surface\nstep,delta_G_eV,electrons\nA,-2.0,1\nB,-2.5,\n")
    steps = read_free_energy_steps(p)
    assert [(s.label, s.delta_g, s.electrons) for s in steps] == [("A", -2.0, 1), ("B", -2.5, 1)]
    p.write_text("label,energy\nA,-2\n")
    with pytest.raises(DataFormatError, match="no 'delta_g' column.*delta_g_ev"):
        read_free_energy_steps(p)
    p.write_text("step,delta_G_eV\nA,minus two\n")
    with pytest.raises(DataFormatError, match="row 2"):
        read_free_energy_steps(p)


def test_free_energy_steps_refuse_columns_they_would_ignore(tmp_path):
    """An electron column under an unknown name was ignored: a chemical step counted as 1 e- (eta_FE 0.70 V)."""
    from metalair.io.dft import read_free_energy_steps

    body = "* + Na+ + e- + O2 -> NaO2*,-2.10,1\nNaO2* + Na+ + e- -> Na2O2*,-2.05,1\nNa2O2* + CO2 -> Na2CO3*,-0.5,0\n"
    p = tmp_path / "steps.csv"
    p.write_text("step,delta_G_eV,n_el\n" + body, encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"column\(s\) 'n_el' are not read; accepted names: .*electrons: "
                                              r"electrons, n_electrons, n_e, n"):
        read_free_energy_steps(p)
    p.write_text("step,delta_G_eV,electrons,comment,\n" + body.replace("\n", ",note,\n"), encoding="utf-8")
    assert len(read_free_energy_steps(p)) == 3  # a comment column and Excel's trailing comma are left alone
    p.write_text("step,delta_G_eV,dg,n_e\n" + body.replace(",1\n", ",-1,1\n").replace(",0\n", ",-1,0\n"),
                 encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"2 columns for delta_g \(delta_g_ev, dg\); give one"):
        read_free_energy_steps(p)
    p.write_text("step,delta_G_eV,n_e\n" + body, encoding="utf-8")
    assert [s.electrons for s in read_free_energy_steps(p)] == [1, 1, 0]
