"""The ``metalair`` command line (:mod:`metalair.cli.app` assembles it)."""
