"""``app.upgrade``, ``app.upgrade_summary`` and ``app.rollback``.

Catalog apps move between chart versions (older configs are kept for rollback); custom apps —
and on 25.10 the catalog ``ix-app`` when only its images changed — "upgrade" by pulling their
images and redeploying. 25.04+ stops an app before upgrading or rolling it back.
"""

from __future__ import annotations

import copy
import errno
from typing import Any

from scale_pilot_nb.sandbox import catalog
from scale_pilot_nb.sandbox.apps import (
    create_ix_volumes,
    render_catalog,
    set_compose,
    stop_app,
    user_values,
)
from scale_pilot_nb.sandbox.args import Arg, require, require_name
from scale_pilot_nb.sandbox.common import Steps, get_app
from scale_pilot_nb.sandbox.contract import (
    CallContext,
    SandboxCallError,
    SandboxValidationErrors,
    version_at_least,
)
from scale_pilot_nb.sandbox.entries import (
    app_state,
    catalog_upgrade_available,
    image_only_upgrades,
    present,
)
from scale_pilot_nb.sandbox.images import pull_and_redeploy
from scale_pilot_nb.sandbox.lifecycle import compose_up
from scale_pilot_nb.sandbox.state import App, SandboxModel

UPGRADE_ARGS = {
    "app_version": Arg(str, "latest"),
    "values": Arg(dict, dict),
    "snapshot_hostpaths": Arg(bool, False, min_version="25.04"),
}
ROLLBACK_ARGS = {"app_version": Arg(str), "rollback_snapshot": Arg(bool, True)}


def _no_upgrade(app: App) -> SandboxCallError:
    return SandboxCallError(errno.EFAULT, f"No upgrade available for '{app.name}'")


def _by_images(model: SandboxModel, app: App) -> bool:
    """True when ``app`` upgrades by pulling images rather than by chart version."""
    return image_only_upgrades(model, app) and not catalog_upgrade_available(app)


def _target_version(app: App, entry: catalog.CatalogApp, wanted: str) -> str:
    version = entry.latest_version if wanted == "latest" else wanted
    if entry.app_version(version) is None:
        raise SandboxCallError(
            errno.ENOENT, f"Unable to locate '{version}' version for '{app.name}' app"
        )
    if catalog.version_key(version) <= catalog.version_key(app.version):
        raise SandboxValidationErrors(
            [
                (
                    "options.app_version",
                    "Upgrade version must be greater than current version",
                    errno.EINVAL,
                )
            ]
        )
    return version


async def upgrade(model: SandboxModel, ctx: CallContext, name: Any, options: Any = None) -> Any:
    """``app.upgrade`` (job)."""
    name = require_name(model.version, "app_upgrade.app_name", name)
    opts = require(model.version, "options", options, UPGRADE_ARGS)
    steps = Steps(model, ctx)
    async with model.lock(name):
        app = get_app(model, name)
        if app_state(app) == "STOPPED":
            raise SandboxCallError(
                errno.EFAULT, "In order to upgrade an app, it must not be in stopped state"
            )
        if not model.entry(app)["upgrade_available"]:
            raise _no_upgrade(app)
        if _by_images(model, app):
            await pull_and_redeploy(model, app, steps, redeploy=True)
            return present(model, app, {}, full=True)
        entry = catalog.CATALOG[app.catalog_app or ""]
        version = _target_version(app, entry, opts["app_version"])
        values = user_values(app.config) | opts["values"]
        config, compose = render_catalog(model, name, entry, version, values, "UPGRADE")
        await steps(20, f"Upgrading '{name}' app to {version}")
        if version_at_least(model.version, "25.04"):
            await stop_app(model, app, None)
        app.history[app.version] = copy.deepcopy(app.config)
        app.version, app.config = version, config
        create_ix_volumes(model, app)
        set_compose(app, compose, refresh_portals=True)
        try:
            compose_up(model, app, pull=True)
        finally:
            model.changed(app)
        await steps(100, f"Upgraded '{name}' app to {version}")
        return present(model, app, {}, full=True)


def upgrade_summary(model: SandboxModel, ctx: CallContext, name: Any, options: Any = None) -> Any:
    """``app.upgrade_summary``: what ``app.upgrade`` would do."""
    name = require_name(model.version, "app_upgrade_summary.app_name", name)
    opts = require(model.version, "options", options, {"app_version": Arg(str, "latest")})
    app = get_app(model, name)
    current = model.entry(app)
    if not current["upgrade_available"]:
        raise _no_upgrade(app)
    if _by_images(model, app):
        return {
            "latest_version": current["version"],
            "latest_human_version": current["human_version"],
            "upgrade_version": current["version"],
            "upgrade_human_version": current["human_version"],
            "available_versions_for_upgrade": [],
            "changelog": "Image updates are available for this app",
        }
    entry = catalog.CATALOG[app.catalog_app or ""]
    target = _target_version(app, entry, opts["app_version"])
    newer = [
        {"version": v, "human_version": catalog.human_version(av, v)}
        for v, av in entry.versions
        if catalog.version_key(v) > catalog.version_key(app.version)
    ]
    return {
        "latest_version": entry.latest_version,
        "latest_human_version": newer[-1]["human_version"],
        "upgrade_version": target,
        "upgrade_human_version": catalog.human_version(entry.app_version(target) or "", target),
        "available_versions_for_upgrade": newer,
        "changelog": f"<h2>{entry.title} {target}</h2>\n<p>Updated {entry.title}.</p>",
    }


async def rollback(model: SandboxModel, ctx: CallContext, name: Any, options: Any = None) -> Any:
    """``app.rollback`` (job): back to an older chart version kept on disk."""
    name = require_name(model.version, "app_rollback.app_name", name)
    opts = require(model.version, "options", options, ROLLBACK_ARGS)
    steps = Steps(model, ctx)
    async with model.lock(name):
        app = get_app(model, name)
        target = opts["app_version"]
        errors: list[tuple[str, str, int]] = []
        if version_at_least(model.version, "25.04") and app_state(app) == "STOPPED":
            errors.append(("app_name", "App must not be in stopped state to rollback", 22))
        if target == app.version:
            errors.append(("options.app_version", "Cannot rollback to same version", 22))
        elif target not in app.history or catalog.version_key(target) > catalog.version_key(
            app.version
        ):
            message = "Specified version is not available for rollback"
            errors.append(("options.app_version", message, 22))
        if errors:
            raise SandboxValidationErrors(errors)
        entry = catalog.CATALOG[app.catalog_app or ""]
        values = user_values(app.history[target])
        config, compose = render_catalog(model, name, entry, target, values, "ROLLBACK")
        await steps(20, f"Rolling back '{name}' app to {target}")
        if version_at_least(model.version, "25.04"):
            await stop_app(model, app, None)
        newer = catalog.version_key(target)
        app.history = {v: c for v, c in app.history.items() if catalog.version_key(v) < newer}
        app.version, app.config = target, config
        create_ix_volumes(model, app)
        set_compose(app, compose, refresh_portals=True)
        try:
            compose_up(model, app)
        finally:
            model.changed(app)
        await steps(100, f"Rollback completed for '{name}' app")
        return present(model, app, {}, full=True)
