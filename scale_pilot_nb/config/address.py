"""From what a user typed (host, host:port, http/ws URL) to the WebSocket URLs to try."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from scale_pilot_nb.errors import ConfigError

__all__ = ["API_PATH", "LEGACY_API_PATH", "candidate_urls", "is_loopback_host"]

API_PATH = "/api/current"
"""JSON-RPC 2.0 endpoint of TrueNAS 25.04 and later."""

LEGACY_API_PATH = "/websocket"
"""Legacy endpoint, the only one 24.10 speaks."""

_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
# TrueNAS API keys are "<id>-<64 alphanumerics>"; never echo such a string as an address.
_API_KEY_SHAPE = re.compile(r"^\d+-[A-Za-z0-9]{32,}$")
# JSON-RPC paths worth keeping when an http(s) URL is converted (REST /api/v2.0 is not one).
_WEBSOCKET_PATH = re.compile(r"^/(websocket|api/current|api/v(?!2\.0$)\d+(\.\d+)+)$")


def candidate_urls(address: str) -> tuple[str, ...]:
    """Turn what a user typed into the WebSocket URLs to try, in order.

    Rules:

    * bare host (``nas.local``, ``10.0.0.5:8443``, ``fe80::1``) -> ``wss://HOST/api/current``
      then ``wss://HOST/websocket`` (the 24.10 fallback);
    * ``ws://`` / ``wss://`` with a path -> used exactly as given; without a path -> the two
      standard paths on that scheme;
    * ``http://`` -> ``ws://``, ``https://`` -> ``wss://``, same host and port; the path is
      kept only if it is a WebSocket API path (``/api/current``, ``/api/v25.04.2``,
      ``/websocket``), otherwise (a web-UI page, ``/api/v2.0`` REST) it is replaced by the
      two standard paths. Query and fragment are dropped.

    Args:
        address: host, host:port, or URL.

    Returns:
        One or two ``ws://``/``wss://`` URLs.

    Raises:
        ConfigError: empty, malformed, another scheme, or credentials embedded in the URL.
    """
    text = address.strip()
    if _API_KEY_SHAPE.match(text):
        raise ConfigError(
            "The address looks like an API key.",
            hint="Pass the host as url= and the key as api_key= (check the argument order).",
        )
    if not text or any(ch.isspace() for ch in text):
        raise ConfigError(
            f"{address!r} is not a TrueNAS address.",
            hint="Give a host name, host:port, or a wss://HOST/api/current URL.",
        )
    if "://" not in text:
        text = "wss://" + _bracket_bare_ipv6(text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(
            f"{address!r} is not a valid URL ({exc}).",
            hint="Give a host name, host:port, or a wss://HOST/api/current URL.",
        ) from None
    if "@" in parts.netloc:
        # Never echo the address: it may carry a password.
        raise ConfigError(
            "The TrueNAS URL contains a user name or password.",
            hint="Remove them from the URL; pass api_key= or username=/password= instead.",
        )
    scheme = parts.scheme.lower()
    websocket_scheme = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}.get(scheme)
    if websocket_scheme is None:
        raise ConfigError(
            f"Unsupported scheme {scheme!r} in {address!r}.",
            hint="Use wss:// (or https://, converted to wss://); ws:// only on a trusted lab.",
        )
    host = _checked_host(parts.hostname, address)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    keep_path = bool(path) if scheme in ("ws", "wss") else bool(_WEBSOCKET_PATH.match(path))
    if keep_path:
        return (urlunsplit((websocket_scheme, netloc, path, parts.query, "")),)
    return tuple(
        urlunsplit((websocket_scheme, netloc, endpoint, "", ""))
        for endpoint in (API_PATH, LEGACY_API_PATH)
    )


def _bracket_bare_ipv6(text: str) -> str:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return f"[{address}]"


def _checked_host(host: str | None, address: str) -> str:
    if host:
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            if _HOSTNAME.match(host):
                return host
    raise ConfigError(
        f"{address!r} does not contain a valid host name or IP address.",
        hint="Give a host name, host:port, or a wss://HOST/api/current URL.",
    )


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, ``*.localhost`` and loopback addresses (no DNS lookup)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)
