"""The websockets transport: TLS, endpoint discovery on HTTP 404, and network failures."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from scale_pilot_nb.errors import ConfigError, ConnectionError
from scale_pilot_nb.rpc import Dialect, RpcClient
from scale_pilot_nb.rpc.transport import EndpointNotFound, open_websocket
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

from .conftest import TEST_TIMEOUTS, client_for


@pytest.fixture
def tls_sandbox() -> Iterator[Sandbox]:
    with Sandbox(version="25.10", timing=Timing(), tls=True) as sb:
        yield sb


async def test_tls_is_verified_by_default(tls_sandbox: Sandbox) -> None:
    with pytest.raises(ConnectionError) as refused:
        await client_for(tls_sandbox, url=tls_sandbox.url).connect()
    assert "not trusted" in refused.value.message
    assert "ca_file" in (refused.value.hint or "")


async def test_tls_with_the_nas_ca_file(tls_sandbox: Sandbox) -> None:
    assert tls_sandbox.url.startswith("wss://")
    async with client_for(tls_sandbox, ca_file=tls_sandbox.ca_file) as client:
        assert await client.call("core.ping") == "pong"


async def test_tls_verification_can_be_turned_off(tls_sandbox: Sandbox) -> None:
    async with client_for(tls_sandbox, verify_ssl=False) as client:
        assert await client.call("core.ping") == "pong"


async def test_a_bare_host_means_wss_and_api_current(tls_sandbox: Sandbox) -> None:
    host = f"127.0.0.1:{tls_sandbox.port}"
    async with client_for(tls_sandbox, url=host, ca_file=tls_sandbox.ca_file) as client:
        assert client.url == tls_sandbox.url
        assert client.dialect is Dialect.JSONRPC


@pytest.mark.parametrize("version", ["24.10", "25.10"])
async def test_discovery_falls_back_to_websocket_on_404(version: str) -> None:
    with Sandbox(version=version, timing=Timing()) as sb:
        async with client_for(sb, url=f"ws://127.0.0.1:{sb.port}") as client:
            expected = sb.legacy_url if version == "24.10" else sb.url
            assert client.url == expected
            assert await client.call("core.ping") == "pong"
            if version == "24.10":
                assert client.dialect is Dialect.LEGACY


async def test_an_explicit_url_is_used_as_given() -> None:
    async with Sandbox(version="24.10", timing=Timing()) as sb:
        with pytest.raises(EndpointNotFound):
            await client_for(sb, url=sb.url).connect()  # no /api on 24.10, and no fallback


async def test_the_legacy_endpoint_of_a_new_release_works() -> None:
    with Sandbox(version="25.10", timing=Timing()) as sb:
        async with client_for(sb, url=sb.legacy_url) as client:
            assert client.dialect is Dialect.LEGACY and not client.new_style_jobs
            assert await client.call_job("app.stop", "whoami") is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_nothing_listening_is_a_connection_error() -> None:
    url = f"ws://127.0.0.1:{_free_port()}/api/current"
    with pytest.raises(ConnectionError) as refused:
        await open_websocket(url, open_timeout=2)
    assert url in refused.value.message and refused.value.hint
    client = RpcClient(url, api_key="1-x", timeouts=TEST_TIMEOUTS)
    with pytest.raises(ConnectionError):
        await client.connect()


@pytest.mark.parametrize("url", ["ws://[::1/api", "http://127.0.0.1/api/current"])
async def test_a_malformed_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as error:
        await open_websocket(url)
    assert url in error.value.message and error.value.hint
