"""One client connection: credentials, options, subscriptions and the ordered outgoing queue.

Every frame for a connection goes through one queue drained by one writer task, so frames leave
in the order they were produced. Events (and new-style job responses, which must follow their
job's events) take the "ordered" path that the pause-events fault can hold back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from scale_pilot_nb.sandbox.contract import (
    CallContext,
    CollectionMsg,
    SandboxCallError,
    version_at_least,
)
from scale_pilot_nb.sandbox.wire import dumps

if TYPE_CHECKING:
    from scale_pilot_nb.sandbox.server import SandboxServer

#: Frames a connection may have queued (or held while events are paused) before it counts as
#: a stuck client and is dropped: memory stays bounded whatever the client does.
MAX_QUEUED_FRAMES = 10_000


class Dialect(Protocol):
    """How one protocol (JSON-RPC 2.0 or legacy DDP) frames messages."""

    legacy: bool

    async def handle(self, session: Session, message: Any) -> None:
        """Act on one parsed incoming message."""

    def parse_error(self, session: Session, exc: ValueError) -> None:
        """React to a frame that is not JSON."""

    def result_frame(self, call_id: Any, result: Any) -> dict[str, Any]:
        """A successful call response."""

    def error_frame(self, call_id: Any, failure: BaseException) -> dict[str, Any]:
        """A failed call response."""

    def event_frame(
        self, collection: str, msg: CollectionMsg, id: Any, fields: Any
    ) -> dict[str, Any]:
        """A collection event."""

    def unsubscribed_frame(self, collection: str, error: SandboxCallError | None) -> dict[str, Any]:
        """The end of an event-source subscription."""


@dataclass
class Subscription:
    """A subscription: a plain collection (``source`` None) or a share of an event source.

    ``source`` is the key of the shared instance in the server's
    :class:`~scale_pilot_nb.sandbox.events.SourceHub`.
    """

    name: str
    source: tuple[str, str | None] | None = None


class Session:
    """State of one WebSocket connection.

    Args:
        server: the server it belongs to.
        ws: the connection.
        dialect: the protocol spoken on it.
        api_version: the API version of the endpoint (``"25.04"`` for ``/api/v25.04.2``).
        pinned: an older versioned endpoint that checks arguments at call time (see
            :attr:`~scale_pilot_nb.sandbox.contract.CallContext.pinned`).
        peer: the client's IP address (rate-limit key).
        secure: TLS or loopback (plain API keys are accepted without revocation).
    """

    def __init__(
        self,
        server: SandboxServer,
        ws: ServerConnection,
        dialect: Dialect,
        *,
        api_version: str,
        peer: str,
        secure: bool,
        pinned: bool = False,
    ) -> None:
        self.server = server
        self.ws = ws
        self.dialect = dialect
        self.api_version = api_version
        self.pinned = pinned
        self.peer = peer
        self.secure = secure
        self.id = str(uuid.uuid4())
        self.username: str | None = None
        self.credential_type: str | None = None
        self.handshaken = False
        self.options: dict[str, Any] = {
            "legacy_jobs": True,
            "private_methods": False,
            "py_exceptions": False,
        }
        self.subscriptions: dict[str, Subscription] = {}
        self.calls: set[asyncio.Task[Any]] = set()
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._held: list[str] = []
        self.closed = False

    @property
    def legacy(self) -> bool:
        """True on the legacy ``/websocket`` endpoint."""
        return self.dialect.legacy

    @property
    def authenticated(self) -> bool:
        """Whether a login succeeded on this connection."""
        return self.username is not None

    @property
    def legacy_jobs(self) -> bool:
        """Whether job methods answer with the job id at once."""
        return self.legacy or bool(self.options["legacy_jobs"])

    def login(self, username: str, credential_type: str) -> None:
        """Mark the connection as logged in."""
        self.username, self.credential_type = username, credential_type
        self.server.metrics.logins += 1

    def logout(self) -> None:
        """Forget the credentials and end every subscription (as ``auth.logout`` does)."""
        self.username = self.credential_type = None
        self._end_subscriptions()

    def credentials(self) -> dict[str, Any] | None:
        """The job ``credentials`` object for work started by this session."""
        if self.username is None:
            return None
        return {"type": self.credential_type, "data": {"username": self.username}}

    def context(self) -> CallContext:
        """A fresh :class:`CallContext` for one call."""
        return CallContext(
            self.username or "", self.server.version, self.legacy, pinned=self.pinned
        )

    # -- outgoing frames -------------------------------------------------------------------

    def send(self, frame: dict[str, Any]) -> None:
        """Queue ``frame`` for sending now."""
        self.send_text(dumps(frame))

    def send_text(self, text: str) -> None:
        """Queue an encoded frame; a client that lets thousands pile up is dropped."""
        if self.closed:
            return
        if self._queue.qsize() >= MAX_QUEUED_FRAMES:
            self.drop()
            return
        self._queue.put_nowait(text)

    def send_ordered(self, text: str) -> None:
        """Queue a frame that pausing events must hold back (events, new-style job results)."""
        if self.server.faults.events_paused:
            if len(self._held) >= MAX_QUEUED_FRAMES:
                self.drop()
                return
            self._held.append(text)
        else:
            self.send_text(text)

    def send_event(self, collection: str, msg: CollectionMsg, id: Any, fields: Any) -> None:
        """Queue one collection event (dropped if the model handed over unserialisable data)."""
        try:
            text = dumps(self.dialect.event_frame(collection, msg, id, fields))
        except (TypeError, ValueError):
            return
        self.send_ordered(text)

    def release_held(self) -> None:
        """Send what pausing held back, in order."""
        held, self._held = self._held, []
        for text in held:
            self.send_text(text)

    async def run_writer(self) -> None:
        """Send queued frames until the connection closes; applies the drop-after fault."""
        while True:
            text = await self._queue.get()
            try:
                await self.ws.send(text)
            except ConnectionClosed:
                return
            self.server.metrics.frames_out += 1
            if self.server.faults.frame_sent():
                self.drop()
                return

    def drop(self) -> None:
        """Cut the TCP connection without a close frame (the client sees 1006)."""
        self.closed = True
        self.ws.transport.abort()

    # -- tasks -----------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run one call as its own task (responses may go out in any order, like TrueNAS)."""
        task = asyncio.get_running_loop().create_task(coro)
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)
        return task

    def close(self) -> None:
        """Stop everything this connection started except jobs (they outlive it in TrueNAS)."""
        self.closed = True
        for task in list(self.calls):
            task.cancel()
        self._end_subscriptions()

    # -- subscriptions ---------------------------------------------------------------------

    def subscribe(self, sub_id: str, name: str) -> None:
        """Start subscription ``sub_id`` to a collection or to ``source:{json args}``."""
        base, has_arg, raw_arg = name.partition(":")
        spec = self.server.registry.sources.get(base)
        if spec is not None and (
            spec.min_version is None or version_at_least(self.server.version, spec.min_version)
        ):
            key = self.server.sources.subscribe(self, sub_id, spec, raw_arg if has_arg else None)
            self.subscriptions[sub_id] = Subscription(name, key)
        else:
            self.server.hub.subscribe(self, sub_id, name)
            self.subscriptions[sub_id] = Subscription(name)

    def source_ended(self, sub_id: str, name: str, error: SandboxCallError | None) -> None:
        """The event source behind ``sub_id`` ended by itself: say ``notify_unsubscribed``."""
        self.subscriptions.pop(sub_id, None)
        self.send_ordered(dumps(self.dialect.unsubscribed_frame(name, error)))

    async def unsubscribe(self, sub_id: str) -> None:
        """End subscription ``sub_id``; an event source also says ``notify_unsubscribed``.

        Unknown ids are ignored, as in TrueNAS. The notification goes out before the shared
        instance is cancelled, as the middleware's ``EventSourceManager.unsubscribe`` does.
        """
        sub = self.subscriptions.pop(sub_id, None)
        if sub is None:
            return
        if sub.source is None:
            self.server.hub.unsubscribe(self, sub_id, sub.name)
            return
        if not self.legacy:
            self.send_ordered(dumps(self.dialect.unsubscribed_frame(sub.name, None)))
        await self.server.sources.unsubscribe(self, sub_id, sub.source)

    def _end_subscriptions(self) -> None:
        sources = {sub_id: sub.source for sub_id, sub in self.subscriptions.items() if sub.source}
        self.server.sources.forget(self, sources)
        self.subscriptions.clear()
        self.server.hub.forget(self)
