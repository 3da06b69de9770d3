"""The credentials gate (issue #14, item 2): every hop, every kind of secret, names resolved."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from scale_pilot_nb.errors import ConnectionError, InsecureTransportError
from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.rpc.wire_safety import check_credential_route, is_loopback_address
from scale_pilot_nb.sandbox import Sandbox

from .conftest import TEST_TIMEOUTS, client_for

PASSWORD = "hunter2-not-for-your-eyes"


@pytest.mark.parametrize(
    ("text", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("localhost", False),  # a name is not an address: it must be resolved first
    ],
)
def test_is_loopback_address(text: str, loopback: bool) -> None:
    assert is_loopback_address(text) is loopback


@pytest.mark.parametrize(
    "url",
    [
        "wss://nas.example/api/current",
        "ws://127.0.0.1:8000/api/current",
        "ws://[::1]:80/x",
        "ws://localhost/websocket",  # resolves to loopback on every sane machine
    ],
)
def test_tls_or_loopback_may_carry_credentials(url: str) -> None:
    check_credential_route(url, allow_insecure=False)


@pytest.mark.parametrize(
    "url", ["ws://10.0.0.9/api/current", "ws://nas.example/websocket", "ws://[fe80::1]/x"]
)
def test_clear_text_to_another_machine_is_refused(url: str) -> None:
    with pytest.raises(InsecureTransportError, match="clear text"):
        check_credential_route(url, allow_insecure=False)
    check_credential_route(url, allow_insecure=True)


@pytest.mark.parametrize(
    "credentials",
    [
        {"api_key": "1-" + "k" * 64, "username": "admin"},
        {"username": "admin", "password": PASSWORD},
    ],
)
async def test_the_client_refuses_clear_text_credentials_to_another_machine(
    credentials: dict[str, str],
) -> None:
    """The clients apply the gate themselves: it does not depend on resolve_settings."""
    client = RpcClient("ws://nas.example/api/current", timeouts=TEST_TIMEOUTS, **credentials)
    with pytest.raises(InsecureTransportError):
        await client.connect()


@pytest.fixture
async def redirector(sandbox_2510: Sandbox) -> AsyncIterator[str]:
    """A loopback HTTP server that answers every WebSocket upgrade with a redirect.

    It points at the sandbox, so a client that followed it would log in successfully; the
    finding was a redirect to a remote ``ws://`` host, which the gate could never have seen.
    """

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 302 Found\r\nLocation: " + sandbox_2510.url.encode() + b"\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"ws://127.0.0.1:{port}/api/current"


async def test_redirects_are_never_followed(redirector: str, sandbox_2510: Sandbox) -> None:
    client = client_for(sandbox_2510, url=redirector)
    with pytest.raises(ConnectionError, match="HTTP 302") as info:
        await client.connect()
    assert "redirects are not followed" in (info.value.hint or "")
    assert not client.connected
