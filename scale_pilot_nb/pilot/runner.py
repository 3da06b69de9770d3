"""One background event loop that lets synchronous code call coroutines.

Jupyter runs every cell inside an asyncio loop on the main thread, so ``asyncio.run()`` fails
there, and scripts and the CLI have no loop at all. :class:`LoopRunner` gives both the same
path: it owns one named daemon thread running its own loop, and :meth:`LoopRunner.run`
submits a coroutine to it and blocks the caller until it finishes. The caller's own loop (if
any) is never touched, so no ``nest_asyncio`` patching is needed.

The wait happens in short slices so that Ctrl-C (a kernel interrupt) reaches the caller even
on platforms where blocking waits are not interruptible; the interrupted coroutine is then
cancelled on the loop, and the caller waits a few more seconds (a second Ctrl-C stops that)
while it unwinds: a job call cut short finds out what became of its job (aborted while still
queued, or going on) and the caller raises :class:`~scale_pilot_nb.errors.OperationInterrupted`
saying so. Nothing ever raises ``KeyboardInterrupt`` inside a task on the loop: asyncio would
let it escape the loop and end the loop thread.

Calls made *from* the loop thread are refused because they would wait for themselves forever.
After ``os.fork()`` the child gets a fresh loop thread on first use. :meth:`LoopRunner.iterate`
streams an async iterable through a bounded buffer filled by a pump task on the loop, so items
cross threads without one round trip each.

This module is the machinery under ``Pilot``; it knows nothing about TrueNAS beyond the
interruption report the job calls fill in.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import threading
import weakref
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Generator, Iterator
from typing import Any, TypeVar

from scale_pilot_nb.errors import (
    CallTimeoutError,
    InterruptionReport,
    TrueNASError,
    report_interruptions,
)
from scale_pilot_nb.pilot.stream_pump import StreamEnd, StreamPump, deadline_after, next_wait
from scale_pilot_nb.rpc.lifetime import ClosedOnExit

__all__ = ["DEFAULT_READ_AHEAD", "DEFAULT_THREAD_NAME", "LoopRunner", "RunnerError"]

T = TypeVar("T")

DEFAULT_THREAD_NAME = "scale-pilot-loop"
"""Name of the loop thread, so it is recognisable in thread dumps and debuggers."""

DEFAULT_START_TIMEOUT = 10.0
"""Seconds to wait for the loop thread to come up before giving up."""

DEFAULT_STOP_TIMEOUT = 10.0
"""Seconds :meth:`LoopRunner.close` waits for the loop thread to finish."""

DEFAULT_WAIT_SLICE = 0.1
"""Seconds per wait slice; bounds how late a simulated interrupt is noticed."""

DEFAULT_READ_AHEAD = 256
"""Items :meth:`LoopRunner.iterate` may fetch before its caller takes them (the buffer size)."""

DEFAULT_INTERRUPT_GRACE = 5.0
"""Seconds :meth:`LoopRunner.run` waits after Ctrl-C for the interrupted call to unwind and say
what became of its jobs (two bounded looks at the NAS each, run concurrently)."""


class RunnerError(TrueNASError, RuntimeError):
    """The loop runner was used in a way that cannot work.

    Raised when a blocking call is made from the loop thread itself (it would deadlock), when
    the runner is used after :meth:`LoopRunner.close`, or when the loop thread failed.
    """


class _LoopThread:
    """One started loop thread and its loop: the state a fork invalidates."""

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.loop = loop
        self.thread = thread
        self.pid = os.getpid()
        self.failure: BaseException | None = None
        # Set by the starting thread: stops the loop when called or when the runner is collected.
        self.stop: weakref.finalize[[asyncio.AbstractEventLoop], LoopRunner] | None = None

    def ensure_alive(self) -> None:
        """Raise if the thread died under a caller that is waiting for it.

        Raises:
            RunnerError: the thread has stopped (closed runner, crashed loop, or a fork).
        """
        if not self.thread.is_alive():
            raise RunnerError(
                f"The event-loop thread {self.thread.name!r} stopped while a call was pending.",
                hint="Create a new connection.",
            ) from self.failure

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Schedule ``callback`` on the loop from any thread; dropped once the loop is gone."""
        if self.pid != os.getpid():
            return  # the parent's loop: writing to its wake-up pipe would disturb the parent
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self.loop.call_soon_threadsafe(callback)


class LoopRunner(ClosedOnExit):
    """Runs coroutines on a private event loop in a daemon thread, for synchronous callers.

    The thread starts lazily on the first call (or explicitly with :meth:`start`) and stops
    with :meth:`close`, which is idempotent. A runner is safe to share between threads.

    Args:
        name: name of the loop thread.
        loop_factory: creates the event loop inside the new thread.
        start_timeout: seconds to wait for the thread to start before raising.
        wait_slice: seconds per wait slice while a caller blocks in :meth:`run`.
        interrupt_grace: seconds :meth:`run` waits after Ctrl-C for the call's verdict.

    Example::

        runner = LoopRunner()
        try:
            apps = runner.run(manager.list_apps(), timeout=30)
            for line in runner.iterate(manager.logs("web", follow=True)):
                ...
        finally:
            runner.close()
    """

    def __init__(
        self,
        name: str = DEFAULT_THREAD_NAME,
        *,
        loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        wait_slice: float = DEFAULT_WAIT_SLICE,
        interrupt_grace: float = DEFAULT_INTERRUPT_GRACE,
    ) -> None:
        self._name = name
        self._loop_factory = loop_factory
        self._start_timeout = start_timeout
        self._wait_slice = wait_slice
        self._interrupt_grace = interrupt_grace
        self._lock = threading.Lock()
        self._current: _LoopThread | None = None
        self._closed = False
        _LIVE_RUNNERS.add(self)

    def __repr__(self) -> str:
        if self._closed:
            state = "closed"
        elif self._current_for_this_process() is None:
            state = "idle"
        else:
            state = "running"
        return f"<LoopRunner {self._name!r} {state}>"

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The runner's event loop, starting the thread if needed.

        Raises:
            RunnerError: the runner is closed or the thread could not start.
        """
        return self._ensure_started().loop

    def start(self) -> None:
        """Start the loop thread now instead of on first use. Idempotent.

        Raises:
            RunnerError: the runner is closed, or the thread did not start in time.
            Exception: whatever the loop factory raised, re-raised here.
        """
        self._ensure_started()

    def in_loop_thread(self) -> bool:
        """True when the calling thread is this runner's loop thread."""
        current = self._current_for_this_process()
        return current is not None and threading.current_thread() is current.thread

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop thread and return its result to the calling thread.

        Works from any thread, including one whose own event loop is running (a Jupyter cell),
        because the caller's loop is simply blocked while it waits. The task's exception is
        re-raised here unchanged.

        Args:
            coro: the coroutine to run; it is closed unrun if the call is refused.
            timeout: seconds to wait; ``None`` waits until it finishes.

        Returns:
            What the coroutine returned.

        Raises:
            CallTimeoutError: ``timeout`` passed; the coroutine's cancellation has been requested.
            OperationInterrupted: the caller was interrupted while the coroutine waited for
                TrueNAS jobs; it was cancelled, and this says what became of each job.
            KeyboardInterrupt: the caller was interrupted while no job call was cut short;
                the coroutine has been cancelled (or is still unwinding on the loop).
            RunnerError: called from the loop thread, after :meth:`close`, or the loop died.
            TypeError: ``coro`` is not a coroutine.
        """
        if not asyncio.iscoroutine(coro):
            raise TypeError(f"LoopRunner.run() needs a coroutine, got {type(coro).__name__}")
        try:
            current = self._loop_for_blocking_call()
        except BaseException:
            coro.close()
            raise
        call = _Call()
        try:
            future = asyncio.run_coroutine_threadsafe(_tracked(coro, call), current.loop)
            self._wait(future, current, timeout)
        except BaseException as exc:
            # Ctrl-C, timeout or a dead loop: do not leave the task running unattended. The
            # interrupt may land anywhere, even before ``future`` exists; ``call`` covers that.
            current.call_soon(call.cancel)
            if isinstance(exc, KeyboardInterrupt):
                self._await_unwinding(call, current)
                interrupted = call.report.error()
                if interrupted is not None:
                    raise interrupted from None
            raise
        if future.cancelled():
            raise RunnerError(
                "The call was cancelled on the event loop before it finished.",
                hint="The runner was probably closed while the call was pending.",
            )
        return future.result()

    def iterate(
        self,
        source: AsyncIterable[T],
        timeout: float | None = None,
        *,
        read_ahead: int = DEFAULT_READ_AHEAD,
    ) -> Iterator[T]:
        """Turn an async iterable into a synchronous generator.

        On the first ``next()`` a pump task on the loop starts reading ``source`` into a
        buffer that the caller drains, so items cross threads without a round trip each (one
        per item cost ~75 µs and made a fast ``follow`` stream fall behind its producer).
        The read-ahead is bounded: the pump fetches at most ``read_ahead`` items before the
        caller takes them, then pauses until the caller has taken half, so a slow caller
        slows the source down instead of growing memory. A source with side effects per item
        may therefore run up to ``read_ahead`` items ahead of the caller.

        When the caller stops early (``break``, an exception, Ctrl-C, a timeout, or closing
        the generator), the pump is cancelled and ``source`` closed on the loop; its
        ``finally`` blocks have run by the time the caller's ``for`` statement ends.

        Args:
            source: an async iterable, typically an async generator.
            timeout: seconds to wait for *each* item; ``None`` waits indefinitely.
            read_ahead: most items fetched but not yet taken by the caller; at least 1.

        Returns:
            A generator of the items of ``source``; an exception ``source`` raises is raised
            by it after the items that came before.

        Raises:
            CallTimeoutError: no item arrived within ``timeout``; ``source`` has been closed.
            KeyboardInterrupt: the caller was interrupted; ``source`` has been closed.
            RunnerError: as for :meth:`run`, or the runner was closed during the stream.
            TypeError: ``source`` is not an async iterable.
            ValueError: ``read_ahead`` is below 1.
        """
        if read_ahead < 1:
            raise ValueError(f"LoopRunner.iterate() needs read_ahead >= 1, got {read_ahead}")
        return self._stream(aiter(source), timeout, read_ahead)

    def close(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Stop the loop, cancel what still runs on it, and join the thread. Idempotent.

        Args:
            timeout: seconds to wait for the thread to finish.

        Raises:
            RunnerError: called from the loop thread (it cannot join itself).
        """
        with self._lock:
            current = self._current_for_this_process()
            if current is not None and threading.current_thread() is current.thread:
                raise RunnerError(
                    "LoopRunner.close() was called from its own loop thread.",
                    hint="Close the runner from the thread that created it.",
                )
            self._closed = True
            self._current = None
        _LIVE_RUNNERS.discard(self)
        if current is None or not current.thread.is_alive():
            return
        if current.stop is not None:
            current.stop()
        current.thread.join(timeout)

    # -- internals ---------------------------------------------------------------------------

    def _current_for_this_process(self) -> _LoopThread | None:
        current = self._current
        if current is None or current.pid != os.getpid():
            return None
        return current

    def _ensure_started(self) -> _LoopThread:
        with self._lock:
            if self._closed:
                raise RunnerError(
                    "This LoopRunner has been closed.",
                    hint="Create a new connection; a closed one cannot be reused.",
                )
            current = self._current_for_this_process()
            if current is not None and current.thread.is_alive():
                return current
            self._current = current = self._start_thread()
            return current

    def _start_thread(self) -> _LoopThread:
        ready = threading.Event()
        box: dict[str, Any] = {}
        thread = threading.Thread(
            target=_run_loop, args=(self._loop_factory, ready, box), name=self._name, daemon=True
        )
        thread.start()
        if not ready.wait(self._start_timeout):
            raise RunnerError(
                f"The event-loop thread {self._name!r} did not start within "
                f"{self._start_timeout:g} s.",
                hint="The machine may be overloaded; try again.",
            )
        if "error" in box:
            thread.join(self._start_timeout)
            raise box["error"]
        started: _LoopThread = box["started"]
        # A runner dropped without close() (a re-run notebook cell) must not leave its thread
        # and connections behind: stop the loop when the runner is garbage-collected.
        started.stop = weakref.finalize(self, _request_stop, started.loop)
        return started

    def _wait(
        self,
        future: concurrent.futures.Future[Any],
        current: _LoopThread,
        timeout: float | None,
    ) -> None:
        deadline = deadline_after(timeout)
        while True:
            wait_for = next_wait(deadline, self._wait_slice)
            if wait_for is None:
                raise CallTimeoutError(
                    f"The call did not finish within {timeout:g} s and was cancelled.",
                    hint="Pass a larger timeout, or None to wait indefinitely.",
                )
            done, _ = concurrent.futures.wait([future], timeout=wait_for)
            if done:
                return
            current.ensure_alive()

    def _await_unwinding(self, call: _Call, current: _LoopThread) -> None:
        """Give a cancelled call :attr:`interrupt_grace` seconds to unwind, so its job calls
        can say what became of their jobs; a second Ctrl-C stops the wait. A call still
        unwinding then is cancelled again: its verdicts say what is known so far."""
        deadline = deadline_after(self._interrupt_grace)
        with contextlib.suppress(KeyboardInterrupt):
            while (wait_for := next_wait(deadline, self._wait_slice)) is not None:
                if call.finished.wait(wait_for) or not current.thread.is_alive():
                    return
        current.call_soon(call.cancel)

    def _loop_for_blocking_call(self) -> _LoopThread:
        current = self._ensure_started()
        if threading.current_thread() is current.thread:
            raise RunnerError(
                "A blocking call was made from the runner's own event-loop thread; "
                "it would wait for itself forever.",
                hint="Inside async code, await the TrueNASDockerManager method instead.",
            )
        return current

    def _stream(
        self, iterator: AsyncIterator[T], timeout: float | None, read_ahead: int
    ) -> Generator[T, None, None]:
        pump = StreamPump(iterator, self._loop_for_blocking_call(), read_ahead, self._wait_slice)
        try:
            pump.start()
            while True:
                item = pump.take(timeout)
                if item is StreamEnd.EXHAUSTED:
                    return
                if item is StreamEnd.CANCELLED:
                    raise RunnerError(
                        "The stream was cancelled on the event loop before it ended.",
                        hint="The runner was probably closed while the stream was being read.",
                    )
                yield item
        finally:
            pump.stop(DEFAULT_STOP_TIMEOUT)

    def _forget_after_fork(self) -> None:
        # The parent's loop thread does not exist in the child and its loop cannot be closed
        # safely here (it looks "running"); drop both and start afresh on first use.
        self._lock = threading.Lock()
        if self._current is not None and self._current.stop is not None:
            self._current.stop.detach()
        self._current = None


class _Call:
    """One submitted coroutine, cancellable from the loop whether or not it has started yet.

    ``report`` collects what its job calls say when they are cancelled; ``finished`` is set
    (thread-safe) once the coroutine has ended, however it ended, or once it is cancelled
    before it started (then it never runs).
    """

    __slots__ = ("cancelled", "finished", "report", "task")

    def __init__(self) -> None:
        self.cancelled = False
        self.task: asyncio.Task[Any] | None = None
        self.report = InterruptionReport()
        self.finished = threading.Event()

    def cancel(self) -> None:
        """Cancel the call; runs on the loop thread."""
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()
        else:
            self.finished.set()


async def _tracked(coro: Coroutine[Any, Any, T], call: _Call) -> T:
    """Run ``coro`` in the current task, registering the task with ``call`` first, and
    collecting into ``call.report`` what its job calls say if they are cancelled."""
    try:
        if call.cancelled:
            coro.close()
            raise asyncio.CancelledError
        call.task = asyncio.current_task()
        report_interruptions(call.report)
        return await coro
    finally:
        call.finished.set()


def _run_loop(
    loop_factory: Callable[[], asyncio.AbstractEventLoop],
    ready: threading.Event,
    box: dict[str, Any],
) -> None:
    """Body of the loop thread; holds no reference to the runner so that it can be collected."""
    try:
        loop = loop_factory()
    except BaseException as exc:  # re-raised in the starting thread
        box["error"] = exc
        ready.set()
        return
    current = _LoopThread(loop, threading.current_thread())
    box["started"] = current
    loop.call_soon(ready.set)
    try:
        loop.run_forever()
    except BaseException as exc:  # kept for callers instead of vanishing with the thread
        current.failure = exc
    finally:
        _shut_down(loop)


def _request_stop(loop: asyncio.AbstractEventLoop) -> None:
    """Ask ``loop`` to stop from any thread; a no-op once it is closed."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(loop.stop)


def _shut_down(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every remaining task, finalise async generators and close ``loop``."""
    try:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


_LIVE_RUNNERS: weakref.WeakSet[LoopRunner] = weakref.WeakSet()


def _reset_runners_in_child() -> None:
    for runner in list(_LIVE_RUNNERS):
        runner._forget_after_fork()


def _close_runners_at_exit() -> None:
    for runner in list(_LIVE_RUNNERS):
        runner.close(timeout=1.0)


os.register_at_fork(after_in_child=_reset_runners_in_child)
atexit.register(_close_runners_at_exit)
