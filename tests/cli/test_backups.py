"""``backup``, ``backups``, ``restore`` (confirmed), ``export`` and ``import``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scale_pilot_nb.cli import ExitStatus
from tests.cli.conftest import Result, TerminalInput

Run = Callable[..., Result]


def test_backup_list_and_confirmed_restore(nas_env: dict[str, str], cli: Run) -> None:
    assert cli("backups").stderr == "No backups.\n"
    assert cli("backup", "before").stdout == "before\n"
    assert cli("backups", "--json").json()["backups"][0]["name"] == "before"
    assert cli("delete", "whoami", "--yes").code == ExitStatus.OK

    assert cli("restore", "before").code == ExitStatus.USAGE  # no terminal to ask on
    refused = cli("restore", "before", stdin=TerminalInput("nope\n"))
    assert refused.code == ExitStatus.USAGE and "Type the backup name" in refused.stderr
    assert "whoami" not in cli("list").stdout
    done = cli("restore", "before", stdin=TerminalInput("before\n"))
    assert done.code == ExitStatus.OK
    assert (
        done.stdout.startswith("restored before\n") and "whoami: restored (RUNNING)" in done.stdout
    )
    assert "whoami" in cli("list").stdout


def test_export_then_import_plans(nas_env: dict[str, str], cli: Run, workdir: Path) -> None:
    files = cli("export", "out").stdout.split()
    assert sorted(Path(f).name for f in files)[:2] == ["backup-sync.yaml", "gitea.yaml"]
    plan = cli("import", "out")
    assert plan.code == ExitStatus.OK
    lines = plan.stdout.splitlines()  # everything is already on this NAS
    assert "whoami: unchanged" in lines and "jellyfin: unchanged" in lines
    assert len(lines) == len(files) and all(line.endswith(": unchanged") for line in lines)
