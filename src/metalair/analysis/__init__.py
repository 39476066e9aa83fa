"""Analysis of simulated solutions and measured data.

Names are loaded on first use, so ``import metalair.analysis`` stays fast and
pulls in no optional dependency.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "cycle_summary",
    "cycle_life",
    "half_cycles",
    "analyze_file",
    "SummaryTable",
    "CycleLife",
    "CycleAnalysis",
    "dqdv",
    "find_plateaus",
    "Plateau",
    "fit_model",
    "FitResult",
    "protocol_from_data",
    "run_cycling",
    "stage_analysis",
    "simulated_cycle_summary",
    "to_cycler_data",
]

_LAZY = {
    "cycle_summary": "metalair.analysis.cycles",
    "cycle_life": "metalair.analysis.cycles",
    "half_cycles": "metalair.analysis.cycles",
    "analyze_file": "metalair.analysis.cycles",
    "SummaryTable": "metalair.analysis.cycles",
    "CycleLife": "metalair.analysis.cycles",
    "CycleAnalysis": "metalair.analysis.cycles",
    "dqdv": "metalair.analysis.dqdv",
    "find_plateaus": "metalair.analysis.dqdv",
    "Plateau": "metalair.analysis.dqdv",
    "fit_model": "metalair.analysis.fitting",
    "FitResult": "metalair.analysis.fitting",
    "protocol_from_data": "metalair.analysis.fitting",
    "run_cycling": "metalair.analysis.cycling",
    "stage_analysis": "metalair.analysis.cycling",
    "simulated_cycle_summary": "metalair.analysis.cycling",
    "to_cycler_data": "metalair.analysis.simulated",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
