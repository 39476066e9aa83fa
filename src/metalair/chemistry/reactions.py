"""Reactions and chemistries built from species tables.

A :class:`Reaction` is a balanced stoichiometry over species of one table;
its Gibbs energy, standard potential, temperature coefficient and Nernst
equilibrium potential are *computed* from the formation data, never typed in.
A :class:`Chemistry` bundles a metal, its species table and its reactions.

Conventions
-----------
* Reactions are written in the discharge (reduction) direction with the
  metal as metal: ``{"Na": -1, "O2": -1, "NaO2": 1}``. Reactants negative.
* ``electrons`` is n per reaction as written; 0 marks a chemical
  (non-faradaic) step such as superoxide disproportionation.
* Potentials are in V against the metal couple (M+/M) at the same
  temperature.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from metalair.chemistry.environment import T_MAX, T_MIN, Environment
from metalair.chemistry.environment import environment as _environment
from metalair.chemistry.species import Species, Table, did_you_mean
from metalair.chemistry.thermo import (
    consistency_gap,
    formation_entropy,
    gibbs_energy_ulich,
    nernst_potential,
    potential_from_gibbs_energy,
    temperature_coefficient,
)
from metalair.constants import P_STD, T_REF, R
from metalair.errors import ParameterError

__all__ = ["Reaction", "Chemistry"]

#: Largest element imbalance accepted as round-off [atoms per reaction].
_BALANCE_TOL = 1e-9


def _check_temperature(T: ArrayLike, where: str) -> np.ndarray:
    """Return T as a float array, or raise if any value is not finite or outside 200-400 K."""
    try:
        arr = np.asarray(T, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(
            f"{where}: temperature T = {T!r} is not a number; allowed range [{T_MIN:g}, {T_MAX:g}] K"
        ) from None
    if not np.all(np.isfinite(arr)) or np.any(arr < T_MIN) or np.any(arr > T_MAX):
        raise ParameterError(
            f"{where}: temperature T = {arr.tolist()} K is not allowed; allowed range "
            f"[{T_MIN:g}, {T_MAX:g}] K (the constant-ΔrH, ΔrS data are anchored at 298.15 K, "
            "and Na melts at 371 K)"
        )
    return arr


def _format_side(items: list[tuple[str, float]]) -> str:
    def coeff(x: float) -> str:
        if x == 1:
            return ""
        if x == 0.5:
            return "½"
        if x == 1.5:
            return "3/2"
        return f"{x:g}"

    return " + ".join(f"{coeff(abs(nu))}{name}" for name, nu in items)


@dataclass(frozen=True)
class Reaction:
    r"""A balanced reaction over the species of one table.

    Parameters
    ----------
    name : str
        Key of the reaction in its chemistry (``"NaO2"``).
    stoichiometry : mapping of str to float
        Species name → signed coefficient, reactants negative, written in the
        discharge (reduction) direction with the metal as metal.
    electrons : int
        Electrons per reaction as written (n ≥ 1), or 0 for a chemical step.
    source : str
        Where the reaction and its data come from.
    species : mapping of str to Species
        Keyword only: the table the names refer to. Only the rows used are kept.

    Raises
    ------
    ParameterError
        If a coefficient is not a finite non-zero number, a species is
        unknown (with suggestions), a side is empty, or the elements do not
        balance (the message names the element and the imbalance).

    Notes
    -----
    Temperature dependence (constant ΔrH and ΔrS; Ulich / second law),
    anchored on the tabulated Gibbs energies:

    .. math:: \Delta_r G^\circ(T) = \Delta_r G^\circ(T_0) - (T - T_0)\,\Delta_r S^\circ,
       \qquad T_0 = 298.15\ \mathrm{K}

    which is ΔrH − TΔrS with ΔrH = ΔrG°(T0) + T0 ΔrS°. For a table whose rows
    are internally consistent (ΔfG = ΔfH − T0 ΔfS within rounding) this is
    the same as using the ΔfH column. Where a row is not (NBS Na2CO3,
    NaHCO3 and Na2CO3·H2O are off by 2-2.5 kJ/mol, see
    :meth:`Chemistry.consistency_gaps`), ΔfG at 298.15 K is trusted and S°
    gives only the slope, so E°(298.15 K) matches the ΔfG column exactly.
    """

    name: str
    stoichiometry: Mapping[str, float]
    electrons: int
    source: str
    _: KW_ONLY
    species: Mapping[str, Species] = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ParameterError(f"Reaction.name must be a non-empty string, got {self.name!r}")
        owner = f"Reaction({self.name!r})"
        if isinstance(self.electrons, bool) or not isinstance(self.electrons, (int, np.integer)) or self.electrons < 0:
            raise ParameterError(
                f"{owner}.electrons = {self.electrons!r} is not allowed; allowed: an integer ≥ 1 for an "
                "electrochemical step, 0 for a chemical one"
            )
        object.__setattr__(self, "electrons", int(self.electrons))
        if not isinstance(self.source, str) or not self.source.strip():
            raise ParameterError(f"{owner}.source must say where the reaction comes from, got {self.source!r}")
        if not isinstance(self.stoichiometry, Mapping) or not self.stoichiometry:
            raise ParameterError(f"{owner}.stoichiometry must be a non-empty mapping name -> coefficient")
        available = list(self.species)
        stoich: dict[str, float] = {}
        for name, nu in self.stoichiometry.items():
            if name not in self.species:
                raise ParameterError(f"{owner}: " + did_you_mean(name, available, "species"))
            if isinstance(nu, bool) or not isinstance(nu, numbers.Real) or not math.isfinite(nu) or nu == 0:
                raise ParameterError(
                    f"{owner}.stoichiometry[{name!r}] = {nu!r} is not allowed; allowed: a finite non-zero "
                    "number (negative for reactants, positive for products)"
                )
            stoich[name] = float(nu)
        if not any(nu < 0 for nu in stoich.values()) or not any(nu > 0 for nu in stoich.values()):
            raise ParameterError(f"{owner} needs at least one reactant (ν < 0) and one product (ν > 0), got {stoich}")
        used = {name: self.species[name] for name in stoich}
        balance: dict[str, float] = {}
        for name, nu in stoich.items():
            for el, count in used[name].composition.items():
                balance[el] = balance.get(el, 0.0) + nu * count
        for el, excess in balance.items():
            if abs(excess) > _BALANCE_TOL:
                made = sum(nu * used[n].composition.get(el, 0.0) for n, nu in stoich.items() if nu > 0)
                used_up = -sum(nu * used[n].composition.get(el, 0.0) for n, nu in stoich.items() if nu < 0)
                raise ParameterError(
                    f"{owner} is not balanced in {el}: {used_up:g} {el} on the reactant side, {made:g} on "
                    f"the product side (imbalance {excess:+g} {el}); fix the coefficients"
                )
        object.__setattr__(self, "stoichiometry", MappingProxyType(stoich))
        object.__setattr__(self, "species", MappingProxyType(used))

    # ----------------------------------------------------------------- data
    def __str__(self) -> str:
        left = [(n, nu) for n, nu in self.stoichiometry.items() if nu < 0]
        right = [(n, nu) for n, nu in self.stoichiometry.items() if nu > 0]
        return f"{_format_side(left)} → {_format_side(right)}"

    @property
    def is_electrochemical(self) -> bool:
        """True when electrons are transferred (n ≥ 1)."""
        return self.electrons > 0

    @property
    def gases(self) -> dict[str, float]:
        """Gas-phase species and their signed coefficients."""
        return {n: nu for n, nu in self.stoichiometry.items() if self.species[n].is_gas}

    def delta_h(self) -> float:
        """Tabulated reaction enthalpy Σν ΔfH° at 298.15 K [J/mol]."""
        return float(sum(nu * self.species[n].dHf for n, nu in self.stoichiometry.items()))

    def delta_s(self) -> float:
        """Reaction entropy Σν S° at 298.15 K [J/(mol K)], taken as constant."""
        return float(sum(nu * self.species[n].S for n, nu in self.stoichiometry.items()))

    def delta_g_standard_ref(self) -> float:
        """Tabulated standard reaction Gibbs energy Σν ΔfG° at 298.15 K [J/mol]."""
        return float(sum(nu * self.species[n].dGf for n, nu in self.stoichiometry.items()))

    # --------------------------------------------------------- thermodynamics
    def _gas_activities(self, env: Environment) -> tuple[list[str], np.ndarray, np.ndarray]:
        names, activities, nus = [], [], []
        for name, nu in self.gases.items():
            gas = self.species[name].formula
            p = env.partial_pressure(gas)
            if p <= 0.0:
                if nu < 0:
                    raise ParameterError(
                        f"reaction {self.name!r} ({self}) consumes {gas}, but environment {env.name!r} has "
                        f"p_{gas} = 0 Pa: it cannot proceed there (its equilibrium potential would be −∞). "
                        f"Use an environment that contains {gas}, or leave this reaction out"
                    )
                raise ParameterError(
                    f"reaction {self.name!r} ({self}) releases {gas}, but environment {env.name!r} has "
                    f"p_{gas} = 0 Pa: ΔrG would be −∞ (no finite equilibrium). Give {gas} a small non-zero "
                    "partial pressure"
                )
            names.append(name)
            activities.append(p / P_STD)
            nus.append(nu)
        return names, np.asarray(activities, float), np.asarray(nus, float)

    def delta_g(self, T: ArrayLike = T_REF, environment: Environment | str | None = None) -> float | np.ndarray:
        """Reaction Gibbs energy ΔrG(T) [J/mol].

        Parameters
        ----------
        T : array_like, optional
            Temperature [K], 200-400 K; default 298.15 K.
        environment : Environment or str, optional
            If given, gas activities p_i/p° from it are included,
            ΔrG = ΔrG°(T) + RT Σ ν_i ln(p_i/p°); condensed phases have unit
            activity. If omitted, the standard value ΔrG°(T) (all gases at 1 bar).

        Returns
        -------
        float or ndarray
            ΔrG [J/mol]; negative means the reaction as written is downhill.

        Raises
        ------
        ParameterError
            For a bad temperature, or a gas of the reaction that is absent
            from the environment.
        """
        T_arr = _check_temperature(T, f"Reaction {self.name!r}")
        dS = self.delta_s()
        dG = np.asarray(gibbs_energy_ulich(self.delta_g_standard_ref() + T_REF * dS, dS, T_arr))
        if environment is not None:
            _, a, nu = self._gas_activities(_environment(environment))
            if a.size:
                dG = dG + R * T_arr * float(np.sum(nu * np.log(a)))
        return float(dG) if dG.ndim == 0 else dG

    def _require_electrons(self, what: str) -> None:
        if not self.is_electrochemical:
            raise ParameterError(
                f"reaction {self.name!r} ({self}) is chemical (electrons = 0) and has no {what}; "
                "use delta_g(T, environment) for its driving force"
            )

    def standard_potential(self, T: ArrayLike = T_REF) -> float | np.ndarray:
        """Standard potential E°(T) = −ΔrG°(T)/(nF) [V vs M+/M].

        Parameters
        ----------
        T : array_like, optional
            Temperature [K], 200-400 K; default 298.15 K.

        Raises
        ------
        ParameterError
            For a chemical (n = 0) reaction, or a bad temperature.
        """
        self._require_electrons("electrode potential")
        return potential_from_gibbs_energy(self.delta_g(T), self.electrons)

    def temperature_coefficient(self) -> float:
        """dE°/dT = ΔrS°/(nF) [V/K] (constant in this model)."""
        self._require_electrons("temperature coefficient")
        return float(temperature_coefficient(self.delta_s(), self.electrons))

    def equilibrium_potential(self, T: ArrayLike | None, environment: Environment | str) -> float | np.ndarray:
        """Equilibrium potential in a gas environment (Nernst) [V vs M+/M].

        Parameters
        ----------
        T : array_like or None
            Temperature [K], 200-400 K; None takes ``environment.temperature``.
        environment : Environment or str
            Supplies the gas partial pressures (``"ambient air"``, an
            :class:`Environment`, ...).

        Returns
        -------
        float or ndarray
            E = E°(T) − (RT/nF) Σ ν_i ln(p_i/p°) over the gases of the
            reaction (:func:`~metalair.chemistry.thermo.nernst_potential`).
            Consuming a gas (ν < 0), a higher partial pressure raises E.

        Raises
        ------
        ParameterError
            For a chemical reaction, a bad temperature, or a consumed gas
            with zero partial pressure (the reaction cannot run there).
        """
        self._require_electrons("equilibrium potential")
        env = _environment(environment)
        T_arr = _check_temperature(env.temperature if T is None else T, f"Reaction {self.name!r}")
        _, a, nu = self._gas_activities(env)
        E0 = self.standard_potential(T_arr)
        return nernst_potential(E0, self.electrons, T_arr, a, nu)


@dataclass(frozen=True)
class Chemistry:
    """A metal, its species table and its reactions.

    Parameters
    ----------
    name : str
        ``"sodium"``.
    metal : str
        Name of the metal species in ``species`` (``"Na"``).
    species : mapping of str to Species
        The thermodynamic table; becomes a :class:`~metalair.chemistry.species.Table`.
    reactions : mapping of str to Reaction
        Built on the same table; becomes a Table.
    source : str
        The data set the table follows.

    Raises
    ------
    ParameterError
        If a reaction uses a species that is not in the table (or a different
        row of the same name), or an electrochemical reaction's electron count
        differs from the metal atoms it consumes (one M+ per electron).
    """

    name: str
    metal: str
    species: Mapping[str, Species]
    reactions: Mapping[str, Reaction]
    source: str

    def __post_init__(self) -> None:
        owner = f"Chemistry({self.name!r})"
        species = Table(self.species, "species", f"the {self.name} chemistry")
        if self.metal not in species:
            raise ParameterError(f"{owner}.metal: " + did_you_mean(self.metal, list(species), "species"))
        for key, sp in species.items():
            if key != sp.name:
                raise ParameterError(f"{owner}: species key {key!r} differs from its name {sp.name!r}")
        for key, rxn in self.reactions.items():
            if key != rxn.name:
                raise ParameterError(f"{owner}: reaction key {key!r} differs from its name {rxn.name!r}")
            for n, sp in rxn.species.items():
                if n not in species or species[n] != sp:
                    raise ParameterError(
                        f"{owner}: reaction {key!r} uses a species {n!r} that is not this table's row; "
                        "build every reaction from the chemistry's own species table"
                    )
            if rxn.is_electrochemical:
                metal_used = -rxn.stoichiometry.get(self.metal, 0.0)
                if metal_used != rxn.electrons:
                    raise ParameterError(
                        f"{owner}: reaction {key!r} ({rxn}) has electrons = {rxn.electrons} but consumes "
                        f"{metal_used:g} {self.metal}; with the metal written as metal, n must equal the "
                        f"{self.metal} consumed (one {self.metal}+ per electron)"
                    )
        object.__setattr__(self, "species", species)
        object.__setattr__(self, "reactions", Table(self.reactions, "reaction", f"the {self.name} chemistry"))

    @property
    def electrochemical(self) -> list[str]:
        """Names of the electrochemical (n ≥ 1) reactions."""
        return [k for k, r in self.reactions.items() if r.is_electrochemical]

    @property
    def chemical(self) -> list[str]:
        """Names of the chemical (n = 0) reactions."""
        return [k for k, r in self.reactions.items() if not r.is_electrochemical]

    def element_entropies(self) -> dict[str, float]:
        """Reference-state entropy per atom of each element in the table [J/(mol K)]."""
        out: dict[str, float] = {}
        for sp in self.species.values():
            if sp.is_element_reference:
                ((el, count),) = sp.composition.items()
                out[el] = sp.S / count
        return out

    def consistency_gaps(self, T: float = T_REF) -> dict[str, float]:
        """ΔfG° − (ΔfH° − T ΔfS°) [J/mol] of every compound whose elements have a reference row.

        A gap above ~1 kJ/mol flags a row whose columns come from different
        evaluations (see :class:`Reaction` for how it is handled).
        """
        ref = self.element_entropies()
        return {
            name: float(consistency_gap(sp.dHf, sp.dGf, formation_entropy(sp.composition, sp.S, ref), T))
            for name, sp in self.species.items()
            if not sp.is_element_reference and set(sp.composition) <= set(ref)
        }

    def standard_potentials(self, T: float = T_REF) -> dict[str, float]:
        """E°(T) [V vs M+/M] of every electrochemical reaction."""
        return {k: float(self.reactions[k].standard_potential(T)) for k in self.electrochemical}
