"""Day-2 methods of :class:`~scale_pilot_nb.pilot.Pilot`: history, rollback, updates, backups.

The synchronous twins of :class:`~scale_pilot_nb.day2.DayTwoOperations`, one call each through
the pilot's loop runner, returning DataFrames where the manager returns records. Kept apart
from ``pilot.py`` so both stay small; ``Pilot`` inherits them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from scale_pilot_nb.doctor import CheckCallback
from scale_pilot_nb.manager import TrueNASDockerManager
from scale_pilot_nb.records import App, DoctorReport
from scale_pilot_nb.records.outcome import OperationResult
from scale_pilot_nb.updates import UpgradeResult

if TYPE_CHECKING:
    import pandas as pd

    from scale_pilot_nb.runner import LoopRunner

__all__ = ["PilotDayTwo"]

_M = TrueNASDockerManager


class PilotDayTwo:
    """History, rollback, updates, upgrades, backups, exports and the doctor (mixed into
    ``Pilot``)."""

    manager: TrueNASDockerManager
    _runner: LoopRunner

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
        timeout: float | None = 600.0,
    ) -> OperationResult:
        return self._runner.run(
            self.manager.rollback(
                name,
                revision,
                version=version,
                pin_digests=pin_digests,
                secrets=secrets,
                timeout=timeout,
            )
        )

    rollback.__doc__ = _M.rollback.__doc__

    # -- updates ---------------------------------------------------------------------------

    def updates(self) -> pd.DataFrame:
        """One row per app image: image update available, catalog upgrade, target version."""
        from scale_pilot_nb.notebook.day2_tables import updates_frame

        return updates_frame(self._runner.run(self.manager.updates()))

    def update_images(self, name: str, *, timeout: float | None = 600.0) -> App:
        return self._runner.run(self.manager.update_images(name, timeout=timeout))

    update_images.__doc__ = _M.update_images.__doc__

    def upgrade(
        self, name: str, version: str = "latest", *, timeout: float | None = 600.0
    ) -> UpgradeResult:
        return self._runner.run(self.manager.upgrade(name, version, timeout=timeout))

    upgrade.__doc__ = _M.upgrade.__doc__

    # -- backups and exports -----------------------------------------------------------------

    def backup(self, name: str | None = None) -> str:
        return self._runner.run(self.manager.backup(name))

    backup.__doc__ = _M.backup.__doc__

    def backups(self) -> pd.DataFrame:
        """The NAS's app backups (25.04+), one row each."""
        from scale_pilot_nb.notebook.day2_tables import backups_frame

        return backups_frame(self._runner.run(self.manager.backups()))

    def restore(self, name: str, *, confirm: bool | str = False) -> None:
        """Replace *every* installed app with backup ``name``'s. Needs ``confirm=True`` (or
        the backup's name).

        Raises:
            ConfirmationRequired: ``confirm`` was not given.
            UnsupportedError: the NAS runs 24.10.
        """
        if confirm is not True and confirm != name:
            from scale_pilot_nb.pilot import ConfirmationRequired

            raise ConfirmationRequired(
                f"Restoring backup {name!r} replaces every app and needs an explicit confirmation",
                hint=f"Call pilot.restore({name!r}, confirm=True).",
            )
        self._runner.run(self.manager.restore_backup(name))

    def export(self, path: str | os.PathLike[str], *, secrets: bool = False) -> list[Path]:
        return self._runner.run(self.manager.export(path, secrets=secrets))

    export.__doc__ = _M.export.__doc__

    def import_(
        self,
        path: str | os.PathLike[str],
        *,
        dry_run: bool = True,
        secrets: Mapping[str, str] | None = None,
        timeout: float | None = 600.0,
    ) -> OperationResult:
        return self._runner.run(
            self.manager.import_(path, dry_run=dry_run, secrets=secrets, timeout=timeout)
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
