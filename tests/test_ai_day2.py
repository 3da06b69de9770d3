"""AIHelper's day-2 dicts: updates, history, rollback, and crash details; never raises."""

from __future__ import annotations

import datetime as dt

import pytest

from scale_pilot_nb import AIHelper
from scale_pilot_nb.sandbox import Sandbox

V1 = """
services:
  web:
    image: nginx:1.27.3
    ports: ["18083:80"]
    environment:
      API_TOKEN: t0ken-value
      COLOR: blue
"""


@pytest.fixture
def env_sandbox(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setenv("TRUENAS_URL", sandbox.url)
    monkeypatch.setenv("TRUENAS_API_KEY", sandbox.api_key)
    monkeypatch.setenv("TRUENAS_USERNAME", sandbox.username)
    return sandbox


async def test_history_and_rollback_asks_for_missing_secrets(env_sandbox: Sandbox) -> None:
    async with AIHelper() as helper:
        assert (await helper.simple_deploy(V1, "web"))["action"] == "created"
        assert (await helper.simple_deploy(V1.replace("blue", "red"), "web"))["success"]
        history = await helper.history("web")
        assert history["success"] and [r["action"] for r in history["revisions"]] == [
            "create",
            "update",
        ]
        assert history["revisions"][1]["redacted"] == ["web.API_TOKEN"]
        recorded = [dt.datetime.fromisoformat(r["recorded_at"]) for r in history["revisions"]]
        assert all(moment.utcoffset() == dt.timedelta(0) for moment in recorded)
        assert "t0ken-value" not in str(history)

        refused = await helper.rollback("web")
        assert refused["success"] is False and refused["step"] == "rollback"
        assert refused["missing"] == ["web.API_TOKEN"]

        done = await helper.rollback("web", secrets={"API_TOKEN": "t0ken-value"})
        assert done["success"] and done["state"] == "RUNNING"
        assert (await helper.history("web"))["revisions"][-1]["action"] == "rollback"


async def test_updates_and_crash_details(env_sandbox: Sandbox) -> None:
    async with AIHelper(wait_timeout=30) as helper:
        updates = await helper.updates()
        assert updates["success"] and updates["count"] == len(updates["updates"]) > 0
        assert {"whoami", "jellyfin"} <= {u["app"] for u in updates["updates"]}
        crashed = await helper.simple_deploy(
            "services:\n  job:\n    image: busybox:1.37\n"
            "    command: ['sh', '-c', 'echo TOKEN is not set; exit 1']\n",
            "job",
        )
    assert crashed["success"] is False and crashed["step"] == "wait"
    assert crashed["failing_service"] == "job"
    assert crashed["log_tail"] == ["TOKEN is not set"]  # what the command printed, no more


async def test_day2_methods_without_a_connection() -> None:
    helper = AIHelper()
    for result in (await helper.updates(), await helper.history("x"), await helper.rollback("x")):
        assert result["success"] is False and result["step"] == "connection"
