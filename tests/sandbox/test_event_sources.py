"""Event sources are shared per ``name:arg`` text across connections, as in the middleware.

``common/event_source/manager.py`` of TS-24.10.2.4, TS-25.04.2.6 and TS-25.10.5 keeps one
instance per source and argument text, sends each item once per subscriber id and gives a
late subscriber no replay; collection events reach a connection once however many of its
subscriptions match (see ``scale_pilot_nb/sandbox/events.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sandbox_frames import Frame, Raw

from scale_pilot_nb.sandbox import Sandbox

MakeSandbox = Callable[..., Sandbox]
TICKER = 'test.ticker:{"every": 0.02}'


async def logged_in(sb: Sandbox) -> Raw:
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    return raw


def items(frames: list[Frame], name: str) -> list[Any]:
    return [
        f["params"]["fields"]["n"]
        for f in frames
        if f.get("method") == "collection_update" and f["params"]["collection"] == name
    ]


async def collect(raw: Raw, seconds: float) -> list[Frame]:
    """Everything arriving within ``seconds`` (plus what waited in the inbox)."""
    frames, raw.inbox = raw.inbox, []
    loop = asyncio.get_running_loop()
    ends = loop.time() + seconds
    while (left := ends - loop.time()) > 0:
        try:
            frames.append(await asyncio.wait_for(raw.next(), left))
        except TimeoutError:
            break
    return frames


async def test_two_subscriptions_on_one_connection_get_each_item_twice(
    make_sandbox: MakeSandbox,
) -> None:
    raw = await logged_in(make_sandbox())
    await raw.result("core.subscribe", TICKER)
    await raw.result("core.subscribe", TICKER)
    got = items(await collect(raw, 0.3), TICKER)
    later = [n for n in got if n >= got[-1] - 3][:-2]  # items both were subscribed for
    assert later and all(got.count(n) == 2 for n in later)


async def test_a_late_subscriber_joins_the_running_instance_without_replay(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox()
    first, late = await logged_in(sb), await logged_in(sb)
    name, spaced = "test.source:{}", "test.source: {}"
    await first.result("core.subscribe", name)
    frames = await first.until(lambda f: f.get("params", {}).get("fields") == {"n": 2})
    assert items(frames, name) == [0, 1, 2]
    await late.result("core.subscribe", name)
    assert items(await collect(late, 0.2), name) == []
    await late.result("core.subscribe", spaced)  # the same arguments spelt otherwise
    assert items(await collect(late, 0.2), spaced) == [0, 1, 2]


async def test_unsubscribing_one_keeps_the_instance_for_the_others(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox()
    a, b = await logged_in(sb), await logged_in(sb)
    a_id = await a.result("core.subscribe", TICKER)
    await b.result("core.subscribe", TICKER)
    call_id, frame = a.request("core.unsubscribe", a_id)
    await a.send(frame)
    frames = await a.until(lambda f: f.get("id") == call_id)
    assert frames[-2]["params"] == {"collection": TICKER, "error": None}
    assert items(await collect(a, 0.1), TICKER) == []
    await a.close()  # a second connection gone changes nothing either
    got = items(await collect(b, 0.2), TICKER)
    assert len(got) >= 3 and got == list(range(got[0], got[0] + len(got)))


async def test_the_last_subscriber_leaving_cancels_the_instance(
    make_sandbox: MakeSandbox,
) -> None:
    raw = await logged_in(make_sandbox())
    sub_id = await raw.result("core.subscribe", TICKER)
    await raw.until(lambda f: f.get("params", {}).get("fields") == {"n": 3})
    await raw.result("core.unsubscribe", sub_id)
    raw.inbox.clear()
    await raw.result("core.subscribe", TICKER)
    assert items(await collect(raw, 0.1), TICKER)[0] == 0  # a new instance


async def test_a_source_ending_by_itself_tells_every_subscriber(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox()
    a, b = await logged_in(sb), await logged_in(sb)
    name = 'test.ticker:{"count": 10, "every": 0.05}'
    await a.result("core.subscribe", name)
    await b.result("core.subscribe", name)
    for raw in (a, b):
        frames = await raw.until(lambda f: f.get("method") == "notify_unsubscribed")
        assert frames[-1]["params"] == {"collection": name, "error": None}
        assert items(frames, name)[-1] == 9


async def test_collection_events_reach_a_connection_once_however_many_subscriptions(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox()
    once, thrice = await logged_in(sb), await logged_in(sb)
    await once.result("core.subscribe", "core.get_jobs")
    for name in ("core.get_jobs", "core.get_jobs", "*"):
        await thrice.result("core.subscribe", name)
    await thrice.result("test.job")

    def done(frame: Frame) -> bool:
        return frame.get("params", {}).get("fields", {}).get("state") == "SUCCESS"

    assert await once.until(done) == await thrice.until(done)
