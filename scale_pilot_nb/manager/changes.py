"""Running one change on one app: its jobs, then the wait for its state, in one time budget.

Every change follows :mod:`scale_pilot_nb.manager.waiting`'s model. :class:`Change` holds what one
change needs — the deadline, the staged progress, the ids of the jobs it ran — and turns a job
or wait that ran out of time into an :class:`~scale_pilot_nb.manager.health.AppNotReadyError` naming
the app's state, its services and the job that goes on on the NAS. Lifecycle verbs
(:func:`run_lifecycle`), deploys, upgrades, rollbacks and imports all go through it, so they
share one default, one progress bar and one error.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypedDict

from scale_pilot_nb.errors import (
    AppNotFoundError,
    CallTimeoutError,
    InterruptedJob,
    JobFailedError,
    JobFate,
    record_interruption,
)
from scale_pilot_nb.manager import arguments
from scale_pilot_nb.manager.health import explain, service_states
from scale_pilot_nb.manager.waiting import Deadline, StagedProgress
from scale_pilot_nb.records import App, AppState
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult
from scale_pilot_nb.rpc import ProgressCallback, notify

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = ["LIFECYCLE", "Change", "follow_state", "now", "run_lifecycle"]

#: verb -> (its jobs, the state it waits for, its past tense in outcomes). TrueNAS has no
#: restart: it is a stop then a start.
LIFECYCLE: dict[str, tuple[tuple[str, ...], AppState, str]] = {
    "start": (("app.start",), AppState.RUNNING, "started"),
    "stop": (("app.stop",), AppState.STOPPED, "stopped"),
    "restart": (("app.stop", "app.start"), AppState.RUNNING, "restarted"),
    "redeploy": (("app.redeploy",), AppState.RUNNING, "redeployed"),
}


class JobOptions(TypedDict):
    """What :meth:`Change.step` gives a job call."""

    progress: ProgressCallback | None
    timeout: float | None
    on_job: Callable[[int], None]


def now() -> dt.datetime:
    """The current time, timezone-aware (UTC)."""
    return dt.datetime.now(dt.UTC)


class Change:
    """One change on one app within one time budget.

    Args:
        manager: the manager whose connection runs the jobs.
        name: the app.
        timeout: seconds for the jobs and the wait together (``None``: no limit).
        progress: the caller's progress callback.
        wanted: the state the change brings the app to.

    Raises:
        ArgumentError: ``name`` or ``timeout`` is wrong (before anything is sent).
    """

    def __init__(
        self,
        manager: ManagerPort,
        name: str,
        *,
        timeout: float | None,
        progress: ProgressCallback | None,
        wanted: AppState = AppState.RUNNING,
    ) -> None:
        self.manager = manager
        self.name = arguments.app_name(name)
        self.wanted = wanted
        self.deadline = Deadline(timeout)
        self.progress = StagedProgress(progress, self.deadline)
        self.started_at = now()
        self.job_ids: list[int] = []
        self._last_job: tuple[int, str] | None = None

    @contextlib.asynccontextmanager
    async def step(self, method: str) -> AsyncIterator[JobOptions]:
        """Options for one job of the change (its share of the progress bar, what is left of
        the time budget, its id kept); a timeout inside becomes an explained error."""

        def started(job_id: int) -> None:
            self.job_ids.append(job_id)
            self._last_job = (job_id, method)

        options: JobOptions = {
            "progress": self.progress.job,
            "timeout": self.deadline.remaining(),
            "on_job": started,
        }
        try:
            yield options
        except CallTimeoutError as exc:
            raise await self._explained(exc, job_ended=False) from exc

    async def job(self, method: str, *params: Any) -> Any:
        """Run one job of the change (``params`` as the method takes them)."""
        async with self.step(method) as options:
            return await self.manager.run_job(method, *params, app=self.name, **options)

    async def settle(self, *, wait: bool = True) -> App:
        """The app after its jobs: with ``wait``, once it is in the wanted state.

        Raises:
            AppNotReadyError: the time budget ran out first (the job id, state, services).
            AppCrashedError: waiting for RUNNING and the app crashed.
        """
        if not wait:
            return await self.manager.get_app(self.name)
        try:
            app = await follow_state(
                self.manager,
                self.name,
                self.wanted,
                self.deadline.remaining(),
                self.progress.waiting,
            )
        except (CallTimeoutError, JobFailedError) as exc:
            raise await self._explained(exc) from exc
        except asyncio.CancelledError:
            self._interrupted_while_waiting()
            raise
        self.progress.done(f"{self.name}: {app.state.value}")
        return app

    def _interrupted_while_waiting(self) -> None:
        """Ctrl-C after the jobs ended: say so (the change is made; only the wait stopped)."""
        if self._last_job is None:
            return
        job_id, method = self._last_job
        ended = InterruptedJob(method, JobFate.ENDED, self.name, job_id, "SUCCESS")
        record_interruption(self, ended)

    def outcome(self, action: str, app: App | None) -> AppOutcome:
        """This app's outcome, with the jobs run and the time taken."""
        return AppOutcome(
            self.name, action, app, job_ids=tuple(self.job_ids), seconds=self.deadline.elapsed()
        )

    def result(self, operation: str, outcome: AppOutcome, **extra: Any) -> OperationResult:
        """The operation's result for this one app."""
        return OperationResult(
            operation, (outcome,), started_at=self.started_at, finished_at=now(), **extra
        )

    async def _explained(
        self, error: CallTimeoutError | JobFailedError, *, job_ended: bool = True
    ) -> Any:
        return await explain(
            self.manager,
            self.name,
            error,
            wanted=self.wanted,
            timeout=self.deadline.timeout,
            job=self._last_job,
            job_ended=job_ended,
        )


async def run_lifecycle(
    manager: ManagerPort,
    verb: str,
    name: str,
    *,
    wait: bool,
    timeout: float | None,
    progress: ProgressCallback | None,
) -> OperationResult:
    """``start``/``stop``/``restart``/``redeploy`` ``name``; see :data:`LIFECYCLE`.

    ``start`` of a RUNNING app and ``stop`` of a STOPPED one return at once (no job, outcome
    ``unchanged``), as ``docker compose up`` does for a service already up.
    """
    methods, wanted, done = LIFECYCLE[verb]
    change = Change(manager, name, timeout=timeout, progress=progress, wanted=wanted)
    if verb in ("start", "stop"):
        current = await manager.get_app(name)
        if current.state == wanted:
            change.progress.done(f"{name}: already {wanted.value}")
            return change.result(verb, change.outcome("unchanged", current))
    for method in methods:
        await change.job(method, name)
    app = await change.settle(wait=wait)
    return change.result(verb, change.outcome(done, app))


async def follow_state(
    manager: ManagerPort,
    name: str,
    wanted: AppState,
    timeout: float | None,
    progress: ProgressCallback | None,
) -> App:
    """Wait until ``name`` is in ``wanted``, driven by ``app.query`` events (never polling).

    ``progress`` hears ``(None, "NAME: STATE (service: state, …)")`` at every change.

    Raises:
        JobFailedError: waiting for RUNNING and the app CRASHED.
        CallTimeoutError: ``timeout`` passed first (the message says the last state).
        AppNotFoundError: the app does not exist (or was deleted meanwhile).
    """
    last: App | None = None
    try:
        async with asyncio.timeout(timeout), manager.client.subscribe("app.query") as events:
            last = await manager.get_app(name)
            _report_services(progress, last)
            if _reached(last, wanted):
                return last
            async for event in events:
                if event.id != name:
                    continue
                if event.msg == "removed":
                    raise AppNotFoundError(f"App {name!r} was deleted", errname="ENOENT")
                last = App.from_api(event.fields)
                _report_services(progress, last)
                if _reached(last, wanted):
                    return last
    except TimeoutError:
        pass
    seen = last.state.value if last else "unknown"
    raise CallTimeoutError(
        f"App {name!r} did not become {wanted.value} within {timeout} s (last: {seen})",
        hint="Look at its logs: pilot.logs(name) or `scale-compose logs NAME`.",
    )


def _report_services(progress: ProgressCallback | None, app: App) -> None:
    if progress is not None:
        states = ", ".join(f"{s}: {st}" for s, st in sorted(service_states(app).items()))
        notify(
            progress, None, f"{app.name}: {app.state.value}" + (f" ({states})" if states else "")
        )


def _reached(app: App, wanted: AppState) -> bool:
    if app.state == wanted:
        return True
    if wanted == AppState.RUNNING and app.state == AppState.CRASHED:
        raise JobFailedError(
            f"App {app.name!r} crashed",
            state="CRASHED",
            hint="Look at its logs: pilot.logs(name) or `scale-compose logs NAME`.",
        )
    return False
