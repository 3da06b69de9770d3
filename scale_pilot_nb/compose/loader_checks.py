"""The checks Docker Compose's loader makes beyond its JSON schema.

compose-go refuses some files that its schema lets through, with its own checks after the
schema (its ``validation`` package and the device-request parser). These are those checks,
written from what the real loader says about small files (the conformance test in
``tests/conformance`` keeps them honest):

* a GPU/device reservation may not set both ``count`` and ``device_ids``, and its ``count`` is a
  number or ``all``;
* an ``external: true`` volume takes no other attribute than ``name`` (and ``x-`` fields);
* a volume or network may not set both ``name`` and the old ``external.name``;
* a secret takes exactly one of ``file`` / ``environment`` unless it is ``external: true``
  (a ``driver`` does not excuse it); a config exactly one of ``file`` / ``environment`` /
  ``content`` unless it names ``external``;
* a service's ``models`` refer to top-level ``models``;
* a ``develop.watch`` path may not be blank.

They run on the interpolated document, like the schema, and return
:class:`~scale_pilot_nb.compose.schema.SchemaProblem` so both read alike in a report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
        *_file_objects(data, "secrets", ("file", "environment"), _external_true),
        *_file_objects(data, "configs", ("file", "environment", "content"), _names_external),
        *_model_references(data),
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
            if not isinstance(device, dict):
                continue
            where = (*path, "deploy", "resources", "reservations", "devices", index)
            if "count" in device and "device_ids" in device:
                yield SchemaProblem(
                    _CONFLICT,
                    where,
                    f"{format_path(where)} sets both 'count' and 'device_ids'; Compose refuses "
                    "the file (they are exclusive).",
                    "Keep 'count' to take any N devices, or 'device_ids' to name them.",
                )
            if not _device_count(device.get("count", "all")):
                yield SchemaProblem(
                    "structure.invalid-value",
                    (*where, "count"),
                    f"{format_path((*where, 'count'))} must be a number or 'all'.",
                    "Write a number of devices, or 'all'.",
                )


def _device_count(count: Any) -> bool:
    if isinstance(count, int) and not isinstance(count, bool):
        return True
    if not isinstance(count, str):
        return True  # the schema judges other types
    try:
        int(count)
    except ValueError:
        return count.lower() == "all"
    return True


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


def _external_true(entry: dict[str, Any]) -> bool:
    return entry.get("external") is True


def _names_external(entry: dict[str, Any]) -> bool:
    return "external" in entry


def _file_objects(
    data: dict[str, Any],
    section: str,
    sources: tuple[str, ...],
    excused: Callable[[dict[str, Any]], bool],
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
        elif not given and not excused(entry):
            yield SchemaProblem(
                "structure.invalid-value",
                path,
                f"{format_path(path)} sets none of {choices}; Compose refuses the file.",
                f"Set one of {choices}, or 'external: true' for one that already exists.",
            )


def _model_references(data: dict[str, Any]) -> Iterator[SchemaProblem]:
    defined = data.get("models")
    known = set(defined) if isinstance(defined, dict) else set()
    for path, service in _entries(data, "services"):
        used = service.get("models")
        names = used if isinstance(used, list | dict) else []
        for name in names:
            if isinstance(name, str) and name not in known:
                yield SchemaProblem(
                    "structure.undefined-model",
                    (*path, "models"),
                    f"Service '{path[1]}' uses the model '{name}', which the top-level 'models' "
                    "does not define.",
                    f"Define '{name}' under the top-level 'models', or remove it here.",
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
