"""The one place where middleware errors become :mod:`scale_pilot_nb.errors` exceptions.

Three sources feed it: error answers to calls (:class:`~scale_pilot_nb.rpc.events.ErrorInfo`,
either dialect), failed or aborted jobs (the job object of ``core.get_jobs``), and login
answers. Every exception keeps what the NAS said — errno, errname, reason, field errors,
trace class and job id — and adds a hint.

Mapping of call errors, first match wins:

==============================================  ==========================================
what the server sent                            exception
==============================================  ==========================================
``-32602`` / legacy ``type: VALIDATION``        :class:`~scale_pilot_nb.errors.ValidationError`
errno 16 EBUSY "Rate Limit Exceeded"            :class:`~scale_pilot_nb.errors.RateLimitedError`
errno 207 ENOTAUTHENTICATED, "Session expired"  :class:`~scale_pilot_nb.errors.AuthenticationError`
``-32601`` / errno 201 ENOMETHOD                :class:`~scale_pilot_nb.errors.UnsupportedError`
anything else (``-32001`` …)                    :class:`~scale_pilot_nb.errors.ApiError`
==============================================  ==========================================

App-level meaning (ENOENT on an app name -> ``AppNotFoundError``) needs to know what the
arguments were, so the manager refines ``ApiError`` there.
"""

from __future__ import annotations

import errno as _errno
from collections.abc import Mapping
from typing import Any

from scale_pilot_nb.errors import (
    ApiError,
    AuthenticationError,
    FieldError,
    JobFailedError,
    RateLimitedError,
    TrueNASError,
    UnsupportedError,
    ValidationError,
)
from scale_pilot_nb.rpc.events import ErrorInfo

__all__ = [
    "call_error",
    "errname_for",
    "field_errors",
    "job_error",
    "login_error",
    "login_refused",
]

#: TrueNAS-specific errnos (``ErrnoMixin``), beyond the C library's.
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
ENOTAUTHENTICATED = 207
ENOMETHOD = 201
_METHOD_NOT_FOUND = -32601
_TOO_MANY_CALLS = -32000

_HINTS = {
    _errno.EACCES: "The user lacks the role this call needs; check its privileges in the web UI.",
    _errno.ENOENT: "The object does not exist (any more); query the current state first.",
    _errno.EEXIST: "It exists already; update it instead of creating it.",
}


def errname_for(number: int | None) -> str | None:
    """The symbolic name of a middleware errno (``207`` -> ``"ENOTAUTHENTICATED"``)."""
    if number is None:
        return None
    return TRUENAS_ERRNAMES.get(number) or _errno.errorcode.get(number)


def field_errors(extra: Any) -> list[FieldError]:
    """Field errors from a validation ``extra`` (a list of ``[attribute, message, errno]``).

    Items of any other shape are skipped: ``extra`` is free-form for non-validation errors.
    """
    if not isinstance(extra, list | tuple):
        return []
    found = []
    for item in extra:
        if isinstance(item, list | tuple) and len(item) >= 2:
            number = item[2] if len(item) > 2 and isinstance(item[2], int) else None
            found.append(FieldError(str(item[0] or "ALL"), str(item[1]), number))
    return found


def call_error(info: ErrorInfo, *, method: str, job_id: int | None = None) -> TrueNASError:
    """The exception for an error answer to a call of ``method``."""
    errname = info.errname or errname_for(info.errno)
    common: dict[str, Any] = {
        "errno": info.errno,
        "errname": errname,
        "reason": info.reason,
        "job_id": job_id,
    }
    text = info.reason or info.message
    if info.validation:
        return ValidationError(
            f"{method}: the NAS rejected the arguments",
            trace_class=info.trace_class,
            field_errors=field_errors(info.extra),
            hint="Fix the fields listed above and try again.",
            **common,
        )
    if _is_rate_limit(info):
        return RateLimitedError(f"{method}: {text}", **common)
    if info.errno == ENOTAUTHENTICATED or "Session is expired" in text:
        return AuthenticationError(
            f"{method}: {text}",
            hint="Log in first; a session also ends when TrueNAS expires it.",
            **common,
        )
    if info.code == _METHOD_NOT_FOUND or info.errno == ENOMETHOD:
        return UnsupportedError(
            f"{method}: this TrueNAS does not offer that method ({text})",
            hint="Check the TrueNAS version; the method may be newer or have been removed.",
            **common,
        )
    hint = _HINTS.get(info.errno) if info.errno is not None else None
    if info.code == _TOO_MANY_CALLS:
        hint = "Too many calls at once on one connection; lower the concurrency."
    return ApiError(
        f"{method}: {text}",
        trace_class=info.trace_class,
        field_errors=field_errors(info.extra),
        hint=hint,
        **common,
    )


def job_error(job: Mapping[str, Any]) -> TrueNASError:
    """The exception for a job object whose state is ``FAILED`` or ``ABORTED``.

    ``exc_info.type == "VALIDATION"`` means the arguments were rejected inside the job (for
    example an invalid app name in ``app.create``): that is a :class:`ValidationError`. All
    other failures are a :class:`JobFailedError` carrying the last progress description.
    """
    job_id = job.get("id") if isinstance(job.get("id"), int) else None
    method = str(job.get("method") or "job")
    state = str(job.get("state") or "FAILED")
    exc_info = _mapping(job.get("exc_info"))
    number = exc_info.get("errno") if isinstance(exc_info.get("errno"), int) else None
    error_text = job.get("error")
    progress = _mapping(job.get("progress"))
    common: dict[str, Any] = {
        "errno": number,
        "errname": errname_for(number),
        "reason": str(error_text) if error_text is not None else None,
        "job_id": job_id,
        "trace_class": _str_or_none(exc_info.get("type")),
        "field_errors": field_errors(exc_info.get("extra")),
    }
    if exc_info.get("type") == "VALIDATION":
        return ValidationError(
            f"{method} (job {job_id}): the NAS rejected the arguments",
            hint="Fix the fields listed above and try again.",
            **common,
        )
    if state == "ABORTED":
        message = f"{method} (job {job_id}) was aborted"
    else:
        message = f"{method} (job {job_id}) failed: {error_text or 'no reason given'}"
    return JobFailedError(
        message,
        state=state,
        progress_description=_str_or_none(progress.get("description")) or None,
        hint=_HINTS.get(number) if number is not None else None,
        **common,
    )


_LOGIN_REASONS = {
    "AUTH_ERR": ("the credentials were rejected (wrong key, user name or password)", None),
    "EXPIRED": (
        "the credential has expired or was revoked",
        "TrueNAS revokes an API key used over plain ws:// from another host; "
        "create a new key in the web UI and connect with wss://.",
    ),
    "DENIED": ("the account is not allowed to use the API", None),
    "OTP_REQUIRED": (
        "the account requires a one-time password",
        "Two-factor logins are not supported yet; use an API key.",
    ),
    "REDIRECT": ("this is an HA standby node", "Connect to the active controller instead."),
}


def login_refused(mechanism: str, response_type: str | None) -> AuthenticationError:
    """The exception for a login that returned ``false`` or a non-SUCCESS response type."""
    reason, hint = _LOGIN_REASONS.get(
        response_type or "",
        ("the NAS answered that the login failed (wrong, expired or revoked credentials)", None),
    )
    return AuthenticationError(
        f"Login with {mechanism} failed: {reason}",
        mechanism=mechanism,
        reason=response_type,
        hint=hint or "Check the credentials; they are not retried automatically.",
    )


def login_error(mechanism: str, error: TrueNASError) -> AuthenticationError:
    """Turn an error answer to a login call into an :class:`AuthenticationError`.

    Rate limiting stays a :class:`RateLimitedError` (which is an ``AuthenticationError``).
    """
    kwargs: dict[str, Any] = {
        "mechanism": mechanism,
        "errno": error.errno,
        "errname": error.errname,
        "reason": error.reason,
    }
    if isinstance(error, RateLimitedError):
        return RateLimitedError(f"Login with {mechanism} was rate limited", **kwargs)
    return AuthenticationError(
        f"Login with {mechanism} failed: {error.reason or error.message}", **kwargs
    )


def _is_rate_limit(info: ErrorInfo) -> bool:
    return info.errno == _errno.EBUSY and "Rate Limit" in (info.reason or info.message)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
