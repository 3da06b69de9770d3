"""Ctrl-C tells the truth: a running job goes on and says so; a queued one is aborted.

Ctrl-C is pressed in-process with ``_thread.interrupt_main()`` by a :class:`JobSighting`, the
moment the NAS shows the job in the wanted state and the client under test has heard of it.
Jobs are made slow with the sandbox's ``hold_jobs``; everything runs over real sockets.
"""

from __future__ import annotations

import _thread
import asyncio
import concurrent.futures
import logging
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scale_pilot_nb import OperationInterrupted, TrueNASError, connect
from scale_pilot_nb.errors import InterruptedJob, JobFate
from scale_pilot_nb.manager.jobs import follow_job
from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import NGINX
from tests.jobwatch import SIGHTING_TIMEOUT, Connected, JobSighting, in_state, url_of, whoami


@pytest.fixture(params=["24.10", "25.10"])
def nas(request: pytest.FixtureRequest, make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A demo NAS on the legacy dialect (job id in the answer) and on new-style jobs."""
    return make_sandbox(request.param, "demo", test_methods=False)


@pytest.fixture
def ours(nas: Sandbox) -> Iterator[Connected]:
    connected = Connected(nas)
    yield connected
    connected.close()


def press_ctrl_c(job: Any) -> None:
    _thread.interrupt_main()


def test_ctrl_c_while_the_job_runs_says_it_goes_on(nas: Sandbox, ours: Connected) -> None:
    nas.hold_jobs(["app.start"])
    running = in_state("app.start", "RUNNING")
    with (
        JobSighting(nas, running, press_ctrl_c, also_wait=(ours.heard_of_job,)) as sighting,
        pytest.raises(OperationInterrupted) as caught,
    ):
        ours.runner.run(ours.client.call_job("app.start", "backup-sync", progress=ours.heard))
    assert sighting.seen is not None
    job_id = sighting.seen["id"]
    error = caught.value
    assert isinstance(error, KeyboardInterrupt) and not isinstance(error, Exception)
    assert (error.job_id, error.method, error.app_name, error.aborted) == (
        job_id,
        "app.start",
        "backup-sync",
        False,
    )
    assert f"job {job_id} (app.start, backup-sync) goes on on the NAS" in str(error)
    assert error.hint == f"Follow it with pilot.job({job_id}) or `scale-compose job {job_id}`."
    assert ours.job(job_id, wait=False).state == "RUNNING"  # not aborted: still held
    nas.release_jobs()
    assert ours.job(job_id).state == "SUCCESS"
    app = ours.runner.run(ours.client.call("app.get_instance", "backup-sync"))
    assert app["state"] == "RUNNING"


def test_ctrl_c_in_a_pilot_deploy_says_which_job_goes_on(sandbox: Sandbox) -> None:
    sandbox.hold_jobs(["app.create"])
    running = in_state("app.create", "RUNNING")
    with connect(sandbox.url, sandbox.api_key, username=sandbox.username) as pilot:
        with (
            JobSighting(sandbox, running, press_ctrl_c) as sighting,
            pytest.raises(OperationInterrupted) as caught,
        ):
            pilot.deploy(NGINX, "my-nginx")
        assert sighting.seen is not None
        job_id = sighting.seen["id"]
        assert (caught.value.job_id, caught.value.app_name) == (job_id, "my-nginx")
        assert caught.value.aborted is False
        sandbox.release_jobs()
        job = pilot.submit(follow_job(pilot.manager, job_id)).result(SIGHTING_TIMEOUT)
        assert job.succeeded
        assert pilot.app("my-nginx").state == "RUNNING"


def test_ctrl_c_while_the_job_waits_aborts_it_before_it_began(
    nas: Sandbox, ours: Connected
) -> None:
    nas.hold_jobs(["app.update"])
    other = Connected(nas)  # someone else's update of the same app holds the job lock
    try:
        with JobSighting(nas, in_state("app.update", "RUNNING"), lambda job: None) as holder:
            blocker = asyncio.run_coroutine_threadsafe(
                other.client.call_job("app.update", "whoami", whoami("v1.11")), other.runner.loop
            )
        assert holder.seen is not None
        waiting = in_state("app.update", "WAITING", not_id=holder.seen["id"])
        with (
            JobSighting(nas, waiting, press_ctrl_c, also_wait=(ours.heard_of_job,)) as sighting,
            pytest.raises(OperationInterrupted) as caught,
        ):
            ours.runner.run(
                ours.client.call_job("app.update", "whoami", whoami("v1.12"), progress=ours.heard)
            )
        assert sighting.seen is not None
        job_id = sighting.seen["id"]
        error = caught.value
        assert (error.job_id, error.app_name, error.aborted) == (job_id, "whoami", True)
        assert "was aborted before it began; nothing changed on the NAS" in error.message
        nas.release_jobs()
        assert blocker.result(SIGHTING_TIMEOUT)["name"] == "whoami"
        aborted = ours.job(job_id)
        assert (aborted.state, aborted.progress.percent) == ("ABORTED", 0)
        config = ours.runner.run(ours.client.call("app.config", "whoami"))
        assert config["services"]["whoami"]["image"] == "traefik/whoami:v1.11"  # not ours
    finally:
        other.close()


def test_ctrl_c_while_following_a_queued_job_never_aborts_it(nas: Sandbox, ours: Connected) -> None:
    nas.hold_jobs(["app.stop"])
    other = Connected(nas)
    try:
        with JobSighting(nas, in_state("app.stop", "RUNNING"), lambda job: None):
            blocker = asyncio.run_coroutine_threadsafe(
                other.client.call_job("app.stop", "whoami"), other.runner.loop
            )
        named = concurrent.futures.Future[int]()
        queued = asyncio.run_coroutine_threadsafe(
            other.client.call_job("app.stop", "whoami", on_job=named.set_result),
            other.runner.loop,
        )
        job_id = named.result(SIGHTING_TIMEOUT)  # WAITING behind the held blocker
        follow = ours.client.wait_job(job_id, progress=lambda *_: _thread.interrupt_main())
        with pytest.raises(OperationInterrupted) as caught:
            ours.runner.run(follow)
        error = caught.value
        assert (error.job_id, error.aborted) == (job_id, False)
        assert error.message == (
            f"Stopped waiting for job {job_id} (app.stop, whoami); it goes on on the NAS (WAITING)."
        )
        nas.release_jobs()
        blocker.result(SIGHTING_TIMEOUT)
        queued.result(SIGHTING_TIMEOUT)
        assert ours.job(job_id).state == "SUCCESS"
    finally:
        other.close()


async def test_cancelling_the_task_in_async_code_logs_the_verdict(
    nas: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    nas.hold_jobs(["app.start"])
    heard = asyncio.Event()
    seen = asyncio.Event()
    loop = asyncio.get_running_loop()
    async with RpcClient(url_of(nas), api_key=nas.api_key, username=nas.username) as client:
        with JobSighting(
            nas, in_state("app.start", "RUNNING"), lambda job: loop.call_soon_threadsafe(seen.set)
        ) as sighting:
            task = asyncio.create_task(
                client.call_job("app.start", "backup-sync", progress=lambda *_: heard.set())
            )
            await asyncio.wait_for(asyncio.gather(heard.wait(), seen.wait()), SIGHTING_TIMEOUT)
        assert sighting.seen is not None
        with caplog.at_level(logging.WARNING, "scale_pilot_nb.rpc.client"):
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert f"job {sighting.seen['id']} (app.start, backup-sync) goes on" in caplog.text
        nas.release_jobs()


def test_verdicts_say_what_became_of_a_call_that_never_got_a_job() -> None:
    never = InterruptedJob("app.create", JobFate.NOT_SENT, "web")
    assert (
        never.message == "Interrupted before app.create for web was sent: nothing reached the NAS."
    )
    assert never.hint is None
    sent = InterruptedJob("app.create", JobFate.SENT, "web")
    assert "was sent, before the NAS named its job: it may still run" in sent.message
    assert sent.hint is not None and "`scale-compose job`" in sent.hint


def test_one_interruption_reports_every_job_call_it_cut() -> None:
    running = InterruptedJob("app.stop", JobFate.GOES_ON, "a", 7, state="RUNNING")
    queued = InterruptedJob("app.stop", JobFate.ABORTED, "b", 8, state="ABORTED")
    error = OperationInterrupted([running, queued])
    assert (error.job_id, error.app_name, error.aborted) == (7, "a", False)
    assert error.message.splitlines() == [running.message, queued.message]
    assert error.to_dict()["jobs"][1]["fate"] == "aborted"
    assert not isinstance(error, TrueNASError)
    assert pickle.loads(pickle.dumps(error)).jobs == error.jobs


def test_ctrl_c_while_waiting_for_health_says_the_job_has_ended(sandbox: Sandbox) -> None:
    with connect(sandbox.url, sandbox.api_key, username=sandbox.username) as pilot:
        pilot.stop("search")  # the demo's app that never becomes healthy

        def in_the_wait(percent: int | None, description: str) -> None:
            if " · " in description:  # the wait for RUNNING has begun: the job is over
                _thread.interrupt_main()

        with pytest.raises(OperationInterrupted) as caught:
            pilot.start("search", progress=in_the_wait)
        error = caught.value
        assert (error.method, error.app_name, error.aborted) == ("app.start", "search", False)
        assert f"job {error.job_id} (app.start, search) had already ended SUCCESS" in str(error)
        job = pilot.job(error.job_id or 0, progress=False)
        assert job.succeeded and pilot.app("search").state == "DEPLOYING"
