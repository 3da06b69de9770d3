"""Jobs on the wire: legacy and new-style, failures, abort, core.get_jobs, core.bulk."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sandbox_frames import Frame, Raw, is_response, job_events

from scale_pilot_nb.sandbox import Sandbox

MakeSandbox = Callable[..., Sandbox]


async def logged_in(sb: Sandbox, *, legacy_jobs: bool, subscribe: bool = True) -> Raw:
    raw = await Raw.open(sb.url)
    await raw.result("core.set_options", {"legacy_jobs": legacy_jobs})
    await raw.login(sb.api_key)
    if subscribe:
        await raw.result("core.subscribe", "core.get_jobs")
    return raw


def terminal(event: Frame) -> bool:
    return event.get("msg") == "changed" and event["fields"]["state"] in (
        "SUCCESS",
        "FAILED",
        "ABORTED",
    )


def is_terminal_frame(frame: Frame) -> bool:
    return frame.get("method") == "collection_update" and terminal(frame["params"])


async def test_legacy_job_answers_id_then_events(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=True)
    call_id, frame = raw.request("test.job")
    await raw.send(frame)
    frames = await raw.until(is_terminal_frame)
    assert is_response(frames[0]) and frames[0]["id"] == call_id
    job_id = frames[0]["result"]
    events = job_events(frames, job_id)
    states = [(e["msg"], e["fields"]["state"], e["fields"]["progress"]["percent"]) for e in events]
    assert states == [
        ("added", "WAITING", 0),
        ("changed", "RUNNING", 0),
        ("changed", "RUNNING", 50),
        ("changed", "SUCCESS", 100),
    ]
    final = events[-1]["fields"]
    assert final["result"] == {"done": True}
    assert final["progress"]["description"] == ""
    assert events[2]["fields"]["progress"]["description"] == "half way"
    assert final["time_finished"]["$date"] % 1000 == 0
    assert final["time_started"]["$date"] % 1000 == 0
    assert final["credentials"] == {"type": "API_KEY", "data": {"username": sb.username}}
    assert final["message_ids"] == [call_id]


async def test_new_style_job_events_carry_message_ids_before_response(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=False)
    call_id, frame = raw.request("test.job")
    await raw.send(frame)
    frames = await raw.until(lambda f: is_response(f) and f.get("id") == call_id)
    events = job_events(frames)
    assert events[0]["msg"] == "added"
    assert events[0]["fields"]["message_ids"] == [call_id]
    assert terminal(events[-1]) and events[-1]["fields"]["state"] == "SUCCESS"
    assert frames[-1]["result"] == {"done": True}


async def test_new_style_job_without_subscription_still_answers(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=False, subscribe=False)
    assert await raw.result("test.job") == {"done": True}
    assert raw.inbox == []  # no events without a subscription


async def test_2504_ignores_legacy_jobs_false(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.04")
    raw = await logged_in(sb, legacy_jobs=False)
    job_id = await raw.result("test.job")
    assert isinstance(job_id, int)
    events = job_events(await raw.until(is_terminal_frame), job_id)
    assert "message_ids" not in events[0]["fields"]  # 25.04 jobs have no message_ids


async def test_failed_job_exc_info_and_new_style_error(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=False)
    call_id, frame = raw.request("test.job_fail")
    await raw.send(frame)
    frames = await raw.until(lambda f: is_response(f) and f.get("id") == call_id)
    final = job_events(frames)[-1]["fields"]
    assert final["state"] == "FAILED"
    assert final["error"] == "[EFAULT] boom"
    assert final["exc_info"] == {
        "repr": "CallError('boom')",
        "type": "CallError",
        "errno": 14,
        "extra": None,
    }
    assert "CallError: [EFAULT] boom" in final["exception"]
    error = frames[-1]["error"]
    assert error["code"] == -32001 and error["data"]["reason"] == "[EFAULT] boom"


async def test_validation_inside_job_is_type_validation(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=True)
    job_id = await raw.result("test.job_validation")
    final = job_events(await raw.until(is_terminal_frame), job_id)[-1]["fields"]
    assert final["state"] == "FAILED"
    assert final["exc_info"]["type"] == "VALIDATION"
    assert final["exc_info"]["errno"] == 22
    assert final["exc_info"]["extra"] == [["app_create.app_name", "Invalid name", 22]]
    assert final["error"] == "[EINVAL] app_create.app_name: Invalid name\n"


async def test_new_style_validation_inside_job_answers_32602(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=False, subscribe=False)
    error = (await raw.call("test.job_validation"))["error"]
    assert error["code"] == -32602
    assert error["data"]["extra"] == [["app_create.app_name", "Invalid name", 22]]


async def test_job_abort(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=True)
    job_id = await raw.result("test.job_forever")
    await raw.until(lambda f: job_events([f], job_id) != [] and "RUNNING" in str(f))
    assert await raw.result("core.job_abort", job_id) is None
    final = job_events(await raw.until(is_terminal_frame), job_id)[-1]["fields"]
    assert final["state"] == "ABORTED"
    assert (final["error"], final["exception"], final["exc_info"]) == (None, None, None)


async def test_get_jobs_query(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=False, subscribe=False)
    await raw.result("test.job")
    await raw.call("test.job_fail")
    jobs = await raw.result("core.get_jobs")
    assert [j["state"] for j in jobs] == ["SUCCESS", "FAILED"]
    failed = await raw.result("core.get_jobs", [["state", "=", "FAILED"]], {"get": True})
    assert failed["method"] == "test.job_fail"
    assert await raw.result("core.get_jobs", [], {"count": True}) == 2
    selected = await raw.result("core.get_jobs", [], {"select": ["id"], "order_by": ["-id"]})
    assert selected == [{"id": jobs[1]["id"]}, {"id": jobs[0]["id"]}]


async def test_bulk_reports_each_call(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10")
    raw = await logged_in(sb, legacy_jobs=False, subscribe=False)
    result = await raw.result("core.bulk", "test.echo", [[1], [2, 3]])
    assert result == [
        {"job_id": None, "result": [1], "error": None},
        {"job_id": None, "result": [2, 3], "error": None},
    ]
    mixed = await raw.result("core.bulk", "test.job_fail", [[], []])
    assert [entry["error"] for entry in mixed] == ["[EFAULT] boom", "[EFAULT] boom"]
    assert all(isinstance(entry["job_id"], int) for entry in mixed)


@pytest.mark.parametrize("version", ["24.10", "25.04"])
async def test_job_events_on_legacy_endpoint(make_sandbox: MakeSandbox, version: str) -> None:
    sb = make_sandbox(version)
    raw = await Raw.open(sb.legacy_url)
    await raw.login(sb.api_key)
    await raw.send({"msg": "sub", "id": "jobs", "name": "core.get_jobs"})
    assert await raw.next() == {"msg": "ready", "subs": ["jobs"]}
    job_id = await raw.result("test.job")
    frames = await raw.until(lambda f: f.get("msg") == "changed" and terminal(f))
    assert [f["msg"] for f in frames] == ["added", "changed", "changed", "changed"]
    assert all(f["id"] == job_id and f["collection"] == "core.get_jobs" for f in frames)
