"""Several NAS boxes at once: the same DataFrames with a ``host`` column.

``fleet([...])`` connects to every host concurrently — one connection (one manager) each, all
driven by one loop thread — and every question goes to all of them at the same time. A host
that cannot be reached, refuses the login or fails a query is reported in :meth:`Fleet.status`
and left out of that frame; it never breaks the others::

    fl = scale_pilot_nb.fleet(["home", "office", "nas3.lan"])   # profiles or addresses
    fl.status()            # host, connected, version, apps, running, error
    fl.apps()              # every app of every reachable host, with a host column
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.config.files import default_config_path, read_toml
from scale_pilot_nb.errors import ConfigError, TrueNASError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.runner import LoopRunner
from scale_pilot_nb.rpc.lifetime import ClosedOnExit
from scale_pilot_nb.rpc.options import ReconnectPolicy

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Fleet", "HostSpec", "fleet"]

#: A host: a profile name, an address, or a dict of ``TrueNASDockerManager`` keyword
#: arguments (``label`` optionally names it in the frames).
HostSpec = str | Mapping[str, Any]

#: Seconds a host gets to connect and log in before it is reported as down.
CONNECT_TIMEOUT = 30.0
#: Seconds a host gets to answer one fleet question.
QUERY_TIMEOUT = 60.0
#: A fleet reports a dropped host within seconds instead of retrying for minutes as a single
#: connection does: the other hosts' answers should not wait for it.
FLEET_RECONNECT = ReconnectPolicy(max_attempts=2, initial_delay=0.2, max_delay=1.0)


def fleet(
    hosts: Iterable[HostSpec], *, connect_timeout: float = CONNECT_TIMEOUT, **common: Any
) -> Fleet:
    """Connect to every host concurrently and return a :class:`Fleet`.

    Args:
        hosts: profile names (from ``~/.config/scale-pilot/config.toml``), addresses, or dicts
            of connection arguments (``url``, ``api_key``, ``profile`` … and an optional
            ``label``).
        connect_timeout: seconds each host gets to connect; a slower one is reported down.
        common: connection arguments shared by every host (e.g. ``verify_ssl=False``).

    Raises:
        ConfigError: no hosts, or two hosts with the same label.
    """
    labelled = [_label(spec) for spec in hosts]
    if not labelled:
        raise ConfigError("A fleet needs at least one host")
    labels = [label for label, _ in labelled]
    if len(set(labels)) != len(labels):
        raise ConfigError(
            f"Hosts must be distinct: {labels}", hint="Give dict hosts a distinct 'label'."
        )
    members: dict[str, TrueNASDockerManager | TrueNASError] = {}
    for label, kwargs in labelled:
        try:
            members[label] = TrueNASDockerManager(**(common | kwargs), reconnect=FLEET_RECONNECT)
        except TrueNASError as exc:  # bad settings for one host do not stop the others
            members[label] = exc
    return Fleet(members, connect_timeout=connect_timeout)


def _label(spec: HostSpec) -> tuple[str, dict[str, Any]]:
    if isinstance(spec, str):
        key = "profile" if spec in _profiles() else "url"
        return _without_credentials(spec), {key: spec}
    kwargs = dict(spec)
    label = kwargs.pop("label", None) or kwargs.get("url") or kwargs.get("profile")
    if not label:
        raise ConfigError(f"Host {sorted(kwargs)} has neither a label, a url nor a profile")
    return _without_credentials(str(label)), kwargs


def _without_credentials(address: str) -> str:
    """A host's label as shown in frames: a ``user:password@`` in it is never repeated (the
    connection refuses such a URL anyway, with its own message)."""
    return re.sub(r"^([^@/]*//)?[^@/]*@", r"\1", address.strip())


def _profiles() -> set[str]:
    path = default_config_path()
    if not path.is_file():
        return set()
    profiles = read_toml(path).get("profiles", {})
    return set(profiles) if isinstance(profiles, dict) else set()


class Fleet(ClosedOnExit):
    """Managers of several NAS boxes behind one loop thread (see the module docstring).

    Args:
        members: label -> manager, or the error that kept the host out from the start.
        connect_timeout: seconds each host gets to connect.
    """

    def __init__(
        self,
        members: Mapping[str, TrueNASDockerManager | TrueNASError],
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self._runner = LoopRunner()
        self._managers = {k: v for k, v in members.items() if isinstance(v, TrueNASDockerManager)}
        self._errors: dict[str, str] = {
            k: str(v) for k, v in members.items() if isinstance(v, TrueNASError)
        }
        self._order = list(members)
        self._up: set[str] = set()
        try:
            self._runner.run(self._connect_all(connect_timeout))
        except BaseException:  # e.g. KeyboardInterrupt: do not leak the loop thread
            self.close()
            raise

    def __repr__(self) -> str:
        up = len(self._up - self._errors.keys())
        return f"<Fleet {up}/{len(self._order)} hosts up: {', '.join(self._order)}>"

    @property
    def hosts(self) -> list[str]:
        """Every host's label, in the order given."""
        return list(self._order)

    def manager(self, host: str) -> TrueNASDockerManager:
        """The manager of ``host`` (run its coroutines with :meth:`run`).

        Raises:
            ConfigError: ``host`` is not in the fleet, or its settings were refused.
        """
        if host not in self._managers:
            why = self._errors.get(host, f"not one of {self._order}")
            raise ConfigError(f"No manager for host {host!r}: {why}")
        return self._managers[host]

    def run(self, coro: Awaitable[Any], timeout: float | None = None) -> Any:
        """Run a coroutine on the fleet's loop thread (for a manager's async methods)."""

        async def wrapped() -> Any:
            return await coro

        return self._runner.run(wrapped(), timeout)

    def close(self) -> None:
        """Close every connection and the loop thread (idempotent)."""
        if self._runner.closed:
            return

        async def close_all() -> None:
            # return_exceptions: one failing close must not leave the others' connections open
            await asyncio.gather(
                *(m.close() for m in self._managers.values()), return_exceptions=True
            )

        try:
            self._runner.run(close_all(), timeout=10)
        finally:
            self._runner.close()

    # -- frames ----------------------------------------------------------------------------

    def status(self) -> pd.DataFrame:
        """One row per host: connected, version, app counts, and why it is down if it is."""
        from scale_pilot_nb.notebook.day2_tables import fleet_status_frame

        statuses = self._gather(lambda m: m.system_status())
        rows = []
        for host in self._order:
            status = statuses.get(host)
            rows.append(
                {
                    "host": host,
                    "connected": status is not None,
                    "version": status.info.version if status else None,
                    "apps": status.app_count if status else None,
                    "running": status.running_apps if status else None,
                    "error": self._errors.get(host),
                }
            )
        return fleet_status_frame(rows)

    def apps(self) -> pd.DataFrame:
        """Every app of every reachable host (``tables.apps_frame`` plus ``host``)."""
        from scale_pilot_nb.notebook.tables import apps_frame

        return self._frame(lambda m: m.query_apps(), apps_frame)

    def containers(self) -> pd.DataFrame:
        """Every container of every reachable host (``tables.containers_frame`` plus ``host``)."""
        from scale_pilot_nb.notebook.tables import containers_frame

        return self._frame(lambda m: m.query_apps(), containers_frame)

    def updates(self) -> pd.DataFrame:
        """Image updates and catalog upgrades of every reachable host, with ``host``."""
        from scale_pilot_nb.notebook.day2_tables import updates_frame

        return self._frame(lambda m: m.updates(), updates_frame)

    # -- helpers ---------------------------------------------------------------------------

    async def _connect_all(self, timeout: float) -> None:
        async def one(host: str, manager: TrueNASDockerManager) -> None:
            try:
                await asyncio.wait_for(manager.connect(), timeout)
                self._up.add(host)
            except TimeoutError:
                self._errors[host] = f"did not connect within {timeout:g} s"
            except Exception as exc:
                self._errors[host] = _reason(exc)

        await asyncio.gather(*(one(h, m) for h, m in self._managers.items()))

    def _gather(self, ask: Callable[[TrueNASDockerManager], Awaitable[Any]]) -> dict[str, Any]:
        """``ask`` every connected host at once; failures go to the status, not the caller."""
        live = {h: m for h, m in self._managers.items() if h in self._up}

        async def one(host: str, manager: TrueNASDockerManager) -> tuple[str, Any]:
            try:
                return host, await asyncio.wait_for(ask(manager), QUERY_TIMEOUT)
            except TimeoutError:
                self._errors[host] = f"did not answer within {QUERY_TIMEOUT:g} s"
            except Exception as exc:  # one host's surprise must not cost the others' answers
                self._errors[host] = _reason(exc)
            return host, None

        async def every() -> list[tuple[str, Any]]:
            return await asyncio.gather(*(one(h, m) for h, m in live.items()))

        for host in live:
            self._errors.pop(host, None)
        return {h: v for h, v in self._runner.run(every()) if v is not None}

    def _frame(
        self,
        ask: Callable[[TrueNASDockerManager], Awaitable[Any]],
        build: Callable[[Any], pd.DataFrame],
    ) -> pd.DataFrame:
        from scale_pilot_nb.notebook.day2_tables import with_host

        answers = self._gather(ask)
        frames = {host: build(answers[host]) for host in self._order if host in answers}
        return with_host(frames, build([]))


def _reason(exc: Exception) -> str:
    """Why a host is down, for :meth:`Fleet.status` (our errors carry their own wording)."""
    return str(exc) if isinstance(exc, TrueNASError) else f"{type(exc).__name__}: {exc}"
