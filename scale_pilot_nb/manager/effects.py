"""Success only once the NAS shows it: the app a create made, the app a delete removed.

A job's SUCCESS is the word of whichever job the client ended up following. After a dropped
connection that may be another one than the call started (the middleware restarted and gave
its id away, or another client made the same call meanwhile), so an operation that reports an
app created or deleted first asks ``app.query`` whether that is what the NAS has now. When it
is not, the outcome of the call is unknown: the caller is told so, never told it succeeded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scale_pilot_nb.errors import RequestOutcomeUnknown

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = ["app_created", "app_deleted"]


async def app_created(manager: ManagerPort, name: str) -> dict[str, Any]:
    """The NAS's entry of ``name`` after a create reported success.

    Raises:
        RequestOutcomeUnknown: the NAS lists no such app.
    """
    entry = await manager.find_app(name)
    if entry is None:
        raise _not_shown("app.create", f"the NAS lists no app {name!r}")
    return entry


async def app_deleted(manager: ManagerPort, name: str) -> None:
    """Return once the NAS no longer lists ``name``, after a delete reported success.

    Raises:
        RequestOutcomeUnknown: the NAS still lists the app.
    """
    entry = await manager.find_app(name)
    if entry is not None:
        raise _not_shown("app.delete", f"the NAS still lists app {name!r} ({entry.get('state')})")


def _not_shown(method: str, what: str) -> RequestOutcomeUnknown:
    return RequestOutcomeUnknown(
        f"{method}: the job reported success, but {what}; the job followed may not have been "
        "this call's (the middleware restarted?)",
        method=method,
        sent=True,
    )
