"""TrueNASDockerManager against the sandbox over real sockets, on every sandbox version."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest

from scale_pilot_nb import (
    AppNotFoundError,
    AuthenticationError,
    CallTimeoutError,
    ComposeError,
    ComposeInvalidError,
    InsecureTransportError,
    JobFailedError,
    UnsupportedError,
    ValidationError,
)
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.records import AppState
from scale_pilot_nb.sandbox import Sandbox, ixapp

VERSIONS = ["24.10", "25.04", "25.10"]

WEB = """
services:
  web:
    image: nginx:1.27.3
    ports: ["18080:80"]
    volumes: ["/mnt/tank/www:/usr/share/nginx/html:ro"]
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost/"]
"""


def endpoint(sb: Sandbox) -> str:
    return sb.legacy_url if sb.version == "24.10" else sb.url


def manager_for(sb: Sandbox, **kwargs: object) -> TrueNASDockerManager:
    return TrueNASDockerManager(endpoint(sb), sb.api_key, username=sb.username, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(params=VERSIONS)
def demo(request: pytest.FixtureRequest, make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox(request.param, "demo", test_methods=False)


@pytest.fixture
async def manager(demo: Sandbox) -> AsyncIterator[TrueNASDockerManager]:
    async with manager_for(demo) as m:
        yield m


async def test_system_status_counts_apps_by_state(manager: TrueNASDockerManager) -> None:
    status = await manager.system_status()
    apps = await manager.list_apps()
    assert status.app_count == len(apps) > 0
    assert status.running_apps == sum(1 for a in apps if a.state == AppState.RUNNING)
    assert status.pools and status.docker.running


async def test_get_app_and_missing_app(manager: TrueNASDockerManager) -> None:
    first = (await manager.list_apps())[0]
    assert (await manager.get_app(first.name)).name == first.name
    with pytest.raises(AppNotFoundError):
        await manager.get_app("no-such-app")
    with pytest.raises(AppNotFoundError):
        await manager.app_config("no-such-app")
    with pytest.raises(AppNotFoundError):
        await manager.start_app("no-such-app")


async def test_deploy_creates_then_skips_identical_then_updates(
    manager: TrueNASDockerManager,
) -> None:
    progress: list[tuple[float | None, str]] = []
    created = await manager.deploy(WEB, "web", progress=lambda p, d: progress.append((p, d)))
    assert created["web"].action == "created"
    assert created["web"].app is not None and created["web"].app.state == AppState.RUNNING
    percents = [p for p, _ in progress if p is not None]
    assert percents == sorted(percents) and percents[-1] == 100

    again = await manager.deploy(WEB, "web")
    assert again["web"].action == "unchanged"

    changed = await manager.deploy(WEB.replace("1.27.3", "1.27.4"), "web")
    assert changed["web"].action == "updated"
    assert changed.plans["web"].images_changed == {"web": ("nginx:1.27.3", "nginx:1.27.4")}
    config = await manager.app_config("web")
    assert config["services"]["web"]["image"] == "nginx:1.27.4"
    assert len([a for a in await manager.list_apps() if a.name == "web"]) == 1


async def test_invalid_compose_is_refused_before_anything_is_sent(
    manager: TrueNASDockerManager, demo: Sandbox
) -> None:
    before = demo.metrics.requests["app.create"]
    with pytest.raises(ComposeInvalidError) as info:
        await manager.deploy("services: {web: {ports: ['80:80']}}", "web")
    assert not info.value.report.valid
    assert demo.metrics.requests["app.create"] == before


async def test_port_taken_by_another_app_is_a_validation_error(
    manager: TrueNASDockerManager,
) -> None:
    taken = (await manager.used_ports())[0]
    report = await manager.validate(WEB.replace("18080", str(taken)), "web")
    assert "truenas.port-in-use" in {f.rule for f in report.errors}


STACK = """
services:
  api:
    image: nginx:1.27.3
    ports: ["18090:80"]
    healthcheck: {test: ["CMD", "true"]}
  cache:
    image: redis:7.4.1
    ports: ["18091:6379"]
    healthcheck: {test: ["CMD", "true"]}
"""


async def test_split_stack_redeploys_without_colliding_with_its_own_ports(
    manager: TrueNASDockerManager,
) -> None:
    first = await manager.deploy(STACK, "stack", split=True)
    assert sorted(o.app_name for o in first.outcomes) == ["stack-api", "stack-cache"]
    report = await manager.validate(STACK, "stack", split=True)
    assert "truenas.port-in-use" not in {f.rule for f in report.errors}
    again = await manager.deploy(STACK, "stack", split=True)
    assert {o.action for o in again.outcomes} == {"unchanged"}


async def test_a_catalog_app_of_the_same_name_is_never_planned_as_an_update(
    manager: TrueNASDockerManager,
) -> None:
    """Deploying ix-app values over the demo's jellyfin catalog app would break it."""
    web = WEB.replace("/mnt/tank/www", "/mnt/tank/apps")  # ix-app needs an existing path
    with pytest.raises(ComposeError, match="catalog app 'jellyfin'"):
        await manager.plan(web, "jellyfin", mode="ix-app")
    with pytest.raises(ComposeError, match="catalog app 'jellyfin'"):
        await manager.deploy(web, "jellyfin", mode="ix-app", dry_run=True)
    assert (await manager.get_app("jellyfin")).catalog_app == "jellyfin"


async def test_ix_app_checks_the_nas_for_bind_addresses_and_host_paths(
    manager: TrueNASDockerManager,
) -> None:
    """What the NAS would refuse in ix-app mode is an error before anything is sent."""
    bound = WEB.replace('["18080:80"]', '["127.0.0.1:18080:80"]')
    with pytest.raises(ComposeInvalidError) as caught:
        await manager.plan(bound, "web", mode="ix-app")
    report = caught.value.report
    assert report is not None
    rules = {f.rule: f for f in report.errors}
    assert set(rules) == {"mode.ix-app-host-ip", "mode.ix-app-host-path-missing"}
    offered = await manager.ip_choices()
    assert offered and all(ip in rules["mode.ix-app-host-ip"].message for ip in offered)
    assert "/mnt/tank/www" in rules["mode.ix-app-host-path-missing"].message
    assert await manager.find_app("web") is None
    fixed = WEB.replace("/mnt/tank/www", "/mnt/tank/apps")
    assert (await manager.validate(fixed, "web", mode="ix-app")).valid


async def test_ix_app_values_are_checked_against_the_nas_catalog_questions(
    manager: TrueNASDockerManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A converted value the NAS's ix-app questions refuse is ``mode.ix-app-value``; the
    sandbox NAS is given a tighter question (``max_retry_count`` at most 5) through its model."""
    schema = ixapp.SCHEMA
    tighter = dataclasses.replace(schema.attrs["max_retry_count"], low=0, high=5)
    monkeypatch.setattr(
        ixapp,
        "SCHEMA",
        dataclasses.replace(schema, attrs=schema.attrs | {"max_retry_count": tighter}),
    )
    questions = await manager.ix_app_questions()
    assert questions and any(q["variable"] == "max_retry_count" for q in questions)
    fixed = WEB.replace("/mnt/tank/www", "/mnt/tank/apps") + "    environment: {TOKEN: s3cret}\n"
    assert (await manager.validate(fixed, "web", mode="ix-app")).valid
    retries = fixed + "    restart: on-failure:10\n"
    report = await manager.validate(retries, "web", mode="ix-app")
    [error] = report.errors
    assert error.rule == "mode.ix-app-value"
    assert "values.max_retry_count" in error.message and "at most 5" in error.message
    assert "s3cret" not in str(report.to_dict())
    assert (await manager.validate(retries, "web", mode="compose")).valid


async def test_deploy_lists_each_finding_once(manager: TrueNASDockerManager) -> None:
    sick = STACK.replace(
        "    image: redis:7.4.1\n", "    image: redis:7.4.1\n    sysctls: {a: 1}\n"
    )
    ix = await manager.deploy(sick, "stack", mode="ix-app", split=True, dry_run=True)
    dropped = [f["path"] for f in ix.findings if f["rule"] == "mode.ix-app-dropped"]
    assert dropped.count("services.cache.sysctls") == 1  # validation and conversion both see it


async def test_plan_for_a_stopped_app_does_not_recreate_containers(
    manager: TrueNASDockerManager,
) -> None:
    await manager.deploy(WEB, "web")
    await manager.stop_app("web")
    [plan] = await manager.plan(WEB.replace("1.27.3", "1.27.4"), "web")  # a Plan iterates
    assert plan.action == "update" and not plan.recreates_containers
    updated = await manager.deploy(WEB.replace("1.27.3", "1.27.4"), "web")
    assert updated["web"].app is not None and updated["web"].app.state == AppState.STOPPED


async def test_bad_app_name_fails_inside_the_job_with_field_errors(
    manager: TrueNASDockerManager,
) -> None:
    payload = {"custom_app": True, "app_name": "Bad_Name", "custom_compose_config_string": WEB}
    with pytest.raises(ValidationError) as info:
        await manager.create_app(payload)
    assert any("app_name" in f.attribute for f in info.value.field_errors)


async def test_lifecycle_stop_start_restart_redeploy_delete(manager: TrueNASDockerManager) -> None:
    await manager.deploy(WEB, "web")
    stopped = await manager.stop_app("web")
    assert stopped.app is not None and stopped.app.state == AppState.STOPPED
    started = await manager.start_app("web")
    assert started.app is not None and started.app.state == AppState.RUNNING
    restarted = await manager.restart_app("web")
    assert restarted["web"].action == "restarted" and len(restarted.job_ids) == 2
    assert (await manager.redeploy_app("web")).app is not None
    deleted = await manager.delete_app("web")
    assert deleted["web"].action == "deleted" and deleted.app is None
    with pytest.raises(AppNotFoundError):
        await manager.get_app("web")


async def test_crashing_app_ends_the_wait_with_a_typed_error(
    manager: TrueNASDockerManager,
) -> None:
    crashing = WEB + '    command: ["false"]\n'
    with pytest.raises(JobFailedError) as info:
        await manager.deploy(crashing, "broken", timeout=10)
    assert info.value.state == "CRASHED"


async def test_unhealthy_app_times_out_in_deploying(manager: TrueNASDockerManager) -> None:
    unhealthy = WEB + "    labels: {sandbox.health: unhealthy}\n"
    with pytest.raises(CallTimeoutError, match="DEPLOYING"):
        await manager.deploy(unhealthy, "sick", timeout=0.5)


async def test_logs_tail_of_one_service(manager: TrueNASDockerManager) -> None:
    await manager.deploy(WEB, "web")
    lines = [line async for line in manager.logs("web", tail=5)]
    assert 0 < len(lines) <= 5
    assert {line.service for line in lines} == {"web"}
    with pytest.raises(AppNotFoundError):
        [line async for line in manager.logs("web", "nope")]


async def test_logs_of_a_missing_app_say_the_app_does_not_exist(
    manager: TrueNASDockerManager,
) -> None:
    with pytest.raises(AppNotFoundError, match="'ghost' does not exist"):
        [line async for line in manager.logs("ghost")]


async def test_bulk_stop_and_start_reports_every_app(manager: TrueNASDockerManager) -> None:
    names = [f"bulk-{i}" for i in range(6)]
    for i, name in enumerate(names):
        await manager.deploy(WEB.replace("18080", str(18100 + i)), name, wait=False)
    stopped = await manager.bulk("stop", [*names, "no-such-app"])
    assert [o.app_name for o in stopped.outcomes] == [*names, "no-such-app"]
    assert [o.action for o in stopped.outcomes] == ["stopped"] * 6 + ["failed"]
    assert stopped.outcomes[-1].error is not None
    assert not stopped.ok
    started = await manager.bulk("start", names, concurrency=3)
    assert started.ok and all(o.action == "started" for o in started.outcomes)


async def test_one_login_per_connection(demo: Sandbox) -> None:
    before = demo.metrics
    async with manager_for(demo) as m:
        await m.system_status()
        await m.deploy(WEB, "web")
        await m.stop_app("web")
    after = demo.metrics
    assert after.logins - before.logins == 1
    assert after.connections - before.connections == 1


async def test_drop_mid_deploy_ends_with_exactly_one_app(demo: Sandbox) -> None:
    before = demo.metrics
    async with manager_for(demo) as m:
        demo.drop_mid_job()
        result = await m.deploy(WEB, "dropped", timeout=20)
        assert result["dropped"].action == "created"
        apps = [a.name for a in await m.list_apps()]
    assert apps.count("dropped") == 1
    after = demo.metrics
    assert after.connections - before.connections == 2  # the drop happened; one reconnect
    assert after.logins - before.logins == 2


def test_wrong_api_key_is_an_authentication_error(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)

    async def login() -> None:
        async with TrueNASDockerManager(sb.url, "1-wrong", username=sb.username):
            pass

    with pytest.raises(AuthenticationError) as info:
        asyncio.run(login())
    assert "1-wrong" not in str(info.value)


def test_a_bare_address_tries_the_resolved_candidates_in_order(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = make_sandbox("24.10", "empty", test_methods=False)  # /api/current answers 404

    async def endpoint() -> str | None:
        async with TrueNASDockerManager(
            f"ws://127.0.0.1:{sb.port}", sb.api_key, username=sb.username
        ) as m:
            assert m.settings.urls == (sb.url, sb.legacy_url)
            await m.system_status()
            return m.client.url

    assert asyncio.run(endpoint()) == sb.legacy_url


def test_api_key_over_plain_ws_to_remote_host_is_refused() -> None:
    with pytest.raises(InsecureTransportError):
        TrueNASDockerManager("ws://nas.example/api/current", "1-secretvalue")


def test_official_transport_needs_the_official_client(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)
    try:
        import truenas_api_client  # noqa: F401
    except ImportError:
        with pytest.raises(UnsupportedError, match="truenas_api_client"):
            TrueNASDockerManager(sb.url, sb.api_key, username=sb.username, transport="official")
        return

    async def status() -> int:
        async with TrueNASDockerManager(
            sb.url, sb.api_key, username=sb.username, transport="official"
        ) as m:
            return (await m.system_status()).app_count

    assert asyncio.run(status()) == 0


async def test_a_change_result_names_its_jobs_and_times_in_iso_8601(
    manager: TrueNASDockerManager,
) -> None:
    result = await manager.deploy(WEB, "web")
    data = result.to_dict()
    started = dt.datetime.fromisoformat(data["started_at"])
    finished = dt.datetime.fromisoformat(data["finished_at"])
    assert started.tzinfo is not None and started <= finished
    assert data["seconds"] >= 0 and data["outcomes"][0]["seconds"] >= 0
    (job_id,) = data["job_ids"]
    (job,) = await manager.client.call("core.get_jobs", [["id", "=", job_id]])
    assert job["method"] == "app.create" and data["outcomes"][0]["job_ids"] == [job_id]
    assert result.app is not None and result.app.state == AppState.RUNNING
