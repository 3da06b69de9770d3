"""Jobs: folding ``core.get_jobs`` events into job state, and waiting for one job to end.

TrueNAS runs every long or mutating operation as a job and reports each change as a
``core.get_jobs`` collection update carrying the whole job object. The client subscribes to
that collection once per connection (right after login, before the first job call), so every
event of every job it starts reaches it; waits are driven by those events, never by polling.

* :class:`JobTracker` keeps the latest known object of recent jobs (bounded), so events that
  arrive before a caller knows its job id are not lost.
* :class:`JobWaiter` is one caller's wait: it reports ``(percent, description)`` to a progress
  callback, in order and without repeats, and completes with the result or the mapped error.
* :class:`JobWaiters` routes events to the waits of one client.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scale_pilot_nb.errors import RequestOutcomeUnknown, TrueNASError
from scale_pilot_nb.rpc.error_map import job_error
from scale_pilot_nb.rpc.events import JobUpdate
from scale_pilot_nb.rpc.job_identity import JobCall, app_name_of

__all__ = [
    "TERMINAL_STATES",
    "JobSnapshot",
    "JobTracker",
    "JobWaiter",
    "JobWaiters",
    "ProgressCallback",
    "app_name_of",
    "job_query",
    "notify",
]

logger = logging.getLogger(__name__)

#: States after which a job never changes again.
TERMINAL_STATES = frozenset({"SUCCESS", "FAILED", "ABORTED"})


def job_query(job_id: int) -> list[Any]:
    """``core.get_jobs`` parameters for one job, with its result as the job's events carry it.

    Without ``extra.raw_result`` TrueNAS returns a queried job's result with its secret
    fields redacted; a wait that re-attaches after a drop must end with the real result.
    """
    return [[["id", "=", job_id]], {"extra": {"raw_result": True}}]


#: Called with ``(percent, description)`` on every progress change; runs on the event loop,
#: so it must be quick and must not block. Its return value is ignored; exceptions are logged.
ProgressCallback = Callable[[int | None, str], object]


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """A job as last reported by the NAS.

    Attributes:
        id: the job id.
        state: ``WAITING``, ``RUNNING``, ``SUCCESS``, ``FAILED`` or ``ABORTED``.
        percent: progress percent (0–100), or ``None`` when the job reports none.
        description: the progress description (``""`` when none).
        fields: the full job object as sent (``method``, ``result``, ``error``, ``exc_info`` …).
    """

    id: int
    state: str
    percent: int | None
    description: str
    fields: Mapping[str, Any]

    @classmethod
    def from_fields(cls, job_id: int, fields: Mapping[str, Any]) -> JobSnapshot:
        """Build a snapshot from a job object (an event's ``fields`` or a query row)."""
        progress = fields.get("progress")
        progress = progress if isinstance(progress, dict) else {}
        percent = progress.get("percent")
        return cls(
            id=job_id,
            state=str(fields.get("state") or "WAITING"),
            percent=int(percent) if isinstance(percent, int | float) else None,
            description=str(progress.get("description") or ""),
            fields=fields,
        )

    @property
    def terminal(self) -> bool:
        """True once the job has ended (success, failure or abort)."""
        return self.state in TERMINAL_STATES

    def outcome(self) -> Any:
        """The job's result if it succeeded.

        Raises:
            JobFailedError: the job failed or was aborted.
            ValidationError: the job rejected its arguments (``exc_info.type == "VALIDATION"``).
        """
        if self.state == "SUCCESS":
            return self.fields.get("result")
        raise job_error(self.fields)


class JobTracker:
    """The latest known object of recent jobs, keyed by job id (sans-I/O).

    Args:
        capacity: how many jobs to remember; the least recently updated are forgotten first.
            An admin session sees every job on the NAS, so this must be bounded.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._capacity = capacity
        self._jobs: OrderedDict[int, JobSnapshot] = OrderedDict()

    def apply(self, update: JobUpdate) -> JobSnapshot | None:
        """Fold one event in; returns the job's new snapshot (``None`` for ``removed``)."""
        if update.msg == "removed":
            self._jobs.pop(update.job_id, None)
            return None
        return self.record(update.job_id, update.fields)

    def record(self, job_id: int, fields: Mapping[str, Any]) -> JobSnapshot:
        """Store a job object (from an event or a ``core.get_jobs`` query)."""
        snapshot = JobSnapshot.from_fields(job_id, fields)
        self._jobs[job_id] = snapshot
        self._jobs.move_to_end(job_id)
        while len(self._jobs) > self._capacity:
            self._jobs.popitem(last=False)
        return snapshot

    def get(self, job_id: int) -> JobSnapshot | None:
        """The last known snapshot of ``job_id``, if it is still remembered."""
        return self._jobs.get(job_id)

    def __len__(self) -> int:
        return len(self._jobs)


class JobWaiter:
    """One caller waiting for one job.

    Created before the job call is sent (so no event can be missed), bound to a job id as
    soon as it is known (the call's answer for legacy jobs, ``message_ids`` for new-style
    jobs), then fed every snapshot of that job. ``observed`` counts the snapshots fed, so a
    caller can tell whether events arrived while it was querying the job's state.
    ``requests`` lists the ids of the job call's requests handed to a connection: once there
    is one, the call may have reached the NAS, even before the job id is known.

    A job id names this wait's job only until the middleware restarts (ids start again at 1),
    so every snapshot is checked against the call the job belongs to: the one sent (``params``
    given), or else the one the first snapshot names. A snapshot of another call's job ends
    the wait with :class:`~scale_pilot_nb.errors.RequestOutcomeUnknown`: the job this wait
    followed is gone with the old middleware, and nothing says whether it did its work.

    Args:
        method: the job method, for messages.
        progress: optional callback for ``(percent, description)`` changes.
        on_job: called with the job id the first time it is known.
        params: the job call's parameters, when this wait sent the call.
    """

    def __init__(
        self,
        method: str,
        progress: ProgressCallback | None = None,
        on_job: Callable[[int], None] | None = None,
        *,
        params: Sequence[Any] | None = None,
    ) -> None:
        self.method = method
        self._call = JobCall(method, tuple(params)) if params is not None else None
        self._job_id: int | None = None
        self._on_job = on_job
        self.observed = 0
        self.requests: list[str] = []
        self.future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._progress = progress
        self._last_progress: tuple[int | None, str] | None = None

    @property
    def job_id(self) -> int | None:
        """The job's id once known (``on_job`` hears it the first time)."""
        return self._job_id

    @job_id.setter
    def job_id(self, job_id: int) -> None:
        first = self._job_id is None
        self._job_id = job_id
        if first and self._on_job is not None:
            self._on_job(job_id)

    @property
    def done(self) -> bool:
        """True once the wait has a result or an error."""
        return self.future.done()

    def recognises(self, snapshot: JobSnapshot) -> bool:
        """Whether ``snapshot`` may be of this wait's job (always, before the call is known)."""
        return self._call is None or self._call.started(snapshot.fields)

    def observe(self, snapshot: JobSnapshot) -> None:
        """Report progress from ``snapshot`` and finish the wait if the job has ended; a
        snapshot of another call's job ends the wait as of unknown outcome."""
        if self.done:
            return
        if not self.recognises(snapshot):
            self.fail(self._not_ours(snapshot))
            return
        self._call = self._call or JobCall.listed(snapshot.fields)
        self.job_id = snapshot.id
        self.observed += 1
        self._report(snapshot.percent, snapshot.description)
        if snapshot.terminal:
            try:
                self.resolve(snapshot.outcome())
            except TrueNASError as exc:
                self.fail(exc)

    def resolve(self, result: Any) -> None:
        """Finish the wait with ``result`` (first outcome wins)."""
        if not self.done:
            self.future.set_result(result)

    def fail(self, error: BaseException) -> None:
        """Finish the wait with ``error`` (first outcome wins)."""
        if not self.done:
            self.future.set_exception(error)

    def _not_ours(self, snapshot: JobSnapshot) -> RequestOutcomeUnknown:
        return RequestOutcomeUnknown(
            f"{self.method}: job {snapshot.id} is now the NAS's {JobCall.listed(snapshot.fields)}"
            f" job, not the {self._call} job this call waited for: the middleware restarted and"
            " gave its id to another job, so whether this call's job did its work is unknown",
            method=self.method,
            sent=True,
        )

    def _report(self, percent: int | None, description: str) -> None:
        current = (percent, description)
        if self._progress is None or current == self._last_progress:
            return
        self._last_progress = current
        notify(self._progress, percent, description)


def notify(progress: ProgressCallback | None, percent: int | None, description: str) -> None:
    """Call a progress callback; an error in it is logged and never breaks the operation
    that reports (a broken progress bar must not fail a deploy)."""
    if progress is None:
        return
    try:
        progress(percent, description)
    except Exception:
        logger.exception("progress callback raised while reporting %r; ignored", description)


class JobWaiters:
    """Every job wait of one client, indexed for the event router (sans-I/O).

    A waiter is first *expected* under the request id of its job call (new-style jobs name
    that id in the job's ``message_ids``), then *bound* to its job id; every ``core.get_jobs``
    event is folded into the tracker and fed to the waiters bound to that job.
    """

    def __init__(self, tracker: JobTracker | None = None) -> None:
        self.tracker = tracker or JobTracker()
        self._by_job: dict[int, set[JobWaiter]] = {}
        self._by_request: dict[str, JobWaiter] = {}

    def expect(self, request_id: str, waiter: JobWaiter) -> None:
        """Bind ``waiter`` to whichever job names ``request_id`` in its ``message_ids``."""
        self._by_request[request_id] = waiter

    def unexpect(self, request_id: str) -> None:
        """Stop looking for ``request_id`` (its answer arrived or it failed)."""
        self._by_request.pop(request_id, None)

    def bind(self, waiter: JobWaiter, job_id: int) -> None:
        """Attach ``waiter`` to ``job_id`` and replay the job's last known state to it.

        A remembered state of another call's job is not replayed: it may date from before a
        middleware restart, and says nothing about the job that has the id now.
        """
        waiter.job_id = job_id
        self._by_job.setdefault(job_id, set()).add(waiter)
        snapshot = self.tracker.get(job_id)
        if snapshot is not None and waiter.recognises(snapshot):
            waiter.observe(snapshot)

    def forget(self, waiter: JobWaiter) -> None:
        """Remove ``waiter`` (its caller is done with it); cancels it if still pending."""
        if waiter.job_id is not None:
            waiters = self._by_job.get(waiter.job_id)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._by_job[waiter.job_id]
        if not waiter.future.done():
            waiter.future.cancel()

    def update(self, update: JobUpdate) -> None:
        """Route one ``core.get_jobs`` event: bind expected waiters, feed bound ones."""
        snapshot = self.tracker.apply(update)
        for request_id in update.message_ids:
            waiter = self._by_request.pop(request_id, None)
            if waiter is not None:
                self.bind(waiter, update.job_id)
        if snapshot is not None:
            for waiter in list(self._by_job.get(update.job_id, ())):
                waiter.observe(snapshot)

    def running(self) -> dict[int, list[JobWaiter]]:
        """Bound waiters that have not finished, by job id (to re-attach after a reconnect)."""
        live: dict[int, list[JobWaiter]] = {}
        for job_id, waiters in self._by_job.items():
            pending = [waiter for waiter in waiters if not waiter.done]
            if pending:
                live[job_id] = pending
        return live

    def fail_all(self, make_error: Callable[[JobWaiter], BaseException]) -> None:
        """Fail every bound waiter with an error made for it."""
        for waiters in list(self._by_job.values()):
            for waiter in list(waiters):
                waiter.fail(make_error(waiter))
