"""The NAS restarts (state kept in a file) in the middle of a bulk stop/start.

The sandbox is stopped while a bulk stop runs, then started again on the same port from its
state file. The client reconnects by itself. Jobs that were running when the NAS went away
are gone (a real restart aborts them too): their apps are reported as failed with a typed
error, never silently dropped, and running the bulk again finishes the work. No app is lost.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.records import AppState
from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.rpc.options import ReconnectPolicy
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

pytestmark = pytest.mark.chaos

APPS = 30  # its running ones outnumber the 20 jobs in flight: the bulk goes on after the restart
TIMING = Timing.latency(0.3)
FAST_RECONNECT = ReconnectPolicy(max_attempts=30, initial_delay=0.05, max_delay=0.2)
KEY = "1-chaos-restart-key"
#: How an app's stop may fail when the NAS goes away under it.
TYPED_FAILURES = {"JobFailedError", "RequestOutcomeUnknown", "ConnectionError"}
PASSWORD = "chaos-restart-password"  # a throwaway sandbox account


def _sandbox(state: Path, port: int = 0) -> Sandbox:
    return Sandbox(
        "25.10", APPS, port=port, state_file=state, timing=TIMING, api_key=KEY, password=PASSWORD
    )


async def _states(
    manager: TrueNASDockerManager, names: list[str] | None = None
) -> dict[str, AppState]:
    apps = await manager.list_apps()
    return {app.name: app.state for app in apps if names is None or app.name in names}


async def test_bulk_stop_start_survives_a_sandbox_restart(tmp_path: Path) -> None:
    state = tmp_path / "nas.json"
    first = await asyncio.to_thread(_sandbox(state).start)
    second: Sandbox | None = None
    try:
        client = RpcClient(first.url, api_key=KEY, username=first.username,
                           reconnect=FAST_RECONNECT)  # fmt: skip
        async with TrueNASDockerManager(client=client) as manager:
            states = await _states(manager)
            assert len(states) == APPS
            # the seed's running apps (it also has stopped, crashing and unhealthy ones)
            names = sorted(name for name, state in states.items() if state == "RUNNING")
            assert len(names) > 20  # more than the jobs in flight

            restarted = threading.Event()

            def restart() -> None:
                nonlocal second
                port = first.port
                jobs = first.call_in_loop(lambda: first._running_server().jobs)
                first.stop()  # saves the state file; running jobs are aborted
                # Every job ended on the old NAS's loop, none was left to die with it.
                assert all(job.finished.done() for job in jobs.jobs.values())
                second = _sandbox(state, port).start()
                restarted.set()

            bulk = asyncio.create_task(manager.bulk("stop", names))
            while AppState.STOPPED not in (await _states(manager)).values():
                await asyncio.sleep(0.02)  # until the first wave ends and the second starts
            await asyncio.to_thread(restart)
            stopped = await asyncio.wait_for(bulk, 30)
            assert restarted.is_set()

            # Every app has an outcome; a failure is typed and says what happened.
            assert [o.app_name for o in stopped.outcomes] == names
            for outcome in stopped.failed:
                assert outcome.error is not None, outcome
                assert outcome.error["type"] in TYPED_FAILURES, outcome
            # What was reported done before the restart survived it (the state file).
            done = {o.app_name for o in stopped.outcomes if o.ok}
            assert done, "no stop finished before the restart; the test proves nothing"
            after_restart = await _states(manager)
            assert set(after_restart) == set(states)  # no app lost or added
            assert {name for name in done if after_restart[name] == AppState.STOPPED} == done

            # Running the bulk again finishes the work; nothing was lost on the way.
            again = await asyncio.wait_for(manager.bulk("stop", names), 30)
            assert again.ok, again.failed
            assert await _states(manager, names) == dict.fromkeys(names, AppState.STOPPED)
            started = await asyncio.wait_for(manager.bulk("start", names), 30)
            assert started.ok, started.failed
            assert await _states(manager, names) == dict.fromkeys(names, AppState.RUNNING)
            assert client.stats.reconnects == 1 and client.stats.logins == 2
    finally:
        for sb in (first, second):
            if sb is not None:
                await asyncio.to_thread(sb.stop)
