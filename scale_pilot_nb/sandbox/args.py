"""Argument-model validation with the messages each TrueNAS version produces.

25.04+ validates method arguments with strict pydantic models (``extra="forbid"``), 24.10 with
the legacy ``middlewared.schema``; the attribute names are the same (``app_create.app_name``),
the messages differ. Only the checks TrueNAS performs on arguments live here.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from typing import Any

from scale_pilot_nb.sandbox.contract import SandboxValidationErrors, version_at_least

APP_NAME_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
APP_NAME_MAX = 40
_LEGACY_NAME_EXPLANATION = (
    "\nApplication name must have the following:\n"
    "1) Lowercase alphanumeric characters can be specified\n"
    "2) Name must start with an alphabetic character and can end with alphanumeric character\n"
    "3) Hyphen '-' is allowed but not as the first or last character\n"
    "e.g abc123, abc, abcd-1232\n"
)

_REQUIRED = object()
_PYDANTIC = {
    "missing": "Field required",
    "extra": "Extra inputs are not permitted",
    str: "Input should be a valid string",
    bool: "Input should be a valid boolean",
    int: "Input should be a valid integer",
    dict: "Input should be a valid dictionary",
    list: "Input should be a valid list",
}
_LEGACY = {
    "missing": "attribute required",
    "extra": "Field was not expected",
    str: "Not a string",
    bool: "Not a boolean",
    int: "Not an integer",
    dict: "Not a dictionary",
    list: "Not a list",
}


@dataclass(frozen=True)
class Arg:
    """One field of an argument object: its type, default and whether ``null`` is allowed."""

    kind: type
    default: Any = _REQUIRED
    nullable: bool = False
    min_version: str | None = None


def _messages(version: str) -> dict[Any, str]:
    return _PYDANTIC if version_at_least(version, "25.04") else _LEGACY


def _type_ok(value: Any, arg: Arg) -> bool:
    if value is None:
        return arg.nullable
    if arg.kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, arg.kind)


def check_object(
    version: str, schema: str, data: Any, fields: dict[str, Arg]
) -> tuple[dict[str, Any], list[tuple[str, str, int]]]:
    """Validate ``data`` against ``fields``; return it with defaults filled and the errors.

    Args:
        version: sandbox version (picks the message style and version-gated fields).
        schema: attribute prefix, e.g. ``"app_create"`` or ``"options"``.
        data: the argument as received (``None`` = empty object).
        fields: the accepted keys.
    """
    messages = _messages(version)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, [(schema, messages[dict], errno.EINVAL)]
    errors: list[tuple[str, str, int]] = []
    known = {
        name: arg
        for name, arg in fields.items()
        if arg.min_version is None or version_at_least(version, arg.min_version)
    }
    result: dict[str, Any] = {}
    for name in data:
        if name not in known:
            errors.append((f"{schema}.{name}", messages["extra"], errno.EINVAL))
    for name, arg in known.items():
        if name not in data:
            if arg.default is _REQUIRED:
                errors.append((f"{schema}.{name}", messages["missing"], errno.EINVAL))
            else:
                result[name] = arg.default() if callable(arg.default) else arg.default
        elif not _type_ok(data[name], arg):
            errors.append((f"{schema}.{name}", messages[arg.kind], errno.EINVAL))
        else:
            result[name] = data[name]
    return result, errors


def app_name_errors(version: str, attribute: str, name: Any) -> list[tuple[str, str, int]]:
    """Errors for an ``app_name`` argument (pattern and 1–40 length)."""
    if not isinstance(name, str):
        return [(attribute, _messages(version)[str], errno.EINVAL)]
    if version_at_least(version, "25.04"):
        if not name:
            return [(attribute, "String should have at least 1 character", errno.EINVAL)]
        if len(name) > APP_NAME_MAX:
            message = f"String should have at most {APP_NAME_MAX} characters"
            return [(attribute, message, errno.EINVAL)]
        if not re.match(APP_NAME_PATTERN, name):
            message = f"String should match pattern '{APP_NAME_PATTERN}'"
            return [(attribute, message, errno.EINVAL)]
        return []
    errors = []
    if not re.match(APP_NAME_PATTERN, name):
        errors.append((attribute, _LEGACY_NAME_EXPLANATION, errno.EINVAL))
    if not 1 <= len(name) <= APP_NAME_MAX:
        errors.append((attribute, f"Should be between 1 and {APP_NAME_MAX}", errno.EINVAL))
    return errors


def require(version: str, schema: str, data: Any, fields: dict[str, Arg]) -> dict[str, Any]:
    """:func:`check_object` that raises.

    Raises:
        SandboxValidationErrors: any field error.
    """
    result, errors = check_object(version, schema, data, fields)
    if errors:
        raise SandboxValidationErrors(errors)
    return result


def require_name(version: str, attribute: str, name: Any) -> str:
    """A plain ``str`` positional argument (an app name in a non-job method).

    Raises:
        SandboxValidationErrors: ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise SandboxValidationErrors([(attribute, _messages(version)[str], errno.EINVAL)])
    return name
