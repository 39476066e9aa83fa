"""The top-level package: subpackages reachable as attributes, loaded only when used."""

import subprocess
import sys

import pytest


def test_subpackage_is_an_attribute_and_loads_on_first_use():
    code = ("import sys, metalair as ma\n"
            "assert 'metalair.io' not in sys.modules\n"
            "read = ma.io.read\n"
            "assert 'metalair.io' in sys.modules and read.__module__.startswith('metalair.io')\n"
            "assert 'io' in dir(ma)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_unknown_attribute_is_an_attribute_error():
    import metalair as ma

    with pytest.raises(AttributeError, match="no attribute 'cli_app'"):
        ma.cli_app  # noqa: B018
