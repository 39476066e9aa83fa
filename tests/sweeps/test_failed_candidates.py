"""A candidate whose simulation fails carries no result numbers, and the map marks it."""

from __future__ import annotations

import math

import pytest

from metalair.sweeps.evaluate import ScreenSettings, evaluate_candidate

REFERENCE = "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V"


def test_a_failed_charge_leaves_the_discharge_and_blanks_the_rest():
    """It kept polarisation -0.23 V from the broken charge, which the map drew as the best cell."""
    out = evaluate_candidate({"descriptors.*.icohp": -5.0, "catalyst.free_energy_overpotential": 0.1},
                             ScreenSettings(catalyst="RuO2", protocol=REFERENCE, fast=True))
    assert out["status"] == "failed" and "stopped at" in out["message"]
    assert 8000 < out["discharge_capacity_mAh_g"] < 9000  # the discharge finished: a result
    for key in ("polarisation_V", "mean_charge_voltage_V", "coulombic_efficiency_pct", "charge_capacity_mAh_g"):
        assert math.isnan(out[key]), key
    assert out["charge_plateaus"] is None


def test_a_map_over_two_of_three_axes_shows_one_slice_and_names_it():
    """Eight candidates on a 2 x 2 map overplotted; the map now shows the slice at the third axis' first value."""
    from metalair.sweeps.screen import map_slice

    cols = {"a": [1, 1, 1, 1, 2, 2, 2, 2], "b": [1, 1, 2, 2, 1, 1, 2, 2], "c": [5, 6, 5, 6, 5, 6, 5, 6]}
    keep, fixed = map_slice(cols, ("a", "b"))
    assert keep == [True, False, True, False, True, False, True, False]
    assert fixed == ["c = 5"]
    assert map_slice({"a": [1, 2], "b": [3, 4]}, ("a", "b")) == (None, [])


def test_a_descriptor_set_for_every_product_and_for_one_is_refused(tmp_path):
    """The row recorded NaO2 = -2.0 while the model ran NaO2 at -1.5 (the later column won)."""
    from metalair.errors import ParameterError
    from metalair.sweeps.screen import run_screen

    cands = [{"descriptors.NaO2.icohp": -2.0, "descriptors.*.icohp": -1.5}]
    with pytest.raises(ParameterError, match=r"'descriptors.\*.icohp' and 'descriptors.NaO2.icohp' both set icohp"):
        run_screen(cands, ScreenSettings(catalyst="RuO2", protocol=REFERENCE, fast=True), tmp_path / "s",
                   scheduler="serial")
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("axis, message", [
    ("descriptors.Na2CO3.d_band_centre", r"on RuO2 the state in which Na2CO3 is decomposed takes its d-band centre "
                                         r"from NaO2 .* so this axis changes nothing"),
    ("descriptors.NaO2.stage", r"RuO2 has one catalytic state \(no host couples\), so a stage changes nothing"),
])
def test_an_axis_the_model_does_not_read_is_refused(tmp_path, axis, message):
    """Two bit-identical rows read as 'this descriptor does not matter'."""
    from metalair.errors import ParameterError
    from metalair.sweeps.screen import run_screen

    cands = [{axis: v} for v in ((-2.5, -1.0) if axis.endswith("centre") else (0, 1))]
    with pytest.raises(ParameterError, match=message):
        run_screen(cands, ScreenSettings(catalyst="RuO2", protocol=REFERENCE, fast=True), tmp_path / "s",
                   scheduler="serial")


@pytest.mark.parametrize("text, message", [
    ("descriptors.*.icohp=-2.4:-1.2:1", r"one point from -2.4 to -1.2 would be the start alone"),
    ("descriptors.*.icohp=-2.4:-2.4:3", r"start and stop are both -2.4, so the 3 points are one candidate repeated"),
    ("descriptors.*.icohp=-2.0,-2.0", r"-2.0 given more than once"),
])
def test_grid_axes_that_drop_or_repeat_values_are_refused(text, message):
    from metalair.errors import ParameterError
    from metalair.sweeps.candidates import parse_axis

    with pytest.raises(ParameterError, match=message):
        parse_axis(text)


def test_a_bare_parameter_value_far_from_its_default_is_noted():
    """'--param loading=0.5,1.0' ran at 0.5 kg/m² (50 mg/cm², 100x the default) without a word."""
    from metalair.cli.design import far_from_default

    notes = far_from_default([{"parameters.loading": 0.5}, {"parameters.loading": 1.0}])
    assert len(notes) == 1 and "parameters.loading = 0.5 is far from its default 0.005 kg/m²" in notes[0]
    assert far_from_default([{"parameters.loading": 0.004}, {"parameters.loading": "0.5 mg/cm²"}]) == []


def test_a_screen_keeps_the_catalyst_files_it_was_built_from(tmp_path):
    """The manifest held only a relative path and a hash: once base.toml was edited the rows could not be rebuilt."""
    import dataclasses

    from metalair.catalysts import RUO2
    from metalair.catalysts.files import load_catalyst, save_catalyst
    from metalair.sweeps.screen import run_screen

    base = save_catalyst(dataclasses.replace(RUO2, name="RuO2-mine"), tmp_path / "base.toml")
    res = run_screen([{"descriptors.NaO2.icohp": v} for v in (-2.0, -1.5)],
                     ScreenSettings(catalyst=str(base), protocol="Discharge at 100 mA/g for 100 mAh/g", fast=True,
                                    plateaus=False), tmp_path / "s", scheduler="serial")
    kept = tmp_path / "s" / "catalysts" / "base.toml"  # by file name: two files may hold catalysts of one name
    assert kept.exists() and load_catalyst(kept) == load_catalyst(base)
    assert str(kept) in res.files.values()


def test_a_sampled_screen_is_mapped_whole_not_sliced():
    """Sampled candidates take each value once: a slice at the first value kept one point of 1000."""
    from metalair.sweeps.screen import map_slice

    cols = {"a": [0.1, 0.5, 0.9, 0.3], "b": [1.0, 2.0, 3.0, 4.0], "c": [5.5, 6.1, 5.9, 6.3]}
    assert map_slice(cols, ("a", "b")) == (None, [])
