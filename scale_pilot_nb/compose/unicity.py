"""Compose's "unicity": a sequence entry declared twice is declared once.

compose-go folds repeated entries of a sequence: an entry whose key was seen before replaces
the earlier one, in the earlier one's place. It does so twice, with two sets of keys (its
``override`` package):

* when it loads a file, before its schema check (``EnforceUnicity``): a service's ``ports``,
  ``expose``, ``volumes``, ``secrets``, ``configs`` and list-form ``environment``. So
  ``ports: ["8080:80", "8080:80"]`` is one port, not a duplicate its schema's ``uniqueItems``
  would refuse, and two volumes with the same target are the later one
  (:func:`enforce_unicity`);
* when ``extends`` merges two services, over many more fields (labels, dns, capabilities,
  devices, network aliases, ports in their canonical form, …) (:func:`deduplicate_merged`).

The keys: ports as written (a long entry by ``host_ip:published:target/protocol``); volumes
and devices by target; secrets and configs by target, else ``/run/secrets/<source>`` or
``/<source>``; ``KEY=value`` entries by ``KEY``; the rest by their text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scale_pilot_nb.compose.model import YamlPath
from scale_pilot_nb.compose.ports import parse_ports
from scale_pilot_nb.compose.scalars import scalar_text
from scale_pilot_nb.compose.volumes import parse_volume
from scale_pilot_nb.errors import ComposeError

__all__ = ["deduplicate_merged", "enforce_unicity", "unique"]

Indexer = Callable[[Any], Any]


def _key_value_index(item: Any) -> Any:
    return item.partition("=")[0] if isinstance(item, str) else None


def _device_index(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("target")
    if isinstance(item, str):
        parts = item.split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    return None


def _mount_index(default: str) -> Indexer:
    def index(item: Any) -> Any:
        if isinstance(item, str):
            return f"{default}/{item}"
        if isinstance(item, dict):
            target = item.get("target")
            return target if target is not None else f"{default}/{item.get('source')}"
        return None

    return index


def _env_file_index(item: Any) -> Any:
    return item.get("path") if isinstance(item, dict) else item


def _expose_index(item: Any) -> Any:
    return None if isinstance(item, bool) else str(item)


def _port_written_index(item: Any) -> Any:
    """compose-go's first pass: a short entry as written, a long one by its fields."""
    if isinstance(item, dict):
        return ("long", *_long_port_key(item))
    return ("short", scalar_text(item))


def _port_canonical_index(item: Any) -> Any:
    """compose-go's second pass, after short entries became long ones (their host port a
    string); long entries are compared as written, so ``published: 9000`` differs from
    ``"9000:90"`` there too, and a range stays one entry here."""
    if isinstance(item, dict):
        return ("long", *_long_port_key(item))
    try:
        (mapping,) = parse_ports(item)
    except (ComposeError, ValueError):  # invalid (reported later) or a range
        return ("short", scalar_text(item))
    return (
        "long",
        mapping.host_ip or "0.0.0.0",
        mapping.published,
        mapping.target,
        mapping.protocol,
    )


def _long_port_key(item: dict[str, Any]) -> tuple[Any, ...]:
    return (
        item.get("host_ip", "0.0.0.0"),
        item.get("published"),
        item.get("target"),
        item.get("protocol", "tcp"),
    )


def _volume_index(item: Any) -> Any:
    if isinstance(item, dict):
        return item.get("target")
    try:
        return parse_volume(item).target
    except ComposeError:
        return ("written", repr(item))


_MERGED: dict[YamlPath, Indexer] = {
    **{
        path: _key_value_index
        for path in (
            ("annotations",),
            ("build", "args"),
            ("build", "additional_contexts"),
            ("build", "tags"),
            ("build", "labels"),
            ("cap_add",),
            ("cap_drop",),
            ("deploy", "labels"),
            ("dns",),
            ("dns_opt",),
            ("dns_search",),
            ("environment",),
            ("labels",),
            ("links",),
            ("profiles",),
            ("sysctls",),
            ("tmpfs",),
        )
    },
    ("devices",): _device_index,
    ("configs",): _mount_index(""),
    ("secrets",): _mount_index("/run/secrets"),
    ("env_file",): _env_file_index,
    ("expose",): _expose_index,
    ("ports",): _port_written_index,
    ("volumes",): _volume_index,
}
_UNIQUE_PER_NETWORK = {"aliases": _key_value_index, "link_local_ips": _key_value_index}


def deduplicate_merged(service: dict[str, Any]) -> dict[str, Any]:
    """A service just merged by ``extends``, folded as compose-go's merge folds it (in place)."""
    for path, index in _MERGED.items():
        holder: Any = service
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and isinstance(holder.get(path[-1]), list):
            holder[path[-1]] = unique(holder[path[-1]], index)
    if isinstance(service.get("ports"), list):
        service["ports"] = unique(service["ports"], _port_canonical_index)
    networks = service.get("networks")
    for network in networks.values() if isinstance(networks, dict) else ():
        for key, index in _UNIQUE_PER_NETWORK.items():
            if isinstance(network, dict) and isinstance(network.get(key), list):
                network[key] = unique(network[key], index)
    return service


def unique(items: list[Any], index: Indexer) -> list[Any]:
    """Later entries replace earlier ones with the same key, in the earlier one's place."""
    out: list[Any] = []
    where: dict[Any, int] = {}
    for item in items:
        try:
            key = index(item)
            hash(key)
        except TypeError:
            key = None
        if key is None:
            out.append(item)
        elif key in where:
            out[where[key]] = item
        else:
            where[key] = len(out)
            out.append(item)
    return out


_LOAD_TIME: dict[str, Indexer] = {
    "ports": _port_written_index,
    "expose": _expose_index,
    "volumes": _volume_index,
    "secrets": _mount_index("/run/secrets"),
    "configs": _mount_index(""),
    "environment": _key_value_index,
}


def enforce_unicity(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with repeated entries folded as compose-go folds them when it loads a file.

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
            field: unique(service[field], index)
            for field, index in _LOAD_TIME.items()
            if isinstance(service.get(field), list)
        }
        folded = {f: items for f, items in folded.items() if len(items) != len(service[f])}
        if folded:
            changed[name] = {**service, **folded}
    if not changed:
        return data
    return {**data, "services": {**services, **changed}}
