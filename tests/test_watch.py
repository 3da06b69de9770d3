"""Watching the app inventory through ``app.query`` events, against the demo sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from scale_pilot_nb.errors import ArgumentError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.records import AppState
from scale_pilot_nb.sandbox import Sandbox


@pytest.fixture
async def manager(sandbox: Sandbox) -> AsyncIterator[TrueNASDockerManager]:
    async with TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username) as m:
        yield m


async def test_initial_apps_then_each_change_requeried(manager: TrueNASDockerManager) -> None:
    names = {app.name for app in await manager.list_apps()}
    seen: list[tuple[str, str, AppState, int]] = []
    async with asyncio.timeout(30):
        async for event, app in manager.watch_apps(timeout=20):
            seen.append((event, app.name, app.state, len(app.containers)))
            if len(seen) == len(names):  # the initial ones are in: change something
                await manager.stop_app("whoami")
            if event == "changed" and app.state is AppState.STOPPED:
                break
    assert {name for event, name, _, _ in seen if event == "initial"} == names
    changes = [entry for entry in seen if entry[0] == "changed"]
    assert changes and all(name == "whoami" for _, name, _, _ in changes)
    # the stop's first event carries only {"state": "STOPPING"}; the app was queried again
    assert changes[0][2] in (AppState.STOPPING, AppState.STOPPED)


async def test_one_app_its_removal_and_the_timeout(manager: TrueNASDockerManager) -> None:
    seen = []
    async with asyncio.timeout(30):
        async for event, app in manager.watch_apps("whoami", timeout=20):
            seen.append((event, app.name, app.state))
            if event == "initial":
                await manager.stop_app("photos")  # another app: not reported
                await manager.delete_app("whoami")
            if event == "removed":
                break
    assert seen[0] == ("initial", "whoami", AppState.RUNNING)
    assert seen[-1][:2] == ("removed", "whoami")  # with its last known record
    assert {name for _, name, _ in seen} == {"whoami"}
    async with asyncio.timeout(10):  # nothing changes: the timeout ends it, no error
        quiet = [event async for event, _ in manager.watch_apps("photos", timeout=0.5)]
    assert quiet == ["initial"]


async def test_bad_arguments_fail_before_anything_is_asked(
    manager: TrueNASDockerManager,
) -> None:
    with pytest.raises(ArgumentError):
        await anext(manager.watch_apps("Not An App"))
    with pytest.raises(ArgumentError, match="timeout"):
        await anext(manager.watch_apps(timeout=0))


def test_pilot_watch_apps_is_the_sync_twin(sandbox: Sandbox) -> None:
    with Pilot(TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username)) as p:
        items = list(p.watch_apps("photos", timeout=0.5))
    assert [(event, app.name) for event, app in items] == [("initial", "photos")]
