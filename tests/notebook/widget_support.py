"""What the widget tests share: a Pilot on a sandbox, and a bounded wait for the loop thread."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox

#: Seconds any wait in the widget tests may take at most.
WAIT = 20.0


@contextmanager
def pilot_on(sandbox: Sandbox) -> Iterator[Pilot]:
    """A Pilot connected to ``sandbox`` over its socket, closed afterwards."""
    manager = TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username)
    with Pilot(manager) as pilot:
        yield pilot


def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for a condition set by the loop thread."""
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.02)
