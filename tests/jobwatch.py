"""Interrupting jobs at the right moment: watching a sandbox's jobs, and clients to drive.

A :class:`JobSighting` runs in a thread with its own event loop and its own raw connection
(never the client under test): it subscribes to ``core.get_jobs`` and calls ``then(job)`` once
an event shows a job matching ``wanted``. Tests use it to press Ctrl-C (``interrupt_main`` or
a real SIGINT) exactly when a job is RUNNING or WAITING, with no sleeps. :class:`Connected` is
a client on a loop thread of its own, driven the way ``Pilot`` drives one: the client under
test, or "someone else" starting the job that holds a lock.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from collections.abc import Callable
from typing import Any

from scale_pilot_nb.manager.jobs import follow_job
from scale_pilot_nb.pilot.runner import LoopRunner
from scale_pilot_nb.records import Job as JobRecord
from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.sandbox import Sandbox
from tests.sandbox.sandbox_frames import Raw, job_events

#: Bound on every wait of a sighting, so a job that never shows up fails the test, not the suite.
SIGHTING_TIMEOUT = 30.0

Job = dict[str, Any]


def url_of(nas: Sandbox) -> str:
    """Where a client reaches ``nas``: 24.10 speaks only the legacy endpoint."""
    return nas.legacy_url if nas.version == "24.10" else nas.url


class JobSighting:
    """Calls ``then(job)`` (from its thread) when a job event matches ``wanted(job)``.

    Args:
        sandbox: the NAS to watch.
        wanted: predicate on the job object of each ``core.get_jobs`` event.
        then: what to do with the first matching job (e.g. interrupt the main thread).
        also_wait: events that must be set as well before ``then`` runs (e.g. "the client
            under test has heard of its job").
    """

    def __init__(
        self,
        sandbox: Sandbox,
        wanted: Callable[[Job], bool],
        then: Callable[[Job], object],
        *,
        also_wait: tuple[threading.Event, ...] = (),
    ) -> None:
        self._sandbox = sandbox
        self._wanted = wanted
        self._then = then
        self._also_wait = also_wait
        self._subscribed = threading.Event()
        self.seen: Job | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="job-sighting", daemon=True)

    def __enter__(self) -> JobSighting:
        """Start watching; returns once subscribed, so no later job can be missed."""
        self._thread.start()
        assert self._subscribed.wait(SIGHTING_TIMEOUT), "the sighting did not subscribe"
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join(SIGHTING_TIMEOUT)
        if self.error is not None:
            raise self.error

    def _main(self) -> None:
        try:
            asyncio.run(self._watch())
        except BaseException as exc:  # reported by __exit__ in the test's thread
            self.error = exc
            self._subscribed.set()

    async def _watch(self) -> None:
        raw = await Raw.open(url_of(self._sandbox))
        try:
            await raw.login(self._sandbox.api_key)
            await _subscribe_to_jobs(raw)
            self._subscribed.set()
            async with asyncio.timeout(SIGHTING_TIMEOUT):
                job = await _first_job(raw, self._wanted)
                for event in self._also_wait:
                    assert await asyncio.to_thread(event.wait, SIGHTING_TIMEOUT)
        finally:
            await raw.close()
        self.seen = job
        self._then(job)


async def _subscribe_to_jobs(raw: Raw) -> None:
    if raw.legacy:
        await raw.send({"msg": "sub", "id": "jobs", "name": "core.get_jobs"})
        assert (await raw.next())["msg"] == "ready"
    else:
        await raw.result("core.subscribe", "core.get_jobs")


async def _first_job(raw: Raw, wanted: Callable[[Job], bool]) -> Job:
    while True:
        frame = json.loads(await raw.ws.recv())
        for event in job_events([frame]):
            if wanted(event["fields"]):
                return dict(event["fields"])


async def opened(nas: Sandbox) -> RpcClient:
    """A client logged in to ``nas``."""
    client = RpcClient(url_of(nas), api_key=nas.api_key, username=nas.username)
    await client.connect()
    return client


class Connected:
    """A client on its own loop thread, driven the way ``Pilot`` drives it."""

    def __init__(self, nas: Sandbox) -> None:
        self.runner = LoopRunner()
        self.client = self.runner.run(opened(nas))
        self.heard_of_job = threading.Event()

    def heard(self, percent: int | None, description: str) -> None:
        """A progress callback: the client has bound its job (it reports only its own job)."""
        self.heard_of_job.set()

    def start(self, method: str, *params: Any) -> tuple[int, concurrent.futures.Future[Any]]:
        """Start a job without waiting for it; returns its id and the future of its result."""
        named = concurrent.futures.Future[int]()
        call = self.client.call_job(method, *params, on_job=named.set_result)
        result = asyncio.run_coroutine_threadsafe(call, self.runner.loop)
        return named.result(SIGHTING_TIMEOUT), result

    def job(self, job_id: int, *, wait: bool = True) -> JobRecord:
        follow = follow_job(self.client, job_id, wait=wait, timeout=SIGHTING_TIMEOUT)
        return self.runner.run(follow)

    def close(self) -> None:
        self.runner.run(self.client.close())
        self.runner.close()


def in_state(method: str, state: str, *, not_id: int | None = None) -> Callable[[Job], bool]:
    """A sighting's ``wanted``: a job of ``method`` in ``state`` (other than ``not_id``)."""
    return lambda job: job["method"] == method and job["state"] == state and job["id"] != not_id


def whoami(tag: str) -> dict[str, str]:
    """``app.update`` changes that run whoami at ``tag``."""
    return {
        "custom_compose_config_string": f"services:\n  whoami:\n    image: traefik/whoami:{tag}\n"
    }
