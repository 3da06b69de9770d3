"""How TrueNAS treats a host path: pool data, app internals, system directories, or relative.

One place decides what a bind source *really* points at (``/mnt/tank/../../etc`` is ``/etc``,
``~/data`` is ``/root/data``), so validation and conversion judge paths the same way.

``~`` is not relative to the compose file. Compose expands a leading ``~`` (also ``~user``,
which it reads as ``~`` + ``user``) to the home directory of whoever runs Compose, on the
machine that runs it. On TrueNAS that is the apps middleware, running as root, so ``~/data``
means ``/root/data`` on the NAS: root's home on the boot pool, never your home directory and
never this computer's.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

__all__ = [
    "HARMLESS_READ_ONLY",
    "HOME_ON_NAS",
    "IX_APPS_ROOT",
    "HostPathKind",
    "classify_host_path",
    "has_traversal",
    "home_on_nas",
    "host_binds",
    "is_docker_socket",
    "is_home_path",
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
HOME_ON_NAS = "/root"
"""Where ``~`` points on the NAS: the home of root, as whom the apps middleware runs Compose."""
HARMLESS_READ_ONLY = frozenset(
    {
        "/etc/localtime",
        "/etc/timezone",
        "/usr/share/zoneinfo",
        "/etc/ssl/certs",
        "/etc/ca-certificates",
        "/etc/os-release",
        "/usr/lib/os-release",
        "/etc/hostname",
        "/lib/modules",
        "/usr/lib/modules",
    }
)
"""System files and directories containers commonly read (time zone, CA certificates, OS name,
kernel modules); read-only, they reveal nothing worth protecting (subpaths included)."""


class HostPathKind(StrEnum):
    """What a host path resolves to on a TrueNAS box."""

    POOL = "pool"  # /mnt/<pool>/<something>: user data on a ZFS pool, the right place
    POOL_ROOT = "pool-root"  # /mnt or /mnt/<pool> itself
    IX_APPS = "ix-apps"  # /mnt/.ix-apps/...: middleware-managed app internals
    SYSTEM = "system"  # /, /etc, /usr, /var, ...: the boot pool, wiped on upgrade
    OTHER = "other"  # anything else outside /mnt


def is_relative(path: str) -> bool:
    """True for ``./data``, ``data/x``: relative to the compose file, which TrueNAS keeps inside
    ``/mnt/.ix-apps``. ``~/x`` is not relative (see :func:`is_home_path`)."""
    return not path.startswith("/") and not is_home_path(path)


def is_home_path(path: str) -> bool:
    """True for ``~``, ``~/x`` (and ``~user/x``): Compose expands them to a home directory."""
    return path.startswith("~")


def home_on_nas(path: str) -> str:
    """What a ``~`` path means when the NAS runs Compose: ``~/data`` → ``/root/data``.

    Compose joins the home directory with everything after the ``~``, so ``~user/x`` becomes
    ``/root/user/x`` (not user's home). Other paths come back unchanged.
    """
    if not is_home_path(path):
        return path
    return posixpath.normpath(posixpath.join(HOME_ON_NAS, path[1:].lstrip("/")))


def is_docker_socket(path: str) -> bool:
    """True when the path is the Docker daemon socket (full control of the host)."""
    return posixpath.normpath(path) in _DOCKER_SOCKETS


def classify_host_path(path: str) -> tuple[HostPathKind, str]:
    """Classify an absolute (or ``~``) host path after resolving ``~``, ``.`` and ``..``.

    Returns:
        The kind and the normalised path that was judged (``~/x`` is judged as ``/root/x``).
    """
    resolved = posixpath.normpath(home_on_nas(path))
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


def host_binds(service: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any], str]]:
    """``(index, volume, source)`` of each bind of an absolute host path in a normalised service.

    Relative paths (they stay inside the app's folder) and the Docker socket have rules of
    their own, so they are left out here.
    """
    volumes = service.get("volumes")
    for index, volume in enumerate(volumes if isinstance(volumes, list) else []):
        if not isinstance(volume, dict) or volume.get("type") != "bind":
            continue
        source = volume.get("source")
        if isinstance(source, str) and not is_relative(source) and not is_docker_socket(source):
            yield index, volume, source
