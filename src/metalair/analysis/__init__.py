"""Analysis of simulated solutions and measured data.

Functions here take :mod:`metalair.tables` objects (or a simulated solution)
and return numbers and tables; they read no files and draw nothing (that is
:mod:`metalair.io`, :mod:`metalair.plotting` and :mod:`metalair.workflows`).
Names are loaded on first use, so ``import metalair.analysis`` stays fast.
"""

from __future__ import annotations

from metalair._lazy import lazy_exports

_LAZY = {
    "cycle_summary": "metalair.analysis.cycle_metrics",
    "cycle_life": "metalair.analysis.cycle_metrics",
    "half_cycles": "metalair.analysis.cycle_metrics",
    "CycleLife": "metalair.analysis.cycle_metrics",
    "HalfCycle": "metalair.analysis.cycle_metrics",
    "SummaryTable": "metalair.tables.summary",
    "dqdv": "metalair.analysis.incremental_capacity",
    "find_plateaus": "metalair.analysis.incremental_capacity",
    "Plateau": "metalair.analysis.incremental_capacity",
    "fit_model": "metalair.analysis.fitting",
    "FitResult": "metalair.analysis.fitting",
    "protocol_from_data": "metalair.analysis.fitting",
    "simulated_cycle_summary": "metalair.analysis.simulated",
    "to_cycler_data": "metalair.analysis.simulated",
    "summarize": "metalair.analysis.summary",
    "format_summary": "metalair.analysis.summary",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
