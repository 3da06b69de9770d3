"""Subscriptions as async iterators.

::

    async for event in client.subscribe("app.stats"):
        ...                      # CollectionUpdate values, in arrival order
        if enough:
            break                # leaving the loop sends the unsubscribe

The iteration ends by itself when the server ends the subscription (``notify_unsubscribed``
or legacy ``nosub`` without an error); an error from the server (bad event-source arguments,
"Apps are not available") is raised from the loop as a mapped exception. Breaking out of the
loop closes the subscription as soon as the iterator is released (CPython does this at once);
``async with client.subscribe(...) as events:`` makes the close explicit and immediate.

Events are buffered per subscription up to ``max_queue``; when a consumer falls that far
behind, the oldest events are dropped (counted in ``dropped``) rather than letting memory grow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import Enum
from types import TracebackType
from typing import Protocol

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.rpc.events import CollectionUpdate

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "SharedSubscription",
    "Subscription",
    "SubscriptionHost",
    "SubscriptionTable",
]

logger = logging.getLogger(__name__)

#: Events buffered per subscription before the oldest are dropped.
DEFAULT_MAX_QUEUE = 1000


class _End(Enum):
    END = "END"


class SubscriptionHost(Protocol):
    """The client side a subscription needs (implemented by ``RpcClient``)."""

    async def _open_subscription(self, subscription: Subscription) -> None:
        """Register ``subscription`` and subscribe on the server; raises on refusal."""

    async def _close_subscription(self, subscription: Subscription) -> None:
        """Unregister ``subscription`` and unsubscribe on the server; never raises."""


class Subscription:
    """Events of one subscription (``app.stats``, ``app.query``, ``source:{json}`` …).

    Created by ``RpcClient.subscribe``; nothing is sent until iteration (or ``async with``)
    starts. After a reconnect the client subscribes again under a new id; events sent while
    the connection was down are lost.

    Attributes:
        name: the subscription string as sent.
        subscription_id: the id of the live subscription (``None`` before it starts).
        dropped: events discarded because the consumer fell behind.
    """

    def __init__(
        self, host: SubscriptionHost, name: str, *, max_queue: int = DEFAULT_MAX_QUEUE
    ) -> None:
        self.name = name
        self.subscription_id: str | None = None
        self.dropped = 0
        self._host = host
        self._max_queue = max_queue
        self._queue: asyncio.Queue[CollectionUpdate | TrueNASError | _End] = asyncio.Queue()
        self._started = False
        self._finished = False

    def __repr__(self) -> str:
        state = "finished" if self._finished else "active" if self._started else "new"
        return f"Subscription({self.name!r}, {state})"

    @property
    def active(self) -> bool:
        """True between a successful start and the end of the subscription."""
        return self._started and not self._finished

    async def start(self) -> None:
        """Subscribe on the server; idempotent.

        Raises:
            TrueNASError: the server refused (``ApiError`` for EACCES …) or the client is closed.
        """
        if self._started:
            return
        self._started = True
        try:
            await self._host._open_subscription(self)
        except BaseException:
            self._finished = True
            raise

    async def aclose(self) -> None:
        """End the subscription and send the unsubscribe; idempotent, never raises."""
        if self._finished:
            return
        self._finish(_End.END)
        if self._started:
            await self._host._close_subscription(self)

    async def __aenter__(self) -> Subscription:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[CollectionUpdate]:
        return self._events()

    async def _events(self) -> AsyncIterator[CollectionUpdate]:
        try:
            await self.start()
            while not (self._finished and self._queue.empty()):
                item = await self._queue.get()
                if item is _End.END:
                    return
                if isinstance(item, TrueNASError):
                    raise item
                yield item
        finally:
            await self.aclose()

    # -- called by the client -----------------------------------------------------------

    def deliver(self, update: CollectionUpdate) -> None:
        """Queue one event, dropping the oldest when the consumer is ``max_queue`` behind."""
        if self._finished:
            return
        if self._queue.qsize() >= self._max_queue:
            self._queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1:
                logger.warning("subscription %s: consumer too slow, dropping events", self.name)
        self._queue.put_nowait(update)

    def end(self, error: TrueNASError | None = None) -> None:
        """The server or the client ended the subscription; the loop stops (or raises)."""
        if not self._finished:
            self._finish(error if error is not None else _End.END)

    def _finish(self, last: TrueNASError | _End) -> None:
        self._finished = True
        self._queue.put_nowait(last)


class SharedSubscription:
    """One subscription on the server and the local subscriptions it feeds.

    Attributes:
        name: the subscription string as sent.
        server_id: the id the server gave it (``None`` until ``core.subscribe`` answers).
        members: the local subscriptions, in the order they joined.
        opening: set while one member's ``core.subscribe`` is under way; the others wait on it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.server_id: str | None = None
        self.members: list[Subscription] = []
        self.opening: asyncio.Future[None] | None = None

    def opened(self, server_id: str) -> None:
        """The server named the subscription (first time, or again after a reconnect)."""
        self.server_id = server_id
        for member in self.members:
            member.subscription_id = server_id


class SubscriptionTable:
    """The live subscriptions of one client, keyed by subscription name (sans-I/O).

    Local subscriptions to the same name share one server subscription, opened by the first
    and closed when the last leaves. The middleware keeps one event-source instance per
    ``name:arg`` and sends each item once per subscriber id
    (``common/event_source/manager.py``: ``subscribe`` re-uses the instance, ``_send_event``
    loops over the subscriber ids; lines 112-134 and 165 in TS-24.10.2.4, 97-119 and 150 in
    TS-25.04.2.6, 97-119 and 152 in TS-25.10.5), and events carry only the name: two server
    subscriptions would hand every local subscriber each item twice. A member that joins a
    running subscription gets what comes from then on, as a late subscriber on the NAS does.

    Events are routed by ``collection``, which the server sets to the name exactly as
    subscribed. When the last member leaves, the server's ``notify_unsubscribed`` for that
    name is expected and must not end a new subscription to the same name opened meanwhile.
    """

    def __init__(self) -> None:
        self._by_name: dict[str, SharedSubscription] = {}
        self._expected_ends: dict[str, int] = {}

    def join(self, subscription: Subscription) -> SharedSubscription:
        """Route events of ``subscription.name`` to ``subscription`` too; returns the shared
        subscription it belongs to (new, being opened, or running)."""
        shared = self._by_name.get(subscription.name)
        if shared is None:
            shared = self._by_name[subscription.name] = SharedSubscription(subscription.name)
        if subscription not in shared.members:
            shared.members.append(subscription)
        return shared

    async def join_or_open(
        self,
        subscription: Subscription,
        open_on_server: Callable[[SharedSubscription], Awaitable[str]],
    ) -> None:
        """Join the server subscription of ``subscription.name``, opening it if none runs.

        While one member's ``open_on_server`` is under way the others wait for it; if it
        fails, the next waiting member tries on its own (and gets its own refusal).
        """
        shared = self.join(subscription)
        try:
            while shared.server_id is None:
                if shared.opening is not None:
                    await asyncio.shield(shared.opening)
                    continue
                opening = shared.opening = asyncio.get_running_loop().create_future()
                try:
                    shared.opened(await open_on_server(shared))
                finally:
                    shared.opening = None
                    opening.set_result(None)
            subscription.subscription_id = shared.server_id
        except BaseException:
            self.remove(subscription)
            raise

    def remove(self, subscription: Subscription) -> str | None:
        """Stop routing to ``subscription``; returns the server id to unsubscribe when it was
        the last member of a running subscription, else ``None``."""
        shared = self._by_name.get(subscription.name)
        if shared is None or subscription not in shared.members:
            return None
        shared.members.remove(subscription)
        if shared.members:
            return None
        del self._by_name[subscription.name]
        return shared.server_id

    def expect_end(self, name: str) -> None:
        """An unsubscribe of ``name`` is under way: its ``notify_unsubscribed`` ends nothing else.

        Call :meth:`unexpect_end` once the unsubscribe is acknowledged.
        """
        self._expected_ends[name] = self._expected_ends.get(name, 0) + 1

    def unexpect_end(self, name: str) -> None:
        """The unsubscribe of ``name`` is acknowledged: a later end is the server's own."""
        if self._expected_ends.get(name):
            self._expected_ends[name] -= 1

    def deliver(self, update: CollectionUpdate) -> int:
        """Queue ``update`` for its subscriptions; returns how many events were dropped."""
        shared = self._by_name.get(update.collection)
        dropped = 0
        for subscription in shared.members if shared is not None else ():
            before = subscription.dropped
            subscription.deliver(update)
            dropped += subscription.dropped - before
        return dropped

    def ended(self, name: str, error: TrueNASError | None) -> None:
        """The server ended ``name``: end its subscriptions (unless the end was expected)."""
        if self._expected_ends.get(name):
            self._expected_ends[name] -= 1
            return
        shared = self._by_name.pop(name, None)
        for subscription in shared.members if shared is not None else ():
            subscription.end(error)

    def established(self) -> list[SharedSubscription]:
        """Shared subscriptions that hold a server id (to renew, once each, after a reconnect)."""
        return [shared for shared in self._by_name.values() if shared.server_id is not None]

    def drop(self, shared: SharedSubscription, error: TrueNASError | None) -> None:
        """End ``shared``'s members (the server refused to renew it, or its source ended),
        and route its name no more unless a newer subscription of that name replaced it."""
        if self._by_name.get(shared.name) is shared:
            del self._by_name[shared.name]
        for subscription in shared.members:
            subscription.end(error)

    def new_connection(self) -> None:
        """A new connection has no pending unsubscribes."""
        self._expected_ends.clear()

    def end_all(self, error: TrueNASError | None = None) -> None:
        """End every subscription (client closed, or reconnecting gave up)."""
        for shared in list(self._by_name.values()):
            for subscription in shared.members:
                subscription.end(error)
        self._by_name.clear()
