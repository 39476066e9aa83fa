"""``python -m metalair`` and the ``metalair`` console script.

The command line is imported inside :func:`main`, so that Ctrl-C while numpy,
numba and matplotlib load (the first second of a command) ends the command
quietly with status 130, as it does once the command runs, instead of printing
a traceback from inside an import.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Run the ``metalair`` command line (:func:`metalair.cli.app.main`)."""
    try:
        from metalair.cli.app import main as run
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    run()


if __name__ == "__main__":
    main()
