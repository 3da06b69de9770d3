"""Catalog upgrades and rollbacks; image-only upgrades of custom apps and (25.10) ix-app."""

from __future__ import annotations

import pytest
from modelkit import custom, nas

from scale_pilot_nb.sandbox.contract import SandboxValidationErrors

GRAFANA = {
    "app_name": "grafana",
    "catalog_app": "ix-app",
    "train": "stable",
    "values": {
        "image": {"repository": "grafana/grafana", "tag": "12.0.2"},
        "ports": [{"port_number": 30300, "container_port": 3000}],
    },
}


async def test_catalog_upgrade_moves_to_latest_and_keeps_old_version_for_rollback() -> None:
    n = nas("25.10", "demo")
    summary = await n.call("app.upgrade_summary", "jellyfin")
    assert summary["upgrade_version"] == "1.3.12"
    assert summary["available_versions_for_upgrade"] == [
        {"version": "1.3.12", "human_version": "10.11.11_1.3.12"}
    ]
    entry = await n.call("app.upgrade", "jellyfin")
    assert entry["version"] == "1.3.12" and entry["upgrade_available"] is False
    assert entry["active_workloads"]["images"] == ["jellyfin/jellyfin:10.11.11"]
    assert "STOPPING" in n.sink.states("jellyfin")  # 25.04+ stops before upgrading
    assert await n.call("app.rollback_versions", "jellyfin") == ["1.2.8", "1.2.9"]
    config = await n.call("app.config", "jellyfin")
    assert config["ix_context"]["operation"] == "UPGRADE"
    assert (await n.fails("app.upgrade", "jellyfin")).reason == (
        "No upgrade available for 'jellyfin'"
    )


async def test_rollback_validates_version_and_drops_newer_versions() -> None:
    n = nas("25.10", "demo")
    error = await n.fails("app.rollback", "jellyfin", {"app_version": "1.2.9"})
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors == [("options.app_version", "Cannot rollback to same version", 22)]
    error = await n.fails("app.rollback", "jellyfin", {"app_version": "0.1.0"})
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors[0][1] == "Specified version is not available for rollback"
    entry = await n.call("app.rollback", "jellyfin", {"app_version": "1.2.8"})
    assert entry["version"] == "1.2.8" and entry["state"] == "RUNNING"
    assert await n.call("app.rollback_versions", "jellyfin") == []


@pytest.mark.parametrize(("version", "refused"), [("24.10", False), ("25.04", True)])
async def test_rollback_of_a_stopped_app_is_refused_from_25_04(version: str, refused: bool) -> None:
    n = nas(version, "demo")
    await n.call("app.stop", "jellyfin")
    if refused:
        error = await n.fails("app.rollback", "jellyfin", {"app_version": "1.2.8"})
        assert isinstance(error, SandboxValidationErrors)
        assert error.errors == [("app_name", "App must not be in stopped state to rollback", 22)]
    else:
        entry = await n.call("app.rollback", "jellyfin", {"app_version": "1.2.8"})
        assert entry["version"] == "1.2.8"


async def test_upgrade_errors() -> None:
    n = nas("25.10", "demo")
    error = await n.fails("app.upgrade", "jellyfin", {"app_version": "1.2.8"})
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors[0][1] == "Upgrade version must be greater than current version"
    error = await n.fails("app.upgrade", "jellyfin", {"app_version": "9.9.9"})
    assert error.reason == "Unable to locate '9.9.9' version for 'jellyfin' app"
    await n.call("app.stop", "jellyfin")
    error = await n.fails("app.upgrade", "jellyfin")
    assert error.reason == "In order to upgrade an app, it must not be in stopped state"


async def test_custom_app_upgrade_pulls_images_and_redeploys() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    assert (await n.fails("app.upgrade_summary", "whoami")).reason == (
        "No upgrade available for 'whoami'"
    )
    n.model.publish_image("traefik/whoami:v1.10")
    summary = await n.call("app.upgrade_summary", "whoami")
    assert summary["changelog"] == "Image updates are available for this app"
    assert summary["upgrade_version"] == "1.0.0"
    entry = await n.call("app.upgrade", "whoami")
    assert entry["upgrade_available"] is False and entry["version"] == "1.0.0"


@pytest.mark.parametrize(("version", "image_only"), [("25.04", False), ("25.10", True)])
async def test_ix_app_image_updates_count_as_upgrades_only_on_25_10(
    version: str, image_only: bool
) -> None:
    n = nas(version)
    await n.call("app.create", GRAFANA | {"version": "1.4.4"})
    n.model.publish_image("grafana/grafana:12.0.2")
    entry = await n.app("grafana")
    assert entry["image_updates_available"] is True
    assert entry["upgrade_available"] is image_only
    if image_only:
        summary = await n.call("app.upgrade_summary", "grafana")
        assert summary["changelog"] == "Image updates are available for this app"
