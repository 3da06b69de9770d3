"""Day-2 operations of :class:`~scale_pilot_nb.manager.TrueNASDockerManager`.

History and rollback, image updates and catalog upgrades, backups, exports, the doctor: each
method is a thin entry point into its module of this package (``history`` via the recorder,
``updates``, ``backups``, ``exports``, ``doctor``), kept apart from the manager's core so both
stay small. The manager inherits them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from scale_pilot_nb.manager import arguments, backups, doctor, exports, updates
from scale_pilot_nb.manager.doctor import CheckCallback
from scale_pilot_nb.manager.history import Revision, RevisionNotFoundError
from scale_pilot_nb.manager.waiting import DEFAULT_TIMEOUT
from scale_pilot_nb.records import DoctorReport
from scale_pilot_nb.records.outcome import OperationResult
from scale_pilot_nb.rpc import ProgressCallback

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort
    from scale_pilot_nb.manager.recorder import Recorder

__all__ = ["DayTwoOperations"]


class DayTwoOperations:
    """History, rollback, updates, upgrades, backups, exports and the doctor (mixed into the
    manager)."""

    recorder: Recorder | None

    @property
    def _manager(self) -> ManagerPort:
        """This object as the operations see it: the manager this class is mixed into."""
        return cast("ManagerPort", self)

    # -- history ---------------------------------------------------------------------------

    async def record(self, action: str, name: str) -> Revision | None:
        """Record how ``name`` is now, before ``action`` changes it (None: history is off)."""
        return await self.recorder.before(action, name) if self.recorder else None

    async def history(self, name: str | None = None) -> list[Revision]:
        """Revisions recorded on this NAS (of ``name`` when given), oldest first."""
        if name is not None:
            arguments.app_name(name)
        return await self.recorder.revisions(name) if self.recorder else []

    async def diff(self, name: str, a: int, b: int) -> str:
        """Unified diff (YAML) of revisions ``a`` and ``b`` of ``name``; negative = from the end.

        Raises:
            RevisionNotFoundError: no such revision (or history is off).
        """
        arguments.app_name(name)
        arguments.integer(a, "revision a")
        arguments.integer(b, "revision b")
        if self.recorder is None:
            raise RevisionNotFoundError("History recording is off for this manager")
        return await self.recorder.diff(name, a, b)

    async def rollback(
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
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Roll ``name`` back; the kind of app decides how.

        Custom apps: redeploy history ``revision`` (-1: as it was before the last change),
        images pinned to the digests recorded then (``pin_digests``) so ``:latest`` cannot
        drift. Secrets redacted in the history must be given in ``secrets``
        (``VARIABLE`` or ``service.VARIABLE`` -> value). Catalog apps: ``app.rollback`` to
        ``version`` (default: the newest older version ``app.rollback_versions`` offers).

        Raises:
            SecretsRequiredError: lists the secret names the revision needs.
            RevisionNotFoundError: no such revision, or the app did not exist then.
            OtherNasRevisionError: the revision was recorded on another NAS (or before NAS
                boxes were told apart); pass ``other_nas=True`` to restore it anyway.
        """
        arguments.app_name(name)
        arguments.integer(revision, "revision")
        arguments.optional_text(version, "version")
        return await updates.rollback(
            self._manager,
            name,
            revision=revision,
            version=version,
            pin_digests=pin_digests,
            secrets=secrets,
            other_nas=other_nas,
            wait=wait,
            timeout=timeout,
            progress=progress,
        )

    async def rollback_plan(
        self,
        name: str,
        revision: int = -1,
        *,
        version: str | None = None,
        pin_digests: bool = True,
        other_nas: bool = False,
    ) -> updates.RollbackPlan:
        """What :meth:`rollback` with these arguments would change, changing nothing.

        Custom apps: the unified diff (YAML, secret values redacted) from the stored config
        now to the one the rollback stores, the revision chosen as the rollback chooses it.
        Catalog apps: the version now and the one rolled back to. Show it before asking.

        Raises:
            As :meth:`rollback`, except ``SecretsRequiredError`` (no secret is needed).
        """
        arguments.app_name(name)
        arguments.integer(revision, "revision")
        arguments.optional_text(version, "version")
        return await updates.rollback_plan(
            self._manager,
            name,
            revision=revision,
            version=version,
            pin_digests=pin_digests,
            other_nas=other_nas,
        )

    # -- updates ---------------------------------------------------------------------------

    async def updates(self) -> list[dict[str, Any]]:
        """One row per app image: image update available, catalog upgrade and target version."""
        return await updates.update_rows(self._manager)

    async def update_images(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Pull newer images for ``name``'s tags (``app.pull_images``) and redeploy it."""
        return await updates.update_images(
            self._manager, name, wait=wait, timeout=timeout, progress=progress
        )

    async def upgrade_summary(self, name: str, version: str = "latest") -> dict[str, Any]:
        """What upgrading the catalog app ``name`` to ``version`` would do, changing nothing:
        TrueNAS's ``app.upgrade_summary`` (``upgrade_version``, ``upgrade_human_version``,
        ``latest_version``, ``available_versions_for_upgrade``, ``changelog`` …).

        Raises:
            AppNotFoundError: no such app.
            NotCatalogAppError: a custom app (its upgrade is :meth:`update_images`).
            ApiError: the NAS offers no upgrade for it, or no such version.
        """
        arguments.app_name(name)
        arguments.text(version, "version")
        return await updates.upgrade_summary(self._manager, name, version)

    async def upgrade(
        self,
        name: str,
        version: str = "latest",
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Upgrade a catalog app; ``details["summary"]`` holds its :meth:`upgrade_summary`.

        Raises:
            NotCatalogAppError: a custom app (its upgrade is :meth:`update_images`).
        """
        return await updates.upgrade(
            self._manager, name, version, wait=wait, timeout=timeout, progress=progress
        )

    # -- backups and exports -----------------------------------------------------------------

    async def backup(
        self, name: str | None = None, *, progress: ProgressCallback | None = None
    ) -> OperationResult:
        """Back up every app (``docker.backup``, 25.04+); ``details["backup"]`` is its name.

        Raises:
            UnsupportedError: the NAS runs 24.10 (use :meth:`export` there).
        """
        arguments.optional_text(name, "backup name")
        return await backups.backup(self._manager, name, progress=progress)

    async def backups(self) -> list[dict[str, Any]]:
        """The NAS's app backups, one dict per backup (25.04+)."""
        return await backups.backup_rows(self._manager)

    async def restore_backup(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Replace every installed app with backup ``name``'s (25.04+); with ``wait``, until
        the apps TrueNAS starts again are RUNNING (one outcome per app).

        No confirmation here: ``Pilot.restore`` and the CLI ask for one.
        """
        arguments.text(name, "backup name")
        return await backups.restore_backup(
            self._manager, name, wait=wait, timeout=timeout, progress=progress
        )

    async def delete_backup(self, name: str) -> None:
        """Delete backup ``name`` (25.04+)."""
        arguments.text(name, "backup name")
        await backups.delete_backup(self._manager, name)

    async def export(self, path: str | os.PathLike[str], *, secrets: bool = False) -> list[Path]:
        """Write every app's stored config and local history to ``path/<app>.yaml``.

        Secret values are redacted unless ``secrets``.
        """
        arguments.path(path, "export folder")
        return await exports.export_apps(self._manager, path, secrets=secrets)

    async def import_(
        self,
        path: str | os.PathLike[str],
        *,
        dry_run: bool = True,
        secrets: Mapping[str, str] | None = None,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Plan (default) or, with ``dry_run=False``, deploy the apps exported into ``path``."""
        arguments.path(path, "export folder")
        return await exports.import_apps(
            self._manager,
            path,
            dry_run=dry_run,
            secrets=secrets,
            wait=wait,
            timeout=timeout,
            progress=progress,
        )

    # -- doctor ------------------------------------------------------------------------------

    async def doctor(
        self,
        write: bool = False,
        *,
        timeout: float | None = 300.0,
        on_check: CheckCallback | None = None,
    ) -> DoctorReport:
        """Check this NAS and what the SDK can do on it; one row per check.

        Read-only by default: release, endpoint, TLS, auth method, apps service, pools,
        ``app.ip_choices``, login rate-limit headroom and the features of this release. With
        ``write=True`` it also creates, updates, stops and deletes the throwaway custom app
        ``scale-pilot-selftest`` (``busybox:1.37``), timing each step and deleting it even
        after a failed step. It touches no other app, and refuses (a ``fail`` row) when an
        app of that name exists that doctor did not make.

        Args:
            write: also run the write checks.
            timeout: seconds each deploy step may wait for the app to be RUNNING.
            on_check: called with each check as it finishes (on the event loop).

        Raises:
            ConnectionError / AuthenticationError: the NAS could not be reached at all;
                every other problem is a ``fail`` row of the report.
        """
        return await doctor.run_doctor(
            self._manager, write=write, timeout=timeout, on_check=on_check
        )
