"""Catalyst-design audit (s27): units of catalyst axes, switching axes, incomplete charges, failure reasons."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.catalysts import RUO2
from metalair.catalysts.files import catalyst_to_toml
from metalair.cli.app import app
from metalair.cli.design import far_from_default
from metalair.errors import ParameterError
from metalair.sweeps import candidates as C
from metalair.sweeps.evaluate import ScreenSettings, apply_candidate, evaluate_candidate


def test_bare_host_couple_capacity_far_from_the_base_is_refused_with_its_unit():
    # 32 and 64.5 meant in mAh/g were read as C/kg: the Ru couple vanished and the rows were identical
    with pytest.raises(ParameterError, match=r"host_couples.0.capacity = 32 is a bare number, read in C/kg.*"
                                             r"'host_couples.0.capacity=32 mAh/g'"):
        far_from_default(C.grid(["host_couples.0.capacity=32,64.5"]), catalyst="NLRO")
    with pytest.raises(ParameterError, match=r"catalyst.molar_mass = 124.68 is a bare number.*'124.68 g/mol'"):
        far_from_default([{"catalyst.molar_mass": 124.68}], catalyst="NLRO")
    # with the unit, or a bare SI number near the base value: accepted
    assert far_from_default(C.grid(["host_couples.0.capacity=32 mAh/g,64.5 mAh/g"]), catalyst="NLRO") == []
    assert far_from_default([{"host_couples.*.capacity": 232200.0}], catalyst="NLRO") == []
    # other catalyst fields far from the base: a note, as for parameters.*
    notes = far_from_default([{"host_couples.0.rate_constant": 1e-6}], catalyst="NLRO")
    assert len(notes) == 1 and "far from NLRO's" in notes[0]


def test_screen_cli_refuses_a_bare_capacity_before_running(tmp_path):
    res = CliRunner().invoke(app, ["screen", "--catalyst", "NLRO", "--grid", "host_couples.0.capacity=32,64.5",
                                   "--scheduler", "serial", "-o", str(tmp_path / "s")])
    assert res.exit_code == 1
    assert "64.5 mAh/g" in res.output or "32 mAh/g" in res.output
    assert not (tmp_path / "s" / "results.csv").exists()


@pytest.mark.parametrize("spec", ["true,false", "True,False", "1,0", "yes,no"])
def test_switching_axis_takes_booleans(spec):
    cands = C.grid([f"catalyst.switching={spec}"])
    assert [apply_candidate(c)[0].switching for c in cands] == [True, False]


def test_switching_column_of_a_table_takes_booleans(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("catalyst.switching\nTRUE\nfalse\n1\n0\n")
    assert [apply_candidate(c)[0].switching for c in C.from_table(p)] == [True, False, True, False]
    with pytest.raises(ParameterError, match=r"switching = 'maybe' must be true or false"):
        apply_candidate({"catalyst.switching": "maybe"})


def test_a_charge_that_stopped_early_is_marked_and_complete_rows_are_unchanged():
    settings = ScreenSettings(plateaus=False)
    ruo2 = evaluate_candidate({"catalyst": "RuO2"}, settings)  # recharges ~60 % of its discharge before 4.8 V
    assert ruo2["status"] == "ok" and ruo2["coulombic_efficiency_pct"] < 98
    assert "charge incomplete" in ruo2["message"] and f"{ruo2['coulombic_efficiency_pct']:.1f} %" in ruo2["message"]
    # the number itself is kept: the reference run's polarisation (the screen's faster step control moves it < 1 mV)
    from metalair import simulate
    from metalair.calibration.targets import polarisation
    from metalair.protocols.simulation import REFERENCE_PROTOCOL

    reference = polarisation(simulate("RuO2", REFERENCE_PROTOCOL))
    assert ruo2["polarisation_V"] == pytest.approx(reference, abs=1e-3)
    nlro = evaluate_candidate({"catalyst": "NLRO"}, settings)
    assert nlro["status"] == "ok" and "charge incomplete" not in nlro["message"]


def test_map_masks_polarisation_of_incomplete_charges():
    from metalair.plotting.design import plot_screen_map

    x, y = np.repeat([1.0, 2.0], 2), np.tile([1.0, 2.0], 2)
    table = {"x": x, "y": y, "polarisation_V": np.array([0.3, 1.0, 1.1, 1.2]),
             "coulombic_efficiency_pct": np.array([60.0, 100.0, 100.0, 100.0])}
    fig = plot_screen_map(table, "x", "y", "polarisation_V")
    mesh = fig.axes[0].collections[0]
    shown = np.ma.masked_invalid(mesh.get_array()).compressed()
    assert sorted(shown.tolist()) == [1.0, 1.1, 1.2]  # 0.3 V is not drawn as the best cell
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any("charge incomplete" in lab for lab in labels)
    assert not any("failed" in lab for lab in labels)


def test_failed_candidate_reason_is_printed_whatever_the_order(tmp_path):
    good = tmp_path / "ruo2.toml"
    good.write_text(catalyst_to_toml(RUO2))
    bad = tmp_path / "pos.toml"
    text = catalyst_to_toml(RUO2)
    line = next(x for x in text.splitlines() if x.startswith("icohp"))
    bad.write_text(text.replace(line, "icohp = 1.55", 1))
    res = CliRunner().invoke(app, ["screen", str(good), str(bad), "--scheduler", "serial", "--summary-only",
                                   "--no-progress", "-o", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    assert "candidate 1 error" in res.output and "icohp = 1.55 is out of range" in res.output

