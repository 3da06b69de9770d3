"""Deploying compose files: validate, plan, then create or update — and nothing twice.

The flow the manager's ``validate`` / ``plan`` / ``deploy`` share:

1. validate locally, with the NAS's used host ports (minus the app's own) as live data;
2. convert to ``app.create`` payload(s) (one, or one per service when split);
3. plan each against its live ``app.config``: ``noop`` is skipped, because TrueNAS recreates
   every container on any update;
4. create or update, waiting on the job, then wait for RUNNING.

When the connection drops after ``app.create`` was sent, the outcome is unknown. The request
is never re-sent blindly: the NAS is asked first (is the app there? is a create job for it
still running?) so a deploy ends with exactly one app, never zero or two. A create is reported
only once ``app.query`` lists the app: the job followed after a drop may not have been this
deploy's (:mod:`scale_pilot_nb.manager.effects`).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.compose.convert import AppPayload, Conversion, convert
from scale_pilot_nb.compose.plan import DeployPlan, Plan, plan
from scale_pilot_nb.compose.questions import check_values
from scale_pilot_nb.compose.report import ValidationReport
from scale_pilot_nb.compose.rules_base import Mode
from scale_pilot_nb.compose.validate import ComposeSource, host_bind_sources, prepare, validate
from scale_pilot_nb.errors import (
    ComposeError,
    ComposeInvalidError,
    ConfirmationRequired,
    RequestOutcomeUnknown,
)
from scale_pilot_nb.manager.changes import Change, JobOptions, now
from scale_pilot_nb.manager.effects import app_created
from scale_pilot_nb.manager.waiting import Deadline, check_timeout
from scale_pilot_nb.records import App, AppState
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult
from scale_pilot_nb.rpc import ProgressCallback

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = ["ConfirmHook", "Deployer"]

ConfirmHook = Callable[[Plan], bool | Awaitable[bool]]
"""What ``deploy(confirm=...)`` takes: called with the plan about to be applied when it would
recreate running containers; ``True`` (or an awaitable of it) goes on, anything else stops."""

_ACTIVE_JOB_STATES = ["WAITING", "RUNNING"]


class Deployer:
    """The deploy flow of one manager (see the module docstring)."""

    def __init__(self, manager: ManagerPort) -> None:
        self._manager = manager

    async def validate(
        self,
        source: ComposeSource,
        name: str | None,
        *,
        mode: Mode,
        split: bool,
        variables: Mapping[str, str] | None,
        check_ports: bool,
    ) -> ValidationReport:
        """Validate with what the NAS says: the host ports other apps hold and, for ix-app,
        the addresses it lets an app bind to (``app.ip_choices``)."""
        used = await self._foreign_ports(name, split) if check_ports else ()
        host_ips: list[str] | None = None
        missing: list[str] = []
        value_errors: list[tuple[str, str, str]] = []
        if mode == "ix-app":
            host_ips = await self._manager.ip_choices()
            missing = await self._missing_paths(source, variables)
            value_errors = await self._value_errors(source, name, split, variables)
        return validate(
            source,
            name=name,
            mode=mode,
            split=split,
            used_ports=used,
            variables=variables,
            host_ips=host_ips,
            missing_host_paths=missing,
            ix_app_value_errors=value_errors,
        )

    async def _value_errors(
        self,
        source: ComposeSource,
        name: str | None,
        split: bool,
        variables: Mapping[str, str] | None,
    ) -> list[tuple[str, str, str]]:
        """``(service, path, message)`` for each converted ix-app value the NAS's catalog
        questions refuse; nothing when the NAS serves no questions or the file does not convert
        (validate reports why)."""
        questions = await self._manager.ix_app_questions()
        if questions is None:
            return []
        try:
            conversion = convert(
                source, name or "app", mode="ix-app", split=split, variables=variables
            )
        except ComposeError:
            return []
        return [
            (service, path, message)
            for app in conversion.apps
            for service in app.services[:1]
            for path, message in check_values(app.payload.get("values", {}), questions)
        ]

    async def _missing_paths(
        self, source: ComposeSource, variables: Mapping[str, str] | None
    ) -> list[str]:
        """Bind sources that ``filesystem.stat`` says do not exist on the NAS (asked at once)."""
        try:
            prepared = prepare(source, variables=variables)
        except ComposeError:
            return []  # validate reports why the file cannot be read
        paths = host_bind_sources(prepared)
        found = await asyncio.gather(*(self._manager.path_exists(p) for p in paths))
        return [path for path, exists in zip(paths, found, strict=True) if not exists]

    async def require_valid(
        self,
        source: ComposeSource,
        name: str,
        *,
        mode: Mode,
        split: bool,
        variables: Mapping[str, str] | None,
    ) -> ValidationReport:
        """The report of :meth:`validate` against the NAS; raises when it has errors.

        Raises:
            ComposeInvalidError: with the report; nothing is sent to the NAS.
        """
        report = await self.validate(
            source, name, mode=mode, split=split, variables=variables, check_ports=True
        )
        if not report.valid:
            raise ComposeInvalidError(
                f"{len(report.errors)} validation error(s); nothing was sent to the NAS",
                report=report,
            )
        return report

    async def plans(self, conversion: Conversion) -> list[tuple[DeployPlan, AppPayload]]:
        """Plan every app of ``conversion`` against what the NAS has now."""
        result = []
        for app in conversion.apps:
            entry = await self._manager.find_app(app.app_name)
            live_config = await self._manager.app_config(app.app_name) if entry else None
            live_mode: Mode | None = None
            live_state: str | None = None
            if entry is not None:
                _refuse_other_catalog_app(entry)
                live_mode = "compose" if entry.get("custom_app") else "ix-app"
                live_state = entry.get("state")
            deploy_plan = plan(app.payload, live_config, live_mode=live_mode, live_state=live_state)
            result.append((deploy_plan, app))
        return result

    async def deploy(
        self,
        source: ComposeSource,
        name: str,
        *,
        mode: Mode,
        split: bool,
        wait: bool,
        dry_run: bool,
        variables: Mapping[str, str] | None,
        progress: ProgressCallback | None,
        timeout: float | None,
        confirm: ConfirmHook | None = None,
    ) -> OperationResult:
        """Validate, plan and apply; see :meth:`TrueNASDockerManager.deploy`."""
        check_timeout(timeout)  # a bad timeout is refused before anything is sent
        started_at = now()
        report = await self.require_valid(source, name, mode=mode, split=split, variables=variables)
        conversion = convert(source, name, mode=mode, split=split, variables=variables)
        planned = await self.plans(conversion)
        # conversion repeats the mode rules validation ran: list each finding once
        merged = dict.fromkeys([*report.findings, *conversion.findings])
        findings = tuple(f.to_dict() for f in merged)
        plans = {p.app_name: p for p, _ in planned}
        if dry_run:
            dry = tuple(AppOutcome(p.app_name, "planned") for p, _ in planned)
            return OperationResult(
                "deploy", dry, plans, findings, started_at=started_at, finished_at=now()
            )
        if confirm is not None:
            await _confirmed(confirm, Plan(tuple(plans.values())), name)
        deadline = Deadline(timeout)  # the time the confirm hook takes is not the job's
        outcomes: list[AppOutcome] = []
        for deploy_plan, app in planned:
            change = Change(
                self._manager, app.app_name, timeout=deadline.remaining(), progress=progress
            )
            action, entry = await self._apply(deploy_plan, app, change)
            if wait and entry.state != AppState.STOPPED:
                entry = await change.settle()
            else:
                change.progress.done(f"{entry.name}: {entry.state.value}")
            outcomes.append(change.outcome(action, entry))
        return OperationResult(
            "deploy", tuple(outcomes), plans, findings, started_at=started_at, finished_at=now()
        )

    async def _apply(
        self, deploy_plan: DeployPlan, app: AppPayload, change: Change
    ) -> tuple[str, App]:
        name = app.app_name
        if deploy_plan.action == "noop":
            return "unchanged", await self._manager.get_app(name)
        if deploy_plan.action == "replace":
            raise ComposeError(
                f"App {name!r} exists as a {deploy_plan.live_mode} app; this deploy is "
                f"{deploy_plan.mode}",
                hint="Delete the app first (its ix-volumes are kept), or deploy in its mode.",
            )
        if deploy_plan.action == "update":
            async with change.step("app.update") as options:
                updated = await self._manager.update_app(name, _update_changes(app), **options)
            return "updated", updated
        await self._create_datasets(app.datasets)
        return "created", await self._create_once(app, change)

    async def _create_once(self, app: AppPayload, change: Change) -> App:
        """``app.create`` that never creates the app twice, even across a dropped connection;
        it reports the app only once the NAS lists it (:func:`.effects.app_created`).
        """
        async with change.step("app.create") as options:
            try:
                await self._manager.create_app(app.payload, **options)
            except RequestOutcomeUnknown:
                await self._create_after_unknown_outcome(app, options)
            return App.from_api(await app_created(self._manager, app.app_name))

    async def _create_after_unknown_outcome(self, app: AppPayload, options: JobOptions) -> None:
        """Follow a create job of the app still under way; create the app only if the NAS has
        neither that nor the app."""
        job_id = await self._running_create_job(app.app_name)
        if job_id is not None:
            options["on_job"](job_id)
            await self._manager.client.wait_job(
                job_id, progress=options["progress"], timeout=options["timeout"]
            )
        elif await self._manager.find_app(app.app_name) is None:
            await self._manager.create_app(app.payload, **options)

    async def _running_create_job(self, name: str) -> int | None:
        jobs = await self._manager.client.call(
            "core.get_jobs",
            [["method", "=", "app.create"], ["state", "in", _ACTIVE_JOB_STATES]],
        )
        for job in jobs:
            arguments = job.get("arguments") or [{}]
            if isinstance(arguments[0], dict) and arguments[0].get("app_name") == name:
                return int(job["id"])
        return None

    async def _create_datasets(self, datasets: tuple[str, ...]) -> None:
        if not datasets:
            return
        client = self._manager.client
        existing = {
            d["id"] for d in await client.call("pool.dataset.query", [["id", "in", list(datasets)]])
        }
        for dataset in datasets:
            if dataset not in existing:
                await client.call("pool.dataset.create", {"name": dataset})

    async def _foreign_ports(self, name: str | None, split: bool) -> list[int]:
        """Host ports in use on the NAS, except those this deploy replaces.

        Those are the ports of app ``name`` itself, and when split, of its ``<name>-<service>``
        apps: redeploying a stack must not collide with its own running containers.
        """
        used = set(await self._manager.used_ports())
        if not name:
            return sorted(used)
        own: list[Any] = [["name", "=", name]]
        if split:
            own = [["OR", [["name", "=", name], ["name", "^", f"{name}-"]]]]
        for entry in await self._manager.query_apps(own):
            used -= set(App.from_api(entry).published_ports)
        return sorted(used)


async def _confirmed(confirm: ConfirmHook, deploy_plan: Plan, name: str) -> None:
    """Ask ``confirm`` about ``deploy_plan`` when it recreates running containers.

    It is asked with the very plan the deploy then applies, after planning and before the
    first change: what is confirmed is what happens, and nothing is planned twice.

    Raises:
        ConfirmationRequired: the hook answered anything but ``True`` (nothing was changed).
    """
    recreated = deploy_plan.recreated_apps
    if not recreated:
        return
    answer = confirm(deploy_plan)
    if inspect.isawaitable(answer):
        answer = await answer
    if answer is not True:
        raise ConfirmationRequired(
            f"Deploying {name!r} was not confirmed: it would recreate the running containers "
            f"of {', '.join(map(repr, recreated))}; nothing was changed",
            hint="Have the confirm hook return True to apply this plan, or deploy without "
            "confirm= to apply without asking.",
        )


def _update_changes(app: AppPayload) -> dict[str, Any]:
    payload = app.payload
    if payload.get("custom_app"):
        return {"custom_compose_config_string": payload["custom_compose_config_string"]}
    return {"values": payload.get("values", {})}


def _refuse_other_catalog_app(entry: Mapping[str, Any]) -> None:
    """A catalog app other than ix-app (jellyfin, …) has its own values: neither a compose
    file nor ix-app values may update it, and a plan against it would compare the wrong shapes.
    """
    metadata = entry.get("metadata")
    catalog = metadata.get("name") if isinstance(metadata, Mapping) else None
    if entry.get("custom_app") or catalog in (None, "ix-app"):
        return
    raise ComposeError(
        f"App {entry.get('name')!r} is the catalog app {catalog!r}; a compose file cannot "
        "update it",
        hint="Choose another app name, or delete the catalog app first.",
    )
