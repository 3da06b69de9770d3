"""``list --watch`` and ``describe --watch``: bounded by ``--watch-timeout`` or by SIGINT."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from scale_pilot_nb.cli import ExitStatus, main
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import SCRIPT, SUBPROCESS_TIMEOUT, Result

Run = Callable[..., Result]
DEMO_APPS = 9


@contextmanager
def _watching(workdir: Path, *argv: str) -> Iterator[subprocess.Popen[str]]:
    """The installed CLI running ``argv`` (a safety --watch-timeout bounds it)."""
    with subprocess.Popen(
        [str(SCRIPT), *argv, "--watch-timeout", str(SUBPROCESS_TIMEOUT)],
        cwd=workdir,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()


def _pilot(sandbox: Sandbox) -> Pilot:
    return Pilot(TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username))


def test_list_watch_json_is_one_object_per_line_until_ctrl_c(
    nas_env: dict[str, str], sandbox: Sandbox, workdir: Path
) -> None:
    with _watching(workdir, "list", "--watch", "--json") as proc, _pilot(sandbox) as pilot:
        assert proc.stdout is not None
        initial = [json.loads(proc.stdout.readline()) for _ in range(DEMO_APPS)]
        assert {doc["event"] for doc in initial} == {"initial"}
        assert all(doc["version"] == 1 and doc["command"] == "list" for doc in initial)
        pilot.stop("whoami")
        while True:  # other apps may change meanwhile: only whoami's events are checked
            doc = json.loads(proc.stdout.readline())
            if doc["app"]["name"] == "whoami":
                assert doc["event"] == "changed"
                if doc["app"]["state"] == "STOPPED":
                    break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
    assert proc.returncode == ExitStatus.INTERRUPTED
    assert "Traceback" not in err


def test_list_watch_on_a_pipe_prints_a_row_per_change(
    nas_env: dict[str, str], sandbox: Sandbox, workdir: Path
) -> None:
    with _watching(workdir, "list", "-w") as proc, _pilot(sandbox) as pilot:
        assert proc.stdout is not None
        assert proc.stdout.readline().split() == [
            "EVENT",
            "NAME",
            "STATE",
            "KIND",
            "VERSION",
            "PORTS",
        ]
        rows = [proc.stdout.readline() for _ in range(DEMO_APPS)]
        assert all(row.startswith("INITIAL  ") for row in rows)
        assert len({row.index(" RUNNING") for row in rows if " RUNNING" in row}) == 1  # aligned
        pilot.delete("syncthing", confirm=True)
        assert proc.stdout.readline().split()[:3] == ["REMOVED", "syncthing", "STOPPED"]
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=SUBPROCESS_TIMEOUT)
    assert proc.returncode == ExitStatus.INTERRUPTED


def test_describe_watch_ends_when_the_app_is_removed(
    nas_env: dict[str, str], sandbox: Sandbox, workdir: Path
) -> None:
    with (
        _watching(workdir, "describe", "whoami", "--watch", "--json") as proc,
        _pilot(sandbox) as pilot,
    ):
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert (first["event"], first["app"]["name"]) == ("initial", "whoami")
        assert "jobs" in first and "revisions" in first  # the whole description
        pilot.delete("whoami", confirm=True)
        out, _ = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
    last = json.loads(out.splitlines()[-1])
    assert (last["event"], last["app"]["name"]) == ("removed", "whoami")
    assert proc.returncode == ExitStatus.OK


def test_watch_timeout_ends_with_0_and_a_terminal_gets_redraws(
    nas_env: dict[str, str], cli: Run
) -> None:
    piped = cli("describe", "photos", "--watch-timeout", "0.5")
    assert piped.code == ExitStatus.OK
    assert piped.stdout.startswith("Name:     photos\n")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    code = main(
        ["list", "--watch-timeout", "0.5"], stdout=screen, stderr=io.StringIO(), stdin=io.StringIO()
    )
    assert code == ExitStatus.OK
    frames = screen.getvalue().split("\033[H\033[2J")[1:]
    assert len(frames) == DEMO_APPS  # one redraw per app reported
    assert f"apps on the NAS ({DEMO_APPS}) at " in frames[-1]
    assert "backup-sync" in frames[-1] and "jellyfin" in frames[-1]


def test_bad_watch_arguments(nas_env: dict[str, str], cli: Run) -> None:
    assert cli("list", "--watch-timeout", "0").code == ExitStatus.USAGE
    assert cli("list", "--watch-timeout", "soon").code == ExitStatus.USAGE
    missing = cli("describe", "nope", "--watch", "--watch-timeout", "30")
    assert missing.code == ExitStatus.ERROR
    assert "does not exist" in missing.stderr
