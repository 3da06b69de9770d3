"""The checks Docker Compose's loader makes beyond its JSON schema.

compose-go refuses some files that its schema lets through, with its own checks after the
schema (its ``validation`` package and the device-request parser). These are those checks,
written from what the real loader says about small files (the conformance test in
``tests/conformance`` keeps them honest):

* a GPU/device reservation may not set both ``count`` and ``device_ids``;
* an ``external: true`` volume takes no other attribute than ``name`` (and ``x-`` fields);
* a volume or network may not set both ``name`` and the old ``external.name``;
* a secret takes exactly one of ``file`` / ``environment`` (unless it is external or has a
  driver) and never ``content``; a config exactly one of ``file`` / ``environment`` /
  ``content``;
* a ``develop.watch`` path may not be blank.

They run on the interpolated document, like the schema, and return
:class:`~scale_pilot_nb.compose.schema.SchemaProblem` so both read alike in a report.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scale_pilot_nb.compose.model import YamlPath, format_path
from scale_pilot_nb.compose.schema import SchemaProblem

__all__ = ["loader_problems"]

_CONFLICT = "structure.conflict"


def loader_problems(data: Any) -> list[SchemaProblem]:
    """What compose-go's post-schema checks refuse in ``data``. Never raises."""
    if not isinstance(data, dict):
        return []
    return [
        *_devices(data),
        *_external_volumes(data),
        *_external_names(data),
        *_file_objects(data, "secrets", ("file", "environment")),
        *_file_objects(data, "configs", ("file", "environment", "content")),
        *_watch_paths(data),
    ]


def _entries(data: dict[str, Any], section: str) -> Iterator[tuple[YamlPath, dict[str, Any]]]:
    top = data.get(section)
    if isinstance(top, dict):
        for name, entry in top.items():
            if isinstance(entry, dict):
                yield (section, name), entry


def _devices(data: dict[str, Any]) -> Iterator[SchemaProblem]:
    for path, service in _entries(data, "services"):
        devices = _dig(service, "deploy", "resources", "reservations", "devices")
        for index, device in enumerate(devices if isinstance(devices, list) else []):
            if isinstance(device, dict) and "count" in device and "device_ids" in device:
                where = (*path, "deploy", "resources", "reservations", "devices", index)
                yield SchemaProblem(
                    _CONFLICT,
                    where,
                    f"{format_path(where)} sets both 'count' and 'device_ids'; Compose refuses "
                    "the file (they are exclusive).",
                    "Keep 'count' to take any N devices, or 'device_ids' to name them.",
                )


def _external_volumes(data: dict[str, Any]) -> Iterator[SchemaProblem]:
    for path, volume in _entries(data, "volumes"):
        if volume.get("external") is not True:
            continue
        for key in volume:
            if key not in ("name", "external") and not str(key).startswith("x-"):
                yield SchemaProblem(
                    _CONFLICT,
                    (*path, key),
                    f"{format_path(path)} is external and also sets '{key}'; Compose refuses "
                    "the file (an external volume is only looked up by name).",
                    f"Remove '{key}', or drop 'external: true' to let Compose create it.",
                )


def _external_names(data: dict[str, Any]) -> Iterator[SchemaProblem]:
    for section in ("volumes", "networks"):
        for path, entry in _entries(data, section):
            external = entry.get("external")
            if "name" in entry and isinstance(external, dict) and "name" in external:
                yield SchemaProblem(
                    _CONFLICT,
                    (*path, "external", "name"),
                    f"{format_path(path)} sets both 'name' and 'external.name'; Compose refuses "
                    "the file.",
                    "Keep only 'name' and write 'external: true' (external.name is deprecated).",
                )


def _file_objects(
    data: dict[str, Any], section: str, sources: tuple[str, ...]
) -> Iterator[SchemaProblem]:
    choices = "|".join(sources)
    for path, entry in _entries(data, section):
        given = [key for key in sources if key in entry]
        if len(given) > 1:
            yield SchemaProblem(
                _CONFLICT,
                path,
                f"{format_path(path)} sets {' and '.join(given)}; Compose takes exactly one of "
                f"{choices}.",
                f"Keep one of {choices}.",
            )
        elif not given and "driver" not in entry and "external" not in entry:
            yield SchemaProblem(
                "structure.invalid-value",
                path,
                f"{format_path(path)} sets none of {choices}; Compose refuses the file.",
                f"Set one of {choices}, or 'external: true' for one that already exists.",
            )


def _watch_paths(data: dict[str, Any]) -> Iterator[SchemaProblem]:
    for path, service in _entries(data, "services"):
        watch = _dig(service, "develop", "watch")
        for index, rule in enumerate(watch if isinstance(watch, list) else []):
            if isinstance(rule, dict) and rule.get("path") == "":
                where = (*path, "develop", "watch", index, "path")
                yield SchemaProblem(
                    "structure.invalid-value",
                    where,
                    f"{format_path(where)} is blank; Compose refuses the file.",
                    "Name the file or folder to watch.",
                )


def _dig(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node
