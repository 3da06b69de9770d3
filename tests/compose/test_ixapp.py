"""One normalised service → ix-app values (truenas-apps-api.md §5.2)."""

from __future__ import annotations

from typing import Any

from scale_pilot_nb.compose.ixapp import IX_APP_DEFAULTS, canonical_values, service_values
from scale_pilot_nb.compose.model import YamlPath

GIB = 1024**3


def values(service: dict[str, Any], compose: dict[str, Any] | None = None) -> tuple[dict, list]:
    notes: list[tuple[YamlPath, str]] = []

    def note(path: YamlPath, message: str, *, rule: str = "", hint: str = "") -> None:
        notes.append((path, message))

    compose = {"services": {"app": service}, **(compose or {})}
    return service_values(compose, "app", service, note), notes


def test_defaults_for_a_bare_image() -> None:
    result, notes = values({"image": "ghcr.io/org/app"})
    assert result["image"] == {
        "repository": "ghcr.io/org/app",
        "tag": "latest",
        "pull_policy": "missing",
    }
    assert {k: v for k, v in result.items() if k != "image"} == {
        k: v for k, v in IX_APP_DEFAULTS.items() if k != "image"
    }
    assert notes == []


def test_full_mapping() -> None:
    service = {
        "image": "traefik/whoami:v1.10@sha256:" + "b" * 64,
        "pull_policy": "always",
        "hostname": "who",
        "entrypoint": ["/whoami"],
        "command": "--port 8080 --name 'a b'",
        "environment": {"TZ": "Europe/Berlin", "A": "1", "EMPTY": None},
        "restart": "on-failure:3",
        "healthcheck": {"test": ["NONE"]},
        "tty": True,
        "stdin_open": True,
        "devices": ["/dev/dri:/dev/dri", {"source": "/dev/ttyUSB0", "target": "/dev/zigbee"}],
        "privileged": True,
        "cap_add": ["NET_ADMIN"],
        "user": "1000:1001",
        "ports": [
            {"target": 8080, "published": "30080", "protocol": "tcp", "host_ip": "10.0.0.2"},
            {"target": 53, "published": "53", "protocol": "udp"},
            {"target": 9000, "protocol": "tcp"},
        ],
        "expose": ["7000/udp"],
        "networks": {"proxy": {"aliases": ["who"]}},
        "dns": ["9.9.9.9"],
        "dns_search": ["lan"],
        "volumes": [
            {"type": "volume", "source": "data", "target": "/data"},
            {"type": "bind", "source": "/mnt/tank/a/../media", "target": "/m", "read_only": True},
            {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": 64 * 1024 * 1024}},
        ],
        "tmpfs": ["/run:size=16m,mode=1777"],
        "labels": {"com.example.x": "1"},
        "deploy": {"resources": {"limits": {"cpus": "1.5", "memory": 2 * GIB}}},
    }
    compose = {
        "networks": {"proxy": {"external": True, "name": "traefik"}},
        "x-notes": "Hello",
        "x-portals": [{"name": "UI", "scheme": "https", "host": "0.0.0.0", "port": 30080}],
    }
    result, notes = values(service, compose)
    assert result["image"]["tag"] == "v1.10@sha256:" + "b" * 64
    assert result["image"]["pull_policy"] == "always"
    assert result["command"] == ["--port", "8080", "--name", "a b"]
    assert result["TZ"] == "Europe/Berlin"
    assert result["envs"] == [{"name": "A", "value": "1"}, {"name": "EMPTY", "value": ""}]
    assert (result["restart_policy"], result["max_retry_count"]) == ("on-failure", 3)
    assert result["disable_builtin_healthcheck"] is True
    assert result["tty"] is True and result["stdin"] is True and result["privileged"] is True
    assert result["devices"] == [
        {"host_device": "/dev/dri", "container_device": "/dev/dri"},
        {"host_device": "/dev/ttyUSB0", "container_device": "/dev/zigbee"},
    ]
    assert result["capabilities"] == {"add": ["NET_ADMIN"]}
    assert result["run_as_custom_user"] is True
    assert result["run_as"] == {"user": 1000, "group": 1001}
    assert result["ports"] == [
        {
            "bind_mode": "published",
            "port_number": 30080,
            "container_port": 8080,
            "protocol": "tcp",
            "host_ips": ["10.0.0.2"],
        },
        {
            "bind_mode": "published",
            "port_number": 53,
            "container_port": 53,
            "protocol": "udp",
            "host_ips": [],
        },
        {
            "bind_mode": "exposed",
            "port_number": 9000,
            "container_port": 9000,
            "protocol": "tcp",
            "host_ips": [],
        },
        {
            "bind_mode": "exposed",
            "port_number": 7000,
            "container_port": 7000,
            "protocol": "udp",
            "host_ips": [],
        },
    ]
    assert result["networks"] == [{"name": "traefik", "config": {"aliases": ["who"]}}]
    assert result["dns_config"] == {"nameservers": ["9.9.9.9"], "searches": ["lan"], "options": []}
    assert result["storage"] == [
        {
            "type": "ix_volume",
            "read_only": False,
            "mount_path": "/data",
            "ix_volume_config": {"acl_enable": False, "dataset_name": "data"},
        },
        {
            "type": "host_path",
            "read_only": True,
            "mount_path": "/m",
            "host_path_config": {"acl_enable": False, "path": "/mnt/tank/media"},
        },
        {"type": "tmpfs", "read_only": False, "mount_path": "/tmp", "tmpfs_config": {"size": 64}},
        {"type": "tmpfs", "read_only": False, "mount_path": "/run", "tmpfs_config": {"size": 16}},
    ]
    assert result["labels"] == [{"key": "com.example.x", "value": "1"}]
    assert result["resources"]["enable_resource_limits"] is True
    assert result["resources"]["limits"] == {"cpus": 2, "memory": 2048}
    assert result["notes"] == "Hello"
    assert result["portals"] == [
        {
            "name": "UI",
            "scheme": "https",
            "use_node_ip": True,
            "host": "",
            "port": 30080,
            "path": "/",
        }
    ]
    assert [m for _, m in notes] == ["ix-app takes whole CPUs: the limit 1.5 becomes 2"]


def test_portals_without_a_usable_port_are_left_out_not_a_crash() -> None:
    portals = [
        {"name": "Bad", "port": "abc"},
        {"name": "Worse", "port": [1]},
        5,
        {"name": "Text", "port": "8080"},
        {"name": "Default"},
    ]
    result, _ = values({"image": "x:1"}, {"x-portals": portals})
    assert [(p["name"], p["port"]) for p in result["portals"]] == [
        ("Text", 8080),
        ("Default", 15000),
    ]


def test_ports_ix_app_cannot_carry_are_left_out() -> None:
    result, _ = values(
        {
            "image": "x:1",
            "ports": [{"target": 9, "published": "9", "protocol": "sctp"}],
            "expose": ["7100-7102", "7200/sctp", "7300"],
        }
    )
    assert [(p["port_number"], p["protocol"]) for p in result["ports"]] == [(7300, "tcp")]


def test_tmpfs_sizes_written_with_units_are_kept_and_unreadable_ones_noted() -> None:
    result, notes = values(
        {
            "image": "x:1",
            "volumes": [{"type": "tmpfs", "target": "/cache", "tmpfs": {"size": "1g"}}],
            "tmpfs": ["/run:size=lots", "/tmp"],
        }
    )
    assert [s["tmpfs_config"]["size"] for s in result["storage"]] == [1024, 500, 500]
    assert notes == [
        (
            ("services", "app", "tmpfs", 0),
            "tmpfs size 'lots' is not a size; ix-app's default 500 MiB is used",
        )
    ]


def test_host_network_drops_ports_and_user_without_group_is_noted() -> None:
    result, notes = values(
        {
            "image": "x:1",
            "network_mode": "host",
            "user": "1000",
            "ports": [{"target": 80, "published": "80"}],
            "deploy": {"resources": {"limits": {"memory": GIB}}},
        }
    )
    assert result["host_network"] is True and result["ports"] == []
    assert result["run_as"] == {"user": 1000, "group": 1000}
    assert result["resources"]["limits"] == {"cpus": 2, "memory": 1024}
    assert [p[-1] for p, _ in notes] == ["user", "deploy"]


def test_canonical_values_fill_defaults_and_drop_nas_keys() -> None:
    live = {
        "image": {"repository": "x", "tag": "1"},
        "ix_volumes": {"data": "/mnt/.ix-apps/app_mounts/x/data"},
        "ix_context": {"app_name": "x"},
    }
    canonical = canonical_values(live)
    assert "ix_volumes" not in canonical and "ix_context" not in canonical
    assert canonical["image"] == {"repository": "x", "tag": "1", "pull_policy": "missing"}
    assert canonical["TZ"] == "Etc/UTC"


def test_host_path_outside_a_pool_is_kept_with_a_note() -> None:
    volume = {"type": "bind", "source": "/etc/localtime", "target": "/etc/localtime"}
    result, notes = values({"image": "x:1", "volumes": [volume]})
    assert result["storage"][0]["host_path_config"]["path"] == "/etc/localtime"
    assert notes == [
        (
            ("services", "app", "volumes", 0),
            "host path /etc/localtime is outside a pool; ix-app mounts it only as given",
        )
    ]
