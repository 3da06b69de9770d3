"""The legacy DDP-like dialect of ``/websocket`` (the only one 24.10 speaks).

``connect`` → ``connected`` first (anything else before it gets ``failed``); ``method`` →
``result``; ``sub``/``unsub`` with client-chosen ids; events as ``added``/``changed``/``removed``.
Validation errors carry errno 11 and ``type: "VALIDATION"`` with a trace, because the client
raises ``ValidationErrors`` only when both are present. Only 24.10 answers ``ping``.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.sandbox.contract import (
    CollectionMsg,
    SandboxCallError,
    SandboxValidationErrors,
    version_at_least,
)
from scale_pilot_nb.sandbox.dispatch import (
    GateError,
    MethodNotFound,
    TooManyCalls,
    start_call,
)
from scale_pilot_nb.sandbox.wire import ENOMETHOD, errname, error_object

if TYPE_CHECKING:
    from scale_pilot_nb.sandbox.session import Session

FAILED = {"msg": "failed", "version": "1"}


class LegacyDialect:
    """Frames of the legacy ``/websocket`` endpoint."""

    legacy = True

    def __init__(self, version: str, known_services: frozenset[str]) -> None:
        self._version = version
        self._services = known_services

    async def handle(self, session: Session, message: Any) -> None:
        """Act on one message: handshake, ping, method, sub or unsub."""
        kind = message.get("msg") if isinstance(message, dict) else None
        if not session.handshaken:
            if (
                kind == "connect"
                and message.get("version") == "1"
                and "1" in (message.get("support") or [])
            ):
                session.handshaken = True
                session.send({"msg": "connected", "session": session.id})
            else:
                session.send(FAILED)
            return
        if kind == "ping" and not version_at_least(self._version, "25.04"):
            session.send({"msg": "pong", "id": message.get("id")})
        elif kind == "method" and isinstance(message.get("method"), str):
            params = message.get("params") or []
            start_call(
                session,
                message["method"],
                params if isinstance(params, list) else [params],
                message.get("id"),
            )
        elif kind == "sub":
            self._sub(session, message.get("id"), message.get("name"))
        elif kind == "unsub" and isinstance(message.get("id"), str):
            session.spawn(session.unsubscribe(message["id"]))

    def parse_error(self, session: Session, exc: ValueError) -> None:
        """Unparsable frames are ignored by the legacy endpoint."""

    def _sub(self, session: Session, sub_id: Any, name: Any) -> None:
        session.server.metrics.requests["core.subscribe"] += 1
        if not session.authenticated or not isinstance(name, str) or not name:
            refusal = SandboxCallError(errno.EACCES, "Not authorized")
            session.send({"msg": "result", "id": sub_id, "error": self._error(refusal)})
            return
        sub_id = str(sub_id)
        session.subscribe(sub_id, name)
        session.send({"msg": "ready", "subs": [sub_id]})

    def result_frame(self, call_id: Any, result: Any) -> dict[str, Any]:
        """``{"msg": "result", "id": …, "result": …}``."""
        return {"msg": "result", "id": call_id, "result": result}

    def error_frame(self, call_id: Any, failure: BaseException) -> dict[str, Any]:
        """``{"msg": "result", "id": …, "error": {…, "type": …}}``."""
        return {"msg": "result", "id": call_id, "error": self._error(failure)}

    def _error(self, failure: BaseException) -> dict[str, Any]:
        if isinstance(failure, MethodNotFound):
            failure = SandboxCallError(ENOMETHOD, self._not_found(failure.method))
        elif isinstance(failure, TooManyCalls):
            failure = SandboxCallError(errno.ETOOMANYREFS, "Too many concurrent calls")
        if not isinstance(failure, SandboxCallError):
            raise TypeError(f"not a call failure: {failure!r}")
        error = error_object(failure)
        if isinstance(failure, SandboxValidationErrors):
            number = failure.errno if failure.lone else errno.EAGAIN
            error.update(error=number, errname=errname(number), type="VALIDATION")
        else:
            error["type"] = None
            if error["error"] is None:
                error.update(error=errno.EINVAL, errname=errname(errno.EINVAL))
        if isinstance(failure, GateError) and not version_at_least(self._version, "25.04"):
            error.update(reason=failure.reason, trace=None)
        return error

    def _not_found(self, method: str) -> str:
        service = method.rpartition(".")[0]
        if service in self._services:
            return f"Method {method!r} not found in {service!r}"
        return f"Service {service!r} not found"

    def event_frame(
        self, collection: str, msg: CollectionMsg, id: Any, fields: Any
    ) -> dict[str, Any]:
        """``{"msg": "added", "collection": …, ["id": …], ["fields": …]}``."""
        frame: dict[str, Any] = {"msg": msg, "collection": collection}
        if id is not None:
            frame["id"] = id
        if msg != "removed":
            frame["fields"] = fields
        return frame

    def unsubscribed_frame(self, collection: str, error: SandboxCallError | None) -> dict[str, Any]:
        """``nosub`` (the ``error`` key is absent when the source simply ended)."""
        frame: dict[str, Any] = {"msg": "nosub", "collection": collection}
        if error is not None:
            frame["error"] = error_object(error, with_trace=False)
        return frame
