"""DataFrames for day-2 operations: revision history, updates, backups and log lines.

Like ``tables``: fixed columns and dtypes, and an empty input gives an empty frame with the
same columns, so code written against a frame never breaks on a fresh NAS or an empty history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from scale_pilot_nb.manager.history import Revision
from scale_pilot_nb.manager.logs import LogLine

__all__ = [
    "BACKUP_COLUMNS",
    "FLEET_STATUS_COLUMNS",
    "HISTORY_COLUMNS",
    "LOG_COLUMNS",
    "UPDATE_COLUMNS",
    "backups_frame",
    "fleet_status_frame",
    "history_frame",
    "logs_frame",
    "updates_frame",
    "with_host",
]

HISTORY_COLUMNS: dict[str, str] = {
    "app": "string",
    "revision": "int64",
    "recorded_at": "datetime64[ns, UTC]",
    "action": "string",
    "actor": "string",
    "tool": "string",
    "nas_host": "string",
    "existed": "bool",
    "images": "object",
    "redacted": "object",
}

UPDATE_COLUMNS: dict[str, str] = {
    "app": "string",
    "state": "string",
    "custom_app": "bool",
    "image": "string",
    "digest": "string",
    "image_update": "bool",
    "catalog_upgrade": "bool",
    "version": "string",
    "target_version": "string",
}

BACKUP_COLUMNS: dict[str, str] = {
    "name": "string",
    "created_on": "string",
    "app_count": "int64",
    "apps": "object",
    "snapshot_name": "string",
    "backup_path": "string",
}

FLEET_STATUS_COLUMNS: dict[str, str] = {
    "host": "string",
    "connected": "bool",
    "version": "string",
    "apps": "Int64",
    "running": "Int64",
    "error": "string",
}

LOG_COLUMNS: dict[str, str] = {
    "timestamp": "datetime64[ns, UTC]",
    "service": "string",
    "line": "string",
}


def _frame(columns: Mapping[str, list[Any]], dtypes: Mapping[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame({name: columns[name] for name in dtypes})
    return frame.astype(dict(dtypes))


def _rows_frame(rows: Iterable[Mapping[str, Any]], dtypes: Mapping[str, str]) -> pd.DataFrame:
    """A frame of plain dict rows: one column per ``dtypes`` key (missing keys: None)."""
    columns: dict[str, list[Any]] = {name: [] for name in dtypes}
    for row in rows:
        for name in dtypes:
            columns[name].append(row.get(name))
    return _frame(columns, dtypes)


def history_frame(revisions: Iterable[Revision]) -> pd.DataFrame:
    """One row per revision, oldest first; ``images`` lists ``tag@digest`` as recorded."""
    columns: dict[str, list[Any]] = {name: [] for name in HISTORY_COLUMNS}
    for rev in revisions:
        columns["app"].append(rev.app)
        columns["revision"].append(rev.revision)
        columns["recorded_at"].append(pd.Timestamp(rev.recorded_at, unit="s", tz="UTC"))
        columns["action"].append(rev.action)
        columns["actor"].append(rev.actor)
        columns["tool"].append(rev.tool)
        columns["nas_host"].append(rev.nas_host)
        columns["existed"].append(rev.config is not None)
        columns["images"].append([f"{tag}@{d}" for tag, d in sorted(rev.digests.items())])
        columns["redacted"].append(list(rev.redacted))
    return _frame(columns, HISTORY_COLUMNS)


def updates_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per app image (see ``TrueNASDockerManager.updates``)."""
    return _rows_frame(rows, UPDATE_COLUMNS)


def backups_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per backup (see ``TrueNASDockerManager.backups``)."""
    return _rows_frame(rows, BACKUP_COLUMNS)


def logs_frame(lines: Iterable[LogLine]) -> pd.DataFrame:
    """Log lines of several services interleaved in timestamp order (stable for ties)."""
    stamps: list[Any] = []
    services: list[str] = []
    texts: list[str] = []
    for line in lines:
        stamps.append(line.timestamp)
        services.append(line.service)
        texts.append(line.data)
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(
                pd.Series(stamps, dtype="object"), utc=True, errors="coerce"
            ),
            "service": services,
            "line": texts,
        }
    ).astype(LOG_COLUMNS)
    return frame.sort_values("timestamp", kind="stable", ignore_index=True)


def fleet_status_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per fleet host (see ``Fleet.status``)."""
    return _rows_frame(rows, FLEET_STATUS_COLUMNS)


def with_host(frames: Mapping[str, pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    """The frames of several hosts, one after the other, with a leading ``host`` column.

    ``empty`` (the frame of no rows) gives the columns when no host answered.
    """
    parts = []
    for host, frame in frames.items():
        frame = frame.copy()
        frame.insert(0, "host", pd.Series([host] * len(frame), dtype="string"))
        parts.append(frame)
    if not parts:
        result = empty.copy()
        result.insert(0, "host", pd.Series(dtype="string"))
        return result
    return pd.concat(parts, ignore_index=True)
