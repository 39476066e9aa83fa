"""analyze_file checks its cycle-life arguments instead of dropping or choking on them (from an API audit)."""

from __future__ import annotations

import pytest

from metalair.errors import ParameterError
from metalair.workflows.analyze import analyze_file


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"capacity_limit_mAh_g": -5}, r"capacity_limit_mAh_g = -5 is out of range; allowed range \(0, 50000\] mAh/g"),
    ({"capacity_limit_mAh_g": 1e6}, "capacity_limit_mAh_g = 1e[+]06 is out of range"),
    ({"eod_threshold_V": "2 A"}, "'2 A' is a current, but a potential is needed here"),
    ({"progress": 5}, "progress = 5 must be a function"),
])
def test_bad_cycle_life_arguments_are_refused_before_reading(data_file, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        analyze_file(data_file("biologic/mb.mpt"), figures=False, **kwargs)


def test_a_per_gram_limit_without_a_mass_is_said_not_dropped(data_file):
    # the limit was dropped and the life said "capacity limit not given; inferred"
    res = analyze_file(data_file("neware/nw4-120-1-6-53.ndax"), capacity_limit_mAh_g="500 mAh/g", figures=False)
    assert any("the capacity limit 500 mAh/g is per gram and the record has no catalyst mass" in n for n in res.notes)


def test_a_time_series_metalair_wrote_is_read_back_per_gram(tmp_path):
    # 'metalair analyze' of a simulate CSV said "format not recognised"; with a column map its
    # 'Current [mA/g]' was read as A, 1000x too big
    import metalair as ma
    from metalair.analysis.cycle_metrics import cycle_summary
    from metalair.io import detect_format, read

    sol = ma.simulate("NLRO", "Discharge at 500 mA/g for 200 mAh/g; Charge at 500 mA/g for 200 mAh/g")
    sol.to_csv(tmp_path / "run.csv")
    assert detect_format(tmp_path / "run.csv") == "metalair_series"
    for mass in (None, 5e-4):
        data = read(tmp_path / "run.csv", mass_g=mass)
        table = cycle_summary(data)
        assert table["Discharge capacity [mAh/g]"][0] == pytest.approx(sol.steps[0].capacity_mAh_g, rel=1e-3)
        assert table["Charge capacity [mAh/g]"][0] == pytest.approx(sol.steps[1].capacity_mAh_g, rel=1e-3)
    with pytest.raises(ParameterError, match=r"column 'Current \[mA/g\]' is per g of catalyst \(mA/g\)"):
        read(tmp_path / "run.csv", column_map={"time_s": "Time [s]", "voltage_V": "Voltage [V]",
                                               "current_A": "Current [mA/g]"}, mass_g=5e-4)


def test_a_half_cell_that_ends_below_0_v_is_judged_without_a_lower_limit(data_file):
    # analyze_file took the lowest end of discharge (-0.004 V) as v_min and cycle_life refused it
    res = analyze_file(data_file("biologic/mb.mpt"), eod_threshold_V=3.0, figures=False)
    assert res.life is not None
    assert any("lies outside the 0-10 V a cell voltage limit takes" in n for n in res.notes)


def test_records_that_start_with_a_charge_are_not_failed_in_cycle_1(data_file):
    # the lone first charge was judged a cycle whose discharge gave 0 mAh: cycle life 0
    for name in ("arbin/arbin_example.res", "neware/nw4-120-1-6-53.ndax"):
        res = analyze_file(data_file(name), eod_threshold_V=3.0, figures=False)
        assert res.life.first_failed_cycle != 1 and res.life.cycle_life > 0, (name, str(res.life))


def test_a_column_map_with_an_instrument_format_is_refused(data_file):
    # '--format mpt --columns ...' ignored the columns and said "columns present: ." (an empty list)
    from metalair.io import read

    with pytest.raises(ParameterError, match="a column map .* names the columns of a generic CSV file"):
        read(data_file("biologic/mb.mpt"), format="mpt", column_map={"time_s": "time/s"})
