"""From what the user typed to the WebSocket URLs to try, and the dialect each one speaks.

* A bare host (``nas.local``, ``10.0.0.5:8443``, ``fe80::1``) means TLS and discovery:
  ``wss://HOST/api/current`` first (25.04+), then ``wss://HOST/websocket`` if the first
  answers HTTP 404 (24.10 has no ``/api``).
* ``ws://`` / ``wss://`` with a path (``wss://nas/api/current``, ``ws://127.0.0.1:6000/websocket``,
  ``wss://nas/api/v25.04.2``) is used exactly as given; without a path it gets the same
  discovery with its own scheme and port.
* ``http://`` / ``https://`` (copied from the browser) become ``ws://`` / ``wss://``; the path is
  kept only if it is a WebSocket API path, otherwise (a web-UI page, the ``/api/v2.0`` REST
  API) discovery applies. Query and fragment are dropped.

The dialect follows the path, as in the official client: ``…/websocket`` is the legacy
protocol, anything else JSON-RPC 2.0.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.rpc.protocol import Dialect

__all__ = ["CURRENT_PATH", "LEGACY_PATH", "dialect_of", "endpoint_candidates"]

CURRENT_PATH = "/api/current"
"""JSON-RPC 2.0 endpoint of TrueNAS 25.04 and later."""

LEGACY_PATH = "/websocket"
"""Legacy endpoint, the only one 24.10 speaks."""

_SCHEMES = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}
_HINT = "Give a host name, host:port, or a wss://HOST/api/current URL."
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
# TrueNAS API keys are "<id>-<64 alphanumerics>"; never echo such a string as an address.
_API_KEY_SHAPE = re.compile(r"^\d+-[A-Za-z0-9]{32,}$")
# JSON-RPC paths worth keeping when an http(s) URL is converted (REST /api/v2.0 is not one).
_WEBSOCKET_PATH = re.compile(r"^/(websocket|api/current|api/v(?!2\.0$)\d+(\.\d+)+)$")


def endpoint_candidates(target: str | Sequence[str]) -> tuple[str, ...]:
    """The URLs to try for ``target``, in order; fall back to the next only on HTTP 404.

    Args:
        target: host, host:port or URL; or several of them (already resolved candidates),
            whose URLs are tried in the order given.

    Returns:
        One or more ``ws://``/``wss://`` URLs.

    Raises:
        ConfigError: empty, malformed, another scheme, or credentials embedded in the URL
            (the message never repeats them).
    """
    if not isinstance(target, str):
        urls = tuple(url for one in target for url in endpoint_candidates(one))
        if not urls:
            raise ConfigError("No TrueNAS host or URL given", hint=_HINT)
        return urls
    text = target.strip()
    if _API_KEY_SHAPE.match(text):
        raise ConfigError(
            "The address looks like an API key.",
            hint="Pass the host as url= and the key as api_key= (check the argument order).",
        )
    if "@" in text:  # before anything repeats ``target``: it would repeat the credentials
        raise _credentials_in_url()
    if not text or any(ch.isspace() for ch in text):
        raise ConfigError(f"{target!r} is not a TrueNAS address.", hint=_HINT)
    if "://" not in text:
        text = "wss://" + _bracket_bare_ipv6(text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{target!r} is not a valid URL ({exc}).", hint=_HINT) from None
    scheme = parts.scheme.lower()
    websocket_scheme = _SCHEMES.get(scheme)
    if websocket_scheme is None:
        raise ConfigError(
            f"Unsupported scheme {scheme!r} in {target!r}.",
            hint="Use wss:// (or https://, converted to wss://); ws:// only on a trusted lab.",
        )
    host = _checked_host(parts.hostname, target)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    keep_path = bool(path) if scheme in ("ws", "wss") else bool(_WEBSOCKET_PATH.match(path))
    if keep_path:
        return (urlunsplit((websocket_scheme, netloc, path, parts.query, "")),)
    return tuple(
        urlunsplit((websocket_scheme, netloc, endpoint, "", ""))
        for endpoint in (CURRENT_PATH, LEGACY_PATH)
    )


def dialect_of(url: str) -> Dialect:
    """The protocol spoken at ``url``: legacy for ``…/websocket``, JSON-RPC otherwise."""
    path = urlsplit(url).path.rstrip("/")
    return Dialect.LEGACY if path.endswith(LEGACY_PATH) else Dialect.JSONRPC


def _credentials_in_url() -> ConfigError:
    # Never echo the address: it carries a password or key.
    return ConfigError(
        "The TrueNAS URL contains a user name or password.",
        hint="Remove them from the URL; pass api_key= or username=/password= instead.",
    )


def _bracket_bare_ipv6(text: str) -> str:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return text
    return f"[{address}]"


def _checked_host(host: str | None, target: str) -> str:
    if host:
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            if _HOSTNAME.match(host):
                return host
    raise ConfigError(f"{target!r} does not contain a valid host name or IP address.", hint=_HINT)
