"""From what the user typed to the WebSocket URLs to try, and the dialect each one speaks.

* An explicit URL with a path (``wss://nas/api/current``, ``ws://127.0.0.1:6000/websocket``,
  ``wss://nas/api/v25.04.2``) is used exactly as given.
* A bare host (``nas.local``, ``nas.local:8443``, ``192.0.2.7``) means TLS and discovery:
  ``wss://HOST/api/current`` first (25.04+), then ``wss://HOST/websocket`` if the first
  answers HTTP 404 (24.10 has no ``/api``).
* A URL without a path (``ws://127.0.0.1:8080``, or ``https://nas`` copied from the browser,
  read as ``wss://nas``) gets the same discovery with its own scheme and port.

The dialect follows the path, as in the official client: ``…/websocket`` is the legacy
protocol, anything else JSON-RPC 2.0.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.rpc.protocol import Dialect

__all__ = ["CURRENT_PATH", "LEGACY_PATH", "dialect_of", "endpoint_candidates"]

CURRENT_PATH = "/api/current"
LEGACY_PATH = "/websocket"

_SCHEMES = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}


def endpoint_candidates(target: str) -> list[str]:
    """The URLs to try for ``target``, in order; fall back to the next only on HTTP 404.

    Raises:
        ConfigError: empty target, unknown scheme, or no host.
    """
    target = target.strip()
    if not target:
        raise ConfigError("No TrueNAS host or URL given", hint="Pass url='nas.local'.")
    if "://" not in target:
        if target.count(":") > 1 and not target.startswith("["):
            target = f"[{target}]"  # a bare IPv6 address
        target = f"wss://{target}"
    try:
        parts = urlsplit(target)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise ConfigError(
            f"Malformed URL {target!r}: {exc}", hint="Pass url='nas.local'."
        ) from None
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise ConfigError(
            f"Unsupported URL scheme {parts.scheme!r} in {target!r}",
            hint="Use wss://HOST/api/current, wss://HOST/websocket or just the host name.",
        )
    if not host:
        raise ConfigError(f"No host in {target!r}", hint="Pass url='nas.local'.")
    if parts.path not in ("", "/"):
        return [target if scheme == parts.scheme else f"{scheme}://{target.split('://', 1)[1]}"]
    base = f"{scheme}://{parts.netloc}"
    return [base + CURRENT_PATH, base + LEGACY_PATH]


def dialect_of(url: str) -> Dialect:
    """The protocol spoken at ``url``: legacy for ``…/websocket``, JSON-RPC otherwise."""
    path = urlsplit(url).path.rstrip("/")
    return Dialect.LEGACY if path.endswith(LEGACY_PATH) else Dialect.JSONRPC
