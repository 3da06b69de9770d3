"""Watching a sandbox's jobs from a connection of the test's own, to act at the right moment.

A :class:`JobSighting` runs in a thread with its own event loop and its own raw connection
(never the client under test): it subscribes to ``core.get_jobs`` and calls ``then(job)`` once
an event shows a job matching ``wanted``. Tests use it to press Ctrl-C (``interrupt_main`` or
a real SIGINT) exactly when a job is RUNNING or WAITING, with no sleeps.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

from scale_pilot_nb.sandbox import Sandbox
from tests.sandbox.sandbox_frames import Raw, job_events

#: Bound on every wait of a sighting, so a job that never shows up fails the test, not the suite.
SIGHTING_TIMEOUT = 30.0

Job = dict[str, Any]


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
        url = self._sandbox.url if self._sandbox.version >= "25.04" else self._sandbox.legacy_url
        raw = await Raw.open(url)
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
