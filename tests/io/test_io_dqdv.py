"""dQ/dV and plateau detection on synthetic curves with known plateaus."""

from __future__ import annotations

import numpy as np
import pytest

from metalair.analysis.incremental_capacity import dqdv, find_plateaus
from metalair.errors import ParameterError

VOLTS = (2.70, 2.40, 2.00)
SHARES = (0.30, 0.50, 0.20)
SLOPE = 0.02  # V drop across the whole half-cycle (plateaus are not perfectly flat)


def three_plateau_discharge(n=3000, noise_V=0.0, seed=0):
    """V(q) on q in [0, 1]: three plateaus joined by steep tanh steps, a slight overall slope,
    a quick drop at the start and a tail at the end."""
    q = np.linspace(0.0, 1.0, n)
    edges = np.cumsum((0.0,) + SHARES)
    v = np.full(n, VOLTS[0])
    for k in (1, 2):
        v += (VOLTS[k] - VOLTS[k - 1]) * 0.5 * (1 + np.tanh((q - edges[k]) / 0.004))
    v += -SLOPE * q + 0.15 * np.exp(-q / 0.01) - 0.3 * np.exp(-(1 - q) / 0.01)
    rng = np.random.default_rng(seed)
    return v + noise_V * rng.standard_normal(n), q


def expected_voltage(k):
    centre = np.cumsum((0.0,) + SHARES)[k] + SHARES[k] / 2
    return VOLTS[k] - SLOPE * centre


@pytest.mark.parametrize(("noise_V", "seed"), [(0.0, 0), (0.002, 1), (0.005, 2), (0.005, 3)])
def test_three_plateaus_found(noise_V, seed):
    v, q = three_plateau_discharge(noise_V=noise_V, seed=seed)
    plateaus = find_plateaus(v, q)
    assert len(plateaus) == 3
    for k, p in zip((2, 1, 0), plateaus):  # sorted by increasing voltage
        assert p.voltage_V == pytest.approx(expected_voltage(k), abs=0.01)
        assert p.capacity_share == pytest.approx(SHARES[k], abs=0.03)
    assert sum(p.capacity_share for p in plateaus) == pytest.approx(1.0, abs=0.02)


def test_charge_direction_and_units_do_not_matter():
    """A charge written with the discharge-positive sign (capacity falling) and in mAh/g."""
    v, q = three_plateau_discharge()
    a = find_plateaus(v, q)
    b = find_plateaus(v[::-1], -500.0 * q[::-1])
    assert [round(p.voltage_V, 4) for p in a] == [round(p.voltage_V, 4) for p in b]
    assert [p.capacity_share for p in a] == pytest.approx([p.capacity_share for p in b], abs=1e-6)
    assert b[0].capacity == pytest.approx(500.0 * a[0].capacity, rel=1e-6)


def test_dqdv_conserves_charge_and_matches_a_linear_curve():
    q = np.linspace(0.0, 2.0, 401)
    v = 3.0 - 0.5 * q  # dQ/dV = 2 per volt everywhere
    curve = dqdv(v, q, grid_step_V=0.005, window_V=0.05)
    assert np.sum(curve.raw) * curve.grid_step_V == pytest.approx(2.0, rel=1e-9)
    inner = (curve.voltage_V > 2.1) & (curve.voltage_V < 2.9)
    np.testing.assert_allclose(curve.raw[inner], 2.0, rtol=1e-9)
    np.testing.assert_allclose(curve.smoothed[inner], 2.0, rtol=1e-9)


def test_noise_alone_gives_no_plateau_split():
    """A sloping curve with noise has one broad feature at most, not a forest of peaks."""
    rng = np.random.default_rng(5)
    q = np.linspace(0, 1, 2000)
    v = 3.5 - 1.0 * q + 0.003 * rng.standard_normal(q.size)
    assert len(find_plateaus(v, q)) <= 1


def test_bad_input():
    with pytest.raises(ParameterError, match="at least 5 points"):
        dqdv([3.0, 2.9], [0.0, 1.0])
    with pytest.raises(ParameterError, match="same length"):
        dqdv(np.ones(10), np.ones(9))
    with pytest.raises(ParameterError, match="does not change"):
        dqdv(np.full(10, 3.0), np.arange(10.0))
    with pytest.raises(ParameterError, match="NaN"):
        dqdv(np.r_[np.nan, np.linspace(3, 2, 9)], np.arange(10.0))
    with pytest.raises(ParameterError, match="prominence"):
        find_plateaus(*three_plateau_discharge(), prominence=2.0)


def test_plateau_voltages_do_not_move_with_the_first_sample():
    """The voltage grid lies on whole multiples of its spacing: shifting or dropping the first sample (a
    slightly different start of the record) leaves the plateau voltages where they were, to 0.1 mV."""
    v, q = three_plateau_discharge()
    base = [p.voltage_V for p in find_plateaus(v, q)]
    for start_shift in (-3e-3, -1e-3, 1e-3, 4e-3):
        v2 = v.copy()
        v2[0] += start_shift
        moved = [p.voltage_V for p in find_plateaus(v2, q)]
        np.testing.assert_allclose(moved, base, atol=1e-4)
    dropped = [p.voltage_V for p in find_plateaus(v[1:], q[1:] - q[1])]
    np.testing.assert_allclose(dropped, base, atol=1e-4)
    curve = dqdv(v, q)
    assert curve.grid_step_V in (1e-3, 2e-3, 5e-3)  # 1/400 of the ~1 V range rounded down to 1, 2 or 5 x 10^k
    np.testing.assert_allclose(curve.voltage_V / curve.grid_step_V - 0.5,
                               np.round(curve.voltage_V / curve.grid_step_V - 0.5), atol=1e-6)


def test_dqdv_imported_from_the_package_is_the_function():
    """It shared its name with its module: 'from metalair.analysis import dqdv' gave the module (not callable)."""
    import metalair.analysis as analysis
    from metalair.analysis import dqdv as imported

    assert callable(imported) and callable(analysis.dqdv) and analysis.dqdv is imported


def test_a_maccor_cv_step_labelled_charge_is_no_plateau_once_without_cv(tmp_path):
    """Maccor labels a CV step 'charge': find_plateaus on the raw half-cycle reported the CV as a 4.20 V plateau."""
    import lzma
    from pathlib import Path

    from metalair.analysis.cycle_metrics import half_cycles, without_cv
    from metalair.io import read

    src = Path(__file__).resolve().parents[1] / "data" / "maccor" / "maccor_one.txt.xz"
    path = tmp_path / "maccor_one.txt"
    path.write_bytes(lzma.decompress(src.read_bytes()))
    data = read(path)
    charge = next(h for h in half_cycles(data, cycle_start="discharge") if h.kind == "charge" and h.cycle == 2)
    raw = find_plateaus(charge.voltage_V, charge.capacity_Ah)
    assert any(abs(p.voltage_V - 4.2) < 0.01 for p in raw)  # the CV step read as a plateau
    v, q = without_cv(data, charge)
    assert not any(abs(p.voltage_V - 4.2) < 0.01 for p in find_plateaus(v, q))


def test_a_cc_cv_charge_written_as_one_step_loses_its_cv_tail():
    """Neware's CCCV_Chg (or steps inferred from the current's sign) holds the CC part and the CV tail in one
    step; only whole hold steps were removed, so a linear CC curve showed a "plateau" at 4.2 V holding 100 %."""
    from metalair.analysis.cycle_metrics import half_cycles, without_cv
    from metalair.analysis.incremental_capacity import find_plateaus
    from metalair.tables.cycler import CyclerData

    n_cc, n_cv, dt = 1080, 360, 10.0
    t = np.arange(n_cc + n_cv) * dt
    v = np.concatenate([3.6 + 0.6 * np.linspace(0.0, 1.0, n_cc), np.full(n_cv, 4.2)])
    i = np.concatenate([np.full(n_cc, -1e-3), -1e-3 * np.exp(-np.arange(n_cv) * dt / 900.0)])
    data = CyclerData(time_s=t, voltage_V=v, current_A=i, step=np.ones(t.size, dtype=int),
                      cycle=np.ones(t.size, dtype=int), step_type=np.full(t.size, "charge"))
    (half,) = half_cycles(data)
    vk, qk = without_cv(data, half)
    assert n_cc <= vk.size <= n_cc + 2  # the CC part, not the tail
    assert find_plateaus(vk, qk) == []
    # a constant-current step ending on a flat plateau keeps every point
    flat = CyclerData(time_s=t, voltage_V=np.concatenate([v[:n_cc], np.full(n_cv, 4.2 + 1e-4)]),
                      current_A=np.full(t.size, -1e-3), step=np.ones(t.size, dtype=int),
                      cycle=np.ones(t.size, dtype=int), step_type=np.full(t.size, "charge"))
    (half,) = half_cycles(flat)
    assert without_cv(flat, half)[0].size == t.size


def test_half_cycle_curves_end_at_the_tables_capacity_when_integrating():
    """Integrating the current, the step table counted the interval from the previous record to a step's first
    record with the step's first current, and half_cycles did not: its V(Q) curves (dQ/dV, fit, figures) ended
    0.67 % short of the capacity in the table."""
    from metalair.analysis.cycle_metrics import cycle_summary, half_cycles
    from metalair.tables.cycler import CyclerData

    n_rest, n_dis = 15, 150
    t = np.arange(n_rest + n_dis) * 120.0
    current = np.concatenate([np.zeros(n_rest), np.full(n_dis, 2e-4)])
    data = CyclerData(time_s=t, voltage_V=np.linspace(2.9, 2.4, t.size), current_A=current,
                      step=np.concatenate([np.ones(n_rest, dtype=int), np.full(n_dis, 2)]),
                      cycle=np.ones(t.size, dtype=int),
                      step_type=np.array(["rest"] * n_rest + ["discharge"] * n_dis))
    table = cycle_summary(data, capacity_source="integrate")
    (half,) = half_cycles(data, capacity_source="integrate")
    assert half.capacity_Ah[-1] * 1e3 == pytest.approx(table["Discharge capacity [mAh]"][0], rel=1e-12)
    assert table["Discharge capacity [mAh]"][0] == pytest.approx(2e-4 * n_dis * 120.0 / 3.6, rel=1e-12)
