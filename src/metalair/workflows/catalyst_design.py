"""From DFT output files to a catalyst file: read, compute descriptors, assemble, write.

:func:`catalyst_from_dft` reads a VASP ``vasprun.xml(.gz)`` per catalyst
state (d-band centre of the chosen sites), a LOBSTER ``ICOHPLIST.lobster``
per state (mean ICOHP of one bond type within a cutoff) and a table of
free-energy steps (the charging overpotential η_FE), and assembles a
:class:`~metalair.catalysts.Catalyst` whose every value names the file (with
its SHA-256) and the method it came from. Products not given DFT files keep
the values of a template catalyst (a built-in or a catalyst file).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from metalair.catalysts import PRODUCTS, Catalyst, Descriptors, get_catalyst
from metalair.catalysts.dft import (
    FreeEnergyAnalysis,
    analyse_free_energy_steps,
    bond_icohp,
    calibrated_ranges,
)
from metalair.constants import K_B_EV
from metalair.errors import ParameterError
from metalair.models.parameters import DEFAULT_PARAMETERS as P

__all__ = ["DFTCatalyst", "catalyst_from_dft", "per_product"]

PathLike = str | os.PathLike[str]


@dataclass
class DFTCatalyst:
    """Result of :func:`catalyst_from_dft`: the catalyst and what was computed for it."""

    catalyst: Catalyst
    d_band: dict = field(default_factory=dict)        # product -> {"total"|"up"|"down": BandMoments}
    icohp: dict = field(default_factory=dict)         # product -> BondIcohp
    free_energy: FreeEnergyAnalysis | None = None
    erange: tuple | None = None                       # window of the band centre and width [eV], None: whole grid
    warnings: list = field(default_factory=list)      # what the user must know about the values (printed, in TOML)

    def report(self) -> str:
        """Human-readable table of the descriptors (the warnings are not in it: see ``warnings``)."""
        lines = [f"{self.catalyst.name} ({self.catalyst.formula})"]
        filling_note = "filling over the whole grid, not the --erange window; " if self.erange is not None else ""
        for p in PRODUCTS:
            d = self.catalyst.descriptors[p]
            spin = ""
            if p in self.d_band and "up" in self.d_band[p]:
                m = self.d_band[p]
                spin = f" (up {m['up'].centre:+.3f}, down {m['down'].centre:+.3f})"
            line = f"  {p:7s} d-band {d.d_band_centre:+.3f} eV{spin}, ICOHP {d.icohp:+.3f} eV, stage {d.stage:g}"
            if p in self.d_band:
                m = self.d_band[p]
                line += (f"; width {m['total'].width:.3f} eV, filling {m['total'].filling:.3f} ({filling_note}width "
                         "and filling printed only, not in the file)")
            if p in self.icohp:
                ic = self.icohp[p]
                rows = f" (in {ic.rows} rows of the ICOHP list)" if ic.rows != ic.count else ""
                line += f"; {ic.count} bond(s) averaged{rows}"
            if p not in self.d_band and p not in self.icohp:
                line += "  [from template]"
            lines.append(line)
        lines.append(f"  free-energy overpotential {self.catalyst.free_energy_overpotential:.3f} V" + (
            " (η_FE: the path's charging limiting-potential overpotential; the model applies it to the superoxide "
            "decomposition)" if self.free_energy is not None else "  [from template]"))
        if self.free_energy is not None:
            fe = self.free_energy
            lines.append(f"    U_eq {fe.equilibrium_potential:.3f} V; limiting discharge "
                         f"{fe.limiting_discharge_potential:.3f} V (step {fe.limiting_discharge_index + 1}, "
                         f"{fe.limiting_discharge_step}); limiting charge {fe.limiting_charge_potential:.3f} V "
                         f"(reverse of step {fe.limiting_charge_index + 1}, {fe.limiting_charge_step})")
            lines.append("    charge limited by " + (
                "the superoxide step" if fe.superoxide_limits_charge else
                "a step that is not the superoxide step (see the warning)" if fe.superoxide_index is not None else
                "a step; no step is labelled as forming NaO2 (see the warning)"))
            if fe.charge_chemical_barrier > 0:
                lines.append(f"    chemical barrier on charge {fe.charge_chemical_barrier:.3f} eV (not removable by "
                             "potential; see the warning)")
        return "\n".join(lines)


def per_product(value: Any, what: str) -> dict[str, Any]:
    """``{product: value}`` from one value (all products) or a mapping / ``"PRODUCT=value"`` strings."""
    if value is None:
        return {}
    if isinstance(value, dict):
        out = dict(value)
    elif isinstance(value, (list, tuple)):
        out = {}
        plain = []
        for item in value:
            text = str(item)
            key, sep, rest = text.partition("=")
            if sep and key.strip() in PRODUCTS:
                out[key.strip()] = rest.strip()
            elif sep and key.strip() and not os.path.exists(text):
                raise ParameterError(f"{what} {text!r}: {key.strip()!r} is not a product; allowed: {list(PRODUCTS)}")
            else:
                plain.append(text)
        if plain:
            if len(plain) > 1 or out:
                raise ParameterError(f"{what}: give one file for all products, or PRODUCT=file for each of "
                                     f"{list(PRODUCTS)}; got {list(value)}")
            out = {p: plain[0] for p in PRODUCTS}
    else:
        out = {p: value for p in PRODUCTS}
    bad = [k for k in out if k not in PRODUCTS]
    if bad:
        raise ParameterError(f"{what}: unknown product(s) {bad}; allowed: {list(PRODUCTS)}")
    return out


def catalyst_from_dft(
    vasprun: PathLike | dict | list | None = None,
    icohp: PathLike | dict | list | None = None,
    steps: PathLike | None = None,
    *,
    elements: list[str] | None = None,
    sites: list[int] | None = None,
    orbital: str = "d",
    erange: tuple[float, float] | None = None,
    bond: str = "Ru-O",
    max_distance: float = 2.3,
    template: str | Catalyst | None = None,
    name: str | None = None,
    formula: str | None = None,
    molar_mass: float | None = None,
    description: str | None = None,
) -> DFTCatalyst:
    """Assemble a catalyst from DFT output files.

    Parameters
    ----------
    vasprun : path, or {product: path}, or list of ``"PRODUCT=path"``
        VASP ``vasprun.xml(.gz)`` of the catalyst state in which each product
        is decomposed (one path: the same state for all products).
    icohp : path or mapping like ``vasprun``
        LOBSTER ``ICOHPLIST.lobster`` of the state with the product adsorbed.
    steps : path, optional
        CSV of elementary discharge steps (see
        :func:`metalair.io.dft.read_free_energy_steps`); its charging
        overpotential becomes ``free_energy_overpotential``.
    elements, sites : optional
        Sites whose projected band is used (default: every site).
    orbital : {"d", "p", "s", "f"}
        Band (default d).
    erange : (float, float), optional
        Window relative to E_F for the moments [eV].
    bond, max_distance : str, float
        Bond type (``"Ru-O"``) and cutoff [Å] for the mean ICOHP.
    template : str or Catalyst, optional
        Built-in name or catalyst file giving the values not computed here
        (other products, host couples, stage of each state, molar mass).
    name, formula, molar_mass, description : optional
        Override the template's; ``molar_mass`` [kg/mol]. The name defaults to the template's with
        ``-dft`` appended (``NLRO-dft``), so that the catalyst's output files are not taken for the template's.

    Returns
    -------
    DFTCatalyst

    Raises
    ------
    ParameterError
        A product has neither DFT files nor a template value; inconsistent options.
    DataFormatError
        From the readers (no projections, not an ICOHPLIST, ...).
    """
    from metalair.io.dft import file_digest, read_free_energy_steps, read_icohplist, read_vasprun_pdos

    base = get_catalyst(template) if template is not None else None
    vr = per_product(vasprun, "--vasprun")
    ic = per_product(icohp, "--icohp")
    if not vr and not ic and steps is None:
        raise ParameterError("nothing to compute: give a vasprun, an ICOHPLIST or a free-energy steps file")
    descriptors: dict[str, Descriptors] = dict(base.descriptors) if base is not None else {}
    d_band: dict[str, Any] = {}
    icohps: dict[str, Any] = {}
    pdos_cache: dict[str, Any] = {}
    bonds_cache: dict[str, Any] = {}
    where = (f"elements {elements}" if elements else f"sites {sites}" if sites else "all sites")
    window = f"{erange[0]:g}..{erange[1]:g} eV" if erange else "whole energy grid"
    for p in PRODUCTS:
        if p not in vr and p not in ic:
            continue
        old = descriptors.get(p)
        if (p not in vr or p not in ic) and old is None:
            which = "--vasprun" if p not in vr else "--icohp"
            raise ParameterError(f"product {p}: no {which} file and no template value; give both files or a "
                                 "--template catalyst")
        src = []
        eps = old.d_band_centre if old is not None else None
        if p in vr:
            key = str(vr[p])
            if key not in pdos_cache:
                pdos_cache[key] = read_vasprun_pdos(key)
            pdos = pdos_cache[key]
            moments = pdos.band_moments(orbital, elements=elements, sites=sites, erange=erange)
            d_band[p] = moments
            eps = moments["total"].centre
            src.append(f"{orbital}-band centre from {Path(key).name} (sha256 {file_digest(key)}), {where}, "
                       f"spin-summed, {window}, relative to E_F = {pdos.e_fermi:g} eV")
        elif old is not None:
            src.append(f"d-band centre from template: {old.source}")
        bond_val = old.icohp if old is not None else None
        if p in ic:
            key = str(ic[p])
            if key not in bonds_cache:
                bonds_cache[key] = read_icohplist(key)
            res = bond_icohp(bonds_cache[key], bond, max_distance)
            icohps[p] = res
            bond_val = res.mean
            src.append(f"ICOHP = mean of {res.count} {bond} bond(s) <= {max_distance:g} A from {Path(key).name} "
                       f"(sha256 {file_digest(key)})")
        elif old is not None:
            src.append(f"ICOHP from template: {old.source}")
        stage = old.stage if old is not None else 0.0
        assert eps is not None and bond_val is not None
        descriptors[p] = Descriptors(d_band_centre=eps, icohp=bond_val, stage=stage, source="; ".join(src))
    missing = [p for p in PRODUCTS if p not in descriptors]
    if missing:
        raise ParameterError(f"no descriptors for {missing}: give DFT files for them or a --template catalyst")
    sources = dict(base.sources) if base is not None else {}
    fe = None
    warnings: list[str] = []
    if steps is not None:
        fe = analyse_free_energy_steps(read_free_energy_steps(steps))
        eta = fe.charge_overpotential
        note = _free_energy_notes(fe)
        warnings.extend(note)
        sources["free_energy_overpotential"] = (
            f"charging limiting-potential overpotential of the whole path from {Path(steps).name} (sha256 "
            f"{file_digest(steps)}): U_eq {fe.equilibrium_potential:.4g} V, U_charge "
            f"{fe.limiting_charge_potential:.4g} V (reverse of step {fe.limiting_charge_index + 1}, "
            f"{fe.limiting_charge_step}"
            + ("; the superoxide step" if fe.superoxide_limits_charge else "; NOT the superoxide step") + "); "
            "computational Na electrode after Norskov et al. J. Phys. Chem. B 108, 17886 (2004), "
            "doi:10.1021/jp047349j" + "".join(f". NOTE: {n}" for n in note))
    elif base is not None:
        eta = base.free_energy_overpotential
    else:
        raise ParameterError("no free-energy overpotential: give a --steps file or a --template catalyst")
    if formula is None:
        formula = base.formula if base is not None else None
    if molar_mass is None and formula is not None and (base is None or formula != base.formula):
        from metalair.chemistry.species import molar_mass_from_formula

        try:
            molar_mass = molar_mass_from_formula(formula)
            sources["molar_mass"] = f"from formula {formula} with IUPAC 2021 standard atomic weights"
        except ParameterError as exc:
            raise ParameterError(f"cannot compute the molar mass of {formula!r} ({exc}); give --molar-mass") from None
    elif molar_mass is not None:
        sources["molar_mass"] = "given by the user"
        if formula is not None:  # a plain formula gives its own molar mass: say when the two disagree
            from metalair.chemistry.species import molar_mass_from_formula

            try:
                implied = molar_mass_from_formula(formula)
            except ParameterError:  # not a plain formula (e.g. Na[Li1/3Ru2/3]O2): the given value stands
                implied = None
            if implied is not None and abs(molar_mass - implied) > 0.01 * implied:
                warnings.append(f"the molar mass given, {molar_mass * 1e3:.5g} g/mol, differs from the "
                                f"{implied * 1e3:.5g} g/mol of the formula {formula}; the given value is used")
    if molar_mass is None:
        if base is None:
            raise ParameterError("no molar mass: give --formula (plain formula), --molar-mass or a --template")
        molar_mass = base.molar_mass
    if formula is None:
        raise ParameterError("no formula: give --formula or a --template")
    sources["descriptors"] = "per product, see each descriptor's source"
    if base is not None:
        # the template's own name would make this catalyst's files (NLRO.csv) look like the built-in's
        cat = replace(base, name=name or f"{base.name}-dft", formula=formula, molar_mass=molar_mass,
                      descriptors=descriptors, free_energy_overpotential=eta, sources=sources,
                      description=description if description is not None else base.description)
    else:
        cat = Catalyst(name=name or "DFT catalyst", formula=formula, molar_mass=molar_mass, descriptors=descriptors,
                       free_energy_overpotential=eta, host_couples=(), description=description or
                       "fixed-state catalyst assembled from DFT outputs", sources=sources)
    computed = [p for p in PRODUCTS if p in d_band or p in icohps]
    warnings.extend(descriptor_range_warnings(cat, computed))
    return DFTCatalyst(catalyst=cat, d_band=d_band, icohp=icohps, free_energy=fe, erange=erange,
                       warnings=warnings)


def _free_energy_notes(fe: FreeEnergyAnalysis) -> list[str]:
    """What a user must know about the η_FE taken from ``fe``: chemical barriers, a limiting step that is not NaO2's."""
    notes = [m for m in (fe.chemical_barrier_message("charge"), fe.chemical_barrier_message("discharge")) if m]
    eta = fe.charge_overpotential
    lim = f"step {fe.limiting_charge_index + 1} ({fe.limiting_charge_step!r})"
    why = (f"free_energy_overpotential = {eta:.3f} V is the charging limiting-potential overpotential of the whole "
           f"path (U_charge {fe.limiting_charge_potential:.3f} V - U_eq {fe.equilibrium_potential:.3f} V, at least "
           "0), which the computational electrode defines for a path, not for one step; the model applies it to "
           "the superoxide (NaO2) decomposition only (Catalyst.free_energy_overpotential)")
    if fe.superoxide_index is None:
        notes.append(f"the charge is limited by the reverse of {lim}, and no step of the path is labelled as forming "
                     f"NaO2 (e.g. '* + Na+ + e- + O2 -> NaO2*'), so it cannot be told whether that is the superoxide "
                     f"step. {why}")
    elif not fe.superoxide_limits_charge:
        so = fe.steps[fe.superoxide_index]
        own = max(0.0, -so.delta_g / so.electrons - fe.equilibrium_potential)
        notes.append(f"the charge is limited by the reverse of {lim}, not by the superoxide step (step "
                     f"{fe.superoxide_index + 1}, {so.label!r}). {why}; the superoxide step alone needs "
                     f"{own:.3f} V beyond U_eq: to give the model that instead, set free_energy_overpotential = "
                     f"{own:.3f} in the catalyst file")
    return notes


# ----------------------------------------------------------------------------
# descriptor values against those the model was calibrated on
# ----------------------------------------------------------------------------
#: Temperature [K] at which the kinetic factors in the range messages are evaluated (the study's room temperature).
_T_ROOM = 298.15
#: Decades of decomposition exchange current beyond the shipped catalysts' from which the range message adds that
#: a charge can stop with a voltage jump (with the NLRO template a 100 mA/g charge did from about 13.5 decades,
#: ICOHP -3.75 eV for every product, and ran at 11.4 decades, -3.5 eV).
_STEP_DECADES = 10.0


def descriptor_range_warnings(catalyst: Catalyst, products: Sequence[str] | None = None,
                              catalysts: dict | None = None) -> list[str]:
    r"""Messages for descriptor values outside the range of the shipped catalysts (empty when none is).

    The model's decomposition kinetics depend exponentially on the bond
    strength :math:`B_k = -\mathrm{ICOHP}_k` (Brønsted–Evans–Polanyi,
    :func:`metalair.physics.catalysis.bep_exchange_current`): each
    :math:`k_BT\ln 10/\beta_B` = 0.118 eV of ICOHP moves the exchange current
    by a decade. The model was calibrated and validated on the shipped
    catalysts only (:func:`~metalair.catalysts.dft.calibrated_ranges`); outside their range it
    extrapolates, and far outside it a product's decomposition rate rises from
    zero to far above any cell current within less than the floating-point
    resolution of the potential, so a charge can stop with a voltage jump.
    Nothing is changed or refused here: the caller decides (``from-dft``
    prints the messages as warnings).

    Parameters
    ----------
    catalyst : Catalyst
    products : sequence of str, optional
        Products whose descriptors to check (default: all).
    catalysts : dict, optional
        The reference set (default: the built-in catalysts).

    Returns
    -------
    list of str
        One message per descriptor kind and value outside the range.
    """
    ranges = calibrated_ranges(catalysts)
    names = ", ".join(catalysts) if catalysts is not None else "NLRO, RuO2, NNRO, NLMO"
    kt_ln10 = K_B_EV * _T_ROOM * math.log(10.0)
    products = list(products) if products is not None else list(catalyst.descriptors)
    out = []
    for kind in ("icohp", "d_band_centre"):
        lo, hi = ranges[kind]
        by_value: dict[float, list[str]] = {}
        for p in products:
            v = float(getattr(catalyst.descriptors[p], kind))
            if not lo <= v <= hi:
                by_value.setdefault(v, []).append(p)
        for v, prods in by_value.items():
            edge = lo if v < lo else hi
            where = f"({lo:.2f} to {hi:.2f} eV for the shipped catalysts {names})"
            if kind == "icohp":
                decades = P.beta_binding * (edge - v) / kt_ln10  # B = -ICOHP: stronger bond, faster decomposition
                far = decades > _STEP_DECADES
                msg = (f"ICOHP {v:.2f} eV ({', '.join(prods)}) is {'far ' if far else ''}outside the range the model "
                       f"was calibrated on {where}; the decomposition exchange currents (Brønsted–Evans–Polanyi, "
                       f"beta_binding {P.beta_binding:g}) are then 10^{decades:+.1f} times those at {edge:.2f} eV")
                if far:
                    msg += (": a product's decomposition rate rises from zero to far more than any cell current "
                            "within less than the floating-point resolution of the potential, and a charge can stop "
                            "with a voltage jump (in a test with the NLRO template, a 100 mA/g charge did from "
                            "ICOHP -3.75 eV on every product)")
                elif decades < 0:
                    msg += " (the products decompose only at higher potentials)"
            else:
                decades = P.gamma_ads * abs(v - edge) / kt_ln10
                msg = (f"d-band centre {v:.2f} eV ({', '.join(prods)}) is outside the range the model was calibrated "
                       f"on {where}; the model's d-band relations (superoxide desorption and residence, gamma_ads "
                       f"{P.gamma_ads:g} eV/eV: a factor 10^{decades:.1f} beyond {edge:.2f} eV) are extrapolated")
            out.append(msg + ". Results for it are extrapolations; check them against measurements.")
    return out
