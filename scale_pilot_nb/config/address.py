"""From what a user typed (host, host:port, http/ws URL) to the WebSocket URLs to try.

The parsing itself lives in :mod:`scale_pilot_nb.rpc.endpoints` (the client needs it too, and
config may import rpc but not the other way round); this module names it for configuration.
"""

from __future__ import annotations

import ipaddress

from scale_pilot_nb.rpc.endpoints import CURRENT_PATH, LEGACY_PATH
from scale_pilot_nb.rpc.endpoints import endpoint_candidates as candidate_urls

__all__ = ["API_PATH", "LEGACY_API_PATH", "candidate_urls", "is_loopback_host"]

API_PATH = CURRENT_PATH
"""JSON-RPC 2.0 endpoint of TrueNAS 25.04 and later."""

LEGACY_API_PATH = LEGACY_PATH
"""Legacy endpoint, the only one 24.10 speaks."""


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
