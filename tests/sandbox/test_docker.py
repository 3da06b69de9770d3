"""``docker.status``, ``docker.config`` and the backup family."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from modelkit import custom, nas


@pytest.mark.parametrize(
    ("version", "keys"),
    [
        ("24.10", set()),
        ("25.04", {"cidr_v6"}),
        ("25.10", {"cidr_v6", "secure_registry_mirrors", "insecure_registry_mirrors"}),
    ],
)
async def test_docker_config_fields_per_version(version: str, keys: set[str]) -> None:
    config = await nas(version).call("docker.config")
    base = {"id", "enable_image_updates", "pool", "dataset", "nvidia", "address_pools"}
    assert set(config) == base | keys
    assert config["pool"] == "tank" and config["dataset"] == "tank/ix-apps"
    assert len(config["address_pools"]) == (1 if version == "24.10" else 2)


def test_backup_methods_require_25_04() -> None:
    registry = nas().registry
    for name in ("docker.backup", "docker.list_backups", "docker.restore_backup"):
        assert registry.methods[name].min_version == "25.04"
    assert registry.methods["docker.delete_backup"].min_version == "25.04"


async def test_backup_list_restore_delete_cycle() -> None:
    n = nas(seed="demo")
    expected = datetime.fromtimestamp(n.model.clock, UTC).strftime("%F_%T")
    name = await n.call("docker.backup")
    assert name == expected and name.startswith("2025-06-20_09:")
    listing = await n.call("docker.list_backups")
    assert listing[name]["snapshot_name"] == f"tank/ix-apps@ix-apps-backup-{name}"
    states = {a["name"]: a["state"] for a in listing[name]["apps"]}
    assert states["photos"] == "RUNNING" and states["syncthing"] == "STOPPED"
    await n.call("app.delete", "photos")
    await n.call("app.create", custom("newcomer", "services:\n  x:\n    image: redis:7\n"))
    assert await n.call("docker.restore_backup", name) is None
    apps = {a["name"]: a["state"] for a in await n.call("app.query")}
    assert "newcomer" not in apps and apps["photos"] == "RUNNING"
    assert apps["syncthing"] == "STOPPED"
    error = await n.fails("docker.backup", name)
    assert (error.errno, error.reason) == (17, f"Backup with '{name}' already exists")
    assert await n.call("docker.delete_backup", name) is None
    assert (await n.fails("docker.delete_backup", name)).reason == f"Backup '{name}' does not exist"
    assert (await n.fails("docker.restore_backup", name)).reason == f"Backup '{name}' not found"


async def test_backup_names_must_be_snapshot_names() -> None:
    error = await nas().fails("docker.backup", "bad name!")
    assert error.reason == (
        "'bad name!' is not a valid snapshot name. It should be a valid ZFS snapshot name"
    )
