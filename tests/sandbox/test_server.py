"""HTTP routes, JSON-RPC framing and error codes of the sandbox server (raw frames)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest
from sandbox_frames import WAIT, Raw
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from scale_pilot_nb.sandbox import Sandbox

MakeSandbox = Callable[..., Sandbox]
TRUENAS_DATA_KEYS = {"error", "errname", "reason", "trace", "extra"}


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=WAIT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def http_base(sb: Sandbox) -> str:
    return f"http://127.0.0.1:{sb.port}"


# -- routes -------------------------------------------------------------------------------


def test_api_versions_lists_dotted_names_without_v24_10(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10")
    status, body = http_get(http_base(sb) + "/api/versions")
    assert status == 200
    versions = json.loads(body)
    assert "v25.04.2" in versions and "v25.10.5" in versions
    assert "v24.10" not in versions


@pytest.mark.parametrize("path", ["/api/versions", "/api/current", "/nothing"])
def test_2410_has_no_api_routes(make_sandbox: MakeSandbox, path: str) -> None:
    sb = make_sandbox("24.10")
    assert http_get(http_base(sb) + path)[0] == 404


async def test_2410_refuses_jsonrpc_upgrade_with_404(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10")
    with pytest.raises(InvalidStatus) as info:
        await connect(f"ws://127.0.0.1:{sb.port}/api/current", open_timeout=WAIT)
    assert info.value.response.status_code == 404


@pytest.mark.parametrize(
    ("version", "path", "upgrades"),
    [
        ("25.04", "/api/v25.04.2", True),
        ("25.04", "/api/v24.10", True),
        ("25.04", "/api/v25.10.0", False),
        ("25.10", "/api/v25.10.5", True),
        ("25.10", "/api/v25_10_5", False),
        ("25.10", "/api/v26.0.0", False),
        ("24.10", "/websocket", True),
    ],
)
async def test_versioned_endpoints(
    make_sandbox: MakeSandbox, version: str, path: str, upgrades: bool
) -> None:
    sb = make_sandbox(version)
    url = f"ws://127.0.0.1:{sb.port}{path}"
    if upgrades:
        ws = await connect(url, open_timeout=WAIT)
        await ws.close()
    else:
        with pytest.raises(InvalidStatus):
            await connect(url, open_timeout=WAIT)


async def test_pinned_endpoint_hides_newer_methods_with_enomethod(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox("25.10")
    raw = await Raw.open(f"ws://127.0.0.1:{sb.port}/api/v25.04.2")
    await raw.login(sb.api_key)
    frame = await raw.call("test.new_in_2510")
    assert frame["error"]["code"] == -32001
    assert frame["error"]["data"]["error"] == 201
    assert (
        frame["error"]["data"]["reason"]
        == "[ENOMETHOD] Method 'test.new_in_2510' not found in 'test'"
    )
    current = await Raw.open(sb.url)
    await current.login(sb.api_key)
    assert await current.result("test.new_in_2510") == "new"


# -- JSON-RPC framing ---------------------------------------------------------------------


async def test_unparsable_frame_gets_parse_error_with_null_id(make_sandbox: MakeSandbox) -> None:
    raw = await Raw.open(make_sandbox().url)
    await raw.ws.send("{not json")
    frame = await raw.next()
    assert frame["id"] is None
    assert frame["error"]["code"] == -32700
    assert "data" not in frame["error"]


async def test_batch_is_rejected_as_parse_error(make_sandbox: MakeSandbox) -> None:
    raw = await Raw.open(make_sandbox().url)
    await raw.ws.send("[]")
    frame = await raw.next()
    assert frame["error"] == {
        "code": -32700,
        "message": "Batch messages are not supported at this time",
    }


@pytest.mark.parametrize(
    "request_frame",
    [
        {"jsonrpc": "1.0", "method": "core.ping", "id": 7},
        {"jsonrpc": "2.0", "method": "", "id": 7},
        {"jsonrpc": "2.0", "method": "core.ping", "id": 7, "params": {"a": 1}},
        {"jsonrpc": "2.0", "method": "core.ping", "id": 7.5},
    ],
)
async def test_malformed_request_gets_invalid_request(
    make_sandbox: MakeSandbox, request_frame: dict[str, object]
) -> None:
    raw = await Raw.open(make_sandbox().url)
    await raw.send(request_frame)
    frame = await raw.next()
    assert frame["id"] == 7.5 or frame["id"] == 7
    assert frame["error"]["code"] == -32600


async def test_notification_runs_but_is_not_answered(make_sandbox: MakeSandbox) -> None:
    raw = await Raw.open(make_sandbox().url)
    await raw.send({"jsonrpc": "2.0", "method": "core.ping", "params": []})
    assert await raw.result("core.ping") == "pong"  # the next frame answers the next call
    assert raw.inbox == []


async def test_unknown_method_is_32601_even_before_login(make_sandbox: MakeSandbox) -> None:
    raw = await Raw.open(make_sandbox().url)
    frame = await raw.call("no.such_method")
    assert frame["error"] == {"code": -32601, "message": "Method does not exist"}


async def test_validation_error_is_32602_with_extra_triples(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    error = (await raw.call("test.validation", {"x": 1}))["error"]
    assert error["code"] == -32602 and error["message"] == "Invalid params"
    assert set(error["data"]) == TRUENAS_DATA_KEYS
    assert error["data"]["error"] == 22 and error["data"]["errname"] == "EINVAL"
    assert error["data"]["reason"] == "[EINVAL] test.validation.name: Field required\n"
    assert error["data"]["extra"] == [["test.validation.name", "Field required", 22]]
    assert error["data"]["trace"]["class"] == "ValidationErrors"


async def test_instance_not_found_is_one_validation_error_keeping_enoent(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    error = (await raw.call("app.get_instance", "nope"))["error"]
    assert error["code"] == -32602
    assert (error["data"]["error"], error["data"]["errname"]) == (2, "ENOENT")
    # str() of a single ValidationError: one line, no trailing newline (ValidationErrors has one)
    assert error["data"]["reason"] == "[ENOENT] None: App nope does not exist"
    assert error["data"]["extra"] == [[None, "App nope does not exist", 2]]


async def test_wrong_argument_count_is_32602(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    error = (await raw.call("core.ping", "unexpected"))["error"]
    assert error["code"] == -32602
    assert error["data"]["extra"][0][0] == "core.ping"


async def test_call_error_is_32001_with_full_data(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    error = (await raw.call("test.callerror"))["error"]
    assert error["code"] == -32001 and error["message"] == "Method call error"
    assert set(error["data"]) == TRUENAS_DATA_KEYS
    assert error["data"]["error"] == 2 and error["data"]["errname"] == "ENOENT"
    assert error["data"]["reason"] == "[ENOENT] thing not found"
    assert error["data"]["trace"]["class"] == "CallError"


async def test_unexpected_exception_is_einval_without_prefix(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    data = (await raw.call("test.crash"))["error"]["data"]
    assert (data["error"], data["reason"], data["trace"]["class"]) == (22, "'oops'", "KeyError")


async def test_unserialisable_result_is_32603(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    error = (await raw.call("test.unserialisable"))["error"]
    assert error["code"] == -32603
    assert error["message"] == "Failed to JSON serialize server message"
    assert error["data"]["error"] == 14


async def test_ejson_round_trip(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    params = [{"$date": 1735787045000}, {"$set": [1, 2]}]
    assert await raw.result("test.echo", *params) == params


@pytest.mark.parametrize(
    ("version", "sent", "answer"),
    [
        ("25.04", {"py_exceptions": False, "legacy_jobs": False}, None),
        (
            "25.10",
            {"legacy_jobs": False, "private_methods": False, "py_exceptions": False},
            {"legacy_jobs": False, "private_methods": False, "py_exceptions": False},
        ),
        ("25.10", {}, {"legacy_jobs": True, "private_methods": False, "py_exceptions": False}),
    ],
)
async def test_set_options_per_version(
    make_sandbox: MakeSandbox, version: str, sent: dict[str, bool], answer: object
) -> None:
    raw = await Raw.open(make_sandbox(version).url)
    assert await raw.result("core.set_options", sent) == answer


async def test_get_methods_lists_what_the_session_may_call(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    methods = await raw.result("core.get_methods")
    assert methods["test.job"]["job"] is True
    assert methods["core.ping"]["no_auth_required"] is True
    assert methods["auth.me"]["no_auth_required"] is False
    only_core = await raw.result("core.get_methods", "core")
    assert only_core and all(name.startswith("core.") for name in only_core)


async def test_default_sandbox_has_no_test_methods(sandbox: Sandbox) -> None:
    raw = await Raw.open(sandbox.url)
    await raw.login(sandbox.api_key)
    assert (await raw.call("test.job"))["error"]["code"] == -32601
    assert not [m for m in await raw.result("core.get_methods") if m.startswith("test.")]


# -- connection limits --------------------------------------------------------------------


async def test_21st_call_in_flight_is_refused_with_32000(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    for n in range(20):
        await raw.send({"jsonrpc": "2.0", "method": "test.sleep", "id": n, "params": []})
    frame = await raw.call("core.ping")
    assert frame["error"] == {
        "code": -32000,
        "message": "Maximum number of concurrent calls (20) has exceeded",
    }


async def test_a_refused_notification_gets_no_answer(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    for n in range(20):
        await raw.send({"jsonrpc": "2.0", "method": "test.sleep", "id": n, "params": []})
    await raw.send({"jsonrpc": "2.0", "method": "core.ping", "params": []})  # the 21st
    frame = await raw.call("core.ping")
    assert frame["error"]["code"] == -32000
    assert raw.inbox == []  # no id-null error, which clients read as connection-wide


async def test_anonymous_frame_over_8_kb_closes_with_1007(make_sandbox: MakeSandbox) -> None:
    raw = await Raw.open(make_sandbox().url)
    await raw.send({"jsonrpc": "2.0", "method": "core.ping", "id": 1, "params": ["x" * 9000]})
    with pytest.raises(ConnectionClosed):
        await raw.next()
    assert raw.ws.close_code == 1007


async def test_authenticated_frame_over_64_kb_closes_with_1009(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    assert await raw.result("test.echo", "x" * 60_000) == ["x" * 60_000]
    await raw.send({"jsonrpc": "2.0", "method": "test.echo", "id": 2, "params": ["x" * 70_000]})
    with pytest.raises(ConnectionClosed):
        await raw.next()
    assert (raw.ws.close_code, raw.ws.close_reason) == (1009, "Max message length is 64 kB")


async def test_binary_frame_closes_with_1003(make_sandbox: MakeSandbox) -> None:
    raw = await Raw.open(make_sandbox().url)
    await raw.ws.send(b"\x00")
    with pytest.raises(ConnectionClosed):
        await raw.next()
    assert raw.ws.close_code == 1003


async def test_fifty_concurrent_connections(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox(rate_limit=False)  # 50 logins from one address would hit the limit

    async def one() -> object:
        raw = await Raw.open(sb.url)
        await raw.login(sb.api_key)
        result = await raw.result("core.ping")
        await raw.close()
        return result

    assert await asyncio.gather(*(one() for _ in range(50))) == ["pong"] * 50
    metrics = sb.metrics
    assert metrics.connections == 50 and metrics.logins == 50
    assert metrics.requests["core.ping"] == 50
