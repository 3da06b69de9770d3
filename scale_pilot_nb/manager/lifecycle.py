"""Lifecycle operations over many apps at once, on one connection.

A sequential loop pays one full job latency per app. TrueNAS runs jobs concurrently, so the
runner keeps up to ``concurrency`` jobs in flight (the connection allows 20 calls at once),
and the wall time approaches ``ceil(apps / concurrency) × job latency``. One app's failure
never stops the others: every app gets an :class:`AppOutcome` saying what happened to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

from scale_pilot_nb.errors import ArgumentError, TrueNASError
from scale_pilot_nb.manager import arguments
from scale_pilot_nb.manager.changes import LIFECYCLE, now, run_lifecycle
from scale_pilot_nb.manager.waiting import check_timeout
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = ["BulkRunner"]


class BulkRunner:
    """Runs one lifecycle action over many apps with bounded concurrency."""

    def __init__(self, manager: ManagerPort) -> None:
        self._manager = manager

    async def run(
        self,
        action: str,
        names: Iterable[str],
        *,
        concurrency: int,
        wait: bool,
        timeout: float | None,
    ) -> OperationResult:
        """Run ``action`` on every app in ``names``; outcomes keep the order of ``names``.

        ``wait``/``timeout`` apply to each app (see :mod:`scale_pilot_nb.manager.waiting`).
        """
        if not isinstance(action, str) or action not in LIFECYCLE:
            raise ArgumentError(f"action must be one of {sorted(LIFECYCLE)}, not {action!r:.60}")
        names = arguments.app_names(names)
        arguments.positive_int(concurrency, "concurrency")
        check_timeout(timeout)
        started_at = now()
        slots = asyncio.Semaphore(concurrency)

        async def one(name: str) -> AppOutcome:
            async with slots:
                try:
                    result = await run_lifecycle(
                        self._manager, action, name, wait=wait, timeout=timeout, progress=None
                    )
                except TrueNASError as exc:
                    return AppOutcome.failure(name, exc)
                return result.outcomes[0]

        outcomes = await asyncio.gather(*(one(name) for name in dict.fromkeys(names)))
        return OperationResult(action, tuple(outcomes), started_at=started_at, finished_at=now())
