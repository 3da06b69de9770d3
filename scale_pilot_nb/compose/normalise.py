"""Short syntax → long syntax with the real defaults, like ``docker compose config``.

Two documents that mean the same thing normalise to equal dicts, so ``plan`` can compare a
desired compose file with the one stored on the NAS using ``==``: key order, quoting, list vs
mapping forms and spelled-out defaults do not count as change. Normalisation is idempotent and
never modifies its input.

What it does, per service: ``ports`` → long mappings (ranges expanded, ``published`` a
string), ``volumes`` → long mounts, ``environment``/``labels``/``annotations``/``sysctls`` →
mappings, ``env_file`` → ``[{path, required}]``, ``depends_on`` → mapping with ``condition``,
``required`` and ``restart``, ``healthcheck.test`` → list form, ``command``/``entrypoint`` →
word lists, ``build`` → mapping, ``networks`` → mapping (``default`` when none and no
``network_mode``), legacy ``cpus``/``mem_limit``/``mem_reservation``/``pids_limit`` →
``deploy.resources`` (memory in bytes), booleans and numbers cast from text. Top level:
``networks``/``volumes``/``secrets``/``configs`` entries written as ``null`` become ``{}`` and
the implicit ``default`` network is declared when a service uses it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from scale_pilot_nb.compose.fields import SERVICE_FIELDS, Context, normalise_resources
from scale_pilot_nb.compose.image import parse_image
from scale_pilot_nb.compose.model import Issue, Normalised, YamlPath
from scale_pilot_nb.compose.scalars import to_byte_string, to_float, to_int
from scale_pilot_nb.errors import ComposeError

__all__ = ["normalise", "normalise_lenient", "parse_image"]

_DEFINITIONS = ("networks", "volumes", "secrets", "configs")
_LEGACY_RESOURCES = {
    "cpus": ("limits", "cpus", to_float),
    "mem_limit": ("limits", "memory", to_byte_string),
    "mem_reservation": ("reservations", "memory", to_byte_string),
    "pids_limit": ("limits", "pids", to_int),
}
_SHOWN_ISSUES = 5


def normalise(
    data: Mapping[str, Any], *, environment: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Normalise a compose document, refusing any entry that cannot be normalised.

    Args:
        data: the document, usually ``interpolate(...).data``.
        environment: values for bare ``KEY`` entries of ``environment``; without it they stay
            ``None`` (meaning "taken from outside" to compose).

    Returns:
        A new dict in long syntax.

    Raises:
        ComposeError: listing every invalid entry with its path (use
            :func:`normalise_lenient` to get them as data instead).
    """
    result = normalise_lenient(data, environment=environment)
    if result.issues:
        shown = "; ".join(str(issue) for issue in result.issues[:_SHOWN_ISSUES])
        more = len(result.issues) - _SHOWN_ISSUES
        raise ComposeError(
            f"{len(result.issues)} invalid entr{'y' if len(result.issues) == 1 else 'ies'}: "
            + shown
            + (f"; and {more} more" if more > 0 else ""),
            hint=result.issues[0].hint,
        )
    return result.data


def normalise_lenient(
    data: Mapping[str, Any], *, environment: Mapping[str, str] | None = None
) -> Normalised:
    """Normalise what can be; keep invalid entries as written and report them.

    Args:
        data: the document.
        environment: values for bare ``KEY`` entries of ``environment``.

    Returns:
        The normalised data and the issues (never raises for content). Unknown keys are the
        schema's to report (:mod:`~scale_pilot_nb.compose.schema`).

    Raises:
        ComposeError: ``data`` is not a mapping at all.
    """
    if not isinstance(data, Mapping):
        raise ComposeError(f"a compose document must be a mapping, not {type(data).__name__}")
    ctx = Context(environment=environment)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "services" and isinstance(value, dict):
            out[key] = {
                name: _service(service, ("services", name), ctx) for name, service in value.items()
            }
        elif key in _DEFINITIONS and isinstance(value, dict):
            out[key] = {
                name: {} if spec is None else copy.deepcopy(spec) for name, spec in value.items()
            }
        else:
            out[key] = copy.deepcopy(value)
    _declare_default_network(out)
    return Normalised(out, tuple(ctx.issues), dict(ctx.written_paths))


def _service(service: Any, path: YamlPath, ctx: Context) -> Any:
    if not isinstance(service, dict):
        ctx.issues.append(Issue(path, "a service must be a mapping", "Give it at least `image:`."))
        return copy.deepcopy(service)
    out: dict[str, Any] = {}
    for key, value in service.items():
        handler = SERVICE_FIELDS.get(key)
        if handler is None:
            out[key] = copy.deepcopy(value)
            continue
        try:
            out[key] = handler(value, (*path, key), ctx)
        except ComposeError as exc:
            ctx.issues.append(Issue((*path, key), exc.message, exc.hint))
            out[key] = copy.deepcopy(value)
    _move_legacy_resources(out, path, ctx)
    if "networks" not in out and "network_mode" not in out:
        out["networks"] = {"default": None}
    return out


def _move_legacy_resources(service: dict[str, Any], path: YamlPath, ctx: Context) -> None:
    """``cpus: 0.5`` / ``mem_limit: 1g`` … → ``deploy.resources.limits`` (one canonical place)."""
    legacy = [key for key in _LEGACY_RESOURCES if key in service]
    if not legacy:
        return
    deploy = service.setdefault("deploy", {})
    if not isinstance(deploy, dict) or not isinstance(deploy.setdefault("resources", {}), dict):
        return  # already reported by the deploy handler; keep the legacy keys visible
    resources = deploy["resources"]
    for key in legacy:
        section, name, convert = _LEGACY_RESOURCES[key]
        try:
            value = convert(service[key], key)
        except ComposeError as exc:
            ctx.issues.append(Issue((*path, key), exc.message, exc.hint))
            continue
        part = resources.setdefault(section, {})
        current = part.get(name)
        if current is not None and current != value:
            ctx.issues.append(
                Issue(
                    (*path, key),
                    f"'{key}' conflicts with deploy.resources.{section}.{name}",
                    "Keep only deploy.resources.",
                )
            )
            continue
        part[name] = value
        del service[key]
    deploy["resources"] = normalise_resources(resources)


def _declare_default_network(out: dict[str, Any]) -> None:
    services = out.get("services")
    if not isinstance(services, dict):
        return
    uses_default = any(
        isinstance(service, dict)
        and isinstance(service.get("networks"), dict)
        and "default" in service["networks"]
        for service in services.values()
    )
    networks = out.get("networks")
    if uses_default and (networks is None or isinstance(networks, dict)):
        out["networks"] = {**(networks or {})}
        out["networks"].setdefault("default", {})
