"""Following TrueNAS jobs by id: the job an interrupted call left going on, or any other.

When Ctrl-C cuts a call short while its job runs, the job goes on on the NAS
(:class:`~scale_pilot_nb.errors.OperationInterrupted` says so and names it); these functions
are how to pick it up again: :func:`follow_job` waits for it (or looks at it) and returns the
:class:`~scale_pilot_nb.records.Job`; :func:`unfinished_jobs` lists what is still WAITING or
RUNNING, for a call interrupted before the NAS had named its job. ``Pilot.job(N)``,
``TrueNASDockerManager.job(N)`` and ``scale-compose job [N]`` are built on them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from scale_pilot_nb.errors import ApiError
from scale_pilot_nb.records.job import Job
from scale_pilot_nb.rpc.factory import TrueNASClient
from scale_pilot_nb.rpc.jobs import ProgressCallback, job_query

__all__ = ["JobSource", "follow_job", "unfinished_jobs"]


@runtime_checkable
class _HasClient(Protocol):
    """A :class:`~scale_pilot_nb.manager.TrueNASDockerManager` (or anything with a client)."""

    @property
    def client(self) -> TrueNASClient: ...


#: Where jobs are looked up: a manager, or a client of either transport.
JobSource = _HasClient | TrueNASClient


async def follow_job(
    source: JobSource,
    job_id: int,
    *,
    wait: bool = True,
    progress: ProgressCallback | None = None,
    timeout: float | None = None,
) -> Job:
    """Job ``job_id``: once it has ended (``wait``), or as it is now.

    Waiting goes through ``core.get_jobs`` events, never polling. A job that ends FAILED or
    ABORTED is returned, not raised: following a job is looking at it, and its ``state``,
    ``error`` and ``field_errors`` are the answer (``job.succeeded`` tells them apart).
    Following never aborts the job, and an interrupted follow leaves it going on.

    Args:
        source: a :class:`~scale_pilot_nb.manager.TrueNASDockerManager` or a client.
        job_id: the job, e.g. from ``OperationInterrupted.job_id`` or a result's job ids.
        wait: wait for the job to end; ``False`` returns its current state at once.
        progress: called with ``(percent, description)`` while waiting.
        timeout: seconds to wait; ``None`` waits as long as the job runs.

    Returns:
        The job as the NAS lists it, with its result (unredacted) once it succeeded.

    Raises:
        ApiError: the NAS lists no job ``job_id`` (ENOENT; TrueNAS forgets old finished jobs).
        CallTimeoutError: the job did not end within ``timeout``; it goes on.
    """
    client = _client_of(source)
    if wait:
        try:
            await client.wait_job(job_id, progress=progress, timeout=timeout)
        except ApiError as exc:
            if exc.job_id != job_id:  # not the job's own failure, which is read below
                raise
    rows = await client.call("core.get_jobs", *job_query(job_id))
    if not rows:
        raise ApiError(
            f"No job with id {job_id} on the NAS",
            errno=2,
            errname="ENOENT",
            hint="TrueNAS forgets old finished jobs; `scale-compose job` lists unfinished ones.",
        )
    return Job.from_api(rows[0])


async def unfinished_jobs(source: JobSource) -> list[Job]:
    """The NAS's jobs that are still WAITING or RUNNING, oldest first."""
    rows = await _client_of(source).call(
        "core.get_jobs", [["state", "in", ["WAITING", "RUNNING"]]], {"order_by": ["id"]}
    )
    return [Job.from_api(row) for row in rows]


def _client_of(source: JobSource) -> TrueNASClient:
    return source.client if isinstance(source, _HasClient) else source
