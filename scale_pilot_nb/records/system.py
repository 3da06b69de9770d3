"""The NAS as a whole: ``system.info``, ``docker.status``, ``pool.query`` and a summary.

``system.info.version`` is ``"TrueNAS-SCALE-24.10.2.4"`` on 24.10 but ``"25.04.2.6"`` from
25.04 on; :attr:`SystemInfo.version` is always the short form, with the original kept in
:attr:`SystemInfo.version_string`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Self

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.records._base import (
    Record,
    WireEnum,
    entry_of,
    flag,
    format_bytes,
    integer,
    number,
    text,
    wire_datetime,
)
from scale_pilot_nb.records._types import Entry
from scale_pilot_nb.records.app import App, AppState

__all__ = ["DockerState", "DockerStatus", "Pool", "SystemInfo", "SystemStatus"]

_VERSION = re.compile(r"(\d+\.\d+(?:\.\d+)*(?:-[A-Za-z0-9.]+)?)$")


class DockerState(WireEnum):
    """State of the apps service (``docker.status``); MIGRATING* exist from 25.10 on."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    INITIALIZING = "INITIALIZING"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    UNCONFIGURED = "UNCONFIGURED"
    FAILED = "FAILED"
    MIGRATING = "MIGRATING"
    MIGRATION_FAILED = "MIGRATION_FAILED"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, repr=False)
class DockerStatus(Record):
    """The apps service: its state and the NAS's description (which may carry a reason)."""

    state: DockerState
    description: str = ""

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse ``{"status": "RUNNING", "description": "..."}``."""
        entry = entry_of(entry, "docker status")
        return cls(
            state=DockerState(text(entry.get("status")) or "UNKNOWN"),
            description=text(entry.get("description")) or "",
        )

    @property
    def running(self) -> bool:
        """True when apps can run."""
        return self.state is DockerState.RUNNING

    @property
    def configured(self) -> bool:
        """False when no apps pool is set (every app call then returns nothing or fails)."""
        return self.state is not DockerState.UNCONFIGURED

    def __repr__(self) -> str:
        return f"DockerStatus({self.state.value})"


@dataclass(frozen=True, repr=False)
class SystemInfo(Record):
    """What ``system.info`` says about the machine.

    Attributes:
        hostname: host name.
        version: short version, e.g. ``25.10.6`` (also on 24.10).
        version_string: the version exactly as sent.
        model: CPU model.
        cores: logical cores.
        physical_cores: physical cores.
        physmem: memory in bytes.
        loadavg: 1, 5 and 15 minute load.
        uptime_seconds: seconds since boot.
        boottime: boot time.
        system_time: the NAS's clock at the time of the call.
        buildtime: build time of the release.
        timezone: configured time zone.
        ecc_memory: ECC memory present.
        system_product: product name, if known.
        system_manufacturer: manufacturer, if known.
    """

    hostname: str
    version: str
    version_string: str = ""
    model: str | None = None
    cores: int | None = None
    physical_cores: int | None = None
    physmem: int | None = None
    loadavg: tuple[float, ...] = ()
    uptime_seconds: float | None = None
    boottime: dt.datetime | None = None
    system_time: dt.datetime | None = None
    buildtime: dt.datetime | None = None
    timezone: str | None = None
    ecc_memory: bool = False
    system_product: str | None = None
    system_manufacturer: str | None = None

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse the ``system.info`` result."""
        entry = entry_of(entry, "system.info")
        version_string = text(entry.get("version")) or ""
        match = _VERSION.search(version_string)
        loadavg = entry.get("loadavg")
        return cls(
            hostname=text(entry.get("hostname")) or "",
            version=match.group(1) if match else version_string,
            version_string=version_string,
            model=text(entry.get("model")),
            cores=integer(entry.get("cores")),
            physical_cores=integer(entry.get("physical_cores")),
            physmem=integer(entry.get("physmem")),
            loadavg=tuple(value for value in map(number, loadavg or ()) if value is not None)
            if isinstance(loadavg, list | tuple)
            else (),
            uptime_seconds=number(entry.get("uptime_seconds")),
            boottime=wire_datetime(entry.get("boottime")),
            system_time=wire_datetime(entry.get("datetime")),
            buildtime=wire_datetime(entry.get("buildtime")),
            timezone=text(entry.get("timezone")),
            ecc_memory=flag(entry.get("ecc_memory")),
            system_product=text(entry.get("system_product")),
            system_manufacturer=text(entry.get("system_manufacturer")),
        )

    @property
    def series(self) -> str:
        """Release series, e.g. ``25.04``: what API differences depend on."""
        return ".".join(self.version.split(".")[:2])

    def __repr__(self) -> str:
        return (
            f"SystemInfo({self.hostname!r}, version={self.version!r}, cores={self.cores}, "
            f"memory={format_bytes(self.physmem)!r})"
        )


@dataclass(frozen=True, repr=False)
class Pool(Record):
    """A ZFS pool from ``pool.query`` (scan, topology and autotrim details are not kept).

    Attributes:
        name: pool name.
        status: ``ONLINE``, ``DEGRADED``, ``FAULTED``, ``OFFLINE``, ``UNAVAIL`` or ``REMOVED``.
        healthy: ZFS reports no problem.
        warning: ZFS reports a warning.
        status_detail: ZFS's explanation, if any.
        path: mount point, e.g. ``/mnt/tank``.
        size: total bytes.
        allocated: used bytes.
        free: free bytes.
        fragmentation: fragmentation as the NAS formats it (``"12"``).
        id: pool id.
        guid: pool GUID.
    """

    name: str
    status: str = ""
    healthy: bool = False
    warning: bool = False
    status_detail: str | None = None
    path: str | None = None
    size: int | None = None
    allocated: int | None = None
    free: int | None = None
    fragmentation: str | None = None
    id: int | None = None
    guid: str | None = None

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse one ``pool.query`` entry.

        Raises:
            TrueNASError: the entry is not an object or has no name.
        """
        entry = entry_of(entry, "pool")
        name = text(entry.get("name"))
        if not name:
            raise TrueNASError(
                "The NAS sent a pool without a name.",
                hint="The NAS answered with an unexpected shape; check its version is supported.",
            )
        return cls(
            name=name,
            status=text(entry.get("status")) or "",
            healthy=flag(entry.get("healthy")),
            warning=flag(entry.get("warning")),
            status_detail=text(entry.get("status_detail")),
            path=text(entry.get("path")),
            size=integer(entry.get("size")),
            allocated=integer(entry.get("allocated")),
            free=integer(entry.get("free")),
            fragmentation=text(entry.get("fragmentation")),
            id=integer(entry.get("id")),
            guid=text(entry.get("guid")),
        )

    @property
    def used_fraction(self) -> float | None:
        """Allocated / size, when both are known."""
        if not self.size or self.allocated is None:
            return None
        return self.allocated / self.size

    def __repr__(self) -> str:
        health = "healthy" if self.healthy else "unhealthy"
        return (
            f"Pool({self.name!r}, {self.status or '?'}, {health}, "
            f"free={format_bytes(self.free)!r} of {format_bytes(self.size)!r})"
        )


@dataclass(frozen=True, repr=False)
class SystemStatus(Record):
    """One summary of a NAS: machine, apps service, pools and how many apps are in which state.

    Built by the manager from several calls with :meth:`build`.
    """

    info: SystemInfo
    docker: DockerStatus
    pools: tuple[Pool, ...] = ()
    app_states: Mapping[str, int] = field(default_factory=dict, hash=False)

    @classmethod
    def build(
        cls,
        *,
        info: Entry | SystemInfo,
        docker: Entry | DockerStatus,
        pools: Iterable[Entry | Pool] = (),
        apps: Iterable[Entry | App] = (),
    ) -> Self:
        """Combine raw answers (or already parsed records) into one status.

        Args:
            info: the ``system.info`` result.
            docker: the ``docker.status`` result.
            pools: ``pool.query`` entries.
            apps: ``app.query`` entries; only their states are kept.
        """
        parsed_apps = [a if isinstance(a, App) else App.from_api(a) for a in apps]
        counts = Counter(app.state.value for app in parsed_apps)
        return cls(
            info=info if isinstance(info, SystemInfo) else SystemInfo.from_api(info),
            docker=docker if isinstance(docker, DockerStatus) else DockerStatus.from_api(docker),
            pools=tuple(p if isinstance(p, Pool) else Pool.from_api(p) for p in pools),
            app_states=dict(sorted(counts.items())),
        )

    @property
    def app_count(self) -> int:
        """Number of installed apps."""
        return sum(self.app_states.values())

    @property
    def running_apps(self) -> int:
        """Number of RUNNING apps."""
        return self.app_states.get(AppState.RUNNING.value, 0)

    def __repr__(self) -> str:
        return (
            f"SystemStatus({self.info.hostname!r}, version={self.info.version!r}, "
            f"docker={self.docker.state.value}, apps={self.app_count} "
            f"({self.running_apps} running), pools={[p.name for p in self.pools]})"
        )
