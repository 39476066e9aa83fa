"""CyclerData validation, the plausibility checks, and the generic CSV reader."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from cycler_synthetic import build, small

from metalair.errors import DataFormatError, ParameterError
from metalair.io import CyclerData, DataQualityWarning, check_cycler_data, read
from metalair.io.checks import finish
from metalair.tables.cycler import infer_steps_from_current, per_step_accumulated


# --------------------------------------------------------------------------- CyclerData
def test_construction_validates():
    with pytest.raises(ParameterError, match="same length.*voltage_V=3"):
        small(voltage_V=[3.0, 2.9, 2.8])
    with pytest.raises(ParameterError, match="unknown step_type.*'CC_Chg'"):
        small(step_type=["discharge", "discharge", "rest", "CC_Chg"])
    with pytest.raises(ParameterError, match=r"count from 1; record 1 \(counted from 1\) has cycle 0"):
        small(cycle=[0, 1, 1, 1])
    with pytest.raises(ParameterError, match=r"whole numbers; record 2 \(counted from 1\) holds 1.5"):
        small(step=[1, 1.5, 2, 3])
    with pytest.raises(ParameterError, match="numeric"):
        small(time_s=["a", "b", "c", "d"])
    with pytest.raises(ParameterError, match="one-dimensional"):
        small(time_s=np.zeros((2, 2)))


def test_frozen_and_read_only():
    d = small()
    with pytest.raises(AttributeError):
        d.time_s = np.zeros(4)  # type: ignore[misc]
    with pytest.raises(ValueError):
        d.voltage_V[0] = 1.0
    src = np.array([0.0, 1.0, 2.0, 3.0])
    CyclerData(src, src + 2, src * 0, [1, 1, 1, 1], [1, 1, 1, 1], ["rest"] * 4)
    src[0] = 5.0  # the caller's array stays writable (the table holds a copy)


def test_select_and_renumber():
    data = build([("discharge", 1, 2.8, 2.2), ("charge", 1, 3.8, 4.2)] * 3)
    assert data.n_cycles == 3
    assert data.select_cycles(2).n_cycles == 1
    assert data.select_cycles(range(2, 4)).n_cycles == 2
    with pytest.raises(ParameterError, match="none of the cycles \\[7\\]"):
        data.select_cycles(7)
    charge_first = data.renumber_cycles("charge")
    assert charge_first.n_cycles == 4  # D | C D | C D | C
    assert data.renumber_cycles("auto").n_cycles == 3


def test_to_pandas():
    pd = pytest.importorskip("pandas")
    df = small(metadata={"file_name": "x"}).to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns[:3]) == ["time_s", "voltage_V", "current_A"]
    assert df.attrs["file_name"] == "x"


def test_helpers():
    step, kind = infer_steps_from_current(np.array([0, 0, 1, 1, -1, -1, 0.0]))
    np.testing.assert_array_equal(step, [1, 1, 2, 2, 3, 3, 4])
    np.testing.assert_array_equal(kind, ["rest", "rest", "discharge", "discharge", "charge", "charge", "rest"])
    # Arbin-style counter running over a cycle and reset at the next
    running = np.array([0.0, 0.0, 1.0, 2.0, 2.0, 2.5, 0.0, 1.0])
    steps = np.array([1, 1, 2, 2, 3, 4, 5, 5])
    np.testing.assert_allclose(per_step_accumulated(running, steps, reset=False), [0, 0, 1, 2, 0, 0.5, 0, 1])
    # told nothing, the same magnitude counter is recognised (it never falls within a step)
    np.testing.assert_allclose(per_step_accumulated(running, steps), [0, 0, 1, 2, 0, 0.5, 0, 1])


def test_a_signed_net_charge_counter_that_stays_positive_is_continued_at_every_step():
    """Net charge, discharge positive, of a cell that starts with a discharge and returns less than it gave:
    the counter never goes below zero but falls during each charge, which a magnitude counter never does."""
    net = np.array([0.0, 0.0, 2.0, 5.0, 5.0, 3.0, 0.5, 0.5, 2.5, 4.5, 4.5, 2.0, 0.5])
    steps = np.array([1, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 8, 8])
    out = per_step_accumulated(net, steps)
    np.testing.assert_allclose(out, [0, 0, 2, 5, 0, -2, -4.5, 0, 2, 4, 0, -2.5, -4])


# --------------------------------------------------------------------------- checks
def test_fatal_problems_raise():
    with pytest.raises(DataFormatError, match="holds no data records"):
        check_cycler_data(small().take(np.zeros(0, dtype=int)))
    with pytest.raises(DataFormatError, match="1 of 4 voltage values are not finite"):
        check_cycler_data(small(voltage_V=[3.0, np.nan, 2.8, 2.9]))
    with pytest.raises(DataFormatError, match=r"outside the plausible range \(-10, 10\) V.*mV read as V"):
        check_cycler_data(small(voltage_V=[3000.0, 2900.0, 2800.0, 2900.0]))
    with pytest.raises(DataFormatError, match="exceed 1000 A"):
        check_cycler_data(small(current_A=[5000.0, 0, 0, 0]))


def test_warnings_name_count_and_place():
    # records are counted from 1, as a user counts the data lines of a file
    found = check_cycler_data(small(time_s=[0.0, 5.0, 2.0, 3.0]))
    assert any("time goes backwards 1 times (at records 3" in w for w in found)
    found = check_cycler_data(small(cycle=[2, 2, 1, 1], step=[1, 1, 2, 2]))
    assert any("cycle numbers decrease 1 times (at records 3" in w for w in found)
    found = check_cycler_data(small(current_A=[-0.1, -0.1, 0.0, -0.1]))
    assert any("wrong sign for their type" in w for w in found)
    t = np.concatenate([np.arange(100.0), 100000.0 + np.arange(100.0)])
    n = t.size
    jumpy = CyclerData(t, np.full(n, 3.0), np.zeros(n), np.ones(n), np.ones(n), ["rest"] * n)
    assert any("time jumps forward" in w and "at records 101" in w for w in check_cycler_data(jumpy))


def test_capacity_column_is_checked_against_current():
    data = build([("discharge", 1, 2.8, 2.2), ("charge", 1, 3.8, 4.2)])
    assert check_cycler_data(data) == []
    wrong = CyclerData(**{**{k: v for k, v in data.columns().items()}, "capacity_Ah": data.capacity_Ah * 2})
    assert any("disagrees by more than 5 %" in w for w in check_cycler_data(wrong))


def test_finish_warns_once_and_strict_raises():
    bad = small(time_s=[0.0, 5.0, 2.0, 3.0], metadata={"file_name": "run.csv"})
    with pytest.warns(DataQualityWarning, match="run.csv: time goes backwards"):
        out = finish(bad)
    assert out.warnings and "time goes backwards" in out.warnings[0]
    with pytest.raises(DataFormatError, match="run.csv: problems found and strict=True"):
        finish(bad, strict=True)


# --------------------------------------------------------------------------- generic CSV
def _csv(tmp_path, text, name="run.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_generic_csv_units_sign_preamble_and_decimal_comma(tmp_path):
    rows = "\n".join(f"{t};{3.0 - t / 1000:.3f}".replace(".", ",") + f";{-100 if t < 30 else 0}"
                     for t in range(0, 60, 10))
    p = _csv(tmp_path, "instrument: home-made potentiostat\noperator: A. N. Other\nTime (s);Ecell/V;I/mA\n"
             + rows + "\n")
    data = read(p, column_map={"time_s": "Time (s)", "voltage_V": "Ecell/V", "current_A": ("I/mA", -1e-3)})
    np.testing.assert_allclose(data.time_s, [0, 10, 20, 30, 40, 50])
    np.testing.assert_allclose(data.voltage_V, [3.0, 2.99, 2.98, 2.97, 2.96, 2.95])
    np.testing.assert_allclose(data.current_A, [0.1, 0.1, 0.1, 0, 0, 0])  # charge-positive file flipped
    np.testing.assert_array_equal(data.step_type, ["discharge"] * 3 + ["rest"] * 3)
    assert data.metadata["format"] == "csv"


def test_generic_csv_unit_from_name_and_unitless_note(tmp_path):
    p = _csv(tmp_path, "t,U [mV],Current(uA)\n0,3000,5\n1,2990,5\n2,2980,5\n")
    data = read(p, column_map={"time_s": "t", "voltage_V": "U [mV]", "current_A": "Current(uA)"})
    np.testing.assert_allclose(data.voltage_V, [3.0, 2.99, 2.98])
    np.testing.assert_allclose(data.current_A, 5e-6)
    assert any("'t' carries no unit; assumed s" in n for n in data.metadata["notes"])


def test_generic_csv_errors(tmp_path):
    p = _csv(tmp_path, "Time (s),Ecell/V,I/mA\n0,3.0,1\n1,2.9,1\n")
    header = r"\(line 1: 'Time \(s\),Ecell/V,I/mA'\)"
    with pytest.raises(DataFormatError, match=r"no line in the first 500 holds all the mapped column names: 'Ewe/V' "
                                              r"is missing from the likeliest header " + header):
        read(p, column_map={"time_s": "Time (s)", "voltage_V": "Ewe/V", "current_A": "I/mA"})
    with pytest.raises(ParameterError, match="did you mean 'voltage_V'"):
        read(p, column_map={"time_s": "Time (s)", "voltage": "Ecell/V", "current_A": "I/mA"})
    with pytest.raises(ParameterError, match="must name the columns for current_A"):
        read(p, format="csv", column_map={"time_s": "Time (s)", "voltage_V": "Ecell/V"})
    with pytest.raises(ParameterError, match="needs a column_map"):
        read(p, format="csv")
    with pytest.raises(DataFormatError, match="format not recognised"):
        read(p)
    with pytest.raises(ParameterError, match="unknown format 'xlsx'"):
        read(p, format="xlsx")
    # mV given as V is caught by the plausibility check
    q = _csv(tmp_path, "t,U,I\n0,3000,0.001\n1,2990,0.001\n", name="mv.csv")
    with pytest.raises(DataFormatError, match="mV read as V"):
        read(q, column_map={"time_s": "t", "voltage_V": "U", "current_A": "I"})


def test_generic_csv_round_trip(tmp_path):
    from metalair.io import write_cycler_csv

    data = build([("discharge", 2, 2.8, 2.2), ("charge", 2, 3.8, 4.2)] * 2)
    path = write_cycler_csv(data, tmp_path / "rt.csv")
    cmap = {k: k for k in ("time_s", "voltage_V", "current_A", "step", "cycle", "step_type", "capacity_Ah",
                           "energy_Wh")}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # a faithful round trip raises no warning
        back = read(path, column_map=cmap)
    for name in ("time_s", "voltage_V", "current_A", "capacity_Ah", "energy_Wh"):
        np.testing.assert_allclose(getattr(back, name), getattr(data, name), rtol=0, atol=0)
    np.testing.assert_array_equal(back.step_type, data.step_type)
    np.testing.assert_array_equal(back.cycle, data.cycle)


def test_parquet_writer(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    from metalair.io import write_cycler_parquet

    data = build([("discharge", 2, 2.8, 2.2)])
    path = write_cycler_parquet(data, tmp_path / "x.parquet")
    table = pq.read_table(path)
    np.testing.assert_allclose(table.column("voltage_V").to_numpy(), data.voltage_V)
