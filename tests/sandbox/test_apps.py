"""App lifecycle jobs of the NAS model: create, update, redeploy, delete, start, stop."""

from __future__ import annotations

import asyncio
import errno

import pytest
from modelkit import WHOAMI, custom, nas

from scale_pilot_nb.sandbox.contract import SandboxValidationErrors
from scale_pilot_nb.sandbox.state import Timing

TWO_SERVICES = """
services:
  web:
    image: nginx:1.27
    ports: ["8080:80", "127.0.0.1:8443:443/tcp"]
    volumes: ["/mnt/tank/data:/usr/share/nginx/html:ro", "cache:/var/cache/nginx"]
  db:
    image: postgres:16
volumes:
  cache: {}
x-portals:
  - {name: Web UI, scheme: http, host: 0.0.0.0, port: 8080, path: /}
x-notes: "# Hello"
"""


async def test_custom_create_reports_progress_and_one_added_event_after_success() -> None:
    n = nas()
    entry = await n.call("app.create", custom("whoami"))
    assert entry["state"] == "RUNNING"
    assert entry["version"] == "1.0.0" and entry["human_version"] == "1.0.0_custom"
    assert entry["custom_app"] is True and entry["latest_version"] is None
    assert entry["config"] is None and entry["version_details"] is None
    assert n.last_job is not None
    assert [p for p, _ in n.last_job.progress] == [25, 35, 60, 100]
    assert n.last_job.progress[-1][1] == "'whoami' installed successfully"
    assert [(e.msg, e.id) for e in n.sink.events] == [("added", "whoami")]


async def test_containers_are_one_per_service_with_ports_mounts_and_portals() -> None:
    n = nas()
    await n.call("app.create", custom("site", TWO_SERVICES))
    entry = await n.app("site")
    workloads = entry["active_workloads"]
    assert workloads["containers"] == 2
    details = {c["service_name"]: c for c in workloads["container_details"]}
    assert details["web"]["image"] == "nginx:1.27" and details["db"]["image"] == "postgres:16"
    assert {"container_port": 80, "protocol": "tcp", "host_ports": [
        {"host_port": 8080, "host_ip": "0.0.0.0"}, {"host_port": 8080, "host_ip": "::"}
    ]} in workloads["used_ports"]  # fmt: skip
    assert {"container_port": 443, "protocol": "tcp", "host_ports": [
        {"host_port": 8443, "host_ip": "127.0.0.1"}
    ]} in workloads["used_ports"]  # fmt: skip
    mounts = details["web"]["volume_mounts"]
    assert mounts[0] == {
        "source": "/mnt/tank/data",
        "destination": "/usr/share/nginx/html",
        "mode": "ro",
        "type": "bind",
    }
    assert mounts[1]["type"] == "volume" and mounts[1]["destination"] == "/var/cache/nginx"
    assert workloads["images"] == ["nginx:1.27", "postgres:16"]
    assert workloads["used_host_ips"] == ["0.0.0.0", "::", "127.0.0.1"]
    assert workloads["networks"][0]["Name"] == "ix-site_default"
    assert entry["portals"] == {"Web UI": "http://127.0.0.1:8080/"}
    assert entry["notes"] == "# Hello"
    ids = await n.call("app.container_ids", "site")
    assert sorted(v["service_name"] for v in ids.values()) == ["db", "web"]


async def test_stored_compose_comes_back_from_app_config_as_a_dict() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    config = await n.call("app.config", "whoami")
    assert config == {"services": {"whoami": {"image": "traefik/whoami:v1.10",
                                              "ports": ["30080:80"]}}}  # fmt: skip
    with_config = await n.call("app.query", [["name", "=", "whoami"]],
                               {"extra": {"retrieve_config": True}})  # fmt: skip
    assert with_config[0]["config"] == config
    plain = await n.call("app.query", [["name", "=", "whoami"]])
    assert "config" not in plain[0] and "version_details" not in plain[0]


async def test_name_taken_fails_inside_the_job_with_eexist() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    error = await n.fails("app.create", custom("whoami"))
    assert error.errno == errno.EEXIST
    assert error.reason == "Application with name whoami already exists"


@pytest.mark.parametrize(
    ("version", "name", "message"),
    [
        ("25.10", "Bad_Name", "String should match pattern '^[a-z]([-a-z0-9]*[a-z0-9])?$'"),
        ("25.04", "a" * 41, "String should have at most 40 characters"),
        ("25.10", "", "String should have at least 1 character"),
        ("24.10", "a" * 41, "Should be between 1 and 40"),
    ],
)
async def test_invalid_app_names_fail_validation_per_version(
    version: str, name: str, message: str
) -> None:
    n = nas(version)
    error = await n.fails("app.create", custom(name))
    assert isinstance(error, SandboxValidationErrors)
    assert ("app_create.app_name", message, errno.EINVAL) in error.errors


async def test_legacy_name_error_is_the_explanation_text() -> None:
    error = await nas("24.10").fails("app.create", custom("-x"))
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors[0][1].startswith("\nApplication name must have the following:")


async def test_unknown_keys_and_missing_compose_are_reported_like_truenas() -> None:
    n = nas()
    error = await n.fails("app.create", {"app_name": "x", "custom_app": True, "bogus": 1})
    assert isinstance(error, SandboxValidationErrors)
    assert ("app_create.bogus", "Extra inputs are not permitted", 22) in error.errors
    error = await n.fails("app.create", {"app_name": "x", "custom_app": True})
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors == [("app_create.custom_compose_config", "This field is required", 22)]
    both = custom("x") | {"custom_compose_config": {"services": {}}}
    error = await n.fails("app.create", both)
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors[0][1] == "Only one of these fields should be provided"


@pytest.mark.parametrize(
    ("version", "attribute"),
    [("24.10", "app_create"), ("25.10", "app_update")],
)
async def test_invalid_yaml_attribute_name_depends_on_version(version: str, attribute: str) -> None:
    n = nas(version)
    await n.call("app.create", custom("whoami"))
    error = await n.fails("app.update", "whoami", {"custom_compose_config_string": "a: [1"})
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors == [
        (f"{attribute}.custom_compose_config_string", "Invalid YAML provided", 22)
    ]


async def test_compose_docker_rejects_is_validation_on_25_10_and_up_failure_before() -> None:
    no_image = "services:\n  web:\n    ports: ['80:80']\n"
    error = await nas("25.10").fails("app.create", custom("web", no_image))
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors[0][1] == (
        'Invalid compose configuration: service "web" has neither an image nor a build '
        "context specified: invalid compose project"
    )
    n = nas("25.04")
    error = await n.fails("app.create", custom("web", no_image))
    assert not isinstance(error, SandboxValidationErrors)
    assert error.reason.startswith("Failed 'up' action for 'web' app.")
    assert await n.call("app.query") == []
    assert [e.msg for e in n.sink.events] == ["removed"]


async def test_host_port_conflict_fails_the_job_and_leaves_no_app() -> None:
    n = nas()
    await n.call("app.create", custom("first"))
    error = await n.fails("app.create", custom("second"))
    assert error.errno == errno.EFAULT
    assert error.reason == (
        "Failed 'up' action for 'second' app. "
        "Please check /var/log/app_lifecycle.log for more details"
    )
    assert [a["name"] for a in await n.call("app.query")] == ["first"]


async def test_unpullable_image_fails_the_job() -> None:
    n = nas()
    bad = "services:\n  x:\n    image: nginx:doesnotexist\n"
    error = await n.fails("app.create", custom("bad", bad))
    assert error.reason.startswith("Failed 'up' action for 'bad' app")


async def test_crashing_and_unhealthy_services_set_app_state() -> None:
    n = nas()
    crash = 'services:\n  job:\n    image: alpine:3\n    command: ["false"]\n'
    await n.call("app.create", custom("crash", crash))
    assert (await n.app("crash"))["state"] == "CRASHED"
    sick = "services:\n  db:\n    image: postgres:16\n    labels: {sandbox.health: unhealthy}\n"
    await n.call("app.create", custom("sick", sick))
    entry = await n.app("sick")
    assert entry["state"] == "DEPLOYING"
    assert entry["active_workloads"]["container_details"][0]["state"] == "starting"
    oneshot = (
        'services:\n  init:\n    image: alpine:3\n    command: ["true"]\n'
        "  web:\n    image: nginx:1.27\n"
    )
    await n.call("app.create", custom("oneshot", oneshot))
    assert (await n.app("oneshot"))["state"] == "RUNNING"


async def test_stop_emits_stopping_only_as_event_then_stopped_with_empty_workloads() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    assert await n.call("app.stop", "whoami") is None
    assert n.sink.states("whoami") == ["RUNNING", "STOPPING", "STOPPED"]
    stopping = n.sink.events[1].fields
    assert stopping["active_workloads"]["containers"] == 0
    entry = await n.app("whoami")
    assert entry["state"] == "STOPPED"
    assert entry["active_workloads"]["container_details"] == []


async def test_update_recreates_a_running_app_and_leaves_a_stopped_one_stopped() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    before = (await n.app("whoami"))["active_workloads"]["container_details"][0]["id"]
    moved = WHOAMI.replace("30080", "30081")
    entry = await n.call("app.update", "whoami", {"custom_compose_config_string": moved})
    assert entry["state"] == "RUNNING"
    after = entry["active_workloads"]["container_details"][0]
    assert after["id"] != before
    assert after["port_config"][0]["host_ports"][0]["host_port"] == 30081
    assert n.last_job is not None and n.last_job.progress[-1] == (
        100,
        "Update completed for 'whoami'",
    )
    await n.call("app.stop", "whoami")
    entry = await n.call("app.update", "whoami", {"custom_compose_config_string": WHOAMI})
    assert entry["state"] == "STOPPED"
    assert (await n.call("app.config", "whoami"))["services"]["whoami"]["ports"] == ["30080:80"]
    await n.call("app.start", "whoami")
    assert (await n.app("whoami"))["state"] == "RUNNING"


async def test_redeploy_recreates_containers_and_keeps_config() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    before = (await n.app("whoami"))["active_workloads"]["container_details"][0]["id"]
    entry = await n.call("app.redeploy", "whoami")
    assert entry["active_workloads"]["container_details"][0]["id"] != before
    assert n.last_job is not None
    assert n.last_job.progress[-1] == (100, "Redeployment completed for 'whoami'")


async def test_delete_removes_app_and_unused_images_and_publishes_removed() -> None:
    n = nas()
    await n.call("app.create", custom("whoami"))
    assert await n.call("app.delete", "whoami") is True
    assert await n.call("app.query") == []
    assert n.sink.events[-1].msg == "removed"
    assert await n.call("app.image.query") == []
    error = await n.fails("app.get_instance", "whoami")
    assert error.errno == errno.ENOENT
    assert error.extra == [[None, "App whoami does not exist", errno.ENOENT]]


async def test_force_remove_custom_app_is_25_04_plus_and_custom_only() -> None:
    n = nas("25.10")
    await n.call("app.create", {"app_name": "g", "catalog_app": "gitea", "train": "community"})
    error = await n.fails("app.delete", "g", {"force_remove_custom_app": True})
    assert error.reason == "`force_remove_custom_app` flag is only valid for a custom app"
    old = nas("24.10")
    await old.call("app.create", custom("whoami"))
    error = await old.fails("app.delete", "whoami", {"force_remove_custom_app": True})
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors == [("options.force_remove_custom_app", "Field was not expected", 22)]


async def test_missing_app_fails_lifecycle_jobs_with_instance_not_found() -> None:
    n = nas()
    for method in ("app.start", "app.stop", "app.redeploy", "app.delete"):
        error = await n.fails(method, "ghost")
        assert error.reason == "[ENOENT] None: App ghost does not exist"


async def test_an_aborted_create_leaves_no_app_behind() -> None:
    n = nas(timing=Timing(job_delay=0.4))
    task = asyncio.ensure_future(n.call("app.create", custom("whoami")))
    for _ in range(200):
        if "whoami" in n.model.apps:
            break
        await asyncio.sleep(0.005)
    assert "whoami" in n.model.apps  # installing, not yet up
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await n.call("app.query") == []
    assert n.model.apps == {}


async def test_yaml_alias_bombs_are_rejected_as_invalid_yaml() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdef", "bcdefg", strict=True)
    )
    error = await nas().fails("app.create", custom("bomb", bomb))
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors[0][1] == "Invalid YAML provided"


async def test_yaml_only_values_are_stored_as_json_types() -> None:
    n = nas()
    text = "services:\n  x:\n    image: redis:7\n    labels: {built: 2025-01-02, 8080: port}\n"
    await n.call("app.create", custom("dates", text))
    labels = (await n.call("app.config", "dates"))["services"]["x"]["labels"]
    assert labels == {"built": "2025-01-02", "8080": "port"}


async def test_catalog_ix_volumes_are_datasets_kept_unless_removed() -> None:
    n = nas()
    app = {"app_name": "g", "catalog_app": "gitea", "train": "community"}
    await n.call("app.create", app)
    names = [
        d["id"]
        for d in await n.call("pool.dataset.query", [["id", "^", "tank/ix-apps/app_mounts/g"]])
    ]
    assert names == ["tank/ix-apps/app_mounts/g", "tank/ix-apps/app_mounts/g/config"]
    await n.call("app.delete", "g")
    assert await n.call("pool.dataset.query", [["id", "^", "tank/ix-apps/app_mounts/g"]]) != []
    await n.call("app.create", app)
    await n.call("app.delete", "g", {"remove_ix_volumes": True})
    assert await n.call("pool.dataset.query", [["id", "^", "tank/ix-apps/app_mounts/g"]]) == []
