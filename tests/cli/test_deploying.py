"""``validate`` (offline and with ``--check-ports``), ``plan`` and ``deploy``, in-process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from scale_pilot_nb.cli import ExitStatus
from tests.cli.conftest import Result

Run = Callable[..., Result]

_TEMPLATE = """\
services:
  web:
    image: nginx:${TAG}
    ports: ["${PORT:-30082}:80"]
"""


def test_validate_works_without_any_connection(workdir: Path, cli: Run) -> None:
    result = cli("validate", "nginx.yml", "--name", "my-nginx")
    assert result.code == ExitStatus.OK
    assert "valid: 0 error(s)" in result.stdout
    document = cli("validate", "nginx.yml", "--json").json()
    assert document["report"]["valid"] is True
    assert document["command"] == "validate"


def test_validate_errors_exit_2_with_findings(workdir: Path, cli: Run) -> None:
    Path("bad.yml").write_text("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n")
    result = cli("validate", "bad.yml", "--name", "Bad_Name")
    assert result.code == ExitStatus.USAGE
    assert "INVALID" in result.stdout
    document = cli("validate", "bad.yml", "--json").json()
    assert document["report"]["valid"] is False
    assert document["report"]["errors"]


def test_validate_missing_file_is_a_finding(workdir: Path, cli: Run) -> None:
    result = cli("validate", "absent.yml", "--json")
    assert result.code == ExitStatus.USAGE
    assert result.json()["report"]["errors"][0]["rule"] == "load.error"


def test_env_file_supplies_variables(workdir: Path, cli: Run) -> None:
    Path("app.yml").write_text(_TEMPLATE)
    Path("prod.env").write_text("TAG=1.27.3-alpine\n")
    assert cli("validate", "app.yml", "--env-file", "prod.env").code == ExitStatus.OK
    unset = cli("validate", "app.yml", "--json")
    assert unset.code == ExitStatus.USAGE
    assert "truenas.unset-variable" in {w["rule"] for w in unset.json()["report"]["warnings"]}
    missing = cli("validate", "app.yml", "--env-file", "nope.env")
    assert missing.code == ExitStatus.USAGE
    assert "no such file" in missing.stderr


def test_an_env_file_that_is_not_text_is_a_usage_error(workdir: Path, cli: Run) -> None:
    Path("app.yml").write_text(_TEMPLATE)
    Path("binary.env").write_bytes(b"TAG=\xff\xfe\n")
    result = cli("validate", "app.yml", "--env-file", "binary.env")
    assert result.code == ExitStatus.USAGE
    assert "not UTF-8" in result.stderr
    assert "internal error" not in result.stderr


def test_check_ports_asks_the_nas(nas_env: dict[str, str], cli: Run) -> None:
    Path("clash.yml").write_text(
        "services:\n  web:\n    image: nginx:1.27\n    ports: ['30080:80']\n"
    )
    assert cli("validate", "clash.yml").code == ExitStatus.OK  # offline: no idea of the NAS
    checked = cli("validate", "clash.yml", "--name", "clash", "--check-ports", "--json")
    assert checked.code == ExitStatus.USAGE
    assert "30080" in str(checked.json()["report"]["errors"])


def test_plan_then_deploy_then_plan_is_noop(nas_env: dict[str, str], cli: Run) -> None:
    plan = cli("plan", "nginx.yml", "my-nginx", "--json")
    assert plan.code == ExitStatus.OK
    assert plan.json()["changes"] is True
    assert plan.json()["plans"][0]["action"] == "create"
    deployed = cli("deploy", "nginx.yml", "my-nginx", "--json")
    assert deployed.code == ExitStatus.OK
    outcome = deployed.json()["result"]["outcomes"][0]
    assert (outcome["action"], outcome["state"]) == ("created", "RUNNING")
    assert "installed successfully" in deployed.stderr
    again = cli("plan", "nginx.yml", "my-nginx")
    assert again.stdout.startswith("noop 'my-nginx'")
    assert cli("plan", "nginx.yml", "my-nginx", "--json").json()["changes"] is False
    unchanged = cli("deploy", "nginx.yml", "my-nginx")
    assert unchanged.stdout == "my-nginx: unchanged (RUNNING)\n"


def test_dry_run_changes_nothing(nas_env: dict[str, str], cli: Run) -> None:
    dry = cli("deploy", "nginx.yml", "my-nginx", "--dry-run")
    assert dry.code == ExitStatus.OK
    assert dry.stdout.startswith("create 'my-nginx'")
    assert "dry run" in dry.stderr
    names = {a["name"] for a in cli("list", "--json").json()["apps"]}
    assert "my-nginx" not in names


def test_no_wait_and_split(nas_env: dict[str, str], cli: Run) -> None:
    Path("two.yml").write_text(
        "services:\n  a:\n    image: nginx:1.27\n  b:\n    image: redis:7.4\n"
    )
    result = cli("deploy", "two.yml", "pair", "--split", "--no-wait", "--json")
    assert result.code == ExitStatus.OK
    outcomes = result.json()["result"]["outcomes"]
    assert len(outcomes) == 2
    assert all(o["action"] == "created" for o in outcomes)


def test_split_plan_is_one_document_with_a_part_per_app(nas_env: dict[str, str], cli: Run) -> None:
    Path("two.yml").write_text(
        "services:\n  a:\n    image: nginx:1.27\n  b:\n    image: redis:7.4\n"
    )
    text = cli("plan", "two.yml", "pair", "--split")
    assert text.stdout.startswith("create 'pair-a'") and "\ncreate 'pair-b'" in text.stdout
    document = cli("plan", "two.yml", "pair", "--split", "--json").json()
    assert document["changes"] is True
    assert [p["app_name"] for p in document["plans"]] == ["pair-a", "pair-b"]


_SICK = """\
services:
  web:
    image: nginx:1.27
    labels: {sandbox.health: unhealthy}
"""


def test_deploy_waits_for_health_within_the_timeout_unless_no_wait(
    nas_env: dict[str, str], cli: Run
) -> None:
    Path("sick.yml").write_text(_SICK)  # its container never becomes healthy
    started = time.monotonic()
    late = cli("deploy", "sick.yml", "sick", "--timeout", "1", "--json")
    assert late.code == ExitStatus.ERROR and time.monotonic() - started < 10
    assert late.json()["error"]["type"] == "AppNotReadyError"
    assert "DEPLOYING" in late.stderr  # the state it was left in
    back = cli("deploy", "sick.yml", "sick2", "--no-wait", "--timeout", "1", "--json")
    assert back.code == ExitStatus.OK
    outcome = back.json()["result"]["outcomes"][0]
    assert (outcome["action"], outcome["state"]) == ("created", "DEPLOYING")
    usage = cli("deploy", "--help").stdout
    assert "--wait, --no-wait" in usage and "--timeout SECONDS" in usage


def test_deploying_an_invalid_file_is_exit_2_with_the_report(
    nas_env: dict[str, str], cli: Run
) -> None:
    Path("bad.yml").write_text("services:\n  web:\n    ports: ['80:80']\n")
    result = cli("deploy", "bad.yml", "bad", "--json")
    assert result.code == ExitStatus.USAGE
    error = result.json()["error"]
    assert error["type"] == "ComposeInvalidError"
    assert error["report"]["errors"]
    assert "nothing was sent to the NAS" in result.stderr


def test_compose_secrets_never_appear_in_validate_plan_or_deploy_output(
    nas_env: dict[str, str], cli: Run
) -> None:
    Path("db.yml").write_text(
        "services:\n  db:\n    image: postgres:16.6\n"
        "    environment:\n      POSTGRES_PASSWORD: ${PW}\n"
        "      DATABASE_URL: postgres://app:url-pw-4@db/app\n"
    )
    Path("first.env").write_text("PW=first-pw-1\n")
    Path("second.env").write_text("PW=second-pw-2\n")
    runs = [
        cli("validate", "db.yml", "--env-file", "first.env", "--json"),
        cli("plan", "db.yml", "db", "--env-file", "first.env"),
        cli("deploy", "db.yml", "db", "--env-file", "first.env", "--no-wait", "--json"),
        cli("plan", "db.yml", "db", "--env-file", "second.env", "--json"),
        cli("deploy", "db.yml", "db", "--env-file", "second.env", "--dry-run"),
    ]
    assert [run.code for run in runs] == [ExitStatus.OK] * 5
    assert runs[3].json()["plans"][0]["secrets_changed"] == [
        "services.db.environment.POSTGRES_PASSWORD"
    ]
    for run in runs:
        for value in ("first-pw-1", "second-pw-2", "url-pw-4"):
            assert value not in run.stdout + run.stderr
