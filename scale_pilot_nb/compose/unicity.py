"""Compose's "unicity" step: a sequence entry declared twice is declared once.

Before it checks the schema, compose-go folds repeated entries of a service's ``ports``,
``expose``, ``volumes``, ``secrets`` and ``configs`` (and ``environment`` in list form) into
one: an entry whose key was seen before replaces the earlier one in its place. So
``ports: ["8080:80", "8080:80"]`` is one port to Compose, not a duplicate that its schema's
``uniqueItems`` would refuse, and two volumes with the same target are the later one. The keys,
as compose-go computes them (its ``override`` package):

* ports: the string as written; a long-syntax mapping as ``host_ip:published:target/protocol``
  (``0.0.0.0`` and ``tcp`` by default); a number as itself;
* expose: the value as text;
* volumes: the mount target (short syntax parsed);
* secrets / configs: the target, or ``/run/secrets/<source>`` (secrets) / ``/<source>``;
* environment entries: the name before ``=``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scale_pilot_nb.compose.volumes import parse_volume
from scale_pilot_nb.errors import ComposeError

__all__ = ["enforce_unicity"]

_Indexer = Callable[[Any], str | None]


def _port_key(entry: Any) -> str | None:
    if isinstance(entry, dict):
        published = entry.get("published")
        return (
            f"{entry.get('host_ip', '0.0.0.0')}:{'' if published is None else published}:"
            f"{entry.get('target')}/{entry.get('protocol', 'tcp')}"
        )
    return str(entry)


def _volume_key(entry: Any) -> str | None:
    if isinstance(entry, dict):
        target = entry.get("target")
        return target if isinstance(target, str) else None
    if isinstance(entry, str):
        try:
            return parse_volume(entry).target
        except ComposeError:
            return None  # normalisation reports it
    return None


def _mount_key(default: str) -> _Indexer:
    def key(entry: Any) -> str | None:
        if isinstance(entry, dict):
            target = entry.get("target")
            return str(target) if target is not None else f"{default}/{entry.get('source')}"
        return f"{default}/{entry}"

    return key


def _environment_key(entry: Any) -> str | None:
    return str(entry).partition("=")[0]


_INDEXERS: dict[str, _Indexer] = {
    "ports": _port_key,
    "expose": str,
    "volumes": _volume_key,
    "secrets": _mount_key("/run/secrets"),
    "configs": _mount_key(""),
    "environment": _environment_key,
}


def enforce_unicity(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with repeated sequence entries folded as compose-go folds them.

    Returns ``data`` itself when nothing repeats; otherwise a copy in which only the changed
    services and lists are new objects. Entries whose key cannot be computed are kept.
    """
    services = data.get("services")
    if not isinstance(services, dict):
        return data
    changed = {}
    for name, service in services.items():
        if not isinstance(service, dict):
            continue
        folded = {
            field: _fold(service[field], indexer)
            for field, indexer in _INDEXERS.items()
            if isinstance(service.get(field), list)
        }
        folded = {field: items for field, items in folded.items() if items is not None}
        if folded:
            changed[name] = {**service, **folded}
    if not changed:
        return data
    return {**data, "services": {**services, **changed}}


def _fold(entries: list[Any], indexer: _Indexer) -> list[Any] | None:
    """The folded list, or None when no key repeats."""
    out: list[Any] = []
    where: dict[str, int] = {}
    for entry in entries:
        key = indexer(entry)
        if key is not None and key in where:
            out[where[key]] = entry
            continue
        if key is not None:
            where[key] = len(out)
        out.append(entry)
    return out if len(out) != len(entries) else None
