"""The NAS model behind the real server: raw frames over 127.0.0.1 sockets."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sandbox_frames import Frame, Raw, job_events

from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

MakeSandbox = Callable[..., Sandbox]
WHOAMI = 'services:\n  whoami:\n    image: traefik/whoami:v1.10\n    ports: ["31080:80"]\n'


def custom(name: str) -> dict[str, Any]:
    return {"custom_app": True, "app_name": name, "custom_compose_config_string": WHOAMI}


def collection(frame: Frame) -> Frame | None:
    """Event params of either dialect (``None`` for responses)."""
    if frame.get("method") == "collection_update":
        params: Frame = frame["params"]
        return params
    if frame.get("msg") in ("added", "changed", "removed"):
        return frame
    return None


def finished(job_id: int) -> Callable[[Frame], bool]:
    def done(frame: Frame) -> bool:
        event = collection(frame)
        return bool(
            event
            and event.get("collection") == "core.get_jobs"
            and event.get("id") == job_id
            and event["msg"] == "changed"
            and event["fields"]["state"] in ("SUCCESS", "FAILED", "ABORTED")
        )

    return done


async def subscribe(raw: Raw, name: str) -> None:
    if raw.legacy:
        await raw.send({"msg": "sub", "id": f"sub-{name}", "name": name})
        await raw.until(lambda f: f.get("msg") == "ready")
    else:
        await raw.result("core.subscribe", name)


async def run_job(raw: Raw, method: str, *params: Any) -> tuple[Frame, list[Frame]]:
    """Call a job method (legacy jobs); its final job fields and every frame seen meanwhile."""
    job_id = await raw.result(method, *params)
    assert isinstance(job_id, int)
    frames = await raw.until(finished(job_id))
    return job_events(frames, job_id)[-1]["fields"], frames


def app_events(frames: list[Frame], app: str) -> list[Frame]:
    events = [collection(f) for f in frames]
    return [e for e in events if e and e.get("collection") == "app.query" and e.get("id") == app]


async def test_create_over_json_rpc_reports_job_and_app_events(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    await subscribe(raw, "core.get_jobs")
    await subscribe(raw, "app.query")
    job, frames = await run_job(raw, "app.create", custom("whoami"))
    assert job["state"] == "SUCCESS", job
    assert job["result"]["name"] == "whoami" and job["result"]["state"] == "RUNNING"
    descriptions = [e["fields"]["progress"]["description"] for e in job_events(frames)]
    assert "'whoami' installed successfully" in descriptions
    added = app_events(frames + raw.inbox, "whoami")
    assert added[0]["msg"] == "added" and added[0]["fields"]["custom_app"] is True
    apps = await raw.result("app.query", [["name", "=", "whoami"]], {"select": ["state"]})
    assert apps == [{"state": "RUNNING"}]
    await raw.close()


async def test_invalid_name_fails_inside_the_job_not_the_call(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    await subscribe(raw, "core.get_jobs")
    job, _ = await run_job(raw, "app.create", custom("Bad_Name"))
    assert job["state"] == "FAILED"
    assert job["exc_info"]["type"] == "VALIDATION"
    assert job["exc_info"]["extra"][0][0] == "app_create.app_name"
    await raw.close()


async def test_legacy_24_10_name_taken_and_stop_events(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10", "demo", test_methods=False)
    raw = await Raw.open(sb.legacy_url)
    await raw.login(sb.api_key)
    await subscribe(raw, "core.get_jobs")
    await subscribe(raw, "app.query")
    job, _ = await run_job(raw, "app.create", custom("photos"))
    assert job["state"] == "FAILED"
    assert job["error"] == "[EEXIST] Application with name photos already exists"
    job, frames = await run_job(raw, "app.stop", "photos")
    assert job["state"] == "SUCCESS"
    states = [e["fields"]["state"] for e in app_events(frames + raw.inbox, "photos")]
    assert states[:2] == ["STOPPING", "STOPPED"]
    entry = await raw.result("app.get_instance", "photos")
    assert entry["state"] == "STOPPED" and "networks" not in entry["active_workloads"]
    await raw.close()


async def test_missing_app_error_and_version_gated_methods(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10", "demo", test_methods=False)
    raw = await Raw.open(sb.legacy_url)
    await raw.login(sb.api_key)
    error = (await raw.call("app.config", "ghost"))["error"]
    assert "App ghost does not exist" in error["reason"]
    missing = await raw.call("docker.list_backups")
    assert "error" in missing
    await raw.close()


async def test_stats_subscription_delivers_lists(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10", "demo", test_methods=False, timing=Timing(stats_scale=0.001))
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    name = "app.stats:" + json.dumps({"interval": 2})
    await subscribe(raw, name)
    frames = await raw.until(lambda f: (collection(f) or {}).get("collection") == name)
    event = collection(frames[-1])
    assert event is not None and isinstance(event["fields"], list)
    assert {s["app_name"] for s in event["fields"]} == set(sb.model.apps)
    await raw.close()
