"""Live app inventory from the ``app.query`` collection events.

TrueNAS publishes ``ADDED``/``CHANGED``/``REMOVED`` on ``app.query`` as apps change (docker
events included). :func:`watch_apps` subscribes *before* it lists the apps, so no change
falls between the list and the first event, then yields the current apps as ``"initial"``
and every change after. A ``CHANGED`` event may carry only the keys that changed (the stop
in progress sends ``{"state": "STOPPING"}``), so every added or changed app is queried again
rather than pieced together from the event; a removed app is reported with its last record.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Literal

from scale_pilot_nb.manager import arguments
from scale_pilot_nb.manager.waiting import check_timeout
from scale_pilot_nb.records import App

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = ["WatchEvent", "watch_apps"]

#: What happened to the app of a watch item; ``"initial"`` for the apps there at the start.
WatchEvent = Literal["initial", "added", "changed", "removed"]


async def watch_apps(
    manager: ManagerPort, name: str | None = None, *, timeout: float | None = None
) -> AsyncIterator[tuple[WatchEvent, App]]:
    """Yield ``(event, app)`` for the apps now installed, then for every change.

    Args:
        name: watch only this app (its ``"initial"`` item is missing if it does not exist).
        timeout: stop, without an error, after this many seconds (None: only when the caller
            stops iterating or the NAS ends the subscription).

    Raises:
        ArgumentError: a bad ``name`` or ``timeout`` (nothing is asked).
    """
    if name is not None:
        arguments.app_name(name)
    check_timeout(timeout)
    loop = asyncio.get_running_loop()
    ends = None if timeout is None else loop.time() + timeout
    known: dict[str, App] = {}
    async with manager.client.subscribe("app.query") as subscription:
        filters = None if name is None else [["name", "=", name]]
        for app in await manager.list_apps(filters):
            known[app.name] = app
            yield "initial", app
        events = aiter(subscription)
        while True:
            wait = None if ends is None else ends - loop.time()
            if wait is not None and wait <= 0:
                return
            try:
                event = await asyncio.wait_for(anext(events), wait)
            except (StopAsyncIteration, TimeoutError):
                return
            changed = str(event.id if event.id is not None else (event.fields or {}).get("name"))
            if name is not None and changed != name:
                continue
            if event.msg == "removed":
                if changed in known:
                    yield "removed", known.pop(changed)
                continue
            entry = await manager.find_app(changed)
            if entry is None:
                continue  # gone again: its removal comes next
            known[changed] = App.from_api(entry)
            yield event.msg, known[changed]
