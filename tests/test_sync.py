"""Stacks from a folder: discover, plan and apply against the demo sandbox over real sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scale_pilot_nb import ArgumentError, ComposeError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.manager.sync import apply_sync, discover_stacks, plan_sync
from scale_pilot_nb.notebook import html
from scale_pilot_nb.notebook.tables import SYNC_COLUMNS
from scale_pilot_nb.sandbox import Sandbox

#: The demo NAS's custom apps: the orphans of any folder that does not name them.
DEMO_CUSTOM_APPS = {"backup-sync", "nightly-report", "photos", "search", "whoami"}


def compose(image: str, port: int) -> str:
    return f'services:\n  app:\n    image: {image}\n    ports: ["{port}:80"]\n'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
async def manager(sandbox: Sandbox) -> AsyncIterator[TrueNASDockerManager]:
    async with TrueNASDockerManager(sandbox.url, sandbox.api_key) as m:
        yield m


@pytest.fixture
def stacks(tmp_path: Path) -> Path:
    """Two stacks: a folder one (``web``) and a file one (``cache``)."""
    folder = tmp_path / "stacks"
    write(folder / "web" / "compose.yaml", compose("nginx:1.27.3", 31080))
    write(folder / "cache.yml", compose("redis:7.4", 31081))
    return folder


def test_discover_finds_folder_and_file_stacks_and_flags_bad_ones(tmp_path: Path) -> None:
    write(tmp_path / "web" / "docker-compose.yml", "services: {}")
    write(tmp_path / "db.yaml", "services: {}")
    write(tmp_path / "dup" / "compose.yaml", "services: {}")
    write(tmp_path / "dup.yml", "services: {}")
    write(tmp_path / "Bad_Name.yml", "services: {}")
    write(tmp_path / ".git" / "compose.yaml", "services: {}")
    write(tmp_path / "docs" / "README.md", "not a stack")
    write(tmp_path / "notes.txt", "not a stack")

    found = {stack.name: stack for stack in discover_stacks(tmp_path)}

    assert sorted(found) == ["Bad_Name", "db", "dup", "web"]
    assert found["web"].files == (tmp_path / "web" / "docker-compose.yml",)
    assert found["web"].problem is None and found["db"].problem is None
    assert "2 files for one app" in (found["dup"].problem or "")
    assert "lowercase" in (found["Bad_Name"].problem or "")
    with pytest.raises(ArgumentError):
        discover_stacks(tmp_path / "missing")


async def test_plan_lists_creates_and_custom_orphans_only(
    manager: TrueNASDockerManager, stacks: Path
) -> None:
    plan = await plan_sync(manager, stacks)

    assert {e.name: e.action for e in plan if e.action != "orphan"} == {
        "cache": "create",
        "web": "create",
    }
    assert {e.name for e in plan.orphans} == DEMO_CUSTOM_APPS  # no catalog app (jellyfin …)
    assert plan.valid and plan.changes
    assert plan.pending() == [plan["cache"], plan["web"]]
    assert len(plan.pending(prune=True)) == 2 + len(DEMO_CUSTOM_APPS)
    data = plan.to_dict()
    assert data["counts"] == {"create": 2, "update": 0, "noop": 0, "orphan": 5, "invalid": 0}
    web = next(entry for entry in data["entries"] if entry["name"] == "web")
    assert web["plan"]["action"] == "create" and web["source"].endswith("compose.yaml")
    assert await manager.find_app("web") is None  # planning changed nothing


async def test_apply_creates_then_is_in_sync_then_updates_one(
    manager: TrueNASDockerManager, stacks: Path
) -> None:
    result = await apply_sync(manager, await plan_sync(manager, stacks))
    assert result.ok and result.operation == "sync"
    assert result["web"].action == "created" and result["cache"].action == "created"
    assert result["web"].app is not None and result["web"].app.state.value == "RUNNING"
    assert {o.app_name for o in result.outcomes} == {"web", "cache"}  # orphans untouched …
    assert result.warnings and "whoami" in result.warnings[0]  # … and named

    again = await plan_sync(manager, stacks)
    assert not again.changes
    assert again["web"].action == again["cache"].action == "noop"

    write(stacks / "cache.yml", compose("redis:7.4.1", 31081))
    changed = await plan_sync(manager, stacks)
    assert changed["cache"].action == "update" and changed["web"].action == "noop"
    assert changed["cache"].plan is not None
    assert changed["cache"].plan.images_changed == {"app": ("redis:7.4", "redis:7.4.1")}
    updated = await apply_sync(manager, stacks)  # a directory is planned first
    assert updated["cache"].action == "updated" and updated["web"].action == "unchanged"
    assert updated["cache"].job_ids and not updated["web"].job_ids


async def test_prune_deletes_orphans_only_when_asked(
    manager: TrueNASDockerManager, stacks: Path
) -> None:
    await apply_sync(manager, stacks)
    (stacks / "cache.yml").unlink()
    kept = await apply_sync(manager, stacks)
    assert await manager.find_app("cache") is not None
    assert "cache" in kept.warnings[0]

    plan = await plan_sync(manager, stacks)
    assert plan["cache"].action == "orphan" and plan["cache"].source is None
    pruned = await apply_sync(manager, plan, prune=True)
    assert pruned.ok
    assert {o.app_name for o in pruned.outcomes if o.action == "deleted"} == {
        "cache",
        *DEMO_CUSTOM_APPS,
    }
    remaining = {app.name for app in await manager.list_apps()}
    assert remaining == {"web", "jellyfin", "grafana", "gitea", "syncthing"}


async def test_an_invalid_stack_stops_everything_unless_skipped(
    manager: TrueNASDockerManager, stacks: Path
) -> None:
    write(stacks / "broken.yml", "services:\n  app:\n    ports: [31090:80]\n")  # no image
    write(stacks / "jellyfin.yml", compose("nginx:1.27.3", 31091))  # a catalog app's name

    plan = await plan_sync(manager, stacks)
    assert [e.name for e in plan.invalid] == ["broken", "jellyfin"]
    assert plan["broken"].errors and plan["broken"].report is not None
    assert "catalog app" in (plan["jellyfin"].problem or "")
    with pytest.raises(ComposeError, match="2 invalid stack"):
        await apply_sync(manager, plan)
    assert await manager.find_app("web") is None

    result = await apply_sync(manager, plan, skip_invalid=True)
    assert result["web"].action == "created" and result["cache"].action == "created"
    assert result["broken"].action == "failed"
    assert "invalid stack" in (result["broken"].error or {}).get("message", "")
    assert (await manager.get_app("jellyfin")).custom_app is False  # untouched


async def test_one_failing_app_does_not_stop_the_others(
    manager: TrueNASDockerManager, stacks: Path
) -> None:
    write(stacks / "aaa.yml", compose("nginx:doesnotexist", 31092))  # the pull fails

    result = await apply_sync(manager, stacks)

    assert result["aaa"].action == "failed"
    assert result["cache"].action == result["web"].action == "created"
    assert not result.ok and result.failed == [result["aaa"]]


async def test_plan_as_frame_and_html(manager: TrueNASDockerManager, stacks: Path) -> None:
    write(stacks / "Bad.yml", compose("nginx:1.27.3", 31093))
    plan = await plan_sync(manager, stacks)

    frame = plan.to_frame()
    assert list(frame.columns) == list(SYNC_COLUMNS)
    assert {column: str(dtype) for column, dtype in frame.dtypes.items()} == SYNC_COLUMNS
    rows = frame.set_index("app")
    assert rows.loc["web", "action"] == "create" and rows.loc["Bad", "action"] == "invalid"
    assert "lowercase" in frame.loc[frame["app"] == "Bad", "errors"].iloc[0][0]
    assert rows.loc["whoami", "action"] == "orphan"

    page = html.render(plan)
    assert plan._repr_html_() == page
    assert "Sync plan" in page and "Plan of web" in page and "Errors of Bad" in page
    assert "1 invalid" in page
