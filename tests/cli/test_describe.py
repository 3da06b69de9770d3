"""``describe NAME`` against the demo sandbox, in-process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from scale_pilot_nb.cli import ExitStatus
from tests.cli.conftest import Result

Run = Callable[..., Result]


def test_describe_a_running_app(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("describe", "photos")
    assert result.code == ExitStatus.OK
    lines = result.stdout.splitlines()
    assert lines[:3] == ["Name:     photos", "State:    RUNNING", "Kind:     custom"]
    assert any(line.split()[:2] == ["server", "running"] for line in lines)
    assert "  2283->2283/tcp" in lines
    assert "  /mnt/tank/media/photos -> /usr/src/app/upload (bind)" in lines
    assert "Why:" not in lines


def test_describe_a_crashed_app_says_why(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("describe", "nightly-report")
    assert result.code == ExitStatus.OK
    why = result.stdout.split("Why:\n", 1)[1]
    assert why.startswith("  report is crashed\n  last lines of report:\n")
    assert "cannot reach the database" in why
    assert "  hint: " in why and "pilot." not in why  # the hint speaks CLI


def test_describe_after_a_deploy_and_an_update(
    nas_env: dict[str, str], cli: Run, workdir: Path
) -> None:
    assert cli("deploy", "nginx.yml", "my-nginx", "--yes").code == ExitStatus.OK
    text = (workdir / "nginx.yml").read_text()
    (workdir / "nginx.yml").write_text(text + "    environment: {COLOR: blue}\n")
    assert cli("deploy", "nginx.yml", "my-nginx", "--yes").code == ExitStatus.OK
    out = cli("describe", "my-nginx").stdout
    jobs = out.split("Jobs:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert jobs[0].split() == ["ID", "METHOD", "STATE", "STARTED", "ERROR"]
    assert [row.split()[1:3] for row in jobs[1:]] == [
        ["app.create", "SUCCESS"],
        ["app.update", "SUCCESS"],
    ]
    revisions = out.split("Revisions:\n", 1)[1].splitlines()
    assert revisions[0].split() == ["REV", "RECORDED", "BEFORE", "TOOL"]
    assert [row.split()[2:] for row in revisions[1:]] == [["create", "cli"], ["update", "cli"]]


def test_describe_json_has_every_section_with_iso_timestamps(
    nas_env: dict[str, str], cli: Run
) -> None:
    assert cli("deploy", "nginx.yml", "my-nginx", "--yes").code == ExitStatus.OK
    document = cli("describe", "my-nginx", "--json").json()
    assert (document["version"], document["command"]) == (1, "describe")
    assert {"app", "jobs", "revisions", "diagnosis"} <= set(document)
    assert document["app"]["name"] == "my-nginx" and document["diagnosis"] is None
    assert document["app"]["containers"] and "ports" in document["app"]
    job, revision = document["jobs"][-1], document["revisions"][-1]
    assert (job["method"], revision["action"]) == ("app.create", "create")
    for stamp in (job["time_started"], revision["recorded_at"]):
        assert dt.datetime.fromisoformat(stamp).utcoffset() == dt.timedelta(0)
    crashed = cli("describe", "nightly-report", "--json").json()["diagnosis"]
    assert crashed["failing_service"] == "report" and crashed["log_tail"]


def test_describe_a_missing_app_is_exit_1(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("describe", "nope")
    assert result.code == ExitStatus.ERROR
    assert result.stderr.startswith("scale-compose: error: App 'nope' does not exist")
    assert result.stdout == ""
