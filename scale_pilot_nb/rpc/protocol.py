"""Sans-I/O protocol core: TrueNAS frames in, events out, for both wire dialects.

Nothing here touches a socket, a clock or an event loop. The client asks for frames to send
(:meth:`RpcProtocol.call`, :meth:`~RpcProtocol.subscribe` …), puts them on whatever wire it
has, and hands every received text frame to :meth:`~RpcProtocol.feed`, which returns the
:mod:`events <scale_pilot_nb.rpc.events>` it contained. Both dialects produce the same events:

* :class:`JsonRpcProtocol` — JSON-RPC 2.0 on ``/api/current`` (TrueNAS 25.04+);
* :class:`LegacyProtocol` — the DDP-like protocol on ``/websocket`` (the only one on 24.10).

Subscriptions are normalised too: ``subscribe`` returns a request id, and the answer to that id
is a :class:`~scale_pilot_nb.rpc.events.Result` whose value is the subscription id (JSON-RPC:
the server's uuid; legacy: the id we chose, confirmed by ``ready``), or an ``RpcError``.

Frames that are not JSON objects or that neither dialect defines are dropped and counted in
``ignored_frames`` (with a log line): a confused server must not kill the connection.
"""

from __future__ import annotations

import errno
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, ClassVar

from scale_pilot_nb.errors import ApiError
from scale_pilot_nb.rpc import ejson
from scale_pilot_nb.rpc.events import (
    CollectionUpdate,
    Connected,
    ErrorInfo,
    Event,
    HandshakeRefused,
    JobUpdate,
    Result,
    RpcError,
    Unsubscribed,
)

__all__ = [
    "JOBS_COLLECTION",
    "Dialect",
    "JsonRpcProtocol",
    "LegacyProtocol",
    "RpcProtocol",
    "protocol_for",
]

logger = logging.getLogger(__name__)

#: The collection whose events drive job waits.
JOBS_COLLECTION = "core.get_jobs"

_COLLECTION_MSGS = ("added", "changed", "removed")
_VALIDATION_CODE = -32602


class Dialect(StrEnum):
    """The two wire protocols of the middleware."""

    JSONRPC = "jsonrpc"
    LEGACY = "legacy"


def _new_id() -> str:
    return str(uuid.uuid4())


def _request_text(method: str, frame: dict[str, Any]) -> str:
    """``frame`` as ejson text; parameters without a JSON form are refused before sending.

    Raises:
        ApiError: EINVAL, a parameter cannot be encoded (an object, a circular list …).
    """
    try:
        return ejson.dumps(frame)
    except (TypeError, ValueError) as exc:
        raise ApiError(
            f"{method}: the parameters cannot be sent ({exc})",
            errno=errno.EINVAL,
            errname="EINVAL",
            hint="Pass JSON values (dict, list, str, int, float, bool, None), dates or sets.",
        ) from None


class RpcProtocol(ABC):
    """State and framing of one connection, without I/O.

    Args:
        id_factory: makes request ids; uuid4 strings by default, as the official client does.
            Tests pass a counter to assert exact frames.
    """

    dialect: ClassVar[Dialect]

    def __init__(self, *, id_factory: Callable[[], str] = _new_id) -> None:
        self._new_id = id_factory
        self.ignored_frames = 0

    def opening_frames(self) -> list[str]:
        """Frames to send right after the WebSocket opens, before anything else."""
        return []

    @abstractmethod
    def call(self, method: str, params: Sequence[Any] = ()) -> tuple[str, str]:
        """Frame a method call.

        Returns:
            ``(request_id, text)``; the answer is a ``Result`` or ``RpcError`` with that id.

        Raises:
            ApiError: EINVAL, a parameter has no JSON or extended-JSON form.
        """

    @abstractmethod
    def subscribe(self, name: str) -> tuple[str, str]:
        """Frame a subscription to ``name`` (an event, or ``source:{json args}``).

        Returns:
            ``(request_id, text)``; the answer's result is the subscription id.
        """

    @abstractmethod
    def unsubscribe(self, subscription_id: str) -> tuple[str | None, str]:
        """Frame the end of a subscription.

        Returns:
            ``(request_id, text)``; ``request_id`` is ``None`` when the server never answers.
        """

    def feed(self, text: str | bytes) -> list[Event]:
        """Parse one received frame.

        Returns:
            The events it carried (usually one; ``ready`` can confirm several subscriptions;
            an unknown or malformed frame yields none).
        """
        try:
            message = ejson.loads(text)
        except ValueError:
            return self._ignore("not JSON", text)
        if not isinstance(message, dict):
            return self._ignore("not a JSON object", text)
        events = self._parse(message)
        if events is None:
            return self._ignore("unknown message", text)
        return events

    @abstractmethod
    def _parse(self, message: dict[str, Any]) -> list[Event] | None:
        """Events in ``message``, or ``None`` if the dialect does not define it."""

    def _ignore(self, why: str, text: str | bytes) -> list[Event]:
        self.ignored_frames += 1
        logger.warning("ignored a server frame (%s): %.200r", why, text)
        return []


class JsonRpcProtocol(RpcProtocol):
    """JSON-RPC 2.0 as served on ``/api/current`` and ``/api/vX.Y.Z``."""

    dialect = Dialect.JSONRPC

    def call(self, method: str, params: Sequence[Any] = ()) -> tuple[str, str]:
        request_id = self._new_id()
        frame = {"jsonrpc": "2.0", "method": method, "id": request_id, "params": list(params)}
        return request_id, _request_text(method, frame)

    def subscribe(self, name: str) -> tuple[str, str]:
        return self.call("core.subscribe", [name])

    def unsubscribe(self, subscription_id: str) -> tuple[str | None, str]:
        return self.call("core.unsubscribe", [subscription_id])

    def _parse(self, message: dict[str, Any]) -> list[Event] | None:
        method = message.get("method")
        if method is not None:
            params = message.get("params")
            if not isinstance(params, dict):
                return None
            if method == "collection_update":
                update = _collection_update(params)
                return None if update is None else [update]
            if method == "notify_unsubscribed":
                return [_unsubscribed(params)]
            return None
        request_id = message.get("id")
        if "error" in message:
            return [RpcError(_str_or_none(request_id), _jsonrpc_error(message["error"]))]
        if "result" in message and request_id is not None:
            return [Result(str(request_id), message["result"])]
        return None


class LegacyProtocol(RpcProtocol):
    """The DDP-like protocol of ``/websocket`` (TrueNAS 24.10, and legacy mode later)."""

    dialect = Dialect.LEGACY

    def opening_frames(self) -> list[str]:
        return [ejson.dumps({"msg": "connect", "version": "1", "support": ["1"], "features": []})]

    def call(self, method: str, params: Sequence[Any] = ()) -> tuple[str, str]:
        request_id = self._new_id()
        frame = {"msg": "method", "method": method, "id": request_id, "params": list(params)}
        return request_id, _request_text(method, frame)

    def subscribe(self, name: str) -> tuple[str, str]:
        subscription_id = self._new_id()
        return subscription_id, ejson.dumps({"msg": "sub", "id": subscription_id, "name": name})

    def unsubscribe(self, subscription_id: str) -> tuple[str | None, str]:
        return None, ejson.dumps({"msg": "unsub", "id": subscription_id})

    def _parse(self, message: dict[str, Any]) -> list[Event] | None:
        kind = message.get("msg")
        if kind == "result":
            request_id = message.get("id")
            if request_id is None:
                return None
            error = message.get("error")
            if error:
                return [RpcError(str(request_id), _legacy_error(error))]
            return [Result(str(request_id), message.get("result"))]
        if kind in _COLLECTION_MSGS:
            update = _collection_update(message)
            return None if update is None else [update]
        if kind == "ready":
            subs = message.get("subs")
            if not isinstance(subs, list):
                return None
            return [Result(str(sub), str(sub)) for sub in subs]
        if kind == "nosub":
            return [_unsubscribed(message)]
        if kind == "connected":
            return [Connected(_str_or_none(message.get("session")))]
        if kind == "failed":
            return [HandshakeRefused(_str_or_none(message.get("version")))]
        if kind == "pong":
            return []  # answers a legacy ping; this client keeps alive with core.ping instead
        return None


def protocol_for(dialect: Dialect, *, id_factory: Callable[[], str] = _new_id) -> RpcProtocol:
    """A fresh protocol object for ``dialect`` (one per connection)."""
    cls: type[RpcProtocol] = JsonRpcProtocol if dialect is Dialect.JSONRPC else LegacyProtocol
    return cls(id_factory=id_factory)


# -- shared parsing ------------------------------------------------------------------------


def _collection_update(params: dict[str, Any]) -> JobUpdate | CollectionUpdate | None:
    msg = params.get("msg")
    collection = params.get("collection")
    if msg not in _COLLECTION_MSGS or not isinstance(collection, str):
        return None
    item_id = params.get("id")
    fields = params.get("fields")
    if collection == JOBS_COLLECTION and isinstance(item_id, int):
        return JobUpdate(msg, item_id, fields if isinstance(fields, dict) else {})
    extra = params.get("extra")
    return CollectionUpdate(
        collection, msg, item_id, fields, extra if isinstance(extra, dict) else {}
    )


def _unsubscribed(params: dict[str, Any]) -> Unsubscribed:
    error = params.get("error")
    info = _truenas_error(error, message=None) if isinstance(error, dict) else None
    if info is None and isinstance(error, str) and error:
        info = ErrorInfo(message=error, reason=error)
    return Unsubscribed(str(params.get("collection", "")), info)


def _jsonrpc_error(error: Any) -> ErrorInfo:
    if not isinstance(error, dict):
        return ErrorInfo(message=str(error))
    code = error.get("code")
    code = code if isinstance(code, int) else None
    message = str(error.get("message") or "")
    data = error.get("data")
    validation = code == _VALIDATION_CODE
    if isinstance(data, dict):
        return _truenas_error(data, message=message, code=code, validation=validation)
    return ErrorInfo(message=message or f"JSON-RPC error {code}", code=code, validation=validation)


def _legacy_error(error: Any) -> ErrorInfo:
    if not isinstance(error, dict):
        return ErrorInfo(message=str(error), reason=str(error))
    return _truenas_error(error, message=None, validation=error.get("type") == "VALIDATION")


def _truenas_error(
    data: dict[str, Any],
    *,
    message: str | None,
    code: int | None = None,
    validation: bool = False,
) -> ErrorInfo:
    """The middleware's error object (``error``, ``errname``, ``reason``, ``trace``, ``extra``)."""
    errno = data.get("error")
    reason = data.get("reason")
    reason = str(reason) if reason is not None else None
    trace = data.get("trace")
    trace_class = trace.get("class") if isinstance(trace, dict) else None
    return ErrorInfo(
        message=message or reason or "unknown error",
        code=code,
        errno=errno if isinstance(errno, int) else None,
        errname=_str_or_none(data.get("errname")),
        reason=reason,
        trace_class=_str_or_none(trace_class),
        extra=data.get("extra"),
        validation=validation,
    )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
