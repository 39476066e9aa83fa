"""Figures (matplotlib, imported on first use).

Names are loaded on first use, so ``import metalair.plotting`` does not import
matplotlib.
"""

from __future__ import annotations

from metalair._lazy import lazy_exports

_LAZY = {
    **{name: "metalair.plotting.cycles" for name in
       ("plot_voltage_capacity", "plot_capacity_efficiency", "plot_dqdv", "save_cycle_figures")},
    **{name: "metalair.plotting.simulation" for name in
       ("plot_solution", "plot_comparison", "plot_cycling", "save_figure", "new_figure")},
    "plot_fit": "metalair.plotting.fitting",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
