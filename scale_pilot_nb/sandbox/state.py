"""The NAS the sandbox pretends to be: pools, datasets, Docker, apps, containers and images.

``SandboxModel`` holds the state and the bookkeeping every method module shares (virtual
clock, cached ``app.query`` entries, event publishing, per-app locks, background tasks). The
TrueNAS methods live in ``apps.py``, ``upgrades.py``, ``images.py``, ``docker.py`` and
``system.py``; ``registry.build_registry`` wires them to the server.

Determinism: the model never reads the wall clock or an unseeded RNG. Its clock is virtual —
it starts at ``BASE_TIME`` and advances one second per mutation — so the same seed and the same
calls always give the same entries, ids, logs and stats.

Test controls (Python only, never reachable over the wire): ``publish_image``,
``set_unhealthy``, ``set_log_rate``, ``set_docker_pool`` and the ``timing`` attribute. The
model is not thread-safe: call them on the sandbox's loop thread (``Sandbox.call_in_loop``).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
from collections.abc import Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any

from scale_pilot_nb.sandbox.contract import VERSIONS, EventSink
from scale_pilot_nb.sandbox.workloads import PortBinding

#: ``app.ip_choices``: the wildcards, then the NAS's static addresses (never loopback or
#: link-local, as ``interface.ip_in_use({"static": True, "any": True})`` returns them).
NAS_ADDRESSES = ("0.0.0.0", "::", "192.168.1.50", "fd00:1::50")
#: 2025-06-20 09:00:00 UTC: where every seed's virtual clock starts.
BASE_TIME = 1750410000.0
STATE_FORMAT = 1


@dataclass
class Timing:
    """How long simulated operations take (all 0 = instant, for tests).

    Attributes:
        deploy_delay: seconds new containers stay ``starting`` (app ``DEPLOYING``) after up.
        stop_delay: seconds ``app.stop`` spends in ``STOPPING``.
        job_delay: seconds a job takes from 0 to 100 % progress, spread over its steps.
        stats_scale: factor on ``app.stats`` intervals (``0.01`` makes a 2 s interval 20 ms).
    """

    deploy_delay: float = 0.0
    stop_delay: float = 0.0
    job_delay: float = 0.0
    stats_scale: float = 1.0

    @classmethod
    def demo(cls) -> Timing:
        """Small realistic delays for demos and notebooks."""
        return cls(deploy_delay=2.0, stop_delay=1.0, job_delay=1.5)

    @classmethod
    def latency(cls, seconds: float) -> Timing:
        """Every job takes ``seconds`` (benchmarks); containers start at once."""
        return cls(job_delay=seconds)


@dataclass
class Container:
    """One container of an app (``ix-<app>-<service>-1``)."""

    id: str
    service: str
    image: str
    state: str  # created | starting | running | exited | crashed
    settled: str  # the state once the deploy delay has passed
    ports: list[PortBinding]
    mounts: list[tuple[str, str, str, str]]
    started_at: float
    exit_code: int | None = None  # of a container that stops by itself
    output: list[str] = field(default_factory=list)  # what such a container printed

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        data = asdict(self)
        data["state"] = self.settled
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Container:
        """Inverse of :meth:`to_dict` (transient states are restored settled)."""
        ports = [PortBinding(**p) for p in data["ports"]]
        mounts = [(m[0], m[1], m[2], m[3]) for m in data["mounts"]]
        return cls(**{**data, "ports": ports, "mounts": mounts})


@dataclass
class App:
    """An installed app: its stored config, rendered compose and current containers."""

    name: str
    custom_app: bool
    catalog_app: str | None
    train: str
    version: str
    config: Any  # custom: the compose dict; catalog: values + ix_* keys
    compose: Any  # what compose up runs
    index: int  # install order, used for deterministic network subnets
    created_at: float
    containers: list[Container] = field(default_factory=list)
    history: dict[str, Any] = field(default_factory=dict)  # older version -> config
    notes: str | None = None
    portals: dict[str, str] = field(default_factory=dict)
    migrated: bool = False
    generation: int = 0
    unhealthy: list[str] = field(default_factory=list)  # services forced unhealthy

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        data = asdict(self)
        data["containers"] = [c.to_dict() for c in self.containers]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> App:
        """Inverse of :meth:`to_dict`."""
        containers = [Container.from_dict(c) for c in data["containers"]]
        return cls(**{**data, "containers": containers})


@dataclass
class Image:
    """A local Docker image."""

    id: str
    repo_tags: list[str]
    digest: str
    size: int
    created: float
    pulled_by_digest: list[str] = field(default_factory=list)
    """Repositories this image was pulled from by digest (``repo@sha256:…``): Docker gives
    such a pull no tag, only a repo digest."""


def image_digest(repo_tag: str, generation: int = 0) -> str:
    """Deterministic registry digest of ``repo_tag`` (``generation`` bumps on re-publish)."""
    return "sha256:" + hashlib.sha256(f"{repo_tag}#{generation}".encode()).hexdigest()


def image_size(repo_tag: str) -> int:
    """A plausible, stable image size in bytes (30–530 MB)."""
    return 30_000_000 + int(hashlib.sha256(repo_tag.encode()).hexdigest()[:8], 16) % 500_000_000


class SandboxModel:
    """The simulated NAS.

    Args:
        version: ``"24.10"``, ``"25.04"`` or ``"25.10"``.
        seed: ``"demo"``, ``"empty"`` or a number of apps for scale tests; ``None`` = a blank
            model (no pools), which :meth:`from_dict` fills.
        events: where ``app.query`` / ``docker.state`` changes are published.
        timing: operation delays; ``None`` = ``Timing.demo()`` for the demo seed, else instant.
    """

    def __init__(
        self,
        version: str = "25.10",
        seed: str | int | None = "demo",
        events: EventSink | None = None,
        timing: Timing | None = None,
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f"unknown sandbox version {version!r}; choose one of {VERSIONS}")
        self.version = version
        self.events: EventSink | None = None  # seeding publishes nothing
        self.timing = timing or (Timing.demo() if seed == "demo" else Timing())
        self.clock = BASE_TIME
        self.apps: dict[str, App] = {}
        self.images: dict[str, Image] = {}
        self.remote_digests: dict[str, str] = {}
        self.pools: list[dict[str, Any]] = []
        self.datasets: dict[str, dict[str, Any]] = {}
        self.directories: set[str] = set()
        self.docker: dict[str, Any] = {"pool": None, "enable_image_updates": True, "nvidia": False}
        self.backups: dict[str, dict[str, Any]] = {}
        self.log_rate = 0.5
        self.installs = 0
        self._entries: dict[str, dict[str, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._settling: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        if seed is not None:
            from scale_pilot_nb.sandbox.seeds import apply as apply_seed

            apply_seed(self, seed)
        self.events = events

    # -- clock ---------------------------------------------------------------------------
    def tick(self, seconds: float = 1.0) -> float:
        """Advance the virtual clock and return the new time (epoch seconds)."""
        self.clock += seconds
        return self.clock

    # -- docker --------------------------------------------------------------------------
    @property
    def apps_pool(self) -> str | None:
        """The pool Docker uses for apps, ``None`` when apps are unconfigured."""
        pool: str | None = self.docker["pool"]
        return pool

    def docker_status(self) -> dict[str, str]:
        """``docker.status()``: RUNNING with a pool, UNCONFIGURED without."""
        if self.apps_pool is None:
            return {"status": "UNCONFIGURED", "description": "Application(s) are not configured"}
        return {"status": "RUNNING", "description": "Application(s) are currently running"}

    def path_exists(self, path: str) -> bool:
        """True for known directories, dataset mountpoints and paths inside ``/mnt/.ix-apps``."""
        path = "/" + path.strip("/")
        if path in self.directories or path.startswith("/mnt/.ix-apps"):
            return True
        return any(d.get("mountpoint") == path for d in self.datasets.values())

    # -- images --------------------------------------------------------------------------
    def image_by_tag(self, repo_tag: str) -> Image | None:
        """The local image currently tagged ``repo_tag``."""
        for image in self.images.values():
            if repo_tag in image.repo_tags:
                return image
        return None

    def store_image(self, repo_tag: str, digest: str | None = None) -> Image:
        """Record that ``repo_tag`` was pulled (at ``digest``; default: the registry's).

        A digest-pinned reference (``name[:tag]@sha256:…``) pulls exactly that digest and
        tags nothing, as Docker does: the image it finds or makes only gains the repo digest.
        """
        if "@" in repo_tag:
            return self._store_pinned(repo_tag)
        digest = digest or self.remote_digests.get(repo_tag) or image_digest(repo_tag)
        old = self.image_by_tag(repo_tag)
        if old is not None and old.digest == digest:
            return old
        if old is not None:
            old.repo_tags = [t for t in old.repo_tags if t != repo_tag] or ["<none>:<none>"]
        image_id = "sha256:" + hashlib.sha256(f"{repo_tag}@{digest}".encode()).hexdigest()
        image = Image(image_id, [repo_tag], digest, image_size(repo_tag), self.tick())
        self.images[image_id] = image
        return image

    def _store_pinned(self, reference: str) -> Image:
        name, _, digest = reference.partition("@")
        repo = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
        image = next((i for i in self.images.values() if i.digest == digest), None)
        if image is None:
            image_id = "sha256:" + hashlib.sha256(reference.encode()).hexdigest()
            image = Image(image_id, ["<none>:<none>"], digest, image_size(name), self.tick())
            self.images[image_id] = image
        if repo not in image.pulled_by_digest:
            image.pulled_by_digest.append(repo)
        return image

    def update_available(self, repo_tag: str) -> bool:
        """True when the registry has a newer image for ``repo_tag`` than the local one."""
        if not self.docker["enable_image_updates"]:
            return False
        local, remote = self.image_by_tag(repo_tag), self.remote_digests.get(repo_tag)
        return local is not None and remote is not None and remote != local.digest

    # -- entries and events --------------------------------------------------------------
    def entry(self, app: App) -> dict[str, Any]:
        """The cached ``app.query`` entry of ``app`` (a read-only snapshot)."""
        cached = self._entries.get(app.name)
        if cached is None:
            from scale_pilot_nb.sandbox.entries import build_entry

            cached = self._entries[app.name] = build_entry(self, app)
        return cached

    def changed(self, app: App, *, publish: bool = True) -> None:
        """Forget ``app``'s cached entry and publish its new entry as CHANGED."""
        self._entries.pop(app.name, None)
        if publish and app.name in self.apps:
            self.publish("app.query", "changed", app.name, self.entry(app))

    def forget_entries(self) -> None:
        """Drop every cached entry (after a change that may touch all apps)."""
        self._entries.clear()

    def publish(self, collection: str, msg: Any, ident: Any, fields: Any = None) -> None:
        """Send a collection event if anybody listens."""
        if self.events is not None:
            self.events.publish(collection, msg, id=ident, fields=fields)

    # -- concurrency ---------------------------------------------------------------------
    def lock(self, app_name: str) -> asyncio.Lock:
        """The lock serialising mutating jobs on ``app_name``."""
        return self._locks.setdefault(app_name, asyncio.Lock())

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background on the running loop; :meth:`close` cancels it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def set_settling(self, app_name: str, task: asyncio.Task[None] | None) -> None:
        """Remember (or, with ``None``, cancel) the task finishing ``app_name``'s deploy."""
        old = self._settling.pop(app_name, None)
        if old is not None and old is not task:
            old.cancel()
        if task is not None:
            self._settling[app_name] = task

    async def pause(self, seconds: float) -> None:
        """Sleep ``seconds`` of simulated work (yield only when 0)."""
        await asyncio.sleep(max(seconds, 0.0))

    def close(self) -> None:
        """Cancel background tasks (deploy transitions); call from the loop thread."""
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        self._settling.clear()

    # -- test controls -------------------------------------------------------------------
    def publish_image(self, repo_tag: str, new_digest: str | None = None) -> str:
        """Push a new image under ``repo_tag`` to the simulated registry.

        Apps using the tag then report ``image_updates_available`` until ``app.pull_images``.
        Returns the new digest.
        """
        digest = new_digest or image_digest(repo_tag, int(self.tick()))
        self.remote_digests[repo_tag] = digest
        self.refresh_image_users(repo_tag)
        return digest

    def set_unhealthy(self, app_name: str, service: str, unhealthy: bool = True) -> None:
        """Make ``service``'s healthcheck fail (app stays DEPLOYING) or pass again."""
        from scale_pilot_nb.sandbox.lifecycle import settled_state
        from scale_pilot_nb.sandbox.workloads import parse_services

        app = self.apps[app_name]
        wanted = set(app.unhealthy)
        if unhealthy:
            wanted.add(service)
        else:
            wanted.discard(service)
        app.unhealthy = sorted(wanted)
        specs = {spec.name: spec for spec in parse_services(app.name, app.compose)}
        for container in app.containers:
            if container.service == service and container.service in specs:
                container.settled = settled_state(app, specs[service])
                if container.state in ("running", "starting"):
                    container.state = container.settled
        self.changed(app)

    def set_log_rate(self, lines_per_second: float) -> None:
        """New log lines per second for ``app.container_log_follow`` (0 = history only)."""
        self.log_rate = max(0.0, lines_per_second)

    def set_docker_pool(self, pool: str | None) -> None:
        """Configure the apps pool (``None`` = UNCONFIGURED: apps vanish from queries)."""
        if pool is not None and pool not in {p["name"] for p in self.pools}:
            raise ValueError(f"no pool named {pool!r}")
        self.docker["pool"] = pool
        self.docker["dataset"] = f"{pool}/ix-apps" if pool else None
        self.forget_entries()
        self.publish("docker.state", "changed", None, self.docker_status())

    def refresh_image_users(self, repo_tag: str) -> None:
        """Publish fresh entries of apps running ``repo_tag`` (its update flag changed)."""
        for app in self.apps.values():
            if any(c.image == repo_tag for c in app.containers):
                self.changed(app)

    # -- persistence ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything needed to restore this NAS later (JSON-serialisable)."""
        return {
            "format": STATE_FORMAT,
            "version": self.version,
            "clock": self.clock,
            "apps": [app.to_dict() for app in self.apps.values()],  # asdict copies deeply
            "images": [asdict(image) for image in self.images.values()],
            "remote_digests": dict(self.remote_digests),
            "pools": copy.deepcopy(self.pools),
            "datasets": copy.deepcopy(list(self.datasets.values())),
            "directories": sorted(self.directories),
            "docker": copy.deepcopy(self.docker),
            "backups": copy.deepcopy(self.backups),
            "installs": self.installs,
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], events: EventSink | None = None, timing: Timing | None = None
    ) -> SandboxModel:
        """Rebuild a model saved with :meth:`to_dict`.

        Raises:
            ValueError: the data is not a sandbox state of a known format.
        """
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise ValueError("not a sandbox state file (missing or unknown 'format')")
        try:
            return cls._restore(copy.deepcopy(data), events, timing)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"corrupt sandbox state: {type(exc).__name__}: {exc}") from None

    @classmethod
    def _restore(
        cls, data: dict[str, Any], events: EventSink | None, timing: Timing | None
    ) -> SandboxModel:
        model = cls(data["version"], None, events, timing or Timing())
        model.clock = float(data["clock"])
        model.apps = {a["name"]: App.from_dict(a) for a in data["apps"]}
        model.images = {i["id"]: Image(**i) for i in data["images"]}
        model.remote_digests = dict(data["remote_digests"])
        model.pools = list(data["pools"])
        model.datasets = {d["id"]: d for d in data["datasets"]}
        model.directories = set(data["directories"])
        model.docker = dict(data["docker"])
        model.backups = dict(data["backups"])
        model.installs = int(data["installs"])
        return model
