"""Following container logs: the stream ends (or raises) when its sources end, never hangs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from scale_pilot_nb import ApiError
from scale_pilot_nb.logs import LogLine
from scale_pilot_nb.manager import TrueNASDockerManager
from scale_pilot_nb.sandbox import Sandbox

APP = "app-0001"


@pytest.fixture
async def manager(
    make_sandbox: Callable[..., Sandbox],
) -> AsyncIterator[TrueNASDockerManager]:
    sb = make_sandbox("25.10", 1, test_methods=False)
    sb.call_in_loop(lambda: sb.model.set_log_rate(50))
    async with TrueNASDockerManager(sb.url, sb.api_key, username=sb.username) as m:
        yield m


async def test_a_refused_source_raises_instead_of_following_nothing(
    manager: TrueNASDockerManager,
) -> None:
    follow = manager.logs(APP, tail=0, follow=True)  # TrueNAS wants tail_lines >= 1
    async with asyncio.timeout(10):
        with pytest.raises(ApiError, match="tail_lines"):
            await anext(follow)


async def test_following_ends_when_the_app_is_stopped(manager: TrueNASDockerManager) -> None:
    lines: list[LogLine] = []

    async def follow() -> None:
        async for line in manager.logs(APP, tail=1, follow=True):
            lines.append(line)
            if len(lines) == 3:
                await manager.stop_app(APP)

    async with asyncio.timeout(10):
        await follow()
    assert len(lines) >= 3
