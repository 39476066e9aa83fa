"""Figure defects found by the figure audit: each test reads the drawn artists back (no image comparison)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

RESIDUE = np.array([0.02, 0.05, 0.1, 0.164, 0.3, 0.6])
#: The audit's sweep (metalair sweep --param residue_blocking=...): four censored lives, every charge incomplete.
SWEEP = {
    "parameters.residue_blocking": RESIDUE,
    "discharge_capacity_mAh_g": np.full(6, 8526.51717234846),
    "mean_discharge_voltage_V": np.full(6, 2.1201477758856857),
    "polarisation_V": np.array([0.93607, 0.95534, 0.96287, 0.96602, 0.96838, 0.96984]),
    "coulombic_efficiency_pct": np.array([60.028275541, 60.028127110, 60.028107004, 60.028123484, 60.028116756,
                                          60.028116767]),
    "cycle_life": np.array([300.0, 300.0, 300.0, 300.0, 197.0, 99.0]),
    "censored": np.array([True, True, True, True, False, False]),
}


def _legend_labels(ax) -> list[str]:
    lg = ax.get_legend()
    return [t.get_text() for t in lg.get_texts()] if lg is not None else []


def _panel(fig, ylabel: str):
    return next(ax for ax in fig.axes if ax.get_ylabel() == ylabel)


def _points(ax) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(x, y, marker face colour) of every marker series drawn in data coordinates."""
    return [(np.asarray(ln.get_xdata(), dtype=float), np.asarray(ln.get_ydata(), dtype=float), str(ln.get_mfc()))
            for ln in ax.get_lines()
            if ln.get_marker() not in ("None", "", None) and ln.get_transform() == ax.transData]


def test_sweep_response_marks_censored_cycle_lives_as_lower_bounds():
    from metalair.plotting.design import plot_sweep_response

    ax = _panel(plot_sweep_response(SWEEP, "parameters.residue_blocking"), "Cycle life")
    open_series = [(x, y) for x, y, face in _points(ax) if face in ("white", "none")]
    filled = [(x, y) for x, y, face in _points(ax) if face not in ("white", "none")]
    assert len(open_series) == 1
    np.testing.assert_array_equal(open_series[0][0], RESIDUE[:4])
    assert sorted(np.concatenate([x for x, _ in filled])) == [0.3, 0.6]
    assert [t.get_text() for t in ax.texts] == ["≥"] * 4
    assert any("lower bound" in lbl for lbl in _legend_labels(ax))


def test_sweep_response_masks_values_of_an_incomplete_charge():
    from metalair.plotting.design import plot_sweep_response

    ax = _panel(plot_sweep_response(SWEEP, "parameters.residue_blocking"), "Polarisation [V]")
    drawn = np.concatenate([y for _x, y, _f in _points(ax)] + [np.asarray(ln.get_ydata(), dtype=float)
                                                             for ln in ax.get_lines()
                                                             if ln.get_transform() == ax.transData])
    assert not np.isin(SWEEP["polarisation_V"], drawn).any()  # no polarisation of a partial charge drawn as data
    assert any(lbl.startswith("charge incomplete") for lbl in _legend_labels(ax))
    # a row that recharged fully is drawn as before
    full = dict(SWEEP, coulombic_efficiency_pct=np.array([99.99, 99.99, 60.0, 99.99, 99.99, 99.99]))
    ax = _panel(plot_sweep_response(full, "parameters.residue_blocking"), "Polarisation [V]")
    shown = np.concatenate([y for _x, y, _f in _points(ax)])
    assert sorted(shown) == sorted(np.delete(SWEEP["polarisation_V"], 2))


def test_sweep_response_does_not_magnify_round_off_into_a_trend():
    from metalair.plotting.design import plot_sweep_response

    ax = _panel(plot_sweep_response(SWEEP, "parameters.residue_blocking"), "Coulombic efficiency [%]")
    lo, hi = ax.get_ylim()
    assert hi - lo >= 0.005 * 60.028  # 60.02811-60.02828 %: a flat line on a readable span
    assert lo < SWEEP["coulombic_efficiency_pct"].min() and hi > SWEEP["coulombic_efficiency_pct"].max()
    # a real spread keeps matplotlib's limits
    ax = _panel(plot_sweep_response(SWEEP, "parameters.residue_blocking"), "Polarisation [V]")
    other = dict(SWEEP, coulombic_efficiency_pct=np.full(6, 99.99))
    ax = _panel(plot_sweep_response(other, "parameters.residue_blocking"), "Polarisation [V]")
    lo, hi = ax.get_ylim()
    assert hi - lo < 0.05


def test_log_axis_of_a_sweep_over_a_decade_and_a_half_has_readable_tick_labels():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from metalair.plotting.design import plot_sweep_response

    fig = plot_sweep_response(SWEEP, "parameters.residue_blocking")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        assert ax.get_xscale() == "log"
        labels = [t for t in ax.get_xticklabels(minor=True) if t.get_visible() and t.get_text()]
        assert not labels  # no minor tick labels
        major = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        assert [t.get_text() for t in major] == ["0.02", "0.05", "0.1", "0.164", "0.3", "0.6"]
        boxes = [t.get_window_extent(renderer) for t in major]
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_a_rest_only_cycle_is_not_drawn_as_a_capacity_of_zero():
    from metalair.plotting.cycles import plot_capacity_efficiency
    from metalair.tables.summary import SummaryTable

    # the audit's arbin_example.res: cycle 5 is a rest (capacities 0, no efficiency, "rest only" warning)
    table = SummaryTable(columns={
        "Cycle": np.arange(1, 6),
        "Discharge capacity [mAh/g]": np.array([237.6, 237.2, 237.0, 236.9, 0.0]),
        "Charge capacity [mAh/g]": np.array([241.8, 238.4, 238.1, 238.0, 0.0]),
        "Coulombic efficiency [%]": np.array([98.3, 99.5, 99.5, 99.5, np.nan]),
        "Warnings": np.array(["", "", "", "", "no current in this cycle (rest only)"], dtype=object),
    }, capacity_unit="mAh/g")
    fig = plot_capacity_efficiency(table)
    ax = fig.axes[0]
    capacity_lines = [ln for ln in ax.get_lines() if ln.get_label() in ("discharge", "charge")]
    assert len(capacity_lines) == 2
    for ln in capacity_lines:
        y = np.asarray(ln.get_ydata(), dtype=float)
        assert np.isfinite(y[:4]).all() and not np.isfinite(y[4])  # no point at 0 mAh/g
    assert ax.get_ylim()[0] > 100  # the axis is not stretched down to 0
    labels = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
    assert "rest only (no current)" in labels


def test_a_simulated_cv_is_drawn_as_a_voltammogram():
    import metalair as ma
    from metalair.plotting.simulation import plot_solution

    sol = ma.simulate("NLRO", "CV from 1.5 V to 4.5 V at 10 mV/s for 2 cycles")
    ax = plot_solution(sol).axes[0]
    assert ax.get_xlabel().startswith("Potential [V")
    assert ax.get_ylabel() == "Current [mA/g] (anodic positive)"
    assert _legend_labels(ax) == ["cycle 1", "cycle 2"]
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]
    e = np.concatenate([ln.get_xdata() for ln in lines])
    i = np.concatenate([ln.get_ydata() for ln in lines])
    assert e.min() == pytest.approx(1.5, abs=0.01) and e.max() == pytest.approx(4.5, abs=0.01)
    # anodic positive: the series counts discharge (cathodic) current as positive, so it is drawn flipped
    series = np.asarray(sol["Current [mA/g]"], dtype=float)
    assert i.max() == pytest.approx(-series.min()) and i.min() == pytest.approx(-series.max())
    # the current at the low end (reduction, discharge) is negative
    assert i[np.argmin(e)] < 0


def test_the_inventory_panel_of_a_rest_does_not_magnify_solver_noise():
    import metalair as ma
    from metalair.plotting.simulation import plot_solution

    ax_p = plot_solution(ma.simulate("NLRO", "Rest for 2 h")).axes[1]
    lo, hi = ax_p.get_ylim()
    assert hi - lo == pytest.approx(0.1)
    assert not ax_p.yaxis.get_major_formatter().get_useOffset()


def _pattern_and_analysis():
    from metalair.analysis.diffraction import analyse_diffractogram
    from metalair.tables.spectra import Diffractogram

    tth = np.linspace(10.0, 80.0, 3501)
    inten = 50.0 + sum(h * np.exp(-0.5 * ((tth - c) / 0.08) ** 2) for c, h in ((30.0, 400.0), (35.2, 1500.0)))
    return analyse_diffractogram(Diffractogram(two_theta_deg=tth, intensity=inten, name="p"))


def test_diffraction_draws_matched_and_missing_reference_lines_differently():
    from metalair.analysis.crystal import Reflection
    from metalair.analysis.diffraction import PhaseMatch
    from metalair.plotting.characterisation import plot_diffraction

    def line(tth: float, intensity: float) -> Reflection:
        return Reflection((1, 0, 0), 2.0, tth, 1, 1.0, intensity)

    match = PhaseMatch("NaO2", 0.9, [line(30.0, 100.0), line(35.2, 60.0)], [line(60.0, 20.0)], [0, 1], True, True)
    ax = plot_diffraction(_pattern_and_analysis(), [match]).axes[1]
    styles = {}
    for coll in ax.collections:
        for seg, ls in zip(coll.get_segments(), coll.get_linestyles()):
            styles[float(seg[0][0])] = ls
    assert styles[30.0] == styles[35.2] and styles[60.0] != styles[30.0]
    open_marks = [ln for ln in ax.get_lines() if ln.get_mfc() == "none"]
    assert [float(ln.get_xdata()[0]) for ln in open_marks] == [60.0]
    assert _legend_labels(ax) == ["reference line matched by a peak", "reference line without a peak"]
    assert "2 of 3 lines matched" in ax.texts[0].get_text()


def test_raman_legend_hides_no_peak_label():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from metalair.analysis.raman import analyse_raman
    from metalair.plotting.characterisation import plot_raman
    from metalair.tables.spectra import RamanSpectrum

    shift = np.linspace(400.0, 1800.0, 1401)  # the audit's peaks: RuO2 528 and 646 at the left of the panel
    centres = (528.0, 646.0, 792.0, 1079.0, 1156.0)
    counts = 200.0 + 0.2 * shift + sum(300.0 * np.exp(-0.5 * ((shift - c) / 5.0) ** 2) for c in centres)
    fig = plot_raman(analyse_raman(RamanSpectrum(shift_cm1=shift, intensity=counts, name="r")))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[1]
    legend = ax.get_legend().get_window_extent(renderer)
    assert len(ax.texts) >= 5
    assert not any(legend.overlaps(t.get_window_extent(renderer)) for t in ax.texts)
    assert legend.x0 >= ax.get_window_extent(renderer).x1  # beside the axes: it covers no data either


def _calibration(success: bool, low_c: float):
    from types import SimpleNamespace

    rows = [{"parameter": "solution_blocking", "base": 2.0, "value": 2.2, "ci95_low": 1.5, "ci95_high": 2.84,
             "verdict": "identifiable"},
            {"parameter": "beta_fe", "base": 0.5, "value": 0.4, "ci95_low": 0.35, "ci95_high": 0.5,
             "verdict": "identifiable"},
            {"parameter": "film_blocking", "base": 1.0, "value": 0.9, "ci95_low": low_c, "ci95_high": 1.3,
             "verdict": "not identifiable: wide interval"}]
    fit = SimpleNamespace(names=[r["parameter"] for r in rows], success=success, correlation=np.eye(3))
    return SimpleNamespace(rows=lambda: rows, fit=fit, targets=[1, 2, 3], chi2=5.56)


def test_calibration_figure_ticks_convergence_and_intervals_reaching_zero():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from metalair.calibration.figures import calibration_figure

    fig = calibration_figure(_calibration(False, -0.2))
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    assert "not converged" in ax.get_title()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    lo, hi = ax.get_xlim()
    values = [float(t) for t in labels]
    assert any(1.0 < v <= hi for v in values) and len(values) >= 4  # 1-1.45 is labelled (upper bound 1.42)
    assert not [t for t in ax.get_xticklabels(minor=True) if t.get_text()]
    # the interval of film_blocking reaches below 0: drawn to the axis's left edge, and said
    y = 0.0  # the last row is drawn at the bottom
    at_row = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2 and list(ln.get_ydata()) == [y, y]]
    assert at_row and at_row[0].get_xdata()[1] == pytest.approx(1.3)
    assert any("reaches 0 or below" in t.get_text() for t in ax.texts)
    # a converged fit says nothing of the sort
    fig = calibration_figure(_calibration(True, 0.6))
    assert "not converged" not in fig.axes[0].get_title() and not fig.axes[0].texts


def test_drt_band_is_not_called_a_credible_band_and_is_named_once():
    from pathlib import Path

    from metalair.analysis.impedance.relaxation_times import drt
    from metalair.io.impedance import read_impedance
    from metalair.plotting.electrochem import plot_drt

    spectra = read_impedance(Path(__file__).resolve().parents[1] / "data" / "eis" / "exampleData.csv")
    spectrum = spectra[0] if isinstance(spectra, list) else spectra
    r = drt(spectrum, credible_band=True)
    labels = _legend_labels(plot_drt([r, r], labels=["a", "b"]).axes[0])
    assert not any("credible" in lbl for lbl in labels)
    band = [lbl for lbl in labels if "band" in lbl]
    assert band == ["95 % band of the regularised estimate (noise only, no smoothing bias)"]


def test_screen_map_explains_white_stars_and_marks_censored_stars():
    from metalair.plotting.design import plot_screen_maps

    x, y = np.meshgrid([-2.0, -1.7, -1.4], [0.2, 0.55, 0.9])
    table = {"descriptors.*.icohp": x.ravel(), "catalyst.free_energy_overpotential": y.ravel(),
             "polarisation_V": np.linspace(0.6, 1.4, 9), "coulombic_efficiency_pct": np.full(9, 99.99),
             "cycle_life": np.array([40.0, 40.0, 30.0, 20.0, 40.0, 12.0, 9.0, 8.0, 40.0]),
             "censored": np.array([True, True, False, False, True, False, False, False, True])}
    markers = {"RuO2": (-1.8, 0.35), "NLRO": (-1.5, 0.7)}
    own = {"RuO2": {"polarisation_V": 0.9, "coulombic_efficiency_pct": 60.0, "cycle_life": 40.0, "censored": True},
           "NLRO": {"polarisation_V": 0.8, "coulombic_efficiency_pct": 99.99, "cycle_life": 25.0, "censored": False}}
    fig = plot_screen_maps(table, "descriptors.*.icohp", "catalyst.free_energy_overpotential",
                           ["cycle_life", "polarisation_V"], markers=markers, marker_results=own)
    life, pol = fig.axes[:2]  # the colour bars come after the maps
    assert pol.get_xlabel() == life.get_xlabel() == "all products ICOHP [eV]"
    # RuO2's charge is incomplete: its star on the polarisation map is white, and the legend says what that means
    assert any(lbl.startswith("white star") for lbl in _legend_labels(pol))
    assert not any(lbl.startswith("white star") for lbl in _legend_labels(life))
    # RuO2's own cycle life (40 of 40 cycles) is a lower bound: a ≥ on its star, none on NLRO's
    bounds = [ln for ln in life.get_lines() if ln.get_marker() == "$\\geq$"]
    assert [(float(ln.get_xdata()[0]), float(ln.get_ydata()[0])) for ln in bounds] == [(-1.8, 0.35)]
    assert any(lbl.startswith("≥") for lbl in _legend_labels(life))


def test_free_energy_diagram_labels_sit_under_their_levels_and_eta_has_three_decimals(tmp_path):
    from metalair.catalysts.dft import analyse_free_energy_steps
    from metalair.io.dft import read_free_energy_steps
    from metalair.plotting.design import plot_free_energy_diagram

    path = tmp_path / "steps.csv"
    path.write_text("step,delta_G_eV,electrons\nO2 + Na+ + e- -> NaO2*,-2.05,1\nNaO2* + Na+ + e- -> Na2O2*,-2.6,1\n")
    analysis = analyse_free_energy_steps(read_free_energy_steps(path))
    ax = plot_free_energy_diagram(analysis).axes[0]
    assert f"η_FE {analysis.eta_fe:.3f} V" in ax.get_title().replace("\n", " ")
    for t in ax.get_xticklabels():
        assert t.get_rotation() == 0 and t.get_ha() == "center"


def test_cv_of_a_current_per_mass_is_drawn_in_ma_per_g():
    from metalair.plotting.electrochem import plot_cv_overlay
    from metalair.tables.voltammetry import Voltammogram

    e = np.concatenate([np.linspace(1.5, 4.5, 50), np.linspace(4.5, 1.5, 50)])
    cv = Voltammogram.from_arrays(e, 100.0 * (e - 3.0), current_unit="A/kg", metadata={"file_name": "NLRO.csv"})
    ax = plot_cv_overlay([cv]).axes[0]
    assert ax.get_ylabel() == "Current [mA/g]"
    assert max(np.nanmax(np.abs(ln.get_ydata())) for ln in ax.get_lines()) == pytest.approx(150.0)


def test_ensemble_figure_draws_the_nominal_value_and_says_when_the_band_is_the_sample_range(tmp_path, monkeypatch):
    """The nominal value was printed but not drawn; 12 samples showed a '90 % band' without the table's caveat."""
    import types

    import metalair.calibration.figures as figures

    kept = {}
    monkeypatch.setattr(figures, "_save", lambda fig, path: kept.setdefault("fig", fig))
    v = np.array([1.0, 300.0, 350.0, 360.0, 400.0, 420.0, 500.0, 569.0])
    stats = {"median": 380.0, "p05": 1.0, "p95": 569.0, "failed": 0}
    res = types.SimpleNamespace(outputs=["cycle_life RuO2"], samples_out={"cycle_life RuO2": v},
                                stats={"cycle_life RuO2": stats}, nominal={"cycle_life RuO2": 360.0}, n=v.size,
                                band_caveat="8 samples cannot place a 90 % band")
    figures.plot_ensemble(res, tmp_path / "e.png")
    fig = kept["fig"]
    ax = fig.axes[0]
    assert any(line.get_xdata()[0] == 360.0 and line.get_color() == "tab:red" for line in ax.get_lines())
    assert "too few for a 90 % band" in fig._suptitle.get_text()
    assert "nominal 360" in ax.get_title()
    assert ax.get_legend() is None and fig.legends  # one key below the panels, none over the bars
