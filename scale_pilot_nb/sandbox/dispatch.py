"""The call path both dialects share: lookup, auth gate, rate limit, arguments, jobs, response.

Order of checks as in the middleware: an unknown method fails before authentication is looked at;
a method needing login fails with ENOTAUTHENTICATED; a no-auth method called before login counts
against the rate limit. Job methods start a job and answer with its id (legacy jobs) or wait for
it and answer after its events (new-style jobs, 25.10 with ``legacy_jobs: false``).
"""

from __future__ import annotations

import asyncio
import errno
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.sandbox.contract import (
    CallContext,
    MethodSpec,
    SandboxCallError,
    SandboxValidationErrors,
)
from scale_pilot_nb.sandbox.jobs import Job
from scale_pilot_nb.sandbox.wire import ENOTAUTHENTICATED, UnexpectedError, dumps

if TYPE_CHECKING:
    from scale_pilot_nb.sandbox.session import Session

#: Calls one connection may have in flight (the middleware's hard semaphore limit).
MAX_CALLS_IN_FLIGHT = 20
#: No-auth methods exempt from the unauthenticated rate limit.
RATE_LIMIT_EXEMPT = frozenset({"core.set_options"})


@dataclass
class ServerCall:
    """First argument of the server's own ``core.*`` and ``auth.*`` methods."""

    session: Session
    ctx: CallContext


class MethodNotFound(Exception):
    """The endpoint has no such method (JSON-RPC -32601, legacy ENOMETHOD)."""

    def __init__(self, method: str) -> None:
        super().__init__(method)
        self.method = method


class TooManyCalls(Exception):
    """More than :data:`MAX_CALLS_IN_FLIGHT` calls in flight (JSON-RPC -32000)."""


class NotSerialisable(SandboxCallError):
    """The result has no JSON form (JSON-RPC -32603)."""

    def __init__(self) -> None:
        super().__init__(errno.EFAULT, "Failed to JSON serialize server message")


class GateError(SandboxCallError):
    """Refused before the method ran (login required, rate limit); 24.10 legacy prints it bare."""


@functools.cache
def _signature(func: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(func)


def _check_arguments(spec: MethodSpec, first: Any, params: list[Any]) -> None:
    try:
        _signature(spec.func).bind(first, *params)
    except TypeError as exc:
        raise SandboxValidationErrors([(spec.name, str(exc), errno.EINVAL)]) from None


def prepare(session: Session, method: str, params: list[Any]) -> tuple[MethodSpec, Any, list[Any]]:
    """Look ``method`` up and run the gates; returns the spec, its first argument and params.

    Raises:
        MethodNotFound: unknown on this server.
        SandboxCallError: ENOMETHOD on an older versioned endpoint, ENOTAUTHENTICATED,
            ``Rate Limit Exceeded``; ValidationErrors for a wrong number of arguments; whatever
            the method's own ``call_check`` refuses before a job exists.
    """
    server = session.server
    spec, server_side = server.lookup(method, session.api_version)
    if not session.authenticated:
        if not spec.no_auth:
            raise GateError(ENOTAUTHENTICATED, "Not authenticated")
        if method not in RATE_LIMIT_EXEMPT and not server.limiter.allow(method, session.peer):
            raise GateError(errno.EBUSY, "Rate Limit Exceeded")
    ctx = session.context()
    first = ServerCall(session, ctx) if server_side else ctx
    if spec.call_check is not None:
        params = spec.call_check(ctx, params)
    else:
        _check_arguments(spec, first, params)
    return spec, first, params


def submit_job(
    session: Session, spec: MethodSpec, first: Any, params: list[Any], call_id: Any
) -> Job:
    """Start ``spec`` as a job for ``session``; arms the drop-mid-job fault if it is set."""
    ctx = first.ctx if isinstance(first, ServerCall) else first

    def body(handle: Any) -> Any:
        ctx.job = handle
        return spec.func(first, *params)

    message_id = None if session.legacy or call_id is None else str(call_id)
    job = session.server.jobs.submit(
        spec.name,
        params,
        body,
        message_id=message_id,
        credentials=session.credentials(),
        lock=spec.lock(params) if spec.lock is not None else None,
        threaded=spec.threaded,
    )
    if session.server.faults.take_drop_mid_job():
        session.spawn(_drop_when_running(session, job))
    return job


async def _drop_when_running(session: Session, job: Job) -> None:
    await job.running.wait()
    session.drop()


async def invoke(
    session: Session, method: str, params: list[Any], call_id: Any
) -> tuple[Any, bool]:
    """Run one call; returns ``(result, ordered)``.

    ``ordered`` is True for a new-style job result, which must leave after the job's events.
    """
    spec, first, params = prepare(session, method, params)
    if not spec.job:
        result = spec.func(first, *params)
        if inspect.isawaitable(result):
            result = await result
        return result, False
    job = submit_job(session, spec, first, params, call_id)
    if session.legacy_jobs:
        return job.id, False
    return await asyncio.shield(job.finished), True


def start_call(session: Session, method: str, params: list[Any], call_id: Any) -> None:
    """Handle one request frame: enforce the in-flight limit, then answer from a task.

    A refused JSON-RPC notification gets no answer either: an error with ``id: null`` would
    read as a connection-wide error and fail every pending call of the client.
    """
    session.server.metrics.requests[method] += 1
    if len(session.calls) >= MAX_CALLS_IN_FLIGHT:
        if call_id is not None or session.legacy:
            session.send(session.dialect.error_frame(call_id, TooManyCalls()))
        return
    session.spawn(_respond(session, method, params, call_id))


async def _respond(session: Session, method: str, params: list[Any], call_id: Any) -> None:
    dialect, ordered = session.dialect, False
    try:
        result, ordered = await invoke(session, method, params, call_id)
        text = _encode_result(session, call_id, result)
    except (MethodNotFound, SandboxCallError) as exc:
        text = dumps(dialect.error_frame(call_id, exc))
    except Exception as exc:  # a model bug answers like any middleware exception
        text = dumps(dialect.error_frame(call_id, UnexpectedError(exc)))
    delay = session.server.faults.delay_for(method)
    if delay:
        await asyncio.sleep(delay)
    if call_id is None and not session.legacy:
        return  # JSON-RPC notifications are executed but never answered
    if ordered:
        session.send_ordered(text)
    else:
        session.send_text(text)


def _encode_result(session: Session, call_id: Any, result: Any) -> str:
    try:
        return dumps(session.dialect.result_frame(call_id, result))
    except (TypeError, ValueError):
        return dumps(session.dialect.error_frame(call_id, NotSerialisable()))
