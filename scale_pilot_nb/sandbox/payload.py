"""Custom-app compose payloads: ``validate_payload`` per version, and portals/notes.

What each TrueNAS version checks (reference §3.3, issue-12 facts Q1), raised inside the job as
ValidationErrors:

* all: one of ``custom_compose_config`` / ``custom_compose_config_string`` is required, not both;
  ``Invalid YAML provided`` (24.10/25.04 always name ``app_create.…``, even on update). Scalars and
  lists are accepted and stored by 24.10/25.04.
* 25.10 (= 25.10.1+): ``docker compose config`` must accept the document (the user's text, or the
  dict dumped as YAML): ``Invalid compose configuration: <stderr>``, judged by
  :mod:`~scale_pilot_nb.sandbox.compose_check`. Earlier versions store anything and fail at up.
"""

from __future__ import annotations

import errno
from datetime import date, datetime
from typing import Any

import yaml

from scale_pilot_nb.sandbox.compose_check import config_error, temp_name
from scale_pilot_nb.sandbox.contract import SandboxValidationErrors, version_at_least

#: What TrueNAS reports when ``docker compose config`` fails without printing anything.
_NO_REASON = "Invalid compose configuration"


def compose_refusal(stderr: str) -> str:
    """The 25.10 message for a failed ``docker compose config`` (doubled when stderr is empty)."""
    return f"Invalid compose configuration: {stderr.strip() or _NO_REASON}"


def validate_payload(version: str, schema: str, data: dict[str, Any]) -> Any:
    """The compose document from a create/update payload.

    Args:
        version: sandbox version.
        schema: ``"app_create"`` or ``"app_update"``.
        data: the validated argument object.

    Raises:
        SandboxValidationErrors: with the attribute and message of the version.
    """
    as_dict = data.get("custom_compose_config") or {}
    as_text = data.get("custom_compose_config_string") or ""
    if not as_dict and not as_text:
        raise _error(f"{schema}.custom_compose_config", "This field is required")
    if as_dict and as_text:
        raise _error(
            f"{schema}.custom_compose_config_string", "Only one of these fields should be provided"
        )
    modern = version_at_least(version, "25.10")
    text_attr = f"{schema if modern else 'app_create'}.custom_compose_config_string"
    compose: Any = as_dict
    if as_text:
        try:
            compose = yaml.safe_load(as_text)
        except yaml.YAMLError:
            raise _error(text_attr, "Invalid YAML provided") from None
        if _expanded_size(compose) > MAX_NODES:
            # An alias bomb: tiny as YAML, unbounded once re-serialised as JSON.
            raise _error(text_attr, "Invalid YAML provided")
    compose = json_safe(compose)
    if modern:
        text = as_text or yaml.safe_dump(compose)
        problem = config_error(compose, temp_name(text), text)
        if problem is not None:
            attr = text_attr if as_text else f"{schema}.custom_compose_config"
            raise _error(attr, compose_refusal(problem))
    return compose


#: Values a compose document may expand to (anchors counted once per use).
MAX_NODES = 100_000


def _expanded_size(document: Any) -> int:
    """Number of values ``document`` has once aliases are expanded (stops past the limit)."""
    count, stack = 0, [document]
    while stack and count <= MAX_NODES:
        value = stack.pop()
        count += 1
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return count


def json_safe(value: Any) -> Any:
    """``value`` with only JSON types: YAML dates become ISO strings, keys become strings.

    The stored compose must survive ``--state`` files and the wire unchanged.
    """
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _error(attribute: str, message: str) -> SandboxValidationErrors:
    return SandboxValidationErrors([(attribute, message, errno.EINVAL)])


def portals(compose: Any) -> dict[str, str]:
    """``portals`` from top-level ``x-portals`` (``0.0.0.0`` replaced at query time)."""
    result: dict[str, str] = {}
    entries = compose.get("x-portals") if isinstance(compose, dict) else None
    for portal in entries if isinstance(entries, list) else []:
        if not isinstance(portal, dict) or not portal.get("name"):
            continue
        scheme = portal.get("scheme", "http")
        host, port = portal.get("host", "0.0.0.0"), portal.get("port", 80)
        result[str(portal["name"])] = f"{scheme}://{host}:{port}{portal.get('path', '/')}"
    return result


def notes(compose: Any) -> str | None:
    """``notes`` from top-level ``x-notes``."""
    value = compose.get("x-notes") if isinstance(compose, dict) else None
    return value if isinstance(value, str) else None
