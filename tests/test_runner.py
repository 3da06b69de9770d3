"""Tests for scale_pilot_nb.pilot.runner: the loop thread under the synchronous façade."""

from __future__ import annotations

import _thread
import asyncio
import gc
import os
import threading
import time
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest

from scale_pilot_nb.errors import (
    CallTimeoutError,
    InterruptedJob,
    JobFate,
    OperationInterrupted,
    TrueNASError,
    record_interruption,
)
from scale_pilot_nb.pilot.runner import DEFAULT_THREAD_NAME, LoopRunner, RunnerError


@pytest.fixture
def runner() -> Iterator[LoopRunner]:
    with LoopRunner(name="test-loop") as loop_runner:
        yield loop_runner


async def _answer(value: int) -> tuple[int, str]:
    await asyncio.sleep(0)
    return value, threading.current_thread().name


async def _current_thread() -> threading.Thread:
    return threading.current_thread()


def _threads_named(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


def test_run_returns_result_computed_on_the_loop_thread(runner: LoopRunner) -> None:
    value, thread_name = runner.run(_answer(42))
    assert value == 42
    assert thread_name == "test-loop"


def test_thread_is_a_named_daemon_started_lazily() -> None:
    before = len(_threads_named(DEFAULT_THREAD_NAME))
    with LoopRunner() as fresh:
        assert "idle" in repr(fresh)
        assert len(_threads_named(DEFAULT_THREAD_NAME)) == before
        thread = fresh.run(_current_thread())
        assert thread.name == DEFAULT_THREAD_NAME
        assert thread.daemon
        assert "running" in repr(fresh)
    assert not thread.is_alive()


def test_exception_of_the_task_is_reraised_in_the_caller(runner: LoopRunner) -> None:
    async def boom() -> None:
        raise ValueError("broken on the loop")

    with pytest.raises(ValueError, match="broken on the loop"):
        runner.run(boom())
    # The loop survives a failed task.
    assert runner.run(_answer(2))[0] == 2


def test_timeout_error_raised_by_the_task_is_not_mistaken_for_our_timeout(
    runner: LoopRunner,
) -> None:
    async def times_out() -> None:
        raise TimeoutError("inner")

    with pytest.raises(TimeoutError, match="inner") as info:
        runner.run(times_out(), timeout=5)
    assert not isinstance(info.value, CallTimeoutError)


def test_timeout_cancels_the_coroutine(runner: LoopRunner) -> None:
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(CallTimeoutError) as info:
        runner.run(slow(), timeout=0.05)
    assert isinstance(info.value, TrueNASError)
    assert isinstance(info.value, TimeoutError)
    assert cancelled.wait(5)


def test_run_from_inside_a_running_loop_in_the_caller_thread(runner: LoopRunner) -> None:
    # A notebook cell: the caller's own loop is running and it calls the sync API.
    async def cell() -> tuple[int, str]:
        return runner.run(_answer(7))

    value, thread_name = asyncio.run(cell())
    assert (value, thread_name) == (7, "test-loop")


def test_run_from_the_loop_thread_is_refused(runner: LoopRunner) -> None:
    async def reenter() -> BaseException | None:
        inner = _answer(3)
        try:
            runner.run(inner)
        except RunnerError as exc:
            return exc
        finally:
            # The refused coroutine was closed, not left un-awaited.
            assert inner.cr_frame is None
        return None

    error = runner.run(reenter())
    assert isinstance(error, RunnerError)
    assert isinstance(error, TrueNASError)
    assert "own event-loop thread" in str(error)
    assert error.hint and "await" in error.hint


def test_run_rejects_a_non_coroutine(runner: LoopRunner) -> None:
    with pytest.raises(TypeError, match="coroutine"):
        runner.run(_answer)  # type: ignore[arg-type]


def test_keyboard_interrupt_reaches_the_caller_and_cancels_the_task(runner: LoopRunner) -> None:
    started = threading.Event()
    cancelled = threading.Event()

    async def long_sleep() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def interrupt_when_started() -> None:
        if started.wait(5):
            _thread.interrupt_main()

    interrupter = threading.Thread(target=interrupt_when_started)
    interrupter.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run(long_sleep())
    finally:
        interrupter.join()
    assert cancelled.wait(5)
    # The runner stays usable after an interrupt.
    assert runner.run(_answer(5))[0] == 5


def _verdict(state: str) -> InterruptedJob:
    return InterruptedJob("app.start", JobFate.GOES_ON, "web", 7, state=state)


async def _job_call_that_unwinds(
    started: threading.Event,
    unwound: asyncio.Event,
    checking: threading.Event | None = None,
    ended: threading.Event | None = None,
) -> None:
    """Like an interrupted job call: says "not checked" at once, the verdict after ``unwound``;
    ``checking`` is set while it unwinds, ``ended`` once it has."""
    started.set()
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        record_interruption(started, _verdict("not checked yet"))
        if checking is not None:
            checking.set()
        await unwound.wait()
        record_interruption(started, _verdict("RUNNING"))
        raise
    finally:
        if ended is not None:
            ended.set()


def _interrupt_when(event: threading.Event) -> threading.Thread:
    def interrupt() -> None:
        if event.wait(5):
            _thread.interrupt_main()

    thread = threading.Thread(target=interrupt)
    thread.start()
    return thread


def test_ctrl_c_raises_what_the_interrupted_job_calls_said(runner: LoopRunner) -> None:
    started = threading.Event()
    unwound = asyncio.Event()
    runner.loop.call_soon_threadsafe(unwound.set)  # the call unwinds as soon as it is cancelled
    interrupter = _interrupt_when(started)
    try:
        with pytest.raises(OperationInterrupted) as caught:
            runner.run(_job_call_that_unwinds(started, unwound))
    finally:
        interrupter.join()
    assert caught.value.jobs == (_verdict("RUNNING"),)


def test_a_second_ctrl_c_stops_waiting_for_the_verdict() -> None:
    started, checking, ended = threading.Event(), threading.Event(), threading.Event()
    # A grace longer than the test's own timeout: only the second Ctrl-C can end the wait.
    with LoopRunner(name="test-loop", interrupt_grace=3600) as patient:
        interrupters = [_interrupt_when(started), _interrupt_when(checking)]
        try:
            with pytest.raises(OperationInterrupted) as caught:
                patient.run(_job_call_that_unwinds(started, asyncio.Event(), checking, ended))
        finally:
            for interrupter in interrupters:
                interrupter.join()
        assert caught.value.jobs == (_verdict("not checked yet"),)
        assert ended.wait(5)  # the stuck unwinding was cancelled again


def test_the_wait_for_the_verdict_is_bounded() -> None:
    started = threading.Event()
    with LoopRunner(name="test-loop", interrupt_grace=0.2) as impatient:
        interrupter = _interrupt_when(started)
        try:
            with pytest.raises(OperationInterrupted) as caught:
                impatient.run(_job_call_that_unwinds(started, asyncio.Event()))
        finally:
            interrupter.join()
        assert caught.value.jobs == (_verdict("not checked yet"),)


def test_start_failure_is_reraised_and_the_runner_can_retry() -> None:
    attempts: list[int] = []

    def flaky_factory() -> asyncio.AbstractEventLoop:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("no more file descriptors")
        return asyncio.new_event_loop()

    with LoopRunner(name="flaky-loop", loop_factory=flaky_factory) as flaky:
        with pytest.raises(OSError, match="file descriptors"):
            flaky.start()
        assert flaky.run(_answer(9))[0] == 9
    assert len(attempts) == 2


def test_close_joins_the_thread_and_leaks_nothing() -> None:
    runner = LoopRunner(name="leak-check")
    loop_thread = runner.run(_current_thread())

    async def use_default_executor() -> threading.Thread:
        return await asyncio.get_running_loop().run_in_executor(None, threading.current_thread)

    executor_thread = runner.run(use_default_executor())
    loop = runner.loop
    runner.close()
    runner.close()  # idempotent
    assert not loop_thread.is_alive()
    assert not executor_thread.is_alive()
    assert _threads_named("leak-check") == []
    assert loop.is_closed()
    assert runner.closed
    assert "closed" in repr(runner)


def test_a_runner_dropped_without_close_stops_its_thread() -> None:
    # A notebook cell re-run rebinds `pilot`; the old runner must not keep a thread alive.
    runner = LoopRunner(name="dropped")
    thread = runner.run(_current_thread())
    del runner
    gc.collect()
    thread.join(5)
    assert not thread.is_alive()


def test_close_cancels_pending_work_and_refuses_new_calls() -> None:
    runner = LoopRunner(name="closing-loop")
    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    runner.loop.call_soon_threadsafe(lambda: asyncio.ensure_future(forever()))
    runner.run(asyncio.sleep(0.01))
    runner.close()
    assert cancelled.is_set()
    coro = _answer(1)
    with pytest.raises(RunnerError, match="closed"):
        runner.run(coro)
    assert coro.cr_frame is None


def test_call_pending_in_another_thread_fails_cleanly_when_the_runner_closes() -> None:
    runner = LoopRunner(name="closed-under-caller")
    started = threading.Event()
    outcome: list[BaseException] = []

    async def wait_forever() -> None:
        started.set()
        await asyncio.sleep(60)

    def caller() -> None:
        try:
            runner.run(wait_forever())
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=caller)
    worker.start()
    assert started.wait(5)
    runner.close()
    worker.join(5)
    assert not worker.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], RunnerError)


async def _numbers(limit: int, closed: threading.Event) -> AsyncIterator[int]:
    try:
        for number in range(limit):
            await asyncio.sleep(0)
            yield number
    finally:
        closed.set()


def test_iterate_yields_every_item_of_an_async_generator(runner: LoopRunner) -> None:
    closed = threading.Event()
    assert list(runner.iterate(_numbers(5, closed))) == [0, 1, 2, 3, 4]
    assert closed.is_set()


def test_iterate_early_stop_closes_the_async_generator(runner: LoopRunner) -> None:
    closed = threading.Event()
    seen = []
    for number in runner.iterate(_numbers(1_000_000, closed)):
        seen.append(number)
        if number == 2:
            break
    assert seen == [0, 1, 2]
    # Closed synchronously by the time the loop statement ends (CPython refcounting).
    assert closed.is_set()


def test_iterate_closes_the_generator_when_the_consumer_raises(runner: LoopRunner) -> None:
    closed = threading.Event()
    stream = runner.iterate(_numbers(100, closed))
    with pytest.raises(LookupError):
        for number in stream:
            if number == 1:
                raise LookupError("consumer gave up")
    stream.close()
    assert closed.is_set()


def test_keyboard_interrupt_while_iterating_closes_the_stream(runner: LoopRunner) -> None:
    waiting = threading.Event()
    closed = threading.Event()

    async def slow_stream() -> AsyncIterator[int]:
        # Nothing before the stall: the pump reads ahead, so a stall after a first item
        # could be reached before the caller is back in next().
        try:
            waiting.set()
            await asyncio.sleep(60)
            yield 1
        finally:
            closed.set()

    def interrupt_when_waiting() -> None:
        if waiting.wait(5):
            _thread.interrupt_main()

    stream = runner.iterate(slow_stream())
    interrupter = threading.Thread(target=interrupt_when_waiting)
    interrupter.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            next(stream)
    finally:
        interrupter.join()
    assert closed.wait(5)
    assert runner.run(_answer(1))[0] == 1


def test_iterate_propagates_errors_from_the_async_side(runner: LoopRunner) -> None:
    async def failing() -> AsyncIterator[int]:
        yield 1
        raise ConnectionResetError("stream dropped")

    stream = runner.iterate(failing())
    assert next(stream) == 1
    with pytest.raises(ConnectionResetError, match="stream dropped"):
        next(stream)


def test_iterate_times_out_per_item(runner: LoopRunner) -> None:
    closed = threading.Event()

    async def stalls() -> AsyncIterator[int]:
        try:
            yield 1
            await asyncio.sleep(60)
            yield 2
        finally:
            closed.set()

    stream = runner.iterate(stalls(), timeout=0.05)
    assert next(stream) == 1
    with pytest.raises(CallTimeoutError):
        next(stream)
    assert closed.wait(5)


def _wait_for_child(pid: int, limit: float = 30.0) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("forked child did not finish")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_child_process_gets_a_fresh_loop_thread_after_fork(runner: LoopRunner) -> None:
    parent_thread = runner.run(_answer(0))[1]
    assert parent_thread == "test-loop"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # multi-threaded fork (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, reported through the exit code
        code = 1
        try:
            value, thread_name = runner.run(_answer(21), timeout=10)
            alive = [t for t in threading.enumerate() if t.name == "test-loop"]
            if value == 21 and thread_name == "test-loop" and len(alive) == 1:
                code = 42
            runner.close()
        finally:
            os._exit(code)
    assert _wait_for_child(pid) == 42
    # The parent's runner is untouched by the child.
    assert runner.run(_answer(3))[0] == 3


class _CountingSource:
    """An endless source that never suspends, so the pump fills its buffer in one loop step."""

    def __init__(self) -> None:
        self.produced = 0
        self.closed = threading.Event()

    async def items(self) -> AsyncIterator[int]:
        try:
            while True:
                self.produced += 1
                yield self.produced - 1
        finally:
            self.closed.set()


def _tasks_besides_this_one(runner: LoopRunner) -> int:
    async def count() -> int:
        return len(asyncio.all_tasks()) - 1

    return runner.run(count())


def test_iterate_reads_ahead_but_never_more_than_read_ahead_items(runner: LoopRunner) -> None:
    source = _CountingSource()
    stream = runner.iterate(source.items(), read_ahead=4)
    assert source.produced == 0  # nothing is read before the first next()
    for consumed in range(1, 30):
        assert next(stream) == consumed - 1
        runner.run(asyncio.sleep(0))  # the pump has had its turn
        assert consumed < source.produced <= consumed + 4
    stream.close()
    assert source.closed.is_set()


def test_iterate_raises_the_source_error_after_the_items_before_it(runner: LoopRunner) -> None:
    async def fails_after_three() -> AsyncIterator[int]:
        for number in range(3):
            yield number
        raise ConnectionResetError("stream dropped")

    received = []
    with pytest.raises(ConnectionResetError, match="stream dropped"):
        for number in runner.iterate(fails_after_three(), read_ahead=100):
            received.append(number)
    assert received == [0, 1, 2]


def test_early_stop_closes_the_source_while_the_pump_waits_on_a_full_buffer(
    runner: LoopRunner,
) -> None:
    source = _CountingSource()
    stream = runner.iterate(source.items(), read_ahead=2)
    assert next(stream) == 0
    runner.run(asyncio.sleep(0))  # the pump is now parked on its full buffer
    assert not source.closed.is_set()
    stream.close()
    assert source.closed.is_set()
    assert _tasks_besides_this_one(runner) == 0


def test_iterate_leaves_no_task_behind_after_a_complete_stream(runner: LoopRunner) -> None:
    closed = threading.Event()
    assert sum(runner.iterate(_numbers(1000, closed), read_ahead=8)) == sum(range(1000))
    assert closed.is_set()
    runner.run(asyncio.sleep(0))  # the pump task returns right after publishing the end
    assert _tasks_besides_this_one(runner) == 0


def test_iterate_rejects_a_read_ahead_below_one(runner: LoopRunner) -> None:
    closed = threading.Event()
    with pytest.raises(ValueError, match="read_ahead"):
        runner.iterate(_numbers(3, closed), read_ahead=0)


def test_iterate_from_the_loop_thread_is_refused(runner: LoopRunner) -> None:
    async def reenter() -> BaseException | None:
        try:
            next(runner.iterate(_numbers(3, threading.Event())))
        except RunnerError as exc:
            return exc
        return None

    error = runner.run(reenter())
    assert isinstance(error, RunnerError)
    assert "own event-loop thread" in str(error)


def test_stream_pending_in_another_thread_fails_cleanly_when_the_runner_closes() -> None:
    runner = LoopRunner(name="closed-under-stream")
    waiting = threading.Event()
    closed = threading.Event()
    outcome: list[BaseException] = []

    async def stalls() -> AsyncIterator[int]:
        try:
            waiting.set()
            await asyncio.sleep(60)
            yield 1
        finally:
            closed.set()

    def consumer() -> None:
        try:
            list(runner.iterate(stalls()))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=consumer)
    worker.start()
    assert waiting.wait(5)
    runner.close()
    worker.join(5)
    assert not worker.is_alive()
    assert closed.is_set()
    assert len(outcome) == 1
    assert isinstance(outcome[0], RunnerError)
