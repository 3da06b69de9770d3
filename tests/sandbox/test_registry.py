"""``build_registry``: every method and source the issue lists, with job flags."""

from __future__ import annotations

from modelkit import nas

from scale_pilot_nb.sandbox.contract import Registry
from scale_pilot_nb.sandbox.registry import build_registry

JOBS = {
    "app.create", "app.update", "app.delete", "app.start", "app.stop", "app.redeploy",
    "app.upgrade", "app.rollback", "app.pull_images", "app.image.pull", "docker.backup",
    "docker.restore_backup",
}  # fmt: skip
NOT_JOBS = {
    "app.query", "app.get_instance", "app.config", "app.outdated_docker_images",
    "app.upgrade_summary", "app.rollback_versions", "app.container_ids", "app.used_ports",
    "app.ip_choices", "app.available_space", "app.image.query", "app.image.delete",
    "docker.status", "docker.config", "docker.list_backups", "docker.delete_backup",
    "system.info", "system.version", "pool.query", "pool.dataset.query", "pool.dataset.create",
    "filesystem.stat",
}  # fmt: skip


def test_every_method_is_registered_with_the_right_job_flag() -> None:
    registry = nas().registry
    assert {name for name in JOBS if registry.methods[name].job} == JOBS
    assert {name for name in NOT_JOBS if not registry.methods[name].job} == NOT_JOBS
    assert set(registry.sources) == {"app.stats", "app.container_log_follow"}
    assert registry.methods["app.used_host_ips"].min_version == "25.10"


def test_build_registry_extends_an_existing_registry() -> None:
    existing = Registry()
    existing.method("core.ping")(lambda ctx: "pong")
    registry = build_registry(nas().model, existing)
    assert registry is existing and "core.ping" in registry.methods
    assert "app.query" in registry.methods
