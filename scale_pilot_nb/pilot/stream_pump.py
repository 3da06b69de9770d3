"""A bounded hand-off of an async iterator's items from an event loop to another thread.

:meth:`scale_pilot_nb.pilot.runner.LoopRunner.iterate` used to fetch each item with its own
cross-thread round trip (~75 µs idle, far more under GIL contention), which made a fast log
stream fall behind its producer. :class:`StreamPump` instead runs one task on the loop that
reads ahead into a bounded buffer; the consumer thread drains it, and the two meet only on a
lock per item. Back-pressure keeps memory bounded: a full buffer pauses the pump (and so the
source) until the consumer catches up.

This module knows nothing about TrueNAS, nor about how the loop thread is started; the
runner passes its loop thread in as a :class:`LoopHandle`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Generic, Literal, Protocol, TypeVar

from scale_pilot_nb.errors import CallTimeoutError

__all__ = ["LoopHandle", "StreamEnd", "StreamPump", "deadline_after", "next_wait"]

T = TypeVar("T")


class LoopHandle(Protocol):
    """What the pump needs of the loop thread it runs on."""

    pid: int
    thread: threading.Thread

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Schedule ``callback`` on the loop from any thread; dropped once the loop is gone."""

    def ensure_alive(self) -> None:
        """Raise a typed error if the loop thread has died."""


class StreamEnd(enum.Enum):
    """States of a stream that are not an item (StopAsyncIteration cannot cross the thread)."""

    PENDING = enum.auto()
    EXHAUSTED = enum.auto()
    CANCELLED = enum.auto()


def deadline_after(timeout: float | None) -> float | None:
    """The monotonic time ``timeout`` seconds from now, or None for no deadline."""
    return None if timeout is None else time.monotonic() + timeout


def next_wait(deadline: float | None, wait_slice: float) -> float | None:
    """Seconds to wait in the next slice, or None once ``deadline`` has passed."""
    if deadline is None:
        return wait_slice
    remaining = deadline - time.monotonic()
    return min(wait_slice, remaining) if remaining > 0 else None


class StreamPump(Generic[T]):
    """Reads an async iterator on the loop into a bounded buffer drained by another thread.

    The buffer is a deque guarded by one condition: the pump (loop thread) appends and
    notifies only when the caller waits; the caller pops. When the buffer is full the pump
    awaits an asyncio event, which the caller sets through the loop once it has drained the
    buffer to half, so a thread hand-off through the loop happens once per half-buffer,
    not per item. The final outcome (exhausted, an exception, or cancelled) is published
    under the same condition after the iterator has been closed.
    """

    def __init__(
        self,
        iterator: AsyncIterator[T],
        loop_thread: LoopHandle,
        capacity: int,
        wait_slice: float,
    ) -> None:
        self._iterator = iterator
        self._loop_thread = loop_thread
        self._capacity = capacity
        self._low_water = capacity // 2
        self._wait_slice = wait_slice
        self._buffer: collections.deque[T] = collections.deque()
        self._ready = threading.Condition(threading.Lock())
        self._taker_waiting = False
        self._pump_waiting = False
        self._space = asyncio.Event()  # binds to the runner's loop on first use there
        self._outcome: StreamEnd | BaseException = StreamEnd.PENDING
        self._scheduled = False
        # Touched on the loop thread only:
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._cancel_requested = False

    # -- caller thread -----------------------------------------------------------------------

    def start(self) -> None:
        """Schedule the pump task on the loop."""
        self._loop_thread.call_soon(self._create_task)
        self._scheduled = True

    def take(self, timeout: float | None) -> T | Literal[StreamEnd.EXHAUSTED, StreamEnd.CANCELLED]:
        """The next item or how the stream ended, waiting in slices so Ctrl-C gets through.

        ``CANCELLED`` means the loop cancelled the pump without the consumer asking (the
        loop is shutting down).

        Raises:
            CallTimeoutError: nothing arrived within ``timeout``.
            BaseException: whatever the source raised, once the items before it are taken,
                or what :meth:`LoopHandle.ensure_alive` raises when the loop thread died.
        """
        with self._ready:
            if not self._buffer and self._outcome is StreamEnd.PENDING:
                self._wait_for_item(timeout)
            if not self._buffer:
                return self._final_outcome()
            item = self._buffer.popleft()
            resume = self._pump_waiting and len(self._buffer) <= self._low_water
            if resume:
                self._pump_waiting = False
        if resume:
            self._loop_thread.call_soon(self._space.set)
        return item

    def stop(self, stop_timeout: float) -> None:
        """Cancel the pump and wait until it has closed the iterator (bounded by the timeout).

        From the loop thread (a generator finalised there), or in a forked child, or when the
        pump never got scheduled, the cancellation is only requested: waiting would deadlock
        or never end.
        """
        with self._ready:
            if self._outcome is not StreamEnd.PENDING:
                return
            self._buffer.clear()
        self._loop_thread.call_soon(self._cancel)
        if (
            not self._scheduled
            or self._loop_thread.pid != os.getpid()
            or threading.current_thread() is self._loop_thread.thread
        ):
            return
        deadline = deadline_after(stop_timeout)
        with self._ready:
            while self._outcome is StreamEnd.PENDING and self._loop_thread.thread.is_alive():
                wait_for = next_wait(deadline, self._wait_slice)
                if wait_for is None:
                    return  # the pump finishes on its own; the loop's shutdown is the backstop
                self._ready.wait(wait_for)

    def _wait_for_item(self, timeout: float | None) -> None:
        # Called with the condition held.
        deadline = deadline_after(timeout)
        self._taker_waiting = True
        try:
            while not self._buffer and self._outcome is StreamEnd.PENDING:
                wait_for = next_wait(deadline, self._wait_slice)
                if wait_for is None:
                    raise CallTimeoutError(
                        f"No item arrived within {timeout:g} s; the stream was closed.",
                        hint="Pass a larger timeout, or None to wait indefinitely.",
                    )
                self._loop_thread.ensure_alive()
                self._ready.wait(wait_for)
        finally:
            self._taker_waiting = False

    def _final_outcome(self) -> Literal[StreamEnd.EXHAUSTED, StreamEnd.CANCELLED]:
        outcome = self._outcome
        if isinstance(outcome, BaseException):
            raise outcome
        assert outcome is not StreamEnd.PENDING
        return outcome

    # -- loop thread -------------------------------------------------------------------------

    def _create_task(self) -> None:
        # The loop keeps only weak references to tasks; this one lives as long as the pump.
        self._task = asyncio.get_running_loop().create_task(self._run())

    def _cancel(self) -> None:
        self._cancel_requested = True
        if self._running and self._task is not None:
            self._task.cancel()
        # A task not yet running is not cancelled: a coroutine cancelled before its first
        # step skips its ``finally`` and would never publish an outcome. It checks the flag.

    async def _run(self) -> None:
        self._running = True
        outcome: StreamEnd | BaseException = StreamEnd.CANCELLED
        try:
            if not self._cancel_requested:
                outcome = await self._fill()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # re-raised in the caller thread, which owns the stream
            outcome = exc
        finally:
            try:
                await _close_quietly(self._iterator)
            finally:
                with self._ready:
                    self._outcome = outcome
                    self._ready.notify_all()

    async def _fill(self) -> StreamEnd:
        fetch = self._iterator.__anext__
        buffer, ready, capacity = self._buffer, self._ready, self._capacity
        while not self._cancel_requested:  # also when the source swallowed a cancellation
            try:
                item = await fetch()
            except StopAsyncIteration:
                return StreamEnd.EXHAUSTED
            with ready:
                buffer.append(item)
                full = len(buffer) >= capacity
                if full:
                    self._space.clear()
                    self._pump_waiting = True
                if self._taker_waiting:
                    ready.notify()
            if full:
                await self._space.wait()
        return StreamEnd.CANCELLED


async def _close_quietly(iterator: AsyncIterator[Any]) -> None:
    """Close an async generator the caller abandoned.

    After a Ctrl-C the generator may still be unwinding its cancellation; it then refuses a
    second close with RuntimeError, and loop shutdown finalises it instead.
    """
    aclose = getattr(iterator, "aclose", None)
    if aclose is None:
        return
    with contextlib.suppress(RuntimeError):
        await aclose()
