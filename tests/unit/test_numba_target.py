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


@pytest.mark.skipif(not COMPILED, reason="the kernel runs as plain Python: nothing is cached")
def test_the_kernel_caches_in_a_folder_per_kernel_version_even_under_the_users_numba_cache_dir(tmp_path):
    # with NUMBA_CACHE_DIR set (as clusters do) the kernel cached there directly, and numba's cache watches only a
    # function's own file: an edit of a physics function in another file reused the stale compiled kernel
    import json
    import os

    from metalair._jit import _kernel_sources_hash

    code = ("import json, numba, metalair._jit as j, metalair.physics.kinetics as k; "
            "print(json.dumps([j.CACHE_DIR, numba.config.CACHE_DIR, "
            "k.butler_volmer_overpotential._cache._cache_path]))")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)},
                         capture_output=True, text=True, check=True)
    kernel_dir, numba_dir, function_dir = json.loads(out.stdout.strip().splitlines()[-1])
    assert kernel_dir == str(tmp_path / "metalair" / _kernel_sources_hash())
    assert numba_dir == str(tmp_path)  # the user's own numba code keeps the user's setting
    assert function_dir.startswith(kernel_dir)
