"""CLI commands for characterisation data: ``magnet``, ``xas``, ``xrd``, ``raman``.

Each parses its options, calls one function of
:mod:`metalair.workflows.characterisation`, prints the result and the files
written. Exit codes: 0 ok; 1 a file that is not what it claims, a bad option,
or an analysis that refuses the data (the message says why); 2 an internal
failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from metalair.cli._common import EXIT_SOLVER, EXIT_USER, OVERWRITE_HELP, begin_output
from metalair.cli._common import fail as _fail
from metalair.errors import MetalairError
from metalair.units import from_user

__all__ = ["register"]

_EXIT_USER = EXIT_USER
_EXIT_INTERNAL = EXIT_SOLVER  # solver or internal failure


def _range(text: str | None, option: str, unit: str, *, kelvin: bool = False) -> tuple[float, float] | None:
    """``LOW:HIGH`` as two finite numbers with LOW < HIGH (and LOW >= 0 for absolute temperatures)."""
    if text is None:
        return None
    lo, sep, hi = text.partition(":")
    try:
        a, b = float(lo), float(hi)
    except ValueError:
        _fail(f"{option} {text!r} must be LOW:HIGH in {unit}, e.g. '50:300'")
        raise  # pragma: no cover
    if not sep or not (math.isfinite(a) and math.isfinite(b) and a < b):
        _fail(f"{option} {text!r} must be LOW:HIGH in {unit} with LOW < HIGH")
    if kelvin and a < 0:
        _fail(f"{option} {text!r}: LOW = {a:g} K lies below absolute zero; give LOW:HIGH in K with "
              "0 <= LOW < HIGH, e.g. '50:300'")
    return a, b


def _run(call: Callable[[], Any], out: Path, overwrite: bool) -> None:
    with begin_output(out, overwrite) as manifest:
        try:
            run = call()
        except MetalairError as exc:
            _fail(str(exc))
            return
        except OSError as exc:
            _fail(f"cannot read or write: {exc}")
            return
        manifest.add(*run.written)
        if run.refused:
            manifest.finish("partial", run.refused)
    typer.echo(run.summary)
    for p in run.written:
        typer.echo(f"written {p}")
    if run.refused:
        _fail(run.refused)


def magnet(
    file: Path = typer.Argument(..., help="Quantum Design MPMS/MPMS3/PPMS/ACMS .dat file."),
    mass_mg: float | None = typer.Option(None, "--mass-mg", help="Sample mass in mg (default: the file header's)."),
    molar_mass: float | None = typer.Option(None, "--molar-mass",
                                               help="Molar mass of one formula unit in g/mol (default: the header's)."),
    diamagnetic: float = typer.Option(0.0, "--diamagnetic", help="Core diamagnetism to subtract, cm3/mol (negative)."),
    t_range: str | None = typer.Option(None, "--t-range",
                                       help="Curie-Weiss range LOW:HIGH in K (default: automatic)."),
    ions: float = typer.Option(1.0, "--ions-per-formula", help="Magnetic ions per formula unit (mu_eff per ion)."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figure."),
) -> None:
    """Susceptibility chi(T) and a Curie-Weiss fit with 95 % intervals and mu_eff."""
    from metalair.workflows.characterisation import run_magnet

    if mass_mg is not None and not (math.isfinite(mass_mg) and mass_mg > 0):
        _fail(f"--mass-mg {mass_mg:g} must be a positive mass in mg")
    rng = _range(t_range, "--t-range", "K", kelvin=True)
    _run(lambda: run_magnet(file, out, mass_mg=mass_mg, molar_mass_g_mol=molar_mass, diamagnetic_cm3_mol=diamagnetic,
                            t_range_K=rng, ions_per_formula=ions, plot=plot), out, overwrite)


def _references(items: list[str] | None) -> list[tuple[str, float]]:
    refs = []
    for item in items or []:
        path, sep, val = item.rpartition("=")
        try:
            v = float(val)
        except ValueError:
            v = math.nan
        if not sep or not path or not math.isfinite(v):
            _fail(f"--reference {item!r} must be FILE=VALENCE, e.g. 'ruo2.xdi=4'")
        if v < 0:
            _fail(f"--reference {item!r}: valence {v:g} is negative; give the reference's oxidation state, a number "
                  ">= 0 (e.g. 'ruo2.xdi=4')")
        refs.append((path, v))
    return refs


def xas(
    files: list[Path] = typer.Argument(..., help="XDI, Athena .prj or column files (energy + mu, or I0/It)."),
    e0_method: str = typer.Option("derivative", "--e0", help="E0 definition: 'derivative' (max dmu/dE) or "
                                                              "'half-height'."),
    reference: list[str] | None = typer.Option(None, "--reference", "-r",
                                                  help="Reference of known valence, FILE=VALENCE (repeat)."),
    e0_sigma: float | None = typer.Option(None, "--e0-uncertainty", help="Known E0 uncertainty in eV."),
    pre_range: str | None = typer.Option(None, "--pre-range",
                                         help="Pre-edge line range LOW:HIGH in eV relative to E0, both <= 0 "
                                              "(default -150:-30, clipped to the scan)."),
    norm_range: str | None = typer.Option(None, "--norm-range",
                                          help="Post-edge curve range LOW:HIGH in eV relative to E0, both >= 0 "
                                               "(default 150 to the last point)."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figure."),
) -> None:
    """XANES normalisation, E0 and edge step; valence by calibration against references."""
    from metalair.workflows.characterisation import run_xas

    refs = _references(reference)
    if e0_sigma is not None and not (math.isfinite(e0_sigma) and e0_sigma > 0):
        _fail(f"--e0-uncertainty {e0_sigma:g} must be a positive number of eV (the standard uncertainty of one E0)")
    pre = _range(pre_range, "--pre-range", "eV relative to E0")
    post = _range(norm_range, "--norm-range", "eV relative to E0")
    if pre is not None and pre[1] > 0:
        _fail(f"--pre-range {pre_range!r}: the pre-edge line is fitted below the edge; give LOW:HIGH in eV relative "
              "to E0 with HIGH <= 0, e.g. '-150:-30' (not absolute energies)")
    if post is not None and post[0] < 0:
        _fail(f"--norm-range {norm_range!r}: the post-edge curve is fitted above the edge; give LOW:HIGH in eV "
              "relative to E0 with LOW >= 0, e.g. '150:400' (not absolute energies)")
    _run(lambda: run_xas(files, out, e0_method=e0_method, references=refs, e0_uncertainty_eV=e0_sigma,
                         pre_range_eV=pre, norm_range_eV=post, plot=plot), out, overwrite)


def xrd(
    file: Path = typer.Argument(..., help="Diffraction pattern: .xy/.csv (2theta, intensity) or PANalytical .xrdml."),
    wavelength: float | None = typer.Option(None, "--wavelength-a",
                                               help="Wavelength in Å (default: the file's, else Cu Kα1 1.5406 Å)."),
    phases: str | None = typer.Option(None, "--phases",
                                      help="Reference phases to score, comma-separated "
                                           "(default all: NaO2, Na2O2, Na2CO3, Na2CO3·H2O, RuO2)."),
    tolerance: float = typer.Option(0.2, "--tolerance-deg", help="Line-matching tolerance in degrees 2theta."),
    kalpha2: bool | None = typer.Option(None, "--kalpha2/--no-kalpha2",
                                           help="Fit each peak as a Kalpha1/Kalpha2 doublet, or as one line. "
                                                "Default: an XRDML file's own Kalpha2 and ratio if it gives them; "
                                                "for other Cu Kalpha1 files, what the resolved peaks' shapes show "
                                                "(a doublet when they cannot tell: a tube without a Kalpha1 "
                                                "monochromator); one line for other wavelengths. A note says which "
                                                "and why."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figure."),
) -> None:
    """Peak fits with intervals and phase identification against computed reference patterns."""
    from metalair.workflows.characterisation import run_xrd

    if wavelength is not None and not (math.isfinite(wavelength) and 0.1 < wavelength < 100):
        _fail(f"--wavelength-a {wavelength:g} must be a wavelength in Å (e.g. 1.5406)")
    from metalair.analysis.diffraction import MAX_TOLERANCE_DEG

    if not (math.isfinite(tolerance) and 0 < tolerance <= MAX_TOLERANCE_DEG):
        _fail(f"--tolerance-deg {tolerance:g} must be an angle in (0, {MAX_TOLERANCE_DEG:g}] degrees 2theta (e.g. "
              "0.2): lines of different phases lie a degree or two apart, so a wider tolerance matches every phase")
    names = [p.strip() for p in phases.split(",") if p.strip()] if phases else None
    w = None if wavelength is None else float(from_user(wavelength, "Å", "length"))
    _run(lambda: run_xrd(file, out, wavelength_m=w, phases=names, tolerance_deg=tolerance, plot=plot,
                         kalpha2=kalpha2), out, overwrite)


def raman(
    file: Path = typer.Argument(..., help="Raman text export (shift in cm-1, intensity)."),
    x_range: str | None = typer.Option(None, "--range", help="Shift range LOW:HIGH in cm-1."),
    shape: str = typer.Option("pseudo-voigt", "--shape", help="'pseudo-voigt', 'lorentzian' or 'gaussian'."),
    laser_nm: float | None = typer.Option(None, "--laser-nm",
                                             help="Excitation laser wavelength in nm, for a file whose x axis is the "
                                                  "scattered wavelength in nm: converted to Raman shift "
                                                  "(1e7/laser - 1e7/wavelength, cm-1)."),
    lam: float = typer.Option(1e5, "--lam", help="Baseline stiffness for a 1 cm-1 grid (scaled to the file's step); "
                              "1e8 for broad carbon D/G bands."),
    out: Path = typer.Option(Path("results"), "--out", "-o", help="Output folder."),
    overwrite: bool = typer.Option(False, "--overwrite", help=OVERWRITE_HELP),
    plot: bool = typer.Option(True, "--plot/--no-plot", help="Write the figure."),
) -> None:
    """ALS baseline, peak fits with intervals and assignment to products and catalysts."""
    from metalair.workflows.characterisation import run_raman

    if not (math.isfinite(lam) and lam > 0):
        _fail(f"--lam {lam:g} must be a positive number, e.g. 1e5 (1e8 for broad carbon bands)")
    rng = _range(x_range, "--range", "cm-1")
    _run(lambda: run_raman(file, out, x_range=rng, shape=shape, lam=lam, plot=plot, laser_nm=laser_nm), out,
         overwrite)


def register(app: typer.Typer) -> None:
    """Add ``magnet``, ``xas``, ``xrd`` and ``raman`` to the application."""
    app.command("magnet")(magnet)
    app.command("xas")(xas)
    app.command("xrd")(xrd)
    app.command("raman")(raman)
