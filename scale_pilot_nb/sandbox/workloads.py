"""What ``docker compose up`` would start for a compose dict: one container per service.

The sandbox does not run containers; it reads just enough of each service to report what
TrueNAS reports in ``active_workloads`` (image, published ports, mounts) and to decide how the
container behaves once started. Deterministic triggers (documented for test authors):

* **crash** — a service whose ``command`` or ``entrypoint`` starts with ``false`` /
  ``/bin/false`` (exit 1), or is a ``sh -c`` script of ``echo`` lines ending in ``exit N``
  with N ≠ 0, exits with that code: container ``crashed``, app ``CRASHED``. Its log is what
  the script echoed, nothing invented (``false`` logs nothing). ``true`` / ``exit 0`` exits
  cleanly (``exited``; a one-shot helper).
* **unhealthy** — a service with label ``sandbox.health=unhealthy`` (dict or list form) never
  becomes healthy: container ``starting``, app stays ``DEPLOYING``. The same can be switched at
  run time with ``SandboxModel.set_unhealthy``.
* **pull failure** — an image whose tag is ``doesnotexist`` cannot be pulled.

Nothing here validates compose beyond what Docker itself would trip over while starting.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

UNHEALTHY_LABEL = "sandbox.health"
BAD_TAG = "doesnotexist"
ALL_IPV4, ALL_IPV6 = "0.0.0.0", "::"
#: Host ports handed out for container-only port specs (``"80"``), like Docker's ephemeral range.
EPHEMERAL_PORT_BASE = 32768


class ComposeUpError(Exception):
    """``docker compose up`` would fail (bad shape, pull failure, port in use)."""


@dataclass(frozen=True)
class PortBinding:
    """One published port: ``host_ip:host_port -> container_port/protocol``."""

    host_ip: str
    host_port: int
    container_port: int
    protocol: str


@dataclass(frozen=True)
class ServiceSpec:
    """The parts of a compose service the sandbox simulates."""

    name: str
    image: str
    built: bool
    ports: tuple[PortBinding, ...]
    mounts: tuple[tuple[str, str, str, str], ...]  # (source, destination, mode, type)
    exit_code: int | None
    unhealthy: bool
    output: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)


def _words(value: Any) -> list[str]:
    if isinstance(value, str):  # Compose splits a string command as a shell would
        return _shell_words(value)
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _run(service: dict[str, Any]) -> tuple[int | None, tuple[str, ...]]:
    """(exit code, what it printed) of a container that stops by itself; the code is ``None``
    for a long-running one. Only programs whose outcome is certain are recognised."""
    for key in ("entrypoint", "command"):
        words = _words(service.get(key))
        if not words:
            continue
        program = words[0].rsplit("/", 1)[-1]
        if program in ("false", "true"):
            return (1 if program == "false" else 0), ()
        if program in {"sh", "bash", "ash"} and len(words) >= 3 and words[1] == "-c":
            return _script(" ".join(words[2:]))
    return None, ()


_STATEMENT = re.compile(r"(?:echo\s+(?P<text>.*)|exit\s+(?P<code>\d+))")


def _script(script: str) -> tuple[int | None, tuple[str, ...]]:
    """A ``sh -c`` script of ``echo …`` statements ending in ``exit N``; anything else runs on."""
    printed: list[str] = []
    statements = [s.strip() for s in re.split(r"\s*(?:;|&&|\n)\s*", script) if s.strip()]
    for index, statement in enumerate(statements):
        match = _STATEMENT.fullmatch(statement)
        if match is None:
            return None, ()
        if match.group("code") is not None:
            return (
                (int(match.group("code")), tuple(printed))
                if index == len(statements) - 1
                else (None, ())
            )
        printed.append(" ".join(_shell_words(match.group("text"))))
    return None, ()


def _shell_words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return [text]


def labels_of(service: dict[str, Any]) -> dict[str, str]:
    """Compose ``labels`` in either dict or ``["k=v", …]`` form as a dict."""
    labels = service.get("labels")
    if isinstance(labels, dict):
        return {str(k): "" if v is None else str(v) for k, v in labels.items()}
    if isinstance(labels, list):
        pairs = (str(item).partition("=") for item in labels)
        return {key: value for key, _, value in pairs}
    return {}


def _port_range(text: str) -> list[int]:
    start, _, end = text.partition("-")
    first = int(start)
    last = int(end) if end else first
    if not (0 < first <= last <= 65535):
        raise ValueError(text)
    return list(range(first, last + 1))


class _Ephemeral:
    """Hands out free host ports for container-only specs, skipping ports already in use."""

    def __init__(self, taken: set[int]) -> None:
        self._taken = taken
        self._next = EPHEMERAL_PORT_BASE

    def take(self) -> int:
        while self._next in self._taken:
            self._next += 1
        self._taken.add(self._next)
        return self._next


def _short_port(spec: str, ephemeral: _Ephemeral) -> list[PortBinding]:
    text, _, protocol = spec.partition("/")
    protocol = protocol or "tcp"
    host_ip = ""
    if text.startswith("["):  # [::1]:8080:80
        host_ip, _, text = text[1:].partition("]:")
    parts = text.rsplit(":", 2)
    if len(parts) == 3:
        host_ip, host, container = parts
    elif len(parts) == 2:
        host, container = parts
    else:
        host, container = "", parts[0]
    containers = _port_range(container)
    hosts = _port_range(host) if host else [ephemeral.take() for _ in containers]
    if len(hosts) != len(containers):
        raise ValueError(spec)
    return _bind(host_ip, list(zip(hosts, containers, strict=True)), protocol)


def _bind(host_ip: str, pairs: list[tuple[int, int]], protocol: str) -> list[PortBinding]:
    """Docker publishes an unqualified port on every IPv4 and IPv6 address."""
    ips = [host_ip] if host_ip else [ALL_IPV4, ALL_IPV6]
    return [PortBinding(ip, h, c, protocol) for h, c in pairs for ip in ips]


def _ports(service: dict[str, Any], ephemeral: _Ephemeral) -> list[PortBinding]:
    if service.get("network_mode") == "host":
        return []
    bindings: list[PortBinding] = []
    for spec in service.get("ports") or []:
        if isinstance(spec, int):
            bindings += _short_port(str(spec), ephemeral)
        elif isinstance(spec, str):
            bindings += _short_port(spec, ephemeral)
        elif isinstance(spec, dict):
            target = int(spec["target"])
            published = spec.get("published")
            host = ephemeral.take() if published in (None, "") else int(published)
            protocol = str(spec.get("protocol") or "tcp")
            bindings += _bind(str(spec.get("host_ip") or ""), [(host, target)], protocol)
        else:
            raise ValueError(spec)
    return bindings


def _mounts(app: str, service: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    mounts: list[tuple[str, str, str, str]] = []
    for spec in service.get("volumes") or []:
        if isinstance(spec, str):
            source, _, rest = spec.partition(":")
            if not rest:  # anonymous volume "/data"
                source, rest = "", source
            target, _, mode = rest.partition(":")
            kind = "bind" if source.startswith(("/", ".", "~")) else "volume"
        elif isinstance(spec, dict):
            kind = "bind" if spec.get("type") == "bind" else "volume"
            source, target = str(spec.get("source") or ""), str(spec["target"])
            mode = "ro" if spec.get("read_only") else ""
        else:
            raise ValueError(spec)
        if kind == "volume":
            name = f"ix-{app}_{source}" if source else hashlib.sha256(target.encode()).hexdigest()
            source = f"/mnt/.ix-apps/docker/volumes/{name}/_data"
        mounts.append((source, target, mode, kind))
    return mounts


def _image(app: str, name: str, service: dict[str, Any]) -> tuple[str, bool]:
    image = service.get("image")
    if isinstance(image, str) and image:
        return (image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"), False
    if service.get("build") is not None:
        return f"ix-{app}-{name}:latest", True
    raise ComposeUpError(
        f'service "{name}" has neither an image nor a build context specified: '
        "invalid compose project"
    )


def image_tag(image: str) -> str:
    """The tag part of ``repo:tag`` (``latest`` when absent, digest refs keep their digest)."""
    last = image.rsplit("/", 1)[-1]
    return last.partition(":")[2] or "latest"


_VARIABLE = re.compile(
    r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value: Any) -> Any:
    """Docker's variable substitution with an empty environment (TrueNAS has no ``.env``).

    ``${VAR:-default}`` / ``${VAR-default}`` become the default, ``${VAR}`` / ``$VAR`` become
    empty and ``$$`` is a literal ``$``.
    """
    if isinstance(value, str):
        return _VARIABLE.sub(lambda m: "$" if m.group(0) == "$$" else (m.group(2) or ""), value)
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


def parse_services(
    app: str, compose: Any, taken_ports: set[int] | None = None
) -> list[ServiceSpec]:
    """Service specs of ``compose`` in declaration order.

    Args:
        app: the app name (for built image and volume names).
        compose: the compose document as stored by TrueNAS.
        taken_ports: host ports in use elsewhere; ephemeral ports are picked around them.

    Raises:
        ComposeUpError: the compose document cannot be started at all.
    """
    if not isinstance(compose, dict):
        raise ComposeUpError("Top-level object must be a mapping")
    services = compose.get("services") or {}
    if not isinstance(services, dict):
        raise ComposeUpError("services must be a mapping")
    specs: list[ServiceSpec] = []
    ephemeral = _Ephemeral(set(taken_ports or ()))
    for name, body in services.items():
        service = interpolate(body) if isinstance(body, dict) else {}
        image, built = _image(app, str(name), service)
        try:
            ports = tuple(_ports(service, ephemeral))
            mounts = tuple(_mounts(app, service))
        except (ValueError, KeyError, TypeError) as exc:
            raise ComposeUpError(f'service "{name}": invalid port or volume spec {exc}') from None
        labels = labels_of(service)
        exit_code, output = _run(service)
        specs.append(
            ServiceSpec(
                name=str(name),
                image=image,
                built=built,
                ports=ports,
                mounts=mounts,
                exit_code=exit_code,
                output=output,
                unhealthy=labels.get(UNHEALTHY_LABEL) == "unhealthy",
                labels=labels,
            )
        )
    return specs


def used_ports(bindings: list[PortBinding] | tuple[PortBinding, ...]) -> list[dict[str, Any]]:
    """TrueNAS ``UsedPorts`` list: bindings grouped by (container port, protocol)."""
    grouped: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for b in bindings:
        grouped.setdefault((b.container_port, b.protocol), []).append(
            {"host_port": b.host_port, "host_ip": b.host_ip}
        )
    return [
        {"container_port": port, "protocol": proto, "host_ports": hosts}
        for (port, proto), hosts in grouped.items()
    ]


def _overlap(a: str, b: str) -> bool:
    """Two bind addresses clash when equal or one is the wildcard of the same family."""
    if (":" in a) != (":" in b):
        return False
    return a == b or ALL_IPV4 in (a, b) or ALL_IPV6 in (a, b)


def port_conflict(
    wanted: list[PortBinding], taken: list[PortBinding]
) -> tuple[PortBinding, PortBinding] | None:
    """First pair of bindings that cannot coexist on the host, if any."""
    by_port: dict[tuple[int, str], list[PortBinding]] = {}
    for b in taken:
        by_port.setdefault((b.host_port, b.protocol), []).append(b)
    for b in wanted:
        for other in by_port.get((b.host_port, b.protocol), []):
            if _overlap(b.host_ip, other.host_ip):
                return b, other
        by_port.setdefault((b.host_port, b.protocol), []).append(b)
    return None
