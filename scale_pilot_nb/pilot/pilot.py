"""``Pilot``: the synchronous face of :class:`~scale_pilot_nb.manager.TrueNASDockerManager`.

Every method is one call through a :class:`~scale_pilot_nb.pilot.runner.LoopRunner` (one daemon
thread running the event loop), so ``Pilot`` works the same in a Jupyter cell (which already
has a running loop), a script and the CLI, and Ctrl-C stops the call in flight (raising
``OperationInterrupted``, which says what became of its TrueNAS job). Methods have
the manager's names and arguments and reuse its docstrings; a few add the notebook view
(``apps()`` returns a DataFrame where the manager returns records).

    import scale_pilot_nb as sp
    pilot = sp.connect(sandbox=True)       # or url=..., api_key=... / the environment
    pilot.apps()
    pilot.deploy(examples.path("nginx.yml"), "web")   # from scale_pilot_nb import examples
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import os
import shutil
import threading
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from scale_pilot_nb.compose.plan import Plan
from scale_pilot_nb.compose.report import ValidationReport
from scale_pilot_nb.compose.rules_base import Mode
from scale_pilot_nb.compose.validate import ComposeSource
from scale_pilot_nb.errors import ConfirmationRequired, TrueNASError
from scale_pilot_nb.manager.exec_script import DEFAULT_EXEC_TIMEOUT, ExecResult
from scale_pilot_nb.manager.logs import LogLine
from scale_pilot_nb.manager.manager import DEFAULT_CONCURRENCY, TrueNASDockerManager
from scale_pilot_nb.manager.sync import SyncPlan, apply_sync, plan_sync
from scale_pilot_nb.manager.waiting import DEFAULT_TIMEOUT
from scale_pilot_nb.manager.watch import WatchEvent
from scale_pilot_nb.pilot.day2 import PilotDayTwo, Progress
from scale_pilot_nb.pilot.runner import LoopRunner
from scale_pilot_nb.records import App, AppState, Pool, SystemStatus
from scale_pilot_nb.records.job import Job
from scale_pilot_nb.records.outcome import OperationResult
from scale_pilot_nb.rpc.lifetime import ClosedOnExit

if TYPE_CHECKING:
    import pandas as pd

    from scale_pilot_nb.notebook.widgets import Dashboard, DeployForm, LogViewer, StatsView
    from scale_pilot_nb.sandbox import Sandbox

__all__ = ["ConfirmationRequired", "Pilot", "connect", "sandbox_pilot"]

T = TypeVar("T")

_M = TrueNASDockerManager


def _off_loop(confirm: Callable[[Plan], bool]) -> Callable[[Plan], Awaitable[bool]]:
    """``confirm`` as the manager's async hook, run on a daemon thread of its own.

    Not on the loop thread: while a user types, the connection's keepalive must go on. Not
    through ``asyncio.to_thread`` either: after Ctrl-C cancels the deploy, a worker still
    blocked in ``input()`` cannot be stopped, and the loop's shutdown (and the interpreter's
    exit) would wait for that pool thread; a daemon thread is simply left behind.
    """

    async def hook(plan: Plan) -> bool:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[bool] = loop.create_future()

        def ask() -> None:
            try:
                result, error = confirm(plan), None
            except BaseException as exc:  # raised by the awaiting deploy instead
                result, error = False, exc
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, answer, result, error)

        threading.Thread(target=ask, name="scale-pilot confirm", daemon=True).start()
        return await answer

    return hook


def _settle(answer: asyncio.Future[bool], result: bool, error: BaseException | None) -> None:
    if answer.done():  # cancelled (Ctrl-C) while the hook ran
        return
    if error is None:
        answer.set_result(result)
    else:
        answer.set_exception(error)


def sandbox_pilot(seed: str | int = "demo") -> Pilot:
    """A :class:`Pilot` on a fresh embedded sandbox (``seed``: ``"demo"`` or a number of apps)
    whose history lives in a private folder, removed with the pilot."""
    from scale_pilot_nb.pilot.embedded import start_embedded

    nas = start_embedded(seed=seed)
    pilot = Pilot(nas.manager, sandbox=nas.sandbox)
    weakref.finalize(pilot, shutil.rmtree, nas.history_dir, True)
    return pilot


def connect(
    url: str | None = None,
    api_key: str | None = None,
    *,
    username: str | None = None,
    password: str | None = None,
    verify_ssl: bool | None = None,
    ca_file: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    sandbox: bool = False,
    allow_insecure: bool = False,
) -> Pilot:
    """Connect to a NAS and return a :class:`Pilot`.

    Settings come from the arguments, then ``TRUENAS_*`` environment variables, then the
    profile in ``~/.config/scale-pilot/config.toml``, then ``.env``. ``sandbox=True`` starts
    an embedded TrueNAS sandbox (demo seed) and connects to it instead: the zero-config path.

    Raises:
        ConfigError: no address or credentials could be found.
        InsecureTransportError: an API key would travel over plain ws:// to a remote host.
        ConnectionError / AuthenticationError: the NAS could not be reached or refused us.
    """
    if sandbox:
        return sandbox_pilot()
    manager = TrueNASDockerManager(
        url,
        api_key,
        username=username,
        password=password,
        verify_ssl=verify_ssl,
        ca_file=ca_file,
        profile=profile,
        allow_insecure=allow_insecure,
    )
    return Pilot(manager)


class Pilot(PilotDayTwo, ClosedOnExit):
    """Synchronous façade over one :class:`TrueNASDockerManager` (one connection, one login).

    Args:
        manager: the manager to drive; it is connected here.
        runner: the loop runner (a private one by default).
        sandbox: an embedded sandbox this pilot owns and stops on :meth:`close`.
    """

    def __init__(
        self,
        manager: TrueNASDockerManager,
        *,
        runner: LoopRunner | None = None,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.manager = manager
        self.sandbox = sandbox
        self._runner = runner or LoopRunner()
        try:
            self._runner.run(manager.connect())
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        where = "sandbox " if self.sandbox else ""
        return f"<Pilot {where}{self.manager.client.url}>"

    def _repr_html_(self) -> str:
        """Jupyter's connection card: host, version, apps service, app counts (never the key)."""
        from scale_pilot_nb.notebook.html import connection_html

        try:
            status, problem = self._runner.run(self.manager.system_status(), timeout=10), ""
        except TrueNASError as exc:
            status, problem = None, str(exc)
        url = self.manager.client.url or ""
        return connection_html(url, status, sandbox=self.sandbox is not None, problem=problem)

    def close(self) -> None:
        """Close the connection, stop the loop thread and any embedded sandbox (idempotent)."""
        if not self._runner.closed:
            try:
                self._runner.run(self.manager.close(), timeout=10)
            finally:
                self._runner.close()
        if self.sandbox is not None:
            self.sandbox.stop()

    # -- inventory -------------------------------------------------------------------------

    def status(self) -> SystemStatus:
        return self._runner.run(self.manager.system_status())

    status.__doc__ = _M.system_status.__doc__

    def apps(self, filters: Sequence[Any] | None = None) -> pd.DataFrame:
        """The app inventory as a DataFrame, one row per app (see ``notebook.tables``)."""
        from scale_pilot_nb.notebook.tables import apps_frame

        return apps_frame(self._runner.run(self.manager.query_apps(filters)))

    def containers(self, filters: Sequence[Any] | None = None) -> pd.DataFrame:
        """Every container of every app as a DataFrame, one row per container."""
        from scale_pilot_nb.notebook.tables import containers_frame

        return containers_frame(self._runner.run(self.manager.query_apps(filters)))

    def list_apps(self, filters: Sequence[Any] | None = None) -> list[App]:
        return self._runner.run(self.manager.list_apps(filters))

    list_apps.__doc__ = _M.list_apps.__doc__

    def app(self, name: str) -> App:
        return self._runner.run(self.manager.get_app(name))

    app.__doc__ = _M.get_app.__doc__

    def app_config(self, name: str, *, secrets: bool = False) -> dict[str, Any]:
        """The stored configuration of ``name``, secret values redacted unless ``secrets``.

        Redacted as history and exports are (``compose.redaction``): a notebook's stored
        output never holds a password by accident. ``manager.app_config`` gives it raw.
        """
        config = self._runner.run(self.manager.app_config(name))
        if secrets:
            return config
        from scale_pilot_nb.compose.redaction import redact

        shown, _ = redact(config)
        return dict(shown)

    def used_ports(self) -> list[int]:
        return self._runner.run(self.manager.used_ports())

    used_ports.__doc__ = _M.used_ports.__doc__

    def ports(self, filters: Sequence[Any] | None = None) -> pd.DataFrame:
        """Published host ports as a DataFrame, one row per host binding (``notebook.tables``)."""
        from scale_pilot_nb.notebook.tables import ports_frame

        return ports_frame(self._runner.run(self.manager.query_apps(filters)))

    def volumes(self, filters: Sequence[Any] | None = None) -> pd.DataFrame:
        """Every mount of every app, with where its data lives (ix-volume, pool, system …)."""
        from scale_pilot_nb.notebook.tables import volumes_frame

        return volumes_frame(self._runner.run(self.manager.query_apps(filters)))

    def images(self) -> pd.DataFrame:
        """Docker images as a DataFrame with the apps using each (records: manager.images())."""
        from scale_pilot_nb.notebook.tables import images_frame

        images = self._runner.run(self.manager.images())
        return images_frame(images, self._runner.run(self.manager.query_apps()))

    def stats(self, samples: int = 5, interval: int = 2) -> pd.DataFrame:
        """``samples`` rounds of ``app.stats``, ``interval`` s apart (min 2), as a timed frame.

        Blocks for about ``samples * interval`` seconds; each row is one app in one round.

        Raises:
            ValueError: ``samples`` is less than 1.
        """
        from scale_pilot_nb.notebook.tables import stats_frame

        if samples < 1:
            raise ValueError(f"samples must be at least 1, not {samples}")
        rounds = self._runner.iterate(self.manager.stats(interval), timeout=30.0 + 3 * interval)
        # islice stops after the last round; the generator is then dropped, which closes the
        # subscription on the loop.
        return stats_frame([(dt.datetime.now(dt.UTC), items) for items in islice(rounds, samples)])

    def pools(self) -> list[Pool]:
        return self._runner.run(self.manager.pools())

    pools.__doc__ = _M.pools.__doc__

    # -- compose ---------------------------------------------------------------------------

    def validate(
        self,
        compose: ComposeSource,
        name: str | None = None,
        *,
        mode: Mode = "compose",
        split: bool = False,
        variables: Mapping[str, str] | None = None,
        check_ports: bool = True,
    ) -> ValidationReport:
        return self._runner.run(
            self.manager.validate(
                compose, name, mode=mode, split=split, variables=variables, check_ports=check_ports
            )
        )

    validate.__doc__ = _M.validate.__doc__

    def plan(
        self,
        compose: ComposeSource,
        name: str,
        *,
        mode: Mode = "compose",
        split: bool = False,
        variables: Mapping[str, str] | None = None,
    ) -> Plan:
        return self._runner.run(
            self.manager.plan(compose, name, mode=mode, split=split, variables=variables)
        )

    plan.__doc__ = _M.plan.__doc__

    def deploy(
        self,
        compose: ComposeSource,
        name: str,
        *,
        mode: Mode = "compose",
        split: bool = False,
        wait: bool = True,
        dry_run: bool = False,
        variables: Mapping[str, str] | None = None,
        progress: Progress = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        confirm: Callable[[Plan], bool] | None = None,
    ) -> OperationResult:
        """Validate, plan and create or update the app(s); see the manager's ``deploy``.

        ``confirm`` is a blocking function (an ``input()`` prompt, a dialog): it runs on a
        thread of its own, never on the event loop, so the connection stays alive while the
        user thinks. It is called with the plan this deploy applies when that plan would
        recreate running containers; only ``True`` goes on, otherwise
        :class:`~scale_pilot_nb.errors.ConfirmationRequired` is raised and nothing changes.
        """
        return self._with_progress(
            progress,
            f"deploy {name}",
            lambda callback: self.manager.deploy(
                compose,
                name,
                mode=mode,
                split=split,
                wait=wait,
                dry_run=dry_run,
                variables=variables,
                progress=callback,
                timeout=timeout,
                confirm=_off_loop(confirm)
                if callable(confirm)
                else confirm,  # others refused there
            ),
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        return self._with_progress(
            progress,
            f"start {name}",
            lambda cb: self.manager.start_app(name, wait=wait, timeout=timeout, progress=cb),
        )

    start.__doc__ = _M.start_app.__doc__

    def stop(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        return self._with_progress(
            progress,
            f"stop {name}",
            lambda cb: self.manager.stop_app(name, wait=wait, timeout=timeout, progress=cb),
        )

    stop.__doc__ = _M.stop_app.__doc__

    def restart(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        return self._with_progress(
            progress,
            f"restart {name}",
            lambda cb: self.manager.restart_app(name, wait=wait, timeout=timeout, progress=cb),
        )

    restart.__doc__ = _M.restart_app.__doc__

    def redeploy(
        self,
        name: str,
        *,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        return self._with_progress(
            progress,
            f"redeploy {name}",
            lambda cb: self.manager.redeploy_app(name, wait=wait, timeout=timeout, progress=cb),
        )

    redeploy.__doc__ = _M.redeploy_app.__doc__

    def delete(
        self,
        name: str,
        *,
        confirm: bool | str = False,
        remove_volumes: bool = False,
        remove_images: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        """Delete ``name``. Needs ``confirm=True`` (or the app's name); volumes are kept.

        Raises:
            ConfirmationRequired: ``confirm`` was not given.
        """
        if confirm is not True and confirm != name:
            raise ConfirmationRequired(
                f"Deleting {name!r} needs an explicit confirmation",
                hint=f"Call pilot.delete({name!r}, confirm=True).",
            )
        return self._with_progress(
            progress,
            f"delete {name}",
            lambda cb: self.manager.delete_app(
                name,
                remove_volumes=remove_volumes,
                remove_images=remove_images,
                timeout=timeout,
                progress=cb,
            ),
        )

    def bulk(
        self,
        action: str,
        names: Iterable[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> OperationResult:
        return self._runner.run(
            self.manager.bulk(action, names, concurrency=concurrency, wait=wait, timeout=timeout)
        )

    bulk.__doc__ = _M.bulk.__doc__

    def wait_for_state(
        self,
        name: str,
        state: str | AppState = AppState.RUNNING,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> App:
        return self._runner.run(self.manager.wait_for_state(name, state, timeout=timeout))

    wait_for_state.__doc__ = _M.wait_for_state.__doc__

    # -- stacks from a folder ----------------------------------------------------------------

    def sync_plan(self, directory: str | os.PathLike[str]) -> SyncPlan:
        """What ``sync(directory)`` would do: one row per stack and per orphan custom app."""
        return self._runner.run(plan_sync(self.manager, directory))

    def sync(
        self,
        stacks: SyncPlan | str | os.PathLike[str],
        *,
        prune: bool = False,
        confirm: bool = False,
        skip_invalid: bool = False,
        wait: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        progress: Progress = None,
    ) -> OperationResult:
        """Make the NAS's custom apps what the folder says (see :mod:`scale_pilot_nb.manager.sync`).

        ``prune`` also deletes custom apps the folder no longer has (volumes kept), and needs
        ``confirm=True``.

        Raises:
            ConfirmationRequired: ``prune`` without ``confirm=True``.
            ComposeError: a stack is invalid (nothing changed) unless ``skip_invalid``.
        """
        if prune and confirm is not True:
            raise ConfirmationRequired(
                "Pruning deletes apps and needs an explicit confirmation",
                hint="Call pilot.sync(..., prune=True, confirm=True).",
            )
        return self._with_progress(
            progress,
            "sync",
            lambda callback: apply_sync(
                self.manager,
                stacks,
                prune=prune,
                skip_invalid=skip_invalid,
                wait=wait,
                timeout=timeout,
                progress=callback,
            ),
        )

    # -- jobs ------------------------------------------------------------------------------

    def job(
        self,
        job_id: int,
        *,
        wait: bool = True,
        timeout: float | None = None,
        progress: Progress = None,
    ) -> Job:
        return self._with_progress(
            progress,
            f"job {job_id}",
            lambda cb: self.manager.job(job_id, wait=wait, progress=cb, timeout=timeout),
        )

    job.__doc__ = _M.job.__doc__

    def jobs(self) -> list[Job]:
        return self._runner.run(self.manager.jobs())

    jobs.__doc__ = _M.jobs.__doc__

    # -- commands in containers ------------------------------------------------------------

    def exec(
        self,
        name: str,
        command: str | Sequence[str],
        service: str | None = None,
        *,
        timeout: float | None = DEFAULT_EXEC_TIMEOUT,
        on_output: Callable[[str], None] | None = None,
    ) -> ExecResult:
        return self._runner.run(
            self.manager.exec(name, command, service, timeout=timeout, on_output=on_output)
        )

    exec.__doc__ = _M.exec.__doc__

    # -- logs ------------------------------------------------------------------------------

    @overload
    def logs(
        self,
        name: str,
        service: str | None = None,
        *,
        tail: int | None = 100,
        follow: Literal[False] = False,
        since: str | dt.datetime | None = None,
        until: str | dt.datetime | None = None,
    ) -> pd.DataFrame: ...

    @overload
    def logs(
        self,
        name: str,
        service: str | None = None,
        *,
        tail: int | None = 100,
        follow: Literal[True],
        since: str | dt.datetime | None = None,
        until: str | dt.datetime | None = None,
    ) -> Iterator[LogLine]: ...

    @overload
    def logs(
        self,
        name: str,
        service: str | None = None,
        *,
        tail: int | None = 100,
        follow: bool,
        since: str | dt.datetime | None = None,
        until: str | dt.datetime | None = None,
    ) -> pd.DataFrame | Iterator[LogLine]: ...

    def logs(
        self,
        name: str,
        service: str | None = None,
        *,
        tail: int | None = 100,
        follow: bool = False,
        since: str | dt.datetime | None = None,
        until: str | dt.datetime | None = None,
    ) -> pd.DataFrame | Iterator[LogLine]:
        """The last ``tail`` lines of ``name`` (every service, or one) as a DataFrame.

        Columns ``timestamp``, ``service``, ``line``; several services are interleaved in
        timestamp order. ``since``/``until`` keep the lines of a time window (a ``datetime``,
        ``"2026-12-03T10:00:00Z"``, ``"2026-12-03"`` or a duration before now such as
        ``"10m"``). With ``follow=True`` it returns instead an endless iterator of
        :class:`LogLine` (break to stop), as :meth:`log_lines` does.
        """
        if follow:
            return self.log_lines(name, service, tail=tail, follow=True, since=since, until=until)
        from scale_pilot_nb.notebook.day2_tables import logs_frame

        return logs_frame(self.log_lines(name, service, tail=tail, since=since, until=until))

    def log_lines(
        self,
        name: str,
        service: str | None = None,
        *,
        tail: int | None = 100,
        follow: bool = False,
        since: str | dt.datetime | None = None,
        until: str | dt.datetime | None = None,
    ) -> Iterator[LogLine]:
        """Log lines of ``name`` in timestamp order; with ``follow`` an endless iterator."""
        return self._runner.iterate(
            self.manager.logs(name, service, tail=tail, follow=follow, since=since, until=until)
        )

    def watch_apps(
        self, name: str | None = None, *, timeout: float | None = None
    ) -> Iterator[tuple[WatchEvent, App]]:
        return self._runner.iterate(self.manager.watch_apps(name, timeout=timeout))

    watch_apps.__doc__ = _M.watch_apps.__doc__

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on this pilot's loop thread and wait for its result.

        Unlike ``submit(coro).result()``, an interrupt (Ctrl-C) or ``timeout`` cancels the
        coroutine on the loop, so its ``finally`` blocks run instead of it going on unseen
        (see :meth:`LoopRunner.run <scale_pilot_nb.pilot.runner.LoopRunner.run>`).
        """
        return self._runner.run(coro, timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``coro`` on this pilot's loop thread and return at once (widgets use this).

        The returned future completes on the loop thread; nothing waits for it unless you call
        ``.result()``.
        """
        return asyncio.run_coroutine_threadsafe(coro, self._runner.loop)

    # -- notebook widgets ------------------------------------------------------------------

    def deploy_form(
        self, compose: str | os.PathLike[str] | None = None, name: str | None = None
    ) -> DeployForm:
        """A form to edit, validate, plan and deploy a compose file (see ``notebook.widgets``)."""
        from scale_pilot_nb.notebook.widgets import DeployForm

        return DeployForm(self, compose, name)

    def dashboard(self) -> Dashboard:
        """The app inventory with Start / Stop / Restart / Logs actions, live from events."""
        from scale_pilot_nb.notebook.widgets import Dashboard

        return Dashboard(self)

    def log_viewer(self, name: str, service: str | None = None, *, lines: int = 200) -> LogViewer:
        """Follow the logs of ``name`` in a bounded, scrolling view (last ``lines`` kept)."""
        from scale_pilot_nb.notebook.widgets import LogViewer

        return LogViewer(self, name, service, max_lines=lines)

    def stats_view(
        self, interval: int = 2, window: int = 60, metric: str = "cpu", *, top: int = 5
    ) -> StatsView:
        """A live SVG chart of ``app.stats`` (cpu, memory, rx, tx) for the top ``top`` apps."""
        from scale_pilot_nb.notebook.widgets import StatsView

        return StatsView(self, interval=interval, window=window, metric=metric, top=top)
