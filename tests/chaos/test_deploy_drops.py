"""Deploying 20 apps while the NAS drops the connection at random points (fixed seed).

Before each deploy a drop is armed after a random number of server frames (or in the middle
of the next job). A deploy either succeeds or raises a typed error saying what it knows; the
caller then deploys again, which is safe because deploy is idempotent and never re-sends a
create blindly. Afterwards exactly the 20 apps exist, each once, and there was one login per
connection: logins <= drops + 1.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from scale_pilot_nb.errors import RequestOutcomeUnknown, TrueNASError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.records import AppState
from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.rpc.options import ReconnectPolicy
from scale_pilot_nb.sandbox import Sandbox

pytestmark = pytest.mark.chaos

SEED = 20261126
APPS = 20
ATTEMPTS = 6
FAST_RECONNECT = ReconnectPolicy(max_attempts=20, initial_delay=0.01, max_delay=0.1)

COMPOSE = """
services:
  web:
    image: nginx:1.27.3
    ports: ["{port}:80"]
"""


def _drop_pending(sb: Sandbox) -> bool:
    """Whether the armed drop has not fired yet (the test reads the sandbox's fault state)."""
    faults = sb.call_in_loop(lambda: sb._running_server().faults)
    return sb.call_in_loop(lambda: faults.drop_after_frames is not None or faults.drop_mid_job)


async def test_twenty_deploys_under_random_drops_end_with_exactly_twenty_apps(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    # ~25 drops in a second would trip the NAS's login rate limit (20 a minute), which is
    # what the refused-connections test is about; here the point is idempotency.
    sb = make_sandbox("25.10", "empty", test_methods=False, rate_limit=False)
    rng = random.Random(SEED)
    client = RpcClient(sb.url, api_key=sb.api_key, username=sb.username, reconnect=FAST_RECONNECT)
    drops = 0
    errors: list[TrueNASError] = []
    async with TrueNASDockerManager(client=client) as manager:
        for index in range(APPS):
            name, compose = f"web-{index:02d}", COMPOSE.format(port=20000 + index)
            for _ in range(ATTEMPTS):
                if rng.random() < 0.2:
                    sb.drop_mid_job()
                else:
                    sb.drop_after_frames(rng.randint(1, 12))
                try:
                    result = await manager.deploy(compose, name, timeout=30)
                except TrueNASError as exc:
                    errors.append(exc)
                    outcome = None
                else:
                    (outcome,) = result.outcomes
                drops += not _drop_pending(sb)
                sb.clear_faults()
                if outcome is not None:
                    assert outcome.action in ("created", "unchanged"), outcome
                    assert outcome.app is not None and outcome.app.state == AppState.RUNNING
                    break
            else:
                pytest.fail(f"{name} was not deployed in {ATTEMPTS} attempts: {errors[-3:]}")
        names = [app.name for app in await manager.list_apps()]

    assert sorted(names) == [f"web-{i:02d}" for i in range(APPS)]  # all there, none twice
    for error in errors:  # what escaped says what is known about the request
        assert isinstance(error, RequestOutcomeUnknown | ConnectionError), repr(error)
    metrics = sb.metrics
    assert drops > 0
    assert metrics.requests["app.create"] == APPS  # the NAS never saw a create twice
    assert metrics.logins <= drops + 1
