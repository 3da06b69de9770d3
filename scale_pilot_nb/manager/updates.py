"""Image updates, catalog upgrades and rollbacks of both kinds of app.

TrueNAS offers upgrades and rollbacks only for catalog apps (chart versions kept on disk); for a
custom compose app an "upgrade" is a pull of the same tags and there is no rollback at all. So
:func:`rollback` dispatches: catalog apps go through ``app.rollback_versions`` /
``app.rollback``, custom apps are redeployed from a revision of the local history with their
images pinned to the digests recorded then.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeGuard

from scale_pilot_nb.errors import ConfigError, NotCatalogAppError, TrueNASError
from scale_pilot_nb.manager.changes import Change
from scale_pilot_nb.manager.history import (
    REDACTED,
    OtherNasRevisionError,
    Revision,
    RevisionNotFoundError,
    SecretsRequiredError,
    config_yaml,
    fill_secrets,
    pin_images,
    yaml_diff,
)
from scale_pilot_nb.manager.recorder import acting_as, image_digests
from scale_pilot_nb.records import App, AppState
from scale_pilot_nb.records.outcome import OperationResult
from scale_pilot_nb.rpc import ProgressCallback

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = [
    "RollbackPlan",
    "rollback",
    "rollback_plan",
    "update_images",
    "update_rows",
    "upgrade",
    "upgrade_summary",
]


@dataclasses.dataclass(frozen=True)
class RollbackPlan:
    """What :func:`rollback` would change, computed by the same selection, changing nothing.

    Attributes:
        app_name: the app.
        custom_app: a custom app (rolled back to a history revision) or a catalog app (to a
            version).
        revision: custom apps: the history revision restored.
        current_version: catalog apps: the version installed now.
        version: catalog apps: the version rolled back to.
        diff: custom apps: unified diff (YAML) from the app's stored config now to the config
            the rollback stores, images pinned as the rollback pins them; secret values
            redacted. Empty for catalog apps, whose charts TrueNAS keeps itself.
        state: the app's state now (``RUNNING`` …), None when the app does not exist (a
            deleted custom app is created again): whether its containers would be recreated.
    """

    app_name: str
    custom_app: bool
    revision: int | None = None
    current_version: str | None = None
    version: str | None = None
    diff: str = ""
    state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` (no secret values: the diff is redacted)."""
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        if not self.custom_app:
            return f"roll back {self.app_name!r}: version {self.current_version} -> {self.version}"
        head = f"roll back {self.app_name!r} to revision {self.revision}"
        return f"{head}\n{self.diff}" if self.diff else f"{head}: no difference"


async def update_rows(manager: ManagerPort) -> list[dict[str, Any]]:
    """One row per (app, image): image update available, catalog upgrade and its target."""
    entries, images = await asyncio.gather(
        manager.query_apps(), manager.client.call("app.image.query")
    )
    flagged = {tag for i in images if i.get("update_available") for tag in i["repo_tags"]}
    digests = image_digests(images)
    rows = []
    for entry in entries:
        app = App.from_api(entry)
        catalog_upgrade = app.upgrade_available and not app.custom_app
        if catalog_upgrade and app.latest_version == app.version:
            catalog_upgrade = False  # 25.10 ix-app with image updates only
        for image in app.images or ("",):
            rows.append(
                {
                    "app": app.name,
                    "state": app.state.value,
                    "custom_app": app.custom_app,
                    "image": image or None,
                    "digest": digests.get(image),
                    "image_update": image in flagged,
                    "catalog_upgrade": catalog_upgrade,
                    "version": app.version,
                    "target_version": app.latest_version if catalog_upgrade else None,
                }
            )
    return rows


async def update_images(
    manager: ManagerPort,
    name: str,
    *,
    wait: bool,
    timeout: float | None,
    progress: ProgressCallback | None,
) -> OperationResult:
    """``app.pull_images`` (then redeploy); with ``wait``, until RUNNING unless it is stopped."""
    change = Change(manager, name, timeout=timeout, progress=progress)
    await manager.record("update_images", name)
    await change.job("app.pull_images", name, {"redeploy": True})
    stopped = (await manager.get_app(name)).state == AppState.STOPPED
    app = await change.settle(wait=wait and not stopped)
    return change.result("update_images", change.outcome("images updated", app))


async def upgrade(
    manager: ManagerPort,
    name: str,
    version: str,
    *,
    wait: bool,
    timeout: float | None,
    progress: ProgressCallback | None,
) -> OperationResult:
    """``app.upgrade_summary`` first, then ``app.upgrade`` to ``version``; wait for RUNNING.

    The summary (versions, changelog) is in the result's ``details["summary"]``.
    """
    change = Change(manager, name, timeout=timeout, progress=progress)
    summary = await upgrade_summary(manager, name, version)
    await manager.record("upgrade", name)
    await change.job("app.upgrade", name, {"app_version": version})
    app = await change.settle(wait=wait)
    return change.result("upgrade", change.outcome("upgraded", app), details={"summary": summary})


async def upgrade_summary(manager: ManagerPort, name: str, version: str) -> dict[str, Any]:
    """``app.upgrade_summary`` of a catalog app: the versions and changelog of ``version``.

    Raises:
        AppNotFoundError: no such app (asked first, for a clear error).
        NotCatalogAppError: a custom app: it has no catalog versions, only image updates.
        ApiError: the NAS has no upgrade for it, or no such version.
    """
    if (await manager.get_app(name)).custom_app:
        raise NotCatalogAppError(
            f"App {name!r} is a custom app: it has no catalog version to upgrade to",
        )
    summary: dict[str, Any] = await manager.client.call(
        "app.upgrade_summary", name, {"app_version": version}
    )
    return summary


async def rollback(
    manager: ManagerPort,
    name: str,
    *,
    revision: int = -1,
    version: str | None = None,
    pin_digests: bool = True,
    secrets: Mapping[str, str] | None = None,
    other_nas: bool = False,
    wait: bool,
    timeout: float | None,
    progress: ProgressCallback | None,
) -> OperationResult:
    """Roll ``name`` back: catalog apps to ``version``, custom apps to a history ``revision``.

    Raises:
        RevisionNotFoundError: no such revision, or the app did not exist at that revision.
        OtherNasRevisionError: the revision is not known to be this NAS's (recorded on another
            box, or before boxes were told apart) and ``other_nas`` is False.
        SecretsRequiredError: the revision's secrets were redacted and ``secrets`` lacks some.
        ConfigError: a custom app's rollback needs the history, which is off.
        ValidationError: the NAS refused a catalog rollback (same version, not available …).
    """
    entry = await manager.find_app(name)
    if _is_catalog_app(entry):
        change = Change(manager, name, timeout=timeout, progress=progress)
        target = await _catalog_target(manager, name, version)
        await manager.record("rollback", name)
        await change.job("app.rollback", name, {"app_version": target})
        app = await change.settle(wait=wait)
        return change.result("rollback", change.outcome("rolled back", app))
    chosen = await _revision_to_restore(manager, name, revision, other_nas)
    config, missing = fill_secrets(chosen.config, secrets)
    if missing:
        raise SecretsRequiredError(
            f"Revision {chosen.revision} of {name!r} was stored without its secrets "
            f"({REDACTED}): {', '.join(missing)}",
            missing=missing,
        )
    with acting_as("rollback"):
        result = await manager.deploy(
            _restored(chosen, config, pin_digests),
            name,
            wait=wait,
            timeout=timeout,
            progress=progress,
        )
    return dataclasses.replace(result, operation="rollback")


async def rollback_plan(
    manager: ManagerPort,
    name: str,
    *,
    revision: int = -1,
    version: str | None = None,
    pin_digests: bool = True,
    other_nas: bool = False,
) -> RollbackPlan:
    """What :func:`rollback` with these arguments would change; nothing is changed.

    The target is chosen exactly as the rollback chooses it (and refused for the same
    reasons); secrets need not be given: the diff shows them redacted either way.

    Raises:
        As :func:`rollback`, except ``SecretsRequiredError``.
    """
    entry = await manager.find_app(name)
    if _is_catalog_app(entry):
        target = await _catalog_target(manager, name, version)
        return RollbackPlan(
            name,
            False,
            current_version=entry.get("version"),
            version=target,
            state=entry.get("state"),
        )
    chosen = await _revision_to_restore(manager, name, revision, other_nas)
    current = await manager.app_config(name) if entry is not None else None
    restored = _restored(chosen, chosen.config, pin_digests)
    diff = yaml_diff(
        config_yaml(current),
        config_yaml(restored),
        fromfile=f"{name} (now)" if current is not None else f"{name} (no app)",
        tofile=f"{name}@{chosen.revision}",
    )
    state = entry.get("state") if entry is not None else None
    return RollbackPlan(name, True, revision=chosen.revision, diff=diff, state=state)


def _is_catalog_app(entry: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    """Whether a rollback of this ``app.query`` entry is TrueNAS's own (a catalog app); a
    custom app, or one that no longer exists, comes back from the local history."""
    return entry is not None and not entry.get("custom_app")


async def _catalog_target(manager: ManagerPort, name: str, version: str | None) -> str:
    """The version a catalog app rolls back to: ``version``, else the newest older one."""
    versions: list[str] = await manager.client.call("app.rollback_versions", name)
    if not versions:
        raise TrueNASError(
            f"App {name!r} has no older version to roll back to",
            hint="TrueNAS keeps the versions an app was upgraded from; there are none.",
        )
    return version or versions[-1]


async def _revision_to_restore(
    manager: ManagerPort, name: str, revision: int, other_nas: bool
) -> Revision:
    """The history revision a custom app's rollback restores, refused when it cannot be."""
    if manager.recorder is None:
        raise ConfigError(
            "Rolling back a custom app needs the local history, and recording is off",
            hint="Create the manager with history=True (the default) or a history path.",
        )
    chosen = await manager.recorder.get(name, revision)
    here = await manager.recorder.identity()
    if chosen.nas != here.key and not other_nas:
        raise OtherNasRevisionError(
            f"Revision {chosen.revision} of {name!r} was recorded on NAS {chosen.nas!r} "
            f"({chosen.nas_host}), not on this one ({here.key!r}); a rollback would give this "
            "box another box's settings",
        )
    if chosen.config is None or chosen.custom_app is False:
        what = "did not exist" if chosen.config is None else "was a catalog app"
        raise RevisionNotFoundError(
            f"App {name!r} {what} at revision {chosen.revision}; nothing to roll back to",
        )
    return chosen


def _restored(chosen: Revision, config: Any, pin_digests: bool) -> Any:
    """``config`` (of ``chosen``) as the rollback deploys it: images pinned to the digests
    recorded then, unless ``pin_digests`` is off."""
    return pin_images(config, chosen.digests) if pin_digests else config
