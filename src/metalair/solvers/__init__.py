"""Battery-agnostic numerics: the scalar root finder and the adaptive integrator."""
