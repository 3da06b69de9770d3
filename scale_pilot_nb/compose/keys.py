"""The keys the Compose Specification defines, and reporting of the ones it does not.

Written from the specification's prose (top-level elements and service attributes), not
copied from its JSON schema. Unknown keys are reported with the closest known key, because a
typo (``enviroment:``) is otherwise silently ignored by ``docker compose`` and by TrueNAS.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from scale_pilot_nb.compose.model import UnknownKey, YamlPath

__all__ = [
    "DEPENDENCY_KEYS",
    "SERVICE_KEYS",
    "SERVICE_SECTION_KEYS",
    "TOP_LEVEL_KEYS",
    "find_unknown_keys",
]

TOP_LEVEL_KEYS = frozenset(
    {
        "version",
        "name",
        "include",
        "services",
        "networks",
        "volumes",
        "secrets",
        "configs",
        "models",
    }
)
"""Top-level elements; ``version`` is obsolete but still accepted."""

SERVICE_KEYS = frozenset(
    [
        "annotations",
        "attach",
        "blkio_config",
        "build",
        "cap_add",
        "cap_drop",
        "cgroup",
        "cgroup_parent",
        "command",
        "configs",
        "container_name",
        "cpu_count",
        "cpu_percent",
        "cpu_period",
        "cpu_quota",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "cpu_shares",
        "cpus",
        "cpuset",
        "credential_spec",
        "depends_on",
        "deploy",
        "develop",
        "device_cgroup_rules",
        "devices",
        "dns",
        "dns_opt",
        "dns_search",
        "domainname",
        "entrypoint",
        "env_file",
        "environment",
        "expose",
        "extends",
        "external_links",
        "extra_hosts",
        "gpus",
        "group_add",
        "healthcheck",
        "hostname",
        "image",
        "init",
        "ipc",
        "isolation",
        "label_file",
        "labels",
        "links",
        "logging",
        "mac_address",
        "mem_limit",
        "mem_reservation",
        "mem_swappiness",
        "memswap_limit",
        "models",
        "network_mode",
        "networks",
        "oom_kill_disable",
        "oom_score_adj",
        "pid",
        "pids_limit",
        "platform",
        "ports",
        "post_start",
        "pre_stop",
        "privileged",
        "profiles",
        "provider",
        "pull_policy",
        "pull_refresh_after",
        "read_only",
        "restart",
        "runtime",
        "scale",
        "secrets",
        "security_opt",
        "shm_size",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "storage_opt",
        "sysctls",
        "tmpfs",
        "tty",
        "ulimits",
        "use_api_socket",
        "user",
        "userns_mode",
        "uts",
        "volumes",
        "volumes_from",
        "working_dir",
    ]
)
"""Service attributes."""

_LIMITS = frozenset({"cpus", "memory", "pids"})
SERVICE_SECTION_KEYS: dict[tuple[str, ...], frozenset[str]] = {
    ("healthcheck",): frozenset(
        {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}
    ),
    ("deploy",): frozenset(
        {
            "endpoint_mode",
            "labels",
            "mode",
            "placement",
            "replicas",
            "resources",
            "restart_policy",
            "rollback_config",
            "update_config",
        }
    ),
    ("deploy", "resources"): frozenset({"limits", "reservations"}),
    ("deploy", "resources", "limits"): _LIMITS,
    ("deploy", "resources", "reservations"): _LIMITS | {"devices", "generic_resources"},
}
"""Keys of the service sections where a typo silently drops a setting TrueNAS shows
(a health state, a resource limit)."""
DEPENDENCY_KEYS = frozenset({"condition", "required", "restart"})
"""Keys of one ``depends_on`` entry in mapping form."""


def find_unknown_keys(data: Any) -> list[UnknownKey]:
    """Keys the specification does not define: top level, services, and the service sections
    of :data:`SERVICE_SECTION_KEYS` and ``depends_on`` entries.

    ``x-`` extension keys are allowed everywhere. Never raises: shapes that are not mappings
    are skipped (validation reports them).
    """
    if not isinstance(data, dict):
        return []
    found = _unknown(data, (), TOP_LEVEL_KEYS)
    services = data.get("services")
    if isinstance(services, dict):
        for name, service in services.items():
            if isinstance(service, dict):
                found.extend(_unknown_in_service(service, ("services", name)))
    return found


def _unknown_in_service(service: dict[str, Any], path: YamlPath) -> list[UnknownKey]:
    found = _unknown(service, path, SERVICE_KEYS)
    for section, known in SERVICE_SECTION_KEYS.items():
        node: Any = service
        for key in section:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            found.extend(_unknown(node, (*path, *section), known))
    dependencies = service.get("depends_on")
    if isinstance(dependencies, dict):
        for name, entry in dependencies.items():
            if isinstance(entry, dict):
                found.extend(_unknown(entry, (*path, "depends_on", name), DEPENDENCY_KEYS))
    return found


def _unknown(mapping: dict[str, Any], path: YamlPath, known: Iterable[str]) -> list[UnknownKey]:
    table = sorted(known)
    return [
        UnknownKey((*path, key), key, _suggest(key, table))
        for key in mapping
        if key not in known and not str(key).startswith("x-")
    ]


def _suggest(key: str, known: list[str]) -> str | None:
    matches = difflib.get_close_matches(str(key).lower(), known, n=1, cutoff=0.6)
    return matches[0] if matches else None
