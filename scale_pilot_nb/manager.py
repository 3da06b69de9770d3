"""``TrueNASDockerManager``: TrueNAS app operations over one persistent connection.

The async source of truth of the SDK (``Pilot`` is its synchronous twin). It resolves the
connection settings, refuses unsafe transports, keeps one :class:`~scale_pilot_nb.rpc.RpcClient`
(one connection, one login), and turns middleware answers into typed records::

    async with TrueNASDockerManager(url="nas.local", api_key=key) as m:
        status = await m.system_status()
        result = await m.deploy("examples/nginx.yml", "web")
        async for line in m.logs("web", tail=20):
            print(line.data)

Every mutating ``app.*`` call is a TrueNAS job: the manager waits on it through
``core.get_jobs`` events (never polling) and reports progress as ``(percent, description)``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from scale_pilot_nb.compose.convert import convert
from scale_pilot_nb.compose.plan import DeployPlan
from scale_pilot_nb.compose.report import ValidationReport
from scale_pilot_nb.compose.rules_base import Mode
from scale_pilot_nb.compose.validate import ComposeSource
from scale_pilot_nb.config import ConnectionSettings, check_transport_safety, resolve_settings
from scale_pilot_nb.day2 import DayTwoOperations
from scale_pilot_nb.deploy import Deployer
from scale_pilot_nb.errors import (
    ApiError,
    AppNotFoundError,
    CallTimeoutError,
    JobFailedError,
    UnsupportedError,
)
from scale_pilot_nb.health import add_up_failure_hint, explain, service_states
from scale_pilot_nb.lifecycle import LIFECYCLE_ACTIONS, BulkRunner
from scale_pilot_nb.logs import LogLine, follow_logs
from scale_pilot_nb.recorder import HistorySetting, Recorder, open_store
from scale_pilot_nb.records import App, AppState, Image, Pool, SystemStatus
from scale_pilot_nb.records.outcome import OperationResult
from scale_pilot_nb.rpc import DEFAULT_RECONNECT, ProgressCallback, ReconnectPolicy, notify
from scale_pilot_nb.rpc.factory import TransportName, TrueNASClient, make_client

__all__ = ["TrueNASDockerManager"]

#: Jobs started at once by bulk operations (TrueNAS serves at most 20 calls per connection).
DEFAULT_CONCURRENCY = 20


class TrueNASDockerManager(DayTwoOperations):
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
            path / :class:`~scale_pilot_nb.history.HistoryStore`.
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
            )
        self.settings = settings
        self.client = client
        self._deployer = Deployer(self)
        self._bulk = BulkRunner(self)
        store = open_store(history, secrets=history_secrets)
        self.recorder = Recorder(self, store, tool) if store is not None else None

    def __repr__(self) -> str:
        return f"<TrueNASDockerManager {self.client.url or self.settings!r}>"

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

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
        result: list[dict[str, Any]] = await self.client.call(
            "app.query", list(filters or []), options
        )
        return result

    async def get_app(self, name: str) -> App:
        """The app called ``name``.

        Raises:
            AppNotFoundError: there is no such app.
        """
        entry = await self.find_app(name)
        if entry is None:
            raise AppNotFoundError(f"App {name!r} does not exist", errname="ENOENT")
        return App.from_api(entry)

    async def find_app(self, name: str) -> dict[str, Any] | None:
        """The raw entry of app ``name``, or None."""
        entries = await self.client.call("app.query", [["name", "=", name]])
        return entries[0] if entries else None

    async def app_config(self, name: str) -> dict[str, Any]:
        """The stored configuration of ``name`` (for custom apps: the compose as a dict)."""
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
        return sorted(await self.client.call("app.used_ports"))

    async def images(self) -> list[Image]:
        """Docker images on the NAS."""
        return [Image.from_api(e) for e in await self.client.call("app.image.query")]

    async def pools(self) -> list[Pool]:
        """ZFS pools."""
        return [Pool.from_api(e) for e in await self.client.call("pool.query")]

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
        """Validate a compose file locally, including host ports already taken on the NAS."""
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
    ) -> list[DeployPlan]:
        """What deploying ``source`` as ``name`` would change, one plan per app.

        Raises:
            ComposeInvalidError: the file has validation errors, judged with what the NAS
                says (ports other apps hold; for ix-app, the addresses it offers).
        """
        await self._deployer.require_valid(
            source, name, mode=mode, split=split, variables=variables
        )
        conversion = convert(source, name, mode=mode, split=split, variables=variables)
        return [plan for plan, _ in await self._deployer.plans(conversion)]

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
        timeout: float | None = 600.0,
    ) -> OperationResult:
        """Validate, plan and create or update the app(s); skip exact no-ops.

        Idempotent: deploying the same file twice changes nothing the second time.

        Raises:
            ComposeError: the file has validation errors (``report`` attached).
            JobFailedError / ValidationError: the NAS refused (field errors kept).
            CallTimeoutError: the app did not reach RUNNING within ``timeout``.
        """
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
        )

    async def create_app(
        self, payload: Mapping[str, Any], *, progress: ProgressCallback | None = None
    ) -> App:
        """Run ``app.create`` with a ready payload and wait for its job."""
        await self.record("create", str(payload.get("app_name", "")))
        try:
            entry = await self.client.call_job("app.create", dict(payload), progress=progress)
        except JobFailedError as exc:
            await add_up_failure_hint(self, exc, payload)
            raise
        return App.from_api(entry)

    async def update_app(
        self,
        name: str,
        changes: Mapping[str, Any],
        *,
        progress: ProgressCallback | None = None,
    ) -> App:
        """Run ``app.update`` (recreates the containers of a running app)."""
        await self.record("update", name)
        try:
            entry = await self.client.call_job("app.update", name, dict(changes), progress=progress)
        except ApiError as exc:
            error = _not_found(exc, name)
            if error is exc and isinstance(exc, JobFailedError):
                await add_up_failure_hint(self, exc, changes)
                raise
            raise error from exc
        return App.from_api(entry)

    # -- lifecycle -------------------------------------------------------------------------

    async def start_app(self, name: str, *, progress: ProgressCallback | None = None) -> App:
        """Start ``name`` and wait for the job; returns the app afterwards."""
        await self._job("app.start", name, progress=progress)
        return await self.get_app(name)

    async def stop_app(self, name: str, *, progress: ProgressCallback | None = None) -> App:
        """Stop ``name`` (containers removed, images and volumes kept)."""
        await self._job("app.stop", name, progress=progress)
        return await self.get_app(name)

    async def restart_app(self, name: str, *, progress: ProgressCallback | None = None) -> App:
        """Stop then start ``name`` (TrueNAS has no restart of its own)."""
        await self._job("app.stop", name, progress=progress)
        await self._job("app.start", name, progress=progress)
        return await self.get_app(name)

    async def redeploy_app(self, name: str, *, progress: ProgressCallback | None = None) -> App:
        """Recreate the containers of ``name`` from its stored configuration."""
        entry = await self._job("app.redeploy", name, progress=progress)
        return App.from_api(entry)

    async def delete_app(
        self,
        name: str,
        *,
        remove_volumes: bool = False,
        remove_images: bool = False,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Delete ``name``; its ix-volumes are kept unless ``remove_volumes``."""
        options = {"remove_images": remove_images, "remove_ix_volumes": remove_volumes}
        await self.record("delete", name)
        await self._job("app.delete", name, options, progress=progress)

    async def bulk(
        self,
        action: str,
        names: Iterable[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: ProgressCallback | None = None,
    ) -> OperationResult:
        """Run ``action`` (start/stop/restart/redeploy) on many apps, several jobs at once.

        Never raises for one app's failure: each outcome says what happened to its app.
        """
        if action not in LIFECYCLE_ACTIONS:
            raise ValueError(f"action must be one of {sorted(LIFECYCLE_ACTIONS)}, not {action!r}")
        return await self._bulk.run(action, list(names), concurrency=concurrency)

    async def wait_for_state(
        self,
        name: str,
        state: str | AppState = AppState.RUNNING,
        *,
        timeout: float | None = 300.0,
        progress: ProgressCallback | None = None,
    ) -> App:
        """Wait until ``name`` is in ``state``, driven by ``app.query`` events.

        ``progress`` hears ``(None, "NAME: STATE (service: state, …)")`` at every change, so
        a caller can show which service is still starting.

        Raises:
            AppCrashedError: waiting for RUNNING and the app CRASHED (a ``JobFailedError``
                naming the crashed service, with its last log lines and a hint).
            AppNotReadyError: waiting for RUNNING and ``timeout`` passed first (a
                ``CallTimeoutError`` naming the service still starting, with its logs).
            CallTimeoutError: ``timeout`` passed first (the message says the last state).
            AppNotFoundError: the app does not exist (or was deleted meanwhile).
        """
        wanted = AppState(state)
        try:
            return await self._wait_for_state(name, wanted, timeout, progress)
        except (JobFailedError, CallTimeoutError) as exc:
            if wanted != AppState.RUNNING:
                raise
            raise await explain(self, name, exc) from exc

    async def _wait_for_state(
        self,
        name: str,
        wanted: AppState,
        timeout: float | None,
        progress: ProgressCallback | None,
    ) -> App:
        last: App | None = None
        try:
            async with asyncio.timeout(timeout), self.client.subscribe("app.query") as events:
                last = await self.get_app(name)
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

    # -- logs and stats --------------------------------------------------------------------

    async def logs(
        self,
        name: str,
        service: str | None = None,
        *,
        tail: int | None = 100,
        follow: bool = False,
    ) -> AsyncIterator[LogLine]:
        """Container log lines of ``name`` (all services, or one), through the log event source.

        Without ``follow`` the iterator ends once the tail has arrived.
        """
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
        async for line in follow_logs(self.client, name, chosen, tail=tail, follow=follow):
            yield line

    async def stats(self, interval: int = 2) -> AsyncIterator[list[dict[str, Any]]]:
        """``app.stats`` samples every ``interval`` seconds (min 2): one list of apps each."""
        name = f"app.stats:{json.dumps({'interval': max(2, interval)})}"
        async with self.client.subscribe(name) as events:
            async for event in events:
                yield list(event.fields or [])

    # -- helpers ---------------------------------------------------------------------------

    async def _job(
        self, method: str, name: str, *params: Any, progress: ProgressCallback | None = None
    ) -> Any:
        try:
            return await self.client.call_job(method, name, *params, progress=progress)
        except ApiError as exc:
            raise _not_found(exc, name) from exc


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
