"""Poor circuit fits are reported as such, the DRT flags peaks beyond the measured frequencies, and the
residual and DRT figures keep their titles and labels inside the figure.

The real spectrum is peis.mpt (EC-Lab PEIS export, 32 points, 1 Hz - 200 kHz): above ~70 Hz a clean
arc from ~10.5 Ω, below it scattered points, one of them (51.3 Hz) at |Z| = 0.915 Ω against ~14 Ω for
its neighbours. Under the default modulus weighting that point outweighs the rest, and the best fit of
R0-p(R1,CPE1)-Wo1 to the whole spectrum is a nearly flat ~2.4 Ω: reduced χ² 0.4 (of relative
residuals), RMS misfit over 80 % of |Z|, which was reported as a success.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from datafiles import data_getter
from metalair.analysis.impedance import drt, fit_circuit, lin_kk
from metalair.analysis.impedance.circuits import Circuit
from metalair.analysis.impedance.fitting import POOR_FIT_RELATIVE_RMS, initial_guess
from metalair.cli.app import app
from metalair.io.checks import DataQualityWarning
from metalair.io.impedance import read_impedance
from metalair.tables.impedance import ImpedanceSpectrum

RANDLES = "R0-p(R1,CPE1)-Wo1"


@pytest.fixture(scope="module")
def peis_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    get: Callable[[str], Path] = data_getter(tmp_path_factory.mktemp("peis"), {"eis/peis.mpt": "13cd80abdab29b81"})
    return get("eis/peis.mpt")


@pytest.fixture(scope="module")
def peis(peis_file: Path) -> ImpedanceSpectrum:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read_impedance(peis_file)


# --------------------------------------------------------------------------- circuit fits
def test_a_fit_far_from_the_data_is_a_poor_fit_not_a_success(peis):
    fit = fit_circuit(peis, RANDLES)
    assert fit.converged  # the optimiser did converge ...
    assert fit.relative_rms > 0.5 and fit.poor_fit and not fit.success  # ... onto a model 80 % off the data
    # the reduced χ² of relative residuals is that misfit: Σ|ΔZ/Z|² / (2N − p)
    n, p = len(peis), len(fit.result.names)
    assert fit.result.reduced_chi2 == pytest.approx(fit.relative_rms**2 * n / (2 * n - p), rel=1e-9)
    d = json.loads(json.dumps(fit.as_dict()))
    assert d["success"] is False and d["converged"] is True and d["poor_fit"] is True
    assert d["relative_rms_residual"] == pytest.approx(fit.relative_rms)
    assert d["poor_fit_threshold"] == POOR_FIT_RELATIVE_RMS == 0.10
    for hint in ("poor fit", "another circuit", "initial values", "weighting", "Lin-KK"):
        assert hint in d["message"], hint
    assert "51.3 Hz" in fit.quality_note  # the point that pulls the modulus-weighted fit onto itself
    assert "POOR FIT" in fit.table().splitlines()[0]


def test_the_valid_part_of_the_real_spectrum_fits_and_is_a_success(peis):
    clean = peis.select(f_min_Hz=70.0)
    fit = fit_circuit(clean, RANDLES)
    assert fit.success and not fit.poor_fit and fit.relative_rms < 0.07
    assert fit["R0"] == pytest.approx(10.74, rel=0.03)  # high-frequency intercept
    assert fit["R1"] + fit["Wo1.R"] == pytest.approx(5.95, rel=0.1)
    d = fit.as_dict()
    assert d["success"] is True and d["poor_fit"] is False and d["quality_note"] == ""


def test_noise_free_fit_is_a_success_with_zero_relative_misfit():
    truth = {"R0": 5.0, "R1": 50.0, "CPE1.Q": 2e-5, "CPE1.alpha": 0.8, "Wo1.R": 30.0, "Wo1.tau": 3.0}
    f = np.logspace(5, -2, 60)
    fit = fit_circuit(ImpedanceSpectrum.from_arrays(f, Circuit(RANDLES).impedance(f, truth)), RANDLES)
    assert fit.success and fit.relative_rms < 1e-8 and fit.quality_note == ""


def test_initial_guess_takes_the_series_resistance_from_high_frequencies(peis):
    # before: the smallest Z' anywhere, the 51.3 Hz glitch (0.91 Ω) instead of the ~10.4 Ω intercept
    guess = initial_guess(RANDLES, peis)
    assert 10.3 <= guess["R0"] <= 10.8
    # the rest of the low-frequency Z' (median of the three lowest frequencies, 17.37 Ω), shared out
    assert guess["R1"] == pytest.approx((17.37 - guess["R0"]) / 2, rel=0.01)
    # the same on a synthetic spectrum with one low-frequency point 30 times too small
    truth = {"R0": 5.0, "R1": 50.0, "CPE1.Q": 2e-5, "CPE1.alpha": 0.8, "Wo1.R": 30.0, "Wo1.tau": 3.0}
    f = np.logspace(5, -2, 60)
    z = Circuit(RANDLES).impedance(f, truth)
    z[50] /= 30
    guess = initial_guess(RANDLES, ImpedanceSpectrum.from_arrays(f, z))
    assert guess["R0"] == pytest.approx(z.real[0])  # Z' at 100 kHz, 5.39 Ω (the glitch: 2.6 Ω)


def test_eis_command_warns_of_a_poor_fit(peis_file, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eis", str(peis_file), "-c", RANDLES, "--no-kk", "--no-drt", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: poor fit" in result.output and "POOR FIT" in result.output
    fit_json = json.loads((out / "peis_fit.json").read_text(encoding="utf-8"))
    assert fit_json["success"] is False and fit_json["relative_rms_residual"] > 0.5


# --------------------------------------------------------------------------- DRT beyond the measured window
def test_drt_flags_peaks_beyond_the_measured_frequencies(data_file):
    s = read_impedance(data_file("eis/exampleData.csv"))  # 3.16 mHz - 10 kHz: tau up to 1/(2 pi 3.16 mHz) = 50 s
    d = drt(s)
    lo, hi = d.measured_tau_range
    assert lo == pytest.approx(1 / (2 * math.pi * 1e4)) and hi == pytest.approx(1 / (2 * math.pi * 0.0031623))
    assert [p.extrapolated for p in d.peaks] == [not lo <= p.tau_s <= hi for p in d.peaks]
    last = d.peaks[-1]
    assert last.tau_s > 200 and last.extrapolated  # the largest peak, ~300 s, ~68 % of R_pol
    assert last.resistance / d.polarisation_resistance == pytest.approx(0.68, abs=0.05)
    assert not any(p.extrapolated for p in d.peaks[:-1])
    js = json.loads(json.dumps(d.as_dict()))
    assert js["peaks"][-1]["extrapolated"] is True and js["peaks"][0]["extrapolated"] is False
    assert js["measured_tau_range_s"] == pytest.approx([lo, hi])
    assert any("outside the measured tau window" in n and "308 s" in n and "% of R_pol" in n for n in js["notes"])
    rows = d.peak_table().splitlines()
    assert rows[len(d.peaks)].endswith("* extrapolated") and "extrapolated" not in rows[1]
    assert "measured tau window" in d.peak_table()


def test_drt_of_a_peak_inside_the_window_has_no_flag():
    f = np.logspace(5, -2, 60)
    s = ImpedanceSpectrum.from_arrays(f, Circuit("R0-p(R1,C1)").impedance(f, {"R0": 1.0, "R1": 10.0, "C1": 1e-3}))
    d = drt(s)
    assert d.peaks and not any(p.extrapolated for p in d.peaks) and d.notes == []
    assert "* " not in d.peak_table()


# --------------------------------------------------------------------------- figures
def _inside(fig, *artists):
    """Whether each artist's drawn extent lies within the figure (1 px tolerance)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    w, h = fig.bbox.width, fig.bbox.height
    out = []
    for a in artists:
        e = a.get_window_extent(renderer)
        out.append(e.x0 >= -1 and e.y0 >= -1 and e.x1 <= w + 1 and e.y1 <= h + 1)
    return out


def test_residual_figures_keep_title_and_axis_labels_inside(peis):
    pytest.importorskip("matplotlib")
    from metalair.plotting.electrochem import plot_residuals

    for result in (lin_kk(peis), fit_circuit(peis, RANDLES, n_starts=1)):
        fig = plot_residuals(result)
        ax = fig.axes[0]
        assert _inside(fig, ax.title, ax.xaxis.label, ax.yaxis.label) == [True, True, True]


def test_drt_figure_shades_the_tau_beyond_the_measured_window(data_file):
    pytest.importorskip("matplotlib")
    from metalair.plotting.electrochem import plot_drt

    d = drt(read_impedance(data_file("eis/exampleData.csv")))
    fig = plot_drt(d)
    ax = fig.axes[0]
    assert "beyond the measured frequencies (extrapolated)" in ax.get_legend_handles_labels()[1]
    lo, hi = d.measured_tau_range
    spans = [p.get_extents().transformed(ax.transData.inverted()) for p in ax.patches]
    assert any(s.x0 == pytest.approx(hi, rel=1e-6) for s in spans)  # shaded from 1/(2 pi f_min) upwards
    assert any(s.x1 == pytest.approx(lo, rel=1e-6) for s in spans)  # and below 1/(2 pi f_max)
    open_markers = [ln for ln in ax.lines if ln.get_marker() == "v" and ln.get_markerfacecolor() == "none"]
    assert len(open_markers) == sum(p.extrapolated for p in d.peaks) == 1
    assert _inside(fig, ax.xaxis.label, ax.yaxis.label) == [True, True]
    # the markers are in the legend, once per kind: filled, and open (extrapolated)
    labels = ax.get_legend_handles_labels()[1]
    assert labels.count("peak beyond the measured window") == 1
    assert labels.count("peak") == (1 if len(d.peaks) > 1 else 0)


def test_a_csv_spectrum_without_a_final_line_break_warns_that_its_last_row_may_be_cut(data_file, tmp_path):
    """An audit cut exampleData.csv mid-number: the last Z'' read -4.62 Ω where the file had -4.62e-03 Ω (the
    exponent lost, the rest still a number), with no warning. A file that does not end with a line break says
    its last row may be incomplete; an intact one says nothing of the kind."""
    from metalair.io.impedance import read_impedance

    text = data_file("eis/exampleData.csv").read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: text.rindex("e-")])  # the last row without its exponent
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        spectrum = read_impedance(cut)
    said = [str(w.message) for w in seen] + list(spectrum.metadata.get("warnings", []))
    assert any("does not end with a line break" in m for m in said), said
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        intact = read_impedance(data_file("eis/exampleData.csv"))
    said = [str(w.message) for w in seen] + list(intact.metadata.get("warnings", []))
    assert not any("line break" in m for m in said)


def test_a_complete_csv_spectrum_without_a_final_line_break_reads_without_a_warning(data_file, tmp_path):
    """A review found every file without a final line break warned (and refused in strict mode), though many
    programs write none: only a last value shorter than its column's values is taken for a cut."""
    from metalair.io.impedance import read_impedance

    whole = tmp_path / "whole.csv"
    whole.write_text(data_file("eis/exampleData.csv").read_text().rstrip("\n"))
    spectrum = read_impedance(whole, strict=True)
    assert spectrum.frequency_Hz.size == read_impedance(data_file("eis/exampleData.csv")).frequency_Hz.size
