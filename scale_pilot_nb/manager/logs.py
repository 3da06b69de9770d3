"""Container logs through the ``app.container_log_follow`` event source, in time order.

TrueNAS has no ``app.logs`` method: logs exist only as an event source per container, and that
source takes only ``app_name``, ``container_id`` and ``tail_lines`` (no ``since``/``until``),
so time windows (:class:`~scale_pilot_nb.manager.timefilter.TimeWindow`) are applied here, to the
Docker timestamp each line carries. One subscription per container feeds a shared queue.

Order: the history (the tail of every container) is collected first and handed out sorted by
timestamp, as ``docker compose logs`` interleaves services. It is complete once every
container has sent the tail asked for or ended, or nothing came for :data:`QUIET_SECONDS`, and
after :data:`TAIL_SECONDS` at most (a container that logs without pause is never quiet, and
TrueNAS sends history and new lines on one stream). With ``follow``, new lines then come in
small batches: each line waits up to :data:`REORDER_SECONDS` for lines of other containers
stamped earlier, so a line can only be out of order against one that arrived later than that.

A source ends when its container goes away (app stopped or redeployed), when the NAS refuses
it, or, with ``until``, at its first line past ``until`` (a container's lines come in time
order). Once every source has ended the iterator ends too, raising the first refusal after
the lines that came before it, so ``follow`` never waits on nothing. Following with ``until``
also ends once the clock passes ``until``, as ``docker logs`` does, because a quiet container
may never send a line past it; when ``until`` is already past, ``follow`` changes nothing.

A tail of 0 means no history: without ``follow`` nothing is read at all, with it only new
lines come. TrueNAS refuses ``tail_lines`` 0, so each source is asked for 1 and that first
line is dropped when it is stamped before the follow began (or carries no stamp): a container
that has never logged sends a new line first, and that one is kept.

Readers running at once: the NAS runs one ``app.container_log_follow`` instance per argument
*text* and shares it among every subscriber on every connection; a subscriber joining a running
instance gets only the lines logged from then on, never the tail (``subscribe`` "Re-using
existing instance" in ``common/event_source/manager.py``, line 134 in TS-24.10.2.4 and 119 in
TS-25.04.2.6 and TS-25.10.5; the tail is read once, when ``AppContainerLogsFollowTailEventSource``
opens the Docker stream, ``plugins/apps/logs.py``). So each source of a reader here is spelt
with trailing spaces (still the same JSON) until no other reader in this process uses that
text: the log viewer and ``pilot.logs`` on one container each get their own tail, and no line
twice. A follower outside this process (the web UI, another script) that happens to send the
very same text would still take the history away: the read then holds only new lines, and
ends after :data:`QUIET_SECONDS` of quiet or :data:`TAIL_SECONDS` at most, as any read does.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import threading
from collections.abc import AsyncGenerator, Iterable, Mapping
from dataclasses import dataclass

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.manager.timefilter import TimeWindow
from scale_pilot_nb.records._base import iso_timestamp, wire_datetime
from scale_pilot_nb.rpc.factory import TrueNASClient

__all__ = [
    "QUIET_SECONDS",
    "REORDER_SECONDS",
    "TAIL_SECONDS",
    "LogLine",
    "follow_logs",
    "in_time_order",
]

#: The history is complete after this long without a new line.
QUIET_SECONDS = 0.5

#: The longest the history takes to collect: a container that logs without pause is never
#: quiet, and TrueNAS sends its history and its new lines on the same stream.
TAIL_SECONDS = 5.0

#: While following, how long a new line waits for earlier-stamped lines of other containers.
REORDER_SECONDS = 0.2

_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)

#: Argument texts of the sources open in this process (see "Readers running at once").
_FOLLOWING: set[str] = set()
_FOLLOWING_LOCK = threading.Lock()  # readers of the sync façade run on other threads' loops


def _claim(arg: str) -> str:
    """``arg`` with as few trailing spaces as make it a text no open source uses."""
    with _FOLLOWING_LOCK:
        while arg in _FOLLOWING:
            arg += " "
        _FOLLOWING.add(arg)
    return arg


def _release(arg: str) -> None:
    with _FOLLOWING_LOCK:
        _FOLLOWING.discard(arg)


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

    @property
    def moment(self) -> dt.datetime | None:
        """:attr:`timestamp` as an aware UTC ``datetime`` (None without one)."""
        return wire_datetime(self.timestamp)


def in_time_order(lines: Iterable[LogLine]) -> list[LogLine]:
    """``lines`` sorted by timestamp, stable: equal times keep their arrival order.

    A line without a timestamp stays right after the line its container sent before it (or
    first, when it is the container's first line), so it keeps its place in its own stream.
    """
    last: dict[str, dt.datetime] = {}
    keyed: list[tuple[dt.datetime, LogLine]] = []
    for line in lines:
        when = line.moment or last.get(line.container_id, _EARLIEST)
        last[line.container_id] = when
        keyed.append((when, line))
    keyed.sort(key=lambda pair: pair[0])
    return [line for _, line in keyed]


@dataclass(frozen=True)
class _TailSent:
    """Queued by a container's pump once it has sent the tail asked for."""

    container_id: str


@dataclass(frozen=True)
class _SourceEnded:
    """Queued by a container's pump when its source ends; ``error`` if the NAS refused it."""

    container_id: str
    error: TrueNASError | None = None


class _Inbox:
    """The queue every pump writes to, and which containers are still sending what."""

    def __init__(
        self, container_ids: Iterable[str], *, tail: bool, closes_at: float | None
    ) -> None:
        """``tail``: whether any history is asked for (without, it is complete at once);
        ``closes_at``: the loop time at which following ends (``until`` with ``follow``)."""
        self.queue: asyncio.Queue[LogLine | _TailSent | _SourceEnded] = asyncio.Queue(
            maxsize=10_000
        )
        self.running = set(container_ids)
        self.tail_pending = set(self.running) if tail else set()
        self.closes_at = closes_at
        self.error: TrueNASError | None = None

    def open(self) -> bool:
        """Whether new lines may still come: a source runs, none was refused, and the
        clock has not passed ``until``."""
        if not self.running or self.error is not None:
            return False
        return self.closes_at is None or asyncio.get_running_loop().time() < self.closes_at

    async def history(self) -> list[LogLine]:
        """The lines until every tail is in, a quiet spell, a refusal or :data:`TAIL_SECONDS`."""
        loop = asyncio.get_running_loop()
        ends = loop.time() + TAIL_SECONDS
        lines: list[LogLine] = []
        while self.tail_pending and self.error is None:
            wait = min(QUIET_SECONDS, ends - loop.time())
            if wait <= 0 or not await self._take(lines, wait):
                break
        return lines

    async def batch(self) -> list[LogLine]:
        """The next line and those arriving within :data:`REORDER_SECONDS` after it
        ([] once every source has ended, one was refused or the clock passed ``until``)."""
        loop = asyncio.get_running_loop()
        lines: list[LogLine] = []
        while not lines and self.open():
            await self._take(
                lines, None if self.closes_at is None else self.closes_at - loop.time()
            )
        ends = loop.time() + REORDER_SECONDS
        while self.running and self.error is None:
            wait = ends - loop.time()
            if wait <= 0 or not await self._take(lines, wait):
                break
        return lines

    async def _take(self, lines: list[LogLine], wait: float | None) -> bool:
        """Fold the next queued item into ``lines`` or the state; False if ``wait`` ran out."""
        try:
            item = await asyncio.wait_for(self.queue.get(), wait)
        except TimeoutError:
            return False
        if isinstance(item, LogLine):
            lines.append(item)
        elif isinstance(item, _TailSent):
            self.tail_pending.discard(item.container_id)
        else:
            self.running.discard(item.container_id)
            self.tail_pending.discard(item.container_id)
            if self.error is None:
                self.error = item.error
        return True


async def follow_logs(
    client: TrueNASClient,
    app_name: str,
    containers: Mapping[str, str],
    *,
    tail: int | None,
    follow: bool,
    window: TimeWindow | None = None,
) -> AsyncGenerator[LogLine, None]:
    """Yield log lines of ``containers`` (id -> service) of ``app_name`` in time order.

    Args:
        tail: lines of history per container (None: all of it, 0: none), counted before
            ``window`` filters them, as Docker does.
        follow: keep yielding new lines until the caller stops iterating, every source has
            ended, or the clock passes ``window.until``.
        window: only lines stamped inside it (lines without a timestamp are kept).
    """
    window = window or TimeWindow()
    began = dt.datetime.now(dt.UTC)
    closes_at = None
    if follow and window.until is not None:
        left = (window.until - began).total_seconds()
        follow = left > 0
        closes_at = asyncio.get_running_loop().time() + left
    if not containers or (tail == 0 and not follow):
        return
    inbox = _Inbox(containers, tail=tail != 0, closes_at=closes_at)
    asked = None if tail is None else max(tail, 1)  # TrueNAS wants tail_lines >= 1

    async def pump(container_id: str, service: str) -> None:
        args = {"app_name": app_name, "container_id": container_id, "tail_lines": asked}
        sent = 0
        drop_history = tail == 0
        claimed = _claim(json.dumps(args))
        try:
            async with client.subscribe(f"app.container_log_follow:{claimed}") as events:
                async for event in events:
                    fields = event.fields or {}
                    when = wire_datetime(fields.get("timestamp"))
                    if drop_history:
                        drop_history = False
                        if when is None or when < began:
                            continue  # the one line of history TrueNAS insists on sending
                    if window.passed(when):
                        break  # its later lines are later still
                    if window.keeps(when):
                        text = str(fields.get("data", "")).rstrip("\n")
                        line = LogLine(service, container_id, text, iso_timestamp(when))
                        await inbox.queue.put(line)
                    sent += 1
                    if sent == tail:
                        await inbox.queue.put(_TailSent(container_id))
                        if not follow:
                            break  # the tail asked for has come: what follows is new lines
        except TrueNASError as exc:
            await inbox.queue.put(_SourceEnded(container_id, exc))
        else:
            await inbox.queue.put(_SourceEnded(container_id))
        finally:
            _release(claimed)

    pumps = [asyncio.create_task(pump(cid, svc)) for cid, svc in containers.items()]
    try:
        for line in in_time_order(await inbox.history()):
            yield line
        while follow and inbox.open():
            for line in in_time_order(await inbox.batch()):
                yield line
        if inbox.error is not None:
            raise inbox.error
    finally:
        for task in pumps:
            task.cancel()
        for task in pumps:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
