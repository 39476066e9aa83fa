"""Catalyst definitions: states, descriptors and (for insertion hosts) host redox.

A catalyst carries, for each discharge product it decomposes, the DFT
descriptors of the catalyst state in which that product is decomposed (the
Ru d-band centre and the Ru–O ICOHP with the product adsorbed), and the
free-energy (limiting-potential) charging overpotential. An insertion-host
catalyst (NLRO) additionally has host redox couples: as the electrode
potential rises the host gives up sodium couple by couple, and its catalytic
state (its d-band centre) moves with it. A conversion catalyst (RuO2) has no
host couples and one fixed state.

How descriptors become kinetics is a separate, documented relation:
:mod:`metalair.physics.catalysis`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NoReturn

import numpy as np

from metalair._validation import between, keyword_checked, pos, validate_fields
from metalair.errors import ParameterError

__all__ = ["Descriptors", "HostCouple", "Catalyst", "PRODUCTS"]

#: Products whose decomposition kinetics a catalyst sets, in cascade order.
PRODUCTS = ("NaO2", "Na2O2", "Na2CO3")


@keyword_checked
@dataclass(frozen=True)
class Descriptors:
    """DFT descriptors of one catalyst state with one product adsorbed.

    Parameters
    ----------
    d_band_centre : float
        Metal d-band centre relative to the Fermi level [eV] (negative).
    icohp : float
        Integrated crystal orbital Hamilton population of the metal–O bond [eV]
        (negative; more negative = stronger bond).
    stage : float
        Host oxidation stage at which the state exists (0 = pristine, 1 = after
        the first host couple, ...). Ignored for fixed-state catalysts.
    source : str
        Where the numbers come from.
    """

    d_band_centre: float
    icohp: float
    stage: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        validate_fields(self, {
            "d_band_centre": between(-10.0, 2.0, "eV"),
            "icohp": between(-10.0, 0.0, "eV"),
            "stage": between(0.0, 10.0),
        })


@keyword_checked
@dataclass(frozen=True)
class HostCouple:
    """One redox couple of an insertion-host catalyst (Na extraction on oxidation).

    Parameters
    ----------
    name : str
        e.g. ``"Ru4+/Ru(4+δ)+"``.
    standard_potential : float
        Potential at half conversion [V vs Na+/Na].
    capacity : float
        Charge of the couple [C/kg of catalyst].
    width : float
        Frumkin broadening of the open-circuit curve [V] (RT/F = 0.0257 V is ideal).
    rate_constant : float
        Extraction/insertion rate constant at equilibrium and half conversion [1/s].
    """

    name: str
    standard_potential: float
    capacity: float
    width: float = 0.0257
    rate_constant: float = 1.0
    source: str = ""

    def __post_init__(self) -> None:
        validate_fields(self, {
            "standard_potential": between(0.0, 6.0, "V", lo_open=True, hi_open=True),
            "capacity": pos("C/kg"),
            "width": between(0.005, 1.0, "V"),
            "rate_constant": pos("1/s"),
        })


#: Largest molar mass of a catalyst formula unit [kg/mol] (RuO2 0.133; a value above this is g/mol read as kg/mol).
MOLAR_MASS_MAX = 5.0

def _check_name(name: object) -> None:
    """Refuse a catalyst name that is not text, is empty, or holds control characters.

    Any other character is allowed (``RuO2/C``): files named after a catalyst use
    :func:`metalair._files.file_stem`.
    """
    if not isinstance(name, str) or not name.strip():
        raise ParameterError(f"a catalyst name must be non-empty text, got {name!r}")
    if any(ord(c) < 32 for c in name):
        raise ParameterError(f"catalyst name {name!r} holds a control character (a tab or line break); give it on "
                             "one line")


class ReadOnlyDict(dict):
    """A dict that refuses changes: a catalyst's descriptors and sources, shared by every run that uses it.

    Changing a built-in catalyst's dict in place would change every later run of the session;
    :func:`dataclasses.replace` with a new dict gives a new catalyst instead. Pickles (for
    worker processes) as a plain copy of its items.
    """

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a catalyst's descriptors and sources are read-only (they are shared by every run that "
                        "uses the catalyst); make a changed copy: dataclasses.replace(catalyst, descriptors="
                        "{**catalyst.descriptors, 'NaO2': dataclasses.replace(catalyst.descriptors['NaO2'], "
                        "d_band_centre=-1.8)})")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = __ior__ = _refuse

    def __reduce__(self) -> tuple[type, tuple[dict]]:
        return ReadOnlyDict, (dict(self),)

    def __copy__(self) -> ReadOnlyDict:
        return self

    def __deepcopy__(self, memo: dict) -> ReadOnlyDict:
        return self


@keyword_checked
@dataclass(frozen=True)
class Catalyst:
    """A catalyst: descriptors per product, optional host couples, provenance.

    Parameters
    ----------
    name : str
        Short name (``"NLRO"``).
    formula : str
        Chemical formula.
    molar_mass : float
        [kg/mol].
    descriptors : dict
        ``{product: Descriptors}`` for each of :data:`PRODUCTS`: the state in
        which the product is decomposed, with that product adsorbed.
    free_energy_overpotential : float
        DFT charging (limiting-potential) overpotential η_FE [V]; the model
        applies it to the superoxide (NaO2) decomposition. For the shipped
        catalysts the superoxide step limits the path (Sun et al. 2025);
        ``metalair catalyst from-dft`` writes the whole path's value and says
        so when another step limits it.
    host_couples : tuple of HostCouple
        Empty for a fixed-state catalyst.
    description : str
        One line on what the catalyst is.
    sources : dict
        ``{field: citation}``.
    switching : bool
        True (default) when the catalytic state follows the host's sodium
        content. False freezes the catalyst in its initial (discharged) state:
        the host couples still store and release sodium, but every product's
        kinetics are those of state 0 (the counterfactual of the cascade).
    """

    name: str
    formula: str
    molar_mass: float
    descriptors: dict
    free_energy_overpotential: float
    host_couples: tuple = ()
    description: str = ""
    sources: dict = field(default_factory=dict)
    switching: bool = True

    def __post_init__(self) -> None:
        _check_name(self.name)
        validate_fields(self, {
            "molar_mass": pos("kg/mol"),
            "free_energy_overpotential": between(0.0, 3.0, "V"),
        })
        if self.molar_mass > MOLAR_MASS_MAX:  # a formula unit of a few kg/mol: the number was in g/mol
            raise ParameterError(
                f"Catalyst {self.name!r}: molar_mass = {self.molar_mass:g} kg/mol is no formula unit's mass "
                f"(above {MOLAR_MASS_MAX:g} kg/mol): in g/mol? Write {self.molar_mass / 1000:g} or "
                f"'{self.molar_mass:g} g/mol'")
        if not isinstance(self.switching, (bool, np.bool_)):  # 'no' is truthy: it would switch
            raise ParameterError(f"Catalyst {self.name!r}: switching = {self.switching!r} must be True or False")
        for name, kind in (("descriptors", "a dict {product: Descriptors}"), ("sources", "a dict {field: citation}")):
            if not isinstance(getattr(self, name), Mapping):
                raise ParameterError(f"Catalyst {self.name!r}: {name} = {getattr(self, name)!r} must be {kind}")
        if isinstance(self.host_couples, (str, bytes, Mapping)) or not hasattr(self.host_couples, "__iter__"):
            raise ParameterError(f"Catalyst {self.name!r}: host_couples = {self.host_couples!r} must be a tuple of "
                                 "HostCouple (empty for a fixed-state catalyst)")
        bad = [c for c in self.host_couples if not isinstance(c, HostCouple)]
        if bad:
            raise ParameterError(f"Catalyst {self.name!r}: host_couples holds {bad[0]!r}; each must be a HostCouple")
        missing = [p for p in PRODUCTS if p not in self.descriptors]
        # unknown keys first: a mis-cased 'nao2' is a typo of 'NaO2', not only a missing product
        for key, d in self.descriptors.items():
            if key not in PRODUCTS:
                same_letters = [p for p in PRODUCTS if str(key).lower() == p.lower()]
                hint = (same_letters or difflib.get_close_matches(str(key), missing, n=1, cutoff=0.5)
                        or difflib.get_close_matches(str(key), PRODUCTS, n=1))
                raise ParameterError(
                    f"Catalyst {self.name!r}: unknown product {key!r} in descriptors"
                    + (f"; did you mean {hint[0]!r}?" if hint else "")
                    + (" (product names are case-sensitive)" if same_letters else "")
                    + (f" (descriptors missing for {missing})" if missing else "")
                    + f"; allowed: {list(PRODUCTS)}"
                )
            if not isinstance(d, Descriptors):
                raise ParameterError(f"Catalyst {self.name!r}: descriptors[{key!r}] must be a Descriptors")
        if missing:
            raise ParameterError(
                f"Catalyst {self.name!r}: descriptors missing for {missing}; "
                f"give a Descriptors entry for each of {list(PRODUCTS)}"
            )
        stages = [self.descriptors[p].stage for p in PRODUCTS]
        if self.host_couples and max(stages) > len(self.host_couples):
            raise ParameterError(
                f"Catalyst {self.name!r}: a descriptor sits at stage {max(stages):g} but the host has only "
                f"{len(self.host_couples)} couple(s); stages must be in [0, {len(self.host_couples)}]"
            )
        object.__setattr__(self, "host_couples", tuple(self.host_couples))
        object.__setattr__(self, "descriptors", ReadOnlyDict(self.descriptors))
        object.__setattr__(self, "sources", ReadOnlyDict(self.sources))

    @property
    def is_insertion_host(self) -> bool:
        """True when the catalyst's state follows its own sodium content."""
        return bool(self.host_couples)

    def stage_d_band(self) -> list[float]:
        """d-band centre of the catalyst state at each integer host stage 0..N.

        A state's d-band centre is the one computed with the first product (in
        :data:`PRODUCTS` order) that is decomposed in that state adsorbed; stages
        without a product descriptor are interpolated linearly. A fixed-state
        catalyst has one state (stage 0).
        """
        n = len(self.host_couples)
        known: dict[float, float] = {}
        for p in PRODUCTS:
            d = self.descriptors[p]
            known.setdefault(float(d.stage), d.d_band_centre)
        pts = sorted(known.items())
        return [_interp(s, pts) for s in range(n + 1)]

    def state_d_band(self, product: str) -> float:
        """d-band centre [eV] of the state in which ``product``'s descriptors were computed."""
        if product not in self.descriptors:
            raise ParameterError(f"unknown product {product!r}; allowed: {list(PRODUCTS)}")
        stages = self.stage_d_band()
        return _interp(self.descriptors[product].stage, [(float(i), e) for i, e in enumerate(stages)])

    def frozen(self) -> Catalyst:
        """The same catalyst with its state frozen at stage 0 (no switching; see ``switching``)."""
        from dataclasses import replace

        return replace(self, name=f"{self.name} (frozen)", switching=False)

    def with_descriptor(self, product: str, **changes) -> Catalyst:
        """A copy with one product's descriptors changed (for screening and sensitivity)."""
        from dataclasses import replace

        if product not in self.descriptors:
            raise ParameterError(f"unknown product {product!r}; allowed: {list(PRODUCTS)}")
        new = dict(self.descriptors)
        new[product] = replace(new[product], **changes)
        return replace(self, descriptors=new)


def _interp(x: float, points: list[tuple[float, float]]) -> float:
    pts = sorted(points)
    if x <= pts[0][0]:
        return pts[0][1]
    if x >= pts[-1][0]:
        return pts[-1][1]
    for (x0, y0), (x1, y1) in zip(pts[:-1], pts[1:]):
        if x0 <= x <= x1:
            if x1 == x0:
                return y1
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return pts[-1][1]  # pragma: no cover


def _isfinite(x: float) -> bool:
    return math.isfinite(x)
