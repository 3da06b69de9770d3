"""The sandbox's WebSocket server: HTTP routes, connections and the method tables.

Routes, per sandbox version: ``/websocket`` (legacy) and ``/websocket/shell`` (the web shell,
:mod:`~scale_pilot_nb.sandbox.shell`) always; ``/api/current`` and
``/api/vXX.YY.Z`` (JSON-RPC 2.0) from 25.04; ``GET /api/versions``; everything else is 404, so a
25.04+ client pointed at a 24.10 sandbox fails exactly as it does against a 24.10 NAS.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import ssl
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from scale_pilot_nb.sandbox.auth import Accounts, RateLimiter, auth_methods
from scale_pilot_nb.sandbox.contract import (
    MethodSpec,
    Registry,
    SandboxCallError,
    version_at_least,
)
from scale_pilot_nb.sandbox.core import core_methods
from scale_pilot_nb.sandbox.dispatch import MethodNotFound
from scale_pilot_nb.sandbox.events import EventHub, SourceHub
from scale_pilot_nb.sandbox.faults import Faults
from scale_pilot_nb.sandbox.jobs import JobManager
from scale_pilot_nb.sandbox.jsonrpc import JsonRpcDialect
from scale_pilot_nb.sandbox.legacy import LegacyDialect
from scale_pilot_nb.sandbox.metrics import Metrics
from scale_pilot_nb.sandbox.session import Dialect, Session
from scale_pilot_nb.sandbox.shell import SHELL_PATHS, ShellProcess, serve_shell, shell_methods
from scale_pilot_nb.sandbox.tokens import TokenStore, token_methods
from scale_pilot_nb.sandbox.wire import ENOMETHOD, loads

LEGACY_PATH = "/websocket"
CURRENT_PATH = "/api/current"
VERSIONS_PATH = "/api/versions"

#: Versioned JSON-RPC endpoints per sandbox version (``/api/<name>``; dots, not underscores).
API_VERSIONS: dict[str, tuple[str, ...]] = {
    "24.10": (),
    "25.04": ("v24.10", "v25.04.0", "v25.04.1", "v25.04.2"),
    "25.10": (
        "v24.10", "v25.04.0", "v25.04.1", "v25.04.2",
        "v25.10.0", "v25.10.1", "v25.10.2", "v25.10.3", "v25.10.4", "v25.10.5",
    ),
}  # fmt: skip

#: Largest frame before login (bytes) and the close code/reason the middleware uses.
ANONYMOUS_MAX_MESSAGE = 8192
AUTHENTICATED_MAX_MESSAGE = 65536
#: websockets' own ceiling: above the middleware's largest special case (2 MiB).
TRANSPORT_MAX_SIZE = 2 * 1024 * 1024


#: Seconds a client gets to answer the close frame when the sandbox stops.
STOP_CLOSE_TIMEOUT = 0.05


def _release(endpoint: str) -> str:
    """``"v25.04.2"`` → ``"25.04"``."""
    return ".".join(endpoint.removeprefix("v").split(".")[:2])


class SandboxServer:
    """Serves one NAS model over both dialects on one port.

    Args:
        version: the TrueNAS release to emulate (``"24.10"``, ``"25.04"``, ``"25.10"``).
        registry: the model's methods and event sources.
        accounts: the administrator's credentials.
        host: address to bind (loopback by default in every entry point).
        port: port to bind; 0 picks a free one.
        ssl_context: serve ``wss://`` when given.
        treat_as_remote: handle loopback clients as remote ones (API-key revocation tests).
        rate_limit: apply the unauthenticated-call rate limit (off only for load tests).
    """

    def __init__(
        self,
        version: str,
        registry: Registry,
        accounts: Accounts,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        treat_as_remote: bool = False,
        rate_limit: bool = True,
    ) -> None:
        self.version = version
        self.registry = registry
        self.accounts = accounts
        self.host = host
        self.requested_port = port
        self.ssl_context = ssl_context
        self.treat_as_remote = treat_as_remote
        self.faults = Faults()
        self.metrics = Metrics()
        self.hub = EventHub()
        self.sources = SourceHub()
        self.limiter = RateLimiter(enabled=rate_limit)
        self.jobs = JobManager(version, self.hub, self.faults)
        self.core = {
            **core_methods(version),
            **auth_methods(),
            **token_methods(version),
            **shell_methods(),
        }
        self.tokens = TokenStore()
        self.shells: dict[str, ShellProcess] = {}
        self.sessions: set[Session] = set()
        self._jsonrpc = JsonRpcDialect()
        self._server: Server | None = None

    # -- method tables ---------------------------------------------------------------------

    def _available(self, spec: MethodSpec, release: str) -> bool:
        return spec.min_version is None or version_at_least(release, spec.min_version)

    def lookup(self, method: str, api_version: str) -> tuple[MethodSpec, bool]:
        """The spec for ``method`` and whether it is a server method (gets a ``ServerCall``).

        Raises:
            MethodNotFound: the server does not have it.
            SandboxCallError: ENOMETHOD, the server has it but the pinned endpoint is older.
        """
        server_side = method in self.core
        spec = self.core.get(method) or self.registry.methods.get(method)
        if spec is None or not self._available(spec, self.version):
            raise MethodNotFound(method)
        if not self._available(spec, api_version):
            service = method.rpartition(".")[0]
            raise SandboxCallError(ENOMETHOD, f"Method {method!r} not found in {service!r}")
        return spec, server_side

    def methods_for(self, api_version: str) -> list[MethodSpec]:
        """Every method callable on an endpoint of ``api_version``, sorted by name."""
        specs = {**self.registry.methods, **self.core}
        return [
            spec
            for name, spec in sorted(specs.items())
            if self._available(spec, self.version) and self._available(spec, api_version)
        ]

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start accepting connections (call on the loop that will run it)."""
        self.hub.bind(asyncio.get_running_loop())
        self._server = await serve(
            self._handle,
            self.host,
            self.requested_port,
            process_request=self._route,
            ssl=self.ssl_context,
            max_size=TRANSPORT_MAX_SIZE,
            compression=None,
            ping_interval=None,
        )

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("server not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Close every connection (1001), abort running jobs and stop listening.

        A client that does not answer the close frame within :data:`STOP_CLOSE_TIMEOUT` is cut
        off, so stopping never hangs on an abandoned connection.
        """
        self.jobs.cancel_all()
        for session in self.sessions:
            session.ws.close_timeout = STOP_CLOSE_TIMEOUT
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        # Calls read while the connections closed may have started more jobs. Every job must
        # end on this loop: one left pending is torn down with the loop and fails noisily.
        while aborted := self.jobs.cancel_all():
            await asyncio.gather(*aborted, return_exceptions=True)

    async def close_connections(self, code: int, reason: str) -> None:
        """Close every open connection with ``code`` and ``reason`` (a fault for tests)."""
        await asyncio.gather(
            *(session.ws.close(code, reason) for session in list(self.sessions)),
            return_exceptions=True,
        )

    def release_events(self) -> None:
        """Deliver what the pause-events fault held back."""
        self.faults.events_paused = False
        for session in list(self.sessions):
            session.release_held()

    # -- HTTP ------------------------------------------------------------------------------

    def _endpoints(self) -> dict[str, str]:
        """WebSocket path → API release it speaks."""
        paths = {LEGACY_PATH: self.version}
        if version_at_least(self.version, "25.04"):
            paths[CURRENT_PATH] = self.version
            paths.update({f"/api/{name}": _release(name) for name in API_VERSIONS[self.version]})
        return paths

    def _pinned(self, path: str) -> bool:
        """An endpoint pinned to an older API of this release (``/api/v25.04.0`` on 25.04).

        TrueNAS adapts (and so validates) the arguments there before calling the method; the
        current API and ``/api/v24.10`` (which passes app methods through) do not.
        """
        names = API_VERSIONS[self.version]
        name = path.removeprefix("/api/")
        return bool(names) and name in names and name not in ("v24.10", names[-1])

    def _route(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.partition("?")[0]
        if path in self._endpoints() or path in SHELL_PATHS:
            return None
        if path == VERSIONS_PATH and version_at_least(self.version, "25.04"):
            names = [n for n in API_VERSIONS[self.version] if n != "v24.10"]
            response = connection.respond(HTTPStatus.OK, json.dumps(names) + "\n")
            response.headers["Content-Type"] = "application/json"
            return response
        return connection.respond(HTTPStatus.NOT_FOUND, "404: Not Found\n")

    # -- connections -----------------------------------------------------------------------

    def _dialect(self, path: str) -> Dialect:
        if path == LEGACY_PATH:
            services = frozenset(
                name.rpartition(".")[0] for name in {**self.registry.methods, **self.core}
            )
            return LegacyDialect(self.version, services)
        return self._jsonrpc

    def _is_secure(self, peer: str) -> bool:
        if self.ssl_context is not None:
            return True
        try:
            loopback = ipaddress.ip_address(peer).is_loopback
        except ValueError:
            loopback = False
        return loopback and not self.treat_as_remote

    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path.partition("?")[0] if ws.request else CURRENT_PATH
        peer = str(ws.remote_address[0]) if ws.remote_address else "127.0.0.1"
        if path in SHELL_PATHS:
            await serve_shell(self, ws, peer)
            return
        session = Session(
            self,
            ws,
            self._dialect(path),
            api_version=self._endpoints().get(path, self.version),
            peer=peer,
            secure=self._is_secure(peer),
            pinned=self._pinned(path),
        )
        self.sessions.add(session)
        self.metrics.connections += 1
        self.metrics.open_connections += 1
        writer = asyncio.get_running_loop().create_task(session.run_writer())
        try:
            await self._serve_session(session)
        except ConnectionClosed:
            pass
        except Exception as exc:  # a server bug: tell the client like the middleware does
            await ws.close(1011, (str(exc) or type(exc).__name__)[:120])
        finally:
            session.close()
            writer.cancel()
            self.hub.forget(session)
            self.sessions.discard(session)
            self.metrics.open_connections -= 1

    async def _serve_session(self, session: Session) -> None:
        ws = session.ws
        async for message in ws:
            if isinstance(message, bytes):
                await ws.close(1003, "Invalid websocket message type: BINARY")
                return
            size = len(message.encode())
            if not session.authenticated and size > ANONYMOUS_MAX_MESSAGE:
                await ws.close(1007, "Anonymous connection max message length is 8 kB")
                return
            if size > AUTHENTICATED_MAX_MESSAGE:
                await ws.close(1009, "Max message length is 64 kB")
                return
            self.metrics.frames_in += 1
            try:
                parsed: Any = loads(message)
            except ValueError as exc:
                session.dialect.parse_error(session, exc)
                continue
            await session.dialect.handle(session, parsed)
