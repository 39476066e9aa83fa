"""Powder patterns computed from crystal structures: the reference phases of the sodium–air cell.

>>> from metalair.analysis.crystal import REFERENCE_PHASES, powder_pattern
>>> lines = powder_pattern(REFERENCE_PHASES["RuO2"])      # Cu Kα1 by default
>>> lines[0].hkl, round(lines[0].two_theta_deg, 2)        # doctest: +SKIP

How a pattern is computed
-------------------------
Atoms
    The asymmetric unit of each structure is expanded by the general
    positions of its space group (written below from International Tables
    for Crystallography Vol. A), duplicates within 10⁻⁴ of a lattice
    translation removed.
Positions
    Bragg's law, λ = 2 d sin θ, with d from the reciprocal metric tensor.
Intensities
    I = Σ|F(hkl)|² · Lp(θ) over all (h k l) of one d spacing (so the
    multiplicity is counted by enumeration), F = Σⱼ oⱼ fⱼ(s) e^{2πi h·rⱼ}
    e^{−Bⱼ s²}, s = sin θ/λ; fⱼ from the Cromer–Mann four-Gaussian fits of
    International Tables Vol. C, Table 6.1.1.4 (neutral atoms; anomalous
    dispersion neglected); B = 8π²U_iso where the study gives U_iso, else
    1 Å²; Lorentz–polarisation Lp = (1 + cos² 2θ)/(sin² θ cos θ)
    (unpolarised beam, no monochromator). Intensities are scaled to 100 for
    the strongest line.

The reference structures and their sources
------------------------------------------
RuO2
    Rutile type, P4₂/mnm, a = 4.4919, c = 3.1066 Å, O at (0.3058, 0.3058, 0):
    Boman, C.-E. Acta Chem. Scand. 24, 116–122 (1970), as tabulated by
    Baur, W. H. & Khan, A. A. Acta Cryst. B27, 2133–2139 (1971)
    (doi:10.1107/S0567740871005466).
Na2CO3 (γ-natrite, 295 K)
    C2/m average structure a = 8.920, b = 5.245, c = 6.050 Å, β = 101.35°
    (the incommensurate modulation is ignored): Dušek, M., Chapuis, G.,
    Meyer, M. & Petříček, V. Sodium carbonate revisited. Acta Cryst. B59,
    337–352 (2003) (doi:10.1107/S0108768103009017).
Na2CO3·H2O (thermonatrite)
    P2₁ab, a = 6.472, b = 10.724, c = 5.259 Å (neutron study, H included):
    Wu, K. K. & Brown, I. D. A neutron diffraction study of Na2CO3·H2O. Acta
    Cryst. B31, 890–892 (1975) (doi:10.1107/S0567740875003858).
Na2O2
    P-62m, a = 6.208, c = 4.460 Å: Wyckoff, R. W. G. Crystal Structures,
    2nd ed., vol. 1, pp. 85–237 (Interscience, New York, 1963), from the
    structure of Tallman, R. L., Margrave, J. L. & Bailey, S. W., J. Am.
    Chem. Soc. 79, 2979–2980 (1957).
NaO2 (room-temperature cubic phase)
    NaCl type, Fm-3m, a = 5.49 Å (Carter, G. F. & Templeton, D. H.
    Polymorphism of sodium superoxide. J. Am. Chem. Soc. 75, 5247–5249
    (1953)): above 223 K the O2⁻ ions are orientationally disordered about
    the 4b sites (the ordered pyrite, Pa-3, and marcasite phases exist only
    below 223 and 196 K). Na at 4a; each O2⁻ is modelled as a dumbbell
    along one of the four body diagonals, O at 32f (x, x, x) with occupancy
    ¼ and x = 0.5 + 0.665/(√3·5.49) = 0.5699 (half the superoxide O–O bond
    of 1.33 Å). The orientational model sets only the weak lines' relative
    intensities; the lines themselves (all-even or all-odd h, k, l only:
    no (210), (211), (320), (321) of the ordered phase) follow from the
    lattice and its centring.

The atomic coordinates of the first four were read from the American
Mineralogist Crystal Structure Database (Downs, R. T. & Hall-Wallace, M.
Am. Mineral. 88, 247–250 (2003)) entries of those publications. NaOH is
not included (no structure was checked for this module).

References
----------
.. [1] International Tables for Crystallography Vol. C, 3rd ed., Table
   6.1.1.4 (Kluwer, 2004). doi:10.1107/97809553602060000103
.. [2] International Tables for Crystallography Vol. A (space-group
   symmetry). doi:10.1107/97809553602060000100
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from metalair.errors import ParameterError
from metalair.tables.spectra import CU_KALPHA1_M
from metalair.units import to_user

__all__ = [
    "CrystalStructure",
    "Site",
    "Reflection",
    "REFERENCE_PHASES",
    "CROMER_MANN",
    "form_factor",
    "powder_pattern",
    "parse_symmetry_operation",
]

#: Cromer–Mann coefficients (a1, a2, a3, a4, b1, b2, b3, b4, c), f(s) = Σ aᵢ exp(−bᵢ s²) + c,
#: s = sin θ/λ in Å⁻¹; International Tables Vol. C, Table 6.1.1.4 (neutral atoms).
CROMER_MANN: dict[str, tuple[float, ...]] = {
    "H": (0.489918, 0.262003, 0.196767, 0.049879, 20.6593, 7.74039, 49.5519, 2.20159, 0.001305),
    "Li": (1.1282, 0.7508, 0.6175, 0.4653, 3.9546, 1.0524, 85.3905, 168.261, 0.0377),
    "C": (2.31, 1.02, 1.5886, 0.865, 20.8439, 10.2075, 0.5687, 51.6512, 0.2156),
    "O": (3.0485, 2.2868, 1.5463, 0.867, 13.2771, 5.7011, 0.3239, 32.9089, 0.2508),
    "Na": (4.7626, 3.1736, 1.2674, 1.1128, 3.285, 8.8422, 0.3136, 129.424, 0.676),
    "Cl": (11.4604, 7.1962, 6.2556, 1.6455, 0.0104, 1.1662, 18.5194, 47.7784, -9.5574),
    "Ru": (19.2674, 12.9182, 4.86337, 1.56756, 0.80852, 8.43467, 24.7997, 94.2928, 5.37874),
}


def form_factor(element: str, s: np.ndarray | float) -> np.ndarray:
    """Atomic scattering factor f(s) of a neutral atom, s = sin θ/λ [Å⁻¹].

    References
    ----------
    International Tables for Crystallography Vol. C, Table 6.1.1.4.
    """
    if element not in CROMER_MANN:
        raise ParameterError(f"no form factor for {element!r}; known: {', '.join(CROMER_MANN)}")
    a1, a2, a3, a4, b1, b2, b3, b4, c = CROMER_MANN[element]
    s2 = np.asarray(s, dtype=float) ** 2
    return a1 * np.exp(-b1 * s2) + a2 * np.exp(-b2 * s2) + a3 * np.exp(-b3 * s2) + a4 * np.exp(-b4 * s2) + c


def _term(text: str) -> tuple[np.ndarray, float]:
    """One coordinate of a symmetry operation, e.g. '-x+1/2' -> (row, translation)."""
    row = np.zeros(3)
    trans = Fraction(0)
    t = text.replace(" ", "").lower()
    if not t:
        raise ParameterError("empty coordinate in a symmetry operation")
    i = 0
    while i < len(t):
        sign = 1
        if t[i] in "+-":
            sign = -1 if t[i] == "-" else 1
            i += 1
        j = i
        while j < len(t) and t[j] not in "+-":
            j += 1
        tok = t[i:j]
        if tok in ("x", "y", "z"):
            row["xyz".index(tok)] += sign
        else:
            try:
                trans += sign * Fraction(tok)
            except (ValueError, ZeroDivisionError):
                raise ParameterError(f"cannot read {text!r} in a symmetry operation") from None
        i = j
    return row, float(trans)


def parse_symmetry_operation(op: str) -> tuple[np.ndarray, np.ndarray]:
    """``"-y+1/2,x,z+1/2"`` -> (3×3 rotation, translation)."""
    parts = op.split(",")
    if len(parts) != 3:
        raise ParameterError(f"symmetry operation {op!r} must have three comma-separated parts")
    rows, trans = zip(*(_term(p) for p in parts))
    return np.array(rows), np.array(trans)


def _closure(ops: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The group generated by the operations, translations taken modulo 1."""
    def key(r: np.ndarray, t: np.ndarray) -> tuple[int, ...]:
        return tuple(r.astype(int).ravel()) + tuple(int(round((v % 1.0) * 24)) % 24 for v in t)

    group = {key(r, t): (r, t % 1.0) for r, t in ops}
    changed = True
    while changed:
        changed = False
        items = list(group.values())
        for r1, t1 in items:
            for r2, t2 in items:
                r, t = r1 @ r2, (r1 @ t2 + t1) % 1.0
                k = key(r, t)
                if k not in group:
                    group[k] = (r, t)
                    changed = True
    return list(group.values())


@dataclass(frozen=True)
class Site:
    """One atom of the asymmetric unit: element, fractional position, occupancy, B [Å²]."""

    element: str
    x: float
    y: float
    z: float
    occupancy: float = 1.0
    b_iso: float = 1.0


@dataclass(frozen=True, eq=False)
class CrystalStructure:
    """A crystal structure: cell [Å, degrees], symmetry operations, asymmetric unit, source.

    Attributes
    ----------
    name, formula : str
        Phase name and formula.
    space_group : str
        Hermann–Mauguin symbol (information only; ``operations`` define the symmetry).
    cell : tuple of 6 float
        a, b, c [Å], α, β, γ [degrees].
    operations : tuple of str
        Symmetry operations (generators suffice; the group is closed).
    sites : tuple of Site
        Asymmetric unit.
    reference : str
        Literature source of the structure.
    note : str
        Caveats.
    """

    name: str
    formula: str
    space_group: str
    cell: tuple[float, float, float, float, float, float]
    operations: tuple[str, ...]
    sites: tuple[Site, ...]
    reference: str
    note: str = ""
    _atoms: list[tuple[str, np.ndarray, float, float]] = field(default_factory=list, repr=False)

    def atoms(self) -> list[tuple[str, np.ndarray, float, float]]:
        """All atoms of the cell: (element, fractional position, occupancy, B)."""
        if self._atoms:
            return self._atoms
        ops = _closure([parse_symmetry_operation(o) for o in self.operations])
        out: list[tuple[str, np.ndarray, float, float]] = []
        for s in self.sites:
            pos: list[np.ndarray] = []
            for r, t in ops:
                p = (r @ np.array([s.x, s.y, s.z]) + t) % 1.0
                if not any(np.all(np.abs(((p - q) + 0.5) % 1.0 - 0.5) < 1e-4) for q in pos):
                    pos.append(p)
            out.extend((s.element, p, s.occupancy, s.b_iso) for p in pos)
        self._atoms.extend(out)
        return out

    def reciprocal_metric(self) -> np.ndarray:
        """Reciprocal metric tensor G* [Å⁻²]."""
        a, b, c, al, be, ga = self.cell
        ca, cb, cg = (math.cos(math.radians(v)) for v in (al, be, ga))
        G = np.array([[a * a, a * b * cg, a * c * cb],
                      [a * b * cg, b * b, b * c * ca],
                      [a * c * cb, b * c * ca, c * c]])
        return np.linalg.inv(G)

    def d_spacing(self, hkl: Sequence[int]) -> float:
        """Interplanar spacing d(hkl) [Å]."""
        h = np.asarray(hkl, dtype=float)
        return float(1.0 / math.sqrt(h @ self.reciprocal_metric() @ h))


@dataclass(frozen=True)
class Reflection:
    """One powder line: representative (h k l), d [Å], 2θ [deg], multiplicity, |F|², relative intensity."""

    hkl: tuple[int, int, int]
    d_A: float
    two_theta_deg: float
    multiplicity: int
    f2: float
    intensity: float


def powder_pattern(structure: CrystalStructure, *, wavelength_m: float = CU_KALPHA1_M,
                   two_theta_range: tuple[float, float] = (5.0, 90.0), min_intensity: float = 0.1,
                   ) -> list[Reflection]:
    """Lines of the powder pattern of a structure (module notes), strongest scaled to 100.

    Parameters
    ----------
    structure : CrystalStructure
        The structure.
    wavelength_m : float
        X-ray wavelength [m] (default Cu Kα1).
    two_theta_range : (float, float)
        Angular range [degrees].
    min_intensity : float
        Lines below this relative intensity are dropped.

    Returns
    -------
    list of Reflection
        Ascending in 2θ.

    References
    ----------
    International Tables for Crystallography Vol. C, Table 6.1.1.4 (form factors).
    """
    if not (isinstance(wavelength_m, (int, float)) and 1e-12 < wavelength_m < 1e-8):
        raise ParameterError(f"wavelength_m = {wavelength_m!r} must be a wavelength in m (0.01-100 Å)")
    lam = float(to_user(wavelength_m, "Å", "length"))
    lo, hi = (float(v) for v in two_theta_range)
    if not 0 < lo < hi < 180:
        raise ParameterError(f"two_theta_range = {two_theta_range!r} must satisfy 0 < low < high < 180")
    d_min = lam / (2 * math.sin(math.radians(hi / 2)))
    Gs = structure.reciprocal_metric()
    a, b, c = structure.cell[:3]
    hmax = [int(math.ceil(x / d_min)) + 1 for x in (a, b, c)]
    rng = [np.arange(-m, m + 1) for m in hmax]
    H = np.array(np.meshgrid(*rng, indexing="ij")).reshape(3, -1).T
    H = H[np.any(H != 0, axis=1)]
    inv_d2 = np.einsum("ij,jk,ik->i", H, Gs, H)
    d = 1.0 / np.sqrt(inv_d2)
    keep = d >= d_min * (1 - 1e-9)
    H, d = H[keep], d[keep]
    sin_t = lam / (2 * d)
    ok = sin_t < 1.0
    H, d, sin_t = H[ok], d[ok], sin_t[ok]
    tth = 2 * np.degrees(np.arcsin(sin_t))
    sel = (tth >= lo) & (tth <= hi)
    H, d, tth = H[sel], d[sel], tth[sel]
    s = 1.0 / (2 * d)
    F = np.zeros(H.shape[0], dtype=complex)
    for el, pos, occ, biso in structure.atoms():
        F += occ * form_factor(el, s) * np.exp(-biso * s * s) * np.exp(2j * np.pi * (H @ pos))
    f2 = np.abs(F) ** 2
    theta = np.radians(tth / 2)
    lp = (1 + np.cos(2 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))
    order = np.argsort(-d, kind="stable")
    lines: list[list] = []
    for i in order:
        if lines and abs(lines[-1][1] - d[i]) < 1e-5:
            lines[-1][2] += 1
            lines[-1][3] += f2[i]
            lines[-1][5] = max(lines[-1][5], tuple(int(v) for v in H[i]))
        else:
            lines.append([tuple(int(v) for v in H[i]), float(d[i]), 1, float(f2[i]), float(lp[i]),
                          tuple(int(v) for v in H[i]), float(tth[i])])
    raw = np.array([ln[3] * ln[4] for ln in lines]) if lines else np.zeros(0)
    top = float(raw.max()) if raw.size else 0.0
    out = []
    for ln, r in zip(lines, raw):
        rel = 100.0 * r / top if top > 0 else 0.0
        if rel >= min_intensity:
            out.append(Reflection(hkl=ln[5], d_A=ln[1], two_theta_deg=ln[6], multiplicity=ln[2],
                                  f2=ln[3] / ln[2], intensity=rel))
    return sorted(out, key=lambda r: r.two_theta_deg)


_P42MNM = ("x,y,z", "-x,-y,z", "-y+1/2,x+1/2,z+1/2", "-x+1/2,y+1/2,-z+1/2", "y,x,-z", "-x,-y,-z")
_C2M = ("x,y,z", "-x,y,-z", "-x,-y,-z", "x+1/2,y+1/2,z")
_P21AB = ("x,y,z", "x,y+1/2,-z", "x+1/2,-y+1/2,z", "x+1/2,-y,-z")
_P62M = ("x,y,z", "-y,x-y,z", "x,y,-z", "y,x,-z", "-x,-x+y,z")
_FM3M = ("x,y,z", "x,y+1/2,z+1/2", "x+1/2,y,z+1/2", "-x,-y,z", "-x,y,-z", "z,x,y", "y,x,-z", "-x,-y,-z")
#: NaO2's O at 32f: half the 1.33 Å O-O bond along a body diagonal of the 5.49 Å cell from the 4b centre.
_NAO2_X = 0.5 + 0.665 / (math.sqrt(3.0) * 5.49)


def _u(u_iso: float) -> float:
    return 8.0 * math.pi**2 * u_iso


#: Reference phases by name (sources in the module notes).
REFERENCE_PHASES: Mapping[str, CrystalStructure] = {
    "NaO2": CrystalStructure(
        "NaO2", "NaO2", "Fm-3m", (5.49, 5.49, 5.49, 90.0, 90.0, 90.0), _FM3M,
        (Site("Na", 0.0, 0.0, 0.0), Site("O", _NAO2_X, _NAO2_X, _NAO2_X, occupancy=0.25)),
        "Carter, G. F. & Templeton, D. H. J. Am. Chem. Soc. 75, 5247–5249 (1953) (phase and lattice); "
        "O2- dumbbells along the body diagonals as the disorder model",
        "orientationally disordered O2- at room temperature: weak-line intensities approximate",
    ),
    "Na2O2": CrystalStructure(
        "Na2O2", "Na2O2", "P-62m", (6.208, 6.208, 4.460, 90.0, 90.0, 120.0), _P62M,
        (Site("Na", 0.295, 0.0, 0.0), Site("Na", 0.632, 0.0, 0.5), Site("O", 0.0, 0.0, 0.668),
         Site("O", 1 / 3, 2 / 3, 0.168)),
        "Wyckoff, R. W. G. Crystal Structures, 2nd ed., vol. 1 (1963); Tallman, Margrave & Bailey, "
        "J. Am. Chem. Soc. 79, 2979 (1957)",
    ),
    "Na2CO3": CrystalStructure(
        "Na2CO3", "Na2CO3", "C2/m", (8.920, 5.245, 6.050, 90.0, 101.35, 90.0), _C2M,
        (Site("Na", 0.0, 0.0, 0.0, b_iso=_u(0.01731)), Site("Na", 0.0, 0.0, 0.5, b_iso=_u(0.01673)),
         Site("Na", 0.17055, 0.5, 0.74801, b_iso=_u(0.02554)), Site("C", 0.16446, 0.5, 0.24914, b_iso=_u(0.01155)),
         Site("O", 0.10159, 0.29384, 0.28535, b_iso=_u(0.02607)), Site("O", 0.28987, 0.5, 0.17757, b_iso=_u(0.02274))),
        "Dusek, M., Chapuis, G., Meyer, M. & Petricek, V. Acta Cryst. B59, 337–352 (2003). "
        "doi:10.1107/S0108768103009017",
        "average structure; satellite reflections of the modulation are not computed",
    ),
    "Na2CO3·H2O": CrystalStructure(
        "Na2CO3·H2O", "Na2CO3·H2O", "P21ab", (6.472, 10.724, 5.259, 90.0, 90.0, 90.0), _P21AB,
        (Site("Na", 0.0, 0.1932, 0.1392), Site("Na", 0.0643, 0.0012, -0.3782), Site("C", -0.2145, 0.2546, 0.6024),
         Site("O", -0.201, 0.1389, 0.5466), Site("O", -0.2033, 0.3366, 0.4266), Site("O", -0.2398, 0.2883, -0.165),
         Site("O", 0.0322, -0.0296, 0.0692), Site("H", 0.1464, -0.0662, 0.1611), Site("H", -0.0805, -0.0899, 0.1)),
        "Wu, K. K. & Brown, I. D. Acta Cryst. B31, 890–892 (1975). doi:10.1107/S0567740875003858",
    ),
    "RuO2": CrystalStructure(
        "RuO2", "RuO2", "P42/mnm", (4.4919, 4.4919, 3.1066, 90.0, 90.0, 90.0), _P42MNM,
        (Site("Ru", 0.0, 0.0, 0.0, b_iso=0.3), Site("O", 0.3058, 0.3058, 0.0, b_iso=0.5)),
        "Boman, C.-E. Acta Chem. Scand. 24, 116–122 (1970); Baur, W. H. & Khan, A. A. Acta Cryst. B27, "
        "2133–2139 (1971). doi:10.1107/S0567740871005466",
    ),
}
