"""Shells in app containers: pick the container, get a token, open the NAS's web shell.

The manager's ``exec`` and ``open_shell`` are thin entry points into this module. The steps
follow what the middleware allows (``docs/exec-design.md``):

1. the container: ``app.container_console_choices`` lists the app's running containers
   with their service; the only one is the default, several need ``service``;
2. the token: ``auth.generate_token`` with the arguments of the NAS's release
   (:func:`~scale_pilot_nb.rpc.shell.token_params`; single-use on 25.04+);
3. the shell: :class:`~scale_pilot_nb.rpc.shell.ShellChannel` on the API connection's host,
   with its TLS settings, running ``/bin/sh`` (or the interactive command asked for).

A non-interactive command is then typed as one line with markers around its output and
status (:mod:`scale_pilot_nb.manager.exec_script`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.errors import (
    CallTimeoutError,
    ContainerNotRunningError,
    ExecError,
    ServiceChoiceError,
)
from scale_pilot_nb.manager import arguments
from scale_pilot_nb.manager.exec_script import (
    DEFAULT_EXEC_TIMEOUT,
    DEFAULT_SHELL,
    ExecResult,
    Markers,
    OutputReader,
    command_line,
    program_name,
    script_for,
)
from scale_pilot_nb.rpc.lifetime import AsyncClosedOnExit
from scale_pilot_nb.rpc.shell import DEFAULT_TOKEN_TTL, ShellChannel, release_of, token_params

if TYPE_CHECKING:
    from scale_pilot_nb.rpc.factory import TrueNASClient

__all__ = [
    "ContainerShell",
    "Target",
    "open_shell",
    "run_command",
]

#: Output kept from one non-interactive command; more is an error, not unbounded memory.
MAX_OUTPUT_CHARS = 64 * 2**20


@dataclass(frozen=True)
class Target:
    """The container a shell runs in."""

    app: str
    service: str
    container_id: str


class ContainerShell(AsyncClosedOnExit):
    """An open shell in an app's container: raw terminal bytes in and out.

    Use as ``async with``; :meth:`receive` returns None once the process ended (the NAS
    closes the session, without an exit status); :meth:`resize` sets the terminal size.

    Attributes:
        target: the app, service and container.
    """

    def __init__(self, client: TrueNASClient, channel: ShellChannel, target: Target) -> None:
        self._client = client
        self._channel = channel
        self.target = target

    def __repr__(self) -> str:
        return f"<ContainerShell {self.target.app}/{self.target.service}>"

    @property
    def notices(self) -> list[str]:
        """Text the NAS sent beside the terminal (its ``sudo`` warning, for instance)."""
        return self._channel.notices

    async def send(self, data: bytes) -> None:
        """Type ``data`` (keys, as bytes) into the terminal."""
        await self._channel.send(data)

    async def receive(self) -> bytes | None:
        """The next terminal output; None once the session ended."""
        return await self._channel.receive()

    async def resize(self, cols: int, rows: int) -> None:
        """Set the terminal to ``cols`` x ``rows`` (``core.resize_shell``)."""
        arguments.positive_int(cols, "cols")
        arguments.positive_int(rows, "rows")
        await self._client.call("core.resize_shell", self._channel.session_id, cols, rows)

    async def close(self) -> None:
        """End the session; the NAS kills what still runs in it. Idempotent."""
        await self._channel.close()


async def open_shell(
    client: TrueNASClient,
    app: str,
    service: str | None = None,
    *,
    command: str = DEFAULT_SHELL,
) -> ContainerShell:
    """Open a terminal running ``command`` in a running container of ``app``.

    Args:
        client: a connected API client.
        app: the app, a valid name: the manager's ``exec`` and ``open_shell`` (the public
            entry points) check it, not this function.
        service: the compose service; may be left out when the app runs one container.
        command: one executable path (TrueNAS passes it as a single argv element, so
            ``"ls -l"`` would look for a program of that name).

    Raises:
        ApiError: the NAS's own refusals (``ENOENT`` for an app that does not exist).
        ContainerNotRunningError: the app or the service has no running container.
        ServiceChoiceError: no such service, or several and none given.
        ShellRefusedError: the NAS refused the session (24.10 with an API key, no
            ``web_shell`` privilege).
        ConnectionError, InsecureTransportError: the shell cannot be reached safely.
    """
    if service is not None:
        arguments.text(service, "service")
    arguments.text(command, "command")
    target, release = await asyncio.gather(
        _choose_container(client, app, service), _release(client)
    )
    token = await client.call("auth.generate_token", *token_params(release, DEFAULT_TOKEN_TTL))
    channel = await ShellChannel.open(
        client.shell_route(),
        str(token),
        release=release,
        app_name=app,
        container_id=target.container_id,
        command=command,
        open_timeout=client.timeouts.connect,
    )
    return ContainerShell(client, channel, target)


async def run_command(
    client: TrueNASClient,
    app: str,
    command: str | Sequence[str],
    service: str | None = None,
    *,
    timeout: float | None = DEFAULT_EXEC_TIMEOUT,
    on_output: Callable[[str], None] | None = None,
) -> ExecResult:
    """Run ``command`` in ``app``'s container and return its output and exit status.

    Args:
        on_output: called (on the event loop) with each piece of output as it arrives.

    Raises:
        CallTimeoutError: it ran longer than ``timeout`` seconds (the session is closed,
            and the NAS kills the process).
        ExecError: the shell did not run the line (no ``/bin/sh`` in the image), or the
            output grew past 64 MiB; and the errors of :func:`open_shell`.
    """
    line = command_line(command)
    markers = Markers.new()
    script = script_for(line, markers)
    reader = OutputReader(markers)
    output = _Output(on_output)
    started = time.monotonic()
    scope = asyncio.timeout(timeout)
    try:
        async with scope, await open_shell(client, app, service) as shell:
            await shell.send(script)
            while (chunk := await shell.receive()) is not None:
                output.add(reader.feed(chunk))
                if reader.exit_code is not None:
                    break
    except TimeoutError:
        if not scope.expired():
            raise
        raise CallTimeoutError(
            f"{app}: {program_name(command)} did not finish within {timeout} s",
            hint="Raise timeout= (--timeout), or run long jobs detached inside the container.",
        ) from None
    output.add(reader.finish())
    return ExecResult(
        app=app,
        service=shell.target.service,
        container_id=shell.target.container_id,
        command=line,
        output=output.text(),
        exit_code=reader.exit_code,
        seconds=round(time.monotonic() - started, 3),
    )


class _Output:
    """A run's output so far, bounded, passed on to ``on_output`` as it arrives."""

    def __init__(self, on_output: Callable[[str], None] | None) -> None:
        self._on_output = on_output
        self._pieces: list[str] = []
        self._size = 0

    def add(self, text: str) -> None:
        if not text:
            return
        self._size += len(text)
        if self._size > MAX_OUTPUT_CHARS:
            raise ExecError(
                f"The command printed more than {MAX_OUTPUT_CHARS // 2**20} Mi characters",
                hint="Write large output to a file in a volume, or filter it in the command.",
            )
        self._pieces.append(text)
        if self._on_output is not None:
            self._on_output(text)

    def text(self) -> str:
        return "".join(self._pieces)


async def _release(client: TrueNASClient) -> str:
    """The NAS's release (``"24.10"`` …) from ``system.version_short``."""
    return release_of(str(await client.call("system.version_short")))


async def _choose_container(client: TrueNASClient, app: str, service: str | None) -> Target:
    """The running container of ``service`` (or the app's only one)."""
    running: dict[str, Any] = await client.call("app.container_console_choices", app)
    services = {
        str(info.get("service_name")): cid
        for cid, info in running.items()
        if isinstance(info, dict)
    }
    if service is None:
        if len(services) == 1:
            (only, cid), *_ = services.items()
            return Target(app, only, cid)
        if not services:
            raise ContainerNotRunningError(f"App {app!r} has no running container")
        raise ServiceChoiceError(
            f"App {app!r} runs several services: {', '.join(sorted(services))}",
            hint="Name one: pilot.exec(app, command, service=...) or "
            "`scale-compose exec APP SERVICE -- CMD`.",
        )
    if service in services:
        return Target(app, service, services[service])
    every = await client.call("app.container_ids", app, {"alive_only": False})
    known = sorted({str(info.get("service_name")) for info in every.values()})
    if service in known:
        raise ContainerNotRunningError(f"Service {service!r} of app {app!r} is not running")
    raise ServiceChoiceError(
        f"App {app!r} has no service {service!r}",
        hint=f"Its services: {', '.join(known) or 'none'}.",
    )
