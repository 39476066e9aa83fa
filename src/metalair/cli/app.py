"""The ``metalair`` command line: the one module that assembles it.

This module creates the Typer app and registers the commands of each command
module (``register(app)``); command modules never import this one. Shared
helpers (exit codes, the error exit, the progress bar) are in
:mod:`metalair.cli._common`. Exit codes: 0 success; 1 user error (bad option,
bad protocol, unknown catalyst, a failed validation); 2 solver or internal
failure.
"""

from __future__ import annotations

import sys

import typer

from metalair import __version__
from metalair.cli import calibration, characterisation, design, electrochem, lab_data, reference, simulation
from metalair.cli._common import EXIT_USER
from metalair.errors import MetalairError

__all__ = ["app", "main"]

app = typer.Typer(
    name="metalair",
    help="Simulate and analyse metal–air (sodium–air) cells. Run 'metalair COMMAND --help' for details.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"metalair {__version__}")
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


simulation.register(app)
reference.register(app)
lab_data.register(app)
electrochem.register(app)
characterisation.register(app)
design.register(app)
calibration.register(app)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except MetalairError as exc:  # anything the commands did not catch themselves
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(EXIT_USER)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
