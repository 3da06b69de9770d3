"""``app.query`` entries: state derivation and ``active_workloads`` per TrueNAS version.

Entries are built once per app change and cached by the model (``SandboxModel.entry``); query
options that depend on the caller (``host_ip``, ``retrieve_config``, ``include_app_schema``)
are applied on a shallow copy by :func:`present`, so 1,000 apps cost one dict copy each.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

from scale_pilot_nb.sandbox import catalog
from scale_pilot_nb.sandbox.contract import version_at_least
from scale_pilot_nb.sandbox.state import App, SandboxModel
from scale_pilot_nb.sandbox.workloads import ALL_IPV4, used_ports

COMPOSE_VERSION = "2.32.4"


def app_state(app: App) -> str:
    """App state from container states, exactly as ``ix_apps/query.py`` derives it."""
    states = {c.state for c in app.containers}
    if "crashed" in states:
        return "CRASHED"
    if states & {"created", "starting"}:
        return "DEPLOYING"
    if "running" in states:
        return "RUNNING"
    return "STOPPED"


def empty_workloads(version: str) -> dict[str, Any]:
    """``active_workloads`` of a stopped app."""
    workloads: dict[str, Any] = {
        "containers": 0,
        "used_ports": [],
        "container_details": [],
        "volumes": [],
        "images": [],
    }
    if version_at_least(version, "25.04"):
        workloads["networks"] = []
    if version_at_least(version, "25.10"):
        workloads["used_host_ips"] = []
    return workloads


def _mount(source: str, destination: str, mode: str, kind: str) -> dict[str, str]:
    return {"source": source, "destination": destination, "mode": mode, "type": kind}


def _network(app: App) -> dict[str, Any]:
    name = f"ix-{app.name}_default"
    created = datetime.fromtimestamp(app.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.000000000Z")
    subnet = app.index % 250 + 1
    return {
        "Name": name,
        "Id": hashlib.sha256(name.encode()).hexdigest(),
        "Created": created,
        "Scope": "local",
        "Driver": "bridge",
        "EnableIPv6": True,
        "IPAM": {
            "Driver": "default",
            "Options": None,
            "Config": [
                {"Subnet": f"172.16.{subnet}.0/24", "Gateway": f"172.16.{subnet}.1"},
                {"Subnet": f"fdd0:0:0:{subnet:x}::/64", "Gateway": f"fdd0:0:0:{subnet:x}::1"},
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
            "com.docker.compose.project": f"ix-{app.name}",
            "com.docker.compose.version": COMPOSE_VERSION,
        },
    }


def active_workloads(model: SandboxModel, app: App, state: str) -> dict[str, Any]:
    """``active_workloads`` for ``app`` (all empty when STOPPED)."""
    workloads = empty_workloads(model.version)
    if state == "STOPPED":
        return workloads
    details, volumes, images, bindings = [], [], [], []
    for container in app.containers:
        mounts = [_mount(*m) for m in container.mounts]
        details.append(
            {
                "id": container.id,
                "service_name": container.service,
                "image": container.image,
                "port_config": used_ports(container.ports),
                "state": container.state,
                "volume_mounts": mounts,
            }
        )
        volumes += [m for m in mounts if m not in volumes]
        if container.image not in images:
            images.append(container.image)
        bindings += container.ports
    workloads.update(
        containers=len(app.containers),
        used_ports=used_ports(bindings),
        container_details=details,
        volumes=volumes,
        images=images,
    )
    if "networks" in workloads:
        workloads["networks"] = [_network(app)]
    if "used_host_ips" in workloads:
        workloads["used_host_ips"] = list(dict.fromkeys(b.host_ip for b in bindings if b.host_ip))
    return workloads


def _catalog_fields(model: SandboxModel, app: App) -> dict[str, Any]:
    entry = catalog.CATALOG.get(app.catalog_app or "")
    if app.custom_app or entry is None:
        return {
            "latest_version": None,
            "human_version": catalog.CUSTOM_HUMAN_VERSION,
            "version": catalog.CUSTOM_VERSION,
            "metadata": copy.deepcopy(catalog.CUSTOM_METADATA),
        }
    return {
        "latest_version": entry.latest_version,
        "human_version": catalog.human_version(entry.app_version(app.version) or "", app.version),
        "version": app.version,
        "metadata": catalog.metadata(entry, app.version),
    }


def catalog_upgrade_available(app: App) -> bool:
    """A newer chart version exists in the app's catalog entry."""
    entry = catalog.CATALOG.get(app.catalog_app or "")
    if app.custom_app or entry is None:
        return False
    return catalog.version_key(app.version) < catalog.version_key(entry.latest_version)


def image_only_upgrades(model: SandboxModel, app: App) -> bool:
    """Apps upgraded by pulling images: custom apps, and (25.10) the catalog ``ix-app``."""
    return app.custom_app or (
        app.catalog_app == catalog.IX_APP and version_at_least(model.version, "25.10")
    )


def build_entry(model: SandboxModel, app: App) -> dict[str, Any]:
    """The full ``app.query`` entry of ``app`` (without ``config``/``version_details``)."""
    state = app_state(app)
    workloads = active_workloads(model, app, state)
    image_updates = any(model.update_available(image) for image in workloads["images"])
    upgrade = catalog_upgrade_available(app) or (image_updates and image_only_upgrades(model, app))
    entry: dict[str, Any] = {
        "name": app.name,
        "id": app.name,
        "state": state,
        "upgrade_available": upgrade,
        **_catalog_fields(model, app),
        "image_updates_available": image_updates,
        "custom_app": app.custom_app,
        "migrated": app.migrated,
        "active_workloads": workloads,
        "notes": app.notes,
        "portals": dict(app.portals),
    }
    order = ("name", "id", "state", "upgrade_available", "latest_version")
    return {key: entry[key] for key in order} | entry


def version_details(model: SandboxModel, app: App) -> dict[str, Any]:
    """What ``include_app_schema`` adds (the schema's question list is not simulated)."""
    fields = _catalog_fields(model, app)
    return {
        "healthy": True,
        "supported": True,
        "healthy_error": None,
        "location": f"/mnt/.ix-apps/app_configs/{app.name}/versions/{fields['version']}",
        "last_update": None,
        "required_features": [],
        "human_version": fields["human_version"],
        "version": fields["version"],
        "app_metadata": fields["metadata"],
        "schema": {"groups": [], "questions": []},
        "readme": None,
        "changelog": None,
        "values": {},
    }


def present(
    model: SandboxModel,
    app: App,
    extra: dict[str, Any],
    *,
    full: bool = False,
) -> dict[str, Any]:
    """The entry as returned to a caller.

    Args:
        model: the NAS.
        app: the app.
        extra: ``options.extra`` (``host_ip``, ``retrieve_config``, ``include_app_schema``).
        full: a full ``AppEntry`` result (``app.get_instance``, job results): on 25.04+ it
            carries ``config``/``version_details`` as ``null`` when not requested.
    """
    entry = dict(model.entry(app))
    host_ip = extra.get("host_ip") or "127.0.0.1"
    if ":" in host_ip and not host_ip.startswith("[") and version_at_least(model.version, "25.04"):
        host_ip = f"[{host_ip}]"
    if entry["portals"]:
        entry["portals"] = {
            name: url.replace(ALL_IPV4, host_ip) for name, url in entry["portals"].items()
        }
    explicit = full and version_at_least(model.version, "25.04")
    if extra.get("include_app_schema"):
        entry["version_details"] = version_details(model, app)
    elif explicit:
        entry["version_details"] = None
    if extra.get("retrieve_config"):
        entry["config"] = copy.deepcopy(app.config)
    elif explicit:
        entry["config"] = None
    return entry
