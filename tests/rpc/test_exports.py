"""The public surface of ``scale_pilot_nb.rpc`` is pinned: the manager is built on it."""

from __future__ import annotations

import scale_pilot_nb.rpc as rpc


def test_public_names_are_pinned() -> None:
    assert sorted(rpc.__all__) == [
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
        "ProgressCallback",
        "ReconnectPolicy",
        "RpcClient",
        "SecretLike",
        "Subscription",
        "SupportsGetSecret",
        "SupportsReveal",
        "Timeouts",
        "is_read_method",
    ]
    for name in rpc.__all__:
        assert getattr(rpc, name) is not None


def test_only_the_transport_imports_websockets() -> None:
    import ast
    from pathlib import Path

    package = Path(rpc.__file__).parent
    importers = sorted(
        path.name
        for path in package.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            (name or "").split(".")[0] == "websockets"
            for name in (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            )
        )
    )
    assert importers == ["transport.py"]
