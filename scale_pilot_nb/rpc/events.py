"""What the protocol core reports after parsing a server frame.

Both dialects (JSON-RPC 2.0 and the legacy DDP-like protocol) are normalised to these few
immutable values, so the client above never looks at wire shapes. ``ErrorInfo`` keeps every
field the middleware sends about an error; turning it into an exception is
:mod:`scale_pilot_nb.rpc.error_map`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CollectionUpdate",
    "Connected",
    "ErrorInfo",
    "Event",
    "HandshakeRefused",
    "JobUpdate",
    "Result",
    "RpcError",
    "Unsubscribed",
]

CollectionMsg = Literal["added", "changed", "removed"]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """An error exactly as the server described it, whatever the dialect.

    Attributes:
        message: the JSON-RPC ``message`` (``"Method call error"``) or, for the legacy dialect
            and job failures, the reason text.
        code: the JSON-RPC error code (``-32001`` …); ``None`` on the legacy dialect.
        errno: the middleware errno (``207``, ``22`` …) when one was sent.
        errname: the symbolic errno (``ENOTAUTHENTICATED``).
        reason: the middleware's reason text, verbatim (``"[EBUSY] Rate Limit Exceeded"``).
        trace_class: the server-side exception class (``"CallError"``, ``"ValidationErrors"``).
        extra: ``extra`` as sent; for validation errors a list of ``[attribute, message, errno]``.
        validation: the server flagged this as argument validation (JSON-RPC ``-32602``,
            legacy ``type: "VALIDATION"``, job ``exc_info.type == "VALIDATION"``).
    """

    message: str
    code: int | None = None
    errno: int | None = None
    errname: str | None = None
    reason: str | None = None
    trace_class: str | None = None
    extra: Any = None
    validation: bool = False


@dataclass(frozen=True, slots=True)
class Result:
    """A successful answer to the request ``id``.

    For subscriptions the result is the subscription id to pass to ``unsubscribe``.
    """

    id: str
    result: Any


@dataclass(frozen=True, slots=True)
class RpcError:
    """An error answer to the request ``id``; ``id`` is ``None`` for connection-wide errors."""

    id: str | None
    error: ErrorInfo


@dataclass(frozen=True, slots=True)
class JobUpdate:
    """A ``core.get_jobs`` collection update: the job's full object after a change."""

    msg: CollectionMsg
    job_id: int
    fields: dict[str, Any]

    @property
    def message_ids(self) -> tuple[str, ...]:
        """Request ids that created or joined the job (new-style jobs, 25.10+)."""
        ids = self.fields.get("message_ids") or ()
        return tuple(i for i in ids if isinstance(i, str))


@dataclass(frozen=True, slots=True)
class CollectionUpdate:
    """An event on a subscribed collection or event source (``app.query``, ``app.stats`` …).

    Attributes:
        collection: the name exactly as subscribed, including any ``:{json args}`` suffix.
        msg: ``added``, ``changed`` or ``removed``.
        id: the changed item's id (an app name for ``app.query``), when the event has one.
        fields: the payload (a dict, or a list for ``app.stats``); ``None`` for ``removed``.
        extra: any further keywords the server attached.
    """

    collection: str
    msg: CollectionMsg
    id: Any = None
    fields: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    """The server ended a subscription (``notify_unsubscribed``, legacy ``nosub``)."""

    collection: str
    error: ErrorInfo | None = None


@dataclass(frozen=True, slots=True)
class Connected:
    """The legacy handshake succeeded (``{"msg": "connected"}``)."""

    session: str | None


@dataclass(frozen=True, slots=True)
class HandshakeRefused:
    """The legacy handshake failed (``{"msg": "failed"}``): the server wants another version."""

    version: str | None


Event = (
    Result | RpcError | JobUpdate | CollectionUpdate | Unsubscribed | Connected | HandshakeRefused
)
