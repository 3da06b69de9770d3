"""``scale-compose exec``: the exit status is the command's; interactive through a real PTY."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import threading
import time
from collections.abc import Callable

import pytest

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.cli.app import build_parser
from scale_pilot_nb.cli.terminal import attach
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
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


def test_piped_stdin_ends_the_interactive_shell(nas_env: dict[str, str], installed: Run) -> None:
    """The end of a piped stdin is typed as Ctrl-D, so the shell exits, as with docker exec -i."""
    started = time.monotonic()
    result = installed("exec", "-i", "whoami", input="echo hi\n")
    assert time.monotonic() - started < 20
    assert result.code == 0 and "hi" in result.stdout.splitlines()


def test_no_time_limit_by_default_and_help_says_so(installed: Run) -> None:
    """Like ``docker compose exec``; the Python API keeps its bounded default."""
    parse = build_parser("exec").parse_args
    assert parse(["exec", "web", "--", "true"]).timeout is None
    assert parse(["exec", "--timeout", "0", "web", "--", "true"]).timeout is None
    assert parse(["exec", "--timeout", "5", "web", "--", "true"]).timeout == 5
    shown = " ".join(installed("exec", "--help").stdout.split())
    assert "default: no limit" in shown and "pilot.exec() defaults to 60" in shown


def test_an_interrupt_closes_the_attached_shell(
    sandbox: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C (SIGINT to the main thread) cancels the session on the loop and closes the
    shell, instead of leaving it open on the NAS behind the caller's back."""
    keys, typing = os.pipe()  # stdin that stays open: the session would run on forever
    manager = TrueNASDockerManager(
        sandbox.url, sandbox.api_key, username=sandbox.username, history=False
    )
    main = threading.main_thread().ident
    assert main is not None

    def interrupt_once_open() -> None:
        deadline = time.monotonic() + 10
        while sandbox.open_shells == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        signal.pthread_kill(main, signal.SIGINT)

    with Pilot(manager) as pilot, os.fdopen(keys) as stdin:
        threading.Thread(target=interrupt_once_open, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            attach(pilot, "whoami", None, command="/bin/sh", stdin=stdin)
        deadline = time.monotonic() + 5
        while sandbox.open_shells and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sandbox.open_shells == 0
    os.close(typing)
    assert "# " in capfd.readouterr().out


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
