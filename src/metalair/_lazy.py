"""Lazy package attributes: a name is imported from its module on first use.

Packages whose members pull in heavy dependencies (scipy, matplotlib, dask) list
them as ``{name: module}`` and get their ``__getattr__``/``__dir__`` from
:func:`lazy_exports`, so ``import metalair`` and its subpackages stay fast.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, targets: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, loading each name of ``targets`` from its module.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    targets : mapping of str to str
        Attribute name -> dotted module that defines it.
    """
    targets = dict(targets)

    def __getattr__(name: str) -> Any:
        module = targets.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__() -> list[str]:
        namespace = vars(sys.modules[package])
        return sorted(set(namespace) | set(namespace.get("__all__", ())) | set(targets))

    return __getattr__, __dir__
