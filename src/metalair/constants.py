"""Physical constants (CODATA 2018 exact values where defined), SI units."""

from __future__ import annotations

#: Faraday constant [C/mol]
F = 96485.33212
#: Molar gas constant [J/(mol K)]
R = 8.314462618
#: Boltzmann constant [eV/K]
K_B_EV = 8.617333262e-5
#: Standard temperature [K]
T_REF = 298.15
#: Standard pressure [Pa] (IUPAC 1 bar)
P_STD = 1.0e5
#: Seconds per hour
HOUR = 3600.0

#: The built-in gas environments as a user writes them (``environment("dry air")``, ``-e "pure O2"``),
#: ambient air (the default) first; :mod:`metalair.chemistry.environment` defines each under its name.
ENVIRONMENT_NAMES: tuple[str, ...] = ("ambient air", "dry air", "pure O2", "argon")
