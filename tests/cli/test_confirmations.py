"""``deploy``, ``upgrade`` and ``rollback`` ask before recreating running containers.

Creates, no-ops and changes to stopped apps never ask; without a terminal the commands
refuse (exit 2) unless ``--yes``, like ``delete``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import Result, TerminalInput

Run = Callable[..., Result]


def _set_image(workdir: Path, tag: str) -> None:
    compose = workdir / "nginx.yml"
    compose.write_text(re.sub(r"image: nginx:\S+", f"image: nginx:{tag}", compose.read_text()))


def _image(cli: Run) -> str:
    return str(cli("config", "web", "--json").json()["config"]["services"]["nginx"]["image"])


def test_deploy_asks_before_recreating_running_containers(
    nas_env: dict[str, str], workdir: Path, cli: Run
) -> None:
    created = cli("deploy", "nginx.yml", "web")  # a create: no terminal needed
    assert created.code == ExitStatus.OK, created.stderr
    assert "[y/N]" not in created.stderr
    assert cli("deploy", "nginx.yml", "web").code == ExitStatus.OK  # a no-op never asks
    before = _image(cli)
    _set_image(workdir, "1.28.0-alpine")

    scripted = cli("deploy", "nginx.yml", "web")
    assert scripted.code == ExitStatus.USAGE
    assert "no terminal to ask on" in scripted.stderr and "--yes" in scripted.stderr
    assert scripted.stdout.startswith("update 'web'")  # the plan is shown first
    declined = cli("deploy", "nginx.yml", "web", stdin=TerminalInput("n\n"))
    assert declined.code == ExitStatus.USAGE
    assert "Recreate the running containers of 'web'? [y/N]" in declined.stderr
    assert _image(cli) == before

    accepted = cli("deploy", "nginx.yml", "web", stdin=TerminalInput("y\n"))
    assert accepted.code == ExitStatus.OK, accepted.stderr
    assert accepted.stdout.endswith("web: updated (RUNNING)\n")
    assert _image(cli) == "nginx:1.28.0-alpine"

    _set_image(workdir, "1.29.0-alpine")
    assert cli("deploy", "nginx.yml", "web", "--yes").code == ExitStatus.OK
    assert _image(cli) == "nginx:1.29.0-alpine"


def test_a_confirmed_deploy_plans_once(
    nas_env: dict[str, str], sandbox: Sandbox, workdir: Path, cli: Run
) -> None:
    """Asking costs no second plan: the library asks with the plan it then applies."""
    assert cli("deploy", "nginx.yml", "web").code == ExitStatus.OK

    def configs_read(*argv: str, **options: Any) -> int:
        before = sandbox.metrics.requests["app.config"]
        done = cli("deploy", "nginx.yml", "web", *argv, **options)
        assert done.code == ExitStatus.OK, done.stderr
        return sandbox.metrics.requests["app.config"] - before

    _set_image(workdir, "1.28.0-alpine")
    asked = configs_read(stdin=TerminalInput("y\n"))
    _set_image(workdir, "1.29.0-alpine")
    assert asked == configs_read("--yes") == 2  # one plan, one revision recorded


def test_deploy_to_a_stopped_app_does_not_ask(
    nas_env: dict[str, str], workdir: Path, cli: Run
) -> None:
    assert cli("deploy", "nginx.yml", "web").code == ExitStatus.OK
    assert cli("stop", "web").code == ExitStatus.OK
    _set_image(workdir, "1.28.0-alpine")
    assert cli("deploy", "nginx.yml", "web", "--no-wait").code == ExitStatus.OK
    assert _image(cli) == "nginx:1.28.0-alpine"


def _catalog_upgrade(cli: Run) -> bool:
    rows = cli("updates", "--json").json()["updates"]
    return any(row["app"] == "jellyfin" and row["catalog_upgrade"] for row in rows)


def test_upgrade_dry_run_changes_nothing(nas_env: dict[str, str], cli: Run) -> None:
    dry = cli("upgrade", "jellyfin", "--dry-run")
    assert dry.code == ExitStatus.OK, dry.stderr
    assert dry.stdout.startswith("jellyfin: ") and " -> " in dry.stdout
    assert "dry run: nothing was changed" in dry.stderr
    summary = cli("upgrade", "jellyfin", "--dry-run", "--json").json()
    assert summary["dry_run"] is True and summary["summary"]["upgrade_version"]
    assert _catalog_upgrade(cli)


def test_upgrade_asks_when_the_app_runs(nas_env: dict[str, str], cli: Run) -> None:
    assert cli("upgrade", "jellyfin").code == ExitStatus.USAGE  # no terminal
    declined = cli("upgrade", "jellyfin", stdin=TerminalInput("no\n"))
    assert declined.code == ExitStatus.USAGE
    assert "Its running containers will be recreated [y/N]" in declined.stderr
    assert _catalog_upgrade(cli)
    accepted = cli("upgrade", "jellyfin", stdin=TerminalInput("y\n"))
    assert accepted.code == ExitStatus.OK, accepted.stderr
    assert not _catalog_upgrade(cli)


def test_rollback_asks_for_catalog_and_custom_apps(
    nas_env: dict[str, str], workdir: Path, cli: Run
) -> None:
    declined = cli("rollback", "jellyfin", "--to", "1.2.8", stdin=TerminalInput("n\n"))
    assert declined.code == ExitStatus.USAGE
    assert "Roll 'jellyfin' back to version 1.2.8?" in declined.stderr
    done = cli("rollback", "jellyfin", "--to", "1.2.8", stdin=TerminalInput("y\n"))
    assert done.code == ExitStatus.OK, done.stderr

    assert cli("deploy", "nginx.yml", "web").code == ExitStatus.OK
    _set_image(workdir, "1.28.0-alpine")
    assert cli("deploy", "nginx.yml", "web", "--yes").code == ExitStatus.OK
    refused = cli("rollback", "web")
    assert refused.code == ExitStatus.USAGE and "--yes" in refused.stderr
    assert _image(cli) == "nginx:1.28.0-alpine"
    asked = cli("rollback", "web", stdin=TerminalInput("y\n"))
    assert asked.code == ExitStatus.OK, asked.stderr
    assert "Roll 'web' back to revision 2 of the history?" in asked.stderr  # -1, resolved
    assert asked.stdout.startswith("roll back 'web' to revision 2\n--- web (now)\n+++ web@2\n")
    assert "-    image: nginx:1.28.0-alpine\n+    image: nginx:1.27" in asked.stdout
    assert _image(cli).startswith("nginx:1.27")


def test_rollback_shows_the_diff_secrets_redacted_and_json_has_it(
    nas_env: dict[str, str], workdir: Path, cli: Run
) -> None:
    compose = workdir / "nginx.yml"
    compose.write_text(
        compose.read_text().replace(
            "    image:", "    environment:\n      API_TOKEN: s3cr3t\n    image:", 1
        )
    )
    assert cli("deploy", "nginx.yml", "web").code == ExitStatus.OK
    _set_image(workdir, "1.28.0-alpine")
    compose.write_text(compose.read_text().replace("s3cr3t", "n3w-s3cr3t"))
    assert cli("deploy", "nginx.yml", "web", "--yes").code == ExitStatus.OK
    done = cli("rollback", "web", "--yes", "--json", "--secrets-file", _secrets(workdir))
    assert done.code == ExitStatus.OK, done.stderr
    plan = done.json()["plan"]
    assert plan["custom_app"] is True and plan["revision"] == 2
    assert "+    image: nginx:1.27" in plan["diff"] and "s3cr3t" not in done.stdout
    assert _image(cli).startswith("nginx:1.27")


def _secrets(workdir: Path) -> str:
    path = workdir / "secrets.env"
    path.write_text("API_TOKEN=s3cr3t\n")
    return str(path)
