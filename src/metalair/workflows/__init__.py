"""Read → analyse → plot → write functions behind the command line (one per command)."""
