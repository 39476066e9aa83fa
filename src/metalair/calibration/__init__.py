"""Calibration and uncertainty: targets as data, calibrate, identifiability, leave-one-out, ensembles.

Workflow tier: uses the model (through simulations), the analysis functions
and the shared least-squares core; holds no physics.
"""

from __future__ import annotations

from metalair.calibration.calibrate import CalibrationResult, calibrate, profile_likelihood
from metalair.calibration.identifiability import IdentifiabilityReport, collinearity_index, identifiability
from metalair.calibration.targets import (
    OBSERVABLES,
    PUBLISHED,
    Target,
    builtin_targets,
    load_targets,
    targets_from_cycler,
)

__all__ = [
    "CalibrationResult", "calibrate", "profile_likelihood", "IdentifiabilityReport", "collinearity_index",
    "identifiability", "OBSERVABLES", "PUBLISHED", "Target", "builtin_targets", "load_targets", "targets_from_cycler",
]
