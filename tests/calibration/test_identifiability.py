"""Identifiability from a sensitivity matrix: collinearity index and subset selection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metalair.calibration.identifiability import collinearity_index, identifiability
from metalair.errors import ParameterError


def test_collinearity_index_of_two_columns_is_known():
    # unit columns at angle theta: eigenvalues of [[1, c], [c, 1]] are 1 +- c -> gamma = 1/sqrt(1 - |c|)
    for theta in (0.2, 0.7, 1.5):
        S = np.array([[1.0, math.cos(theta)], [0.0, math.sin(theta)], [0.0, 0.0]])
        assert collinearity_index(3.0 * S) == pytest.approx(1.0 / math.sqrt(1.0 - abs(math.cos(theta))))
    assert collinearity_index(np.eye(4)) == pytest.approx(1.0)
    assert collinearity_index(np.array([[1.0, 2.0], [2.0, 4.0]])) == math.inf
    assert collinearity_index(np.array([[1.0, 0.0], [2.0, 0.0]])) == math.inf


def test_subset_selection_flags_collinear_and_insensitive_parameters():
    rng = np.random.default_rng(1)
    a, b, c = rng.normal(size=6), rng.normal(size=6), rng.normal(size=6)
    S = np.column_stack([10 * a, 5 * b, -4 * a + 1e-3 * c, 1e-3 * b])
    rep = identifiability(S, ["a", "b", "a_twin", "weak"], [f"t{i}" for i in range(6)])
    assert rep.identifiable == ("a", "b")
    assert rep.verdicts["a_twin"].startswith("not identifiable: fix from literature (collinearity index")
    assert "with a (|cos| 1.00)" in rep.verdicts["a_twin"]
    assert "insensitive" in rep.verdicts["weak"]
    assert rep.rank == 3 and rep.effective_rank == 2
    assert rep.identified_by["a"][0] == f"t{int(np.argmax(np.abs(a)))}"


def test_identifiability_checks_shapes():
    with pytest.raises(ParameterError, match="expected"):
        identifiability(np.zeros((3, 2)), ["a"], ["t1", "t2", "t3"])
