"""The JSON-RPC 2.0 dialect of ``/api/current`` and ``/api/vXX.YY.Z``.

Only the seven codes the official client knows are ever sent (an unknown code makes it return
``None`` silently); -32602 and -32001 always carry the full TrueNAS error object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scale_pilot_nb.sandbox.contract import (
    CollectionMsg,
    SandboxCallError,
    SandboxValidationErrors,
)
from scale_pilot_nb.sandbox.dispatch import (
    MAX_CALLS_IN_FLIGHT,
    MethodNotFound,
    NotSerialisable,
    TooManyCalls,
    start_call,
)
from scale_pilot_nb.sandbox.wire import error_object

if TYPE_CHECKING:
    from scale_pilot_nb.sandbox.session import Session

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
TOO_MANY_CONCURRENT_CALLS = -32000
METHOD_CALL_ERROR = -32001


class InvalidRequest(Exception):
    """A frame that is JSON but not a valid JSON-RPC 2.0 request."""


def _error(call_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": call_id}


def _validate(message: Any) -> tuple[str, list[Any], Any]:
    if not isinstance(message, dict):
        raise InvalidRequest("Request must be a JSON object")
    if message.get("jsonrpc") != "2.0":
        raise InvalidRequest("Invalid JSON-RPC version: 'jsonrpc' must be exactly '2.0'")
    call_id = message.get("id")
    if call_id is not None and (not isinstance(call_id, int | str) or isinstance(call_id, bool)):
        raise InvalidRequest("'id' must be null, an integer or a string")
    method = message.get("method")
    if not isinstance(method, str) or not method:
        raise InvalidRequest("'method' must be a non-empty string")
    params = message.get("params", [])
    if not isinstance(params, list):
        raise InvalidRequest("'params' must be an array of positional arguments")
    return method, params, call_id


class JsonRpcDialect:
    """Frames of the JSON-RPC 2.0 endpoint."""

    legacy = False

    async def handle(self, session: Session, message: Any) -> None:
        """Validate one request and start the call (notifications run but get no answer)."""
        if isinstance(message, list):
            session.send(_error(None, PARSE_ERROR, "Batch messages are not supported at this time"))
            return
        try:
            method, params, call_id = _validate(message)
        except InvalidRequest as exc:
            if isinstance(message, dict) and "id" in message:
                session.send(_error(message["id"], INVALID_REQUEST, str(exc)))
            return
        start_call(session, method, params, call_id)

    def parse_error(self, session: Session, exc: ValueError) -> None:
        """Answer an unparsable frame (``id`` null, as the middleware does)."""
        session.send(_error(None, PARSE_ERROR, str(exc)))

    def result_frame(self, call_id: Any, result: Any) -> dict[str, Any]:
        """``{"jsonrpc": "2.0", "result": …, "id": …}``."""
        return {"jsonrpc": "2.0", "result": result, "id": call_id}

    def error_frame(self, call_id: Any, failure: BaseException) -> dict[str, Any]:
        """Map a failure to its JSON-RPC code and ``data``."""
        if isinstance(failure, MethodNotFound):
            return _error(call_id, METHOD_NOT_FOUND, "Method does not exist")
        if isinstance(failure, TooManyCalls):
            return _error(
                call_id,
                TOO_MANY_CONCURRENT_CALLS,
                f"Maximum number of concurrent calls ({MAX_CALLS_IN_FLIGHT}) has exceeded",
            )
        if isinstance(failure, NotSerialisable):
            return _error(call_id, INTERNAL_ERROR, failure.reason, error_object(failure))
        if isinstance(failure, SandboxValidationErrors):
            return _error(call_id, INVALID_PARAMS, "Invalid params", error_object(failure))
        if isinstance(failure, SandboxCallError):
            return _error(call_id, METHOD_CALL_ERROR, "Method call error", error_object(failure))
        raise TypeError(f"not a call failure: {failure!r}")

    def event_frame(
        self, collection: str, msg: CollectionMsg, id: Any, fields: Any
    ) -> dict[str, Any]:
        """A ``collection_update`` notification."""
        params: dict[str, Any] = {"msg": msg, "collection": collection}
        if id is not None:
            params["id"] = id
        if msg != "removed":
            params["fields"] = fields
        return {"jsonrpc": "2.0", "method": "collection_update", "params": params}

    def unsubscribed_frame(self, collection: str, error: SandboxCallError | None) -> dict[str, Any]:
        """A ``notify_unsubscribed`` notification (error object without trace, or null)."""
        return {
            "jsonrpc": "2.0",
            "method": "notify_unsubscribed",
            "params": {
                "collection": collection,
                "error": None if error is None else error_object(error, with_trace=False),
            },
        }
