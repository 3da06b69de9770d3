"""``app.query`` entry shape per version and caller options."""

from __future__ import annotations

import pytest
from modelkit import nas


@pytest.mark.parametrize(
    ("version", "networks", "host_ips"),
    [("24.10", False, False), ("25.04", True, False), ("25.10", True, True)],
)
async def test_active_workloads_keys_per_version(
    version: str, networks: bool, host_ips: bool
) -> None:
    n = nas(version, "demo")
    for name in ("photos", "syncthing"):  # running and stopped
        workloads = (await n.app(name))["active_workloads"]
        assert ("networks" in workloads) is networks
        assert ("used_host_ips" in workloads) is host_ips


@pytest.mark.parametrize(("version", "explicit"), [("24.10", False), ("25.04", True)])
async def test_full_entries_carry_null_config_from_25_04(version: str, explicit: bool) -> None:
    entry = await nas(version, "demo").app("photos")
    assert ("config" in entry) is explicit and ("version_details" in entry) is explicit


async def test_stopped_entries_have_empty_workloads_and_no_image_updates() -> None:
    n = nas(seed="demo")
    await n.call("app.stop", "whoami")
    entry = await n.app("whoami")
    assert entry["active_workloads"]["containers"] == 0
    assert entry["image_updates_available"] is False


async def test_host_ip_replaces_wildcard_in_portals_and_brackets_ipv6() -> None:
    n = nas(seed="demo")
    query = [["name", "=", "whoami"]]
    entry = (await n.call("app.query", query, {"extra": {"host_ip": "fd00::5"}}))[0]
    assert entry["portals"] == {"Web UI": "http://[fd00::5]:30080/"}
    entry = (await n.call("app.query", query, {"extra": {"host_ip": "10.1.1.1"}}))[0]
    assert entry["portals"] == {"Web UI": "http://10.1.1.1:30080/"}


async def test_include_app_schema_adds_version_details() -> None:
    n = nas(seed="demo")
    query = [["name", "=", "whoami"]]
    entry = (await n.call("app.query", query, {"extra": {"include_app_schema": True}}))[0]
    assert entry["version_details"]["human_version"] == "1.0.0_custom"


async def test_query_filters_on_nested_fields_and_selects() -> None:
    n = nas(seed="demo")
    busy = await n.call(
        "app.query",
        [["active_workloads.containers", ">", 1]],
        {"select": ["name", "state"], "order_by": ["-name"]},
    )
    assert busy == [{"name": "photos", "state": "RUNNING"}]
    assert await n.call("app.query", [["name", "=", "ghost"]]) == []
