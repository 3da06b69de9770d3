"""Mode rules: what the chosen deploy shape (custom app, ix-app values, split apps) cannot carry.

ix-app (the "Custom App" wizard, truenas-apps-api.md §5.2) runs one container and knows only a
fixed set of settings; everything else in the compose file would be lost on conversion, so it is
listed here rather than dropped silently. Splitting a file into one app per service puts each in
its own compose project and network, so services that reach each other by name stop resolving.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from scale_pilot_nb.compose.paths import host_binds
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import RuleContext, as_dict, as_list

__all__ = [
    "IX_APP_PROTOCOLS",
    "IX_APP_SERVICE_KEYS",
    "check",
    "healthcheck_disabled",
    "ix_app_unsupported",
]

IX_APP_SERVICE_KEYS = frozenset(
    {
        "image",
        "command",
        "entrypoint",
        "environment",
        "restart",
        "tty",
        "stdin_open",
        "devices",
        "privileged",
        "cap_add",
        "user",
        "network_mode",
        "ports",
        "expose",
        "networks",
        "dns",
        "dns_search",
        "dns_opt",
        "volumes",
        "tmpfs",
        "labels",
        "hostname",
        "deploy",
        "healthcheck",
        "pull_policy",
    }
)
"""Service keys the ix-app values can express (some only partly; see :func:`ix_app_unsupported`)."""

IX_APP_PROTOCOLS = ("tcp", "udp")
"""The port protocols ix-app's form offers."""
_NUMERIC_USER = re.compile(r"^\d+(:\d+)?$")
_HOST_KEY = re.compile(r"HOST|SERVER|ADDR|URL|URI|ENDPOINT|DSN")


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Run the rules of the chosen mode."""
    services = list(ctx.services())
    if ctx.mode == "ix-app":
        if len(services) > 1 and not ctx.split:
            yield ctx.finding(
                Severity.ERROR,
                "mode.ix-app-multi-service",
                ("services",),
                f"ix-app runs a single container, but the file has {len(services)} services.",
                "Deploy in compose mode (multi-service custom app), or pass split=True for one "
                "app per service.",
            )
        for name, service in services:
            for path, what in ix_app_unsupported(ctx.compose, name, service):
                if path[-1] == "env_file" and _all_inlined(service, ctx.local_env_files):
                    continue  # its contents were merged into the environment, which ix-app keeps
                yield ctx.finding(
                    Severity.WARNING,
                    "mode.ix-app-dropped",
                    path,
                    f"ix-app cannot express {what}; it will be dropped.",
                    "Deploy in compose mode to keep it.",
                )
            yield from _host_ips(ctx, name, service)
            yield from _missing_host_paths(ctx, name, service)
            yield from _value_errors(ctx, name)
    if ctx.split and len(services) > 1:
        yield from _cross_references(ctx, [name for name, _ in services])
        yield from _shared_volumes(ctx)


def _host_ips(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    """ix-app binds a published port only to an address the NAS offers (``app.ip_choices``:
    ``0.0.0.0``, ``::`` and its own static addresses; never loopback), checked when the NAS
    said which (``ctx.host_ips``)."""
    if ctx.host_ips is None:
        return
    offered = ", ".join(sorted(ctx.host_ips)) or "none"
    for index, port in enumerate(as_list(service.get("ports"))):
        host_ip = as_dict(port).get("host_ip")
        if not host_ip or host_ip in ctx.host_ips:
            continue
        loopback = _is_loopback(host_ip)
        yield ctx.finding(
            Severity.ERROR,
            "mode.ix-app-host-ip",
            ("services", name, "ports", index),
            f"Service {name!r} binds a port to {host_ip}, which the NAS does not offer to "
            f"ix-apps (it offers: {offered}); TrueNAS refuses the app.",
            "ix-apps cannot listen on loopback: bind to 0.0.0.0 (or a NAS address) and keep "
            "it private with the NAS firewall, or deploy in compose mode, which binds as written."
            if loopback
            else f"Use one of {offered}, or leave the address out to listen on all of them.",
        )


def _missing_host_paths(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    """ix-app refuses a host path that does not exist on the NAS (``Path does not exist``),
    where Docker in compose mode would create it; checked when the NAS was asked
    (``ctx.missing_host_paths``)."""
    if not ctx.missing_host_paths:
        return
    for index, _volume, source in host_binds(service):
        if source in ctx.missing_host_paths:
            yield ctx.finding(
                Severity.ERROR,
                "mode.ix-app-host-path-missing",
                ("services", name, "volumes", index),
                f"Service {name!r} mounts {source}, which does not exist on the NAS; ix-app "
                "refuses a missing host path.",
                "Create the dataset or folder on the NAS first, or deploy in compose mode, "
                "where Docker creates it.",
            )


def _value_errors(ctx: RuleContext, name: str) -> Iterator[Finding]:
    """Converted ix-app values the NAS's catalog questions refuse (``ctx.ix_app_value_errors``,
    from ``compose.questions.check_values``); the messages never hold a string value. A bind
    address outside the offered ones is left to :func:`_host_ips`."""
    for service, path, message in ctx.ix_app_value_errors:
        if ctx.host_ips is not None and ".host_ips." in path:
            continue  # a bind address: mode.ix-app-host-ip says it with the offered ones
        if service == name:
            yield ctx.finding(
                Severity.ERROR,
                "mode.ix-app-value",
                ("services", name),
                f"Service {name!r} converts to ix-app value {path}, which {message} per the "
                "NAS's ix-app catalog questions; TrueNAS refuses the app.",
                "Change the compose setting this value comes from, or deploy in compose mode.",
            )


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return address == "localhost"


def ix_app_unsupported(
    compose: dict[str, Any], name: str, service: dict[str, Any]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each part of one service that ix-app values cannot carry: (path, description).

    Conversion uses the same list, so what validation warns about is exactly what is dropped.
    """
    base: tuple[str | int, ...] = ("services", name)
    for key in service:
        if key not in IX_APP_SERVICE_KEYS and not str(key).startswith("x-"):
            yield (*base, key), f"`{key}` of service {name!r}"
    healthcheck = as_dict(service.get("healthcheck"))
    if healthcheck and not healthcheck_disabled(healthcheck):
        yield (*base, "healthcheck"), f"the healthcheck of service {name!r} (only disabling it)"
    user = service.get("user")
    if user is not None and not _NUMERIC_USER.match(str(user)):
        yield (*base, "user"), f"the non-numeric user {user!r} of service {name!r}"
    for index, port in enumerate(as_list(service.get("ports"))):
        protocol = as_dict(port).get("protocol")
        if protocol not in (None, *IX_APP_PROTOCOLS):
            yield (*base, "ports", index), f"the {protocol} port of service {name!r} (tcp/udp only)"
    for index, exposed in enumerate(as_list(service.get("expose"))):
        number, _, protocol = str(exposed).partition("/")
        if not number.isdigit() or protocol not in ("", *IX_APP_PROTOCOLS):
            yield (
                (*base, "expose", index),
                f"the exposed port {exposed!r} of service {name!r} (single tcp/udp ports only)",
            )
    mode = service.get("network_mode")
    if mode is not None and mode != "host":
        yield (*base, "network_mode"), f"network_mode {mode!r} of service {name!r}"
    deploy = as_dict(service.get("deploy"))
    for key in deploy:
        if key != "resources":
            yield (*base, "deploy", key), f"deploy.{key} of service {name!r}"
    resources = as_dict(deploy.get("resources"))
    for key in resources:
        if key not in ("limits", "reservations"):
            yield (*base, "deploy", "resources", key), f"deploy.resources.{key}"
    for key in as_dict(resources.get("limits")):
        if key not in ("cpus", "memory"):
            yield (*base, "deploy", "resources", "limits", key), f"the {key} limit"
    if as_dict(resources.get("reservations")):
        yield (
            (*base, "deploy", "resources", "reservations"),
            "resource reservations (select GPUs in the ix-app form instead)",
        )
    declared = as_dict(compose.get("networks"))
    for network in as_dict(service.get("networks")):
        if network != "default" and not as_dict(declared.get(network)).get("external"):
            yield (
                (*base, "networks", network),
                f"the network {network!r} created by compose (ix-app joins existing ones only)",
            )
    for index, volume in enumerate(as_list(service.get("volumes"))):
        volume = as_dict(volume)
        if volume.get("type") not in ("bind", "volume", "tmpfs") or (
            volume.get("type") == "volume" and not volume.get("source")
        ):
            yield (
                (*base, "volumes", index),
                f"the {volume.get('type')} mount {volume.get('target')}",
            )


def _all_inlined(service: dict[str, Any], local: frozenset[str]) -> bool:
    entries = as_list(service.get("env_file"))
    paths = [as_dict(e).get("path") if isinstance(e, dict) else e for e in entries]
    return all(isinstance(path, str) and path in local for path in paths)


def healthcheck_disabled(healthcheck: Any) -> bool:
    """True for a normalised healthcheck that only switches the image's check off (all ix-app
    can express)."""
    healthcheck = as_dict(healthcheck)
    return healthcheck.get("disable") is True or as_list(healthcheck.get("test"))[:1] == ["NONE"]


def _shared_volumes(ctx: RuleContext) -> Iterator[Finding]:
    """A named volume used by several services is no longer shared once they are split."""
    users: dict[str, list[str]] = {}
    for name, service in ctx.services():
        for volume in map(as_dict, as_list(service.get("volumes"))):
            source = volume.get("source")
            if volume.get("type") == "volume" and isinstance(source, str):
                users.setdefault(source, []).append(name)
    for source, names in users.items():
        if len(set(names)) > 1:
            yield ctx.finding(
                Severity.WARNING,
                "mode.split-shared-volume",
                ("volumes", source),
                f"Volume {source!r} is shared by {', '.join(sorted(set(names)))}; split apps "
                "each get their own copy.",
                "Convert with volumes='datasets' (one dataset, bound by every app), or keep "
                "the services in one compose-mode app.",
            )


def _host_pattern(service: str) -> re.Pattern[str]:
    """``service`` used as a host: ``db``, ``db:5432``, ``postgres://u@db/x``, ``http://db``."""
    return re.compile(rf"(?:^|[/@]){re.escape(service)}(?=$|:\d|/)")


def _names_host(key: str, value: Any, pattern: re.Pattern[str]) -> bool:
    """True when an environment value uses a service name as a host name.

    A bare value equal to the name counts only under a host-like key (``DB_HOST=db``), so
    ``POSTGRES_USER=api`` is not mistaken for a connection to the ``api`` service.
    """
    if not isinstance(value, str):
        return False
    match = pattern.search(value)
    if match is None:
        return False
    whole = match.start() == 0 and match.end() == len(value)
    return not whole or _HOST_KEY.search(key.upper()) is not None


def _cross_references(ctx: RuleContext, names: list[str]) -> Iterator[Finding]:
    """Warn for each service reaching another by name (separate apps get separate networks)."""
    patterns = {other: _host_pattern(other) for other in names}
    for name, service in ctx.services():
        reached: dict[str, str] = {}
        for target in as_dict(service.get("depends_on")) or as_list(service.get("depends_on")):
            if isinstance(target, str):
                reached.setdefault(target, "depends_on")
        for link in as_list(service.get("links")):
            reached.setdefault(str(link).split(":", 1)[0], "links")
        mode = str(service.get("network_mode") or "")
        if mode.startswith("service:"):
            reached.setdefault(mode.split(":", 1)[1], "network_mode")
        for key, value in as_dict(service.get("environment")).items():
            for other, pattern in patterns.items():
                if other != name and _names_host(str(key), value, pattern):
                    reached.setdefault(other, f"environment {key}")
        for other, how in reached.items():
            if other in patterns and other != name:
                yield ctx.finding(
                    Severity.WARNING,
                    "mode.split-cross-reference",
                    ("services", name),
                    f"Service {name!r} reaches {other!r} by name ({how}); after the split they "
                    "are separate apps on separate networks.",
                    "Join both to an external network and use the container name, or keep them "
                    "in one compose-mode app.",
                )
