"""A slow NAS (every answer held for 2 s) and short call timeouts: typed errors, nothing leaks.

Calls go through a ``Pilot``'s loop runner, as in a notebook. Threads are counted with
``threading.enumerate()`` and tasks with ``asyncio.all_tasks()`` on the runner's loop, before
and after a burst of timed-out calls; the late answers arrive afterwards and must be dropped.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

import pytest

from scale_pilot_nb.errors import CallTimeoutError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.pilot.runner import LoopRunner
from scale_pilot_nb.sandbox import Sandbox

pytestmark = pytest.mark.chaos

DELAY = 2.0


async def _tasks() -> int:
    return len(asyncio.all_tasks())


def test_timed_out_calls_raise_typed_errors_and_leak_no_tasks_or_threads(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = make_sandbox("25.10", 3, test_methods=False)
    threads_before = {t.ident for t in threading.enumerate()}
    runner = LoopRunner()
    pilot = Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username), runner=runner)
    try:
        client = pilot.manager.client
        tasks_idle = runner.run(_tasks())
        threads_idle = len(threading.enumerate())
        sb.delay_responses(DELAY, methods=["app.query", "system.info"])

        for method in ("app.query", "system.info", "app.query"):
            with pytest.raises(CallTimeoutError, match=method):
                runner.run(client.call(method, timeout=0.2))

        time.sleep(DELAY + 0.3)  # the late answers arrive now and must be dropped
        sb.delay_responses(0)
        assert len(pilot.apps()) == 3  # the connection survived
        assert runner.run(_tasks()) == tasks_idle
        assert len(threading.enumerate()) == threads_idle
        assert client.stats.connects == 1 and client.stats.reconnects == 0
    finally:
        pilot.close()
    assert {t.ident for t in threading.enumerate()} <= threads_before
