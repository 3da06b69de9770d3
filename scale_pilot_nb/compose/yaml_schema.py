"""The YAML 1.2 core schema that compose-go reads, for PyYAML's loader and dumper.

PyYAML implements YAML 1.1, where ``yes``/``no``/``on``/``off`` are booleans and ``22:22`` is
the base-60 integer 1342 — the classic ``ports: - 22:22`` surprise of docker-compose v1.
compose-go reads YAML 1.2 (``go-yaml`` v3), where all of those are strings. These resolvers
give PyYAML the same view, so a file means here what it means to ``docker compose``.

The dumper side resolves with *both* schemas, so any string that either would read as
something else is quoted, and text we write is read back identically by either parser.

TrueNAS itself reads a compose file with PyYAML's ``yaml.safe_load``: YAML 1.1. So a plain
scalar in a user's file can mean one thing to compose and another on the NAS. The second half
of this module reads a scalar *both* ways — the 1.1 side with PyYAML's own resolver table and
constructors, so it is exactly what ``safe_load`` does, not a copy of it — for the loader to
flag every plain scalar whose readings differ (:func:`yaml11_differs`, called once per plain
scalar while composing, so it must stay cheap) and for :mod:`scale_pilot_nb.compose.yaml11`
to explain them (:func:`read_core`, :func:`read_yaml11`).

go-yaml v3 itself is laxer than the core schema for a few spellings: it reads ``0755`` as
octal, drops ``_`` from numbers (``1_000``), knows ``0b1``/``-0x1f``/``0X1F`` and dates
(checked with ``docker-compose config`` 2.40.3). The loader does not follow it there; the
dumper quotes all such strings (:func:`go_yaml_reads_non_string`), so what we write is text
to every reader.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

__all__ = [
    "CORE_RESOLVERS",
    "STR_TAG",
    "Yaml11Unreadable",
    "construct_core_float",
    "construct_core_int",
    "go_yaml_reads_non_string",
    "read_core",
    "read_yaml11",
    "resolve_core",
    "resolve_yaml11",
    "same_value",
    "yaml11_differs",
]

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_MERGE = re.compile(r"^<<$")

CORE_RESOLVERS: tuple[tuple[str, re.Pattern[str], list[str]], ...] = (
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),  # "" = the empty scalar
    ("tag:yaml.org,2002:bool", _BOOL, list("tTfF")),
    ("tag:yaml.org,2002:int", _INT, list("-+0123456789")),
    ("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789.")),
    ("tag:yaml.org,2002:merge", _MERGE, ["<"]),
)
"""(tag, pattern, possible first characters) per implicit type of the core schema, plus ``<<``."""


def construct_core_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """Build an int of the core schema: ``0o17``, ``0x1f``; ``017`` is decimal 17 (no 1.1 octal)."""
    text = str(loader.construct_scalar(node))
    try:
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)
    except ValueError:  # an explicit `!!int abc`, or more digits than Python converts
        raise _not_a_number(node, "an integer") from None


def construct_core_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    """Build a float, including ``.inf`` and ``.nan`` in any of their spellings."""
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    try:
        return float(text)
    except ValueError:  # an explicit `!!float abc`
        raise _not_a_number(node, "a number") from None


def _not_a_number(node: yaml.ScalarNode, kind: str) -> yaml.constructor.ConstructorError:
    """A marked error, so the loader reports it at the value's line and column."""
    return yaml.constructor.ConstructorError(
        None, None, f"this value cannot be read as {kind}", node.start_mark
    )


# --- the same scalar read with YAML 1.1, as TrueNAS (PyYAML ``safe_load``) reads it -----------

STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"

_YAML11_TABLE: dict[Any, list[tuple[str, re.Pattern[str]]]] = (
    yaml.resolver.Resolver.yaml_implicit_resolvers  # PyYAML's own 1.1 table, keyed by 1st char
)
_CORE_TABLE: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _tag, _pattern, _first in CORE_RESOLVERS:
    for _char in _first:
        _CORE_TABLE.setdefault(_char, []).append((_tag, _pattern))


class Yaml11Unreadable(ValueError):
    """PyYAML's ``safe_load`` fails on this plain scalar (``=``, ``0b_``, ``2024-13-01``)."""


_READER = yaml.SafeLoader("")  # for its constructors only: PyYAML's own, as safe_load uses


def resolve_yaml11(text: str) -> str:
    """The tag PyYAML's ``safe_load`` gives ``text`` written as a plain scalar."""
    for tag, pattern in _YAML11_TABLE.get(text[:1], ()):  # text[:1] is "" for the empty scalar
        if pattern.match(text):
            return tag
    return STR_TAG


def resolve_core(text: str) -> str:
    """The tag the core schema (our loader, compose) gives ``text`` written as a plain scalar."""
    for tag, pattern in _CORE_TABLE.get(text[:1], ()):
        if pattern.match(text):
            return tag
    return STR_TAG


def read_yaml11(text: str) -> Any:
    """What PyYAML's ``safe_load`` builds from plain ``text``: ``yes`` → True, ``22:22`` → 1342.

    Raises:
        Yaml11Unreadable: PyYAML fails on it, so TrueNAS rejects the whole file.
    """
    tag = resolve_yaml11(text)
    construct = yaml.constructor.SafeConstructor.yaml_constructors.get(tag)
    if construct is None:  # `=` (1.1's value type) and `!`/`&`/`*` resolve to unbuildable tags
        raise Yaml11Unreadable(f"PyYAML has no constructor for its {tag.rsplit(':', 1)[-1]} type")
    try:
        return construct(_READER, yaml.ScalarNode(tag, text))
    except (ValueError, OverflowError) as exc:  # 0b_, 0x_, 2024-13-45 raise plain ValueErrors
        raise Yaml11Unreadable(str(exc)) from None


def read_core(text: str) -> Any:
    """What the core schema (our loader) builds from plain ``text``: ``yes`` → "yes", 017 → 17."""
    tag = resolve_core(text)
    if tag == _INT_TAG:
        return construct_core_int(_READER, yaml.ScalarNode(tag, text))
    if tag == _FLOAT_TAG:
        return construct_core_float(_READER, yaml.ScalarNode(tag, text))
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    if tag == "tag:yaml.org,2002:null":
        return None
    return text  # a string, or `<<` (a merge key either way)


def yaml11_differs(core_tag: str, text: str) -> bool:
    """Whether plain ``text``, which the core schema resolved to ``core_tag``, means something else
    to PyYAML: another type (``yes``, ``22:22``, ``0o17``, ``1e3``), another number (``010`` is 10
    in the core schema, 8 in 1.1), or nothing at all (``=``).
    """
    tag = resolve_yaml11(text)
    if tag != core_tag:
        return True
    if tag not in (_INT_TAG, _FLOAT_TAG):
        return False  # null, bool, merge and str words mean the same in both
    digits = text.lstrip("+-")
    if tag == _INT_TAG and (digits[:1] != "0" or digits[:2] == "0x"):
        return False  # decimal without a leading zero, or hex: the same number in both
    try:
        ours = read_core(text)
    except yaml.constructor.ConstructorError:
        return False  # our loader cannot build it either and reports it at its position
    try:
        return not same_value(ours, read_yaml11(text))
    except Yaml11Unreadable:
        return True


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same type (``True != 1`` here); NaN equals NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# --- what go-yaml v3 (Docker Compose's reader) reads beyond the core schema ------------------

_GO_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?$")
_GO_INT = re.compile(r"^[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|[0-9]+)$")
_GO_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


def go_yaml_reads_non_string(text: str) -> bool:
    """Whether go-yaml v3 may read plain ``text`` as a number or timestamp (a superset).

    go-yaml v3, which Docker Compose reads files with, is not the strict core schema: for a
    scalar starting with a digit or sign it first tries a timestamp (``2001-1-1``), then drops
    every ``_`` and parses a Go integer literal (``0X1F``, ``0O17``, ``-0o17``, ``0755`` as
    octal) or a float (``1_e3``). Checked against ``docker-compose config`` 2.40.3. The
    dumper quotes such strings so compose reads them back as text; quoting a string that
    go-yaml would have kept as text anyway is harmless, hence a superset is enough.
    """
    if text[:1] not in "+-0123456789" or not text:
        return False
    if _GO_TIMESTAMP.match(text):
        return True
    plain = text.replace("_", "")
    return bool(_GO_INT.match(plain) or _GO_FLOAT.match(plain))
