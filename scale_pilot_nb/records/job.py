"""TrueNAS jobs: the object ``core.get_jobs`` returns and its events carry.

Every mutating ``app.*`` call runs as a job, and even argument validation fails *inside* the
job, so the failure details live here: ``error`` (the middleware's ``str(exc)``),
``exc_info.type`` (``VALIDATION``, ``CallError`` …), ``exc_info.errno`` and, for validation
failures, the field errors from ``exc_info.extra``. ``message_ids`` exists from 25.10 on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from scale_pilot_nb.errors import FieldError, TrueNASError
from scale_pilot_nb.records._base import (
    Record,
    WireEnum,
    entry_of,
    flag,
    integer,
    number,
    strings,
    text,
    wire_datetime,
)
from scale_pilot_nb.records._types import Entry
from scale_pilot_nb.rpc import error_map

__all__ = ["Job", "JobProgress", "JobState"]


class JobState(WireEnum):
    """Job state; UNKNOWN also covers a job whose connection was lost."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    ABORTED = "ABORTED"
    UNKNOWN = "UNKNOWN"

    @property
    def finished(self) -> bool:
        """True for the terminal states SUCCESS, FAILED and ABORTED."""
        return self in (JobState.SUCCESS, JobState.FAILED, JobState.ABORTED)


@dataclass(frozen=True, repr=False)
class JobProgress(Record):
    """How far a job has got: percent (0-100, may be unknown) and what it is doing."""

    percent: float | None = None
    description: str = ""
    extra: Any = field(default=None, hash=False)

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse ``{"percent": 60, "description": "...", "extra": null}``."""
        entry = entry_of(entry, "job progress")
        return cls(
            percent=number(entry.get("percent")),
            description=text(entry.get("description")) or "",
            extra=entry.get("extra"),
        )

    def __repr__(self) -> str:
        percent = "?" if self.percent is None else f"{self.percent:g}"
        return f"JobProgress({percent}%, {self.description!r})"


@dataclass(frozen=True, repr=False)
class Job(Record):
    """A TrueNAS job.

    Attributes:
        id: job id.
        method: the method that started it, e.g. ``app.create``.
        state: current state.
        progress: latest progress.
        description: the job's description, if any.
        arguments: call arguments (the NAS redacts secret fields).
        result: the result once SUCCESS.
        error: the middleware's error text once FAILED, e.g. ``[EEXIST] Application …``.
        error_type: ``exc_info.type``: ``VALIDATION``, ``CallError`` or a class name.
        errno: ``exc_info.errno``, when the NAS gave one.
        field_errors: field errors of a VALIDATION failure.
        traceback: the formatted server-side traceback (``exception``).
        abortable: the job can be aborted with ``core.job_abort``.
        transient: the job is not kept in the job list.
        time_started: when it started running.
        time_finished: when it finished.
        message_ids: JSON-RPC ids of the calls that created or joined it (25.10+).
        logs_excerpt: tail of the job's log, if it keeps one.
    """

    id: int
    method: str = ""
    state: JobState = JobState.UNKNOWN
    progress: JobProgress = field(default_factory=JobProgress)
    description: str | None = None
    arguments: tuple[Any, ...] = field(default=(), hash=False)
    result: Any = field(default=None, hash=False)
    error: str | None = None
    error_type: str | None = None
    errno: int | None = None
    field_errors: tuple[FieldError, ...] = ()
    traceback: str | None = None
    abortable: bool = False
    transient: bool = False
    time_started: dt.datetime | None = None
    time_finished: dt.datetime | None = None
    message_ids: tuple[str, ...] = ()
    logs_excerpt: str | None = None

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse a ``core.get_jobs`` item or a job event's ``fields``.

        Raises:
            TrueNASError: the entry is not an object or has no integer ``id``.
        """
        entry = entry_of(entry, "job")
        job_id = integer(entry.get("id"))
        if job_id is None:
            raise TrueNASError(
                "The NAS sent a job without an id.",
                hint="The NAS answered with an unexpected shape; check its version is supported.",
            )
        exc_info = entry.get("exc_info")
        exc_info = exc_info if isinstance(exc_info, Mapping) else {}
        error_type = text(exc_info.get("type"))
        progress = entry.get("progress")
        arguments = entry.get("arguments")
        return cls(
            id=job_id,
            method=text(entry.get("method")) or "",
            state=JobState(text(entry.get("state")) or "UNKNOWN"),
            progress=JobProgress.from_api(progress)
            if isinstance(progress, Mapping)
            else JobProgress(),
            description=text(entry.get("description")),
            arguments=tuple(arguments) if isinstance(arguments, list | tuple) else (),
            result=entry.get("result"),
            error=text(entry.get("error")),
            error_type=error_type,
            errno=integer(exc_info.get("errno")),
            field_errors=_validation_errors(error_type, exc_info.get("extra")),
            traceback=text(entry.get("exception")),
            abortable=flag(entry.get("abortable")),
            transient=flag(entry.get("transient")),
            time_started=wire_datetime(entry.get("time_started")),
            time_finished=wire_datetime(entry.get("time_finished")),
            message_ids=strings(entry.get("message_ids")),
            logs_excerpt=text(entry.get("logs_excerpt")),
        )

    @property
    def finished(self) -> bool:
        """True once the job is SUCCESS, FAILED or ABORTED."""
        return self.state.finished

    @property
    def succeeded(self) -> bool:
        """True when the job ended SUCCESS."""
        return self.state is JobState.SUCCESS

    @property
    def duration(self) -> dt.timedelta | None:
        """Run time, once both timestamps are known."""
        if self.time_started is None or self.time_finished is None:
            return None
        return self.time_finished - self.time_started

    def __repr__(self) -> str:
        parts = [str(self.id), repr(self.method), self.state.value]
        if self.progress.percent is not None and not self.finished:
            parts.append(f"{self.progress.percent:g}%")
        if self.error:
            parts.append(f"error={self.error.strip()!r}")
        return f"Job({', '.join(parts)})"


def _validation_errors(error_type: str | None, extra: object) -> tuple[FieldError, ...]:
    """Field errors of a VALIDATION failure; ``extra`` means something else for other errors."""
    if error_type != "VALIDATION":
        return ()
    return tuple(error_map.field_errors(extra))
