"""A job id names a wait's job only until the middleware restarts: snapshots are checked."""

from __future__ import annotations

from typing import Any

import pytest

from scale_pilot_nb.errors import RequestOutcomeUnknown
from scale_pilot_nb.rpc.events import JobUpdate
from scale_pilot_nb.rpc.job_identity import REDACTED, JobCall
from scale_pilot_nb.rpc.jobs import JobWaiter, JobWaiters


def _job(job_id: int, state: str, method: str, *arguments: Any, **more: Any) -> JobUpdate:
    fields = {"id": job_id, "method": method, "arguments": list(arguments), "state": state}
    fields.update(more)
    return JobUpdate("added" if state == "WAITING" else "changed", job_id, fields)


def test_a_call_is_told_apart_by_method_app_and_plain_arguments() -> None:
    stop = JobCall("app.stop", ("web",))
    assert stop.started({"method": "app.stop", "arguments": ["web"]})
    assert not stop.started({"method": "app.stop", "arguments": ["other"]})
    assert not stop.started({"method": "app.start", "arguments": ["web"]})
    create = JobCall("app.create", ({"app_name": "web", "values": {"port": 80}},))
    # nested values come back as the middleware validated them: not compared
    assert create.started({"method": "app.create", "arguments": [{"app_name": "web"}]})
    assert not create.started({"method": "app.create", "arguments": [{"app_name": "other"}]})
    assert JobCall("auth.x", ("secret",)).started({"method": "auth.x", "arguments": [REDACTED]})


async def test_a_live_snapshot_of_another_calls_job_ends_the_wait_as_unknown() -> None:
    waiters = JobWaiters()
    waiter = JobWaiter("app.delete", params=["web", {}])
    waiters.bind(waiter, 1)
    waiters.update(_job(1, "RUNNING", "app.delete", "web", {}))
    waiters.update(_job(1, "SUCCESS", "app.delete", "other", {}, result=True))
    with pytest.raises(RequestOutcomeUnknown, match=r"app\.delete \(other\)"):
        await waiter.future


async def test_a_remembered_state_of_another_calls_job_is_not_replayed() -> None:
    waiters = JobWaiters()
    waiters.update(_job(1, "SUCCESS", "app.stop", "old", result=None))  # before a restart
    waiter = JobWaiter("app.stop", params=["web"])
    waiters.bind(waiter, 1)  # the new middleware gave id 1 to this call's job
    assert not waiter.done
    waiters.update(_job(1, "SUCCESS", "app.stop", "web", result="stopped"))
    assert await waiter.future == "stopped"


async def test_following_a_job_by_id_holds_on_to_the_first_call_seen() -> None:
    waiters = JobWaiters()
    follower = JobWaiter("job 4")
    waiters.bind(follower, 4)
    waiters.update(_job(4, "RUNNING", "app.start", "web"))
    waiters.update(_job(4, "SUCCESS", "app.start", "other", result=None))
    with pytest.raises(RequestOutcomeUnknown):
        await follower.future
