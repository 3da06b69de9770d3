"""The package's layers import only downwards (DESIGN.md §3, STYLE.md house rule 2).

Read from the source with ``ast`` so the test needs no imports of the modules themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scale_pilot_nb"

# layer -> package-internal modules it must never import
FORBIDDEN = {
    "sandbox": (
        "scale_pilot_nb.rpc",
        "scale_pilot_nb.manager.manager",
        "scale_pilot_nb.pilot.runner",
        "scale_pilot_nb.compose",
        "scale_pilot_nb.notebook",
        "scale_pilot_nb.ai",
    ),
    "compose": (
        "scale_pilot_nb.rpc",
        "scale_pilot_nb.sandbox",
        "scale_pilot_nb.manager.manager",
        "scale_pilot_nb.notebook",
        "pandas",
        "websockets",
    ),
    "rpc": (
        "scale_pilot_nb.sandbox",
        "scale_pilot_nb.compose",
        "scale_pilot_nb.manager.manager",
        "scale_pilot_nb.notebook",
        "pandas",
        "ipywidgets",
    ),
}
HEAVY = ("pandas", "ipywidgets", "IPython")


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    nodes: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return nodes


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downwards(layer: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in _modules(layer)
        for name in _imports(path)
        if name.startswith(FORBIDDEN[layer])
    ]
    assert offenders == []


def test_heavy_libraries_only_in_notebook_layer() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "notebook" not in path.relative_to(PACKAGE).parts
        for name in _imports(path)
        if name.split(".")[0] in HEAVY
    ]
    assert offenders == []
