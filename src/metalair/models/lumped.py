r"""The lumped (0-D) air-electrode cell model.

One air electrode treated as a single well-mixed reaction zone, a sodium metal
anode, and the ohmic resistance of the quasi-solid electrolyte between them.
Everything is per kilogram of catalyst.

States
    inventories of NaO2, Na2O2, Na2CO3·xH2O, Na-containing residue (superoxide
    attack on the electrolyte) and deposited oxidised electrolyte [mol/kg]; the
    mean blocking efficiency of the deposited products (their morphology) [-];
    the air-electrode interfacial potential (double layer) [V]; the oxidised
    fraction of each host redox couple of an insertion-host catalyst [-].

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
change times nF).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from scipy.optimize import brentq

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

_I_NAO2, _I_NA2O2, _I_CO3, _I_RES, _I_OXE, _I_E, _I_FILM, _I_CO3X = range(8)
_N_BASE = 8
_XMAX = 600.0
#: Partial pressure [Pa] of CO2 at an electrode that releases it into CO2-free gas (10 ppm):
#: sets the carbonate's equilibrium potential in pure O2 (assumption, see docs/conventions.md).
LOCAL_GAS_FLOOR_PA = 1.0  # cap on exponent arguments (avoids overflow far from equilibrium)


def _exp(x: float) -> float:
    if x > _XMAX:
        x = _XMAX
    elif x < -_XMAX:
        return 0.0
    return math.exp(x)


def _implicit_decay(b: float, h: float, dtr: float, dtk: float) -> float:
    """Non-negative root of (1+dtk) n² + n[(1+dtk)h − b + dtr] − b h = 0.

    Backward-Euler update of ``dn/dt = P − r n/(n+h) − k n`` with ``b = n_old + dt P``.
    """
    if b <= 0.0:
        return 0.0
    a = 1.0 + dtk
    q = a * h - b + dtr
    disc = math.sqrt(q * q + 4.0 * a * b * h)
    if q >= 0.0:
        return 2.0 * b * h / (q + disc)
    return (disc - q) / (2.0 * a)


@dataclass
class StepResult:
    """Everything one accepted time step produced."""

    y: list                 # new state
    E: float                # interfacial potential [V]
    V: float                # cell voltage [V]
    I_cell: float           # cell current [A/kg], discharge positive
    currents: dict          # channel -> anodic current [A/kg]
    amounts: dict           # reaction/transfer amounts over the step [mol/kg]
    o2_ratio: float         # c_O2 / c_O2(air) at the reaction zone [-]
    free_area: float        # free catalyst area fraction for O2 reduction [-]
    d_band: float           # present d-band centre [eV]
    film_fraction: float    # fraction of new product grown as film [-]


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

    # ------------------------------------------------------------------ state
    @property
    def n_states(self) -> int:
        return _N_BASE + self.n_host

    def initial_state(self, potential: float | None = None) -> list:
        """Fresh cell: no products, host in equilibrium with the initial potential."""
        E = self.parameters.initial_potential if potential is None else float(potential)
        y = [0.0] * self.n_states
        y[_I_E] = E
        for j, (E0, w, _k, _Q) in enumerate(self.host):
            y[_N_BASE + j] = 1.0 / (1.0 + _exp(-(E - E0) / w))
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
        if not self.n_host:
            return self.eps_dft[0]
        s = sum(z)
        eps = self.stage_eps
        if s <= 0.0:
            return eps[0]
        if s >= len(eps) - 1:
            return eps[-1]
        i = int(s)
        return eps[i] + (eps[i + 1] - eps[i]) * (s - i)

    def free_area_fraction(self, y) -> tuple[float, float]:
        """(free area fraction for O2 reduction, i0 factor from residue passivation)."""
        p = self.parameters
        mv = self.molar_volume
        # equivalent passivating film thickness: each deposit weighted by its blocking efficiency
        # (solution-grown particles block little per volume, conformal films a lot)
        # carbonate embedded in superoxide/peroxide particles blocks like them; the part left on the
        # catalyst once the particles around it were oxidised (state _I_CO3X) is an interfacial skin
        v_co3x = y[_I_CO3X] * mv["Na2CO3"]
        v_co3e = y[_I_CO3] * mv["Na2CO3"] - v_co3x
        v_block = (p.solution_blocking * (y[_I_NAO2] * mv["NaO2"] + y[_I_NA2O2] * mv["Na2O2"] + v_co3e)
                   + p.film_blocking * y[_I_FILM] * mv["NaO2"])
        v_skin = p.residue_blocking * (v_co3x + y[_I_RES] * mv["Residue"]
                                       + y[_I_OXE] * mv["Oxidised electrolyte"])
        delta = (v_block + v_skin) / self.A0
        free = 0.5 * math.erfc((delta - p.tunnel_length) / p.tunnel_width)
        free0 = 0.5 * math.erfc(-p.tunnel_length / p.tunnel_width)
        # interfacial skin lowers the exchange currents (McCloskey et al. 2012: 10-100x per monolayer)
        theta_r = 1.0 - math.exp(-v_skin / (self.A0 * p.residue_monolayer))
        return free / free0, 10.0 ** (-p.residue_passivation_decades * theta_r)

    def cell_voltage(self, E: float, I_cell: float) -> float:
        """Cell voltage from the air-electrode potential and the cell current (discharge positive)."""
        eta_a = 2.0 / self.f * math.asinh(I_cell / (2.0 * self.i0_anode))
        return E - eta_a - I_cell * self.R_ohm

    # ------------------------------------------------------------ one step
    def _evaluate(self, E: float, y: list, dt: float, pre: tuple, full: bool = False):
        p = self.parameters
        f = self.f
        free_frac, passiv = pre
        A_free = self.A0 * free_frac
        # host couples (implicit, closed form)
        I_host = 0.0
        z_new = []
        for j, (E0, w, k, Q) in enumerate(self.host):
            x = (E - E0) / w
            a = k * _exp(0.5 * x)
            c = k * _exp(-0.5 * x)
            zo = y[_N_BASE + j]
            zn = (zo + dt * a) / (1.0 + dt * (a + c))
            z_new.append(zn)
            I_host += Q * (zn - zo) / dt
        eps = self.d_band(z_new)
        # decomposition exchange currents from descriptors
        i0d = []
        for k in range(3):
            B = self.B_dft[k]
            if self.n_host:
                B += p.gamma_d * (eps - self.eps_dft[k])
            i0d.append(self.i0_dec_ref[k] * passiv *
                       _exp((p.beta_binding * (B - p.binding_ref) - p.beta_fe * self.eta_fe[k]) / self.kT))
        i0_res = p.i0_dec_residue * i0d[2] / self.i0_dec_ref[2]
        # formation (cathodic) channels with O2 at the reaction zone
        aa, ac = p.alpha_anodic, p.alpha_cathodic
        E1, E2, E3 = self.E_eq["NaO2"], self.E_eq["Na2O2"], self.E_eq["Na2CO3"]
        eta1, eta2, eta3 = E - E1, E - E2, E - E3
        k1 = A_free * passiv * p.i0_form_NaO2 / F
        k2 = A_free * passiv * p.i0_form_Na2O2 / (2.0 * F)
        a1 = k1 * _exp(-ac * f * eta1)
        b1 = k1 * _exp((1.0 - ac) * f * eta1)
        a2 = k2 * _exp(-ac * 2.0 * f * eta2)
        b2 = k2 * _exp((1.0 - ac) * 2.0 * f * eta2)
        S = self.o2_supply
        act1 = a1 > b1
        act2 = a2 > b2
        theta = 1.0
        for _ in range(3):
            num = S + (b1 if act1 else 0.0) + (b2 if act2 else 0.0)
            den = S + (a1 if act1 else 0.0) + (a2 if act2 else 0.0)
            theta = num / den
            n1, n2 = act1 and a1 * theta > b1, act2 and a2 * theta > b2
            if n1 == act1 and n2 == act2:
                break
            act1, act2 = n1, n2
        P1 = a1 * theta - b1 if act1 else 0.0
        P2 = a2 * theta - b2 if act2 else 0.0
        if P1 < 0.0:
            P1 = 0.0
        if P2 < 0.0:
            P2 = 0.0
        # decomposition rate coefficients at full contact [mol/(s kg)]
        def dec(i0, n, eta):
            if eta <= 0.0:
                return 0.0
            # first electron transfer rate-determining: Tafel exponent alpha*F*eta/RT for every product;
            # the affinity factor uses the full n (zero at equilibrium, never uphill)
            return self.A0 * i0 / (n * F) * _exp(aa * f * eta) * (-math.expm1(-n * f * eta))
        r1 = dec(i0d[0], 1, eta1)
        r2 = dec(i0d[1], 2, eta2)
        r3 = dec(i0d[2], 2, eta3)
        r4 = dec(i0_res, 1, eta3)
        # growth route of the new product (Horstmann et al. 2013): surface route when the local
        # current density exceeds the desorption-limited rate of the superoxide intermediate
        j_form = F * (P1 + 2.0 * P2) / A_free if A_free > 0.0 else 0.0
        f_film = j_form / (j_form + self._j_des(eps)) if j_form > 0.0 else 0.0
        # implicit inventory updates, in dependency order (exact mass balance)
        kd = p.k_disproportionation
        # superoxide held at the catalyst interface reacts with CO2 and with the electrolyte; its
        # residence grows as the d-band centre rises (the inverse of the desorption rate)
        resid = self._residence(eps)
        kc, ka = self.k_carb * resid, p.k_electrolyte_attack * resid
        h1, h2, h3, h4 = self.contact
        # solution-grown NaO2
        n0 = _implicit_decay(y[_I_NAO2] + dt * (1.0 - f_film) * P1, h1, dt * r1, dt * (kd + kc + ka))
        disp = kd * dt * n0          # NaO2 consumed by disproportionation
        carb0 = kc * dt * n0         # NaO2 consumed by carbonation
        attack = ka * dt * n0        # NaO2 consumed by electrolyte attack
        d1 = dt * r1 * n0 / (n0 + h1)
        # surface-grown (film-like) NaO2: thin, large exposed surface, degrades fast (Tovini 2018)
        nf = _implicit_decay(y[_I_FILM] + dt * f_film * P1, h1, dt * r1, dt * (kd + kc + ka))
        disp += kd * dt * nf
        carb0 += kc * dt * nf
        attack += ka * dt * nf
        d1 += dt * r1 * nf / (nf + h1)
        n1 = _implicit_decay(y[_I_NA2O2] + dt * P2 + 0.5 * disp, h2, dt * r2, dt * kc)
        carb1 = dt * kc * n1
        d2 = dt * r2 * n1 / (n1 + h2)
        n2 = _implicit_decay(y[_I_CO3] + 0.5 * carb0 + carb1, h3, dt * r3, 0.0)
        d3 = dt * r3 * n2 / (n2 + h3)
        n3 = _implicit_decay(y[_I_RES] + attack, h4, dt * r4, 0.0)
        d4 = dt * r4 * n3 / (n3 + h4)
        I1 = F * (d1 / dt - P1)
        I2 = 2.0 * F * (d2 / dt - P2)
        I3 = 2.0 * F * d3 / dt
        I4 = F * d4 / dt
        I_eo = self.A0 * passiv * p.i0_electrolyte_oxidation * _exp(
            p.alpha_electrolyte_oxidation * f * (E - p.electrolyte_oxidation_potential))
        I_dl = self.C_dl * (E - y[_I_E]) / dt
        total = I1 + I2 + I3 + I4 + I_eo + I_host + I_dl
        if not full:
            return total
        oxe_dep = p.electrolyte_oxidation_deposit * dt * I_eo / (2.0 * F)
        y_new = list(y)
        y_new[_I_NAO2], y_new[_I_NA2O2], y_new[_I_CO3], y_new[_I_RES] = n0, n1, n2, n3
        y_new[_I_FILM] = nf
        # carbonate exposure: oxidising host particles releases the carbonate they carried onto the
        # catalyst; carbonate in contact with the catalyst is the first to be oxidised
        host_old = y[_I_NAO2] + y[_I_FILM] + y[_I_NA2O2]
        emb_old = y[_I_CO3] - y[_I_CO3X]
        released = emb_old * min(1.0, (d1 + d2) / host_old) if host_old > 0.0 else emb_old
        x_new = y[_I_CO3X] + released - d3
        y_new[_I_CO3X] = min(max(x_new, 0.0), n2)
        y_new[_I_OXE] = y[_I_OXE] + oxe_dep
        y_new[_I_E] = E
        for j, zn in enumerate(z_new):
            y_new[_N_BASE + j] = zn
        x = self.hydrate_x
        amounts = {
            # electrochemical formation (+) and decomposition (−) per product [mol/kg]
            "NaO2 formed": dt * P1, "NaO2 decomposed": d1,
            "Na2O2 formed": dt * P2, "Na2O2 decomposed": d2,
            "Na2CO3 decomposed": d3, "Residue decomposed": d4,
            "NaO2 disproportionated": disp, "NaO2 carbonated": carb0, "Na2O2 carbonated": carb1,
            "NaO2 to residue": attack,
            "Electrolyte oxidised": dt * I_eo / (2.0 * F),
            # gases: O2 taken up from the air (net), CO2 taken up / released, H2O taken up / released
            "O2 consumed": dt * (P1 + P2),
            "O2 evolved": d1 + d2 + 0.5 * d3 + 0.5 * disp + 0.75 * carb0 + 0.5 * carb1,
            "CO2 consumed": 0.5 * carb0 + carb1,
            "CO2 evolved": d3 + d4,
            "H2O consumed": x * (0.5 * carb0 + carb1),
            "H2O evolved": x * d3,
            "Host charge": sum((z_new[j] - y[_N_BASE + j]) * self.host[j][3] for j in range(self.n_host)),
        }
        currents = {"NaO2": I1, "Na2O2": I2, "Na2CO3": I3, "Residue": I4,
                    "Electrolyte oxidation": I_eo, "Host": I_host, "Double layer": I_dl}
        return total, y_new, currents, amounts, theta, eps, f_film

    def _residence(self, eps_state: float) -> float:
        """Relative interfacial residence of superoxide (1 at the reference d-band centre)."""
        p = self.parameters
        return _exp(p.gamma_ads * (self._d_band_nao2(eps_state) - p.d_band_ref) / self.kT)

    def _j_des(self, eps_state: float) -> float:
        """Desorption-limited current density of the superoxide intermediate [A/m²]."""
        p = self.parameters
        return p.desorption_current_ref * _exp(-p.gamma_ads * (self._d_band_nao2(eps_state) - p.d_band_ref) / self.kT)

    def _d_band_nao2(self, eps_state: float) -> float:
        """d-band centre with superoxide adsorbed in the present state."""
        if not self.n_host:
            return self.eps_dft[0]
        return self.eps_dft[0] + (eps_state - self.stage_eps[0])

    def solve_step(self, y: list, dt: float, mode: str, value: float, E_guess: float | None = None) -> StepResult:
        """Advance the state by ``dt`` seconds under current (``mode="I"``, ``value`` = cell
        current, discharge positive [A/kg]) or voltage control (``mode="V"``, ``value`` = cell voltage [V]).

        Raises
        ------
        ArithmeticError
            When no interfacial potential balances the step (the caller reduces ``dt``).
        """
        pre = self.free_area_fraction(y)
        if mode == "I":
            I_cell = value

            def g(E):
                return self._evaluate(E, y, dt, pre) + I_cell
        elif mode == "V":
            V_set = value

            def g(E):
                tot = self._evaluate(E, y, dt, pre)
                return self.cell_voltage(E, -tot) - V_set
        else:  # pragma: no cover - programming error
            raise ValueError(f"unknown control mode {mode!r}")
        E0 = y[_I_E] if E_guess is None else E_guess
        lo, hi = E0 - 0.005, E0 + 0.005
        glo, ghi = g(lo), g(hi)
        step = 0.02
        it = 0
        while glo > 0.0:
            hi, ghi = lo, glo
            lo -= step
            step *= 2.0
            glo = g(lo)
            it += 1
            if it > 40 or lo < -5.0:
                raise ArithmeticError("no bracket below")
        step = 0.02
        it = 0
        while ghi < 0.0:
            lo, glo = hi, ghi
            hi += step
            step *= 2.0
            ghi = g(hi)
            it += 1
            if it > 40 or hi > 12.0:
                raise ArithmeticError("no bracket above")
        E = brentq(g, lo, hi, xtol=1e-12, rtol=1e-14, maxiter=200)
        total, y_new, currents, amounts, theta, eps, f_film = self._evaluate(E, y, dt, pre, full=True)
        I_cell = -total
        V = self.cell_voltage(E, I_cell)
        return StepResult(y_new, E, V, I_cell, currents, amounts, theta, pre[0], eps, f_film)

    def equilibrium_potentials(self) -> dict:
        """Equilibrium potentials [V vs Na+/Na] of the product reactions in this environment."""
        return dict(self.E_eq)
