"""AIHelper: the seed's dict interface, verbatim, against the sandbox; never raises or leaks."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from scale_pilot_nb import AIHelper
from scale_pilot_nb.sandbox import Sandbox

COMPOSE = """
services:
  web:
    image: nginx:1.27.3
    ports: ["18082:80"]
    healthcheck: {test: ["CMD", "true"]}
"""


@pytest.fixture
def env_sandbox(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("TRUENAS_URL", sandbox.url)
    monkeypatch.setenv("TRUENAS_API_KEY", sandbox.api_key)
    monkeypatch.setenv("TRUENAS_USERNAME", sandbox.username)
    return sandbox


async def test_seed_usage_verbatim(env_sandbox: Sandbox) -> None:
    compose_yaml, yaml_content = COMPOSE, COMPOSE
    async with AIHelper() as helper:
        status = await helper.get_system_status()
        assert status["connected"] is True and status["error"] is None
        assert status["app_count"] >= status["running_apps"] > 0
        if status["connected"]:
            result = await helper.simple_deploy(compose_yaml, "app-name")
    assert result["success"] is True and result["action"] == "created"
    assert "app-name" in result["message"]
    validation = helper.validate_compose(yaml_content)
    assert validation["valid"] is True


async def test_redeploy_is_unchanged_and_operations_report_state(env_sandbox: Sandbox) -> None:
    async with AIHelper() as helper:
        assert (await helper.simple_deploy(COMPOSE, "web"))["action"] == "created"
        assert (await helper.simple_deploy(COMPOSE, "web"))["action"] == "unchanged"
        stopped = await helper.app_operations("stop", "web")
        assert stopped == {
            "success": True,
            "message": "App 'web' stopped",
            "action": "stopped",
            "app_name": "web",
            "state": "STOPPED",
        }
        assert (await helper.app_operations("delete", "web"))["action"] == "deleted"
        missing = await helper.app_operations("start", "web")
        assert missing["success"] is False and missing["step"] == "deploy"
        unknown = await helper.app_operations("explode", "web")
        assert unknown["success"] is False and unknown["step"] == "validation"
        listed = await helper.app_operations(["restart"], "web")  # type: ignore[arg-type]
        assert listed["success"] is False and listed["step"] == "validation"


async def test_errors_are_dicts_with_the_failing_step(env_sandbox: Sandbox) -> None:
    async with AIHelper() as helper:
        invalid = await helper.simple_deploy("services: {web: {ports: ['80:80']}}", "web")
        assert invalid["success"] is False and invalid["step"] == "validation"
        assert invalid["validation"]["valid"] is False
        crashed = await helper.simple_deploy(COMPOSE + '    command: ["false"]\n', "boom")
        assert crashed["success"] is False and crashed["step"] == "wait"


async def test_unreachable_nas_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUENAS_URL", "ws://127.0.0.1:9/api/current")
    monkeypatch.setenv("TRUENAS_API_KEY", "1-doesnotmatter")
    async with AIHelper() as helper:
        status = await helper.get_system_status()
        assert status["connected"] is False and status["error"]
        result = await helper.simple_deploy(COMPOSE, "web")
        assert result["success"] is False and result["step"] == "connection"


async def test_bad_key_is_an_authentication_step_and_never_leaks(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)
    secret = "7-thisisaverysecretkeyvalue"
    async with AIHelper(sb.url, secret, username=sb.username) as helper:
        status = await helper.get_system_status()
        result = await helper.simple_deploy(COMPOSE, "web")
    assert status["connected"] is False
    assert result["step"] == "authentication"
    for output in (status, result, repr(helper)):
        assert secret not in json.dumps(output, default=str)
        assert "thisisaverysecretkeyvalue" not in json.dumps(output, default=str)


async def test_every_output_of_a_session_is_free_of_the_key(env_sandbox: Sandbox) -> None:
    outputs: list[object] = []
    async with AIHelper() as helper:
        outputs.append(await helper.get_system_status())
        outputs.append(await helper.simple_deploy(COMPOSE, "web"))
        outputs.append(await helper.app_operations("restart", "web"))
        outputs.append(helper.validate_compose(COMPOSE))
        outputs.append(repr(helper))
    text = json.dumps(outputs, default=str)
    secret_part = env_sandbox.api_key.split("-", 1)[1]
    assert secret_part not in text and env_sandbox.password not in text


async def test_sandbox_mode_needs_no_configuration() -> None:
    async with AIHelper(sandbox=True) as helper:
        status = await helper.get_system_status()
    assert status["connected"] is True and status["app_count"] > 0
