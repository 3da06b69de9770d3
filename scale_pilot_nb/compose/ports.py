"""Service ``ports`` entries → :class:`PortMapping` (long syntax), as compose-go expands them.

Short syntax: ``[host_ip:][published:]target[/protocol]`` where ``published`` and ``target``
may be ranges (``8000-8005``). Equal-length ranges pair up one by one; a published range with
a single target stays one entry (the engine picks a free port from the range); a target range
without published ports expands to one entry per port. IPv6 host addresses may be written in
brackets (``[::1]:8080:80``). Defaults: ``protocol: tcp``, ``mode: ingress``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from scale_pilot_nb.compose.model import PortMapping
from scale_pilot_nb.errors import ComposeError

__all__ = ["parse_ports"]

_PROTOCOLS = ("tcp", "udp", "sctp")
_MODES = ("ingress", "host")
_LONG_KEYS = frozenset(
    {"target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"}
)
_HINT = 'Write ports as [ip:]host:container[/tcp|udp], e.g. "8080:80" or "127.0.0.1:53:53/udp".'


def parse_ports(spec: Any) -> list[PortMapping]:
    """Turn one ``ports`` entry into long-syntax mappings (several for a range).

    Args:
        spec: an int (``80``), a short string (``"127.0.0.1:8080:80/udp"``) or a long-syntax
            mapping (``{"target": 80, "published": 8080}``).

    Returns:
        One mapping per container port.

    Raises:
        ComposeError: the entry is malformed or a port is outside 1–65535.
    """
    if isinstance(spec, bool):
        raise _invalid(spec, "a port must be a number or a string")
    if isinstance(spec, int):
        return [PortMapping(target=_port(str(spec), spec, "container"))]
    if isinstance(spec, str):
        return _parse_short(spec)
    if isinstance(spec, dict):
        return [_parse_long(spec)]
    raise _invalid(spec, "a port must be a number, a string or a mapping")


def _parse_short(spec: str) -> list[PortMapping]:
    text, slash, protocol = spec.strip().partition("/")
    protocol = protocol.lower() if slash else "tcp"
    if protocol not in _PROTOCOLS:
        raise _invalid(spec, f"protocol '{protocol}' is not one of {', '.join(_PROTOCOLS)}")
    host_ip, published, target = _split_address(spec, text)
    first, last = _range(target, spec, "container")
    if published is None:
        return [
            PortMapping(target=port, host_ip=host_ip, protocol=protocol)
            for port in range(first, last + 1)
        ]
    low, high = _range(published, spec, "host")
    if first == last:
        shown = str(low) if low == high else f"{low}-{high}"
        return [PortMapping(target=first, published=shown, host_ip=host_ip, protocol=protocol)]
    if high - low != last - first:
        raise _invalid(spec, "host and container port ranges differ in length")
    return [
        PortMapping(target=first + i, published=str(low + i), host_ip=host_ip, protocol=protocol)
        for i in range(last - first + 1)
    ]


def _split_address(spec: str, text: str) -> tuple[str | None, str | None, str]:
    """``[ip:][published:]target`` → (ip, published, target); empty parts become ``None``."""
    host_ip: str | None = None
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or text[close + 1 : close + 2] != ":":
            raise _invalid(spec, "a bracketed IPv6 address must be followed by ':'")
        host_ip, text = text[1:close], text[close + 2 :]
        published, colon, target = text.rpartition(":")
        if not colon:
            published, target = "", text
    else:
        parts = text.split(":")
        target = parts[-1]
        published = parts[-2] if len(parts) >= 2 else ""
        if len(parts) >= 3:
            host_ip = ":".join(parts[:-2])
    return _host_ip(host_ip, spec), published or None, target


def _host_ip(text: str | None, spec: object) -> str | None:
    if not text:
        return None
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise _invalid(spec, f"host address '{text}' is not an IP address") from None
    return text


def _range(text: str, spec: object, which: str) -> tuple[int, int]:
    start, dash, end = text.partition("-")
    first = _port(start, spec, which)
    last = _port(end, spec, which) if dash else first
    if last < first:
        raise _invalid(spec, f"{which} port range {text} runs backwards")
    return first, last


def _port(text: str, spec: object, which: str) -> int:
    if not text.strip().isdigit():
        raise _invalid(spec, f"{which} port '{text}' is not a number")
    value = int(text)
    if not 1 <= value <= 65535:
        raise _invalid(spec, f"{which} port {value} is outside 1-65535")
    return value


def _parse_long(spec: dict[str, Any]) -> PortMapping:
    unknown = sorted(k for k in spec if k not in _LONG_KEYS and not str(k).startswith("x-"))
    if unknown:
        raise _invalid(spec, f"unknown key '{unknown[0]}' in long port syntax")
    if "target" not in spec:
        raise _invalid(spec, "long port syntax needs 'target'")
    target = _port(str(spec["target"]), spec, "container")
    published = spec.get("published")
    if published is not None:
        published = str(published)
        low, high = _range(published, spec, "host")
        published = str(low) if low == high else f"{low}-{high}"
    protocol = str(spec.get("protocol", "tcp")).lower()
    if protocol not in _PROTOCOLS:
        raise _invalid(spec, f"protocol '{protocol}' is not one of {', '.join(_PROTOCOLS)}")
    mode = str(spec.get("mode", "ingress"))
    if mode not in _MODES:
        raise _invalid(spec, f"mode '{mode}' is not 'ingress' or 'host'")
    return PortMapping(
        target=target,
        published=published,
        host_ip=_host_ip(_optional_text(spec.get("host_ip")), spec),
        protocol=protocol,
        mode=mode,
        name=_optional_text(spec.get("name")),
        app_protocol=_optional_text(spec.get("app_protocol")),
    )


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _invalid(spec: object, reason: str) -> ComposeError:
    return ComposeError(f"invalid port {spec!r}: {reason}", hint=_HINT)
