"""``RpcClient``: the async TrueNAS middleware client.

::

    async with RpcClient("nas.local", api_key=key, username="admin") as client:
        info = await client.call("system.info")
        app = await client.call_job("app.create", payload, progress=print)
        async for event in client.subscribe("app.query"):
            ...

The connection's life (discovery, TLS, ``core.set_options``, login, ``core.get_jobs``
subscription, keepalive, reconnect) is :class:`~scale_pilot_nb.rpc.session.Session`'s; this
module adds the three ways to use it:

* :meth:`RpcClient.call` — one call. At most ``max_in_flight`` (20) await an answer at once,
  the rest wait for a slot; the timeout raises :class:`~scale_pilot_nb.errors.CallTimeoutError`.
* :meth:`RpcClient.call_job` / :meth:`RpcClient.wait_job` — a job, waited for through
  ``core.get_jobs`` events (never polling), with ``(percent, description)`` progress.
* :meth:`RpcClient.subscribe` — events as an async iterator.

What happens to a call when the connection drops:

=====================================  ================================================
the call was …                         then
=====================================  ================================================
not yet sent                           sent on the new connection (a mutation gets
                                       ``RequestOutcomeUnknown(sent=False)`` if none comes)
sent, a read (``methods.py``)          re-sent on the new connection (at most 3 times)
sent, a mutation                       :class:`~scale_pilot_nb.errors.RequestOutcomeUnknown`
a job whose id is known                re-attached by id; its end is awaited as before,
                                       unless the id now names another call's job (the
                                       middleware restarted: ids start again at 1), which
                                       is :class:`~scale_pilot_nb.errors.RequestOutcomeUnknown`
a job whose id is not yet known        :class:`~scale_pilot_nb.errors.RequestOutcomeUnknown`
=====================================  ================================================

What happens to a job when the task waiting for it is cancelled (Ctrl-C through the sync
façade, or ``task.cancel()``): before the cancellation goes on, the client looks at the job
(``core.get_jobs``) and decides from the middleware's behaviour (``middlewared/job.py``,
``Job.abort`` and ``Job.run``, the same in TS-24.10.2.4, TS-25.04.2.6 and TS-25.10.5):

=====================================  ================================================
the job is …                           then
=====================================  ================================================
WAITING (queued behind its lock)       ``core.job_abort``: TrueNAS marks it, and it ends
                                       ABORTED without running once its turn comes;
                                       nothing changes on the NAS
RUNNING                                left alone: the middleware would cancel the job's
                                       future while its body (a plain ``def`` in a worker
                                       thread, for every app job) carries on, so the job
                                       would read ABORTED while the app still gets
                                       created, updated or started; it goes on, and the
                                       caller is told how to follow it
already ended                          reported as it ended
not yet named by the NAS               "sent, may still run", or "never sent"
=====================================  ================================================

``core.job_abort`` ignores the job's ``abortable`` flag (a hint for the web UI, False for
every app job). The verdict (:class:`~scale_pilot_nb.errors.InterruptedJob`) goes to the
cancelled task's :class:`~scale_pilot_nb.errors.InterruptionReport`, from which the sync
façade raises :class:`~scale_pilot_nb.errors.OperationInterrupted`; ``async`` code that
cancels a call itself gets its ``CancelledError`` and the verdict as a logged warning. A job
the caller only follows (:meth:`RpcClient.wait_job`) is never aborted: it is not its call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from scale_pilot_nb.errors import (
    ApiError,
    ConnectionError,
    InterruptedJob,
    JobFate,
    RequestOutcomeUnknown,
    TrueNASError,
    record_interruption,
)
from scale_pilot_nb.rpc.connection import Connection, ConnectionLost
from scale_pilot_nb.rpc.jobs import (
    TERMINAL_STATES,
    JobWaiter,
    ProgressCallback,
    app_name_of,
    job_query,
)
from scale_pilot_nb.rpc.methods import is_read_method
from scale_pilot_nb.rpc.options import USE_DEFAULT, TimeoutArg
from scale_pilot_nb.rpc.session import Session
from scale_pilot_nb.rpc.subscription import DEFAULT_MAX_QUEUE, SharedSubscription, Subscription

__all__ = ["INTERRUPT_CHECK_TIMEOUT", "MAX_READ_RESENDS", "RpcClient"]

logger = logging.getLogger(__name__)

#: How often a read is re-sent after drops before the client gives up on it.
MAX_READ_RESENDS = 3
#: Seconds each look at an interrupted call's job may take (``core.get_jobs``,
#: ``core.job_abort``); the sync façade waits a few seconds in all for the verdict.
INTERRUPT_CHECK_TIMEOUT = 2.0


class RpcClient(Session):
    """Async client for the TrueNAS middleware (JSON-RPC 2.0 and legacy dialects).

    Args:
        url: a host (``nas.local``: ``wss://`` with ``/api/current``, falling back to
            ``/websocket`` on HTTP 404) or a full URL, used as given; or several URLs
            (resolved settings' candidates), tried in order on HTTP 404.
        api_key: an API key (``str`` or an object with ``get_secret()``/``reveal()``).
        username: the key's user (enables ``auth.login_ex``) or the password's user.
        password: a password, when no API key is given.
        verify_ssl: verify the server's certificate (default); ``False`` for lab boxes.
        ca_file: a PEM bundle to trust for ``wss://``.
        timeouts: connect / call / job / keepalive timeouts.
        reconnect: backoff policy after a drop; ``NO_RECONNECT`` to fail fast.
        max_in_flight: calls awaiting an answer at once on the connection.
        opener: opens the wire (:class:`~scale_pilot_nb.rpc.transport.TransportOpener`);
            the ``websockets`` one by default.

    Without credentials the client does not log in, and therefore neither waits on jobs nor
    keeps the connection alive (both need a session on older releases).
    """

    async def call(
        self,
        method: str,
        *params: Any,
        timeout: TimeoutArg = USE_DEFAULT,
        retry_safe: bool | None = None,
    ) -> Any:
        """Call ``method`` with positional ``params`` and return its result.

        For a job method this returns the job id (legacy jobs) or the job's result (new-style
        jobs); :meth:`call_job` waits for a job the same way on every server.

        Args:
            timeout: seconds until the answer, including waits for a free call slot and for
                a reconnect; ``None`` waits forever; default ``timeouts.call``.
            retry_safe: whether re-sending after a drop is harmless; by default
                :func:`~scale_pilot_nb.rpc.methods.is_read_method` decides.

        Raises:
            CallTimeoutError: no answer in time (a mutation may still be carried out).
            RequestOutcomeUnknown: a mutation was sent and the connection dropped.
            ValidationError, ApiError, UnsupportedError, AuthenticationError: the NAS refused.
            ConnectionError: the client is closed, or reconnecting failed.
        """
        self.stats.calls += 1
        retry = is_read_method(method) if retry_safe is None else retry_safe
        limit = self.timeouts.call if timeout is USE_DEFAULT else timeout
        return await self._with_timeout(self._call(method, params, retry), limit, method, None)

    async def call_job(
        self,
        method: str,
        *params: Any,
        progress: ProgressCallback | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
        on_job: Callable[[int], None] | None = None,
    ) -> Any:
        """Call a job method and wait for the job to end; return the job's result.

        Args:
            progress: called with ``(percent, description)`` on every change, in order, on
                the event loop (keep it quick).
            timeout: seconds for the whole job; default ``timeouts.job`` (``None``: as long
                as it runs). On timeout the job keeps running on the NAS.
            on_job: called with the job's id as soon as it is known (results report it).

        When the waiting task is cancelled, a job still WAITING for its lock is aborted and a
        RUNNING one goes on (see the module docstring); the verdict is recorded before the
        ``CancelledError`` goes on.

        Raises:
            JobFailedError: the job failed or was aborted (``job_id``, ``progress_description``).
            ValidationError: the arguments were rejected, before or inside the job.
            RequestOutcomeUnknown: the connection dropped before the job id was known.
            CallTimeoutError: the job did not end in time (``job_id`` set when known).
        """
        self.stats.calls += 1
        waiter = JobWaiter(method, progress, on_job, params=params)
        limit = self.timeouts.job if timeout is USE_DEFAULT else timeout
        try:
            work = self._run_job(method, params, waiter)
            return await self._with_timeout(work, limit, method, waiter)
        except asyncio.CancelledError:
            if _cancelled_from_outside():
                await self._tell_interruption(waiter, method, app_name_of(method, params))
            raise
        finally:
            self._jobs.forget(waiter)

    async def wait_job(
        self,
        job_id: int,
        *,
        progress: ProgressCallback | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
    ) -> Any:
        """Wait for an existing job (started elsewhere, or whose wait timed out) to end.

        When the waiting task is cancelled the job goes on, whatever its state: it is not
        this caller's to abort; the verdict says so.

        Raises:
            JobFailedError, ValidationError: as for :meth:`call_job`.
            ApiError: no job with that id exists (ENOENT).
            CallTimeoutError: it did not end in time.
        """
        waiter = JobWaiter(f"job {job_id}", progress)
        limit = self.timeouts.job if timeout is USE_DEFAULT else timeout
        try:
            return await self._with_timeout(self._attach(job_id, waiter), limit, "wait_job", waiter)
        except asyncio.CancelledError:
            if _cancelled_from_outside():
                await self._tell_interruption(waiter, None, None)
            raise
        finally:
            self._jobs.forget(waiter)

    async def ping(self, *, timeout: TimeoutArg = USE_DEFAULT) -> None:
        """Check the connection with ``core.ping`` (needs a login before TrueNAS 25.10)."""
        await self.call("core.ping", timeout=timeout)

    def subscribe(self, name: str, *, max_queue: int = DEFAULT_MAX_QUEUE) -> Subscription:
        """Events of ``name`` as an async iterator; nothing is sent until iteration starts.

        Args:
            name: an event (``app.query``) or an event source with optional JSON arguments
                (``app.stats``, ``app.container_log_follow:{"app_name": …}``).
            max_queue: events buffered before the oldest are dropped.
        """
        return Subscription(self, name, max_queue=max_queue)

    # -- calls ---------------------------------------------------------------------------

    async def _call(self, method: str, params: Sequence[Any], retry: bool) -> Any:
        resends = 0
        held_back = False  # a drop stopped the request before it was sent
        while True:
            conn = await self._reconnected(method, held_back and not retry)
            try:
                return await conn.request(method, params)
            except ConnectionLost as lost:
                if not lost.sent:
                    held_back = True
                    continue
                if not retry:
                    raise RequestOutcomeUnknown(
                        f"{method}: the connection dropped after the request was sent "
                        f"({lost.message})",
                        method=method,
                        sent=True,
                    ) from None
                if resends == MAX_READ_RESENDS:
                    raise ConnectionError(
                        f"{method}: the connection dropped {resends + 1} times during the call"
                    ) from None
                resends += 1
                self.stats.resent_reads += 1

    async def _run_job(self, method: str, params: Sequence[Any], waiter: JobWaiter) -> Any:
        """Send the job call (again only if it was never sent), then await the job's end."""

        def expect(request_id: str) -> None:
            waiter.requests.append(request_id)
            self._jobs.expect(request_id, waiter)

        held_back = False  # a drop stopped the request before it was sent
        while True:
            conn = await self._reconnected(method, held_back)
            try:
                answer = await conn.request(method, params, registered=expect)
            except ConnectionLost as lost:
                if waiter.job_id is None and not waiter.done:
                    if not lost.sent:
                        held_back = True
                        continue
                    raise RequestOutcomeUnknown(
                        f"{method}: the connection dropped before the job id was known "
                        f"({lost.message})",
                        method=method,
                        sent=True,
                    ) from None
                # The job is known: its end is awaited across the reconnect.
            except TrueNASError as error:
                if not waiter.done:  # refused before a job existed
                    error.job_id = error.job_id or waiter.job_id
                    raise
                # else: the job's own failure event came first and already decided the outcome
            else:
                if not self.new_style_jobs and isinstance(answer, int):
                    self._jobs.bind(waiter, answer)
                else:
                    waiter.resolve(answer)  # new-style: the answer is the job's result
            finally:
                for request_id in waiter.requests:
                    self._jobs.unexpect(request_id)
            return await waiter.future

    async def _reconnected(self, method: str, held_back_mutation: bool) -> Connection:
        """The live connection; for a mutation a drop kept from being sent, a failure to
        reconnect is reported as :class:`RequestOutcomeUnknown` with ``sent=False``."""
        try:
            return await self._connection()
        except ConnectionError as exc:
            if not held_back_mutation or isinstance(exc, RequestOutcomeUnknown):
                raise
            raise RequestOutcomeUnknown(
                f"{method}: the connection dropped before the request was sent, and could not "
                f"be re-established ({exc.message})",
                method=method,
                sent=False,
            ) from None

    async def _attach(self, job_id: int, waiter: JobWaiter) -> Any:
        self._jobs.bind(waiter, job_id)
        rows = await self._call("core.get_jobs", job_query(job_id), retry=True)
        if not rows:
            raise ApiError(f"No job with id {job_id} on the NAS", errno=2, errname="ENOENT")
        if waiter.observed == 0:
            waiter.observe(self._jobs.tracker.record(job_id, rows[0]))
        return await waiter.future

    # -- interrupted job calls -------------------------------------------------------------

    async def _tell_interruption(
        self, waiter: JobWaiter, method: str | None, app_name: str | None
    ) -> None:
        """Decide what becomes of the job of a cancelled call, and record the verdict.

        ``method`` is ``None`` for :meth:`wait_job`, which only follows a job: the job's own
        method and app are read from the NAS then, and the job is never aborted.
        """
        verdict = await self._judge_interruption(waiter, method, app_name)
        if not record_interruption(waiter, verdict):
            logger.warning("%s %s", verdict.message, verdict.hint or "")

    async def _judge_interruption(
        self, waiter: JobWaiter, method: str | None, app_name: str | None
    ) -> InterruptedJob:
        """Look at the job (a few bounded calls) and abort it only while it is WAITING."""
        job_id, followed = waiter.job_id, method is None
        if job_id is None and not waiter.requests:
            return InterruptedJob(method or "", JobFate.NOT_SENT, app_name)
        sent = InterruptedJob(method or "", JobFate.SENT, app_name)
        unchecked = partial(
            InterruptedJob, method or "", JobFate.UNCHECKED, app_name, followed=followed
        )
        # What stays true if the checks below are cut short (a second Ctrl-C, a slow NAS):
        record_interruption(
            waiter, unchecked(job_id, detail="the check was cut short") if job_id else sent
        )
        try:
            job_id = job_id or await self._job_of_requests(waiter.requests)
            if job_id is None:
                return sent
            job = await self._job_now(job_id)
            if job["state"] == "WAITING" and not followed:
                await self._check("core.job_abort", job_id)
                job = await self._job_now(job_id)
                if job["state"] in ("WAITING", "ABORTED"):  # marked: it can no longer run
                    return _verdict(job, JobFate.ABORTED, followed)
        except TrueNASError as exc:
            return unchecked(job_id, detail=exc.message) if job_id else sent
        fate = JobFate.ENDED if job["state"] in TERMINAL_STATES else JobFate.GOES_ON
        return _verdict(job, fate, followed)

    async def _job_of_requests(self, requests: Sequence[str]) -> int | None:
        """The job a call started, found by its request id in ``message_ids`` (new-style jobs
        only, 25.10+); ``None`` when the NAS lists none (or names its jobs no such way)."""
        if not self.new_style_jobs:
            return None
        for request_id in reversed(requests):
            rows = await self._check(
                "core.get_jobs", [["message_ids", "rin", request_id]], {"select": ["id"]}
            )
            if rows:
                return int(rows[0]["id"])
        return None

    async def _job_now(self, job_id: int) -> dict[str, Any]:
        """The job's ``id``, ``method``, ``arguments`` and ``state`` as the NAS lists it now.

        Raises:
            ApiError: the NAS no longer lists it (ENOENT).
        """
        select = {"select": ["id", "method", "arguments", "state"]}
        rows = await self._check("core.get_jobs", [["id", "=", job_id]], select)
        if not rows:
            raise ApiError(f"the NAS no longer lists job {job_id}", errno=2, errname="ENOENT")
        row: dict[str, Any] = rows[0]
        return row

    async def _check(self, method: str, *params: Any) -> Any:
        """One bounded look at the NAS for an interrupted call (both methods it is used for
        are idempotent, so a drop re-sends them)."""
        work = self._call(method, params, retry=True)
        return await self._with_timeout(work, INTERRUPT_CHECK_TIMEOUT, method, None)

    # -- SubscriptionHost ------------------------------------------------------------------

    async def _open_subscription(self, subscription: Subscription) -> None:
        await self._subscriptions.join_or_open(subscription, self._subscribe_on_server)

    async def _subscribe_on_server(self, shared: SharedSubscription) -> str:
        while True:
            conn = await self._connection()
            try:
                subscription_id: str = await self._bounded(
                    conn.subscribe(shared.name), "core.subscribe"
                )
                return subscription_id
            except ConnectionLost:
                continue  # subscribing is idempotent: do it on the new connection

    async def _close_subscription(self, subscription: Subscription) -> None:
        """Leave the shared subscription; the last member to leave unsubscribes."""
        server_id = self._subscriptions.remove(subscription)
        conn = self._conn
        if conn is None or conn.closed or server_id is None:
            return
        self._subscriptions.expect_end(subscription.name)
        # Shielded: a caller cancelled halfway (a log reader stopping its sources) must not cut
        # the bookkeeping short, or the server's notify_unsubscribed, arriving after it, would
        # no longer be expected and would end a newer subscription of the same name.
        await asyncio.shield(self._unsubscribe(conn, subscription.name, server_id))

    async def _unsubscribe(self, conn: Connection, name: str, subscription_id: str) -> None:
        """Unsubscribe and, acknowledged or failed, expect the end of ``name`` no more."""
        try:
            await self._bounded(conn.unsubscribe(subscription_id), "core.unsubscribe")
        except TrueNASError as exc:  # the server drops subscriptions with the connection anyway
            logger.info("unsubscribing %s failed: %s", name, exc.message)
        finally:
            self._subscriptions.unexpect_end(name)


def _cancelled_from_outside() -> bool:
    """True when the current task was asked to stop (not merely an inner future cancelled,
    as when the connection is closed under a call)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _verdict(job: dict[str, Any], fate: JobFate, followed: bool) -> InterruptedJob:
    """A verdict naming the job as the NAS lists it (method and app from its arguments)."""
    method, arguments = str(job.get("method") or ""), job.get("arguments") or []
    return InterruptedJob(
        method,
        fate,
        app_name_of(method, arguments),
        int(job["id"]),
        state=str(job["state"]),
        followed=followed,
    )
