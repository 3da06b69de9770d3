"""``scale-compose sync DIR`` against the demo sandbox: plan, confirm, apply, prune, exits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scale_pilot_nb.cli.exits import ExitStatus
from tests.cli.conftest import Result, TerminalInput

Run = Callable[..., Result]


def write(path: Path, image: str, port: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'services:\n  app:\n    image: {image}\n    ports: ["{port}:80"]\n')


@pytest.fixture
def stacks(workdir: Path) -> Path:
    """``stacks/web/compose.yaml`` and ``stacks/cache.yml`` in the CLI's working directory."""
    write(workdir / "stacks" / "web" / "compose.yaml", "nginx:1.27.3", 31080)
    write(workdir / "stacks" / "cache.yml", "redis:7.4", 31081)
    return workdir / "stacks"


def _apps(cli: Run) -> set[str]:
    return {app["name"] for app in cli("list", "--json").json()["apps"]}


def test_plan_exits_2_with_changes_then_0_in_sync(
    nas_env: dict[str, str], cli: Run, stacks: Path
) -> None:
    planned = cli("sync", "stacks", "--plan")
    assert planned.code == ExitStatus.USAGE
    assert "2 create" in planned.stdout and "5 orphan" in planned.stdout
    assert "web" in planned.stdout and "kept unless pruned" in planned.stdout
    assert "web" not in _apps(cli)

    assert cli("sync", "stacks", "--yes").code == ExitStatus.OK
    in_sync = cli("sync", "stacks", "--plan", "--json")
    assert in_sync.code == ExitStatus.OK
    assert in_sync.json()["plan"]["counts"]["noop"] == 2
    # orphans are changes only when pruning
    assert cli("sync", "stacks", "--plan", "--prune").code == ExitStatus.USAGE


def test_apply_asks_for_the_folder_name(nas_env: dict[str, str], cli: Run, stacks: Path) -> None:
    no_terminal = cli("sync", "stacks")
    assert no_terminal.code == ExitStatus.USAGE and "--yes" in no_terminal.stderr
    wrong = cli("sync", "stacks", stdin=TerminalInput("nope\n"))
    assert wrong.code == ExitStatus.USAGE
    assert "Create 2 and update 0 app(s). Type the folder name (stacks)" in wrong.stderr
    assert "web" not in _apps(cli)

    done = cli("sync", "stacks", stdin=TerminalInput("stacks\n"))
    assert done.code == ExitStatus.OK
    assert "web: created (RUNNING)" in done.stdout and "cache: created" in done.stdout
    assert "not pruned (no stack file)" in done.stderr
    # in sync: nothing to confirm, nothing done
    again = cli("sync", "stacks")
    assert again.code == ExitStatus.OK and "web: unchanged" in again.stdout


def test_prune_deletes_orphans_after_confirmation(
    nas_env: dict[str, str], cli: Run, stacks: Path
) -> None:
    result = cli("sync", "stacks", "--prune", stdin=TerminalInput("stacks\n"))
    assert result.code == ExitStatus.OK
    assert "delete 5 (ix-volumes kept)" in result.stderr
    assert "whoami: deleted" in result.stdout
    assert _apps(cli) == {"web", "cache", "jellyfin", "grafana", "gitea", "syncthing"}


def test_invalid_stack_exits_2_and_changes_nothing(
    nas_env: dict[str, str], cli: Run, stacks: Path
) -> None:
    (stacks / "Bad.yml").write_text("services: {}\n")
    refused = cli("sync", "stacks", "--yes")
    assert refused.code == ExitStatus.USAGE
    assert "Bad: invalid" in refused.stderr and "nothing was changed" in refused.stderr
    assert "web" not in _apps(cli)
    assert cli("sync", "stacks", "--plan").code == ExitStatus.USAGE

    skipped = cli("sync", "stacks", "--yes", "--skip-invalid", "--json")
    assert skipped.code == ExitStatus.ERROR
    outcomes = {o["app_name"]: o["action"] for o in skipped.json()["result"]["outcomes"]}
    assert outcomes == {"Bad": "failed", "cache": "created", "web": "created"}


def test_a_failed_app_exits_1(nas_env: dict[str, str], cli: Run, stacks: Path) -> None:
    write(stacks / "broken.yml", "nginx:doesnotexist", 31082)
    result = cli("sync", "stacks", "--yes", "--no-wait")
    assert result.code == ExitStatus.ERROR
    assert "broken: failed" in result.stderr and "web: created" in result.stdout


def test_missing_directory_is_a_usage_error(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("sync", "nowhere", "--plan")
    assert result.code == ExitStatus.USAGE and "no such directory" in result.stderr
