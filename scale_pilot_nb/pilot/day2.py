"""Day-2 methods of :class:`~scale_pilot_nb.pilot.Pilot`: history, rollback, updates, backups.

The synchronous twins of :class:`~scale_pilot_nb.manager.day2.DayTwoOperations`, one call each
through the pilot's loop runner, returning DataFrames where the manager returns records. Kept apart
from ``pilot.py`` so both stay small; ``Pilot`` inherits them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scale_pilot_nb.manager.doctor import CheckCallback
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.manager.updates import RollbackPlan
from scale_pilot_nb.manager.waiting import DEFAULT_TIMEOUT
from scale_pilot_nb.records import DoctorReport
from scale_pilot_nb.records.outcome import OperationResult
from scale_pilot_nb.rpc import ProgressCallback

if TYPE_CHECKING:
    import pandas as pd

    from scale_pilot_nb.pilot.runner import LoopRunner

__all__ = ["PilotDayTwo", "Progress"]

T = TypeVar("T")

Progress = bool | ProgressCallback | None
"""What ``progress=`` takes, as ``tqdm.auto``: ``True`` (a bar in a notebook, text elsewhere),
``False`` (nothing), a callable ``(percent, description)``, or ``None`` (the default: a bar in
a notebook or on a terminal, nothing otherwise)."""

_M = TrueNASDockerManager


class PilotDayTwo:
    """History, rollback, updates, upgrades, backups, exports and the doctor (mixed into
    ``Pilot``)."""

    manager: TrueNASDockerManager
    _runner: LoopRunner

    def _with_progress(
        self,
        progress: Progress,
        title: str,
        start: Callable[[ProgressCallback | None], Coroutine[Any, Any, T]],
    ) -> T:
        """Run an operation with ``progress`` as the user asked for it.

        ``True`` gives a bar in a notebook and text lines elsewhere (:func:`job_progress`), which
        keeps its final state: 100 % and green when the operation ends well, red with the error
        when it fails. ``None`` means ``True`` in a notebook or on a terminal and nothing
        otherwise; ``False`` reports nothing; a callable is called as it is. Errors inside a
        callback never break the operation (``rpc.notify`` logs them).
        """
        if progress is None:
            from scale_pilot_nb.notebook.widgets.progress import progress_wanted

            progress = progress_wanted()
        if progress is True:
            from scale_pilot_nb.notebook.widgets.progress import job_progress

            bar = job_progress(title)
            try:
                result = self._runner.run(start(bar))
            except BaseException as exc:
                bar.finish(False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                raise
            bar.finish(True)
            return result
        return self._runner.run(start(progress or None))

    # -- history and rollback ----------------------------------------------------------------

    def history(self, name: str | None = None) -> pd.DataFrame:
        """Revisions recorded on this NAS (of ``name``), oldest first: one row each.

        Each is the app as it was just before a change (``action``), with the image digests
        then; ``pilot.rollback(name, revision)`` goes back to one.
        """
        from scale_pilot_nb.notebook.day2_tables import history_frame

        return history_frame(self._runner.run(self.manager.history(name)))

    def diff(self, name: str, a: int, b: int) -> str:
        return self._runner.run(self.manager.diff(name, a, b))

    diff.__doc__ = _M.diff.__doc__

    def rollback(
        self,
        name: str,
        revision: int = -1,
        *,
        version: str | None = None,
        pin_digests: bool = True,
        secrets: Mapping[str, str] | None = None,
        other_nas: bool = False,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        return self._with_progress(
            progress,
            f"rollback {name}",
            lambda cb: self.manager.rollback(
                name,
                revision,
                version=version,
                pin_digests=pin_digests,
                secrets=secrets,
                other_nas=other_nas,
                wait=wait,
                timeout=timeout,
                progress=cb,
            ),
        )

    rollback.__doc__ = _M.rollback.__doc__

    def rollback_plan(
        self,
        name: str,
        revision: int = -1,
        *,
        version: str | None = None,
        pin_digests: bool = True,
        other_nas: bool = False,
    ) -> RollbackPlan:
        return self._runner.run(
            self.manager.rollback_plan(
                name, revision, version=version, pin_digests=pin_digests, other_nas=other_nas
            )
        )

    rollback_plan.__doc__ = _M.rollback_plan.__doc__

    # -- updates ---------------------------------------------------------------------------

    def updates(self) -> pd.DataFrame:
        """One row per app image: image update available, catalog upgrade, target version."""
        from scale_pilot_nb.notebook.day2_tables import updates_frame

        return updates_frame(self._runner.run(self.manager.updates()))

    def update_images(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        return self._with_progress(
            progress,
            f"update images of {name}",
            lambda cb: self.manager.update_images(name, wait=wait, timeout=timeout, progress=cb),
        )

    update_images.__doc__ = _M.update_images.__doc__

    def upgrade_summary(self, name: str, version: str = "latest") -> dict[str, Any]:
        return self._runner.run(self.manager.upgrade_summary(name, version))

    upgrade_summary.__doc__ = _M.upgrade_summary.__doc__

    def upgrade(
        self,
        name: str,
        version: str = "latest",
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        return self._with_progress(
            progress,
            f"upgrade {name}",
            lambda cb: self.manager.upgrade(name, version, wait=wait, timeout=timeout, progress=cb),
        )

    upgrade.__doc__ = _M.upgrade.__doc__

    # -- backups and exports -----------------------------------------------------------------

    def backup(self, name: str | None = None, *, progress: Progress = None) -> OperationResult:
        return self._with_progress(
            progress, "backup", lambda cb: self.manager.backup(name, progress=cb)
        )

    backup.__doc__ = _M.backup.__doc__

    def backups(self) -> pd.DataFrame:
        """The NAS's app backups (25.04+), one row each."""
        from scale_pilot_nb.notebook.day2_tables import backups_frame

        return backups_frame(self._runner.run(self.manager.backups()))

    def restore(
        self,
        name: str,
        *,
        confirm: bool | str = False,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        """Replace *every* installed app with backup ``name``'s. Needs ``confirm=True`` (or
        the backup's name). With ``wait``, follows the apps TrueNAS starts again until
        RUNNING; one outcome per restored app.

        Raises:
            ConfirmationRequired: ``confirm`` was not given.
            UnsupportedError: the NAS runs 24.10.
        """
        if confirm is not True and confirm != name:
            from scale_pilot_nb.pilot.pilot import ConfirmationRequired

            raise ConfirmationRequired(
                f"Restoring backup {name!r} replaces every app and needs an explicit confirmation",
                hint=f"Call pilot.restore({name!r}, confirm=True).",
            )
        return self._with_progress(
            progress,
            f"restore {name}",
            lambda cb: self.manager.restore_backup(name, wait=wait, timeout=timeout, progress=cb),
        )

    def export(self, path: str | os.PathLike[str], *, secrets: bool = False) -> list[Path]:
        return self._runner.run(self.manager.export(path, secrets=secrets))

    export.__doc__ = _M.export.__doc__

    def import_(
        self,
        path: str | os.PathLike[str],
        *,
        dry_run: bool = True,
        secrets: Mapping[str, str] | None = None,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        return self._with_progress(
            progress,
            "import",
            lambda cb: self.manager.import_(
                path, dry_run=dry_run, secrets=secrets, wait=wait, timeout=timeout, progress=cb
            ),
        )

    import_.__doc__ = _M.import_.__doc__

    # -- doctor ------------------------------------------------------------------------------

    def doctor(
        self,
        write: bool = False,
        *,
        timeout: float | None = 300.0,
        on_check: CheckCallback | None = None,
    ) -> DoctorReport:
        return self._runner.run(self.manager.doctor(write, timeout=timeout, on_check=on_check))

    doctor.__doc__ = _M.doctor.__doc__
