"""Subscriptions as async iterators, against the sandbox; the routing table without one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from scale_pilot_nb.errors import ApiError
from scale_pilot_nb.rpc import CollectionUpdate, Subscription
from scale_pilot_nb.rpc.subscription import SubscriptionTable
from scale_pilot_nb.sandbox import Sandbox

from .conftest import SourceLog, client_for, eventually


async def test_subscription_ends_cleanly_when_the_source_ends(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        events = [event async for event in client.subscribe('test.count:{"n": 3}')]
    assert [e.fields for e in events] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert all(isinstance(e, CollectionUpdate) for e in events)
    assert {e.collection for e in events} == {'test.count:{"n": 3}'}


async def test_leaving_the_loop_unsubscribes(sandbox: Sandbox, source_log: SourceLog) -> None:
    async with client_for(sandbox) as client:
        async for event in client.subscribe("test.forever"):
            if event.fields["n"] == 2:
                break
        await eventually(lambda: source_log.closed == ["test.forever"])
        # The connection is still fine, and a new subscription to the same name works.
        async with client.subscribe("test.forever") as again:
            first = await anext(aiter(again))
        assert first.fields == {"n": 0}


async def test_subscription_error_is_raised_from_the_loop(sandbox: Sandbox) -> None:
    received = []
    async with client_for(sandbox) as client:
        with pytest.raises(ApiError) as failure:
            async for event in client.subscribe("test.broken"):
                received.append(event.fields)
    assert received == [{"n": 0}]
    assert failure.value.errname == "EFAULT"
    assert "Apps are not available" in (failure.value.reason or "")


async def test_app_events_survive_a_reconnect(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        name = (await client.call("app.query", [["state", "=", "RUNNING"]]))[0]["name"]
        async with client.subscribe("app.query") as events:
            await asyncio.to_thread(sandbox.close_connections)
            await eventually(lambda: client.stats.reconnects == 1)
            await client.call_job("app.stop", name)
            async for event in events:
                if event.id == name and (event.fields or {}).get("state") == "STOPPED":
                    break
        assert client.stats.reconnects == 1


async def _numbers(events: AsyncIterator[CollectionUpdate], count: int) -> list[int]:
    """The next ``count`` numbers (leaving an ``async for`` would close the subscription)."""
    return [(await anext(events)).fields["n"] for _ in range(count)]


async def test_two_local_subscribers_share_one_server_subscription(
    sandbox: Sandbox, source_log: SourceLog
) -> None:
    """The NAS sends an event source's items once per subscription id, by name only: two
    server subscriptions would give each local subscriber every item twice."""
    async with client_for(sandbox) as client:
        first, second = client.subscribe("test.forever"), client.subscribe("test.forever")
        a_events = aiter(first)
        a = await _numbers(a_events, 5)
        b_events = aiter(second)
        await second.start()
        assert sandbox.metrics.requests["core.subscribe"] - 1 == 1  # and core.get_jobs
        a += await _numbers(a_events, 20)
        b = await _numbers(b_events, 10)
        assert len(set(a)) == len(a) and len(set(b)) == len(b)
        assert b[0] >= 5  # joined the running subscription: no replay, as on the NAS
        await second.aclose()
        more = await _numbers(a_events, 10)  # the first lives on
        assert more[0] == a[-1] + 1 and source_log.closed == []
        await first.aclose()
        await eventually(lambda: source_log.closed == ["test.forever"])


async def test_a_shared_subscription_is_renewed_once_after_a_reconnect(
    sandbox: Sandbox,
) -> None:
    async with (
        client_for(sandbox) as client,
        client.subscribe("test.forever") as one,
        client.subscribe("test.forever") as two,
    ):
        one_events, two_events = aiter(one), aiter(two)
        await _numbers(one_events, 1)
        subscribes = sandbox.metrics.requests["core.subscribe"]
        await asyncio.to_thread(sandbox.close_connections)
        await eventually(lambda: client.stats.reconnects == 1)
        assert sandbox.metrics.requests["core.subscribe"] - subscribes == 2  # + jobs
        assert one.subscription_id == two.subscription_id is not None
        after = await _numbers(two_events, 30)
        restart = len(after) - 1 - after[::-1].index(0)  # the renewed source began anew
        fresh = after[restart:]
        assert fresh == list(range(len(fresh))) and len(fresh) > 10  # each item once


class _Offline:
    """A host that subscribes nowhere: events reach the subscriptions only via the table."""

    def __init__(self) -> None:
        self.closed: list[str] = []

    async def _open_subscription(self, subscription: Subscription) -> None:
        return None

    async def _close_subscription(self, subscription: Subscription) -> None:
        self.closed.append(subscription.name)


def _update(collection: str, n: int) -> CollectionUpdate:
    return CollectionUpdate(collection, "added", None, {"n": n})


async def test_table_routes_by_exact_name_and_bounds_the_queue() -> None:
    table = SubscriptionTable()
    stats = Subscription(_Offline(), "app.stats", max_queue=2)
    other = Subscription(_Offline(), 'app.stats:{"interval": 5}')
    table.join(stats)
    table.join(other)
    dropped = sum(table.deliver(_update("app.stats", n)) for n in range(3))
    assert (dropped, stats.dropped, other.dropped) == (1, 1, 0)
    table.ended("app.stats", None)
    assert [e.fields["n"] async for e in stats] == [1, 2]  # the oldest was dropped
    assert table.established() == []  # neither got a server id
    table.join(other).opened("server-id")
    assert [shared.name for shared in table.established()] == [other.name]
    assert other.subscription_id == "server-id"


async def test_an_expected_end_does_not_end_a_peer() -> None:
    table = SubscriptionTable()
    peer = Subscription(_Offline(), "app.query")
    await peer.start()
    table.join(peer)
    table.expect_end("app.query")  # another subscription to app.query is being closed
    table.ended("app.query", None)
    assert peer.active
    table.unexpect_end("app.query")
    table.ended("app.query", ApiError("gone"))
    with pytest.raises(ApiError, match="gone"):
        await anext(aiter(peer))


async def test_leaving_a_loop_closes_through_the_host() -> None:
    host = _Offline()
    subscription = Subscription(host, "app.query")
    table = SubscriptionTable()
    table.join(subscription)
    table.deliver(_update("app.query", 0))
    async with subscription:
        async for _ in subscription:
            break
    assert host.closed == ["app.query"] and not subscription.active
