"""The two shapes of a service's environment settings, shared by interpolation and normalisation.

``environment`` may be a list of ``KEY=VALUE`` / bare ``KEY`` strings or a mapping; ``env_file``
may be a string, a list of strings, or a list of ``{path, required, format}`` mappings. Both
steps need the same canonical form, so it is computed in exactly one place.
"""

from __future__ import annotations

from typing import Any

from scale_pilot_nb.compose.scalars import scalar_text, to_bool
from scale_pilot_nb.errors import ComposeError

__all__ = ["env_file_entries", "environment_mapping"]


def environment_mapping(value: Any) -> dict[str, str | None] | None:
    """``environment`` in mapping form; a bare ``KEY`` maps to ``None`` (take it from outside).

    Args:
        value: the ``environment`` value as written (``None`` counts as empty).

    Returns:
        The mapping, later entries winning; ``None`` when the value has the wrong shape
        (a nested list or mapping), so the caller can report it.
    """
    if value is None:
        return {}
    if isinstance(value, dict):
        out: dict[str, str | None] = {}
        for key, item in value.items():
            if isinstance(item, dict | list):
                return None
            out[str(key)] = None if item is None else scalar_text(item)
        return out
    if isinstance(value, list):
        out = {}
        for item in value:
            if isinstance(item, dict | list) or item is None:
                return None
            key, sep, text = scalar_text(item).partition("=")
            out[key] = text if sep else None
        return out
    return None


def env_file_entries(value: Any) -> list[dict[str, Any]] | None:
    """``env_file`` as a list of ``{"path", "required"[, "format"]}``; ``None`` if malformed.

    ``required`` defaults to true, as in compose: a missing file is an error unless marked
    ``required: false``.
    """
    items = value if isinstance(value, list) else [value]
    entries: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            entries.append({"path": item, "required": True})
        elif isinstance(item, dict) and isinstance(item.get("path"), str):
            entry: dict[str, Any] = {"path": item["path"], "required": _required(item)}
            if "format" in item:
                entry["format"] = item["format"]
            entries.append(entry)
        else:
            return None
    return entries


def _required(item: dict[str, Any]) -> bool:
    try:
        return to_bool(item.get("required", True), "required")
    except ComposeError:
        return True  # an unreadable flag keeps the safe default: the file must exist
