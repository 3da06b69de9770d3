"""Shared fixtures: sandboxes over real sockets on 127.0.0.1 (port 0), reset per test.

``sandbox`` / ``legacy_sandbox`` are plain sandboxes as users get them. ``make_sandbox`` builds
one with any options, by default with the test-only methods of :func:`register_test_methods`
(``test.job`` …, the methods the official-client captures call). Those methods exist only in
sandboxes built by tests: the default sandbox never serves them.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.contract import (
    CallContext,
    Registry,
    SandboxCallError,
    SandboxValidationErrors,
)
from scale_pilot_nb.sandbox.state import Timing

#: Long enough to be "forever" for a test, short enough that a leak cannot hang the suite.
FOREVER = 60.0


def register_test_methods(registry: Registry) -> None:
    """Add the ``test.*`` methods and sources the captures and server tests call."""

    @registry.method("test.job", job=True)
    async def job(ctx: CallContext) -> dict[str, bool]:
        await asyncio.sleep(0)
        assert ctx.job is not None
        ctx.job.set_progress(50, "half way")
        await asyncio.sleep(0)
        return {"done": True}

    @registry.method("test.job_fail", job=True)
    async def job_fail(ctx: CallContext) -> None:
        assert ctx.job is not None
        ctx.job.set_progress(50, "half way")
        raise SandboxCallError(errno.EFAULT, "boom")

    @registry.method("test.job_validation", job=True)
    def job_validation(ctx: CallContext) -> None:
        raise SandboxValidationErrors([("app_create.app_name", "Invalid name", errno.EINVAL)])

    @registry.method("test.job_forever", job=True)
    async def job_forever(ctx: CallContext) -> None:
        await asyncio.sleep(FOREVER)

    @registry.method("test.validation")
    def validation(ctx: CallContext, data: Any = None) -> None:
        raise SandboxValidationErrors([("test.validation.name", "Field required", errno.EINVAL)])

    @registry.method("test.callerror")
    def callerror(ctx: CallContext) -> None:
        raise SandboxCallError(errno.ENOENT, "thing not found")

    @registry.method("test.crash")
    def crash(ctx: CallContext) -> None:
        raise KeyError("oops")

    @registry.method("test.sleep")
    async def sleep(ctx: CallContext) -> None:
        await asyncio.sleep(FOREVER)

    registry.methods["test.close"] = registry.methods["test.sleep"]

    @registry.method("test.echo")
    def echo(ctx: CallContext, *args: Any) -> list[Any]:
        return list(args)

    @registry.method("test.unserialisable")
    def unserialisable(ctx: CallContext) -> object:
        return object()

    @registry.method("test.new_in_2510", min_version="25.10")
    def new_in_2510(ctx: CallContext) -> str:
        return "new"

    @registry.source("test.source")
    async def source(ctx: CallContext, arg: Any) -> AsyncIterator[dict[str, int]]:
        for n in range(3):
            yield {"n": n}
        await asyncio.sleep(FOREVER)

    @registry.source("test.finite")
    async def finite(ctx: CallContext, arg: Any) -> AsyncIterator[dict[str, Any]]:
        for n in range((arg or {}).get("count", 2)):
            yield {"n": n, "arg": arg}

    @registry.source("test.ticker")
    async def ticker(ctx: CallContext, arg: Any) -> AsyncIterator[dict[str, int]]:
        arg = arg or {}
        for n in range(arg.get("count", 10_000)):
            yield {"n": n}
            await asyncio.sleep(arg.get("every", 0.02))

    @registry.source("test.failing")
    async def failing(ctx: CallContext, arg: Any) -> AsyncIterator[dict[str, int]]:
        yield {"n": 0}
        raise SandboxCallError(errno.EFAULT, "Apps are not available")


@pytest.fixture(autouse=True)
def private_history(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revisions recorded by any test go to a temporary file, never to the real home."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite"
    monkeypatch.setenv("SCALE_PILOT_HISTORY", str(path))


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Factory for started sandboxes (stopped at teardown); test methods on by default."""
    started: list[Sandbox] = []

    def make(
        version: str = "25.10", seed: str | int = "empty", *, test_methods: bool = True, **kw: Any
    ) -> Sandbox:
        kw.setdefault("timing", Timing())
        if test_methods:
            kw.setdefault("extend", register_test_methods)
        sb = Sandbox(version, seed, **kw).start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def test_methods() -> Callable[[Registry], None]:
    """:func:`register_test_methods`, for tests that build their own ``extend`` hook."""
    return register_test_methods


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A 25.10 sandbox with the demo NAS and instant timing, as users get it."""
    return make_sandbox("25.10", "demo", test_methods=False)


@pytest.fixture
def legacy_sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A 24.10 sandbox (legacy ``/websocket`` only) with the demo NAS."""
    return make_sandbox("24.10", "demo", test_methods=False)
