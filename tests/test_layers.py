"""The package's layers only point down, and no modules import each other in a circle.

Every module under ``src/metalair`` is parsed (no import is executed); every
import counts, at module level or inside a function, under ``TYPE_CHECKING``
or not, and so does a module path written as a whole string (the lazy
``importlib.import_module`` tables of the package ``__init__`` files).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / "metalair"

#: Bottom to top. A module may import its own layer and the layers below it.
LAYERS: list[set[str]] = [
    {"errors", "constants", "units", "_validation", "_files", "_jit", "_lazy", "_version", "_progress"},
    {"tables"},  # column tables (measured, simulated, summaries): used from the protocols upwards
    {"chemistry"},
    {"catalysts"},
    {"physics"},
    {"solvers"},  # battery-agnostic numerics: below the model, which binds its step to them
    {"models"},
    {"protocols"},
    {"analysis", "io"},  # peers: neither imports the other
    {"plotting"},
    {"workflows", "calibration"},  # calibration re-runs workflows' simulations against targets
    {"sweeps"},
]
#: Pairs of packages in one layer that must not import each other.
PEERS = {frozenset({"analysis", "io"})}
#: The top: free to import anything (nothing imports it).
TOP = {"", "__main__", "cli"}  # "" is metalair/__init__.py; __main__ the console entry point


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _package(module: str) -> str:
    """``metalair.io.neware`` -> ``io``; ``metalair`` -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _rank(package: str) -> int:
    if package in TOP:
        return len(LAYERS)
    for rank, layer in enumerate(LAYERS):
        if package in layer:
            return rank
    raise AssertionError(
        f"package metalair.{package} is in no layer: add it to LAYERS in tests/test_layers.py "
        "at the place its imports allow"
    )


def _resolve(base: str, names: list[str]) -> Iterator[str]:
    """The metalair modules an import of ``names`` from ``base`` reaches."""
    for name in names:
        candidate = f"{base}.{name}" if name != "*" else base
        if candidate in MODULES:
            yield candidate
        elif base in MODULES:
            yield base
        else:  # a name from a module that is not in the tree: report its nearest existing parent
            parts = base.split(".")
            while parts and ".".join(parts) not in MODULES:
                parts.pop()
            if parts:
                yield ".".join(parts)


def imports_of(module: str) -> set[str]:
    """Every metalair module that ``module`` imports (anywhere in its code)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "metalair" or alias.name.startswith("metalair."):
                    found.update(_resolve(alias.name.rpartition(".")[0] or alias.name, [alias.name.rpartition(".")[2]]))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base == "metalair" or base.startswith("metalair."):
                found.update(_resolve(base, [a.name for a in node.names]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("metalair.") \
                and node.value in MODULES:
            found.add(node.value)  # importlib.import_module("metalair....") tables
    found.discard(module)
    return found


GRAPH: dict[str, set[str]] = {m: imports_of(m) for m in MODULES}


def test_the_tree_is_found():
    assert "metalair.units" in MODULES and "metalair.cli.app" in MODULES
    assert "metalair.protocols.simulation" in GRAPH["metalair"]  # the lazy import in __init__ counts


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    package = _package(module)
    rank = _rank(package)
    wrong = []
    for target in sorted(GRAPH[module]):
        other = _package(target)
        if other == package:
            continue
        if _rank(other) > rank:
            wrong.append(f"{target} (layer {_rank(other)}, above this module's {rank})")
        elif frozenset({package, other}) in PEERS:
            wrong.append(f"{target} (metalair.{package} and metalair.{other} are peers)")
    assert not wrong, f"{module} imports upwards: " + "; ".join(wrong)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    cycles = _cycles(GRAPH)
    assert not cycles, "modules that import each other in a circle: " + " | ".join(" <-> ".join(c) for c in cycles)


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_command_modules_import_only_the_shared_helpers():
    cli = {m for m in MODULES if _package(m) == "cli"}
    for module in sorted(cli - {"metalair.cli.app", "metalair.cli"}):
        others = {t for t in GRAPH[module] if t in cli} - {"metalair.cli._common", "metalair.cli"}
        assert not others, f"{module} imports {sorted(others)}: command modules import only metalair.cli._common"
    # only the console entry point (metalair.__main__) loads the assembled command line
    loaders = ("metalair.cli.app", "metalair.__main__")
    assert all("metalair.cli.app" not in GRAPH[m] for m in MODULES if m not in loaders)
