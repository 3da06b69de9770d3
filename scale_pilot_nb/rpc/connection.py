"""One live connection: pumps frames between a transport and the protocol core.

A :class:`Connection` owns a :class:`~scale_pilot_nb.rpc.transport.Transport`, a
:class:`~scale_pilot_nb.rpc.protocol.RpcProtocol` and a reader task. It matches answers to
pending requests, limits how many requests are in flight (the middleware allows 20 per
connection and rejects the 21st; we wait instead), and hands every other event to its
:class:`EventSink` (the client). It knows nothing about logins, jobs or reconnecting: when the
transport closes it fails every pending request with :class:`ConnectionLost` — saying whether
each request had been sent — and tells the sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from scale_pilot_nb.errors import ApiError, ConnectionError, TrueNASError
from scale_pilot_nb.rpc.error_map import call_error
from scale_pilot_nb.rpc.events import (
    CollectionUpdate,
    Connected,
    HandshakeRefused,
    JobUpdate,
    Result,
    RpcError,
    Unsubscribed,
)
from scale_pilot_nb.rpc.protocol import Dialect, RpcProtocol
from scale_pilot_nb.rpc.stats import ClientStats
from scale_pilot_nb.rpc.transport import Transport, TransportClosed

__all__ = [
    "DEFAULT_MAX_IN_FLIGHT",
    "MAX_MESSAGE_BYTES",
    "Connection",
    "ConnectionLost",
    "EventSink",
]

logger = logging.getLogger(__name__)

#: The middleware's per-connection limit of calls in flight (``SoftHardSemaphore(10, 20)``).
DEFAULT_MAX_IN_FLIGHT = 20

#: The largest message the middleware accepts from a logged-in client; it closes the
#: connection (code 1009) on anything bigger, so such a request is refused before sending.
MAX_MESSAGE_BYTES = 65536


class ConnectionLost(ConnectionError):
    """The connection closed before a request was answered.

    Attributes:
        sent: whether the request's frame had been handed to the wire.
    """

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class EventSink(Protocol):
    """Receives what a connection reads besides answers (implemented by the client)."""

    def job_updated(self, update: JobUpdate) -> None:
        """A ``core.get_jobs`` event arrived."""

    def collection_updated(self, update: CollectionUpdate) -> None:
        """An event for a subscription arrived."""

    def unsubscribed(self, event: Unsubscribed) -> None:
        """The server ended a subscription."""

    def connection_lost(self, connection: Connection, error: ConnectionError) -> None:
        """The transport closed; every pending request has already failed."""


@dataclass
class _Pending:
    method: str
    future: asyncio.Future[Any]
    sent: bool = False


class Connection:
    """A WebSocket speaking one dialect, with request matching and an in-flight limit.

    Args:
        transport: an open transport.
        protocol: a fresh protocol object of the endpoint's dialect.
        sink: receives job events, subscription events and the loss of the connection.
        stats: where to count frames.
        max_in_flight: requests awaiting an answer at once; more wait for a free slot.
    """

    def __init__(
        self,
        transport: Transport,
        protocol: RpcProtocol,
        sink: EventSink,
        stats: ClientStats,
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        self.protocol = protocol
        self._transport = transport
        self._sink = sink
        self._stats = stats
        self._slots = asyncio.Semaphore(max_in_flight)
        self._pending: dict[str, _Pending] = {}
        self._handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._reader: asyncio.Task[None] | None = None
        self._closed: ConnectionError | None = None
        self.last_received = asyncio.get_running_loop().time()

    @property
    def dialect(self) -> Dialect:
        """The wire dialect of this connection."""
        return self.protocol.dialect

    @property
    def closed(self) -> bool:
        """True once the transport has closed, for whatever reason."""
        return self._closed is not None

    @property
    def saturated(self) -> bool:
        """True when every call slot is taken (a new request would wait)."""
        return self._slots.locked()

    async def start(self, timeout: float | None) -> None:
        """Start reading and perform the dialect's handshake (legacy ``connect``).

        Raises:
            ConnectionError: the handshake was refused, timed out, or the connection closed.
        """
        self._reader = asyncio.create_task(self._read_forever(), name="truenas-rpc-reader")
        opening = self.protocol.opening_frames()
        if not opening:
            self._handshake.set_result(None)
            return
        try:
            for text in opening:
                await self._send(text)
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._handshake)
        except TimeoutError:
            await self.close()
            raise ConnectionError(
                f"No answer to the protocol handshake within {timeout} s"
            ) from None
        except ConnectionError:
            await self.close()
            raise

    async def request(
        self,
        method: str,
        params: Sequence[Any] = (),
        *,
        registered: Callable[[str], None] | None = None,
    ) -> Any:
        """Send a call and wait for its answer.

        Waits for a free slot first when ``max_in_flight`` requests are already pending.

        Args:
            method: the middleware method.
            params: its positional parameters.
            registered: called with the request id after the request is registered and before
                its frame is sent, so a caller can expect events that name it (new-style jobs).

        Returns:
            The call's result.

        Raises:
            ConnectionLost: the connection closed first (``sent`` says whether it left).
            ApiError: EMSGSIZE, the request is over :data:`MAX_MESSAGE_BYTES` (not sent).
            TrueNASError: the server answered with an error (mapped by ``error_map``).
        """
        request_id, text = self.protocol.call(method, params)
        return await self._round_trip(request_id, text, method, registered)

    async def subscribe(self, name: str) -> str:
        """Subscribe to ``name``; returns the subscription id for :meth:`unsubscribe`."""
        request_id, text = self.protocol.subscribe(name)
        return str(await self._round_trip(request_id, text, f"core.subscribe({name})", None))

    async def unsubscribe(self, subscription_id: str) -> None:
        """End a subscription; returns once the server acknowledged it (JSON-RPC) or at once.

        TrueNAS sends ``notify_unsubscribed`` for an event source *before* acknowledging, so
        when this returns, that notification has been dispatched.
        """
        request_id, text = self.protocol.unsubscribe(subscription_id)
        if request_id is None:
            await self._send(text)
        else:
            await self._round_trip(request_id, text, "core.unsubscribe", None)

    async def close(self) -> None:
        """Close the transport and fail what is pending; idempotent."""
        self._mark_closed(ConnectionError("The connection was closed by the client"))
        await self._transport.close()
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _round_trip(
        self,
        request_id: str,
        text: str,
        method: str,
        registered: Callable[[str], None] | None,
    ) -> Any:
        if len(text) > MAX_MESSAGE_BYTES:  # ejson text is ASCII: characters are bytes
            raise ApiError(
                f"{method}: the request is {len(text)} bytes; TrueNAS accepts at most "
                f"{MAX_MESSAGE_BYTES} per message and drops the connection on more",
                errno=errno.EMSGSIZE,
                errname="EMSGSIZE",
                hint="Send less per call (for example, split a large compose file).",
            )
        await self._slots.acquire()
        if self._closed is not None:
            self._slots.release()
            raise ConnectionLost(str(self._closed), sent=False)
        pending = self._expect(request_id, method)
        pending.future.add_done_callback(lambda _: self._slots.release())
        if registered is not None:
            registered(request_id)
        try:
            pending.sent = True
            await self._send(text)
            return await asyncio.shield(pending.future)
        except asyncio.CancelledError:
            # The caller gave up (timeout): forget the request; a late answer is dropped.
            self._drop(request_id)
            raise
        except TransportClosed as exc:
            self._drop(request_id)
            raise ConnectionLost(str(exc), sent=not exc.unsent) from None

    def _expect(self, request_id: str, method: str) -> _Pending:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_consume)  # a failure nobody awaits is not "never retrieved"
        pending = _Pending(method, future)
        self._pending[request_id] = pending
        return pending

    def _drop(self, request_id: str) -> None:
        pending = self._pending.pop(request_id, None)
        if pending is not None and not pending.future.done():
            pending.future.cancel()

    async def _send(self, text: str) -> None:
        try:
            await self._transport.send(text)
        except TransportClosed as exc:
            self._lost(exc)
            raise
        self._stats.frames_sent += 1

    async def _read_forever(self) -> None:
        try:
            while True:
                text = await self._transport.recv()
                self._stats.frames_received += 1
                self.last_received = asyncio.get_running_loop().time()
                for event in self.protocol.feed(text):
                    self._dispatch(event)
        except TransportClosed as exc:
            error: ConnectionError = exc
        except Exception as exc:  # a bug must not leave callers waiting forever
            logger.exception("the connection reader failed")
            error = ConnectionError(f"The connection reader failed: {exc!r}")
            await self._transport.close()
        self._lost(error)

    async def abort(self, error: ConnectionError) -> None:
        """Give up on a connection that still looks open (a keepalive went unanswered).

        Pending requests fail and the sink hears of the loss, as if the network dropped.
        """
        self._lost(error)
        await self._transport.close()

    def _lost(self, error: ConnectionError) -> None:
        if self._mark_closed(error):
            self._sink.connection_lost(self, error)

    def _dispatch(self, event: object) -> None:
        match event:
            case Result(request_id, result):
                pending = self._pending.pop(request_id, None)
                if pending is not None and not pending.future.done():
                    pending.future.set_result(result)
            case RpcError(None, info):
                logger.warning("connection-wide error from the server: %s", info.message)
                for request_id, pending in list(self._pending.items()):
                    self._fail(request_id, call_error(info, method=pending.method))
            case RpcError(request_id, info):
                pending = self._pending.get(str(request_id))
                if pending is not None:
                    self._fail(str(request_id), call_error(info, method=pending.method))
            case JobUpdate():
                self._sink.job_updated(event)
            case CollectionUpdate():
                self._sink.collection_updated(event)
            case Unsubscribed():
                self._sink.unsubscribed(event)
            case Connected():
                if not self._handshake.done():
                    self._handshake.set_result(None)
            case HandshakeRefused(version):
                if not self._handshake.done():
                    self._handshake.set_exception(
                        ConnectionError(f"The server refused protocol version 1 (wants {version})")
                    )

    def _fail(self, request_id: str, error: TrueNASError) -> None:
        pending = self._pending.pop(request_id, None)
        if pending is not None and not pending.future.done():
            pending.future.set_exception(error)

    def _mark_closed(self, error: ConnectionError) -> bool:
        """Record the close and fail pending requests; False if already closed."""
        if self._closed is not None:
            return False
        self._closed = error
        for request_id, pending in list(self._pending.items()):
            self._fail(request_id, ConnectionLost(str(error), sent=pending.sent))
        if not self._handshake.done():
            self._handshake.add_done_callback(_consume)
            self._handshake.set_exception(error)
        return True


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve a future's outcome nobody awaits, so asyncio does not log it as lost."""
    if not future.cancelled():
        future.exception()
