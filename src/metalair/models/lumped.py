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
change times nF). The arithmetic lives in :mod:`metalair.models._kernel`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from metalair.catalysts import Catalyst, get_catalyst
from metalair.chemistry import AMBIENT_AIR, SODIUM, Environment, environment as get_environment
from metalair.constants import F, K_B_EV, R
from metalair.errors import ParameterError
from metalair.models.parameters import DEFAULT_PARAMETERS, LumpedParameters

__all__ = ["LumpedAirElectrode", "StepResult", "PRODUCT_KEYS", "CHANNELS"]

#: inventory slots in the state vector, in this order
PRODUCT_KEYS = ("NaO2", "Surface-grown NaO2", "Na2O2", "Na2CO3", "Exposed Na2CO3", "Residue",
                "Oxidised electrolyte")
#: current channels reported (anodic positive) [A/kg]
CHANNELS = ("NaO2", "Na2O2", "Na2CO3", "Residue", "Electrolyte oxidation", "Host", "Double layer")

from metalair.models import _kernel as K  # noqa: E402

_I_NAO2, _I_NA2O2, _I_CO3, _I_RES, _I_OXE, _I_E, _I_FILM, _I_CO3X = (
    K.Y_NAO2, K.Y_NA2O2, K.Y_CO3, K.Y_RES, K.Y_OXE, K.Y_E, K.Y_FILM, K.Y_CO3X)
_N_BASE = K.Y_HOST
#: Partial pressure [Pa] of CO2 at an electrode that releases it into CO2-free gas (10 ppm):
#: sets the carbonate's equilibrium potential in pure O2 (assumption, see docs/conventions.md).
LOCAL_GAS_FLOOR_PA = 1.0


@dataclass
class StepResult:
    """Everything one accepted time step produced."""

    y: np.ndarray           # new state
    E: float                # interfacial potential [V]
    V: float                # cell voltage [V]
    I_cell: float           # cell current [A/kg], discharge positive
    currents: dict          # channel -> anodic current [A/kg]
    amounts: dict           # reaction/transfer amounts over the step [mol/kg]
    o2_ratio: float         # c_O2 / c_O2(air) at the reaction zone [-]
    free_area: float        # free catalyst area fraction for O2 reduction [-]
    d_band: float           # present d-band centre [eV]
    film_fraction: float    # fraction of new product grown as film [-]
    raw: np.ndarray = None  # kernel output row (new state, currents, amounts, diagnostics)


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
    """

    def __init__(self, catalyst="NLRO", parameters: LumpedParameters | None = None,
                 environment: Environment | str = AMBIENT_AIR, chemistry=SODIUM) -> None:
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
        self.f = F / (R * T)
        self.kT = K_B_EV * T

        # --- thermodynamics (computed from formation data) ---
        rx = chemistry.reactions
        # the carbonate forms as the hydrate only where the air carries water
        self.hydrate_x = p.hydrate_water if env.p_H2O > 0.0 else 0.0
        carbonate = "Na2CO3·H2O" if self.hydrate_x > 0 else "Na2CO3"
        self.carbonate_reaction = carbonate
        # Where the air has no CO2 (pure O2), no carbonate forms; any carbonate present still
        # oxidises, releasing CO2 that sets a small local partial pressure at the electrode.
        env_co3 = env if env.p_CO2 > 0.0 else replace(
            env, p_CO2=LOCAL_GAS_FLOOR_PA, total_pressure=env.total_pressure + LOCAL_GAS_FLOOR_PA)
        self.E_eq = {
            "NaO2": rx["NaO2"].equilibrium_potential(T, env),
            "Na2O2": rx["Na2O2"].equilibrium_potential(T, env),
            "Na2CO3": rx[carbonate].equilibrium_potential(T, env_co3),
        }
        sp = chemistry.species
        self.molar_volume = {
            "NaO2": sp["NaO2"].molar_volume,
            "Na2O2": sp["Na2O2"].molar_volume,
            "Na2CO3": sp[carbonate].molar_volume,
            "Residue": p.residue_molar_volume,
            "Oxidised electrolyte": p.oxidised_electrolyte_molar_volume,
        }
        # --- geometry, transport, anode ---
        self.A0 = p.specific_area
        self.A_geo = 1.0 / p.loading
        self.R_ohm = p.electrolyte_thickness / p.electrolyte_conductivity / self.A_geo
        self.i0_anode = p.anode_exchange_current * self.A_geo
        self.C_dl = p.double_layer_capacitance * self.A0
        c_air = p.o2_solubility * env.p_O2
        h = p.o2_diffusivity * p.gel_liquid_fraction ** 1.5 * p.gas_liquid_area / p.o2_film_thickness
        self.o2_supply = h * c_air  # largest O2 flux from air [mol/(s kg)]
        self.c_o2_air = c_air
        # --- descriptors ---
        cat = self.catalyst
        self.host = [(c.standard_potential, c.width, c.rate_constant, c.capacity) for c in cat.host_couples]
        self.n_host = len(self.host)
        self.stage_eps = cat.stage_d_band() if self.n_host else []
        self.B_dft = [-cat.descriptors[k].icohp for k in ("NaO2", "Na2O2", "Na2CO3")]
        self.eps_dft = [cat.descriptors[k].d_band_centre for k in ("NaO2", "Na2O2", "Na2CO3")]
        self.eta_fe = [cat.free_energy_overpotential, 0.0, 0.0]
        self.i0_dec_ref = [p.i0_dec_NaO2, p.i0_dec_Na2O2, p.i0_dec_Na2CO3]
        self.contact = [self.A0 * p.contact_thickness / self.molar_volume[k]
                        for k in ("NaO2", "Na2O2", "Na2CO3", "Residue")]
        # chemical first-order rates [1/s]
        self.k_carb = p.k_carbonation * env.p_CO2 / p.p_co2_ref
        self._pack()

    # ------------------------------------------------------------------ state
    @property
    def n_states(self) -> int:
        return _N_BASE + self.n_host

    def initial_state(self, potential: float | None = None) -> np.ndarray:
        """Fresh cell: no products, host in equilibrium with the initial potential."""
        E = self.parameters.initial_potential if potential is None else float(potential)
        y = np.zeros(self.n_states)
        y[_I_E] = E
        for j, (E0, w, _k, _Q) in enumerate(self.host):
            y[_N_BASE + j] = 1.0 / (1.0 + math.exp(min(600.0, -(E - E0) / w)))
        return y

    def inventories(self, y) -> dict:
        """Product inventories [mol/kg] by name (NaO2 is the total of both growth routes)."""
        return {
            "NaO2": y[_I_NAO2] + y[_I_FILM],
            "Surface-grown NaO2": y[_I_FILM],
            "Exposed Na2CO3": y[_I_CO3X],
            "Na2O2": y[_I_NA2O2],
            "Na2CO3": y[_I_CO3],
            "Residue": y[_I_RES],
            "Oxidised electrolyte": y[_I_OXE],
        }

    def host_progress(self, y) -> list:
        """Oxidised fraction of each host couple [-]."""
        return [y[_N_BASE + j] for j in range(self.n_host)]

    @staticmethod
    def potential(y) -> float:
        """Air-electrode interfacial potential [V] stored in the state."""
        return y[_I_E]

    def d_band(self, z) -> float:
        """d-band centre [eV] of the present catalyst state (host progress ``z``)."""
        return float(K._d_band(self._prm, self._stage, float(sum(z))))

    def galvanostatic(self, y, t0: float, I_cell: float, duration: float, v_limit: float | None,
                      settings, store: bool, dt_cap: float | None = None, max_rows: int = 4000):
        """Run a constant-current segment in the compiled kernel.

        Returns ``(y_end, status, t_end, rows, summary)``: status is "duration", "voltage limit",
        "failed" or "max steps"; ``rows`` is an array of accepted steps (time, dt, V, step
        capacity, kernel output) when ``store``; ``summary`` the kernel's segment summary.
        """
        y0 = np.array(y, dtype=float)
        sign = 0 if v_limit is None else (1 if I_cell > 0 else -1)
        s = settings
        dt_max = min(s.dt_max, dt_cap) if dt_cap else s.dt_max
        while True:
            y = y0.copy()
            buf = np.empty((max_rows if store else 1, 4 + self._n_out))
            summary = np.zeros(K.SUMMARY_LEN)
            K.galvanostatic_segment(y, float(t0), float(I_cell), float(duration),
                                    float(v_limit) if v_limit is not None else 0.0, sign,
                                    self._prm, self._host, self._stage,
                                    s.max_change, min(s.dt_initial, duration), s.dt_min, dt_max, s.growth,
                                    s.event_tolerance, s.max_steps, store, buf, summary, s.rtol, s.atol)
            n_rows, n_steps = int(summary[2]), int(summary[7])
            if not store or n_rows >= n_steps:
                break
            max_rows = 2 * n_steps  # the buffer was too small for this segment: run it again
        status = {0: "duration", 1: "voltage limit", 2: "failed", 3: "max steps"}[int(summary[0])]
        return y, status, float(summary[1]), buf[:n_rows] if store else None, summary

    def free_area_fraction(self, y) -> tuple[float, float]:
        """(free area fraction for O2 reduction, exchange-current factor of the interfacial skin)."""
        return K.pre_step(self._prm, np.asarray(y, dtype=float))

    def cell_voltage(self, E: float, I_cell: float) -> float:
        """Cell voltage from the air-electrode potential and the cell current (discharge positive)."""
        return float(K.cell_voltage(self._prm, float(E), float(I_cell)))

    # ------------------------------------------------------------ one step
    def _pack(self) -> None:
        """Pack the constants for the numerical kernel (:mod:`metalair.models._kernel`)."""
        p = self.parameters
        prm = np.zeros(K.N_PRM)
        mv = self.molar_volume
        vals = {
            "f": self.f, "kT": self.kT, "A0": self.A0, "C_dl": self.C_dl, "R_ohm": self.R_ohm,
            "i0_anode": self.i0_anode, "o2_supply": self.o2_supply,
            "E1": self.E_eq["NaO2"], "E2": self.E_eq["Na2O2"], "E3": self.E_eq["Na2CO3"],
            "aa": p.alpha_anodic, "ac": p.alpha_cathodic, "i0_form1": p.i0_form_NaO2, "i0_form2": p.i0_form_Na2O2,
            "i0_dec1": p.i0_dec_NaO2, "i0_dec2": p.i0_dec_Na2O2, "i0_dec3": p.i0_dec_Na2CO3,
            "i0_res": p.i0_dec_residue,
            "h1": self.contact[0], "h2": self.contact[1], "h3": self.contact[2], "h4": self.contact[3],
            "gamma_d": p.gamma_d, "beta_B": p.beta_binding, "beta_FE": p.beta_fe, "B_ref": p.binding_ref,
            "j_des_ref": p.desorption_current_ref, "gamma_ads": p.gamma_ads, "eps_ref": p.d_band_ref,
            "phi_s": p.solution_blocking, "phi_f": p.film_blocking, "phi_res": p.residue_blocking,
            "l_m": p.tunnel_length, "l_sig": p.tunnel_width,
            "free0": 0.5 * math.erfc(-p.tunnel_length / p.tunnel_width),
            "delta_mono": p.residue_monolayer, "passiv_dec": p.residue_passivation_decades,
            "k_disp": p.k_disproportionation, "k_carb": self.k_carb, "k_attack": p.k_electrolyte_attack,
            "E_ox": p.electrolyte_oxidation_potential, "i0_eo": p.i0_electrolyte_oxidation,
            "alpha_eo": p.alpha_electrolyte_oxidation, "eo_deposit": p.electrolyte_oxidation_deposit,
            "hydrate_x": self.hydrate_x,
            "vm1": mv["NaO2"], "vm2": mv["Na2O2"], "vm3": mv["Na2CO3"], "vm4": mv["Residue"],
            "vm5": mv["Oxidised electrolyte"], "n_host": self.n_host,
            "B1": self.B_dft[0], "B2": self.B_dft[1], "B3": self.B_dft[2],
            "eps1": self.eps_dft[0], "eps2": self.eps_dft[1], "eps3": self.eps_dft[2],
            "etafe1": self.eta_fe[0], "etafe2": self.eta_fe[1], "etafe3": self.eta_fe[2],
        }
        for name, v in vals.items():
            prm[getattr(K, "P_" + name.upper())] = v
        self._prm = prm
        self._host = np.array(self.host, dtype=float).reshape(self.n_host, 4)
        self._stage = np.array(self.stage_eps, dtype=float)
        self._n_out = self.n_states + K.N_OUT_EXTRA

    def unpack_row(self, raw: np.ndarray) -> tuple[dict, dict, float, float, float, float]:
        """Channel currents, amounts and diagnostics from a kernel output row."""
        ny = self.n_states
        r = raw
        currents = {ch: float(r[ny + K.C_NAO2 + i]) for i, ch in enumerate(CHANNELS)}
        a = lambda i: float(r[ny + i])  # noqa: E731
        amounts = {
            "NaO2 formed": a(K.A_NAO2_FORMED), "NaO2 decomposed": a(K.A_NAO2_DEC),
            "Na2O2 formed": a(K.A_NA2O2_FORMED), "Na2O2 decomposed": a(K.A_NA2O2_DEC),
            "Na2CO3 decomposed": a(K.A_CO3_DEC), "Residue decomposed": a(K.A_RES_DEC),
            "NaO2 disproportionated": a(K.A_DISP), "NaO2 carbonated": a(K.A_CARB0),
            "Na2O2 carbonated": a(K.A_CARB1), "NaO2 to residue": a(K.A_ATTACK),
            "Electrolyte oxidised": a(K.A_EO),
            "O2 consumed": a(K.A_O2_IN), "O2 evolved": a(K.A_O2_OUT),
            "CO2 consumed": a(K.A_CO2_IN), "CO2 evolved": a(K.A_CO2_OUT),
            "H2O consumed": a(K.A_H2O_IN), "H2O evolved": a(K.A_H2O_OUT),
        }
        return currents, amounts, a(K.D_THETA), a(K.D_FREE), a(K.D_EPS), a(K.D_FILM)

    def solve_step(self, y, dt: float, mode: str, value: float, E_guess: float | None = None) -> StepResult:
        """Advance the state by ``dt`` seconds under current (``mode="I"``, ``value`` = cell
        current, discharge positive [A/kg]) or voltage control (``mode="V"``, ``value`` = cell voltage [V]).

        Raises
        ------
        ArithmeticError
            When no interfacial potential balances the step (the caller reduces ``dt``).
        """
        if mode not in ("I", "V"):  # pragma: no cover - programming error
            raise ValueError(f"unknown control mode {mode!r}")
        y = np.asarray(y, dtype=float)
        out = np.empty(self._n_out)
        E0 = y[_I_E] if E_guess is None else E_guess
        E = K.solve_step(y, float(dt), 0 if mode == "I" else 1, float(value), float(E0),
                         self._prm, self._host, self._stage, out)
        if not math.isfinite(E):
            raise ArithmeticError("no air-electrode potential balances this step")
        I_cell = -float(out[self.n_states + K.D_TOTAL])
        currents, amounts, theta, free, eps, film = self.unpack_row(out)
        y_new = out[: self.n_states].copy()
        V = self.cell_voltage(E, I_cell)
        return StepResult(y_new, float(E), V, I_cell, currents, amounts, theta, free, eps, film, out)

    def equilibrium_potentials(self) -> dict:
        """Equilibrium potentials [V vs Na+/Na] of the product reactions in this environment."""
        return dict(self.E_eq)
