"""Lazy package attributes: a name is imported from its module on first use.

Packages whose members pull in heavy dependencies (scipy, matplotlib, dask) list
them as ``{name: module}`` and get their ``__getattr__``/``__dir__`` from
:func:`lazy_exports`, so ``import metalair`` and its subpackages stay fast.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, targets: Mapping[str, str], submodules: Iterable[str] = (),
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, loading each name of ``targets`` from its module.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    targets : mapping of str to str
        Attribute name -> dotted module that defines it.
    submodules : iterable of str
        Subpackages reachable as attributes without their own import statement
        (``import metalair as ma; ma.io.read(...)``), imported on first use.
    """
    targets = dict(targets)
    subs = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        if name in subs:
            return importlib.import_module(f"{package}.{name}")
        module = targets.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        namespace = vars(sys.modules[package])
        return sorted(set(namespace) | set(namespace.get("__all__", ())) | set(targets) | subs)

    return __getattr__, __dir__
