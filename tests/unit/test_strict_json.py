"""Result files are strict JSON: no NaN or Infinity, which strict parsers (JavaScript, jq) refuse."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair._files import atomic_write_json, json_ready
from metalair.cli.app import app


def _strict(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def test_json_ready_turns_non_finite_numbers_into_null(tmp_path):
    data = {"a": math.nan, "b": [np.float64(np.inf), np.int64(3), 1.5], 2: (np.array([1.0, np.nan]),),
            "c": 1 + 2j, "d": np.bool_(True), "e": None}
    assert json_ready(data) == {"a": None, "b": [None, 3, 1.5], "2": [[1.0, None]], "c": [1.0, 2.0], "d": True,
                                "e": None}
    path = atomic_write_json(tmp_path / "x.json", data)
    assert _strict(path.read_text())["a"] is None


def test_the_summary_of_a_run_whose_energy_efficiency_is_undefined_is_strict_json(tmp_path):
    """RuO2 recovers 60 % of its discharge: energy efficiency is undefined (NaN), written as null."""
    res = CliRunner().invoke(app, ["simulate", "-c", "RuO2", "--out", str(tmp_path / "r"), "--no-plot"])
    assert res.exit_code == 0, res.output
    (summary,) = (tmp_path / "r").glob("*summary.json")
    doc = _strict(summary.read_text())
    assert doc["energy_efficiency_pct"] is None
    with pytest.raises(ValueError, match="NaN"):
        _strict('{"x": NaN}')
