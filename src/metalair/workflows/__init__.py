"""Workflows: read → analyse → plot → write, one function per command, called by the CLI."""
