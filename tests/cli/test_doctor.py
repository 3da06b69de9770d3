"""``scale-compose doctor``: the installed entry point, the table, ``--write`` and exit statuses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.cli.output import TABLE_WIDTH
from scale_pilot_nb.manager.doctor import SELFTEST_APP
from tests.cli.conftest import Result

Run = Callable[..., Result]


def test_installed_sandbox_doctor_json(workdir: Path, installed: Run) -> None:
    result = installed("--sandbox", "doctor", "--json")
    assert result.code == ExitStatus.OK, result.stderr
    document = result.json()
    assert (document["version"], document["command"]) == (1, "doctor")
    report = document["doctor"]
    assert report["release"] == "25.10.6"
    assert report["endpoint"].startswith("ws://127.0.0.1:")
    assert report["endpoint"].endswith("/api/current")
    assert report["ok"] is True and report["write"] is False
    assert report["features"]["compose_check_at_create"] is True
    checks = {check["name"]: check for check in report["checks"]}
    assert checks["docker"]["status"] == "ok"
    assert checks["ip-choices"]["status"] == "ok"
    assert set(checks["connect"]) == {"name", "status", "detail", "seconds"}
    # the option after the command works the same
    assert installed("doctor", "--sandbox", "--json").json()["doctor"]["release"] == "25.10.6"


def test_table_fits_80_columns_and_write_leaves_no_app(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("doctor", "--write")
    assert result.code == ExitStatus.OK
    lines = result.stdout.splitlines()
    assert all(len(line) <= TABLE_WIDTH for line in lines)
    assert lines[0].startswith("TrueNAS 25.10.6 at ws://127.0.0.1:")
    assert lines[2].split() == ["CHECK", "STATUS", "TIME", "DETAIL"]
    rows = {line.split()[0]: line.split()[1] for line in lines[3:] if line[:1].isalpha()}
    assert rows["create"] == rows["update"] == rows["stop"] == rows["delete"] == "ok"
    assert lines[-1].startswith("ok: ")
    assert "scale-pilot-selftest" in result.stderr  # said what it is about to do
    names = {app["name"] for app in cli("list", "--json").json()["apps"]}
    assert SELFTEST_APP not in names


def test_exit_status_1_when_a_check_fails(nas_env: dict[str, str], cli: Run) -> None:
    assert cli("deploy", "nginx.yml", SELFTEST_APP).code == ExitStatus.OK
    result = cli("doctor", "--write", "--json")
    assert result.code == ExitStatus.ERROR
    report = result.json()["doctor"]
    assert report["ok"] is False
    refusal = report["checks"][-1]
    assert (refusal["name"], refusal["status"]) == ("selftest", "fail")
    assert "not made by doctor" in refusal["detail"]
    apps = {app["name"]: app["state"] for app in cli("list", "--json").json()["apps"]}
    assert apps[SELFTEST_APP] == "RUNNING"  # someone else's app: untouched
    human = cli("doctor", "--write")
    assert human.code == ExitStatus.ERROR
    assert human.stdout.splitlines()[-1].startswith("FAILED: ")
    assert all(len(line) <= TABLE_WIDTH for line in human.stdout.splitlines())


def test_exit_status_3_when_it_cannot_connect(workdir: Path, cli: Run) -> None:
    (workdir / "key.txt").write_text("1-" + "a" * 64)
    result = cli("doctor", "--url", "ws://127.0.0.1:1/api/current", "--api-key-file", "key.txt")
    assert result.code == ExitStatus.CONNECTION
    assert result.stdout == ""


def test_sandbox_before_a_command_without_a_nas_is_a_usage_error(cli: Run) -> None:
    result = cli("--sandbox", "init")
    assert result.code == ExitStatus.USAGE
    assert "init does not take --sandbox" in result.stderr
