"""Recording revisions from a manager: who the NAS is, what the app is now, which digests.

The manager calls :meth:`Recorder.before` right before each mutating job; the recorder reads
the app's stored config and the digests its image tags resolve to, and appends a revision to
the :class:`~scale_pilot_nb.manager.history.HistoryStore`. Higher-level operations (rollback, image
updates, upgrades) label the records their inner create/update makes with :func:`acting_as`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scale_pilot_nb.manager.history import (
    HistoryStore,
    NasIdentity,
    Revision,
    compose_images,
    default_history_path,
)

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = ["HistorySetting", "Recorder", "acting_as", "image_digests", "open_store"]

#: What a manager accepts as ``history``: on (default file), off, a file, or a store.
HistorySetting = HistoryStore | str | os.PathLike[str] | bool | None

_ACTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("history_action", default=None)


@contextlib.contextmanager
def acting_as(action: str) -> Iterator[None]:
    """Label the revisions recorded inside this block ``action`` (e.g. ``rollback``)."""
    token = _ACTION.set(action)
    try:
        yield
    finally:
        _ACTION.reset(token)


def open_store(setting: HistorySetting, *, secrets: bool = False) -> HistoryStore | None:
    """The store a ``history=`` argument means (None: recording is off)."""
    if isinstance(setting, HistoryStore):
        return setting
    if setting is None or setting is False:
        return None
    if setting is True:
        path = default_history_path()
        return None if path is None else HistoryStore(path, secrets=secrets)
    return HistoryStore(setting, secrets=secrets)


def image_digests(images: list[dict[str, Any]]) -> dict[str, str]:
    """``repo:tag`` -> ``sha256:…`` from ``app.image.query`` entries (``repo_digests``)."""
    digests: dict[str, str] = {}
    for image in images:
        found = [d.partition("@")[2] for d in image.get("repo_digests") or [] if "@" in d]
        if not found:
            continue
        for tag in image.get("repo_tags") or []:
            if tag != "<none>:<none>":
                digests[tag] = found[0]
    return digests


class Recorder:
    """Records revisions for one manager.

    Args:
        manager: the manager whose NAS is recorded.
        store: where revisions go.
        tool: ``sdk``, ``cli`` or ``ai`` (who drove the change).
    """

    def __init__(self, manager: ManagerPort, store: HistoryStore, tool: str) -> None:
        self._manager = manager
        self.store = store
        self.tool = tool
        self._identity: NasIdentity | None = None

    async def identity(self) -> NasIdentity:
        """Who the NAS is: serial number, host name and the address it is reached at."""
        if self._identity is None:
            info = await self._manager.client.call("system.info")
            info = info if isinstance(info, Mapping) else {}
            address = urlsplit(self._manager.client.url or "").netloc or "unknown"
            serial = str(info.get("system_serial") or "")
            self._identity = NasIdentity(serial, str(info.get("hostname") or address), address)
        return self._identity

    async def before(self, action: str, name: str) -> Revision | None:
        """Record how ``name`` is now, just before ``action`` changes it.

        Nothing is recorded (None) when the app does not exist and ``action`` is not a
        create: that change is about to fail anyway.
        """
        nas = await self.identity()
        entry = await self._manager.find_app(name)
        if entry is None and action != "create":
            return None
        config: dict[str, Any] | None = None
        digests: dict[str, str] = {}
        if entry is not None:
            config, images = await asyncio.gather(
                self._manager.app_config(name), self._manager.client.call("app.image.query")
            )
            wanted = set(compose_images(config)) | set(
                (entry.get("active_workloads") or {}).get("images") or []
            )
            digests = {tag: d for tag, d in image_digests(images).items() if tag in wanted}
        return await asyncio.to_thread(
            self.store.record,
            app=name,
            action=_ACTION.get() or action,
            nas=nas,
            nas_host=nas.hostname,
            config=config,
            custom_app=None if entry is None else bool(entry.get("custom_app")),
            app_version=None if entry is None else entry.get("version"),
            digests=digests,
            tool=self.tool,
        )

    async def revisions(self, name: str | None = None) -> list[Revision]:
        """Revisions recorded on this NAS (of ``name`` when given), oldest first; rows recorded
        before NAS boxes were told apart are included (their ``nas`` is the serial alone)."""
        nas = await self.identity()
        return await asyncio.to_thread(self.store.revisions, name, nas)

    async def get(self, name: str, revision: int) -> Revision:
        """One revision of ``name`` on this NAS (negative: from the end)."""
        nas = await self.identity()
        return await asyncio.to_thread(self.store.get, name, nas, revision)

    async def diff(self, name: str, a: int, b: int) -> str:
        """Unified diff of two revisions of ``name`` on this NAS."""
        nas = await self.identity()
        return await asyncio.to_thread(self.store.diff, name, nas, a, b)
