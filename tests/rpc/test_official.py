"""The adapter for the official ``truenas_api_client``, against the sandbox.

Marked ``official_client``: skipped where the package is not installed (it is not on PyPI).
"""

from __future__ import annotations

import pytest

from scale_pilot_nb.errors import (
    AuthenticationError,
    ConfigError,
    JobFailedError,
    UnsupportedError,
    ValidationError,
)
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.rpc.client import RpcClient
from scale_pilot_nb.rpc.factory import make_client
from scale_pilot_nb.rpc.official import OfficialClient, official_available, official_release
from scale_pilot_nb.sandbox import Sandbox

from .conftest import FIELD_ERRORS, PROGRESS_STEPS, TEST_TIMEOUTS, endpoint

needs_official = pytest.mark.skipif(
    not official_available(), reason="truenas_api_client is not installed"
)


def official_for(sb: Sandbox, api_key: str | None = None) -> OfficialClient:
    # A bare host, as users give it: the adapter discovers the endpoint its client speaks.
    host = f"ws://127.0.0.1:{sb.port}" if official_release() == "24.10" else endpoint(sb)
    client = make_client(
        host,
        transport="official",
        api_key=api_key or sb.api_key,
        username=sb.username,
        timeouts=TEST_TIMEOUTS,
    )
    assert isinstance(client, OfficialClient)
    return client


@pytest.mark.official_client
@needs_official
@pytest.mark.skipif(official_release() != "24.10", reason="only the TS-24.10 client is legacy-only")
def test_the_legacy_only_client_refuses_a_json_rpc_url() -> None:
    with pytest.raises(ConfigError, match="cannot speak JSON-RPC"):
        make_client("ws://127.0.0.1:1/api/current", transport="official", api_key="1-x")


def test_the_default_transport_is_websockets() -> None:
    assert isinstance(make_client("nas.local", api_key="1-x"), RpcClient)
    with pytest.raises(ConfigError, match="carrier-pigeon"):
        make_client("nas.local", transport="carrier-pigeon")  # type: ignore[arg-type]


@pytest.mark.skipif(official_available(), reason="truenas_api_client is installed")
def test_official_without_the_package_says_how_to_get_it() -> None:
    with pytest.raises(UnsupportedError) as missing:
        make_client("nas.local", transport="official")
    assert "api_client" in (missing.value.hint or "")


@pytest.mark.official_client
@needs_official
async def test_calls_jobs_and_progress(sandbox: Sandbox) -> None:
    seen: list[tuple[int | None, str]] = []
    async with official_for(sandbox) as client:
        assert await client.call("core.ping") == "pong"
        assert await client.call_job(
            "test.progress", progress=lambda p, d: seen.append((p, d))
        ) == {"done": True}
        assert client.stats.logins == 1
    assert [d for _, d in seen if d] == [text for _, text in PROGRESS_STEPS]
    assert sandbox.metrics.logins == 1


@pytest.mark.official_client
@needs_official
async def test_errors_are_the_same_classes(sandbox: Sandbox) -> None:
    async with official_for(sandbox) as client:
        with pytest.raises(ValidationError) as fields:
            await client.call_job("test.fields")
        app = (await client.call("app.query"))[0]["name"]
        sandbox.fail_next_job("registry unreachable")
        with pytest.raises(JobFailedError) as failed:
            await client.call_job("app.stop", app)
        with pytest.raises(UnsupportedError):
            await client.call("no.such_method")
    assert [f.attribute for f in fields.value.field_errors] == [a for a, _, _ in FIELD_ERRORS]
    assert isinstance(failed.value.job_id, int) and "registry unreachable" in (
        failed.value.reason or ""
    )


@pytest.mark.official_client
@needs_official
async def test_subscriptions_end_with_the_source(sandbox: Sandbox) -> None:
    if official_release() == "25.04" and sandbox.version != "24.10":
        pytest.xfail(
            "the TS-25.04 client crashes its own handler on notify_unsubscribed with a null "
            "error (what TrueNAS sends on JSON-RPC), so it never reports the end"
        )
    async with official_for(sandbox) as client:
        events = [e async for e in client.subscribe('test.count:{"n": 3}')]
    assert [e.fields for e in events] == [{"n": 0}, {"n": 1}, {"n": 2}]


@pytest.mark.official_client
@needs_official
async def test_a_refused_login_is_an_authentication_error(sandbox: Sandbox) -> None:
    with pytest.raises(AuthenticationError):
        await official_for(sandbox, api_key="1-wrong").connect()


@pytest.mark.official_client
@needs_official
async def test_exec_takes_its_shell_token_from_the_official_clients_session(
    sandbox: Sandbox,
) -> None:
    """``exec`` asks the official client's session for the token and the shell's address.

    A password login, because 24.10 refuses the shell to API-key sessions.
    """
    host = f"ws://127.0.0.1:{sandbox.port}" if official_release() == "24.10" else endpoint(sandbox)
    manager = TrueNASDockerManager(
        host,
        username=sandbox.username,
        password=sandbox.password,
        transport="official",
        history=False,
    )
    async with manager:
        assert isinstance(manager.client, OfficialClient)
        result = await manager.exec("whoami", "echo through-official; exit 3")
    assert (result.output, result.exit_code, result.service) == ("through-official\n", 3, "whoami")
    assert sandbox.metrics.requests["auth.generate_token"] == 1


@pytest.mark.official_client
@needs_official
async def test_subscribers_of_one_name_share_one_server_subscription(sandbox: Sandbox) -> None:
    """The official client hands each event to every callback of the name, and the NAS sends an
    event source's items once per subscription: two server subscriptions would double them."""
    async with official_for(sandbox) as client:
        before = sandbox.metrics.requests["core.subscribe"]
        first, second = client.subscribe("test.forever"), client.subscribe("test.forever")
        first_events = aiter(first)
        seen_first = [(await anext(first_events)).fields["n"] for _ in range(5)]
        second_events = aiter(second)
        await second.start()
        seen_first += [(await anext(first_events)).fields["n"] for _ in range(20)]
        seen_second = [(await anext(second_events)).fields["n"] for _ in range(10)]
        assert sandbox.metrics.requests["core.subscribe"] - before == 1
        await second.aclose()
        after = (await anext(first_events)).fields["n"]  # the first lives on
        await first.aclose()
    assert seen_first == list(range(seen_first[0], seen_first[0] + 25))  # each item once
    assert seen_second == list(range(seen_second[0], seen_second[0] + 10))
    assert after > seen_first[-1]
