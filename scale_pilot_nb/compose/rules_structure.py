"""Structure rules: what ``docker compose config`` itself would reject or silently mis-wire.

These mirror compose's own consistency checks (image or build present, references to
networks/volumes/secrets/configs/services defined, ``network_mode`` not combined with
``networks``, unique container names, sane ports) so that a file fails here, with a path and a
hint, rather than in an opaque ``Failed 'up' action`` job on the NAS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scale_pilot_nb.compose.depgraph import dependency_graph, find_cycle
from scale_pilot_nb.compose.extends import extends_chain
from scale_pilot_nb.compose.model import YamlPath, format_path
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import (
    RuleContext,
    as_dict,
    as_list,
    published_ports,
)

__all__ = ["check"]

_PROTOCOLS = {"tcp", "udp", "sctp"}
_WILDCARD_IPS = {None, "", "0.0.0.0", "::"}


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Run every structure rule."""
    if not as_dict(ctx.compose.get("services")):
        yield ctx.finding(
            Severity.ERROR,
            "structure.no-services",
            ("services",),
            "The file defines no services.",
            "Add a top-level `services:` mapping with at least one service.",
        )
        return
    yield from _images(ctx)
    yield from _references(ctx)
    yield from _network_mode(ctx)
    yield from _container_names(ctx)
    yield from _ports(ctx)
    yield from _dependencies(ctx)


def _images(ctx: RuleContext) -> Iterator[Finding]:
    for name, service in ctx.services():
        image, build = service.get("image"), service.get("build")
        # a service still holding `extends` could not be merged (that error says why); one with
        # a `provider` is run by an external component, not from an image (Compose allows it)
        if not image and build is None and "extends" not in service and "provider" not in service:
            yield ctx.finding(
                Severity.ERROR,
                "structure.no-image",
                ("services", name),
                f"Service {name!r} has neither `image` nor `build`.",
                "Add `image: repository:tag` (TrueNAS pulls it) or a `build:` section.",
            )
        if build is not None:
            needs_context = "context" in as_dict(build) or "dockerfile_inline" not in as_dict(build)
            yield ctx.finding(
                Severity.WARNING,
                "structure.build",
                ("services", name, "build"),
                f"Service {name!r} is built on the NAS, not pulled.",
                "TrueNAS can build, but the build context must be an absolute path that exists "
                "on the NAS (e.g. /mnt/tank/src/app); consider pushing an image instead."
                if needs_context
                else "Its inline Dockerfile copies nothing, so it needs no build context; "
                "consider pushing an image instead, so every NAS runs the same build.",
            )


def _references(ctx: RuleContext) -> Iterator[Finding]:
    """Every name a service uses must be declared at the top level.

    An ``x-`` name there is an extension field, not a declaration (compose-go reads it so).
    """
    declared = {
        kind: {str(key) for key in as_dict(ctx.compose.get(kind)) if not str(key).startswith("x-")}
        for kind in ("networks", "volumes", "secrets", "configs")
    }
    declared["networks"].add("default")
    for name, service in ctx.services():
        networks = service.get("networks")
        for network in as_dict(networks) or as_list(networks):
            if isinstance(network, str) and network not in declared["networks"]:
                yield _undefined(
                    ctx, "network", name, ("services", name, "networks", network), network
                )
        for index, volume in enumerate(as_list(service.get("volumes"))):
            volume = as_dict(volume)
            source = volume.get("source")
            path = ("services", name, "volumes", index)
            named = volume.get("type") == "volume" and isinstance(source, str) and source
            if named and source not in declared["volumes"]:
                yield _undefined(ctx, "volume", name, path, str(source))
            if volume.get("type") == "bind" and not source:
                yield ctx.finding(
                    Severity.ERROR,
                    "structure.invalid-volume",
                    path,
                    f"Service {name!r} has a bind mount without `source`.",
                    "Give the host path to mount, e.g. source: /mnt/tank/data.",
                )
        for kind in ("secrets", "configs"):
            for index, item in enumerate(as_list(service.get(kind))):
                source = as_dict(item).get("source") if isinstance(item, dict) else item
                if isinstance(source, str) and source not in declared[kind]:
                    path = ("services", name, kind, index)
                    yield _undefined(ctx, kind[:-1], name, path, str(source))


def _undefined(ctx: RuleContext, kind: str, service: str, path: YamlPath, target: str) -> Finding:
    return ctx.finding(
        Severity.ERROR,
        f"structure.undefined-{kind}",
        path,
        f"Service {service!r} uses {kind} {target!r}, which is not declared.",
        f"Declare it under the top-level `{kind}s:` (use `external: true` if it already exists).",
    )


def _network_mode(ctx: RuleContext) -> Iterator[Finding]:
    services = set(as_dict(ctx.compose.get("services")))
    for name, service in ctx.services():
        mode = service.get("network_mode")
        if mode is None:
            continue
        if _writes_networks(ctx, name):
            yield ctx.finding(
                Severity.ERROR,
                "structure.network-mode-with-networks",
                ("services", name, "network_mode"),
                f"Service {name!r} sets both `network_mode` and `networks`.",
                "Compose refuses this combination; keep one of them.",
            )
        text = str(mode)
        if text.startswith("service:") and text.split(":", 1)[1] not in services:
            yield ctx.finding(
                Severity.ERROR,
                "structure.undefined-service",
                ("services", name, "network_mode"),
                f"Service {name!r} shares the network of {text.split(':', 1)[1]!r}, "
                "which is not a service in this file.",
                "Use `service:<name>` with a service defined here, or `container:<name>`.",
            )


def _writes_networks(ctx: RuleContext, name: str) -> bool:
    """True when the service, or a service it extends, writes `networks` (not reset)."""
    for service in extends_chain(as_dict(ctx.raw.get("services")), name):
        if "networks" in service:
            return service["networks"] is not None
    return False


def _container_names(ctx: RuleContext) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for name, service in ctx.services():
        container_name = service.get("container_name")
        if container_name is None:
            continue
        if not isinstance(container_name, str):
            yield ctx.finding(
                Severity.ERROR,
                "structure.invalid-value",
                ("services", name, "container_name"),
                f"Service {name!r} has a container_name that is not a string.",
                "Write `container_name: <name>`, or drop it and let TrueNAS name the container.",
            )
        elif container_name in seen:
            yield ctx.finding(
                Severity.ERROR,
                "structure.duplicate-container-name",
                ("services", name, "container_name"),
                f"Services {seen[container_name]!r} and {name!r} both use container_name "
                f"{container_name!r}.",
                "Container names are global on the NAS; give each a unique name or drop it.",
            )
        else:
            seen[container_name] = name


def _ports(ctx: RuleContext) -> Iterator[Finding]:
    taken: dict[tuple[str, int], list[tuple[Any, YamlPath]]] = {}
    for name, service in ctx.services():
        for index, port in enumerate(as_list(service.get("ports"))):
            path = ("services", name, "ports", index)
            if not isinstance(port, dict):
                continue  # left as written by the normaliser, which reported it
            problem = _port_problem(port)
            if problem:
                yield ctx.finding(
                    Severity.ERROR,
                    "structure.invalid-port",
                    path,
                    f"Service {name!r}: {problem}.",
                    "Ports are 1-65535, ranges are `low-high`, protocol is tcp or udp.",
                )
                continue
            host_ip = port.get("host_ip")
            for number in published_ports(port.get("published")) or []:
                key = (str(port.get("protocol") or "tcp"), number)
                for other_ip, other_path in taken.get(key, []):
                    if host_ip in _WILDCARD_IPS or other_ip in _WILDCARD_IPS or host_ip == other_ip:
                        yield ctx.finding(
                            Severity.ERROR,
                            "structure.port-collision",
                            path,
                            f"Host port {number}/{key[0]} is published twice "
                            f"(also at {format_path(ctx.written(other_path))}).",
                            "Each host port can be published once; change one of them.",
                        )
                        break
                taken.setdefault(key, []).append((host_ip, path))


def _port_problem(port: dict[str, Any]) -> str | None:
    """Why a normalised port entry is invalid, or None."""
    target = port.get("target")
    if isinstance(target, bool) or not isinstance(target, int) or not 1 <= target <= 65535:
        return f"container port {target!r} is not a port"
    published = port.get("published")
    if published_ports(published) is None:
        return f"host port {published!r} is not a port or range"
    if 0 in (published_ports(published) or []):
        return "host port 0 is not allowed on TrueNAS (random ports break portals)"
    protocol = port.get("protocol")
    if protocol is not None and str(protocol).lower() not in _PROTOCOLS:
        return f"protocol {protocol!r} is not tcp or udp"
    return None


def _dependencies(ctx: RuleContext) -> Iterator[Finding]:
    services = dict(ctx.services())
    for name, service in services.items():
        depends = service.get("depends_on")
        targets = as_dict(depends) or {k: {} for k in as_list(depends) if isinstance(k, str)}
        for target, spec in targets.items():
            path = ("services", name, "depends_on", str(target))
            if target not in services:
                yield ctx.finding(
                    Severity.ERROR,
                    "structure.undefined-dependency",
                    path,
                    f"Service {name!r} depends on {target!r}, which is not a service here.",
                    "Fix the name or add the service.",
                )
                continue
            condition = as_dict(spec).get("condition")
            if condition == "service_healthy" and not services[target].get("healthcheck"):
                yield ctx.finding(
                    Severity.WARNING,
                    "structure.healthy-without-healthcheck",
                    path,
                    f"Service {name!r} waits for {target!r} to be healthy, but {target!r} "
                    "defines no healthcheck.",
                    "Unless the image has a HEALTHCHECK, compose fails to start; add one.",
                )
    cycle = find_cycle(dependency_graph(ctx.compose))
    if cycle and len(cycle) == 2:
        yield ctx.finding(
            Severity.ERROR,
            "structure.dependency-cycle",
            ("services", cycle[0], "depends_on", cycle[0]),
            f"Service {cycle[0]!r} depends on itself; Compose refuses the file "
            f"(dependency cycle {cycle[0]} -> {cycle[0]}).",
            "Remove the service from its own depends_on.",
        )
    elif cycle:
        yield ctx.finding(
            Severity.ERROR,
            "structure.dependency-cycle",
            ("services", cycle[0], "depends_on"),
            f"depends_on forms a cycle: {' -> '.join(cycle)}; Compose refuses the file.",
            "Remove one dependency of the cycle.",
        )
