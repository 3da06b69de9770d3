"""Scalars that TrueNAS reads otherwise: YAML 1.1 (PyYAML) against compose's YAML 1.2.

Compose reads a file with the YAML 1.2 core schema (as our loader does); TrueNAS's middleware
reads the compose text with PyYAML's ``yaml.safe_load``, which implements YAML 1.1. A *plain*
(unquoted) scalar can resolve differently under the two: ``ports: [22:22]`` is the string
``"22:22"`` to compose and the base-60 integer 1342 on the NAS; ``DEBUG: yes`` is a string
and a boolean; ``0755`` is 755 and 493; ``1e3`` is 1000.0 and a string; a plain ``=`` or
``2024-13-01`` makes PyYAML fail on the whole file. Quoted scalars are strings to both.

The loader flags such scalars while it still sees node styles and tags
(:attr:`~scale_pilot_nb.compose.yaml_loader.ComposeLoader.yaml11_nodes`, tested with both
schemas' own resolvers, see :func:`~scale_pilot_nb.compose.yaml_schema.yaml11_differs`);
:func:`locate` finds every YAML path that uses them, and :func:`check` — rule
``yaml.yaml11-differs`` — reports each once: an error where the app depends on it, a warning
under ``x-*`` extensions and labels, which compose passes along without reading.

What our own SDK sends is not affected: :func:`~scale_pilot_nb.compose.render.render` quotes
every string either schema would read as something else. This rule is for the text as the user
wrote it, which is what TrueNAS stores when the file is pasted or sent as is.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scale_pilot_nb.compose.model import Yaml11Scalar, YamlPath, format_path
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import RuleContext
from scale_pilot_nb.compose.yaml_loader import merged_pairs, node_position
from scale_pilot_nb.compose.yaml_schema import (
    STR_TAG,
    Yaml11Unreadable,
    read_core,
    read_yaml11,
    resolve_core,
    resolve_yaml11,
    same_value,
    yaml11_differs,
)

__all__ = ["RULE", "check", "describe", "findings", "kind", "locate", "quoted"]

RULE = "yaml.yaml11-differs"

_RESOURCES = frozenset({"services", "networks", "volumes", "configs", "secrets"})
_PASSED_ALONG = frozenset({"labels", "annotations"})  # compose hands these on unread
_USER_NAMES = frozenset(  # below these keys, names are the user's (a variable may be `labels`)
    {"environment", "args", "sysctls", "driver_opts", "options", "extra_hosts", "ulimits"}
)
_VALUE_TAG = "tag:yaml.org,2002:value"
_UNREADABLE = object()  # PyYAML fails on the scalar: TrueNAS rejects the whole file
_GO_YAML_AS_YAML11 = frozenset({"octal", "underscore", "binary", "hex", "timestamp"})
"""Kinds that Docker Compose (go-yaml v3, checked with ``docker-compose config`` 2.40.3) reads as
YAML 1.1 does, not as the core schema our loader implements: the finding is then about this
SDK's reading (which :func:`~scale_pilot_nb.compose.render.render` would send) differing from
both, and says so."""

_REASONS = {
    "bool-word": "YAML 1.1 reads yes/no/on/off as booleans",
    "base-60": "YAML 1.1 reads numbers joined by colons as base 60",
    "timestamp": "YAML 1.1 has a timestamp type",
    "value-tag": "a lone `=` is YAML 1.1's value type, which PyYAML cannot build",
    "unbuildable": "PyYAML resolves it to a type it cannot build",
    "binary": "YAML 1.1 reads 0b… as a binary integer",
    "hex": "YAML 1.1 also reads a signed or _-separated 0x… as an integer",
    "underscore": "YAML 1.1 ignores _ between digits",
    "core-octal": "0o… is YAML 1.2 octal; YAML 1.1 does not know it",
    "not-octal": "YAML 1.1 reads a leading 0 as octal, and 8 and 9 are not octal digits",
    "octal": "YAML 1.1 reads a leading 0 as octal",
    "exponent": "YAML 1.1 needs a dot and a signed exponent (1.0e+3) to read a number",
    "signed-dot": "YAML 1.1 needs a digit before the dot of a signed number (-0.5)",
    "other": "the two YAML versions resolve it differently",
}
"""Why YAML 1.1 reads a scalar otherwise, per :func:`kind`; never quotes the value."""


# --- finding them --------------------------------------------------------------------------


def locate(root: Node, nodes: Sequence[ScalarNode]) -> tuple[Yaml11Scalar, ...]:
    """Every path that uses each flagged scalar node, in document order.

    Args:
        root: the composed document.
        nodes: the scalars the loader flagged (``ComposeLoader.yaml11_nodes``).

    Aliases and ``<<`` merges are followed as the data is built (keys written in a mapping win
    over merged ones), so an anchor in ``x-common`` used by a service is seen at both places.
    Only subtrees that hold a flagged node are walked; a document without any costs nothing.
    The walk is bounded by the loader's ``max_nodes`` (the size with aliases expanded).
    """
    if not nodes:
        return ()
    wanted = {id(node) for node in nodes}
    holding = _holding(root, wanted)
    uses: dict[int, list[YamlPath]] = {}
    keys: set[int] = set()
    stack: list[tuple[YamlPath, Node]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, ScalarNode):
            if id(node) in wanted:
                uses.setdefault(id(node), []).append(path)
            continue
        if id(node) not in holding:
            continue
        children: list[tuple[YamlPath, Node]] = []
        if isinstance(node, MappingNode):
            for key_node, value_node in merged_pairs(node):
                child: YamlPath = (*path, key_node.value)
                if id(key_node) in wanted and resolve_yaml11(key_node.value) != _VALUE_TAG:
                    uses.setdefault(id(key_node), []).append(child)  # PyYAML keeps key `=` text
                    keys.add(id(key_node))
                children.append((child, value_node))
        elif isinstance(node, SequenceNode):
            children = [((*path, index), item) for index, item in enumerate(node.value)]
        stack.extend(reversed(children))
    return tuple(
        Yaml11Scalar(node.value, id(node) in keys, tuple(uses[id(node)]), node_position(node))
        for node in sorted(nodes, key=lambda n: n.start_mark.index)
        if id(node) in uses  # a merged mapping's key overridden by the mapping's own is unused
    )


def _holding(root: Node, wanted: set[int]) -> set[int]:
    """Ids of the collection nodes with a wanted scalar somewhere below (through aliases)."""
    holding: set[int] = set()
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:  # post-order without recursion: the depth limit may have been raised
        node, children_done = stack.pop()
        if isinstance(node, ScalarNode):
            continue
        children: list[Node] = (
            [n for pair in node.value for n in pair]
            if isinstance(node, MappingNode)
            else list(node.value)
        )
        if children_done:
            if any(id(child) in wanted or id(child) in holding for child in children):
                holding.add(id(node))
        elif id(node) not in seen:  # a shared (aliased) node is looked at once
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in seen)
    return holding


# --- the rule ------------------------------------------------------------------------------


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Rule ``yaml.yaml11-differs`` over the scalars the loader flagged (``ctx.yaml11``)."""
    yield from findings(ctx.yaml11)


def findings(scalars: Iterable[Yaml11Scalar]) -> Iterator[Finding]:
    """One finding per scalar, at the place it is written, in document order.

    An error when any use is something the app depends on (anything under ``services``,
    ``networks``, ``volumes``, ``configs``, ``secrets``, or another top-level key); a warning
    when every use is under an ``x-*`` extension or labels/annotations.
    """
    for scalar in scalars:
        depends = next((path for path in scalar.uses if not _passed_along(path)), None)
        hidden = not scalar.key and any(_in_environment(path) for path in scalar.uses)
        message, hint = describe(scalar.text, key=scalar.key, hidden=hidden)
        where = scalar.uses[0]
        if depends is not None and depends != where:
            message += f" It is used at {format_path(depends)}."
        yield Finding(
            Severity.ERROR if depends is not None else Severity.WARNING,
            RULE,
            format_path(where),
            message,
            hint,
            *scalar.position,
        )


def _passed_along(path: YamlPath) -> bool:
    """True under an ``x-*`` extension or labels/annotations: compose does not read these."""
    if not path or not isinstance(path[0], str):
        return False
    if path[0].startswith("x-"):
        return True
    start = 2 if path[0] in _RESOURCES else 1  # a service may well be called "x-anything"
    for part in path[start:]:
        if not isinstance(part, str):
            continue
        if part.startswith("x-") or part in _PASSED_ALONG:
            return True
        if part in _USER_NAMES:
            return False
    return False


def _in_environment(path: YamlPath) -> bool:
    return "environment" in path[:-1]


# --- explaining one ------------------------------------------------------------------------


def describe(text: str, *, key: bool = False, hidden: bool = False) -> tuple[str, str]:
    """The message and hint for a plain scalar ``text`` that YAML 1.1 reads otherwise.

    Args:
        text: the scalar as written.
        key: it is a mapping key (our loader keeps keys as the text written).
        hidden: it is an environment value: name neither the value nor what it becomes.
    """
    what = kind(text)
    why = _REASONS[what]
    ours: Any = read_core(text)
    try:
        theirs = read_yaml11(text)
    except Yaml11Unreadable:
        theirs = _UNREADABLE
    if hidden:
        subject, ours_text = "this environment value", _type_name(ours)
        theirs_text = _type_name(theirs)
        hint = "Put this environment value in double quotes."
    else:
        subject = f"the key `{text}`" if key else f"`{text}`"
        ours_text, theirs_text = _value_text(ours), _value_text(theirs)
        hint = _fix(text, ours, theirs, key)
    if theirs is _UNREADABLE:
        tail = f"cannot read it at all ({why}), so TrueNAS rejects the whole file"
    else:
        tail = f"reads it as {theirs_text} ({why})"
    go_yaml_as_yaml11 = what in _GO_YAML_AS_YAML11 and theirs is not _UNREADABLE  # "0b_": str
    if go_yaml_as_yaml11:
        compose = (
            "Docker Compose's go-yaml reads a timestamp too (and rejects it where text is due)"
            if what == "timestamp"
            else "Docker Compose's go-yaml reads it as YAML 1.1 does"
        )
        message = (
            f"This SDK reads {subject} as {ours_text} (YAML 1.2 core schema), but YAML 1.1 "
            f"(PyYAML, which TrueNAS reads the stored file with) {tail}; {compose}."
        )
    else:
        message = (
            f"Compose reads {subject} as {ours_text}; TrueNAS reads the stored file with "
            f"YAML 1.1 (PyYAML), which {tail}."
        )
    if key and not isinstance(theirs if go_yaml_as_yaml11 else ours, str):
        message += " Compose refuses a key that is not text."  # compose-go: "non-string key"
    return message, hint


def quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar: a string to every YAML version."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fix(text: str, ours: Any, theirs: Any, key: bool) -> str:
    """The quoted form, and for a number the spelling every YAML reader takes for the same one."""
    if key:
        return f"Quote the key: {quoted(text)}:"
    text_fix = f"quote it ({quoted(text)}) if you mean text"
    if kind(text) == "octal":  # 0755: 755 to our loader, 493 to PyYAML and to go-yaml
        return (
            f"Write {theirs} if you meant octal {text} (as Compose and TrueNAS read it), "
            f"or {ours} for decimal; {text_fix}."
        )
    number = _plain_number(ours)  # 1e3, 0o17, -.5: the number our loader (and Compose) reads
    if number is None and kind(text) in _GO_YAML_AS_YAML11:
        number = _plain_number(theirs)  # 1_000, 0b1010, -0x1f: Compose reads YAML 1.1's number
    if number is None:
        return f"Quote it: {quoted(text)}."
    return f"Write it as {number}, which every YAML version reads alike, or {text_fix}."


def _plain_number(value: Any) -> str | None:
    """A spelling of the int or float ``value`` that both YAML versions read as exactly it."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if math.isnan(value):
            text = ".nan"
        elif math.isinf(value):
            text = ".inf" if value > 0 else "-.inf"
        else:
            text = repr(value).lower()
            if "e" in text and "." not in text:  # 1e+16: YAML 1.1 needs the dot
                text = text.replace("e", ".0e", 1)
    else:
        text = str(value)
    tag = resolve_core(text)
    if yaml11_differs(tag, text) or not same_value(read_core(text), value):
        return None
    return text


def _value_text(value: Any) -> str:
    if value is _UNREADABLE:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {_plain_number(value) or repr(value)}"
    if isinstance(value, datetime.datetime):
        return f"the timestamp {value.isoformat()}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    if value is None:
        return "null (no value)"
    return f'the string "{value}"'


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, datetime.date):
        return "a date"
    if value is None:
        return "null"
    return "a string"


def kind(text: str) -> str:
    """Which kind of YAML 1.1/1.2 divergence plain ``text`` is (a key of the reasons table).

    ``"other"`` would mean a divergence this module does not know how to explain; the tests
    check that no scalar over the relevant characters is one.
    """
    core_tag, tag = resolve_core(text), resolve_yaml11(text)
    short = tag.rsplit(":", 1)[-1]
    digits = text.lstrip("+-")
    if short == "value":
        return "value-tag"
    if short not in ("null", "bool", "int", "float", "timestamp", "merge", "str"):
        return "unbuildable"
    if short == "bool":
        return "bool-word"
    if short == "timestamp":
        return "timestamp"
    if ":" in text and short in ("int", "float"):
        return "base-60"
    if digits.startswith("0b"):
        return "binary"
    if digits.startswith("0x"):
        return "hex"
    if "_" in text and short in ("int", "float"):
        return "underscore"
    if core_tag == STR_TAG or short not in ("int", "float", "str"):
        return "other"
    if digits.startswith("0o"):
        return "core-octal"
    if short == "str" and digits[:1] == "0" and digits.isdigit():
        return "not-octal"
    if short == "int" and digits[:1] == "0":
        return "octal"
    if "e" in text.lower():
        return "exponent"
    if digits.startswith("."):
        return "signed-dot"
    return "other"
