"""Tests for scale_pilot_nb.config.address: from typed address to WebSocket URLs."""

from __future__ import annotations

import pytest

from scale_pilot_nb.config.address import candidate_urls
from scale_pilot_nb.errors import ConfigError

KEY = "1-Sup3rS3cretK3yValueThatMustNeverAppearAnywhere0123456789abcdefghij"
PASSWORD = "hunter2-not-for-your-eyes"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("nas.local", ("wss://nas.local/api/current", "wss://nas.local/websocket")),
        (" NAS.Local ", ("wss://nas.local/api/current", "wss://nas.local/websocket")),
        ("10.0.0.5:8443", ("wss://10.0.0.5:8443/api/current", "wss://10.0.0.5:8443/websocket")),
        ("fe80::1", ("wss://[fe80::1]/api/current", "wss://[fe80::1]/websocket")),
        ("wss://nas.local", ("wss://nas.local/api/current", "wss://nas.local/websocket")),
        ("ws://127.0.0.1:6000/api/current", ("ws://127.0.0.1:6000/api/current",)),
        ("wss://nas.local/websocket", ("wss://nas.local/websocket",)),
        (
            "https://nas.local/ui/apps/installed",
            ("wss://nas.local/api/current", "wss://nas.local/websocket"),
        ),
        ("https://nas.local:444/api/v25.04.2", ("wss://nas.local:444/api/v25.04.2",)),
        ("http://nas.local/api/current/", ("ws://nas.local/api/current",)),
        ("http://nas.local/api/v2.0", ("ws://nas.local/api/current", "ws://nas.local/websocket")),
    ],
)
def test_candidate_urls(address: str, expected: tuple[str, ...]) -> None:
    assert candidate_urls(address) == expected


@pytest.mark.parametrize(
    "address",
    ["", "   ", "ftp://nas.local", "nas local", "wss://", "http://nas:99999", "bad_host!"],
)
def test_candidate_urls_rejects_garbage_with_a_hint(address: str) -> None:
    with pytest.raises(ConfigError) as info:
        candidate_urls(address)
    assert info.value.hint


def test_candidate_urls_never_echoes_credentials_in_the_url() -> None:
    with pytest.raises(ConfigError) as info:
        candidate_urls(f"wss://root:{PASSWORD}@nas.local/api/current")
    assert PASSWORD not in str(info.value)
    assert "user name or password" in str(info.value)


def test_candidate_urls_never_echoes_an_api_key_passed_as_the_address() -> None:
    with pytest.raises(ConfigError) as info:
        candidate_urls(KEY)
    assert KEY not in str(info.value)
    assert "argument order" in str(info.value)
