"""``init``: the profile is written with mode 0600, the key asked without echo, never printed."""

from __future__ import annotations

import getpass
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import Result, TerminalInput

Run = Callable[..., Result]
KEY = "7-abcdefghijklmnopqrstuvwxyz0123456789"


def _config(workdir: Path) -> Path:
    return workdir / "config" / "scale-pilot" / "config.toml"


def test_init_from_key_file_writes_a_private_profile(workdir: Path, cli: Run) -> None:
    Path("key.txt").write_text(KEY + "\n")
    result = cli(
        "init", "--profile", "lab", "--url", "nas.lab.example", "--api-key-file", "key.txt"
    )
    assert result.code == ExitStatus.OK
    path = _config(workdir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    profile = tomllib.loads(path.read_text())["profiles"]["lab"]
    assert profile == {"url": "nas.lab.example", "api_key": KEY}
    assert "Saved profile 'lab'" in result.stdout
    assert KEY.split("-")[1] not in result.stdout + result.stderr


def test_init_asks_for_url_and_key_on_a_terminal(
    workdir: Path, cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "", stream: object = None) -> str:
        prompts.append(prompt)
        return KEY

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    result = cli("init", "--json", stdin=TerminalInput("nas.home.arpa\n"))
    assert result.code == ExitStatus.OK
    assert prompts == ["API key (not shown): "]
    assert "NAS address" in result.stderr
    document = result.json()
    assert (document["profile"], Path(document["path"])) == ("default", _config(workdir))
    assert KEY not in result.stdout + result.stderr


def test_init_without_terminal_needs_the_options(workdir: Path, cli: Run) -> None:
    no_url = cli("init")
    assert no_url.code == ExitStatus.USAGE
    assert "--url" in no_url.stderr
    no_key = cli("init", "--url", "nas.example")
    assert no_key.code == ExitStatus.USAGE
    assert "--api-key-file" in no_key.stderr
    assert not _config(workdir).exists()


def test_bad_profile_name_is_a_settings_error(workdir: Path, cli: Run) -> None:
    Path("key.txt").write_text(KEY)
    result = cli("init", "--profile", "no spaces", "--url", "nas", "--api-key-file", "key.txt")
    assert result.code == ExitStatus.CONNECTION
    assert "Invalid profile name" in result.stderr


def test_the_written_profile_connects(sandbox: Sandbox, workdir: Path, cli: Run) -> None:
    Path("key.txt").write_text(sandbox.api_key)
    assert cli("init", "--url", sandbox.url, "--api-key-file", "key.txt").code == 0
    assert cli("status").code == ExitStatus.OK
