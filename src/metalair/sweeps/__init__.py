"""Sweeps and screens on Dask: candidates, the batch engine, the per-candidate evaluation."""

from __future__ import annotations

__all__ = ["run_sweep", "SweepResult", "SweepError", "evaluate_candidate", "ScreenSettings", "CyclingSettings"]


def __getattr__(name: str):  # keep `import metalair.sweeps` light: dask and pyarrow load on first use
    if name in ("run_sweep", "SweepResult", "SweepError"):
        from metalair.sweeps import engine

        return getattr(engine, name)
    if name in ("evaluate_candidate", "ScreenSettings", "CyclingSettings"):
        from metalair.sweeps import evaluate

        return getattr(evaluate, name)
    raise AttributeError(f"module 'metalair.sweeps' has no attribute {name!r}")
