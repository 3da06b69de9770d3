"""The catalog ``ix-app``: values schema messages per version, rendering, install."""

from __future__ import annotations

from typing import Any

import pytest
from modelkit import nas

from scale_pilot_nb.sandbox.contract import SandboxValidationErrors
from scale_pilot_nb.sandbox.ixapp import normalize, render


def always(path: str) -> bool:
    return True


def ix_app(name: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"app_name": name, "catalog_app": "ix-app", "train": "stable", "values": values}


MINIMAL = {"image": {"repository": "traefik/whoami", "tag": "v1.10"}}
DATA_VOLUME = {
    "type": "ix_volume",
    "mount_path": "/data",
    "ix_volume_config": {"dataset_name": "data"},
}


def test_defaults_are_filled_and_hidden_fields_get_none() -> None:
    values, errors = normalize("25.10", MINIMAL, always)
    assert errors == []
    assert values["image"]["pull_policy"] == "missing"
    assert values["restart_policy"] == "no" and values["TZ"] == "Etc/UTC"
    assert values["ports"] == [] and values["storage"] == []
    assert "max_retry_count" not in values and "run_as" not in values


@pytest.mark.parametrize(
    ("version", "attribute", "message"),
    [
        ("25.10", "image.repository", "Field required"),
        ("25.04", "values.image.repository", "attribute required"),
    ],
)
def test_missing_required_field_messages(version: str, attribute: str, message: str) -> None:
    _, errors = normalize(version, {"image": {}}, always)
    assert (attribute, message, 22) in errors


@pytest.mark.parametrize(
    ("version", "errors"),
    [
        (
            "25.10",
            [
                ("ports.0.port_number", "Input should be less than or equal to 65535", 22),
                ("ports.0.protocol", "Input should be 'tcp' or 'udp'", 22),
            ],
        ),
        (
            # the legacy schema cleans first: the bad choice folds into one error on the list,
            # and the range (a later validation) is never reached
            "24.10",
            [
                (
                    "values.ports",
                    "Item#0 is not valid per list types: [EINVAL] port.protocol: "
                    "Invalid choice: sctp\n",
                    22,
                ),
            ],
        ),
    ],
)
def test_port_range_and_enum_messages(version: str, errors: list[tuple[str, str, int]]) -> None:
    port = {"port_number": 70000, "container_port": 80, "protocol": "sctp"}
    _, found = normalize(version, MINIMAL | {"ports": [port]}, always)
    assert found == errors


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("25.10", "Value error, Path does not exist"),
        (
            "25.04",
            "Path does not exist (underlying dataset may be locked or the path is just missing).",
        ),
    ],
)
async def test_host_path_must_exist_on_the_nas(version: str, message: str) -> None:
    storage = [{"type": "host_path", "mount_path": "/data",
                "host_path_config": {"path": "/mnt/tank/missing"}}]  # fmt: skip
    error = await nas(version).fails("app.create", ix_app("web", MINIMAL | {"storage": storage}))
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors[0][1] == message


def test_render_maps_values_to_one_service_named_after_the_app() -> None:
    values, _ = normalize(
        "25.10",
        MINIMAL
        | {
            "command": ["--port", "8080"],
            "envs": [{"name": "A", "value": "1"}],
            "ports": [{"port_number": 30080, "container_port": 8080, "host_ips": ["192.168.1.50"]}],
            "storage": [DATA_VOLUME],
            "portals": [{"name": "Web UI", "port": 30080}],
        },
        always,
    )
    compose = render("web", values)
    service = compose["services"]["web"]
    assert service["image"] == "traefik/whoami:v1.10"
    assert service["command"] == ["--port", "8080"]
    assert service["environment"] == {"TZ": "Etc/UTC", "A": "1"}
    assert service["ports"] == [
        {"target": 8080, "published": 30080, "protocol": "tcp", "host_ip": "192.168.1.50"}
    ]
    assert service["volumes"][0]["source"] == "/mnt/.ix-apps/app_mounts/web/data"
    assert compose["x-portals"][0]["host"] == "0.0.0.0"


async def test_ix_app_install_reports_catalog_metadata_and_ix_keys() -> None:
    n = nas("25.10")
    values = MINIMAL | {
        "ports": [{"port_number": 30080, "container_port": 80}],
        "storage": [DATA_VOLUME],
        "portals": [{"name": "Web UI", "port": 30080}],
    }
    entry = await n.call("app.create", ix_app("web", values))
    assert entry["custom_app"] is False and entry["version"] == "1.4.4"
    assert entry["metadata"]["name"] == "ix-app"
    assert entry["portals"] == {"Web UI": "http://127.0.0.1:30080/"}
    assert [e.msg for e in n.sink.events][:1] == ["added"]  # catalog: ADDED before compose up
    config = await n.call("app.config", "web")
    assert config["ix_volumes"] == {"data": "/mnt/.ix-apps/app_mounts/web/data"}
    assert config["ix_context"]["scale_version"] == "TrueNAS-25.10.6"
    assert config["ix_context"]["is_install"] is True
    updated = await n.call("app.update", "web", {"values": {"TZ": "Europe/Paris"}})
    assert updated["state"] == "RUNNING"
    config = await n.call("app.config", "web")
    assert config["TZ"] == "Europe/Paris" and config["image"]["tag"] == "v1.10"  # shallow merge


async def test_catalog_create_errors() -> None:
    n = nas()
    error = await n.fails("app.create", {"app_name": "x"})
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors == [("app_create.catalog_app", "This field is required", 22)]
    error = await n.fails("app.create", {"app_name": "x", "catalog_app": "plex"})
    assert error.reason == "Unable to locate 'plex' app in 'stable' train"
    error = await n.fails("app.create", {"app_name": "x", "catalog_app": "a", "train": "nope"})
    assert error.reason == "Unable to locate 'nope' train"
    error = await n.fails(
        "app.create", {"app_name": "x", "catalog_app": "ix-app", "version": "0.0.1"}
    )
    assert error.reason == "Version 0.0.1 not found in ix-app app"
