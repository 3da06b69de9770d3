"""Initial NAS contents: ``demo``, ``empty`` and ``N`` (N apps for scale tests).

``demo`` is a believable home-lab NAS: three pools (one degraded), media and database
datasets, and nine apps covering every state — a multi-service custom app (``photos``), a
catalog app with both a chart upgrade and an image update (``jellyfin``, which can also roll
back to 1.2.8), an ix-app (``grafana``), a custom app with an image update (``whoami``), a
crashed one (``nightly-report``), one stuck DEPLOYING on a failing healthcheck (``search``)
and two stopped ones. Everything is derived from fixed data and the virtual clock.
"""

from __future__ import annotations

from typing import Any

from scale_pilot_nb.sandbox import catalog
from scale_pilot_nb.sandbox.apps import create_ix_volumes, render_catalog, set_compose
from scale_pilot_nb.sandbox.lifecycle import compose_up
from scale_pilot_nb.sandbox.state import App, SandboxModel
from scale_pilot_nb.sandbox.system import add_dataset
from scale_pilot_nb.sandbox.workloads import parse_services

TB = 1024**4
GB = 1024**3
#: Bytes used by the demo's bigger datasets (the rest show a fresh dataset's 96 KiB).
DEMO_USAGE = {
    "tank/ix-apps": 38 * GB,
    "tank/media": int(4.1 * TB),
    "tank/media/movies": int(2.6 * TB),
    "tank/media/tv": int(1.3 * TB),
    "tank/media/photos": 212 * GB,
    "tank/home": 640 * GB,
    "fast/databases": 57 * GB,
    "fast/databases/immich": 41 * GB,
    "backup/snapshots": int(4.7 * TB),
}
APPS_DATASETS = (
    "ix-apps/app_configs",
    "ix-apps/app_mounts",
    "ix-apps/docker",
    "ix-apps/truenas_catalog",
)


def _disks(prefix: str, count: int, status: str = "ONLINE") -> list[dict[str, Any]]:
    return [
        {"type": "DISK", "name": f"{prefix}{chr(97 + i)}", "status": status if i == 0 else "ONLINE"}
        for i in range(count)
    ]


def _pool(
    pool_id: int, name: str, size: int, allocated: int, layout: str, disks: list[dict[str, Any]]
) -> dict[str, Any]:
    degraded = any(d["status"] != "ONLINE" for d in disks)
    return {
        "id": pool_id,
        "name": name,
        "status": "DEGRADED" if degraded else "ONLINE",
        "size": size,
        "allocated": allocated,
        "free": size - allocated,
        "layout": layout,
        "disks": disks,
    }


def _datasets(model: SandboxModel, names: list[str]) -> None:
    for name in names:
        add_dataset(model, name, {"type": "FILESYSTEM"})
    if model.apps_pool is not None:
        model.datasets[f"{model.apps_pool}/ix-apps"]["mountpoint"] = "/mnt/.ix-apps"


def _base(model: SandboxModel) -> None:
    """One pool ``tank`` configured for apps; what ``empty`` and ``N`` start from."""
    model.pools = [_pool(1, "tank", 8 * TB, 1 * TB, "MIRROR", _disks("sd", 2))]
    model.docker.update(pool="tank", dataset="tank/ix-apps")
    _datasets(model, ["tank", "tank/ix-apps", *(f"tank/{d}" for d in APPS_DATASETS)])


def _install(
    model: SandboxModel,
    name: str,
    *,
    compose: Any = None,
    catalog_app: str | None = None,
    version: str | None = None,
    values: dict[str, Any] | None = None,
    running: bool = True,
) -> App:
    """Put an installed app in place without jobs or events."""
    if catalog_app is None:
        app = App(
            name,
            True,
            None,
            "stable",
            catalog.CUSTOM_VERSION,
            compose,
            compose,
            model.installs,
            model.tick(),
        )
        set_compose(app, compose, refresh_portals=True)
    else:
        entry = catalog.CATALOG[catalog_app]
        version = version or entry.latest_version
        config, rendered = render_catalog(model, name, entry, version, values or {}, "INSTALL")
        app = App(
            name,
            False,
            entry.name,
            entry.train,
            version,
            config,
            rendered,
            model.installs,
            model.tick(),
        )
        set_compose(app, rendered, refresh_portals=True)
        if entry.name != catalog.IX_APP:
            app.notes = catalog.notes(entry)
    model.installs += 1
    model.apps[name] = app
    create_ix_volumes(model, app)
    if running:
        compose_up(model, app, seeding=True)
    else:
        for spec in parse_services(name, app.compose):
            model.store_image(spec.image)
    return app


def _photos() -> dict[str, Any]:
    tag = "v1.135.3"
    return {
        "services": {
            "server": {
                "image": f"ghcr.io/immich-app/immich-server:{tag}",
                "ports": ["2283:2283"],
                "volumes": ["/mnt/tank/media/photos:/usr/src/app/upload"],
                "environment": {"DB_HOSTNAME": "database", "REDIS_HOSTNAME": "redis"},
                "depends_on": ["redis", "database"],
                "restart": "unless-stopped",
            },
            "machine-learning": {
                "image": f"ghcr.io/immich-app/immich-machine-learning:{tag}",
                "volumes": ["model-cache:/cache"],
                "restart": "unless-stopped",
            },
            "redis": {"image": "docker.io/valkey/valkey:8-bookworm", "restart": "unless-stopped"},
            "database": {
                "image": "ghcr.io/immich-app/postgres:14-vectorchord0.4.3-pgvectors0.2.0",
                "environment": {"POSTGRES_USER": "immich", "POSTGRES_DB": "immich"},
                "volumes": ["/mnt/fast/databases/immich:/var/lib/postgresql/data"],
                "restart": "unless-stopped",
            },
        },
        "volumes": {"model-cache": {}},
        "x-portals": [{"name": "Web UI", "scheme": "http", "host": "0.0.0.0", "port": 2283}],
        "x-notes": "# Photos\n\nImmich photo library backed by /mnt/tank/media/photos.\n",
    }


def _custom(image: str, **service: Any) -> dict[str, Any]:
    return {"services": {service.pop("name", "app"): {"image": image, **service}}}


def demo(model: SandboxModel) -> None:
    """The demo NAS (see module docstring)."""
    model.pools = [
        _pool(1, "tank", 16 * TB, int(6.2 * TB), "RAIDZ2", _disks("sd", 6)),
        _pool(2, "fast", int(1.8 * TB), int(0.4 * TB), "MIRROR", _disks("nvme0n", 2)),
        _pool(3, "backup", 8 * TB, 5 * TB, "RAIDZ1", _disks("sdh", 3, status="FAULTED")),
    ]
    model.docker.update(pool="tank", dataset="tank/ix-apps")
    _datasets(
        model,
        [
            "tank",
            "tank/ix-apps",
            *(f"tank/{d}" for d in APPS_DATASETS),
            "tank/media",
            "tank/media/movies",
            "tank/media/tv",
            "tank/media/photos",
            "tank/apps",
            "tank/apps/grafana",
            "tank/home",
            "fast",
            "fast/databases",
            "fast/databases/immich",
            "backup",
            "backup/snapshots",
        ],
    )
    for directory in ("/mnt/tank/media/music", "/mnt/tank/home/alice", "/mnt/tank/apps/whoami"):
        model.directories.add(directory)
    for name, used in DEMO_USAGE.items():
        model.datasets[name]["used"] = used
    _jellyfin(model)
    _install(model, "photos", compose=_photos())
    whoami = _custom("traefik/whoami:v1.10", name="whoami", ports=["30080:80"])
    whoami["x-portals"] = [{"name": "Web UI", "scheme": "http", "host": "0.0.0.0", "port": 30080}]
    _install(model, "whoami", compose=whoami)
    _install(model, "grafana", catalog_app=catalog.IX_APP, values=_grafana_values())
    _install(model, "gitea", catalog_app="gitea", values={"network": {"web_port": 30008}})
    _install(model, "syncthing", catalog_app="syncthing", running=False)
    report = _custom(
        "python:3.12-slim",
        name="report",
        command=["sh", "-c", "echo report: cannot reach the database at db:5432; exit 2"],
    )
    _install(model, "nightly-report", compose=report)
    search = _custom(
        "opensearchproject/opensearch:2.19.2",
        name="opensearch",
        ports=["9200:9200"],
        labels={"sandbox.health": "unhealthy"},
        healthcheck={"test": ["CMD", "curl", "-f", "http://localhost:9200"]},
    )
    _install(model, "search", compose=search)
    rclone = _custom("rclone/rclone:1.70", name="rclone", volumes=["/mnt/backup/snapshots:/data"])
    _install(model, "backup-sync", compose=rclone, running=False)
    model.publish_image("jellyfin/jellyfin:10.10.7")
    model.publish_image("traefik/whoami:v1.10")


def _jellyfin(model: SandboxModel) -> None:
    """Jellyfin installed at 1.2.8 and upgraded to 1.2.9 (so it can roll back)."""
    values = {"TZ": "Europe/Berlin", "network": {"web_port": 30013}}
    app = _install(
        model, "jellyfin", catalog_app="jellyfin", version="1.2.8", values=values, running=False
    )
    entry = catalog.CATALOG["jellyfin"]
    config, rendered = render_catalog(model, app.name, entry, "1.2.9", values, "UPGRADE")
    app.history["1.2.8"] = app.config
    app.version, app.config = "1.2.9", config
    set_compose(app, rendered, refresh_portals=True)
    compose_up(model, app, seeding=True)


def _grafana_values() -> dict[str, Any]:
    return {
        "image": {"repository": "grafana/grafana", "tag": "12.0.2", "pull_policy": "missing"},
        "TZ": "Etc/UTC",
        "restart_policy": "unless-stopped",
        "envs": [{"name": "GF_SECURITY_ADMIN_USER", "value": "admin"}],
        "ports": [{"bind_mode": "published", "port_number": 30300, "container_port": 3000}],
        "portals": [{"name": "Web UI", "port": 30300}],
        "storage": [
            {
                "type": "ix_volume",
                "mount_path": "/var/lib/grafana",
                "ix_volume_config": {"dataset_name": "data"},
            },
            {
                "type": "host_path",
                "mount_path": "/etc/grafana/provisioning",
                "read_only": True,
                "host_path_config": {"path": "/mnt/tank/apps/grafana"},
            },
        ],
    }


FLEET_IMAGES = (
    "nginx:1.27-alpine",
    "nginx:1.26-alpine",
    "redis:7.4.2-alpine",
    "postgres:16.9",
    "postgres:17.5",
    "traefik/whoami:v1.10",
    "ghcr.io/linuxserver/syncthing:1.30.0",
    "grafana/grafana:12.0.2",
)
"""Images a numeric seed spreads over its apps (several versions of one repository)."""
OUTDATED = ("nginx:1.26-alpine", "postgres:16.9", "traefik/whoami:v1.10")
"""Tags the registry has newer builds of in a numeric seed (``update_available``)."""


def scale(model: SandboxModel, count: int) -> None:
    """``count`` apps ``app-0001`` … on distinct host ports, varied the same way every time.

    Every app publishes host port ``20000 + i``. Most are one running web service; the pattern
    over ``i`` mixes in what an analysis needs to find: two-service stacks with a named volume
    (every 4th), host-path binds (every 6th), stopped apps (every 10th), a crashing job (every
    25th), an unhealthy one (every 33rd), ix-app catalog installs (every 50th), and images of
    several versions, some with a newer build in the registry.
    """
    if not 0 <= count <= 20000:
        raise ValueError("seed app count must be between 0 and 20000")
    _base(model)
    for i in range(1, count + 1):
        name, port = f"app-{i:04d}", 20000 + i
        if i % 50 == 0:
            values = _grafana_values()
            values["ports"] = [
                {"bind_mode": "published", "port_number": port, "container_port": 3000}
            ]
            values["portals"] = [{"name": "Web UI", "port": port}]
            values["storage"] = values["storage"][:1]
            _install(model, name, catalog_app=catalog.IX_APP, values=values)
            continue
        _install(model, name, compose=_fleet_compose(i, port), running=i % 10 != 0)
    for tag in OUTDATED:
        if any(tag in str(app.compose) for app in model.apps.values()):
            model.publish_image(tag)


def _fleet_compose(i: int, port: int) -> dict[str, Any]:
    web: dict[str, Any] = {"image": FLEET_IMAGES[i % len(FLEET_IMAGES)], "ports": [f"{port}:80"]}
    if i % 6 == 0:
        web["volumes"] = ["/mnt/tank/apps:/srv:ro"]
    if i % 33 == 0:
        web["labels"] = {"sandbox.health": "unhealthy"}
    services: dict[str, Any] = {"web": web}
    compose: dict[str, Any] = {"services": services}
    if i % 25 == 0:
        services["job"] = {
            "image": "busybox:1.37",
            "command": ["sh", "-c", f"echo job {i}: upstream refused the connection; exit 1"],
        }
    if i % 4 == 0:
        services["db"] = {"image": "redis:7.4.2-alpine", "volumes": ["data:/data"]}
        compose["volumes"] = {"data": {}}
    return compose


def apply(model: SandboxModel, seed: str | int) -> None:
    """Fill ``model`` from ``seed`` (``"demo"``, ``"empty"``, an int or a digit string).

    Raises:
        ValueError: an unknown seed.
    """
    if seed == "demo":
        demo(model)
    elif seed == "empty":
        _base(model)
    elif isinstance(seed, int) or (isinstance(seed, str) and seed.isdigit()):
        scale(model, int(seed))
    else:
        raise ValueError(f"unknown seed {seed!r}: use 'demo', 'empty' or a number of apps")
