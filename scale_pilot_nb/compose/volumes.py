"""Service ``volumes`` entries → :class:`VolumeMount` (long syntax), as compose-go parses them.

Short syntax: ``[source:]target[:options]``. A source starting with ``.``, ``/`` or ``~`` is a
bind mount (with ``create_host_path: true``, as the short syntax implies); any other source
is a named volume; no source is an anonymous volume. Options are comma-separated: ``ro``/``rw``,
``nocopy``, SELinux ``z``/``Z``, propagation (``[r]shared``, ``[r]slave``, ``[r]private``) and
the legacy ``cached``/``delegated``/``consistent``; unknown options are ignored, like compose.
A ``:`` inside ``${…}`` does not split the entry.
"""

from __future__ import annotations

import re
from typing import Any

from scale_pilot_nb.compose.model import VolumeMount
from scale_pilot_nb.compose.scalars import to_bool
from scale_pilot_nb.errors import ComposeError

__all__ = ["parse_volume"]

_TYPES = ("volume", "bind", "tmpfs", "npipe", "cluster", "image")
_PROPAGATION = ("shared", "rshared", "slave", "rslave", "private", "rprivate")
_CONSISTENCY = ("cached", "delegated", "consistent")
_LONG_KEYS = frozenset(
    {"type", "source", "target", "read_only", "bind", "volume", "tmpfs", "image", "consistency"}
)
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
_VOLUME_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_HINT = 'Write volumes as source:/container/path[:ro], e.g. "./data:/data" or "db:/var/lib/db".'


def parse_volume(spec: Any) -> VolumeMount:
    """Turn one ``volumes`` entry of a service into a long-syntax mount.

    Args:
        spec: a short string (``"./conf:/etc/app:ro"``) or a long-syntax mapping.

    Returns:
        The mount with defaults spelled out.

    Raises:
        ComposeError: the entry is malformed (no target, relative target, bad type …).
    """
    if isinstance(spec, str):
        return _parse_short(spec)
    if isinstance(spec, dict):
        return _parse_long(spec)
    raise _invalid(spec, "a volume must be a string or a mapping")


def _parse_short(spec: str) -> VolumeMount:
    parts = _split(spec)
    if not parts or len(parts) > 3 or any(not part for part in parts):
        raise _invalid(spec, "expected [source:]target[:options]")
    if len(parts) == 1:
        return VolumeMount(type="volume", target=_target(parts[0], spec), volume={})
    source, target = parts[0], _target(parts[1], spec)
    options = parts[2].split(",") if len(parts) == 3 else []
    read_only = next((o for o in reversed(options) if o in ("ro", "rw")), "rw") == "ro"
    consistency = next((o for o in reversed(options) if o in _CONSISTENCY), None)
    if _is_host_path(source):
        bind: dict[str, Any] = {"create_host_path": True}
        propagation = next((o for o in reversed(options) if o in _PROPAGATION), None)
        if propagation:
            bind["propagation"] = propagation
        selinux = next((o for o in reversed(options) if o in ("z", "Z")), None)
        if selinux:
            bind["selinux"] = selinux
        return VolumeMount("bind", target, source, read_only, bind=bind, consistency=consistency)
    if not _VOLUME_NAME.match(source):
        raise _invalid(
            spec,
            f"'{source}' is neither a volume name nor a host path "
            "(host paths start with '/', './' or '~')",
        )
    volume = {"nocopy": True} if "nocopy" in options else {}
    return VolumeMount("volume", target, source, read_only, volume=volume, consistency=consistency)


def _split(spec: str) -> list[str]:
    """Split on ``:`` except inside ``${…}``, so unresolved variables survive intact."""
    parts: list[str] = []
    depth = 0
    current = ""
    index = 0
    while index < len(spec):
        char = spec[index]
        if spec.startswith("${", index):
            depth += 1
            current += "${"
            index += 2
            continue
        if char == "}" and depth:
            depth -= 1
        elif char == ":" and not depth:
            parts.append(current)
            current = ""
            index += 1
            continue
        current += char
        index += 1
    parts.append(current)
    return parts


def _is_host_path(source: str) -> bool:
    return source.startswith((".", "/", "~", "$")) or _WINDOWS_PATH.match(source) is not None


def _target(text: str, spec: object) -> str:
    if not (text.startswith(("/", "$")) or _WINDOWS_PATH.match(text)):
        raise _invalid(spec, f"container path '{text}' must be absolute")
    return text


def _parse_long(spec: dict[str, Any]) -> VolumeMount:
    unknown = sorted(k for k in spec if k not in _LONG_KEYS and not str(k).startswith("x-"))
    if unknown:
        raise _invalid(spec, f"unknown key '{unknown[0]}' in long volume syntax")
    kind = spec.get("type")
    if kind not in _TYPES:
        raise _invalid(spec, f"'type' must be one of {', '.join(_TYPES)}")
    if not isinstance(spec.get("target"), str):
        raise _invalid(spec, "long volume syntax needs a 'target' path")
    source = spec.get("source")
    if source is not None and not isinstance(source, str):
        raise _invalid(spec, "'source' must be a string")
    options = {key: _options(spec, key) for key in ("bind", "volume", "tmpfs")}
    if kind == "volume" and options["volume"] is None:
        options["volume"] = {}
    return VolumeMount(
        type=kind,
        target=_target(spec["target"], spec) if kind != "npipe" else spec["target"],
        source=source or None,
        read_only=_read_only(spec),
        bind=options["bind"],
        volume=options["volume"],
        tmpfs=options["tmpfs"],
        consistency=None if spec.get("consistency") is None else str(spec["consistency"]),
    )


def _read_only(spec: dict[str, Any]) -> bool:
    try:
        return to_bool(spec.get("read_only", False), "read_only")
    except ComposeError as exc:
        raise _invalid(spec, exc.message) from None


def _options(spec: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid(spec, f"'{key}' must be a mapping")
    return dict(value)


def _invalid(spec: object, reason: str) -> ComposeError:
    return ComposeError(f"invalid volume {spec!r}: {reason}", hint=_HINT)
