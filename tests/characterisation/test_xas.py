"""XAS readers (XDI, Athena project, plain columns) and XANES analysis.

Real spectra: tests/data/xas (xraylarch examples, PROVENANCE.md). E0 and edge
step are checked against xraylarch ``pre_edge`` numbers recorded in
benchmarks/xas_vs_larch.py (and live when xraylarch is installed).
"""

from __future__ import annotations

import gzip
import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from metalair.analysis.xas import calibrate_valence, linear_combination, normalize
from metalair.errors import DataFormatError, ParameterError
from metalair.io.xas import parse_perl_list, read_athena, read_xas, read_xas_spectrum, read_xdi
from metalair.tables.spectra import XasSpectrum

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import xas_vs_larch

FILES = {  # file -> (groups, points of the first group)
    "xas/fe3c_rt.xdi": (1, 348),
    "xas/feo_rt1.xdi": (1, 412),
    "xas/fe2o3_rt1.xmu": (1, 412),
    "xas/cu_metal_rt.xdi": (1, 408),
    "xas/fe_athena.prj": (3, 412),
}


@pytest.mark.parametrize("name", list(FILES))
def test_readers_on_real_files(char_file, name):
    spectra = read_xas(char_file(name))
    n_groups, n_points = FILES[name]
    assert len(spectra) == n_groups
    assert len(spectra[0]) == n_points
    for s in spectra:
        assert np.all(np.diff(s.energy_eV) > 0)
        assert s.metadata["warnings"] == []


def test_xdi_values_by_hand(char_file):
    s = read_xdi(char_file("xas/feo_rt1.xdi"))
    assert s.name == "FeO" and s.metadata["element"] == "Fe" and s.metadata["edge"] == "K"
    assert s.energy_eV[0] == 6911.7671 and s.mu[0] == pytest.approx(-0.35992590e-01)
    cu = read_xdi(char_file("xas/cu_metal_rt.xdi"))
    assert cu.metadata["mu_source"] == "column 'mutrans'"
    # the file's mutrans is ln(i0/itrans) of its own columns
    np.testing.assert_allclose(cu.mu, np.log(cu.i0 / cu.it), atol=1e-5)


def test_athena_groups_and_their_e0(char_file):
    spectra = read_athena(char_file("xas/fe_athena.prj"))
    assert [s.name for s in spectra] == ["fe2o3_rt1.xmu", "fe3c_rt.xdi", "feo_rt1.xmu"]
    assert spectra[0].metadata["athena_e0_eV"] == pytest.approx(7125.6176)
    # the Athena group holds the same numbers as the column file
    col = read_xas_spectrum(char_file("xas/fe2o3_rt1.xmu"))
    np.testing.assert_allclose(spectra[0].mu, col.mu)
    with pytest.raises(ParameterError, match="holds 3 spectra"):
        read_xas_spectrum(char_file("xas/fe_athena.prj"))
    assert read_xas_spectrum(char_file("xas/fe_athena.prj"), group="feo_rt1.xmu").name == "feo_rt1.xmu"
    with pytest.raises(ParameterError, match="groups: fe2o3"):
        read_xas_spectrum(char_file("xas/fe_athena.prj"), group="nope")


def test_perl_list_parser_is_safe_and_exact():
    out = parse_perl_list("('a', 1, 'it\\'s', [2, 'b'], x => 3.5e2)")
    assert out == ["a", 1.0, "it's", [2.0, "b"], "x", 350.0]
    for bad in ["(system('rm -rf /'))", "($x, 1)", "('a', 1", "('a' 'b')", "qw(a b)"]:
        with pytest.raises(DataFormatError):
            parse_perl_list(bad)


def test_athena_with_code_instead_of_data_is_refused(tmp_path):
    text = ("# Athena project file -- Demeter version 0.9.26\n$old_group = 'abc';\n"
            "@args = ('label', `rm -rf /`);\n@x = ('1');\n@y = ('2');\n[record]\n")
    p = tmp_path / "evil.prj"
    p.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(DataFormatError, match="unexpected text"):
        read_athena(p)


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("truncated-gzip", "damaged or truncated"),
        ("truncated-record", "incomplete|truncated"),
        ("empty", "empty"),
        ("not-athena", "not an Athena project"),
    ],
)
def test_damaged_athena_projects(char_file, tmp_path, kind, match):
    raw = char_file("xas/fe_athena.prj").read_bytes()
    text = gzip.decompress(raw)
    p = tmp_path / "bad.prj"
    if kind == "truncated-gzip":
        p.write_bytes(raw[: len(raw) // 2])
    elif kind == "truncated-record":
        cut = text.index(b"[record]", text.index(b"[record]") + 1)  # keep one full group, cut the second
        p.write_bytes(gzip.compress(text[: cut - 2000]))
        spectra = read_athena(p)
        assert len(spectra) == 1 and any("truncated" in w for w in spectra[0].metadata["warnings"])
        return
    elif kind == "empty":
        p.write_bytes(b"")
    else:
        p.write_bytes(gzip.compress(b"hello world\n1 2 3\n"))
    with pytest.raises(DataFormatError, match=match):
        read_athena(p)


def test_damaged_and_foreign_column_files(char_file, tmp_path):
    raw = char_file("xas/feo_rt1.xdi").read_text()
    p = tmp_path / "cut.xdi"
    p.write_text(raw[: len(raw) - 25])  # last row cut mid-line, no newline
    s = read_xdi(p)
    assert len(s) == 411 and any("cut short" in w for w in s.metadata["warnings"])
    with pytest.raises(DataFormatError, match="not a row of numbers"):
        read_xas(char_file("magnetometry/MPMS_test.dat"))
    q = tmp_path / "bin.dat"
    q.write_bytes(b"\x00\x01" * 100)
    with pytest.raises(DataFormatError, match="binary"):
        read_xas(q)
    r = tmp_path / "not_energies.txt"
    r.write_text("\n".join(f"{v} {v * 2}" for v in np.linspace(1e6, 2e6, 50)))
    with pytest.raises(DataFormatError, match="not photon energies"):
        read_xas(r)
    t = tmp_path / "i0it.txt"
    e = np.linspace(7000, 7300, 200)
    mu = 0.1 + np.arctan((e - 7112) / 2) / np.pi + 0.5
    i0 = np.full(e.size, 1e5)
    t.write_text("# energy i0 it\n" + "\n".join(f"{a} {b} {c}" for a, b, c in zip(e, i0, i0 * np.exp(-mu))))
    s = read_xas(t)[0]
    assert s.metadata["mu_source"] == "ln(I0/It)"
    np.testing.assert_allclose(s.mu, mu, rtol=1e-9)


# --------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("key", list(xas_vs_larch.RECORDED))
def test_e0_and_edge_step_agree_with_xraylarch(char_file, key):
    """Within 0.5 eV and 2 % of xraylarch pre_edge (recorded numbers, benchmarks/xas_vs_larch.py)."""
    fname, group = key.split(":")
    spec = read_xas_spectrum(char_file(f"xas/{fname}"), group=group if fname.endswith(".prj") else None)
    ours = normalize(spec, **xas_vs_larch.SAME_RANGES)
    e0_larch, step_larch, _ = xas_vs_larch.RECORDED[key]
    assert abs(ours.e0_eV - e0_larch) <= 0.5
    assert abs(ours.edge_step / step_larch - 1) <= 0.02


@pytest.mark.skipif(importlib.util.find_spec("larch") is None, reason="xraylarch not installed (optional)")
def test_against_live_xraylarch(char_file):  # pragma: no cover - needs xraylarch
    spec = read_xdi(char_file("xas/feo_rt1.xdi"))
    e0, step, _ = xas_vs_larch.larch_numbers(spec)
    ours = normalize(spec, **xas_vs_larch.SAME_RANGES)
    assert abs(ours.e0_eV - e0) <= 0.5 and abs(ours.edge_step / step - 1) <= 0.02


def test_normalisation_definitions_on_a_synthetic_edge():
    e = np.linspace(21900, 22400, 1001)
    pre = 0.5 - 1e-4 * (e - 22000)
    from scipy.special import erf

    jump = 1.7 * 0.5 * (1 + erf((e - 22117.0) / 1.5))
    post_shape = np.where(e > 22117, -2e-4 * (e - 22117), 0.0)
    spec = XasSpectrum(energy_eV=e, mu=pre + jump + post_shape, name="synthetic")
    n = normalize(spec)
    assert n.e0_eV == pytest.approx(22117.0, abs=0.05)  # erf step: derivative maximum at the centre
    assert n.edge_step == pytest.approx(1.7, rel=0.02)
    h = normalize(spec, e0_method="half-height")
    assert h.e0_eV == pytest.approx(22117.0, abs=0.3)  # symmetric step: half height at the centre too
    assert np.mean(n.norm[e > 22300]) == pytest.approx(1.0, abs=0.03)
    assert np.mean(n.flat[e > 22300]) == pytest.approx(1.0, abs=0.01)
    with pytest.raises(ParameterError, match="e0_method"):
        normalize(spec, e0_method="inflection")
    with pytest.raises(DataFormatError, match="pre-edge range"):
        normalize(XasSpectrum(energy_eV=e[e > 22110], mu=(pre + jump)[e > 22110]))
    with pytest.raises(DataFormatError, match="edge step"):
        normalize(XasSpectrum(energy_eV=e, mu=pre - jump))
    # an inverted range was quietly replaced (edge step 1.33 -> 1.77) with a misleading note
    with pytest.raises(ParameterError, match=r"references\[0\] must be an XasSpectrum .*got tuple"):
        linear_combination(spec, [(e, pre + jump)])
    with pytest.raises(ParameterError, match=r"norm1, norm2 = 400, 150 eV: the range must run from low to high"):
        normalize(spec, norm1=400, norm2=150)
    with pytest.raises(ParameterError, match=r"pre1, pre2 = -30, -150 eV: the range must run from low to high"):
        normalize(spec, pre1=-30, pre2=-150)


# --------------------------------------------------------------------------- valence and LCF
def edge(e0, e, white=0.4, noise=0.0, rng=None):
    mu = 0.2 + 1.0 * (0.5 + np.arctan((e - e0) / 1.2) / np.pi) + white * np.exp(-((e - e0 - 4) ** 2) / 8)
    if noise:
        mu = mu + noise * rng.standard_normal(e.size)
    return mu


def test_valence_calibration_recovers_a_known_valence():
    e = np.arange(21900.0, 22400.0, 0.5)
    slope, e4 = 1.9, 22118.0  # eV per valence unit, E0 of Ru4+
    rng = np.random.default_rng(7)
    refs = [(XasSpectrum(energy_eV=e, mu=edge(e4 + slope * (v - 4) + rng.normal(0, 0.1), e), name=f"Ru{v}+"), v)
            for v in (0, 3, 4, 6)]
    cal = calibrate_valence(refs)
    assert cal.slope_eV == pytest.approx(slope, rel=0.05)
    est = cal.predict(XasSpectrum(energy_eV=e, mu=edge(e4 + slope * 0.45, e), name="charged"))
    lo, hi = est.ci95
    assert lo < 4.45 < hi and est.stderr < 0.2
    assert "Ru4+" in cal.table()
    with pytest.raises(ParameterError, match="e0_uncertainty_eV"):
        calibrate_valence(refs[:2])
    two = calibrate_valence(refs[1:3], e0_uncertainty_eV=0.2)
    assert two.dof == 0 and two.predict(e4 + slope * 0.45).stderr > 0
    with pytest.raises(ParameterError, match="same valence"):
        calibrate_valence([(22100.0, 4), (22101.0, 4), (22102.0, 4)])
    with pytest.raises(ParameterError, match="at least two"):
        calibrate_valence([(22100.0, 4)])
    # a Cu K-edge reference (8979 eV) beside an Fe one (7125 eV) gave a confident Fe valence from a 618 eV slope
    with pytest.raises(ParameterError, match=r"edges lie 1854 eV apart \(E0 0 at 7125 eV, E0 1 at 8979 eV\).*"
                                             "different elements"):
        calibrate_valence([(7125.0, 3), (8979.0, 0)], e0_uncertainty_eV=0.5)
    assert calibrate_valence([(22100.0, 0), (22149.0, 8)], e0_uncertainty_eV=0.5).slope_eV == pytest.approx(6.125)
    assert est.note == ""  # 4.45 between the references 0 and 6


def test_a_valence_outside_the_references_is_flagged_as_an_extrapolation():
    # calibrated with Ru metal, RuCl3 and RuO2 (0/3/4), a charged NLRO at 4.45+ came back without a word
    cal = calibrate_valence([(22100.4, 0), (22114.0, 3), (22118.0, 4)])
    est = cal.predict(22118.0 + 0.45 * 1.9)
    assert est.valence > 4
    assert est.note.startswith(f"valence {est.valence:.3g} lies outside the references' 0-4: an extrapolation")
    assert cal.predict(22116.0).note == ""
    # a reference's own edge returns its valence (to round-off), which is no extrapolation
    two = calibrate_valence([(20718.47, 3), (20719.77, 5)], e0_uncertainty_eV=0.5)
    assert two.predict(20718.47).note == "" and two.predict(20719.77).note == ""


def test_linear_combination_recovers_weights_of_real_spectra(char_file):
    feo = read_xdi(char_file("xas/feo_rt1.xdi"))
    fe2o3 = read_xas_spectrum(char_file("xas/fe2o3_rt1.xmu"))
    nf, nh = normalize(feo), normalize(fe2o3)
    mix_mu = 0.3 * nf.norm + 0.7 * np.interp(feo.energy_eV, fe2o3.energy_eV, nh.norm)
    rng = np.random.default_rng(3)
    target = XasSpectrum(energy_eV=feo.energy_eV, mu=mix_mu + 0.002 * rng.standard_normal(mix_mu.size), name="mix")
    fit = linear_combination(target, [feo, fe2o3])
    assert fit["FeO"] == pytest.approx(0.3, abs=0.03)
    assert fit["fe2o3_rt1"] == pytest.approx(0.7, abs=0.03)
    assert np.sum(fit.weights) == pytest.approx(1.0)
    for (lo, hi), true in zip(fit.ci95, (0.3, 0.7)):
        assert lo < hi and abs(true - 0.5 * (lo + hi)) < 0.05
    assert fit.r_factor < 1e-3
    assert "R factor" in fit.table()
    with pytest.raises(ParameterError, match="at least two"):
        linear_combination(target, [feo])
    free = linear_combination(target, [feo, fe2o3], sum_to_one=False)
    assert math.isclose(sum(free.weights), 1.0, abs_tol=0.05)


def test_column_files_with_a_plain_header_or_the_energy_column_second(tmp_path):
    """'energy,mu' without '#' was called damaged; '# mu energy' took mu as the energy."""
    e = np.linspace(7050.0, 7300.0, 300)
    mu = 0.2 + 1.3 / (1 + np.exp(-(e - 7125.0) / 2.0))
    csv = tmp_path / "x.csv"
    csv.write_text("energy,mu\n" + "\n".join(f"{a},{b}" for a, b in zip(e, mu)))
    rev = tmp_path / "rev.dat"
    rev.write_text("# mu energy\n" + "\n".join(f"{b} {a}" for a, b in zip(e, mu)))
    for path in (csv, rev):
        (spec,) = read_xas(path)
        np.testing.assert_allclose(spec.energy_eV, e)
        np.testing.assert_allclose(spec.mu, mu)
        assert spec.metadata["mu_source"] == "column 'mu'"


def test_energies_in_kev_are_refused_with_the_unit_named():
    e = np.linspace(22.0, 22.4, 200)
    with pytest.raises(ParameterError, match=r"energy_eV reaches only 22.4: are the energies in keV\?"):
        XasSpectrum(energy_eV=e, mu=np.ones(200))
    with pytest.raises(ParameterError, match=r"references\[0\]: E0 = 22.117 is not an edge energy in eV: in keV\?"):
        calibrate_valence([(22.117, 4.0), (22.119, 5.0)])


def test_an_xdi_header_in_kev_over_values_in_ev_is_named(tmp_path):
    """'# Column.1: energy keV' over eV values failed with "energies 7.0e+06-... are not photon energies in
    eV", which did not point at the header."""
    from metalair.errors import DataFormatError
    from metalair.io.xas import read_xas

    src = (Path(__file__).resolve().parents[1] / "data" / "xas" / "fe3c_rt.xdi").read_text()
    bad = tmp_path / "kev.xdi"
    bad.write_text(src.replace("# Column.1: energy eV", "# Column.1: energy keV", 1))
    with pytest.raises(DataFormatError, match=r"kev.xdi: the header gives the energy column in keV \('# Column.1: "
                                              r"energy keV'\), but its values run .* photon energies in eV: correct "
                                              r"the unit in the header to eV"):
        read_xas(bad)


def test_a_column_file_with_decimal_commas_is_read_as_numbers_not_split_at_the_commas(char_file, tmp_path):
    """An audit rewrote fe2o3_rt1.xmu as 'energy;mu;i0' with decimal commas: every comma split a number, the
    energy became its integer part and mu its decimals (E0 7196 eV, step 892), with only a note about repeated
    energies. Now it is read as written, and a header naming fewer columns than the rows hold is refused."""
    src = char_file("xas/fe2o3_rt1.xmu")
    reference = read_xas(src)[0]
    rows = [ln.split() for ln in src.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    comma = tmp_path / "fe2o3_comma.csv"
    comma.write_text("energy;mu;i0\n" + "\n".join(";".join(v.replace(".", ",") for v in r) for r in rows) + "\n")
    spectrum = read_xas(comma)[0]
    np.testing.assert_allclose(spectrum.energy_eV, reference.energy_eV)
    np.testing.assert_allclose(spectrum.mu, reference.mu)
    assert any("decimal commas" in w for w in spectrum.metadata["warnings"])
    wrong = tmp_path / "fe2o3_header.csv"
    wrong.write_text("energy,mu\n" + "\n".join(",".join(r) for r in rows) + "\n")
    with pytest.raises(DataFormatError, match=r"names 2 columns .* but the data rows have 3 values"):
        read_xas(wrong)


def test_a_column_file_cut_in_its_last_row_says_so(char_file, tmp_path):
    """The cut row was dropped silently (only the XDI reader said so)."""
    lines = char_file("xas/fe2o3_rt1.xmu").read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.xmu"
    cut.write_text("".join(lines[:200]) + lines[200][:12])  # 200 lines and the first number of the next row
    spectrum = read_xas(cut)[0]
    assert "the last data row is cut short and was dropped (file truncated)" in spectrum.metadata["warnings"]
