"""Fan-out of collection events (``core.get_jobs``, ``app.query`` …) to subscribed sessions.

:class:`EventHub` is the server's implementation of the contract's ``EventSink``: the model and
the job manager publish, the hub delivers to every session subscribed to that collection (or to
``"*"``). Publishing is safe from any thread; delivery always happens on the server loop.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.sandbox.contract import CollectionMsg

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
