"""Sweeps and screens on Dask: candidates, the batch engine, the per-candidate evaluation."""

from __future__ import annotations

from metalair._lazy import lazy_exports

__all__ = ["run_sweep", "SweepResult", "SweepError", "evaluate_candidate", "ScreenSettings", "CyclingSettings"]


# keep `import metalair.sweeps` light: dask and pyarrow load on first use
__getattr__, __dir__ = lazy_exports(__name__, {
    **{name: "metalair.sweeps.engine" for name in ("run_sweep", "SweepResult", "SweepError")},
    **{name: "metalair.sweeps.evaluate" for name in ("evaluate_candidate", "ScreenSettings", "CyclingSettings")},
})
