"""``docker.*``: status, config and the 25.04+ backup family.

A backup is a snapshot of every app's stored state (config, version history, whether it ran);
restoring replaces the installed apps with the backup's and starts the ones that were running.
"""

from __future__ import annotations

import copy
import errno
import re
from datetime import UTC, datetime
from typing import Any

from scale_pilot_nb.sandbox.args import require_name
from scale_pilot_nb.sandbox.common import Steps, no_pool, require_docker
from scale_pilot_nb.sandbox.contract import CallContext, SandboxCallError, version_at_least
from scale_pilot_nb.sandbox.entries import app_state
from scale_pilot_nb.sandbox.lifecycle import compose_down, compose_up
from scale_pilot_nb.sandbox.state import App, SandboxModel

_SNAPSHOT_NAME = re.compile(r"^[A-Za-z0-9_.:\-]+$")


def status(model: SandboxModel, ctx: CallContext) -> dict[str, str]:
    """``docker.status``."""
    return model.docker_status()


def config(model: SandboxModel, ctx: CallContext) -> dict[str, Any]:
    """``docker.config`` with the fields of the sandbox's version."""
    pools = [{"base": "172.17.0.0/12", "size": 24}]
    entry: dict[str, Any] = {
        "id": 1,
        "enable_image_updates": model.docker["enable_image_updates"],
        "pool": model.apps_pool,
        "dataset": f"{model.apps_pool}/ix-apps" if model.apps_pool else None,
        "nvidia": model.docker["nvidia"],
        "address_pools": pools,
    }
    if version_at_least(model.version, "25.04"):
        pools.append({"base": "fdd0::/48", "size": 64})
        entry["cidr_v6"] = "fdd0::/64"
    if version_at_least(model.version, "25.10"):
        entry.update(secure_registry_mirrors=[], insecure_registry_mirrors=[])
    return entry


def _created_on(model: SandboxModel) -> str:
    return datetime.fromtimestamp(model.clock, UTC).strftime("%Y-%m-%d %H:%M:%S")


async def backup(model: SandboxModel, ctx: CallContext, name: Any = None) -> str:
    """``docker.backup`` (job): returns the backup's name."""
    steps = Steps(model, ctx)
    require_docker(model)
    if name is None:
        name = datetime.fromtimestamp(model.clock, UTC).strftime("%F_%T")
    name = require_name(model.version, "docker_backup.backup_name", name)
    if not _SNAPSHOT_NAME.match(name):
        raise SandboxCallError(
            errno.EINVAL,
            f"'{name}' is not a valid snapshot name. It should be a valid ZFS snapshot name",
        )
    if name in model.backups:
        raise SandboxCallError(errno.EEXIST, f"Backup with '{name}' already exists")
    await steps(10, "Basic validation complete")
    model.backups[name] = {
        "name": name,
        "apps": [app.to_dict() | {"state": app_state(app)} for app in model.apps.values()],
        "snapshot_name": f"{model.apps_pool}/ix-apps@ix-apps-backup-{name}",
        "created_on": _created_on(model),
        "backup_path": f"/mnt/.ix-apps/backups/{name}",
    }
    model.tick()
    await steps(100, f"Backup '{name}' has been created successfully")
    return name


def list_backups(model: SandboxModel, ctx: CallContext) -> dict[str, Any]:
    """``docker.list_backups`` (``{}`` without an apps pool)."""
    if model.apps_pool is None:
        return {}
    return {
        name: {
            "name": name,
            "apps": [{"id": a["name"], "name": a["name"], "state": a["state"]} for a in b["apps"]],
            "snapshot_name": b["snapshot_name"],
            "created_on": b["created_on"],
            "backup_path": b["backup_path"],
        }
        for name, b in model.backups.items()
    }


async def restore_backup(model: SandboxModel, ctx: CallContext, name: Any) -> None:
    """``docker.restore_backup`` (job)."""
    name = require_name(model.version, "docker_restore_backup.backup_name", name)
    steps = Steps(model, ctx)
    require_docker(model)
    saved = model.backups.get(name)
    if saved is None:
        raise SandboxCallError(errno.ENOENT, f"Backup '{name}' not found")
    await steps(20, "Stopping apps")
    for app in list(model.apps.values()):
        compose_down(model, app)
        del model.apps[app.name]
        model.changed(app, publish=False)
        model.publish("app.query", "removed", app.name)
    await steps(60, "Restoring apps")
    for data in copy.deepcopy(saved["apps"]):
        was = data.pop("state")
        app = App.from_dict(data)
        app.containers = []
        model.apps[app.name] = app
        if was == "RUNNING":  # only these are redeployed (docker/restore_backup.py)
            try:
                compose_up(model, app)
            except SandboxCallError:
                app.containers = []
        model.publish("app.query", "added", app.name, model.entry(app))
    await steps(100, f"Restored backup '{name}'")


def delete_backup(model: SandboxModel, ctx: CallContext, name: Any) -> None:
    """``docker.delete_backup``."""
    name = require_name(model.version, "docker_delete_backup.backup_name", name)
    if model.apps_pool is None:
        raise no_pool()
    if name not in model.backups:
        raise SandboxCallError(errno.ENOENT, f"Backup '{name}' does not exist")
    del model.backups[name]
