"""An interactive shell in a container, attached to this process's terminal.

The local terminal goes raw (every key, Ctrl-C and Ctrl-D included, goes to the container's
terminal, as with ``docker exec -it``) and is restored however the session ends. Keys are
forwarded as binary frames, output is written to stdout as it comes, and a window-size
change (``SIGWINCH``) becomes ``core.resize_shell``. The session ends when the container's
shell exits; TrueNAS reports no exit status for it, so the command's status is 0.

When stdin is not a terminal (``printf 'ls\\n' | scale-compose exec -i APP``), its end is
typed as Ctrl-D, as ``docker exec -i`` closes the shell's input: the shell reads it as
end of input and exits, so the session ends instead of waiting forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import termios
import tty
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from scale_pilot_nb.cli.exits import ExitStatus

if TYPE_CHECKING:
    from scale_pilot_nb.manager.shells import ContainerShell
    from scale_pilot_nb.pilot.pilot import Pilot

__all__ = ["attach"]

#: Bytes read from stdin at a time.
READ_SIZE = 4096
#: The terminal's end-of-input key: what the end of a piped stdin is typed as.
EOF_KEY = b"\x04"


def attach(pilot: Pilot, app: str, service: str | None, *, command: str, stdin: TextIO) -> int:
    """Run ``command`` in ``app``'s container with this terminal attached; returns 0 at its end.

    Both steps run through :meth:`Pilot.run`, so an interrupt cancels them on the loop rather
    than leaving them running there, and the shell is closed however the session ends (the
    NAS then kills what still runs in it).

    Raises:
        the errors of ``open_shell`` (before the terminal changes).
    """
    shell = pilot.run(pilot.manager.open_shell(app, service, command=command))
    try:
        in_fd, out_fd = stdin.fileno(), sys.stdout.fileno()
        sys.stdout.flush()
        with _raw(in_fd), _resizing(pilot, shell, out_fd):
            pilot.run(_pump(shell, in_fd, out_fd))
    finally:
        pilot.run(shell.close())
    return ExitStatus.OK


async def _pump(shell: ContainerShell, in_fd: int, out_fd: int) -> None:
    """Keys from ``in_fd`` to the shell, its output to ``out_fd``, until the shell ends."""
    loop = asyncio.get_running_loop()
    keys: asyncio.Queue[bytes] = asyncio.Queue()

    def readable() -> None:
        try:
            data = os.read(in_fd, READ_SIZE)
        except OSError:
            data = b""
        if not data:  # stdin ended: type Ctrl-D so the shell sees the end of its input
            loop.remove_reader(in_fd)
            data = EOF_KEY
        keys.put_nowait(data)

    async def forward() -> None:
        while True:
            await shell.send(await keys.get())

    loop.add_reader(in_fd, readable)
    sender = loop.create_task(forward())
    try:
        while (chunk := await shell.receive()) is not None:
            os.write(out_fd, chunk)
    finally:
        loop.remove_reader(in_fd)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


@contextlib.contextmanager
def _raw(fd: int) -> Iterator[None]:
    """The terminal on ``fd`` in raw mode for the block (nothing to do for a pipe)."""
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def _resizing(pilot: Pilot, shell: ContainerShell, fd: int) -> Iterator[None]:
    """Send the terminal's size now and after every ``SIGWINCH`` (main thread only)."""
    if not os.isatty(fd):
        yield
        return

    def resize(*_: Any) -> None:
        with contextlib.suppress(OSError):
            size = os.get_terminal_size(fd)
            pilot.submit(shell.resize(size.columns, size.lines))

    resize()
    previous = signal.signal(signal.SIGWINCH, resize)
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)
