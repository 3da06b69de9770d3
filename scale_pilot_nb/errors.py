"""Exceptions raised by scale-pilot-nb.

Every exception the SDK raises derives from :class:`TrueNASError`, so one ``except`` clause
catches them all. Each carries what the NAS said (``errno``, ``errname``, ``reason``), field
errors, the job id where a job was involved, and a human ``hint`` saying what to do next.
Third-party exceptions (``websockets``, ``OSError``, ``yaml``) are translated at exactly one
boundary each, so none of them leaks to the caller. No exception ever carries a secret.

Hierarchy::

    TrueNASError
    ├── ConnectionError            network unreachable, dropped, TLS failure, bad endpoint
    │   └── RequestOutcomeUnknown  a mutation was sent, then the connection dropped
    ├── InsecureTransportError     an API key would travel over plain ws:// to a remote host
    ├── AuthenticationError        login refused (bad, expired or revoked key; bad password)
    │   └── RateLimitedError       "[EBUSY] Rate Limit Exceeded" before login
    ├── CallTimeoutError           a call or job wait took longer than its timeout
    │   └── AppNotReadyError*      the app did not become RUNNING and healthy in time
    ├── ApiError                   the middleware answered with an error (errno/errname/reason)
    │   ├── ValidationError        field errors (``extra``: attribute, message, errno)
    │   ├── AppNotFoundError       ENOENT for an app name
    │   ├── AppExistsError         EEXIST for an app name
    │   └── JobFailedError         a job ended FAILED or ABORTED
    │       └── AppCrashedError*   the deployed app CRASHED (service, last log lines, hint)
    ├── UnsupportedError           the NAS version lacks the feature (e.g. docker.backup on 24.10)
    ├── ConfigError                missing or contradictory connection settings
    ├── ConfirmationRequired*      a destructive call lacked its explicit confirmation
    ├── SecretsRequiredError*      a rollback needs secret values history did not keep
    ├── RevisionNotFoundError*     no such revision in the local history
    ├── RunnerError*               the sync façade's loop thread cannot run the call
    └── ComposeError               local compose problems (load, interpolate, convert)
        ├── ComposeLoadError       unreadable / unsafe / oversized YAML, with file:line:column
        └── ComposeInvalidError    validation found errors; ``report`` holds the findings

``*`` marks classes defined beside the code that raises them (``health``, ``history``,
``pilot``, ``runner``); all are importable from ``scale_pilot_nb``.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ApiError",
    "AppExistsError",
    "AppNotFoundError",
    "AuthenticationError",
    "CallTimeoutError",
    "ComposeError",
    "ComposeInvalidError",
    "ComposeLoadError",
    "ConfigError",
    "ConnectionError",
    "FieldError",
    "InsecureTransportError",
    "JobFailedError",
    "RateLimitedError",
    "RequestOutcomeUnknown",
    "TrueNASError",
    "UnsupportedError",
    "ValidationError",
]


@dataclass(frozen=True)
class FieldError:
    """One field error in ``ValidationErrors`` (``extra`` item ``[attr, msg, errno]``)."""

    attribute: str
    message: str
    errno: int | None = None

    def __str__(self) -> str:
        return f"{self.attribute}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"attribute": self.attribute, "message": self.message, "errno": self.errno}


class TrueNASError(Exception):
    """Base of every exception raised by scale-pilot-nb.

    Args:
        message: one line saying what happened.
        hint: one line saying what to do about it (optional).
        errno: the middleware's errno, when the NAS gave one.
        errname: the symbolic errno (``ENOENT``, ``EEXIST`` …).
        reason: the middleware's reason string, verbatim.
        job_id: the job the error belongs to, if any.
    """

    default_hint: str | None = None

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        errno: int | None = None,
        errname: str | None = None,
        reason: str | None = None,
        job_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.errno = errno
        self.errname = errname
        self.reason = reason
        self.job_id = job_id

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON output and AIHelper results (never contains secrets)."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "errno": self.errno,
            "errname": self.errname,
            "reason": self.reason,
            "job_id": self.job_id,
        }


class ConnectionError(TrueNASError, builtins.ConnectionError):
    """The NAS could not be reached, or the connection dropped."""

    default_hint = "Check the host name, port and that the TrueNAS web UI is reachable from here."


class RequestOutcomeUnknown(ConnectionError):
    """The connection dropped after a mutating request may have reached the NAS.

    The request is never re-sent blindly. ``sent`` says whether the frame left this machine;
    check the NAS (``app.query``) before retrying.
    """

    def __init__(self, message: str, *, method: str, sent: bool, **kwargs: Any) -> None:
        kwargs.setdefault(
            "hint",
            "The NAS may or may not have carried it out; look at the app's state before retrying."
            if sent
            else "The request never left this machine; it is safe to retry.",
        )
        super().__init__(message, **kwargs)
        self.method = method
        self.sent = sent


class InsecureTransportError(TrueNASError):
    """Refused to send an API key over plain ``ws://`` to a non-loopback host."""

    default_hint = (
        "Use wss:// (TrueNAS 25.04+ revokes an API key sent in clear text), "
        "or pass allow_insecure=True for a lab."
    )


class AuthenticationError(TrueNASError):
    """The NAS refused the credentials. Never retried automatically."""

    def __init__(self, message: str, *, mechanism: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.mechanism = mechanism


class RateLimitedError(AuthenticationError):
    """TrueNAS answered ``[EBUSY] Rate Limit Exceeded`` to an unauthenticated call."""

    default_hint = "TrueNAS allows 20 unauthenticated calls per method per minute; wait 60 s."


class CallTimeoutError(TrueNASError, builtins.TimeoutError):
    """A call or a job wait exceeded its timeout."""


class ApiError(TrueNASError):
    """The middleware answered with an error."""

    def __init__(
        self,
        message: str,
        *,
        trace_class: str | None = None,
        field_errors: list[FieldError] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.trace_class = trace_class
        self.field_errors: list[FieldError] = list(field_errors or [])

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["trace_class"] = self.trace_class
        data["field_errors"] = [f.to_dict() for f in self.field_errors]
        return data


class ValidationError(ApiError):
    """TrueNAS rejected arguments; ``field_errors`` lists each offending attribute."""

    def __str__(self) -> str:
        lines = [self.message, *(f"  - {f}" for f in self.field_errors)]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class AppNotFoundError(ApiError):
    """No app of that name exists on the NAS."""

    default_hint = "List the apps with pilot.apps() or `scale-compose list`."


class AppExistsError(ApiError):
    """An app of that name already exists on the NAS."""

    default_hint = "Pick another name, or deploy again to update the existing app."


class JobFailedError(ApiError):
    """A TrueNAS job ended FAILED or ABORTED.

    Attributes:
        state: the job's final state.
        progress_description: the last progress description before it failed.
    """

    def __init__(
        self,
        message: str,
        *,
        state: str = "FAILED",
        progress_description: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.state = state
        self.progress_description = progress_description


class UnsupportedError(TrueNASError):
    """The connected TrueNAS version does not offer this feature."""


class ConfigError(TrueNASError):
    """Connection settings are missing, malformed or contradictory."""


class ComposeError(TrueNASError):
    """A compose file could not be turned into a TrueNAS payload."""


class ComposeLoadError(ComposeError):
    """A compose file could not be loaded safely.

    Attributes:
        file: the file name, or ``"<string>"``.
        line: 1-based line, when known.
        column: 1-based column, when known.
        key: the offending key, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        key: str | None = None,
        **kwargs: Any,
    ) -> None:
        where = ":".join(str(p) for p in (file, line, column) if p is not None)
        super().__init__(f"{where}: {message}" if where else message, **kwargs)
        self.file = file
        self.line = line
        self.column = column
        self.key = key


class ComposeInvalidError(ComposeError):
    """A compose file failed validation, so nothing was sent to the NAS.

    Attributes:
        report: the :class:`~scale_pilot_nb.compose.ValidationReport` with every finding.
    """

    def __init__(self, message: str, *, report: Any, **kwargs: Any) -> None:
        kwargs.setdefault("hint", "Fix the errors listed in the report, then deploy again.")
        super().__init__(message, **kwargs)
        self.report = report

    def __str__(self) -> str:
        return f"{super().__str__()}\n{self.report}"

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["report"] = self.report.to_dict()
        return data
