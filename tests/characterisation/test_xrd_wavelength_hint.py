"""A Mo Kα pattern read without its wavelength (Cu Kα1 assumed): no phase is named, and the note says why.

Before: the offset hint said RuO2 "would (score 1.00)" match if the pattern were moved by -0.50°, from two
RuO2 lines among 37 peaks, and nothing said that the wavelength had been assumed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from metalair.analysis.diffraction import analyse_diffractogram, offset_hint, simulate_diffractogram
from metalair.io.diffraction import read_diffraction
from metalair.workflows.characterisation import run_xrd

MO_KALPHA1_M = 0.70932e-10


def _mo_file(tmp_path: Path) -> Path:
    p = simulate_diffractogram({"Na2O2": 1.0, "Na2CO3": 0.5}, wavelength_m=MO_KALPHA1_M,
                               two_theta_deg=np.arange(5.0, 40.0, 0.01), fwhm_deg=0.06, seed=0)
    f = tmp_path / "mo.xy"
    np.savetxt(f, np.column_stack([p.two_theta_deg, p.intensity]), header="2theta intensity")
    return f


def test_no_offset_hint_from_two_chance_lines(tmp_path: Path) -> None:
    analysis = analyse_diffractogram(read_diffraction(_mo_file(tmp_path)))  # read as Cu Kα1
    assert len(analysis.peaks) > 20
    assert offset_hint(analysis) is None


def test_run_xrd_names_the_assumed_wavelength_when_nothing_matches(tmp_path: Path) -> None:
    f = _mo_file(tmp_path)
    run = run_xrd(f, tmp_path / "as_cu", plot=False)
    assert not any(m.accepted for m in run.result[1])
    assert "Cu Kα1 (1.5406 Å) was assumed" in run.summary and "--wavelength-a" in run.summary
    assert "would (score" not in run.summary
    run = run_xrd(f, tmp_path / "as_mo", wavelength_m=MO_KALPHA1_M, plot=False)
    assert {m.phase for m in run.result[1] if m.accepted} == {"Na2O2", "Na2CO3"}
    assert "was assumed" not in run.summary


def test_the_figure_states_the_wavelength_of_its_2theta_axis(tmp_path: Path) -> None:
    from metalair.plotting.characterisation import plot_diffraction

    f = _mo_file(tmp_path)
    assumed = plot_diffraction(analyse_diffractogram(read_diffraction(f)))
    assert assumed.axes[1].get_xlabel() == "2θ [deg] at λ = 1.54059 Å (assumed: Cu Kα1)"
    given = plot_diffraction(analyse_diffractogram(read_diffraction(f, wavelength_m=MO_KALPHA1_M)))
    assert given.axes[1].get_xlabel() == "2θ [deg] at λ = 0.70932 Å"
