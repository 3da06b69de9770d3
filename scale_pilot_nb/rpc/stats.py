"""Counters a client keeps about its own traffic, for benchmarks and tests.

The sandbox counts logins on its side too; comparing both sides is how "one login per
connection" and "no blind re-sends" are proven.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["ClientStats"]


@dataclass
class ClientStats:
    """Mutable counters; read them at any time, they only grow.

    Attributes:
        frames_sent: WebSocket text frames written.
        frames_received: WebSocket text frames read.
        connects: connections established (the first one and every reconnect).
        reconnects: connections re-established after a drop.
        logins: successful logins (one per connection when credentials are set).
        calls: ``call`` and ``call_job`` invocations by the user.
        resent_reads: read calls re-sent after a drop.
        keepalive_pings: ``core.ping`` calls made because the connection was idle.
        dropped_events: subscription events discarded because a consumer fell behind.
    """

    frames_sent: int = 0
    frames_received: int = 0
    connects: int = 0
    reconnects: int = 0
    logins: int = 0
    calls: int = 0
    resent_reads: int = 0
    keepalive_pings: int = 0
    dropped_events: int = 0

    def to_dict(self) -> dict[str, int]:
        """The counters as a plain dict (for JSON and benchmark output)."""
        return asdict(self)
