"""Deterministic container logs and app stats that look like the real thing.

Line ``i`` of a container's log is a pure function of the container id and ``i`` (an RNG
seeded with both), stamped at ``started_at + i * LINE_SPACING`` seconds of virtual time. Stats
are a pure function of the app name and a tick counter. Nothing reads the wall clock.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from typing import Any

from scale_pilot_nb.sandbox.entries import app_state
from scale_pilot_nb.sandbox.state import App, Container, SandboxModel

#: Lines a container has logged before anybody follows it.
HISTORY_LINES = 120
LINE_SPACING = 7.5

_PATHS = ("/", "/api/health", "/static/app.js", "/login", "/api/v1/items?page=2", "/favicon.ico")
_AGENTS = ("Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "Go-http-client/1.1")


def _access(rng: random.Random, when: datetime) -> str:
    status = rng.choice((200, 200, 200, 200, 304, 404, 302))
    return (
        f"192.168.1.{rng.randint(2, 250)} - - [{when.strftime('%d/%b/%Y:%H:%M:%S +0000')}] "
        f'"{rng.choice(("GET", "GET", "POST"))} {rng.choice(_PATHS)} HTTP/1.1" {status} '
        f'{rng.randint(120, 48000)} "-" "{rng.choice(_AGENTS)}"'
    )


def _postgres(rng: random.Random, when: datetime) -> str:
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.") + f"{rng.randint(0, 999):03d} UTC"
    message = rng.choice(
        (
            "LOG:  checkpoint starting: time",
            f"LOG:  checkpoint complete: wrote {rng.randint(3, 900)} buffers",
            'LOG:  automatic vacuum of table "app.public.sessions": index scans: 1',
            "LOG:  database system is ready to accept connections",
        )
    )
    return f"{stamp} [{rng.randint(60, 400)}] {message}"


def _redis(rng: random.Random, when: datetime) -> str:
    stamp = when.strftime("%d %b %Y %H:%M:%S.") + f"{rng.randint(0, 999):03d}"
    message = rng.choice(
        (
            f"{rng.randint(1, 100)} changes in 300 seconds. Saving...",
            "Background saving started by pid 42",
            "DB saved on disk",
            "Background saving terminated with success",
        )
    )
    return f"1:M {stamp} * {message}"


def _media(rng: random.Random, when: datetime) -> str:
    message = rng.choice(
        (
            "Emby.Server.Implementations.ScheduledTasks.TaskManager: Scan Media Library Completed",
            "Jellyfin.Api.Auth.CustomAuthenticationHandler: Authenticated user admin",
            "MediaBrowser.MediaEncoding.Transcoding.TranscodeManager: Transcoding finished",
            "Emby.Server.Implementations.Library.LibraryManager: Validating media library",
        )
    )
    return f"[{when.strftime('%H:%M:%S')}] [INF] [{rng.randint(2, 60)}] {message}"


def _generic(rng: random.Random, when: datetime) -> str:
    level = rng.choice(("info", "info", "info", "debug", "warn"))
    message = rng.choice(
        (
            "request completed",
            "cache refreshed",
            "health check ok",
            "sync finished",
            "worker heartbeat",
            "connection pool stats",
        )
    )
    return (
        f'time="{when.strftime("%Y-%m-%dT%H:%M:%SZ")}" level={level} msg="{message}" '
        f"duration_ms={rng.randint(1, 900)}"
    )


def _style(image: str) -> Any:
    for needle, style in (
        ("postgres", _postgres),
        ("redis", _redis),
        ("valkey", _redis),
        ("jellyfin", _media),
        ("nginx", _access),
        ("whoami", _access),
        ("caddy", _access),
        ("traefik", _access),
    ):
        if needle in image:
            return style
    return _generic


def _stopped_by_itself(container: Container) -> bool:
    return container.settled in ("crashed", "exited")


def log_line(container: Container, index: int) -> dict[str, Any]:
    """Line ``index`` of ``container``'s log as a ``container_log_follow`` event."""
    rng = random.Random(f"{container.id}:{index}")
    when = datetime.fromtimestamp(container.started_at + index * LINE_SPACING, UTC)
    when = when.replace(microsecond=rng.randrange(1_000_000))
    if _stopped_by_itself(container):  # it printed only what its command printed
        text = container.output[min(index, len(container.output) - 1)]
    else:
        text = _style(container.image)(rng, when)
    return {"data": text + "\n", "timestamp": str(when)}


def history_length(container: Container) -> int:
    """How many lines ``container`` has logged so far (before following)."""
    return len(container.output) if _stopped_by_itself(container) else HISTORY_LINES


def _unit(name: str, salt: str) -> float:
    digest = hashlib.sha256(f"{name}/{salt}".encode()).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF


def app_stats(model: SandboxModel, app: App, tick: int) -> dict[str, Any]:
    """One ``app.stats`` item for ``app`` at ``tick`` (zeros when not running)."""
    if app_state(app) == "STOPPED":
        return {
            "app_name": app.name,
            "memory": 0,
            "cpu_usage": 0,
            "networks": [],
            "blkio": {"read": 0, "write": 0},
        }
    count = len(app.containers)
    wave = _unit(app.name, f"tick{tick}")
    base_cpu = 0.2 + 6 * _unit(app.name, "cpu")
    memory = int((40 + 900 * _unit(app.name, "mem")) * 1024 * 1024) * count
    rx = int(200 + 40000 * _unit(app.name, "rx") * (0.5 + wave))
    tx = int(100 + 12000 * _unit(app.name, "tx") * (0.5 + wave))
    return {
        "app_name": app.name,
        "cpu_usage": round(base_cpu * (0.6 + 0.8 * wave), 2),
        "memory": memory + int(wave * 4 * 1024 * 1024),
        "networks": [{"interface_name": "eth0", "rx_bytes": rx, "tx_bytes": tx}],
        "blkio": {
            "read": int(1_048_576 * (50 + 400 * _unit(app.name, "r"))) + tick * 65536,
            "write": int(1_048_576 * (5 + 80 * _unit(app.name, "w"))) + tick * 16384,
        },
    }
