"""Workflows: read -> analyse -> plot -> write, one function each, called by the CLI."""
