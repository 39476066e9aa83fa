"""The compiled kernel's first call does not import scipy.linalg, and scipy.linalg still works after it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from metalair._jit import COMPILED

pytestmark = pytest.mark.skipif(not COMPILED, reason="only matters when numba compiles the kernel")

_CHILD = r"""
import sys
import numpy as np
from metalair.models.lumped import LumpedAirElectrode
m = LumpedAirElectrode("NLRO")
y = m.initial_state()
print("scipy.linalg imported:", "scipy.linalg" in sys.modules)
print("blas shim left behind:", "scipy.linalg.cython_blas" in sys.modules)
import scipy.linalg
import scipy.linalg.cython_blas
print("package binds blas:", scipy.linalg.cython_blas is sys.modules["scipy.linalg.cython_blas"])
print("solve:", scipy.linalg.solve(np.eye(2) * 2.0, np.ones(2)).tolist())
"""


def test_first_compiled_call_skips_scipy_linalg_and_leaves_it_working() -> None:
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert "scipy.linalg imported: False" in lines  # the 0.18 s import numba's BLAS check would cost
    assert "blas shim left behind: False" in lines
    assert "package binds blas: True" in lines
    assert "solve: [0.5, 0.5]" in lines
