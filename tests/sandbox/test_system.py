"""``system.*``, ``pool.*`` and ``filesystem.stat``."""

from __future__ import annotations

import errno

import pytest
from modelkit import nas

from scale_pilot_nb.sandbox.contract import SandboxValidationErrors


@pytest.mark.parametrize(
    ("version", "info_version", "product"),
    [
        ("24.10", "TrueNAS-SCALE-24.10.2.4", "TrueNAS-SCALE-24.10.2.4"),
        ("25.04", "25.04.2.6", "TrueNAS-25.04.2.6"),
        ("25.10", "25.10.6", "TrueNAS-25.10.6"),
    ],
)
async def test_version_strings_per_release(version: str, info_version: str, product: str) -> None:
    n = nas(version)
    info = await n.call("system.info")
    assert info["version"] == info_version
    assert await n.call("system.version") == product
    assert info["hostname"] == "truenas" and info["cores"] == 16
    assert info["boottime"]["$date"] % 1000 == 0


async def test_pool_query_entries_and_filters() -> None:
    n = nas(seed="demo")
    pools = await n.call("pool.query", [["status", "!=", "ONLINE"]])
    assert [p["name"] for p in pools] == ["backup"]
    tank = await n.call("pool.query", [["name", "=", "tank"]], {"get": True})
    assert tank["path"] == "/mnt/tank" and tank["healthy"] is True
    assert tank["free"] == tank["size"] - tank["allocated"]
    assert "dedup_table_size" in tank
    assert "dedup_table_size" not in (await nas("24.10").call("pool.query"))[0]


async def test_dataset_query_children_and_apps_dataset() -> None:
    n = nas(seed="demo")
    apps = await n.call("pool.dataset.query", [["id", "=", "tank/ix-apps"]], {"get": True})
    assert apps["mountpoint"] == "/mnt/.ix-apps"
    assert sorted(c["name"] for c in apps["children"]) == [
        "tank/ix-apps/app_configs",
        "tank/ix-apps/app_mounts",
        "tank/ix-apps/docker",
        "tank/ix-apps/truenas_catalog",
    ]
    flat = await n.call(
        "pool.dataset.query", [["id", "^", "tank/media"]], {"extra": {"retrieve_children": False}}
    )
    assert all(d["children"] == [] for d in flat) and len(flat) == 4
    assert flat[0]["used"]["parsed"] > 0 and flat[0]["compression"]["value"] == "LZ4"


async def test_dataset_create_makes_a_mounted_directory() -> None:
    n = nas()
    created = await n.call("pool.dataset.create", {"name": "tank/web"})
    assert created["mountpoint"] == "/mnt/tank/web"
    stat = await n.call("filesystem.stat", "/mnt/tank/web")
    assert stat["type"] == "DIRECTORY" and stat["is_mountpoint"] is True
    error = await n.fails("pool.dataset.create", {"name": "tank/web"})
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors == [("pool_dataset_create.name", "tank/web already exists", errno.EEXIST)]
    error = await n.fails("pool.dataset.create", {"name": "tank/a/b"})
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors[0][1] == "Parent dataset does not exist for specified name"
    deep = await n.call("pool.dataset.create", {"name": "tank/a/b", "create_ancestors": True})
    assert deep["id"] == "tank/a/b"


async def test_filesystem_stat_missing_path() -> None:
    error = await nas().fails("filesystem.stat", "/mnt/tank/nowhere")
    assert (error.errno, error.reason) == (errno.ENOENT, "Path /mnt/tank/nowhere not found")
