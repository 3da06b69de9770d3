"""Read-only ``app.*`` methods: query, get_instance, config, containers, ports, choices."""

from __future__ import annotations

import copy
from typing import Any

from scale_pilot_nb.sandbox.args import Arg, require, require_name
from scale_pilot_nb.sandbox.catalog import version_key
from scale_pilot_nb.sandbox.common import get_app, require_docker
from scale_pilot_nb.sandbox.contract import CallContext
from scale_pilot_nb.sandbox.entries import present
from scale_pilot_nb.sandbox.query import check_options, filter_list
from scale_pilot_nb.sandbox.state import NAS_ADDRESSES, App, SandboxModel


def _only_app(model: SandboxModel, filters: Any) -> list[App] | None:
    """The single-app fast path for ``[["id"|"name", "=", X]]`` (as the middleware does)."""
    if (
        isinstance(filters, list)
        and len(filters) == 1
        and isinstance(filters[0], list)
        and len(filters[0]) == 3
        and filters[0][0] in ("id", "name")
        and filters[0][1] == "="
        and isinstance(filters[0][2], str)
    ):
        app = model.apps.get(filters[0][2])
        return [app] if app is not None else []
    return None


def query(model: SandboxModel, ctx: CallContext, filters: Any = None, options: Any = None) -> Any:
    """``app.query``: entries of installed apps (``[]`` when Docker is unconfigured)."""
    extra = check_options(options).get("extra") or {}
    if model.apps_pool is None:
        return filter_list([], filters, options)
    apps = _only_app(model, filters)
    if apps is None:
        apps = list(model.apps.values())
    return filter_list((present(model, app, extra) for app in apps), filters, options)


def get_instance(model: SandboxModel, ctx: CallContext, name: Any, options: Any = None) -> Any:
    """``app.get_instance``: one full entry or ``App <name> does not exist``."""
    name = require_name(model.version, "app_get_instance.id", name)
    extra = check_options(options).get("extra") or {}
    return present(model, get_app(model, name), extra, full=True)


def config(model: SandboxModel, ctx: CallContext, name: Any) -> Any:
    """``app.config``: the stored user config (a compose dict for custom apps)."""
    name = require_name(model.version, "app_config.app_name", name)
    return copy.deepcopy(get_app(model, name).config)


def container_ids(
    model: SandboxModel, ctx: CallContext, name: Any, options: Any = None
) -> dict[str, Any]:
    """``app.container_ids``: ``{id: {id, service_name, image, state}}``."""
    name = require_name(model.version, "app_container_ids.app_name", name)
    opts = require(model.version, "options", options, {"alive_only": Arg(bool, True)})
    app = get_app(model, name)
    return {
        c.id: {"id": c.id, "service_name": c.service, "image": c.image, "state": c.state}
        for c in app.containers
        if not opts["alive_only"] or c.state == "running"
    }


def container_console_choices(model: SandboxModel, ctx: CallContext, name: Any) -> Any:
    """``app.container_console_choices``: running containers only."""
    return container_ids(model, ctx, name, {"alive_only": True})


def used_ports(model: SandboxModel, ctx: CallContext) -> list[int]:
    """``app.used_ports``: sorted unique host ports of every app."""
    if model.apps_pool is None:
        return []
    return sorted(
        {b.host_port for app in model.apps.values() for c in app.containers for b in c.ports}
    )


def used_host_ips(model: SandboxModel, ctx: CallContext) -> dict[str, list[str]]:
    """``app.used_host_ips`` (25.10): host IP → app names (the real code's direction)."""
    result: dict[str, list[str]] = {}
    for app in model.apps.values() if model.apps_pool else ():
        for ip in dict.fromkeys(b.host_ip for c in app.containers for b in c.ports):
            result.setdefault(ip, []).append(app.name)
    return result


def ip_choices(model: SandboxModel, ctx: CallContext) -> dict[str, str]:
    """``app.ip_choices``: ``{ip: ip}``."""
    return {ip: ip for ip in NAS_ADDRESSES}


def available_space(model: SandboxModel, ctx: CallContext) -> int:
    """``app.available_space``: free bytes of the apps pool."""
    require_docker(model)
    pool = next(p for p in model.pools if p["name"] == model.apps_pool)
    free: int = pool["free"]
    return free


def rollback_versions(model: SandboxModel, ctx: CallContext, name: Any) -> list[str]:
    """``app.rollback_versions``: older installed chart versions, ascending (``[]`` for custom)."""
    name = require_name(model.version, "app_rollback_versions.app_name", name)
    app = get_app(model, name)
    return sorted(
        (v for v in app.history if version_key(v) < version_key(app.version)), key=version_key
    )
