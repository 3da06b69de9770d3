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
    ├── InsecureTransportError     credentials would travel over plain ws:// to a remote host
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
    ├── NotCatalogAppError         a catalog-only call (upgrade summary, upgrade) on a custom app
    ├── ExecError                  a command could not be run in an app's container
    │   ├── ContainerNotRunningError  the app (or the chosen service) has no running container
    │   ├── ServiceChoiceError     no such service, or several and none chosen
    │   └── ShellRefusedError      the web shell refused the session (privilege, 24.10 API key)
    ├── ConfigError                missing or contradictory connection settings
    ├── ArgumentError              a call's argument is wrong (type, app-name rule …); nothing
    │                              was sent (also a ValueError)
    ├── ConfirmationRequired       a destructive call lacked its explicit confirmation, or its
    │                              confirm hook declined
    ├── SecretsRequiredError*      a rollback needs secret values history did not keep
    ├── RevisionNotFoundError*     no such revision in the local history
    ├── RunnerError*               the sync façade's loop thread cannot run the call
    └── ComposeError               local compose problems (load, interpolate, convert)
        ├── ComposeLoadError       unreadable / unsafe / oversized YAML, with file:line:column
        └── ComposeInvalidError    validation found errors; ``report`` holds the findings

``*`` marks classes defined beside the code that raises them (``health``, ``history``,
``pilot``, ``runner``); all are importable from ``scale_pilot_nb``.

One exception stands outside the tree on purpose::

    KeyboardInterrupt
    └── OperationInterrupted       Ctrl-C stopped a call that started TrueNAS jobs; it says
                                   what became of each (aborted, goes on, never sent …)

It is what Ctrl-C raises from a ``Pilot`` call that had started a job: a ``KeyboardInterrupt``
still stops a script, and ``except Exception`` (or ``except TrueNASError``) must not swallow
it. The verdicts it carries (:class:`InterruptedJob`) are made by the interrupted job calls as
they unwind on the event loop and handed to the thread that pressed Ctrl-C through an
:class:`InterruptionReport` (see ``docs/interrupts.md``).
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = [
    "MESSAGE_LIMIT",
    "ApiError",
    "AppExistsError",
    "AppNotFoundError",
    "ArgumentError",
    "AuthenticationError",
    "CallTimeoutError",
    "ComposeError",
    "ComposeInvalidError",
    "ComposeLoadError",
    "ConfigError",
    "ConfirmationRequired",
    "ConnectionError",
    "ContainerNotRunningError",
    "ExecError",
    "FieldError",
    "InsecureTransportError",
    "InterruptedJob",
    "InterruptionReport",
    "JobFailedError",
    "JobFate",
    "NotCatalogAppError",
    "OperationInterrupted",
    "RateLimitedError",
    "RequestOutcomeUnknown",
    "ServiceChoiceError",
    "ShellRefusedError",
    "TrueNASError",
    "UnsupportedError",
    "ValidationError",
    "capped",
    "record_interruption",
    "report_interruptions",
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


#: Characters of a message, hint or reason kept: a NAS (or a hostile server) may send an error
#: of megabytes, which would flood a terminal, a notebook and every log it reaches.
MESSAGE_LIMIT = 4096


def capped(text: str) -> str:
    """``text`` cut to :data:`MESSAGE_LIMIT` characters, saying how much was left out."""
    text = str(text)
    if len(text) <= MESSAGE_LIMIT:
        return text
    return f"{text[:MESSAGE_LIMIT]}… ({len(text) - MESSAGE_LIMIT} more characters)"


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
        message = capped(message)
        super().__init__(message)
        self.message = message
        self.hint = capped(hint) if hint is not None else self.default_hint
        self.errno = errno
        self.errname = errname
        self.reason = None if reason is None else capped(reason)
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
    """Refused to send credentials (an API key or a password) over plain ``ws://`` to a host
    that is not this machine."""

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


class ArgumentError(TrueNASError, ValueError):
    """An argument of a call is wrong (its type, the app-name rule, a range): nothing was sent.

    Also a ``ValueError``, so code written against plain Python conventions still catches it.
    """

    default_hint = "Check the argument against the method's docstring."


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


class NotCatalogAppError(TrueNASError):
    """A call that only catalog apps have (an upgrade to a catalog version, its summary) was
    made on a custom compose app, whose "upgrade" is a pull of newer images for its tags."""

    default_hint = (
        "Pull its newer images instead: pilot.update_images(name) or `scale-compose upgrade "
        "NAME`; `scale-compose updates` lists them."
    )


class ExecError(TrueNASError):
    """A command could not be run in an app's container (nothing ran, or its end is unknown)."""


class ContainerNotRunningError(ExecError):
    """The app, or the service asked for, has no running container to run a command in."""

    default_hint = "Start the app first: pilot.start(name) or `scale-compose start NAME`."


class ServiceChoiceError(ExecError):
    """The app has no service of that name, or several services and none was chosen."""


class ShellRefusedError(ExecError):
    """The NAS's web shell refused the session's token.

    TrueNAS gives one answer ("Invalid token") for every refusal, so the hint names the
    causes that fit the session: a 24.10 login with an API key, a user whose privilege lacks
    ``web_shell``, or a token used from another address than the one it was made for.
    """


class ConfigError(TrueNASError):
    """Connection settings are missing, malformed or contradictory."""


class ConfirmationRequired(TrueNASError):
    """A destructive operation was called without its explicit confirmation, or the
    ``confirm`` hook it was given declined: nothing was changed.

    Defined here rather than beside the pilot because the manager raises it too (a declined
    ``deploy(confirm=...)``), and the manager may not import the pilot.
    """


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


class JobFate(Enum):
    """What became of a job call when Ctrl-C or a cancellation cut its wait short."""

    #: The call never left this machine: nothing reached the NAS.
    NOT_SENT = "not_sent"
    #: The call was sent, but the NAS had not yet said which job runs it.
    SENT = "sent"
    #: The job was still WAITING for its lock and was aborted: its work never runs.
    ABORTED = "aborted"
    #: The job goes on on the NAS (RUNNING; or WAITING, for a job this call only followed).
    GOES_ON = "goes_on"
    #: The job had already ended (SUCCESS, FAILED or ABORTED) when it was looked at.
    ENDED = "ended"
    #: The job's state could not be checked (the connection, a timeout): it may go on.
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class InterruptedJob:
    """What became of one job call that was interrupted: a verdict, never raised.

    Attributes:
        method: the job method (``app.create`` …).
        fate: what became of it.
        app_name: the app it acts on, when its arguments name one.
        job_id: the job, once the NAS had named it.
        state: the job's state when last looked at.
        detail: why its state could not be checked (``fate`` UNCHECKED).
        followed: the call only waited for a job started before (``follow_job``), so it was
            never a candidate for an abort.
    """

    method: str
    fate: JobFate
    app_name: str | None = None
    job_id: int | None = None
    state: str | None = None
    detail: str | None = None
    followed: bool = False

    @property
    def aborted(self) -> bool:
        """True when the job was aborted before it began (nothing changed on the NAS)."""
        return self.fate is JobFate.ABORTED

    @property
    def message(self) -> str:
        """One sentence (two for a queued abort) saying what became of the call."""
        subject = ", ".join(part for part in (self.method, self.app_name) if part)
        job = f"job {self.job_id} ({subject})" if subject else f"job {self.job_id}"
        match self.fate:
            case JobFate.NOT_SENT:
                return f"Interrupted before {self._call} was sent: nothing reached the NAS."
            case JobFate.SENT:
                return (
                    f"Interrupted after {self._call} was sent, before the NAS named its job: "
                    "it may still run on the NAS."
                )
            case JobFate.ABORTED:
                queued = (
                    " It stays listed as WAITING until the job ahead of it with the same lock "
                    "ends, then as ABORTED, without running."
                )
                return (
                    f"Interrupted: {job} was aborted before it began; nothing changed on the "
                    f"NAS.{queued if self.state == 'WAITING' else ''}"
                )
            case JobFate.GOES_ON if self.followed:
                return f"Stopped waiting for {job}; it goes on on the NAS ({self.state})."
            case JobFate.GOES_ON:
                return (
                    f"Interrupted: {job} goes on on the NAS: it was {self.state}, and an abort "
                    "would only mark a running job ABORTED, not stop its work."
                )
            case JobFate.ENDED:
                return f"Interrupted, but {job} had already ended {self.state} on the NAS."
            case _:
                return (
                    f"Interrupted: {job} may go on on the NAS; its state could not be checked "
                    f"({self.detail})."
                )

    @property
    def _call(self) -> str:
        return f"{self.method} for {self.app_name}" if self.app_name else self.method

    @property
    def hint(self) -> str | None:
        """How to follow the job from here (``None`` when there is nothing to follow)."""
        if self.job_id is not None:
            return f"Follow it with pilot.job({self.job_id}) or `scale-compose job {self.job_id}`."
        if self.fate is JobFate.SENT:
            return (
                "List the NAS's unfinished jobs with `scale-compose job`, then follow one "
                "with pilot.job(N) or `scale-compose job N`."
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (for ``--json`` and ``AIHelper``)."""
        return {
            "method": self.method,
            "app_name": self.app_name,
            "job_id": self.job_id,
            "fate": self.fate.value,
            "state": self.state,
            "aborted": self.aborted,
            "message": self.message,
            "hint": self.hint,
        }


class OperationInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a call that had started TrueNAS jobs; this says what became of them.

    Each job call the interrupted operation had in flight was looked at before this was
    raised: a job still WAITING for its lock was aborted (its work never runs); a RUNNING job
    was left alone, because an abort only marks a running TrueNAS job ABORTED while its work
    carries on; the message says which, and the hint how to follow the job.

    Attributes:
        jobs: one verdict per interrupted job call, in the order they were interrupted.
        job_id: the first call's job (``None`` when the NAS had not named it yet).
        method: the first call's job method.
        app_name: the app the first call acts on, when its arguments name one.
        aborted: True when every interrupted job was aborted before it began.
        message: what became of each call, one line each.
        hint: how to follow the jobs that go on (``None`` when there is nothing to follow).
    """

    def __init__(self, jobs: Sequence[InterruptedJob]) -> None:
        if not jobs:
            raise ValueError("OperationInterrupted needs the verdict of at least one job call")
        self.jobs = tuple(jobs)
        first = self.jobs[0]
        self.job_id = first.job_id
        self.method = first.method
        self.app_name = first.app_name
        self.aborted = all(job.aborted for job in self.jobs)
        self.message = "\n".join(job.message for job in self.jobs)
        hints = dict.fromkeys(job.hint for job in self.jobs if job.hint)
        self.hint = "\n".join(hints) or None
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message

    def __reduce__(self) -> tuple[type[OperationInterrupted], tuple[tuple[InterruptedJob, ...]]]:
        return type(self), (self.jobs,)  # pickled with its verdicts, not its message

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form, shaped like :meth:`TrueNASError.to_dict` plus the verdicts."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "job_id": self.job_id,
            "method": self.method,
            "app_name": self.app_name,
            "aborted": self.aborted,
            "jobs": [job.to_dict() for job in self.jobs],
        }


class InterruptionReport:
    """The verdicts of the job calls one interrupted operation cut short.

    The cancelled calls write it on the event loop while they unwind; the thread that was
    interrupted reads it (hence the lock). A call may replace its verdict: it records "not
    checked yet" first, so whoever stops waiting early still has something true to say.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._verdicts: dict[object, InterruptedJob] = {}

    def record(self, call: object, verdict: InterruptedJob) -> None:
        """Set (or replace) the verdict of ``call`` (any object identifying the job call)."""
        with self._lock:
            self._verdicts[call] = verdict

    def error(self) -> OperationInterrupted | None:
        """The exception to raise for what was recorded; ``None`` when no job call was cut."""
        with self._lock:
            verdicts = list(self._verdicts.values())
        return OperationInterrupted(verdicts) if verdicts else None


_REPORT: ContextVar[InterruptionReport | None] = ContextVar(
    "scale_pilot_nb_interruption_report", default=None
)


def report_interruptions(report: InterruptionReport) -> None:
    """Collect into ``report`` the verdicts of job calls cancelled in the current task.

    Tasks it starts afterwards (``asyncio.gather`` of a bulk run) share the report, as they
    inherit the task's context. The sync façade's loop runner does this for every call.
    """
    _REPORT.set(report)


def record_interruption(call: object, verdict: InterruptedJob) -> bool:
    """Hand ``verdict`` to whoever collects in this context.

    Returns:
        False when nobody does (``async`` code cancelled the call itself).
    """
    report = _REPORT.get()
    if report is None:
        return False
    report.record(call, verdict)
    return True
