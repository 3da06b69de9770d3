"""Injected faults, driven through the ``Sandbox`` Python API (never over the wire)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sandbox_frames import Raw, is_response, job_events
from websockets.exceptions import ConnectionClosed

from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.contract import SandboxValidationErrors

MakeSandbox = Callable[..., Sandbox]
pytestmark = pytest.mark.chaos


async def logged_in(sb: Sandbox, *, new_style: bool = True) -> Raw:
    raw = await Raw.open(sb.url)
    await raw.result("core.set_options", {"legacy_jobs": not new_style})
    await raw.login(sb.api_key)
    return raw


async def test_delay_applies_to_chosen_methods_only(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    sb.delay_responses(30, methods=["test.echo"])
    slow_id, slow = raw.request("test.echo", "slow")
    await raw.send(slow)
    assert await raw.result("core.ping") == "pong"  # answered while test.echo is held
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await raw.response(slow_id)
    sb.clear_faults()
    sb.delay_responses(0.05)
    assert await raw.result("test.echo", 1) == [1]


async def test_drop_after_frames_cuts_without_close_frame(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    sb.drop_after_frames(2)
    assert await raw.result("core.ping") == "pong"
    assert await raw.result("core.ping") == "pong"  # the 2nd frame is sent, then the drop
    with pytest.raises(ConnectionClosed):
        await raw.call("core.ping")
    assert raw.ws.close_code == 1006
    other = await logged_in(sb)  # one-shot: new connections are fine
    assert await other.result("core.ping") == "pong"


async def test_drop_mid_job_leaves_the_job_running(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb, new_style=False)
    sb.drop_mid_job()
    job_id = await raw.result("test.job_forever")  # the id leaves before the job runs
    with pytest.raises(ConnectionClosed):
        await raw.next()
    assert raw.ws.close_code == 1006
    watcher = await logged_in(sb)
    jobs = await watcher.result("core.get_jobs", [["id", "=", job_id]])
    assert jobs[0]["state"] == "RUNNING"


async def test_fail_next_job_once(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    sb.fail_next_job("injected failure")
    error = (await raw.call("test.job"))["error"]
    assert error["data"]["reason"] == "[EFAULT] injected failure"
    assert await raw.result("test.job") == {"done": True}
    sb.fail_next_job(SandboxValidationErrors([("app_create.values", "Bad", 22)]))
    error = (await raw.call("test.job"))["error"]
    assert error["code"] == -32602


async def test_close_connections_with_1011(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    await asyncio.to_thread(sb.close_connections, 1011, "server going away")
    with pytest.raises(ConnectionClosed):
        await raw.next()
    assert (raw.ws.close_code, raw.ws.close_reason) == (1011, "server going away")


async def test_pause_holds_events_and_new_style_response_in_order(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    await raw.result("core.subscribe", "core.get_jobs")
    sb.pause_events()
    call_id, frame = raw.request("test.job")
    await raw.send(frame)
    assert await raw.result("core.ping") == "pong"  # plain responses still flow
    assert raw.inbox == []
    sb.resume_events()
    frames = await raw.until(lambda f: is_response(f) and f.get("id") == call_id)
    events = job_events(frames)
    assert [e["fields"]["state"] for e in events] == ["WAITING", "RUNNING", "RUNNING", "SUCCESS"]
    assert events[0]["fields"]["message_ids"] == [call_id]


def test_faults_are_not_methods(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(test_methods=False)

    async def names() -> list[str]:
        raw = await logged_in(sb)
        return list(await raw.result("core.get_methods"))

    exposed = asyncio.run(names())
    assert not [name for name in exposed if "fault" in name or "sandbox" in name]


def test_fault_api_refuses_the_loop_thread(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    with pytest.raises(RuntimeError, match="sandbox loop"):
        sb.call_in_loop(sb.pause_events)


async def test_paused_events_are_bounded_per_connection(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    sb.pause_events()
    await raw.result("core.subscribe", 'test.finite:{"count": 10001}')
    with pytest.raises(ConnectionClosed):
        await raw.until(lambda frame: False)
    assert raw.ws.close_code == 1006
