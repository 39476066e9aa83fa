"""metalair: simulation and lab-data analysis for metal–air batteries.

Quick start::

    import metalair as ma
    sol = ma.simulate("NLRO", "Discharge at 100 mA/g until 1.5 V; Charge at 100 mA/g until 4.8 V")
    sol["Voltage [V]"], sol["Capacity [mAh/g]"], sol.steps
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metalair._lazy import lazy_exports
from metalair._version import __version__
from metalair.errors import (
    DataFormatError,
    KeyNotFoundError,
    MetalairError,
    ParameterError,
    ProtocolError,
    SolverError,
)

if TYPE_CHECKING:  # for type checkers and editors; at run time each name loads on first use
    from metalair.catalysts import NLRO, RUO2, Catalyst, Descriptors, HostCouple, get_catalyst
    from metalair.catalysts.files import load_catalyst, save_catalyst
    from metalair.chemistry import AMBIENT_AIR, DRY_AIR, PURE_O2, SODIUM, Environment, environment
    from metalair.models.lumped import LumpedAirElectrode
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
    from metalair.protocols.simulation import Simulation, simulate
    from metalair.protocols.solution import Solution
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


# keep `import metalair` fast (and interruptible from the command line): numpy, numba, scipy and the model
# load on first use of a name that needs them
__getattr__, __dir__ = lazy_exports(__name__, {
    **dict.fromkeys(["NLRO", "RUO2", "Catalyst", "Descriptors", "HostCouple", "get_catalyst"], "metalair.catalysts"),
    **dict.fromkeys(["load_catalyst", "save_catalyst"], "metalair.catalysts.files"),
    **dict.fromkeys(["AMBIENT_AIR", "DRY_AIR", "PURE_O2", "SODIUM", "Environment", "environment"],
                    "metalair.chemistry"),
    **dict.fromkeys(["DEFAULT_PARAMETERS", "LumpedParameters"], "metalair.models.parameters"),
    **dict.fromkeys(["Charge", "Cycle", "Discharge", "Hold", "Protocol", "Rest", "Sweep", "format_protocol",
                     "parse_protocol"], "metalair.protocols"),
    "SolverSettings": "metalair.solvers.integrate",
    "Simulation": "metalair.protocols.simulation",
    "simulate": "metalair.protocols.simulation",
    "Solution": "metalair.protocols.solution",
    "LumpedAirElectrode": "metalair.models.lumped",
}, submodules=("analysis", "calibration", "catalysts", "chemistry", "io", "models", "physics", "plotting",
               "protocols", "solvers", "sweeps", "tables", "units", "workflows"))
