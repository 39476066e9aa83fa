"""metalair: simulation and lab-data analysis for metal–air batteries.

Quick start::

    import metalair as ma
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V")
    sol["Voltage [V]"], sol["Capacity [mAh/g]"], sol.steps
"""

from __future__ import annotations

from metalair._lazy import lazy_exports
from metalair._version import __version__
from metalair.catalysts import NLRO, RUO2, Catalyst, Descriptors, HostCouple, get_catalyst
from metalair.catalysts.files import load_catalyst, save_catalyst
from metalair.chemistry import AMBIENT_AIR, DRY_AIR, PURE_O2, SODIUM, Environment, environment
from metalair.errors import (
    DataFormatError,
    KeyNotFoundError,
    MetalairError,
    ParameterError,
    ProtocolError,
    SolverError,
)
from metalair.models.parameters import DEFAULT_PARAMETERS, LumpedParameters
from metalair.protocols import (
    Charge,
    Cycle,
    Discharge,
    Hold,
    Protocol,
    Rest,
    Sweep,
    format_protocol,
    parse_protocol,
)
from metalair.solvers.integrate import SolverSettings

__all__ = [
    "__version__",
    "Simulation", "simulate", "Solution", "LumpedAirElectrode",
    "LumpedParameters", "DEFAULT_PARAMETERS", "SolverSettings",
    "Catalyst", "Descriptors", "HostCouple", "NLRO", "RUO2", "get_catalyst", "load_catalyst", "save_catalyst",
    "Environment", "environment", "AMBIENT_AIR", "DRY_AIR", "PURE_O2", "SODIUM",
    "Discharge", "Charge", "Rest", "Hold", "Sweep", "Cycle", "Protocol", "parse_protocol", "format_protocol",
    "MetalairError", "ParameterError", "ProtocolError", "DataFormatError", "SolverError", "KeyNotFoundError",
]


# keep `import metalair` fast: scipy and the model load on first use
__getattr__, __dir__ = lazy_exports(__name__, {
    "Simulation": "metalair.protocols.simulation",
    "simulate": "metalair.protocols.simulation",
    "Solution": "metalair.protocols.solution",
    "LumpedAirElectrode": "metalair.models.lumped",
}, submodules=("analysis", "calibration", "catalysts", "chemistry", "io", "models", "physics", "plotting",
               "protocols", "solvers", "sweeps", "tables", "units", "workflows"))
