"""records.outcome: what an operation did to each app, and whether the whole run succeeded."""

from __future__ import annotations

import json

import pytest

from scale_pilot_nb.compose.plan import DeployPlan
from scale_pilot_nb.records import App
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult
from tests.records.entries import jellyfin


def test_a_failed_app_makes_the_operation_fail_and_is_listed() -> None:
    running = AppOutcome("jellyfin", "started", App.from_api(jellyfin("25.10")))
    failed = AppOutcome("ghost", "failed", error={"type": "AppNotFoundError", "message": "gone"})
    result = OperationResult("start", (running, failed))
    assert (running.ok, failed.ok, result.ok) == (True, False, False)
    assert result.failed == [failed]
    assert OperationResult("start", (running,)).ok is True
    assert result["ghost"] is failed
    with pytest.raises(KeyError):
        result["nobody"]


def test_to_dict_is_plain_json_with_states_plans_and_findings() -> None:
    plan = DeployPlan("web", "create", "compose", None, services_added=["web"])
    result = OperationResult(
        "deploy",
        (AppOutcome("web", "planned"), AppOutcome("db", "failed", error={"message": "x"})),
        plans={"web": plan},
        findings=({"rule": "truenas.latest-tag"},),
    )
    document = json.loads(json.dumps(result.to_dict()))
    assert document["ok"] is False
    assert document["outcomes"][0] == {
        "app_name": "web",
        "action": "planned",
        "ok": True,
        "state": None,
        "error": None,
        "job_ids": [],
        "seconds": None,
    }
    assert document["outcomes"][1]["error"] == {"message": "x"}
    assert document["started_at"] is None and document["job_ids"] == []
    assert document["plans"]["web"]["action"] == "create"
    assert document["findings"] == [{"rule": "truenas.latest-tag"}]


def test_reprs_name_each_app_and_what_happened() -> None:
    started = AppOutcome("jellyfin", "started", App.from_api(jellyfin("25.10")))
    failed = AppOutcome("ghost", "failed", error={"message": "gone"})
    assert repr(started) == "<AppOutcome 'jellyfin' started state=RUNNING>"
    assert repr(failed) == "<AppOutcome 'ghost' failed error='gone'>"
    assert repr(OperationResult("start", (started, failed))) == (
        "<OperationResult start ok=False [jellyfin:started, ghost:failed]>"
    )
