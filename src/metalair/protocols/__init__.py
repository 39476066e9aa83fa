"""Protocols: step objects, the text form, and the Simulation that runs them."""

from __future__ import annotations

from metalair.protocols.parser import ACCEPTED_FORMS, as_protocol, format_protocol, parse_protocol
from metalair.protocols.steps import Charge, Cycle, Discharge, Hold, Protocol, Rest, Sweep, flatten

__all__ = [
    "Discharge", "Charge", "Rest", "Hold", "Sweep", "Cycle", "Protocol", "flatten",
    "parse_protocol", "format_protocol", "as_protocol", "ACCEPTED_FORMS",
    "Simulation", "simulate", "REFERENCE_PROTOCOL",
]


def __getattr__(name):  # lazy: the simulation pulls in the model and scipy
    if name in ("Simulation", "simulate", "REFERENCE_PROTOCOL"):
        from metalair.protocols import simulation

        return getattr(simulation, name)
    raise AttributeError(f"module 'metalair.protocols' has no attribute {name!r}")
