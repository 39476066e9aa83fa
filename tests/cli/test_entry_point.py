"""The console entry point: a light ``import metalair``, ``python -m metalair``, and Ctrl-C during start-up."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_import_metalair_loads_no_numerics():
    """``import metalair`` defers numpy, numba and matplotlib to the first name that needs them."""
    code = ("import sys, metalair; heavy = [m for m in ('numpy', 'numba', 'scipy', 'matplotlib') if m in sys.modules];"
            " print(heavy); metalair.Simulation; print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True"  # the name was loaded on first use


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "metalair", "--version"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("metalair ")


class _InterruptOnImport:
    """A meta-path finder that raises KeyboardInterrupt when the command line is imported."""

    def find_spec(self, name, path=None, target=None):
        if name == "metalair.cli.app":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_while_the_command_line_loads_ends_quietly_with_130(monkeypatch, capsys):
    from metalair.__main__ import main

    monkeypatch.delitem(sys.modules, "metalair.cli.app", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_InterruptOnImport(), *sys.meta_path])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 130
    err = capsys.readouterr().err
    assert err == "interrupted\n"  # one line, no traceback
