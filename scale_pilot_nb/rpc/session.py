"""Keeping one logged-in connection alive: connect, negotiate, log in, reconnect, keepalive.

:class:`Session` is the base of :class:`~scale_pilot_nb.rpc.client.RpcClient`; it owns the
connection's life and nothing about individual calls. Establishing a connection is always the
same sequence, on the first connect and after every drop:

1. with credentials, ask :func:`~scale_pilot_nb.rpc.wire_safety.check_credential_route`
   whether they may travel to the URL (``wss://``, or ``ws://`` to a loopback address, unless
   ``allow_insecure``), then open the WebSocket (URL discovery on the first connect only; TLS
   as configured; redirects are never followed);
2. legacy dialect: the ``connect``/``connected`` handshake; JSON-RPC: ``core.set_options``
   asking for ``legacy_jobs: false`` (new-style jobs when the server agrees);
3. log in once (``auth.login_ex``, or the legacy methods where it does not exist);
4. subscribe to ``core.get_jobs`` (before any job call can be sent on this connection);
5. renew the user's subscriptions and re-attach to running jobs by id.

After a drop, reconnect attempts follow the :class:`~scale_pilot_nb.rpc.options.ReconnectPolicy`
(exponential backoff with jitter). A refused login ends the attempts at once: retrying a bad or
revoked key in a loop only trips the NAS's rate limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Awaitable, Sequence
from enum import Enum
from typing import TypeVar

from scale_pilot_nb.errors import (
    ApiError,
    AuthenticationError,
    CallTimeoutError,
    ConnectionError,
    RequestOutcomeUnknown,
    TrueNASError,
    UnsupportedError,
)
from scale_pilot_nb.rpc.auth import Credentials, SecretLike, check_login_result, login_plan
from scale_pilot_nb.rpc.connection import DEFAULT_MAX_IN_FLIGHT, Connection
from scale_pilot_nb.rpc.endpoints import dialect_of, endpoint_candidates
from scale_pilot_nb.rpc.error_map import call_error, login_error
from scale_pilot_nb.rpc.events import CollectionUpdate, JobUpdate, Unsubscribed
from scale_pilot_nb.rpc.jobs import JobWaiter, JobWaiters, job_query
from scale_pilot_nb.rpc.lifetime import AsyncConnected
from scale_pilot_nb.rpc.options import (
    DEFAULT_RECONNECT,
    DEFAULT_TIMEOUTS,
    ReconnectPolicy,
    Timeouts,
    ssl_context,
)
from scale_pilot_nb.rpc.protocol import JOBS_COLLECTION, Dialect, protocol_for
from scale_pilot_nb.rpc.shell import ShellRoute
from scale_pilot_nb.rpc.stats import ClientStats, note_login
from scale_pilot_nb.rpc.subscription import SubscriptionTable
from scale_pilot_nb.rpc.transport import EndpointNotFound, TransportOpener, open_websocket
from scale_pilot_nb.rpc.wire_safety import check_credential_route

__all__ = ["ClientState", "Session"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_SET_OPTIONS = {"legacy_jobs": False, "private_methods": False, "py_exceptions": False}


class ClientState(Enum):
    """Lifecycle of a client: it is opened once and closed once."""

    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class Session(AsyncConnected):
    """One logical session with a NAS over a sequence of connections.

    Args: see :class:`~scale_pilot_nb.rpc.client.RpcClient`; besides,
        allow_insecure: let credentials travel over ``ws://`` to a host that is not loopback
            (labs only: TrueNAS 25.04+ revokes an API key sent that way).
    """

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        api_key: SecretLike | None = None,
        username: str | None = None,
        password: SecretLike | None = None,
        verify_ssl: bool = True,
        ca_file: str | os.PathLike[str] | None = None,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        reconnect: ReconnectPolicy = DEFAULT_RECONNECT,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        opener: TransportOpener = open_websocket,
        allow_insecure: bool = False,
    ) -> None:
        self._candidates = endpoint_candidates(url)
        self._open_transport = opener
        self._credentials = (
            Credentials(api_key=api_key, username=username, password=password)
            if api_key is not None or password is not None
            else None
        )
        self._verify_ssl = verify_ssl
        self._ca_file = ca_file
        self._allow_insecure = allow_insecure
        self.timeouts = timeouts
        self.reconnect_policy = reconnect
        self._max_in_flight = max_in_flight
        self.stats = ClientStats()
        self.state = ClientState.UNOPENED
        self._endpoint: str | None = None
        self._new_style_jobs = False
        #: How the last login went through (``"API_KEY_PLAIN via auth.login_ex"`` …), or None.
        self.login_mechanism: str | None = None
        self._conn: Connection | None = None
        self._ready = asyncio.Event()
        self._broken: TrueNASError | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._keepalive: asyncio.Task[None] | None = None
        self._jobs = JobWaiters()
        self._subscriptions = SubscriptionTable()
        self._rng = random.Random()

    def __repr__(self) -> str:
        where = self._endpoint or self._candidates[0]
        return f"{type(self).__name__}({where!r}, state={self.state.value})"

    @property
    def url(self) -> str | None:
        """The endpoint in use, once connected (after discovery)."""
        return self._endpoint

    @property
    def dialect(self) -> Dialect | None:
        """The wire dialect of the endpoint in use, once connected."""
        return dialect_of(self._endpoint) if self._endpoint else None

    def shell_route(self) -> ShellRoute:
        """Where this session's web shell is, with the connection's TLS and safety settings.

        Raises:
            ConnectionError: not connected yet (the endpoint is found on connecting).
        """
        if self._endpoint is None:
            raise ConnectionError("The client is not connected", hint="Await connect() first.")
        return ShellRoute.of_session(
            self._endpoint,
            verify_ssl=self._verify_ssl,
            ca_file=self._ca_file,
            allow_insecure=self._allow_insecure,
            credentials=self._credentials,
        )

    @property
    def new_style_jobs(self) -> bool:
        """True when the server agreed to ``legacy_jobs: false`` (25.10+)."""
        return self._new_style_jobs

    @property
    def connected(self) -> bool:
        """True while a connection is established (and logged in, with credentials)."""
        return self._conn is not None and not self._conn.closed

    async def connect(self) -> None:
        """Connect, negotiate, log in and subscribe to job events.

        Idempotent while the client is open (a reconnect in progress carries on by itself).
        A failed connect is not retried automatically but may be retried by calling this again.

        Raises:
            ConnectionError: the NAS cannot be reached, or the client was closed (a closed
                client is not reopened).
            AuthenticationError: the login was refused (``RateLimitedError`` when throttled).
            ConfigError: the URL or TLS settings are unusable.
        """
        if self.state is ClientState.OPEN:
            return
        if self.state is ClientState.CLOSED:
            raise ConnectionError(
                "This client was closed; a client connects once", hint="Create a new client."
            )
        self.state = ClientState.OPEN
        try:
            await self._establish()
        except BaseException:
            self.state = ClientState.UNOPENED  # nothing was kept; connect() may be tried again
            raise
        if self._credentials is not None and self.timeouts.keepalive is not None:
            self._keepalive = asyncio.create_task(self._keep_alive(), name="truenas-keepalive")

    async def close(self) -> None:
        """Close the connection; pending calls, job waits and subscriptions end. Idempotent."""
        if self.state is ClientState.CLOSED:
            return
        self.state = ClientState.CLOSED
        for task in (self._supervisor, self._keepalive):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._jobs.fail_all(
            lambda waiter: ConnectionError("The client was closed", hint="Create a new client.")
        )
        self._subscriptions.end_all()
        conn, self._conn = self._conn, None
        self._ready.set()
        if conn is not None:
            await conn.close()

    # -- EventSink: called by the connection's reader --------------------------------------

    def job_updated(self, update: JobUpdate) -> None:
        """Route a ``core.get_jobs`` event to the job waits."""
        self._jobs.update(update)

    def collection_updated(self, update: CollectionUpdate) -> None:
        """Route a subscription event to its subscriptions."""
        self.stats.dropped_events += self._subscriptions.deliver(update)

    def unsubscribed(self, event: Unsubscribed) -> None:
        """The server ended a subscription: end the iterators (raising its error, if any)."""
        name = event.collection
        error = call_error(event.error, method=f"subscription {name}") if event.error else None
        self._subscriptions.ended(name, error)

    def connection_lost(self, connection: Connection, error: ConnectionError) -> None:
        """The current connection dropped: start reconnecting."""
        if connection is not self._conn or self.state is not ClientState.OPEN:
            return
        logger.warning("connection to %s lost: %s", self._endpoint, error.message)
        self._conn = None
        self._ready.clear()
        self._start_reconnect()

    # -- the live connection -------------------------------------------------------------

    async def _connection(self) -> Connection:
        """The live connection, waiting for a reconnect if one is under way.

        Raises:
            ConnectionError: the client is not open, or the last reconnect round failed and a
                new one failed too.
            AuthenticationError: reconnecting was refused at login.
        """
        waited = False
        while True:
            if self.state is not ClientState.OPEN:
                raise ConnectionError(
                    "The client is not connected"
                    if self.state is ClientState.UNOPENED
                    else "The client was closed",
                    hint="Use `async with` on the client, or await connect() first.",
                )
            conn = self._conn
            if conn is not None and not conn.closed:
                return conn
            if conn is not None:  # closed, and the reader has not reported it yet
                self.connection_lost(conn, ConnectionError("connection closed"))
            elif self._broken is not None:
                # A caller that waited through the failed round gets its error; a new caller
                # starts one new round (the outage may be over), unless the login was refused.
                if waited or isinstance(self._broken, AuthenticationError):
                    raise self._broken
                self._start_reconnect()
            waited = True
            await self._ready.wait()

    def _start_reconnect(self) -> None:
        if self._supervisor is None or self._supervisor.done():
            self._broken = None
            self._ready.clear()
            self._supervisor = asyncio.create_task(self._reconnect(), name="truenas-reconnect")

    async def _reconnect(self) -> None:
        last: TrueNASError = ConnectionError("Reconnecting is disabled (max_attempts=0)")
        for attempt, delay in enumerate(self.reconnect_policy.delays(self._rng), start=1):
            await asyncio.sleep(delay)
            try:
                await self._establish()
            except AuthenticationError as exc:
                last = exc
                break  # a refused login is never retried in a loop
            except TrueNASError as exc:
                logger.info("reconnect attempt %d failed: %s", attempt, exc.message)
                last = exc
                continue
            except Exception as exc:  # a bug must not leave every waiter hanging
                logger.exception("reconnecting failed unexpectedly")
                last = ConnectionError(f"Reconnecting failed: {exc!r}")
                break
            self.stats.reconnects += 1
            return
        self._give_up(last)

    def _give_up(self, error: TrueNASError) -> None:
        logger.warning("giving up reconnecting to %s: %s", self._endpoint, error.message)
        self._broken = error
        self._jobs.fail_all(
            lambda waiter: RequestOutcomeUnknown(
                f"{waiter.method}: the connection could not be re-established while the job "
                "ran; its outcome is unknown",
                method=waiter.method,
                sent=True,
                job_id=waiter.job_id,
            )
        )
        self._subscriptions.end_all(error)
        self._ready.set()

    # -- establishing a connection -------------------------------------------------------

    async def _establish(self) -> None:
        conn = await self._open()
        try:
            self._new_style_jobs = await self._set_options(conn)
            if self._credentials is not None:
                await self._login(conn)
                await self._bounded(conn.subscribe(JOBS_COLLECTION), "core.subscribe")
            await self._renew_subscriptions(conn)
            await self._reattach_jobs(conn)
        except BaseException:
            await conn.close()
            raise
        self.stats.connects += 1
        self._conn = conn
        self._ready.set()

    async def _open(self) -> Connection:
        candidates = [self._endpoint] if self._endpoint else self._candidates
        for index, url in enumerate(candidates):
            if self._credentials is not None:
                await asyncio.to_thread(
                    check_credential_route, url, allow_insecure=self._allow_insecure
                )
            tls = (
                ssl_context(verify_ssl=self._verify_ssl, ca_file=self._ca_file)
                if url.startswith("wss:")
                else None
            )
            try:
                transport = await self._open_transport(
                    url, ssl_context=tls, open_timeout=self.timeouts.connect
                )
            except EndpointNotFound:
                if index == len(candidates) - 1:
                    raise
                continue
            conn = Connection(
                transport,
                protocol_for(dialect_of(url)),
                self,
                self.stats,
                max_in_flight=self._max_in_flight,
            )
            await conn.start(self.timeouts.connect)
            self._endpoint = url
            return conn
        raise AssertionError("endpoint_candidates() never returns an empty list")

    async def _set_options(self, conn: Connection) -> bool:
        """Ask for new-style jobs; True if the server agreed (25.10+ answers with a dict)."""
        if conn.dialect is Dialect.LEGACY:
            return False
        try:
            options = await self._bounded(
                conn.request("core.set_options", [_SET_OPTIONS]), "core.set_options"
            )
        except (ApiError, UnsupportedError) as exc:
            logger.info("core.set_options refused (%s); using legacy jobs", exc.message)
            return False
        return isinstance(options, dict) and options.get("legacy_jobs") is False

    async def _login(self, conn: Connection) -> None:
        assert self._credentials is not None
        for step in login_plan(self._credentials, conn.dialect):
            note_login(step.method)
            try:
                result = await self._bounded(conn.request(step.method, step.params), step.method)
            except UnsupportedError:
                continue  # an older server without auth.login_ex
            except (ApiError, AuthenticationError) as exc:
                raise login_error(step.mechanism, exc) from None
            check_login_result(step, result)
            self.stats.logins += 1
            self.login_mechanism = step.mechanism
            return
        raise AuthenticationError("The NAS offers none of the login methods this client knows")

    async def _renew_subscriptions(self, conn: Connection) -> None:
        """Subscribe again, once per name however many local subscribers share it."""
        self._subscriptions.new_connection()
        for shared in self._subscriptions.established():
            try:
                shared.opened(await self._bounded(conn.subscribe(shared.name), "core.subscribe"))
            except (ApiError, AuthenticationError, UnsupportedError) as exc:
                self._subscriptions.drop(shared, exc)

    async def _reattach_jobs(self, conn: Connection) -> None:
        """Ask the NAS how each awaited job is doing; events seen meanwhile take precedence."""
        for job_id, waiters in self._jobs.running().items():
            seen = {waiter: waiter.observed for waiter in waiters}
            rows = await self._bounded(
                conn.request("core.get_jobs", job_query(job_id)), "core.get_jobs"
            )
            if not rows:
                for waiter in waiters:
                    waiter.fail(self._vanished(waiter, job_id))
                continue
            snapshot = self._jobs.tracker.record(job_id, rows[0])
            for waiter in waiters:
                if snapshot.terminal or waiter.observed == seen[waiter]:
                    waiter.observe(snapshot)

    @staticmethod
    def _vanished(waiter: JobWaiter, job_id: int) -> RequestOutcomeUnknown:
        return RequestOutcomeUnknown(
            f"{waiter.method}: job {job_id} is no longer known to the NAS (it restarted?)",
            method=waiter.method,
            sent=True,
            job_id=job_id,
        )

    # -- timeouts and keepalive ----------------------------------------------------------

    async def _bounded(self, work: Awaitable[T], what: str) -> T:
        """``work`` under the call timeout (set-up steps that are not user calls)."""
        return await self._with_timeout(work, self.timeouts.call, what, None)

    async def _with_timeout(
        self, work: Awaitable[T], limit: float | None, what: str, waiter: JobWaiter | None
    ) -> T:
        scope = asyncio.timeout(limit)
        try:
            async with scope:
                return await work
        except TimeoutError:
            if not scope.expired():
                raise
            job_id = waiter.job_id if waiter is not None else None
            running = f" (job {job_id} keeps running on the NAS)" if job_id is not None else ""
            raise CallTimeoutError(
                f"{what}: no answer within {limit} s{running}",
                job_id=job_id,
                hint="Raise the timeout; wait_job(job_id) follows a job that timed out."
                if job_id is not None
                else "Raise the timeout, or check that the NAS is responsive.",
            ) from None

    async def _keep_alive(self) -> None:
        """Ping a logged-in connection that has been silent; no answer drops it (reconnect).

        Silence is measured on what the server sends: a client that keeps sending into a
        dead connection is exactly what this must catch. When every call slot is taken the
        ping is skipped rather than queued, so long jobs cannot make it time out.
        """
        interval = self.timeouts.keepalive
        assert interval is not None
        loop = asyncio.get_running_loop()
        while True:
            conn = self._conn
            if conn is None or conn.closed or conn.saturated:
                await asyncio.sleep(interval)
                continue
            silent = loop.time() - conn.last_received
            if silent < interval:
                await asyncio.sleep(interval - silent)
                continue
            self.stats.keepalive_pings += 1
            try:
                await self._with_timeout(conn.request("core.ping"), interval, "core.ping", None)
            except CallTimeoutError:
                await conn.abort(ConnectionError(f"core.ping unanswered for {interval} s"))
            except TrueNASError as exc:
                logger.info("keepalive ping failed: %s", exc.message)
