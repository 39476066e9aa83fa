"""What the figures show: the plotted data, legends, axis labels with units and distinct colours.

Each test draws one figure and reads it back through matplotlib (no image comparison).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.colors import to_rgba

from metalair.tables.cycler import CyclerData

DATA = Path(__file__).resolve().parents[1] / "data"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))  # the synthetic cycler records


@pytest.fixture(autouse=True)
def _close_pyplot_figures():
    """The calibration figures are made with pyplot: close any left open after each test."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _legend_labels(ax_or_fig) -> list[str]:
    legends = [ax_or_fig.get_legend()] if hasattr(ax_or_fig, "get_legend") else list(ax_or_fig.legends)
    return [t.get_text() for lg in legends if lg is not None for t in lg.get_texts()]


def _data_lines(ax) -> list:
    """The lines of an axes that hold data (not axhline/axvline, whose x or y is a pair of equal values)."""
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]


# --------------------------------------------------------------------------- magnetometry
def test_inverse_susceptibility_panel_plots_data_and_fit_as_one_quantity():
    from metalair.analysis.magnetism import curie_weiss, susceptibility
    from metalair.plotting.characterisation import plot_susceptibility
    from metalair.tables.magnetometry import MagnetometryData
    from metalair.units import UNITS

    t = np.arange(5.0, 300.0 + 1e-9, 5.0)
    chi = 0.95 / (t + 12.0) + 2e-4
    data = MagnetometryData(temperature_K=t, field_A_m=np.full(t.size, 1000.0 * UNITS["Oe"][1]),
                            moment_A_m2=chi * (0.02 / 160.0) * 1000.0 * UNITS["emu"][1], metadata={"file_name": "s"})
    sus = susceptibility(data, mass_g=0.02, molar_mass_g_mol=160.0)
    fit = curie_weiss(sus)
    fig = plot_susceptibility(sus, fit)
    ax = fig.axes[1]
    points, line = ax.get_lines()[:2]
    np.testing.assert_allclose(points.get_ydata(), 1.0 / (sus.chi_cgs - fit.chi0))
    np.testing.assert_allclose(line.get_ydata(), (line.get_xdata() - fit.theta_K) / fit.C, rtol=1e-9)
    # the fit goes through the corrected data at the warm end (where 1/χ and 1/(χ − χ0) differ most)
    assert np.interp(t[-1], line.get_xdata(), line.get_ydata()) == pytest.approx(points.get_ydata()[-1], rel=1e-3)
    assert ax.get_ylabel() == "1/(χ − χ0) [mol/cm³]"
    assert plot_susceptibility(sus).axes[1].get_ylabel() == "1/χ [mol/cm³]"
    assert any(lbl.startswith("fit range ") for lbl in _legend_labels(ax))  # the grey band was unnamed


# --------------------------------------------------------------------------- cycler figures
def _cc_cv_record(n_cycles: int = 3, short_discharge_cycle: int | None = None) -> CyclerData:
    """Discharge (CC), then charge CC up to 4.2 V and a CV hold at 4.2 V with a decaying current."""
    t, v, i, step, cyc, kind = [], [], [], [], [], []
    t0, s = 0.0, 0
    for c in range(1, n_cycles + 1):
        n_dis = 3 if c == short_discharge_cycle else 60
        parts = [("discharge", np.linspace(4.0, 3.0, n_dis), np.full(n_dis, 1e-3)),
                 ("charge", np.linspace(3.1, 4.2, 60), np.full(60, -1e-3)),
                 ("hold", np.full(80, 4.2) + 1e-4 * np.sin(np.arange(80)), -1e-3 * np.exp(-np.arange(80) / 20.0))]
        for k, vv, ii in parts:
            s += 1
            t.append(t0 + 60.0 * np.arange(vv.size))
            t0 = t[-1][-1] + 60.0
            v.append(vv)
            i.append(ii)
            step.append(np.full(vv.size, s))
            cyc.append(np.full(vv.size, c))
            kind.append(np.full(vv.size, k))
    return CyclerData(time_s=np.concatenate(t), voltage_V=np.concatenate(v), current_A=np.concatenate(i),
                      step=np.concatenate(step), cycle=np.concatenate(cyc), step_type=np.concatenate(kind),
                      metadata={"file_name": "cccv"})


def test_dqdv_leaves_out_constant_voltage_holds_and_labels_a_cycle_without_discharge():
    from metalair.plotting.cycles import plot_dqdv

    data = _cc_cv_record(3, short_discharge_cycle=2)
    ax = plot_dqdv(data).axes[0]
    lines = _data_lines(ax)
    # CC at 1 mA over 1.1 V in 59 minutes: about 0.9 mAh/V; a hold left in would add a spike far above that
    peak = max(np.nanmax(np.abs(ln.get_ydata())) for ln in lines)
    assert peak < 2.0
    assert _legend_labels(ax) == ["cycle 1", "cycle 2", "cycle 3"]  # cycle 2 drawn by its charge alone
    colours = {to_rgba(ln.get_color()) for ln in lines}
    assert len(colours) == 3


def test_cc_steps_at_almost_constant_voltage_are_kept_in_dqdv():
    from metalair.analysis.cycle_metrics import without_cv

    data = _cc_cv_record(1)
    from metalair.analysis.cycle_metrics import half_cycles

    charge = next(h for h in half_cycles(data) if h.kind == "charge")
    v, q = without_cv(data, charge)
    assert v.size == 60 and v.max() == pytest.approx(4.2)  # the hold's 80 points left out, the CC part kept
    np.testing.assert_allclose(q[-1] - q[0], charge.capacity_Ah[59] - charge.capacity_Ah[0])


def test_voltage_capacity_colours_legend_styles_and_breaks_between_steps():
    from cycler_synthetic import build

    from metalair.plotting.cycles import plot_voltage_capacity

    segs = []
    for _ in range(6):
        segs += [("discharge", 1.0, 4.0, 3.0), ("charge", 1.0, 3.1, 4.1)]
    ax = plot_voltage_capacity(build(segs)).axes[0]
    lines = _data_lines(ax)
    assert len({to_rgba(ln.get_color()) for ln in lines}) == 6  # one colour per cycle
    assert {ln.get_linestyle() for ln in lines} == {"-", "--"}
    assert _legend_labels(ax) == [f"cycle {c}" for c in range(1, 7)] + ["discharge", "charge"]
    # more than ten cycles: a colour bar with a band per cycle, and the styles in the legend
    many = build([("discharge", 1.0, 4.0, 3.0), ("charge", 1.0, 3.1, 4.1)] * 14)
    fig = plot_voltage_capacity(many, max_curves=14)
    assert len(fig.axes) == 2 and fig.axes[1].get_ylabel() == "Cycle"
    assert len({to_rgba(ln.get_color()) for ln in _data_lines(fig.axes[0])}) == 14
    assert _legend_labels(fig.axes[0]) == ["discharge", "charge"]
    # two discharge steps of one cycle with a charge between them: not joined by a line
    two = build([("discharge", 1.0, 4.0, 3.0), ("charge", 1.0, 3.1, 4.1), ("discharge", 1.0, 4.0, 3.0)],
                cycles=[1, 1, 1])
    solid = [ln for ln in _data_lines(plot_voltage_capacity(two, cycle_start="file").axes[0])
             if ln.get_linestyle() == "-"]
    assert len(solid) == 1 and np.isnan(solid[0].get_ydata()).sum() == 1


def test_capacity_efficiency_integer_cycle_ticks_and_legend_outside_the_axes():
    from cycler_synthetic import build

    from metalair.analysis.cycle_metrics import cycle_summary
    from metalair.plotting.cycles import plot_capacity_efficiency

    for segs in ([("discharge", 1.0, 4.0, 3.0), ("charge", 1.0, 3.1, 4.1)],
                 [("discharge", 1.0, 4.0, 3.0), ("charge", 1.0, 3.1, 4.1)] * 3):
        fig = plot_capacity_efficiency(cycle_summary(build(segs)))
        fig.canvas.draw()
        ticks = [x for x in fig.axes[0].get_xticks() if fig.axes[0].get_xlim()[0] <= x <= fig.axes[0].get_xlim()[1]]
        assert ticks and all(float(x).is_integer() for x in ticks)
        assert fig.axes[0].get_legend() is None
        assert _legend_labels(fig) == ["discharge", "charge", "coulombic efficiency"]
    # discharges only: no charge or efficiency series in the legend, and the right axis says why it is empty
    fig = plot_capacity_efficiency(cycle_summary(build([("discharge", 1.0, 4.0, 3.0)] * 2)))
    assert _legend_labels(fig) == ["discharge"]
    assert fig.axes[1].get_ylabel().startswith("no coulombic efficiency")


# --------------------------------------------------------------------------- simulated cycling
def test_cycling_profiles_distinguish_discharge_and_charge_and_name_the_failure():
    from metalair.plotting.simulation import plot_cycling
    from metalair.workflows.cycling import run_cycling

    res = run_cycling("RuO2", cycles=3, figure=False)
    life = dataclasses.replace(res.life, first_failed_cycle=2)
    fig = plot_cycling(res.table, life, res.solution, title="RuO2")
    left, right = fig.axes
    assert any(lbl.startswith("first failure: cycle 2 (") for lbl in _legend_labels(left))
    assert not left.texts  # no label drawn over the curves
    # a run failing by capacity at its first cycle showed flat end voltages only: the legend says why it failed
    failing = run_cycling("RuO2", cycles=3, v_min="2.21 V", figure=False)
    labels = _legend_labels(plot_cycling(failing.table, failing.life, failing.solution).axes[0])
    assert any(lbl.startswith("first failure: cycle 1 (discharge gave ") for lbl in labels), labels
    assert {ln.get_linestyle() for ln in right.get_lines()} == {"-", "--"}
    assert _legend_labels(right)[-2:] == ["discharge", "charge"]
    from matplotlib import colormaps

    pale = to_rgba(colormaps["viridis"](1.0))
    assert all(to_rgba(ln.get_color()) != pale for ln in right.get_lines())


# --------------------------------------------------------------------------- screens and sweeps
def test_column_labels_carry_units():
    from metalair.plotting.design import column_label

    assert column_label("polarisation_V") == "Polarisation [V]"
    assert column_label("descriptors.Na2CO3.icohp") == "Na2CO3 ICOHP [eV]"
    # a protocol variable's unit is the one its template writes after it, never a guess
    from metalair.plotting.design import protocol_units

    units = protocol_units("Discharge at {current} A/g until {cutoff} V; Charge at {current} A/g until 4.8 V")
    assert units == {"current": "A/g", "cutoff": "V"}
    assert column_label("protocol.current", units) == "current [A/g]"
    assert column_label("protocol.current") == "current"
    assert column_label("catalyst.free_energy_overpotential") == "free-energy overpotential η_FE [V]"
    assert column_label("descriptors.*.d_band_centre") == "all products d-band centre [eV]"
    assert column_label("environment") == "environment"


def test_screen_map_labels_and_wrapped_title():
    from metalair.plotting.design import plot_screen_maps

    x, y = np.meshgrid([-2.4, -2.0, -1.6], [0.3, 0.6])
    table = {"descriptors.Na2CO3.icohp": x.ravel(), "catalyst.free_energy_overpotential": y.ravel(),
             "polarisation_V": np.linspace(0.6, 1.4, 6)}
    title = "8 candidates, base RuO2; stars: built-in catalysts at their own descriptors (mean over states), " \
            "filled with their own simulated value"
    fig = plot_screen_maps(table, "descriptors.Na2CO3.icohp", "catalyst.free_energy_overpotential",
                           ["polarisation_V"], title=title)
    ax, bar = fig.axes
    assert ax.get_xlabel() == "Na2CO3 ICOHP [eV]"
    assert ax.get_ylabel() == "free-energy overpotential η_FE [V]"
    assert bar.get_ylabel() == "Polarisation [V]"
    shown = fig.get_suptitle()
    assert shown.replace("\n", " ") == title and "\n" in shown
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width  # not clipped


def test_sweep_response_axis_label_has_the_unit():
    from metalair.plotting.design import plot_sweep_response

    fig = plot_sweep_response({"protocol.current": np.array([100.0, 500.0, 2000.0]),
                               "polarisation_V": np.array([0.5, 0.7, 0.9])}, "protocol.current",
                              units={"current": "mA/g"})
    assert fig.axes[0].get_xlabel() == "current [mA/g]"


# --------------------------------------------------------------------------- voltammetry
def _triangle_cv(cycles: int, amplitude: float) -> object:
    from metalair.tables.voltammetry import Voltammogram

    up = np.linspace(0.0, 1.0, 50)
    e = np.concatenate([np.concatenate([up, up[::-1]]) for _ in range(cycles)])
    i = amplitude * (e - 0.5 + 0.1 * np.sign(np.gradient(e)))
    return Voltammogram(potential_V=e, current=i, time_s=np.arange(e.size, dtype=float),
                        metadata={"file_name": f"cv{amplitude:g}"})


def test_cv_overlay_colour_per_cycle_and_a_panel_per_file_of_another_scale():
    from metalair.plotting.electrochem import plot_cv_overlay

    one = _triangle_cv(4, 1e-5)
    fig = plot_cv_overlay([one])
    lines = _data_lines(fig.axes[0])
    assert len(lines) == len(one.cycles) == len({to_rgba(ln.get_color()) for ln in lines})
    assert fig.axes[0].get_ylabel() == "Current [µA]"
    both = plot_cv_overlay([one, _triangle_cv(2, 1e-1)])
    assert len(both.axes) == 2  # 10⁴ apart: one axis each
    assert [a.get_ylabel() for a in both.axes] == ["Current [µA]", "Current [mA]"]
    assert "a panel per file" in both.get_suptitle()
    same = plot_cv_overlay([one, _triangle_cv(2, 2e-5)])
    assert len(same.axes) == 1 and len({to_rgba(ln.get_color()) for ln in _data_lines(same.axes[0])}) == 6


# --------------------------------------------------------------------------- XAS, XRD, Raman
def test_xanes_leaves_out_the_spectra_of_another_edge_and_says_so():
    from metalair.analysis.xas import normalize
    from metalair.io.xas import read_xas
    from metalair.plotting.characterisation import plot_xanes

    files = ("feo_rt1.xdi", "fe2o3_rt1.xmu", "cu_metal_rt.xdi")
    norms = [normalize(s) for f in files for s in read_xas(DATA / "xas" / f)]
    fig = plot_xanes(norms)
    ax = fig.axes[0]
    labels = _legend_labels(ax)
    assert len(labels) == 2 and not any(lbl.startswith(norms[2].spectrum.name + " ") for lbl in labels)
    lo, hi = ax.get_xlim()
    assert all(lo < n.e0_eV < hi for n in norms[:2])
    assert "another edge" in ax.get_title() and f"{norms[2].e0_eV:.2f}" in ax.get_title()


def test_diffraction_and_raman_intensity_units_and_peak_legend():
    from metalair.analysis.diffraction import analyse_diffractogram
    from metalair.analysis.raman import analyse_raman
    from metalair.plotting.characterisation import plot_diffraction, plot_raman
    from metalair.tables.spectra import Diffractogram, RamanSpectrum

    tth = np.linspace(10.0, 80.0, 3501)
    inten = 50.0 + sum(h * np.exp(-0.5 * ((tth - c) / 0.08) ** 2) for c, h in ((30.0, 400.0), (35.2, 1500.0),
                                                                              (50.9, 500.0)))
    xrd = plot_diffraction(analyse_diffractogram(Diffractogram(two_theta_deg=tth, intensity=inten, name="p")))
    assert xrd.axes[0].get_ylabel() == "intensity [counts]"
    assert any(lbl.startswith("fitted peak positions") for lbl in _legend_labels(xrd.axes[0]))
    shift = np.linspace(200.0, 1800.0, 1601)
    counts = 1000.0 + 0.2 * shift + 300.0 * np.exp(-0.5 * ((shift - 1156.0) / 5.0) ** 2)
    raman = plot_raman(analyse_raman(RamanSpectrum(shift_cm1=shift, intensity=counts, name="r")))
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # not pyplot figures: 21 of them in a loop warned "More than 20 figures"
    assert raman.axes[0].get_ylabel() == "intensity [a.u.]"
    assert raman.axes[1].get_ylabel() == "baseline-corrected [a.u.]"
    assert "fitted peak positions" in _legend_labels(raman.axes[1])


def test_wrapped_title_keeps_the_words_in_lines_that_fit():
    from metalair.plotting.simulation import wrapped

    assert wrapped("Discharge ...\nCharge ...\nambient air", 7.5, 12) == "Discharge ...\nCharge ...\nambient air"
    text = "word " * 60
    shown = wrapped(text, 5.6, 10)
    assert shown.split() == text.split()
    assert all(len(line) <= 5.6 * 72 / (0.6 * 10) for line in shown.split("\n"))


def test_the_cycling_figure_draws_the_end_of_discharge_threshold_it_reports():
    from metalair.plotting.simulation import plot_cycling
    from metalair.workflows.cycling import run_cycling

    res = run_cycling("RuO2", cycles=5, figure=False)
    fig = plot_cycling(res.table, res.life, res.solution, title="t", eod_threshold_V=2.0)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(label.startswith("end-of-discharge threshold 2 V") for label in labels)


def test_voltage_capacity_axis_is_cut_where_one_cv_hold_runs_on():
    """A constant-voltage hold that runs on past 1.5x the largest constant-current capacity (here cycle 1's,
    at full current: 2.3x) would squash every other curve: the axis ends at 1.15x the constant-current
    capacity and the axes say so. Ordinary holds (cycles 2 and 3, +33 %) leave the axis alone."""
    from dataclasses import replace

    from metalair.plotting.cycles import plot_voltage_capacity

    data = _cc_cv_record(3)
    ordinary = plot_voltage_capacity(data).axes[0]
    longest = max(np.nanmax(ln.get_xdata()) for ln in _data_lines(ordinary))
    assert ordinary.get_xlim()[1] >= longest and not ordinary.get_title(loc="right")  # no cut, no note
    current = data.current_A.copy()
    current[(data.cycle == 1) & (data.step_type == "hold")] = -1e-3  # cycle 1's hold does not decay
    ax = plot_voltage_capacity(replace(data, current_A=current)).axes[0]
    cc = 60 * 60.0 * 1e-3 / 3.6  # mAh: the 60-point CC charge at 1 mA
    assert ax.get_xlim()[1] == pytest.approx(1.15 * cc, rel=0.05)
    note = ax.get_title(loc="right")  # above the axes: inside them it covered the hold curves
    assert "constant-voltage hold" in note and "cycle 1" in note and not ax.texts


def test_edge_cases_found_by_the_figure_audit():
    import warnings

    import metalair as ma
    from metalair.errors import ParameterError
    from metalair.plotting.electrochem import plot_nyquist
    from metalair.plotting.simulation import plot_comparison, plot_cycling, plot_solution
    from metalair.workflows.cycling import run_cycling

    short = "Discharge at 500 mA/g for 20 mAh/g; Charge at 500 mA/g for 20 mAh/g"
    sols = {f"cat{k}": ma.simulate("NLRO", short) for k in range(6)}
    ax_v = plot_comparison(sols).axes[0]
    assert {lbl.split()[0] for lbl in _legend_labels(ax_v)} == set(sols)  # the sixth was dropped (five colours, zip)
    anchor = ax_v.get_legend().get_bbox_to_anchor().transformed(ax_v.transAxes.inverted())
    assert anchor.x0 > 1.0  # twelve entries: beside the axes, not over the curves
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "No artists with labels found to put in legend"
        rest = ma.simulate("NLRO", "Rest for 1 h")
        plot_comparison({"a": rest, "b": rest})
        fig = plot_solution(ma.simulate("NLRO", "Discharge at 100000 mA/g until 2.2 V"))
    assert any(line.get_marker() == "o" for line in fig.axes[0].lines)  # a one-point step is visible
    one = run_cycling("NLRO", cycles=1, figure=False)
    ax = plot_cycling(one.table, one.life, one.solution).axes[0]
    assert list(ax.get_xticks()) == [1]  # not 0.945 ... 1.05
    assert all(line.get_marker() == "o" for line in ax.lines[:2])
    with pytest.raises(ParameterError, match="spectra is empty"):
        plot_nyquist([])
    with pytest.raises(ParameterError, match="solutions is empty"):  # two legend warnings over empty axes
        plot_comparison({})


def test_analysing_a_charge_only_record_warns_nothing():
    import warnings

    from cycler_synthetic import build

    from metalair.workflows.analyze import analyze_file

    data = build([("charge", 1.0, 2.5, 4.0)], mass_g=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "All-NaN slice encountered"
        analyze_file("charge_only.csv", data=data, figures=False)


def test_eis_figures_are_titled_with_the_file_and_its_frequency_range(tmp_path, monkeypatch):
    # the eis Nyquist and Bode figures had no title
    from metalair.plotting import electrochem as plots
    from metalair.workflows.electrochem import _frequency_text, analyse_impedance_file

    assert [_frequency_text(f) for f in (0.00316, 1.0, 1e4, 2e6)] == ["3.16 mHz", "1 Hz", "10 kHz", "2 MHz"]
    titles = []
    for name in ("plot_nyquist", "plot_bode"):
        real = getattr(plots, name)
        monkeypatch.setattr(plots, name, lambda *a, _real=real, **k: (titles.append(k.get("title")), _real(*a, **k))[1])
    analyse_impedance_file(DATA / "eis" / "exampleData.csv", tmp_path / "o", kk=False, drt=False)
    assert titles == ["exampleData.csv: 66 points, 3.16 mHz to 10 kHz"] * 2


@pytest.mark.parametrize("centres", [(640.0, 738.0, 790.0, 1080.0, 1095.0, 1110.0, 1158.0),
                                     tuple(1000.0 + 18.0 * k for k in range(14))])
def test_labels_of_crowded_raman_peaks_do_not_overlap(centres):
    # four peaks within 80 cm-1 printed their labels over each other, and a label poked out of the axes;
    # a first fix stacked them in data units, which fourteen peaks 18 cm-1 apart still overprinted
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from metalair.analysis.raman import analyse_raman
    from metalair.plotting.characterisation import plot_raman
    from metalair.tables.spectra import RamanSpectrum

    shift = np.linspace(200.0, 1800.0, 1601)
    counts = 1000.0 + 0.2 * shift + sum(300.0 * np.exp(-0.5 * ((shift - c) / 5.0) ** 2) for c in centres)
    fig = plot_raman(analyse_raman(RamanSpectrum(shift_cm1=shift, intensity=counts, name="r")))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[1]
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) >= 6
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    inside = ax.get_window_extent(renderer)
    assert all(b.y1 <= inside.y1 + 1 for b in boxes)


def test_a_rest_is_drawn_against_time_in_a_readable_voltage_window():
    # against its capacity (0 to 3e-12 mAh/g) with an offset axis "1e-7+2.227" a rest plotted rounding noise
    import metalair as ma
    from metalair.plotting.simulation import plot_solution

    fig = plot_solution(ma.simulate("NLRO", "Rest for 1 h"))
    ax_v, ax_p = fig.axes[:2]
    assert ax_p.get_xlabel().startswith("Time [h]")
    lo, hi = ax_v.get_ylim()
    assert hi - lo == pytest.approx(0.1)


def test_cv_overlay_says_when_no_peak_was_found_and_names_a_single_sweep_by_its_file():
    # an LSV was labelled "cycle 1" and the note said "peaks marked x" over a figure without any
    from metalair.analysis.voltammetry import analyze_cv
    from metalair.plotting.electrochem import plot_cv_overlay
    from metalair.tables.voltammetry import Voltammogram

    e = np.linspace(2.0, 4.0, 400)
    lsv = Voltammogram.from_arrays(e, 1e-3 * (e - 2.0), metadata={"file_name": "lsv.csv"})
    fig = plot_cv_overlay([lsv], analyses=[analyze_cv(lsv)])
    assert fig._suptitle.get_text().endswith("no peak found")  # (Figure.get_suptitle needs matplotlib 3.8)
    assert _legend_labels(fig.axes[0]) == ["lsv.csv"]


def test_a_diffractogram_without_a_matched_phase_says_so():
    # the reference-lines panel was left empty, like a drawing error
    from metalair.analysis.diffraction import analyse_diffractogram
    from metalair.plotting.characterisation import plot_diffraction
    from metalair.tables.spectra import Diffractogram

    tth = np.linspace(10.0, 80.0, 3501)
    flat = 50.0 + np.random.default_rng(1).normal(0.0, 1.0, tth.size)
    ax = plot_diffraction(analyse_diffractogram(Diffractogram(two_theta_deg=tth, intensity=flat))).axes[1]
    assert [t.get_text() for t in ax.texts] == ["no reference phase matched the peaks"]


def test_free_energy_diagram_names_the_catalyst_and_wraps_long_step_names(tmp_path):
    # two catalysts' diagrams looked alike; a long step name ran off the figure
    from metalair.catalysts.dft import analyse_free_energy_steps
    from metalair.io.dft import read_free_energy_steps
    from metalair.plotting.design import plot_free_energy_diagram

    path = tmp_path / "steps.csv"
    path.write_text("step,delta_G_eV,electrons\nO2 adsorption on the ruthenium site of the layered oxide,-0.1,0\n"
                    "* + Na+ + e- + O2 -> NaO2*,-2.3,1\n")
    ax = plot_free_energy_diagram(analyse_free_energy_steps(read_free_energy_steps(path)), catalyst="Ru-O2/C").axes[0]
    assert ax.get_title().startswith("Ru-O2/C: ")
    assert all(len(line) <= 40 for t in ax.get_xticklabels() for line in t.get_text().split("\n"))
