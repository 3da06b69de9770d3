"""The seam between the sandbox's wire layer and its model of a NAS.

``server.py`` speaks the protocols (JSON-RPC 2.0 and legacy), authenticates, runs jobs and
delivers events. The NAS model (``state.py`` and the method modules) knows apps, pools,
containers and images, and never sees JSON or sockets. They meet here:

* the model registers methods and event sources in a :class:`Registry`;
* the server calls a method with a :class:`CallContext` (and a :class:`JobHandle` for job
  methods), serialises what it returns, and turns :class:`SandboxCallError` into the exact
  TrueNAS error frames;
* the model publishes collection changes (``app.query``, ``docker.state``) through an
  :class:`EventSink` that the server implements.

This module imports nothing from the client side of the package (``rpc/``, ``manager``): a
simulator that shares code with the client would hide the same bug in both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

CollectionMsg = Literal["added", "changed", "removed"]

#: Sandbox versions and the order they were released in.
VERSIONS = ("24.10", "25.04", "25.10")


def version_at_least(version: str, minimum: str) -> bool:
    """True when sandbox ``version`` (``"25.04"``) is ``minimum`` or newer."""
    return VERSIONS.index(version) >= VERSIONS.index(minimum)


class SandboxCallError(Exception):
    """A TrueNAS ``CallError`` as the server must put it on the wire.

    Args:
        errno: the errno (``errno.ENOENT`` …); ``None`` for errors TrueNAS raises without one.
        reason: the text without the ``[ENOENT]`` prefix; the server adds the prefix.
        extra: optional extra data (already JSON-serialisable).
        trace_class: the exception class name reported in ``trace.class``.
    """

    def __init__(
        self,
        errno: int | None,
        reason: str,
        *,
        extra: Any = None,
        trace_class: str = "CallError",
    ) -> None:
        super().__init__(reason)
        self.errno = errno
        self.reason = reason
        self.extra = extra
        self.trace_class = trace_class


class SandboxValidationErrors(SandboxCallError):
    """TrueNAS ``ValidationErrors``: a list of ``(attribute, message, errno)``.

    Attributes:
        lone: set on subclasses that stand for one ``ValidationError`` (``InstanceNotFound``):
            the legacy endpoint then sends its own errno instead of EAGAIN, and its reason
            has no trailing newline.
    """

    lone: ClassVar[bool] = False

    def __init__(self, errors: list[tuple[str, str, int]]) -> None:
        text = "\n".join(f"[{_errname(e)}] {attr}: {msg}" for attr, msg, e in errors)
        super().__init__(22, text, extra=[list(e) for e in errors], trace_class="ValidationErrors")
        self.errors = errors


class SandboxPythonError(SandboxCallError):
    """A plain Python exception (``TypeError``, ``KeyError`` …) escaping a TrueNAS method.

    The middleware reports it as EINVAL with ``str(exc)`` as the reason (no ``[EINVAL]``
    prefix) and the exception's class in the trace, e.g. a wrong argument count of
    ``CRUDService.create`` or 24.10's job-lock lambda on a bad argument.
    """

    def __init__(self, exc: BaseException) -> None:
        import errno as _errno

        super().__init__(_errno.EINVAL, str(exc) or repr(exc), trace_class=type(exc).__name__)


def _errname(number: int) -> str:
    import errno as _errno

    return _errno.errorcode.get(number, "EINVAL")


class JobHandle(Protocol):
    """What a job method sees of its job (implemented by the server)."""

    id: int

    def set_progress(self, percent: float | None, description: str | None = None) -> None:
        """Record progress; the server emits a ``core.get_jobs`` CHANGED event."""


class EventSink(Protocol):
    """Where the model publishes collection changes (implemented by the server)."""

    def publish(
        self,
        collection: str,
        msg: CollectionMsg,
        *,
        id: Any,
        fields: dict[str, Any] | None = None,
    ) -> None:
        """Deliver ``collection_update`` to every connection subscribed to ``collection``."""


@dataclass
class CallContext:
    """Who is calling and how; passed as the first argument to every method."""

    username: str
    version: str
    legacy: bool = False
    job: JobHandle | None = None
    #: The call came in on an older pinned endpoint (``/api/v25.04.0`` on 25.04, ``/api/v25.10.4``
    #: on 25.10 …): there the middleware validates the arguments with that API version's model
    #: before calling the method, so argument errors fail the call instead of the job.
    pinned: bool = False


#: What runs at call time, before a job exists: ``check(ctx, params)`` returns the parameters
#: to run the method with, or raises the call's error (see :attr:`MethodSpec.call_check`).
CallCheck = Callable[[CallContext, list[Any]], list[Any]]


#: The name of the lock a job method's job takes, from the call's parameters (the middleware's
#: ``@job(lock=lambda args: ...)``); two jobs with the same lock name never run at once.
JobLock = Callable[[list[Any]], str]


@dataclass
class MethodSpec:
    """A registered method: ``func(ctx, *params)`` returns a value or an awaitable.

    ``call_check`` replaces the server's generic argument-count check for methods whose
    call-time failures TrueNAS shapes in its own way (``app.create``: a ``TypeError`` from the
    Python call, the job lock computed from the raw arguments).

    Attributes:
        lock: a job method's lock; its job stays WAITING while another job holds the lock.
        threaded: the middleware runs this job's body as a plain ``def`` in a worker thread,
            so ``core.job_abort`` of the RUNNING job ends the job ABORTED while the work
            carries on to its end (a thread cannot be cancelled); an ``async def`` body
            (``core.bulk``, the tests' methods) is cancelled where it awaits.
    """

    name: str
    func: Callable[..., Any]
    job: bool = False
    no_auth: bool = False
    min_version: str | None = None
    call_check: CallCheck | None = None
    lock: JobLock | None = None
    threaded: bool = False


@dataclass
class SourceSpec:
    """A registered event source: ``func(ctx, arg)`` yields event ``fields`` dicts.

    ``arg`` is the parsed JSON after ``name:`` in the subscription string, or ``None``.
    When the iterator ends the server sends ``notify_unsubscribed``.
    """

    name: str
    func: Callable[[CallContext, Any], AsyncIterator[Any]]
    min_version: str | None = None


@dataclass
class Registry:
    """Method and event-source tables the server dispatches on."""

    methods: dict[str, MethodSpec] = field(default_factory=dict)
    sources: dict[str, SourceSpec] = field(default_factory=dict)

    def method(
        self,
        name: str,
        *,
        job: bool = False,
        no_auth: bool = False,
        min_version: str | None = None,
        call_check: CallCheck | None = None,
        lock: JobLock | None = None,
        threaded: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering ``func`` under ``name`` (see :class:`MethodSpec`)."""

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self.methods[name] = MethodSpec(
                name, func, job, no_auth, min_version, call_check, lock, threaded
            )
            return func

        return register

    def source(
        self, name: str, *, min_version: str | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering an async-generator ``func`` as event source ``name``."""

        def register(func: Callable[..., Any]) -> Callable[..., Any]:
            self.sources[name] = SourceSpec(name, func, min_version)
            return func

        return register
