"""Connecting, logging in, keepalive and reconnecting, against the sandbox over real sockets."""

from __future__ import annotations

import asyncio

import pytest

from scale_pilot_nb.errors import (
    AuthenticationError,
    CallTimeoutError,
    ConnectionError,
    RateLimitedError,
    RequestOutcomeUnknown,
)
from scale_pilot_nb.rpc import NO_RECONNECT, ClientState, ReconnectPolicy, RpcClient, Timeouts
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

from .conftest import TEST_TIMEOUTS, Recorder, client_for, endpoint, eventually

WRONG_KEY = "1-this-key-is-wrong"


class Secret:
    """Stands in for config.Secret: redacted repr, value via get_secret()."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "Secret('***')"

    def get_secret(self) -> str:
        return self._value


async def test_one_login_per_connection_with_each_mechanism(sandbox: Sandbox) -> None:
    expected = "auth.login_with_api_key" if sandbox.version == "24.10" else "auth.login_ex"
    async with client_for(sandbox, api_key=Secret(sandbox.api_key)) as client:
        for _ in range(3):
            await client.call("app.query")
        assert client.stats.logins == 1
    metrics = sandbox.metrics
    assert metrics.logins == 1 and metrics.requests[expected] == 1


async def test_api_key_without_username_uses_login_with_api_key(sandbox: Sandbox) -> None:
    async with client_for(sandbox, username=None) as client:
        assert await client.call("core.ping") == "pong"
    assert sandbox.metrics.requests["auth.login_with_api_key"] == 1


async def test_password_login(sandbox: Sandbox) -> None:
    async with client_for(sandbox, api_key=None, password=sandbox.password) as client:
        assert await client.call("core.ping") == "pong"
    assert sandbox.metrics.logins == 1


async def test_a_refused_login_says_which_mechanism_and_never_retries(sandbox: Sandbox) -> None:
    client = client_for(sandbox, api_key=WRONG_KEY)
    with pytest.raises(AuthenticationError) as refused:
        await client.connect()
    error = refused.value
    mechanism = "auth.login_with_api_key" if sandbox.version == "24.10" else "API_KEY_PLAIN"
    assert mechanism in (error.mechanism or "")
    assert WRONG_KEY not in str(error) and WRONG_KEY not in repr(error.to_dict())
    assert client.state is ClientState.UNOPENED and not client.connected
    assert sandbox.metrics.failed_logins == 1


async def test_an_api_key_over_an_insecure_transport_is_reported_revoked() -> None:
    async with Sandbox(version="25.10", timing=Timing(), treat_as_remote=True) as sb:
        client = client_for(sb)
        with pytest.raises(AuthenticationError) as refused:
            await client.connect()
        assert sb.api_key_revoked
    assert refused.value.reason == "EXPIRED"
    assert "revoked" in refused.value.message and "wss://" in (refused.value.hint or "")


async def test_rate_limited_logins_raise_a_typed_error(sandbox: Sandbox) -> None:
    errors = []
    for _ in range(21):
        try:
            await client_for(sandbox, api_key=WRONG_KEY, username=None).connect()
        except AuthenticationError as exc:
            errors.append(exc)
    assert len(errors) == 21
    assert not any(isinstance(e, RateLimitedError) for e in errors[:20])
    assert isinstance(errors[20], RateLimitedError)
    assert errors[20].errname == "EBUSY" and errors[20].mechanism == "auth.login_with_api_key"
    assert sandbox.metrics.requests["auth.login_with_api_key"] == 21  # one attempt per client


async def test_a_dropped_connection_is_re_established_with_one_new_login(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        for round_ in range(1, 3):
            await asyncio.to_thread(sandbox.close_connections)
            await eventually(lambda: client.stats.reconnects == round_)  # noqa: B023
            assert await client.call("core.ping") == "pong"
        assert (client.stats.connects, client.stats.logins) == (3, 3)
    assert sandbox.metrics.logins == 3 and sandbox.metrics.connections == 3


async def test_calls_made_while_reconnecting_wait_and_succeed(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        sandbox.drop_after_frames(1)
        results = await asyncio.gather(*(client.call("app.query") for _ in range(5)))
    assert all(results)
    assert client.stats.reconnects == 1


async def test_giving_up_fails_waiting_jobs_and_calls(sandbox: Sandbox) -> None:
    policy = ReconnectPolicy(max_attempts=2, initial_delay=0.01, max_delay=0.02)
    progress: list[int | None] = []
    async with client_for(sandbox, reconnect=policy) as client:
        job = asyncio.create_task(
            client.call_job("test.slow_job", 5, progress=lambda p, d: progress.append(p))
        )
        await eventually(lambda: 10 in progress)  # the job id is known
        sandbox.pause_events()  # the NAS goes away without a word about the job
        await asyncio.to_thread(sandbox.stop)
        with pytest.raises(RequestOutcomeUnknown) as unknown:
            await job
        assert isinstance(unknown.value.job_id, int) and unknown.value.sent
        with pytest.raises(ConnectionError) as down:
            await client.call("core.ping")  # a new round of attempts, which fails too
        assert not isinstance(down.value, RequestOutcomeUnknown)


async def test_without_reconnect_a_drop_fails_fast(sandbox_2510: Sandbox) -> None:
    async with client_for(sandbox_2510, reconnect=NO_RECONNECT) as client:
        await asyncio.to_thread(sandbox_2510.close_connections)
        with pytest.raises(ConnectionError, match="disabled"):
            await client.call("core.ping")


async def test_keepalive_pings_an_idle_connection(sandbox: Sandbox) -> None:
    timeouts = Timeouts(connect=5, call=5, job=10, keepalive=0.05)
    async with client_for(sandbox, timeouts=timeouts) as client:
        await eventually(lambda: client.stats.keepalive_pings >= 2)
    assert sandbox.metrics.requests["core.ping"] >= 2


async def test_an_unanswered_keepalive_drops_and_re_establishes(sandbox_2510: Sandbox) -> None:
    timeouts = Timeouts(connect=5, call=5, job=10, keepalive=0.05)
    async with client_for(sandbox_2510, timeouts=timeouts) as client:
        sandbox_2510.delay_responses(1.0, ["core.ping"])
        await eventually(lambda: client.stats.reconnects >= 1)
        sandbox_2510.clear_faults()
        assert await client.call("app.query", [], {"count": True}) >= 1


async def test_a_slow_set_up_step_times_out_and_connect_can_be_retried(
    sandbox_2510: Sandbox,
) -> None:
    sandbox_2510.delay_responses(1.0, ["core.set_options"])
    timeouts = Timeouts(connect=5, call=0.1, job=10, keepalive=None)
    client = client_for(sandbox_2510, timeouts=timeouts)
    with pytest.raises(CallTimeoutError, match=r"core\.set_options"):
        await client.connect()
    sandbox_2510.clear_faults()
    async with client:
        assert await client.call("core.ping") == "pong"
    assert client.state is ClientState.CLOSED


async def test_without_credentials_no_login_happens(sandbox_2510: Sandbox) -> None:
    async with RpcClient(endpoint(sandbox_2510), timeouts=TEST_TIMEOUTS) as client:
        assert await client.call("core.ping") == "pong"  # no auth needed on 25.10
        with pytest.raises(AuthenticationError) as refused:
            await client.call("app.query")
    assert refused.value.errname == "ENOTAUTHENTICATED"
    assert sandbox_2510.metrics.logins == 0


async def test_secrets_never_appear_in_reprs_or_errors(sandbox_2510: Sandbox) -> None:
    key = sandbox_2510.api_key
    client = client_for(sandbox_2510)
    async with client:
        texts = [repr(client), repr(client.stats), repr(client._credentials)]
    bad = client_for(sandbox_2510, api_key=WRONG_KEY)
    with pytest.raises(AuthenticationError) as refused:
        await bad.connect()
    texts += [str(refused.value), repr(refused.value.to_dict()), repr(bad)]
    assert not any(key in text or WRONG_KEY in text for text in texts)


async def test_opening_sequence_on_the_wire(sandbox: Sandbox) -> None:
    recorder = Recorder()
    async with client_for(sandbox, opener=recorder) as client:
        await client.call_job("test.progress")
    key, user = sandbox.api_key, sandbox.username
    if sandbox.version == "24.10":
        assert recorder.sent[0] == {
            "msg": "connect",
            "version": "1",
            "support": ["1"],
            "features": [],
        }
        login, subscribe, job = recorder.sent[1:4]
        assert (login["msg"], login["method"], login["params"]) == (
            "method",
            "auth.login_with_api_key",
            [key],
        )
        assert (subscribe["msg"], subscribe["name"]) == ("sub", "core.get_jobs")
        assert (job["msg"], job["method"]) == ("method", "test.progress")
        return
    options, login, subscribe, job = recorder.sent[:4]
    assert options["method"] == "core.set_options"
    assert options["params"] == [
        {"legacy_jobs": False, "private_methods": False, "py_exceptions": False}
    ]
    assert (login["method"], login["params"]) == (
        "auth.login_ex",
        [{"mechanism": "API_KEY_PLAIN", "username": user, "api_key": key}],
    )
    assert (subscribe["method"], subscribe["params"]) == ("core.subscribe", ["core.get_jobs"])
    assert job["method"] == "test.progress" and job["jsonrpc"] == "2.0"
    assert len(recorder.sent) == 4  # nothing else: no polling, no extra subscribe


async def test_a_reattached_job_is_queried_with_its_raw_result(sandbox: Sandbox) -> None:
    recorder = Recorder()
    async with client_for(sandbox, opener=recorder) as client:
        sandbox.drop_mid_job()
        assert await client.call_job("test.slow_job", 0.3) == "slept"
        assert client.stats.reconnects == 1
    (query,) = [f for f in recorder.sent if f.get("method") == "core.get_jobs"]
    filters, options = query["params"]
    assert filters[0][:2] == ["id", "="] and options == {"extra": {"raw_result": True}}


async def test_connect_is_idempotent_while_open(sandbox_2510: Sandbox) -> None:
    async with client_for(sandbox_2510) as client:
        await client.connect()
        await asyncio.to_thread(sandbox_2510.close_connections)
        await client.connect()  # during the reconnect: no second session, no error
        assert await client.call("core.ping") == "pong"
    assert sandbox_2510.metrics.logins == 2  # the first connection and the reconnect
