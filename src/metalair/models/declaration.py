r"""The lumped cell model, declared once: state, constants, reactions, outputs.

Everything downstream is generated from this module: the index layout the
compiled kernel uses (:data:`Y`, :data:`O`), the constants it receives
(:class:`Constants`, by the names of the parameters they come from), the
charge bookkeeping by reaction channel, the gas bookkeeping (from each
process's stoichiometry), the product inventories and their element content
(for the sodium and oxygen balances), and the names of every output of a
simulation (``"NaO2 current [mA/g]"``, ``"O2 uptake [mol/g]"``, ...).

Adding a reaction means one entry here and one physics function (see
``CONTRIBUTING.md``, "Adding a reaction"). Redox couples of the simple
insertion type (a capacity that is oxidised and reduced with Butler–Volmer
kinetics) need no kernel code at all: a :class:`Couple` entry is enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "StateIndex", "Y", "N_BASE_STATES", "STATE_TOLERANCE",
    "OutputIndex", "O", "N_FIXED_OUTPUTS",
    "Constants", "Couple", "Process", "Inventory", "Channel",
    "CHANNELS", "PROCESSES", "INVENTORIES", "SODIUM_PRODUCTS", "LEFT_AFTER_CHARGE", "GASES", "DIAGNOSTICS",
]


class StateIndex(NamedTuple):
    """Positions of the model's state variables; the couples' oxidised fractions follow."""

    nao2_solution: int          #: NaO2 grown through solution (cubes) [mol/kg]
    na2o2: int                  #: Na2O2 [mol/kg]
    carbonate: int              #: Na2CO3·xH2O, all of it [mol/kg]
    residue: int                #: Na-containing residue of superoxide attack on the electrolyte [mol/kg]
    oxidised_electrolyte: int   #: deposited oxidised electrolyte [mol/kg]
    potential: int              #: air-electrode interfacial potential (double layer) [V]
    nao2_film: int              #: NaO2 grown at the surface (film) [mol/kg]
    carbonate_exposed: int      #: carbonate in contact with the catalyst [mol/kg]


#: Index of each state variable (``y[Y.na2o2]``).
Y = StateIndex(*range(len(StateIndex._fields)))
#: Number of states before the couples' oxidised fractions.
N_BASE_STATES = len(Y)
#: Step-control scale of each base state: "potential" states are held to SolverSettings.max_change,
#: "inventory" states to rtol*|y| + atol; couples' fractions (appended) use COUPLE_ATOL, scaled
#: with atol (see :meth:`~metalair.models.lumped.LumpedAirElectrode.tolerances`).
STATE_TOLERANCE = ("inventory", "inventory", "inventory", "inventory", "inventory", "potential",
                   "inventory", "inventory")
#: Absolute error scale of a couple's oxidised fraction (dimensionless, 0..1) in the step control at
#: the default ``SolverSettings.atol``; a tighter (looser) ``atol`` scales it by the same factor.
COUPLE_ATOL = 1e-2


class OutputIndex(NamedTuple):
    """Positions in a kernel output row, after the new state (``out[n_states + O.i_nao2]``)."""

    # channel currents, anodic positive [A/kg]
    i_nao2: int
    i_na2o2: int
    i_carbonate: int
    i_residue: int
    i_electrolyte: int
    i_double_layer: int
    # amounts over the step [mol/kg] (see PROCESSES)
    n_nao2_formed: int
    n_nao2_decomposed: int
    n_na2o2_formed: int
    n_na2o2_decomposed: int
    n_carbonate_decomposed: int
    n_residue_decomposed: int
    n_disproportionated: int
    n_nao2_carbonated: int
    n_na2o2_carbonated: int
    n_electrolyte_attack: int
    n_electrolyte_oxidised: int
    # diagnostics
    o2_saturation: int      #: c_O2 / c_O2(air) at the reaction zone [-]
    o2_limit: int           #: F x the largest O2 supply: the one-electron current O2 transport allows [A/kg]
    d_band: int             #: d-band centre of the present catalyst state [eV]
    film_fraction: int      #: fraction of new NaO2 grown as a film [-]
    free_area: int          #: free catalyst area fraction for O2 reduction [-]
    skin_factor: int        #: exchange-current factor of the interfacial skin, 10^(-λθ) [-]
    cell_current: int       #: cell current, discharge positive [A/kg]
    cell_voltage: int       #: cell voltage [V]
    abs_current: int        #: |cell current| [A/kg]


#: Index of each output (``out[ny + O.i_nao2]``); one current per couple follows.
O = OutputIndex(*range(len(OutputIndex._fields)))  # noqa: E741 - the output layout, named like Y
N_FIXED_OUTPUTS = len(O)


class Constants(NamedTuple):
    """Every constant the kernel reads, each named after the parameter or quantity it comes from.

    Built by :class:`metalair.models.lumped.LumpedAirElectrode` from
    :class:`~metalair.models.parameters.LumpedParameters`, the catalyst and the
    environment; numba passes it to the compiled kernel as a tuple of floats.
    """

    T: float                                # temperature [K]
    specific_area: float                    # A0 [m²/kg]
    double_layer_capacitance: float         # [F/kg] (per kg: C_dl x A0)
    ohmic_resistance: float                 # [Ω kg]
    anode_exchange_current: float           # [A/kg]
    o2_film_supply: float                   # O2 supply through the clean wetted film [mol/(s kg)]
    o2_deposit_resistance: float            # added resistance per deposit volume [s/mol per m³/kg]
    E_NaO2: float                           # [V]
    E_Na2O2: float                          # [V]
    E_Na2CO3: float                         # [V]
    alpha_anodic: float
    alpha_cathodic: float
    i0_form_NaO2: float                     # [A/m²] in the run's atmosphere (mass action)
    desorption_ref: float                   # [A/m²] superoxide desorption reference: i0_form_NaO2 as set
    i0_form_Na2O2: float
    i0_dec_NaO2: float                      # references of the descriptor relation [A/m²]
    i0_dec_Na2O2: float
    i0_dec_Na2CO3: float
    i0_dec_residue: float
    contact_NaO2: float                     # product inventory that saturates product–catalyst contact [mol/kg]
    contact_Na2O2: float
    contact_Na2CO3: float
    contact_residue: float
    gamma_d: float
    beta_binding: float
    beta_fe: float
    binding_ref: float
    gamma_ads: float
    d_band_ref: float
    solution_blocking: float
    film_blocking: float
    residue_blocking: float
    tunnel_length: float
    tunnel_width: float
    residue_monolayer: float
    residue_passivation_decades: float
    k_disproportionation: float
    k_carbonation: float                    # at the environment's CO2 [1/s]
    k_electrolyte_attack: float
    electrolyte_oxidation_potential: float
    i0_electrolyte_oxidation: float
    alpha_electrolyte_oxidation: float
    electrolyte_oxidation_deposit: float
    hydrate_water: float                    # x in Na2CO3·xH2O in this environment
    vm_NaO2: float                          # molar volumes [m³/mol]
    vm_Na2O2: float
    vm_Na2CO3: float
    vm_residue: float
    vm_oxidised_electrolyte: float
    icohp_NaO2: float                       # catalyst descriptors [eV]
    icohp_Na2O2: float
    icohp_Na2CO3: float
    d_band_NaO2: float
    d_band_Na2O2: float
    d_band_Na2CO3: float
    d_band_state_NaO2: float                # d-band centre of the state each product's descriptors belong to [eV]
    d_band_state_Na2O2: float
    d_band_state_Na2CO3: float
    eta_fe_NaO2: float                      # [V]
    eta_fe_Na2O2: float
    eta_fe_Na2CO3: float


@dataclass(frozen=True)
class Couple:
    """A redox couple of the insertion type: a capacity oxidised and reduced with Butler–Volmer kinetics.

    A catalyst's host couples are couples with ``host=True`` (their progress
    sets the catalyst state); any other couple is an extra reaction channel of
    its own (its current, charge and oxidised fraction appear in the outputs
    under ``name``).
    """

    name: str
    standard_potential: float   #: [V]
    width: float                #: [V]
    rate_constant: float        #: [1/s]
    capacity: float             #: [C/kg]
    host: bool = False


@dataclass(frozen=True)
class Process:
    """One process whose amount over a step the kernel reports, with its stoichiometry.

    ``electrons`` are released to the electrode per mole (anodic positive);
    ``uptake`` is the gas taken from the air per mole, as ``(O2, CO2, H2O per x)``
    where the H2O entry multiplies the carbonate's hydrate water ``x``.
    """

    name: str
    output: str                 #: field of OutputIndex holding the amount [mol/kg]
    channel: str | None         #: the current channel it belongs to (None: chemical)
    electrons: float
    uptake: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Channel:
    """A current channel: a reaction the faradaic bookkeeping reports by name."""

    name: str
    output: str | None          #: field of OutputIndex holding its current (None: generated, e.g. "Host")
    product: bool = False       #: True when its charge forms or removes a sodium product


@dataclass(frozen=True)
class Inventory:
    """A reported amount: a sum of states, with its element content per mole (for the balances)."""

    name: str
    states: tuple[str, ...]
    sodium: float = 0.0
    oxygen: float = 0.0
    oxygen_per_x: float = 0.0   #: extra O per mole per unit hydrate water


#: Current channels in report order. "Host" sums the catalyst's host couples; extra couples follow it.
CHANNELS: tuple[Channel, ...] = (
    Channel("NaO2", "i_nao2", product=True),
    Channel("Na2O2", "i_na2o2", product=True),
    Channel("Na2CO3", "i_carbonate", product=True),
    Channel("Residue", "i_residue", product=True),
    Channel("Electrolyte oxidation", "i_electrolyte"),
    Channel("Host", None),
    Channel("Double layer", "i_double_layer"),
)

#: Every process with an amount output: electrons and gas uptake per mole.
PROCESSES: tuple[Process, ...] = (
    Process("NaO2 formed", "n_nao2_formed", "NaO2", -1.0, (1.0, 0.0, 0.0)),
    Process("NaO2 decomposed", "n_nao2_decomposed", "NaO2", 1.0, (-1.0, 0.0, 0.0)),
    Process("Na2O2 formed", "n_na2o2_formed", "Na2O2", -2.0, (1.0, 0.0, 0.0)),
    Process("Na2O2 decomposed", "n_na2o2_decomposed", "Na2O2", 2.0, (-1.0, 0.0, 0.0)),
    Process("Na2CO3 decomposed", "n_carbonate_decomposed", "Na2CO3", 2.0, (-0.5, -1.0, -1.0)),
    Process("Residue decomposed", "n_residue_decomposed", "Residue", 1.0, (0.0, -1.0, 0.0)),
    Process("NaO2 disproportionated", "n_disproportionated", None, 0.0, (-0.5, 0.0, 0.0)),
    Process("NaO2 carbonated", "n_nao2_carbonated", None, 0.0, (-0.75, 0.5, 0.5)),
    Process("Na2O2 carbonated", "n_na2o2_carbonated", None, 0.0, (-0.5, 1.0, 1.0)),
    Process("NaO2 to residue", "n_electrolyte_attack", None, 0.0),
    Process("Electrolyte oxidised", "n_electrolyte_oxidised", "Electrolyte oxidation", 2.0),
)

#: Gases of the uptake tuples, in order.
GASES = ("O2", "CO2", "H2O")

#: Reported product inventories: states summed, and element content per mole.
INVENTORIES: tuple[Inventory, ...] = (
    Inventory("NaO2", ("nao2_solution", "nao2_film"), sodium=1.0, oxygen=2.0),
    Inventory("Surface-grown NaO2", ("nao2_film",)),
    Inventory("Exposed Na2CO3", ("carbonate_exposed",)),
    Inventory("Na2O2", ("na2o2",), sodium=2.0, oxygen=2.0),
    Inventory("Na2CO3", ("carbonate",), sodium=2.0, oxygen=3.0, oxygen_per_x=1.0),
    Inventory("Residue", ("residue",), sodium=1.0, oxygen=2.0),
    Inventory("Oxidised electrolyte", ("oxidised_electrolyte",)),
)

#: The sodium products (inventories holding sodium), in declaration order: what the stage table lists and the
#: product figure draws.
SODIUM_PRODUCTS: tuple[str, ...] = tuple(inv.name for inv in INVENTORIES if inv.sodium > 0)

#: What the per-cycle table reports as left on the electrode after each charge: (inventory, column stem);
#: the column is "<stem> after charge [mmol/g]".
LEFT_AFTER_CHARGE: tuple[tuple[str, str], ...] = (
    ("Residue", "Residue"),
    ("Na2CO3", "Carbonate"),
    ("Na2O2", "Na2O2"),
    ("Oxidised electrolyte", "Oxidised electrolyte"),
)

#: Diagnostic outputs reported as time series: (output field, name with unit).
DIAGNOSTICS: tuple[tuple[str, str], ...] = (
    ("d_band", "Catalyst d-band centre [eV]"),
    ("o2_saturation", "O2 saturation at reaction zone [-]"),
    ("o2_limit", "O2-limited current [mA/g]"),  # A/kg and mA/g are the same number
    ("free_area", "Free area fraction [-]"),
    ("film_fraction", "Film growth fraction [-]"),
    ("skin_factor", "Skin exchange-current factor [-]"),
)
