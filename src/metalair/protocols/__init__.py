"""Protocols: step objects, the text form, and the Simulation that runs them."""

from __future__ import annotations

from metalair._lazy import lazy_exports
from metalair.protocols.parser import ACCEPTED_FORMS, as_protocol, format_protocol, parse_protocol
from metalair.protocols.steps import Charge, Cycle, Discharge, Hold, Protocol, Rest, Sweep, flatten

__all__ = [
    "Discharge", "Charge", "Rest", "Hold", "Sweep", "Cycle", "Protocol", "flatten",
    "parse_protocol", "format_protocol", "as_protocol", "ACCEPTED_FORMS",
    "Simulation", "simulate", "REFERENCE_PROTOCOL",
]


# lazy: the simulation pulls in the model and scipy
__getattr__, __dir__ = lazy_exports(__name__, {name: "metalair.protocols.simulation"
                                               for name in ("Simulation", "simulate", "REFERENCE_PROTOCOL")})
