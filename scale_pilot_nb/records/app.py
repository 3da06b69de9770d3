"""Apps as ``app.query`` reports them: the app, its containers, published ports and mounts.

Parsed from the entry shape of TrueNAS 24.10, 25.04 and 25.10 (truenas-apps-api.md §2):
25.04 added ``active_workloads.networks``, 25.10 ``active_workloads.used_host_ips``, and
24.10.0 lacks ``latest_version``; each missing key simply leaves its field empty. A STOPPED
app has all-empty workloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.records._base import (
    Record,
    WireEnum,
    entry_of,
    flag,
    integer,
    iso_timestamp,
    objects,
    strings,
    text,
)
from scale_pilot_nb.records._types import Entry

__all__ = [
    "App",
    "AppState",
    "Container",
    "ContainerState",
    "HostBinding",
    "PortMapping",
    "VolumeMount",
]


class AppState(WireEnum):
    """App state. DEPLOYING also covers *unhealthy* containers; STOPPING only comes as an event."""

    RUNNING = "RUNNING"
    DEPLOYING = "DEPLOYING"
    STOPPED = "STOPPED"
    CRASHED = "CRASHED"
    STOPPING = "STOPPING"
    UNKNOWN = "UNKNOWN"


class ContainerState(WireEnum):
    """Container state as TrueNAS derives it from Docker (``starting`` includes unhealthy)."""

    RUNNING = "running"
    STARTING = "starting"
    CREATED = "created"
    EXITED = "exited"
    CRASHED = "crashed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, repr=False)
class HostBinding(Record):
    """One host address a container port is published on."""

    host_port: int
    host_ip: str = ""

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse ``{"host_port": 30013, "host_ip": "0.0.0.0"}``."""
        entry = entry_of(entry, "host port")
        return cls(
            host_port=integer(entry.get("host_port")) or 0,
            host_ip=text(entry.get("host_ip")) or "",
        )

    def __repr__(self) -> str:
        host = f"[{self.host_ip}]" if ":" in self.host_ip else self.host_ip
        return f"HostBinding('{host}:{self.host_port}')"


@dataclass(frozen=True, repr=False)
class PortMapping(Record):
    """A container port and the host ports it is published on."""

    container_port: int
    protocol: str = "tcp"
    host_ports: tuple[HostBinding, ...] = ()

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse a ``used_ports`` / ``port_config`` item."""
        entry = entry_of(entry, "port")
        return cls(
            container_port=integer(entry.get("container_port")) or 0,
            protocol=text(entry.get("protocol")) or "tcp",
            host_ports=tuple(HostBinding.from_api(h) for h in objects(entry.get("host_ports"))),
        )

    @property
    def published(self) -> tuple[int, ...]:
        """Distinct host port numbers, sorted (IPv4 and IPv6 bindings usually repeat them)."""
        return tuple(sorted({binding.host_port for binding in self.host_ports}))

    def __str__(self) -> str:
        """``8080->80/tcp`` (``80/tcp`` when not published), as ``docker ps`` shows it."""
        target = f"{self.container_port}/{self.protocol}"
        if self.published:
            target = f"{','.join(map(str, self.published))}->{target}"
        return target

    def __repr__(self) -> str:
        return f"PortMapping('{self}')"


@dataclass(frozen=True, repr=False)
class VolumeMount(Record):
    """A mount of a container: ``type`` is ``bind`` or ``volume`` (any non-bind Docker mount)."""

    source: str
    destination: str
    mode: str = ""
    type: str = "bind"

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse a ``volumes`` / ``volume_mounts`` item."""
        entry = entry_of(entry, "volume")
        return cls(
            source=text(entry.get("source")) or "",
            destination=text(entry.get("destination")) or "",
            mode=text(entry.get("mode")) or "",
            type=text(entry.get("type")) or "bind",
        )

    @property
    def read_only(self) -> bool:
        """True when Docker reports the mount mode as ``ro``."""
        return "ro" in self.mode.split(",")

    def __repr__(self) -> str:
        suffix = ", ro" if self.read_only else ""
        return f"VolumeMount({self.source!r} -> {self.destination!r}, {self.type}{suffix})"


@dataclass(frozen=True, repr=False)
class Container(Record):
    """One container of an app (``active_workloads.container_details`` item).

    Attributes:
        id: Docker container id.
        service_name: compose service the container belongs to.
        image: image reference the container runs.
        state: TrueNAS's container state.
        ports: published ports of this container.
        volumes: mounts of this container.
        app_name: the app it belongs to, when parsed as part of an app.
    """

    id: str
    service_name: str
    image: str
    state: ContainerState
    ports: tuple[PortMapping, ...] = ()
    volumes: tuple[VolumeMount, ...] = ()
    app_name: str | None = None

    @classmethod
    def from_api(cls, entry: Entry, *, app_name: str | None = None) -> Self:
        """Parse a ``container_details`` item; ``app_name`` records the owning app."""
        entry = entry_of(entry, "container")
        return cls(
            id=text(entry.get("id")) or "",
            service_name=text(entry.get("service_name")) or "",
            image=text(entry.get("image")) or "",
            state=ContainerState(text(entry.get("state")) or "unknown"),
            ports=tuple(PortMapping.from_api(p) for p in objects(entry.get("port_config"))),
            volumes=tuple(VolumeMount.from_api(v) for v in objects(entry.get("volume_mounts"))),
            app_name=app_name,
        )

    @property
    def short_id(self) -> str:
        """The first 12 characters of the id, as ``docker ps`` shows it."""
        return self.id[:12]

    def __repr__(self) -> str:
        owner = f"{self.app_name}/" if self.app_name else ""
        return (
            f"Container('{owner}{self.service_name}', state={self.state.value!r}, "
            f"image={self.image!r})"
        )


@dataclass(frozen=True, repr=False)
class App(Record):
    """An installed app, as one ``app.query`` entry describes it.

    Attributes:
        name: app name (also the id; the compose project is ``ix-<name>``).
        state: app state.
        version: catalog chart version; ``1.0.0`` for custom apps.
        human_version: e.g. ``10.10.7_1.2.9``, or ``1.0.0_custom``.
        latest_version: newest catalog version; ``None`` for custom apps (and on 24.10.0).
        upgrade_available: a catalog upgrade (or, for custom apps, an image update) exists.
        image_updates_available: a newer image exists for a running container.
        custom_app: a custom compose app ("Install via YAML").
        migrated: migrated from the Kubernetes-based apps.
        catalog_app: catalog name from the metadata (``custom-app`` for custom apps).
        train: catalog train.
        title: display title.
        app_version: upstream application version from the metadata.
        container_count: containers of the compose project in any state.
        containers: per-container details.
        ports: ports published to the host.
        volumes: mounts of all containers, deduplicated by TrueNAS.
        images: image references in use.
        networks: Docker network names (25.04+).
        host_ips: host addresses ports are bound to (25.10+).
        portals: portal name -> URL.
        notes: markdown notes of the app.
        metadata: the catalog metadata as the NAS sent it, but for ``last_update``: naive UTC
            text on the wire, here ISO 8601 with its offset like every timestamp.
        config: the stored configuration, when queried with ``retrieve_config``.
    """

    name: str
    state: AppState
    version: str | None = None
    human_version: str | None = None
    latest_version: str | None = None
    upgrade_available: bool = False
    image_updates_available: bool = False
    custom_app: bool = False
    migrated: bool = False
    catalog_app: str | None = None
    train: str | None = None
    title: str | None = None
    app_version: str | None = None
    container_count: int = 0
    containers: tuple[Container, ...] = ()
    ports: tuple[PortMapping, ...] = ()
    volumes: tuple[VolumeMount, ...] = ()
    images: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    host_ips: tuple[str, ...] = ()
    portals: Mapping[str, str] = field(default_factory=dict, hash=False)
    notes: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)
    config: Mapping[str, Any] | None = field(default=None, hash=False)

    @classmethod
    def from_api(cls, entry: Entry) -> Self:
        """Parse one ``app.query`` entry (or an ``app.query`` event's ``fields``).

        Raises:
            TrueNASError: the entry is not an object or has neither ``name`` nor ``id``.
        """
        entry = entry_of(entry, "app")
        name = text(entry.get("name")) or text(entry.get("id"))
        if not name:
            raise TrueNASError(
                "The NAS sent an app entry without a name.",
                hint="The NAS answered with an unexpected shape; check its version is supported.",
            )
        workloads = entry.get("active_workloads")
        workloads = workloads if isinstance(workloads, Mapping) else {}
        metadata = entry.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        containers = tuple(
            Container.from_api(c, app_name=name)
            for c in objects(workloads.get("container_details"))
        )
        portals = entry.get("portals")
        config = entry.get("config")
        return cls(
            name=name,
            state=AppState(text(entry.get("state")) or "UNKNOWN"),
            version=text(entry.get("version")),
            human_version=text(entry.get("human_version")),
            latest_version=text(entry.get("latest_version")),
            upgrade_available=flag(entry.get("upgrade_available")),
            image_updates_available=flag(entry.get("image_updates_available")),
            custom_app=flag(entry.get("custom_app")),
            migrated=flag(entry.get("migrated")),
            catalog_app=text(metadata.get("name")),
            train=text(metadata.get("train")),
            title=text(metadata.get("title")),
            app_version=text(metadata.get("app_version")),
            container_count=integer(workloads.get("containers")) or len(containers),
            containers=containers,
            ports=tuple(PortMapping.from_api(p) for p in objects(workloads.get("used_ports"))),
            volumes=tuple(VolumeMount.from_api(v) for v in objects(workloads.get("volumes"))),
            images=strings(workloads.get("images")),
            networks=tuple(_network_name(n) for n in objects(workloads.get("networks"))),
            host_ips=strings(workloads.get("used_host_ips")),
            portals={k: v for k, v in portals.items() if isinstance(v, str)}
            if isinstance(portals, Mapping)
            else {},
            notes=text(entry.get("notes")),
            metadata=_catalog_metadata(metadata),
            config=dict(config) if isinstance(config, Mapping) else None,
        )

    @property
    def running(self) -> bool:
        """True when the app is RUNNING."""
        return self.state is AppState.RUNNING

    @property
    def published_ports(self) -> tuple[int, ...]:
        """Distinct host ports the app publishes, sorted."""
        return tuple(sorted({port for mapping in self.ports for port in mapping.published}))

    def __repr__(self) -> str:
        return (
            f"App({self.name!r}, state={self.state.value}, version={self.human_version!r}, "
            f"containers={self.container_count}, ports={list(self.published_ports)})"
        )


def _catalog_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    if "last_update" not in metadata:
        return dict(metadata)
    return {**metadata, "last_update": iso_timestamp(metadata["last_update"])}


def _network_name(network: Entry) -> str:
    # Raw Docker attributes use "Name"; docker.network.query uses "name".
    return text(network.get("Name")) or text(network.get("name")) or ""
