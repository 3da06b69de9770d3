"""Plan: compare the payload we would send with what the NAS runs, before touching anything.

TrueNAS recreates every container of a running app on ``app.update``, even when nothing changed,
so deciding "no change" must be exact: both sides are normalised the same way (long syntax, key
order and quoting irrelevant) and compared with ``==``. A custom app's live config is the compose
dict TrueNAS stored; an ix-app's is its values plus ``ix_*`` keys the NAS adds. Secret values
never appear in the diff: they are redacted as everywhere else
(:mod:`scale_pilot_nb.compose.redaction`), and only their paths are listed.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from scale_pilot_nb.compose.display import html_of
from scale_pilot_nb.compose.ixapp import canonical_values
from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.model import format_path
from scale_pilot_nb.compose.normalise import normalise_lenient
from scale_pilot_nb.compose.redaction import redact, secret_slots
from scale_pilot_nb.compose.rules_base import Mode, as_dict, as_list
from scale_pilot_nb.errors import ComposeError

__all__ = ["DeployPlan", "Plan", "PlanAction", "plan"]

PlanAction = Literal["create", "update", "noop", "replace"]


@dataclass
class DeployPlan:
    """What deploying a payload would do to the NAS.

    Attributes:
        app_name: the app.
        action: ``create`` (no such app), ``update``, ``noop`` (identical: skip the update, which
            would restart every container) or ``replace`` (the mode differs: custom compose app
            vs ix-app; the app must be deleted and created again).
        mode: mode of the desired payload.
        live_mode: mode of the live app, or None when it does not exist.
        diff: unified diff of the normalised live vs desired config (YAML, secrets masked).
        services_added: services only in the desired config.
        services_removed: services only in the live config.
        services_changed: services present in both whose definition differs.
        images_changed: service → (live image, desired image), for changed images.
        ports_changed: service → (live ports, desired ports), as ``[ip:]host:container/proto``.
        secrets_changed: paths of secret-looking values that differ (names only).
        recreates_containers: True when deploying restarts containers.
    """

    app_name: str
    action: PlanAction
    mode: Mode
    live_mode: Mode | None
    diff: str = ""
    services_added: list[str] = field(default_factory=list)
    services_removed: list[str] = field(default_factory=list)
    services_changed: list[str] = field(default_factory=list)
    images_changed: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    ports_changed: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    secrets_changed: list[str] = field(default_factory=list)
    recreates_containers: bool = False

    @property
    def changed(self) -> bool:
        """True unless the plan is a no-op."""
        return self.action != "noop"

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form for JSON output and AIHelper (secret values are never included)."""
        return {
            "app_name": self.app_name,
            "action": self.action,
            "mode": self.mode,
            "live_mode": self.live_mode,
            "recreates_containers": self.recreates_containers,
            "services_added": list(self.services_added),
            "services_removed": list(self.services_removed),
            "services_changed": list(self.services_changed),
            "images_changed": {k: list(v) for k, v in self.images_changed.items()},
            "ports_changed": {k: [list(v[0]), list(v[1])] for k, v in self.ports_changed.items()},
            "secrets_changed": list(self.secrets_changed),
            "diff": self.diff,
        }

    def summary(self) -> str:
        """One line: the action and what it touches."""
        parts = [f"{self.action} {self.app_name!r} ({self.mode})"]
        for label, names in (
            ("add", self.services_added),
            ("remove", self.services_removed),
            ("change", self.services_changed),
        ):
            if names:
                parts.append(f"{label} {', '.join(names)}")
        parts.append(self._consequence())
        return "; ".join(parts)

    def _consequence(self) -> str:
        """What the action does to containers, in words true for this action."""
        if self.action == "create":
            return "a new app: its containers will be created"
        if self.action == "noop":
            return "no changes: nothing will be touched"
        if self.action == "replace":
            return f"the {self.live_mode} app will be deleted and created again as {self.mode}"
        if self.recreates_containers:
            return "containers will be recreated"
        return "the app is stopped: no container will be recreated, it stays stopped"

    def __str__(self) -> str:
        lines = [self.summary()]
        for service, (old, new) in self.images_changed.items():
            lines.append(f"  image {service}: {old} -> {new}")
        for service, (old_ports, new_ports) in self.ports_changed.items():
            lines.append(f"  ports {service}: {old_ports} -> {new_ports}")
        if self.secrets_changed:
            lines.append(f"  secret values changed: {', '.join(self.secrets_changed)}")
        if self.diff:
            lines.append(self.diff)
        return "\n".join(lines)

    def _repr_html_(self) -> str | None:
        """Jupyter's rich view, from the renderer the notebook layer registered (if any)."""
        return html_of(self)

    def __repr__(self) -> str:
        return (
            f"<DeployPlan {self.action} app={self.app_name!r} mode={self.mode} "
            f"added={self.services_added} removed={self.services_removed} "
            f"changed={self.services_changed} recreates={self.recreates_containers}>"
        )


@dataclass(frozen=True)
class Plan:
    """What deploying one compose file would do: one :class:`DeployPlan` (a part) per app.

    A split deploy touches one app per service, any other deploy one app; either way callers
    get this one object, so ``plan.changes`` and ``plan.to_dict()`` need no loop. Iterating gives
    the parts (``(part,) = pilot.plan(...)`` unpacks a one-app plan); ``plan["web"]`` picks a
    part by app name and ``plan[0]`` by position; ``"web" in plan`` asks by app name.

    Attributes:
        parts: the plan of each app, in the order the deploy would touch them.
    """

    parts: tuple[DeployPlan, ...]

    @property
    def changes(self) -> bool:
        """True when deploying would change at least one app (some part is not a noop)."""
        return any(part.changed for part in self.parts)

    @property
    def recreated_apps(self) -> list[str]:
        """The apps whose running containers deploying would recreate (an update of a running
        app, or a replace): what a deploy asks about before it goes on."""
        return [
            part.app_name
            for part in self.parts
            if part.action in ("update", "replace") and part.recreates_containers
        ]

    @property
    def app_names(self) -> list[str]:
        """The apps the deploy would touch, in order."""
        return [part.app_name for part in self.parts]

    def __iter__(self) -> Iterator[DeployPlan]:
        return iter(self.parts)

    def __len__(self) -> int:
        return len(self.parts)

    def __getitem__(self, key: str | int) -> DeployPlan:
        """The part of app ``key`` (a name), or the part at position ``key`` (an int).

        Raises:
            KeyError: no part for that app name.
            IndexError: no part at that position.
        """
        if isinstance(key, int):
            return self.parts[key]
        for part in self.parts:
            if part.app_name == key:
                return part
        raise KeyError(key)

    def __contains__(self, app_name: object) -> bool:
        return app_name in self.app_names

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and AIHelper: ``{"changes": bool, "plans": [part, ...]}``.

        ``plans`` holds :meth:`DeployPlan.to_dict` of each part (secret values never included).
        """
        return {"changes": self.changes, "plans": [part.to_dict() for part in self.parts]}

    def __str__(self) -> str:
        return "\n".join(str(part) for part in self.parts)

    def _repr_html_(self) -> str | None:
        """Jupyter's rich view: every part in one card (from the notebook layer, if loaded)."""
        return html_of(self)

    def __repr__(self) -> str:
        actions = ", ".join(f"{part.action} {part.app_name!r}" for part in self.parts)
        return f"<Plan changes={self.changes}: {actions}>"


def plan(
    desired_payload: dict[str, Any],
    live_config: dict[str, Any] | None,
    *,
    live_mode: Mode | None = None,
    live_state: str | None = None,
) -> DeployPlan:
    """Compare a payload from :func:`~scale_pilot_nb.compose.convert` with the live app.

    Args:
        desired_payload: an ``app.create`` payload (compose or ix-app mode).
        live_config: what ``app.config`` returns for the app, or None when it does not exist.
        live_mode: the live app's mode (``custom_app`` true → ``"compose"``); inferred from the
            shape of ``live_config`` when None.
        live_state: the live app's state; an update of a ``STOPPED`` app recreates nothing
            (TrueNAS leaves a stopped app stopped).

    Returns:
        The plan. ``noop`` means the normalised configs are identical.

    Raises:
        ComposeError: the payload is neither a compose nor an ix-app payload.
    """
    name = str(desired_payload.get("app_name") or "")
    mode, desired = _desired(desired_payload)
    if live_config is None:
        return _compare(name, "create", mode, None, {}, desired)
    live_mode = live_mode or _infer_mode(live_config)
    live = _canonical(live_config, live_mode)
    if live_mode != mode:
        return _compare(name, "replace", mode, live_mode, live, desired)
    result = _compare(name, "noop" if live == desired else "update", mode, live_mode, live, desired)
    if result.action == "update" and live_state == "STOPPED":
        result.recreates_containers = False
    return result


def _desired(payload: dict[str, Any]) -> tuple[Mode, dict[str, Any]]:
    if payload.get("custom_app"):
        text = payload.get("custom_compose_config_string")
        data = payload.get("custom_compose_config") or (_parse(text) if text else {})
        return "compose", _canonical(data, "compose")
    if payload.get("catalog_app") == "ix-app":
        return "ix-app", _canonical(as_dict(payload.get("values")), "ix-app")
    raise ComposeError(
        "not an app.create payload: expected custom_app=True or catalog_app='ix-app'",
        hint="Build the payload with scale_pilot_nb.compose.convert().",
    )


def _parse(text: str) -> dict[str, Any]:
    return dict(load(text).data)


def _infer_mode(config: dict[str, Any]) -> Mode:
    image = config.get("image")
    if "services" not in config and isinstance(image, dict) and "repository" in image:
        return "ix-app"
    return "compose"


def _canonical(config: dict[str, Any], mode: Mode) -> dict[str, Any]:
    """Both sides go through this: same normalisation, so only real changes remain."""
    if mode == "ix-app":
        return canonical_values(config)
    return normalise_lenient(copy.deepcopy(config)).data


def _compare(
    name: str,
    action: PlanAction,
    mode: Mode,
    live_mode: Mode | None,
    live: dict[str, Any],
    desired: dict[str, Any],
) -> DeployPlan:
    # a create starts new containers and recreates none; a noop touches nothing
    recreates = action in ("update", "replace")
    result = DeployPlan(name, action, mode, live_mode, recreates_containers=recreates)
    if action == "noop":
        return result
    old_services = _services(live, live_mode or mode, name) if live else {}
    new_services = _services(desired, mode, name)
    result.services_added = [s for s in new_services if s not in old_services]
    result.services_removed = [s for s in old_services if s not in new_services]
    result.services_changed = [
        s for s in new_services if s in old_services and old_services[s] != new_services[s]
    ]
    for service in new_services.keys() & old_services.keys():
        old, new = old_services[service], new_services[service]
        if old["image"] != new["image"]:
            result.images_changed[service] = (old["image"], new["image"])
        if old["ports"] != new["ports"]:
            result.ports_changed[service] = (old["ports"], new["ports"])
    result.images_changed = dict(sorted(result.images_changed.items()))
    result.ports_changed = dict(sorted(result.ports_changed.items()))
    result.secrets_changed = _changed_secrets(live, desired)
    result.diff = _diff(live, desired)
    return result


def _services(config: dict[str, Any], mode: Mode, app_name: str) -> dict[str, dict[str, Any]]:
    """Service → {image, ports, definition} in one shape for both modes."""
    if mode == "ix-app":
        image = as_dict(config.get("image"))
        ports = [
            f"{p.get('port_number')}:{p.get('container_port')}/{p.get('protocol')}"
            for p in map(as_dict, as_list(config.get("ports")))
            if p.get("bind_mode") == "published"
        ]
        ref = f"{image.get('repository')}:{image.get('tag')}"
        return {app_name: {"image": ref, "ports": ports, "definition": config}}
    out = {}
    for service, spec in as_dict(config.get("services")).items():
        spec = as_dict(spec)
        ports = [_port_text(as_dict(p)) for p in as_list(spec.get("ports"))]
        out[str(service)] = {"image": spec.get("image"), "ports": ports, "definition": spec}
    return out


def _port_text(port: dict[str, Any]) -> str:
    ip = f"{port['host_ip']}:" if port.get("host_ip") else ""
    published = port.get("published") or ""
    return f"{ip}{published}:{port.get('target')}/{port.get('protocol') or 'tcp'}"


def _changed_secrets(live: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """Paths of secret values that differ; the values themselves never leave here."""
    old, new = dict(_secret_values(live)), dict(_secret_values(desired))
    return sorted(path for path in old.keys() | new.keys() if old.get(path) != new.get(path))


def _secret_values(config: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(display path, value) of every value that holds a secret."""
    for slot in secret_slots(config):
        yield format_path(slot.path), slot.value


def _diff(live: dict[str, Any], desired: dict[str, Any]) -> str:
    def text(config: dict[str, Any]) -> list[str]:
        if not config:
            return []
        dumped = yaml.safe_dump(redact(config)[0], sort_keys=True, default_flow_style=False)
        return dumped.splitlines()

    lines = difflib.unified_diff(text(live), text(desired), "live", "desired", lineterm="")
    return "\n".join(lines)
