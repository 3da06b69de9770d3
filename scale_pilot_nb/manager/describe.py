"""Everything about one app in one record: the app, its recent jobs, revisions and diagnosis.

What ``kubectl describe`` is to a pod: the app as ``app.query`` reports it (containers,
published ports, mounts), the last ``app.*`` jobs that named it, the last revisions recorded
before its changes, and, when it is CRASHED or DEPLOYING, why (:func:`.health.diagnosis`: the
failing service, its last log lines and a hint).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.manager.health import Diagnosis, diagnosis
from scale_pilot_nb.manager.history import Revision
from scale_pilot_nb.records import App, AppState, Job
from scale_pilot_nb.records._base import Record, entries_of
from scale_pilot_nb.rpc.jobs import app_name_of

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = ["RECENT", "AppDescription", "describe_app"]

#: Jobs and revisions shown: the last this many.
RECENT = 5

#: App states worth a diagnosis: the app is not (yet) up although it should be.
_TROUBLED = (AppState.CRASHED, AppState.DEPLOYING)


@dataclass(frozen=True, repr=False)
class AppDescription(Record):
    """One app described.

    Attributes:
        app: the app (containers, ports and volumes included).
        jobs: its last ``app.*`` jobs the NAS still lists, oldest first.
        revisions: its last revisions in the local history, oldest first.
        diagnosis: why it is not up, when it is CRASHED or DEPLOYING; else None.
    """

    app: App
    jobs: tuple[Job, ...] = ()
    revisions: tuple[Revision, ...] = ()
    diagnosis: Diagnosis | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data; timestamps ISO 8601 (revisions are not records, so said here)."""
        return {**super().to_dict(), "revisions": [r.to_dict() for r in self.revisions]}

    def __repr__(self) -> str:
        return (
            f"AppDescription({self.app.name!r}, state={self.app.state.value}, "
            f"jobs={len(self.jobs)}, revisions={len(self.revisions)})"
        )


async def describe_app(manager: ManagerPort, name: str) -> AppDescription:
    """Describe app ``name``.

    Raises:
        AppNotFoundError: there is no such app.
    """
    app = await manager.get_app(name)
    revisions = await manager.history(name)
    return AppDescription(
        app=app,
        jobs=await _recent_jobs(manager, name),
        revisions=tuple(revisions[-RECENT:]),
        diagnosis=await diagnosis(manager, app) if app.state in _TROUBLED else None,
    )


async def _recent_jobs(manager: ManagerPort, name: str) -> tuple[Job, ...]:
    """The last :data:`RECENT` ``app.*`` jobs acting on ``name``, oldest first."""
    rows = await manager.client.call(
        "core.get_jobs", [["method", "^", "app."]], {"order_by": ["-id"]}
    )
    jobs = (Job.from_api(row) for row in entries_of(rows, "core.get_jobs"))
    mine = [job for job in jobs if app_name_of(job.method, job.arguments) == name]
    return tuple(reversed(mine[:RECENT]))
