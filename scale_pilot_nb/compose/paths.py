"""How TrueNAS treats a host path: pool data, app internals, system directories, or relative.

One place decides what a bind source *really* points at (``/mnt/tank/../../etc`` is ``/etc``),
so validation and conversion judge paths the same way.
"""

from __future__ import annotations

import posixpath
from enum import StrEnum

__all__ = [
    "IX_APPS_ROOT",
    "HostPathKind",
    "classify_host_path",
    "has_traversal",
    "is_docker_socket",
    "is_relative",
]

_SYSTEM_ROOTS = (
    "/etc",
    "/usr",
    "/var",
    "/boot",
    "/root",
    "/home",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/opt",
    "/srv",
    "/tmp",
    "/proc",
    "/sys",
    "/dev",
    "/run",
)
_DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
IX_APPS_ROOT = "/mnt/.ix-apps"


class HostPathKind(StrEnum):
    """What a host path resolves to on a TrueNAS box."""

    POOL = "pool"  # /mnt/<pool>/<something>: user data on a ZFS pool, the right place
    POOL_ROOT = "pool-root"  # /mnt or /mnt/<pool> itself
    IX_APPS = "ix-apps"  # /mnt/.ix-apps/...: middleware-managed app internals
    SYSTEM = "system"  # /, /etc, /usr, /var, ...: the boot pool, wiped on upgrade
    OTHER = "other"  # anything else outside /mnt


def is_relative(path: str) -> bool:
    """True for ``./data``, ``data/x``, ``~/x``: TrueNAS resolves these inside ``/mnt/.ix-apps``."""
    return not path.startswith("/")


def is_docker_socket(path: str) -> bool:
    """True when the path is the Docker daemon socket (full control of the host)."""
    return posixpath.normpath(path) in _DOCKER_SOCKETS


def classify_host_path(path: str) -> tuple[HostPathKind, str]:
    """Classify an absolute host path after resolving ``.`` and ``..``.

    Returns:
        The kind and the normalised path that was judged.
    """
    resolved = posixpath.normpath(path)
    if resolved.startswith("//"):
        resolved = "/" + resolved.lstrip("/")
    if resolved == IX_APPS_ROOT or resolved.startswith(IX_APPS_ROOT + "/"):
        return HostPathKind.IX_APPS, resolved
    parts = resolved.strip("/").split("/")
    if parts[0] == "mnt":
        return (HostPathKind.POOL if len(parts) >= 3 else HostPathKind.POOL_ROOT), resolved
    if resolved == "/" or any(
        resolved == root or resolved.startswith(root + "/") for root in _SYSTEM_ROOTS
    ):
        return HostPathKind.SYSTEM, resolved
    return HostPathKind.OTHER, resolved


def has_traversal(path: str) -> bool:
    """True when the path climbs with ``..`` (the written path hides where it really goes)."""
    return ".." in path.split("/")
