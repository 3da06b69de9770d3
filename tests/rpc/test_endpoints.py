"""What the user typed -> URLs to try and their dialect."""

from __future__ import annotations

import pytest

from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.rpc.endpoints import dialect_of, endpoint_candidates
from scale_pilot_nb.rpc.protocol import Dialect

SECRET = "hunter2-not-for-your-eyes"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("nas.local", ("wss://nas.local/api/current", "wss://nas.local/websocket")),
        (
            " nas.local:8443 ",
            ("wss://nas.local:8443/api/current", "wss://nas.local:8443/websocket"),
        ),
        ("fd00::5", ("wss://[fd00::5]/api/current", "wss://[fd00::5]/websocket")),
        (
            "ws://127.0.0.1:9000",
            ("ws://127.0.0.1:9000/api/current", "ws://127.0.0.1:9000/websocket"),
        ),
        ("https://nas/", ("wss://nas/api/current", "wss://nas/websocket")),
        ("wss://nas/api/current", ("wss://nas/api/current",)),
        ("ws://nas/websocket", ("ws://nas/websocket",)),
        ("wss://nas/api/v25.04.2", ("wss://nas/api/v25.04.2",)),
        ("https://nas/websocket", ("wss://nas/websocket",)),
        ("https://nas/ui/apps/installed", ("wss://nas/api/current", "wss://nas/websocket")),
        (
            ("wss://nas/api/current", "wss://nas/websocket"),
            ("wss://nas/api/current", "wss://nas/websocket"),
        ),
    ],
)
def test_candidates(target: str | tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert endpoint_candidates(target) == expected


@pytest.mark.parametrize(
    "target", ["", "ftp://nas", "wss:///api/current", "wss://[::1/api", "nas local", ()]
)
def test_bad_targets_are_config_errors_with_hints(target: str | tuple[str, ...]) -> None:
    with pytest.raises(ConfigError) as error:
        endpoint_candidates(target)
    assert error.value.hint


@pytest.mark.parametrize(
    "target",
    [
        f"wss://root:{SECRET}@nas/api/current",
        f"wss://root:{SECRET}@nas:99999/api/current",  # a bad port must not echo it either
        f"ftp://root:{SECRET}@nas",
        f"wss://root:{SECRET}@nas local/api/current",  # whitespace: refused, still not echoed
        f" wss://root:{SECRET}@nas\t",
    ],
)
def test_credentials_in_the_url_are_refused_and_never_echoed(target: str) -> None:
    with pytest.raises(ConfigError) as error:
        endpoint_candidates(target)
    assert SECRET not in str(error.value) and "user name or password" in str(error.value)


def test_dialect_follows_the_path() -> None:
    assert dialect_of("wss://nas/websocket") is Dialect.LEGACY
    assert dialect_of("wss://nas/websocket/") is Dialect.LEGACY
    assert dialect_of("wss://nas/api/current") is Dialect.JSONRPC
    assert dialect_of("wss://nas/api/v24.10") is Dialect.JSONRPC
