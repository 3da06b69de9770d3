"""The YAML layer of the loader: PyYAML composition with compose's schema and hostile-input limits.

Hostile YAML is defused while the node graph is built, event by event, before any Python data
exists: every alias is counted (``max_aliases``); a running total of the document's size *as
if every alias were expanded* is kept (``max_nodes``; each anchor's expanded size is recorded
once when it closes), so a billion-laughs file fails at the first alias that crosses the
limit, in memory proportional to what was read; nesting is limited while composing
(``max_depth``, also through aliases and merge chains), so no recursion limit is reached; an
alias to an anchor still open is refused; keys are counted (``max_keys``) and duplicate keys
are an error, as in compose-go.

Events come from libyaml when PyYAML was built with it, else from PyYAML's pure-Python
parser; composition, limits and construction are the same either way. Only plain data is
constructed (YAML 1.2 core scalars, string keys, no binary/set/timestamp tags; a key that
YAML reads as a number, boolean or null becomes its text and is kept in
:attr:`ComposeLoader.non_string_keys`, since compose-go refuses it); merge keys
follow the YAML merge spec (explicit keys win, then earlier merged mappings); compose-go's
``!reset`` and ``!override`` tags are understood.

While composing, every implicitly typed scalar (plain, or tagged just ``!``) that PyYAML's
YAML 1.1 — what TrueNAS reads the file with — would read differently is kept in
:attr:`ComposeLoader.yaml11_nodes`; only the node style and tag tell a plain ``yes`` from a
quoted one, and they are gone once the data is built. The test is one regex look-up per
scalar; :mod:`scale_pilot_nb.compose.yaml11` locates and explains the few it finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scale_pilot_nb.compose.yaml_schema import (
    CORE_RESOLVERS,
    construct_core_float,
    construct_core_int,
    yaml11_differs,
)
from scale_pilot_nb.errors import ComposeLoadError

__all__ = [
    "DEFAULT_LOADER",
    "LIMIT_HINT",
    "MERGE_TAG",
    "ComposeLoader",
    "Limits",
    "PythonLoader",
    "merged_pairs",
    "node_kind",
    "node_position",
]

MERGE_TAG = "tag:yaml.org,2002:merge"
STR_TAG = "tag:yaml.org,2002:str"
LIMIT_HINT = "Raise the limit with load(..., {name}=N) only if you trust this file."


@dataclass(frozen=True)
class Limits:
    """The hostile-input limits enforced while composing (see :func:`load` for meanings)."""

    max_aliases: int
    max_depth: int
    max_keys: int
    max_nodes: int


def node_position(node: Node) -> tuple[int, int]:
    """1-based (line, column) where a node starts."""
    return node.start_mark.line + 1, node.start_mark.column + 1


def node_kind(node: Node) -> str:
    """``list``, ``mapping`` or ``scalar``, for messages."""
    if isinstance(node, SequenceNode):
        return "list"
    return "mapping" if isinstance(node, MappingNode) else "scalar"


class ComposeLoader(
    yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
):
    """A safe loader with compose-go's scalar schema, string keys, limits and duplicate checks.

    Abstract over the event source: :class:`PythonLoader` and :class:`LibyamlLoader` add
    one. The Python composer comes first in the method order, so every node passes through
    :meth:`compose_node` whichever parser produced the events.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level table
    yaml_constructors: ClassVar[dict[Any, Any]] = dict(yaml.SafeLoader.yaml_constructors)

    def __init__(self, text: str, name: str, limits: Limits) -> None:
        self._start_events(text)
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
        self.yaml11_nodes: list[ScalarNode] = []  # implicitly typed scalars 1.1 reads otherwise
        self.non_string_keys: list[ScalarNode] = []  # keys YAML 1.2 reads as int/bool/null/float

    if TYPE_CHECKING:  # the event API every concrete loader inherits from its parser

        def check_event(self, *choices: Any) -> bool: ...
        def peek_event(self) -> Any: ...
        def dispose(self) -> None: ...

    def _start_events(self, text: str) -> None:
        raise NotImplementedError  # provided by the concrete loaders below

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
        event = self.peek_event()
        anchor = event.anchor
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
        # implicit[0]: the resolvers chose the type (plain, or the bare `!` tag, even quoted)
        if (
            isinstance(node, ScalarNode)
            and event.implicit[0]
            and event.tag in (None, "!")
            and yaml11_differs(node.tag, node.value)
        ):
            self.yaml11_nodes.append(node)
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
                line, column = node_position(key_node)
                raise ComposeLoadError(
                    "mapping keys must be plain text, not a list or mapping",
                    file=self.name,
                    line=line,
                    column=column,
                    key=self.current_key,
                )
            first = seen.get(key_node.value)
            if first is not None:
                line, column = node_position(key_node)
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
            if key_node.tag not in (STR_TAG, MERGE_TAG):
                self.non_string_keys.append(key_node)
        self._keys += len(node.value)
        if self._keys > self._limits.max_keys:
            raise self._limit(f"more than {self._limits.max_keys} keys", "max_keys")
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        """Build a dict with string keys, resolving merge keys per the YAML merge spec."""
        if not isinstance(node, MappingNode):
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a mapping, found {node_kind(node)}", node.start_mark
            )
        return {
            key_node.value: self.construct_object(value_node, deep=deep)
            for key_node, value_node in merged_pairs(node)
        }

    def _limit(self, problem: str, limit: str | None) -> ComposeLoadError:
        mark = self.peek_event().start_mark
        return ComposeLoadError(
            problem,
            file=self.name,
            line=mark.line + 1,
            column=mark.column + 1,
            key=self.current_key,
            hint=LIMIT_HINT.format(name=limit)
            if limit
            else "Recursive anchors cannot be expanded; remove the alias.",
        )


def merged_pairs(node: MappingNode) -> list[tuple[ScalarNode, Node]]:
    """The (key, value) node pairs of a mapping after its ``<<`` merge keys, in build order.

    Per the YAML merge spec: keys written in the mapping win, then earlier merged mappings.
    """
    own: list[tuple[ScalarNode, Node]] = []
    merged: dict[str, tuple[ScalarNode, Node]] = {}
    for key_node, value_node in node.value:
        if key_node.tag != MERGE_TAG:
            own.append((key_node, value_node))
            continue
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise yaml.constructor.ConstructorError(
                    "while merging into a mapping",
                    node.start_mark,
                    f"`<<` needs a mapping or a list of mappings, found {node_kind(source)}",
                    source.start_mark,
                )
            for pair in merged_pairs(source):
                merged.setdefault(pair[0].value, pair)
    for pair in own:
        merged.pop(pair[0].value, None)
    return [*merged.values(), *own]


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
    ComposeLoader.add_implicit_resolver(_tag, _pattern, _first)
ComposeLoader.add_constructor("tag:yaml.org,2002:int", construct_core_int)
ComposeLoader.add_constructor("tag:yaml.org,2002:float", construct_core_float)
ComposeLoader.add_constructor("!reset", _construct_reset)
ComposeLoader.add_constructor("!override", _construct_override)
for _tag in ("binary", "timestamp", "set", "omap", "pairs"):
    ComposeLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse_tag)


class PythonLoader(ComposeLoader, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """Events from PyYAML's pure-Python parser (always available)."""

    def _start_events(self, text: str) -> None:
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def _libyaml_loader() -> type[ComposeLoader]:
    """Events from libyaml when PyYAML was built with it (4-5x faster); else the Python ones."""
    try:
        from yaml import cyaml
    except ImportError:  # pragma: no cover - depends on how PyYAML was built
        return PythonLoader
    parser: Any = getattr(cyaml, "CParser", None)
    if parser is None:  # pragma: no cover
        return PythonLoader

    class LibyamlLoader(ComposeLoader, parser):
        """Events from libyaml's parser; its own composer is never used."""

        def _start_events(self, text: str) -> None:
            parser.__init__(self, text)

    return LibyamlLoader


DEFAULT_LOADER: type[ComposeLoader] = _libyaml_loader()
"""The loader :func:`~scale_pilot_nb.compose.load` uses: libyaml events when available."""
