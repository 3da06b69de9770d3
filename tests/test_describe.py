"""``describe_app``: one app with its jobs, revisions and (when it is not up) its diagnosis."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scale_pilot_nb.errors import AppNotFoundError
from scale_pilot_nb.manager.describe import RECENT, describe_app
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.sandbox import Sandbox

WEB = "services:\n  web:\n    image: nginx:1.27.3\n    ports: ['18091:80']\n"


@pytest.fixture
async def manager(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[TrueNASDockerManager]:
    async with TrueNASDockerManager(
        sandbox.url, sandbox.api_key, username=sandbox.username, history=tmp_path / "h.sqlite"
    ) as m:
        yield m


async def test_a_running_app_has_no_diagnosis(manager: TrueNASDockerManager) -> None:
    described = await describe_app(manager, "photos")
    assert described.app.name == "photos" and described.app.running
    assert described.diagnosis is None
    assert {c.service_name for c in described.app.containers} >= {"server", "redis"}


async def test_a_crashed_app_is_explained(manager: TrueNASDockerManager) -> None:
    diagnosis = (await describe_app(manager, "nightly-report")).diagnosis
    assert diagnosis is not None
    assert diagnosis.failing_service == "report"
    assert diagnosis.services == {"report": "crashed"}
    assert any("cannot reach the database" in line for line in diagnosis.log_tail)
    assert diagnosis.hint


async def test_jobs_and_revisions_after_a_deploy_and_an_update(
    manager: TrueNASDockerManager,
) -> None:
    await manager.deploy(WEB, "web")
    await manager.deploy(WEB.replace("1.27.3", "1.27.4"), "web")
    described = await describe_app(manager, "web")
    assert [r.action for r in described.revisions] == ["create", "update"]
    assert [j.method for j in described.jobs][-2:] == ["app.create", "app.update"]
    assert [j.id for j in described.jobs] == sorted(j.id for j in described.jobs)
    assert len(described.jobs) <= RECENT
    document = json.loads(json.dumps(described.to_dict()))
    assert set(document) == {"app", "jobs", "revisions", "diagnosis"}
    assert document["app"]["containers"][0]["service_name"] == "web"
    for stamp in (document["revisions"][0]["recorded_at"], document["jobs"][0]["time_started"]):
        assert dt.datetime.fromisoformat(stamp).utcoffset() == dt.timedelta(0)


async def test_only_the_last_revisions_are_kept(manager: TrueNASDockerManager) -> None:
    for patch in range(RECENT + 1):
        await manager.deploy(WEB.replace("1.27.3", f"1.27.{patch}"), "web")
    described = await describe_app(manager, "web")
    assert [r.revision for r in described.revisions] == list(range(2, RECENT + 2))
    assert len(described.jobs) == RECENT


async def test_a_missing_app_raises(manager: TrueNASDockerManager) -> None:
    with pytest.raises(AppNotFoundError, match="'nope' does not exist"):
        await describe_app(manager, "nope")
