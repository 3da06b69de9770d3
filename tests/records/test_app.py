"""Tests for scale_pilot_nb.records.app: app.query entries of 24.10, 25.04 and 25.10."""

from __future__ import annotations

import dataclasses
import json

import pytest

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.records import (
    App,
    AppState,
    Container,
    ContainerState,
    HostBinding,
    PortMapping,
    VolumeMount,
)

from .entries import custom_app, jellyfin, stopped_app


def test_catalog_app_25_10() -> None:
    app = App.from_api(jellyfin("25.10"))
    assert app.name == "jellyfin"
    assert app.state is AppState.RUNNING
    assert (app.version, app.human_version, app.latest_version) == (
        "1.2.9",
        "10.10.7_1.2.9",
        "1.3.12",
    )
    assert app.upgrade_available and not app.image_updates_available
    assert not app.custom_app and not app.migrated
    assert (app.catalog_app, app.train, app.title, app.app_version) == (
        "jellyfin",
        "community",
        "Jellyfin",
        "10.10.7",
    )
    assert app.container_count == 1
    assert app.images == ("jellyfin/jellyfin:10.10.7",)
    assert app.networks == ("ix-jellyfin_default",)
    assert app.host_ips == ("0.0.0.0", "::")
    assert app.portals == {"Web UI": "http://192.168.1.50:30013/"}
    assert app.notes is not None and app.notes.startswith("# Jellyfin")
    assert app.metadata["annotations"] == {"min_scale_version": "24.10.2.2"}
    assert app.metadata["last_update"] == "2025-06-12T10:03:11+00:00"  # naive UTC on the wire
    assert app.config is None
    assert app.running
    assert app.published_ports == (30013,)


def test_catalog_app_ports_and_volumes() -> None:
    app = App.from_api(jellyfin("25.10"))
    (mapping,) = app.ports
    assert mapping == PortMapping(
        container_port=8096,
        protocol="tcp",
        host_ports=(HostBinding(30013, "0.0.0.0"), HostBinding(30013, "::")),
    )
    assert mapping.published == (30013,)
    assert [(v.source, v.destination, v.type) for v in app.volumes] == [
        ("/mnt/.ix-apps/app_mounts/jellyfin/config", "/config", "bind"),
        ("/mnt/tank/media", "/media", "bind"),
    ]
    assert not any(v.read_only for v in app.volumes)


def test_catalog_app_container_details() -> None:
    (container,) = App.from_api(jellyfin("25.10")).containers
    assert container.id.startswith("3f1c2b9e8d7a")
    assert container.short_id == "3f1c2b9e8d7a"
    assert container.service_name == "jellyfin"
    assert container.image == "jellyfin/jellyfin:10.10.7"
    assert container.state is ContainerState.RUNNING
    assert container.app_name == "jellyfin"
    assert container.ports[0].published == (30013,)
    assert [v.destination for v in container.volumes] == ["/config", "/media"]


def test_25_04_differs_only_by_the_missing_host_ips() -> None:
    newer = App.from_api(jellyfin("25.10"))
    older = App.from_api(jellyfin("25.04"))
    assert older.host_ips == ()
    assert older == dataclasses.replace(newer, host_ips=())


def test_24_10_has_no_networks_and_24_10_0_no_latest_version() -> None:
    app = App.from_api(jellyfin("24.10"))
    assert app.networks == () and app.host_ips == ()
    assert app.latest_version == "1.3.12"
    assert app.published_ports == (30013,)
    assert App.from_api(jellyfin("24.10.0")).latest_version is None


def test_24_10_loose_schema_port_strings_become_ints() -> None:
    entry = jellyfin("24.10")
    mapping = entry["active_workloads"]["used_ports"][0]
    mapping["container_port"] = "8096"
    mapping["host_ports"][0]["host_port"] = "30013"
    app = App.from_api(entry)
    assert app.ports[0].container_port == 8096
    assert app.published_ports == (30013,)


def test_multi_service_custom_app() -> None:
    app = App.from_api(custom_app())
    assert app.custom_app
    assert app.state is AppState.DEPLOYING
    assert (app.version, app.human_version, app.latest_version) == ("1.0.0", "1.0.0_custom", None)
    assert app.catalog_app == "custom-app"
    assert app.portals == {} and app.notes is None
    assert app.container_count == 2
    web, db = app.containers
    assert (web.service_name, web.state) == ("web", ContainerState.RUNNING)
    assert (db.service_name, db.state) == ("db", ContainerState.STARTING)
    assert db.ports == ()
    assert web.volumes[0].read_only
    assert db.volumes[0] == VolumeMount(
        "/mnt/.ix-apps/docker/volumes/ix-web-stack_db/_data",
        "/var/lib/postgresql/data",
        "z",
        "volume",
    )
    assert app.images == ("nginx:1.27", "postgres:16")
    assert app.published_ports == (30080,)


def test_stopped_app_has_empty_workloads() -> None:
    app = App.from_api(stopped_app())
    assert app.state is AppState.STOPPED
    assert not app.running
    assert (app.container_count, app.containers, app.ports, app.volumes, app.images) == (
        0,
        (),
        (),
        (),
        (),
    )


def test_stopping_event_fields() -> None:
    # app.stop pushes a CHANGED event with state STOPPING and empty workloads.
    fields = stopped_app("web")
    fields["state"] = "STOPPING"
    assert App.from_api(fields).state is AppState.STOPPING


def test_retrieve_config_keeps_the_compose_dict() -> None:
    entry = custom_app()
    entry["config"] = {"services": {"web": {"image": "nginx:1.27"}}}
    entry["version_details"] = None
    app = App.from_api(entry)
    assert app.config == {"services": {"web": {"image": "nginx:1.27"}}}


def test_entry_with_only_a_name_is_tolerated() -> None:
    app = App.from_api({"id": "bare"})
    assert app.name == "bare"
    assert app.state is AppState.UNKNOWN
    assert (app.containers, app.ports, app.portals, app.metadata) == ((), (), {}, {})


def test_unknown_states_are_kept_as_unknown() -> None:
    entry = jellyfin("25.10")
    entry["state"] = "HIBERNATING"
    entry["active_workloads"]["container_details"][0]["state"] = "paused"
    app = App.from_api(entry)
    assert app.state is AppState.UNKNOWN
    assert app.containers[0].state is ContainerState.UNKNOWN


def test_states_compare_equal_to_their_wire_strings() -> None:
    assert AppState.RUNNING == "RUNNING"
    assert ContainerState("starting") is ContainerState.STARTING


@pytest.mark.parametrize("entry", [None, [], "jellyfin", {"state": "RUNNING"}])
def test_malformed_entries_raise_a_typed_error(entry: object) -> None:
    with pytest.raises(TrueNASError) as info:
        App.from_api(entry)  # type: ignore[arg-type]
    assert info.value.hint


def test_to_dict_is_plain_json() -> None:
    data = App.from_api(jellyfin("25.10")).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["state"] == "RUNNING"
    assert data["ports"] == [
        {
            "container_port": 8096,
            "protocol": "tcp",
            "host_ports": [
                {"host_port": 30013, "host_ip": "0.0.0.0"},
                {"host_port": 30013, "host_ip": "::"},
            ],
        }
    ]
    assert data["containers"][0]["state"] == "running"
    assert data["containers"][0]["app_name"] == "jellyfin"
    assert data["host_ips"] == ["0.0.0.0", "::"]


def test_reprs_are_short_and_useful() -> None:
    app = App.from_api(custom_app())
    assert repr(app) == (
        "App('web-stack', state=DEPLOYING, version='1.0.0_custom', containers=2, ports=[30080])"
    )
    web, db = app.containers
    assert repr(db) == "Container('web-stack/db', state='starting', image='postgres:16')"
    assert repr(web.ports[0]) == "PortMapping('30080->80/tcp')"
    assert (
        repr(web.volumes[0]) == "VolumeMount('/mnt/tank/web/conf' -> '/etc/nginx/conf.d', bind, ro)"
    )
    assert repr(HostBinding(30013, "::")) == "HostBinding('[::]:30013')"
    assert repr(PortMapping(53, "udp")) == "PortMapping('53/udp')"


def test_container_parsed_alone() -> None:
    detail = jellyfin("25.10")["active_workloads"]["container_details"][0]
    container = Container.from_api(detail)
    assert container.app_name is None
    assert repr(container).startswith("Container('jellyfin'")
