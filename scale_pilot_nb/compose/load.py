"""Read a compose document safely: bounded size, aliases, depth and keys; exact error positions.

Hostile YAML is defused while the node graph is built, event by event, before any Python data
exists:

* the file is read with a byte limit (``max_bytes``);
* every alias is counted (``max_aliases``), and a running total of the document's size *as if
  every alias were expanded* is kept (``max_nodes``; each anchor's expanded size is recorded
  once when it closes), so a billion-laughs file fails at the first alias that crosses the
  limit, in memory proportional to what was read, not to the expansion;
* nesting is limited while composing (``max_depth``, also through aliases and merge chains),
  so no recursion limit is ever reached; an alias to an anchor still open is refused;
* keys are counted (``max_keys``) and duplicate keys are an error, as in compose-go.

Events come from libyaml when PyYAML was built with it (4-5x faster on large files), else from
PyYAML's pure-Python parser; composition, limits and construction are the same either way.

Only plain data comes out (PyYAML's safe constructors, YAML 1.2 core scalars). Merge keys
(``<<``) follow the YAML merge spec: explicit keys win, then earlier merged mappings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scale_pilot_nb.compose.model import LoadedCompose, SourceMap, YamlPath
from scale_pilot_nb.compose.yaml_schema import (
    CORE_RESOLVERS,
    construct_core_float,
    construct_core_int,
)
from scale_pilot_nb.errors import ComposeLoadError

__all__ = [
    "DEFAULT_MAX_ALIASES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_KEYS",
    "DEFAULT_MAX_NODES",
    "load",
]

DEFAULT_MAX_BYTES = 1024 * 1024
"""Largest compose file accepted (1 MiB); real ones are a few KiB."""
DEFAULT_MAX_ALIASES = 1_000
"""Most ``*alias`` references in one document."""
DEFAULT_MAX_DEPTH = 64
"""Deepest nesting of mappings and lists, counted through aliases and merges."""
DEFAULT_MAX_KEYS = 100_000
"""Most mapping keys written in one document."""
DEFAULT_MAX_NODES = 100_000
"""Most values once every alias is expanded (the billion-laughs guard); also bounds memory."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_YAML_SUFFIXES = (".yml", ".yaml", ".json")
_LIMIT_HINT = "Raise the limit with load(..., {name}=N) only if you trust this file."


@dataclass(frozen=True)
class _Limits:
    max_aliases: int
    max_depth: int
    max_keys: int
    max_nodes: int


def load(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_aliases: int = DEFAULT_MAX_ALIASES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_keys: int = DEFAULT_MAX_KEYS,
    max_nodes: int = DEFAULT_MAX_NODES,
    base_dir: str | os.PathLike[str] | None = None,
) -> LoadedCompose:
    """Load a compose document from a file path, YAML text or a dict.

    A ``str`` is taken as a path when it names an existing file, or when it is one line ending
    in ``.yml``/``.yaml``/``.json`` (so a mistyped path says "not found" rather than "not a
    mapping"); anything else is YAML text.

    Args:
        source: path, YAML text, or an already-parsed mapping (used as is, not copied).
        max_bytes: largest file or text accepted, in bytes of UTF-8.
        max_aliases: most alias references.
        max_depth: deepest nesting, through aliases and merge keys.
        max_keys: most mapping keys written in the text.
        max_nodes: most values after expanding every alias.
        base_dir: directory for ``.env`` and relative paths when ``source`` is not a file;
            defaults to the file's directory for paths.

    Returns:
        The data, the file name for messages, the base directory and a source map.

    Raises:
        ComposeLoadError: unreadable, oversized, unsafe or malformed input, or a top level
            that is not a mapping; with file, line, column and key where known, and a hint.
    """
    base = Path(base_dir) if base_dir is not None else None
    if isinstance(source, Mapping):
        return _from_mapping(source, base)
    limits = _Limits(max_aliases, max_depth, max_keys, max_nodes)
    path = _as_path(source)
    if path is None:
        text = str(source)
        if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            raise _too_big("<string>", max_bytes)
        return _parse(text, "<string>", base, limits)
    return _parse(_read(path, max_bytes), str(path), base or path.parent, limits)


def _from_mapping(source: Mapping[str, Any], base: Path | None) -> LoadedCompose:
    bad = [key for key in source if not isinstance(key, str)]
    if bad:
        raise ComposeLoadError(
            f"top-level keys must be strings, got {bad[0]!r}", file="<dict>", key=str(bad[0])
        )
    data = source if isinstance(source, dict) else dict(source)
    return LoadedCompose(data=data, file="<dict>", base_dir=base)


def _as_path(source: str | os.PathLike[str]) -> Path | None:
    if not isinstance(source, str):
        return Path(source)
    if "\n" in source or not source.strip() or len(source) > 4096:
        return None
    candidate = Path(source)
    if source.strip().endswith(_YAML_SUFFIXES):
        return candidate
    try:
        return candidate if candidate.exists() else None
    except (OSError, ValueError):  # a name too long or with NUL is YAML text, not a path
        return None


def _read(path: Path, max_bytes: int) -> str:
    name = str(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise ComposeLoadError(
            "file not found", file=name, hint="Check the path, or pass the YAML text itself."
        ) from None
    except IsADirectoryError:
        raise ComposeLoadError(
            "is a directory, not a compose file",
            file=name,
            hint="Name the file itself, e.g. compose.yaml.",
        ) from None
    except OSError as exc:
        raise ComposeLoadError(f"cannot read: {exc.strerror}", file=name) from None
    if len(raw) > max_bytes:
        raise _too_big(name, max_bytes)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ComposeLoadError(
            "not valid UTF-8 text", file=name, line=line, column=column, hint="Save it as UTF-8."
        ) from None


def _too_big(name: str, max_bytes: int) -> ComposeLoadError:
    return ComposeLoadError(
        f"larger than the {max_bytes} byte limit",
        file=name,
        hint="Compose files are a few KiB; " + _LIMIT_HINT.format(name="max_bytes"),
    )


def _parse(text: str, name: str, base: Path | None, limits: _Limits) -> LoadedCompose:
    try:  # the reader checks for control characters as soon as it is built
        loader = _ComposeLoader(text, name, limits)
    except yaml.reader.ReaderError as exc:
        raise _unprintable(exc, text, name, None) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise ComposeLoadError(
                "the document is empty", file=name, hint="A compose file needs `services:`."
            )
        if not isinstance(root, MappingNode):
            line, column = _mark(root)
            raise ComposeLoadError(
                f"the top level must be a mapping, not a {_kind(root)}",
                file=name,
                line=line,
                column=column,
                hint="Start the file with `services:`.",
            )
    except yaml.MarkedYAMLError as exc:
        raise _translate(exc, text, name, loader.current_key) from None
    except yaml.reader.ReaderError as exc:
        raise _unprintable(exc, text, name, loader.current_key) from None
    source_map = _source_map(root)
    try:
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:  # composing is over: find the key from the positions
        mark = exc.problem_mark or exc.context_mark
        key = _key_before(source_map, mark.line + 1, mark.column + 1) if mark else None
        raise _translate(exc, text, name, key) from None
    finally:
        loader.dispose()
    return LoadedCompose(data=data, file=name, base_dir=base, source_map=source_map)


def _key_before(source_map: SourceMap, line: int, column: int) -> str | None:
    """The innermost mapping key written at or before a position (used only on errors)."""
    before = [(pos, path) for path, pos in source_map.items() if pos <= (line, column)]
    if not before:
        return None
    _, path = max(before, key=lambda item: (item[0], len(item[1])))
    return next((part for part in reversed(path) if isinstance(part, str)), None)


def _unprintable(
    exc: yaml.reader.ReaderError, text: str, name: str, key: str | None
) -> ComposeLoadError:
    found = _NOT_PRINTABLE.search(text)  # parsers disagree on offsets; find it ourselves
    position = found.start() if found else exc.position
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return ComposeLoadError(
        f"control character U+{exc.character:04X} is not allowed",
        file=name,
        line=line,
        column=column,
        key=key,
        hint='Remove it, or write it escaped inside a double-quoted string ("\\u0007").',
    )


def _translate(
    exc: yaml.MarkedYAMLError, text: str, name: str, key: str | None
) -> ComposeLoadError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    if exc.context and exc.problem:
        problem = f"{exc.problem} ({exc.context})"
    hint = None
    if mark is not None and _tab_at(text, mark.line, mark.column):
        hint = "YAML indentation must use spaces, not tabs."
    elif "mapping values are not allowed" in problem:
        hint = "Quote values that contain ': ', or check the indentation."
    return ComposeLoadError(
        problem,
        file=name,
        line=mark.line + 1 if mark else None,
        column=mark.column + 1 if mark else None,
        key=key,
        hint=hint,
    )


def _tab_at(text: str, line: int, column: int) -> bool:
    """True when the error points at (or into the indentation holding) a tab character."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return False
    row = text[start : text.find("\n", start) if "\n" in text[start:] else len(text)]
    return "\t" in row[: column + 1]


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "list"
    return "mapping" if isinstance(node, MappingNode) else "scalar"


def _source_map(root: Node) -> SourceMap:
    """Position of every node as written; aliased content is mapped once, where it is defined."""
    positions: SourceMap = {(): _mark(root)}
    seen: set[int] = set()
    stack: list[tuple[YamlPath, Node]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                    continue
                child: YamlPath = (*path, key_node.value)
                positions.setdefault(child, _mark(key_node))
                stack.append((child, value_node))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                item_path: YamlPath = (*path, index)
                positions.setdefault(item_path, _mark(item))
                stack.append((item_path, item))
    return positions


class _PythonEvents(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python event source, used when libyaml is not available."""

    def __init__(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def _event_source() -> Any:
    """libyaml's parser when PyYAML was built with it (only its events are used), else ours."""
    try:
        from yaml import cyaml
    except ImportError:  # pragma: no cover - depends on how PyYAML was built
        return _PythonEvents
    return getattr(cyaml, "CParser", _PythonEvents)


_Events: Any = _event_source()


class _ComposeLoader(
    yaml.composer.Composer, _Events, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
):
    """A safe loader with compose-go's scalar schema, string keys, limits and duplicate checks.

    The Python composer comes first in the method order, so every node passes through
    :meth:`compose_node` whichever parser produced the events.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level table
    yaml_constructors: ClassVar[dict[Any, Any]] = dict(yaml.SafeLoader.yaml_constructors)

    def __init__(self, text: str, name: str, limits: _Limits) -> None:
        _Events.__init__(self, text)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)
        self.name = name
        self._limits = limits
        self._aliases = 0
        self._keys = 0
        self._depth = 0
        self._total = 0  # values so far, aliases expanded
        self._deepest = 0  # deepest level reached inside the innermost open anchor
        self._measured: dict[str, tuple[int, int]] = {}  # anchor -> (expanded size, depth)
        self._open: set[str] = set()  # anchors whose node is still being composed
        self._key_stack: list[str] = []

    @property
    def current_key(self) -> str | None:
        """The mapping key being read when an error struck; names it in the message."""
        return self._key_stack[-1] if self._key_stack else None

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._count_alias(self.peek_event().anchor)
            return super().compose_node(parent, index)
        self._depth += 1
        self._grow(1, self._depth)
        anchor = self.peek_event().anchor
        outer_deepest, start_total = self._deepest, self._total
        if anchor is not None:
            self._open.add(anchor)
            self._deepest = self._depth
        pushed = isinstance(index, ScalarNode)
        if pushed:
            self._key_stack.append(index.value)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if pushed:
                self._key_stack.pop()
        if anchor is not None:
            self._open.discard(anchor)
            self._measured[anchor] = (self._total - start_total, self._deepest - self._depth)
            self._deepest = max(outer_deepest, self._deepest)
        return node

    def _count_alias(self, anchor: str) -> None:
        self._aliases += 1
        if self._aliases > self._limits.max_aliases:
            raise self._limit(f"more than {self._limits.max_aliases} aliases", "max_aliases")
        if anchor in self._open:
            raise self._limit("an alias refers to its own ancestor", None)
        size, depth = self._measured.get(anchor, (0, 0))  # unknown: the composer reports it
        self._grow(size, self._depth + depth)

    def _grow(self, values: int, depth: int) -> None:
        self._total += values
        if self._total > self._limits.max_nodes:
            raise self._limit(f"expands to more than {self._limits.max_nodes} values", "max_nodes")
        self._deepest = max(self._deepest, depth)
        if depth > self._limits.max_depth:
            raise self._limit(f"nests deeper than {self._limits.max_depth} levels", "max_depth")

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        node = super().compose_mapping_node(anchor)
        seen: dict[str, ScalarNode] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode):
                line, column = _mark(key_node)
                raise ComposeLoadError(
                    "mapping keys must be plain text, not a list or mapping",
                    file=self.name,
                    line=line,
                    column=column,
                    key=self.current_key,
                )
            first = seen.get(key_node.value)
            if first is not None:
                line, column = _mark(key_node)
                raise ComposeLoadError(
                    f"duplicate key '{key_node.value}' (first defined at line "
                    f"{first.start_mark.line + 1})",
                    file=self.name,
                    line=line,
                    column=column,
                    key=key_node.value,
                    hint="Remove one of them; YAML would silently keep only the last.",
                )
            seen[key_node.value] = key_node
        self._keys += len(node.value)
        if self._keys > self._limits.max_keys:
            raise self._limit(f"more than {self._limits.max_keys} keys", "max_keys")
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        """Build a dict with string keys, resolving merge keys per the YAML merge spec."""
        if not isinstance(node, MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping, found {_kind(node)}", node.start_mark
            )
        return {
            key_node.value: self.construct_object(value_node, deep=deep)
            for key_node, value_node in self._merged_pairs(node)
        }

    def _merged_pairs(self, node: MappingNode) -> list[tuple[ScalarNode, Node]]:
        own: list[tuple[ScalarNode, Node]] = []
        merged: dict[str, tuple[ScalarNode, Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise yaml.constructor.ConstructorError(
                        "while merging into a mapping",
                        node.start_mark,
                        f"`<<` needs a mapping or a list of mappings, found {_kind(source)}",
                        source.start_mark,
                    )
                for pair in self._merged_pairs(source):
                    merged.setdefault(pair[0].value, pair)
        for pair in own:
            merged.pop(pair[0].value, None)
        return [*merged.values(), *own]

    def _limit(self, problem: str, limit: str | None) -> ComposeLoadError:
        mark = self.peek_event().start_mark
        return ComposeLoadError(
            problem,
            file=self.name,
            line=mark.line + 1,
            column=mark.column + 1,
            key=self.current_key,
            hint=_LIMIT_HINT.format(name=limit)
            if limit
            else "Recursive anchors cannot be expanded; remove the alias.",
        )


def _construct_reset(loader: yaml.SafeLoader, node: Node) -> None:
    """compose-go's ``!reset``: in a single file the value simply becomes empty."""
    return None


def _construct_override(loader: yaml.SafeLoader, node: Node) -> Any:
    """compose-go's ``!override``: in a single file the value is taken as written."""
    if isinstance(node, MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, ScalarNode)  # the two collection kinds returned above
    plain = node.style is None
    tag = loader.resolve(ScalarNode, node.value, (plain, not plain))
    retagged = ScalarNode(tag, node.value, node.start_mark, node.end_mark, node.style)
    return loader.construct_object(retagged, deep=True)


def _refuse_tag(loader: yaml.SafeLoader, node: Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None,
        None,
        f"the tag !!{node.tag.rsplit(':', 1)[-1]} is not allowed in compose files",
        node.start_mark,
    )


for _tag, _pattern, _first in CORE_RESOLVERS:
    _ComposeLoader.add_implicit_resolver(_tag, _pattern, _first)
_ComposeLoader.add_constructor("tag:yaml.org,2002:int", construct_core_int)
_ComposeLoader.add_constructor("tag:yaml.org,2002:float", construct_core_float)
_ComposeLoader.add_constructor("!reset", _construct_reset)
_ComposeLoader.add_constructor("!override", _construct_override)
for _tag in ("binary", "timestamp", "set", "omap", "pairs"):
    _ComposeLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)
