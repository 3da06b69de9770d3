"""DataFrames of the NAS inventory, built straight from the middleware's answers.

One pass over the raw entries into column lists, then one ``DataFrame`` constructor: no
per-app records or per-row appends, so 1,000 apps cost about what ``json_normalize`` does.
Column order and dtypes are fixed (the ``*_COLUMNS`` mappings below), and an empty inventory
gives an empty frame with the same columns and dtypes, so code written against a frame never
breaks on a fresh NAS.

Frames and their columns (``Pilot`` method → builder):

``apps()`` → :func:`apps_frame`, one row per app
    name, state (ordered: RUNNING < DEPLOYING < STOPPING < STOPPED < CRASHED), custom_app,
    version, human_version, upgrade_available, image_updates_available, containers (any state),
    running_containers, images (list of refs), published_ports (``["8080:80/tcp", …]``),
    portals (name → URL), has_notes.
``containers()`` → :func:`containers_frame`, one row per container
    app, service, container_id, image, state (ordered: running < starting < created < exited
    < crashed), ports (as in apps), mounts (``["source:destination", …]``).
``ports()`` → :func:`ports_frame`, one row per host binding
    app, service, host_ip, host_port (int), container_port (int), protocol (tcp/udp). Docker
    binds a port on IPv4 and IPv6 separately, so ``0.0.0.0`` and ``::`` give two rows; use
    ``drop_duplicates(["app", "host_port", "protocol"])`` for a port map.
``images()`` → :func:`images_frame`, one row per image
    repo_tags (list), id, size (bytes, nullable int), created (UTC datetime), dangling,
    update_available, used_by (names of apps whose workloads use one of its tags).
``volumes()`` → :func:`volumes_frame`, one row per mount of an app
    app, source, destination, type (``bind``/``volume``), kind (``ix-volume`` under
    /mnt/.ix-apps, ``pool`` under /mnt/<pool>, ``system`` elsewhere on the boot pool,
    ``docker-volume`` for named volumes), read_only.
``sync_plan(DIR).to_frame()`` → :func:`sync_frame`, one row per stack or orphan
    app, action (create/update/noop/orphan/invalid), source (the stack file; NA for an
    orphan), recreates_containers, services_added, services_removed, services_changed
    (lists), warnings (count), errors (list of messages).
``stats(samples=N)`` → :func:`stats_frame`, one row per app per sample, indexed by ``time``
    (UTC, when the sample arrived): app, cpu_percent (of the whole host), memory_bytes,
    rx_bytes_per_s, tx_bytes_per_s (summed over interfaces, averaged over the interval),
    blkio_read_bytes, blkio_write_bytes (cumulative since the containers started).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Final, get_args

import pandas as pd

from scale_pilot_nb.compose.paths import HostPathKind, classify_host_path
from scale_pilot_nb.manager.sync import SyncAction, SyncPlan
from scale_pilot_nb.records import Image

__all__ = [
    "APP_COLUMNS",
    "APP_STATES",
    "CONTAINER_COLUMNS",
    "CONTAINER_STATES",
    "IMAGE_COLUMNS",
    "PORT_COLUMNS",
    "STATS_COLUMNS",
    "SYNC_ACTIONS",
    "SYNC_COLUMNS",
    "VOLUME_COLUMNS",
    "VOLUME_KINDS",
    "apps_frame",
    "containers_frame",
    "images_frame",
    "ports_frame",
    "stats_frame",
    "sync_frame",
    "volumes_frame",
]

#: App states in the order a reader cares about them (ordered categorical).
APP_STATES = ["RUNNING", "DEPLOYING", "STOPPING", "STOPPED", "CRASHED"]

#: Container states, healthiest first (ordered categorical).
CONTAINER_STATES = ["running", "starting", "created", "exited", "crashed"]

#: What a mount's source is (categorical ``kind`` of :func:`volumes_frame`).
VOLUME_KINDS = ["ix-volume", "pool", "system", "docker-volume"]

_PROTOCOLS = ["tcp", "udp"]
_UTC: Final = "datetime64[ns, UTC]"

#: ``apps_frame`` columns and their dtypes.
APP_COLUMNS: dict[str, str] = {
    "name": "string",
    "state": "category",
    "custom_app": "bool",
    "version": "string",
    "human_version": "string",
    "upgrade_available": "bool",
    "image_updates_available": "bool",
    "containers": "int64",
    "running_containers": "int64",
    "images": "object",
    "published_ports": "object",
    "portals": "object",
    "has_notes": "bool",
}

#: ``containers_frame`` columns and their dtypes.
CONTAINER_COLUMNS: dict[str, str] = {
    "app": "string",
    "service": "string",
    "container_id": "string",
    "image": "string",
    "state": "category",
    "ports": "object",
    "mounts": "object",
}

#: ``ports_frame`` columns and their dtypes.
PORT_COLUMNS: dict[str, str] = {
    "app": "string",
    "service": "string",
    "host_ip": "string",
    "host_port": "int64",
    "container_port": "int64",
    "protocol": "category",
}

#: ``images_frame`` columns and their dtypes.
IMAGE_COLUMNS: dict[str, str] = {
    "repo_tags": "object",
    "id": "string",
    "size": "Int64",
    "created": _UTC,
    "dangling": "bool",
    "update_available": "bool",
    "used_by": "object",
}

#: ``volumes_frame`` columns and their dtypes.
VOLUME_COLUMNS: dict[str, str] = {
    "app": "string",
    "source": "string",
    "destination": "string",
    "type": "string",
    "kind": "category",
    "read_only": "bool",
}

#: ``stats_frame`` columns and their dtypes (the index is ``time``, UTC).
STATS_COLUMNS: dict[str, str] = {
    "app": "string",
    "cpu_percent": "float64",
    "memory_bytes": "int64",
    "rx_bytes_per_s": "float64",
    "tx_bytes_per_s": "float64",
    "blkio_read_bytes": "int64",
    "blkio_write_bytes": "int64",
}

#: What a sync does to an app (categorical ``action`` of :func:`sync_frame`).
SYNC_ACTIONS = list(get_args(SyncAction))

#: ``sync_frame`` columns and their dtypes.
SYNC_COLUMNS: dict[str, str] = {
    "app": "string",
    "action": "category",
    "source": "string",
    "recreates_containers": "bool",
    "services_added": "object",
    "services_removed": "object",
    "services_changed": "object",
    "warnings": "int64",
    "errors": "object",
}


def apps_frame(entries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per app, indexed 0..n-1, columns as :data:`APP_COLUMNS`."""
    columns = _empty(APP_COLUMNS)
    for entry in entries:
        workloads = _workloads(entry)
        details = workloads.get("container_details") or []
        columns["name"].append(entry.get("name"))
        columns["state"].append(entry.get("state"))
        columns["custom_app"].append(bool(entry.get("custom_app")))
        columns["version"].append(entry.get("version"))
        columns["human_version"].append(entry.get("human_version"))
        columns["upgrade_available"].append(bool(entry.get("upgrade_available")))
        columns["image_updates_available"].append(bool(entry.get("image_updates_available")))
        columns["containers"].append(int(workloads.get("containers") or 0))
        columns["running_containers"].append(sum(1 for c in details if c.get("state") == "running"))
        columns["images"].append(list(workloads.get("images") or []))
        columns["published_ports"].append(_published(workloads.get("used_ports") or []))
        columns["portals"].append(dict(entry.get("portals") or {}))
        columns["has_notes"].append(bool(entry.get("notes")))
    return _typed(columns, APP_COLUMNS, {"state": APP_STATES})


def containers_frame(entries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per container of every app, columns as :data:`CONTAINER_COLUMNS`."""
    columns = _empty(CONTAINER_COLUMNS)
    for entry in entries:
        for container in _workloads(entry).get("container_details") or []:
            columns["app"].append(entry.get("name"))
            columns["service"].append(container.get("service_name"))
            columns["container_id"].append(container.get("id"))
            columns["image"].append(container.get("image"))
            columns["state"].append(container.get("state"))
            columns["ports"].append(_published(container.get("port_config") or []))
            columns["mounts"].append(
                [
                    f"{m.get('source')}:{m.get('destination')}"
                    for m in container.get("volume_mounts") or []
                ]
            )
    return _typed(columns, CONTAINER_COLUMNS, {"state": CONTAINER_STATES})


def ports_frame(entries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per host binding of a published container port, columns as :data:`PORT_COLUMNS`."""
    columns = _empty(PORT_COLUMNS)
    for entry in entries:
        for container in _workloads(entry).get("container_details") or []:
            for port in container.get("port_config") or []:
                for binding in port.get("host_ports") or []:
                    columns["app"].append(entry.get("name"))
                    columns["service"].append(container.get("service_name"))
                    columns["host_ip"].append(binding.get("host_ip") or "")
                    columns["host_port"].append(int(binding.get("host_port") or 0))
                    columns["container_port"].append(int(port.get("container_port") or 0))
                    columns["protocol"].append(port.get("protocol") or "tcp")
    return _typed(columns, PORT_COLUMNS, {"protocol": _PROTOCOLS}, ordered=False)


def images_frame(images: Iterable[Image], entries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per image, with the apps using it; columns as :data:`IMAGE_COLUMNS`.

    Args:
        images: the images (``app.image.query`` as records).
        entries: ``app.query`` entries, to find which apps use which tag.
    """
    users: dict[str, list[str]] = {}
    for entry in entries:
        for reference in dict.fromkeys(_workloads(entry).get("images") or []):
            users.setdefault(reference, []).append(str(entry.get("name")))
    columns = _empty(IMAGE_COLUMNS)
    for image in images:
        columns["repo_tags"].append(list(image.repo_tags))
        columns["id"].append(image.id)
        columns["size"].append(image.size)
        columns["created"].append(image.created)
        columns["dangling"].append(image.dangling)
        columns["update_available"].append(image.update_available)
        apps = (app for tag in image.repo_tags for app in users.get(tag, ()))
        columns["used_by"].append(sorted(set(apps)))
    return _typed(columns, IMAGE_COLUMNS, {})


def volumes_frame(entries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per mount of every app (TrueNAS's deduplicated list), as :data:`VOLUME_COLUMNS`."""
    columns = _empty(VOLUME_COLUMNS)
    for entry in entries:
        for mount in _workloads(entry).get("volumes") or []:
            source, kind = str(mount.get("source") or ""), str(mount.get("type") or "bind")
            columns["app"].append(entry.get("name"))
            columns["source"].append(source)
            columns["destination"].append(mount.get("destination"))
            columns["type"].append(kind)
            columns["kind"].append(_volume_kind(source, kind))
            columns["read_only"].append("ro" in str(mount.get("mode") or "").split(","))
    return _typed(columns, VOLUME_COLUMNS, {"kind": VOLUME_KINDS}, ordered=False)


def stats_frame(samples: Iterable[tuple[dt.datetime, Iterable[Mapping[str, Any]]]]) -> pd.DataFrame:
    """Stack ``app.stats`` samples into one frame indexed by ``time``; see :data:`STATS_COLUMNS`.

    Args:
        samples: ``(time received, items)`` pairs; each item is one app's ``app.stats`` entry.
    """
    times: list[dt.datetime] = []
    columns = _empty(STATS_COLUMNS)
    for received, items in samples:
        for item in items:
            networks = item.get("networks") or []
            blkio = item.get("blkio") or {}
            times.append(received)
            columns["app"].append(item.get("app_name"))
            columns["cpu_percent"].append(float(item.get("cpu_usage") or 0))
            columns["memory_bytes"].append(int(item.get("memory") or 0))
            columns["rx_bytes_per_s"].append(float(sum(n.get("rx_bytes") or 0 for n in networks)))
            columns["tx_bytes_per_s"].append(float(sum(n.get("tx_bytes") or 0 for n in networks)))
            columns["blkio_read_bytes"].append(int(blkio.get("read") or 0))
            columns["blkio_write_bytes"].append(int(blkio.get("write") or 0))
    frame = _typed(columns, STATS_COLUMNS, {})
    frame.index = pd.DatetimeIndex(pd.to_datetime(times, utc=True), name="time").astype(_UTC)
    return frame


def sync_frame(plan: SyncPlan) -> pd.DataFrame:
    """One row per entry of a sync plan, in name order; columns as :data:`SYNC_COLUMNS`."""
    columns = _empty(SYNC_COLUMNS)
    for entry in plan.entries:
        part = entry.plan
        columns["app"].append(entry.name)
        columns["action"].append(entry.action)
        columns["source"].append(None if entry.source is None else str(entry.source))
        columns["recreates_containers"].append(bool(part and part.recreates_containers))
        columns["services_added"].append(list(part.services_added) if part else [])
        columns["services_removed"].append(list(part.services_removed) if part else [])
        columns["services_changed"].append(list(part.services_changed) if part else [])
        columns["warnings"].append(len(entry.warnings))
        columns["errors"].append(entry.errors)
    return _typed(columns, SYNC_COLUMNS, {"action": SYNC_ACTIONS}, ordered=False)


def _workloads(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    workloads = entry.get("active_workloads")
    return workloads if isinstance(workloads, Mapping) else {}


def _published(ports: Iterable[Mapping[str, Any]]) -> list[str]:
    """``["8080:80/tcp", …]``, one per distinct host port (IPv4/IPv6 duplicates folded)."""
    seen: dict[str, None] = {}
    for port in ports:
        for binding in port.get("host_ports") or []:
            target = f"{port.get('container_port')}/{port.get('protocol', 'tcp')}"
            seen[f"{binding.get('host_port')}:{target}"] = None
    return list(seen)


def _volume_kind(source: str, mount_type: str) -> str:
    """Where a mount's data lives (see :data:`VOLUME_KINDS`); judged like compose validation."""
    if mount_type != "bind":
        return "docker-volume"
    kind, _ = classify_host_path(source)
    if kind is HostPathKind.IX_APPS:
        return "ix-volume"
    if kind in (HostPathKind.POOL, HostPathKind.POOL_ROOT):
        return "pool"
    return "system"


def _empty(dtypes: Mapping[str, str]) -> dict[str, list[Any]]:
    return {name: [] for name in dtypes}


def _typed(
    columns: Mapping[str, list[Any]],
    dtypes: Mapping[str, str],
    categories: Mapping[str, list[str]],
    *,
    ordered: bool = True,
) -> pd.DataFrame:
    """One frame from the column lists, every column built in its declared dtype.

    Each column is typed before the frame exists, so construction is one step: casting
    column by column afterwards cost ~1.5 ms per frame, most of a 10-app inventory.
    """
    typed: dict[str, Any] = {}
    for column, dtype in dtypes.items():
        values = columns[column]
        if column in categories:
            typed[column] = pd.Categorical(values, categories=categories[column], ordered=ordered)
        elif dtype == _UTC:
            typed[column] = pd.to_datetime(values, utc=True).astype(_UTC)
        elif dtype == "object":  # lists and dicts stay Python objects, one per row
            typed[column] = pd.Series(values, dtype=object)
        else:
            typed[column] = pd.array(values, dtype=dtype)  # type: ignore[call-overload]
    return pd.DataFrame(typed)
