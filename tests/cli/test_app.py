"""``scale-compose`` as installed: the seed's commands, every exit status, help, start-up.

These run the installed script as a subprocess against the sandbox (the rest of the CLI
tests call ``main`` in-process).
"""

from __future__ import annotations

import io
import json
import os
import pty
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from scale_pilot_nb import __version__
from scale_pilot_nb.cli import ExitStatus, inventory, main
from scale_pilot_nb.cli.app import build_parser
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import SCRIPT, SUBPROCESS_TIMEOUT, Result

Run = Callable[..., Result]


def test_seed_commands_verbatim(nas_env: dict[str, str], installed: Run, cli: Run) -> None:
    listing = installed("list")
    assert listing.code == ExitStatus.OK
    assert listing.stdout.splitlines()[0].split() == ["NAME", "STATE", "KIND", "VERSION", "PORTS"]
    assert "my-nginx" not in listing.stdout

    deploy = installed("deploy", "nginx.yml", "my-nginx")
    assert (deploy.code, deploy.stdout) == (0, "my-nginx: created (RUNNING)\n")
    assert "installed successfully" in deploy.stderr  # job progress goes to stderr

    start = installed("start", "my-nginx")  # already RUNNING: nothing to do, no job
    assert (start.code, start.stdout) == (0, "my-nginx: unchanged (RUNNING)\n")
    stop = installed("stop", "my-nginx")
    assert (stop.code, stop.stdout) == (0, "my-nginx: stopped (STOPPED)\n")

    apps = {app["name"]: app["state"] for app in cli("list", "--json").json()["apps"]}
    assert apps["my-nginx"] == "STOPPED"


def test_json_document_and_error_document(nas_env: dict[str, str], installed: Run) -> None:
    ok = installed("status", "--json")
    document = ok.json()
    assert (ok.code, document["version"], document["command"]) == (0, 1, "status")
    assert document["status"]["docker"]["state"] == "RUNNING"

    failed = installed("config", "no-such-app", "--json")
    assert failed.code == ExitStatus.ERROR
    error = failed.json()
    assert error["version"] == 1
    assert error["error"]["type"] == "AppNotFoundError"
    assert "no-such-app" in failed.stderr


def test_exit_status_1_when_an_operation_fails(nas_env: dict[str, str], installed: Run) -> None:
    result = installed("stop", "whoami", "no-such-app")
    assert result.code == ExitStatus.ERROR
    assert "whoami: stopped (STOPPED)" in result.stdout
    assert "no-such-app: failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_exit_status_2_for_usage_and_validation(workdir: Path, installed: Run) -> None:
    assert installed("frobnicate").code == ExitStatus.USAGE
    assert installed().code == ExitStatus.USAGE
    (workdir / "bad.yml").write_text("services:\n  web:\n    ports: ['80:80']\n")
    bad = installed("validate", "bad.yml")
    assert bad.code == ExitStatus.USAGE
    assert "INVALID" in bad.stdout


def test_exit_status_3_for_connection_and_settings(workdir: Path, installed: Run) -> None:
    unset = installed("list")
    assert unset.code == ExitStatus.CONNECTION
    assert "No TrueNAS address" in unset.stderr
    assert "hint:" in unset.stderr
    refused = installed("list", "--url", "ws://127.0.0.1:9/api/current")
    assert refused.code == ExitStatus.CONNECTION
    assert "Traceback" not in refused.stderr


def test_exit_status_3_for_a_refused_key(sandbox: Sandbox, workdir: Path, installed: Run) -> None:
    key_id = sandbox.api_key.split("-", 1)[0]
    wrong = workdir / "wrong.key"
    wrong.write_text(f"{key_id}-not-the-secret\n")
    result = installed("list", "--url", sandbox.url, "--api-key-file", str(wrong))
    assert result.code == ExitStatus.CONNECTION
    assert "not-the-secret" not in result.stdout + result.stderr


def test_exit_status_130_on_ctrl_c(nas_env: dict[str, str], workdir: Path) -> None:
    with subprocess.Popen(
        [str(SCRIPT), "logs", "whoami", "--tail", "1", "-f"],
        cwd=workdir,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("whoami  | ")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
    assert proc.returncode == ExitStatus.INTERRUPTED
    assert "Traceback" not in err


def test_closed_stdout_exits_cleanly(nas_env: dict[str, str], workdir: Path) -> None:
    pipeline = f"'{SCRIPT}' list --all | head -n 1"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", pipeline],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    assert done.stdout.split() == ["NAME", "STATE", "KIND", "VERSION", "PORTS"]
    assert "Traceback" not in done.stderr
    assert "BrokenPipe" not in done.stderr


def test_help_and_version(installed: Run) -> None:
    top = installed("--help")
    assert top.code == 0
    assert "scale-compose deploy nginx.yml my-nginx" in top.stdout
    assert "130 interrupted" in top.stdout
    version = installed("--version")
    assert (version.code, version.stdout.strip()) == (0, f"scale-compose {__version__}")


def _command_names() -> list[str]:
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(set(commands.choices))  # type: ignore[arg-type]


@pytest.mark.parametrize("command", _command_names())
def test_every_command_has_help_with_an_example(command: str, cli: Run) -> None:
    result = cli(command, "--help")
    assert result.code == 0
    assert "example" in result.stdout.lower()
    assert f"scale-compose {command}" in result.stdout


_IMPORT_PROBE = """
import sys
from scale_pilot_nb.cli import main
code = main(sys.argv[1:])
heavy = [m for m in ("pandas", "ipywidgets", "IPython", "websockets") if m in sys.modules]
print("HEAVY=" + ",".join(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [
        (["--help"], set()),
        (["validate", "nginx.yml", "--name", "my-nginx"], {"websockets"}),
    ],
)
def test_start_up_imports_no_heavy_modules(
    argv: list[str], allowed: set[str], workdir: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE, *argv],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    heavy = done.stderr.rsplit("HEAVY=", 1)[1].strip()
    assert set(filter(None, heavy.split(","))) <= allowed
    assert {"pandas", "ipywidgets"}.isdisjoint(heavy.split(","))


@pytest.mark.parametrize("argv", [["list", "--json"], ["logs", "whoami", "--json"]])
def test_records_not_dataframes(argv: list[str], nas_env: dict[str, str], workdir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE, *argv],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    assert json.loads(done.stdout.split("HEAVY=")[0])["command"] == argv[0]
    assert "pandas" not in done.stderr.rsplit("HEAVY=", 1)[1]


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError


def _raising(error: BaseException) -> Callable[[object], int]:
    def handler(session: object) -> int:
        raise error

    return handler


def test_in_process_error_handling(
    nas_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    err = io.StringIO()
    assert main(["list"], stdout=_ClosedPipe(), stderr=err) == ExitStatus.OK
    assert err.getvalue() == ""

    monkeypatch.setattr(inventory, "list_apps", _raising(KeyboardInterrupt()))
    err = io.StringIO()
    assert main(["list"], stdout=io.StringIO(), stderr=err) == ExitStatus.INTERRUPTED
    assert err.getvalue() == "interrupted\n"


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_errors_are_one_line_unless_debug(
    debug: bool, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory, "status", _raising(RuntimeError("kaput")))
    out, err = io.StringIO(), io.StringIO()
    argv = ["status", "--json", *(["--debug"] if debug else [])]
    assert main(argv, stdout=out, stderr=err) == ExitStatus.ERROR
    assert json.loads(out.getvalue())["error"]["message"] == "internal error: RuntimeError: kaput"
    assert "scale-compose: error: internal error: RuntimeError: kaput" in err.getvalue()
    assert ("Traceback" in err.getvalue()) is debug


def test_no_command_is_a_usage_error(cli: Run) -> None:
    result = cli()
    assert result.code == ExitStatus.USAGE
    assert "a command is required" in result.stderr
    assert cli("list", "--bogus").code == ExitStatus.USAGE


def _on_terminal(argv: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run the installed script with stdout on a pseudo-terminal; return what it printed."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [str(SCRIPT), *argv], stdout=follower, stderr=subprocess.DEVNULL, env=env, cwd=cwd
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=SUBPROCESS_TIMEOUT)
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_unless_no_color(nas_env: dict[str, str], workdir: Path) -> None:
    coloured = _on_terminal(["list"], os.environ.copy(), workdir)
    assert "\033[32mRUNNING" in coloured
    plain = _on_terminal(["list"], {**os.environ, "NO_COLOR": "1"}, workdir)
    assert "RUNNING" in plain
    assert "\033[" not in plain


def test_sandbox_command_runs_until_ctrl_c(workdir: Path) -> None:
    with subprocess.Popen(
        [str(SCRIPT), "sandbox", "--seed", "empty"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("url:        ws://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=SUBPROCESS_TIMEOUT)
    assert proc.returncode == ExitStatus.OK
