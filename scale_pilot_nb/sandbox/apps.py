"""Mutating ``app.*`` jobs: create, update, redeploy, delete, start, stop.

Every function here runs inside a job (the server registers them with ``job=True``), so the
validation of the argument object fails the job, not the call, exactly as on TrueNAS. What
fails *before* a job exists (issue-12 facts Q4) is in :func:`create_call_check` and
:func:`update_call_check`, which the server runs at call time: the Python call of
``CRUDService.create/update`` (wrong argument count), the job's lock name computed from the raw
arguments, and, on the older pinned API endpoints, the whole argument model. Progress messages
are the middleware's.
"""

from __future__ import annotations

import asyncio
import errno
from typing import Any

from scale_pilot_nb.sandbox import catalog, ixapp, payload
from scale_pilot_nb.sandbox.args import (
    LONG_STRING_MAX,
    Arg,
    check_object,
    check_value,
    require,
    require_name,
)
from scale_pilot_nb.sandbox.common import Steps, get_app, require_docker
from scale_pilot_nb.sandbox.contract import (
    CallContext,
    SandboxCallError,
    SandboxPythonError,
    SandboxValidationErrors,
    version_at_least,
)
from scale_pilot_nb.sandbox.entries import app_state, empty_workloads, present
from scale_pilot_nb.sandbox.lifecycle import compose_down, compose_up
from scale_pilot_nb.sandbox.state import App, SandboxModel
from scale_pilot_nb.sandbox.system import add_dataset, full_version

_COMPOSE_TEXT = Arg(str, "", max_length=LONG_STRING_MAX, legacy_max_length=None)
CREATE_ARGS = {
    "custom_app": Arg(bool, False),
    "values": Arg(dict, dict),
    "custom_compose_config": Arg(dict, dict),
    "custom_compose_config_string": _COMPOSE_TEXT,
    "catalog_app": Arg(str, None, nullable=True, legacy_nullable=False),
    "app_name": Arg(str, app_name=True),
    "train": Arg(str, "stable", min_length=1),
    "version": Arg(str, "latest", min_length=1),
}
UPDATE_ARGS = {
    "values": Arg(dict, dict),
    "custom_compose_config": Arg(dict, dict),
    "custom_compose_config_string": _COMPOSE_TEXT,
}
#: ``app.update``'s first argument (``NonEmptyString`` on 25.04+, a plain ``Str`` on 24.10).
UPDATE_NAME = Arg(str, min_length=1)
DELETE_ARGS = {
    "remove_images": Arg(bool, True),
    "remove_ix_volumes": Arg(bool, False),
    "force_remove_ix_volumes": Arg(bool, False),
    "force_remove_custom_app": Arg(bool, False, min_version="25.04"),
}
_TRAINS = ("stable", "community", "enterprise")
#: ``app.update`` called without its second argument (only the model kit does that).
_ABSENT = object()


def _name_arg(model: SandboxModel, schema: str, name: Any) -> str:
    return require_name(model.version, f"{schema}.app_name", name)


def catalog_entry(train: str, app_name: str) -> catalog.CatalogApp:
    """The catalog app ``app_name`` in ``train`` (CallError when missing)."""
    if train not in _TRAINS:
        raise SandboxCallError(errno.ENOENT, f"Unable to locate '{train}' train")
    entry = catalog.CATALOG.get(app_name)
    if entry is None or entry.train != train:
        raise SandboxCallError(
            errno.ENOENT, f"Unable to locate '{app_name}' app in '{train}' train"
        )
    return entry


def user_values(config: dict[str, Any]) -> dict[str, Any]:
    """A catalog app's stored config without the reserved ``ix_*`` keys."""
    return {k: v for k, v in config.items() if not k.startswith("ix_")}


def render_catalog(
    model: SandboxModel,
    app_name: str,
    entry: catalog.CatalogApp,
    version: str,
    values: dict[str, Any],
    operation: str,
) -> tuple[dict[str, Any], Any]:
    """Validate ``values`` and return ``(stored config, rendered compose)``.

    Raises:
        SandboxValidationErrors: ix-app values that fail its schema.
    """
    values = payload.json_safe(values)
    if entry.name == catalog.IX_APP:
        values, errors = ixapp.normalize(
            model.version, values, model.path_exists, update=operation != "INSTALL"
        )
        if errors:
            raise SandboxValidationErrors(errors)
        compose = ixapp.render(app_name, values)
        volumes = ixapp.ix_volumes(app_name, values)
    else:
        compose = catalog.render(entry, app_name, version, values)
        volumes = {"config": f"/mnt/.ix-apps/app_mounts/{app_name}/config"}
    context = {
        "operation": operation,
        "is_install": operation == "INSTALL",
        "is_update": operation == "UPDATE",
        "is_upgrade": operation == "UPGRADE",
        "is_rollback": operation == "ROLLBACK",
        "upgrade_metadata": {},
        "app_name": app_name,
        "app_metadata": catalog.metadata(entry, version),
        "scale_version": full_version(model.version),
    }
    config = values | {
        "ix_certificates": {},
        "ix_certificate_authorities": {},
        "ix_volumes": volumes,
        "ix_context": context,
    }
    return config, compose


def ix_volume_root(model: SandboxModel, app_name: str) -> str:
    """Dataset holding ``app_name``'s ix-volumes."""
    return f"{model.apps_pool}/ix-apps/app_mounts/{app_name}"


def create_ix_volumes(model: SandboxModel, app: App) -> None:
    """Create the ix-volume datasets a catalog app's config names (kept across updates)."""
    volumes = app.config.get("ix_volumes") if isinstance(app.config, dict) else None
    if not volumes or model.apps_pool is None:
        return
    root = ix_volume_root(model, app.name)
    for name in [root, *(f"{root}/{volume}" for volume in volumes)]:
        if name not in model.datasets:
            add_dataset(model, name, {"type": "FILESYSTEM"})
            model.datasets[name]["mountpoint"] = name.replace(
                f"{model.apps_pool}/ix-apps", "/mnt/.ix-apps", 1
            )


def remove_ix_volumes(model: SandboxModel, app_name: str) -> None:
    """Delete ``app_name``'s ix-volume datasets (``app.delete`` with ``remove_ix_volumes``)."""
    root = ix_volume_root(model, app_name)
    for name in [n for n in model.datasets if n == root or n.startswith(f"{root}/")]:
        del model.datasets[name]


def set_compose(app: App, compose: Any, *, refresh_portals: bool) -> None:
    """Store the compose to run and, when TrueNAS does, its portals and notes."""
    app.compose = compose
    if refresh_portals:
        app.portals = payload.portals(compose)
        app.notes = payload.notes(compose)


def _crud_type_error(version: str, method: str, names: tuple[str, ...], given: int) -> None:
    """Python's ``TypeError`` for ``CRUDService.<method>(self, app, audit_callback, …)``.

    The middleware passes ``self``, ``app``, ``audit_callback`` (and, from 25.10, the
    ``message_id``) before the caller's arguments, so the counts in the message include them.

    Raises:
        SandboxPythonError: ``given`` is not ``len(names)``.
    """
    fixed = 4 if version_at_least(version, "25.10") else 3
    if given > len(names):
        raise SandboxPythonError(
            TypeError(
                f"CRUDService.{method}() takes {fixed + len(names)} positional arguments "
                f"but {fixed + given} were given"
            )
        )
    missing = [f"'{name}'" for name in names[given:]]
    if missing:
        listing = missing[0] if len(missing) == 1 else f"{missing[0]} and {missing[1]}"
        plural = "argument" if len(missing) == 1 else "arguments"
        raise SandboxPythonError(
            TypeError(
                f"CRUDService.{method}() missing {len(missing)} required positional "
                f"{plural}: {listing}"
            )
        )


def _too_many(expected: int, params: list[Any]) -> None:
    """The pinned endpoints' own argument count check (a ValidationError on ``""``)."""
    if len(params) > expected:
        message = f"Too many arguments (expected {expected}, found {len(params)})"
        raise SandboxValidationErrors([("", message, errno.EINVAL)])


def create_call_check(model: SandboxModel, ctx: CallContext, params: list[Any]) -> list[Any]:
    """What ``app.create`` refuses before a job exists (issue-12 facts Q4).

    * pinned endpoints (25.04+): too many arguments, then the whole argument model;
    * every endpoint: ``CRUDService.create`` called with the wrong number of arguments;
    * the job's lock name, computed from the raw first argument: 24.10 indexes it
      (``args[0]["app_name"]``: a ``KeyError`` without ``app_name``, a ``TypeError`` for a
      non-object), 25.04+ calls ``.get`` on it and wraps any failure as ``Error handling job
      lock``; a dict without ``app_name`` gets a job that then fails.
    """
    if ctx.pinned:
        _too_many(1, params)
        if not params:
            raise SandboxValidationErrors([("app_create", "Field required", errno.EINVAL)])
        _, errors = check_object(
            model.version, "app_create", params[0], CREATE_ARGS, model="AppCreateArgs"
        )
        if errors:
            raise SandboxValidationErrors(errors)
    _crud_type_error(model.version, "create", ("data",), len(params))
    data = params[0]
    if version_at_least(model.version, "25.04"):
        if not isinstance(data, dict):
            raise SandboxCallError(
                errno.EINVAL,
                "Error handling job lock. This is most likely caused by invalid call arguments.",
            )
    else:
        try:
            data["app_name"]
        except (KeyError, TypeError, IndexError) as exc:
            raise SandboxPythonError(exc) from None
    return params


def update_call_check(model: SandboxModel, ctx: CallContext, params: list[Any]) -> list[Any]:
    """What ``app.update`` refuses before a job exists: see :func:`create_call_check`.

    Pinned endpoints fill the ``update`` default, so ``app.update(name)`` works there; on the
    current API the Python call of ``CRUDService.update`` needs both arguments.
    """
    if ctx.pinned:
        _too_many(2, params)
        if not params:
            raise SandboxValidationErrors([("app_name", "Field required", errno.EINVAL)])
        params = [*params, {}] if len(params) == 1 else params
        _check_update_args(model.version, params[0], params[1])
    _crud_type_error(model.version, "update", ("id_", "data"), len(params))
    return params


def _check_update_args(version: str, name: Any, data: Any) -> tuple[str, dict[str, Any]]:
    """``app.update``'s argument model: ``app_name`` and ``update.*`` (``app_update.*`` on 24.10).

    Raises:
        SandboxValidationErrors: the errors of both arguments together.
    """
    prefix = "update" if version_at_least(version, "25.04") else "app_update"
    name, errors = check_value(version, "app_name", name, UPDATE_NAME)
    args, more = check_object(version, prefix, data, UPDATE_ARGS, model="AppUpdate")
    if errors or more:
        raise SandboxValidationErrors(errors + more)
    return name, args


async def create(model: SandboxModel, ctx: CallContext, data: Any = None) -> Any:
    """``app.create`` (job): a custom compose app or a catalog app."""
    args, errors = check_object(
        model.version, "app_create", data, CREATE_ARGS, model="AppCreateArgs"
    )
    if errors:
        raise SandboxValidationErrors(errors)
    name: str = args["app_name"]
    async with model.lock(name):
        require_docker(model)
        if name in model.apps:
            raise SandboxCallError(errno.EEXIST, f"Application with name {name} already exists")
        if args["custom_app"]:
            return await _create_custom(model, ctx, name, args)
        return await _create_catalog(model, ctx, name, args)


def _new_app(model: SandboxModel, name: str, **fields: Any) -> App:
    app = App(name=name, index=model.installs, created_at=model.tick(), **fields)
    model.installs += 1
    return app


async def _install(model: SandboxModel, app: App, steps: Steps, *, catalog_app: bool) -> None:
    """Register ``app`` and bring it up; on failure or abort remove every trace of it."""
    model.apps[app.name] = app
    create_ix_volumes(model, app)
    if catalog_app:
        model.publish("app.query", "added", app.name, model.entry(app))
    try:
        await steps(60, "App installation in progress, pulling images")
        try:
            compose_up(model, app)
        except SandboxCallError:
            if catalog_app:
                await steps(80, f"Failure occurred while installing '{app.name}', cleaning up")
            raise
        await steps(100, f"'{app.name}' installed successfully")
    except (SandboxCallError, asyncio.CancelledError):
        compose_down(model, app)
        remove_ix_volumes(model, app.name)  # created by this install
        del model.apps[app.name]
        model.changed(app, publish=False)
        model.publish("app.query", "removed", app.name)
        raise
    model.changed(app, publish=catalog_app)
    if not catalog_app:
        model.publish("app.query", "added", app.name, model.entry(app))


async def _create_custom(
    model: SandboxModel, ctx: CallContext, name: str, args: dict[str, Any]
) -> Any:
    steps = Steps(model, ctx)
    compose = payload.validate_payload(model.version, "app_create", args)
    await steps(25, "Initial validation completed for custom app creation")
    app = _new_app(
        model,
        name,
        custom_app=True,
        catalog_app=None,
        train="stable",
        version=catalog.CUSTOM_VERSION,
        config=compose,
        compose=compose,
    )
    set_compose(app, compose, refresh_portals=True)
    await steps(35, "Setting up App directory")
    await _install(model, app, steps, catalog_app=False)
    return present(model, app, {}, full=True)


async def _create_catalog(
    model: SandboxModel, ctx: CallContext, name: str, args: dict[str, Any]
) -> Any:
    steps = Steps(model, ctx)
    if not args["catalog_app"]:
        raise SandboxValidationErrors(
            [("app_create.catalog_app", "This field is required", errno.EINVAL)]
        )
    entry = catalog_entry(args["train"], args["catalog_app"])
    version = entry.latest_version if args["version"] == "latest" else args["version"]
    if entry.app_version(version) is None:
        raise SandboxCallError(errno.ENOENT, f"Version {version} not found in {entry.name} app")
    config, compose = render_catalog(model, name, entry, version, args["values"], "INSTALL")
    await steps(25, "Initial Validation completed")
    app = _new_app(
        model,
        name,
        custom_app=False,
        catalog_app=entry.name,
        train=entry.train,
        version=version,
        config=config,
        compose=compose,
    )
    set_compose(app, compose, refresh_portals=True)
    if entry.name != catalog.IX_APP:
        app.notes = catalog.notes(entry)
    await _install(model, app, steps, catalog_app=True)
    return present(model, app, {}, full=True)


async def update(model: SandboxModel, ctx: CallContext, name: Any, data: Any = _ABSENT) -> Any:
    """``app.update`` (job): new config; recreated only when the app is not STOPPED."""
    name, args = _check_update_args(model.version, name, {} if data is _ABSENT else data)
    async with model.lock(name):
        app = get_app(model, name)
        return await _apply_update(model, ctx, app, args, "Update")


async def redeploy(model: SandboxModel, ctx: CallContext, name: Any) -> Any:
    """``app.redeploy`` (job): re-render with the current config and recreate if running."""
    name = _name_arg(model, "app_redeploy", name)
    async with model.lock(name):
        app = get_app(model, name)
        return await _apply_update(model, ctx, app, {"values": {}}, "Redeployment")


async def _apply_update(
    model: SandboxModel, ctx: CallContext, app: App, args: dict[str, Any], action: str
) -> Any:
    steps = Steps(model, ctx)
    if app.custom_app:
        if action == "Update":
            compose = payload.validate_payload(model.version, "app_update", args)
            app.config = app.compose = compose
    else:
        entry = catalog.CATALOG[app.catalog_app or ""]
        values = user_values(app.config) | args["values"]
        config, compose = render_catalog(model, app.name, entry, app.version, values, "UPDATE")
        app.config = config
        create_ix_volumes(model, app)
        set_compose(app, compose, refresh_portals=True)
    await steps(25, "Initial Validation completed")
    await steps(60, "Configuration updated")
    if app_state(app) != "STOPPED":
        await steps(70, "Updating docker resources")
        try:
            compose_up(model, app)
        finally:
            model.changed(app)
    else:
        model.changed(app)
    await steps(100, f"{action} completed for '{app.name}'")
    return present(model, app, {}, full=True)


async def delete(model: SandboxModel, ctx: CallContext, name: Any, options: Any = None) -> bool:
    """``app.delete`` (job): down, forget, optionally remove images and ix-volumes."""
    name = _name_arg(model, "app_delete", name)
    opts = require(model.version, "options", options, DELETE_ARGS)
    steps = Steps(model, ctx)
    async with model.lock(name):
        app = get_app(model, name)
        if opts.get("force_remove_custom_app") and not app.custom_app:
            raise SandboxCallError(
                errno.EINVAL, "`force_remove_custom_app` flag is only valid for a custom app"
            )
        await steps(20, f"Deleting '{name}' app")
        images = {c.image for c in app.containers}
        compose_down(model, app)
        del model.apps[name]
        model.changed(app, publish=False)
        if opts["remove_images"]:
            _remove_unused_images(model, images)
        if opts["remove_ix_volumes"]:
            remove_ix_volumes(model, name)
        await steps(100, f"Deleted '{name}' app")
        model.publish("app.query", "removed", name)
    return True


def _remove_unused_images(model: SandboxModel, tags: set[str]) -> None:
    in_use = {c.image for app in model.apps.values() for c in app.containers}
    for image_id, image in list(model.images.items()):
        if set(image.repo_tags) & tags and not set(image.repo_tags) & in_use:
            del model.images[image_id]


async def start(model: SandboxModel, ctx: CallContext, name: Any) -> None:
    """``app.start`` (job): ``compose up`` with the stored compose."""
    name = _name_arg(model, "app_start", name)
    steps = Steps(model, ctx)
    async with model.lock(name):
        app = get_app(model, name)
        await steps(20, f"Starting '{name}' app")
        try:
            compose_up(model, app)
        finally:
            model.changed(app)
        await steps(100, f"Started '{name}' app")


async def stop(model: SandboxModel, ctx: CallContext, name: Any) -> None:
    """``app.stop`` (job): STOPPING (events only), ``compose down``, then STOPPED."""
    name = _name_arg(model, "app_stop", name)
    steps = Steps(model, ctx)
    async with model.lock(name):
        app = get_app(model, name)
        await stop_app(model, app, steps)


async def stop_app(model: SandboxModel, app: App, steps: Steps | None) -> None:
    """Stop ``app`` with the middleware's event sequence (also used by upgrade/rollback).

    ``steps`` reports job progress; ``None`` when stopping is one step of a larger job.
    """
    stopping = dict(model.entry(app))
    stopping.update(state="STOPPING", active_workloads=empty_workloads(model.version))
    model.publish("app.query", "changed", app.name, stopping)
    try:
        if steps is not None:
            await steps(50, f"Stopping '{app.name}' app")
        await model.pause(model.timing.stop_delay)
        compose_down(model, app)
        if steps is not None:
            await steps(100, f"Stopped '{app.name}' app")
    finally:
        model.changed(app)
