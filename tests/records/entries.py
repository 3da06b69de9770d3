"""Entries shaped exactly like the reference examples (truenas-apps-api.md, truenas-protocol.md).

Each function returns a fresh dict, so tests may modify what they get.
"""

from __future__ import annotations

import copy
from typing import Any

_JELLYFIN_25_10: dict[str, Any] = {
    "name": "jellyfin",
    "id": "jellyfin",
    "state": "RUNNING",
    "upgrade_available": True,
    "latest_version": "1.3.12",
    "image_updates_available": False,
    "custom_app": False,
    "migrated": False,
    "human_version": "10.10.7_1.2.9",
    "version": "1.2.9",
    "metadata": {
        "annotations": {"min_scale_version": "24.10.2.2"},
        "app_version": "10.10.7",
        "capabilities": [],
        "categories": ["media"],
        "changelog_url": "https://github.com/jellyfin/jellyfin/releases",
        "date_added": "2024-07-30",
        "description": "Jellyfin is a Free Software Media System that puts you in control of "
        "managing and streaming your media.",
        "home": "https://jellyfin.org/",
        "host_mounts": [],
        "icon": "https://media.sys.truenas.net/apps/jellyfin/icons/icon.svg",
        "keywords": ["entertainment", "movies", "series", "tv", "media", "streaming"],
        "last_update": "2025-06-12 10:03:11",
        "lib_version": "2.1.35",
        "lib_version_hash": "0f3c",
        "maintainers": [
            {"email": "dev@truenas.com", "name": "truenas", "url": "https://www.truenas.com/"}
        ],
        "name": "jellyfin",
        "run_as_context": [
            {
                "description": "Container [jellyfin] can run as any non-root user and group.",
                "gid": 568,
                "group_name": "Host group is [apps]",
                "uid": 568,
                "user_name": "Host user is [apps]",
            }
        ],
        "screenshots": ["https://media.sys.truenas.net/apps/jellyfin/screenshots/screenshot1.png"],
        "sources": [
            "https://apps.truenas.com/catalog/jellyfin_community/",
            "https://hub.docker.com/r/jellyfin/jellyfin",
            "https://jellyfin.org/",
        ],
        "title": "Jellyfin",
        "train": "community",
        "version": "1.2.9",
    },
    "active_workloads": {
        "containers": 1,
        "used_ports": [
            {
                "container_port": 8096,
                "protocol": "tcp",
                "host_ports": [
                    {"host_port": 30013, "host_ip": "0.0.0.0"},
                    {"host_port": 30013, "host_ip": "::"},
                ],
            }
        ],
        "used_host_ips": ["0.0.0.0", "::"],
        "container_details": [
            {
                "id": "3f1c2b9e8d7a6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615f4e3",
                "service_name": "jellyfin",
                "image": "jellyfin/jellyfin:10.10.7",
                "port_config": [
                    {
                        "container_port": 8096,
                        "protocol": "tcp",
                        "host_ports": [
                            {"host_port": 30013, "host_ip": "0.0.0.0"},
                            {"host_port": 30013, "host_ip": "::"},
                        ],
                    }
                ],
                "state": "running",
                "volume_mounts": [
                    {
                        "source": "/mnt/.ix-apps/app_mounts/jellyfin/config",
                        "destination": "/config",
                        "mode": "",
                        "type": "bind",
                    },
                    {
                        "source": "/mnt/tank/media",
                        "destination": "/media",
                        "mode": "",
                        "type": "bind",
                    },
                ],
            }
        ],
        "volumes": [
            {
                "source": "/mnt/.ix-apps/app_mounts/jellyfin/config",
                "destination": "/config",
                "mode": "",
                "type": "bind",
            },
            {"source": "/mnt/tank/media", "destination": "/media", "mode": "", "type": "bind"},
        ],
        "images": ["jellyfin/jellyfin:10.10.7"],
        "networks": [
            {
                "Name": "ix-jellyfin_default",
                "Id": "9a8b7c6d5e4f",
                "Created": "2025-06-20T09:11:02.123456789Z",
                "Scope": "local",
                "Driver": "bridge",
                "EnableIPv6": True,
                "IPAM": {
                    "Driver": "default",
                    "Options": None,
                    "Config": [
                        {"Subnet": "172.16.1.0/24", "Gateway": "172.16.1.1"},
                        {"Subnet": "fdd0:0:0:1::/64", "Gateway": "fdd0:0:0:1::1"},
                    ],
                },
                "Internal": False,
                "Attachable": False,
                "Ingress": False,
                "ConfigFrom": {"Network": ""},
                "ConfigOnly": False,
                "Containers": {},
                "Options": {},
                "Labels": {
                    "com.docker.compose.network": "default",
                    "com.docker.compose.project": "ix-jellyfin",
                    "com.docker.compose.version": "2.32.4",
                },
            }
        ],
    },
    "notes": "# Jellyfin\n\n## Bug Reports and Feature Requests\n\nIf you find a bug in this app "
    "or have an idea for a new feature, please file an issue at\nhttps://github.com/truenas/apps\n",
    "portals": {"Web UI": "http://192.168.1.50:30013/"},
}

_CUSTOM_METADATA: dict[str, Any] = {
    "name": "custom-app",
    "train": "stable",
    "version": "1.0.0",
    "app_version": "custom",
    "title": "Custom App",
    "description": "This is a custom app where user can use his/her own docker compose file "
    "for deploying services",
    "home": "",
    "sources": [],
    "maintainers": [],
    "run_as_context": [],
    "capabilities": [],
    "host_mounts": [],
}


def jellyfin(version: str) -> dict[str, Any]:
    """The §2.4 example entry as the given release sends it.

    25.10 is the reference; 25.04 lacks ``used_host_ips``; 24.10 also lacks ``networks``;
    24.10.0 also lacks ``latest_version``.
    """
    entry = copy.deepcopy(_JELLYFIN_25_10)
    workloads = entry["active_workloads"]
    if version != "25.10":
        del workloads["used_host_ips"]
    if version.startswith("24.10"):
        del workloads["networks"]
    if version == "24.10.0":
        del entry["latest_version"]
    return entry


def custom_app(name: str = "web-stack") -> dict[str, Any]:
    """A two-service custom compose app whose database is still starting (25.04 shape)."""
    return {
        "name": name,
        "id": name,
        "state": "DEPLOYING",
        "upgrade_available": False,
        "latest_version": None,
        "image_updates_available": False,
        "custom_app": True,
        "migrated": False,
        "human_version": "1.0.0_custom",
        "version": "1.0.0",
        "metadata": copy.deepcopy(_CUSTOM_METADATA),
        "active_workloads": {
            "containers": 2,
            "used_ports": [
                {
                    "container_port": 80,
                    "protocol": "tcp",
                    "host_ports": [{"host_port": 30080, "host_ip": "0.0.0.0"}],
                }
            ],
            "container_details": [
                {
                    "id": "a1" * 32,
                    "service_name": "web",
                    "image": "nginx:1.27",
                    "port_config": [
                        {
                            "container_port": 80,
                            "protocol": "tcp",
                            "host_ports": [{"host_port": 30080, "host_ip": "0.0.0.0"}],
                        }
                    ],
                    "state": "running",
                    "volume_mounts": [
                        {
                            "source": "/mnt/tank/web/conf",
                            "destination": "/etc/nginx/conf.d",
                            "mode": "ro",
                            "type": "bind",
                        }
                    ],
                },
                {
                    "id": "b2" * 32,
                    "service_name": "db",
                    "image": "postgres:16",
                    "port_config": [],
                    "state": "starting",
                    "volume_mounts": [
                        {
                            "source": "/mnt/.ix-apps/docker/volumes/ix-web-stack_db/_data",
                            "destination": "/var/lib/postgresql/data",
                            "mode": "z",
                            "type": "volume",
                        }
                    ],
                },
            ],
            "volumes": [
                {
                    "source": "/mnt/tank/web/conf",
                    "destination": "/etc/nginx/conf.d",
                    "mode": "ro",
                    "type": "bind",
                },
                {
                    "source": "/mnt/.ix-apps/docker/volumes/ix-web-stack_db/_data",
                    "destination": "/var/lib/postgresql/data",
                    "mode": "z",
                    "type": "volume",
                },
            ],
            "images": ["nginx:1.27", "postgres:16"],
            "networks": [{"Name": "ix-web-stack_default", "Id": "1b2c", "Labels": {}}],
        },
        "notes": None,
        "portals": {},
    }


def stopped_app(name: str = "idle") -> dict[str, Any]:
    """A STOPPED custom app: TrueNAS resets its workloads to empty defaults (25.10 shape)."""
    entry = custom_app(name)
    entry["state"] = "STOPPED"
    entry["active_workloads"] = {
        "containers": 0,
        "used_ports": [],
        "used_host_ips": [],
        "container_details": [],
        "volumes": [],
        "images": [],
        "networks": [],
    }
    return entry


def job_25_10() -> dict[str, Any]:
    """The truenas-protocol.md §3.1 job object (25.10, with ``message_ids``), still waiting."""
    return {
        "id": 100,
        "message_ids": ["0c19ac8d-ef84-4bb7-b19b-91de5fbe3276"],
        "method": "pool.dataset.lock",
        "arguments": ["tank/enc"],
        "transient": False,
        "description": None,
        "abortable": False,
        "logs_path": None,
        "logs_excerpt": None,
        "progress": {"percent": 0, "description": "", "extra": None},
        "result": None,
        "result_encoding_error": None,
        "error": None,
        "exception": None,
        "exc_info": None,
        "state": "WAITING",
        "time_started": {"$date": 1750000000000},
        "time_finished": None,
        "credentials": {"type": "LOGIN_PASSWORD", "data": {"username": "root"}},
    }


def system_info(version: str) -> dict[str, Any]:
    """``system.info`` of the given release series (§6.1 example values)."""
    full = {"24.10": "TrueNAS-SCALE-24.10.2.4", "25.04": "25.04.2.6", "25.10": "25.10.6"}
    return {
        "version": full[version],
        "buildtime": {"$date": 1750000000000},
        "hostname": "truenas",
        "physmem": 68719476736,
        "model": "AMD Ryzen 7 5700G with Radeon Graphics",
        "cores": 16,
        "physical_cores": 8,
        "loadavg": [0.31, 0.42, 0.40],
        "uptime": "3 days, 4:05:06.123456",
        "uptime_seconds": 273906.12,
        "system_serial": None,
        "system_product": None,
        "system_product_version": None,
        "license": None,
        "boottime": {"$date": 1749726093000},
        "datetime": {"$date": 1750000000000},
        "timezone": "America/Los_Angeles",
        "system_manufacturer": None,
        "ecc_memory": False,
    }


def pool(version: str) -> dict[str, Any]:
    """A ``pool.query`` entry (§6.2); the dedup fields exist from 25.04 on."""
    entry: dict[str, Any] = {
        "id": 1,
        "name": "tank",
        "guid": "1234567890123456789",
        "status": "ONLINE",
        "path": "/mnt/tank",
        "scan": {"function": "SCRUB", "state": "FINISHED", "errors": 0},
        "expand": None,
        "is_upgraded": True,
        "healthy": True,
        "warning": False,
        "status_code": "OK",
        "status_detail": None,
        "size": 3985729650688,
        "allocated": 1099511627776,
        "free": 2886218022912,
        "freeing": 0,
        "fragmentation": "3",
        "size_str": "3985729650688",
        "allocated_str": "1099511627776",
        "free_str": "2886218022912",
        "freeing_str": "0",
        "autotrim": {"parsed": "off", "rawvalue": "off", "source": "DEFAULT", "value": "off"},
        "topology": {"data": [], "log": [], "cache": [], "spare": [], "special": [], "dedup": []},
    }
    if version != "24.10":
        entry.update({"dedup_table_size": 0, "dedup_table_quota": "auto"})
    return entry
