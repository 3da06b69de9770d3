"""The sans-I/O protocol core: exact frames out, captured server frames in. No network."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scale_pilot_nb.errors import ApiError
from scale_pilot_nb.rpc.events import (
    CollectionUpdate,
    Connected,
    HandshakeRefused,
    JobUpdate,
    Result,
    RpcError,
    Unsubscribed,
)
from scale_pilot_nb.rpc.protocol import (
    Dialect,
    JsonRpcProtocol,
    LegacyProtocol,
    RpcProtocol,
    protocol_for,
)

from .captures import client_frames, server_frames


def _ids(*ids: str) -> Iterator[str]:
    yield from ids


def _with_ids(cls: type[RpcProtocol], *ids: str) -> RpcProtocol:
    source = _ids(*ids)
    return cls(id_factory=lambda: next(source))


# -- frames out: byte-for-byte what the official client sends ------------------------------


@pytest.mark.parametrize("capture", ["cap-2504", "cap-2510", "cap-master"])
def test_jsonrpc_calls_equal_the_official_clients_frames(capture: str) -> None:
    compared = 0
    for frame in client_frames(capture):
        message = frame.message
        protocol = _with_ids(JsonRpcProtocol, str(message["id"]))
        params = message["params"]
        assert isinstance(params, list)
        if message["method"] == "core.subscribe":
            request_id, text = protocol.subscribe(params[0])
        elif message["method"] == "core.unsubscribe":
            request_id, text = protocol.unsubscribe(params[0])  # type: ignore[assignment]
        else:
            request_id, text = protocol.call(str(message["method"]), params)
        assert (request_id, text) == (message["id"], frame.text)
        compared += 1
    assert compared >= 10


def test_legacy_frames_equal_the_official_24_10_clients_frames() -> None:
    captured = [f for f in client_frames("cap-2410") if f.message["msg"] != "ping"]
    connect, *rest = captured
    assert LegacyProtocol().opening_frames() == [connect.text]
    for frame in rest:
        message = frame.message
        protocol = _with_ids(LegacyProtocol, str(message["id"]))
        if message["msg"] == "method":
            params = message["params"]
            assert isinstance(params, list)
            assert protocol.call(str(message["method"]), params) == (message["id"], frame.text)
        elif message["msg"] == "sub":
            assert protocol.subscribe(str(message["name"])) == (message["id"], frame.text)
        else:
            assert message["msg"] == "unsub"
            assert protocol.unsubscribe(str(message["id"])) == (None, frame.text)


def test_jsonrpc_has_no_opening_frames_and_legacy_subscription_ids_are_ours() -> None:
    assert JsonRpcProtocol().opening_frames() == []
    request_id, text = _with_ids(LegacyProtocol, "sub-1").subscribe("app.stats")
    assert request_id == "sub-1"
    assert json.loads(text) == {"msg": "sub", "id": "sub-1", "name": "app.stats"}


def test_default_ids_are_unique_uuid4_strings() -> None:
    protocol = JsonRpcProtocol()
    ids = {protocol.call("core.ping")[0] for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 36 and i.count("-") == 4 for i in ids)


@pytest.mark.parametrize("cls", [JsonRpcProtocol, LegacyProtocol])
def test_parameters_without_a_json_form_are_a_typed_error(cls: type[RpcProtocol]) -> None:
    circular: list[object] = []
    circular.append(circular)
    for bad in (object(), circular):
        with pytest.raises(ApiError) as refused:
            cls().call("app.create", [{"app_name": "x", "values": bad}])
        assert refused.value.errname == "EINVAL" and refused.value.hint
        assert refused.value.message.startswith("app.create: ")


def test_an_impossible_date_in_a_result_still_answers_the_call() -> None:
    frame = '{"jsonrpc": "2.0", "result": {"$date": 1e20}, "id": "a"}'
    assert JsonRpcProtocol().feed(frame) == [Result("a", {"$date": 1e20})]


def test_protocol_for_picks_the_dialect() -> None:
    assert isinstance(protocol_for(Dialect.JSONRPC), JsonRpcProtocol)
    assert isinstance(protocol_for(Dialect.LEGACY), LegacyProtocol)


# -- frames in: every captured server frame is understood ---------------------------------


@pytest.mark.parametrize(
    ("capture", "cls"),
    [
        ("cap-2410", LegacyProtocol),
        ("cap-2504", JsonRpcProtocol),
        ("cap-2510", JsonRpcProtocol),
        ("cap-master", JsonRpcProtocol),
    ],
)
def test_every_captured_server_frame_parses(capture: str, cls: type[RpcProtocol]) -> None:
    protocol = cls()
    answered = [f for f in server_frames(capture) if '"msg": "pong"' not in f.text]
    events = [e for frame in server_frames(capture) for e in protocol.feed(frame.text)]
    assert protocol.ignored_frames == 0
    assert len(events) >= len(answered)


def test_jsonrpc_result_error_and_job_events_from_the_25_10_capture() -> None:
    protocol = JsonRpcProtocol()
    events = [e for f in server_frames("cap-2510") for e in protocol.feed(f.text)]
    assert events[0] == Result(
        "00114b10-f034-4aac-b4c4-2ed09a8da31e",
        {"legacy_jobs": False, "private_methods": False, "py_exceptions": False},
    )
    not_authenticated = events[1]
    assert isinstance(not_authenticated, RpcError)
    assert not_authenticated.error.code == -32001
    assert not_authenticated.error.errno == 207
    assert not_authenticated.error.errname == "ENOTAUTHENTICATED"
    assert not_authenticated.error.trace_class == "CallError"

    jobs = [e for e in events if isinstance(e, JobUpdate)]
    assert [(j.job_id, j.msg, j.fields["state"]) for j in jobs[:4]] == [
        (100, "added", "WAITING"),
        (100, "changed", "RUNNING"),
        (100, "changed", "RUNNING"),
        (100, "changed", "SUCCESS"),
    ]
    assert jobs[0].message_ids == ("31af1c00-374c-4f0f-8f97-f2b1880bb6e6",)
    assert jobs[3].fields["result"] == {"done": True}

    validation = next(e for e in events if isinstance(e, RpcError) and e.error.code == -32602)
    assert validation.error.validation
    assert validation.error.extra == [["test.validation.name", "Field required", 22]]
    assert validation.error.trace_class == "ValidationErrors"

    no_method = next(e for e in events if isinstance(e, RpcError) and e.error.code == -32601)
    assert no_method.error.message == "Method does not exist"
    assert no_method.error.errno is None

    source = [e for e in events if isinstance(e, CollectionUpdate)]
    assert [(s.collection, s.msg, s.fields) for s in source] == [
        ('test.source:{"x": 1}', "added", {"n": n}) for n in range(3)
    ]
    assert Unsubscribed('test.source:{"x": 1}', None) in events


def test_failed_job_event_keeps_exc_info() -> None:
    protocol = JsonRpcProtocol()
    events = [e for f in server_frames("cap-2510") for e in protocol.feed(f.text)]
    failed = [e for e in events if isinstance(e, JobUpdate) and e.fields["state"] == "FAILED"]
    assert len(failed) == 1
    assert failed[0].fields["exc_info"]["type"] == "CallError"
    assert failed[0].fields["error"] == "[EFAULT] boom"


def test_ejson_dates_are_decoded_inside_frames() -> None:
    protocol = JsonRpcProtocol()
    events = [e for f in server_frames("cap-2510") for e in protocol.feed(f.text)]
    job = next(e for e in events if isinstance(e, JobUpdate))
    assert job.fields["time_started"].year == 2025


def test_legacy_frames_from_the_24_10_capture() -> None:
    protocol = LegacyProtocol()
    events = [e for f in server_frames("cap-2410") for e in protocol.feed(f.text)]
    assert events[0] == Connected("75bdc415-91d7-4a16-ac49-03afc1c214c0")
    ready = Result("8682b4f9-b3fb-4411-8c8a-d765f9d298a3", "8682b4f9-b3fb-4411-8c8a-d765f9d298a3")
    assert ready in events
    jobs = [e for e in events if isinstance(e, JobUpdate)]
    assert [j.fields["state"] for j in jobs] == ["WAITING", "RUNNING", "RUNNING", "SUCCESS"]
    validation = next(e for e in events if isinstance(e, RpcError) and e.error.validation)
    assert validation.error.errno == 11  # EAGAIN on the legacy endpoint
    assert validation.error.reason == "[EINVAL] test.name: Field required\n"
    assert validation.error.code is None
    assert validation.error.extra == [["test.name", "Field required", 22]]


def test_legacy_handshake_refusal_and_nosub() -> None:
    protocol = LegacyProtocol()
    assert protocol.feed('{"msg": "failed", "version": "1"}') == [HandshakeRefused("1")]
    ended = protocol.feed(
        '{"msg": "nosub", "collection": "app.stats", "error": '
        '{"error": 22, "errname": "EINVAL", "reason": "[EINVAL] bad", "trace": null, '
        '"extra": [["app.stats.interval", "bad", 22]]}}'
    )
    assert len(ended) == 1 and isinstance(ended[0], Unsubscribed)
    assert ended[0].error is not None and ended[0].error.errno == 22


def test_notify_unsubscribed_with_an_error_object() -> None:
    frame = (
        '{"jsonrpc": "2.0", "method": "notify_unsubscribed", "params": {"collection": '
        '"app.stats", "error": {"error": 14, "errname": "EFAULT", '
        '"reason": "[EFAULT] Apps are not available", "trace": null, "extra": null}}}'
    )
    (event,) = JsonRpcProtocol().feed(frame)
    assert isinstance(event, Unsubscribed)
    assert event.error is not None and event.error.reason == "[EFAULT] Apps are not available"


def test_connection_wide_error_has_no_id() -> None:
    frame = '{"jsonrpc": "2.0", "error": {"code": -32700, "message": "bad json"}, "id": null}'
    (event,) = JsonRpcProtocol().feed(frame)
    assert isinstance(event, RpcError) and event.id is None and event.error.code == -32700


@pytest.mark.parametrize(
    "frame",
    ["not json", "[1, 2]", '{"jsonrpc": "2.0", "method": "mystery", "params": {}}', '{"msg": "x"}'],
)
def test_unknown_or_malformed_frames_are_ignored_and_counted(frame: str) -> None:
    for protocol in (JsonRpcProtocol(), LegacyProtocol()):
        assert protocol.feed(frame) == []
        assert protocol.ignored_frames == 1


def test_app_query_events_are_collection_updates_not_jobs() -> None:
    frame = (
        '{"jsonrpc": "2.0", "method": "collection_update", "params": {"msg": "removed", '
        '"collection": "app.query", "id": "plex"}}'
    )
    assert JsonRpcProtocol().feed(frame) == [CollectionUpdate("app.query", "removed", "plex")]


# -- robustness: no server frame can make feed() raise ------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["msg", "id", "method", "params", "result", "error", "collection", "fields", "subs"]
            )
            | st.text(max_size=6),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(message=_json, texts=st.text(max_size=40))
def test_feed_never_raises_on_arbitrary_frames(message: object, texts: str) -> None:
    for protocol in (JsonRpcProtocol(), LegacyProtocol()):
        for frame in (json.dumps(message), texts):
            events = protocol.feed(frame)
            assert isinstance(events, list)


_shaped = st.one_of(
    st.fixed_dictionaries(
        {
            "jsonrpc": st.just("2.0"),
            "method": st.sampled_from(["collection_update", "notify_unsubscribed"]),
        },
        optional={
            "params": st.fixed_dictionaries(
                {},
                optional={
                    k: _json for k in ("msg", "collection", "id", "fields", "extra", "error")
                },
            )
        },
    ),
    st.fixed_dictionaries(
        {"jsonrpc": st.just("2.0")}, optional={"id": _json, "result": _json, "error": _json}
    ),
    st.fixed_dictionaries(
        {
            "msg": st.sampled_from(
                ["result", "added", "changed", "removed", "ready", "nosub", "connected", "failed"]
            )
        },
        optional={
            k: _json for k in ("id", "result", "error", "collection", "fields", "subs", "session")
        },
    ),
)


@settings(max_examples=150, deadline=None)
@given(message=_shaped)
def test_feed_never_raises_on_frames_shaped_like_real_ones(message: dict[str, object]) -> None:
    for protocol in (JsonRpcProtocol(), LegacyProtocol()):
        assert isinstance(protocol.feed(json.dumps(message)), list)
