"""Backups of the whole apps dataset (``docker.backup``, TrueNAS 25.04+).

A TrueNAS backup is a ZFS snapshot of ``<pool>/ix-apps`` plus every app's stored config; a
restore replaces *all* installed apps with the backup's. 24.10 has no such methods, so every
function here first checks the version and raises :class:`UnsupportedError` there, instead of
the NAS's bare "method does not exist".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scale_pilot_nb.errors import TrueNASError, UnsupportedError
from scale_pilot_nb.manager.changes import now
from scale_pilot_nb.manager.waiting import Deadline, StagedProgress
from scale_pilot_nb.records import AppState
from scale_pilot_nb.records._base import iso_timestamp
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult
from scale_pilot_nb.records.system import SystemInfo
from scale_pilot_nb.rpc import ProgressCallback

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = ["BACKUPS_SINCE", "backup", "backup_rows", "delete_backup", "restore_backup"]

#: First release with ``docker.backup`` and friends.
BACKUPS_SINCE = (25, 4)


async def _require_backups(manager: ManagerPort) -> None:
    info = SystemInfo.from_api(await manager.client.call("system.info"))
    parts = [int(p) for p in info.version.split(".")[:2] if p.isdigit()]
    if tuple(parts) < BACKUPS_SINCE:
        raise UnsupportedError(
            f"App backups (docker.backup) are not supported on this version "
            f"(TrueNAS {info.version}); they need 25.04 or later",
            hint="Save every app's configuration with pilot.export(path) instead.",
        )


async def backup(
    manager: ManagerPort,
    name: str | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> OperationResult:
    """Back up every app (``docker.backup`` job); ``details["backup"]`` is the backup's name."""
    started_at = now()
    await _require_backups(manager)
    jobs: list[int] = []
    made = await manager.client.call_job(
        "docker.backup", name, progress=progress, on_job=jobs.append
    )
    return OperationResult(
        "backup",
        jobs=tuple(jobs),
        started_at=started_at,
        finished_at=now(),
        details={"backup": made},
    )


async def backup_rows(manager: ManagerPort) -> list[dict[str, Any]]:
    """One row per backup: name, creation time, the apps it holds, snapshot and path.

    ``created_on`` is ISO 8601 text with its UTC offset: the NAS sends a naive UTC time.
    """
    await _require_backups(manager)
    backups = await manager.client.call("docker.list_backups")
    return [
        {
            "name": item.get("name", key),
            "created_on": iso_timestamp(item.get("created_on")),
            "apps": sorted(a.get("name", "") for a in item.get("apps") or []),
            "app_count": len(item.get("apps") or []),
            "snapshot_name": item.get("snapshot_name"),
            "backup_path": item.get("backup_path"),
        }
        for key, item in sorted(backups.items())
    ]


async def restore_backup(
    manager: ManagerPort,
    name: str,
    *,
    wait: bool,
    timeout: float | None,
    progress: ProgressCallback | None,
) -> OperationResult:
    """Replace every installed app with backup ``name``'s (``docker.restore_backup`` job).

    TrueNAS redeploys the apps that were RUNNING when the backup was made; with ``wait`` each
    of them is followed until RUNNING (one outcome per restored app; an app that does not come
    up is a ``failed`` outcome, not an exception). ``timeout`` bounds the job and the waits.
    """
    deadline = Deadline(timeout)
    started_at = now()
    staged = StagedProgress(progress, deadline)
    await _require_backups(manager)
    jobs: list[int] = []
    await manager.client.call_job(
        "docker.restore_backup",
        name,
        progress=staged.job,
        timeout=deadline.remaining(),
        on_job=jobs.append,
    )
    outcomes = []
    for app in await manager.list_apps():
        if wait and app.state != AppState.STOPPED:
            try:
                app = await manager.wait_for_state(
                    app.name, timeout=deadline.remaining(), progress=staged.waiting
                )
            except TrueNASError as exc:
                outcomes.append(AppOutcome.failure(app.name, exc))
                continue
        outcomes.append(AppOutcome(app.name, "restored", app))
    staged.done(f"restored {name}")
    return OperationResult(
        "restore", tuple(outcomes), jobs=tuple(jobs), started_at=started_at, finished_at=now()
    )


async def delete_backup(manager: ManagerPort, name: str) -> None:
    """Delete backup ``name`` (``docker.delete_backup``)."""
    await _require_backups(manager)
    await manager.client.call("docker.delete_backup", name)
