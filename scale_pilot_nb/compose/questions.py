"""Check ix-app ``values`` against the catalog's ``questions`` schema, as the NAS serves it.

``catalog.get_app_details("ix-app", {"train": "stable"})`` returns, per version,
``schema.questions``: the ``questions.yaml`` list of ``{"variable", "label", "schema"}``.
:func:`check_values` walks the values the conversion writes along that schema and names what
the middleware would refuse, so the report says it before anything is sent:

* types: ``int`` (never a bool), ``boolean``, ``dict``, ``list`` (each item against the
  ``items`` question), and every string-like type (``string``, ``text``, ``path``,
  ``hostpath``, ``ipaddr``, ``cron``, ``uri``);
* ``enum`` choices, ``min``/``max`` for numbers, ``min_length``/``max_length`` for strings;
* ``required``: a visible required key with no ``default`` must be present and not null;
* unknown keys in a nested dict whose ``attrs`` are declared (a dict with ``$ref``,
  ``additional_attrs`` or no ``attrs`` accepts anything; the top level keeps unknown keys,
  as the middleware does);
* ``show_if``: a question whose conditions fail against its siblings is hidden, and its whole
  sub-tree is skipped.

Messages name the constraint, never a string value (env values may be secrets).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["check_values"]

_STRINGS = frozenset({"string", "text", "path", "hostpath", "ipaddr", "cron", "uri", "password"})
_SHOW_IF = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "in": lambda a, b: isinstance(b, list) and a in b,
    "notin": lambda a, b: isinstance(b, list) and a not in b,
}


def check_values(values: dict[str, Any], questions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Every violation of ``questions`` by ``values``, as ``(path, message)``.

    Args:
        values: the ``values`` argument of ``app.create`` (``payload["values"]``).
        questions: ``schema.questions`` of the catalog version.

    Returns:
        ``("values.ports.0.port_number", "must be at most 65535")``-style pairs, in schema order.
    """
    return list(_dict(_attrs(questions), values, "values", open_=True))


def _attrs(questions: Any) -> dict[str, dict[str, Any]]:
    """``variable`` → its ``schema`` (malformed entries are ignored)."""
    out: dict[str, dict[str, Any]] = {}
    for question in questions if isinstance(questions, list) else []:
        if isinstance(question, dict) and isinstance(question.get("variable"), str):
            schema = question.get("schema")
            out[question["variable"]] = schema if isinstance(schema, dict) else {}
    return out


def _visible(schema: dict[str, Any], siblings: dict[str, Any]) -> bool:
    for condition in schema.get("show_if") or []:
        if isinstance(condition, list) and len(condition) == 3:
            key, op, expected = condition
            test = _SHOW_IF.get(op)
            if test is not None and not test(siblings.get(key), expected):
                return False
    return True


def _dict(
    attrs: dict[str, dict[str, Any]], value: dict[str, Any], path: str, *, open_: bool
) -> Iterator[tuple[str, str]]:
    if not open_:
        for key in value:
            if key not in attrs:
                yield f"{path}.{key}", "is not a field of this schema"
    for key, schema in attrs.items():
        if not _visible(schema, value):
            continue
        if key not in value or value[key] is None:
            if schema.get("required") and schema.get("default") is None:
                yield f"{path}.{key}", "is required"
            continue
        yield from _check(schema, value[key], f"{path}.{key}")


def _check(schema: dict[str, Any], value: Any, path: str) -> Iterator[tuple[str, str]]:
    kind = schema.get("type")
    if kind == "dict":
        if not isinstance(value, dict):
            yield path, "must be an object"
            return
        attrs = _attrs(schema.get("attrs"))
        open_ = not attrs or "$ref" in schema or bool(schema.get("additional_attrs"))
        yield from _dict(attrs, value, path, open_=open_)
    elif kind == "list":
        if not isinstance(value, list):
            yield path, "must be a list"
            return
        items = list(_attrs(schema.get("items")).values())
        if items:
            for index, item in enumerate(value):
                yield from _check(items[0], item, f"{path}.{index}")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            yield path, "must be an integer"
            return
        yield from _range(schema, value, path, ("min", "max"), f" (it is {value})")
    elif kind == "boolean":
        if not isinstance(value, bool):
            yield path, "must be true or false"
    elif kind in _STRINGS:
        if not isinstance(value, str):
            yield path, "must be a string"
            return
        yield from _range(schema, len(value), path, ("min_length", "max_length"), " characters")
    else:
        return  # a type this check does not know: the NAS judges it
    choices = [c.get("value") for c in schema.get("enum") or [] if isinstance(c, dict)]
    if choices and value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        yield path, f"must be one of {shown}"


def _range(
    schema: dict[str, Any], size: int, path: str, keys: tuple[str, str], suffix: str
) -> Iterator[tuple[str, str]]:
    """``size`` (a number, or a string's length) within the schema's ``keys`` limits."""
    low, high = schema.get(keys[0]), schema.get(keys[1])
    if isinstance(low, int) and size < low:
        yield path, f"must be at least {low}{suffix}"
    elif isinstance(high, int) and size > high:
        yield path, f"must be at most {high}{suffix}"
