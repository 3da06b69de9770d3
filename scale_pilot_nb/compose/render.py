"""Write a compose document back as YAML that every compose reader parses identically.

PyYAML quotes strings that *YAML 1.1* would read as something else (``yes``, ``22:22``); the
dumper here also quotes what the *YAML 1.2 core schema* would (``0o17``) and what go-yaml v3,
Docker Compose's reader, would (``2001-1-1``, ``-0o17``, ``0X1F``, ``1_e3``: it is laxer than
the core schema), so the text means the same to TrueNAS's PyYAML, to our loader and to
compose on the NAS. Key order is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from scale_pilot_nb.compose.yaml_schema import CORE_RESOLVERS, STR_TAG, go_yaml_reads_non_string

__all__ = ["render"]


_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter is ~10x faster


class _Dumper(_BaseDumper):
    """A safe dumper that quotes strings either YAML schema would read as non-strings."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # shared objects are written out in full: no anchors in our output

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        tag = super().resolve(kind, value, implicit)
        if tag == STR_TAG and implicit[0] and go_yaml_reads_non_string(value):
            return _GO_YAML_ONLY  # not the string tag, so the emitter quotes the string
        return tag


_GO_YAML_ONLY = "tag:scale-pilot,2024:go-yaml-non-string"


for _tag, _pattern, _first in CORE_RESOLVERS:
    _Dumper.add_implicit_resolver(_tag, _pattern, _first)


def render(data: Mapping[str, Any], *, escape_dollars: bool = False) -> str:
    """Serialise a (normalised) compose document as block-style YAML.

    Args:
        data: the document.
        escape_dollars: double every ``$`` in string values, as ``docker compose config``
            does after interpolation, so the text is not interpolated a second time by the
            compose that reads it (TrueNAS does).

    Returns:
        YAML text ending in a newline.
    """
    document = _escape(data) if escape_dollars else data
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )


def _escape(node: Any) -> Any:
    if isinstance(node, str):
        return node.replace("$", "$$")
    if isinstance(node, Mapping):
        return {key: _escape(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_escape(item) for item in node]
    return node
