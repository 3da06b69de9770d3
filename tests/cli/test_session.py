"""Connection options: key and password files, username login, ``--insecure``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.cli.prompts import MAX_SECRET_FILE_BYTES, read_secret_file
from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import Result

Run = Callable[..., Result]


def test_read_secret_file_strips_and_refuses_bad_files(tmp_path: Path) -> None:
    good = tmp_path / "key"
    good.write_text("  1-secret\n")
    assert read_secret_file(str(good), "API key") == "1-secret"
    (tmp_path / "empty").write_text("\n")
    (tmp_path / "big").write_text("x" * (MAX_SECRET_FILE_BYTES + 1))
    (tmp_path / "binary").write_bytes(b"\xff\xfe")
    for name, message in [
        ("empty", "is empty"),
        ("big", "too large"),
        ("binary", "not UTF-8"),
        ("absent", "Cannot read"),
    ]:
        with pytest.raises(ConfigError, match=message):
            read_secret_file(str(tmp_path / name), "API key")


def test_api_key_file_option(sandbox: Sandbox, workdir: Path, cli: Run) -> None:
    Path("key").write_text(sandbox.api_key)
    result = cli("list", "--url", sandbox.url, "--api-key-file", "key", "--json")
    assert result.code == ExitStatus.OK
    assert result.json()["apps"]


def test_username_and_password_file(sandbox: Sandbox, workdir: Path, cli: Run) -> None:
    Path("pw").write_text(sandbox.password)
    argv = ["status", "--url", sandbox.url, "--username", sandbox.username]
    assert cli(*argv, "--password-file", "pw").code == ExitStatus.OK
    Path("wrong").write_text("not-the-password")
    refused = cli(*argv, "--password-file", "wrong", "--json")
    assert refused.code == ExitStatus.CONNECTION
    assert refused.json()["error"]["type"] == "AuthenticationError"


def test_unreadable_key_file_is_exit_3(workdir: Path, cli: Run) -> None:
    result = cli("list", "--url", "nas.example", "--api-key-file", "missing.txt")
    assert result.code == ExitStatus.CONNECTION
    assert "Cannot read the API key file missing.txt" in result.stderr


def test_insecure_turns_off_certificate_checks(
    make_sandbox: Callable[..., Sandbox], workdir: Path, cli: Run
) -> None:
    tls = make_sandbox("25.10", "demo", test_methods=False, tls=True)
    Path("key").write_text(tls.api_key)
    argv = ["status", "--url", tls.url, "--api-key-file", "key"]
    refused = cli(*argv)
    assert refused.code == ExitStatus.CONNECTION  # self-signed certificate
    assert cli(*argv, "--insecure").code == ExitStatus.OK
    for result in (refused,):
        assert tls.api_key.split("-", 1)[1] not in result.stdout + result.stderr
