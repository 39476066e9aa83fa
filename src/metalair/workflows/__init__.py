"""Workflows: read → analyse → plot → write, one function per task (catalyst_design: DFT files to a catalyst)."""
