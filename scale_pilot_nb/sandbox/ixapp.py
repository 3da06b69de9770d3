"""The catalog ``ix-app`` ("Custom App" wizard): values schema check and compose rendering.

The schema follows ``questions.yaml`` of ix-app 1.4.x (reference §5.2). Errors use the
middleware's wording per version: 24.10/25.04 prefix attributes with ``values.`` and use the
legacy schema messages; 25.10 uses pydantic messages without the prefix. Fields hidden by
``show_if`` get no defaults. Unknown keys are kept (``additional_attrs``/``extra="allow"``).
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scale_pilot_nb.sandbox.contract import version_at_least

_REQUIRED = object()
Condition = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Q:
    """One question: ``kind`` is str/int/bool/enum/list/dict/path/hostpath."""

    kind: str
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    items: Q | None = None
    attrs: dict[str, Q] = field(default_factory=dict)
    show_if: Condition | None = None


def _when(key: str, value: Any) -> Condition:
    return lambda parent: parent.get(key) == value


def _acl_entries() -> Q:
    entry = {
        "id_type": Q("enum", "USER", choices=("USER", "GROUP")),
        "id": Q("int", required=True, low=0),
        "access": Q("enum", "READ", choices=("READ", "MODIFY", "FULL_CONTROL")),
    }
    return Q("list", [], items=Q("dict", attrs=entry))


_PORT = Q(
    "dict",
    attrs={
        "bind_mode": Q("enum", "published", choices=("published", "exposed")),
        "port_number": Q("int", required=True, low=1, high=65535),
        "container_port": Q("int", required=True, low=1, high=65535),
        "protocol": Q("enum", "tcp", required=True, choices=("tcp", "udp")),
        "host_ips": Q("list", [], items=Q("str"), show_if=_when("bind_mode", "published")),
    },
)
_STORAGE = Q(
    "dict",
    attrs={
        "type": Q("enum", "ix_volume", choices=("host_path", "ix_volume", "cifs", "nfs", "tmpfs")),
        "read_only": Q("bool", False),
        "mount_path": Q("path", required=True),
        "host_path_config": Q(
            "dict",
            show_if=_when("type", "host_path"),
            attrs={
                "acl_enable": Q("bool", False),
                "acl": Q(
                    "dict",
                    show_if=_when("acl_enable", True),
                    attrs={
                        "path": Q("hostpath", required=True),
                        "entries": _acl_entries(),
                        "options": Q("dict", attrs={"force": Q("bool", False)}),
                    },
                ),
                "path": Q("hostpath", required=True, show_if=_when("acl_enable", False)),
            },
        ),
        "ix_volume_config": Q(
            "dict",
            show_if=_when("type", "ix_volume"),
            attrs={
                "acl_enable": Q("bool", False),
                "dataset_name": Q("str", "storage_entry", required=True),
            },
        ),
        "cifs_config": Q(
            "dict",
            show_if=_when("type", "cifs"),
            attrs={
                name: Q("str", required=True) for name in ("server", "path", "username", "password")
            }
            | {"domain": Q("str", "")},
        ),
        "nfs_config": Q(
            "dict",
            show_if=_when("type", "nfs"),
            attrs={"server": Q("str", required=True), "path": Q("str", required=True)},
        ),
        "tmpfs_config": Q(
            "dict",
            show_if=_when("type", "tmpfs"),
            attrs={"size": Q("int", 500, required=True, low=1)},
        ),
    },
)
SCHEMA = Q(
    "dict",
    attrs={
        "notes": Q("str"),
        "image": Q(
            "dict",
            attrs={
                "repository": Q("str", required=True),
                "tag": Q("str", "latest"),
                "pull_policy": Q(
                    "enum", "missing", required=True, choices=("missing", "always", "never")
                ),
            },
        ),
        "hostname": Q("str", ""),
        "entrypoint": Q("list", [], items=Q("str")),
        "command": Q("list", [], items=Q("str")),
        "TZ": Q("str", "Etc/UTC", required=True),
        "envs": Q(
            "list",
            [],
            items=Q("dict", attrs={"name": Q("str", required=True), "value": Q("str", "")}),
        ),
        "restart_policy": Q(
            "enum", "no", required=True, choices=("no", "unless-stopped", "on-failure", "always")
        ),
        "max_retry_count": Q("int", 0, low=0, show_if=_when("restart_policy", "on-failure")),
        "disable_builtin_healthcheck": Q("bool", False),
        "tty": Q("bool", False),
        "stdin": Q("bool", False),
        "devices": Q(
            "list",
            [],
            items=Q(
                "dict",
                attrs={
                    "host_device": Q("str", required=True),
                    "container_device": Q("str", required=True),
                },
            ),
        ),
        "privileged": Q("bool", False),
        "capabilities": Q("dict", attrs={"add": Q("list", [], items=Q("str"))}),
        "run_as_custom_user": Q("bool", False),
        "run_as": Q(
            "dict",
            show_if=_when("run_as_custom_user", True),
            attrs={"user": Q("int", 568, low=0), "group": Q("int", 568, low=0)},
        ),
        "host_network": Q("bool", False),
        "ports": Q("list", [], items=_PORT, show_if=_when("host_network", False)),
        "portals": Q(
            "list",
            [],
            items=Q(
                "dict",
                attrs={
                    "name": Q("str", "Web UI", required=True),
                    "scheme": Q("enum", "http", choices=("http", "https")),
                    "use_node_ip": Q("bool", True),
                    "host": Q("str", "", show_if=_when("use_node_ip", False)),
                    "port": Q("int", 15000, low=1, high=65535),
                    "path": Q("str", "/"),
                },
            ),
        ),
        "storage": Q("list", [], items=_STORAGE),
        "labels": Q(
            "list",
            [],
            items=Q(
                "dict", attrs={"key": Q("str", required=True), "value": Q("str", required=True)}
            ),
        ),
        "resources": Q(
            "dict",
            attrs={
                "enable_resource_limits": Q("bool", False),
                "limits": Q(
                    "dict",
                    show_if=_when("enable_resource_limits", True),
                    attrs={"cpus": Q("int", 2, low=1), "memory": Q("int", 4096, low=1)},
                ),
            },
        ),
    },
)

_TYPE_NAMES = {"str": str, "path": str, "hostpath": str, "enum": str, "int": int, "bool": bool}


class _Checker:
    """Walks values against :data:`SCHEMA`, filling defaults and collecting errors."""

    def __init__(self, version: str, path_exists: Callable[[str], bool]) -> None:
        self.pydantic = version_at_least(version, "25.10")
        self.path_exists = path_exists
        self.errors: list[tuple[str, str, int]] = []

    def fail(self, attr: str, message: str) -> None:
        self.errors.append((attr if self.pydantic else f"values.{attr}", message, errno.EINVAL))

    def type_error(self, attr: str, kind: str) -> None:
        pydantic = {
            "str": "Input should be a valid string",
            "int": "Input should be a valid integer",
            "bool": "Input should be a valid boolean",
            "list": "Input should be a valid list",
            "dict": "Input should be a valid dictionary",
        }
        legacy = {
            "str": "Not a string",
            "int": "Not an integer",
            "bool": "Not a boolean",
            "list": "Not a list",
            "dict": "Not a dictionary",
        }
        base = "str" if kind in ("path", "hostpath", "enum") else kind
        self.fail(attr, (pydantic if self.pydantic else legacy)[base])

    def check(self, q: Q, value: Any, attr: str) -> Any:
        if q.kind == "dict":
            return self.check_dict(q, value, attr)
        if q.kind == "list":
            if not isinstance(value, list):
                return self.type_error(attr, "list")
            assert q.items is not None
            return [self.check(q.items, item, f"{attr}.{i}") for i, item in enumerate(value)]
        expected = _TYPE_NAMES[q.kind]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            return self.type_error(attr, q.kind)
        self.check_scalar(q, value, attr)
        return value

    def check_scalar(self, q: Q, value: Any, attr: str) -> None:
        if q.kind == "enum" and value not in q.choices:
            if self.pydantic:
                quoted = [f"'{c}'" for c in q.choices]
                self.fail(attr, f"Input should be {', '.join(quoted[:-1])} or {quoted[-1]}")
            else:
                self.fail(attr, f"Invalid choice: {value}")
        elif q.kind == "int":
            low, high = q.low, q.high
            if (low is not None and value < low) or (high is not None and value > high):
                if not self.pydantic:
                    self.fail(attr, f"Should be between {low} and {high}")
                elif low is not None and value < low:
                    self.fail(attr, f"Input should be greater than or equal to {low}")
                else:
                    self.fail(attr, f"Input should be less than or equal to {high}")
        elif q.kind == "path" and not value.startswith("/"):
            self.fail(attr, "Path must be absolute")
        elif q.kind == "hostpath" and not self.path_exists(value):
            suffix = "" if self.pydantic else _LEGACY_HOSTPATH_SUFFIX
            self.fail(attr, f"Path does not exist{suffix}")

    def check_dict(self, q: Q, value: Any, attr: str) -> Any:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            return self.type_error(attr, "dict")
        result = dict(value)  # unknown keys are kept
        for name, sub in q.attrs.items():
            sub_attr = f"{attr}.{name}" if attr else name
            if sub.show_if is not None and not sub.show_if(result):
                continue
            if name in value:
                result[name] = self.check(sub, value[name], sub_attr)
            elif sub.kind == "dict":
                result[name] = self.check_dict(sub, {}, sub_attr)
            elif sub.default is not None:
                result[name] = list(sub.default) if sub.kind == "list" else sub.default
            elif sub.required:
                self.fail(sub_attr, "Field required" if self.pydantic else "attribute required")
        return result


_LEGACY_HOSTPATH_SUFFIX = " (underlying dataset may be locked or the path is just missing)."


def normalize(
    version: str, values: Any, path_exists: Callable[[str], bool]
) -> tuple[dict[str, Any], list[tuple[str, str, int]]]:
    """Validate ix-app ``values``; return them with defaults and the ``(attr, msg, errno)`` list."""
    checker = _Checker(version, path_exists)
    normalized = checker.check_dict(SCHEMA, values, "")
    return normalized if isinstance(normalized, dict) else {}, checker.errors


def _volume(app_name: str, entry: dict[str, Any], index: int) -> dict[str, Any]:
    kind, target = entry["type"], entry["mount_path"]
    read_only = bool(entry.get("read_only"))
    if kind == "host_path":
        config = entry["host_path_config"]
        source = config["acl"]["path"] if config.get("acl_enable") else config["path"]
        return {"type": "bind", "source": source, "target": target, "read_only": read_only}
    if kind == "ix_volume":
        dataset = entry["ix_volume_config"]["dataset_name"]
        source = f"/mnt/.ix-apps/app_mounts/{app_name}/{dataset}"
        return {"type": "bind", "source": source, "target": target, "read_only": read_only}
    if kind == "tmpfs":
        return {"type": "tmpfs", "target": target}
    return {"type": "volume", "source": f"{kind}-{index}", "target": target, "read_only": read_only}


def ix_volumes(app_name: str, values: dict[str, Any]) -> dict[str, str]:
    """The ``ix_volumes`` reserved key: dataset name → host path."""
    names = [
        s["ix_volume_config"]["dataset_name"]
        for s in values.get("storage", [])
        if s.get("type") == "ix_volume"
    ]
    return {name: f"/mnt/.ix-apps/app_mounts/{app_name}/{name}" for name in names}


def render(app_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Compose document the ix-app template renders for normalized ``values``."""
    image = values["image"]
    service: dict[str, Any] = {
        "image": f"{image['repository']}:{image.get('tag') or 'latest'}",
        "restart": values["restart_policy"],
        "environment": {"TZ": values["TZ"]} | {e["name"]: e["value"] for e in values["envs"]},
        "tty": values["tty"],
        "stdin_open": values["stdin"],
        "privileged": values["privileged"],
        "cap_add": list(values.get("capabilities", {}).get("add", [])),
        "labels": {label["key"]: label["value"] for label in values["labels"]},
        "volumes": [_volume(app_name, s, i) for i, s in enumerate(values["storage"])],
    }
    for key in ("entrypoint", "command"):
        if values[key]:
            service[key] = list(values[key])
    if values["hostname"]:
        service["hostname"] = values["hostname"]
    if values.get("run_as_custom_user"):
        service["user"] = f"{values['run_as']['user']}:{values['run_as']['group']}"
    if values["disable_builtin_healthcheck"]:
        service["healthcheck"] = {"disable": True}
    if values["host_network"]:
        service["network_mode"] = "host"
    else:
        published = [p for p in values["ports"] if p["bind_mode"] == "published"]
        service["ports"] = [
            {
                "target": p["container_port"],
                "published": p["port_number"],
                "protocol": p["protocol"],
                **({"host_ip": ip} if ip else {}),
            }
            for p in published
            for ip in (p.get("host_ips") or [""])
        ]
        service["expose"] = [p["container_port"] for p in values["ports"] if p not in published]
    compose: dict[str, Any] = {"services": {app_name: service}}
    if values.get("notes"):
        compose["x-notes"] = values["notes"]
    compose["x-portals"] = [
        {
            "name": p["name"],
            "scheme": p.get("scheme", "http"),
            "host": "0.0.0.0" if p.get("use_node_ip", True) else p.get("host", ""),
            "port": p["port"],
            "path": p.get("path", "/"),
        }
        for p in values["portals"]
    ]
    return compose
