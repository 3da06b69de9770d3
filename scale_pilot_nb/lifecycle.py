"""Lifecycle operations over many apps at once, on one connection.

A sequential loop pays one full job latency per app. TrueNAS runs jobs concurrently, so the
runner keeps up to ``concurrency`` jobs in flight (the connection allows 20 calls at once),
and the wall time approaches ``ceil(apps / concurrency) × job latency``. One app's failure
never stops the others: every app gets an :class:`AppOutcome` saying what happened to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.records import App
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult

if TYPE_CHECKING:
    from scale_pilot_nb.manager import TrueNASDockerManager

__all__ = ["LIFECYCLE_ACTIONS", "BulkRunner"]

#: action -> past tense reported in outcomes
LIFECYCLE_ACTIONS = {
    "start": "started",
    "stop": "stopped",
    "restart": "restarted",
    "redeploy": "redeployed",
}


class BulkRunner:
    """Runs one lifecycle action over many apps with bounded concurrency."""

    def __init__(self, manager: TrueNASDockerManager) -> None:
        self._manager = manager

    def _operation(self, action: str) -> Callable[[str], Awaitable[App]]:
        operations: dict[str, Callable[[str], Awaitable[App]]] = {
            "start": self._manager.start_app,
            "stop": self._manager.stop_app,
            "restart": self._manager.restart_app,
            "redeploy": self._manager.redeploy_app,
        }
        return operations[action]

    async def run(self, action: str, names: list[str], *, concurrency: int) -> OperationResult:
        """Run ``action`` on every app in ``names``; outcomes keep the order of ``names``."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        operation = self._operation(action)
        slots = asyncio.Semaphore(concurrency)

        async def one(name: str) -> AppOutcome:
            async with slots:
                try:
                    app = await operation(name)
                except TrueNASError as exc:
                    return AppOutcome(name, "failed", error=exc.to_dict())
                return AppOutcome(name, LIFECYCLE_ACTIONS[action], app)

        outcomes = await asyncio.gather(*(one(name) for name in dict.fromkeys(names)))
        return OperationResult(action, tuple(outcomes))
