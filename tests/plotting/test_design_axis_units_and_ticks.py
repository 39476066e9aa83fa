"""Sweep and screen figures: plain tick numbers, a host couple's capacity in mAh/g, protocol units that are units.

Each test reads the drawn artists back (no image comparison).
"""

from __future__ import annotations

import numpy as np
import pytest

from metalair.units import convert, from_user

pytest.importorskip("matplotlib")

RESULTS = {
    "discharge_capacity_mAh_g": np.array([19250.0, 15010.0, 11470.0, 6584.0, 4787.0]),
    "polarisation_V": np.array([1.091, 0.749, 0.556, 0.475, 0.514]),
}


def _drawn_x(ax) -> np.ndarray:
    """The x values of the first line drawn in data coordinates (the response line)."""
    line = next(ln for ln in ax.get_lines() if ln.get_transform() == ax.transData)
    return np.sort(np.asarray(line.get_xdata(), dtype=float))


def test_log_axis_ticks_of_a_current_sweep_are_plain_numbers():
    # the audit's sweep over 50-2000 mA/g: the ticks read "1e+03", "2e+03"
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from metalair.plotting.design import plot_sweep_response

    table = {"protocol.current": np.array([50.0, 100.0, 200.0, 1000.0, 2000.0]), **RESULTS}
    fig = plot_sweep_response(table, "protocol.current", units={"current": "mA/g"})
    FigureCanvasAgg(fig).draw()
    for ax in fig.axes:
        assert ax.get_xscale() == "log"
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        assert labels == ["50", "100", "200", "1000", "2000"]


@pytest.mark.parametrize("value, text", [(0.164, "0.164"), (1000.0, "1000"), (232200.0, "232200"),
                                         (64.5, "64.5"), (2.5e-7, "2.5×10⁻⁷"), (1e-7, "10⁻⁷"),
                                         (3e6, "3×10⁶"), (9.9996e-7, "10⁻⁶")])
def test_tick_text_is_plain_within_reach_and_a_power_of_ten_beyond(value, text):
    from metalair.plotting.design import _tick_text

    assert _tick_text(value) == text


def test_a_host_couple_capacity_is_labelled_and_drawn_in_mah_per_g():
    # labelled "[C/kg of catalyst]" with six-digit ticks; metalair catalysts lists the capacity in mAh/g
    from metalair.plotting.design import column_label, plot_sweep_response

    assert column_label("host_couples.0.capacity") == "host couple 0 capacity [mAh/g]"
    assert column_label("host_couples.*.capacity") == "all host couples capacity [mAh/g]"
    assert column_label("catalyst.molar_mass") == "molar mass [g/mol]"
    assert column_label("host_couples.0.standard_potential") == "host couple 0 standard potential [V vs Na+/Na]"
    mah_g = np.array([16.0, 32.0, 64.5, 128.0, 256.0])
    table = {"host_couples.0.capacity": from_user(mah_g, "mAh/g"), **RESULTS}  # the table holds C/kg
    fig = plot_sweep_response(table, "host_couples.0.capacity")
    for ax in fig.axes:
        assert ax.get_xlabel() == "host couple 0 capacity [mAh/g]"
        np.testing.assert_allclose(_drawn_x(ax), mah_g, rtol=1e-12)
        lo, hi = ax.get_xlim()
        assert lo < 16.0 and 256.0 < hi < 1000.0  # the axis spans the mAh/g values, not 57600-921600


def test_a_map_over_capacity_draws_cells_and_stars_in_mah_per_g():
    from metalair.plotting.design import plot_screen_map

    cap = np.repeat([32.0, 128.0], 2)
    e0 = np.tile([3.0, 3.4], 2)
    table = {"host_couples.0.capacity": from_user(cap, "mAh/g"), "host_couples.0.standard_potential": e0,
             "polarisation_V": np.array([0.45, 0.452, 0.456, 0.462])}
    star = (float(from_user(64.5, "mAh/g")), 3.2)  # a marker given in the table's unit, as the cells
    fig = plot_screen_map(table, "host_couples.0.capacity", "host_couples.0.standard_potential", "polarisation_V",
                          markers={"NLRO": star})
    ax = fig.axes[0]
    assert ax.get_xlabel() == "host couple 0 capacity [mAh/g]"
    lo, hi = ax.get_xlim()
    assert lo < 32.0 and 128.0 < hi < 300.0
    stars = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert stars and stars[0].get_xdata()[0] == pytest.approx(64.5)


def test_protocol_units_take_only_a_unit_after_a_placeholder():
    # "Discharge at {current} until 1.5 V" labelled the current "[until]"
    from metalair.plotting.design import column_label, protocol_units

    units = protocol_units("Discharge at {current} until {cut} V; Charge at {current} until 4.8 V")
    assert units == {"cut": "V"}
    assert column_label("protocol.current", units) == "current"
    assert protocol_units("Discharge at {current}mA/g until 1.5 V") == {"current": "mA/g"}
    assert protocol_units("Rest for {t} min; Discharge at {i} A/g until 1.5 V") == {"t": "min", "i": "A/g"}


def test_a_screen_over_capacities_written_with_units_draws_them_in_mah_per_g(tmp_path, monkeypatch):
    # the values come as text ("32 mAh/g"), are read as numbers by the screen and drawn by the figure:
    # converted once, to the unit of the label
    import metalair.plotting.design as design
    from metalair.sweeps.evaluate import ScreenSettings
    from metalair.sweeps.screen import run_screen

    drawn = []
    original = design.plot_sweep_response

    def keep(*args, **kwargs):
        fig = original(*args, **kwargs)
        drawn.append(fig)
        return fig

    monkeypatch.setattr(design, "plot_sweep_response", keep)
    in_c_kg = f"{convert(128, 'mAh/g', 'C/kg')} C/kg"  # another unit of the same dimension
    cands = [{"host_couples.0.capacity": "32 mAh/g"}, {"host_couples.0.capacity": in_c_kg}]
    settings = ScreenSettings(catalyst="NLRO", protocol="Discharge at 500 mA/g until 1.5 V; Charge at 500 mA/g "
                              "until 4.8 V", plateaus=False, fast=True)
    res = run_screen(cands, settings, tmp_path / "s", scheduler="serial")
    assert "response" in res.files and len(drawn) == 1
    ax = drawn[0].axes[0]
    assert ax.get_xlabel() == "host couple 0 capacity [mAh/g]"
    np.testing.assert_allclose(_drawn_x(ax), [32.0, 128.0], rtol=1e-9)


def test_column_unit_is_the_unit_of_the_label():
    """The figures read a unit-valued axis in the unit of its label: one function gives both."""
    from metalair.plotting.design import column_label, column_unit

    for name, units in (("parameters.loading", None), ("catalyst.free_energy_overpotential", None),
                        ("host_couples.0.capacity", None), ("protocol.current", {"current": "mA/g"})):
        unit = column_unit(name, units)
        assert unit is not None and column_label(name, units).endswith(f"[{unit}]")
    assert column_unit("host_couples.0.capacity") == "mAh/g"
    assert column_unit("protocol.current") is None  # no unit in the template
    assert column_unit("polarisation_V") is None and column_unit("not.a.column.name") is None
