r"""The lumped (0-D) air-electrode cell model.

One air electrode treated as a single well-mixed reaction zone, a sodium metal
anode, and the ohmic resistance of the quasi-solid electrolyte between them.
Everything is per kilogram of catalyst.

States
    inventories [mol/kg] of NaO2 grown through solution (cubes) and at the
    surface (film), Na2O2, Na2CO3·xH2O (and the part of it exposed on the
    catalyst once its host particles were oxidised), Na-containing residue
    (superoxide attack on the electrolyte) and deposited oxidised electrolyte;
    the air-electrode interfacial potential (double layer) [V]; the oxidised
    fraction of each host redox couple of an insertion-host catalyst [-].

Area and passivation
    Deposits block catalyst area by an erf (tunnelling) law in their
    blocking-weighted thickness; the interfacial skin (residue, oxidised
    electrolyte, exposed carbonate) also lowers every exchange current.

Reactions at the air electrode (anodic current positive)
    * NaO2:   Na+ + O2 + e- ⇌ NaO2 (formation on the free catalyst area, fed by
      dissolved O2; decomposition at the product–catalyst contact);
    * Na2O2:  2Na+ + O2 + 2e- ⇌ Na2O2;
    * Na2CO3·xH2O → 2Na+ + CO2 + ½O2 + xH2O + 2e- (oxidation only; the
      carbonate forms chemically);
    * residue → Na+ + e- + gases (oxidation only);
    * electrolyte oxidation (parasitic; no product removed);
    * host couples of an insertion-host catalyst (Na extraction/insertion);
    * double-layer charging.

Chemical reactions
    2NaO2 → Na2O2 + O2; NaO2/Na2O2 + CO2 + xH2O → Na2CO3·xH2O + O2;
    NaO2 + electrolyte → residue.

Time stepping is implicit (backward Euler) with every state update in closed
form once the interfacial potential is known, so a step reduces to one
monotone scalar equation for that potential: fast, positivity-preserving, and
charge-conserving by construction (each reaction's charge *is* its inventory
change times nF). The state, constants, channels and outputs are declared
once in :mod:`metalair.models.declaration`; the step in
:mod:`metalair.models._kernel` calls the physics functions of
:mod:`metalair.physics`; :mod:`metalair.solvers.integrate` integrates it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from metalair._jit import prepare_numba_target
from metalair.catalysts import Catalyst, get_catalyst
from metalair.chemistry import AMBIENT_AIR, SODIUM, Environment
from metalair.chemistry import environment as get_environment
from metalair.constants import F
from metalair.errors import ParameterError
from metalair.models import _kernel as K
from metalair.models.declaration import (
    CHANNELS,
    COUPLE_ATOL,
    DIAGNOSTICS,
    GASES,
    INVENTORIES,
    N_BASE_STATES,
    N_FIXED_OUTPUTS,
    PROCESSES,
    STATE_TOLERANCE,
    Constants,
    Couple,
    O,
    Y,
)
from metalair.models.parameters import DEFAULT_PARAMETERS, LumpedParameters
from metalair.physics.catalysis import state_d_band
from metalair.physics.kinetics import gas_activity_factor
from metalair.physics.transport import o2_deposit_resistance, o2_film_supply
from metalair.solvers.integrate import SegmentOutcome, SolverSettings, run_segment

__all__ = ["LumpedAirElectrode", "LOCAL_GAS_FLOOR_PA", "VOLTAGE_WINDOW", "VALIDATED_WINDOW",
           "VALIDATED_TEMPERATURE_K"]

#: Cell voltages [V] within which the model holds; outside it the run stops with a message naming the
#: likeliest cause. Below 0 V the air electrode sits below Na+/Na, where sodium would plate on it (not
#: modelled); above 7 V no electrolyte survives (or the parameters are meaningless, e.g. an ohmic drop
#: of volts).
VOLTAGE_WINDOW = (0.0, 7.0)

#: Cell voltages [V] of the measurements the model was built and checked against (Sun et al. 2025: discharge
#: to 1.5 V, charge to 4.8 V). Outside it a run is extrapolation: below it the model has no reduction of
#: the discharge products or the electrolyte, above it no oxidation beyond the electrolyte's.
VALIDATED_WINDOW = (1.5, 4.8)
#: Temperatures [K] of the measurements the model was built on (room temperature, Sun et al. 2025).
#: Outside them only the thermodynamics and the Tafel slopes follow T: the exchange currents, O2
#: transport and electrolyte resistance carry no activation energy (none was measured for this cell).
VALIDATED_TEMPERATURE_K = (293.15, 303.15)

#: Partial pressure [Pa] of a gas (CO2 in pure O2; O2 and CO2 in argon) at an electrode that releases it
#: into gas free of it (10 ppm): sets the equilibrium potentials there (assumption, docs/conventions.md).
LOCAL_GAS_FLOOR_PA = 1.0


#: Inventory names, and the 0/1 matrix that sums the states making up each (inventories = matrix @ states).
_INVENTORY_NAMES: tuple[str, ...] = tuple(inv.name for inv in INVENTORIES)
_INVENTORY_MATRIX = np.array([[1.0 if k in {getattr(Y, s) for s in inv.states} else 0.0 for k in range(N_BASE_STATES)]
                              for inv in INVENTORIES])
#: The cell voltage as plain Python for one scalar call: the compiled version would type the whole
#: constants tuple on every call (~7 us), and the model asks for it at every protocol step.
_cell_voltage_scalar = getattr(K.cell_voltage, "py_func", K.cell_voltage)


class LumpedAirElectrode:
    """The lumped sodium–air cell model for one catalyst, parameter set and environment.

    Parameters
    ----------
    catalyst : Catalyst or str
        A :class:`~metalair.catalysts.Catalyst` or a built-in name (``"NLRO"``, ``"RuO2"``).
    parameters : LumpedParameters, optional
        Cell and kinetic parameters (defaults: :data:`DEFAULT_PARAMETERS`).
    environment : Environment or str, optional
        Gas environment at the air electrode (default ambient air).
    chemistry : Chemistry, optional
        Species and reactions (default sodium).
    extra_couples : sequence of Couple, optional
        Further redox channels of the insertion type (see
        :class:`~metalair.models.declaration.Couple`); each appears in the outputs
        under its own name.
    """

    def __init__(self, catalyst: Catalyst | str = "NLRO", parameters: LumpedParameters | None = None,
                 environment: Environment | str = AMBIENT_AIR, chemistry: Any = SODIUM,
                 extra_couples: tuple[Couple, ...] | list[Couple] = ()) -> None:
        prepare_numba_target()  # before the first compiled call: skips a scipy.linalg import (0.18 s)
        self.catalyst: Catalyst = get_catalyst(catalyst)
        p = DEFAULT_PARAMETERS if parameters is None else parameters
        if not isinstance(p, LumpedParameters):
            raise ParameterError(f"parameters must be a LumpedParameters, got {type(p).__name__}")
        self.parameters = p
        env = get_environment(environment)
        self.environment = env
        self.chemistry = chemistry
        T = env.temperature
        self.T = T
        # --- thermodynamics (computed from formation data) ---
        rx = chemistry.reactions
        # the carbonate forms as the hydrate only where the air carries water
        self.hydrate_x = p.hydrate_water if env.p_H2O > 0.0 else 0.0
        carbonate = "Na2CO3·H2O" if self.hydrate_x > 0 else "Na2CO3"
        self.carbonate_reaction = carbonate
        # A gas the air does not carry (CO2 in pure O2; O2 and CO2 in argon) is still released at the
        # electrode when a product holding it is oxidised; that sets a small local partial pressure
        # for the equilibrium potentials. No gas is supplied from outside (o2_supply uses env.p_O2).
        floor = {g: LOCAL_GAS_FLOOR_PA for g, pg in (("p_O2", env.p_O2), ("p_CO2", env.p_CO2)) if pg <= 0.0}
        env_eq = (replace(env, total_pressure=env.total_pressure + sum(floor.values()), **floor)  # type: ignore[arg-type]
                  if floor else env)
        self.E_eq = {
            "NaO2": rx["NaO2"].equilibrium_potential(T, env_eq),
            "Na2O2": rx["Na2O2"].equilibrium_potential(T, env_eq),
            "Na2CO3": rx[carbonate].equilibrium_potential(T, env_eq),
        }
        # the exchange currents were set in ambient air: in another atmosphere they follow the gases by mass
        # action, so that a solid's oxidation does not depend on them and O2 reduction is first order in O2
        shift = {k: self.E_eq[k] - rx[r].equilibrium_potential(T, AMBIENT_AIR)
                 for k, r in (("NaO2", "NaO2"), ("Na2O2", "Na2O2"), ("Na2CO3", carbonate))}
        aa, ac = p.alpha_anodic, p.alpha_cathodic
        self.gas_factor = {
            "form_NaO2": gas_activity_factor((1.0 - ac) * 1.0, shift["NaO2"], T),
            "form_Na2O2": gas_activity_factor((1.0 - ac) * 2.0, shift["Na2O2"], T),
            # decomposition: the first electron transfer limits (one electron in the exponent, kernel ``evaluate``)
            "dec_NaO2": gas_activity_factor(aa, shift["NaO2"], T),
            "dec_Na2O2": gas_activity_factor(aa, shift["Na2O2"], T),
            "dec_Na2CO3": gas_activity_factor(aa, shift["Na2CO3"], T),
        }
        sp = chemistry.species
        self.molar_volume = {
            "NaO2": sp["NaO2"].molar_volume,
            "Na2O2": sp["Na2O2"].molar_volume,
            "Na2CO3": sp[carbonate].molar_volume,
            "Residue": p.residue_molar_volume,
            "Oxidised electrolyte": p.oxidised_electrolyte_molar_volume,
        }
        self.A0 = p.specific_area
        self.A_geo = 1.0 / p.loading
        cat = self.catalyst
        # --- couples: the catalyst's host redox, then any extra channel ---
        host = tuple(Couple(c.name, c.standard_potential, c.width, c.rate_constant, c.capacity, host=True)
                     for c in cat.host_couples)
        extra = tuple(extra_couples)
        for c in extra:
            if not isinstance(c, Couple) or c.host:
                raise ParameterError(f"extra_couples must hold Couple entries with host=False, got {c!r}")
        names = [ch.name for ch in CHANNELS] + [c.name for c in extra]
        if len(set(names)) != len(names):
            raise ParameterError("extra couple names must differ from each other and from "
                                 f"{[ch.name for ch in CHANNELS]}")
        self.couples = host + extra
        self.extra_couples = extra
        self.n_host = len(host)
        moves_state = [float(c.host and cat.switching) for c in self.couples]
        rows = [(c.standard_potential, c.width, c.rate_constant, c.capacity, mv)
                for c, mv in zip(self.couples, moves_state)]
        self._couples = np.array(rows, dtype=float).reshape(len(self.couples), 5)
        self._stage = np.array(cat.stage_d_band(), dtype=float)
        desc = cat.descriptors
        contact = {k: self.A0 * p.contact_thickness / self.molar_volume[k]
                   for k in ("NaO2", "Na2O2", "Na2CO3", "Residue")}
        self.constants = Constants(
            T=T, specific_area=self.A0,
            double_layer_capacitance=p.double_layer_capacitance * self.A0,
            ohmic_resistance=p.electrolyte_thickness / p.electrolyte_conductivity / self.A_geo,
            anode_exchange_current=p.anode_exchange_current * self.A_geo,
            o2_film_supply=o2_film_supply(p.o2_solubility, env.p_O2, p.o2_diffusivity, p.gel_liquid_fraction,
                                          p.gas_liquid_area, p.o2_film_thickness),
            o2_deposit_resistance=o2_deposit_resistance(p.o2_solubility, env.p_O2, p.o2_diffusivity,
                                                        p.gel_liquid_fraction, p.deposit_porosity,
                                                        p.gas_liquid_area),
            E_NaO2=self.E_eq["NaO2"], E_Na2O2=self.E_eq["Na2O2"], E_Na2CO3=self.E_eq["Na2CO3"],
            alpha_anodic=p.alpha_anodic, alpha_cathodic=p.alpha_cathodic,
            i0_form_NaO2=p.i0_form_NaO2 * self.gas_factor["form_NaO2"],
            desorption_ref=p.i0_form_NaO2,  # desorption is a chemical step: no gas takes part in it
            i0_form_Na2O2=p.i0_form_Na2O2 * self.gas_factor["form_Na2O2"],
            i0_dec_NaO2=p.i0_dec_NaO2 * self.gas_factor["dec_NaO2"],
            i0_dec_Na2O2=p.i0_dec_Na2O2 * self.gas_factor["dec_Na2O2"],
            i0_dec_Na2CO3=p.i0_dec_Na2CO3 * self.gas_factor["dec_Na2CO3"],
            i0_dec_residue=p.i0_dec_residue * self.gas_factor["dec_Na2CO3"],  # oxidised at the carbonate's potential
            contact_NaO2=contact["NaO2"], contact_Na2O2=contact["Na2O2"], contact_Na2CO3=contact["Na2CO3"],
            contact_residue=contact["Residue"],
            gamma_d=p.gamma_d, beta_binding=p.beta_binding, beta_fe=p.beta_fe, binding_ref=p.binding_ref,
            gamma_ads=p.gamma_ads, d_band_ref=p.d_band_ref,
            solution_blocking=p.solution_blocking, film_blocking=p.film_blocking, residue_blocking=p.residue_blocking,
            tunnel_length=p.tunnel_length, tunnel_width=p.tunnel_width, residue_monolayer=p.residue_monolayer,
            residue_passivation_decades=p.residue_passivation_decades,
            k_disproportionation=p.k_disproportionation * env.p_H2O / p.p_h2o_ref,  # proton-mediated: needs water
            k_carbonation=p.k_carbonation * env.p_CO2 / p.p_co2_ref,
            k_electrolyte_attack=p.k_electrolyte_attack,
            electrolyte_oxidation_potential=p.electrolyte_oxidation_potential,
            i0_electrolyte_oxidation=p.i0_electrolyte_oxidation,
            alpha_electrolyte_oxidation=p.alpha_electrolyte_oxidation,
            electrolyte_oxidation_deposit=p.electrolyte_oxidation_deposit,
            hydrate_water=self.hydrate_x,
            vm_NaO2=self.molar_volume["NaO2"], vm_Na2O2=self.molar_volume["Na2O2"],
            vm_Na2CO3=self.molar_volume["Na2CO3"], vm_residue=self.molar_volume["Residue"],
            vm_oxidised_electrolyte=self.molar_volume["Oxidised electrolyte"],
            icohp_NaO2=desc["NaO2"].icohp, icohp_Na2O2=desc["Na2O2"].icohp, icohp_Na2CO3=desc["Na2CO3"].icohp,
            d_band_NaO2=desc["NaO2"].d_band_centre, d_band_Na2O2=desc["Na2O2"].d_band_centre,
            d_band_Na2CO3=desc["Na2CO3"].d_band_centre,
            d_band_state_NaO2=cat.state_d_band("NaO2"), d_band_state_Na2O2=cat.state_d_band("Na2O2"),
            d_band_state_Na2CO3=cat.state_d_band("Na2CO3"),
            eta_fe_NaO2=cat.free_energy_overpotential, eta_fe_Na2O2=0.0, eta_fe_Na2CO3=0.0,
        )
        self._tolerance_cache: dict[SolverSettings, tuple[np.ndarray, np.ndarray]] = {}
        self._summed: tuple[np.ndarray, np.ndarray, list[str]] | None = None

    @property
    def ctx(self) -> tuple[Any, np.ndarray, np.ndarray]:
        """What the compiled kernel is passed: the constants, the couples and the catalyst-state table.

        Built at each call from :attr:`constants`, so a changed copy of the constants
        (``model.constants = model.constants._replace(...)``) is what the next run uses.
        """
        return (self.constants, self._couples, self._stage)

    # ------------------------------------------------------------------ layout
    @property
    def n_states(self) -> int:
        """Length of the state vector."""
        return N_BASE_STATES + len(self.couples)

    @property
    def n_out(self) -> int:
        """Length of a kernel output row (new state first)."""
        return self.n_states + N_FIXED_OUTPUTS + len(self.couples)

    def output_index(self, name: str) -> int:
        """Position in an output row of the output field ``name`` (see ``OutputIndex``)."""
        return self.n_states + getattr(O, name)

    def couple_current_index(self, j: int) -> int:
        """Position in an output row of couple ``j``'s current."""
        return self.n_states + N_FIXED_OUTPUTS + j

    def channel_names(self) -> list[str]:
        """Current channels in report order: the declared ones, then each extra couple."""
        return [ch.name for ch in CHANNELS] + [c.name for c in self.extra_couples]

    def channel_currents(self, out: np.ndarray) -> np.ndarray:
        """Channel currents [A/kg] (anodic positive) from output rows (last axis), in :meth:`channel_names` order."""
        out = np.asarray(out)
        cols = []
        for ch in CHANNELS:
            if ch.output is not None:
                cols.append(out[..., self.output_index(ch.output)])
            else:  # the host channel: all host couples
                cols.append(sum((out[..., self.couple_current_index(j)] for j in range(self.n_host)),
                                np.zeros(out.shape[:-1])))
        for j in range(len(self.extra_couples)):
            cols.append(out[..., self.couple_current_index(self.n_host + j)])
        return np.stack(cols, axis=-1)

    def tolerances(self, settings: SolverSettings) -> tuple[np.ndarray, np.ndarray]:
        """Per-state (relative, absolute) error scales for the step control."""
        cached = self._tolerance_cache.get(settings)
        if cached is not None:
            return cached
        rel = np.empty(self.n_states)
        ab = np.empty(self.n_states)
        for i, kind in enumerate(STATE_TOLERANCE):
            if kind == "potential":
                rel[i], ab[i] = 0.0, settings.max_change
            else:
                rel[i], ab[i] = settings.rtol, settings.atol
        rel[N_BASE_STATES:] = settings.rtol
        # the couples' scale follows atol, so that tightening atol tightens the host's state too
        ab[N_BASE_STATES:] = COUPLE_ATOL * settings.atol / SolverSettings().atol
        self._tolerance_cache[settings] = (rel, ab)
        return rel, ab

    def summed_outputs(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """What a segment accumulates: output indices, whether each is a rate (x dt), and names."""
        if self._summed is not None:
            return self._summed
        idx, rate, names = [], [], []
        for ch in CHANNELS:
            if ch.output is not None:
                idx.append(self.output_index(ch.output))
                rate.append(True)
                names.append(f"charge:{ch.name}")
        for j, c in enumerate(self.couples):
            idx.append(self.couple_current_index(j))
            rate.append(True)
            names.append(f"couple:{c.name}")
        for pr in PROCESSES:
            idx.append(self.output_index(pr.output))
            rate.append(False)
            names.append(f"amount:{pr.name}")
        self._summed = (np.array(idx, dtype=np.int64), np.array(rate, dtype=np.bool_), names)
        return self._summed

    def gas_uptake(self, amounts: dict[str, Any]) -> dict[str, Any]:
        """Net gas taken up [mol/kg] from process amounts (by process name), by the declared stoichiometry."""
        x = self.hydrate_x
        total: dict[str, Any] = {g: 0.0 for g in GASES}
        for pr in PROCESSES:
            a = amounts[pr.name]
            o2, co2, h2o = pr.uptake
            total["O2"] = total["O2"] + o2 * a
            total["CO2"] = total["CO2"] + co2 * a
            total["H2O"] = total["H2O"] + h2o * x * a
        return total

    # ------------------------------------------------------------------ state
    def initial_state(self, potential: float | None = None) -> np.ndarray:
        """Fresh cell: no products, every couple in equilibrium with the initial potential."""
        E = self.parameters.initial_potential if potential is None else float(potential)
        y = np.zeros(self.n_states)
        y[Y.potential] = E
        for j, c in enumerate(self.couples):
            y[N_BASE_STATES + j] = 1.0 / (1.0 + math.exp(min(600.0, -(E - c.standard_potential) / c.width)))
        return y

    def check_state(self, y: Any) -> np.ndarray:
        """``y`` as a state vector of this model, or a :class:`ParameterError` saying what is wrong.

        A state is the ``final_state`` of an earlier run of a model with the same catalyst (the same
        number of host couples): finite, inventories not negative, couple fractions in [0, 1],
        the potential inside :data:`VOLTAGE_WINDOW`.
        """
        try:
            arr = np.array(y, dtype=float)
        except (TypeError, ValueError):
            raise ParameterError(f"initial_state must be a state vector (the final_state of an earlier run), "
                                 f"got {type(y).__name__}") from None
        names = list(Y._fields) + [f"{c.name} oxidised fraction" for c in self.couples]
        if arr.shape != (self.n_states,):
            raise ParameterError(
                f"initial_state has shape {arr.shape}, but a {self.catalyst.name} state has {self.n_states} values "
                f"({', '.join(names)}): use the final_state of a run with the same catalyst")
        bad = [names[i] for i in np.flatnonzero(~np.isfinite(arr))]
        if bad:
            raise ParameterError(f"initial_state is not finite in {', '.join(bad)}")
        neg = [f"{names[i]} = {arr[i]:.3g}" for i in range(N_BASE_STATES)
               if i != Y.potential and arr[i] < -1e-9 * max(1.0, float(np.abs(arr[:N_BASE_STATES]).max()))]
        if neg:
            raise ParameterError(f"initial_state has negative inventories: {', '.join(neg)} mol/kg")
        out = [f"{names[N_BASE_STATES + j]} = {arr[N_BASE_STATES + j]:.3g}" for j in range(len(self.couples))
               if not -1e-9 <= arr[N_BASE_STATES + j] <= 1.0 + 1e-9]
        if out:
            raise ParameterError(f"initial_state has couple fractions outside [0, 1]: {', '.join(out)}")
        if not VOLTAGE_WINDOW[0] <= arr[Y.potential] <= VOLTAGE_WINDOW[1]:
            raise ParameterError(f"initial_state has potential {arr[Y.potential]:.4g} V, outside "
                                 f"{VOLTAGE_WINDOW[0]:g}-{VOLTAGE_WINDOW[1]:g} V")
        return arr

    def inventories(self, y: Any) -> dict[str, Any]:
        """Product inventories [mol/kg] by name (states along the first axis)."""
        y = np.asarray(y)
        return dict(zip(_INVENTORY_NAMES, _INVENTORY_MATRIX @ y[:N_BASE_STATES]))

    def host_progress(self, y: Any) -> list[float]:
        """Oxidised fraction of each host couple [-]."""
        return [float(y[N_BASE_STATES + j]) for j in range(self.n_host)]

    def couple_progress(self, y: Any) -> dict[str, Any]:
        """Oxidised fraction of every couple [-] by name."""
        y = np.asarray(y)
        return {c.name: y[N_BASE_STATES + j] for j, c in enumerate(self.couples)}

    @staticmethod
    def potential(y: Any) -> float:
        """Air-electrode interfacial potential [V] stored in the state."""
        return float(y[Y.potential])

    def d_band(self, z: Any) -> float:
        """d-band centre [eV] of the present catalyst state (host progress ``z``; frozen: stage 0)."""
        s = float(sum(z)) if self.catalyst.switching else 0.0
        return float(state_d_band(self._stage, s))

    def free_area_fraction(self, y: Any) -> tuple[float, float]:
        """(free area fraction for O2 reduction, exchange-current factor of the interfacial skin)."""
        free, passiv, _supply = K.surface_state(self.constants, np.asarray(y, dtype=float))
        return float(free), float(passiv)

    def cell_voltage(self, E: float, I_cell: float) -> float:
        """Cell voltage from the air-electrode potential and the cell current (discharge positive)."""
        return float(_cell_voltage_scalar(self.constants, float(E), float(I_cell)))

    def equilibrium_potentials(self) -> dict[str, float]:
        """Equilibrium potentials [V vs Na+/Na] of the product reactions in this environment."""
        return dict(self.E_eq)

    # ------------------------------------------------------------------ steps
    def initial_output(self, y: np.ndarray) -> np.ndarray:
        """An output row describing the state ``y`` at rest (no step taken)."""
        out = K.new_output(len(self.couples))
        out[: self.n_states] = y
        free, passiv, supply = K.surface_state(self.constants, np.asarray(y, dtype=float))
        ny = self.n_states
        out[ny + O.o2_saturation] = 1.0
        out[ny + O.o2_limit] = F * supply
        out[ny + O.free_area] = free
        out[ny + O.skin_factor] = passiv
        out[ny + O.d_band] = self.d_band(self.host_progress(y))
        out[ny + O.cell_voltage] = self.cell_voltage(self.potential(y), 0.0)
        return out

    def step(self, y: Any, dt: float, mode: str, value: float) -> np.ndarray:
        """One implicit step of ``dt`` seconds from ``y``; returns the output row (new state first).

        ``mode`` is ``"I"`` (``value`` = cell current, discharge positive [A/kg]) or ``"V"``
        (``value`` = cell voltage [V]).

        Raises
        ------
        ArithmeticError
            When no interfacial potential balances the step (shorten ``dt``).
        """
        if mode not in ("I", "V"):
            raise ParameterError(f"mode must be 'I' (current) or 'V' (voltage), got {mode!r}")
        y = np.asarray(y, dtype=float)
        out = K.new_output(len(self.couples))
        ok = K.step(self.ctx, y, float(dt), K.CONTROL_CURRENT if mode == "I" else K.CONTROL_VOLTAGE,
                    float(value), float(y[Y.potential]), 0.005, np.zeros(1), out)
        if not ok:
            raise ArithmeticError("no air-electrode potential balances this step")
        return out

    def segment(self, y: np.ndarray, t0: float, duration: float, *, mode: str, value: float, rate: float = 0.0,
                limit: tuple[str, float] | None = None, settings: SolverSettings, dt_start: float,
                dt_cap: float | None = None, cap_by_dt_max: bool = True, store: bool,
                stop: np.ndarray | None = None, progress: Any = None) -> SegmentOutcome:
        """Integrate a segment under current (``mode="I"``) or voltage control (``"V"``, ``value + rate*t``).

        ``limit`` is ``("voltage", V)`` (stop when the cell voltage reaches V, from the side it starts
        on) or ``("current", I)`` (stop when |I| falls to I [A/kg]). A cell voltage outside
        :data:`VOLTAGE_WINDOW` ends the segment with status ``"out of range"``.
        """
        s = settings
        ny = self.n_states
        E0 = float(y[Y.potential])
        event = None
        if limit is not None:
            kind, level = limit
            if kind == "voltage":
                v0 = self.cell_voltage(E0, value if mode == "I" else 0.0)
                sign = 1 if (mode == "I" and value > 0.0) else -1
                event = (ny + O.cell_voltage, sign, float(level), v0)
            else:
                event = (ny + O.abs_current, 1, float(level), float(level) + 1.0)
        rel, ab = self.tolerances(s)
        idx, rate_flags, _ = self.summed_outputs()
        return run_segment(K.integrate, self.ctx, y, t0, duration,
                           mode=K.CONTROL_CURRENT if mode == "I" else K.CONTROL_VOLTAGE, value=value, rate=rate,
                           k_alg=Y.potential, tol_rel=rel, tol_abs=ab, n_out=self.n_out, event=event,
                           v_index=ny + O.cell_voltage, i_index=ny + O.abs_current, settings=s,
                           dt_start=dt_start, dt_cap=dt_cap, cap_by_dt_max=cap_by_dt_max, v_window=VOLTAGE_WINDOW,
                           sum_index=idx, sum_rate=rate_flags, store=store, stop=stop, progress=progress)

    # ------------------------------------------------------------------ outputs
    def variables(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Every model output as named time series (user units) from output rows (one per time)."""
        from metalair.units import to_user

        ny = self.n_states
        y = rows[:, :ny].T
        cols: dict[str, np.ndarray] = {"Air electrode potential [V]": rows[:, Y.potential]}
        for name, v in self.inventories(y).items():
            cols[f"{name} [mol/g]"] = to_user(np.asarray(v, dtype=float), "mol/g")
        for j, c in enumerate(self.couples):
            label = f"Host {c.name}" if c.host else c.name
            cols[f"{label} oxidised fraction [-]"] = rows[:, N_BASE_STATES + j]
        for field, name in DIAGNOSTICS:
            cols[name] = rows[:, ny + getattr(O, field)]
        return cols
