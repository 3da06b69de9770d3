"""The wire: text frames over a WebSocket. The only module that imports ``websockets``.

Everything above this module sees the :class:`Transport` seam — send a text frame, receive a
text frame, close — so another wire (an adapter for the official ``truenas_api_client``'s
socket, say) can be put underneath without touching the protocol or the client. The seam is
for swapping wires, not for mocking: tests talk to the sandbox over real sockets.

All ``websockets``, ``ssl`` and ``OSError`` exceptions are translated here, once, into
:mod:`scale_pilot_nb.errors` classes; none leaks upwards.

Two safety rules live here because only this module talks to ``websockets``: HTTP redirects
are never followed (the credentials gate of :mod:`~scale_pilot_nb.rpc.wire_safety` judged
the URL asked for, not wherever a server points next), and importing this module hides frame
contents from the ``websockets`` debug logs (:func:`hide_frame_contents`).
"""

from __future__ import annotations

import logging
import ssl
from typing import Protocol

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Frame
from websockets.protocol import State

from scale_pilot_nb.errors import ConfigError, ConnectionError

__all__ = [
    "DEFAULT_MAX_FRAME",
    "WEBSOCKETS_LOGGERS",
    "EndpointNotFound",
    "FrameContentFilter",
    "Transport",
    "TransportClosed",
    "TransportOpener",
    "WebsocketsTransport",
    "hide_frame_contents",
    "open_websocket",
]

#: Largest frame accepted from the server. ``app.query`` on a NAS with a thousand apps is a
#: few MiB; this bounds memory while leaving ample room.
DEFAULT_MAX_FRAME = 64 * 2**20

#: The loggers ``websockets`` writes frame records to when no logger is passed to it:
#: ``websockets.client`` for our client, ``websockets.server`` for the embedded sandbox.
WEBSOCKETS_LOGGERS = ("websockets.client", "websockets.server")


class FrameContentFilter(logging.Filter):
    """Replace every frame argument of a log record by ``OPCODE [N bytes, contents hidden]``.

    At DEBUG, ``websockets`` logs each frame with the start and end of its payload: the end
    of a login frame is the password or most of the API key, and other frames carry app
    configurations with their secrets. Anyone who turns on DEBUG for everything (a common
    first step when a notebook misbehaves) would write them to their logs. The record stays,
    so the trace of what went over the wire remains; its contents never reach a handler.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, Frame) for a in record.args):
            record.args = tuple(_summary(a) if isinstance(a, Frame) else a for a in record.args)
        return True


def hide_frame_contents() -> None:
    """Install :class:`FrameContentFilter` on the ``websockets`` loggers (idempotent).

    Called when this module is imported, so every process using the client is covered.
    """
    for name in WEBSOCKETS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, FrameContentFilter) for f in logger.filters):
            logger.addFilter(FrameContentFilter())


def _summary(frame: Frame) -> str:
    return f"{frame.opcode.name} [{len(frame.data)} bytes, contents hidden]"


hide_frame_contents()


class TransportClosed(ConnectionError):
    """The WebSocket closed (either side, or the network) while in use.

    Attributes:
        code: the close code, when a close frame was exchanged.
        unsent: raised by ``send`` before any byte of the frame was written (the connection
            was already closing), so the peer cannot have seen it.
    """

    def __init__(self, message: str, *, code: int | None = None, unsent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.unsent = unsent


class EndpointNotFound(ConnectionError):
    """The server answered the upgrade with HTTP 404: no such endpoint (24.10 has no ``/api``)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"{url}: HTTP 404, the server has no such WebSocket endpoint")
        self.url = url


class Transport(Protocol):
    """A connected message channel carrying one JSON text per frame."""

    async def send(self, text: str) -> None:
        """Send one text frame.

        Raises:
            TransportClosed: the connection is closed.
        """

    async def recv(self) -> str:
        """Wait for the next text frame.

        Raises:
            TransportClosed: the connection closed; no further frame will come.
        """

    async def close(self) -> None:
        """Close the connection (normal closure); idempotent, never raises."""


class TransportOpener(Protocol):
    """Opens a :class:`Transport` to a URL; :func:`open_websocket` is the default one.

    Another wire plugs in here (``RpcClient(..., opener=opener)``). It must raise
    :class:`EndpointNotFound` for HTTP 404 (endpoint discovery relies on it) and
    :class:`~scale_pilot_nb.errors.ConnectionError` for every other failure.
    """

    async def __call__(
        self, url: str, *, ssl_context: ssl.SSLContext | None, open_timeout: float | None
    ) -> Transport:
        """Connect to ``url`` (TLS with ``ssl_context`` for ``wss://``)."""


class _connect_without_redirects(connect):
    """``websockets.connect`` that reports a redirect instead of following it.

    ``websockets`` follows up to ten redirects to any host, including from a loopback
    ``ws://`` URL to a remote ``ws://`` one, which would carry the login frame in clear text
    to a machine nobody checked. TrueNAS does not redirect its WebSocket endpoints, so a
    redirect is always a misconfiguration (HTTPS redirect on a ``ws://`` URL) or an attack.
    """

    def process_redirect(self, exc: Exception) -> Exception:
        return exc


class WebsocketsTransport:
    """:class:`Transport` over a ``websockets`` client connection."""

    def __init__(self, connection: ClientConnection) -> None:
        self._ws = connection

    async def send(self, text: str) -> None:
        # websockets writes nothing when the connection is no longer OPEN on entry.
        unsent = self._ws.state is not State.OPEN
        try:
            await self._ws.send(text)
        except websockets.ConnectionClosed as exc:
            raise _closed(exc, unsent=unsent) from None

    async def recv(self) -> str:
        try:
            frame = await self._ws.recv()
        except websockets.ConnectionClosed as exc:
            raise _closed(exc) from None
        return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")

    async def send_bytes(self, data: bytes) -> None:
        """Send one binary frame (the web shell's input: text frames kill its session).

        Raises:
            TransportClosed: the connection is closed.
        """
        try:
            await self._ws.send(data)
        except websockets.ConnectionClosed as exc:
            raise _closed(exc) from None

    async def recv_frame(self) -> str | bytes:
        """Wait for the next frame, text or binary as it came (the web shell sends both).

        Raises:
            TransportClosed: the connection closed; no further frame will come.
        """
        try:
            return await self._ws.recv()
        except websockets.ConnectionClosed as exc:
            raise _closed(exc) from None

    async def close(self) -> None:
        try:
            await self._ws.close()
        except Exception:  # the peer or the network is already gone: nothing to do
            return


async def open_websocket(
    url: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
    open_timeout: float | None = 10.0,
    max_frame: int = DEFAULT_MAX_FRAME,
) -> WebsocketsTransport:
    """Open a WebSocket to ``url``.

    Protocol pings are off (the client keeps the connection alive with ``core.ping``, as the
    middleware expects) and so is compression (the official client never offers it). An HTTP
    redirect is an error, never followed (see :class:`_connect_without_redirects`).

    Raises:
        EndpointNotFound: HTTP 404 on the upgrade (the caller may try another path).
        ConfigError: the URL is malformed.
        ConnectionError: refused, unreachable, TLS failure, timeout or any other handshake
            failure; the message says which, the hint what to check.
    """
    try:
        connection = await _connect_without_redirects(
            url,
            ssl=ssl_context if url.startswith("wss:") else None,
            open_timeout=open_timeout,
            ping_interval=None,
            compression=None,
            max_size=max_frame,
            close_timeout=2,
        )
    except websockets.InvalidURI:
        raise ConfigError(
            f"Not a WebSocket URL: {url!r}",
            hint="Use wss://HOST/api/current, wss://HOST/websocket or just the host name.",
        ) from None
    except websockets.InvalidStatus as exc:
        status = exc.response.status_code
        if status == 404:
            raise EndpointNotFound(url) from None
        hint = (
            "The server redirects, and redirects are not followed: configure the address it "
            "redirects to (wss:// when the NAS has HTTPS redirect on)."
            if 300 <= status < 400
            else None
        )
        raise ConnectionError(
            f"{url}: the server refused the WebSocket (HTTP {status})", hint=hint
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise ConnectionError(
            f"{url}: the TLS certificate is not trusted ({exc.verify_message})",
            hint="Pass ca_file= with the NAS's CA certificate, or verify_ssl=False for a lab box.",
        ) from None
    except (websockets.InvalidHandshake, ssl.SSLError) as exc:
        raise ConnectionError(f"{url}: WebSocket handshake failed ({exc})") from None
    except TimeoutError:
        raise ConnectionError(f"{url}: no answer within {open_timeout} s") from None
    except OSError as exc:
        raise ConnectionError(f"{url}: {exc.strerror or exc}") from None
    except ValueError:  # urllib on a broken IPv6 host; after the ssl errors, which are ValueErrors
        raise ConfigError(
            f"Not a WebSocket URL: {url!r}",
            hint="Use wss://HOST/api/current, wss://HOST/websocket or just the host name.",
        ) from None
    return WebsocketsTransport(connection)


def _closed(exc: websockets.ConnectionClosed, *, unsent: bool = False) -> TransportClosed:
    close = exc.rcvd or exc.sent
    if close is None:
        return TransportClosed("the connection was lost (no close frame)", unsent=unsent)
    reason = f": {close.reason}" if close.reason else ""
    return TransportClosed(
        f"the connection closed with code {close.code}{reason}", code=close.code, unsent=unsent
    )
