"""From what a user typed (host, host:port, http/ws URL) to the WebSocket URLs to try.

The parsing itself lives in :mod:`scale_pilot_nb.rpc.endpoints` (the client needs it too, and
config may import rpc but not the other way round); this module names it for configuration.
"""

from __future__ import annotations

from scale_pilot_nb.rpc.endpoints import CURRENT_PATH, LEGACY_PATH
from scale_pilot_nb.rpc.endpoints import endpoint_candidates as candidate_urls

__all__ = ["API_PATH", "LEGACY_API_PATH", "candidate_urls"]

API_PATH = CURRENT_PATH
"""JSON-RPC 2.0 endpoint of TrueNAS 25.04 and later."""

LEGACY_API_PATH = LEGACY_PATH
"""Legacy endpoint, the only one 24.10 speaks."""
