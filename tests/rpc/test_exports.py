"""The public surface of ``scale_pilot_nb.rpc`` is pinned: the manager is built on it."""

from __future__ import annotations

import ast
from pathlib import Path

import scale_pilot_nb.rpc as rpc


def test_public_names_are_pinned() -> None:
    assert rpc.__all__ == [
        "DEFAULT_RECONNECT",
        "DEFAULT_TIMEOUTS",
        "NO_RECONNECT",
        "USE_DEFAULT",
        "ClientState",
        "ClientStats",
        "CollectionUpdate",
        "Credentials",
        "Dialect",
        "JobSnapshot",
        "OfficialClient",
        "ProgressCallback",
        "ReconnectPolicy",
        "RpcClient",
        "SecretLike",
        "Subscription",
        "SupportsGetSecret",
        "SupportsReveal",
        "Timeouts",
        "TrueNASClient",
        "is_read_method",
        "make_client",
        "notify",
        "official_available",
        "official_release",
    ]
    for name in rpc.__all__:
        assert getattr(rpc, name) is not None


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_transport_imports_websockets() -> None:
    package = Path(rpc.__file__).parent
    importers = [
        p.name for p in sorted(package.glob("*.py")) if "websockets" in _imported_modules(p)
    ]
    assert importers == ["transport.py"]
