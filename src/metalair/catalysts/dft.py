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

* equilibrium potential of the overall reaction, chemical steps included,
  :math:`U_{eq} = -\sum_i \Delta G_i / (e\sum_i n_i)`;
* limiting discharge potential :math:`U_{dis} = \min_i(-\Delta G_i/n_i)`
  (highest potential at which every electrochemical discharge step is downhill);
* limiting charge potential :math:`U_{ch} = \max_i(-\Delta G_i/n_i)`
  (lowest potential at which every reversed electrochemical step is downhill);
  on a tie the first step in the path is the limiting one;
* overpotentials :math:`\eta_{dis} = \max(0, U_{eq} - U_{dis})` and
  :math:`\eta_{ch} = \max(0, U_{ch} - U_{eq})`; the charging overpotential
  of the path is the free-energy overpotential :math:`\eta_{FE}` a catalyst
  carries (:attr:`metalair.catalysts.Catalyst.free_energy_overpotential`;
  the model applies it to the superoxide decomposition).

Chemical steps (:math:`n_i = 0`) do not move with *U*: one that is uphill in
the direction considered (:math:`\Delta G_i > 0` on discharge, :math:`\Delta
G_i < 0` on charge, where it runs in reverse) makes the path uphill at every
potential. That is a thermodynamic barrier, reported on its own
(``charge_chemical_barrier``), not an overpotential. Only then can the
electrochemical steps alone be downhill on the far side of :math:`U_{eq}`
(for example :math:`U_{ch} < U_{eq}` when a downhill chemical step of the
discharge carries part of the free energy); the overpotential is then 0, not
negative.

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
from typing import TYPE_CHECKING

import numpy as np

from metalair.errors import DataFormatError, ParameterError

if TYPE_CHECKING:  # pragma: no cover
    pass

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
    "superoxide_step_index",
    "calibrated_ranges",
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
        by_lower = {e.lower(): e for e in present}
        out = []
        for el in elements:
            want = by_lower.get(str(el).strip().lower())  # element symbols are unique whatever their case
            if want is None:
                close = difflib.get_close_matches(str(el).strip().lower(), list(by_lower), n=1)
                raise ParameterError(f"element {el!r} is not in this calculation"
                                     + (f" (did you mean {by_lower[close[0]]!r}?)" if close else "")
                                     + f". Elements present: {', '.join(present)}; give element symbols from "
                                     "this list (or zero-based site indices)")
            out.extend(i for i, e in enumerate(self.elements) if e == want)
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
        ICOHP at the Fermi level per spin channel [eV], of one bond.
    num_bonds : int
        Number of (symmetry-equivalent) bonds the row stands for: LOBSTER 2.x
        lists each set of equivalent bonds once with a "number of bonds"
        column; later versions list every bond (1). pymatgen's
        ``IcohpValue.num_bonds`` has the same meaning.
    """

    index: int
    atom1: str
    atom2: str
    distance: float
    translation: tuple
    icohp_by_spin: tuple
    num_bonds: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.num_bonds, bool) or not isinstance(self.num_bonds, int) or self.num_bonds < 1:
            raise ParameterError(f"bond {self.index} ({self.atom1}-{self.atom2}): num_bonds = {self.num_bonds!r} "
                                 "must be a positive integer (the number of bonds the row stands for)")

    @property
    def icohp(self) -> float:
        """ICOHP summed over spin channels [eV] (negative = bonding), of one bond."""
        return float(sum(self.icohp_by_spin))

    @property
    def orbital_resolved(self) -> bool:
        """True for an orbital-resolved row (atom labels like ``"Ti2_3d_xy"``), False for a whole-bond row."""
        return "_" in self.atom1 or "_" in self.atom2

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
        Mean ICOHP per bond [eV]: each row weighted by the number of bonds it
        stands for (:attr:`IcohpBond.num_bonds`).
    bonds : tuple of IcohpBond
        The rows averaged (whole-bond rows only).
    """

    pair: tuple
    max_distance: float
    mean: float
    bonds: tuple = field(default_factory=tuple)

    @property
    def count(self) -> int:
        """Number of bonds averaged (rows weighted by their ``num_bonds``)."""
        return int(sum(b.num_bonds for b in self.bonds))

    @property
    def rows(self) -> int:
        """Number of rows of the ICOHP list averaged (fewer than :attr:`count` in LOBSTER 2.x lists)."""
        return len(self.bonds)

    @property
    def mean_by_spin(self) -> tuple[float, ...]:
        """Mean ICOHP per bond and spin channel [eV] (rows weighted by their ``num_bonds``)."""
        arr = np.array([b.icohp_by_spin for b in self.bonds], dtype=float)
        w = np.array([b.num_bonds for b in self.bonds], dtype=float)
        return tuple(float(x) for x in (w @ arr) / w.sum())


def bond_icohp(bonds: Sequence[IcohpBond], pair: tuple[str, str] | str, max_distance: float) -> BondIcohp:
    """Mean ICOHP per bond over all bonds of an element pair not longer than ``max_distance``.

    Only whole-bond rows count: orbital-resolved rows (kept by
    ``read_icohplist(..., orbital_resolved=True)``) are left out, since they
    split a bond's ICOHP among orbital pairs. A row that stands for several
    equivalent bonds (LOBSTER 2.x "number of bonds") counts that many times,
    as in pymatgen (``IcohpValue.num_bonds``).

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
    whole = [b for b in bonds if not b.orbital_resolved]
    if not whole:
        raise ParameterError("the ICOHP list holds only orbital-resolved rows (labels like 'Ti2_3d_xy'); "
                             "give the whole-bond rows (read_icohplist reads them by default)")
    chosen = [b for b in whole if tuple(sorted(b.elements)) == want and b.distance <= max_distance]
    if not chosen:
        shortest: dict[tuple, float] = {}
        for b in whole:
            key = tuple(sorted(b.elements))
            shortest[key] = min(shortest.get(key, math.inf), b.distance)
        have = ", ".join(f"{a}-{c} (shortest {d:.3f} Å)" for (a, c), d in sorted(shortest.items()))
        raise ParameterError(f"no {pair[0]}-{pair[1]} bond within {max_distance:g} Å; bonds present: {have or 'none'}")
    mean = float(np.average([b.icohp for b in chosen], weights=[b.num_bonds for b in chosen]))
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


#: Two onset potentials closer than this [V] are a tie; the first step in the path is then the limiting one.
_TIE_V = 1e-9

_ARROW = re.compile(r"->|→|=>")
_SUPEROXIDE = re.compile(r"(?<![A-Za-z0-9])NaO2(?![A-Za-z0-9])")


def superoxide_step_index(steps: Sequence[FreeEnergyStep]) -> int | None:
    """Zero-based position of the superoxide step: the first electrochemical step that forms NaO2.

    A step forms NaO2 when its label has a reaction arrow (``->``, ``→`` or
    ``=>``) and ``NaO2`` (``NaO2*`` etc., not ``Na2O2``) on the product side,
    e.g. ``"* + Na+ + e- + O2 -> NaO2*"``. None when no label says so.
    """
    for i, s in enumerate(steps):
        parts = _ARROW.split(s.label)
        if s.electrons > 0 and len(parts) > 1 and _SUPEROXIDE.search(parts[-1]):
            return i
    return None


@dataclass(frozen=True)
class FreeEnergyAnalysis:
    r"""Thermodynamic analysis of a set of discharge steps (see the module notes).

    Parameters
    ----------
    steps : tuple of FreeEnergyStep
    equilibrium_potential : float
        [V vs Na+/Na], of the overall reaction (chemical steps included).
    limiting_discharge_potential, limiting_charge_potential : float
        [V vs Na+/Na]: the highest potential at which every electrochemical
        step is downhill on discharge, and the lowest at which every reversed
        electrochemical step is downhill on charge. Chemical steps do not move
        with the potential and do not enter, so the limiting charge potential
        lies below ``equilibrium_potential`` only when a chemical step is uphill
        on charge (and the limiting discharge potential above it only when one
        is uphill on discharge).
    limiting_discharge_step, limiting_charge_step : str
        Labels of the steps that set them; on a tie, the first in the path.
    discharge_overpotential, charge_overpotential : float
        [V], never negative: :math:`\max(0, U_{eq} - U_{dis})` and
        :math:`\max(0, U_{ch} - U_{eq})`, the potential the electrochemical
        steps need beyond the equilibrium potential. The charge overpotential
        is the free-energy overpotential η_FE. An uphill chemical step is not
        in it: it is a thermodynamic barrier that no potential removes
        (``*_chemical_barrier``).
    uphill_chemical_steps : tuple of str
        Chemical steps with ΔG > 0, uphill on discharge.
    limiting_discharge_index, limiting_charge_index : int
        Zero-based positions of the limiting steps in ``steps``.
    uphill_chemical_steps_on_charge : tuple of str
        Chemical steps with ΔG < 0 on discharge, whose reverse is uphill on charge.
    discharge_chemical_barrier, charge_chemical_barrier : float
        Largest uphill ΔG of a chemical step in that direction [eV]; 0 if none.
    superoxide_index : int or None
        Position of the superoxide (NaO2-forming) step (:func:`superoxide_step_index`).
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
    limiting_discharge_index: int = 0
    limiting_charge_index: int = 0
    uphill_chemical_steps_on_charge: tuple = ()
    discharge_chemical_barrier: float = 0.0
    charge_chemical_barrier: float = 0.0
    superoxide_index: int | None = None

    @property
    def eta_fe(self) -> float:
        """The free-energy (charging) overpotential η_FE [V]."""
        return self.charge_overpotential

    @property
    def superoxide_limits_charge(self) -> bool:
        """True when the superoxide step is the one that limits the charge."""
        return self.superoxide_index is not None and self.superoxide_index == self.limiting_charge_index

    def chemical_barrier_message(self, direction: str = "charge") -> str:
        """One sentence on the uphill chemical steps of ``"charge"`` or ``"discharge"`` ('' when there are none)."""
        if direction not in ("charge", "discharge"):
            raise ParameterError(f"direction = {direction!r} must be 'charge' or 'discharge'")
        if direction == "charge":
            labels, barrier = self.uphill_chemical_steps_on_charge, self.charge_chemical_barrier
            lim, u_l, eta = self.limiting_charge_step, self.limiting_charge_potential, self.charge_overpotential
        else:
            labels, barrier = self.uphill_chemical_steps, self.discharge_chemical_barrier
            lim, u_l, eta = self.limiting_discharge_step, self.limiting_discharge_potential, \
                self.discharge_overpotential
        if not labels:
            return ""
        steps = ", ".join(repr(x) for x in labels)
        rev = "the reverse of " if direction == "charge" else ""
        return (f"on {direction}, {rev}chemical step(s) {steps} are uphill (largest barrier {barrier:.3f} eV): a "
                f"chemical step does not move with the electrode potential, so no {direction} potential makes this "
                f"path downhill; this is a thermodynamic barrier, not an overpotential. The electrochemical steps "
                f"alone are downhill from {u_l:.3f} V ({lim!r}; U_eq {self.equilibrium_potential:.3f} V), so the "
                f"{direction} overpotential is {eta:.3f} V and does not include the barrier (Nørskov et al., "
                "J. Phys. Chem. B 108, 17886 (2004), doi:10.1021/jp047349j)")

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
            "uphill_chemical_steps_on_charge": list(self.uphill_chemical_steps_on_charge),
            "discharge_chemical_barrier_eV": self.discharge_chemical_barrier,
            "charge_chemical_barrier_eV": self.charge_chemical_barrier,
        }


def analyse_free_energy_steps(steps: Sequence[FreeEnergyStep]) -> FreeEnergyAnalysis:
    r"""Equilibrium and limiting potentials, limiting steps and overpotentials of discharge steps.

    The computational hydrogen electrode of Nørskov et al. carried over to
    Na+/Na: an electrochemical step's ΔG shifts by :math:`n_i eU` with the
    potential, a chemical step's does not. :math:`U_{eq}` is that of the
    overall reaction, the limiting potentials those at which every
    electrochemical step is downhill in the direction considered, and the
    overpotentials their distance beyond :math:`U_{eq}` (never negative). A
    chemical step uphill in the direction considered cannot be removed by any
    potential; it is reported as a thermodynamic barrier
    (``charge_chemical_barrier``, ``discharge_chemical_barrier``), not folded
    into the overpotential. On a tie the first step in the path is the
    limiting one.

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
    onsets = [(i, -s.delta_g / s.electrons) for i, s in enumerate(steps) if s.electrons > 0]
    if not onsets:
        raise ParameterError("no electrochemical step (electrons > 0) among the free-energy steps")
    n_total = sum(s.electrons for s in steps)
    u_eq = -sum(s.delta_g for s in steps) / n_total
    if not u_eq > 0:
        raise ParameterError(f"the steps sum to ΔG = {sum(s.delta_g for s in steps):+.3f} eV, i.e. an equilibrium "
                             f"potential of {u_eq:+.3f} V: discharge steps must be downhill overall (ΔG < 0 at 0 V)")
    u_dis = min(u for _, u in onsets)
    u_ch = max(u for _, u in onsets)
    i_dis = next(i for i, u in onsets if u <= u_dis + _TIE_V)
    i_ch = next(i for i, u in onsets if u >= u_ch - _TIE_V)
    chem = [s for s in steps if s.electrons == 0]
    up_dis = tuple(s.label for s in chem if s.delta_g > 0)
    up_ch = tuple(s.label for s in chem if s.delta_g < 0)
    return FreeEnergyAnalysis(
        steps=steps, equilibrium_potential=u_eq,
        limiting_discharge_potential=u_dis, limiting_charge_potential=u_ch,
        limiting_discharge_step=steps[i_dis].label, limiting_charge_step=steps[i_ch].label,
        discharge_overpotential=max(0.0, u_eq - u_dis), charge_overpotential=max(0.0, u_ch - u_eq),
        uphill_chemical_steps=up_dis, limiting_discharge_index=i_dis, limiting_charge_index=i_ch,
        uphill_chemical_steps_on_charge=up_ch,
        discharge_chemical_barrier=max((s.delta_g for s in chem if s.delta_g > 0), default=0.0),
        charge_chemical_barrier=max((-s.delta_g for s in chem if s.delta_g < 0), default=0.0),
        superoxide_index=superoxide_step_index(steps),
    )


# ----------------------------------------------------------------------------
# descriptor values against those the model was calibrated on
# ----------------------------------------------------------------------------
def calibrated_ranges(catalysts: dict | None = None) -> dict[str, tuple[float, float]]:
    """Lowest and highest ``icohp`` and ``d_band_centre`` [eV] over the shipped catalysts' descriptors.

    Parameters
    ----------
    catalysts : dict, optional
        ``{name: Catalyst}``; default: the built-in catalysts
        (:data:`metalair.catalysts.CATALYSTS`: NLRO and RuO2 with their DFT
        values from Sun et al. (2025), and the study's references NNRO and
        NLMO), the set the model's kinetics were calibrated and validated on.

    Returns
    -------
    dict
        ``{"icohp": (low, high), "d_band_centre": (low, high)}`` [eV].
    """
    if catalysts is None:
        from metalair.catalysts import CATALYSTS

        catalysts = CATALYSTS
    out: dict[str, tuple[float, float]] = {}
    for name in ("icohp", "d_band_centre"):
        vals = [getattr(d, name) for c in catalysts.values() for d in c.descriptors.values()]
        out[name] = (float(min(vals)), float(max(vals)))
    return out
