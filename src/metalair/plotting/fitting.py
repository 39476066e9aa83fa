"""The figure of a parameter fit: measured and fitted curves with the residuals beneath."""

from __future__ import annotations

from typing import Any

from metalair.analysis.fitting import FitResult
from metalair.plotting.simulation import new_figure, wrapped
from metalair.units import convert

__all__ = ["plot_fit"]


def plot_fit(result: FitResult) -> Any:
    """Measured (dots) and fitted (lines) voltage against capacity per half-cycle, residuals beneath.

    Returns the matplotlib Figure.
    """
    fig = new_figure((8, 6.5))
    ax_v, ax_r = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.4]})
    palette = {"discharge": ["#c0392b", "#e67e22", "#943126", "#d98880"],
               "charge": ["#2471a3", "#117a65", "#1a5276", "#76d7c4"]}
    counters = {"discharge": 0, "charge": 0}
    to_mV = float(convert(1.0, "V", "mV"))
    for c in result.curves:
        t = c.target
        color = palette[t.kind][counters[t.kind] % 4]
        counters[t.kind] += 1
        tag = f"{'set ' + str(t.dataset) + ' ' if result.n_sets > 1 else ''}cycle {t.cycle} {t.kind}"
        ax_v.plot(t.capacity_mAh_g, t.voltage_V, "o", ms=2.5, color=color, alpha=0.45, label=f"{tag} measured")
        ax_v.plot(c.model_capacity_trace_mAh_g, c.model_voltage_trace_V, "-", lw=1.8, color=color,
                  label=f"{tag} fitted")
        ax_r.plot(t.capacity_mAh_g, to_mV * c.residual_V, "o-", ms=2, lw=0.8, color=color)
    ax_r.axhline(0.0, color="0.3", lw=0.8)
    ax_v.set_ylabel("Cell voltage [V]")
    ax_v.grid(alpha=0.3)
    ax_v.legend(fontsize=7, ncol=2, loc="best")
    verdict = " (not converged)" if not result.success else (" (POOR FIT: the model does not describe these curves)"
                                                               if result.poor_fit else "")
    ax_v.set_title(wrapped(f"{result.catalyst}: fit of {', '.join(result.names)} — RMSE {result.rmse_V * to_mV:.1f} mV"
                           + verdict, 7.5, 9), fontsize=9)
    ax_r.set_xlabel("Capacity in half-cycle [mAh/g]")
    ax_r.set_ylabel("Model − measured [mV]")
    ax_r.grid(alpha=0.3)
    return fig
