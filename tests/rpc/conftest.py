"""Fixtures for the rpc tests: the real embedded sandbox over real sockets, all versions.

The sandbox's ``extend`` hook adds a few test-only methods and event sources (``test.*``) so
progress order, field errors and subscription ends can be driven exactly; every other test
uses the sandbox's real TrueNAS methods.
"""

from __future__ import annotations

import asyncio
import errno
import json
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from scale_pilot_nb.rpc import ReconnectPolicy, RpcClient, Timeouts
from scale_pilot_nb.rpc.transport import Transport, open_websocket
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.contract import (
    CallContext,
    Registry,
    SandboxCallError,
    SandboxValidationErrors,
)
from scale_pilot_nb.sandbox.state import Timing

VERSIONS = ("24.10", "25.04", "25.10")

#: Short waits so failures show quickly; no test asserts on durations.
TEST_TIMEOUTS = Timeouts(connect=5, call=5, job=10, keepalive=None)
FAST_RECONNECT = ReconnectPolicy(max_attempts=6, initial_delay=0.02, max_delay=0.2)

PROGRESS_STEPS = [(10, "pulling images"), (60, "starting containers"), (90, "checking health")]
FIELD_ERRORS = [
    ("test_create.app_name", "Invalid application name", errno.EINVAL),
    ("test_create.values.port", "Port is in use", errno.EINVAL),
]


class SourceLog:
    """What the test event sources saw, written on the sandbox thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.closed: list[str] = []

    def close(self, name: str) -> None:
        with self._lock:
            self.closed.append(name)


def extend(log: SourceLog) -> Any:
    """Register test-only methods and event sources on the sandbox."""

    def register(registry: Registry) -> None:
        @registry.method("test.progress", job=True)
        async def progress(ctx: CallContext) -> dict[str, bool]:
            assert ctx.job is not None
            for percent, text in PROGRESS_STEPS:
                ctx.job.set_progress(percent, text)
                await asyncio.sleep(0.005)
            return {"done": True}

        @registry.method("test.fields", job=True)
        async def fields(ctx: CallContext) -> None:
            raise SandboxValidationErrors(FIELD_ERRORS)

        @registry.method("test.slow_job", job=True)
        async def slow_job(ctx: CallContext, seconds: float) -> str:
            assert ctx.job is not None
            ctx.job.set_progress(10, "sleeping")
            await asyncio.sleep(seconds)
            return "slept"

        @registry.method("test.callerror")
        def callerror(ctx: CallContext) -> None:
            raise SandboxCallError(errno.ENOENT, "thing not found")

        @registry.method("test.sleep")
        async def sleep(ctx: CallContext, seconds: float) -> float:
            await asyncio.sleep(seconds)
            return seconds

        @registry.source("test.count")
        async def count(ctx: CallContext, arg: Any) -> AsyncIterator[dict[str, int]]:
            for n in range((arg or {}).get("n", 3)):
                yield {"n": n}

        @registry.source("test.forever")
        async def forever(ctx: CallContext, arg: Any) -> AsyncIterator[dict[str, int]]:
            n = 0
            try:
                while True:
                    yield {"n": n}
                    n += 1
                    await asyncio.sleep(0.01)
            finally:
                log.close("test.forever")

        @registry.source("test.broken")
        async def broken(ctx: CallContext, arg: Any) -> AsyncIterator[dict[str, int]]:
            yield {"n": 0}
            raise SandboxCallError(errno.EFAULT, "Apps are not available")

    return register


@pytest.fixture
def source_log() -> SourceLog:
    return SourceLog()


@pytest.fixture(params=VERSIONS)
def sandbox(request: pytest.FixtureRequest, source_log: SourceLog) -> Iterator[Sandbox]:
    """A running sandbox of each version (seed ``demo``)."""
    with Sandbox(
        version=request.param, seed="demo", extend=extend(source_log), timing=Timing()
    ) as sb:
        yield sb


@pytest.fixture
def sandbox_2510(source_log: SourceLog) -> Iterator[Sandbox]:
    """A running 25.10 sandbox, for behaviour that does not depend on the version."""
    with Sandbox(version="25.10", seed="demo", extend=extend(source_log), timing=Timing()) as sb:
        yield sb


def endpoint(sb: Sandbox) -> str:
    """The URL a real client would use: 24.10 has only the legacy endpoint."""
    return sb.legacy_url if sb.version == "24.10" else sb.url


def client_for(sb: Sandbox, **options: Any) -> RpcClient:
    """A client logged in with the sandbox's API key, with short test timeouts."""
    options.setdefault("api_key", sb.api_key)
    options.setdefault("username", sb.username)
    options.setdefault("timeouts", TEST_TIMEOUTS)
    options.setdefault("reconnect", FAST_RECONNECT)
    return RpcClient(options.pop("url", endpoint(sb)), **options)


async def eventually(condition: Any, *, attempts: int = 1000) -> None:
    """Wait until ``condition()`` is true (bounded: about 10 s on a loaded machine); fail after."""
    for _ in range(attempts):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


class Recorder:
    """A transport opener that records every frame the client sends over the real socket."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.urls: list[str] = []

    async def __call__(
        self, url: str, *, ssl_context: ssl.SSLContext | None, open_timeout: float | None
    ) -> Transport:
        self.urls.append(url)
        inner = await open_websocket(url, ssl_context=ssl_context, open_timeout=open_timeout)
        recorder = self

        class Recording:
            async def send(self, text: str) -> None:
                recorder.sent.append(json.loads(text))
                await inner.send(text)

            async def recv(self) -> str:
                return await inner.recv()

            async def close(self) -> None:
                await inner.close()

        return Recording()
