"""``scale-compose job`` and what Ctrl-C (a real SIGINT) prints about the job it cut short."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scale_pilot_nb.cli.exits import ExitStatus
from scale_pilot_nb.sandbox import Sandbox
from tests.cli.conftest import SCRIPT, SUBPROCESS_TIMEOUT, Result
from tests.jobwatch import Connected, JobSighting, in_state, whoami

Run = Callable[..., Result]


@pytest.fixture
def other(sandbox: Sandbox) -> Iterator[Connected]:
    """Someone else's connection, starting jobs without waiting for them."""
    connected = Connected(sandbox)
    yield connected
    connected.close()


def interrupted_command(
    sandbox: Sandbox, workdir: Path, wanted: Callable[[Any], bool], *argv: str
) -> tuple[Result, int]:
    """Run ``scale-compose argv`` and send it SIGINT once a job matching ``wanted`` shows.

    Returns:
        What the command printed, and the job that was seen.
    """
    command: list[subprocess.Popen[str]] = []
    with JobSighting(sandbox, wanted, lambda job: command[0].send_signal(signal.SIGINT)) as seen:
        command.append(
            subprocess.Popen(
                [str(SCRIPT), *argv],
                cwd=workdir,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        )
    out, err = command[0].communicate(timeout=SUBPROCESS_TIMEOUT)
    assert seen.seen is not None
    return Result(command[0].returncode, out, err), seen.seen["id"]


def test_ctrl_c_during_a_deploy_whose_job_runs_says_it_goes_on(
    sandbox: Sandbox, nas_env: dict[str, str], workdir: Path, cli: Run
) -> None:
    sandbox.hold_jobs(["app.create"])
    running = in_state("app.create", "RUNNING")
    result, job_id = interrupted_command(
        sandbox, workdir, running, "deploy", "nginx.yml", "my-nginx"
    )
    assert result.code == ExitStatus.INTERRUPTED
    assert f"job {job_id} (app.create, my-nginx) goes on on the NAS" in result.stderr
    assert f"hint: Follow it with `scale-compose job {job_id}`" in result.stderr  # CLI terms
    assert "Traceback" not in result.stderr
    sandbox.release_jobs()
    followed = cli("job", str(job_id))
    assert followed.code == ExitStatus.OK
    assert followed.stdout.split()[5:9] == [str(job_id), "app.create", "my-nginx", "SUCCESS"]
    assert cli("list", "--json").json()["apps"][-1]["name"] == "my-nginx"


def test_ctrl_c_during_a_deploy_whose_job_waits_aborts_it(
    sandbox: Sandbox, nas_env: dict[str, str], workdir: Path, cli: Run, other: Connected
) -> None:
    sandbox.hold_jobs(["app.update"])
    with JobSighting(sandbox, in_state("app.update", "RUNNING"), lambda job: None):
        holder, update = other.start("app.update", "whoami", whoami("v1.11"))
    queued = in_state("app.update", "WAITING", not_id=holder)
    result, job_id = interrupted_command(
        sandbox, workdir, queued, "deploy", "nginx.yml", "whoami", "--yes"
    )
    assert result.code == ExitStatus.INTERRUPTED
    assert (
        f"job {job_id} (app.update, whoami) was aborted before it began; nothing changed on the NAS"
    ) in result.stderr
    sandbox.release_jobs()
    update.result(SUBPROCESS_TIMEOUT)
    aborted = cli("job", str(job_id), "--json")
    assert aborted.code == ExitStatus.ERROR
    assert aborted.json()["job"]["state"] == "ABORTED"
    assert f"job {job_id} was aborted" in aborted.stderr
    assert "nginx" not in cli("config", "whoami").stdout


def test_ctrl_c_with_json_prints_the_verdict_as_the_error_document(
    sandbox: Sandbox, nas_env: dict[str, str], workdir: Path
) -> None:
    sandbox.hold_jobs(["app.stop"])
    running = in_state("app.stop", "RUNNING")
    result, job_id = interrupted_command(sandbox, workdir, running, "stop", "whoami", "--json")
    assert result.code == ExitStatus.INTERRUPTED
    error = result.json()["error"]
    assert (error["type"], error["job_id"], error["aborted"]) == (
        "OperationInterrupted",
        job_id,
        False,
    )
    assert error["jobs"][0]["fate"] == "goes_on"
    sandbox.release_jobs()


def test_job_no_wait_shows_a_running_job_then_follows_it_to_its_end(
    sandbox: Sandbox, nas_env: dict[str, str], cli: Run, other: Connected
) -> None:
    sandbox.hold_jobs(["app.start"])
    with JobSighting(sandbox, in_state("app.start", "RUNNING"), lambda job: None):
        job_id, started = other.start("app.start", "backup-sync")
    now = cli("job", str(job_id), "--no-wait", "--json")
    assert now.code == ExitStatus.OK
    assert now.json()["job"]["state"] == "RUNNING"
    listed = cli("job")
    assert listed.stdout.split()[:5] == ["ID", "METHOD", "APP", "STATE", "PROGRESS"]
    assert [str(job_id), "app.start", "backup-sync", "RUNNING"] == listed.stdout.split()[5:9]
    sandbox.release_jobs()
    ended = cli("job", str(job_id), "--json")
    assert ended.code == ExitStatus.OK
    assert ended.json()["job"]["state"] == "SUCCESS"
    started.result(SUBPROCESS_TIMEOUT)
    assert cli("job").stderr == "No job is waiting or running.\n"


def test_job_of_a_failed_job_exits_1_with_its_error(
    sandbox: Sandbox, nas_env: dict[str, str], cli: Run, other: Connected
) -> None:
    sandbox.fail_next_job("boom")
    job_id, failed = other.start("app.start", "backup-sync")
    assert failed.exception(SUBPROCESS_TIMEOUT) is not None
    result = cli("job", str(job_id))
    assert result.code == ExitStatus.ERROR
    assert f"job {job_id} failed: [EFAULT] boom" in result.stderr
    assert "FAILED" in result.stdout


def test_job_of_an_unknown_id_is_an_error(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("job", "4242")
    assert result.code == ExitStatus.ERROR
    assert "No job with id 4242 on the NAS" in result.stderr
