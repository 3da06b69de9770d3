"""Read a compose document safely: bounded size, aliases, depth and keys; exact error positions.

Hostile YAML is defused while the node graph is built, before any Python object exists:

* the file is read with a byte limit (``max_bytes``);
* every alias is counted (``max_aliases``) and the document's size *as if every alias were
  expanded* is computed on the node graph (``max_nodes``), so a billion-laughs file fails after
  reading a few hundred bytes of it, in memory proportional to the text, not to the expansion;
* nesting is limited while composing (``max_depth``, also through aliases and merge chains),
  so no recursion limit is ever reached; recursive aliases are refused;
* keys are counted (``max_keys``) and duplicate keys are an error, as in compose-go.

Only plain data comes out (PyYAML's safe constructors, YAML 1.2 core scalars). Merge keys
(``<<``) follow the YAML merge spec: explicit keys win, then earlier merged mappings.
"""

from __future__ import annotations

import os
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
DEFAULT_MAX_NODES = 500_000
"""Most values in the document once every alias is expanded (the billion-laughs guard)."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
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
        _check_expansion(root, name, limits)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise _translate(exc, name, loader.current_key) from None
    except yaml.reader.ReaderError as exc:
        raise _unprintable(exc, text, name, loader.current_key) from None
    finally:
        loader.dispose()
    return LoadedCompose(data=data, file=name, base_dir=base, source_map=_source_map(root))


def _unprintable(
    exc: yaml.reader.ReaderError, text: str, name: str, key: str | None
) -> ComposeLoadError:
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    return ComposeLoadError(
        f"control character U+{exc.character:04X} is not allowed",
        file=name,
        line=line,
        column=column,
        key=key,
        hint='Remove it, or write it escaped inside a double-quoted string ("\\u0007").',
    )


def _translate(exc: yaml.MarkedYAMLError, name: str, key: str | None) -> ComposeLoadError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    if exc.context and exc.problem:
        problem = f"{exc.problem} ({exc.context})"
    hint = None
    if "\\t" in problem or "'\\t'" in problem:
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


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "list"
    return "mapping" if isinstance(node, MappingNode) else "scalar"


def _check_expansion(root: Node, name: str, limits: _Limits) -> None:
    """Measure the document as if every alias were expanded, without expanding anything.

    Post-order walk of the node graph (iterative, so no recursion limit), memoised per node:
    a node shared by N aliases is measured once and counted N times.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (expanded values, expanded depth)
    in_progress: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes and not children_done:
            continue
        children = _children(node)
        if not children_done:
            if key in in_progress:
                raise _limit_error(name, node, "an alias refers to its own ancestor", None)
            in_progress.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        in_progress.discard(key)
        total = 1 + sum(sizes[id(child)][0] for child in children)
        depth = 1 + max((sizes[id(child)][1] for child in children), default=0)
        if total > limits.max_nodes:
            raise _limit_error(
                name, node, f"expands to more than {limits.max_nodes} values", "max_nodes"
            )
        if depth > limits.max_depth:
            raise _limit_error(
                name, node, f"nests deeper than {limits.max_depth} levels", "max_depth"
            )
        sizes[key] = (total, depth)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [value for _, value in node.value]
    return []


def _limit_error(name: str, node: Node, problem: str, limit: str | None) -> ComposeLoadError:
    line, column = _mark(node)
    hint = (
        _LIMIT_HINT.format(name=limit)
        if limit
        else "Recursive anchors cannot be expanded; remove the alias."
    )
    return ComposeLoadError(problem, file=name, line=line, column=column, hint=hint)


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


class _ComposeLoader(yaml.SafeLoader):
    """SafeLoader with compose-go's scalar schema, string keys, limits and duplicate checks."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level table
    yaml_constructors: ClassVar[dict[Any, Any]] = dict(yaml.SafeLoader.yaml_constructors)

    def __init__(self, text: str, name: str, limits: _Limits) -> None:
        super().__init__(text)
        self.name = name
        self._limits = limits
        self._aliases = 0
        self._keys = 0
        self._depth = 0
        self._key_stack: list[str] = []

    @property
    def current_key(self) -> str | None:
        """The mapping key being read when an error struck; names it in the message."""
        return self._key_stack[-1] if self._key_stack else None

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self._limits.max_aliases:
                raise self._limit(f"more than {self._limits.max_aliases} aliases", "max_aliases")
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > self._limits.max_depth:
            raise self._limit(f"nests deeper than {self._limits.max_depth} levels", "max_depth")
        pushed = isinstance(index, ScalarNode)
        if pushed:
            self._key_stack.append(index.value)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if pushed:
                self._key_stack.pop()

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

    def _limit(self, problem: str, limit: str) -> ComposeLoadError:
        mark = self.peek_event().start_mark
        return ComposeLoadError(
            problem,
            file=self.name,
            line=mark.line + 1,
            column=mark.column + 1,
            key=self.current_key,
            hint=_LIMIT_HINT.format(name=limit),
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
