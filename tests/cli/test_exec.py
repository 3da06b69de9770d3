"""``scale-compose exec``: the exit status is the command's; interactive through a real PTY."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time
from collections.abc import Callable

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import SCRIPT, Result

Run = Callable[..., Result]


def test_exit_status_and_output_through_the_entry_point(
    nas_env: dict[str, str], installed: Run
) -> None:
    result = installed("exec", "whoami", "--", "sh", "-c", "echo out; echo $HOME; exit 42")
    assert (result.code, result.stdout, result.stderr) == (42, "out\n/root\n", "")
    assert installed("exec", "photos", "database", "--", "printenv", "POSTGRES_DB").stdout == (
        "immich\n"
    )


def test_json_document_and_usage_errors(nas_env: dict[str, str], cli: Run) -> None:
    document = cli("exec", "--json", "whoami", "--", "false").json()
    assert (document["command"], document["result"]["exit_code"]) == ("exec", 1)
    several = cli("exec", "photos", "--", "true")
    assert several.code == ExitStatus.ERROR and "database, machine-learning" in several.stderr
    assert cli("exec", "whoami").code == ExitStatus.USAGE  # no command, no terminal
    assert cli("exec", "whoami", "web", "extra").code == ExitStatus.USAGE
    stopped = cli("exec", "syncthing", "--", "true")
    assert stopped.code == ExitStatus.ERROR and "no running container" in stopped.stderr


def test_interactive_shell_on_a_pty(nas_env: dict[str, str], sandbox: Sandbox) -> None:
    pid, master = pty.fork()
    if pid == 0:  # the child: scale-compose with the PTY as its controlling terminal
        os.execv(str(SCRIPT), [str(SCRIPT), "exec", "whoami"])
    try:
        _set_size(master, rows=33, cols=111)
        seen = _read_until(master, b"# ")
        os.write(master, b"stty size\r")
        seen += _read_until(master, b"33 111\r\n# ")
        _set_size(master, rows=44, cols=120)  # SIGWINCH -> core.resize_shell
        time.sleep(0.5)
        os.write(master, b"stty size\r")
        seen += _read_until(master, b"44 120\r\n# ")
        os.write(master, b"echo interactive\rexit\r")
        seen += _read_until(master, None)
    finally:
        status = _reap(pid)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"interactive\r\n" in seen
    assert sandbox.api_key.encode() not in seen and sandbox.password.encode() not in seen


def _reap(pid: int) -> int:
    """The child's wait status; killed when it does not end within 5 s (a failed test)."""
    for _ in range(50):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


def _set_size(fd: int, *, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _read_until(fd: int, marker: bytes | None, timeout: float = 20.0) -> bytes:
    """PTY output until ``marker`` appears (None: until the child closes it)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child exited and closed the PTY
            return seen
        if not chunk:
            return seen
        seen += chunk
        if marker is not None and marker in seen:
            return seen
    raise AssertionError(f"timed out; saw {seen!r}")
