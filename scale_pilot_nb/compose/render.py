"""Write a compose document back as YAML that every compose reader parses identically.

PyYAML quotes strings that *YAML 1.1* would read as something else (``yes``, ``22:22``); the
dumper here also quotes what the *YAML 1.2 core schema* would (``0o17``), so the text means
the same to PyYAML, to our loader and to compose-go on the NAS. Key order is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from scale_pilot_nb.compose.yaml_schema import CORE_RESOLVERS

__all__ = ["render"]


_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter is ~10x faster


class _Dumper(_BaseDumper):
    """A safe dumper that quotes strings either YAML schema would read as non-strings."""

    def ignore_aliases(self, data: Any) -> bool:
        return True  # shared objects are written out in full: no anchors in our output


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
