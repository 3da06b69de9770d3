"""The NAS refuses connections for a while (stopped, then back on the same port).

The client must back off exponentially with jitter while nothing answers, then reconnect
with a single login: no burst of attempts, no failed or rate-limited logins (TrueNAS allows
20 unauthenticated calls per method per minute). A call made during the outage waits for the
reconnect and succeeds. Attempts are recorded by a wrapper around the real opener.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest

from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.rpc.options import ReconnectPolicy
from scale_pilot_nb.rpc.transport import Transport, open_websocket
from scale_pilot_nb.sandbox import Sandbox

pytestmark = pytest.mark.chaos

POLICY = ReconnectPolicy(max_attempts=40, initial_delay=0.05, max_delay=0.4, jitter=0.5)
OUTAGE = 1.5
KEY = "7-chaos-refused-key"
PASSWORD = "chaos-refused-password"  # a throwaway sandbox account
#: TrueNAS: unauthenticated calls allowed per method and address per minute.
AUTH_RATE_LIMIT = 20


def _sandbox(port: int = 0) -> Sandbox:
    return Sandbox("25.10", 2, port=port, api_key=KEY, password=PASSWORD)


async def test_client_backs_off_with_jitter_and_logs_in_once_when_the_nas_returns() -> None:
    attempts: list[float] = []

    async def recording_opener(url: str, **options: Any) -> Transport:
        attempts.append(time.monotonic())
        return await open_websocket(url, **options)

    first = await asyncio.to_thread(_sandbox().start)
    second: Sandbox | None = None
    try:
        port = first.port
        client = RpcClient(first.url, api_key=KEY, username=first.username, reconnect=POLICY,
                           opener=recording_opener)  # fmt: skip
        async with client:
            attempts.clear()  # only the reconnect attempts from here on
            await asyncio.to_thread(first.stop)
            during_outage = asyncio.create_task(client.call("app.query", timeout=30))
            await asyncio.sleep(OUTAGE)
            second = await asyncio.to_thread(_sandbox(port).start)
            apps = await asyncio.wait_for(during_outage, 30)
            assert [app["name"] for app in apps] == ["app-0001", "app-0002"]
            assert client.stats.reconnects == 1

        # Backoff: attempt n+1 waits at least the jittered floor of its delay; never a burst.
        gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
        assert len(gaps) >= 3, attempts
        floors = [
            min(POLICY.max_delay, POLICY.initial_delay * POLICY.multiplier**n) * (1 - POLICY.jitter)
            for n in range(1, len(gaps) + 1)
        ]
        assert all(gap >= floor * 0.95 for gap, floor in zip(gaps, floors, strict=True)), gaps
        # Jitter: the waits are not one fixed schedule (they would all sit on the same ratio).
        ratios = [
            gap / (floor / (1 - POLICY.jitter)) for gap, floor in zip(gaps, floors, strict=True)
        ]
        assert max(ratios) - min(ratios) > 0.01, ratios
        assert len(attempts) <= AUTH_RATE_LIMIT

        metrics = second.metrics
        assert metrics.connections == 1 and metrics.logins == 1
        assert metrics.failed_logins == 0
        assert metrics.requests["auth.login_ex"] == 1
    finally:
        for sb in (first, second):
            if sb is not None:
                await asyncio.to_thread(sb.stop)
