"""``follow_job`` and ``unfinished_jobs``: picking a job up again by its id, on the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scale_pilot_nb import connect
from scale_pilot_nb.errors import ApiError, CallTimeoutError
from scale_pilot_nb.manager.jobs import follow_job, unfinished_jobs
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox
from tests.jobwatch import SIGHTING_TIMEOUT, Connected, JobSighting, in_state


@pytest.fixture
def pilot(sandbox: Sandbox) -> Iterator[Pilot]:
    with connect(sandbox.url, sandbox.api_key, username=sandbox.username) as connected:
        yield connected


@pytest.fixture
def other(sandbox: Sandbox) -> Iterator[Connected]:
    connected = Connected(sandbox)
    yield connected
    connected.close()


def test_a_job_is_followed_through_the_manager_to_its_end(
    sandbox: Sandbox, pilot: Pilot, other: Connected
) -> None:
    sandbox.hold_jobs(["app.start"])
    with JobSighting(sandbox, in_state("app.start", "RUNNING"), lambda job: None):
        job_id, started = other.start("app.start", "backup-sync")
    now = pilot.submit(follow_job(pilot.manager, job_id, wait=False)).result(SIGHTING_TIMEOUT)
    assert (now.id, now.method, now.state) == (job_id, "app.start", "RUNNING")
    assert [job.id for job in pilot.submit(unfinished_jobs(pilot.manager)).result()] == [job_id]
    progress: list[tuple[int | None, str]] = []
    following = pilot.submit(
        follow_job(pilot.manager, job_id, progress=lambda p, d: progress.append((p, d)))
    )
    sandbox.release_jobs()
    ended = following.result(SIGHTING_TIMEOUT)
    started.result(SIGHTING_TIMEOUT)
    assert ended.succeeded and ended.finished
    assert progress[-1] == (100, "")


def test_a_failed_job_is_returned_not_raised(sandbox: Sandbox, other: Connected) -> None:
    sandbox.fail_next_job("boom")
    job_id, failed = other.start("app.start", "backup-sync")
    assert failed.exception(SIGHTING_TIMEOUT) is not None
    job = other.job(job_id)
    assert (job.state, job.error, job.succeeded) == ("FAILED", "[EFAULT] boom", False)


def test_following_times_out_while_the_job_goes_on(sandbox: Sandbox, other: Connected) -> None:
    sandbox.hold_jobs(["app.start"])
    with JobSighting(sandbox, in_state("app.start", "RUNNING"), lambda job: None):
        job_id, started = other.start("app.start", "backup-sync")
    with pytest.raises(CallTimeoutError) as caught:
        other.runner.run(follow_job(other.client, job_id, timeout=0.1))
    assert caught.value.job_id == job_id
    sandbox.release_jobs()
    started.result(SIGHTING_TIMEOUT)
    assert other.job(job_id).succeeded


def test_an_unknown_job_is_enoent(other: Connected) -> None:
    for wait in (True, False):
        with pytest.raises(ApiError) as caught:
            other.job(4242, wait=wait)
        assert caught.value.errname == "ENOENT"
