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
from typing import Any

import typer

from metalair import __version__
from metalair.cli import calibration, characterisation, design, electrochem, lab_data, reference, simulation
from metalair.cli._common import EXIT_USER
from metalair.errors import MetalairError

__all__ = ["app", "command", "main"]

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


def command() -> Any:
    """The assembled click command, with two adjustments made once for every command.

    Typer prints ``<bool>`` after a flag (``--overwrite <bool>``) as if it took a value; a flag takes
    none, so the placeholder is dropped. Typer also turns an empty path (``--out ""``, or
    ``--out "$DIR"`` with ``DIR`` unset) into ``.``, the current folder, where a run would then write;
    an empty value of a path option is refused instead.
    """
    import typer.main

    def adjust(cmd: Any) -> None:
        # the help option is built on first use and kept (click caches it): build it here to quiet it too
        help_option = cmd.get_help_option(cmd.context_class(cmd))
        for param in [*cmd.params, *([help_option] if help_option is not None else [])]:
            if getattr(param, "is_flag", False):
                param.metavar = ""
            if _takes_a_path(param):
                param.process_value = _refusing_empty(param.process_value)
        for sub in getattr(cmd, "commands", {}).values():
            adjust(sub)

    cmd = typer.main.get_command(app)
    adjust(cmd)
    return cmd


def _takes_a_path(param: Any) -> bool:
    """Whether a Typer parameter is annotated as a path (``Path`` or ``Path | None``).

    Typer before 0.29 gives such a parameter a click path type; 0.29 keeps the annotation.
    """
    import typing
    from pathlib import Path

    if type(getattr(param, "type", None)).__name__ in ("TyperPath", "Path"):
        return True
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    return annotation is Path or Path in typing.get_args(annotation)


def _refusing_empty(process_value: Any) -> Any:
    def process(ctx: Any, value: Any) -> Any:
        values = value if isinstance(value, (list, tuple)) else [value]  # a list of files: each of them
        if any(isinstance(v, str) and not v.strip() for v in values):
            raise typer.BadParameter("is empty; give a file or folder name (an unset shell variable?)")
        return process_value(ctx, value)

    return process


def main() -> None:
    """Console-script entry point.

    Runs the command, then leaves through :func:`_leave`: the interpreter's
    module-by-module teardown is skipped, because after a compiled run freeing
    numba's LLVM objects one by one takes about 0.3 s of a 2.5 s command. The
    files a command writes are already complete (atomic writes, closed), and the
    ``atexit`` handlers (log flushing, coverage) still run.
    """
    try:
        command()()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    except MetalairError as exc:  # anything the commands did not catch themselves
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        code = EXIT_USER
    except KeyboardInterrupt:  # pragma: no cover
        code = 130
    _leave(code)


def _leave(code: object) -> None:  # pragma: no cover - ends the process; tested through a subprocess
    """Exit with ``code`` (``SystemExit`` semantics) after the atexit handlers and a flush of stdout/stderr."""
    import atexit
    import os

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): print it, exit 1, as the interpreter would
        print(code, file=sys.stderr)
        status = 1
    try:
        run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
        if run_exit_handlers is None:  # another interpreter: exit the ordinary way
            sys.exit(status)
        run_exit_handlers()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except Exception:  # a closed pipe (metalair ... | head) or a closed stream: nothing left to lose
                pass
        os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    main()
