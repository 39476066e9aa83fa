"""Exception classes used across metalair.

Every error a user can trigger subclasses one of the standard exceptions, so
``except ValueError`` still works, and carries a message that says what was
wrong, which value, and what is allowed.
"""

from __future__ import annotations

__all__ = [
    "MetalairError",
    "ParameterError",
    "ProtocolError",
    "DataFormatError",
    "SolverError",
    "KeyNotFoundError",
]


class MetalairError(Exception):
    """Base class of all metalair errors."""


class ParameterError(MetalairError, ValueError):
    """A parameter value is missing, not finite, or outside its allowed range."""


class ProtocolError(MetalairError, ValueError):
    """A protocol (step list or text) is malformed or impossible."""


class DataFormatError(MetalairError, ValueError):
    """A data file is damaged, truncated, empty or in an unsupported format."""


class SolverError(MetalairError, RuntimeError):
    """The time integration failed; the message says what to try."""


class KeyNotFoundError(MetalairError, KeyError):
    """An output key does not exist; the message suggests close matches."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else ""
