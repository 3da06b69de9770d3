"""Event sources ``app.stats`` and ``app.container_log_follow``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from modelkit import Nas, custom, nas

from scale_pilot_nb.sandbox.contract import CallContext, SandboxCallError, SandboxValidationErrors
from scale_pilot_nb.sandbox.state import Timing


def source(n: Nas, name: str, arg: Any) -> AsyncIterator[Any]:
    return n.registry.sources[name].func(CallContext("root", n.model.version), arg)


async def take(events: AsyncIterator[Any], count: int) -> list[Any]:
    got = []
    async for event in events:
        got.append(event)
        if len(got) == count:
            break
    await events.aclose()  # type: ignore[attr-defined]
    return got


async def test_stats_yield_a_list_with_every_app_and_zeros_for_stopped() -> None:
    n = nas(seed="demo", timing=Timing(stats_scale=0.001))
    first, second = await take(source(n, "app.stats", {"interval": 2}), 2)
    assert isinstance(first, list) and len(first) == len(n.model.apps)
    by_name = {s["app_name"]: s for s in first}
    assert by_name["syncthing"] == {
        "app_name": "syncthing",
        "memory": 0,
        "cpu_usage": 0,
        "networks": [],
        "blkio": {"read": 0, "write": 0},
    }
    photos = by_name["photos"]
    assert isinstance(photos["cpu_usage"], float) and photos["memory"] > 0
    assert photos["networks"][0]["interface_name"] == "eth0"
    later = {s["app_name"]: s for s in second}["photos"]
    assert later["blkio"]["read"] > photos["blkio"]["read"]  # cumulative


async def test_stats_are_deterministic() -> None:
    timing = Timing(stats_scale=0.001)
    a = await take(source(nas(seed="demo", timing=timing), "app.stats", None), 2)
    b = await take(source(nas(seed="demo", timing=timing), "app.stats", None), 2)
    assert a == b


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ({"interval": 1}, "Input should be greater than or equal to 2"),
        ({"interval": "5"}, "Input should be a valid integer"),
        ({"every": 5}, "Extra inputs are not permitted"),
    ],
)
async def test_stats_argument_validation(arg: Any, message: str) -> None:
    with pytest.raises(SandboxValidationErrors) as caught:
        await take(source(nas(), "app.stats", arg), 1)
    assert caught.value.errors[0][1] == message


async def test_stats_unavailable_without_docker_pool() -> None:
    n = nas()
    n.model.set_docker_pool(None)
    with pytest.raises(SandboxCallError, match="Apps are not available"):
        await take(source(n, "app.stats", None), 1)


async def container_of(n: Nas, app: str) -> str:
    return str((await n.app(app))["active_workloads"]["container_details"][0]["id"])


async def test_log_follow_sends_the_tail_then_new_lines() -> None:
    n = nas(seed="demo")
    n.model.set_log_rate(500)
    cid = await container_of(n, "whoami")
    arg = {"app_name": "whoami", "container_id": cid, "tail_lines": 3}
    lines = await take(source(n, "app.container_log_follow", arg), 5)
    assert all(line["data"].endswith("\n") for line in lines)
    assert all(line["timestamp"].startswith("2025-06-20 ") for line in lines)
    assert all(line["timestamp"].endswith("+00:00") for line in lines)
    assert len({line["timestamp"] for line in lines}) == 5
    again = await take(source(n, "app.container_log_follow", arg), 5)
    assert again == lines  # deterministic


async def test_log_follow_of_a_crashed_container_ends_after_its_history() -> None:
    n = nas(seed="demo")
    cid = await container_of(n, "nightly-report")
    arg = {"app_name": "nightly-report", "container_id": cid, "tail_lines": None}
    lines = [line async for line in source(n, "app.container_log_follow", arg)]
    # only what its command printed: the seed's script echoes one line, then exits 2
    assert [line["data"] for line in lines] == ["report: cannot reach the database at db:5432\n"]


async def test_log_follow_ends_when_the_app_stops() -> None:
    n = nas()
    n.model.set_log_rate(0)
    await n.call("app.create", custom("whoami"))
    arg = {"app_name": "whoami", "container_id": await container_of(n, "whoami"), "tail_lines": 1}
    events = source(n, "app.container_log_follow", arg)
    assert len(await anext_n(events, 1)) == 1
    await n.call("app.stop", "whoami")
    assert [e async for e in events] == []


async def anext_n(events: AsyncIterator[Any], count: int) -> list[Any]:
    return [await events.__anext__() for _ in range(count)]


@pytest.mark.parametrize(
    ("arg", "reason"),
    [
        ({"app_name": "syncthing", "container_id": "x"}, "Unable to retrieve logs of stopped"),
        ({"app_name": "photos", "container_id": "x"}, 'Container "x" not found in app "photos"'),
        ({"app_name": "ghost", "container_id": "x"}, "App ghost does not exist"),
        ({"app_name": "photos"}, "container_id: Field required"),
        ({"app_name": "photos", "container_id": "x", "tail_lines": 0}, "greater than or equal"),
    ],
)
async def test_log_follow_errors(arg: dict[str, Any], reason: str) -> None:
    with pytest.raises(SandboxCallError) as caught:
        await take(source(nas(seed="demo"), "app.container_log_follow", arg), 1)
    assert reason in caught.value.reason
