"""Argument-model validation with the messages each TrueNAS version produces.

25.04+ validates method arguments with strict pydantic models (``extra="forbid"``, every string
at most 1024 characters unless the field says otherwise), 24.10 with the legacy
``middlewared.schema``; the attribute names are the same (``app_create.app_name``), the messages
and the order of checks differ (issue-12 facts Q3, Q5):

* pydantic checks the fields in declaration order (type, then length, then pattern), then reports
  each unexpected key; ``null`` is a type error unless the field allows it.
* the legacy schema first *cleans* the keys in the order they were sent (integers become strings
  for string fields, ``null not allowed``, ``Field was not expected``), then reports missing
  required fields; only when cleaning found nothing does it *validate* (length limits, the
  app-name rules) in declaration order.

Only the checks TrueNAS performs on arguments live here.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from typing import Any

from scale_pilot_nb.sandbox.contract import SandboxValidationErrors, version_at_least

APP_NAME_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
APP_NAME_MAX = 40
#: pydantic's ``str_max_length`` of every TrueNAS model, and the legacy ``Str`` default.
STR_MAX = 1024
#: ``LongString`` (25.04+): the compose text limit.
LONG_STRING_MAX = 2_048_000
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
    "null": "null not allowed",
    str: "Not a string",
    bool: "Not a boolean",
    int: "Not an integer",
    dict: "A dict was expected",
    list: "Not a list",
}

Error = tuple[str, str, int]


@dataclass(frozen=True)
class Arg:
    """One field of an argument object.

    Attributes:
        kind: the Python type the field holds.
        default: the default (a callable builds a fresh one); required when absent.
        nullable: ``null`` is a valid value.
        min_version: the first sandbox version that has the field.
        min_length: pydantic ``min_length`` of a string (``NonEmptyString`` = 1).
        max_length: pydantic ``max_length`` of a string (``None`` = unlimited).
        legacy_max_length: the 24.10 ``Str(max_length=…)`` (``None`` = unlimited).
        app_name: the ``app.create`` name rules (pattern and 1–40 characters).
        legacy_nullable: ``null`` on 24.10 when it differs from ``nullable`` (``catalog_app``
            is ``str | None`` in 25.04+ but a plain ``Str`` in 24.10).
    """

    kind: type
    default: Any = _REQUIRED
    nullable: bool = False
    min_version: str | None = None
    min_length: int = 0
    max_length: int | None = STR_MAX
    legacy_max_length: int | None = STR_MAX
    app_name: bool = False
    legacy_nullable: bool | None = None


def _pydantic(version: str) -> bool:
    return version_at_least(version, "25.04")


def _messages(version: str) -> dict[Any, str]:
    return _PYDANTIC if _pydantic(version) else _LEGACY


def _type_ok(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _plural(count: int) -> str:
    return "character" if count == 1 else "characters"


def _pydantic_field(attr: str, value: Any, arg: Arg) -> list[Error]:
    """pydantic's errors for one present field (strict mode: no coercion)."""
    if value is None and arg.nullable:
        return []
    if value is None or not _type_ok(value, arg.kind):
        return [(attr, _PYDANTIC[arg.kind], errno.EINVAL)]
    if arg.kind is not str:
        return []
    low = max(arg.min_length, 1 if arg.app_name else 0)
    high = APP_NAME_MAX if arg.app_name else arg.max_length
    if len(value) < low:
        return [(attr, f"String should have at least {low} {_plural(low)}", errno.EINVAL)]
    if high is not None and len(value) > high:
        return [(attr, f"String should have at most {high} {_plural(high)}", errno.EINVAL)]
    # pydantic-core matches with Rust's regex, where ``$`` is the very end: "web\n" fails
    # (24.10's ``Match`` validator below uses Python's ``re.match``, where it passes).
    if arg.app_name and not re.fullmatch(APP_NAME_PATTERN, value):
        return [(attr, f"String should match pattern '{APP_NAME_PATTERN}'", errno.EINVAL)]
    return []


def _legacy_clean(attr: str, value: Any, arg: Arg) -> tuple[Any, list[Error]]:
    """``Attribute.clean`` of one legacy field: ``null``, int→str coercion, type."""
    if value is None:
        nullable = arg.nullable if arg.legacy_nullable is None else arg.legacy_nullable
        return None, ([] if nullable else [(attr, _LEGACY["null"], errno.EINVAL)])
    if arg.kind is str and isinstance(value, int) and not isinstance(value, bool):
        return str(value), []
    if arg.kind is int and isinstance(value, str):
        try:
            return int(value), []
        except ValueError:
            return value, [(attr, _LEGACY[int], errno.EINVAL)]
    if not _type_ok(value, arg.kind):
        return value, [(attr, _LEGACY[arg.kind], errno.EINVAL)]
    return value, []


def _legacy_validate(attr: str, value: Any, arg: Arg) -> list[Error]:
    """``Attribute.validate`` of one cleaned legacy field: length, then the app-name rules."""
    if arg.kind is not str or not isinstance(value, str):
        return []
    limit = arg.legacy_max_length
    if value and limit is not None and len(value) > limit:
        message = f"The value may not be longer than {limit} characters"
        return [(attr, message, errno.EINVAL)]
    if arg.app_name:
        return legacy_app_name_errors(attr, value)
    return []


def legacy_app_name_errors(attribute: str, name: str) -> list[Error]:
    """24.10's ``Match`` and ``Range(1, 40)`` validators of ``app_create.app_name``."""
    errors = []
    if not re.match(APP_NAME_PATTERN, name):
        errors.append((attribute, _LEGACY_NAME_EXPLANATION, errno.EINVAL))
    if not 1 <= len(name) <= APP_NAME_MAX:
        errors.append((attribute, f"Should be between 1 and {APP_NAME_MAX}", errno.EINVAL))
    return errors


def check_object(
    version: str,
    schema: str,
    data: Any,
    fields: dict[str, Arg],
    *,
    model: str | None = None,
) -> tuple[dict[str, Any], list[Error]]:
    """Validate ``data`` against ``fields``; return it with defaults filled and the errors.

    Args:
        version: sandbox version (picks the message style and version-gated fields).
        schema: attribute prefix, e.g. ``"app_create"`` or ``"options"``.
        data: the argument as received (``None`` = empty object, unless ``model`` is given).
        fields: the accepted keys, in the model's declaration order.
        model: the pydantic model's class name when the argument is a model (``AppUpdate``):
            then ``null`` or a non-object is ``Input should be a valid dictionary or instance
            of <model>`` (25.04+) / ``null not allowed`` (24.10).
    """
    known = {
        name: arg
        for name, arg in fields.items()
        if arg.min_version is None or version_at_least(version, arg.min_version)
    }
    if _pydantic(version):
        return _check_pydantic(schema, data, known, model)
    return _check_legacy(schema, data, known, model is not None)


def _check_pydantic(
    schema: str, data: Any, known: dict[str, Arg], model: str | None
) -> tuple[dict[str, Any], list[Error]]:
    if data is None and model is None:
        data = {}
    if not isinstance(data, dict):
        message = (
            f"Input should be a valid dictionary or instance of {model}"
            if model
            else _PYDANTIC[dict]
        )
        return {}, [(schema, message, errno.EINVAL)]
    errors: list[Error] = []
    result: dict[str, Any] = {}
    for name, arg in known.items():
        attr = f"{schema}.{name}"
        if name not in data:
            if arg.default is _REQUIRED:
                errors.append((attr, _PYDANTIC["missing"], errno.EINVAL))
            else:
                result[name] = arg.default() if callable(arg.default) else arg.default
            continue
        found = _pydantic_field(attr, data[name], arg)
        errors += found
        if not found:
            result[name] = data[name]
    errors += [(f"{schema}.{k}", _PYDANTIC["extra"], errno.EINVAL) for k in data if k not in known]
    return result, errors


def _check_legacy(
    schema: str, data: Any, known: dict[str, Arg], null_refused: bool
) -> tuple[dict[str, Any], list[Error]]:
    if data is None:
        if null_refused:
            return {}, [(schema, _LEGACY["null"], errno.EINVAL)]
        data = {}
    if not isinstance(data, dict):
        return {}, [(schema, _LEGACY[dict], errno.EINVAL)]
    errors: list[Error] = []
    result: dict[str, Any] = {}
    for name, value in data.items():
        arg = known.get(name)
        if arg is None:
            errors.append((f"{schema}.{name}", _LEGACY["extra"], errno.EINVAL))
            continue
        result[name], found = _legacy_clean(f"{schema}.{name}", value, arg)
        errors += found
    for name, arg in known.items():
        if name in data:
            continue
        if arg.default is _REQUIRED:
            errors.append((f"{schema}.{name}", _LEGACY["missing"], errno.EINVAL))
        else:
            result[name] = arg.default() if callable(arg.default) else arg.default
    if errors:
        return result, errors
    for name, arg in known.items():
        if name in data:
            errors += _legacy_validate(f"{schema}.{name}", result[name], arg)
    return result, errors


def check_value(version: str, attribute: str, value: Any, arg: Arg) -> tuple[Any, list[Error]]:
    """Validate one positional argument (``app.update``'s ``app_name``)."""
    if _pydantic(version):
        return value, _pydantic_field(attribute, value, arg)
    value, errors = _legacy_clean(attribute, value, arg)
    if errors:
        return value, errors
    return value, _legacy_validate(attribute, value, arg)


def app_name_errors(version: str, attribute: str, name: Any) -> list[Error]:
    """Errors for an ``app.create`` ``app_name`` (pattern and 1–40 length)."""
    return check_value(version, attribute, name, Arg(str, app_name=True))[1]


def require(
    version: str, schema: str, data: Any, fields: dict[str, Arg], *, model: str | None = None
) -> dict[str, Any]:
    """:func:`check_object` that raises.

    Raises:
        SandboxValidationErrors: any field error.
    """
    result, errors = check_object(version, schema, data, fields, model=model)
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
