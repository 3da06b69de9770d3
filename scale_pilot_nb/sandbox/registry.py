"""``build_registry``: every TrueNAS method and event source the NAS model serves.

The server adds its own ``core.*`` and ``auth.*`` methods; everything about apps, Docker,
pools and the system is registered here, bound to one :class:`SandboxModel`.

Job locks and thread bodies are the middleware's (the same in TS-24.10.2.4, TS-25.04.2.6 and
TS-25.10.5): ``@job(lock=lambda args: f'app_start_{args[0]}')`` and its kin in
``plugins/apps/{crud,app_scale,pull_images,upgrade,rollback}.py``, ``'docker_backup'`` and
``'docker_restore_backup'`` in ``plugins/docker/``; ``app.image.pull`` takes no lock. Each
lock is per method *and* app, so ``app.start`` and ``app.stop`` of one app do not queue
behind each other, while two ``app.start`` of it do. Every body below is a plain ``def`` there,
run in a worker thread, except ``app.redeploy``: an ``async def`` whose work is
``app.update_internal``, again a thread.
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
from scale_pilot_nb.sandbox.contract import JobLock, Registry
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


def _per_app(prefix: str) -> JobLock:
    """The lock ``f"{prefix}_{args[0]}"`` of a job on the app named by its first argument."""
    return lambda params: f"{prefix}_{params[0]}"


#: Job locks; ``app.create``'s checked call guarantees an object with ``app_name`` on 24.10,
#: and 25.04+ takes ``args[0].get("app_name")`` (``app_create_None`` without one).
_JOB_LOCKS: dict[str, JobLock] = {
    "app.create": lambda params: f"app_create_{params[0].get('app_name')}",
    "app.update": _per_app("app_update"),
    "app.delete": _per_app("app_delete"),
    "app.start": _per_app("app_start"),
    "app.stop": _per_app("app_stop"),
    "app.redeploy": _per_app("app_redeploy"),
    "app.upgrade": _per_app("app_upgrade"),
    "app.rollback": _per_app("app_rollback"),
    "app.pull_images": _per_app("pull_images"),
    "docker.backup": lambda params: "docker_backup",
    "docker.restore_backup": lambda params: "docker_restore_backup",
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
            lock=_JOB_LOCKS.get(name),
            threaded=job,
        )(partial(func, model))
    for name, source in _SOURCES.items():
        registry.source(name)(partial(source, model))
    return registry
