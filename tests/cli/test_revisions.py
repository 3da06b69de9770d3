"""``updates``, ``upgrade``, ``history`` and ``rollback`` against the demo sandbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.cli.output import cli_phrasing
from scale_pilot_nb.errors import NotCatalogAppError
from tests.cli.conftest import Result

Run = Callable[..., Result]

STACK = """
services:
  web:
    image: nginx:1.27.3
    ports: ["18090:80"]
    environment:
      APP_SECRET: s3cret-value
      COLOR: {color}
"""


def test_updates_table_and_json(nas_env: dict[str, str], cli: Run) -> None:
    table = cli("updates")
    assert table.code == ExitStatus.OK
    assert table.stdout.splitlines()[0].split() == [
        "APP",
        "IMAGE",
        "IMAGE",
        "UPDATE",
        "CATALOG",
        "UPGRADE",
    ]
    assert "1.2.9 -> 1.3.12" in table.stdout and "whoami" in table.stdout
    assert "gitea" not in table.stdout
    everything = cli("updates", "--all", "--json").json()["updates"]
    assert "gitea" in {row["app"] for row in everything}


def test_upgrade_catalog_and_custom_apps(nas_env: dict[str, str], cli: Run) -> None:
    done = cli("upgrade", "jellyfin", "--yes")
    assert done.code == ExitStatus.OK
    assert "jellyfin: upgraded to" in done.stderr
    assert done.stdout.startswith("jellyfin: upgraded (")
    custom = cli("upgrade", "whoami", "--json", "--yes").json()
    assert custom["result"]["outcomes"][0]["action"] == "images updated"
    assert "whoami" not in cli("updates").stdout


def test_upgrade_dry_run_of_a_custom_app_shows_its_newer_images(
    nas_env: dict[str, str], installed: Run
) -> None:
    # a custom app's upgrade pulls newer images: its dry run lists them, as a catalog app's
    # shows its upgrade summary, instead of failing with a hint back to the same command
    dry = installed("upgrade", "whoami", "--dry-run")
    assert dry.code == ExitStatus.OK, dry.stderr
    assert dry.stdout.splitlines() == ["whoami: newer images to pull:", "  traefik/whoami:v1.10"]
    assert "dry run: nothing was changed" in dry.stderr
    document = installed("upgrade", "whoami", "--dry-run", "--json").json()
    assert document["dry_run"] is True and document["custom_app"] is True
    assert [(r["app"], r["image"]) for r in document["updates"]] == [
        ("whoami", "traefik/whoami:v1.10")
    ]
    assert all(r["image_update"] for r in document["updates"])
    done = installed("upgrade", "whoami", "--yes", "--json").json()
    assert done["result"]["outcomes"][0]["action"] == "images updated"  # the dry run left them
    again = installed("upgrade", "whoami", "--dry-run")
    assert again.code == ExitStatus.OK, again.stderr
    assert again.stdout == "whoami: no newer images\n"
    assert installed("upgrade", "whoami", "--dry-run", "--json").json()["updates"] == []


def test_upgrade_to_a_version_is_refused_for_a_custom_app(
    nas_env: dict[str, str], installed: Run
) -> None:
    refused = installed("upgrade", "whoami", "--to", "2.0.0", "--yes")
    assert refused.code == ExitStatus.USAGE
    assert "custom app" in refused.stderr and "deploy a compose file" in refused.stderr
    assert installed("upgrade", "whoami", "--to", "2.0.0", "--dry-run").code == ExitStatus.USAGE


def test_the_not_catalog_hint_names_commands_that_work() -> None:
    hint = cli_phrasing(NotCatalogAppError("App 'x' is a custom app").hint or "")
    assert hint == (
        "Pull its newer images instead: `scale-compose upgrade NAME`; `scale-compose updates` "
        "lists them."
    )


def test_history_diff_and_rollback_with_a_secrets_file(
    nas_env: dict[str, str], cli: Run, workdir: Path
) -> None:
    for color in ("blue", "green"):
        (workdir / "stack.yml").write_text(STACK.format(color=color))
        assert cli("deploy", "stack.yml", "stack", "--yes").code == ExitStatus.OK
    listing = cli("history", "stack")
    lines = listing.stdout.splitlines()
    assert lines[0].split()[:5] == ["REV", "RECORDED", "BEFORE", "BY", "TOOL"]
    assert "create" in lines[1] and "(no app)" in lines[1] and "cli" in lines[1]
    assert "update" in lines[2] and "nginx:1.27.3@" in lines[2]
    recorded = cli("history", "stack", "--json").json()["revisions"][0]["recorded_at"]
    assert lines[1].split()[1] == recorded[:19] + "+00:00"  # the same moment, to the second
    diff = cli("history", "stack", "--diff", "1", "2").stdout
    assert "+        COLOR: blue" in diff and "s3cret-value" not in diff

    refused = cli("rollback", "stack", "--yes")
    assert refused.code == ExitStatus.ERROR
    assert "web.APP_SECRET" in refused.stderr
    (workdir / "stack.env").write_text("APP_SECRET=s3cret-value\n")
    done = cli("rollback", "stack", "--secrets-file", "stack.env", "--yes")
    assert done.code == ExitStatus.OK, done.stderr
    assert done.stdout.startswith("roll back 'stack' to revision 2\n--- stack (now)\n")
    assert done.stdout.endswith("stack: updated (RUNNING)\n")  # the diff first, then the outcome
    assert "s3cret-value" not in done.stdout
    config = cli("config", "stack", "--json").json()["config"]
    assert config["services"]["web"]["environment"]["COLOR"] == "blue"
    assert "@sha256:" in config["services"]["web"]["image"]


def test_catalog_rollback_to_a_version(nas_env: dict[str, str], cli: Run) -> None:
    refused = cli("rollback", "jellyfin", "--to", "9.9.9", "--yes")
    assert refused.code == ExitStatus.USAGE and "not available for rollback" in refused.stderr
    done = cli("rollback", "jellyfin", "--to", "1.2.8", "--yes")
    assert done.code == ExitStatus.OK
    assert done.stdout.startswith(
        "roll back 'jellyfin': version 1.2.9 -> 1.2.8\njellyfin: rolled back ("
    )
    assert "no older version" in cli("rollback", "jellyfin", "--yes").stderr
