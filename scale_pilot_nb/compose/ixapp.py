"""One compose service → the values of the TrueNAS catalog app ``ix-app``.

The schema is ix-app 1.2+ (truenas-apps-api.md §5.2/§5.3). Every key is written out, defaults
included, so a payload compares equal to what ``app.config`` returns after the NAS has filled
in its defaults (see :func:`canonical_values`). Whatever ix-app cannot express is returned as a
finding by the caller (:func:`scale_pilot_nb.compose.rules_mode.ix_app_unsupported`), never
dropped silently; this module adds the few lossy *adjustments* it makes itself (rounded CPU
limits, a guessed group id).
"""

from __future__ import annotations

import copy
import math
import shlex
from collections.abc import Callable
from typing import Any, Protocol

from scale_pilot_nb.compose.image import parse_image
from scale_pilot_nb.compose.model import YamlPath
from scale_pilot_nb.compose.paths import HostPathKind, classify_host_path
from scale_pilot_nb.compose.rules_base import as_dict, as_list, published_ports
from scale_pilot_nb.compose.rules_mode import IX_APP_PROTOCOLS, healthcheck_disabled
from scale_pilot_nb.compose.scalars import to_bytes
from scale_pilot_nb.errors import ComposeError

__all__ = ["IX_APP_DEFAULTS", "RESERVED_VALUE_KEYS", "canonical_values", "service_values"]

_MIB = 1024 * 1024
_DEFAULT_TMPFS_MIB = 500
_RESTART_POLICIES = ("no", "unless-stopped", "on-failure", "always")
_PULL_POLICIES = {"always": "always", "never": "never", "missing": "missing"}

IX_APP_DEFAULTS: dict[str, Any] = {
    "notes": "",
    "image": {"repository": "", "tag": "latest", "pull_policy": "missing"},
    "hostname": "",
    "entrypoint": [],
    "command": [],
    "TZ": "Etc/UTC",
    "envs": [],
    "restart_policy": "no",
    "max_retry_count": 0,
    "disable_builtin_healthcheck": False,
    "tty": False,
    "stdin": False,
    "devices": [],
    "privileged": False,
    "capabilities": {"add": []},
    "run_as_custom_user": False,
    "run_as": {"user": 568, "group": 568},
    "host_network": False,
    "ports": [],
    "networks": [],
    "dns_config": {"nameservers": [], "searches": [], "options": []},
    "portals": [],
    "storage": [],
    "labels": [],
    "resources": {
        "enable_resource_limits": False,
        "limits": {"cpus": 2, "memory": 4096},
        "gpus": {"use_all_gpus": False, "nvidia_gpu_selection": {}},
    },
}
"""Every ix-app value with the default the catalog form gives it."""

RESERVED_VALUE_KEYS = ("ix_certificates", "ix_certificate_authorities", "ix_volumes", "ix_context")
"""Keys the NAS adds to a stored ix-app config; not part of what the user asked for."""


class Note(Protocol):
    """Records a lossy adjustment (or a path ix-app accepts only with a warning)."""

    def __call__(self, path: YamlPath, message: str, *, rule: str = ..., hint: str = ...) -> None:
        """Record ``message`` about ``path`` under ``rule``."""


def canonical_values(values: dict[str, Any]) -> dict[str, Any]:
    """Values with defaults filled in and NAS-added keys removed, for exact comparison."""
    merged = _deep_merge(IX_APP_DEFAULTS, values)
    for key in RESERVED_VALUE_KEYS:
        merged.pop(key, None)
    return merged


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def service_values(
    compose: dict[str, Any], name: str, service: dict[str, Any], note: Note
) -> dict[str, Any]:
    """The ix-app ``values`` for one normalised service.

    Args:
        compose: the whole normalised compose (for top-level networks, volumes, ``x-`` fields).
        name: the service name.
        service: the normalised service.
        note: called for every lossy adjustment this mapping makes.
    """
    base: YamlPath = ("services", name)
    ref = parse_image(str(service.get("image") or ""))
    environment = {
        str(k): "" if v is None else str(v) for k, v in as_dict(service.get("environment")).items()
    }
    values: dict[str, Any] = {
        "image": {
            "repository": ref.name,
            "tag": _tag(ref.tag, ref.digest),
            "pull_policy": _PULL_POLICIES.get(str(service.get("pull_policy")), "missing"),
        },
        "hostname": str(service.get("hostname") or ""),
        "entrypoint": _argv(service.get("entrypoint")),
        "command": _argv(service.get("command")),
        "TZ": environment.pop("TZ", "Etc/UTC") or "Etc/UTC",
        "envs": [{"name": k, "value": v} for k, v in environment.items()],
        **_restart(service.get("restart")),
        "disable_builtin_healthcheck": healthcheck_disabled(service.get("healthcheck")),
        "tty": service.get("tty") is True,
        "stdin": service.get("stdin_open") is True,
        "devices": _devices(service.get("devices")),
        "privileged": service.get("privileged") is True,
        "capabilities": {"add": [str(c) for c in as_list(service.get("cap_add"))]},
        **_run_as(service.get("user"), lambda msg: note((*base, "user"), msg)),
        "host_network": service.get("network_mode") == "host",
        "ports": []
        if service.get("network_mode") == "host"
        else _ports(service, lambda msg: note((*base, "ports"), msg)),
        "networks": _networks(compose, service),
        "dns_config": {
            "nameservers": _strings(service.get("dns")),
            "searches": _strings(service.get("dns_search")),
            "options": _strings(service.get("dns_opt")),
        },
        "portals": _portals(compose.get("x-portals")),
        "storage": _storage(service, base, note),
        "labels": [
            {"key": str(k), "value": str(v)} for k, v in as_dict(service.get("labels")).items()
        ],
        "resources": _resources(service, lambda msg: note((*base, "deploy"), msg)),
    }
    notes = compose.get("x-notes")
    if isinstance(notes, str):
        values["notes"] = notes
    return canonical_values(values)


def _tag(tag: str | None, digest: str | None) -> str:
    """ix-app renders ``repository:tag``; a digest rides along in the tag (``1.2@sha256:…``)."""
    if digest:
        return f"{tag}@{digest}" if tag else f"latest@{digest}"
    return tag or "latest"


def _argv(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        return shlex.split(value)
    return []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in as_list(value)]


def _restart(value: Any) -> dict[str, Any]:
    policy, _, retries = str(value or "no").partition(":")
    if policy not in _RESTART_POLICIES:
        policy = "no"
    return {
        "restart_policy": policy,
        "max_retry_count": int(retries) if policy == "on-failure" and retries.isdigit() else 0,
    }


def _devices(value: Any) -> list[dict[str, str]]:
    out = []
    for device in as_list(value):
        if isinstance(device, dict):
            host, container = device.get("source"), device.get("target") or device.get("source")
        else:
            parts = str(device).split(":")
            host, container = parts[0], parts[1] if len(parts) > 1 else parts[0]
        out.append({"host_device": str(host), "container_device": str(container)})
    return out


def _run_as(value: Any, note: Callable[[str], None]) -> dict[str, Any]:
    text = str(value) if value is not None else ""
    user, _, group = text.partition(":")
    if not user.isdigit():
        return {"run_as_custom_user": False, "run_as": dict(IX_APP_DEFAULTS["run_as"])}
    if not group.isdigit():
        group = user
        note(f"user {text!r} has no numeric group; ix-app needs one, so group {user} is used")
    return {"run_as_custom_user": True, "run_as": {"user": int(user), "group": int(group)}}


def _ports(service: dict[str, Any], note: Callable[[str], None]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for port in as_list(service.get("ports")):
        port = as_dict(port)
        target, protocol = port.get("target"), str(port.get("protocol") or "tcp")
        if protocol not in IX_APP_PROTOCOLS:
            continue  # listed by rules_mode.ix_app_unsupported
        host_ips = [str(port["host_ip"])] if port.get("host_ip") else []
        numbers = published_ports(port.get("published")) or []
        if not numbers:
            out.append(_port("exposed", target, target, protocol, []))
        elif len(numbers) > 1:
            note(f"host port range {port.get('published')} becomes its first port {numbers[0]}")
        if numbers:
            out.append(_port("published", numbers[0], target, protocol, host_ips))
    for exposed in as_list(service.get("expose")):
        number, _, protocol = str(exposed).partition("/")
        if number.isdigit() and protocol in ("", *IX_APP_PROTOCOLS):
            out.append(_port("exposed", int(number), int(number), protocol or "tcp", []))
    return out


def _port(mode: str, number: Any, container: Any, protocol: str, ips: list[str]) -> dict[str, Any]:
    return {
        "bind_mode": mode,
        "port_number": int(number),
        "container_port": int(container),
        "protocol": protocol,
        "host_ips": ips,
    }


def _networks(compose: dict[str, Any], service: dict[str, Any]) -> list[dict[str, Any]]:
    declared = as_dict(compose.get("networks"))
    out = []
    for key, config in as_dict(service.get("networks")).items():
        spec = as_dict(declared.get(key))
        if not spec.get("external"):
            continue
        config = as_dict(config)
        entry: dict[str, Any] = {"name": str(spec.get("name") or key), "config": {}}
        for option in ("aliases", "interface_name", "mac_address", "ipv4_address", "ipv6_address"):
            if config.get(option):
                entry["config"][option] = config[option]
        out.append(entry)
    return out


def _portals(value: Any) -> list[dict[str, Any]]:
    """ix-app portals from ``x-portals``; an entry without a usable port is left out (the
    ``truenas.invalid-portal`` rule reports it)."""
    out = []
    for portal in as_list(value):
        port = _portal_port(portal.get("port", 15000)) if isinstance(portal, dict) else None
        if port is None:
            continue
        host = str(portal.get("host") or "")
        out.append(
            {
                "name": str(portal.get("name") or "Web UI"),
                "scheme": str(portal.get("scheme") or "http"),
                "use_node_ip": host in ("", "0.0.0.0"),
                "host": "" if host in ("", "0.0.0.0") else host,
                "port": port,
                "path": str(portal.get("path") or "/"),
            }
        )
    return out


def _portal_port(value: Any) -> int | None:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        return None
    return value


def _storage(service: dict[str, Any], base: YamlPath, note: Note) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, volume in enumerate(as_list(service.get("volumes"))):
        volume = as_dict(volume)
        kind, target = volume.get("type"), str(volume.get("target") or "")
        read_only = volume.get("read_only") is True
        if kind == "volume" and volume.get("source"):
            out.append(
                {
                    "type": "ix_volume",
                    "read_only": read_only,
                    "mount_path": target,
                    "ix_volume_config": {"acl_enable": False, "dataset_name": volume["source"]},
                }
            )
        elif kind == "bind" and isinstance(volume.get("source"), str):
            kind_of_path, resolved = classify_host_path(volume["source"])
            if kind_of_path not in (HostPathKind.POOL, HostPathKind.POOL_ROOT):
                note(
                    (*base, "volumes", index),
                    f"host path {resolved} is outside a pool; ix-app mounts it only as given",
                    rule="convert.ix-app-host-path",
                    hint="The path must exist on the NAS; prefer a dataset under /mnt/<pool>/.",
                )
            out.append(
                {
                    "type": "host_path",
                    "read_only": read_only,
                    "mount_path": target,
                    "host_path_config": {"acl_enable": False, "path": resolved},
                }
            )
        elif kind == "tmpfs":
            size = as_dict(volume.get("tmpfs")).get("size")
            out.append(_tmpfs(target, size, (*base, "volumes", index), note))
    for index, entry in enumerate(_strings(service.get("tmpfs"))):
        path, _, options = entry.partition(":")
        size = next((o[5:] for o in options.split(",") if o.startswith("size=")), None)
        out.append(_tmpfs(path, size, (*base, "tmpfs", index), note))
    return out


def _tmpfs(target: str, size: Any, path: YamlPath, note: Note) -> dict[str, Any]:
    """A tmpfs entry; ``size`` as compose writes it (bytes, or text such as ``64m``)."""
    mib = _DEFAULT_TMPFS_MIB
    if size is not None:
        try:
            size_bytes = to_bytes(size, "size")
        except ComposeError:
            note(path, f"tmpfs size {size!r} is not a size; ix-app's default {mib} MiB is used")
        else:
            mib = math.ceil(size_bytes / _MIB) if size_bytes > 0 else mib
    return {
        "type": "tmpfs",
        "read_only": False,
        "mount_path": target,
        "tmpfs_config": {"size": mib},
    }


def _resources(service: dict[str, Any], note: Callable[[str], None]) -> dict[str, Any]:
    limits = as_dict(as_dict(as_dict(service.get("deploy")).get("resources")).get("limits"))
    resources = copy.deepcopy(IX_APP_DEFAULTS["resources"])
    if not limits.get("cpus") and not limits.get("memory"):
        return resources
    resources["enable_resource_limits"] = True
    cpus_text = limits.get("cpus")
    if cpus_text:
        cpus = float(cpus_text)
        whole = max(1, math.ceil(cpus))
        if whole != cpus:
            note(f"ix-app takes whole CPUs: the limit {cpus_text} becomes {whole}")
        resources["limits"]["cpus"] = whole
    else:
        note("ix-app limits CPU and memory together: cpus is set to the ix-app default 2")
    memory = str(limits.get("memory") or "")  # normalised: a string of bytes
    if memory.isdigit() and int(memory) > 0:
        resources["limits"]["memory"] = max(1, math.ceil(int(memory) / _MIB))
    else:
        note("ix-app limits CPU and memory together: memory is set to the ix-app default 4096 MB")
    return resources
