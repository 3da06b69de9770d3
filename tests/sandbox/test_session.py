"""Subscriptions: event sources with arguments, collections, ``*``, unsubscribe and logout."""

from __future__ import annotations

from collections.abc import Callable

from sandbox_frames import Frame, Raw

from scale_pilot_nb.sandbox import Sandbox

MakeSandbox = Callable[..., Sandbox]


def notification(method: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("method") == method


async def logged_in(sb: Sandbox) -> Raw:
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    return raw


async def test_source_items_use_the_full_subscribed_name(make_sandbox: MakeSandbox) -> None:
    raw = await logged_in(make_sandbox())
    name = 'test.source:{"x": 1}'
    sub_id = await raw.result("core.subscribe", name)
    frames = [await raw.next() for _ in range(3)]
    assert [f["params"] for f in frames] == [
        {"msg": "added", "collection": name, "fields": {"n": n}} for n in range(3)
    ]
    call_id, frame = raw.request("core.unsubscribe", sub_id)
    await raw.send(frame)
    first, second = await raw.next(), await raw.next()
    assert first == {
        "jsonrpc": "2.0",
        "method": "notify_unsubscribed",
        "params": {"collection": name, "error": None},
    }
    assert second == {"jsonrpc": "2.0", "result": None, "id": call_id}


async def test_source_end_and_args_reach_the_source(make_sandbox: MakeSandbox) -> None:
    raw = await logged_in(make_sandbox())
    name = 'test.finite:{"count": 1}'
    await raw.result("core.subscribe", name)
    frames = await raw.until(notification("notify_unsubscribed"))
    assert frames[0]["params"]["fields"] == {"n": 0, "arg": {"count": 1}}
    assert frames[-1]["params"] == {"collection": name, "error": None}


async def test_source_error_ends_subscription_with_error_object(
    make_sandbox: MakeSandbox,
) -> None:
    raw = await logged_in(make_sandbox())
    await raw.result("core.subscribe", "test.failing")
    frames = await raw.until(notification("notify_unsubscribed"))
    assert frames[-1]["params"]["error"] == {
        "error": 14,
        "errname": "EFAULT",
        "reason": "[EFAULT] Apps are not available",
        "trace": None,
        "extra": None,
    }


async def test_source_bad_json_args_end_with_einval(make_sandbox: MakeSandbox) -> None:
    raw = await logged_in(make_sandbox())
    await raw.result("core.subscribe", "test.finite:{nope")
    frames = await raw.until(notification("notify_unsubscribed"))
    assert frames[-1]["params"]["error"]["error"] == 22


async def test_star_subscription_gets_collection_events(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    await raw.result("core.subscribe", "*")
    await raw.result("core.set_options", {"legacy_jobs": False})
    await raw.call("test.job")
    collections = {f["params"]["collection"] for f in raw.inbox if "params" in f}
    assert collections == {"core.get_jobs"}


async def test_unsubscribed_collection_stops_delivery(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    await raw.result("core.set_options", {"legacy_jobs": False})
    sub_id = await raw.result("core.subscribe", "core.get_jobs")
    assert await raw.result("core.unsubscribe", sub_id) is None
    await raw.call("test.job")
    assert raw.inbox == []


async def test_logout_ends_subscriptions(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    await raw.result("core.set_options", {"legacy_jobs": False})
    await raw.result("core.subscribe", "core.get_jobs")
    await raw.result("auth.logout")
    other = await logged_in(sb)
    await other.result("core.set_options", {"legacy_jobs": False})
    await other.result("test.job")
    assert await raw.result("auth.login_with_api_key", sb.api_key) is True
    assert raw.inbox == []


async def test_closing_a_connection_cancels_its_sources_not_its_jobs(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    await raw.result("core.subscribe", "test.source")
    job_id = await raw.result("test.job_forever")
    await raw.close()
    watcher = await logged_in(sb)
    jobs = await watcher.result("core.get_jobs", [["id", "=", job_id]])
    assert jobs[0]["state"] == "RUNNING"
    assert sb.metrics.open_connections == 1


async def test_model_collection_events_reach_subscribers(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await logged_in(sb)
    await raw.result("core.set_options", {"legacy_jobs": False})
    await raw.result("core.subscribe", "app.query")
    compose = "services:\n  web:\n    image: nginx:1.27\n"
    payload = {"app_name": "web", "custom_app": True, "custom_compose_config_string": compose}
    await raw.result("app.create", payload)
    events = [f["params"] for f in raw.inbox if f.get("method") == "collection_update"]
    assert events and {e["collection"] for e in events} == {"app.query"}
    assert events[0]["msg"] == "added" and events[0]["id"] == "web"
    assert events[-1]["fields"]["name"] == "web"
    await raw.result("app.delete", "web")
    removed = await raw.until(lambda f: f.get("params", {}).get("msg") == "removed")
    assert removed[-1]["params"] == {"msg": "removed", "collection": "app.query", "id": "web"}
