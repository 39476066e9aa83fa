"""CLI commands for measured data: ``analyze`` and ``fit`` (registered on the main app)."""

from __future__ import annotations

from metalair.cli.app import app  # noqa: F401
