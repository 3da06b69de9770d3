"""Seeds: a believable deterministic demo NAS, an empty one, and N apps for scale."""

from __future__ import annotations

import json

import pytest
from modelkit import nas

from scale_pilot_nb.sandbox.state import SandboxModel


async def test_demo_covers_every_state_and_the_interesting_cases() -> None:
    n = nas(seed="demo")
    apps = {a["name"]: a for a in await n.call("app.query")}
    assert 8 <= len(apps) <= 10
    assert {a["state"] for a in apps.values()} == {"RUNNING", "STOPPED", "CRASHED", "DEPLOYING"}
    assert apps["photos"]["active_workloads"]["containers"] == 4
    assert apps["photos"]["custom_app"] is True
    jellyfin = apps["jellyfin"]
    assert jellyfin["upgrade_available"] and jellyfin["image_updates_available"]
    assert jellyfin["latest_version"] == "1.3.12" and jellyfin["human_version"] == "10.10.7_1.2.9"
    assert await n.call("app.rollback_versions", "jellyfin") == ["1.2.8"]
    assert apps["whoami"]["upgrade_available"] and apps["whoami"]["latest_version"] is None
    assert apps["nightly-report"]["state"] == "CRASHED"
    assert apps["search"]["state"] == "DEPLOYING"
    assert apps["grafana"]["metadata"]["name"] == "ix-app"
    assert len(await n.call("pool.query")) == 3
    assert {p["status"] for p in await n.call("pool.query")} == {"ONLINE", "DEGRADED"}


async def test_demo_is_deterministic_across_instances() -> None:
    first, second = nas(seed="demo"), nas(seed="demo")
    options = {"extra": {"retrieve_config": True}}
    assert await first.call("app.query", [], options) == await second.call("app.query", [], options)
    assert json.dumps(first.model.to_dict(), sort_keys=True) == json.dumps(
        second.model.to_dict(), sort_keys=True
    )
    assert await first.call("system.info") == await second.call("system.info")


async def test_seeding_publishes_no_events() -> None:
    assert nas(seed="demo").sink.events == []


async def test_empty_seed_has_an_apps_pool_and_no_apps() -> None:
    n = nas(seed="empty")
    assert await n.call("app.query") == []
    assert await n.call("docker.status") == {
        "status": "RUNNING",
        "description": "Application(s) are currently running",
    }


async def test_thousand_app_seed_is_queryable_with_filters_and_count() -> None:
    n = nas(seed=1000)
    assert await n.call("app.query", [], {"count": True}) == 1000
    page = await n.call("app.query", [], {"limit": 10, "offset": 990})
    assert [a["name"] for a in page] == [f"app-{i:04d}" for i in range(991, 1001)]
    running = await n.call("app.query", [["state", "=", "RUNNING"]], {"count": True})
    ports = await n.call("app.used_ports")
    assert ports[0] == 20001 and len(ports) == len(set(ports)) >= running


async def test_a_numeric_seed_is_a_varied_fleet_built_the_same_way_every_time() -> None:
    n = nas(seed=200)
    apps = await n.call("app.query")
    assert apps == await nas(seed=200).call("app.query")  # reproducible
    states = {a["state"] for a in apps}
    assert states == {"RUNNING", "STOPPED", "CRASHED", "DEPLOYING"}
    assert {a["custom_app"] for a in apps} == {True, False}  # custom and catalog (ix-app)
    images = {i for a in apps for i in a["active_workloads"]["images"]}
    assert len(images) >= 6
    assert any(a["upgrade_available"] or a["image_updates_available"] for a in apps)
    counts = [a["active_workloads"]["containers"] for a in apps if a["state"] == "RUNNING"]
    assert max(counts) >= 2  # some stacks run several services
    volumes = [v for a in apps for v in a["active_workloads"]["volumes"]]
    assert any(v["source"].startswith("/mnt/tank/") for v in volumes)


@pytest.mark.parametrize("seed", ["nope", "-1", 3.5])
def test_unknown_seeds_are_rejected(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        SandboxModel("25.10", seed)  # type: ignore[arg-type]


def test_digit_strings_work_as_app_counts() -> None:
    assert len(SandboxModel("25.10", "3").apps) == 3
