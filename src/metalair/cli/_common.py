"""What every command module of the CLI shares: exit codes, the error exit, the progress bar.

Command modules import from here, never from :mod:`metalair.cli.app`.
Exit codes: 0 success; 1 user error (bad option, bad protocol, unknown
catalyst, missing or damaged file, a failed validation); 2 solver or internal
failure.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import typer

from metalair._progress import ProgressLine

__all__ = ["EXIT_OK", "EXIT_USER", "EXIT_SOLVER", "EXIT_INTERRUPTED", "OVERWRITE_HELP", "begin_output", "cli_text",
           "CYCLE_OPTIONS", "ENV_HELP", "fail", "need_unit", "progress_bar", "stop_interrupted", "volts", "_fail",
           "_progress_bar", "COLUMNS_HELP", "column_map_option", "mass_g_option"]

EXIT_OK = 0
EXIT_USER = 1
EXIT_SOLVER = 2
EXIT_INTERRUPTED = 130  # as a shell reports a process ended by Ctrl-C


def fail(message: str, code: int = EXIT_USER) -> NoReturn:
    """Print ``error: message`` on stderr (in red) and exit with ``code``."""
    typer.secho(f"error: {cli_text(message)}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


#: Python keywords that messages of the library name, and what a command-line user types instead.
API_TO_CLI: tuple[tuple[str, str], ...] = (
    ("pass mass_g for mAh/g", "pass --mass-mg (the catalyst mass in mg) for mAh/g"),
    ("pass cycle_start='discharge'", "pass --cycle-start discharge"),
    ("pass cycle_start='file'", "pass --cycle-start file"),
    ("give mass_g=... in g (on the command line: --mass-mg M)", "give --mass-mg M (the catalyst mass in mg)"),
    ("time_offset_s = ", "--offset "),
    ("(the fields are listed in metalair.models.parameters.SOURCES)",
     "('metalair catalysts --parameters' lists them)"),
    ("column_map must name the columns", "--columns must name the columns"),
    ("e.g. {'time_s': 'Time (s)', 'voltage_V': 'Ecell/V', 'current_A': ('I/mA', 'mA')}",
     "e.g. --columns 'time_s=Time (s),voltage_V=Ecell/V,current_A=I/mA@mA'"),
    ("column_map key ", "--columns key "),
    ("give molar_mass_g_mol (--molar-mass)", "give --molar-mass"),
    ("give mass_g (--mass-mg)", "give --mass-mg"),
    ("give mass_g so capacities are per gram", "give --mass-mg so capacities are per gram"),
    ("molar_mass_g_mol = ", "--molar-mass "),
    ("ions_per_formula = ", "--ions-per-formula "),
    ("diamagnetic_cm3_mol = ", "--diamagnetic "),
    ("t_range_K = ", "--t-range "),
    ("eod_threshold_V ", "--eod-threshold "),
    ("charge_voltages ", "--at "),
    ("read it with metalair.io.impedance.read_impedance", "analyse it with 'metalair eis'"),
)


#: How the cycling messages of the library name the voltage options of ``cycle`` and ``screen --cycle``.
CYCLE_OPTIONS: tuple[tuple[str, str], ...] = (
    ("v_min = ", "--v-min "), ("v_max = ", "--v-max "), ("Discharge: field 'until' = ", "--v-min "),
    ("Charge: field 'until' = ", "--v-max "), ("Discharge: field 'until': ", "--v-min: "),
    ("Charge: field 'until': ", "--v-max: "), ("cycles = ", "--cycles "))


def need_unit(option: str, text: str, unit: str) -> None:
    """Refuse a bare number for an option whose unit is ambiguous, showing how to write it."""
    from metalair.units import is_bare_number

    if is_bare_number(text):
        fail(f"{option} {text}: give its unit, e.g. {option} {text}{unit}")


def cli_text(message: str, options: tuple[tuple[str, str], ...] = ()) -> str:
    """``message`` with the library's keyword names replaced by the command-line options (and ``options``)."""
    for api, cli in API_TO_CLI + options:
        message = message.replace(api, cli)
    return message


def _environment_help() -> str:
    from metalair.constants import ENVIRONMENT_NAMES

    names = [f"'{n}'" for n in ENVIRONMENT_NAMES]
    return "Gas at the air electrode: " + ", ".join(names[:-1]) + f" or {names[-1]}."


#: Help of every command's ``--environment``.
ENV_HELP = _environment_help()

#: Help of every command's ``--overwrite``.
OVERWRITE_HELP = "Replace the files of an earlier run in --out (without it such a folder is refused)."


def begin_output(out: Path, overwrite: bool, expected: tuple[str, ...] = (), resume_option: str | None = None) -> Any:
    """Check ``--out`` before any work and settle an earlier run there.

    Returns the :class:`~metalair.workflows.outputs.RunOutputs` of this run
    (use it as a context manager and register the files written); exits with
    a one-line message if the folder cannot be used or holds an earlier run
    and ``overwrite`` is False.
    """
    from metalair.errors import MetalairError
    from metalair.workflows.outputs import begin_run

    try:
        return begin_run(out, ["metalair", *sys.argv[1:]], overwrite=overwrite, expected=expected,
                         resume_option=resume_option)
    except MetalairError as exc:
        fail(str(exc))


def volts(text: str) -> str:
    """A voltage option as protocol text: a bare number is in volts (``"1.5"`` -> ``"1.5 V"``)."""
    from metalair.units import is_bare_number

    return f"{text} V" if is_bare_number(text) else text


def stop_interrupted(manifest: Any, message: str) -> NoReturn:
    """End a command whose run the user interrupted (Ctrl-C), after settling ``--out``.

    An earlier run that ``--overwrite`` had set aside is put back (the interrupted run's files are
    removed); otherwise what was written stays, with the manifest marked ``"partial"``.
    """
    if manifest.restore_earlier():
        fail(f"{message}; --overwrite undone: the earlier run's files in --out are back as they were",
             EXIT_INTERRUPTED)
    manifest.adopt_new_files()
    manifest.finish("partial", f"interrupted (Ctrl-C): {message}")
    fail(f"{message}; what was written is in --out, marked partial in its manifest.json", EXIT_INTERRUPTED)


def progress_bar(label: str, unit: str = "steps") -> Callable[[int, int], None]:
    """A progress reporter on stderr, ``report(done, total)`` (:class:`metalair._progress.ProgressLine`)."""
    return ProgressLine(label, unit).update


# the names command modules were first written against
def given_options(ctx: typer.Context, keep: Callable[[str], bool]) -> list[Any]:
    """The parameters of the running command the user gave on the command line (not left at their default)."""
    return [p for p in ctx.command.params if p.name and keep(p.name)
            and getattr(ctx.get_parameter_source(p.name), "name", "DEFAULT") not in ("DEFAULT", "DEFAULT_MAP")]


def refuse_unused(ctx: typer.Context, present: bool, needs: str, names: frozenset[str], what: str) -> None:
    """Refuse the options ``names`` given without ``needs`` (``present`` False): they would be silently ignored."""
    if present:
        return
    given = given_options(ctx, names.__contains__)
    if given:
        opts = ", ".join(p.opts[0] for p in given)
        fail(f"{opts} {'applies' if len(given) == 1 else 'apply'} only with {needs} ({what}) and would be "
             f"ignored: add {needs}, or drop {'it' if len(given) == 1 else 'them'}")


def check_sample_count(n: int, option: str, minimum: int, advice: str) -> None:
    """Refuse a sample count below ``minimum`` (with ``advice``) or above :data:`~metalair._validation.MAX_SAMPLES`."""
    from metalair._validation import MAX_SAMPLES

    if n < minimum:
        fail(f"{option} {n}: give at least {minimum} sample{'s' if minimum != 1 else ''}{advice}")
    if n > MAX_SAMPLES:
        fail(f"{option} {n:,}: give at most {MAX_SAMPLES:,} samples (each is a simulation: split the work)")


_fail = fail
_progress_bar = progress_bar


#: Help of every command's ``--columns`` (a generic CSV's column map).
COLUMNS_HELP = (
    "For a generic CSV: canonical=column pairs separated by commas, with an optional @unit or @factor, "
    "e.g. 'time_s=Time (s),voltage_V=Ecell/V,current_A=I/mA' or 'current_A=Current@-1e-3'. "
    "Canonical names: time_s, voltage_V, current_A (needed), step, cycle, step_type, capacity_Ah, energy_Wh."
)


def mass_g_option(mass_mg: float | None) -> float | None:
    """``--mass-mg`` in g (None when not given); a mass that is not positive and finite is refused."""
    if mass_mg is None:
        return None
    if not (math.isfinite(mass_mg) and mass_mg > 0):
        fail(f"--mass-mg {mass_mg:g} must be a positive catalyst mass in mg")
    from metalair.units import convert

    return float(convert(mass_mg, "mg", "g"))


def column_map_option(columns: str | None) -> dict[str, Any] | None:
    """``--columns`` as a reader's column map: canonical=column pairs, each with an optional @unit or @factor."""
    if not columns:
        return None
    out: dict[str, Any] = {}
    for item in columns.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, column = item.partition("=")
        if not sep or not key.strip() or not column.strip():
            fail(f"--columns: {item!r} is not of the form canonical=column (e.g. 'voltage_V=Ecell/V')")
        key, column = key.strip(), column.strip()
        if "@" in column:
            name, unit = (s.strip() for s in column.rsplit("@", 1))
            try:
                factor = float(unit)
            except ValueError:
                out[key] = (name, unit)
                continue
            if not (math.isfinite(factor) and factor != 0):
                fail(f"--columns: {item!r}: the factor after @ must be a finite, non-zero number "
                     "(e.g. 'current_A=I@-1e-3' for mA counted positive on charge) or a unit (e.g. 'current_A=I@mA')")
            out[key] = (name, factor)
        else:
            out[key] = column
    return out
