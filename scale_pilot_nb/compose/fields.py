"""Normalisers for single service attributes: short syntax in, long syntax with defaults out.

Each handler takes the attribute's value and its YAML path and returns the long form. A handler
raises :class:`ComposeError` when the whole attribute is unusable; list handlers record a
problem with one entry as an :class:`Issue` at that entry's path and keep the entry as written,
so one bad port does not hide the others. Every handler accepts its own output unchanged, which
makes normalisation idempotent.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scale_pilot_nb.compose.environment import env_file_entries, environment_mapping
from scale_pilot_nb.compose.model import Issue, YamlPath
from scale_pilot_nb.compose.ports import parse_ports
from scale_pilot_nb.compose.scalars import (
    scalar_text,
    to_bool,
    to_byte_string,
    to_bytes,
    to_float,
    to_int,
)
from scale_pilot_nb.compose.volumes import parse_volume
from scale_pilot_nb.errors import ComposeError

__all__ = [
    "MAX_PORT_MAPPINGS",
    "SERVICE_FIELDS",
    "Context",
    "dockerfile_uses_context",
    "normalise_resources",
]

_RESTART = re.compile(r"^(?:no|always|unless-stopped|on-failure(?::\d+)?)$")
_CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
_HEALTH_TESTS = ("NONE", "CMD", "CMD-SHELL")


MAX_PORT_MAPPINGS = 65_536
"""Most port mappings one document may expand to; ranges beyond it are reported, not built."""


@dataclass
class Context:
    """What every handler may need while one document is normalised.

    Attributes:
        environment: values for bare ``KEY`` entries of ``environment``.
        issues: problems found so far.
        port_mappings: port mappings built so far (ranges are bounded by the document).
        written_paths: normalised path → written path of entries that moved (port ranges).
    """

    environment: Mapping[str, str] | None = None
    issues: list[Issue] = field(default_factory=list)
    port_mappings: int = 0
    written_paths: dict[YamlPath, YamlPath] = field(default_factory=dict)


Handler = Callable[[Any, YamlPath, Context], Any]


def _ports(value: Any, path: YamlPath, ctx: Context) -> list[Any]:
    out: list[Any] = []
    for index, item in enumerate(_as_list(value, path)):
        start = len(out)
        out.extend(_port_entries(item, (*path, index), ctx))
        for moved in range(start, len(out)):
            if moved != index:  # a range before (or this one) shifted the entries
                ctx.written_paths[(*path, moved)] = (*path, index)
    return out


def _port_entries(item: Any, path: YamlPath, ctx: Context) -> list[Any]:
    """The long-syntax mappings of one written entry, or the entry as written if invalid."""
    try:
        mappings = parse_ports(item)
    except ComposeError as exc:
        ctx.issues.append(Issue(path, exc.message, exc.hint))
        return [copy.deepcopy(item)]
    ctx.port_mappings += len(mappings)
    if ctx.port_mappings > MAX_PORT_MAPPINGS:
        ctx.issues.append(
            Issue(
                path,
                f"port ranges expand to more than {MAX_PORT_MAPPINGS} mappings",
                "Publish narrower ranges.",
            )
        )
        return [copy.deepcopy(item)]
    return [mapping.to_dict() for mapping in mappings]


def _volumes(value: Any, path: YamlPath, ctx: Context) -> list[Any]:
    out: list[Any] = []
    for index, item in enumerate(_as_list(value, path)):
        try:
            out.append(parse_volume(item).to_dict())
        except ComposeError as exc:
            ctx.issues.append(Issue((*path, index), exc.message, exc.hint))
            out.append(copy.deepcopy(item))
    return out


def _environment(value: Any, path: YamlPath, ctx: Context) -> dict[str, str | None]:
    mapping = environment_mapping(value)
    if mapping is None:
        raise ComposeError("'environment' must be a list of KEY=VALUE or a mapping of scalars")
    if ctx.environment is not None:
        for key, item in mapping.items():
            if item is None:
                mapping[key] = ctx.environment.get(key)
    return mapping


def _env_file(value: Any, path: YamlPath, ctx: Context) -> list[dict[str, Any]]:
    entries = env_file_entries(value)
    if entries is None:
        raise ComposeError("'env_file' must be a path, a list of paths or of {path, required}")
    return entries


def _equals_mapping(value: Any, path: YamlPath, ctx: Context) -> dict[str, str]:
    """``labels`` / ``annotations`` / ``sysctls``: ``["k=v", "k"]`` or a mapping → mapping."""
    if isinstance(value, dict):
        return {str(k): "" if v is None else scalar_text(v) for k, v in value.items()}
    if isinstance(value, list) and all(isinstance(i, str | int | float) for i in value):
        pairs = (scalar_text(item).partition("=") for item in value)
        return {key: text for key, _, text in pairs}
    raise ComposeError(f"'{path[-1]}' must be a list of key=value or a mapping")


def _depends_on(value: Any, path: YamlPath, ctx: Context) -> dict[str, dict[str, Any]]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        value = dict.fromkeys(value)
    if not isinstance(value, dict):
        raise ComposeError("'depends_on' must be a list of service names or a mapping")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in value.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise ComposeError(f"depends_on '{name}' must be a mapping")
        condition = spec.get("condition", "service_started")
        if condition not in _CONDITIONS:
            raise ComposeError(
                f"depends_on '{name}': condition '{condition}' is not one of "
                + ", ".join(_CONDITIONS)
            )
        entry = {**copy.deepcopy(spec), "condition": condition}
        entry["required"] = to_bool(spec.get("required", True), "required")
        entry["restart"] = to_bool(spec.get("restart", False), "restart")
        out[str(name)] = entry
    return out


def _healthcheck(value: Any, path: YamlPath, ctx: Context) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ComposeError("'healthcheck' must be a mapping")
    out = copy.deepcopy(value)
    test = out.get("test")
    if isinstance(test, str):
        out["test"] = ["CMD-SHELL", test]
    elif isinstance(test, list):
        if not test or test[0] not in _HEALTH_TESTS:
            raise ComposeError(
                "healthcheck 'test' as a list must start with NONE, CMD or CMD-SHELL",
                hint='e.g. ["CMD", "curl", "-f", "http://localhost"]',
            )
        out["test"] = [scalar_text(part) for part in test]
    elif test is not None:
        raise ComposeError("healthcheck 'test' must be a string or a list")
    if "retries" in out:
        out["retries"] = to_int(out["retries"], "retries")
    if "disable" in out:
        out["disable"] = to_bool(out["disable"], "disable")
    return out


def _command(value: Any, path: YamlPath, ctx: Context) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise ComposeError(f"'{path[-1]}' cannot be split into words: {exc}") from None
    if isinstance(value, list):
        return [scalar_text(part) for part in value]
    raise ComposeError(f"'{path[-1]}' must be a string or a list")


def _build(value: Any, path: YamlPath, ctx: Context) -> dict[str, Any]:
    """``build: path`` → ``{context: path}``; the defaults ``context: .`` and ``dockerfile``.

    An inline Dockerfile that takes nothing from the build context (no ``COPY``/``ADD`` of
    local files, no ``RUN --mount`` of them) gets no ``context``: Compose would default it to
    the project directory, which on TrueNAS is a directory under ``/mnt/.ix-apps`` that
    exists, so such a build works there and nothing needs pointing at a path.
    """
    if isinstance(value, str):
        value = {"context": value}
    if not isinstance(value, dict):
        raise ComposeError("'build' must be a path or a mapping")
    out = copy.deepcopy(value)
    inline = out.get("dockerfile_inline")
    if not isinstance(inline, str) or dockerfile_uses_context(inline):
        out.setdefault("context", ".")
    if "dockerfile_inline" not in out:
        out.setdefault("dockerfile", "Dockerfile")
    return out


_INSTRUCTION = re.compile(r"^\s*(COPY|ADD|RUN)\s+(.*)$", re.IGNORECASE | re.DOTALL)
_REMOTE_SOURCE = re.compile(r"^(?:https?://|git@|git://|ssh://)", re.IGNORECASE)


def dockerfile_uses_context(dockerfile: str) -> bool:
    """True when a Dockerfile reads files from its build context.

    That is a ``COPY``/``ADD`` without ``--from=`` whose sources are not all URLs or a
    heredoc (``COPY <<EOF``), or a ``RUN --mount=type=bind`` without ``from=``. Continuation
    lines are joined first; comments are skipped.
    """
    lines: list[str] = []
    current = ""
    for raw in dockerfile.splitlines():
        if not current and raw.lstrip().startswith("#"):
            continue
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        lines.append(current + raw)
        current = ""
    if current:
        lines.append(current)
    for line in lines:
        match = _INSTRUCTION.match(line)
        if match is None:
            continue
        instruction, rest = match.group(1).upper(), match.group(2)
        words = rest.split()
        flags = [w for w in words if w.startswith("--")]
        if instruction == "RUN":
            if any(
                f.startswith("--mount=") and "type=bind" in f and "from=" not in f for f in flags
            ):
                return True
            continue
        if any(f.startswith("--from=") for f in flags):
            continue
        sources = [w for w in words if not w.startswith("--")][:-1]  # the last is the target
        if rest.lstrip().startswith("["):  # JSON form: ["src", "dest"]
            return True
        if any(s.startswith("<<") for s in sources):
            continue
        if instruction == "ADD" and sources and all(_REMOTE_SOURCE.match(s) for s in sources):
            continue
        return True
    return False


def _networks(value: Any, path: YamlPath, ctx: Context) -> dict[str, Any]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return dict.fromkeys(value)
    if isinstance(value, dict):
        return copy.deepcopy(value)
    raise ComposeError("'networks' must be a list of names or a mapping")


def _extra_hosts(value: Any, path: YamlPath, ctx: Context) -> list[str]:
    """``["host:ip"]``, ``["host=ip"]`` or ``{host: ip}`` → sorted ``host:ip`` entries.

    Compose reads both separators and prints ``host=ip``; ``host:ip`` is written here because
    every Docker Compose version reads it. Several IPs may be given comma-separated or as a
    list; ``[::1]`` loses its brackets.
    """
    pairs: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for host, ips in value.items():
            items = ips if isinstance(ips, list) else ["" if ips is None else ips]
            pairs.extend((str(host), scalar_text(ip)) for ip in items)
    elif isinstance(value, list):
        for item in value:
            text = scalar_text(item)
            sep = "=" if "=" in text else ":"
            host, found, ips = text.partition(sep)
            if not found:
                raise ComposeError(
                    f"extra_hosts entry '{text}' has no IP",
                    hint='Write "host:ip", "host=ip" or a mapping host: ip.',
                )
            pairs.extend((host, ip) for ip in ips.split(","))
    else:
        raise ComposeError("'extra_hosts' must be a list of host:ip or a mapping")
    out = []
    for host, ip in pairs:
        if not host or any(sep in host for sep in ":="):
            raise ComposeError(f"extra_hosts has a bad host name '{host}'")
        if len(ip) > 2 and ip.startswith("[") and ip.endswith("]"):
            ip = ip[1:-1]
        out.append(f"{host}:{ip}")
    return sorted(out)


def _restart(value: Any, path: YamlPath, ctx: Context) -> str:
    text = "no" if value is False else scalar_text(value)
    if not _RESTART.match(text):
        raise ComposeError(
            f"restart '{text}' is not valid",
            hint="Use no, always, unless-stopped, on-failure or on-failure:N.",
        )
    return text


def _string_list(value: Any, path: YamlPath, ctx: Context) -> list[Any]:
    return [value] if isinstance(value, str) else copy.deepcopy(_as_list(value, path))


def _expose(value: Any, path: YamlPath, ctx: Context) -> list[str]:
    return [scalar_text(item) for item in _as_list(value, path)]


def _references(value: Any, path: YamlPath, ctx: Context) -> list[Any]:
    """``secrets`` / ``configs`` of a service: a name is short for ``{source: name}``."""
    items = _as_list(value, path)
    return [{"source": item} if isinstance(item, str) else copy.deepcopy(item) for item in items]


def _deploy(value: Any, path: YamlPath, ctx: Context) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ComposeError("'deploy' must be a mapping")
    out = copy.deepcopy(value)
    resources = out.get("resources")
    if resources is not None:
        out["resources"] = normalise_resources(resources)
    if "replicas" in out:
        out["replicas"] = to_int(out["replicas"], "replicas")
    return out


def normalise_resources(resources: Any) -> dict[str, Any]:
    """``deploy.resources``: memory as a string of bytes, cpus as a number, pids as an integer."""
    if not isinstance(resources, dict):
        raise ComposeError("'deploy.resources' must be a mapping")
    out = copy.deepcopy(resources)
    for section in ("limits", "reservations"):
        part = out.get(section)
        if part is None:
            continue
        if not isinstance(part, dict):
            raise ComposeError(f"'deploy.resources.{section}' must be a mapping")
        if "memory" in part:
            part["memory"] = to_byte_string(part["memory"], "memory")
        if "cpus" in part:
            part["cpus"] = to_float(part["cpus"], "cpus")
        if "pids" in part:
            part["pids"] = to_int(part["pids"], "pids")
    return out


def _as_list(value: Any, path: YamlPath) -> list[Any]:
    if not isinstance(value, list):
        raise ComposeError(f"'{path[-1]}' must be a list")
    return value


def _typed(convert: Callable[[Any, str], Any]) -> Handler:
    def handler(value: Any, path: YamlPath, ctx: Context) -> Any:
        return convert(value, str(path[-1]))

    return handler


SERVICE_FIELDS: dict[str, Handler] = {
    "ports": _ports,
    "volumes": _volumes,
    "environment": _environment,
    "env_file": _env_file,
    "labels": _equals_mapping,
    "annotations": _equals_mapping,
    "sysctls": _equals_mapping,
    "depends_on": _depends_on,
    "healthcheck": _healthcheck,
    "command": _command,
    "entrypoint": _command,
    "build": _build,
    "networks": _networks,
    "extra_hosts": _extra_hosts,
    "restart": _restart,
    "expose": _expose,
    "secrets": _references,
    "configs": _references,
    "deploy": _deploy,
    **dict.fromkeys(("dns", "dns_search", "dns_opt", "tmpfs", "cap_add", "cap_drop"), _string_list),
    **dict.fromkeys(
        ("privileged", "read_only", "tty", "stdin_open", "init", "oom_kill_disable"),
        _typed(to_bool),
    ),
    **dict.fromkeys(("scale", "cpu_shares", "oom_score_adj", "mem_swappiness"), _typed(to_int)),
    **dict.fromkeys(("shm_size", "memswap_limit"), _typed(to_bytes)),
}
"""Service attribute → its normaliser; attributes not listed are copied as written."""
