"""DataFrames of the app inventory, built straight from ``app.query`` entries.

One pass over the raw entries into column lists, then one ``DataFrame`` constructor: no
per-app records or per-row appends, so 1,000 apps cost about what ``json_normalize`` does.
Column order and dtypes are fixed, and an empty inventory gives an empty frame with the same
columns, so code written against a frame never breaks on a fresh NAS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = ["APP_COLUMNS", "APP_STATES", "CONTAINER_COLUMNS", "apps_frame", "containers_frame"]

#: App states in the order a reader cares about them (ordered categorical).
APP_STATES = ["RUNNING", "DEPLOYING", "STOPPING", "STOPPED", "CRASHED"]

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

_CONTAINER_STATES = ["running", "starting", "created", "exited", "crashed"]


def apps_frame(entries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per app, indexed 0..n-1, columns as :data:`APP_COLUMNS`."""
    columns: dict[str, list[Any]] = {name: [] for name in APP_COLUMNS}
    for entry in entries:
        workloads = entry.get("active_workloads") or {}
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
    frame = pd.DataFrame(columns)
    return _typed(frame, APP_COLUMNS, {"state": APP_STATES})


def containers_frame(entries: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per container of every app, columns as :data:`CONTAINER_COLUMNS`."""
    columns: dict[str, list[Any]] = {name: [] for name in CONTAINER_COLUMNS}
    for entry in entries:
        workloads = entry.get("active_workloads") or {}
        for container in workloads.get("container_details") or []:
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
    frame = pd.DataFrame(columns)
    return _typed(frame, CONTAINER_COLUMNS, {"state": _CONTAINER_STATES})


def _published(ports: Iterable[Mapping[str, Any]]) -> list[str]:
    """``["8080:80/tcp", …]``, one per distinct host port (IPv4/IPv6 duplicates folded)."""
    seen: dict[str, None] = {}
    for port in ports:
        for binding in port.get("host_ports") or []:
            target = f"{port.get('container_port')}/{port.get('protocol', 'tcp')}"
            seen[f"{binding.get('host_port')}:{target}"] = None
    return list(seen)


def _typed(
    frame: pd.DataFrame, dtypes: Mapping[str, str], categories: Mapping[str, list[str]]
) -> pd.DataFrame:
    for column, dtype in dtypes.items():
        if column in categories:
            frame[column] = pd.Categorical(
                frame[column], categories=categories[column], ordered=True
            )
        else:
            frame[column] = frame[column].astype(dtype)  # type: ignore[call-overload]
    return frame
