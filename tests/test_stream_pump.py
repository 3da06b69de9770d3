"""Tests for scale_pilot_nb.pilot.stream_pump: the bounded hand-off under ``LoopRunner.iterate``.

The runner-level guarantees (early stop, Ctrl-C, timeouts, back-pressure) are tested through
``LoopRunner.iterate`` in tests/test_runner.py; these tests cover what the pump reports to
its owner on a plain loop thread of their own.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from scale_pilot_nb.pilot.stream_pump import StreamEnd, StreamPump, deadline_after, next_wait


class _PlainLoopThread:
    """A minimal LoopHandle: one event loop running in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call_soon(self, callback: Callable[[], object]) -> None:
        self.loop.call_soon_threadsafe(callback)

    def ensure_alive(self) -> None:
        if not self.thread.is_alive():
            raise RuntimeError("loop thread gone")

    def run(self, coro: object) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)  # type: ignore[arg-type]

    def shut_down(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def loop_thread() -> Iterator[_PlainLoopThread]:
    handle = _PlainLoopThread()
    yield handle
    handle.shut_down()


async def _count_to(limit: int) -> AsyncIterator[int]:
    for number in range(limit):
        yield number


def test_pump_delivers_every_item_then_exhausted(loop_thread: _PlainLoopThread) -> None:
    pump = StreamPump(_count_to(5), loop_thread, capacity=2, wait_slice=0.05)
    pump.start()
    taken = [pump.take(timeout=5) for _ in range(6)]
    assert taken == [0, 1, 2, 3, 4, StreamEnd.EXHAUSTED]
    pump.stop(stop_timeout=5)  # a no-op once the stream has ended


def test_pump_reports_cancelled_when_the_loop_cancels_it_unasked(
    loop_thread: _PlainLoopThread,
) -> None:
    closed = threading.Event()
    stalled = threading.Event()

    async def stalls() -> AsyncIterator[int]:
        try:
            stalled.set()
            await asyncio.sleep(60)
            yield 1
        finally:
            closed.set()

    async def cancel_everything_else() -> None:
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    pump = StreamPump(stalls(), loop_thread, capacity=4, wait_slice=0.05)
    pump.start()
    assert stalled.wait(5)
    loop_thread.run(cancel_everything_else())
    assert pump.take(timeout=5) is StreamEnd.CANCELLED
    assert closed.is_set()


def test_next_wait_slices_until_the_deadline_and_then_says_none() -> None:
    assert next_wait(None, 0.1) == 0.1
    assert next_wait(deadline_after(60), 0.1) == 0.1
    assert (next_wait(deadline_after(0.05), 0.1) or 0.0) <= 0.05
    assert next_wait(time.monotonic() - 1, 0.1) is None
    assert deadline_after(None) is None
