r"""Catalyst descriptors from DFT results: d-band moments, bond ICOHP, free-energy steps.

Pure computations on arrays and small records; the file readers that build
these records (VASP ``vasprun.xml``, LOBSTER ``ICOHPLIST.lobster``, a table of
free-energy steps) are in :mod:`metalair.io.dft`.

d-band moments
--------------
For a projected density of states :math:`\rho(\varepsilon)` on energies
relative to the Fermi level, over an energy window (default: the whole grid),
with trapezoid integrals:

.. math::

    \varepsilon_d = \frac{\int \varepsilon\,\rho\,d\varepsilon}{\int \rho\,d\varepsilon},\qquad
    W_d = \sqrt{\frac{\int (\varepsilon-\varepsilon_d)^2\,\rho\,d\varepsilon}{\int \rho\,d\varepsilon}},\qquad
    f_d = \frac{\int_{\varepsilon<0} \rho\,d\varepsilon}{\int \rho\,d\varepsilon}.

The centre (first moment) is the Hammer–Nørskov descriptor [1]_ [2]_; the
width (square root of the second central moment) and the filling are the
usual companions [3]_. The spin-summed values use :math:`\rho_\uparrow +
\rho_\downarrow`; each spin channel is also reported on its own.

Free-energy steps (computational sodium electrode)
--------------------------------------------------
With the computational hydrogen electrode of Nørskov et al. [4]_ carried over
to the alkali-metal electrode (Hummelshøj et al. [5]_ for Li–O2), the free
energy of :math:`\mathrm{Na^+ + e^-}` at electrode potential *U* (vs Na+/Na)
is :math:`G(\mathrm{Na}) - eU`. A discharge (reduction) step *i* transferring
:math:`n_i` electrons with reaction free energy :math:`\Delta G_i` at 0 V has
:math:`\Delta G_i(U) = \Delta G_i + n_i eU`. Hence, over the electrochemical
steps (per electron):

* equilibrium potential :math:`U_{eq} = -\sum_i \Delta G_i / (e\sum_i n_i)`;
* limiting discharge potential :math:`U_{dis} = \min_i(-\Delta G_i/n_i)`
  (highest potential at which every discharge step is downhill);
* limiting charge potential :math:`U_{ch} = \max_i(-\Delta G_i/n_i)`
  (lowest potential at which every reverse step is downhill);
* overpotentials :math:`\eta_{dis} = U_{eq} - U_{dis}` and
  :math:`\eta_{ch} = U_{ch} - U_{eq}`; the charging overpotential is the
  free-energy overpotential :math:`\eta_{FE}` a catalyst carries
  (:attr:`metalair.catalysts.Catalyst.free_energy_overpotential`).

Chemical steps (:math:`n_i = 0`) do not move with *U*; an uphill chemical
step is reported separately.

References
----------
.. [1] Hammer, B.; Nørskov, J. K. Surf. Sci. 343, 211 (1995). doi:10.1016/0039-6028(96)80007-0
.. [2] Hammer, B.; Nørskov, J. K. Adv. Catal. 45, 71 (2000). doi:10.1016/S0360-0564(02)45013-4
.. [3] Xin, H.; Vojvodic, A.; Voss, J.; Nørskov, J. K.; Abild-Pedersen, F. Phys. Rev. B 89, 115114 (2014).
   doi:10.1103/PhysRevB.89.115114
.. [4] Nørskov, J. K.; Rossmeisl, J.; Logadottir, A.; Lindqvist, L.; Kitchin, J. R.; Bligaard, T.;
   Jónsson, H. J. Phys. Chem. B 108, 17886 (2004). doi:10.1021/jp047349j
.. [5] Hummelshøj, J. S.; Blomqvist, J.; Datta, S.; Vegge, T.; Rossmeisl, J.; Thygesen, K. S.;
   Luntz, A. C.; Jacobsen, K. W.; Nørskov, J. K. J. Chem. Phys. 132, 071101 (2010). doi:10.1063/1.3298994
.. [6] Dronskowski, R.; Blöchl, P. E. J. Phys. Chem. 97, 8617 (1993). doi:10.1021/j100135a014 (COHP);
   Maintz, S.; Deringer, V. L.; Tchougréeff, A. L.; Dronskowski, R. J. Comput. Chem. 37, 1030 (2016).
   doi:10.1002/jcc.24300 (LOBSTER).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from metalair.errors import DataFormatError, ParameterError

__all__ = [
    "BandMoments",
    "band_moments",
    "ProjectedDOS",
    "orbital_kind",
    "IcohpBond",
    "BondIcohp",
    "bond_icohp",
    "element_of",
    "FreeEnergyStep",
    "FreeEnergyAnalysis",
    "analyse_free_energy_steps",
]

_trapz = getattr(np, "trapezoid", None) or getattr(np, "trapz")  # noqa: B009  (numpy < 2 has only trapz)


# ----------------------------------------------------------------------------
# d-band moments
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BandMoments:
    """Centre, width and filling of a projected band (see the module notes).

    Parameters
    ----------
    centre : float
        First moment relative to the Fermi level [eV].
    width : float
        Square root of the second central moment [eV].
    filling : float
        Fraction of the band's states below the Fermi level [-].
    """

    centre: float
    width: float
    filling: float


def band_moments(energies: np.ndarray, density: np.ndarray, e_fermi: float = 0.0,
                 erange: tuple[float, float] | None = None) -> BandMoments:
    """Centre, width and filling of a band from its density of states.

    Parameters
    ----------
    energies : array
        Energy grid [eV] (absolute; ``e_fermi`` is subtracted).
    density : array
        Density of states on ``energies`` (one spin channel or a spin sum).
    e_fermi : float
        Fermi level [eV].
    erange : (float, float), optional
        Window relative to the Fermi level [eV] for centre and width (the
        filling always uses the whole grid). Default: the whole grid.

    Raises
    ------
    ParameterError
        Mismatched lengths, non-finite values, or no states in the window.
    """
    e = np.asarray(energies, dtype=float) - float(e_fermi)
    rho = np.asarray(density, dtype=float)
    if e.ndim != 1 or rho.shape != e.shape:
        raise ParameterError(f"energies and density must be 1-D arrays of one length; got shapes {e.shape} "
                             f"and {rho.shape}")
    if e.size < 2 or not (np.all(np.isfinite(e)) and np.all(np.isfinite(rho))):
        raise ParameterError("energies and density must hold at least 2 finite values")
    total = float(_trapz(rho, e))
    if not total > 0:
        raise ParameterError("the projected band has no states (its density integrates to zero); "
                             "check the chosen elements/sites and orbital")
    below = e < 0
    filling = float(_trapz(rho[below], e[below])) / total if below.sum() > 1 else 0.0
    if erange is not None:
        lo, hi = float(erange[0]), float(erange[1])
        if not lo < hi:
            raise ParameterError(f"erange = {erange!r} must be (low, high) with low < high [eV]")
        m = (e >= lo) & (e <= hi)
        e, rho = e[m], rho[m]
        norm = float(_trapz(rho, e)) if e.size > 1 else 0.0
        if not norm > 0:
            raise ParameterError(f"no states of the band between {lo:g} and {hi:g} eV of the Fermi level")
    else:
        norm = total
    centre = float(_trapz(e * rho, e)) / norm
    second = float(_trapz((e - centre) ** 2 * rho, e)) / norm
    return BandMoments(centre=centre, width=math.sqrt(max(second, 0.0)), filling=filling)


def orbital_kind(name: str) -> str:
    """``"s"``, ``"p"``, ``"d"`` or ``"f"`` for a VASP orbital column name (``"dxy"``, ``"x2-y2"``, ``"px"``...)."""
    n = name.strip().lower()
    if n in ("x2-y2", "dx2", "dx2-y2") or n.startswith("d"):
        return "d"
    if n.startswith("p"):
        return "p"
    if n.startswith("s"):
        return "s"
    if n.startswith("f"):
        return "f"
    raise DataFormatError(f"unknown orbital column {name!r}; expected s, p*, d* (or x2-y2), f*")


@dataclass(frozen=True, eq=False)
class ProjectedDOS:
    """Site- and orbital-projected density of states of one calculation.

    Parameters
    ----------
    energies : ndarray, shape (n_e,)
        Absolute energies [eV].
    e_fermi : float
        Fermi level [eV].
    elements : tuple of str
        Element of each site (ion), in file order.
    orbitals : tuple of str
        Orbital column names (``"s"``, ``"py"``, ..., ``"x2-y2"``).
    density : ndarray, shape (n_sites, n_spin, n_orbitals, n_e)
        Projected densities [states/eV]; n_spin is 1 or 2.
    source : str
        Where the numbers come from (file, hash).
    """

    energies: np.ndarray
    e_fermi: float
    elements: tuple
    orbitals: tuple
    density: np.ndarray
    source: str = ""

    @property
    def n_spin(self) -> int:
        """Number of spin channels (1 or 2)."""
        return int(self.density.shape[1])

    def sites_of(self, elements: Sequence[str] | None = None, sites: Sequence[int] | None = None) -> list[int]:
        """Zero-based site indices selected by element symbols or by (zero-based) site indices."""
        if elements is not None and sites is not None:
            raise ParameterError("choose sites by elements or by site indices, not both")
        n = len(self.elements)
        if sites is not None:
            out = [int(s) for s in sites]
            bad = [s for s in out if not 0 <= s < n]
            if bad:
                raise ParameterError(f"site index(es) {bad} out of range; this calculation has sites 0..{n - 1}")
            return out
        if elements is None:
            return list(range(n))
        present = list(dict.fromkeys(self.elements))
        out = []
        for el in elements:
            hit = [i for i, e in enumerate(self.elements) if e == el]
            if not hit:
                close = difflib.get_close_matches(el, present, n=1)
                raise ParameterError(f"element {el!r} is not in this calculation"
                                     + (f"; did you mean {close[0]!r}?" if close else "")
                                     + f" Elements present: {', '.join(present)}")
            out.extend(hit)
        return out

    def band_density(self, orbital: str = "d", elements: Sequence[str] | None = None,
                     sites: Sequence[int] | None = None) -> np.ndarray:
        """Summed density of one orbital kind over the chosen sites, shape (n_spin, n_e)."""
        cols = [i for i, o in enumerate(self.orbitals) if orbital_kind(o) == orbital]
        if not cols:
            raise ParameterError(f"no {orbital!r} orbitals in this projection; columns: {', '.join(self.orbitals)}")
        idx = self.sites_of(elements, sites)
        return self.density[np.ix_(idx, range(self.n_spin), cols)].sum(axis=(0, 2))

    def band_moments(self, orbital: str = "d", elements: Sequence[str] | None = None,
                     sites: Sequence[int] | None = None,
                     erange: tuple[float, float] | None = None) -> dict[str, BandMoments]:
        """Moments of the chosen band: ``{"total": ..., "up": ..., "down": ...}`` (spins when spin-polarised)."""
        rho = self.band_density(orbital, elements, sites)
        out = {"total": band_moments(self.energies, rho.sum(axis=0), self.e_fermi, erange)}
        if self.n_spin == 2:
            for i, label in enumerate(("up", "down")):
                try:
                    out[label] = band_moments(self.energies, rho[i], self.e_fermi, erange)
                except ParameterError:  # an empty channel (e.g. fully polarised): report NaN
                    out[label] = BandMoments(math.nan, math.nan, math.nan)
        return out


# ----------------------------------------------------------------------------
# ICOHP
# ----------------------------------------------------------------------------
_ELEMENT = re.compile(r"^([A-Z][a-z]?)")


def element_of(label: str) -> str:
    """Element symbol of a LOBSTER atom label (``"Ti2"`` → ``"Ti"``, ``"O13"`` → ``"O"``)."""
    m = _ELEMENT.match(label.strip())
    if not m:
        raise DataFormatError(f"cannot read an element from atom label {label!r}")
    return m.group(1)


@dataclass(frozen=True)
class IcohpBond:
    """One bond (atom pair and lattice translation) of an ICOHP list.

    Parameters
    ----------
    index : int
        LOBSTER's running bond number.
    atom1, atom2 : str
        Atom labels (``"Ti2"``, ``"O3"``).
    distance : float
        Bond length [Å].
    translation : tuple of int
        Lattice translation of ``atom2`` (``(0, 0, 0)`` when the file has none).
    icohp_by_spin : tuple of float
        ICOHP at the Fermi level per spin channel [eV].
    """

    index: int
    atom1: str
    atom2: str
    distance: float
    translation: tuple
    icohp_by_spin: tuple

    @property
    def icohp(self) -> float:
        """ICOHP summed over spin channels [eV] (negative = bonding)."""
        return float(sum(self.icohp_by_spin))

    @property
    def elements(self) -> tuple[str, str]:
        """The two element symbols."""
        return element_of(self.atom1), element_of(self.atom2)


@dataclass(frozen=True)
class BondIcohp:
    """Mean ICOHP of one bond type within a distance cutoff.

    Parameters
    ----------
    pair : tuple of str
        Element pair, e.g. ``("Ru", "O")``.
    max_distance : float
        Cutoff [Å].
    mean : float
        Mean ICOHP over the bonds [eV].
    bonds : tuple of IcohpBond
        The bonds averaged.
    """

    pair: tuple
    max_distance: float
    mean: float
    bonds: tuple = field(default_factory=tuple)

    @property
    def count(self) -> int:
        """Number of bonds averaged."""
        return len(self.bonds)

    @property
    def mean_by_spin(self) -> tuple[float, ...]:
        """Mean ICOHP per spin channel [eV]."""
        arr = np.array([b.icohp_by_spin for b in self.bonds], dtype=float)
        return tuple(float(x) for x in arr.mean(axis=0))


def bond_icohp(bonds: Sequence[IcohpBond], pair: tuple[str, str] | str, max_distance: float) -> BondIcohp:
    """Mean ICOHP over all bonds of an element pair not longer than ``max_distance``.

    Parameters
    ----------
    bonds : sequence of IcohpBond
        From :func:`metalair.io.dft.read_icohplist`.
    pair : (str, str) or str
        Element pair in either order, e.g. ``("Ru", "O")`` or ``"Ru-O"``.
    max_distance : float
        Cutoff [Å].

    Raises
    ------
    ParameterError
        No bond of that pair within the cutoff (the message lists the pairs and
        shortest distances present).
    """
    if isinstance(pair, str):
        parts = [p.strip() for p in re.split(r"[-–, ]+", pair) if p.strip()]
        if len(parts) != 2:
            raise ParameterError(f"bond {pair!r} must name two elements, e.g. 'Ru-O'")
        pair = (parts[0], parts[1])
    if not (math.isfinite(max_distance) and max_distance > 0):
        raise ParameterError(f"max_distance = {max_distance!r} must be a positive distance in Å")
    want = tuple(sorted(pair))
    chosen = [b for b in bonds if tuple(sorted(b.elements)) == want and b.distance <= max_distance]
    if not chosen:
        shortest: dict[tuple, float] = {}
        for b in bonds:
            key = tuple(sorted(b.elements))
            shortest[key] = min(shortest.get(key, math.inf), b.distance)
        have = ", ".join(f"{a}-{c} (shortest {d:.3f} Å)" for (a, c), d in sorted(shortest.items()))
        raise ParameterError(f"no {pair[0]}-{pair[1]} bond within {max_distance:g} Å; bonds present: {have or 'none'}")
    mean = float(np.mean([b.icohp for b in chosen]))
    return BondIcohp(pair=(pair[0], pair[1]), max_distance=float(max_distance), mean=mean, bonds=tuple(chosen))


# ----------------------------------------------------------------------------
# free-energy steps
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class FreeEnergyStep:
    """One elementary discharge step at U = 0 V vs Na+/Na.

    Parameters
    ----------
    label : str
        e.g. ``"* + Na+ + e- + O2 -> NaO2*"``.
    delta_g : float
        Reaction free energy at 0 V [eV].
    electrons : int
        Electrons transferred (1 for an electrochemical step, 0 for a chemical one).
    """

    label: str
    delta_g: float
    electrons: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.delta_g, bool) or not isinstance(self.delta_g, (int, float)) \
                or not math.isfinite(self.delta_g):
            raise ParameterError(f"step {self.label!r}: delta_g = {self.delta_g!r} must be a finite number [eV]")
        if isinstance(self.electrons, bool) or not isinstance(self.electrons, int) or not 0 <= self.electrons <= 4:
            raise ParameterError(f"step {self.label!r}: electrons = {self.electrons!r} must be an integer 0..4")
        object.__setattr__(self, "delta_g", float(self.delta_g))


@dataclass(frozen=True)
class FreeEnergyAnalysis:
    """Thermodynamic analysis of a set of discharge steps (see the module notes).

    Parameters
    ----------
    steps : tuple of FreeEnergyStep
    equilibrium_potential : float
        [V vs Na+/Na].
    limiting_discharge_potential, limiting_charge_potential : float
        [V vs Na+/Na].
    limiting_discharge_step, limiting_charge_step : str
        Labels of the steps that set them.
    discharge_overpotential, charge_overpotential : float
        [V]; the charge overpotential is the free-energy overpotential η_FE.
    uphill_chemical_steps : tuple of str
        Chemical steps with ΔG > 0 (not removable by any potential).
    """

    steps: tuple
    equilibrium_potential: float
    limiting_discharge_potential: float
    limiting_charge_potential: float
    limiting_discharge_step: str
    limiting_charge_step: str
    discharge_overpotential: float
    charge_overpotential: float
    uphill_chemical_steps: tuple = ()

    @property
    def eta_fe(self) -> float:
        """The free-energy (charging) overpotential η_FE [V]."""
        return self.charge_overpotential

    def profile(self, potential: float = 0.0) -> np.ndarray:
        """Cumulative free energy [eV] after 0, 1, ... N steps of the discharge at ``potential`` [V]."""
        g = [0.0]
        for s in self.steps:
            g.append(g[-1] + s.delta_g + s.electrons * float(potential))
        return np.array(g)

    def as_dict(self) -> dict:
        """Flat dictionary of the results (for tables and JSON)."""
        return {
            "equilibrium_potential_V": self.equilibrium_potential,
            "limiting_discharge_potential_V": self.limiting_discharge_potential,
            "limiting_charge_potential_V": self.limiting_charge_potential,
            "limiting_discharge_step": self.limiting_discharge_step,
            "limiting_charge_step": self.limiting_charge_step,
            "discharge_overpotential_V": self.discharge_overpotential,
            "charge_overpotential_V": self.charge_overpotential,
            "uphill_chemical_steps": list(self.uphill_chemical_steps),
        }


def analyse_free_energy_steps(steps: Sequence[FreeEnergyStep]) -> FreeEnergyAnalysis:
    """Equilibrium and limiting potentials, limiting steps and overpotentials of discharge steps.

    Parameters
    ----------
    steps : sequence of FreeEnergyStep
        The discharge steps in order, ΔG at 0 V vs Na+/Na.

    Raises
    ------
    ParameterError
        No electrochemical step, or an equilibrium potential that is not
        positive (the steps do not describe a discharge).

    References
    ----------
    Nørskov et al., J. Phys. Chem. B 108, 17886 (2004), doi:10.1021/jp047349j;
    Hummelshøj et al., J. Chem. Phys. 132, 071101 (2010), doi:10.1063/1.3298994.
    """
    steps = tuple(steps)
    for s in steps:
        if not isinstance(s, FreeEnergyStep):
            raise ParameterError(f"steps must be FreeEnergyStep records, got {type(s).__name__}")
    echem = [s for s in steps if s.electrons > 0]
    if not echem:
        raise ParameterError("no electrochemical step (electrons > 0) among the free-energy steps")
    n_total = sum(s.electrons for s in echem)
    u_eq = -sum(s.delta_g for s in steps) / n_total
    if not u_eq > 0:
        raise ParameterError(f"the steps sum to ΔG = {sum(s.delta_g for s in steps):+.3f} eV, i.e. an equilibrium "
                             f"potential of {u_eq:+.3f} V: discharge steps must be downhill overall (ΔG < 0 at 0 V)")
    onset = [(-s.delta_g / s.electrons, s.label) for s in echem]
    u_dis, step_dis = min(onset)
    u_ch, step_ch = max(onset)
    uphill = tuple(s.label for s in steps if s.electrons == 0 and s.delta_g > 0)
    return FreeEnergyAnalysis(
        steps=steps, equilibrium_potential=u_eq,
        limiting_discharge_potential=u_dis, limiting_charge_potential=u_ch,
        limiting_discharge_step=step_dis, limiting_charge_step=step_ch,
        discharge_overpotential=u_eq - u_dis, charge_overpotential=u_ch - u_eq,
        uphill_chemical_steps=uphill,
    )
