"""TrueNAS jobs: ids, locks, state machine, progress, abort and ``core.get_jobs`` events.

A job goes WAITING → RUNNING → (progress changes) → SUCCESS / FAILED / ABORTED, and every step is
published to the ``core.get_jobs`` collection as the middleware does (``added`` once, then
``changed``). How the *caller* learns the outcome — the job id at once (legacy jobs) or the final
result after the events (new-style jobs) — is the dispatcher's business, not this module's.

Queueing and abort follow ``middlewared/job.py`` (``JobsQueue``, ``Job.run``, ``Job.abort``; the
same in TS-24.10.2.4, TS-25.04.2.6 and TS-25.10.5):

* a job stays WAITING while another job holds its lock (``MethodSpec.lock``); locks are
  granted in the order the jobs were submitted;
* ``core.job_abort`` of a WAITING job only marks it: it stays WAITING until the lock is free,
  then ends ABORTED without ever being RUNNING and without running its body (no event is sent
  at the abort itself);
* ``core.job_abort`` of a RUNNING job cancels the job's future: the job ends ABORTED and
  releases its lock at once, but a thread body (``MethodSpec.threaded``: every app job) does
  its work to the end regardless, as a worker thread cannot be cancelled;
* ``abortable`` in the job object is only a hint for the web UI (the ``@job`` option, False
  for every job here); ``core.job_abort`` does not look at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import inspect
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scale_pilot_nb.sandbox.contract import (
    CollectionMsg,
    EventSink,
    SandboxCallError,
    SandboxValidationErrors,
    version_at_least,
)
from scale_pilot_nb.sandbox.faults import Faults
from scale_pilot_nb.sandbox.query import filter_list
from scale_pilot_nb.sandbox.wire import UnexpectedError, trace, wire_reason

#: Finished jobs kept for ``core.get_jobs`` (the oldest finished ones are forgotten first).
KEEP_FINISHED_JOBS = 1000

JobBody = Callable[["Job"], Any]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class JobAborted(SandboxCallError):
    """What a new-style caller gets for a job aborted with ``core.job_abort``."""

    def __init__(self, job_id: int) -> None:
        super().__init__(errno.ECANCELED, f"Job {job_id} was aborted")


@dataclass
class Job:
    """One job as ``core.get_jobs`` reports it.

    ``finished`` resolves to the result, or to the exception the job failed with. ``lock`` is
    the name of the lock it takes (``None``: none); ``aborted`` records a ``core.job_abort``
    received while it was WAITING; ``work`` is the task doing its body once RUNNING.
    """

    id: int
    method: str
    arguments: list[Any]
    message_ids: list[str]
    credentials: dict[str, Any] | None
    lock: str | None = None
    threaded: bool = False
    aborted: bool = False
    state: str = "WAITING"
    progress: dict[str, Any] = field(
        default_factory=lambda: {"percent": 0, "description": "", "extra": None}
    )
    result: Any = None
    error: str | None = None
    exception: str | None = None
    exc_info: dict[str, Any] | None = None
    time_started: datetime = field(default_factory=_now)
    time_finished: datetime | None = None
    running: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    finished: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future(), repr=False
    )
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    work: asyncio.Task[Any] | None = field(default=None, repr=False)

    def fields(self, version: str) -> dict[str, Any]:
        """The job object (``core.get_jobs`` item and event ``fields``)."""
        data: dict[str, Any] = {
            "id": self.id,
            "method": self.method,
            "arguments": self.arguments,
            "transient": False,
            "description": None,
            "abortable": False,
            "logs_path": None,
            "logs_excerpt": None,
            "progress": dict(self.progress),
            "result": self.result,
            "result_encoding_error": None,
            "error": self.error,
            "exception": self.exception,
            "exc_info": self.exc_info,
            "state": self.state,
            "time_started": self.time_started,
            "time_finished": self.time_finished,
            "credentials": self.credentials,
        }
        if version_at_least(version, "25.10"):
            data["message_ids"] = list(self.message_ids)
        return data


class _Handle:
    """The :class:`~scale_pilot_nb.sandbox.contract.JobHandle` a job method sees."""

    def __init__(self, job: Job, manager: JobManager) -> None:
        self.id = job.id
        self._job = job
        self._manager = manager

    def set_progress(self, percent: float | None, description: str | None = None) -> None:
        progress = self._job.progress
        if percent is not None:
            progress["percent"] = max(0, min(100, int(percent)))
        if description is not None:
            progress["description"] = description
        self._manager.publish(self._job, "changed")


def _failure(exc: SandboxCallError) -> dict[str, Any]:
    """``exc_info`` for a failed job (VALIDATION for field errors, as the client expects)."""
    if isinstance(exc, SandboxValidationErrors):
        single = exc.errors[0][2] if len(exc.errors) == 1 else None
        return {
            "repr": f"ValidationErrors({exc.errors!r})",
            "type": "VALIDATION",
            "errno": single,
            "extra": exc.extra,
        }
    return {
        "repr": f"{exc.trace_class}({exc.reason!r})",
        "type": exc.trace_class,
        "errno": exc.errno,
        "extra": exc.extra,
    }


def _settle_with_error(job: Job, exc: SandboxCallError) -> None:
    """Fail ``job.finished``; marked as retrieved because legacy callers never await it."""
    job.finished.set_exception(exc)
    job.finished.exception()


class JobManager:
    """Creates, queues, runs, aborts and lists jobs; publishes their events through ``sink``.

    Args:
        version: the sandbox version (``message_ids`` exist from 25.10).
        sink: where ``core.get_jobs`` events go.
        faults: consulted for "fail the next job" and "hold the work of these jobs".
    """

    def __init__(self, version: str, sink: EventSink, faults: Faults) -> None:
        self.version = version
        self._sink = sink
        self._faults = faults
        self._ids = itertools.count(1)
        self._locks: dict[str, asyncio.Lock] = {}
        self.jobs: dict[int, Job] = {}
        self.on_finished: Callable[[Job], None] | None = None

    def publish(self, job: Job, msg: CollectionMsg) -> None:
        """Send one ``core.get_jobs`` event for ``job``."""
        self._sink.publish("core.get_jobs", msg, id=job.id, fields=job.fields(self.version))

    def submit(
        self,
        method: str,
        arguments: list[Any],
        body: Callable[[_Handle], Awaitable[Any] | Any],
        *,
        message_id: str | None,
        credentials: dict[str, Any] | None,
        lock: str | None = None,
        threaded: bool = False,
    ) -> Job:
        """Create a job and start a task that publishes ``added`` (WAITING), waits for
        ``lock``, and runs ``body`` (see the module docstring for ``threaded``)."""
        job = Job(
            next(self._ids),
            method,
            list(arguments),
            [message_id] if message_id is not None else [],
            credentials,
            lock=lock,
            threaded=threaded,
        )
        self.jobs[job.id] = job
        self._forget_old()
        job.task = asyncio.get_running_loop().create_task(
            self._run(job, body), name=f"sandbox-job-{job.id}"
        )
        job.task.add_done_callback(lambda _: _abort_if_never_run(job))
        return job

    async def _run(self, job: Job, body: Callable[[_Handle], Awaitable[Any] | Any]) -> None:
        # ``added`` goes out from the task, so a legacy caller's job-id response (queued in the
        # same loop step as the submit) precedes it, as in the captures of real clients.
        self.publish(job, "added")
        try:
            await asyncio.sleep(0)
            async with self._lock_of(job):
                if job.aborted:  # aborted while WAITING: its body never runs
                    raise asyncio.CancelledError
                result = await self._start(job, body)
        except asyncio.CancelledError:
            job.state = "ABORTED"
            _settle_with_error(job, JobAborted(job.id))
        except SandboxCallError as exc:
            self._fail(job, exc)
        except Exception as exc:  # a bug in a job method still ends the job, like in TrueNAS
            self._fail(job, UnexpectedError(exc))
        else:
            job.state, job.result = "SUCCESS", result
            job.progress.update(percent=100, description="")
            job.finished.set_result(result)
        job.time_finished = _now()
        self.publish(job, "changed")
        if self.on_finished is not None:
            self.on_finished(job)

    def _lock_of(self, job: Job) -> contextlib.AbstractAsyncContextManager[Any]:
        """The lock ``job`` waits for (WAITING) and holds until it ends."""
        if job.lock is None:
            return contextlib.nullcontext()
        return self._locks.setdefault(job.lock, asyncio.Lock())

    async def _start(self, job: Job, body: Callable[[_Handle], Awaitable[Any] | Any]) -> Any:
        """RUNNING: do the job's work; an abort cancels the wait, and the work too unless it
        is a thread body."""
        job.state = "RUNNING"
        job.running.set()
        self.publish(job, "changed")
        injected = self._faults.take_next_job_error()
        if injected is not None:
            raise injected
        job.work = asyncio.get_running_loop().create_task(
            self._work(job, body), name=f"sandbox-job-{job.id}-work"
        )
        job.work.add_done_callback(_consume)
        return await (asyncio.shield(job.work) if job.threaded else job.work)

    async def _work(self, job: Job, body: Callable[[_Handle], Awaitable[Any] | Any]) -> Any:
        await self._faults.wait_if_held(job.method)
        result = body(_Handle(job, self))
        if inspect.isawaitable(result):
            result = await result
        return result

    def _fail(self, job: Job, exc: SandboxCallError) -> None:
        job.state = "FAILED"
        job.error = wire_reason(exc)
        job.exception = trace(exc.trace_class, job.error)["formatted"]
        job.exc_info = _failure(exc)
        _settle_with_error(job, exc)

    def abort(self, job_id: int) -> bool:
        """``core.job_abort``: mark a WAITING job, cancel a RUNNING one, ignore a finished one.

        Returns:
            False when no job has that id (the middleware's ``InstanceNotFound``).
        """
        job = self.jobs.get(job_id)
        if job is None:
            return False
        if job.state == "WAITING":
            job.aborted = True
        elif job.task is not None and not job.task.done():
            job.task.cancel()
        return True

    def query(self, filters: Any = None, options: Any = None) -> Any:
        """``core.get_jobs(filters, options)``."""
        return filter_list((j.fields(self.version) for j in self.jobs.values()), filters, options)

    def _forget_old(self) -> None:
        finished = [j for j in self.jobs.values() if j.finished.done()]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED_JOBS)]:
            del self.jobs[job.id]

    def cancel_all(self) -> list[asyncio.Task[Any]]:
        """Stop every job and its work, threads included (server shutdown and reset).

        Returns:
            The cancelled tasks; shutdown awaits them so each job ends (ABORTED, event sent)
            on a live loop instead of being torn down with it.
        """
        tasks = [t for job in self.jobs.values() for t in (job.task, job.work) if t is not None]
        cancelled = [task for task in tasks if not task.done()]
        for task in cancelled:
            task.cancel()
        return cancelled


def _abort_if_never_run(job: Job) -> None:
    """End a job whose task was cancelled before its first step (a restart right after the
    submit): ``_run`` never ran, so nothing else ends it, and it must not outlive its loop."""
    if not job.finished.done():
        job.state, job.time_finished = "ABORTED", _now()
        _settle_with_error(job, JobAborted(job.id))


def _consume(task: asyncio.Task[Any]) -> None:
    """Retrieve the outcome of a job's work: after an abort nobody awaits it any more."""
    if not task.cancelled():
        task.exception()
