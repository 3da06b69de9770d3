"""Fan-out of collection events (``core.get_jobs``, ``app.query`` …) and of event sources.

:class:`EventHub` is the server's implementation of the contract's ``EventSink``: the model and
the job manager publish, the hub delivers to every session subscribed to that collection (or to
``"*"``). Publishing is safe from any thread; delivery always happens on the server loop.

A collection event reaches a connection once however many of its subscriptions match, as the
middleware's per-connection ``send_event`` only asks whether *any* subscription names the
collection or ``"*"`` (``main.py:287`` in TS-24.10.2.4, ``api/base/server/ws_handler/rpc.py``
151 in TS-25.04.2.6 and 159 in TS-25.10.5, called once per connection by
``Middleware.send_event``). Event sources are different: :class:`SourceHub`.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.sandbox.contract import (
    CallContext,
    CollectionMsg,
    SandboxCallError,
    SandboxValidationErrors,
    SourceSpec,
)
from scale_pilot_nb.sandbox.wire import UnexpectedError, loads

if TYPE_CHECKING:
    from scale_pilot_nb.sandbox.session import Session

#: The subscription name that receives every collection event (but no event-source items).
ALL_EVENTS = "*"


class EventHub:
    """Who is subscribed to what, and delivery of ``collection_update`` events."""

    def __init__(self) -> None:
        self._subscribers: dict[str, dict[Session, set[str]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver on ``loop``; call from the loop's thread before the first publish."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def publish(
        self,
        collection: str,
        msg: CollectionMsg,
        *,
        id: Any,
        fields: dict[str, Any] | None = None,
    ) -> None:
        """Deliver ``collection_update`` to every session subscribed to ``collection``."""
        if self._loop is None:
            return
        if threading.get_ident() == self._loop_thread:
            self._deliver(collection, msg, id, fields)
        else:
            self._loop.call_soon_threadsafe(self._deliver, collection, msg, id, fields)

    def _deliver(
        self, collection: str, msg: CollectionMsg, id: Any, fields: dict[str, Any] | None
    ) -> None:
        targets = set(self._subscribers.get(collection, {}))
        targets.update(self._subscribers.get(ALL_EVENTS, {}))
        for session in targets:
            session.send_event(collection, msg, id, fields)

    def subscribe(self, session: Session, sub_id: str, collection: str) -> None:
        """Start delivering ``collection`` to ``session`` under subscription ``sub_id``."""
        self._subscribers.setdefault(collection, {}).setdefault(session, set()).add(sub_id)

    def unsubscribe(self, session: Session, sub_id: str, collection: str) -> None:
        """Stop subscription ``sub_id``; the session keeps any other subscription."""
        by_session = self._subscribers.get(collection, {})
        ids = by_session.get(session)
        if ids is not None:
            ids.discard(sub_id)
            if not ids:
                del by_session[session]

    def forget(self, session: Session) -> None:
        """Drop every subscription of a closed or logged-out session."""
        for by_session in self._subscribers.values():
            by_session.pop(session, None)


@dataclass
class SourceInstance:
    """One running event source, shared by every subscriber of the same ``name:arg`` text.

    Attributes:
        name: the subscription string as subscribed (the ``collection`` of its events).
        subscribers: ``(session, subscription id)`` pairs, in the order they joined.
        task: the task driving the source's generator.
    """

    name: str
    subscribers: dict[tuple[Session, str], None] = field(default_factory=dict)
    task: asyncio.Task[None] | None = None


class SourceHub:
    """Event-source instances as the middleware's ``EventSourceManager`` keeps them.

    What TS-24.10.2.4, TS-25.04.2.6 and TS-25.10.5 do (``common/event_source/manager.py``,
    lines given as 24.10 / 25.04 / 25.10):

    * one instance per source name and argument *text* (the raw JSON after ``:``, not its
      parsed value), shared by every subscriber on every connection: ``subscribe`` creates it
      only when none runs and otherwise logs "Re-using existing instance" (112-134 /
      97-119 / 97-119). A late subscriber therefore gets no replay: the Docker log stream of
      ``app.container_log_follow`` sends its tail once, to whoever was subscribed then;
    * every item goes to every subscriber id, once per id (``_send_event``, 165 / 150 /
      152): a connection subscribed twice to the same text receives each item twice;
    * a subscriber that unsubscribes is told ``notify_unsubscribed`` at once; the last one
      leaving cancels the instance (``unsubscribe``, 136 / 121 / 121);
    * when the source ends by itself every current subscriber is told, with its error if it
      failed (``_unsubscribe_all``, 175 / 160 / 162, from ``EventSource.process`` in
      ``event.py``);
    * a closed connection drops its subscribers like unsubscribes (``unsubscribe_app``).
    """

    def __init__(self) -> None:
        self._instances: dict[tuple[str, str | None], SourceInstance] = {}

    def subscribe(
        self,
        session: Session,
        sub_id: str,
        spec: SourceSpec,
        raw_arg: str | None,
    ) -> tuple[str, str | None]:
        """Join (or start) the instance of ``spec`` for ``raw_arg``; returns its key."""
        key = (spec.name, raw_arg)
        instance = self._instances.get(key)
        if instance is None:
            name = spec.name if raw_arg is None else f"{spec.name}:{raw_arg}"
            instance = SourceInstance(name)
            self._instances[key] = instance
            coro = self._run(key, instance, spec, session.context(), raw_arg)
            instance.task = asyncio.get_running_loop().create_task(coro)
        instance.subscribers[(session, sub_id)] = None
        return key

    async def _run(
        self,
        key: tuple[str, str | None],
        instance: SourceInstance,
        spec: SourceSpec,
        ctx: CallContext,
        raw_arg: str | None,
    ) -> None:
        error: SandboxCallError | None = None
        try:
            await asyncio.sleep(0)  # the subscription id goes out before the first item
            async for fields in spec.func(ctx, source_arg(instance.name, raw_arg)):
                for session, _ in list(instance.subscribers):
                    session.send_event(instance.name, "added", None, fields)
        except SandboxCallError as exc:
            error = exc
        except Exception as exc:
            error = UnexpectedError(exc)
        # Ended by itself (a cancelled instance never gets here): tell every subscriber.
        if self._instances.get(key) is instance:
            del self._instances[key]
        subscribers, instance.subscribers = list(instance.subscribers), {}
        for session, sub_id in subscribers:
            session.source_ended(sub_id, instance.name, error)

    async def unsubscribe(self, session: Session, sub_id: str, key: tuple[str, str | None]) -> None:
        """Leave the instance; the last subscriber leaving cancels it (and waits for it)."""
        task = self._leave(session, sub_id, key)
        if task is not None:
            await asyncio.wait([task])

    def forget(self, session: Session, subscriptions: dict[str, tuple[str, str | None]]) -> None:
        """Drop every subscriber of a closed or logged-out session (``sub_id -> key``)."""
        for sub_id, key in subscriptions.items():
            self._leave(session, sub_id, key)

    def _leave(
        self, session: Session, sub_id: str, key: tuple[str, str | None]
    ) -> asyncio.Task[None] | None:
        instance = self._instances.get(key)
        if instance is None or (session, sub_id) not in instance.subscribers:
            return None
        del instance.subscribers[(session, sub_id)]
        if instance.subscribers:
            return None
        del self._instances[key]
        if instance.task is not None:
            instance.task.cancel()
        return instance.task


def source_arg(name: str, raw_arg: str | None) -> Any:
    """The parsed argument of an event-source subscription (None without one)."""
    if raw_arg is None:
        return None
    try:
        return loads(raw_arg)
    except ValueError:
        raise SandboxValidationErrors([(name, "Event source arguments must be JSON", 22)]) from None
