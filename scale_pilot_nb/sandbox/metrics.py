"""Counters the sandbox keeps for tests and benchmarks (never sent over the wire)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Metrics:
    """What the server has seen since start or the last :meth:`Sandbox.reset`.

    Attributes:
        connections: WebSocket connections accepted.
        open_connections: connections currently open.
        logins: successful logins (any mechanism).
        failed_logins: refused logins (bad, revoked or expired credentials).
        requests: request frames by method name (``core.subscribe`` …; legacy ``sub`` counts
            as ``core.subscribe``).
        frames_in: every text frame received.
        frames_out: every frame sent.
    """

    connections: int = 0
    open_connections: int = 0
    logins: int = 0
    failed_logins: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    frames_in: int = 0
    frames_out: int = 0

    def snapshot(self) -> Metrics:
        """An independent copy (the live object keeps changing on the loop thread)."""
        return Metrics(
            self.connections,
            self.open_connections,
            self.logins,
            self.failed_logins,
            Counter(self.requests),
            self.frames_in,
            self.frames_out,
        )
