"""The package's layers, checked by walking every import of every module under dse/.

dse.core (pure) <- dse.training (torch) <- dse.search (Optuna) -> dse.store (SQL);
dse.analysis (verdicts, figures) reads records from dse.core alone; the entry points
(dse/<command>.py, and their shared dse.cli) sit on top and may import any layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dse"
MAX_LINES = 400
# layer -> the layers its modules may import (besides their own)
ALLOWED = {
    "core": set(),
    "training": {"core"},
    "store": {"core"},
    "analysis": {"core"},
    "search": {"core", "training", "store"},
    "entry": {"core", "training", "store", "search", "analysis"},
}


def _module_name(path: Path) -> str:
    """dse/a/b.py -> dse.a.b; dse/a/__init__.py -> dse.a."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    """The layer a dse module belongs to: its first package, or entry for top-level modules."""
    parts = module.split(".")
    if len(parts) == 1:
        return "entry"
    return parts[1] if (PACKAGE / parts[1]).is_dir() else "entry"


def _is_module(dotted: str) -> bool:
    """Whether a dotted name is a dse module or package (not a name defined inside one)."""
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def _imports(path: Path) -> list[str]:
    """Every dse module `path` imports, at any depth of its code (lazy imports included)."""
    tree = ast.parse(path.read_text())
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "dse"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "dse":
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names
                      if _is_module(f"{node.module}.{alias.name}")]
    return found


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
EDGES = {name: sorted(set(_imports(path))) for name, path in MODULES.items()}


def test_every_module_sits_in_a_known_layer() -> None:
    assert {_layer(name) for name in MODULES} <= set(ALLOWED)
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__") == \
        sorted(set(ALLOWED) - {"entry"})


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_runs_back_up_a_layer(module: str) -> None:
    layer = _layer(module)
    wrong = [target for target in EDGES[module]
             if target != "dse" and _layer(target) != layer and _layer(target) not in ALLOWED[layer]]
    assert wrong == [], f"{module} ({layer}) imports {wrong}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_module_of_another_package_is_imported(module: str) -> None:
    own_package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    wrong = [target for target in EDGES[module]
             if any(part.startswith("_") for part in target.split("."))
             and target.rpartition(".")[0] != own_package]
    assert wrong == [], f"{module} imports private modules of other packages: {wrong}"


def test_no_import_cycle_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for module, targets in EDGES.items():
        graph.setdefault(_layer(module), set()).update(_layer(t) for t in targets if t != "dse")
    for layer, targets in graph.items():
        targets.discard(layer)
    seen: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        assert node not in stack, f"import cycle: {' -> '.join(stack + [node])}"
        if seen.get(node):
            return
        for target in sorted(graph.get(node, ())):
            visit(target, stack + [node])
        seen[node] = 1

    for layer in sorted(graph):
        visit(layer, [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_400_lines(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"
