"""Container logs through the ``app.container_log_follow`` event source.

TrueNAS has no ``app.logs`` method: logs exist only as an event source per container. To read
several services at once, one subscription per container feeds a shared queue, so lines come
out interleaved in arrival order. Without ``follow`` the reader stops once every container has
sent the tail asked for or gone quiet for a moment, and after :data:`TAIL_SECONDS` at most (a
container that logs without pause is never quiet). A source does end when its container goes
away (app stopped or redeployed) or the NAS refuses it: once every source has ended the
iterator ends too, raising the first refusal, so ``follow`` never waits on nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.records._base import iso_timestamp
from scale_pilot_nb.rpc.factory import TrueNASClient

__all__ = ["QUIET_SECONDS", "TAIL_SECONDS", "LogLine", "follow_logs"]

#: Without ``follow``: the tail is complete after this long without a new line.
QUIET_SECONDS = 0.5

#: The longest a read without ``follow`` takes: a container that logs without pause is never
#: quiet, and TrueNAS sends its history and its new lines on the same stream.
TAIL_SECONDS = 5.0


@dataclass(frozen=True)
class LogLine:
    """One line of a container's log.

    Attributes:
        service: the compose service the container runs.
        container_id: the container.
        data: the text, without the trailing newline.
        timestamp: when Docker recorded the line, as ISO 8601 text in UTC with its offset
            (``2026-12-03T15:26:23.120000+00:00``), or None when the NAS sent none.
    """

    service: str
    container_id: str
    data: str
    timestamp: str | None = None

    def __str__(self) -> str:
        return f"{self.service} | {self.data}"


@dataclass(frozen=True)
class _SourceEnded:
    """Queued by a container's pump when its source ends; ``error`` if the NAS refused it."""

    error: TrueNASError | None = None


async def follow_logs(
    client: TrueNASClient,
    app_name: str,
    containers: Mapping[str, str],
    *,
    tail: int | None,
    follow: bool,
) -> AsyncIterator[LogLine]:
    """Yield log lines of ``containers`` (id -> service) of ``app_name``.

    Args:
        tail: lines of history per container (None: all of it).
        follow: keep yielding new lines until the caller stops iterating.
    """
    if not containers:
        return
    queue: asyncio.Queue[LogLine | _SourceEnded] = asyncio.Queue(maxsize=10_000)

    async def pump(container_id: str, service: str) -> None:
        args = {"app_name": app_name, "container_id": container_id, "tail_lines": tail}
        sent = 0
        try:
            async with client.subscribe(f"app.container_log_follow:{json.dumps(args)}") as events:
                async for event in events:
                    fields = event.fields or {}
                    text = str(fields.get("data", "")).rstrip("\n")
                    when = iso_timestamp(fields.get("timestamp"))
                    await queue.put(LogLine(service, container_id, text, when))
                    sent += 1
                    if not follow and tail is not None and sent >= tail:
                        break  # the tail asked for has come: what follows is new lines
        except TrueNASError as exc:
            await queue.put(_SourceEnded(exc))
        else:
            await queue.put(_SourceEnded())

    pumps = [asyncio.create_task(pump(cid, svc)) for cid, svc in containers.items()]
    running = len(pumps)
    ends = None if follow else asyncio.get_running_loop().time() + TAIL_SECONDS
    try:
        while running:
            quiet = (
                None
                if ends is None
                else min(QUIET_SECONDS, ends - asyncio.get_running_loop().time())
            )
            try:
                if quiet is not None and quiet <= 0:
                    return
                item = await asyncio.wait_for(queue.get(), quiet)
            except TimeoutError:
                return
            if isinstance(item, _SourceEnded):
                running -= 1
                if item.error is not None:
                    raise item.error
                continue
            yield item
    finally:
        for task in pumps:
            task.cancel()
        for task in pumps:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
