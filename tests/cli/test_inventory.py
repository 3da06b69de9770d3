"""``list``/``ps``, ``status`` and ``config`` against the demo sandbox, in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.cli.output import TABLE_WIDTH
from scale_pilot_nb.compose import load
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import Result

Run = Callable[..., Result]


def test_list_table_fits_80_columns(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("list", "--all")
    assert result.code == ExitStatus.OK
    lines = result.stdout.splitlines()
    assert all(len(line) <= TABLE_WIDTH for line in lines)
    assert any(line.startswith("whoami ") and "RUNNING" in line for line in lines)
    assert any(line.split()[:2] == ["photos", "redis"] for line in lines)  # a container row
    assert "\033[" not in result.stdout  # no colour when stdout is not a terminal


def test_ps_is_list_and_json_has_every_app(
    nas_env: dict[str, str], cli: Run, sandbox: Sandbox
) -> None:
    document = cli("ps", "--json").json()
    assert (document["version"], document["command"]) == (1, "list")
    names = {app["name"] for app in document["apps"]}
    assert {"whoami", "photos", "nightly-report"} <= names
    whoami = next(app for app in document["apps"] if app["name"] == "whoami")
    assert whoami["state"] == "RUNNING"
    assert whoami["containers"][0]["service_name"] == "whoami"


def test_list_with_no_apps_says_so_on_stderr(
    make_sandbox: Callable[..., Sandbox], cli: Run
) -> None:
    empty = make_sandbox("25.10", "empty", test_methods=False)
    key_file = "key.txt"
    with open(key_file, "w") as handle:
        handle.write(empty.api_key)
    result = cli("list", "--url", empty.url, "--api-key-file", key_file)
    assert (result.code, result.stdout) == (0, "")
    assert "No apps installed" in result.stderr


def test_status_human_and_json(nas_env: dict[str, str], cli: Run) -> None:
    human = cli("status")
    assert human.code == ExitStatus.OK
    assert "docker   RUNNING" in human.stdout
    assert "backup  DEGRADED  NO" in human.stdout
    document = cli("status", "--json").json()
    assert document["status"]["app_states"]["RUNNING"] >= 1
    assert {p["name"] for p in document["status"]["pools"]} >= {"tank", "backup"}


def test_config_prints_the_stored_compose_as_yaml(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("config", "whoami")
    assert result.code == ExitStatus.OK
    stored = yaml.safe_load(result.stdout)
    assert stored["services"]["whoami"]["image"].startswith("traefik/whoami")
    document = cli("config", "whoami", "--json").json()
    assert document["config"] == stored
    assert document["app_name"] == "whoami"


def test_config_output_reads_back_as_the_same_compose(nas_env: dict[str, str], cli: Run) -> None:
    """``config NAME > file.yml`` must not turn the string "1e3" into a float on redeploy."""
    Path("odd.yml").write_text(
        "services:\n  web:\n    image: nginx:1.27\n"
        "    environment: {RATE: '1e3', MODE: '0o17', HOUR: '22:22'}\n"
    )
    assert cli("deploy", "odd.yml", "odd", "--no-wait").code == ExitStatus.OK
    printed = cli("config", "odd").stdout
    Path("again.yml").write_text(printed)
    assert load(Path("again.yml")).data["services"]["web"]["environment"] == {
        "RATE": "1e3",
        "MODE": "0o17",
        "HOUR": "22:22",
    }
    assert cli("plan", "again.yml", "odd").stdout.startswith("noop 'odd'")


def test_config_of_a_missing_app_is_exit_1_with_hint(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("config", "nope")
    assert result.code == ExitStatus.ERROR
    assert result.stderr.startswith("scale-compose: error: App 'nope' does not exist")
    assert "hint: " in result.stderr
    assert result.stdout == ""
