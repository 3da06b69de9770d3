"""The model's bookkeeping: persistence, timing, test controls, UNCONFIGURED Docker."""

from __future__ import annotations

import asyncio
import json

import pytest
from modelkit import RecordingSink, custom, nas

from scale_pilot_nb.sandbox.state import SandboxModel, Timing


async def test_state_round_trips_through_json() -> None:
    n = nas(seed="demo")
    await n.call("app.create", custom("extra", "services:\n  x:\n    image: redis:7\n"))
    await n.call("app.stop", "photos")
    data = json.loads(json.dumps(n.model.to_dict()))
    restored = SandboxModel.from_dict(data, events=RecordingSink())
    assert restored.version == "25.10"
    assert restored.to_dict() == n.model.to_dict()
    entries = {a: restored.entry(restored.apps[a]) for a in ("extra", "photos", "jellyfin")}
    assert entries["extra"]["state"] == "RUNNING"
    assert entries["photos"]["state"] == "STOPPED"
    assert entries["jellyfin"]["image_updates_available"] is True


def test_from_dict_rejects_foreign_data() -> None:
    with pytest.raises(ValueError, match="sandbox state"):
        SandboxModel.from_dict({"apps": []})


def test_unknown_version_is_rejected() -> None:
    with pytest.raises(ValueError, match="version"):
        SandboxModel("23.10", "empty")


async def test_deploy_delay_shows_deploying_then_running_via_events() -> None:
    n = nas(timing=Timing(deploy_delay=0.05))
    entry = await n.call("app.create", custom("whoami"))
    assert entry["state"] == "DEPLOYING"
    for _ in range(100):
        if n.sink.states("whoami")[-1] == "RUNNING":
            break
        await asyncio.sleep(0.01)
    assert n.sink.states("whoami") == ["DEPLOYING", "RUNNING"]
    assert (await n.app("whoami"))["state"] == "RUNNING"


async def test_stop_during_deploy_cancels_the_transition() -> None:
    n = nas(timing=Timing(deploy_delay=0.05))
    await n.call("app.create", custom("whoami"))
    await n.call("app.stop", "whoami")
    await asyncio.sleep(0.1)
    assert n.sink.states("whoami")[-1] == "STOPPED"
    assert (await n.app("whoami"))["state"] == "STOPPED"


async def test_close_cancels_pending_transitions() -> None:
    n = nas(timing=Timing(deploy_delay=5))
    await n.call("app.create", custom("whoami"))
    n.model.close()
    await asyncio.sleep(0)
    assert (await n.app("whoami"))["state"] == "DEPLOYING"


async def test_job_delay_is_spent_across_progress_steps() -> None:
    n = nas(timing=Timing(job_delay=0.2))
    task = asyncio.ensure_future(n.call("app.create", custom("whoami")))
    await asyncio.sleep(0.02)
    assert not task.done()
    await task
    assert n.last_job is not None and n.last_job.progress[-1][0] == 100


def test_demo_timing_defaults_and_latency_preset() -> None:
    assert SandboxModel("25.10", "demo").timing == Timing.demo()
    assert SandboxModel("25.10", "empty").timing == Timing()
    assert Timing.latency(0.5).job_delay == 0.5


async def test_publish_image_flags_users_until_pulled() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    digest = n.model.publish_image("traefik/whoami:v1.10", "sha256:" + "ab" * 32)
    assert digest == "sha256:" + "ab" * 32
    entry = n.sink.events[-1].fields
    assert entry["image_updates_available"] is True and entry["upgrade_available"] is True
    assert await n.call("app.outdated_docker_images", "whoami") == ["traefik/whoami:v1.10"]
    await n.call("app.pull_images", "whoami")
    assert (await n.app("whoami"))["image_updates_available"] is False
    images = await n.call("app.image.query")
    assert sorted(i["dangling"] for i in images) == [False, True]


async def test_set_unhealthy_moves_running_app_to_deploying_and_back() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    n.model.set_unhealthy("whoami", "whoami")
    assert (await n.app("whoami"))["state"] == "DEPLOYING"
    n.model.set_unhealthy("whoami", "whoami", False)
    assert (await n.app("whoami"))["state"] == "RUNNING"
    assert n.sink.states("whoami")[-2:] == ["DEPLOYING", "RUNNING"]


async def test_unconfigured_docker_hides_apps_and_fails_mutations() -> None:
    n = nas(seed="demo")
    n.model.set_docker_pool(None)
    assert n.sink.events[-1].collection == "docker.state"
    assert await n.call("docker.status") == {
        "status": "UNCONFIGURED",
        "description": "Application(s) are not configured",
    }
    assert await n.call("app.query") == []
    assert await n.call("app.image.query") == []
    assert await n.call("docker.list_backups") == {}
    config = await n.call("docker.config")
    assert config["pool"] is None and config["dataset"] is None
    error = await n.fails("app.create", custom("x"))
    assert (error.errno, error.reason) == (14, "No pool configured for Docker")
    for method in ("app.available_space", "docker.backup"):
        assert (await n.fails(method)).reason == "No pool configured for Docker"
    assert (await n.fails("app.image.pull", {"image": "redis:7"})).reason == (
        "No pool configured for Docker"
    )
    assert (await n.fails("app.config", "photos")).reason.endswith("App photos does not exist")
    with pytest.raises(ValueError, match="pool"):
        n.model.set_docker_pool("nope")
    n.model.set_docker_pool("tank")
    assert len(await n.call("app.query")) == len(n.model.apps)


def test_from_dict_reports_corrupt_data_as_value_error() -> None:
    data = SandboxModel("25.10", "empty").to_dict()
    del data["apps"]
    with pytest.raises(ValueError, match="corrupt sandbox state: KeyError"):
        SandboxModel.from_dict(data)
