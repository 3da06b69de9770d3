"""Errors' hints are said as CLI flags and commands, not as the library's Python calls."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.cli.output import cli_phrasing
from tests.cli.conftest import Result

Run = Callable[..., Result]


def test_missing_credentials_name_the_flags(cli: Run) -> None:
    result = cli("list", "--url", "nas.example.invalid")
    assert result.code == ExitStatus.CONNECTION
    assert "Pass --api-key-file FILE (or --username and --password-file FILE)" in result.stderr
    assert "api_key=" not in result.stderr


def test_unknown_revision_names_the_history_command(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("rollback", "whoami", "--revision", "99", "--yes", "--json")
    assert result.code != ExitStatus.OK
    assert "`scale-compose history NAME`" in result.stderr
    assert result.json()["error"]["hint"] == "List the revisions with `scale-compose history NAME`."
    assert "pilot." not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("python", "cli_text"),
    [
        (
            "Look at its logs: pilot.logs(name) or `scale-compose logs NAME`.",
            "Look at its logs: `scale-compose logs NAME`.",
        ),
        ("Call pilot.delete('web', confirm=True).", "Run `scale-compose delete web --yes`."),
        (
            "Check its nas/nas_host in pilot.history(name); pass other_nas=True to",
            "Check its nas/nas_host in `scale-compose history NAME`; pass --other-nas to",
        ),
        (
            "Use the default transport, or verify_ssl=False for a lab box.",
            "Use the default transport, or --insecure for a lab box.",
        ),
        ("Use mode='compose' or split=True.", "Use --mode compose or --split."),
    ],
)
def test_python_phrasings_become_cli_ones(python: str, cli_text: str) -> None:
    assert cli_phrasing(python) == cli_text
