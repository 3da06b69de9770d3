"""One wait model for every change: a deadline over the job *and* the wait for the app's state.

Every change (deploy, start, stop, restart, redeploy, rollback, upgrade, image update, import,
restore) takes ``wait=True`` and ``timeout=DEFAULT_TIMEOUT``, like ``docker compose up --wait
--wait-timeout``: the TrueNAS job runs first, then — with ``wait`` — the call follows
``app.query`` events until the app is in the wanted state (RUNNING means every container is up
and healthy: TrueNAS shows an unhealthy container as ``starting``). ``timeout`` bounds both
together; when it runs out the job goes on on the NAS and the caller gets an
:class:`.health.AppNotReadyError` naming the app's state, each service's state and the job
id.

:class:`StagedProgress` keeps one bar for both phases: the job's percent fills the bar up to
:data:`JOB_SHARE`, the wait for health continues from there with the elapsed time, and the bar
reaches 100 % only when the app is in the wanted state.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI's parser reads DEFAULT_TIMEOUT without loading the rpc stack
    from scale_pilot_nb.rpc import ProgressCallback

__all__ = ["DEFAULT_TIMEOUT", "JOB_SHARE", "Deadline", "StagedProgress", "check_timeout"]

#: Seconds a change may take, job and wait for health together: a few minutes (an image pull
#: on a slow line fits; a service that never gets healthy is reported well before ten).
DEFAULT_TIMEOUT = 300.0

#: Share of the bar given to the job; the wait for the app's state fills the rest.
JOB_SHARE = 90


def check_timeout(timeout: float | None) -> float | None:
    """``timeout`` if it is a positive number of seconds or ``None``.

    Raises:
        ArgumentError: anything else (checked before anything is sent).
    """
    from scale_pilot_nb.errors import ArgumentError

    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise ArgumentError(
                f"timeout must be a number of seconds or None, not {type(timeout).__name__}"
            )
        if not timeout > 0:
            raise ArgumentError(f"timeout must be more than 0 seconds, not {timeout!r}")
    return timeout


class Deadline:
    """The end of a change's time budget (``None``: no limit).

    Args:
        timeout: seconds from now, or ``None``.

    Raises:
        ArgumentError: ``timeout`` is not a positive number (checked before anything is sent).
    """

    def __init__(self, timeout: float | None) -> None:
        self.timeout = check_timeout(timeout)
        self._started = time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the change began."""
        return time.monotonic() - self._started

    def remaining(self) -> float | None:
        """Seconds left (at least a tiny positive amount, so a call still times out cleanly)."""
        if self.timeout is None:
            return None
        return max(0.001, self.timeout - self.elapsed())


class StagedProgress:
    """One progress callback for a job followed by a wait for the app's state.

    Args:
        progress: the caller's callback (``None``: nothing is reported).
        deadline: the change's deadline, for the elapsed time shown while waiting.
    """

    def __init__(self, progress: ProgressCallback | None, deadline: Deadline) -> None:
        self._progress = progress
        self._deadline = deadline
        self._percent = 0

    @property
    def job(self) -> ProgressCallback | None:
        """The callback for the job's own ``(percent, description)`` (scaled to the job share)."""
        if self._progress is None:
            return None
        return self._on_job

    @property
    def waiting(self) -> ProgressCallback | None:
        """The callback for the wait: the bar stays where the job left it, with elapsed time."""
        if self._progress is None:
            return None
        return self._on_wait

    def done(self, description: str) -> None:
        """The app is in the wanted state: 100 %."""
        self._percent = 100
        self._notify(description)

    def _on_job(self, percent: int | None, description: str) -> None:
        if percent is not None:
            self._percent = max(self._percent, int(percent) * JOB_SHARE // 100)
        self._notify(description)

    def _on_wait(self, percent: int | None, description: str) -> None:
        self._percent = max(self._percent, JOB_SHARE)
        self._notify(f"{description} · {self._deadline.elapsed():.0f} s")

    def _notify(self, description: str) -> None:
        from scale_pilot_nb.rpc import notify

        notify(self._progress, self._percent, description)
