"""Candidate generators: grids, tables, samples, catalyst files."""

from __future__ import annotations

import pytest

from metalair.errors import ParameterError
from metalair.sweeps import candidates as C


def test_parse_axis_forms():
    assert C.parse_axis("a=1,2.5,x") == ("a", [1, 2.5, "x"])
    assert C.parse_axis("d=-2.4:-1.2:4") == ("d", [-2.4, -2.0, -1.6, -1.2])
    with pytest.raises(ParameterError, match="name=v1"):
        C.parse_axis("nothing")
    with pytest.raises(ParameterError, match="start:stop:num"):
        C.parse_axis("a=1:2")


def test_grid_last_axis_fastest():
    g = C.grid({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(g) == 6 and g[0] == {"a": 1, "b": "x"} and g[1] == {"a": 1, "b": "y"} and g[3] == {"a": 2, "b": "x"}
    with pytest.raises(ParameterError, match="no values"):
        C.grid({"a": []})


@pytest.mark.parametrize("method", C.SAMPLERS)
def test_sample_is_deterministic_and_in_range(method):
    r = {"x": (-2.0, -1.0), "k": (1e-3, 1e1, "log")}
    a = C.sample(r, 64, method=method, seed=3)
    assert a == C.sample(r, 64, method=method, seed=3)
    assert a != C.sample(r, 64, method=method, seed=4)
    assert all(-2.0 <= c["x"] <= -1.0 and 1e-3 <= c["k"] <= 1e1 for c in a)
    small = sum(c["k"] < 1e-1 for c in a)  # log-uniform: half the samples below the geometric middle
    assert 20 <= small <= 44


def test_sample_errors():
    with pytest.raises(ParameterError, match="low < high"):
        C.sample({"x": (1.0, 0.0)}, 4)
    with pytest.raises(ParameterError, match="low > 0"):
        C.sample({"x": (0.0, 1.0, "log")}, 4)
    with pytest.raises(ParameterError, match="sobol, lhs, random"):
        C.sample({"x": (0.0, 1.0)}, 4, method="halton")
    with pytest.raises(ParameterError, match="positive integer"):
        C.sample({"x": (0.0, 1.0)}, 0)


def test_table_and_files(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("# comment\ncatalyst,descriptors.*.icohp\nRuO2,-1.5\nNLRO,\n")
    assert C.from_table(p) == [{"catalyst": "RuO2", "descriptors.*.icohp": -1.5}, {"catalyst": "NLRO"}]
    assert C.catalyst_files(["NLRO"]) == [{"catalyst": "NLRO"}]
    with pytest.raises(ParameterError, match="does not exist"):
        C.catalyst_files([str(tmp_path / "x.toml")])


def test_grid_refuses_a_string_or_a_number_for_an_axis_and_takes_arrays():
    # {'protocol.current': '50,200'} became the candidates '5', '0', ',', '2', '0', '0' (a string is a sequence)
    import numpy as np

    for values in ("50,200", 50):
        with pytest.raises(ParameterError, match=r"grid axis 'protocol.current': give its values as a list, e\.g\. "
                                                 r"\{'protocol.current': \[50, 200\]\}"):
            C.grid({"protocol.current": values})
    assert [c["x"] for c in C.grid({"x": np.linspace(0.0, 1.0, 3)})] == [0.0, 0.5, 1.0]
    assert len(C.grid({"x": range(3), "y": (1, 2)})) == 6


def test_a_grid_too_large_to_run_is_refused_before_it_is_built():
    """An audit found 1e5 x 1e5 grid points filling 14 GB before any message, and 1e9 points on one axis ending in
    a traceback from numpy's linspace: both are refused from their counts."""
    from metalair.sweeps.candidates import grid, parse_axis

    with pytest.raises(ParameterError, match=r"100,000 x 100,000 = 10,000,000,000 candidates, more than 10,000,000"):
        grid(["catalyst.free_energy_overpotential=0.2:0.6:100000", "descriptors.*.icohp=-3:-1:100000"])
    with pytest.raises(ParameterError, match=r"axis a: num = 1,000,000,000 is more than 10,000,000"):
        parse_axis("a=0.2:0.6:1000000000")
    assert len(grid(["a=0:1:30", "b=1,2,3"])) == 90  # below the limit a grid is built as before
