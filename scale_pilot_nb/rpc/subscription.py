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
from collections.abc import AsyncIterator
from enum import Enum
from types import TracebackType
from typing import Protocol

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.rpc.events import CollectionUpdate

__all__ = ["DEFAULT_MAX_QUEUE", "Subscription", "SubscriptionHost", "SubscriptionTable"]

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


class SubscriptionTable:
    """The live subscriptions of one client, keyed by subscription name (sans-I/O).

    Events are routed by ``collection``, which the server sets to the name exactly as
    subscribed. When two subscriptions share a name and one is closed, the server's
    ``notify_unsubscribed`` for that name is expected and must not end the other one (nor a new
    subscription to the same name opened meanwhile).
    """

    def __init__(self) -> None:
        self._by_name: dict[str, list[Subscription]] = {}
        self._expected_ends: dict[str, int] = {}

    def add(self, subscription: Subscription) -> None:
        """Start routing events of ``subscription.name`` to ``subscription``."""
        self._by_name.setdefault(subscription.name, []).append(subscription)

    def remove(self, subscription: Subscription) -> None:
        """Stop routing to ``subscription``."""
        peers = self._by_name.get(subscription.name, [])
        if subscription in peers:
            peers.remove(subscription)
        if not peers:
            self._by_name.pop(subscription.name, None)

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
        dropped = 0
        for subscription in self._by_name.get(update.collection, ()):
            before = subscription.dropped
            subscription.deliver(update)
            dropped += subscription.dropped - before
        return dropped

    def ended(self, name: str, error: TrueNASError | None) -> None:
        """The server ended ``name``: end its subscriptions (unless the end was expected)."""
        if self._expected_ends.get(name):
            self._expected_ends[name] -= 1
            return
        for subscription in self._by_name.pop(name, []):
            subscription.end(error)

    def established(self) -> list[Subscription]:
        """Subscriptions that hold a server id (to renew after a reconnect)."""
        return [
            subscription
            for peers in self._by_name.values()
            for subscription in peers
            if subscription.subscription_id is not None
        ]

    def new_connection(self) -> None:
        """A new connection has no pending unsubscribes."""
        self._expected_ends.clear()

    def end_all(self, error: TrueNASError | None = None) -> None:
        """End every subscription (client closed, or reconnecting gave up)."""
        for peers in list(self._by_name.values()):
            for subscription in peers:
                subscription.end(error)
        self._by_name.clear()
