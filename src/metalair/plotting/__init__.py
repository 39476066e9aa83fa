"""Figures (matplotlib only, imported inside the functions that draw).

Names are loaded on first use, so ``import metalair.plotting`` does not import
matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["plot_voltage_capacity", "plot_capacity_efficiency", "plot_dqdv", "save_cycle_figures"]

_LAZY = {name: "metalair.plotting.cycles" for name in __all__}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
