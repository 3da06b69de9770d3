"""Optional adapter: the :class:`~scale_pilot_nb.rpc.client.RpcClient` interface over the
official ``truenas_api_client`` (``transport="official"``).

The official client is not on PyPI (install it from a clone of ``truenas/api_client``), is
synchronous and runs on threads, so this adapter drives it from a thread pool of
``max_in_flight`` workers — which is also what limits the calls in flight. It has no public
text-frame API (its socket layer is internal and changed between releases), so it cannot sit
under :class:`~scale_pilot_nb.rpc.transport.Transport`; it replaces the whole client instead.

Same behaviour as ``RpcClient`` where the manager can tell:

* errors are the same :mod:`scale_pilot_nb.errors` classes (mapped by
  :mod:`~scale_pilot_nb.rpc.error_map` from the official exceptions);
* job waits and ``(percent, description)`` progress come from a ``core.get_jobs``
  subscription with synchronous callbacks, so progress arrives in order (the official job
  callbacks run on one new thread per event and may arrive out of order);
* subscriptions are the same :class:`~scale_pilot_nb.rpc.subscription.Subscription`.

Tested with the official clients of TS-24.10, TS-25.04 and TS-25.10. The TS-24.10 one speaks
only the legacy protocol, so with it the adapter connects to ``…/websocket`` (a bare host
discovers it; an explicit ``/api/…`` URL is refused with a hint).

Differences, by design of the official client: no reconnect (a drop fails pending calls:
reads with ``ConnectionError``, mutations with ``RequestOutcomeUnknown``), no keepalive, no
``ca_file`` (only ``verify_ssl``), and frame counters stay at zero.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib
import importlib.util
import inspect
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from scale_pilot_nb.errors import (
    AuthenticationError,
    CallTimeoutError,
    ConfigError,
    ConnectionError,
    RequestOutcomeUnknown,
    TrueNASError,
    UnsupportedError,
)
from scale_pilot_nb.rpc.auth import Credentials, SecretLike, check_login_result, login_plan
from scale_pilot_nb.rpc.endpoints import dialect_of, endpoint_candidates
from scale_pilot_nb.rpc.error_map import call_error, login_error
from scale_pilot_nb.rpc.events import CollectionMsg, CollectionUpdate, ErrorInfo, JobUpdate
from scale_pilot_nb.rpc.jobs import JobWaiter, JobWaiters, ProgressCallback, job_query
from scale_pilot_nb.rpc.lifetime import AsyncConnected
from scale_pilot_nb.rpc.methods import is_read_method
from scale_pilot_nb.rpc.options import DEFAULT_TIMEOUTS, USE_DEFAULT, TimeoutArg, Timeouts
from scale_pilot_nb.rpc.protocol import JOBS_COLLECTION, Dialect
from scale_pilot_nb.rpc.shell import ShellRoute
from scale_pilot_nb.rpc.stats import ClientStats, note_login
from scale_pilot_nb.rpc.subscription import (
    DEFAULT_MAX_QUEUE,
    SharedSubscription,
    Subscription,
    SubscriptionTable,
)
from scale_pilot_nb.rpc.transport import EndpointNotFound
from scale_pilot_nb.rpc.wire_safety import check_credential_route

__all__ = ["OfficialClient", "official_available"]

_PACKAGE = "truenas_api_client"


def official_available() -> bool:
    """True when the official ``truenas_api_client`` package can be imported."""
    return importlib.util.find_spec(_PACKAGE) is not None


def official_release() -> str | None:
    """The TrueNAS series the installed official client was cut for, or None if absent.

    The client has no version attribute; what its API offers tells the series apart:
    ``private_methods`` arrived in 25.10, ``JSONRPCClient`` in 25.04, and before that the
    client spoke only the legacy protocol.
    """
    if not official_available():
        return None
    official = importlib.import_module(_PACKAGE)
    if "private_methods" in inspect.signature(official.Client.__init__).parameters:
        return "25.10"
    return "25.04" if hasattr(official, "JSONRPCClient") else "24.10"


class OfficialClient(AsyncConnected):
    """The ``RpcClient`` interface, carried out by the official ``truenas_api_client``.

    Args: as :class:`~scale_pilot_nb.rpc.client.RpcClient` (``ca_file`` is refused: the
    official client only knows ``verify_ssl``), and ``allow_insecure`` as for
    :class:`~scale_pilot_nb.rpc.session.Session`: with credentials, every URL passes the same
    :func:`~scale_pilot_nb.rpc.wire_safety.check_credential_route` gate before the official
    client connects to it. (Whether that client follows HTTP redirects is up to its internal
    socket layer, which this adapter cannot reach; use ``wss://`` with it.)

    Raises:
        UnsupportedError: ``truenas_api_client`` is not installed.
        ConfigError: ``ca_file`` was given.
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
        max_in_flight: int = 20,
        allow_insecure: bool = False,
    ) -> None:
        if not official_available():
            raise UnsupportedError(
                "transport='official' needs the truenas_api_client package",
                hint="Install it from a clone of github.com/truenas/api_client, "
                "or use the default transport.",
            )
        if ca_file is not None:
            raise ConfigError(
                "The official client cannot use ca_file",
                hint="Use the default transport, or verify_ssl=False for a lab box.",
            )
        self._official: Any = importlib.import_module(_PACKAGE)
        self._candidates = endpoint_candidates(url)
        if official_release() == "24.10":
            self._candidates = _legacy_only(self._candidates)
        self._credentials = (
            Credentials(api_key=api_key, username=username, password=password)
            if api_key is not None or password is not None
            else None
        )
        self._verify_ssl = verify_ssl
        self._allow_insecure = allow_insecure
        self.timeouts = timeouts
        self.stats = ClientStats()
        #: How the login went through (``"API_KEY_PLAIN via auth.login_ex"`` …), or None.
        self.login_mechanism: str | None = None
        self._max_in_flight = max_in_flight
        self._pool: ThreadPoolExecutor | None = None
        self._payloads: dict[str, Any] = {}
        self._subscriptions = SubscriptionTable()
        self._client: Any = None
        self._endpoint: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._jobs = JobWaiters()

    def __repr__(self) -> str:
        return f"OfficialClient({self._endpoint or self._candidates[0]!r})"

    @property
    def url(self) -> str | None:
        """The endpoint in use, once connected."""
        return self._endpoint

    def shell_route(self) -> ShellRoute:
        """Where this session's web shell is, with the connection's TLS and safety settings.

        Raises:
            ConnectionError: not connected yet.
        """
        if self._endpoint is None:
            raise self._not_connected()
        return ShellRoute.of_session(
            self._endpoint,
            verify_ssl=self._verify_ssl,
            allow_insecure=self._allow_insecure,
            credentials=self._credentials,
        )

    @property
    def connected(self) -> bool:
        """True while the official client holds an open connection."""
        return self._client is not None

    async def connect(self) -> None:
        """Connect (discovering the endpoint), log in, subscribe to ``core.get_jobs``."""
        if self._client is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._pool = ThreadPoolExecutor(self._max_in_flight, thread_name_prefix="truenas-official")
        try:
            for index, url in enumerate(self._candidates):
                if self._credentials is not None:
                    await asyncio.to_thread(
                        check_credential_route, url, allow_insecure=self._allow_insecure
                    )
                try:
                    client = await self._run(
                        url, True, self._official.Client, url, verify_ssl=self._verify_ssl
                    )
                except EndpointNotFound:
                    if index == len(self._candidates) - 1:
                        raise
                    continue
                break
            self._client, self._endpoint = client, url
            self.stats.connects += 1
            if self._credentials is not None:
                await self._login()
                await self._run(
                    "core.subscribe", True, client.subscribe, JOBS_COLLECTION, self._job_event,
                    None, True,
                )  # fmt: skip
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the connection; pending job waits fail. Idempotent."""
        client, self._client = self._client, None
        pool, self._pool = self._pool, None
        self._jobs.fail_all(lambda waiter: ConnectionError("The client was closed"))
        for payload in self._payloads.values():
            payload["event"].set()
        self._payloads.clear()
        if client is not None:
            await asyncio.get_running_loop().run_in_executor(None, client.close)
        if pool is not None:
            pool.shutdown(wait=False)

    async def call(
        self,
        method: str,
        *params: Any,
        timeout: TimeoutArg = USE_DEFAULT,
        retry_safe: bool | None = None,
    ) -> Any:
        """As :meth:`RpcClient.call <scale_pilot_nb.rpc.client.RpcClient.call>` (no re-sends:
        the official client does not reconnect, so ``retry_safe`` only picks the error type)."""
        self.stats.calls += 1
        limit = self.timeouts.call if timeout is USE_DEFAULT else timeout
        read = is_read_method(method) if retry_safe is None else retry_safe
        return await self._call(method, params, limit, read)

    async def call_job(
        self,
        method: str,
        *params: Any,
        progress: ProgressCallback | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
        on_job: Callable[[int], None] | None = None,
    ) -> Any:
        """As :meth:`RpcClient.call_job <scale_pilot_nb.rpc.client.RpcClient.call_job>`."""
        self.stats.calls += 1
        waiter = JobWaiter(method, progress, on_job)
        limit = self.timeouts.job if timeout is USE_DEFAULT else timeout
        try:
            async with asyncio.timeout(limit):
                job = await self._call(method, params, self.timeouts.call, False, job="RETURN")
                self._jobs.bind(waiter, int(job.job_id))
                return await waiter.future
        except TimeoutError:
            raise CallTimeoutError(
                f"{method}: the job did not end within {limit} s", job_id=waiter.job_id
            ) from None
        finally:
            self._jobs.forget(waiter)

    async def wait_job(
        self,
        job_id: int,
        *,
        progress: ProgressCallback | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
    ) -> Any:
        """As :meth:`RpcClient.wait_job <scale_pilot_nb.rpc.client.RpcClient.wait_job>`."""
        waiter = JobWaiter(f"job {job_id}", progress)
        limit = self.timeouts.job if timeout is USE_DEFAULT else timeout
        try:
            async with asyncio.timeout(limit):
                self._jobs.bind(waiter, job_id)
                rows = await self.call("core.get_jobs", *job_query(job_id))
                if not rows:
                    raise call_error(
                        ErrorInfo(f"No job with id {job_id}", errno=errno.ENOENT),
                        method="wait_job",
                    )
                if waiter.observed == 0:
                    waiter.observe(self._jobs.tracker.record(job_id, rows[0]))
                return await waiter.future
        except TimeoutError:
            raise CallTimeoutError(f"job {job_id} did not end in time", job_id=job_id) from None
        finally:
            self._jobs.forget(waiter)

    def subscribe(self, name: str, *, max_queue: int = DEFAULT_MAX_QUEUE) -> Subscription:
        """As :meth:`RpcClient.subscribe <scale_pilot_nb.rpc.client.RpcClient.subscribe>`."""
        return Subscription(self, name, max_queue=max_queue)

    # -- SubscriptionHost ------------------------------------------------------------------

    async def _open_subscription(self, subscription: Subscription) -> None:
        """Join the one server subscription of the name (see :class:`SubscriptionTable`: the
        official client, too, hands each event to every callback of the name)."""
        await self._subscriptions.join_or_open(subscription, self._subscribe_on_server)

    async def _subscribe_on_server(self, shared: SharedSubscription) -> str:
        client = self._require_client()
        loop = asyncio.get_running_loop()
        payload = client.event_payload()

        def on_event(mtype: str, **params: Any) -> None:
            msg = _collection_msg(mtype)
            if msg is not None:
                update = CollectionUpdate(
                    str(params.get("collection", shared.name)),
                    msg,
                    params.get("id"),
                    params.get("fields"),
                    params.get("extra") or {},
                )
                loop.call_soon_threadsafe(self._subscriptions.deliver, update)

        def watch_end() -> None:
            payload["event"].wait()
            reason = payload.get("error")
            info = ErrorInfo(str(reason), reason=str(reason))
            error = call_error(info, method=shared.name) if reason else None
            loop.call_soon_threadsafe(self._subscriptions.drop, shared, error)

        server_id: str = await self._run(
            "core.subscribe", True, client.subscribe, shared.name, on_event, payload, True
        )
        self._payloads[server_id] = payload
        threading.Thread(target=watch_end, name="truenas-official-sub", daemon=True).start()
        return server_id

    async def _close_subscription(self, subscription: Subscription) -> None:
        """Leave the shared subscription; the last member to leave unsubscribes."""
        server_id = self._subscriptions.remove(subscription)
        if server_id is None:
            return
        payload = self._payloads.pop(server_id, None)
        client = self._client
        if client is not None:
            # A failure means the connection is gone, and the subscription with it.
            with contextlib.suppress(TrueNASError):
                await self._run("core.unsubscribe", True, client.unsubscribe, server_id)
        if payload is not None:
            payload["event"].set()  # release the watcher thread

    # -- internals ---------------------------------------------------------------------------

    async def _login(self) -> None:
        assert self._credentials is not None
        for step in login_plan(self._credentials, dialect_of(self._endpoint or "")):
            note_login(step.method)
            try:
                result = await self._call(step.method, step.params, self.timeouts.call, False)
            except UnsupportedError:
                continue
            except (ConnectionError, CallTimeoutError):
                raise
            except TrueNASError as exc:
                raise login_error(step.mechanism, exc) from None
            check_login_result(step, result)
            self.stats.logins += 1
            self.login_mechanism = step.mechanism
            return
        raise AuthenticationError("The NAS offers none of the login methods this client knows")

    async def _call(
        self, method: str, params: Any, limit: float | None, read: bool, **options: Any
    ) -> Any:
        client = self._require_client()
        if limit is not None:
            options["timeout"] = limit
        return await self._run(method, read, client.call, method, *params, **options)

    async def _run(
        self, what: str, read: bool, func: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        """Run a blocking official-client call on the pool; translate its exceptions."""
        if self._pool is None:
            raise self._not_connected()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, partial(func, *args, **kwargs))
        except Exception as exc:
            raise self._translate(exc, what, read) from None

    def _translate(self, exc: Exception, what: str, read: bool) -> TrueNASError:
        """The one place the official client's exceptions become ours."""
        official = self._official
        if isinstance(exc, TrueNASError):
            return exc
        if isinstance(exc, official.ValidationErrors):
            extra = [[e.attribute, e.errmsg, e.errcode] for e in exc.errors]
            info = ErrorInfo(str(exc), reason=str(exc), extra=extra, validation=True)
            return call_error(info, method=what)
        if isinstance(exc, official.CallTimeout):
            return CallTimeoutError(f"{what}: no answer in time")
        if isinstance(exc, official.ClientException):
            if exc.errno == errno.ECONNABORTED:
                if read:
                    return ConnectionError(f"{what}: {exc.error}")
                return RequestOutcomeUnknown(
                    f"{what}: the connection dropped ({exc.error})", method=what, sent=True
                )
            trace = exc.trace if isinstance(exc.trace, dict) else {}
            info = ErrorInfo(
                str(exc.error),
                code=_METHOD_NOT_FOUND if exc.error == "Method does not exist" else None,
                errno=exc.errno,
                reason=str(exc.error),
                trace_class=trace.get("class"),
                extra=exc.extra,
            )
            return call_error(info, method=what)
        if getattr(exc, "status_code", None) == 404:
            return EndpointNotFound(what)
        return ConnectionError(f"{what}: the official client failed ({exc})")

    def _require_client(self) -> Any:
        if self._client is None:
            raise self._not_connected()
        return self._client

    @staticmethod
    def _not_connected() -> ConnectionError:
        return ConnectionError(
            "The client is not connected", hint="Use `async with`, or await connect()."
        )

    def _job_event(self, mtype: str, **params: Any) -> None:
        """``core.get_jobs`` callback, on the official reader thread (synchronous: in order)."""
        job_id, fields, msg = params.get("id"), params.get("fields"), _collection_msg(mtype)
        loop = self._loop
        if loop is not None and msg and isinstance(job_id, int) and isinstance(fields, dict):
            loop.call_soon_threadsafe(self._jobs.update, JobUpdate(msg, job_id, fields))


_METHOD_NOT_FOUND = -32601


def _legacy_only(candidates: tuple[str, ...]) -> tuple[str, ...]:
    """Keep the ``/websocket`` URLs: the TS-24.10 official client speaks nothing else."""
    legacy = tuple(url for url in candidates if dialect_of(url) == Dialect.LEGACY)
    if not legacy:
        raise ConfigError(
            f"The installed TS-24.10 official client cannot speak JSON-RPC at {candidates[0]}",
            hint="Give a .../websocket URL or just the host, or use the default transport.",
        )
    return legacy


def _collection_msg(mtype: str) -> CollectionMsg | None:
    """The event kind from the official client's ``ADDED``/``CHANGED``/``REMOVED``."""
    return _MSGS.get(mtype.lower())


_MSGS: dict[str, CollectionMsg] = {"added": "added", "changed": "changed", "removed": "removed"}
