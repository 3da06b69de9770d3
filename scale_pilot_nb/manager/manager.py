"""``TrueNASDockerManager``: TrueNAS app operations over one persistent connection.

The async source of truth of the SDK (``Pilot`` is its synchronous twin). It resolves the
connection settings, refuses unsafe transports, keeps one :class:`~scale_pilot_nb.rpc.RpcClient`
(one connection, one login), and turns middleware answers into typed records::

    async with TrueNASDockerManager(url="nas.local", api_key=key) as m:
        status = await m.system_status()
        result = await m.deploy(examples.path("nginx.yml"), "web")
        async for line in m.logs("web", tail=20):
            print(line.data)

Every mutating ``app.*`` call is a TrueNAS job: the manager waits on it through
``core.get_jobs`` events (never polling) and reports progress as ``(percent, description)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, get_args

from scale_pilot_nb.compose.convert import convert
from scale_pilot_nb.compose.plan import Plan
from scale_pilot_nb.compose.report import ValidationReport
from scale_pilot_nb.compose.rules_base import Mode
from scale_pilot_nb.compose.validate import ComposeSource
from scale_pilot_nb.config import ConnectionSettings, check_transport_safety, resolve_settings
from scale_pilot_nb.errors import (
    ApiError,
    AppExistsError,
    AppNotFoundError,
    ArgumentError,
    JobFailedError,
    UnsupportedError,
)
from scale_pilot_nb.manager import arguments, shells
from scale_pilot_nb.manager.changes import Change, run_lifecycle
from scale_pilot_nb.manager.day2 import DayTwoOperations
from scale_pilot_nb.manager.deploy import ConfirmHook, Deployer
from scale_pilot_nb.manager.effects import app_deleted
from scale_pilot_nb.manager.exec_script import DEFAULT_EXEC_TIMEOUT, ExecResult
from scale_pilot_nb.manager.health import add_up_failure_hint
from scale_pilot_nb.manager.jobs import follow_job, unfinished_jobs
from scale_pilot_nb.manager.lifecycle import BulkRunner
from scale_pilot_nb.manager.logs import LogLine, follow_logs
from scale_pilot_nb.manager.recorder import HistorySetting, Recorder, open_store
from scale_pilot_nb.manager.timefilter import TimeWindow
from scale_pilot_nb.manager.waiting import DEFAULT_TIMEOUT, check_timeout
from scale_pilot_nb.manager.watch import WatchEvent, watch_apps
from scale_pilot_nb.records import App, AppState, Image, Pool, SystemStatus
from scale_pilot_nb.records._base import entries_of
from scale_pilot_nb.records.job import Job
from scale_pilot_nb.records.outcome import OperationResult
from scale_pilot_nb.rpc import DEFAULT_RECONNECT, ProgressCallback, ReconnectPolicy
from scale_pilot_nb.rpc.factory import TransportName, TrueNASClient, make_client
from scale_pilot_nb.rpc.lifetime import AsyncConnected

__all__ = ["TrueNASDockerManager"]

#: Jobs started at once by bulk operations (TrueNAS serves at most 20 calls per connection).
DEFAULT_CONCURRENCY = 20


class TrueNASDockerManager(DayTwoOperations, AsyncConnected):
    """Async manager of the apps on one TrueNAS box.

    Args:
        url: host, ``host:port`` or a ``ws(s)://`` URL; see :mod:`scale_pilot_nb.config`
            for the environment / profile / ``.env`` fallbacks.
        api_key: an API key (preferred) …
        username: … or a user name with ``password``.
        password: the password.
        verify_ssl: verify the NAS's TLS certificate (default True).
        ca_file: a PEM bundle to trust.
        profile: a profile name in ``~/.config/scale-pilot/config.toml``.
        allow_insecure: allow an API key over ``ws://`` to a remote host (labs only: TrueNAS
            25.04+ revokes such keys).
        settings: already resolved settings (the other connection arguments are ignored).
        transport: ``"websockets"`` (our client, the default) or ``"official"`` (the official
            ``truenas_api_client``, when installed; no reconnect or ``ca_file`` there).
        reconnect: backoff policy after a dropped connection (``rpc.NO_RECONNECT``: fail fast).
        client: an already configured client to use instead of making one (tests, fleets).
        history: where revisions are recorded before each change: True (default) = the
            default file (``SCALE_PILOT_HISTORY`` or the user data dir), False = off, or a
            path / :class:`~scale_pilot_nb.manager.history.HistoryStore`.
        history_secrets: store secret environment values in revisions (default: redacted).
        tool: who drives this manager, recorded with each revision (``sdk``, ``cli``, ``ai``).
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        verify_ssl: bool | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        profile: str | None = None,
        allow_insecure: bool = False,
        settings: ConnectionSettings | None = None,
        transport: TransportName = "websockets",
        reconnect: ReconnectPolicy = DEFAULT_RECONNECT,
        client: TrueNASClient | None = None,
        history: HistorySetting = True,
        history_secrets: bool = False,
        tool: str = "sdk",
    ) -> None:
        if client is None:
            if settings is None:
                settings = resolve_settings(
                    url,
                    api_key,
                    username=username,
                    password=password,
                    verify_ssl=verify_ssl,
                    ca_file=ca_file,
                    profile=profile,
                    allow_insecure=allow_insecure,
                )
            check_transport_safety(settings)
            client = make_client(
                settings.urls,
                transport=transport,
                reconnect=reconnect,
                api_key=settings.api_key,
                username=settings.username,
                password=settings.password,
                verify_ssl=settings.verify_ssl,
                ca_file=settings.ca_file,
                allow_insecure=settings.allow_insecure,
            )
        self.settings = settings
        self.client = client
        self._deployer = Deployer(self)
        self._bulk = BulkRunner(self)
        store = open_store(history, secrets=history_secrets)
        self.recorder = Recorder(self, store, tool) if store is not None else None

    def __repr__(self) -> str:
        return f"<TrueNASDockerManager {self.client.url or self.settings!r}>"

    async def connect(self) -> None:
        """Open the connection and log in (idempotent)."""
        if not self.client.connected:
            await self.client.connect()

    async def close(self) -> None:
        """Close the connection; running jobs go on on the NAS."""
        await self.client.close()

    # -- reads -----------------------------------------------------------------------------

    async def system_status(self) -> SystemStatus:
        """Machine, apps service, pools and app counts by state, in four concurrent calls."""
        info, docker, pools, apps = await asyncio.gather(
            self.client.call("system.info"),
            self.client.call("docker.status"),
            self.client.call("pool.query"),
            self.client.call("app.query", [], {"select": ["name", "state"]}),
        )
        return SystemStatus.build(info=info, docker=docker, pools=pools, apps=apps)

    async def list_apps(
        self, filters: Sequence[Any] | None = None, *, retrieve_config: bool = False
    ) -> list[App]:
        """Every app (or those matching TrueNAS query ``filters``), as :class:`App` records."""
        return [App.from_api(entry) for entry in await self.query_apps(filters, retrieve_config)]

    async def query_apps(
        self, filters: Sequence[Any] | None = None, retrieve_config: bool = False
    ) -> list[dict[str, Any]]:
        """The raw ``app.query`` entries (for DataFrame builders that want every field)."""
        options = {"extra": {"retrieve_config": True}} if retrieve_config else {}
        result = await self.client.call("app.query", list(filters or []), options)
        return [dict(entry) for entry in entries_of(result, "app.query")]

    async def get_app(self, name: str) -> App:
        """The app called ``name``.

        Raises:
            AppNotFoundError: there is no such app.
            ArgumentError: ``name`` breaks the app-name rule (nothing is asked).
        """
        entry = await self.find_app(arguments.app_name(name))
        if entry is None:
            raise AppNotFoundError(f"App {name!r} does not exist", errname="ENOENT")
        return App.from_api(entry)

    async def find_app(self, name: str) -> dict[str, Any] | None:
        """The raw entry of app ``name``, or None."""
        entries = entries_of(await self.client.call("app.query", [["name", "=", name]]), "app")
        return dict(entries[0]) if entries else None

    async def app_config(self, name: str) -> dict[str, Any]:
        """The stored configuration of ``name`` (for custom apps: the compose as a dict)."""
        arguments.app_name(name)
        try:
            config: dict[str, Any] = await self.client.call("app.config", name)
        except ApiError as exc:
            raise _not_found(exc, name) from exc
        return config

    async def ip_choices(self) -> list[str] | None:
        """The addresses an ix-app may bind ports to (``app.ip_choices``); None when the NAS
        does not say (a middleware without the method)."""
        try:
            choices = await self.client.call("app.ip_choices")
        except UnsupportedError:
            return None
        return sorted(str(ip) for ip in choices)

    async def ix_app_questions(self) -> list[dict[str, Any]] | None:
        """The ``questions`` of the newest ``ix-app`` catalog version
        (``catalog.get_app_details``); None when the NAS does not serve them."""
        try:
            details = await self.client.call(
                "catalog.get_app_details", "ix-app", {"train": "stable"}, retry_safe=True
            )
        except UnsupportedError:
            return None
        except ApiError as exc:
            if exc.errname in ("ENOENT", "ENOMETHOD", "EINVAL"):
                return None
            raise
        versions = details.get("versions") if isinstance(details, dict) else None
        if not isinstance(versions, dict):
            return None
        latest = versions.get(details.get("latest_version"))
        schema = latest.get("schema") if isinstance(latest, dict) else None
        questions = schema.get("questions") if isinstance(schema, dict) else None
        return questions if isinstance(questions, list) else None

    async def path_exists(self, path: str) -> bool:
        """Whether ``path`` exists on the NAS (``filesystem.stat``)."""
        try:
            await self.client.call("filesystem.stat", path)
        except ApiError as exc:
            if exc.errname == "ENOENT":
                return False
            raise
        return True

    async def used_ports(self) -> list[int]:
        """Host ports published by any app."""
        answer = await self.client.call("app.used_ports")
        if not isinstance(answer, list):
            entries_of(answer, "port")  # the one message for an answer of the wrong shape
        return sorted(p for p in answer if isinstance(p, int) and not isinstance(p, bool))

    async def images(self) -> list[Image]:
        """Docker images on the NAS."""
        answer = await self.client.call("app.image.query")
        return [Image.from_api(e) for e in entries_of(answer, "app.image.query")]

    async def pools(self) -> list[Pool]:
        """ZFS pools."""
        return [Pool.from_api(e) for e in entries_of(await self.client.call("pool.query"), "pool")]

    async def docker_status(self) -> dict[str, Any]:
        """``docker.status``: ``{"status": ..., "description": ...}``."""
        status: dict[str, Any] = await self.client.call("docker.status")
        return status

    # -- compose: validate, plan, deploy -----------------------------------------------------

    async def validate(
        self,
        source: ComposeSource,
        name: str | None = None,
        *,
        mode: Mode = "compose",
        split: bool = False,
        variables: Mapping[str, str] | None = None,
        check_ports: bool = True,
    ) -> ValidationReport:
        """Validate a compose file locally, including host ports already taken on the NAS.

        A bad app name is a finding of the report; a name that is not a string, an unknown
        ``mode`` or ``variables`` that are not strings are an ``ArgumentError``.
        """
        if name is not None:
            arguments.text(name, "app name")
        _check_compose_options(mode, variables)
        return await self._deployer.validate(
            source, name, mode=mode, split=split, variables=variables, check_ports=check_ports
        )

    async def plan(
        self,
        source: ComposeSource,
        name: str,
        *,
        mode: Mode = "compose",
        split: bool = False,
        variables: Mapping[str, str] | None = None,
    ) -> Plan:
        """What deploying ``source`` as ``name`` would change, one plan per app.

        Raises:
            ComposeInvalidError: the file has validation errors, judged with what the NAS
                says (ports other apps hold; for ix-app, the addresses it offers).
            ArgumentError: ``name`` or ``mode`` is wrong (nothing is asked).
        """
        _check_target(name, mode, variables)
        await self._deployer.require_valid(
            source, name, mode=mode, split=split, variables=variables
        )
        conversion = convert(source, name, mode=mode, split=split, variables=variables)
        return Plan(tuple(plan for plan, _ in await self._deployer.plans(conversion)))

    async def deploy(
        self,
        source: ComposeSource,
        name: str,
        *,
        mode: Mode = "compose",
        split: bool = False,
        wait: bool = True,
        dry_run: bool = False,
        variables: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        confirm: ConfirmHook | None = None,
    ) -> OperationResult:
        """Validate, plan and create or update the app(s); skip exact no-ops.

        Idempotent: deploying the same file twice changes nothing the second time. With
        ``wait`` each app is followed until RUNNING (healthy); ``timeout`` bounds the jobs and
        the waits together.

        ``confirm`` is asked before running containers are recreated: when some part of the
        plan updates a running app, it is called once with that :class:`Plan` (the parts
        this deploy then applies, so what is confirmed is what happens) after planning and
        before the first change, and awaited if it returns an awaitable. Only ``True`` goes
        on; an exception it raises ends the deploy just as well, with nothing changed.
        Creates, no-ops, stopped apps and ``dry_run`` never call it.

        Raises:
            ComposeError: the file has validation errors (``report`` attached).
            JobFailedError / ValidationError: the NAS refused (field errors kept).
            AppNotReadyError: ``timeout`` passed first (state, services, job id named).
            AppCrashedError: the app crashed while starting.
            AppExistsError: another client created an app of that name meanwhile.
            ArgumentError: ``name``, ``mode``, ``timeout`` or ``confirm`` is wrong (nothing
                is sent).
            ConfirmationRequired: ``confirm`` declined the plan (nothing was changed).
        """
        _check_target(name, mode, variables)
        if confirm is not None and not callable(confirm):
            raise ArgumentError(f"confirm must be a callable taking the plan, not {confirm!r:.60}")
        return await self._deployer.deploy(
            source,
            name,
            mode=mode,
            split=split,
            wait=wait,
            dry_run=dry_run,
            variables=variables,
            progress=progress,
            timeout=timeout,
            confirm=confirm,
        )

    async def create_app(
        self,
        payload: Mapping[str, Any],
        *,
        progress: ProgressCallback | None = None,
        timeout: float | None = None,
        on_job: Callable[[int], None] | None = None,
    ) -> App:
        """Run ``app.create`` with a ready payload and wait for its job."""
        await self.record("create", str(payload.get("app_name", "")))
        try:
            entry = await self.client.call_job(
                "app.create", dict(payload), progress=progress, timeout=timeout, on_job=on_job
            )
        except JobFailedError as exc:
            if exc.errname == "EEXIST":  # TrueNAS's "already exists" arrives as a failed job
                raise AppExistsError(
                    f"App {payload.get('app_name')!r} already exists",
                    errno=exc.errno,
                    errname=exc.errname,
                    reason=exc.reason,
                    job_id=exc.job_id,
                ) from exc
            await add_up_failure_hint(self, exc, payload)
            raise
        return App.from_api(entry)

    async def update_app(
        self,
        name: str,
        changes: Mapping[str, Any],
        *,
        progress: ProgressCallback | None = None,
        timeout: float | None = None,
        on_job: Callable[[int], None] | None = None,
    ) -> App:
        """Run ``app.update`` (recreates the containers of a running app)."""
        await self.record("update", name)
        try:
            entry = await self.client.call_job(
                "app.update", name, dict(changes), progress=progress, timeout=timeout, on_job=on_job
            )
        except ApiError as exc:
            error = _not_found(exc, name)
            if error is exc and isinstance(exc, JobFailedError):
                await add_up_failure_hint(self, exc, changes)
                raise
            raise error from exc
        return App.from_api(entry)

    # -- lifecycle -------------------------------------------------------------------------

    async def start_app(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Start ``name``; with ``wait``, until it is RUNNING (every container up and healthy).

        An app already RUNNING is left alone (outcome ``unchanged``, no job).

        Raises:
            AppNotFoundError: no such app.
            AppNotReadyError: ``timeout`` passed first (names the state, services, job).
            AppCrashedError: the app crashed while starting.
        """
        return await run_lifecycle(
            self, "start", name, wait=wait, timeout=timeout, progress=progress
        )

    async def stop_app(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Stop ``name`` (containers removed, images and volumes kept); a STOPPED app is left
        alone. Raises as :meth:`start_app`."""
        return await run_lifecycle(
            self, "stop", name, wait=wait, timeout=timeout, progress=progress
        )

    async def restart_app(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Stop then start ``name`` (TrueNAS has no restart of its own); waits as
        :meth:`start_app`."""
        return await run_lifecycle(
            self, "restart", name, wait=wait, timeout=timeout, progress=progress
        )

    async def redeploy_app(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Recreate the containers of ``name`` from its stored configuration; waits as
        :meth:`start_app`."""
        return await run_lifecycle(
            self, "redeploy", name, wait=wait, timeout=timeout, progress=progress
        )

    async def delete_app(
        self,
        name: str,
        *,
        remove_volumes: bool = False,
        remove_images: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Delete ``name``; its ix-volumes are kept unless ``remove_volumes``."""
        options = {"remove_images": remove_images, "remove_ix_volumes": remove_volumes}
        change = Change(self, name, timeout=timeout, progress=progress)
        await self.record("delete", name)
        await change.job("app.delete", name, options)
        await app_deleted(self, name)  # success only once the NAS no longer lists it
        change.progress.done(f"{name}: deleted")
        return change.result("delete", change.outcome("deleted", None))

    async def bulk(
        self,
        action: str,
        names: Iterable[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> OperationResult:
        """Run ``action`` (start/stop/restart/redeploy) on many apps, several jobs at once.

        ``wait`` and ``timeout`` apply to each app as in :meth:`start_app`. Never raises for
        one app's failure: each outcome says what happened to its app.
        """
        return await self._bulk.run(
            action, names, concurrency=concurrency, wait=wait, timeout=timeout
        )

    async def wait_for_state(
        self,
        name: str,
        state: str | AppState = AppState.RUNNING,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> App:
        """Wait until ``name`` is in ``state``, driven by ``app.query`` events.

        ``progress`` hears ``(percent, "NAME: STATE (service: state, …) · N s")`` at every
        change, so a caller can show which service is still starting.

        Raises:
            AppCrashedError: waiting for RUNNING and the app CRASHED (a ``JobFailedError``
                naming the crashed service, with its last log lines and a hint).
            AppNotReadyError: ``timeout`` passed first (a ``CallTimeoutError`` naming the
                app's state and each service's, with the logs of the one still starting).
            AppNotFoundError: the app does not exist (or was deleted meanwhile).
        """
        wanted = AppState(state) if isinstance(state, str) else None
        if wanted is None or wanted == AppState.UNKNOWN:
            known = [s.value for s in AppState if s != AppState.UNKNOWN]
            raise ArgumentError(f"state must be one of {known}, not {state!r:.60}")
        change = Change(self, name, timeout=timeout, progress=progress, wanted=wanted)
        return await change.settle()

    # -- jobs ------------------------------------------------------------------------------

    async def job(
        self,
        job_id: int,
        *,
        wait: bool = True,
        progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> Job:
        """Job ``job_id`` once it has ended (``wait``) or as it is now; never aborts it.

        A job that failed or was aborted is returned, not raised (its ``state`` and ``error``
        say so). Use it for the job an interrupted call left going on.

        Raises:
            ApiError: no such job (ENOENT; TrueNAS forgets finished jobs after a while).
            CallTimeoutError: ``timeout`` passed (the job goes on).
        """
        arguments.job_id(job_id)
        check_timeout(timeout)
        return await follow_job(self, job_id, wait=wait, progress=progress, timeout=timeout)

    async def jobs(self) -> list[Job]:
        """The NAS's jobs still WAITING or RUNNING, oldest first."""
        return await unfinished_jobs(self)

    # -- logs and stats --------------------------------------------------------------------

    async def logs(
        self,
        name: str,
        service: str | None = None,
        *,
        tail: int | None = 100,
        follow: bool = False,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
    ) -> AsyncIterator[LogLine]:
        """Container log lines of ``name`` (all services, or one), in timestamp order.

        Without ``follow`` the iterator ends once the tail has arrived; with it, new lines
        follow (see :mod:`scale_pilot_nb.manager.logs` for the order they come in).

        Args:
            tail: lines of history per container (None: all; 0: none, only new lines with
                ``follow``).
            since: only lines from this moment on: a ``datetime``, RFC 3339 text, a date, a
                Unix timestamp or a duration before now (``"10m"``, ``"1h30m"``); see
                :mod:`.timefilter`. Applied here: TrueNAS cannot filter by time.
            until: only lines up to this moment (same forms); a followed container stops at
                its first line past it, and following ends once the clock passes it (at once
                when it already has: a quiet container would otherwise be followed forever).

        Raises:
            ArgumentError: a bad argument (nothing is asked).
            AppNotFoundError: no such app, or no container of ``service``.
        """
        arguments.app_name(name)
        if service is not None:
            arguments.text(service, "service")
        if tail is not None:
            arguments.non_negative_int(
                tail, "tail", hint="Pass tail=0 for only new lines, or tail=None for all of them."
            )
        window = TimeWindow(since, until)
        try:
            containers = await self.client.call("app.container_ids", name, {"alive_only": False})
        except ApiError as exc:
            raise _not_found(exc, name) from exc
        chosen = {
            cid: info["service_name"]
            for cid, info in containers.items()
            if service is None or info.get("service_name") == service
        }
        if service is not None and not chosen:
            raise AppNotFoundError(
                f"App {name!r} has no container for service {service!r}",
                hint=f"Services: {sorted({i['service_name'] for i in containers.values()})}",
            )
        # closed here, not whenever the loop finalizes it: a reader that stops early ends
        # its sources (and gives back their names) before its own aclose() returns
        async with contextlib.aclosing(
            follow_logs(self.client, name, chosen, tail=tail, follow=follow, window=window)
        ) as lines:
            async for line in lines:
                yield line

    def watch_apps(
        self, name: str | None = None, *, timeout: float | None = None
    ) -> AsyncIterator[tuple[WatchEvent, App]]:
        """``(event, app)`` for the apps now installed (``"initial"``), then every change
        (``"added"``, ``"changed"``, ``"removed"``), from ``app.query`` events; see
        :func:`scale_pilot_nb.manager.watch.watch_apps`."""
        return watch_apps(self, name, timeout=timeout)

    async def stats(self, interval: int = 2) -> AsyncIterator[list[dict[str, Any]]]:
        """``app.stats`` samples every ``interval`` seconds (min 2): one list of apps each."""
        arguments.positive_int(interval, "interval")
        name = f"app.stats:{json.dumps({'interval': max(2, interval)})}"
        async with self.client.subscribe(name) as events:
            async for event in events:
                yield list(event.fields or [])

    # -- commands in containers ------------------------------------------------------------

    async def exec(
        self,
        name: str,
        command: str | Sequence[str],
        service: str | None = None,
        *,
        timeout: float | None = DEFAULT_EXEC_TIMEOUT,
        on_output: Callable[[str], None] | None = None,
    ) -> ExecResult:
        """Run ``command`` in a running container of ``name``; its output and exit status.

        TrueNAS has no exec API: the command is typed into ``/bin/sh`` through the NAS's web
        shell (``docker exec -it`` on a terminal), so stdout and stderr come back merged and
        the command sees a TTY (see :mod:`scale_pilot_nb.manager.exec_script`). A string runs under
        ``sh -c``; a list is an argv, each word quoted.

        Args:
            name: the app.
            command: ``"ls -l /data | head"`` or ``["ls", "-l", "/my dir"]``.
            service: the compose service; may be left out when the app runs one container.
            timeout: seconds for the whole run (None: no limit).
            on_output: called with each piece of output as it arrives (on the event loop's
                thread), for consoles that show it live.

        Raises:
            AppNotFoundError: no such app.
            ContainerNotRunningError: the app or the service has no running container.
            ServiceChoiceError: no such service, or several and none given.
            ShellRefusedError: the NAS refused the shell (24.10 with an API key login, or a
                user without the ``web_shell`` privilege).
            CallTimeoutError: it ran longer than ``timeout``.
            ExecError: the container could not run it (no ``/bin/sh`` in the image).
        """
        arguments.app_name(name)
        check_timeout(timeout)
        try:
            return await shells.run_command(
                self.client, name, command, service, timeout=timeout, on_output=on_output
            )
        except ApiError as exc:
            raise _not_found(exc, name) from exc

    async def open_shell(
        self, name: str, service: str | None = None, *, command: str = shells.DEFAULT_SHELL
    ) -> shells.ContainerShell:
        """An interactive terminal running ``command`` in a running container of ``name``.

        Use it as ``async with await manager.open_shell("web") as shell:``; send keys with
        ``shell.send(b"ls\\n")``, read with ``shell.receive()`` (None at the end), resize with
        ``shell.resize(cols, rows)``. There is no exit status. Errors as for :meth:`exec`.
        """
        arguments.app_name(name)
        try:
            return await shells.open_shell(self.client, name, service, command=command)
        except ApiError as exc:
            raise _not_found(exc, name) from exc

    # -- helpers ---------------------------------------------------------------------------

    async def run_job(
        self,
        method: str,
        *params: Any,
        app: str,
        progress: ProgressCallback | None = None,
        timeout: float | None = None,
        on_job: Callable[[int], None] | None = None,
    ) -> Any:
        """Run the job ``method(*params)`` on ``app`` and wait for it to end.

        Raises:
            AppNotFoundError: the NAS says the app does not exist.
            JobFailedError, ValidationError: the job failed.
            CallTimeoutError: ``timeout`` passed (the job goes on; ``job_id`` set).
        """
        try:
            return await self.client.call_job(
                method, *params, progress=progress, timeout=timeout, on_job=on_job
            )
        except ApiError as exc:
            raise _not_found(exc, app) from exc


def _check_target(name: str, mode: str, variables: Any) -> None:
    """The app name and options of a plan or deploy, before anything is asked or sent."""
    arguments.app_name(name)
    _check_compose_options(mode, variables)


def _check_compose_options(mode: Any, variables: Any) -> None:
    if mode not in get_args(Mode):
        raise ArgumentError(f"mode must be one of {list(get_args(Mode))}, not {mode!r}")
    if variables is not None:
        if not isinstance(variables, Mapping):
            raise ArgumentError("variables must be a mapping of names to values")
        for key, value in variables.items():
            arguments.text(key, "a variable's name")
            arguments.text(value, f"variable {key}")


def _not_found(exc: ApiError, name: str) -> ApiError:
    """Turn the NAS's "does not exist" answers for ``name`` into :class:`AppNotFoundError`."""
    text = f"{exc.reason or ''} {exc.message}"
    if exc.errname == "ENOENT" or "does not exist" in text or "not found" in text:
        if isinstance(exc, AppNotFoundError):
            return exc
        return AppNotFoundError(
            f"App {name!r} does not exist",
            errno=exc.errno,
            errname=exc.errname or "ENOENT",
            reason=exc.reason,
            job_id=exc.job_id,
        )
    return exc
