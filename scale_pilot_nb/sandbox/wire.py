"""Encoding shared by both dialects: TrueNAS ejson and TrueNAS error objects.

TrueNAS serialises dates as ``{"$date": ms}`` (whole seconds: the middleware drops the sub-second
part) and sets as ``{"$set": [...]}``; clients up to 26.0 double-count milliseconds when decoding,
so only multiples of 1000 round-trip exactly. Errors travel as the "TrueNAS error object" inside
JSON-RPC ``data`` or legacy ``error``; :func:`error_object` builds it from the contract's
exceptions so the model never sees JSON.
"""

from __future__ import annotations

import errno as _errno
import json
from datetime import UTC, date, datetime
from typing import Any

from scale_pilot_nb.sandbox.contract import (
    SandboxCallError,
    SandboxPythonError,
    SandboxValidationErrors,
)

#: TrueNAS-specific errnos (``ErrnoMixin``) that :data:`errno.errorcode` does not know.
TRUENAS_ERRNAMES = {
    201: "ENOMETHOD",
    202: "ESERVICESTARTFAILURE",
    203: "EALERTCHECKERUNAVAILABLE",
    204: "EREMOTENODEERROR",
    205: "EDATASETISLOCKED",
    206: "EINVALIDRRDTIMESTAMP",
    207: "ENOTAUTHENTICATED",
    208: "ESSLCERTVERIFICATIONERROR",
    209: "EREBOOTREQUIRED",
    210: "EHAUNAVAILABLE",
}

ENOMETHOD = 201
ENOTAUTHENTICATED = 207


def errname(number: int | None) -> str:
    """The symbolic name TrueNAS puts in ``errname`` (``"EUNKNOWN"`` when there is none)."""
    if number is None:
        return "EUNKNOWN"
    return TRUENAS_ERRNAMES.get(number) or _errno.errorcode.get(number, "EUNKNOWN")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"$date": int(aware.timestamp()) * 1000}
    if isinstance(value, date):
        return {"$type": "date", "$value": value.isoformat()}
    if isinstance(value, set | frozenset):
        return {"$set": sorted(value, key=repr)}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj and isinstance(obj["$date"], int | float):
            return datetime.fromtimestamp(obj["$date"] / 1000, UTC)
        if "$set" in obj and isinstance(obj["$set"], list):
            try:
                return set(obj["$set"])
            except TypeError:
                return obj
    return obj


def dumps(message: Any) -> str:
    """Serialise one outgoing frame with ejson.

    Raises:
        TypeError: a value has no JSON or ejson form (the caller answers -32603).
        ValueError: a circular reference.
    """
    return json.dumps(message, default=_default)


def loads(text: str | bytes) -> Any:
    """Parse one incoming frame, turning ejson ``$date``/``$set`` back into Python values.

    Raises:
        ValueError: the text is not JSON (``json.JSONDecodeError`` is a ``ValueError``).
    """
    return json.loads(text, object_hook=_object_hook)


def trace(trace_class: str, reason: str) -> dict[str, Any]:
    """A ``trace`` object shaped like the middleware's (no real frames: none exist here)."""
    return {
        "class": trace_class,
        "frames": [],
        "formatted": f"Traceback (most recent call last):\n{trace_class}: {reason}\n",
        "repr": f"{trace_class}({reason!r})",
    }


class UnexpectedError(SandboxPythonError):
    """Any non-``CallError`` exception: the middleware reports it as EINVAL without a prefix."""


def wire_reason(exc: SandboxCallError) -> str:
    """``str(exception)`` as the middleware prints it: ``[ERRNAME] text`` or validation lines."""
    if isinstance(exc, SandboxValidationErrors):
        return exc.reason if exc.lone else exc.reason + "\n"
    if exc.errno is None or isinstance(exc, SandboxPythonError):
        return exc.reason
    return f"[{errname(exc.errno)}] {exc.reason}"


def error_object(exc: SandboxCallError, *, with_trace: bool = True) -> dict[str, Any]:
    """The TrueNAS error object for ``exc`` (JSON-RPC ``data`` / ``notify_unsubscribed.error``).

    Args:
        exc: the error as the model (or the server) raised it.
        with_trace: ``False`` for event-source errors, which the middleware sends without a trace.
    """
    reason = wire_reason(exc)
    return {
        "error": exc.errno,
        "errname": errname(exc.errno),
        "reason": reason,
        "trace": trace(exc.trace_class, reason) if with_trace else None,
        "extra": exc.extra,
    }
