"""A hostile NAS peer: malformed, unknown, huge and ill-typed frames never hang the client.

The peer is a tiny ``websockets`` server written here (a fake NAS on a real socket, not a
stand-in for any of our layers). It answers ``core.set_options`` politely, then misbehaves
according to the method called. The client must raise a typed error or ignore the frame and
carry on; every call is bounded by a short timeout, so a hang fails instead of stalling.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from scale_pilot_nb.errors import (
    MESSAGE_LIMIT,
    ApiError,
    CallTimeoutError,
    ConnectionError,
    RequestOutcomeUnknown,
    TrueNASError,
)
from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.rpc.options import NO_RECONNECT, Timeouts
from scale_pilot_nb.rpc.transport import open_websocket

pytestmark = pytest.mark.chaos

#: Frames larger than this are refused by the client in these tests.
CLIENT_MAX_FRAME = 256 * 1024

Behaviour = Callable[[ServerConnection, Any], Awaitable[None]]


def answer(request_id: Any, result: Any) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result})


async def malformed_then_answer(ws: ServerConnection, request_id: Any) -> None:
    for junk in ("{not json", "[1, 2, 3]", '"a string"', "null", '{"jsonrpc": "2.0"}'):
        await ws.send(junk)
    await ws.send(answer(request_id, "survived"))


async def wrong_id_only(ws: ServerConnection, request_id: Any) -> None:
    await ws.send(answer("somebody-else", 1))
    await ws.send(answer(12345, 2))


async def huge_frame(ws: ServerConnection, request_id: Any) -> None:
    await ws.send(answer(request_id, "x" * (CLIENT_MAX_FRAME * 2)))


async def error_is_a_string(ws: ServerConnection, request_id: Any) -> None:
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "error": "kaput"}))


async def error_fields_of_wrong_types(ws: ServerConnection, request_id: Any) -> None:
    error = {"code": "x", "message": ["not", "text"], "data": {"error": "EIO", "trace": 7}}
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}))


async def huge_error(ws: ServerConnection, request_id: Any) -> None:
    reason = "[EFAULT] " + "x" * 100_000
    error = {"code": -32001, "message": reason, "data": {"errname": "EFAULT", "reason": reason}}
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}))


async def ill_typed_events_then_answer(ws: ServerConnection, request_id: Any) -> None:
    events: list[dict[str, Any]] = [
        {"jsonrpc": "2.0", "method": "collection_update", "params": "not a dict"},
        {"jsonrpc": "2.0", "method": "collection_update", "params": {"msg": 1}},
        {
            "jsonrpc": "2.0",
            "method": "collection_update",
            "params": {"msg": "changed", "collection": "core.get_jobs", "id": "7", "fields": []},
        },
        {
            "jsonrpc": "2.0",
            "method": "collection_update",
            "params": {"msg": "changed", "collection": "core.get_jobs", "id": 7, "fields": 3},
        },
        {"jsonrpc": "2.0", "method": "notify_unsubscribed", "params": {"collection": None}},
        {"jsonrpc": "2.0", "method": "no.such.notification", "params": {}},
    ]
    for event in events:
        await ws.send(json.dumps(event))
    await ws.send(answer(request_id, {"ok": True}))


async def binary_answer(ws: ServerConnection, request_id: Any) -> None:
    await ws.send(answer(request_id, "via bytes").encode())


async def close_abruptly(ws: ServerConnection, request_id: Any) -> None:
    await ws.close(1011, "boom")


BEHAVIOURS: dict[str, Behaviour] = {
    "test.malformed": malformed_then_answer,
    "test.wrong_id": wrong_id_only,
    "test.huge": huge_frame,
    "test.error_string": error_is_a_string,
    "test.error_types": error_fields_of_wrong_types,
    "test.huge_error": huge_error,
    "test.events": ill_typed_events_then_answer,
    "test.binary": binary_answer,
    "test.close": close_abruptly,
}


async def hostile(ws: ServerConnection) -> None:
    async for message in ws:
        request = json.loads(message)
        method, request_id = request.get("method"), request.get("id")
        if method == "core.set_options":
            await ws.send(answer(request_id, {"legacy_jobs": False}))
        elif method in BEHAVIOURS:
            await BEHAVIOURS[method](ws, request_id)
        else:
            await ws.send(answer(request_id, "plain"))


@pytest.fixture
async def client() -> AsyncIterator[RpcClient]:
    async with serve(hostile, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        rpc = RpcClient(
            f"ws://127.0.0.1:{port}/api/current",
            timeouts=Timeouts(connect=5, call=2, keepalive=None),
            reconnect=NO_RECONNECT,
            opener=partial(open_websocket, max_frame=CLIENT_MAX_FRAME),
        )
        async with rpc:
            yield rpc


async def test_malformed_frames_are_ignored_and_the_answer_still_arrives(
    client: RpcClient,
) -> None:
    assert await client.call("test.malformed") == "survived"
    assert await client.call("test.anything") == "plain"  # the connection is still good


async def test_answers_to_unknown_ids_are_dropped_and_the_call_times_out(
    client: RpcClient,
) -> None:
    with pytest.raises(CallTimeoutError):
        await client.call("test.wrong_id", timeout=0.3)
    assert await client.call("test.anything") == "plain"


async def test_a_frame_over_the_size_limit_is_a_connection_error(client: RpcClient) -> None:
    with pytest.raises(ConnectionError):
        await client.call("test.huge")


@pytest.mark.parametrize("method", ["test.error_string", "test.error_types"])
async def test_ill_typed_errors_become_api_errors(client: RpcClient, method: str) -> None:
    with pytest.raises(ApiError) as raised:
        await client.call(method)
    assert raised.value.message  # something a person can read


async def test_ill_typed_events_are_ignored(client: RpcClient) -> None:
    assert await client.call("test.events") == {"ok": True}
    assert await client.call("test.anything") == "plain"


async def test_a_binary_frame_is_decoded_as_text(client: RpcClient) -> None:
    assert await client.call("test.binary") == "via bytes"


async def test_a_mutation_cut_off_by_a_close_says_its_outcome_is_unknown(
    client: RpcClient,
) -> None:
    with pytest.raises(RequestOutcomeUnknown) as raised:
        await client.call("test.close")
    assert raised.value.sent and "test.close" in raised.value.message


async def test_a_server_that_never_answers_the_handshake_fails_connect_with_a_typed_error() -> None:
    async def silent(ws: ServerConnection) -> None:
        async for _ in ws:
            pass  # reads everything, answers nothing

    async with serve(silent, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        rpc = RpcClient(
            f"ws://127.0.0.1:{port}/api/current",
            timeouts=Timeouts(connect=0.5, call=0.5, keepalive=None),
            reconnect=NO_RECONNECT,
        )
        with pytest.raises(TrueNASError) as raised:
            await rpc.connect()
        assert "core.set_options" in raised.value.message
        await rpc.close()


async def test_a_huge_error_becomes_a_message_of_bounded_size(client: RpcClient) -> None:
    with pytest.raises(ApiError) as raised:
        await client.call("test.huge_error")
    error = raised.value
    assert "more characters)" in error.message
    assert len(str(error)) < 2 * MESSAGE_LIMIT and len(error.reason or "") < 2 * MESSAGE_LIMIT
