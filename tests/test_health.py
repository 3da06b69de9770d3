"""Health on deploy: a crashed or never-healthy app ends in an error with the failing
container's last log lines and a hint, against the sandbox over real sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from scale_pilot_nb import CallTimeoutError, JobFailedError
from scale_pilot_nb.errors import ConnectionError as NasConnectionError
from scale_pilot_nb.manager.health import (
    AppCrashedError,
    AppNotReadyError,
    add_up_failure_hint,
    diagnose,
)
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.manager.waiting import JOB_SHARE
from scale_pilot_nb.sandbox import Sandbox

CRASHING = """
services:
  web:
    image: nginx:1.27.3
  worker:
    image: ghcr.io/example/worker:2.1
    command: ["sh", "-c", "echo Error: required setting DATABASE_URL is not set; exit 1"]
"""

WEB = "services:\n  web:\n    image: nginx:1.27.3\n"

UNHEALTHY = """
services:
  api:
    image: ghcr.io/example/api:1.0
    labels:
      sandbox.health: unhealthy
"""


@pytest.fixture(params=["24.10", "25.04", "25.10"])
async def manager(
    request: pytest.FixtureRequest, make_sandbox: Callable[..., Sandbox]
) -> AsyncIterator[TrueNASDockerManager]:
    sb = make_sandbox(request.param, "empty", test_methods=False)
    url = sb.legacy_url if sb.version == "24.10" else sb.url
    async with TrueNASDockerManager(url, sb.api_key, username=sb.username, history=False) as m:
        yield m


async def test_crashed_deploy_names_the_service_with_its_last_lines(
    manager: TrueNASDockerManager,
) -> None:
    with pytest.raises(AppCrashedError) as caught:
        await manager.deploy(CRASHING, "shop", timeout=30)
    error = caught.value
    assert isinstance(error, JobFailedError) and error.state == "CRASHED"
    assert error.failing_service == "worker"
    assert error.services == {"web": "running", "worker": "crashed"}
    assert any("DATABASE_URL is not set" in line for line in error.log_tail)
    assert "missing" in (error.hint or "")
    assert "DATABASE_URL" in str(error) and "worker crashed" in str(error)


async def test_a_crash_logs_only_what_the_service_printed(manager: TrueNASDockerManager) -> None:
    silent = CRASHING.replace(
        '["sh", "-c", "echo Error: required setting DATABASE_URL is not set; exit 1"]',
        '["false"]',
    )
    with pytest.raises(AppCrashedError) as caught:
        await manager.deploy(silent, "shop", timeout=30)
    assert caught.value.failing_service == "worker"
    assert caught.value.log_tail == []  # `false` prints nothing; no cause is invented


async def test_never_healthy_deploy_times_out_naming_the_starting_service(
    manager: TrueNASDockerManager,
) -> None:
    with pytest.raises(AppNotReadyError) as caught:
        await manager.deploy(UNHEALTHY, "api", timeout=0.3)
    error = caught.value
    assert isinstance(error, CallTimeoutError)
    assert error.failing_service == "api" and error.services == {"api": "starting"}
    assert error.log_tail  # the container's history lines
    assert "healthcheck" in (error.hint or "")
    assert "api is still starting" in str(error)


async def test_a_wait_for_any_state_names_the_app_state_and_services(
    manager: TrueNASDockerManager,
) -> None:
    await manager.deploy(UNHEALTHY, "api", wait=False)
    with pytest.raises(AppNotReadyError) as caught:
        await manager.wait_for_state("api", "STOPPED", timeout=0.2)
    error = caught.value
    assert (error.wanted, error.app_state, error.services) == (
        "STOPPED",
        "DEPLOYING",
        {"api": "starting"},
    )
    assert "did not become STOPPED within 0.2 s: it is DEPLOYING" in str(error)
    assert "api: starting (not healthy yet)" in str(error)


async def test_a_timed_out_start_names_its_job_which_goes_on(
    manager: TrueNASDockerManager,
) -> None:
    await manager.deploy(UNHEALTHY, "api", wait=False)
    await manager.stop_app("api")
    with pytest.raises(AppNotReadyError) as caught:
        await manager.start_app("api", timeout=0.3)
    error = caught.value
    jobs = await manager.client.call("core.get_jobs", [["method", "=", "app.start"]])
    assert error.job_id == jobs[-1]["id"]
    assert f"job {error.job_id} (app.start) goes on on the NAS" in str(error)
    assert error.to_dict()["job_id"] == error.job_id


async def test_a_start_of_a_running_app_returns_at_once_without_a_job(
    manager: TrueNASDockerManager,
) -> None:
    await manager.deploy(WEB, "web")
    before = len(await manager.client.call("core.get_jobs"))
    result = await manager.start_app("web")
    assert result["web"].action == "unchanged" and result.job_ids == []
    assert len(await manager.client.call("core.get_jobs")) == before
    stopped = await manager.stop_app("web")
    again = await manager.stop_app("web")
    assert stopped["web"].action == "stopped" and again["web"].action == "unchanged"


async def test_a_bad_timeout_is_refused_before_anything_is_sent(
    manager: TrueNASDockerManager,
) -> None:
    for bad in ("x", 0, -1, True):
        with pytest.raises(ValueError, match="timeout"):
            await manager.deploy(UNHEALTHY, "api", timeout=bad)  # type: ignore[arg-type]
    assert await manager.find_app("api") is None


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("listen tcp 0.0.0.0:80: bind: address already in use", "port"),
        ("Error response from daemon: manifest for x:y not found: manifest unknown", "pulled"),
        ("mkdir /config/cache: permission denied", "Permission"),
        ("all good", "logs"),
    ],
)
def test_diagnose_recognises_the_usual_causes(line: str, word: str) -> None:
    assert word in diagnose(["starting", line])


async def test_an_image_that_cannot_be_pulled_is_named_in_the_hint(
    manager: TrueNASDockerManager,
) -> None:
    # (one service: the sandbox pulls nothing when one image fails; Docker pulls the others)
    compose = "services:\n  app:\n    image: acme/app:doesnotexist\n"
    with pytest.raises(JobFailedError) as caught:
        await manager.deploy(compose, "pull", timeout=30)
    assert "Image(s) acme/app:doesnotexist could not be pulled" in (caught.value.hint or "")


async def test_an_up_failure_with_every_image_present_hints_at_ports(
    manager: TrueNASDockerManager,
) -> None:
    compose = "services:\n  web:\n    image: nginx:1.27.3\n    ports: ['18099:80']\n"
    await manager.deploy(compose, "first", timeout=30)
    payload = {"app_name": "second", "custom_app": True, "custom_compose_config_string": compose}
    with pytest.raises(JobFailedError) as caught:  # sent as is: no local port check
        await manager.create_app(payload)
    assert "host port may be in use" in (caught.value.hint or "")


async def test_waiting_reports_each_services_state(manager: TrueNASDockerManager) -> None:
    heard: list[tuple[int | None, str]] = []
    with pytest.raises(AppNotReadyError):
        await manager.deploy(
            UNHEALTHY, "api", timeout=0.3, progress=lambda p, d: heard.append((p, d))
        )
    waits = [(p, d) for p, d in heard if d.startswith("api: DEPLOYING (api: starting) · ")]
    assert waits and all(p == JOB_SHARE for p, _ in waits)  # the bar goes on from the job
    percents = [p for p, _ in heard]
    assert percents == sorted(percents)  # never reset


class _UnreachableClient:
    async def call(self, method: str, *params: object) -> object:
        raise NasConnectionError("connection lost")


class _UnreachableManager:
    client = _UnreachableClient()


async def test_a_failed_image_lookup_leaves_the_jobs_own_error_intact() -> None:
    error = JobFailedError("[EFAULT] Failed 'up' action for 'web' app")
    compose = {"services": {"web": {"image": "nginx:1.27.3"}}}
    await add_up_failure_hint(
        _UnreachableManager(),  # type: ignore[arg-type]
        error,
        {"custom_compose_config": compose},
    )
    assert error.hint is None  # no guess, and above all no ConnectionError instead of it
