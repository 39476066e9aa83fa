"""metalair: simulation and lab-data analysis for metal-air batteries."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
