"""Connection and output options before or after the command, like ``kubectl``."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from scale_pilot_nb.cli import inventory, main
from scale_pilot_nb.cli.exits import ExitStatus
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import Result

Run = Callable[..., Result]
UNREACHABLE = "ws://127.0.0.1:1/api/current"


@pytest.mark.parametrize("argv", [["--json", "list"], ["list", "--json"], ["--json", "ps", "-a"]])
def test_json_before_or_after_the_command(
    argv: list[str], nas_env: dict[str, str], cli: Run
) -> None:
    result = cli(*argv)
    assert result.code == ExitStatus.OK
    assert result.json()["command"] == "list"


def test_connection_options_before_the_command(sandbox: Sandbox, workdir: Path, cli: Run) -> None:
    (workdir / "key.txt").write_text(sandbox.api_key)
    result = cli("--url", sandbox.url, "--api-key-file", "key.txt", "--json", "status")
    assert result.code == ExitStatus.OK
    unreachable = cli("--url", UNREACHABLE, "--api-key-file", "key.txt", "--insecure", "list")
    assert unreachable.code == ExitStatus.CONNECTION


def test_an_option_after_the_command_wins(sandbox: Sandbox, workdir: Path, cli: Run) -> None:
    (workdir / "key.txt").write_text(sandbox.api_key)
    result = cli("--url", UNREACHABLE, "list", "--url", sandbox.url, "--api-key-file", "key.txt")
    assert result.code == ExitStatus.OK


def test_profile_before_the_command(workdir: Path, cli: Run) -> None:
    result = cli("--profile", "nowhere", "list")
    assert result.code == ExitStatus.CONNECTION
    assert "nowhere" in result.stderr


def test_debug_before_the_command_shows_the_traceback(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(session: object) -> int:
        raise RuntimeError("kaput")

    monkeypatch.setattr(inventory, "status", broken)
    err = io.StringIO()
    assert main(["--debug", "status"], stdout=io.StringIO(), stderr=err) == ExitStatus.ERROR
    assert "Traceback" in err.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--insecure", "init"], "init does not take --insecure"),
        (["--debug", "sandbox", "--seed", "empty"], "sandbox does not take --debug"),
        (["--profile", "lab", "sandbox", "--seed", "empty"], "sandbox does not take --profile"),
    ],
)
def test_a_command_without_the_option_is_a_usage_error(
    argv: list[str], message: str, cli: Run
) -> None:
    result = cli(*argv)
    assert result.code == ExitStatus.USAGE
    assert message in result.stderr
