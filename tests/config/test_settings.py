"""Tests for scale_pilot_nb.config.settings: the value object and the ws:// guard."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from scale_pilot_nb.config.secret import Secret
from scale_pilot_nb.config.settings import ConnectionSettings, check_transport_safety
from scale_pilot_nb.errors import ConfigError, InsecureTransportError

KEY = "1-Sup3rS3cretK3yValueThatMustNeverAppearAnywhere0123456789abcdefghij"
OTHER_KEY = "2-AnotherSecretKeyForTheProfileLayerOnly0123456789abcdefghijklmnopq"
PASSWORD = "hunter2-not-for-your-eyes"


def _key_settings(url: str, **kwargs: bool) -> ConnectionSettings:
    return ConnectionSettings(urls=(url,), api_key=Secret(KEY), **kwargs)


def test_api_key_over_plain_ws_to_a_remote_host_is_refused() -> None:
    with pytest.raises(InsecureTransportError) as info:
        check_transport_safety(_key_settings("ws://10.0.0.9/api/current"))
    text = str(info.value)
    assert "revoke" in text and "25.04" in text
    assert KEY not in text
    assert "allow_insecure" in (info.value.hint or "")


def test_any_insecure_fallback_url_is_refused() -> None:
    settings = ConnectionSettings(
        urls=("wss://nas.example/api/current", "ws://nas.example/websocket"), api_key=Secret(KEY)
    )
    with pytest.raises(InsecureTransportError, match=r"ws://nas\.example/websocket"):
        check_transport_safety(settings)


@pytest.mark.parametrize(
    "url",
    [
        "wss://nas.example/api/current",
        "ws://127.0.0.1:8000/api/current",
        "ws://localhost/websocket",
        "ws://[::1]:80/x",
    ],
)
def test_tls_or_loopback_is_allowed(url: str) -> None:
    check_transport_safety(_key_settings(url))


def _resolves_only_to_loopback(name: str) -> bool:
    try:
        infos = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


@pytest.mark.parametrize("name", ["scale-pilot-test.localhost", "app.localhost"])
def test_localhost_names_are_trusted_for_what_they_resolve_to(name: str) -> None:
    """``*.localhost`` is a spelling, not a guarantee; only the resolver's answer counts."""
    settings = _key_settings(f"ws://{name}:6000/api/current")
    if _resolves_only_to_loopback(name):
        check_transport_safety(settings)
    else:
        with pytest.raises(InsecureTransportError, match=name):
            check_transport_safety(settings)


def test_allow_insecure_overrides_the_refusal() -> None:
    settings = _key_settings("ws://nas.example/api/current", allow_insecure=True)
    check_transport_safety(settings)
    assert "allow_insecure=True" in repr(settings)


def test_password_over_ws_to_a_remote_host_is_refused_like_a_key() -> None:
    settings = ConnectionSettings(
        urls=("ws://10.0.0.9/websocket",), username="root", password=Secret(PASSWORD)
    )
    with pytest.raises(InsecureTransportError) as info:
        check_transport_safety(settings)
    assert PASSWORD not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "No credentials"),
        ({"api_key": Secret(KEY), "username": "root", "password": Secret(PASSWORD)}, "Both"),
        ({"username": "root"}, "both a username and a password"),
        ({"password": Secret(PASSWORD)}, "both a username and a password"),
    ],
)
def test_settings_need_exactly_one_login_method(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ConnectionSettings(urls=("wss://nas.example/api/current",), **kwargs)  # type: ignore[arg-type]


def test_settings_need_a_url() -> None:
    with pytest.raises(ConfigError, match="at least one URL"):
        ConnectionSettings(urls=(), api_key=Secret(KEY))


def test_repr_masks_secrets_and_stays_short() -> None:
    by_key = ConnectionSettings(
        urls=("wss://nas.example/api/current", "wss://nas.example/websocket"), api_key=Secret(KEY)
    )
    by_password = ConnectionSettings(
        urls=("wss://nas.example/api/current",), username="root", password=Secret(PASSWORD)
    )
    assert repr(by_key) == (
        "ConnectionSettings(url='wss://nas.example/api/current', "
        "fallback_urls=('wss://nas.example/websocket',), api_key=Secret('********'), "
        "verify_ssl=True)"
    )
    for text in (repr(by_password), str(by_password), f"{by_password}", repr(vars(by_password))):
        assert PASSWORD not in text
    assert by_key.host == "nas.example"


def test_settings_are_frozen_value_objects() -> None:
    first = _key_settings("wss://nas.example/api/current")
    second = ConnectionSettings(
        urls=("wss://nas.example/api/current",), api_key=Secret(KEY), sources={"url": "x"}
    )
    assert first == second  # where a value came from does not change the value
    assert first != _key_settings("wss://other.example/api/current")
    with pytest.raises(AttributeError):
        first.verify_ssl = False  # type: ignore[misc]
