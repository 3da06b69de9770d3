"""Counters a client keeps about its own traffic, for benchmarks and tests.

The sandbox counts logins on its side too; comparing both sides is how "one login per
connection" and "no blind re-sends" are proven.

:func:`note_login` / :func:`recent_logins` keep one more count, for the whole process: when
each login call was sent, by method. TrueNAS allows 20 unauthenticated calls per method and
address per 60 s, and login calls are such calls, so this is the headroom this process can
see (other programs on the same machine count on the NAS too, but not here).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass

__all__ = ["LOGIN_WINDOW", "ClientStats", "note_login", "recent_logins"]

#: The window of TrueNAS's rate limit on unauthenticated calls, in seconds.
LOGIN_WINDOW = 60.0

# (monotonic time, method) of each login call this process sent; bounded, oldest dropped.
_logins: deque[tuple[float, str]] = deque(maxlen=1024)
_logins_lock = threading.Lock()


def note_login(method: str) -> None:
    """Count one login call (``auth.login_ex`` …) sent by this process, whatever its outcome."""
    with _logins_lock:
        _logins.append((time.monotonic(), method))


def recent_logins(window: float = LOGIN_WINDOW) -> dict[str, int]:
    """Login calls this process sent in the last ``window`` seconds, by method."""
    since = time.monotonic() - window
    with _logins_lock:
        return dict(Counter(method for at, method in _logins if at >= since))


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
