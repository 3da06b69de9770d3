"""Following container logs: the stream ends (or raises) when its sources end, never hangs."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from scale_pilot_nb import ApiError
from scale_pilot_nb.errors import ArgumentError
from scale_pilot_nb.manager import logs as logs_module
from scale_pilot_nb.manager.logs import (
    QUIET_SECONDS,
    TAIL_SECONDS,
    LogLine,
    follow_logs,
    in_time_order,
)
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
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
    # the NAS refuses a container the app does not have
    follow = follow_logs(manager.client, APP, {"no-such-container": "web"}, tail=5, follow=True)
    async with asyncio.timeout(10):
        with pytest.raises(ApiError, match="no-such-container"):
            await anext(follow)


async def test_a_tail_of_0_reads_nothing_and_follows_only_new_lines(
    manager: TrueNASDockerManager,
) -> None:
    # without follow nothing is opened: no wait for a tail or a quiet spell (50 lines a second
    # would never be quiet, so a source opened here would hold the read for TAIL_SECONDS)
    async with asyncio.timeout(QUIET_SECONDS):
        assert [line async for line in manager.logs(APP, tail=0)] == []
    (last,) = [line async for line in manager.logs(APP, tail=1)]
    assert last.moment is not None
    lines: list[LogLine] = []
    async with asyncio.timeout(10):
        async for line in manager.logs(APP, tail=0, follow=True):
            lines.append(line)
            if len(lines) == 3:
                break
    # TrueNAS refuses tail_lines 0: the one history line asked for instead is not handed out
    assert all(when > last.moment for when in _stamps(lines))
    assert len(_stamps(lines)) == 3
    with pytest.raises(ArgumentError, match="tail must be 0 or more, not -1") as caught:
        await anext(manager.logs(APP, tail=-1))
    assert "tail=0" in str(caught.value.hint)


async def test_a_read_is_not_ended_by_the_close_of_the_one_before_it(
    manager: TrueNASDockerManager,
) -> None:
    # the same source twice in a row: the first read's sources are stopped while they
    # unsubscribe, and the server's end of that subscription must not end the second one
    for _ in range(30):
        assert len([line async for line in manager.logs(APP, tail=1)]) == 1
        lines: list[LogLine] = []
        async with asyncio.timeout(5):
            async for line in manager.logs(APP, tail=1, follow=True):
                lines.append(line)
                if len(lines) == 3:
                    break
        assert len(lines) == 3


async def test_a_read_releases_its_source_name_for_the_next_reader(
    manager: TrueNASDockerManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each read claims a source name no open read uses, and must give back that very name:
    # otherwise every later reader of the container gets one more trailing space
    names: list[str] = []
    subscribe = manager.client.subscribe

    def recording(name: str, **kwargs: Any) -> Any:
        names.append(name)
        return subscribe(name, **kwargs)

    monkeypatch.setattr(manager.client, "subscribe", recording)
    for _ in range(3):
        assert len([line async for line in manager.logs(APP, tail=2)]) == 2
        assert not logs_module._FOLLOWING
    assert len(names) == 3
    assert len(set(names)) == 1
    follower = manager.logs(APP, tail=2, follow=True)
    async with asyncio.timeout(10):
        for _ in range(3):
            await anext(follower)
    await follower.aclose()
    assert not logs_module._FOLLOWING
    assert names[-1] == names[0]


async def test_reads_at_once_each_get_their_tail_and_no_line_twice(
    manager: TrueNASDockerManager,
) -> None:
    # the NAS shares one source per argument text and replays nothing to a late subscriber:
    # a read started while a follow runs would get no history, or every line twice
    follower = manager.logs(APP, tail=5, follow=True)
    followed = [await anext(follower) for _ in range(10)]
    async with asyncio.timeout(TAIL_SECONDS + 5):
        read = [line async for line in manager.logs(APP, tail=5)]
    followed += [await anext(follower) for _ in range(10)]
    await follower.aclose()
    assert read == followed[:5]  # the same tail, not lines logged since
    stamps = _stamps(followed)
    assert len(stamps) == len(followed) == len(set(stamps))


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


@pytest.fixture
async def demo(sandbox: Sandbox) -> AsyncIterator[TrueNASDockerManager]:
    async with TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username) as m:
        yield m


def _stamps(lines: list[LogLine]) -> list[dt.datetime]:
    return [line.moment for line in lines if line.moment is not None]


async def test_services_are_interleaved_by_timestamp(demo: TrueNASDockerManager) -> None:
    async with asyncio.timeout(TAIL_SECONDS + 5):
        lines = [line async for line in demo.logs("photos", tail=6)]
    services = [line.service for line in lines]
    assert len(set(services)) == 4 and len(lines) == 24
    assert len(_stamps(lines)) == len(lines)
    assert _stamps(lines) == sorted(_stamps(lines))
    # each container's tail arrives as one block; sorted, the services take turns
    switches = sum(a != b for a, b in itertools.pairwise(services))
    assert switches > 2 * len(set(services))


async def test_since_and_until_keep_exactly_the_lines_inside(demo: TrueNASDockerManager) -> None:
    async with asyncio.timeout(2 * TAIL_SECONDS + 5):
        everything = [line async for line in demo.logs("photos", tail=None)]
        stamps = _stamps(everything)
        since, until = stamps[len(stamps) // 3], stamps[len(stamps) // 2]
        inside = [line async for line in demo.logs("photos", tail=None, since=since, until=until)]
    assert inside == [
        ln for ln in everything if ln.moment is not None and since <= ln.moment <= until
    ]
    assert 0 < len(inside) < len(everything)
    as_text = [
        line
        async for line in demo.logs(
            "photos", tail=None, since=since.isoformat(), until=until.isoformat()
        )
    ]
    assert as_text == inside


async def test_a_followed_stream_ends_once_every_container_is_past_until(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    # the sandbox's virtual clock starts in 2025: restart the app a day ahead of the wall
    # clock, so ``until`` below is still to come and only the lines past it end the follow
    sb = make_sandbox("25.10", 1, test_methods=False)
    sb.call_in_loop(lambda: sb.model.set_log_rate(50))
    sb.call_in_loop(lambda: sb.model.tick(time.time() + 86_400 - sb.model.clock))
    async with TrueNASDockerManager(sb.url, sb.api_key, username=sb.username) as manager:
        await manager.stop_app(APP)
        await manager.start_app(APP)
        history = [line async for line in manager.logs(APP, tail=3)]
        until = max(_stamps(history)) + dt.timedelta(seconds=30)  # a few new lines later
        async with asyncio.timeout(15):  # 50 new lines a second: ends long before
            lines = [line async for line in manager.logs(APP, tail=3, follow=True, until=until)]
        assert len(lines) > len(history)
        assert all(when <= until for when in _stamps(lines))


@pytest.fixture
async def quiet(
    make_sandbox: Callable[..., Sandbox],
) -> AsyncIterator[TrueNASDockerManager]:
    """A NAS whose containers log nothing new: no line past any ``until`` ever comes."""
    sb = make_sandbox("25.10", 1, test_methods=False)
    sb.call_in_loop(lambda: sb.model.set_log_rate(0))
    async with TrueNASDockerManager(sb.url, sb.api_key, username=sb.username) as m:
        yield m


async def test_following_a_quiet_container_ends_when_the_clock_passes_until(
    quiet: TrueNASDockerManager,
) -> None:
    history = [line async for line in quiet.logs(APP, tail=3)]
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    started = time.monotonic()
    async with asyncio.timeout(5):
        lines = [line async for line in quiet.logs(APP, tail=3, follow=True, until=until)]
    assert lines == history
    assert time.monotonic() - started >= 0.9  # it did follow, up to until


async def test_following_with_until_already_past_reads_as_without_follow(
    quiet: TrueNASDockerManager,
) -> None:
    async with asyncio.timeout(TAIL_SECONDS):
        history = [line async for line in quiet.logs(APP, tail=3, until="1s")]
        followed = [line async for line in quiet.logs(APP, tail=3, follow=True, until="1s")]
        assert [line async for line in quiet.logs(APP, tail=0, follow=True, until="1s")] == []
    assert followed == history
    assert len(history) == 3


async def test_bad_times_fail_before_anything_is_asked(demo: TrueNASDockerManager) -> None:
    with pytest.raises(ArgumentError, match="since: cannot read 'soon'") as caught:
        await anext(demo.logs("photos", since="soon"))
    assert "1h30m" in str(caught.value.hint)
    with pytest.raises(ArgumentError, match="is before since"):
        await anext(demo.logs("photos", since="1h", until="2h"))


def test_untimed_lines_stay_behind_their_predecessor_and_ties_keep_arrival_order() -> None:
    def line(cid: str, data: str, stamp: str | None) -> LogLine:
        return LogLine("svc-" + cid, cid, data, stamp)

    arrived = [
        line("a", "a1", "2026-12-03T10:00:03+00:00"),
        line("a", "a2 (no time)", None),
        line("b", "b0 (no time)", None),
        line("b", "b1", "2026-12-03T10:00:01+00:00"),
        line("b", "b2", "2026-12-03T10:00:03+00:00"),
        line("a", "a3", "2026-12-03T10:00:04+00:00"),
    ]
    assert [ln.data for ln in in_time_order(arrived)] == [
        "b0 (no time)",
        "b1",
        "a1",
        "a2 (no time)",
        "b2",
        "a3",
    ]


def test_pilot_logs_takes_since_and_until(sandbox: Sandbox) -> None:
    with Pilot(TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username)) as p:
        lines = list(p.log_lines("photos", "redis", tail=10))
        since, until = lines[3].timestamp, lines[6].timestamp
        assert since is not None and until is not None
        frame = p.logs("photos", "redis", tail=10, since=since, until=until)
        assert list(frame["line"]) == [ln.data for ln in lines[3:7]]
        with pytest.raises(ArgumentError, match="until: cannot read"):
            p.logs("photos", until="tomorrow")
        for huge in ("99999999999999", "100000000000h"):
            with pytest.raises(ArgumentError, match="outside the years 1 to 9999") as caught:
                p.logs("photos", since=huge)
            assert "1h30m" in str(caught.value.hint)
