"""Figures (matplotlib, imported on first use).

Names are loaded on first use, so ``import metalair.plotting`` does not import
matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    **{name: "metalair.plotting.cycles" for name in
       ("plot_voltage_capacity", "plot_capacity_efficiency", "plot_dqdv", "save_cycle_figures")},
    **{name: "metalair.plotting.simulation" for name in
       ("plot_solution", "plot_comparison", "plot_cycling", "save_figure", "new_figure")},
    "plot_fit": "metalair.plotting.fitting",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
