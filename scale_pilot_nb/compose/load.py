"""Read a compose document safely: bounded size, aliases, depth and keys; exact error positions.

This module handles sources (path, text or mapping), the byte limit, decoding, translating
every YAML error into :class:`ComposeLoadError` with file, line, column, key and hint, and the
source map. The YAML itself is composed by :mod:`scale_pilot_nb.compose.yaml_loader`, which
enforces the alias, expansion, depth and key limits while it reads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scale_pilot_nb.compose.model import LoadedCompose, SourceMap, YamlPath
from scale_pilot_nb.compose.yaml11 import locate
from scale_pilot_nb.compose.yaml_loader import (
    DEFAULT_LOADER,
    LIMIT_HINT,
    MERGE_TAG,
    Limits,
    node_kind,
    node_position,
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

_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_YAML_SUFFIXES = (".yml", ".yaml", ".json")


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
    limits = Limits(max_aliases, max_depth, max_keys, max_nodes)
    if isinstance(source, Mapping):
        return _from_mapping(source, base, limits)
    path = _as_path(source)
    if path is None:
        text = str(source)
        if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            raise _too_big("<string>", max_bytes)
        return _parse(text, "<string>", base, limits)
    return _parse(_read(path, max_bytes), str(path), base or path.parent, limits)


def _from_mapping(source: Mapping[str, Any], base: Path | None, limits: Limits) -> LoadedCompose:
    bad = [key for key in source if not isinstance(key, str)]
    if bad:
        raise ComposeLoadError(
            f"top-level keys must be strings, got {bad[0]!r}", file="<dict>", key=str(bad[0])
        )
    _check_size(source, limits)
    data = source if isinstance(source, dict) else dict(source)
    return LoadedCompose(data=data, file="<dict>", base_dir=base)


def _check_size(source: Mapping[str, Any], limits: Limits) -> None:
    """Apply the depth and value limits to a mapping built in Python.

    Shared objects count once per appearance, so a cycle trips a limit instead of making the
    later steps recurse forever.
    """
    stack: list[tuple[Any, int]] = [(source, 1)]
    values = 0
    while stack:
        node, depth = stack.pop()
        values += 1
        if values > limits.max_nodes or depth > limits.max_depth:
            what = "values" if values > limits.max_nodes else "levels"
            limit = limits.max_nodes if values > limits.max_nodes else limits.max_depth
            raise ComposeLoadError(
                f"the mapping holds more than {limit} {what} (or refers to itself)",
                file="<dict>",
                hint=LIMIT_HINT.format(name="max_nodes" if what == "values" else "max_depth"),
            )
        if isinstance(node, Mapping):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list | tuple):
            stack.extend((child, depth + 1) for child in node)


def _as_path(source: str | os.PathLike[str]) -> Path | None:
    if not isinstance(source, str):
        if not isinstance(source, os.PathLike) or not isinstance(os.fspath(source), str):
            raise ComposeLoadError(
                f"a compose source is a path, YAML text or a mapping, not {type(source).__name__}",
                file="<argument>",
                hint="Pass the file's path, its text, or the parsed dict.",
            )
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
        hint="Compose files are a few KiB; " + LIMIT_HINT.format(name="max_bytes"),
    )


def _parse(text: str, name: str, base: Path | None, limits: Limits) -> LoadedCompose:
    try:  # the reader checks for control characters as soon as it is built
        loader = DEFAULT_LOADER(text, name, limits)
    except yaml.reader.ReaderError as exc:
        raise _unprintable(exc, text, name, None) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise ComposeLoadError(
                "the document is empty", file=name, hint="A compose file needs `services:`."
            )
        if not isinstance(root, MappingNode):
            line, column = node_position(root)
            raise ComposeLoadError(
                f"the top level must be a mapping, not a {node_kind(root)}",
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
    yaml11 = locate(root, loader.yaml11_nodes)  # plain scalars TrueNAS's YAML 1.1 reads otherwise
    non_string_keys = tuple(key.uses[0] for key in locate(root, loader.non_string_keys))
    return LoadedCompose(data, name, base, source_map, yaml11, non_string_keys)


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


def _source_map(root: Node) -> SourceMap:
    """Position of every node as written; aliased content is mapped once, where it is defined."""
    positions: SourceMap = {(): node_position(root)}
    seen: set[int] = set()
    stack: list[tuple[YamlPath, Node]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if key_node.tag == MERGE_TAG or not isinstance(key_node, ScalarNode):
                    continue
                child: YamlPath = (*path, key_node.value)
                positions.setdefault(child, node_position(key_node))
                stack.append((child, value_node))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                item_path: YamlPath = (*path, index)
                positions.setdefault(item_path, node_position(item))
                stack.append((item_path, item))
    return positions
