"""Cell models: the lumped air-electrode model, its declaration, parameters and compiled step."""
