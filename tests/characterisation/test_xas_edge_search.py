"""The derivative E0 of a scan that starts close to the edge, scans without an edge, and the CLI's edge ranges.

The synthetic edge is an arctangent step on a sloping line, µ(E) = 0.2 − 10⁻⁴ (E − E0) + ½ + arctan((E − E0)/Γ)/π,
whose derivative is largest exactly at E0: a right answer known in advance.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.analysis.xas import normalize
from metalair.cli.app import app
from metalair.errors import DataFormatError
from metalair.tables.spectra import XasSpectrum

E0 = 7120.0


def _edge(start_eV: float, end_eV: float = 800.0, step_eV: float = 0.5, sign: float = 1.0) -> XasSpectrum:
    e = np.arange(E0 + start_eV, E0 + end_eV, step_eV)
    mu = 0.2 - 1e-4 * (e - E0) + sign * (0.5 + np.arctan((e - E0) / 1.5) / np.pi)
    return XasSpectrum(energy_eV=e, mu=mu, name="edge")


def test_scan_starting_35_eV_below_the_edge_finds_the_edge() -> None:
    # 1660 points at 0.5 eV: the first 5 % of points reach 41.5 eV above the start, past the edge
    norm = normalize(_edge(-35.0))
    assert norm.e0_eV == pytest.approx(E0, abs=0.05)
    assert norm.pre_range_eV[0] == pytest.approx(-35.0, abs=0.5)


def test_scan_starting_30_eV_below_the_edge_is_refused_with_the_file_and_the_option() -> None:
    with pytest.raises(DataFormatError, match=r"edge: pre-edge range .* starts 30 eV below E0.*--pre-range"):
        normalize(_edge(-30.0))
    norm = normalize(_edge(-30.0), pre1=-30.0, pre2=-10.0)
    assert norm.e0_eV == pytest.approx(E0, abs=0.05)


def test_falling_mu_is_refused() -> None:
    with pytest.raises(DataFormatError, match="rises nowhere"):
        normalize(_edge(-200.0, sign=-1.0))


@pytest.mark.parametrize("seed", range(6))
def test_noise_without_an_edge_is_refused(seed: int) -> None:
    e = np.arange(E0 - 30.0, E0 + 800.0, 0.5)
    mu = 1.0 + 0.01 * np.random.default_rng(seed).standard_normal(e.size)
    with pytest.raises(DataFormatError, match="no absorption edge"):
        normalize(XasSpectrum(energy_eV=e, mu=mu, name="noise"))


def test_noisy_edge_is_still_found() -> None:
    spec = _edge(-200.0)
    mu = spec.mu + 0.02 * np.random.default_rng(3).standard_normal(spec.mu.size)
    norm = normalize(XasSpectrum(energy_eV=spec.energy_eV, mu=mu, name="noisy"))
    assert norm.e0_eV == pytest.approx(E0, abs=0.5)
    assert norm.edge_step == pytest.approx(1.0, abs=0.05)


def test_cli_pre_range_and_norm_range_reach_the_normalisation(tmp_path: Path) -> None:
    spec = _edge(-30.0)
    f = tmp_path / "u30.dat"
    np.savetxt(f, np.column_stack([spec.energy_eV, spec.mu]), header="energy mu")
    runner = CliRunner()
    refused = runner.invoke(app, ["xas", str(f), "-o", str(tmp_path / "a"), "--no-plot"])
    assert refused.exit_code == 1
    assert "--pre-range" in refused.output
    ok = runner.invoke(app, ["xas", str(f), "--pre-range", "-30:-10", "--norm-range", "100:700",
                             "-o", str(tmp_path / "b"), "--no-plot"])
    assert ok.exit_code == 0, ok.output
    with open(tmp_path / "b" / "xas.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert float(row["e0_eV"]) == pytest.approx(E0, abs=0.05)
    assert float(row["pre_high_eV"]) == pytest.approx(-10.0)
    assert float(row["norm_low_eV"]) == pytest.approx(100.0)
    assert float(row["norm_high_eV"]) == pytest.approx(700.0)
    wrong = runner.invoke(app, ["xas", str(f), "--pre-range", "7000:7100", "-o", str(tmp_path / "c"), "--no-plot"])
    assert wrong.exit_code == 1
    assert "relative to E0" in wrong.output
