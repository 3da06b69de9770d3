"""Pilot: the sync façade, as scripts and notebooks use it, against the sandbox."""

from __future__ import annotations

import _thread
import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pandas as pd
import pytest

import scale_pilot_nb.pilot.pilot as pilot_module
from scale_pilot_nb.compose.plan import Plan
from scale_pilot_nb.errors import ArgumentError, JobFailedError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.notebook.tables import APP_COLUMNS, CONTAINER_COLUMNS
from scale_pilot_nb.pilot.pilot import ConfirmationRequired, Pilot, connect
from scale_pilot_nb.sandbox import Sandbox

NGINX = """
services:
  web:
    image: nginx:1.27.3
    ports: ["18081:80"]
    healthcheck: {test: ["CMD", "true"]}
"""


@pytest.fixture
def pilot(sandbox: Sandbox) -> Iterator[Pilot]:
    with Pilot(TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username)) as p:
        yield p


def test_apps_frame_has_fixed_columns_and_dtypes(pilot: Pilot) -> None:
    frame = pilot.apps()
    assert list(frame.columns) == list(APP_COLUMNS)
    assert len(frame) == pilot.status().app_count
    assert isinstance(frame["state"].dtype, pd.CategoricalDtype) and frame["state"].cat.ordered
    assert frame["containers"].dtype == "int64"
    assert frame["custom_app"].dtype == "bool"
    running = frame[frame["state"] == "RUNNING"]
    assert (running["running_containers"] > 0).all()


def test_empty_inventory_gives_empty_frames_with_the_same_columns(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)
    with Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username)) as p:
        assert list(p.apps().columns) == list(APP_COLUMNS) and p.apps().empty
        assert list(p.containers().columns) == list(CONTAINER_COLUMNS)


def test_containers_frame_one_row_per_container(pilot: Pilot) -> None:
    apps = pilot.apps()
    containers = pilot.containers()
    assert len(containers) == apps["containers"].sum()
    assert set(containers["app"]) <= set(apps["name"])


def test_deploy_stop_start_delete_round_trip(pilot: Pilot) -> None:
    assert pilot.deploy(NGINX, "web")["web"].action == "created"
    assert pilot.stop("web")["web"].app.state == "STOPPED"  # type: ignore[union-attr]
    assert pilot.start("web")["web"].app.state == "RUNNING"  # type: ignore[union-attr]
    lines = pilot.logs("web", tail=3)
    assert len(lines) == 3 and set(lines["service"]) == {"web"}
    with pytest.raises(ConfirmationRequired):
        pilot.delete("web")
    assert "web" in set(pilot.apps()["name"])
    pilot.delete("web", confirm="web")
    assert "web" not in set(pilot.apps()["name"])


def test_progress_true_reports_as_text_outside_a_notebook_and_keeps_the_end(
    pilot: Pilot, capsys: pytest.CaptureFixture[str]
) -> None:
    pilot.deploy(NGINX, "web", progress=True)
    err = capsys.readouterr().err
    assert err.startswith("deploy web\n") and "%" in err
    assert err.rstrip().endswith("done")
    bad = NGINX.replace("nginx:1.27.3", "nginx:doesnotexist").replace("18081", "18082")
    with pytest.raises(JobFailedError, match="doesnotexist"):
        pilot.deploy(bad, "bad", progress=True)
    assert "failed: " in capsys.readouterr().err
    pilot.stop("web", progress=False)
    assert capsys.readouterr().err == ""


def test_a_failing_progress_callback_never_breaks_the_operation(
    pilot: Pilot, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(percent: int | None, description: str) -> None:
        raise ZeroDivisionError("the callback is broken")

    result = pilot.deploy(NGINX, "web", progress=broken)
    assert result.ok and pilot.app("web").state == "RUNNING"
    assert pilot.restart("web", progress=broken).ok
    assert "progress callback raised" in caplog.text


def test_works_inside_a_running_event_loop_like_a_notebook_cell(pilot: Pilot) -> None:
    async def cell() -> int:
        return pilot.status().app_count  # sync call while this thread runs a loop

    assert asyncio.run(cell()) > 0


def test_calling_from_the_loop_thread_is_refused(pilot: Pilot) -> None:
    async def inside_loop() -> None:
        pilot.status()

    with pytest.raises(RuntimeError, match="loop"):
        pilot._runner.run(inside_loop())


def test_ctrl_c_cancels_the_pending_call(pilot: Pilot) -> None:
    pilot.deploy(NGINX + "    labels: {sandbox.health: unhealthy}\n", "sick", wait=False)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        pilot.wait_for_state("sick", "RUNNING", timeout=30)
    timer.join()
    assert pilot.status().app_count > 0  # the pilot still works afterwards


def test_connect_sandbox_starts_and_stops_an_embedded_nas() -> None:
    with connect(sandbox=True) as p:
        assert p.sandbox is not None
        assert p.status().app_count > 0
        port = p.sandbox.port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_connect_reads_the_environment(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUENAS_URL", sandbox.url)
    monkeypatch.setenv("TRUENAS_API_KEY", sandbox.api_key)
    monkeypatch.setenv("TRUENAS_USERNAME", sandbox.username)
    with pilot_module.connect() as p:
        assert p.status().app_count > 0


def test_app_config_redacts_secret_values_unless_asked(pilot: Pilot) -> None:
    compose = (
        "services:\n  db:\n    image: postgres:16.9\n"
        "    environment:\n      POSTGRES_PASSWORD: hunter2\n      TZ: UTC\n"
    )
    pilot.deploy(compose, "db", progress=False)
    shown = pilot.app_config("db")
    assert "hunter2" not in str(shown) and shown["services"]["db"]["environment"]["TZ"] == "UTC"
    raw = pilot.app_config("db", secrets=True)
    assert raw["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == "hunter2"


def _image(pilot: Pilot, name: str) -> str:
    return str(pilot.app_config(name)["services"]["web"]["image"])


def test_a_confirmed_deploy_plans_once(pilot: Pilot, sandbox: Sandbox) -> None:
    """The hook costs no query: a confirmed deploy asks the NAS what an unasked one does."""
    pilot.deploy(NGINX, "web", progress=False)
    counted = ("app.query", "app.config")

    def deploy(tag: str, **options: object) -> dict[str, int]:
        before = {method: sandbox.metrics.requests[method] for method in counted}
        pilot.deploy(NGINX.replace("1.27.3", tag), "web", progress=False, **options)  # type: ignore[arg-type]
        return {method: sandbox.metrics.requests[method] - before[method] for method in counted}

    seen: list[Plan] = []
    confirmed = deploy("1.28.0", confirm=lambda plan: seen.append(plan) or True)
    assert len(seen) == 1 and seen[0].recreated_apps == ["web"]
    assert confirmed == deploy("1.29.0")  # the same queries as a deploy that does not ask
    assert _image(pilot, "web") == "nginx:1.29.0"


def test_the_hook_sees_the_plan_that_is_applied(pilot: Pilot, sandbox: Sandbox) -> None:
    """A change another client makes while the user reads the plan is not hidden: the deploy
    applies the confirmed plan (reported as such), and the history keeps what it replaced."""
    pilot.deploy(NGINX, "web", progress=False)
    seen: list[Plan] = []
    threads: list[str] = []

    def confirm(plan: Plan) -> bool:
        seen.append(plan)
        threads.append(threading.current_thread().name)
        other = TrueNASDockerManager(sandbox.url, sandbox.api_key, history=False)
        with Pilot(other) as meanwhile:
            meanwhile.deploy(NGINX.replace("1.27.3", "1.26.0"), "web", progress=False)
        return True

    result = pilot.deploy(NGINX.replace("1.27.3", "1.28.0"), "web", confirm=confirm, progress=False)
    assert threads == ["scale-pilot confirm"]  # off the loop thread: the keepalive goes on
    assert result.plans["web"] is seen[0]["web"]
    assert seen[0]["web"].images_changed == {"web": ("nginx:1.27.3", "nginx:1.28.0")}
    assert _image(pilot, "web") == "nginx:1.28.0"
    assert pilot.history("web").iloc[-1]["action"] == "update"
    assert "nginx:1.26.0" in pilot.diff("web", -2, -1)  # what the update replaced, recorded


def test_the_time_the_hook_takes_is_not_the_deploy_s(pilot: Pilot, sandbox: Sandbox) -> None:
    """The timeout bounds the job, not the user reading the plan; a bad one is still refused
    before anything is asked or sent."""
    pilot.deploy(NGINX, "web", progress=False)
    asked: list[Plan] = []

    def slow(plan: Plan) -> bool:
        asked.append(plan)
        time.sleep(3)
        return True

    updates = sandbox.metrics.requests["app.update"]
    with pytest.raises(ArgumentError, match="timeout must be more than 0"):
        pilot.deploy(NGINX.replace("1.27.3", "1.28.0"), "web", timeout=0, confirm=slow)
    assert asked == [] and sandbox.metrics.requests["app.update"] == updates
    result = pilot.deploy(
        NGINX.replace("1.27.3", "1.28.0"), "web", timeout=2, confirm=slow, progress=False
    )
    assert len(asked) == 1
    assert result.ok and [o.action for o in result.outcomes] == ["updated"]
    assert _image(pilot, "web") == "nginx:1.28.0"


def test_a_declined_deploy_changes_nothing(pilot: Pilot, sandbox: Sandbox) -> None:
    asked: list[Plan] = []
    pilot.deploy(NGINX, "web", progress=False, confirm=asked.append)  # a create: not asked
    pilot.deploy(NGINX, "web", progress=False, confirm=asked.append)  # a no-op: not asked
    assert asked == []
    updates = sandbox.metrics.requests["app.update"]
    with pytest.raises(ConfirmationRequired, match="was not confirmed") as caught:
        pilot.deploy(NGINX.replace("1.27.3", "1.28.0"), "web", progress=False, confirm=asked.append)
    assert caught.value.hint and "confirm" in caught.value.hint
    assert len(asked) == 1 and sandbox.metrics.requests["app.update"] == updates
    assert _image(pilot, "web") == "nginx:1.27.3"


async def test_the_manager_awaits_an_async_hook(sandbox: Sandbox) -> None:
    async with TrueNASDockerManager(sandbox.url, sandbox.api_key, history=False) as manager:
        await manager.deploy(NGINX, "web")

        async def decline(plan: Plan) -> bool:
            await asyncio.sleep(0)
            return False

        with pytest.raises(ConfirmationRequired):
            await manager.deploy(NGINX.replace("1.27.3", "1.28.0"), "web", confirm=decline)
        with pytest.raises(ArgumentError):
            await manager.deploy(NGINX, "web", confirm="yes")  # type: ignore[arg-type]
