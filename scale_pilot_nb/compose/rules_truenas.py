"""TrueNAS rules: things that are valid compose but go wrong on a TrueNAS SCALE box.

The facts behind them (truenas-apps-api.md §3–5): app names follow a strict pattern; the compose
file is stored re-serialised under ``/mnt/.ix-apps`` with no ``.env`` beside it, so relative paths
and unset variables silently change meaning; user data belongs on a pool under ``/mnt/<pool>``;
the web UI holds ports 80/443; the app state only shows RUNNING/CRASHED without a healthcheck.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scale_pilot_nb.compose.image import parse_image
from scale_pilot_nb.compose.model import (
    ImageRef,
    MissingVariable,
    SourceMap,
    UnsetVariable,
    UsedVariable,
    VariableSource,
    YamlPath,
)
from scale_pilot_nb.compose.paths import (
    HostPathKind,
    classify_host_path,
    has_traversal,
    host_binds,
    is_relative,
)
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import (
    RuleContext,
    as_dict,
    as_list,
    make_finding,
    published_ports,
)
from scale_pilot_nb.compose.rules_security import is_secret_key
from scale_pilot_nb.errors import ComposeError

__all__ = [
    "APP_NAME_MAX",
    "RESERVED_PORTS",
    "app_name_finding",
    "app_name_problem",
    "check",
    "variable_findings",
]

APP_NAME_PATTERN = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
APP_NAME_MAX = 40
RESERVED_PORTS = frozenset({80, 443})
HARMLESS_READ_ONLY = frozenset({"/etc/localtime", "/etc/timezone"})
"""System files that containers commonly read (the host's time zone); read-only, they are fine."""


def app_name_problem(name: str) -> str | None:
    """Why TrueNAS would refuse ``name`` as an app name, or None when it is fine."""
    if not 1 <= len(name) <= APP_NAME_MAX:
        return f"app name {name!r} must be 1-{APP_NAME_MAX} characters long (is {len(name)})"
    if not APP_NAME_PATTERN.fullmatch(name):  # "web\n" too: ``$`` alone matches before it
        return (
            f"app name {name!r} must be lowercase letters, digits and '-', start with a letter "
            "and not end with '-'"
        )
    return None


def app_name_finding(name: str) -> Finding | None:
    """The error for an app name TrueNAS would refuse, or None (needs no compose file)."""
    problem = app_name_problem(name)
    if problem is None:
        return None
    return Finding(
        Severity.ERROR,
        "truenas.app-name",
        "",
        problem[0].upper() + problem[1:] + ".",
        "Example of a valid name: my-app2 (pattern ^[a-z]([-a-z0-9]*[a-z0-9])?$, max 40).",
    )


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Run every TrueNAS rule."""
    yield from _app_names(ctx)
    yield from _relative_paths(ctx)
    yield from _bind_sources(ctx)
    yield from _host_ports(ctx)
    yield from _images(ctx)
    yield from _healthchecks(ctx)
    yield from _profiles(ctx)
    yield from _externals(ctx)
    yield from _portals(ctx)
    if "name" in ctx.compose:
        yield ctx.finding(
            Severity.INFO,
            "truenas.project-name-ignored",
            ("name",),
            "The top-level `name:` is ignored: TrueNAS always names the project ix-<app>.",
            "Remove it, or keep it for local use; the app name is what counts.",
        )


def _app_names(ctx: RuleContext) -> Iterator[Finding]:
    if ctx.app_name is None:
        return
    finding = app_name_finding(ctx.app_name)
    if finding:
        yield finding
        return
    services = list(ctx.services())
    if ctx.split and len(services) > 1:
        for name, _service in services:
            derived = f"{ctx.app_name}-{name}"
            problem = app_name_problem(derived)
            if problem:
                yield ctx.finding(
                    Severity.ERROR,
                    "truenas.app-name",
                    ("services", name),
                    f"Split app for service {name!r}: {problem}.",
                    "Rename the service or use a shorter app name.",
                )


def _relative_paths(ctx: RuleContext) -> Iterator[Finding]:
    hint = (
        "TrueNAS stores the compose file under /mnt/.ix-apps, so relative paths resolve there; "
        "use an absolute path under /mnt/<pool>/, or convert with relative_paths='resolve'."
    )
    for name, service in ctx.services():
        for index, volume in enumerate(as_list(service.get("volumes"))):
            volume = as_dict(volume)
            source = volume.get("source")
            if volume.get("type") == "bind" and isinstance(source, str) and is_relative(source):
                yield ctx.finding(
                    Severity.ERROR,
                    "truenas.relative-path",
                    ("services", name, "volumes", index),
                    f"Service {name!r} binds the relative path {source!r}.",
                    hint,
                )
        for index, env_file in enumerate(as_list(service.get("env_file"))):
            path = as_dict(env_file).get("path") if isinstance(env_file, dict) else env_file
            if isinstance(path, str) and is_relative(path) and path not in ctx.local_env_files:
                yield ctx.finding(
                    Severity.ERROR,
                    "truenas.relative-path",
                    ("services", name, "env_file", index),
                    f"Service {name!r} reads the relative env_file {path!r}.",
                    hint,
                )
        context = as_dict(service.get("build")).get("context")
        if isinstance(context, str) and is_relative(context) and "://" not in context:
            yield ctx.finding(
                Severity.ERROR,
                "truenas.relative-path",
                ("services", name, "build", "context"),
                f"Service {name!r} builds from the relative context {context!r}.",
                hint,
            )
    for kind in ("secrets", "configs"):
        for key, item in as_dict(ctx.compose.get(kind)).items():
            file = as_dict(item).get("file")
            if isinstance(file, str) and is_relative(file):
                yield ctx.finding(
                    Severity.ERROR,
                    "truenas.relative-path",
                    (kind, key, "file"),
                    f"The {kind[:-1]} {key!r} reads the relative file {file!r}.",
                    hint,
                )


def _bind_sources(ctx: RuleContext) -> Iterator[Finding]:
    for name, service in ctx.services():
        for index, volume, source in host_binds(service):
            if volume.get("read_only") is True and source in HARMLESS_READ_ONLY:
                continue
            yield from _judge_bind(ctx, name, ("services", name, "volumes", index), source)


def _judge_bind(
    ctx: RuleContext, service: str, path: tuple[str | int, ...], source: str
) -> Iterator[Finding]:
    kind, resolved = classify_host_path(source)
    if has_traversal(source):
        yield ctx.finding(
            Severity.ERROR,
            "truenas.path-traversal",
            path,
            f"Service {service!r} binds {source!r}, which really is {resolved!r}.",
            "Write the real path; '..' in a bind source hides what the container can reach.",
        )
    if kind is HostPathKind.IX_APPS:
        yield ctx.finding(
            Severity.ERROR,
            "truenas.bind-ix-apps",
            path,
            f"Service {service!r} binds {resolved!r} inside /mnt/.ix-apps.",
            "That dataset belongs to the apps middleware; keep data in a dataset of your own "
            "under /mnt/<pool>/.",
        )
    elif kind is HostPathKind.SYSTEM:
        yield ctx.finding(
            Severity.WARNING,
            "truenas.system-path",
            path,
            f"Service {service!r} binds the system path {resolved!r}.",
            "System paths live on the boot pool and change on TrueNAS upgrades; bind read-only "
            "if you really need it, or use a dataset under /mnt/<pool>/.",
        )
    elif kind is not HostPathKind.POOL:
        yield ctx.finding(
            Severity.WARNING,
            "truenas.bind-outside-pool",
            path,
            f"Service {service!r} binds {resolved!r}, which is not inside a pool dataset.",
            "On TrueNAS, user data lives under /mnt/<pool>/<dataset>; create a dataset there.",
        )


def _host_ports(ctx: RuleContext) -> Iterator[Finding]:
    for name, service in ctx.services():
        if service.get("network_mode") == "host":
            continue
        warned: set[YamlPath] = set()  # one random-port warning per written entry (ranges)
        for index, port in enumerate(as_list(service.get("ports"))):
            if not isinstance(port, dict):
                continue  # left as written by the normaliser, which reported it
            numbers = published_ports(port.get("published")) or []
            path = ("services", name, "ports", index)
            written = ctx.written(path)
            if port.get("published") in (None, "") and written not in warned:
                warned.add(written)
                yield ctx.finding(
                    Severity.WARNING,
                    "truenas.random-host-port",
                    path,
                    f"Service {name!r} publishes container port {port.get('target')} on a "
                    "random host port.",
                    "Docker picks a new port on every redeploy (TrueNAS redeploys on each "
                    "update); write host:container, e.g. 30080:80.",
                )
            reserved = sorted(RESERVED_PORTS.intersection(numbers))
            in_use = sorted(ctx.used_ports.intersection(numbers).difference(reserved))
            if reserved:
                yield ctx.finding(
                    Severity.ERROR,
                    "truenas.reserved-port",
                    path,
                    f"Service {name!r} publishes host port {reserved[0]}, which the TrueNAS web "
                    "UI uses.",
                    "Publish another host port (e.g. 30080), or move the web UI off 80/443 first.",
                )
            if in_use:
                yield ctx.finding(
                    Severity.ERROR,
                    "truenas.port-in-use",
                    path,
                    f"Service {name!r} publishes host port {in_use[0]}, already used on the NAS.",
                    "Pick a free host port; pilot.ports() lists the ones in use.",
                )


def _images(ctx: RuleContext) -> Iterator[Finding]:
    for name, service in ctx.services():
        image = service.get("image")
        if not isinstance(image, str) or not image:
            continue
        ref: ImageRef | None
        try:
            ref = parse_image(image)
        except ComposeError:
            ref = None
        if ref is None:
            yield ctx.finding(
                Severity.ERROR,
                "truenas.invalid-image",
                ("services", name, "image"),
                f"Service {name!r}: {image!r} is not a valid image reference.",
                "Use repository[:tag][@digest], e.g. nginx:1.27-alpine.",
            )
        elif ref.floating:
            how = "has no tag (Docker pulls :latest)" if ref.implicit_latest else "uses :latest"
            yield ctx.finding(
                Severity.WARNING,
                "truenas.latest-tag",
                ("services", name, "image"),
                f"Service {name!r} image {image!r} {how}.",
                "Pin a version tag: TrueNAS cannot tell which version runs, image updates are "
                "silent and a rollback has nothing to return to.",
            )


def _healthchecks(ctx: RuleContext) -> Iterator[Finding]:
    for name, service in ctx.services():
        if "healthcheck" not in service:
            yield ctx.finding(
                Severity.INFO,
                "truenas.no-healthcheck",
                ("services", name),
                f"Service {name!r} has no healthcheck (unless its image defines one).",
                "Without one, TrueNAS shows RUNNING as soon as the process starts; add a "
                "healthcheck so a hung service is visible.",
            )


def _profiles(ctx: RuleContext) -> Iterator[Finding]:
    """TrueNAS runs ``docker compose up`` without ``--profile``: a profiled service never runs."""
    for name, service in ctx.services():
        profiles = [str(p) for p in as_list(service.get("profiles"))]
        if profiles:
            yield ctx.finding(
                Severity.WARNING,
                "truenas.profile-never-started",
                ("services", name, "profiles"),
                f"Service {name!r} belongs to profile(s) {', '.join(profiles)}; TrueNAS "
                "activates no profile, so it never starts.",
                "Remove `profiles:` to run it on the NAS, or leave the service out of the file.",
            )


def _externals(ctx: RuleContext) -> Iterator[Finding]:
    for kind in ("networks", "volumes"):
        for key, spec in as_dict(ctx.compose.get(kind)).items():
            if _truthy(as_dict(spec).get("external")):
                real = as_dict(spec).get("name") or key
                yield ctx.finding(
                    Severity.WARNING,
                    f"truenas.external-{kind[:-1]}",
                    (kind, key),
                    f"The external {kind[:-1]} {real!r} must already exist on the NAS.",
                    f"Create it first (e.g. docker {kind[:-1]} create {real} on the NAS shell), "
                    "or let compose create it by removing `external: true`.",
                )


def _portals(ctx: RuleContext) -> Iterator[Finding]:
    """``x-portals`` must match the schema TrueNAS reads it with, or the portal is lost."""
    if "x-portals" not in ctx.compose:
        return
    portals = ctx.compose["x-portals"]
    entries = portals if isinstance(portals, list) else [portals]
    for index, portal in enumerate(entries):
        problem = _portal_problem(portal)
        if problem:
            yield ctx.finding(
                Severity.WARNING,
                "truenas.invalid-portal",
                ("x-portals", index),
                f"x-portals entry {index}: {problem}.",
                "Each portal is {name, scheme: http|https, host, port: int, path: /...}; "
                "TrueNAS builds the app's Web UI links from it.",
            )


def _portal_problem(portal: Any) -> str | None:
    if not isinstance(portal, dict):
        return "must be a mapping"
    extra = sorted(set(portal) - {"name", "scheme", "host", "port", "path"})
    if extra:
        return f"unknown key(s) {', '.join(map(str, extra))}"
    if not isinstance(portal.get("name"), str) or not portal["name"]:
        return "needs a non-empty name"
    if portal.get("scheme") not in ("http", "https"):
        return "scheme must be http or https"
    if not isinstance(portal.get("host"), str):
        return "host must be a string"
    port = portal.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        return "port must be a number 1-65535"
    if "path" in portal and not str(portal["path"]).startswith("/"):
        return "path must start with /"
    return None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def variable_findings(
    source_map: SourceMap,
    unset: tuple[UnsetVariable, ...],
    missing: tuple[MissingVariable, ...],
    used: tuple[UsedVariable, ...] = (),
) -> Iterator[Finding]:
    """Findings for missing, unset and used variables (names only, never values).

    A variable written inside a secret's value under another name (``PASSWORD: pa$word`` reads
    ``word``) is not named either: its name may be part of the secret.
    """
    sources: dict[VariableSource, str] = {
        "variables": "the variables= mapping",
        "environ": "the process environment",
        ".env": "the .env file beside the compose file",
    }

    def hidden(name: str, path: YamlPath) -> str | None:
        """The secret key holding ``name`` when the name must not be shown, else None."""
        holder = str(path[-1]) if path else ""
        return holder if is_secret_key(holder) and name != holder else None

    for variable in missing:
        path = variable.paths[0] if variable.paths else ()
        yield make_finding(
            source_map,
            Severity.ERROR,
            "interpolate.required-missing",
            path,
            f"Required variable {variable.name} is not set: {variable.message}".rstrip(": "),
            "Pass it with variables={...} (or a .env beside the file); TrueNAS has no .env.",
        )
    for unset_variable in unset:
        path = unset_variable.paths[0] if unset_variable.paths else ()
        holder = hidden(unset_variable.name, path)
        if holder is not None:
            message = (
                f"The value of {holder} uses a variable that is not set (name not shown: it "
                "may be part of a password with a '$'); the variable becomes an empty string."
            )
            hint = "Write a literal '$' as '$$', or set the variable locally (variables=...)."
        else:
            message = f"Variable {unset_variable.name} is not set and becomes an empty string."
            hint = (
                "TrueNAS stores no .env beside the compose file: set it locally (variables=..., "
                ".env) so the value is baked in, or give it a default ${VAR:-value}."
            )
        yield make_finding(
            source_map, Severity.WARNING, "truenas.unset-variable", path, message, hint
        )
    for used_variable in used:
        path = used_variable.paths[0] if used_variable.paths else ()
        holder = hidden(used_variable.name, path)
        named = (
            f"A variable in the value of {holder} (name not shown: it may be part of a "
            "password with a '$')"
            if holder is not None
            else f"Variable {used_variable.name}"
        )
        yield make_finding(
            source_map,
            Severity.INFO,
            "interpolate.baked",
            path,
            f"{named} takes its value from {sources[used_variable.source]}; the value is "
            "written into the stored compose file because TrueNAS keeps no environment.",
            "Changing the variable later changes nothing on the NAS: redeploy to update it."
            if holder is None
            else "Write a literal '$' as '$$' if it is not meant as a variable.",
        )
