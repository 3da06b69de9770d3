"""The legacy ``/websocket`` dialect (24.10, and 25.04+ for clients pointed at it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sandbox_frames import Raw
from websockets.asyncio.client import connect

from scale_pilot_nb.sandbox import Sandbox

MakeSandbox = Callable[..., Sandbox]


async def test_handshake_and_failed_before_connect(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10")
    raw = Raw(await connect(sb.legacy_url), legacy=True)
    await raw.send({"msg": "method", "method": "core.ping", "id": "1", "params": []})
    assert await raw.next() == {"msg": "failed", "version": "1"}
    await raw.send({"msg": "connect", "version": "2", "support": ["2"]})
    assert await raw.next() == {"msg": "failed", "version": "1"}
    await raw.send({"msg": "connect", "version": "1", "support": ["1"], "features": []})
    connected = await raw.next()
    assert connected["msg"] == "connected" and len(connected["session"]) == 36


@pytest.mark.parametrize(("version", "answers"), [("24.10", True), ("25.04", False)])
async def test_ping_pong_only_on_2410(
    make_sandbox: MakeSandbox, version: str, answers: bool
) -> None:
    raw = await Raw.open(make_sandbox(version).legacy_url)
    await raw.send({"msg": "ping", "id": "p1"})
    await raw.send({"msg": "method", "method": "auth.login", "id": "m1", "params": ["a", "b"]})
    first = await raw.next()
    assert (first == {"msg": "pong", "id": "p1"}) is answers
    if not answers:
        assert first["id"] == "m1"


async def test_method_result_and_errors(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10")
    raw = await Raw.open(sb.legacy_url)
    assert await raw.call("auth.login_with_api_key", sb.api_key) == {
        "msg": "result",
        "id": "c1",
        "result": True,
    }
    validation = (await raw.call("test.validation", {"x": 1}))["error"]
    assert (validation["error"], validation["errname"], validation["type"]) == (
        11,
        "EAGAIN",
        "VALIDATION",
    )
    assert validation["trace"] is not None  # the client raises ValidationErrors only with one
    assert validation["extra"] == [["test.validation.name", "Field required", 22]]
    missing = (await raw.call("no.such_method"))["error"]
    assert (missing["error"], missing["type"]) == (201, None)
    assert missing["reason"] == "[ENOMETHOD] Service 'no' not found"
    in_service = (await raw.call("test.nothing"))["error"]
    assert in_service["reason"] == "[ENOMETHOD] Method 'test.nothing' not found in 'test'"
    callerror = (await raw.call("test.callerror"))["error"]
    assert (callerror["error"], callerror["reason"]) == (2, "[ENOENT] thing not found")


@pytest.mark.parametrize("version", ["24.10", "25.04"])
async def test_a_single_validation_error_keeps_its_errno(
    make_sandbox: MakeSandbox, version: str
) -> None:
    sb = make_sandbox(version)
    raw = await Raw.open(sb.legacy_url)
    await raw.call("auth.login_with_api_key", sb.api_key)
    missing = (await raw.call("app.get_instance", "nope"))["error"]
    # InstanceNotFound is one ValidationError: its own errno, not ValidationErrors' EAGAIN
    assert (missing["error"], missing["errname"], missing["type"]) == (2, "ENOENT", "VALIDATION")
    assert missing["trace"] is not None
    assert missing["extra"] == [[None, "App nope does not exist", 2]]


@pytest.mark.parametrize(
    ("version", "reason", "has_trace"),
    [
        ("24.10", "Not authenticated", False),
        ("25.04", "[ENOTAUTHENTICATED] Not authenticated", True),
    ],
)
async def test_not_authenticated_shape(
    make_sandbox: MakeSandbox, version: str, reason: str, has_trace: bool
) -> None:
    raw = await Raw.open(make_sandbox(version).legacy_url)
    error = (await raw.call("auth.me"))["error"]
    assert (error["error"], error["errname"], error["type"]) == (207, "ENOTAUTHENTICATED", None)
    assert error["reason"] == reason
    assert (error["trace"] is not None) is has_trace


async def test_sub_before_login_is_refused(make_sandbox: MakeSandbox) -> None:
    raw = await Raw.open(make_sandbox("24.10").legacy_url)
    await raw.send({"msg": "sub", "id": "s1", "name": "core.get_jobs"})
    frame = await raw.next()
    assert frame["msg"] == "result" and frame["id"] == "s1"
    assert frame["error"]["reason"] == "[EACCES] Not authorized"


async def test_sources_sub_ready_items_nosub(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10")
    raw = await Raw.open(sb.legacy_url)
    await raw.login(sb.api_key)
    name = 'test.finite:{"count": 2}'
    await raw.send({"msg": "sub", "id": "s1", "name": name})
    assert await raw.next() == {"msg": "ready", "subs": ["s1"]}
    frames = await raw.until(lambda f: f["msg"] == "nosub")
    assert [f["msg"] for f in frames] == ["added", "added", "nosub"]
    assert frames[0] == {
        "msg": "added",
        "collection": name,
        "fields": {"n": 0, "arg": {"count": 2}},
    }
    assert frames[-1] == {"msg": "nosub", "collection": name}
    await raw.send({"msg": "sub", "id": "s2", "name": "test.failing"})
    frames = await raw.until(lambda f: f["msg"] == "nosub")
    assert frames[-1]["error"]["reason"] == "[EFAULT] Apps are not available"


async def test_unsub_stops_a_source_silently(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10")
    raw = await Raw.open(sb.legacy_url)
    await raw.login(sb.api_key)
    await raw.send({"msg": "sub", "id": "s1", "name": "test.source"})
    frames = await raw.until(lambda f: f.get("fields") == {"n": 2})
    assert frames[0]["msg"] == "ready"
    await raw.send({"msg": "unsub", "id": "s1"})
    assert await raw.result("core.ping") == "pong"
    assert raw.inbox == []


async def test_too_many_calls_is_etoomanyrefs(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10")
    raw = await Raw.open(sb.legacy_url)
    await raw.login(sb.api_key)
    for n in range(20):
        await raw.send({"msg": "method", "method": "test.sleep", "id": f"s{n}", "params": []})
    assert (await raw.call("core.ping"))["error"]["error"] == 109
