"""Workflows: read → analyse → plot → write, one function per task.

This layer sits above :mod:`metalair.analysis`, :mod:`metalair.io` and
:mod:`metalair.plotting` and is the only one that combines them; the command
line calls one workflow per command. Import from the submodules, e.g.
``from metalair.workflows.cycling import run_cycling``.
"""
