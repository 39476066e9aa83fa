"""What every command module of the CLI shares: exit codes, the error exit, the progress bar.

Command modules import from here, never from :mod:`metalair.cli.app`.
Exit codes: 0 success; 1 user error (bad option, bad protocol, unknown
catalyst, missing or damaged file, a failed validation); 2 solver or internal
failure.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

import typer

__all__ = ["EXIT_OK", "EXIT_USER", "EXIT_SOLVER", "fail", "progress_bar", "_fail", "_progress_bar"]

EXIT_OK = 0
EXIT_USER = 1
EXIT_SOLVER = 2


def fail(message: str, code: int = EXIT_USER) -> NoReturn:
    """Print ``error: message`` on stderr (in red) and exit with ``code``."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def progress_bar(label: str) -> Callable[[int, int], None]:
    """A small progress reporter on stderr: ``report(done, total)`` redraws a 20-character bar."""
    state = {"last": -1}

    def report(done: int, total: int) -> None:
        pct = int(100 * done / max(total, 1))
        if pct != state["last"] and (pct % 5 == 0 or done == total):
            state["last"] = pct
            bar = "#" * (pct // 5) + "." * (20 - pct // 5)
            sys.stderr.write(f"\r{label} [{bar}] {pct:3d}% ({done}/{total} steps)")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return report


# the names command modules were first written against
_fail = fail
_progress_bar = progress_bar
