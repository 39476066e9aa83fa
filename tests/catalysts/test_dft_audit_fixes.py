"""DFT-descriptor audit: LOBSTER 2.x bond counts, orbital rows, chemical steps, ties, memory, from-dft messages."""

from __future__ import annotations

import gzip
import random
import re
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from metalair.catalysts import CATALYSTS, NLRO
from metalair.catalysts.dft import (
    FreeEnergyStep,
    analyse_free_energy_steps,
    bond_icohp,
    calibrated_ranges,
    superoxide_step_index,
)
from metalair.catalysts.files import load_catalyst
from metalair.cli.app import app
from metalair.errors import DataFormatError, ParameterError
from metalair.io.dft import read_icohplist, read_vasprun_pdos
from metalair.workflows.catalyst_design import descriptor_range_warnings

DATA = Path(__file__).resolve().parents[1] / "data"
NIO = DATA / "dft" / "NiO_vasprun.xml.gz"
BTO = DATA / "lobster" / "BaTiO3_ICOHPLIST.lobster.gz"
runner = CliRunner()

# LOBSTER 2.x layout: no translation, a "number of bonds" column; a row stands for that many bonds
OLD22 = """\
  COHP#  atomMU  atomNU  distance      ICOHP(eF)  for spin  1  number of bonds
     1     Ru1      O3   1.95000       -2.00000       4
     2     Ru1      O5   2.01000       -1.00000       2
     3     Ru1     Ru2   3.10000       -0.10000       2
  COHP#  atomMU  atomNU  distance      ICOHP(eF)  for spin  2  number of bonds
     1     Ru1      O3   1.95000       -1.50000       4
     2     Ru1      O5   2.01000       -0.50000       2
     3     Ru1     Ru2   3.10000       -0.05000       2
"""


def _steps(*rows):
    return [FreeEnergyStep(label, dg, n) for label, dg, n in rows]


# ---------------------------------------------------------------------------- 1. LOBSTER 2.x number of bonds
def test_lobster2_rows_are_weighted_by_their_number_of_bonds(tmp_path):
    p = tmp_path / "ICOHPLIST.lobster"
    p.write_text(OLD22)
    bonds = read_icohplist(p)
    assert [b.num_bonds for b in bonds] == [4, 2, 2]
    res = bond_icohp(bonds, "Ru-O", 2.3)
    # pymatgen 2026.10.24 Icohplist on the same text: sum(summed_icohp * num_bonds) / sum(num_bonds) over Ru-O
    assert res.mean == pytest.approx(-2.8333333333333335, abs=1e-12)  # plain row mean was -2.500
    assert res.count == 6 and res.rows == 2                            # was 2 bonds
    assert res.mean_by_spin == pytest.approx((-10 / 6, -7 / 6), abs=1e-12)
    assert [b.num_bonds for b in read_icohplist(BTO)][:3] == [1, 1, 1]  # later layouts: one bond per row


def test_lobster2_spin_blocks_must_agree_on_the_bond_count(tmp_path):
    p = tmp_path / "ICOHPLIST.lobster"
    p.write_text(OLD22.replace("-1.50000       4", "-1.50000       3"))
    with pytest.raises(DataFormatError, match="4 bond.*spin-1 block but 3 in the spin-2 block"):
        read_icohplist(p)


# ---------------------------------------------------------------------------- 5. orbital rows
def test_bond_icohp_uses_only_whole_bond_rows():
    whole = bond_icohp(read_icohplist(BTO), "Ti-O", 2.1)
    resolved = bond_icohp(read_icohplist(BTO, orbital_resolved=True), "Ti-O", 2.1)
    assert resolved.count == whole.count == 3
    assert resolved.mean == pytest.approx(-5.12102667, abs=1e-8)  # was -0.250 over 123 rows
    only_orbitals = [b for b in read_icohplist(BTO, orbital_resolved=True) if b.orbital_resolved]
    with pytest.raises(ParameterError, match="only orbital-resolved rows"):
        bond_icohp(only_orbitals, "Ti-O", 2.1)


# ---------------------------------------------------------------------------- 2. chemical steps
def test_downhill_chemical_step_is_a_charge_barrier_not_a_negative_overpotential():
    fe = analyse_free_energy_steps(_steps(("A", -2.0, 1), ("B (chemical)", -0.5, 0), ("C", -2.0, 1)))
    assert fe.equilibrium_potential == pytest.approx(2.25)
    assert fe.limiting_charge_potential == pytest.approx(2.0)   # the electrochemical steps alone
    assert fe.charge_overpotential == 0.0                         # was -0.25
    assert fe.charge_chemical_barrier == pytest.approx(0.5)
    assert fe.uphill_chemical_steps_on_charge == ("B (chemical)",) and fe.uphill_chemical_steps == ()
    assert fe.discharge_overpotential == pytest.approx(0.25) and fe.discharge_chemical_barrier == 0.0
    msg = fe.chemical_barrier_message("charge")
    assert "'B (chemical)'" in msg and "0.500 eV" in msg and "thermodynamic barrier" in msg and "jp047349j" in msg
    assert fe.chemical_barrier_message("discharge") == ""


def test_uphill_chemical_step_on_discharge_is_a_discharge_barrier():
    fe = analyse_free_energy_steps(_steps(("A", -2.0, 1), ("B chem", 0.5, 0), ("C", -2.0, 1)))
    assert fe.equilibrium_potential == pytest.approx(1.75)
    assert fe.discharge_overpotential == 0.0                      # was -0.25
    assert fe.discharge_chemical_barrier == pytest.approx(0.5) and fe.uphill_chemical_steps == ("B chem",)
    assert fe.charge_overpotential == pytest.approx(0.25) and fe.charge_chemical_barrier == 0.0


def test_overpotentials_never_negative_and_negative_only_with_a_barrier():
    rng = random.Random(7)
    for _ in range(300):
        rows = [(f"s{i}", rng.uniform(-3.0, 0.6), rng.choice((0, 1, 1, 2))) for i in range(rng.randint(1, 5))]
        rows.append(("last", -2.5, 1))
        try:
            fe = analyse_free_energy_steps(_steps(*rows))
        except ParameterError:
            continue  # uphill overall
        assert fe.charge_overpotential >= 0.0 and fe.discharge_overpotential >= 0.0
        if fe.limiting_charge_potential < fe.equilibrium_potential - 1e-12:
            assert fe.charge_chemical_barrier > 0
        if fe.limiting_discharge_potential > fe.equilibrium_potential + 1e-12:
            assert fe.discharge_chemical_barrier > 0


# ---------------------------------------------------------------------------- 6c. ties
def test_ties_go_to_the_first_step_in_the_path_not_the_label_text():
    fe = analyse_free_energy_steps(_steps(("a first", -2.10, 1), ("z second", -2.10, 1), ("m", -1.9, 1)))
    assert fe.limiting_charge_step == "a first" and fe.limiting_charge_index == 0  # was 'z second'
    fe = analyse_free_energy_steps(_steps(("z first", -1.9, 1), ("a second", -1.9, 1), ("m", -2.1, 1)))
    assert fe.limiting_discharge_step == "z first" and fe.limiting_discharge_index == 0  # was 'a second'
    # -5.20 eV over 2 e- ties with the superoxide step's -2.60 eV over 1 e-
    fe = analyse_free_energy_steps(_steps(("* + Na+ + e- + O2 -> NaO2*", -2.60, 1),
                                          ("NaO2* + Na+ + e- -> Na2O2*", -1.70, 1),
                                          ("Na2O2* + CO2 -> Na2CO3*", -0.0, 0),
                                          ("Na2CO3* + 2Na+ + 2e- -> X", -5.20, 2)))
    assert fe.limiting_charge_index == 0 and fe.superoxide_limits_charge and fe.charge_chemical_barrier == 0.0


def test_superoxide_step_is_found_by_its_product():
    assert superoxide_step_index(_steps(("NaO2* + Na+ + e- -> Na2O2*", -2.0, 1), ("* + O2 + Na+ + e- → NaO2*", -2.1, 1)
                                        )) == 1
    assert superoxide_step_index(_steps(("A", -2.0, 1), ("B", -2.0, 1))) is None
    assert superoxide_step_index(_steps(("2 NaO2* -> Na2O2* + O2", -0.3, 0))) is None  # chemical


# ---------------------------------------------------------------------------- 4. bounded memory
def test_vasprun_projected_block_does_not_raise_peak_memory(tmp_path):
    text = gzip.decompress(NIO.read_bytes()).decode()
    row = "      <r>    0.0001  0.0002  0.0003  0.0004  0.0005  0.0006  0.0007  0.0008  0.0009 </r>\n"
    block = "<projected>\n  <array>\n   <set>\n" + row * 100_000 + "   </set>\n  </array>\n </projected>\n"
    big = tmp_path / "vasprun.xml"
    big.write_text(re.sub(r"<projected>.*?</projected>", lambda m: block, text, flags=re.S))  # a 9 MB block
    tracemalloc.start()
    try:
        pdos = read_vasprun_pdos(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6e6, f"peak {peak / 1e6:.1f} MB"  # was 34 MB: the whole block was kept as elements
    ref = read_vasprun_pdos(NIO).band_moments("d", elements=["Ni"])
    got = pdos.band_moments("d", elements=["Ni"])
    assert got == ref  # the same numbers, bit for bit


# ---------------------------------------------------------------------------- 6e. element names
def test_element_names_case_insensitive_with_a_hint():
    pdos = read_vasprun_pdos(NIO)
    assert pdos.sites_of(["ni"]) == pdos.sites_of(["Ni"]) == [0]
    with pytest.raises(ParameterError, match=r"'Nii' is not in this calculation \(did you mean 'Ni'\?\)\. "
                                             r"Elements present: Ni, O"):
        pdos.sites_of(["Nii"])


# ---------------------------------------------------------------------------- 3. descriptor range
def test_descriptor_range_warnings():
    assert calibrated_ranges() == {"icohp": (-2.15, -1.48), "d_band_centre": (-1.97, -1.51)}
    for cat in CATALYSTS.values():
        assert descriptor_range_warnings(cat) == []
    far = NLRO.with_descriptor("NaO2", icohp=-5.121)
    (msg,) = descriptor_range_warnings(far)
    assert "ICOHP -5.12 eV (NaO2) is far outside the range the model was calibrated on (-2.15 to -1.48 eV" in msg
    assert "10^+25.1" in msg and "voltage jump" in msg
    (msg,) = descriptor_range_warnings(NLRO.with_descriptor("Na2O2", icohp=-2.3))
    assert "is outside" in msg and "far" not in msg.split("range")[0] and "voltage jump" not in msg
    assert descriptor_range_warnings(far, products=["Na2O2"]) == []


# ---------------------------------------------------------------------------- from-dft
def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_from_dft_chemical_step_path_is_written_with_a_clear_warning(tmp_path):
    steps = _write(tmp_path, "steps.csv", "step,delta_G_eV,electrons\nA,-2.0,1\nB (chemical),-0.5,0\nC,-2.0,1\n")
    out = tmp_path / "x.toml"
    res = runner.invoke(app, ["catalyst", "from-dft", "--steps", str(steps), "--template", "NLRO", "--out", str(out),
                              "--no-figure"])
    assert res.exit_code == 0, res.output  # was: "Catalyst.free_energy_overpotential = -0.25 is out of range"
    assert "thermodynamic barrier" in res.output and "chemical barrier on charge 0.500 eV" in res.output
    cat = load_catalyst(out)
    assert cat.free_energy_overpotential == 0.0
    assert cat.name == "NLRO-dft"  # not the template's name, which would make its files look like the built-in's
    assert "NOTE: on charge" in cat.sources["free_energy_overpotential"]
    assert "# warning (catalyst from-dft): on charge" in out.read_text()


def test_from_dft_names_a_limiting_step_that_is_not_the_superoxide_step(tmp_path):
    steps = _write(tmp_path, "steps.csv", "step,delta_G_eV,electrons\n* + Na+ + e- + O2 -> NaO2*,-2.30,1\n"
                   "NaO2* + Na+ + e- -> Na2O2*,-2.50,1\n")
    out = tmp_path / "x.toml"
    res = runner.invoke(app, ["catalyst", "from-dft", "--steps", str(steps), "--template", "NLRO", "--out", str(out),
                              "--no-figure"])
    assert res.exit_code == 0, res.output
    assert "reverse of step 2, NaO2* + Na+ + e- -> Na2O2*" in res.output
    assert "not by the superoxide step (step 1" in res.output
    assert "free_energy_overpotential = 0.100 V is the charging limiting-potential overpotential of the whole path" \
        in res.output
    assert "set free_energy_overpotential = 0.000" in res.output  # what the superoxide step alone needs
    cat = load_catalyst(out)
    assert cat.free_energy_overpotential == pytest.approx(0.1)
    assert "NOT the superoxide step" in cat.sources["free_energy_overpotential"]


def test_from_dft_warns_for_an_icohp_far_outside_the_calibrated_range(tmp_path):
    out = tmp_path / "x.toml"
    res = runner.invoke(app, ["catalyst", "from-dft", "--icohp", str(BTO), "--bond", "Ti-O", "--cutoff", "2.1",
                              "--template", "NLRO", "--out", str(out), "--no-figure"])
    assert res.exit_code == 0, res.output  # a warning, not a refusal: screens still run
    assert "warning: ICOHP -5.12 eV (NaO2, Na2O2, Na2CO3) is far outside the range the model was calibrated on " \
           "(-2.15 to -1.48 eV for the shipped catalysts" in res.output
    assert "# warning (catalyst from-dft): ICOHP -5.12 eV" in out.read_text()
    assert load_catalyst(out).descriptors["NaO2"].icohp == pytest.approx(-5.12102667, abs=1e-8)


def test_from_dft_lobster2_bond_count_and_filling_window_in_the_report(tmp_path):
    lob = _write(tmp_path, "ICOHPLIST.lobster", OLD22)
    res = runner.invoke(app, ["catalyst", "from-dft", "--icohp", str(lob), "--bond", "Ru-O", "--vasprun", str(NIO),
                              "--elements", "Ni", "--erange", "-8:2", "--template", "NLRO",
                              "--out", str(tmp_path / "x.toml"), "--no-figure"])
    assert res.exit_code == 0, res.output
    assert "ICOHP -2.833 eV" in res.output and "6 bond(s) averaged (in 2 rows" in res.output
    assert "filling 0.773 (filling over the whole grid, not the --erange window" in res.output
    assert "printed only" in res.output
    help_text = runner.invoke(app, ["catalyst", "from-dft", "--help"]).output
    assert "whole grid" in " ".join(help_text.split())


def test_from_dft_never_replaces_an_existing_file_without_overwrite(tmp_path):
    """A hand-edited catalyst file at --out was replaced silently."""
    steps = _write(tmp_path, "steps.csv", "step,delta_G_eV,electrons\nA,-2.0,1\nC,-2.0,1\n")
    out = tmp_path / "hand.toml"
    out.write_text("# my notes\n", encoding="utf-8")
    args = ["catalyst", "from-dft", "--steps", str(steps), "--template", "NLRO", "--out", str(out), "--no-figure"]
    res = runner.invoke(app, args)
    assert res.exit_code == 1 and "already exist(s); pass --overwrite to replace" in res.output
    assert out.read_text(encoding="utf-8") == "# my notes\n"
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0
    assert load_catalyst(out).name == "NLRO-dft"


@pytest.mark.parametrize("where", ["/proc/x.toml", "{file}/x.toml"])
def test_from_dft_checks_the_folder_of_out_before_any_work(tmp_path, where):
    # was a FileNotFoundError traceback from the atomic write, after the DFT files were read
    steps = _write(tmp_path, "steps.csv", "step,delta_G_eV,electrons\nA,-2.0,1\nC,-2.0,1\n")
    afile = _write(tmp_path, "notes.txt", "x")
    out = where.format(file=afile)
    res = runner.invoke(app, ["catalyst", "from-dft", "--steps", str(steps), "--template", "NLRO", "--out", out,
                              "--no-figure"])
    assert res.exit_code == 1, res.output
    assert f"--out {out}: its folder" in " ".join(res.output.split()) and "Traceback" not in res.output


def test_from_dft_names_a_missing_input_file_before_anything_else(tmp_path):
    # without --template the message was "product NaO2: no --icohp file and no template value", the file unnamed
    out = tmp_path / "x.toml"
    for args, shown in ((["--vasprun", "nonexist.xml"], "--vasprun nonexist.xml: no such file"),
                        (["--icohp", "NaO2=gone.lobster", "--template", "NLRO"],
                         "--icohp NaO2=gone.lobster: no such file (gone.lobster)")):
        res = runner.invoke(app, ["catalyst", "from-dft", *args, "--out", str(out), "--no-figure"])
        assert res.exit_code == 1 and shown in res.output, res.output
    assert not out.exists()


def test_from_dft_warns_when_the_molar_mass_given_contradicts_the_formula(tmp_path):
    steps = _write(tmp_path, "steps.csv", "step,delta_G_eV,electrons\nA,-2.0,1\nC,-2.0,1\n")
    base = ["catalyst", "from-dft", "--steps", str(steps), "--template", "NLRO", "--formula", "NaO2", "--no-figure"]
    res = runner.invoke(app, [*base, "--molar-mass", "100", "--out", str(tmp_path / "a.toml")])
    assert res.exit_code == 0, res.output
    assert "the molar mass given, 100 g/mol, differs from the 54.988 g/mol of the formula NaO2" in res.output
    assert load_catalyst(tmp_path / "a.toml").molar_mass == pytest.approx(0.1)  # the given value stands
    res = runner.invoke(app, [*base, "--molar-mass", "54.99", "--out", str(tmp_path / "b.toml")])
    assert res.exit_code == 0 and "differs from" not in res.output


def test_a_built_in_catalyst_cannot_be_changed_in_place():
    # c.descriptors['NaO2'] = ... changed the built-in NLRO for every later run of the session (mean charge voltage
    # 2.739 -> 2.926 V) without an error
    import copy
    import dataclasses
    import pickle

    import metalair as ma

    c = ma.get_catalyst("NLRO")
    with pytest.raises(TypeError, match="read-only.*dataclasses.replace"):
        c.descriptors["NaO2"] = dataclasses.replace(c.descriptors["NaO2"], d_band_centre=-1.0)
    with pytest.raises(TypeError, match="read-only"):
        c.sources.update(x="y")
    assert ma.get_catalyst("NLRO").descriptors["NaO2"].d_band_centre == -1.97
    changed = dataclasses.replace(c, descriptors={**c.descriptors, "NaO2": dataclasses.replace(
        c.descriptors["NaO2"], d_band_centre=-1.8)})
    assert changed.descriptors["NaO2"].d_band_centre == -1.8 and c.descriptors["NaO2"].d_band_centre == -1.97
    assert pickle.loads(pickle.dumps(c)).descriptors == c.descriptors  # worker processes still get it
    assert copy.deepcopy(c).descriptors == c.descriptors
