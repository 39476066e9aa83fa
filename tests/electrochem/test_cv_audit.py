"""Voltammetry audit: known answers of diffusion-controlled CVs, couples, noise, overlapping waves, column names.

The reversible and irreversible voltammograms here are computed by explicit finite differences (semi-infinite
planar diffusion, equal diffusion coefficients, Butler-Volmer kinetics at the electrode), and checked against
the Randles-Sevcik peak current and the Nernstian peak positions (Bard & Faulkner, Electrochemical Methods,
2nd ed., Wiley 2001, eqs. 6.2.18-6.2.19 and 6.3.8; ISBN 978-0-471-04372-0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.analysis.voltammetry import analyze_cv, scan_rate
from metalair.cli.app import app
from metalair.errors import DataFormatError
from metalair.io.voltammetry import read_voltammogram
from metalair.tables.voltammetry import Voltammogram

F = 96485.33212  # C/mol
R = 8.314462618  # J/(mol K)
T = 298.15  # K
D = 1e-9  # m²/s (1e-5 cm²/s)
C = 1.0  # mol/m³ (1 mM)
AREA = 1e-4  # m² (1 cm²)


def _cv(v, *, e0=0.0, window=0.3, step=1e-3, k0=10.0, cycles=1):
    """R -> O + e-, R alone in solution at C: a CV from e0 - window up to e0 + window and back, at v [V/s].

    Returns time [s], potential [V] and anodic-positive current [A]. k0 [m/s] is the standard rate constant
    (10 m/s: reversible at these scan rates), with a transfer coefficient of 0.5.
    """
    f = F / (R * T)
    one = np.r_[np.arange(-window, window, step), np.arange(window, -window - step / 2, -step)] + e0
    e = np.r_[one, np.tile(one[1:], cycles - 1)]
    t = np.r_[0.0, np.cumsum(np.abs(np.diff(e))) / v]
    dx = 0.04 * math.sqrt(D / (f * v))  # 1/25 of the diffusion layer's scale
    lam = 0.45  # D dt / dx², below the explicit scheme's limit of 0.5
    dt = lam * dx * dx / D
    c = np.full(int(6 * math.sqrt(D * t[-1]) / dx) + 3, C)  # concentration of R
    ts = np.arange(int(math.ceil(t[-1] / dt)) + 1) * dt
    es = np.interp(ts, t, e)
    kox, kred = k0 * np.exp(0.5 * f * (es - e0)), k0 * np.exp(-0.5 * f * (es - e0))
    current = np.zeros(ts.size)
    g = D / (2 * dx)
    for k in range(1, ts.size):
        c[1:-1] += lam * (c[2:] - 2 * c[1:-1] + c[:-2])
        # flux at the surface (second-order gradient) = rate of oxidation - rate of reduction
        c[0] = (g * (4 * c[1] - c[2]) + kred[k] * C) / (3 * g + kox[k] + kred[k])
        current[k] = F * AREA * (kox[k] * c[0] - kred[k] * (C - c[0]))
    return t, e, np.interp(t, ts, current)


def _randles_sevcik(v):
    """Peak current [A] of a reversible one-electron wave: 0.4463 F A C sqrt(F v D / (R T))."""
    return 0.4463 * F * AREA * C * math.sqrt(F * v * D / (R * T))


@pytest.fixture(scope="module")
def reversible():
    return {v: _cv(v) for v in (0.01, 0.1)}


def test_a_reversible_couple_gives_the_randles_sevcik_current_and_the_nernstian_separation(reversible):
    """The simulated wave reproduces Randles-Sevcik to 0.1 %; the analysis must read it off: peak current,
    peak potentials E1/2 ± 28.5 mV (separation 57-59 mV), and a peak current growing as sqrt(scan rate)."""
    currents = {}
    for v, (t, e, i) in reversible.items():
        assert float(np.max(i)) == pytest.approx(_randles_sevcik(v), rel=2e-3)  # the simulation itself
        a = analyze_cv(Voltammogram.from_arrays(e, i, time_s=t))
        an = [p for p in a.peaks if p.direction == "anodic"]
        ca = [p for p in a.peaks if p.direction == "cathodic"]
        assert len(an) == 1 and len(ca) == 1
        assert an[0].current == pytest.approx(_randles_sevcik(v), rel=5e-3)
        assert an[0].potential_V == pytest.approx(0.0285, abs=1.5e-3)
        assert 0.056 <= a.separation_V[1] <= 0.060
        assert 0.5 * (an[0].potential_V + ca[0].potential_V) == pytest.approx(0.0, abs=1.5e-3)
        assert scan_rate(a.voltammogram) == pytest.approx(v, rel=1e-9)
        currents[v] = an[0].current
    assert currents[0.1] / currents[0.01] == pytest.approx(math.sqrt(10.0), rel=5e-3)


def test_a_descending_first_scan_finds_the_same_couple(reversible):
    """The same CV run from its upper vertex down (O in solution instead of R: the mirror image)."""
    t, e, i = reversible[0.1]
    a = analyze_cv(Voltammogram.from_arrays(-e, -i, time_s=t))
    assert [p.direction for p in a.peaks] == ["cathodic", "anodic"]
    assert next(p for p in a.peaks if p.direction == "cathodic").potential_V == pytest.approx(-0.0285, abs=1.5e-3)
    assert 0.056 <= a.separation_V[1] <= 0.060


def test_two_couples_are_paired_in_order_of_potential():
    """Two couples 0.3 V apart, 60 mV separation each, the upper couple's anodic peak and the lower couple's
    cathodic peak the largest: the separation was E(largest anodic) - E(largest cathodic) = 360 mV."""
    e_up = np.linspace(0.0, 1.0, 2001)
    e = np.concatenate([e_up, e_up[::-1][1:]])
    rising = np.concatenate([[True], np.diff(e) > 0])
    gauss = lambda x0, h: h * np.exp(-((e - x0) / 0.04) ** 2)  # noqa: E731
    i = np.where(rising, gauss(0.33, 1e-4) + gauss(0.63, 2e-4), -gauss(0.27, 2e-4) - gauss(0.57, 1e-4))
    t = np.arange(e.size) * 0.5e-3 / 0.01
    a = analyze_cv(Voltammogram.from_arrays(e, i, time_s=t))
    assert a.separation_V[1] == pytest.approx(0.060, abs=2e-3)
    pairs = a.couples[1]
    assert [(round(x.potential_V, 2), round(k.potential_V, 2)) for x, k in pairs] == [(0.33, 0.27), (0.63, 0.57)]
    assert "2 couples" in a.table() and "separation 60.0 mV" in a.table()
    assert [c["half_wave_V"] for c in a.as_dict()["couples"]["1"]] == pytest.approx([0.30, 0.60], abs=2e-3)


def test_unequal_numbers_of_peaks_say_the_separation_may_mix_couples():
    e_up = np.linspace(0.0, 1.0, 2001)
    e = np.concatenate([e_up, e_up[::-1][1:]])
    rising = np.concatenate([[True], np.diff(e) > 0])
    gauss = lambda x0, h: h * np.exp(-((e - x0) / 0.04) ** 2)  # noqa: E731
    i = np.where(rising, gauss(0.33, 1e-4) + gauss(0.63, 2e-4), -gauss(0.27, 2e-4))
    a = analyze_cv(Voltammogram.from_arrays(e, i))
    assert a.couples == {}
    assert a.separation_V[1] == pytest.approx(0.36, abs=2e-3)
    assert "between the largest of 2 anodic and 1 cathodic peaks" in a.table()


@pytest.mark.parametrize("seed", range(4))
def test_current_noise_makes_no_peaks(reversible, seed):
    """3 % and 5 % current noise on a reversible CV at 1 mV per point: the fixed 5 % prominence let through
    5-40 "peaks" 2-15 mV wide; only the two waves are peaks."""
    t, e, i = reversible[0.1]
    rng = np.random.default_rng(seed)
    for level in (0.03, 0.05):
        noisy = i + level * float(np.max(i)) * rng.standard_normal(i.size)
        a = analyze_cv(Voltammogram.from_arrays(e, noisy, time_s=t))
        assert sorted(p.direction for p in a.peaks) == ["anodic", "cathodic"], a.table()
        an = next(p for p in a.peaks if p.direction == "anodic")
        assert an.current == pytest.approx(_randles_sevcik(0.1), rel=2 * level)
        assert an.potential_V == pytest.approx(0.0285, abs=0.012)


def test_the_second_of_two_overlapping_waves_has_its_own_onset_and_charge():
    """Two anodic Gaussians 0.25 V apart with a valley between them: the bases of the second peak's prominence
    ran on to the foot of the first, so its charge held both waves (3.19 mC, all of it). On two diffusion waves
    200 mV apart, whose valley stays high, its onset was also the first wave's foot (-0.046 V for a peak at
    0.225 V; now 0.146 V)."""
    nu = 0.01
    e_up = np.linspace(0.0, 1.0, 2001)
    e = np.concatenate([e_up, e_up[::-1][1:]])
    rising = np.concatenate([[True], np.diff(e) > 0])
    first, second = 1e-4 * np.exp(-((e - 0.35) / 0.06) ** 2), 2e-4 * np.exp(-((e - 0.6) / 0.06) ** 2)
    i = np.where(rising, first + second, -1e-6)
    t = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(e)) / nu)])
    a = analyze_cv(Voltammogram.from_arrays(e, i, time_s=t))
    lower, upper = sorted((p for p in a.peaks if p.direction == "anodic"), key=lambda p: p.potential_V)
    assert upper.potential_V == pytest.approx(0.6, abs=3e-3)
    up_sum = (first + second)[:e_up.size]
    between = (e_up > 0.35) & (e_up < 0.6)
    valley = float(e_up[between][np.argmin(up_sum[between])])
    assert valley - 0.01 < upper.onset_V < upper.potential_V  # not the foot of the first wave (~0.25 V)
    both = 3e-4 * 0.06 * math.sqrt(math.pi) / nu  # the charge of both waves together
    assert upper.charge < 0.75 * both
    assert upper.charge + lower.charge <= both * 1.001


@pytest.mark.parametrize(("header", "reference"), [
    ("E vs Ag/AgCl (V),I (A),t (s)", "Ag/AgCl"),
    ("Ewe/V vs. SCE,I/A,time/s", "SCE"),
    ("E (V vs. RHE),Current (A),Time (s)", "RHE"),
    ("Potential (mV vs Na/Na+),WE(1).Current (A),Time (s)", "Na/Na+"),
    ("WE(1).Potential (V),WE(1).Current (A),Time (s)", None),
    # a reference electrode with its electrolyte in brackets: "no potential or no current column", or the unit lost
    ("E vs. Ag/AgCl (3 M KCl) (V),I (A),t (s)", "Ag/AgCl (3 M KCl)"),
    ("Potential (mV vs. Ag/Ag+ (0.01 M)),Current (A),Time (s)", "Ag/Ag+ (0.01 M)"),
    ("Potential (V vs. Ag/Ag+ (0.01 M)),Current (A),Time (s)", "Ag/Ag+ (0.01 M)"),
    ("Potential vs Ag/AgCl (sat. KCl) / V,I/A,time/s", "Ag/AgCl (sat. KCl)"),
    ("E [V] vs. Hg/HgO (1 M NaOH),I [A],t [s]", "Hg/HgO (1 M NaOH)"),
])
def test_column_names_with_a_reference_electrode_are_read(tmp_path, reversible, header, reference):
    """'E vs Ag/AgCl (V)' was no potential column; 'Potential (mV vs Ag/AgCl)' read its millivolts as volts."""
    t, e, i = reversible[0.1]
    scale = 1000.0 if "(mV" in header else 1.0
    p = tmp_path / "cv.csv"
    p.write_text(header + "\n" + "\n".join(f"{scale * a},{b},{c}" for a, b, c in zip(e, i, t)) + "\n")
    v = read_voltammogram(p)
    np.testing.assert_allclose(v.potential_V, e, atol=1e-12)
    assert v.metadata.get("reference_electrode") == reference


def test_a_per_mass_current_written_with_two_slashes_is_read(tmp_path, reversible):
    t, e, i = reversible[0.1]
    p = tmp_path / "cv.csv"
    p.write_text("Ewe/V,I/mA/g,time/s\n" + "\n".join(f"{a},{1e3 * b / 0.005},{c}" for a, b, c in zip(e, i, t)))
    v = read_voltammogram(p)
    assert v.current_unit == "A/kg"
    np.testing.assert_allclose(v.current, 1e3 * i / 0.005, rtol=1e-9)  # 1 mA/g = 1 A/kg


def test_an_mpr_file_is_refused_with_what_to_do(tmp_path):
    p = tmp_path / "cv.mpr"
    p.write_bytes(b"BIO-LOGIC MODULAR FILE\x1a" + bytes(range(256)) * 4)
    with pytest.raises(DataFormatError, match=r"cv\.mpr: a BioLogic EC-Lab binary file \(\.mpr\).*export the file "
                                              r"as text \(\.mpt\)"):
        read_voltammogram(p)


def test_cv_command_prints_the_scan_rate_the_reference_and_the_readers_notes(tmp_path, reversible):
    """A scan-rate series: each file's scan rate is printed and written beside its peaks; what the reader did
    (cycles counted from the sweep direction) is printed, not only kept in the metadata."""
    files = []
    for v, (t, e, i) in reversible.items():
        p = tmp_path / f"cv_{v:g}.csv"
        p.write_text("E vs Ag/AgCl (V),I (mA),t (s)\n" + "\n".join(f"{a},{1e3 * b},{c}" for a, b, c in zip(e, i, t)))
        files.append(str(p))
    res = CliRunner().invoke(app, ["cv", *files, "--no-plot", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "cv_0.01.csv: cycles 1, scan rate 10 mV/s, potential vs Ag/AgCl" in res.output
    assert "cv_0.1.csv: cycles 1, scan rate 100 mV/s" in res.output
    assert "note: no cycle column: cycles counted from the sweep direction" in res.output
    rows = (tmp_path / "o" / "cv_peaks.csv").read_text().splitlines()
    header = rows[0].split(",")
    rates = sorted({float(dict(zip(header, r.split(",")))["scan rate [V/s]"]) for r in rows[1:]})
    assert rates == pytest.approx([0.01, 0.1])
