"""The package's layers import only downwards (DESIGN.md §3, STYLE.md house rule 2).

The folders are the layers, lowest first::

    errors, examples            typed errors; packaged example files
    compose | rpc               the compose engine | the wire (neither knows the other)
    config | records            connection settings | typed answers of the NAS
    manager                     the async core and its operations
    pilot | sandbox             the synchronous face, targets, fleets, the embedded start-up |
                                the TrueNAS sandbox (it plays the NAS, so it imports nothing of
                                the SDK; the pilot starts it)
    notebook                    DataFrames, HTML, widgets, the demo runbook
    cli | ai                    the command line | the AI helper

A module-level import may only reach its own layer or one below. Imports inside a function
(lazy, for a DataFrame or an HTML repr) and under ``if TYPE_CHECKING:`` are allowed upwards: they
run only when that method is called. Read from the source with ``ast``, so the test needs no
imports of the modules themselves.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scale_pilot_nb"

RANK = {
    "errors": 0,
    "examples": 0,
    "compose": 1,
    "rpc": 1,
    "config": 2,
    "records": 2,
    "manager": 3,
    "pilot": 4,
    "sandbox": 4,
    "notebook": 5,
    "cli": 6,
    "ai": 6,
}
#: Layers of the same rank that must not know each other.
APART = {("compose", "rpc"), ("rpc", "compose"), ("records", "config")}
TOP_LEVEL = {"__init__.py", "errors.py", "ai.py", "py.typed"}
HEAVY = ("pandas", "ipywidgets", "IPython")


def _layer_of(path: Path) -> str:
    first = path.relative_to(PACKAGE).parts[0]
    return first.removesuffix(".py")


def _module_level_imports(tree: ast.Module) -> Iterator[str]:
    """Imported module names at module level, outside ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            stack.extend(node.orelse)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "scale_pilot_nb":
                yield from (f"scale_pilot_nb.{alias.name}" for alias in node.names)
            else:
                yield node.module
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            stack.extend(ast.iter_child_nodes(node))


def _every_runtime_import(tree: ast.Module) -> Iterator[str]:
    """Imported module names anywhere (functions included), outside ``if TYPE_CHECKING:``."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        stack.extend(ast.iter_child_nodes(node))


def _internal_layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "scale_pilot_nb" or len(parts) == 1:
        return None
    return parts[1]


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _imports(path: Path) -> set[str]:
    return set(_module_level_imports(ast.parse(path.read_text(), filename=str(path))))


def _all_imports(path: Path) -> set[str]:
    return set(_every_runtime_import(ast.parse(path.read_text(), filename=str(path))))


def test_every_folder_has_a_rank() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == set(RANK) - {"errors", "ai"}
    top = {p.name for p in PACKAGE.iterdir() if p.is_file()}
    assert top == TOP_LEVEL, "only the package face, errors and the AI helper live at the top"


def test_module_level_imports_run_downwards() -> None:
    offenders = []
    for path in _sources():
        layer = _layer_of(path)
        if layer in ("__init__", "sandbox"):
            continue
        for name in _imports(path):
            target = _internal_layer(name)
            if target is None or target == layer or target == "__version__":
                continue
            if RANK.get(target, 99) > RANK[layer] or (layer, target) in APART:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_sandbox_imports_nothing_of_the_sdk() -> None:
    """The sandbox plays the NAS: sharing a check with the SDK would hide a bug in both."""
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / "sandbox").rglob("*.py"))
        for name in _all_imports(path)
        if (_internal_layer(name) or "sandbox") != "sandbox"
    ]
    assert offenders == []


def test_no_relative_imports() -> None:
    """House style: absolute imports only. The layer checks above read absolute names, so a
    relative import (``from ..notebook import x``) would slip past them; none may exist."""
    offenders = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            relative = isinstance(node, ast.ImportFrom) and node.level > 0
            # importlib.import_module(".x", package) is the same thing by another road
            dynamic = (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
                and bool(node.args)
                and isinstance(node.args[0], ast.Constant)
                and str(node.args[0].value).startswith(".")
            )
            if relative or dynamic:
                offenders.append(f"{path.relative_to(PACKAGE)}:{getattr(node, 'lineno', '?')}")
    assert offenders == []


OPERATIONS = sorted(
    p.stem for p in (PACKAGE / "manager").glob("*.py") if p.stem not in ("__init__", "manager")
)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_operations_see_the_manager_only_through_its_port(operation: str) -> None:
    """No operation module imports the manager class, even for annotations."""
    text = (PACKAGE / "manager" / f"{operation}.py").read_text()
    assert "import TrueNASDockerManager" not in text


def test_heavy_libraries_only_in_notebook_layer() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in _sources()
        if _layer_of(path) != "notebook"
        for name in _all_imports(path)
        if name.split(".")[0] in HEAVY
    ]
    assert offenders == []
