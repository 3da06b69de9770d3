"""The YAML 1.2 core schema that compose-go reads, for PyYAML's loader and dumper.

PyYAML implements YAML 1.1, where ``yes``/``no``/``on``/``off`` are booleans and ``22:22`` is
the base-60 integer 1342 — the classic ``ports: - 22:22`` surprise of docker-compose v1.
compose-go reads YAML 1.2 (``go-yaml`` v3), where all of those are strings. These resolvers
give PyYAML the same view, so a file means here what it means to ``docker compose``.

The dumper side resolves with *both* schemas, so any string that either would read as
something else is quoted, and text we write is read back identically by either parser.
"""

from __future__ import annotations

import re

import yaml

__all__ = ["CORE_RESOLVERS", "construct_core_float", "construct_core_int"]

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
