"""Image updates, catalog upgrades and catalog rollbacks against the demo sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from scale_pilot_nb import (
    AppNotFoundError,
    NotCatalogAppError,
    RevisionNotFoundError,
    ValidationError,
)
from scale_pilot_nb.manager.history import REDACTED
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.sandbox import Sandbox


@pytest.fixture(params=["24.10", "25.10"])
async def manager(
    request: pytest.FixtureRequest, make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> AsyncIterator[TrueNASDockerManager]:
    sb = make_sandbox(request.param, "demo", test_methods=False)
    url = sb.legacy_url if sb.version == "24.10" else sb.url
    async with TrueNASDockerManager(
        url, sb.api_key, username=sb.username, history=tmp_path / "h.sqlite"
    ) as m:
        yield m


async def test_updates_lists_image_updates_and_catalog_upgrades(
    manager: TrueNASDockerManager,
) -> None:
    rows = {(r["app"], r["image"]): r for r in await manager.updates()}
    jellyfin = rows[("jellyfin", "jellyfin/jellyfin:10.10.7")]
    assert jellyfin["catalog_upgrade"] and jellyfin["target_version"] == "1.3.12"
    whoami = rows[("whoami", "traefik/whoami:v1.10")]
    assert whoami["image_update"] and not whoami["catalog_upgrade"]
    assert whoami["digest"].startswith("sha256:")
    assert not rows[("gitea", "gitea/gitea:1.24.2")]["image_update"]


async def test_update_images_pulls_and_clears_the_flag(manager: TrueNASDockerManager) -> None:
    result = await manager.update_images("whoami")
    assert result.app is not None and result.app.state.value == "RUNNING"
    assert result["whoami"].action == "images updated" and len(result.job_ids) == 1
    rows = [r for r in await manager.updates() if r["app"] == "whoami"]
    assert rows and not any(r["image_update"] for r in rows)
    assert (await manager.history("whoami"))[-1].action == "update_images"


async def test_upgrade_shows_the_summary_then_rollback_goes_back(
    manager: TrueNASDockerManager,
) -> None:
    result = await manager.upgrade("jellyfin")
    assert result.details["summary"]["upgrade_version"] == "1.3.12"
    assert result.app is not None and result.app.version == "1.3.12"
    back = await manager.rollback("jellyfin")  # newest older version
    assert back["jellyfin"].action == "rolled back"
    assert (await manager.get_app("jellyfin")).version == "1.2.9"
    assert [r.action for r in await manager.history("jellyfin")] == ["upgrade", "rollback"]


async def test_catalog_rollback_to_an_unknown_version_is_refused(
    manager: TrueNASDockerManager,
) -> None:
    with pytest.raises(ValidationError) as caught:
        await manager.rollback("jellyfin", version="0.0.1")
    assert "not available for rollback" in str(caught.value)


async def test_updates_of_a_missing_app(manager: TrueNASDockerManager) -> None:
    with pytest.raises(AppNotFoundError):
        await manager.update_images("nope")
    with pytest.raises(AppNotFoundError):
        await manager.upgrade("nope")


async def test_upgrade_summary_of_a_catalog_app_changes_nothing(
    manager: TrueNASDockerManager,
) -> None:
    summary = await manager.upgrade_summary("jellyfin")
    assert summary["upgrade_version"] == "1.3.12" and summary["changelog"]
    assert (await manager.get_app("jellyfin")).version != "1.3.12"
    assert await manager.history("jellyfin") == []
    with pytest.raises(NotCatalogAppError) as caught:
        await manager.upgrade_summary("whoami")  # a custom app: image updates only
    assert caught.value.hint and "update_images" in caught.value.hint
    with pytest.raises(NotCatalogAppError):
        await manager.upgrade("whoami")
    with pytest.raises(AppNotFoundError):
        await manager.upgrade_summary("nope")


async def test_rollback_plan_picks_what_the_rollback_restores(
    manager: TrueNASDockerManager,
) -> None:
    catalog = await manager.rollback_plan("jellyfin", version="1.2.8")
    assert (catalog.custom_app, catalog.version, catalog.diff) == (False, "1.2.8", "")
    assert catalog.state == "RUNNING"
    assert str(catalog) == f"roll back 'jellyfin': version {catalog.current_version} -> 1.2.8"

    compose = (
        "services:\n  web:\n    image: nginx:{tag}\n    environment:\n      DB_PASSWORD: {pw}\n"
    )
    await manager.deploy(compose.format(tag="1.27.3", pw="hunter2"), "web")
    await manager.deploy(compose.format(tag="1.28.0", pw="hunter3"), "web")
    plan = await manager.rollback_plan("web")
    assert plan.custom_app and plan.revision == 2 and plan.state == "RUNNING"
    assert "-    image: nginx:1.28.0\n+    image: nginx:1.27.3@sha256:" in plan.diff
    assert "hunter" not in plan.diff and f"DB_PASSWORD: {REDACTED}" in plan.diff
    unpinned = await manager.rollback_plan("web", pin_digests=False)
    assert "+    image: nginx:1.27.3\n" in unpinned.diff
    with pytest.raises(RevisionNotFoundError):
        await manager.rollback_plan("web", 1)  # before the create: no app to restore
    await manager.rollback("web", secrets={"DB_PASSWORD": "hunter2"})
    assert (await manager.app_config("web"))["services"]["web"]["image"].startswith(
        "nginx:1.27.3@sha256:"
    )
    await manager.delete_app("web")
    gone = await manager.rollback_plan("web")  # the rollback creates it again: nothing to stop
    assert gone.state is None and gone.diff.startswith("--- web (no app)")
