"""Following container logs: the stream ends (or raises) when its sources end, never hangs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from scale_pilot_nb import ApiError
from scale_pilot_nb.errors import ArgumentError
from scale_pilot_nb.logs import TAIL_SECONDS, LogLine, follow_logs
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
    containers = await manager.client.call("app.container_ids", APP, {"alive_only": False})
    chosen = {cid: info["service_name"] for cid, info in containers.items()}
    # TrueNAS wants tail_lines >= 1 (manager.logs refuses 0 before asking)
    follow = follow_logs(manager.client, APP, chosen, tail=0, follow=True)
    async with asyncio.timeout(10):
        with pytest.raises(ApiError, match="tail_lines"):
            await anext(follow)
    with pytest.raises(ArgumentError, match="tail"):
        await anext(manager.logs(APP, tail=0))


async def test_a_tail_of_a_container_that_never_pauses_ends(
    manager: TrueNASDockerManager,
) -> None:
    # 50 new lines a second: never quiet; the read ends once the tail asked for has come
    async with asyncio.timeout(TAIL_SECONDS + 5):
        lines = [line async for line in manager.logs(APP, tail=5)]
    assert len(lines) == 5
    async with asyncio.timeout(TAIL_SECONDS + 5):  # all history: bounded by TAIL_SECONDS
        everything = [line async for line in manager.logs(APP, tail=None)]
    assert len(everything) >= 5


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
