"""dQ/dV figure: the smoothing's side lobes beside a sharp plateau are drawn dotted and named, not as charge."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from metalair.tables.cycler import CyclerData


def _record(plateau_width_V: float) -> CyclerData:
    """One discharge with a plateau at 2.2 V (then a fall to 1.5 V) and one charge with plateaus at 2.5 and 3.5 V.

    Along each plateau the voltage is logistic in the capacity, so that dQ/dV is a smooth bell of width
    ``plateau_width_V``: 1 mV is the flat plateau of a simulated cell (a spike in dQ/dV far narrower than the
    smoothing window), 0.1 V a broad peak of a measured one.
    """
    n = 200
    s = np.linspace(0.005, 0.995, n)
    bell = plateau_width_V * np.log(s / (1.0 - s))
    dis = np.concatenate([2.2 - bell, np.linspace(2.2 - bell[-1] - 0.05, 1.5, 10)])  # and the end-of-discharge fall
    half = n // 2
    s2 = np.linspace(0.005, 0.995, half)
    bell2 = plateau_width_V * np.log(s2 / (1.0 - s2))
    ch = np.concatenate([2.5 + bell2, 3.5 + bell2])
    t, v, i, step, kind = [], [], [], [], []
    t0 = 0.0
    for k, (vv, current) in enumerate(((dis, 1e-3), (ch, -1e-3)), start=1):
        t.append(t0 + 36.0 * np.arange(vv.size))
        t0 = t[-1][-1] + 36.0
        v.append(vv)
        i.append(np.full(vv.size, current))
        step.append(np.full(vv.size, k))
        kind.append(np.full(vv.size, "discharge" if current > 0 else "charge"))
    return CyclerData(time_s=np.concatenate(t), voltage_V=np.concatenate(v), current_A=np.concatenate(i),
                      step=np.concatenate(step), cycle=np.ones(sum(x.size for x in v), dtype=int),
                      step_type=np.concatenate(kind), metadata={"file_name": "plateaus"})


def _lines(ax):
    return [ln for ln in ax.get_lines() if np.unique(np.asarray(ln.get_xdata(), dtype=float)).size > 2]


def test_sharp_plateaus_side_lobes_are_dotted_and_named():
    import matplotlib.pyplot as plt

    from metalair.plotting.cycles import plot_dqdv

    fig = plot_dqdv(_record(0.001))
    ax = fig.axes[0]
    solid = [ln for ln in _lines(ax) if ln.get_linestyle() == "-"]
    dotted = [ln for ln in _lines(ax) if ln.get_linestyle() == ":"]
    assert len(solid) == 2 and len(dotted) == 2  # a discharge and a charge, each with lobes
    for ln in solid:  # a discharge drawn below zero and a charge above it: nothing of the other sign is solid
        y = np.asarray(ln.get_ydata(), dtype=float)
        y = y[np.isfinite(y)]
        assert (y <= 0).all() or (y >= 0).all()
    lobe = max(np.nanmax(np.abs(np.asarray(ln.get_ydata(), dtype=float))) for ln in dotted)
    assert lobe > 0.02 * max(np.nanmax(np.abs(np.asarray(ln.get_ydata(), dtype=float))) for ln in solid)
    assert "side lobes of the smoothing" in ax.get_xlabel()
    plt.close(fig)


def test_broad_peaks_have_no_lobe_note():
    import matplotlib.pyplot as plt

    from metalair.plotting.cycles import plot_dqdv

    fig = plot_dqdv(_record(0.1))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Voltage [V]"
    assert not [ln for ln in _lines(ax) if ln.get_linestyle() == ":"]
    plt.close(fig)
