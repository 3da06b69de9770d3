"""The web-shell endpoint ``/websocket/shell`` and ``core.resize_shell``, for app containers.

The protocol of the middleware's shell application (``apps/webshell_app.py`` at TS-25.04.2.6
and TS-25.10.5, ``main.py`` at TS-24.10.2.4; ``docs/exec-design.md``):

1. before authentication, frames that are not JSON objects with a ``token`` are ignored;
2. a token the shell does not accept (:meth:`~scale_pilot_nb.sandbox.tokens.TokenStore.shell_user`)
   gets ``{"msg": "failed", "error": {"error": 207, "reason": "Invalid token"}}`` and the
   socket stays open for another try;
3. an accepted token with a missing or unknown ``container_id`` (not one of
   ``app.container_console_choices``) closes the socket without a JSON error;
4. otherwise ``{"msg": "connected", "id": "<uuid>"}``, then raw terminal bytes as binary
   frames of at most 1024 bytes; binary frames from the client are typed into the terminal,
   a text frame kills the session (the middleware's writer cannot ``os.write`` a str);
5. when the process ends the server closes the socket (normal closure, no exit status); when
   the client closes first, the process is killed.

Only app containers are simulated (no host shell, no VMs), and the "process" is the
simulated shell of :mod:`~scale_pilot_nb.sandbox.container_sh` — never a real command.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import uuid
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from scale_pilot_nb.sandbox.container_sh import (
    NOT_FOUND,
    SHELLS,
    ContainerInfo,
    SimulatedShell,
    Terminal,
    oci_not_found,
)
from scale_pilot_nb.sandbox.contract import CallContext, MethodSpec, SandboxCallError
from scale_pilot_nb.sandbox.wire import ENOTAUTHENTICATED

if TYPE_CHECKING:
    from scale_pilot_nb.sandbox.dispatch import ServerCall
    from scale_pilot_nb.sandbox.server import SandboxServer

__all__ = ["SHELL_PATHS", "ShellProcess", "serve_shell", "shell_methods"]

SHELL_PATHS = ("/websocket/shell", "/websocket/shell/")
#: Largest output frame, as the middleware reads the PTY in 1024-byte chunks.
OUTPUT_CHUNK = 1024
_FAILED = {"msg": "failed", "error": {"error": ENOTAUTHENTICATED, "reason": "Invalid token"}}


class ShellProcess:
    """A running simulated ``docker exec -it``: its terminal, its shell and its output queue."""

    def __init__(self, container: ContainerInfo, command: str) -> None:
        self.id = str(uuid.uuid4())
        self.output: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.terminal = Terminal(self.output.put_nowait)
        self.container = container
        self.command = command
        self.task: asyncio.Task[int] | None = None

    def start(self) -> None:
        """Start the process; its end puts None on :attr:`output`."""
        self.task = asyncio.get_running_loop().create_task(self._main())

    async def _main(self) -> int:
        try:
            if self.command not in SHELLS:
                self.terminal.output(oci_not_found(self.command))
                return NOT_FOUND
            return await SimulatedShell(self.terminal, self.container).run()
        finally:
            self.output.put_nowait(None)

    def resize(self, cols: int, rows: int) -> None:
        """``TIOCSWINSZ`` on the simulated PTY."""
        self.terminal.cols, self.terminal.rows = cols, rows

    def kill(self) -> None:
        """Terminate the process (the client went away or broke the session)."""
        if self.task is not None:
            self.task.cancel()
        self.output.put_nowait(None)  # the sender ends even if the task never started


async def serve_shell(server: SandboxServer, ws: ServerConnection, peer: str) -> None:
    """Serve one connection to ``/websocket/shell`` until the process or the client ends."""
    process = await _authenticate(server, ws, peer)
    if process is None:
        return
    server.shells[process.id] = process
    process.start()
    await ws.send(json.dumps({"msg": "connected", "id": process.id}))
    sender = asyncio.get_running_loop().create_task(_send_output(ws, process))
    try:
        async for message in ws:
            if isinstance(message, str):  # the middleware's writer thread dies on a str
                break
            process.terminal.type(message)
    except ConnectionClosed:
        pass
    finally:
        process.kill()
        server.shells.pop(process.id, None)
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        await ws.close()


async def _authenticate(
    server: SandboxServer, ws: ServerConnection, peer: str
) -> ShellProcess | None:
    """Read frames until a token is accepted; the process to run, or None (socket closed)."""
    async for message in ws:
        if server.faults.mute_shells:  # a hung NAS: the token is read, no answer comes
            continue
        try:
            data = json.loads(message)
        except ValueError:
            continue
        if not isinstance(data, dict) or not data.get("token"):
            continue
        username = server.tokens.shell_user(data["token"], peer, server.version, server.accounts)
        if username is None:
            await ws.send(json.dumps(_FAILED))
            continue
        options = data.get("options")
        options = options if isinstance(options, dict) else {}
        container = _container(server, username, options)
        if container is None:
            await ws.close()
            return None
        command = options.get("command", "/bin/bash")
        return ShellProcess(container, command if isinstance(command, str) else "/bin/bash")
    return None


def _container(
    server: SandboxServer, username: str, options: dict[str, Any]
) -> ContainerInfo | None:
    """The container ``options`` name, if it is a running container of the app."""
    app, cid = options.get("app_name"), options.get("container_id")
    if not isinstance(app, str) or not isinstance(cid, str):
        return None
    ctx = CallContext(username, server.version)
    methods = server.registry.methods
    try:
        running = methods["app.container_console_choices"].func(ctx, app)
        config = methods["app.config"].func(ctx, app)
    except SandboxCallError:
        return None
    if cid not in running:
        return None
    service = running[cid]["service_name"]
    return ContainerInfo(cid, service, running[cid]["image"], _environment(config, service))


def _environment(config: Any, service: str) -> dict[str, str]:
    """A custom app's compose ``environment`` of ``service`` (mapping or ``KEY=VALUE`` list)."""
    services = config.get("services") if isinstance(config, dict) else None
    spec = services.get(service) if isinstance(services, dict) else None
    env = spec.get("environment") if isinstance(spec, dict) else None
    if isinstance(env, dict):
        return {str(k): "" if v is None else str(v) for k, v in env.items()}
    if isinstance(env, list):
        pairs = (str(item).partition("=") for item in env)
        return {key: value for key, _, value in pairs}
    return {}


async def _send_output(ws: ServerConnection, process: ShellProcess) -> None:
    """Forward terminal output in frames of at most 1024 bytes; close when the process ends."""
    while (chunk := await process.output.get()) is not None:
        for start in range(0, len(chunk), OUTPUT_CHUNK):
            try:
                await ws.send(chunk[start : start + OUTPUT_CHUNK])
            except ConnectionClosed:
                return
    await ws.close()


def resize_shell(call: ServerCall, id_: Any, cols: Any, rows: Any) -> None:
    """``core.resize_shell(id, cols, rows)``: set a web shell's terminal size.

    Raises:
        SandboxCallError: ENOENT ``Shell does not exist``.
    """
    process = call.session.server.shells.get(id_) if isinstance(id_, str) else None
    if process is None:
        raise SandboxCallError(errno.ENOENT, "Shell does not exist")
    process.resize(int(cols), int(rows))


def shell_methods() -> dict[str, MethodSpec]:
    """``core.resize_shell``."""
    return {"core.resize_shell": MethodSpec("core.resize_shell", resize_shell)}
