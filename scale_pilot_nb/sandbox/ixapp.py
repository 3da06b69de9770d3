"""The catalog ``ix-app`` ("Custom App" wizard): values schema check and compose rendering.

The schema follows ``questions.yaml`` of ix-app 1.4.4 (reference §5.2); ``host_ips`` items must
be one of ``app.ip_choices`` (TrueNAS turns ``$ref: definitions/node_bind_ip`` into that enum).
The two validators TrueNAS uses disagree in more than wording (issue-12 facts Q2), so each has
its own walker here:

* 24.10/25.04, the legacy ``middlewared.schema``: first *clean* everything (types, ``null``,
  required keys, choices; integers become strings, numeric strings integers; nested objects
  refuse unknown keys). A failure inside a list item stops that list and is folded into one
  error on the list: ``values.ports: Item#0 is not valid per list types: [EINVAL]
  port.host_ips: …`` (the item's variable name, ``port``, leads the inner text). Only when
  cleaning found nothing are limits and host paths *validated*; those errors keep the item's
  name in their path (``values.ports.0.port.port_number``).
* 25.10, pydantic models built from the questions (``extra="allow"``, lax: ``"30080"`` is an
  int, ``"yes"`` a bool): no ``values.`` prefix, fields in declaration order, and a list of
  objects stops at its first failing item while a list of scalars reports every bad item.

Fields hidden by ``show_if`` get no defaults; 25.10 leaves a hidden value it was sent alone.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scale_pilot_nb.sandbox.contract import version_at_least
from scale_pilot_nb.sandbox.state import NAS_ADDRESSES

Condition = Callable[[dict[str, Any]], bool]
Found = list[tuple[str, str]]


@dataclass(frozen=True)
class Q:
    """One question.

    ``kind`` is str/text/int/bool/enum/ip/list/dict/path/hostpath (``ip`` = a choice among
    ``app.ip_choices``); ``item`` is a list's item variable name (it appears in legacy paths).
    """

    kind: str
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    items: Q | None = None
    item: str = ""
    attrs: dict[str, Q] = field(default_factory=dict)
    show_if: Condition | None = None


@dataclass(frozen=True)
class _When:
    """``show_if: [[key, "=", value]]``: shown when the sibling ``key`` equals ``value``."""

    key: str
    value: Any

    def __call__(self, parent: dict[str, Any]) -> bool:
        return parent.get(self.key) == self.value


def _when(key: str, value: Any) -> Condition:
    return _When(key, value)


def _strings(item: str, default: Any = None) -> Q:
    return Q("list", default, items=Q("str", required=True), item=item)


_PORT = Q(
    "dict",
    attrs={
        "bind_mode": Q("enum", "published", choices=("published", "exposed")),
        "port_number": Q("int", required=True, low=1, high=65535),
        "container_port": Q("int", required=True, low=1, high=65535),
        "protocol": Q("enum", "tcp", required=True, choices=("tcp", "udp")),
        "host_ips": Q(
            "list",
            [],
            items=Q("ip", required=True),
            item="host_ip",
            show_if=_when("bind_mode", "published"),
        ),
    },
)
_STORAGE = Q(
    "dict",
    attrs={
        "type": Q(
            "enum",
            "ix_volume",
            required=True,
            choices=("host_path", "ix_volume", "cifs", "nfs", "tmpfs"),
        ),
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
                    attrs={"path": Q("hostpath", required=True)},
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
            | {"domain": Q("str")},
        ),
        "nfs_config": Q(
            "dict",
            show_if=_when("type", "nfs"),
            attrs={"server": Q("str", required=True), "path": Q("str", required=True)},
        ),
        "tmpfs_config": Q(
            "dict",
            show_if=_when("type", "tmpfs"),
            attrs={"size": Q("int", 500, required=True)},
        ),
    },
)
SCHEMA = Q(
    "dict",
    attrs={
        "notes": Q("text"),
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
        "entrypoint": _strings("entrypoint_item", []),
        "command": _strings("command_item", []),
        "TZ": Q("str", "Etc/UTC", required=True),
        "envs": Q(
            "list",
            [],
            items=Q("dict", attrs={"name": Q("str", required=True), "value": Q("str")}),
            item="env",
        ),
        "restart_policy": Q(
            "enum", "no", required=True, choices=("no", "unless-stopped", "on-failure", "always")
        ),
        "max_retry_count": Q(
            "int", 0, required=True, show_if=_when("restart_policy", "on-failure")
        ),
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
            item="device",
        ),
        "privileged": Q("bool", False),
        "capabilities": Q("dict", attrs={"add": _strings("capability")}),
        "run_as_custom_user": Q("bool", False),
        "run_as": Q(
            "dict",
            show_if=_when("run_as_custom_user", True),
            attrs={"user": Q("int", 568, required=True), "group": Q("int", 568, required=True)},
        ),
        "host_network": Q("bool", False),
        "ports": Q("list", [], items=_PORT, item="port", show_if=_when("host_network", False)),
        "portals": Q(
            "list",
            items=Q(
                "dict",
                attrs={
                    "name": Q("str", "Web UI", required=True),
                    "scheme": Q("enum", "http", required=True, choices=("http", "https")),
                    "use_node_ip": Q("bool", True, required=True),
                    "host": Q("str", "", required=True, show_if=_when("use_node_ip", False)),
                    "port": Q("int", 15000, required=True),
                    "path": Q("str", "/", required=True),
                },
            ),
            item="portal",
        ),
        "storage": Q("list", [], items=_STORAGE, item="storageEntry"),
        "labels": Q(
            "list",
            [],
            items=Q(
                "dict", attrs={"key": Q("str", required=True), "value": Q("str", required=True)}
            ),
            item="label",
        ),
        "resources": Q(
            "dict",
            attrs={
                "enable_resource_limits": Q("bool", False),
                "limits": Q(
                    "dict",
                    show_if=_when("enable_resource_limits", True),
                    attrs={
                        "cpus": Q("int", 2, required=True),
                        "memory": Q("int", 4096, required=True),
                    },
                ),
                # `$ref: definitions/gpu_configuration`, filled by the middleware from the
                # NAS's GPUs: the sandbox NAS has none, so no NVIDIA GPU can be selected.
                "gpus": Q(
                    "dict",
                    attrs={
                        "use_all_gpus": Q("bool", False),
                        "nvidia_gpu_selection": Q("dict", {}),
                    },
                ),
            },
        ),
    },
)

_TYPES = {"str": "string", "enum": "string", "ip": "string", "bool": "boolean"}


def to_question(name: str, q: Q, ip_choices: Sequence[str] = NAS_ADDRESSES) -> dict[str, Any]:
    """``q`` as a ``questions.yaml`` entry, the way ``catalog.get_app_details`` serves it.

    ``$ref: definitions/node_bind_ip`` arrives already resolved into an ``enum`` of
    ``ip_choices`` (the middleware normalises the questions before answering).
    """
    schema: dict[str, Any] = {"type": _TYPES.get(q.kind, q.kind)}
    if q.default is not None:
        schema["default"] = q.default
    if q.required:
        schema["required"] = True
    choices = tuple(ip_choices) if q.kind == "ip" else q.choices
    if q.kind in ("enum", "ip"):
        schema["enum"] = [{"value": c, "description": c} for c in choices]
    if q.kind == "ip":
        schema["$ref"] = ["definitions/node_bind_ip"]
    if q.low is not None:
        schema["min"] = q.low
    if q.high is not None:
        schema["max"] = q.high
    if isinstance(q.show_if, _When):
        schema["show_if"] = [[q.show_if.key, "=", q.show_if.value]]
    if q.kind == "list" and q.items is not None:
        schema["items"] = [to_question(q.item, q.items, ip_choices)]
    if q.kind == "dict":
        schema["attrs"] = [to_question(k, sub, ip_choices) for k, sub in q.attrs.items()]
        if not q.attrs:
            schema["additional_attrs"] = True
    label = name.replace("_", " ").strip().capitalize()
    return {"variable": name, "label": label, "description": "", "schema": schema}


def questions(ip_choices: Sequence[str] = NAS_ADDRESSES) -> list[dict[str, Any]]:
    """The ix-app ``questions`` list (every top-level attribute of :data:`SCHEMA`)."""
    return [to_question(name, q, ip_choices) for name, q in SCHEMA.attrs.items()]


#: Longest ``string`` answer (pydantic ``str_max_length``; the legacy ``Str`` default).
STR_MAX = 1024
#: The legacy limit of a ``text`` answer (``notes``): 1 MiB.
TEXT_MAX = 1024 * 1024
_STRING_KINDS = ("str", "text", "path", "hostpath", "enum", "ip")
_LEGACY_HOSTPATH = (
    "Path does not exist (underlying dataset may be locked or the path is just missing)."
)


def _visible(q: Q, parent: dict[str, Any]) -> bool:
    return q.show_if is None or q.show_if(parent)


def _ordered(q: Q) -> list[tuple[str, Q]]:
    """Unconditional attributes first: ``show_if`` is judged on the defaults they fill."""
    plain = [(n, s) for n, s in q.attrs.items() if s.show_if is None]
    return plain + [(n, s) for n, s in q.attrs.items() if s.show_if is not None]


class _Fail(Exception):
    """The legacy ``Error``: one attribute; ``str()`` is ``[attribute] message``."""

    def __init__(self, attribute: str, message: str) -> None:
        super().__init__(attribute, message)
        self.attribute, self.message = attribute, message

    def __str__(self) -> str:
        return f"[{self.attribute}] {self.message}"


class _Fails(Exception):
    """The legacy ``ValidationErrors``: ``str()`` is one ``[EINVAL] attr: msg`` line each."""

    def __init__(self, errors: Found) -> None:
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return "".join(f"[EINVAL] {attr}: {msg}\n" for attr, msg in self.errors)


class _Legacy:
    """24.10/25.04: ``Attribute.clean`` over everything, then ``validate`` if clean passed."""

    def __init__(self, choices: Sequence[str], path_exists: Callable[[str], bool]) -> None:
        self.ip_choices = tuple(choices)
        self.path_exists = path_exists

    def clean(self, q: Q, name: str, value: Any, *, extra_ok: bool = False) -> Any:
        if value is None:
            raise _Fail(name, "null not allowed")
        if q.kind == "dict":
            return self.clean_dict(q, name, value, extra_ok)
        if q.kind == "list":
            if not isinstance(value, list):
                raise _Fail(name, "Not a list")
            assert q.items is not None
            cleaned = []
            for index, item in enumerate(value):
                try:
                    cleaned.append(self.clean(q.items, q.item, item))
                except (_Fail, _Fails) as exc:
                    raise _Fail(name, f"Item#{index} is not valid per list types: {exc}") from None
            return cleaned
        if q.kind == "bool":
            if not isinstance(value, bool):
                raise _Fail(name, "Not a boolean")
            return value
        if q.kind == "int":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            try:
                return int(value) if isinstance(value, str) else _not_int()
            except ValueError:
                raise _Fail(name, "Not an integer") from None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _Fail(name, "Not a string")
        choices = self.ip_choices if q.kind == "ip" else q.choices
        if q.kind in ("enum", "ip") and value not in choices:
            raise _Fail(name, f"Invalid choice: {value}")
        return value

    def clean_dict(self, q: Q, name: str, value: Any, extra_ok: bool) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Fail(name, "A dict was expected")
        errors: Found = []
        result: dict[str, Any] = {}
        prefix = f"{name}." if name else ""
        for key, item in value.items():
            sub = q.attrs.get(key)
            if sub is None:
                if not extra_ok:
                    errors.append((f"{prefix}{key}", "Field was not expected"))
                result[key] = item
                continue
            try:
                result[key] = self.clean(sub, key, item)
            except _Fail as exc:
                errors.append((f"{prefix}{exc.attribute}", exc.message))
            except _Fails as exc:
                errors += [(f"{prefix}{attr}", msg) for attr, msg in exc.errors]
        for key, sub in _ordered(q):
            if key in value or not _visible(sub, result):
                continue
            try:
                if sub.kind == "dict":
                    result[key] = self.clean_dict(sub, key, {}, False)
                elif sub.default is not None:
                    result[key] = list(sub.default) if sub.kind == "list" else sub.default
                elif sub.kind == "list":
                    result[key] = []
                elif sub.required:
                    raise _Fail(key, "attribute required")
            except _Fail as exc:
                errors.append((f"{prefix}{exc.attribute}", exc.message))
            except _Fails as exc:
                errors += [(f"{prefix}{attr}", msg) for attr, msg in exc.errors]
        if errors:
            raise _Fails(errors)
        return result

    def validate(self, q: Q, name: str, value: Any) -> Found:
        """Length, range and host-path errors; paths start with ``name``."""
        prefix = f"{name}." if name else ""
        if q.kind == "dict" and isinstance(value, dict):
            return [
                (f"{prefix}{attr}", msg)
                for key, sub in q.attrs.items()
                if key in value
                for attr, msg in self.validate(sub, key, value[key])
            ]
        if q.kind == "list" and isinstance(value, list):
            assert q.items is not None
            return [
                (f"{prefix}{index}.{attr}", msg)
                for index, item in enumerate(value)
                for attr, msg in self.validate(q.items, q.item, item)
            ]
        limit = TEXT_MAX if q.kind == "text" else STR_MAX
        if q.kind in _STRING_KINDS and isinstance(value, str) and value and len(value) > limit:
            return [(name, f"The value may not be longer than {limit} characters")]
        if q.kind == "int" and isinstance(value, int):
            low, high = q.low, q.high
            if (low is not None and value < low) or (high is not None and value > high):
                return [(name, f"Should be between {low} and {high}")]
        if q.kind == "hostpath" and isinstance(value, str) and not self.path_exists(value):
            return [(name, _LEGACY_HOSTPATH)]
        return []

    def check(self, values: Any) -> tuple[dict[str, Any], Found]:
        try:
            cleaned = self.clean_dict(SCHEMA, "", values, True)
        except _Fail as exc:
            return {}, [(f"values.{exc.attribute}", exc.message)]
        except _Fails as exc:
            return {}, [(f"values.{attr}", msg) for attr, msg in exc.errors]
        return cleaned, [
            (f"values.{attr}", msg) for attr, msg in self.validate(SCHEMA, "", cleaned)
        ]


def _not_int() -> int:
    raise ValueError("not an integer")


_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


class _Pydantic:
    """25.10: the models TrueNAS generates from the questions (lax, ``extra="allow"``)."""

    def __init__(
        self, choices: Sequence[str], path_exists: Callable[[str], bool], operation: str
    ) -> None:
        self.ip_choices = tuple(choices)
        self.path_exists = path_exists
        self.operation = operation

    def check(self, q: Q, path: str, value: Any, model: str) -> tuple[Any, Found]:
        if q.kind == "dict":
            return self.check_dict(q, path, value, model)
        if q.kind == "list":
            return self.check_list(q, path, value, model)
        if q.kind in ("enum", "ip"):
            choices = self.ip_choices if q.kind == "ip" else q.choices
            if value in choices and isinstance(value, str):
                return value, []
            quoted = [f"'{c}'" for c in choices]
            listing = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
            return value, [(path, f"Input should be {listing}")]
        if q.kind == "int":
            return self.check_int(q, path, value)
        if q.kind == "bool":
            return self.check_bool(path, value)
        if not isinstance(value, str):
            return value, [(path, "Input should be a valid string")]
        if q.kind != "text" and len(value) > STR_MAX:
            return value, [(path, f"String should have at most {STR_MAX} characters")]
        if q.kind == "path" and not value.startswith("/"):
            return value, [(path, "Value error, Path must be absolute")]
        if q.kind == "hostpath" and not self.path_exists(value):
            return value, [(path, "Value error, Path does not exist")]
        return value, []

    def check_int(self, q: Q, path: str, value: Any) -> tuple[Any, Found]:
        number: int
        if isinstance(value, bool | int):
            number = int(value)
        elif isinstance(value, float):
            if not value.is_integer():
                message = "Input should be a valid integer, got a number with a fractional part"
                return value, [(path, message)]
            number = int(value)
        elif isinstance(value, str):
            try:
                number = int(value.strip())
            except ValueError:
                message = "Input should be a valid integer, unable to parse string as an integer"
                return value, [(path, message)]
        else:
            return value, [(path, "Input should be a valid integer")]
        if q.low is not None and number < q.low:
            return number, [(path, f"Input should be greater than or equal to {q.low}")]
        if q.high is not None and number > q.high:
            return number, [(path, f"Input should be less than or equal to {q.high}")]
        return number, []

    def check_bool(self, path: str, value: Any) -> tuple[Any, Found]:
        if isinstance(value, bool):
            return value, []
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value), []
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE, []
        if isinstance(value, str | int | float):
            return value, [(path, "Input should be a valid boolean, unable to interpret input")]
        return value, [(path, "Input should be a valid boolean")]

    def check_list(self, q: Q, path: str, value: Any, model: str) -> tuple[Any, Found]:
        if not isinstance(value, list):
            return value, [(path, "Input should be a valid list")]
        assert q.items is not None
        result, errors = [], []
        for index, item in enumerate(value):
            item_path = f"{path}.{index}"
            if q.items.kind == "dict":
                # one model per item, validated in turn: the first failing item ends the list
                item_model = f"{model}_ix_list_item_{index}"
                if not isinstance(item, dict):
                    message = (
                        "Value error, middlewared.plugins.apps.schema_construction_utils."
                        f"{item_model}() argument after ** must be a mapping, "
                        f"not {type(item).__name__}"
                    )
                    return value, [(item_path, message)]
                checked, found = self.check_dict(q.items, item_path, item, item_model)
                if found:
                    return value, found
            else:
                checked, found = self.check(q.items, item_path, item, model)
                errors += found
            result.append(checked)
        return result, errors

    def check_dict(self, q: Q, path: str, value: Any, model: str) -> tuple[Any, Found]:
        if not isinstance(value, dict):
            message = f"Input should be a valid dictionary or instance of {model}"
            return value, [(path, message)]
        result = dict(value)  # unknown keys are kept
        errors: Found = []
        found_at: dict[str, Found] = {}
        for name, sub in _ordered(q):
            sub_path = f"{path}.{name}" if path else name
            if not _visible(sub, result):
                continue
            if name in value:
                result[name], found_at[name] = self.check(
                    sub, sub_path, value[name], f"{model}_{name}"
                )
            elif sub.kind == "dict":
                # a missing object is built from its defaults; its errors lose its own name
                result[name], found_at[name] = self.check_dict(sub, path, {}, f"{model}_{name}")
            elif sub.default is not None:
                result[name] = list(sub.default) if sub.kind == "list" else sub.default
            elif sub.required:
                found_at[name] = [(sub_path, "Field required")]
        for name in q.attrs:  # pydantic reports in declaration order
            errors += found_at.get(name, [])
        return result, errors


def normalize(
    version: str,
    values: Any,
    path_exists: Callable[[str], bool],
    *,
    ip_choices: Sequence[str] = NAS_ADDRESSES,
    update: bool = False,
) -> tuple[dict[str, Any], list[tuple[str, str, int]]]:
    """Validate ix-app ``values``; return them with defaults and the ``(attr, msg, errno)`` list.

    Args:
        version: sandbox version (picks the validator).
        values: the ``values`` argument (an object: the argument model checked that).
        path_exists: whether a host path exists on the NAS.
        ip_choices: ``app.ip_choices`` keys, in order (the ``host_ips`` choices).
        update: ``app.update`` (25.10 names its models ``app_update_*``).
    """
    if version_at_least(version, "25.10"):
        operation = "app_update" if update else "app_create"
        checker = _Pydantic(ip_choices, path_exists, operation)
        normalized, found = checker.check_dict(SCHEMA, "", values, operation)
    else:
        normalized, found = _Legacy(ip_choices, path_exists).check(values)
    errors = [(attr, message, errno.EINVAL) for attr, message in found]
    return normalized if isinstance(normalized, dict) else {}, errors


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
        "environment": {"TZ": values["TZ"]}
        | {e["name"]: e.get("value") or "" for e in values["envs"]},
        "tty": values["tty"],
        "stdin_open": values["stdin"],
        "privileged": values["privileged"],
        "cap_add": list(values.get("capabilities", {}).get("add") or []),
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
        for p in values.get("portals") or []
    ]
    return compose
