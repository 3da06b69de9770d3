"""RpcClient against the embedded sandbox over real sockets: calls, jobs, subscriptions."""

from __future__ import annotations

import asyncio

import pytest

from scale_pilot_nb.errors import (
    ApiError,
    CallTimeoutError,
    ConnectionError,
    JobFailedError,
    RequestOutcomeUnknown,
    UnsupportedError,
    ValidationError,
)
from scale_pilot_nb.rpc import Dialect, ReconnectPolicy
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

from .conftest import (
    FIELD_ERRORS,
    PROGRESS_STEPS,
    Recorder,
    SourceLog,
    client_for,
    eventually,
    extend,
)


async def test_negotiates_dialect_and_jobs_per_version(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        expected = {
            "24.10": (Dialect.LEGACY, False),
            "25.04": (Dialect.JSONRPC, False),
            "25.10": (Dialect.JSONRPC, True),
        }[sandbox.version]
        assert (client.dialect, client.new_style_jobs) == expected
        assert await client.call("core.ping") == "pong"
        apps = await client.call("app.query", [], {"select": ["name", "state"]})
        assert {"name", "state"} <= set(apps[0])


async def test_progress_callbacks_fire_in_order(sandbox: Sandbox) -> None:
    seen: list[tuple[int | None, str]] = []
    async with client_for(sandbox) as client:
        result = await client.call_job("test.progress", progress=lambda p, d: seen.append((p, d)))
    assert result == {"done": True}
    described = [d for _, d in seen if d]
    assert described == [text for _, text in PROGRESS_STEPS]
    percents = [p for p, _ in seen]
    assert percents == sorted(percents) and percents[-1] == 100
    assert len(seen) == len(set(seen))  # no repeats


async def test_job_failure_surfaces_field_errors_and_job_id(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        with pytest.raises(ValidationError) as failure:
            await client.call_job("test.fields")
    error = failure.value
    assert isinstance(error.job_id, int)
    assert [(f.attribute, f.message) for f in error.field_errors] == [
        (attribute, message) for attribute, message, _ in FIELD_ERRORS
    ]


async def test_failed_job_is_job_failed_error(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        app = (await client.call("app.query"))[0]["name"]
        sandbox.fail_next_job("registry unreachable")
        with pytest.raises(JobFailedError) as failure:
            await client.call_job("app.stop", app)
    error = failure.value
    assert isinstance(error.job_id, int) and error.state == "FAILED"
    assert error.errname == "EFAULT" and "registry unreachable" in (error.reason or "")


async def test_invalid_app_name_fails_inside_the_job_as_validation_error(sandbox: Sandbox) -> None:
    payload = {"app_name": "Bad_Name", "custom_app": True, "custom_compose_config": {}}
    async with client_for(sandbox) as client:
        with pytest.raises(ValidationError) as failure:
            await client.call_job("app.create", payload)
    assert any(f.attribute == "app_create.app_name" for f in failure.value.field_errors)


async def test_call_errors_are_mapped(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        with pytest.raises(ApiError) as call_error:
            await client.call("test.callerror")
        with pytest.raises(ValidationError) as missing_instance:
            await client.call("app.get_instance", "no-such-app")
        with pytest.raises(UnsupportedError):
            await client.call("no.such_method")
    assert type(call_error.value) is ApiError
    assert (call_error.value.errno, call_error.value.errname) == (2, "ENOENT")
    assert call_error.value.reason == "[ENOENT] thing not found"
    # TrueNAS reports a missing instance as a validation error whose field errno is ENOENT.
    assert [f.errno for f in missing_instance.value.field_errors] == [2]


async def test_call_timeout_leaves_the_client_usable(sandbox_2510: Sandbox) -> None:
    async with client_for(sandbox_2510) as client:
        with pytest.raises(CallTimeoutError) as timeout:
            await client.call("test.sleep", 5, timeout=0.1)
        assert "test.sleep" in timeout.value.message
        assert await client.call("core.ping") == "pong"


async def test_job_timeout_names_the_job_and_wait_job_follows_it(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        with pytest.raises(CallTimeoutError) as timeout:
            await client.call_job("test.slow_job", 0.5, timeout=0.1)
        job_id = timeout.value.job_id
        assert isinstance(job_id, int)
        assert await client.wait_job(job_id) == "slept"
        assert await client.wait_job(job_id) == "slept"  # an ended job answers at once
        with pytest.raises(ApiError, match="No job"):
            await client.wait_job(999_999)


async def test_wait_job_queries_the_raw_result(sandbox_2510: Sandbox) -> None:
    recorder = Recorder()
    async with client_for(sandbox_2510, opener=recorder) as client:
        with pytest.raises(CallTimeoutError) as timeout:
            await client.call_job("test.slow_job", 0.2, timeout=0.05)
        job_id = timeout.value.job_id
        assert await client.wait_job(job_id) == "slept"
    (query,) = [f for f in recorder.sent if f.get("method") == "core.get_jobs"]
    assert query["params"] == [[["id", "=", job_id]], {"extra": {"raw_result": True}}]


async def test_a_mutation_cut_off_by_a_drop_is_not_resent(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        call = asyncio.create_task(client.call("test.sleep", 1))
        await eventually(lambda: sandbox.metrics.requests["test.sleep"] == 1)
        await asyncio.to_thread(sandbox.close_connections)
        with pytest.raises(RequestOutcomeUnknown) as unknown:
            await call
        assert unknown.value.sent and unknown.value.method == "test.sleep"
        assert await client.call("core.ping") == "pong"  # reconnected
    assert sandbox.metrics.requests["test.sleep"] == 1


async def test_a_read_cut_off_by_a_drop_is_resent(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        sandbox.delay_responses(0.5, ["app.query"])
        call = asyncio.create_task(client.call("app.query"))
        await eventually(lambda: sandbox.metrics.requests["app.query"] == 1)
        await asyncio.to_thread(sandbox.close_connections)
        sandbox.clear_faults()
        assert len(await call) >= 1
        assert client.stats.resent_reads == 1
    assert sandbox.metrics.requests["app.query"] == 2


async def test_a_job_dropped_mid_way_is_reattached_by_id(sandbox: Sandbox) -> None:
    seen: list[tuple[int | None, str]] = []
    async with client_for(sandbox) as client:
        sandbox.drop_mid_job()
        result = await client.call_job(
            "test.slow_job", 0.3, progress=lambda p, d: seen.append((p, d))
        )
        assert result == "slept"
        assert client.stats.reconnects == 1 and client.stats.logins == 2
    assert sandbox.metrics.requests["test.slow_job"] == 1  # never re-sent
    assert sandbox.metrics.logins == 2  # one login per connection
    assert seen[-1][0] == 100


async def test_an_app_stop_dropped_mid_job_ends_with_the_app_stopped(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        running = await client.call("app.query", [["state", "=", "RUNNING"]])
        name = running[0]["name"]
        sandbox.drop_mid_job()
        await client.call_job("app.stop", name)
        (app,) = await client.call("app.query", [["name", "=", name]])
    assert app["state"] == "STOPPED"
    assert sandbox.metrics.requests["app.stop"] == 1


async def test_closing_the_client_ends_waits_and_subscriptions(sandbox_2510: Sandbox) -> None:
    client = client_for(sandbox_2510)
    await client.connect()
    job = asyncio.create_task(client.call_job("test.slow_job", 5))
    events = client.subscribe("test.forever")
    await events.start()
    await asyncio.sleep(0.05)
    await client.close()
    with pytest.raises(ConnectionError):
        await job
    assert all(e.fields["n"] >= 0 for e in [e async for e in events])  # ends, no hang
    assert not events.active
    with pytest.raises(ConnectionError, match="closed"):
        await client.call("core.ping")
    with pytest.raises(ConnectionError, match="connects once"):
        await client.connect()


@pytest.mark.chaos
@pytest.mark.parametrize("version", ["24.10", "25.10"])
async def test_drops_at_every_point_never_resend_a_mutation(version: str) -> None:
    """Cut the connection after each possible server frame of a mixed workload."""
    outcomes: set[str] = set()
    for cut_after in range(1, 14):
        with Sandbox(version=version, timing=Timing(), extend=extend(SourceLog())) as sb:
            async with client_for(sb) as client:
                sb.drop_after_frames(cut_after)
                results = await asyncio.gather(
                    client.call("app.query", [], {"count": True}),
                    client.call_job("test.progress"),
                    client.call("test.sleep", 0.01),
                    return_exceptions=True,
                )
                count, job, sleep = results
                assert count == len(await client.call("app.query"))  # reads always succeed
                for result, expected in ((job, {"done": True}), (sleep, 0.01)):
                    if isinstance(result, RequestOutcomeUnknown):
                        outcomes.add("unknown")
                    else:
                        assert result == expected
                        outcomes.add("done")
            metrics = sb.metrics
            assert metrics.requests["test.progress"] <= 1
            assert metrics.requests["test.sleep"] <= 1
            assert metrics.logins == client.stats.logins == metrics.connections
    assert outcomes == {"done", "unknown"}  # both paths were exercised


async def test_a_mutation_held_back_by_a_drop_reports_it_was_not_sent(sandbox: Sandbox) -> None:
    policy = ReconnectPolicy(max_attempts=1, initial_delay=0.01)
    async with client_for(sandbox, max_in_flight=1, reconnect=policy) as client:
        first = asyncio.create_task(client.call("test.sleep", 5))
        await eventually(lambda: sandbox.metrics.requests["test.sleep"] == 1)
        second = asyncio.create_task(client.call("test.sleep", 0.01))  # waits for the slot
        await asyncio.sleep(0.05)
        await asyncio.to_thread(sandbox.stop)
        with pytest.raises(RequestOutcomeUnknown) as sent:
            await first
        with pytest.raises(RequestOutcomeUnknown) as held_back:
            await second
    assert sent.value.sent and not held_back.value.sent
    assert "safe to retry" in (held_back.value.hint or "")
