"""A restart right after a job was submitted still ends the job on the old middleware's loop."""

from __future__ import annotations

import asyncio
from typing import Any

from scale_pilot_nb.sandbox.faults import Faults
from scale_pilot_nb.sandbox.jobs import JobManager


class _Events:
    def publish(self, collection: str, msg: Any, *, id: Any, fields: Any = None) -> None:
        pass


async def test_a_job_cancelled_before_its_first_step_ends_aborted() -> None:
    jobs = JobManager("25.10", _Events(), Faults())
    job = jobs.submit("app.stop", ["web"], lambda handle: None, message_id=None, credentials=None)
    cancelled = jobs.cancel_all()  # in the same loop step: the job's task has not run yet
    await asyncio.gather(*cancelled, return_exceptions=True)
    assert job.finished.done() and job.state == "ABORTED"
