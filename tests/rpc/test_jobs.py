"""Job folding and waiting, without a server: events in, progress and outcome out."""

from __future__ import annotations

from typing import Any

import pytest

from scale_pilot_nb.errors import JobFailedError, ValidationError
from scale_pilot_nb.rpc.events import JobUpdate
from scale_pilot_nb.rpc.jobs import JobSnapshot, JobTracker, JobWaiter, JobWaiters


def _job(job_id: int, state: str, percent: int | None = 0, text: str = "", **more: Any) -> Any:
    fields = {"id": job_id, "method": "app.stop", "state": state}
    fields["progress"] = {"percent": percent, "description": text, "extra": None}
    fields.update(more)
    return fields


def _update(job_id: int, state: str, percent: int | None = 0, text: str = "", **more: Any) -> Any:
    msg = "added" if state == "WAITING" else "changed"
    return JobUpdate(msg, job_id, _job(job_id, state, percent, text, **more))


def test_snapshot_reads_progress_and_outcome() -> None:
    snapshot = JobSnapshot.from_fields(5, _job(5, "SUCCESS", 100, "", result={"ok": 1}))
    assert (snapshot.percent, snapshot.description, snapshot.terminal) == (100, "", True)
    assert snapshot.outcome() == {"ok": 1}
    assert not JobSnapshot.from_fields(5, _job(5, "RUNNING")).terminal
    assert JobSnapshot.from_fields(5, {"progress": None}).percent is None


def test_tracker_is_bounded_and_forgets_removed_jobs() -> None:
    tracker = JobTracker(capacity=2)
    for job_id in (1, 2, 3):
        tracker.apply(_update(job_id, "RUNNING"))
    assert tracker.get(1) is None and len(tracker) == 2
    assert tracker.apply(JobUpdate("removed", 3, {})) is None
    assert tracker.get(3) is None


async def test_progress_is_reported_in_order_without_repeats() -> None:
    seen: list[tuple[int | None, str]] = []
    waiters = JobWaiters()
    waiter = JobWaiter("app.stop", lambda p, d: seen.append((p, d)))
    waiters.bind(waiter, 7)
    for update in (
        _update(7, "WAITING"),
        _update(7, "RUNNING"),
        _update(7, "RUNNING", 50, "half way"),
        _update(7, "RUNNING", 50, "half way"),
        _update(7, "SUCCESS", 100, "", result="done"),
    ):
        waiters.update(update)
    assert seen == [(0, ""), (50, "half way"), (100, "")]
    assert await waiter.future == "done"


async def test_new_style_binding_by_message_id_and_replay_of_earlier_events() -> None:
    waiters = JobWaiters()
    waiter = JobWaiter("app.create")
    waiters.expect("req-1", waiter)
    waiters.update(_update(9, "WAITING", message_ids=["other", "req-1"]))
    assert waiter.job_id == 9
    # A late waiter for the same job (wait_job) gets the last known state at once.
    late = JobWaiter("job 9")
    waiters.update(_update(9, "FAILED", 20, "pulling", error="[EFAULT] boom", exc_info=None))
    waiters.bind(late, 9)
    for each in (waiter, late):
        with pytest.raises(JobFailedError) as failure:
            await each.future
        assert failure.value.job_id == 9
        assert failure.value.progress_description == "pulling"


async def test_validation_inside_a_job_fails_the_wait_with_field_errors() -> None:
    waiters = JobWaiters()
    waiter = JobWaiter("app.create")
    waiters.bind(waiter, 3)
    exc_info = {"type": "VALIDATION", "errno": 22, "extra": [["app_create.app_name", "bad", 22]]}
    waiters.update(_update(3, "FAILED", 0, "", error="[EINVAL] ...", exc_info=exc_info))
    with pytest.raises(ValidationError) as failure:
        await waiter.future
    assert failure.value.job_id == 3
    assert failure.value.field_errors[0].attribute == "app_create.app_name"


async def test_a_raising_progress_callback_does_not_break_the_wait() -> None:
    def explode(percent: int | None, description: str) -> None:
        raise RuntimeError("callback bug")

    waiter = JobWaiter("app.stop", explode)
    waiter.observe(JobSnapshot.from_fields(1, _job(1, "SUCCESS", 100, result=1)))
    assert await waiter.future == 1


async def test_first_outcome_wins_and_forget_cancels() -> None:
    waiters = JobWaiters()
    waiter = JobWaiter("app.stop")
    waiters.bind(waiter, 4)
    waiter.resolve("from the answer")
    waiters.update(_update(4, "FAILED", error="late", exc_info=None))
    assert await waiter.future == "from the answer"
    pending = JobWaiter("app.start")
    waiters.bind(pending, 5)
    assert list(waiters.running()) == [5]
    waiters.forget(pending)
    assert pending.future.cancelled() and waiters.running() == {}


async def test_fail_all_fails_bound_waiters() -> None:
    waiters = JobWaiters()
    waiter = JobWaiter("app.stop")
    waiters.bind(waiter, 1)
    waiters.fail_all(lambda w: JobFailedError(f"{w.method} lost", job_id=w.job_id))
    with pytest.raises(JobFailedError, match=r"app\.stop lost"):
        await waiter.future
