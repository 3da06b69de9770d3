"""Export every app's stored configuration (and its local history) to YAML; import it elsewhere.

TrueNAS has no ``app.export``/``app.import``, and its backups (25.04+) stay on the NAS. An export
directory holds one ``<app>.yaml`` per app — readable, diffable, fit for git — that
:func:`import_apps` plans (``dry_run``) and deploys on another NAS: custom apps through the
normal deploy flow (validated, idempotent), catalog apps as a fresh ``app.create`` of the same
catalog app, train, version and values.

Secret values (environment of custom apps, secret-named values of catalog apps) are written
only with ``secrets=True``; otherwise they are redacted and the import asks for them.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.redaction import fill_secrets, redact
from scale_pilot_nb.compose.rules_truenas import app_name_problem
from scale_pilot_nb.config.atomic import replace_file
from scale_pilot_nb.errors import ComposeLoadError, ConfigError, TrueNASError
from scale_pilot_nb.manager.changes import Change, now
from scale_pilot_nb.manager.history import SecretsRequiredError
from scale_pilot_nb.manager.waiting import DEFAULT_TIMEOUT, check_timeout
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult
from scale_pilot_nb.records.system import SystemInfo
from scale_pilot_nb.rpc import ProgressCallback

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = ["EXPORT_FORMAT", "export_apps", "import_apps"]

#: Version of the export file layout.
EXPORT_FORMAT = 1
#: Largest export file read (one app's config and history is a few hundred KiB at most).
MAX_EXPORT_BYTES = 4 * 1024 * 1024
#: Most values one export file may expand to, and how deep it may nest.
MAX_EXPORT_VALUES = 500_000
MAX_EXPORT_DEPTH = 64


async def export_apps(
    manager: ManagerPort, path: str | os.PathLike[str], *, secrets: bool = False
) -> list[Path]:
    """Write ``<app>.yaml`` for every app into directory ``path``; returns the files.

    Files are written only inside ``path``: app names come from the NAS and are checked with
    TrueNAS's app-name rule before they name a file, and each file is replaced atomically,
    never written through a symlink found in the directory.

    Raises:
        ConfigError: ``path`` cannot be created or written.
        TrueNASError: the NAS lists an app whose name is no valid app name (nothing written).
    """
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(directory, exc) from None
    host = SystemInfo.from_api(await manager.client.call("system.info")).hostname
    entries = await manager.query_apps()
    for entry in entries:
        _check_app_name(entry.get("name"))
    written = []
    for entry in entries:
        name = str(entry["name"])
        custom = bool(entry.get("custom_app"))
        config = _exported(await manager.app_config(name), custom, secrets)
        history = []
        for revision in await manager.history(name):
            item = revision.to_dict(secrets=True)  # _exported redacts unless secrets
            if item["config"] is not None:
                item["config"] = _exported(item["config"], bool(revision.custom_app), secrets)
            history.append(item)
        metadata = entry.get("metadata") or {}
        document = {
            "format": EXPORT_FORMAT,
            "app": name,
            "exported_from": host,
            "custom_app": custom,
            "catalog_app": None if custom else metadata.get("name"),
            "train": None if custom else metadata.get("train"),
            "version": entry.get("version"),
            "state": entry.get("state"),
            "config": config,
            "history": history,
        }
        target = directory / f"{name}.yaml"
        try:
            replace_file(directory, target.name, yaml.safe_dump(document, sort_keys=False), secrets)
        except OSError as exc:
            raise _unwritable(target, exc) from None
        written.append(target)
    return written


def _check_app_name(name: Any) -> None:
    """Refuse a name from the NAS that TrueNAS itself would refuse (``../x``, ``/etc/x`` …)."""
    problem = app_name_problem(name) if isinstance(name, str) else "app name is not text"
    if problem is not None:
        raise TrueNASError(
            f"The NAS lists an app the export cannot name a file after: {problem}",
            hint="Nothing was written. Check the NAS's apps (app.query) for a damaged entry.",
        )


async def import_apps(
    manager: ManagerPort,
    path: str | os.PathLike[str],
    *,
    dry_run: bool = True,
    secrets: Mapping[str, str] | None = None,
    wait: bool = True,
    timeout: float | None = DEFAULT_TIMEOUT,
    progress: ProgressCallback | None = None,
) -> OperationResult:
    """Plan (``dry_run``) or deploy every app exported into ``path``.

    With ``wait`` each app is followed until it is in its exported state (RUNNING or
    STOPPED); ``timeout`` bounds each app's part, as in a bulk run. One app's failure does not
    stop the others: its outcome says ``failed`` and why.

    Raises:
        ConfigError: ``path`` holds no export files, or one is not an export file.
    """
    check_timeout(timeout)
    started_at = now()
    documents = _load(Path(path))
    outcomes: list[AppOutcome] = []
    plans: dict[str, Any] = {}
    for document in documents:
        name = document["app"]
        step = _Step(manager, dry_run, secrets, wait, timeout, progress)
        try:
            if document["custom_app"]:
                outcome = await _import_custom(step, document, plans)
            else:
                outcome = await _import_catalog(step, document)
        except TrueNASError as exc:
            outcome = AppOutcome.failure(name, exc)
        outcomes.append(outcome)
    return OperationResult(
        "import", tuple(outcomes), plans, started_at=started_at, finished_at=now()
    )


@dataclasses.dataclass(frozen=True)
class _Step:
    """How one app is imported (the import's settings and what is left of its time)."""

    manager: ManagerPort
    dry_run: bool
    secrets: Mapping[str, str] | None
    wait: bool
    timeout: float | None
    progress: ProgressCallback | None


async def _import_custom(
    step: _Step, document: Mapping[str, Any], plans: dict[str, Any]
) -> AppOutcome:
    name = document["app"]
    config, missing = fill_secrets(document["config"], step.secrets)
    if missing:
        raise SecretsRequiredError(f"{name}: secrets were not exported", missing=missing)
    stopped = document.get("state") == "STOPPED"
    result = await step.manager.deploy(
        config,
        name,
        dry_run=step.dry_run,
        wait=step.wait and not stopped,
        timeout=step.timeout,
        progress=step.progress,
    )
    plans.update(result.plans)
    if step.dry_run and result.plans[name].action == "noop":
        return AppOutcome(name, "unchanged")
    return await _keep_stopped(step, result[name], stopped)


async def _import_catalog(step: _Step, document: Mapping[str, Any]) -> AppOutcome:
    name = document["app"]
    if await step.manager.find_app(name) is not None:
        return AppOutcome(name, "unchanged")  # an installed catalog app is left as it is
    values, missing = _fill_values(document["config"], step.secrets or {})
    if missing:
        raise SecretsRequiredError(f"{name}: secrets were not exported", missing=missing)
    if step.dry_run:
        return AppOutcome(name, "planned")
    payload = {
        "app_name": name,
        "catalog_app": document["catalog_app"],
        "train": document.get("train") or "stable",
        "version": document.get("version") or "latest",
        "values": values,
    }
    stopped = document.get("state") == "STOPPED"
    change = Change(step.manager, name, timeout=step.timeout, progress=step.progress)
    async with change.step("app.create") as options:
        app = await step.manager.create_app(payload, **options)
    if step.wait and not stopped:
        app = await change.settle()
    return await _keep_stopped(step, change.outcome("created", app), stopped)


async def _keep_stopped(step: _Step, outcome: AppOutcome, stopped: bool) -> AppOutcome:
    """Stop an app that was exported STOPPED and has just been created or updated."""
    if not stopped or outcome.action not in ("created", "updated"):
        return outcome
    stop = await step.manager.stop_app(outcome.app_name, wait=step.wait, timeout=step.timeout)
    (halted,) = stop.outcomes
    return dataclasses.replace(outcome, app=halted.app, job_ids=outcome.job_ids + halted.job_ids)


def _load(directory: Path) -> list[dict[str, Any]]:
    try:
        files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    except OSError as exc:  # a name too long, a folder we may not list …
        raise ConfigError(f"Cannot list the export folder: {exc.strerror}") from None
    if not files:
        raise ConfigError(
            f"No export files (*.yaml) in {directory}",
            hint="Create them with pilot.export(path).",
        )
    return [read_export_file(file) for file in files]


def read_export_file(file: Path) -> dict[str, Any]:
    """One export file, read with the compose engine's hostile-input limits (size before
    parsing, aliases, depth) and checked for the fields an import uses.

    Raises:
        ConfigError: unreadable, too large, malformed or not an export file (with a hint).
    """
    try:
        document = load(
            file,
            max_bytes=MAX_EXPORT_BYTES,
            max_depth=MAX_EXPORT_DEPTH,
            max_nodes=MAX_EXPORT_VALUES,
            max_keys=MAX_EXPORT_VALUES,
        ).data
    except ComposeLoadError as exc:
        raise ConfigError(
            f"Cannot read an export file: {exc.message}",  # the message names file and line
            hint=f"Export files are written by pilot.export(); move {file.name} out of the "
            "directory if it is not one.",
        ) from None
    problem = _export_problem(document)
    if problem is not None:
        raise ConfigError(
            f"{file} is not a scale-pilot export file (format {EXPORT_FORMAT}): {problem}",
            hint=f"Export files are written by pilot.export(); move {file.name} out of the "
            "directory if it is not one.",
        )
    return dict(document)


def _export_problem(document: Mapping[str, Any]) -> str | None:
    """What an import would trip over in an export document, or None."""
    if document.get("format") != EXPORT_FORMAT:
        return f"format is {document.get('format')!r}"
    name = document.get("app")
    if not isinstance(name, str) or app_name_problem(name) is not None:
        return f"app {name!r} is no valid app name"
    if not isinstance(document.get("config"), dict):
        return "config is not a mapping"
    if not isinstance(document.get("custom_app"), bool):
        return "custom_app is not true or false"
    if not document["custom_app"] and not isinstance(document.get("catalog_app"), str):
        return "a catalog app lacks its catalog_app name"
    for key in ("train", "version", "state"):
        if not isinstance(document.get(key), str | None):
            return f"{key} is not text"
    return None


def _exported(config: Any, custom: bool, secrets: bool) -> Any:
    """What an export file holds of a stored config.

    Catalog values lose the ``ix_*`` keys TrueNAS reserves; secret values are redacted
    unless ``secrets``.
    """
    if not custom:
        config = _user_values(config)
    return config if secrets else redact(config)[0]


def _unwritable(where: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        f"Cannot write the export to {where}: {exc.strerror or exc}",
        hint="Choose a writable directory.",
    )


def _user_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog app's values without the keys TrueNAS reserves (``ix_*``)."""
    return {k: copy.deepcopy(v) for k, v in config.items() if not str(k).startswith("ix_")}


def _fill_values(config: Mapping[str, Any], secrets: Mapping[str, str]) -> tuple[Any, list[str]]:
    """Catalog values without ``ix_*`` keys, redacted secrets filled in; the names missing."""
    return fill_secrets(_user_values(config), secrets)
