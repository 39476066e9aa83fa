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
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["COMPILED", "jit", "specialize", "compiled_kernel_notice"]

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


def _numba() -> Any:
    if os.environ.get("METALAIR_NO_JIT", "") not in ("", "0"):
        return None
    if "NUMBA_CACHE_DIR" not in os.environ:
        from pathlib import Path

        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "metalair" / "numba"
        os.environ["NUMBA_CACHE_DIR"] = str(base / _kernel_sources_hash())
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a core dependency
        return None
    return numba


_NUMBA = _numba()
#: True when the kernel is compiled to machine code by numba.
COMPILED: bool = _NUMBA is not None


def jit(fn: _F) -> _F:
    """Compile ``fn`` with ``numba.njit`` (cached, no GIL) when numba is in use; else return it unchanged."""
    if _NUMBA is None:
        return fn
    compiled: _F = _NUMBA.njit(cache=True, nogil=True)(fn)
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
