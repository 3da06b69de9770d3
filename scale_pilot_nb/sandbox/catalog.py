"""The sandbox's built-in TrueNAS catalog: a few apps with versions, metadata and templates.

A real NAS clones ``truenas/apps`` and renders Jinja templates; the sandbox knows a handful of
apps well enough to install, upgrade and roll back. Every catalog app here renders to one
service named after the catalog app; its values are kept as given (TrueNAS keeps unknown keys
too) and only ``network.web_port`` and ``TZ`` influence the rendered compose. ``ix-app`` has
its own schema and template in ``ixapp.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IX_APP = "ix-app"


@dataclass(frozen=True)
class CatalogApp:
    """One catalog app: versions are ``(chart version, app version)`` pairs, oldest first."""

    name: str
    train: str
    title: str
    description: str
    home: str
    categories: tuple[str, ...]
    repository: str
    container_port: int
    default_port: int
    mount: str
    versions: tuple[tuple[str, str], ...]

    @property
    def latest_version(self) -> str:
        """Newest chart version."""
        return self.versions[-1][0]

    def app_version(self, version: str) -> str | None:
        """Upstream version shipped by chart ``version``, ``None`` when unknown."""
        return dict(self.versions).get(version)


CATALOG: dict[str, CatalogApp] = {
    app.name: app
    for app in (
        CatalogApp(
            name="jellyfin",
            train="community",
            title="Jellyfin",
            description="Jellyfin is a Free Software Media System that puts you in control of "
            "managing and streaming your media.",
            home="https://jellyfin.org/",
            categories=("media",),
            repository="jellyfin/jellyfin",
            container_port=8096,
            default_port=30013,
            mount="/config",
            versions=(("1.2.8", "10.10.6"), ("1.2.9", "10.10.7"), ("1.3.12", "10.11.11")),
        ),
        CatalogApp(
            name="syncthing",
            train="stable",
            title="Syncthing",
            description="Syncthing is a continuous file synchronization program.",
            home="https://syncthing.net/",
            categories=("storage",),
            repository="syncthing/syncthing",
            container_port=8384,
            default_port=20910,
            mount="/var/syncthing",
            versions=(("1.2.4", "1.29.7"), ("1.2.5", "1.30.0")),
        ),
        CatalogApp(
            name="gitea",
            train="community",
            title="Gitea",
            description="Private, fast, reliable DevOps platform in a single binary.",
            home="https://about.gitea.com/",
            categories=("productivity",),
            repository="gitea/gitea",
            container_port=3000,
            default_port=30008,
            mount="/var/lib/gitea",
            versions=(("1.3.0", "1.24.2"),),
        ),
        CatalogApp(
            name=IX_APP,
            train="stable",
            title="iX App",
            description="iX App is a custom app that allows you to run any container image.",
            home="https://www.truenas.com/",
            categories=("custom",),
            repository="",
            container_port=0,
            default_port=0,
            mount="",
            versions=(("1.4.3", "1.4.3"), ("1.4.4", "1.4.3")),
        ),
    )
}

CUSTOM_METADATA: dict[str, Any] = {
    "name": "custom-app",
    "train": "stable",
    "version": "1.0.0",
    "app_version": "custom",
    "title": "Custom App",
    "description": "This is a custom app where user can use his/her own docker compose file for "
    "deploying services",
    "home": "",
    "sources": [],
    "maintainers": [],
    "run_as_context": [],
    "capabilities": [],
    "host_mounts": [],
}
CUSTOM_VERSION, CUSTOM_HUMAN_VERSION = "1.0.0", "1.0.0_custom"


def human_version(app_version: str, version: str) -> str:
    """TrueNAS ``human_version``: ``"<app_version>_<version>"`` unless both are equal."""
    return version if app_version == version else f"{app_version}_{version}"


def version_key(version: str) -> tuple[int, ...]:
    """Sort key for dotted numeric versions (``"1.10.0"`` > ``"1.9.9"``)."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def metadata(app: CatalogApp, version: str) -> dict[str, Any]:
    """The ``metadata`` (catalog ``app.yaml``) of ``app`` at chart ``version``."""
    icons = f"https://media.sys.truenas.net/apps/{app.name}"
    return {
        "annotations": {"min_scale_version": "24.10.2.2"},
        "app_version": app.app_version(version) or version,
        "capabilities": [],
        "categories": list(app.categories),
        "changelog_url": app.home,
        "date_added": "2024-07-30",
        "description": app.description,
        "home": app.home,
        "host_mounts": [],
        "icon": f"{icons}/icons/icon.svg",
        "keywords": list(app.categories),
        "last_update": "2025-06-12 10:03:11",
        "lib_version": "2.1.35",
        "lib_version_hash": "5b3e9c1f0d2a4e6b8c7d9f1a3b5c7e9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e",
        "maintainers": [
            {"email": "dev@truenas.com", "name": "truenas", "url": "https://www.truenas.com/"}
        ],
        "name": app.name,
        "run_as_context": [
            {
                "description": f"Container [{app.name}] can run as any non-root user and group.",
                "gid": 568,
                "group_name": "Host group is [apps]",
                "uid": 568,
                "user_name": "Host user is [apps]",
            }
        ],
        "screenshots": [f"{icons}/screenshots/screenshot1.png"],
        "sources": [app.home],
        "title": app.title,
        "train": app.train,
        "version": version,
    }


def notes(app: CatalogApp) -> str:
    """The markdown ``notes`` a catalog app's template renders."""
    return (
        f"# {app.title}\n\n{app.description}\n\n"
        "## Bug Reports and Feature Requests\n\n"
        "If you find a bug in this app or have an idea for a new feature, please file an issue at\n"
        "https://github.com/truenas/apps\n"
    )


def web_port(app: CatalogApp, values: dict[str, Any]) -> int:
    """Host port from ``values.network.web_port`` or the app's default."""
    network = values.get("network")
    port = network.get("web_port") if isinstance(network, dict) else None
    return port if isinstance(port, int) and not isinstance(port, bool) else app.default_port


def render(app: CatalogApp, app_name: str, version: str, values: dict[str, Any]) -> dict[str, Any]:
    """Compose document the catalog template renders for ``values`` at ``version``."""
    image = f"{app.repository}:{app.app_version(version)}"
    return {
        "services": {
            app.name: {
                "image": image,
                "environment": {"TZ": str(values.get("TZ", "Etc/UTC"))},
                "ports": [f"{web_port(app, values)}:{app.container_port}"],
                "volumes": [f"/mnt/.ix-apps/app_mounts/{app_name}/config:{app.mount}"],
                "restart": "unless-stopped",
            }
        },
        "x-portals": [
            {
                "name": "Web UI",
                "scheme": "http",
                "host": "0.0.0.0",
                "port": web_port(app, values),
                "path": "/",
            }
        ],
    }
