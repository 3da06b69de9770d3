"""Job locks and ``core.job_abort`` as the middleware's ``job.py`` has them (raw frames).

A job waits (WAITING) while another job holds its lock; the lock is per method *and* app. An
abort of a WAITING job only marks it: it ends ABORTED, without running, when its turn comes.
An abort of a RUNNING app job ends the job ABORTED while its work (a thread on TrueNAS) goes on.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox_frames import Frame, Raw, job_events
from test_jobs import logged_in

from scale_pilot_nb.sandbox import Sandbox

MakeSandbox = Callable[..., Sandbox]
WHOAMI_V2 = "services:\n  whoami:\n    image: traefik/whoami:v1.11\n"
WHOAMI_V3 = "services:\n  whoami:\n    image: traefik/whoami:v1.12\n"


class JobWatch:
    """The ``core.get_jobs`` events one raw connection has seen, waited for by state."""

    def __init__(self, raw: Raw) -> None:
        self.raw = raw
        self.seen: list[Frame] = []

    async def start(self, method: str, *params: object) -> int:
        """Call a job method (legacy jobs: the answer is the job id)."""
        job_id = await self.raw.result(method, *params)
        assert isinstance(job_id, int)
        return job_id

    async def until(self, job_id: int, state: str) -> dict[str, object]:
        """The job's fields from the first event (seen before or awaited) in ``state``."""

        def reached(frame: Frame) -> bool:
            return any(e["fields"]["state"] == state for e in job_events([frame], job_id))

        if not any(reached(frame) for frame in self.seen):
            self.seen += await self.raw.until(reached)
        fields: dict[str, object] = next(
            e["fields"] for e in job_events(self.seen, job_id) if e["fields"]["state"] == state
        )
        return fields

    def states(self, job_id: int) -> list[str]:
        """Every state the job's events showed, in order, repeats included."""
        return [e["fields"]["state"] for e in job_events(self.seen, job_id)]

    async def now(self, job_id: int) -> dict[str, object]:
        """The job as ``core.get_jobs`` lists it now."""
        rows = await self.raw.result("core.get_jobs", [["id", "=", job_id]])
        row: dict[str, object] = rows[0]
        return row


async def watch(sb: Sandbox) -> JobWatch:
    return JobWatch(await logged_in(sb, legacy_jobs=True))


async def test_a_job_waits_for_its_lock_which_is_per_method_and_app(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox("25.10", "demo")
    jobs = await watch(sb)
    sb.hold_jobs(["app.stop"])
    holder = await jobs.start("app.stop", "whoami")
    assert (await jobs.until(holder, "RUNNING"))["abortable"] is False
    queued = await jobs.start("app.stop", "whoami")
    other_app = await jobs.start("app.stop", "photos")
    other_method = await jobs.start("app.start", "whoami")
    await jobs.until(other_method, "SUCCESS")
    await jobs.until(other_app, "RUNNING")
    assert jobs.states(queued) == ["WAITING"]
    assert (await jobs.now(queued))["state"] == "WAITING"
    sb.release_jobs()
    await jobs.until(queued, "SUCCESS")
    assert jobs.states(queued) == ["WAITING", "RUNNING", "RUNNING", "RUNNING", "SUCCESS"]
    order = [(e["id"], e["fields"]["state"]) for e in job_events(jobs.seen)]
    assert order.index((holder, "SUCCESS")) < order.index((queued, "RUNNING"))


async def test_abort_of_a_waiting_job_ends_it_without_running_when_its_turn_comes(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox("25.10", "demo")
    jobs = await watch(sb)
    sb.hold_jobs(["app.update"])
    holder = await jobs.start("app.update", "whoami", {"custom_compose_config_string": WHOAMI_V2})
    await jobs.until(holder, "RUNNING")
    queued = await jobs.start("app.update", "whoami", {"custom_compose_config_string": WHOAMI_V3})
    assert await jobs.raw.result("core.job_abort", queued) is None
    assert (await jobs.now(queued))["state"] == "WAITING"  # until the holder lets go
    sb.release_jobs()
    aborted = await jobs.until(queued, "ABORTED")
    assert jobs.states(queued) == ["WAITING", "ABORTED"]
    assert aborted["progress"] == {"percent": 0, "description": "", "extra": None}
    assert (aborted["error"], aborted["exc_info"]) == (None, None)
    assert (await jobs.now(holder))["state"] == "SUCCESS"
    config = await jobs.raw.result("app.config", "whoami")
    assert config["services"]["whoami"]["image"] == "traefik/whoami:v1.11"


async def test_abort_of_a_running_app_job_ends_the_job_but_not_its_work(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox("25.10", "demo")
    jobs = await watch(sb)
    await jobs.raw.result("core.subscribe", "app.query")
    sb.hold_jobs(["app.start"])
    job_id = await jobs.start("app.start", "backup-sync")
    await jobs.until(job_id, "RUNNING")
    await jobs.raw.result("core.job_abort", job_id)
    await jobs.until(job_id, "ABORTED")
    app = await jobs.raw.result("app.get_instance", "backup-sync")
    assert app["state"] == "STOPPED"
    sb.release_jobs()
    await jobs.raw.until(
        lambda f: (
            f.get("method") == "collection_update"
            and f["params"]["collection"] == "app.query"
            and f["params"]["id"] == "backup-sync"
            and f["params"]["fields"]["state"] == "RUNNING"
        )
    )
    assert (await jobs.now(job_id))["state"] == "ABORTED"


async def test_aborting_an_unknown_job_is_instance_not_found(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=False, subscribe=False)
    error = (await raw.call("core.job_abort", 9999))["error"]
    assert error["data"]["errname"] == "ENOENT"
    assert "Job with id 9999 does not exist" in error["data"]["reason"]


async def test_a_waiting_job_ends_aborted_when_the_sandbox_resets(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox("25.10", "demo")
    jobs = await watch(sb)
    sb.hold_jobs(["app.stop"])
    holder = await jobs.start("app.stop", "whoami")
    await jobs.until(holder, "RUNNING")
    queued = await jobs.start("app.stop", "whoami")
    sb.reset()
    await jobs.until(queued, "ABORTED")
    assert jobs.states(queued) == ["WAITING", "ABORTED"]
