"""The middleware restarts while a call waits for its job, and job ids start again at 1.

The NAS is stopped and started again on the same port from its state file (the job under wait
dies with the old middleware, as a real restart aborts it). Before the waiting client may
reconnect, another client runs a job on the new middleware: it gets the id the waited-for job
had. The waiting call must not take that job's outcome for its own: it reports the outcome as
unknown, or finishes its work for real, and the NAS shows what the call reported.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from scale_pilot_nb.errors import RequestOutcomeUnknown
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.records.outcome import OperationResult
from scale_pilot_nb.rpc import ReconnectPolicy, RpcClient, Timeouts, TrueNASClient
from scale_pilot_nb.rpc.transport import Transport, open_websocket
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

pytestmark = pytest.mark.chaos

KEY = "1-restart-job-ids-key"
PASSWORD = "restart-job-ids-password"  # a throwaway sandbox account
TIMEOUTS = Timeouts(connect=5, call=5, job=20, keepalive=None)
RECONNECT = ReconnectPolicy(max_attempts=30, initial_delay=0.02, max_delay=0.2)
COMPOSE = """
services:
  web:
    image: nginx:1.27.3
    ports: ["{port}:80"]
"""


class ReconnectGate:
    """A transport opener that keeps the client under test away while the NAS restarts.

    While closed, opening a connection waits (it does not fail), so the test decides when the
    client may reconnect: after another client has taken the job id the client waits on.
    """

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    async def __call__(
        self, url: str, *, ssl_context: ssl.SSLContext | None, open_timeout: float | None
    ) -> Transport:
        await self._open.wait()
        return await open_websocket(url, ssl_context=ssl_context, open_timeout=open_timeout)


class RestartingNAS:
    """A sandbox NAS that can be restarted in place (same port, state kept in a file)."""

    def __init__(self, version: str, seed: str, state: Path) -> None:
        self._version, self._state = version, state
        self.current = self._sandbox(seed, port=0)

    def _sandbox(self, seed: str, port: int) -> Sandbox:
        return Sandbox(
            self._version,
            seed,
            port=port,
            state_file=self._state,
            timing=Timing(),
            api_key=KEY,
            password=PASSWORD,
        )

    @property
    def url(self) -> str:
        """Where a client reaches the NAS: 24.10 speaks only the legacy endpoint."""
        sb = self.current
        return sb.legacy_url if sb.version == "24.10" else sb.url

    def client(self, **options: Any) -> RpcClient:
        return RpcClient(
            self.url,
            api_key=KEY,
            username=self.current.username,
            timeouts=TIMEOUTS,
            reconnect=RECONNECT,
            **options,
        )

    async def restart(self) -> None:
        """Restart the middleware as a killed process does: the connections go first (no
        client hears of the jobs' end), then its jobs end with it; the state is kept."""

        def restart() -> None:
            port = self.current.port
            self.current.close_connections()
            self.current.stop()
            self.current = self._sandbox("empty", port=port).start()

        await asyncio.to_thread(restart)


@pytest.fixture(params=["24.10", "25.10"])
async def demo_nas(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RestartingNAS]:
    """A demo NAS on the legacy dialect (job id in the answer) and on new-style jobs."""
    nas = RestartingNAS(request.param, "demo", tmp_path / "nas.json")
    await asyncio.to_thread(nas.current.start)
    try:
        yield nas
    finally:
        await asyncio.to_thread(nas.current.stop)


async def _restart_while_waiting(
    nas: RestartingNAS, gate: ReconnectGate, heard: asyncio.Event, then: Callable[[], Any]
) -> None:
    """Once the client under test has heard of its job: restart the NAS, run ``then()`` (the
    other client's job, which takes the id again) and only then let the client reconnect."""
    await heard.wait()
    gate.close()
    await nas.restart()
    await then()
    gate.open()


async def _running_apps(client: TrueNASClient) -> list[str]:
    apps = await client.call("app.query", [["state", "=", "RUNNING"]])
    return sorted(app["name"] for app in apps)


async def test_a_job_wait_never_takes_the_job_that_reused_its_id(demo_nas: RestartingNAS) -> None:
    gate = ReconnectGate()
    ids: dict[str, int] = {}
    async with demo_nas.client(opener=gate) as client:
        ours, theirs = (await _running_apps(client))[:2]
        demo_nas.current.hold_jobs(["app.stop"])
        heard = asyncio.Event()

        def ours_started(job_id: int) -> None:
            ids["ours"] = job_id
            heard.set()

        async def other_client_stops_theirs() -> None:
            async with demo_nas.client() as other:
                await other.call_job("app.stop", theirs, on_job=lambda i: ids.update(theirs=i))

        stop = asyncio.create_task(client.call_job("app.stop", ours, on_job=ours_started))
        await _restart_while_waiting(demo_nas, gate, heard, other_client_stops_theirs)
        assert ids["theirs"] == ids["ours"]  # the premise: the new middleware reused the id
        with pytest.raises(RequestOutcomeUnknown, match=f"app.stop \\({theirs}\\)"):
            await stop
        assert ours in await _running_apps(client)  # our stop died with the old middleware


async def test_a_delete_across_a_restart_never_reports_an_app_gone_that_is_there(
    demo_nas: RestartingNAS,
) -> None:
    gate = ReconnectGate()
    async with TrueNASDockerManager(client=demo_nas.client(opener=gate)) as manager:
        ours, theirs = (await _running_apps(manager.client))[:2]
        demo_nas.current.hold_jobs(["app.delete"])
        heard = asyncio.Event()

        async def other_client_deletes_theirs() -> None:
            async with demo_nas.client() as other:
                await other.call_job("app.delete", theirs, {})

        delete = asyncio.create_task(manager.delete_app(ours, progress=lambda *_: heard.set()))
        await _restart_while_waiting(demo_nas, gate, heard, other_client_deletes_theirs)
        with pytest.raises(RequestOutcomeUnknown):
            await delete
        assert await manager.find_app(ours) is not None  # still there: the delete never ran


@pytest.fixture
async def empty_nas(tmp_path: Path) -> AsyncIterator[RestartingNAS]:
    """An empty NAS with new-style jobs (the deploy path is the same on every version)."""
    nas = RestartingNAS("25.10", "empty", tmp_path / "nas.json")
    await asyncio.to_thread(nas.current.start)
    try:
        yield nas
    finally:
        await asyncio.to_thread(nas.current.stop)


async def _deploy_web_across_a_restart(
    nas: RestartingNAS, meanwhile: Callable[[TrueNASDockerManager], Any]
) -> tuple[OperationResult | BaseException, list[str]]:
    """Deploy ``web`` (no wait) while the NAS restarts under its create job; another manager
    does ``meanwhile(other)`` on the new middleware before ours may reconnect. Returns what
    the deploy returned or raised, and the apps the NAS lists afterwards."""
    gate = ReconnectGate()
    async with TrueNASDockerManager(client=nas.client(opener=gate)) as manager:
        nas.current.hold_jobs(["app.create"])
        heard = asyncio.Event()

        async def other_client() -> None:
            async with TrueNASDockerManager(client=nas.client()) as other:
                await meanwhile(other)

        compose = COMPOSE.format(port=20000)
        deploy = asyncio.create_task(
            manager.deploy(compose, "web", wait=False, progress=lambda *_: heard.set())
        )
        await _restart_while_waiting(nas, gate, heard, other_client)
        (done,), _ = await asyncio.wait([deploy])
        outcome = done.exception() or done.result()
        return outcome, sorted(app.name for app in await manager.list_apps())


async def test_a_deploy_across_a_restart_reports_created_only_with_the_app_on_the_nas(
    empty_nas: RestartingNAS,
) -> None:
    async def deploy_other(other: TrueNASDockerManager) -> None:
        await other.deploy(COMPOSE.format(port=20001), "other", wait=False)

    result, names = await _deploy_web_across_a_restart(empty_nas, deploy_other)
    assert isinstance(result, OperationResult), result
    assert [o.action for o in result.outcomes] == ["created"]
    assert names == ["other", "web"]  # what was reported created is there, once


async def test_a_deploy_never_reports_created_an_app_the_nas_does_not_list(
    empty_nas: RestartingNAS,
) -> None:
    async def create_and_delete_web(other: TrueNASDockerManager) -> None:
        # the same call as ours: the job that takes our id cannot be told from ours
        await other.deploy(COMPOSE.format(port=20000), "web", wait=False)
        await other.delete_app("web")

    result, names = await _deploy_web_across_a_restart(empty_nas, create_and_delete_web)
    assert isinstance(result, RequestOutcomeUnknown), result
    assert "the NAS lists no app 'web'" in result.message
    assert names == []
