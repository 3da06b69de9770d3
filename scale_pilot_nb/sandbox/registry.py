"""``build_registry``: every TrueNAS method and event source the NAS model serves.

The server adds its own ``core.*`` and ``auth.*`` methods; everything about apps, Docker,
pools and the system is registered here, bound to one :class:`SandboxModel`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from scale_pilot_nb.sandbox import (
    appquery,
    apps,
    catalogquery,
    docker,
    images,
    sources,
    system,
    upgrades,
)
from scale_pilot_nb.sandbox.contract import Registry
from scale_pilot_nb.sandbox.state import SandboxModel

# name -> (function, is a job, minimum version)
_METHODS: dict[str, tuple[Callable[..., Any], bool, str | None]] = {
    "app.query": (appquery.query, False, None),
    "app.get_instance": (appquery.get_instance, False, None),
    "app.config": (appquery.config, False, None),
    "app.container_ids": (appquery.container_ids, False, None),
    "app.container_console_choices": (appquery.container_console_choices, False, None),
    "app.used_ports": (appquery.used_ports, False, None),
    "app.used_host_ips": (appquery.used_host_ips, False, "25.10"),
    "app.ip_choices": (appquery.ip_choices, False, None),
    "app.available_space": (appquery.available_space, False, None),
    "app.rollback_versions": (appquery.rollback_versions, False, None),
    "catalog.get_app_details": (catalogquery.get_app_details, False, None),
    "app.create": (apps.create, True, None),
    "app.update": (apps.update, True, None),
    "app.delete": (apps.delete, True, None),
    "app.start": (apps.start, True, None),
    "app.stop": (apps.stop, True, None),
    "app.redeploy": (apps.redeploy, True, None),
    "app.upgrade": (upgrades.upgrade, True, None),
    "app.upgrade_summary": (upgrades.upgrade_summary, False, None),
    "app.rollback": (upgrades.rollback, True, None),
    "app.pull_images": (images.pull_images, True, None),
    "app.outdated_docker_images": (images.outdated_docker_images, False, None),
    "app.image.query": (images.image_query, False, None),
    "app.image.pull": (images.image_pull, True, None),
    "app.image.delete": (images.image_delete, False, None),
    "docker.status": (docker.status, False, None),
    "docker.config": (docker.config, False, None),
    "docker.backup": (docker.backup, True, "25.04"),
    "docker.list_backups": (docker.list_backups, False, "25.04"),
    "docker.restore_backup": (docker.restore_backup, True, "25.04"),
    "docker.delete_backup": (docker.delete_backup, False, "25.04"),
    "system.info": (system.system_info, False, None),
    "system.version": (system.system_version, False, None),
    "system.version_short": (system.system_version_short, False, None),
    "system.ready": (system.system_ready, False, None),
    "pool.query": (system.pool_query, False, None),
    "pool.dataset.query": (system.dataset_query, False, None),
    "pool.dataset.create": (system.dataset_create, False, None),
    "filesystem.stat": (system.filesystem_stat, False, None),
}
#: Methods whose call-time failures TrueNAS shapes itself (see ``MethodSpec.call_check``).
_CALL_CHECKS: dict[str, Callable[..., Any]] = {
    "app.create": apps.create_call_check,
    "app.update": apps.update_call_check,
}
_SOURCES: dict[str, Callable[..., Any]] = {
    "app.stats": sources.stats,
    "app.container_log_follow": sources.container_log_follow,
}


def build_registry(model: SandboxModel, registry: Registry | None = None) -> Registry:
    """Register every model method and event source, bound to ``model``.

    Args:
        model: the NAS the methods act on.
        registry: an existing registry to add to (the server's own methods), or a new one.
    """
    registry = registry or Registry()
    for name, (func, job, min_version) in _METHODS.items():
        check = _CALL_CHECKS.get(name)
        registry.method(
            name,
            job=job,
            min_version=min_version,
            call_check=partial(check, model) if check is not None else None,
        )(partial(func, model))
    for name, source in _SOURCES.items():
        registry.source(name)(partial(source, model))
    return registry
