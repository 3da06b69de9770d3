"""Replay the official clients' frames (captures/*.jsonl) against the sandbox.

Each capture holds what an official ``truenas_api_client`` sent (``C->S``) and what a reference
server answered that the client accepted (``S->C``). We send the client frames unchanged (except
the API key and user name) to a sandbox of the matching version and check, frame by frame, that
the answers have the shape the client accepts: ids, codes, ``data`` keys, event kinds and order,
``message_ids`` before the final response. Where the reference server answered as a different
TrueNAS release than the capture's client targets, :data:`DIFFERENCES` says what the real release
answers instead.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sandbox_frames import WAIT
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.contract import Registry

CAPTURES = Path(__file__).parents[1] / "captures"
CAPTURED_KEY = "1-abcdefghijklmnop"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
JSONRPC_CODES = {-32700, -32600, -32601, -32602, -32603, -32000, -32001}
ERROR_OBJECT_KEYS = {"error", "errname", "reason", "trace", "extra"}

MakeSandbox = Callable[..., Sandbox]
Frame = dict[str, Any]
Extend = Callable[[Registry], None]

#: capture → sandbox version. master clients are checked against the newest sandbox release.
VERSIONS = {
    "cap-2410": "24.10",
    "cap-2504": "25.04",
    "cap-2510": "25.10",
    "cap-2510b": "25.10",
    "cap-master": "25.10",
    "cap-master2": "25.10",
}

#: (capture, method) → what the emulated release answers where the reference server differed:
#: it spoke 25.10 to the 25.04 client, and answered master-only behaviour to the master client.
DIFFERENCES: dict[tuple[str, str], Callable[[Frame], bool]] = {
    # 25.04 returns null from core.set_options (so the client keeps legacy jobs) ...
    ("cap-2504", "core.set_options"): lambda f: f.get("result", 0) is None,
    # ... and core.ping needs a login before 25.10.
    ("cap-2504", "core.ping"): lambda f: f["error"]["data"]["error"] == 207,
    # 25.04.2-25.10.5 fail auth.mechanism_choices before login (the master client copes).
    ("cap-master", "auth.mechanism_choices"): lambda f: f["error"]["data"]["error"] == 22,
    # a real server fills user_info unless login_options say otherwise.
    ("cap-master", "auth.login_ex"): lambda f: f["result"]["response_type"] == "SUCCESS",
}


@dataclass
class Step:
    """One client frame and the server frames the reference answered before the next one."""

    sent: Frame | None  # None for the client's close frame
    answers: list[Frame] = field(default_factory=list)
    server_close: tuple[int, str] | None = None


@dataclass
class Connection:
    path: str
    steps: list[Step] = field(default_factory=list)


def load(name: str) -> list[Connection]:
    connections: list[Connection] = []
    for line in (CAPTURES / f"{name}.jsonl").read_text().splitlines():
        record = json.loads(line)
        if "http_request" in record:
            connections.append(Connection(record["http_request"].split()[1]))
            continue
        if "http_response" in record:
            continue
        conn = connections[-1]
        if record["dir"] == "C->S":
            sent = json.loads(record["text"]) if "text" in record else None
            conn.steps.append(Step(sent))
        elif "close_frame" in record:
            raw = bytes.fromhex(record["close_frame"])
            conn.steps[-1].server_close = (int.from_bytes(raw[:2], "big"), raw[2:].decode())
        else:
            conn.steps[-1].answers.append(json.loads(record["text"]))
    return connections


def extension(name: str, test_methods: Extend) -> Extend:
    """The capture's test methods; the 24.10 reference server lacked test.sleep and test.echo."""

    def extend(registry: Registry) -> None:
        test_methods(registry)
        if name == "cap-2410":
            del registry.methods["test.sleep"], registry.methods["test.echo"]

    return extend


def substitute(frame: Frame, sb: Sandbox, ids: dict[str, str]) -> str:
    """The client frame with our key, user name and the subscription ids we handed out."""
    text = json.dumps(frame).replace(CAPTURED_KEY, sb.api_key)
    for captured, ours in ids.items():
        text = text.replace(captured, ours)
    return text.replace('"username": "root"', f'"username": "{sb.username}"')


def same_value_shape(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, str) and UUID.match(theirs):
        return isinstance(ours, str) and bool(UUID.match(ours))
    if isinstance(theirs, int) and not isinstance(theirs, bool):
        return isinstance(ours, int) and not isinstance(ours, bool)
    return bool(ours == theirs)


def check_error_object(data: Any, *, legacy: bool) -> None:
    keys = ERROR_OBJECT_KEYS | ({"type"} if legacy else set())
    assert isinstance(data, dict) and keys <= set(data), data
    assert isinstance(data["error"], int) and data["error"]
    if data["extra"] is not None and legacy is False and isinstance(data["extra"], list):
        assert all(isinstance(e, list) and len(e) == 3 for e in data["extra"])


def check_response(ours: Frame, theirs: Frame, *, legacy: bool, version: str) -> None:
    assert ours.get("id") == theirs.get("id")
    assert ("result" in ours) != ("error" in ours), ours
    assert ("result" in ours) == ("result" in theirs), (ours, theirs)
    if "result" in ours:
        assert same_value_shape(ours["result"], theirs["result"]), (ours, theirs)
        return
    if legacy:
        check_error_object(ours["error"], legacy=True)
        for key in ("error", "type"):
            assert ours["error"][key] == theirs["error"][key], key
        if theirs["error"]["extra"] is not None:  # attribute names are the method's business
            assert [e[2] for e in ours["error"]["extra"]] == [
                e[2] for e in theirs["error"]["extra"]
            ]
        return
    error, expected = ours["error"], theirs["error"]
    assert error["code"] in JSONRPC_CODES and error["code"] == expected["code"]
    assert error["message"] == expected["message"]
    assert ("data" in error) == ("data" in expected)
    if "data" in error:
        check_error_object(error["data"], legacy=False)
        for key in ("error", "errname", "reason", "extra"):
            assert error["data"][key] == expected["data"][key], key
        assert error["data"]["trace"]["class"] == expected["data"]["trace"]["class"]


def check_job_fields(ours: Frame, theirs: Frame, version: str) -> None:
    expected_keys = set(theirs)
    if version != "25.10":
        expected_keys.discard("message_ids")
    assert expected_keys <= set(ours), expected_keys - set(ours)
    for key in ("state", "progress", "result", "error", "arguments", "message_ids"):
        if key in expected_keys:
            assert ours[key] == theirs[key], key
    if theirs["exc_info"] is None:
        assert ours["exc_info"] is None
    else:
        assert ours["exc_info"]["type"] == theirs["exc_info"]["type"]
        assert ours["exc_info"]["errno"] == theirs["exc_info"]["errno"]


def check_event(ours: Frame, theirs: Frame, *, legacy: bool, version: str) -> None:
    if not legacy:
        assert ours.get("method") == theirs["method"] and ours["jsonrpc"] == "2.0"
        ours, theirs = ours["params"], theirs["params"]
    assert ours.get("msg") == theirs.get("msg")
    assert ours.get("collection") == theirs.get("collection")
    assert ("id" in ours) == ("id" in theirs) and ("fields" in ours) == ("fields" in theirs)
    if theirs.get("collection") == "core.get_jobs":
        check_job_fields(ours["fields"], theirs["fields"], version)
    elif "fields" in theirs:
        assert ours["fields"] == theirs["fields"]
    elif "error" in theirs:
        assert ours["error"] == theirs["error"]


def is_answer(frame: Frame) -> bool:
    return frame.get("msg") in (None, "result") and ("result" in frame or "error" in frame)


async def receive(ws: ClientConnection, count: int) -> list[Frame]:
    async with asyncio.timeout(WAIT):
        return [json.loads(await ws.recv()) for _ in range(count)]


async def replay(name: str, conn: Connection, sb: Sandbox) -> int:
    """Replay one connection; returns the number of server frames checked."""
    version, checked = VERSIONS[name], 0
    legacy = conn.path == "/websocket"
    ids: dict[str, str] = {}  # captured subscription id -> the one the sandbox returned
    ws = await connect(f"ws://127.0.0.1:{sb.port}{conn.path}", open_timeout=WAIT)
    for step in conn.steps:
        if step.sent is None:
            await ws.close()
            break
        await ws.send(substitute(step.sent, sb, ids))
        if step.server_close is not None:
            code, reason = step.server_close
            await asyncio.to_thread(sb.close_connections, code, reason)
            with pytest.raises(ConnectionClosed):
                await receive(ws, 1)
            assert (ws.close_code, ws.close_reason) == (code, reason)
            return checked
        ours = await receive(ws, len(step.answers))
        method = step.sent.get("method", "")
        for mine, theirs in zip(ours, step.answers, strict=True):
            difference = DIFFERENCES.get((name, method))
            if is_answer(theirs) and difference is not None:
                assert mine.get("id") == theirs.get("id") and difference(mine), mine
            elif is_answer(theirs):
                check_response(mine, theirs, legacy=legacy, version=version)
                if isinstance(theirs.get("result"), str) and UUID.match(theirs["result"]):
                    ids[theirs["result"]] = mine["result"]
            elif theirs.get("msg") in ("connected", "pong", "ready"):
                assert mine.keys() == theirs.keys() and mine["msg"] == theirs["msg"]
            else:
                check_event(mine, theirs, legacy=legacy, version=version)
            checked += 1
        assert_message_ids_first(ours, step.sent, version)
    return checked


def assert_message_ids_first(frames: list[Frame], sent: Frame, version: str) -> None:
    """New-style jobs: an event naming the call id must precede the call's response."""
    call_id = sent.get("id")
    positions = [i for i, f in enumerate(frames) if is_answer(f) and f.get("id") == call_id]
    if not positions or version != "25.10":
        return
    before = frames[: positions[0]]
    job_frames = [f for f in before if f.get("method") == "collection_update"]
    if job_frames:
        assert call_id in job_frames[0]["params"]["fields"]["message_ids"]
        assert job_frames[-1]["params"]["msg"] == "changed"


@pytest.mark.parametrize("name", sorted(VERSIONS))
async def test_capture_replays_with_accepted_shapes(
    make_sandbox: MakeSandbox, test_methods: Extend, name: str
) -> None:
    sb = make_sandbox(VERSIONS[name], extend=extension(name, test_methods))
    checked = expected = 0
    for conn in load(name):
        if conn.path == "/api/v26.0.0":  # a 25.10 NAS has no 26.0 endpoint: the client gets 404
            with pytest.raises(InvalidStatus) as info:
                await connect(f"ws://127.0.0.1:{sb.port}{conn.path}", open_timeout=WAIT)
            assert info.value.response.status_code == 404
            continue
        checked += await replay(name, conn, sb)
        expected += sum(len(step.answers) for step in conn.steps)
    assert checked == expected > 0


def test_every_capture_is_replayed() -> None:
    assert sorted(p.stem for p in CAPTURES.glob("*.jsonl")) == sorted(VERSIONS)
