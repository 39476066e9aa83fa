"""Compile the numerical kernel with numba when it is available.

The physics functions and the model's step are written once, in a restricted
style (floats, 1-D float arrays, named tuples of floats), so that the same
source runs compiled by numba or, where numba cannot be imported or
``METALAIR_NO_JIT=1`` is set, as plain Python (about 50x slower on long
cycling runs). :data:`COMPILED` says which; :func:`compiled_kernel_notice`
gives the one-line warning the CLI prints when the kernel runs uncompiled.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["COMPILED", "CACHE_DIR", "jit", "specialize", "compiled_kernel_notice", "prepare_numba_target"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _kernel_sources_hash() -> str:
    """A short hash of every source file compiled into the kernel.

    numba's cache only watches the file of the function it compiles, not the
    files of the functions it calls; a cache folder per version of the kernel
    sources keeps an edit of a physics function from reusing stale machine code.
    """
    import hashlib
    from pathlib import Path

    root = Path(__file__).parent
    h = hashlib.sha256()
    for sub in ("physics", "models", "solvers"):
        for f in sorted((root / sub).glob("*.py")):
            h.update(f.name.encode())
            h.update(f.read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def _cache_dir() -> str:
    """Where the kernel's compiled code is cached: a folder per version of the kernel sources.

    Below ``$NUMBA_CACHE_DIR/metalair`` when the user sets numba's cache folder (as clusters often do),
    else below ``~/.cache/metalair/numba`` (``$XDG_CACHE_HOME`` honoured). Only metalair's functions
    cache there (:func:`jit`); the user's own numba code keeps numba's setting.
    """
    from pathlib import Path

    user = os.environ.get("NUMBA_CACHE_DIR", "")
    base = (Path(user) / "metalair" if user else
            Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "metalair" / "numba")
    return str(base / _kernel_sources_hash())


def _numba() -> Any:
    if os.environ.get("METALAIR_NO_JIT", "") not in ("", "0"):
        return None
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a core dependency
        return None
    return numba


_NUMBA = _numba()
#: The cache folder of the compiled kernel (empty without numba).
CACHE_DIR: str = _cache_dir() if _NUMBA is not None else ""
#: True when the kernel is compiled to machine code by numba.
COMPILED: bool = _NUMBA is not None


def prepare_numba_target() -> None:
    """Load numba's array-math registry without importing the ``scipy.linalg`` package.

    The first compiled call of a process (a cached kernel included) loads numba's
    CPU-target registries; one of them, ``numba.np.arraymath``, checks at import
    that BLAS is available by importing ``scipy.linalg.cython_blas``, and that
    imports the whole ``scipy.linalg`` package: about 0.18 s of a 1.6 s
    ``metalair cycle`` command, for a kernel that makes no BLAS call. Here the
    check finds the BLAS extension module loaded on its own (a few ms); the entry
    is removed from ``sys.modules`` straight after, so a later ``import
    scipy.linalg`` (or a BLAS call in the user's own numba code) imports the
    package as usual and binds the same module object. Anything unexpected
    (another numba or scipy layout) leaves numba to do its usual import. Called
    by the model before its first compiled call; does nothing when numba is not
    in use or the registry is already loaded.
    """
    if _NUMBA is None or "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    import importlib.machinery
    import importlib.util
    from pathlib import Path

    name = "scipy.linalg.cython_blas"
    shim = None
    try:
        spec = importlib.util.find_spec("scipy")
        if spec is None or spec.origin is None:
            return
        folder = Path(spec.origin).parent / "linalg"
        found = [folder / f"cython_blas{sfx}" for sfx in importlib.machinery.EXTENSION_SUFFIXES
                 if (folder / f"cython_blas{sfx}").is_file()]
        if not found:
            return
        blas_spec = importlib.util.spec_from_file_location(name, found[0])
        if blas_spec is None or blas_spec.loader is None:
            return
        shim = importlib.util.module_from_spec(blas_spec)
        blas_spec.loader.exec_module(shim)
        sys.modules[name] = shim
        import numba.np.arraymath  # noqa: F401  (runs the BLAS check against the module above)
    except Exception:  # pragma: no cover - numba then imports scipy.linalg itself
        pass
    finally:
        if shim is not None and sys.modules.get(name) is shim:
            del sys.modules[name]


def jit(fn: _F) -> _F:
    """Compile ``fn`` with ``numba.njit`` (cached, no GIL) when numba is in use; else return it unchanged."""
    if _NUMBA is None:
        return fn
    # numba fixes a function's cache folder when it is decorated, from numba.config.CACHE_DIR: set it to the
    # kernel's own folder for this decoration only (numba's cache watches the function's own file, not its
    # callees'; the folder per kernel version does), whatever the user set or imported first
    config = _NUMBA.config
    before = config.CACHE_DIR
    config.CACHE_DIR = CACHE_DIR
    try:
        compiled: _F = _NUMBA.njit(cache=True, nogil=True)(fn)
    finally:
        config.CACHE_DIR = before
    return compiled


def specialize(template: Callable[..., Any], name: str, **callees: Any) -> Any:
    """A compiled copy of ``template`` whose global names ``callees`` are bound to the given functions.

    Generic numerical routines (the root finder, the integrator) call the
    model's functions through global names; binding them here, instead of
    passing functions as arguments, keeps the compiled code cacheable.
    ``name`` must be unique per binding (it names the cache entry).
    """
    import types

    g = dict(template.__globals__)
    g.update(callees)
    fn = types.FunctionType(template.__code__, g, name, template.__defaults__)
    fn.__qualname__ = name
    fn.__module__ = template.__module__
    fn.__doc__ = template.__doc__
    return jit(fn)


def compiled_kernel_notice() -> str:
    """A warning to show the user when the kernel runs as plain Python, else ``""``."""
    if COMPILED:
        return ""
    why = ("METALAIR_NO_JIT is set" if os.environ.get("METALAIR_NO_JIT", "") not in ("", "0")
           else "numba could not be imported")
    return (f"warning: the model kernel runs as plain Python ({why}); long runs are about 50x slower. "
            "Reinstall metalair (numba is a core dependency) or unset METALAIR_NO_JIT.")
