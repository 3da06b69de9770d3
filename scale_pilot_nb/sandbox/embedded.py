"""``Sandbox``: the simulator on a background thread, for notebooks, tests and the CLI.

Like moto's threaded server: ``start()`` runs a named daemon thread with its own event loop and
blocks on an Event until the port is bound, re-raising any start-up failure in the caller.
Everything a test may want to *do to* the NAS (reset, faults, metrics, the model itself) is a
Python method here and never a TrueNAS method on the wire.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import tempfile
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from scale_pilot_nb.sandbox.auth import Accounts
from scale_pilot_nb.sandbox.contract import VERSIONS, Registry, SandboxCallError
from scale_pilot_nb.sandbox.jobs import Job, JobManager
from scale_pilot_nb.sandbox.metrics import Metrics
from scale_pilot_nb.sandbox.registry import build_registry
from scale_pilot_nb.sandbox.server import LEGACY_PATH, SandboxServer
from scale_pilot_nb.sandbox.state import SandboxModel, Timing
from scale_pilot_nb.sandbox.tls import self_signed, server_context

#: Seconds ``start()`` waits for the port to be bound, and ``stop()`` for the thread to end.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
_CREDENTIALS = "sandbox_credentials"
"""The state file's key for the API key and password (beside the model's own keys)."""

T = TypeVar("T")


def parse_seed(seed: str | int) -> str | int:
    """Validate a seed: ``"demo"``, ``"empty"`` or a number of apps (``"25"`` → 25).

    Raises:
        ValueError: anything else, with the accepted forms in the message.
    """
    if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0:
        return seed
    if isinstance(seed, str):
        if seed in ("demo", "empty"):
            return seed
        if seed.isdigit():
            return int(seed)
    raise ValueError(f"seed must be 'demo', 'empty' or a number of apps >= 0, not {seed!r}")


class Sandbox:
    """An embedded TrueNAS middleware simulator on ``ws://127.0.0.1:PORT``.

    Use it as ``with Sandbox() as sb:`` (or ``async with``), or call :meth:`start`/:meth:`stop`.

    Args:
        version: TrueNAS release to emulate: ``"24.10"`` (legacy ``/websocket`` only),
            ``"25.04"`` or ``"25.10"``.
        seed: ``"demo"`` (a believable NAS), ``"empty"`` or a number of generated apps.
        port: TCP port; 0 picks a free one (see :attr:`port`).
        host: address to bind; loopback unless you mean to expose it.
        state_file: JSON file the NAS state is loaded from (if present) and saved to,
            atomically, after every job and on stop; ``None`` keeps it in memory.
        tls: serve ``wss://`` with a generated self-signed certificate (:attr:`ca_file`).
        timing: operation delays of the model; ``None`` = its default for the seed.
        treat_as_remote: handle loopback clients as remote ones, so a plain API key gets
            revoked on 25.04+ (tests of that behaviour).
        rate_limit: limit unauthenticated calls to 20 per method and address per minute, as
            TrueNAS does; ``False`` for load tests that open many connections from one host.
        extend: called with the method registry before serving; tests use it to add
            test-only methods (nothing is added otherwise).
        api_key: the API key (``"<id>-<secret>"``); generated when ``None``.
        password: the administrator's password; generated when ``None``.
    """

    def __init__(
        self,
        version: str = "25.10",
        seed: str | int = "demo",
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        state_file: str | os.PathLike[str] | None = None,
        tls: bool = False,
        timing: Timing | None = None,
        treat_as_remote: bool = False,
        rate_limit: bool = True,
        extend: Callable[[Registry], None] | None = None,
        api_key: str | None = None,
        password: str | None = None,
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}, not {version!r}")
        if api_key is not None and not _valid_key(api_key):
            raise ValueError("api_key must look like '<number>-<secret>'")
        self.version = version
        self.seed = parse_seed(seed)
        self.host = host
        self.state_file = Path(state_file) if state_file is not None else None
        self.tls = tls
        self._requested_port = port
        self._timing = timing
        self._treat_as_remote = treat_as_remote
        self._rate_limit = rate_limit
        self._extend = extend
        self._accounts = Accounts()
        self._fixed_credentials = {"api_key": api_key, "password": password}
        if api_key is not None:
            self._accounts.api_key = api_key
        if password is not None:
            self._accounts.password = password
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._stop_requested: asyncio.Event | None = None
        self._server: SandboxServer | None = None
        self._model: SandboxModel | None = None
        self._certdir: tempfile.TemporaryDirectory[str] | None = None
        self.ca_file: Path | None = None

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not running"
        return f"Sandbox(version={self.version!r}, seed={self.seed!r}, {where}, api_key=***)"

    # -- connection details ----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port."""
        return self._running_server().port

    @property
    def _base(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"{'wss' if self.tls else 'ws'}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:PORT/api/current`` (24.10 has only :attr:`legacy_url`)."""
        return f"{self._base}/api/current"

    @property
    def legacy_url(self) -> str:
        """``ws://127.0.0.1:PORT/websocket``: the legacy DDP endpoint."""
        return f"{self._base}{LEGACY_PATH}"

    @property
    def api_key(self) -> str:
        """The administrator's API key (``"<id>-<secret>"``)."""
        return self._accounts.api_key

    @property
    def username(self) -> str:
        """The administrator's login name."""
        return self._accounts.username

    @property
    def password(self) -> str:
        """The administrator's password."""
        return self._accounts.password

    @property
    def api_key_revoked(self) -> bool:
        """True once a plain-key login over an insecure transport revoked the key."""
        return self._accounts.revoked_reason is not None

    @property
    def web_shell(self) -> bool:
        """Whether the administrator's privilege allows the web shell (True, as on a fresh
        install); set it False to see ``/websocket/shell`` refuse every token."""
        return self._accounts.web_shell

    @web_shell.setter
    def web_shell(self, allowed: bool) -> None:
        self._accounts.web_shell = bool(allowed)

    @property
    def open_shells(self) -> int:
        """Web-shell sessions running now (a client that leaks one leaves it counted)."""
        return self.call_in_loop(lambda: len(self._running_server().shells))

    @property
    def metrics(self) -> Metrics:
        """A snapshot of the server's counters."""
        return self._on_loop(lambda: self._running_server().metrics.snapshot())

    @property
    def model(self) -> SandboxModel:
        """The NAS model (for assertions and test controls; use it via :meth:`call_in_loop`)."""
        if self._model is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._model

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start the server thread and wait until it accepts connections.

        Returns:
            ``self``, for chaining.

        Raises:
            RuntimeError: already running.
            Exception: whatever prevented start-up (port in use, bad state file, …).
        """
        if self._thread is not None:
            raise RuntimeError("sandbox already started")
        self._started.clear()
        self._start_error = None
        self._thread = threading.Thread(
            target=self._thread_main, name=f"scale-pilot-sandbox-{self.version}", daemon=True
        )
        self._thread.start()
        if not self._started.wait(START_TIMEOUT):
            raise TimeoutError(f"sandbox did not start within {START_TIMEOUT:.0f} s")
        if self._start_error is not None:
            self._thread.join(STOP_TIMEOUT)
            self._thread = None
            raise self._start_error
        return self

    def stop(self) -> None:
        """Close connections, save the state file (if any) and end the thread. Idempotent."""
        thread, loop, stop = self._thread, self._loop, self._stop_requested
        if thread is None:
            return
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        thread.join(STOP_TIMEOUT)
        self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Sandbox:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        try:
            self._stop_requested = asyncio.Event()
            server = SandboxServer(
                self.version,
                Registry(),
                self._accounts,
                host=self.host,
                port=self._requested_port,
                ssl_context=self._tls_context(),
                treat_as_remote=self._treat_as_remote,
                rate_limit=self._rate_limit,
            )
            self._server = server
            self._install_model(self._load_model(server))
            await server.start()
        except BaseException as exc:
            self._start_error = exc
            self._server = None
            self._cleanup_certificate()
            self._started.set()
            return
        self._started.set()
        try:
            await self._stop_requested.wait()
        finally:
            await server.stop()
            if self._model is not None:
                self._model.close()
                self.save_state()
            self._server = None
            self._cleanup_certificate()

    def _tls_context(self) -> Any:
        if not self.tls:
            return None
        self._certdir = tempfile.TemporaryDirectory(prefix="scale-pilot-sandbox-tls-")
        cert, key = self_signed(Path(self._certdir.name), self.host)
        self.ca_file = cert
        return server_context(cert, key)

    def _cleanup_certificate(self) -> None:
        if self._certdir is not None:
            self._certdir.cleanup()
            self._certdir = None
            self.ca_file = None

    # -- model and state -------------------------------------------------------------------

    def _load_model(self, server: SandboxServer) -> SandboxModel:
        if self.state_file is not None and self.state_file.exists():
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            self._restore_credentials(data.pop(_CREDENTIALS, {}))
            model = SandboxModel.from_dict(data, events=server.hub, timing=self._timing)
            if model.version != self.version:
                raise ValueError(
                    f"{self.state_file} holds a {model.version} NAS; "
                    f"start the sandbox with version {model.version!r} or use another file"
                )
            return model
        return SandboxModel(self.version, self.seed, events=server.hub, timing=self._timing)

    def _restore_credentials(self, saved: Any) -> None:
        """Reuse the API key and password a state file kept, so clients configured with them
        (``scale-compose sandbox --print-env``) still log in after a restart; credentials
        passed to the constructor win."""
        if not isinstance(saved, dict):
            return
        for name in ("api_key", "password"):
            value = saved.get(name)
            if self._fixed_credentials[name] is None and isinstance(value, str) and value:
                if name == "api_key" and not _valid_key(value):
                    continue
                setattr(self._accounts, name, value)

    def _install_model(self, model: SandboxModel) -> None:
        server = self._running_server()
        registry = build_registry(model)
        if self._extend is not None:
            self._extend(registry)
        server.registry = registry
        server.jobs.on_finished = self._job_finished
        self._model = model

    def _job_finished(self, job: Job) -> None:
        if self.state_file is not None and job.state == "SUCCESS":
            self.save_state()

    def save_state(self) -> None:
        """Write the NAS state to :attr:`state_file` atomically (no-op without one), with the
        credentials (the file is created owner-only, as ``mkstemp`` makes it)."""
        if self.state_file is None or self._model is None:
            return
        credentials = {"api_key": self._accounts.api_key, "password": self._accounts.password}
        state = {**self._model.to_dict(), _CREDENTIALS: credentials}
        data = json.dumps(state, indent=1, sort_keys=True)
        directory = self.state_file.resolve().parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.state_file.name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.state_file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def reset(self) -> None:
        """Back to the seed: new model, no jobs, no faults, fresh counters and an unrevoked key.

        Open connections stay open and logged in; their subscriptions stay too. With a
        :attr:`state_file`, the next save overwrites it with the reset NAS.
        """

        def do_reset() -> None:
            server = self._running_server()
            server.jobs.cancel_all()
            server.faults.clear()
            server.release_events()
            server.jobs = JobManager(self.version, server.hub, server.faults)
            server.limiter.clear()
            server.metrics = Metrics()
            self._accounts.revoked_reason = None
            if self._model is not None:
                self._model.close()
            model = SandboxModel(self.version, self.seed, events=server.hub, timing=self._timing)
            self._install_model(model)

        self._on_loop(do_reset)

    # -- faults ----------------------------------------------------------------------------

    def delay_responses(self, seconds: float, methods: list[str] | None = None) -> None:
        """Hold every response (or those of ``methods``) for ``seconds``; 0 turns it off."""

        def arm() -> None:
            faults = self._running_server().faults
            faults.response_delay = seconds
            faults.delayed_methods = frozenset(methods or ())

        self._on_loop(arm)

    def drop_after_frames(self, frames: int) -> None:
        """Cut a connection without a close frame once the server has sent ``frames`` more.

        Frames are counted over all connections from now on; the connection that sends the
        last counted frame is cut, then the fault disarms.
        """
        self._on_loop(lambda: self._running_server().faults.arm_drop_after(frames))

    def drop_mid_job(self) -> None:
        """Cut the connection that starts the next job as soon as that job is RUNNING."""

        def arm() -> None:
            self._running_server().faults.drop_mid_job = True

        self._on_loop(arm)

    def fail_next_job(self, error: SandboxCallError | str, errno_: int = errno.EFAULT) -> None:
        """Make the next job fail with ``error`` (a reason text or a full error) once."""
        failure = error if isinstance(error, SandboxCallError) else SandboxCallError(errno_, error)

        def arm() -> None:
            self._running_server().faults.next_job_error = failure

        self._on_loop(arm)

    def hold_jobs(self, methods: list[str]) -> None:
        """Keep every job of ``methods`` that starts running from now on RUNNING, its work
        not done, until :meth:`release_jobs` (or a reset): a slow job, for as long as a test
        needs. A held job keeps its lock, so jobs with the same lock stay WAITING behind it.
        """
        held = frozenset(methods)
        self._on_loop(lambda: self._running_server().faults.hold_jobs(held))

    def release_jobs(self) -> None:
        """Let held jobs do their work and end; jobs started later are not held."""
        self._on_loop(lambda: self._running_server().faults.release_jobs())

    def mute_shells(self, muted: bool = True) -> None:
        """Let ``/websocket/shell`` read tokens and never answer (False: answer again)."""

        def arm() -> None:
            self._running_server().faults.mute_shells = muted

        self._on_loop(arm)

    def close_connections(self, code: int = 1011, reason: str = "server going away") -> None:
        """Close every open connection now with ``code`` and ``reason``."""
        self._await_on_loop(self._running_server().close_connections(code, reason))

    def pause_events(self) -> None:
        """Hold every event (and new-style job response) until :meth:`resume_events`."""

        def arm() -> None:
            self._running_server().faults.events_paused = True

        self._on_loop(arm)

    def resume_events(self) -> None:
        """Deliver held events in order and stop holding."""
        self._on_loop(lambda: self._running_server().release_events())

    def clear_faults(self) -> None:
        """Disarm every fault and deliver held events."""

        def clear() -> None:
            server = self._running_server()
            server.faults.clear()
            server.release_events()

        self._on_loop(clear)

    # -- loop access -----------------------------------------------------------------------

    def call_in_loop(self, func: Callable[[], T]) -> T:
        """Run ``func()`` on the sandbox loop thread and return its result (model access)."""
        return self._on_loop(func)

    def _running_server(self) -> SandboxServer:
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() first")
        return self._server

    def _check_thread(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None or self._server is None or loop.is_closed():
            raise RuntimeError("the sandbox is not running; call start() first")
        if threading.current_thread() is self._thread:
            raise RuntimeError("Sandbox control methods cannot be called from the sandbox loop")
        return loop

    def _on_loop(self, func: Callable[[], T]) -> T:
        async def run() -> T:
            return func()

        return self._await_on_loop(run())

    def _await_on_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            loop = self._check_thread()
        except RuntimeError:
            coro.close()
            raise
        return asyncio.run_coroutine_threadsafe(coro, loop).result(STOP_TIMEOUT)


def _valid_key(key: str) -> bool:
    key_id, dash, secret = key.partition("-")
    return key_id.isdigit() and bool(dash) and bool(secret)
