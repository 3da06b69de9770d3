"""Tests for scale_pilot_nb.records.job: job objects of core.get_jobs and their events."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from scale_pilot_nb.errors import FieldError, TrueNASError
from scale_pilot_nb.records import Job, JobProgress, JobState

from .entries import job_25_10

STARTED = dt.datetime(2025, 6, 15, 15, 6, 40, tzinfo=dt.UTC)  # {"$date": 1750000000000}


def test_reference_job_object_25_10() -> None:
    job = Job.from_api(job_25_10())
    assert job.id == 100
    assert job.method == "pool.dataset.lock"
    assert job.arguments == ("tank/enc",)
    assert job.state is JobState.WAITING
    assert job.progress == JobProgress(0, "", None)
    assert job.message_ids == ("0c19ac8d-ef84-4bb7-b19b-91de5fbe3276",)
    assert job.time_started == STARTED
    assert job.time_finished is None and job.duration is None
    assert not job.finished and not job.succeeded
    assert (job.error, job.error_type, job.errno, job.field_errors) == (None, None, None, ())


def test_25_04_job_without_message_ids_and_with_decoded_datetimes() -> None:
    entry = job_25_10()
    del entry["message_ids"]
    entry.update(
        method="app.create",
        state="SUCCESS",
        progress={"percent": 100, "description": "'web' installed successfully", "extra": None},
        result={"name": "web", "state": "RUNNING"},
        time_started=STARTED,  # the rpc layer already decoded {"$date": ...}
        time_finished={"$date": 1750000012500},
    )
    job = Job.from_api(entry)
    assert job.message_ids == ()
    assert job.time_started == STARTED
    assert job.duration == dt.timedelta(seconds=12.5)
    assert job.finished and job.succeeded
    assert job.result == {"name": "web", "state": "RUNNING"}
    assert job.progress.description == "'web' installed successfully"


def test_validation_failure_carries_field_errors() -> None:
    message = "String should match pattern '^[a-z]([-a-z0-9]*[a-z0-9])?$'"
    entry = job_25_10()
    entry.update(
        method="app.create",
        state="FAILED",
        error=f"[EINVAL] app_create.app_name: {message}\n",
        exception="Traceback (most recent call last):\n  ...",
        exc_info={
            "repr": "ValidationErrors(...)",
            "type": "VALIDATION",
            "errno": None,
            "extra": [["app_create.app_name", message, 22]],
        },
    )
    job = Job.from_api(entry)
    assert job.finished and not job.succeeded
    assert job.error_type == "VALIDATION"
    assert job.errno is None
    assert job.field_errors == (FieldError("app_create.app_name", message, 22),)
    assert job.traceback is not None and job.traceback.startswith("Traceback")


def test_call_error_failure_keeps_errno_and_no_field_errors() -> None:
    entry = job_25_10()
    entry.update(
        method="app.create",
        state="FAILED",
        error="[EEXIST] Application with name foo already exists",
        exc_info={"repr": "CallError(...)", "type": "CallError", "errno": 17, "extra": None},
    )
    job = Job.from_api(entry)
    assert (job.error_type, job.errno, job.field_errors) == ("CallError", 17, ())
    assert repr(job) == (
        "Job(100, 'app.create', FAILED, error='[EEXIST] Application with name foo already exists')"
    )


def test_aborted_job_has_no_exc_info() -> None:
    entry = job_25_10()
    entry.update(state="ABORTED", abortable=True)
    job = Job.from_api(entry)
    assert job.state is JobState.ABORTED
    assert job.finished and not job.succeeded
    assert job.abortable
    assert job.error is None and job.error_type is None


def test_malformed_validation_extra_items_are_skipped() -> None:
    entry = job_25_10()
    entry.update(
        state="FAILED",
        exc_info={
            "type": "VALIDATION",
            "extra": [["only-attribute"], "junk", [None, "whole call"]],
        },
    )
    assert Job.from_api(entry).field_errors == (FieldError("ALL", "whole call", None),)


@pytest.mark.parametrize(
    ("state", "expected"), [("UNKNOWN", JobState.UNKNOWN), (None, JobState.UNKNOWN)]
)
def test_unknown_or_missing_state(state: str | None, expected: JobState) -> None:
    entry = job_25_10()
    entry["state"] = state
    assert Job.from_api(entry).state is expected


def test_running_job_repr_shows_progress() -> None:
    entry = job_25_10()
    entry.update(
        method="app.create",
        state="RUNNING",
        progress={"percent": 60, "description": "pulling images", "extra": None},
    )
    job = Job.from_api(entry)
    assert repr(job) == "Job(100, 'app.create', RUNNING, 60%)"
    assert repr(job.progress) == "JobProgress(60%, 'pulling images')"
    entry["progress"] = {"percent": None, "description": "", "extra": None}
    assert Job.from_api(entry).progress.percent is None


def test_to_dict_is_plain_json() -> None:
    data = Job.from_api(job_25_10()).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["state"] == "WAITING"
    assert data["time_started"] == "2025-06-15T15:06:40+00:00"
    assert data["progress"] == {"percent": 0.0, "description": "", "extra": None}


@pytest.mark.parametrize("entry", [None, {"state": "RUNNING"}, {"id": "abc"}])
def test_malformed_jobs_raise_a_typed_error(entry: object) -> None:
    with pytest.raises(TrueNASError):
        Job.from_api(entry)  # type: ignore[arg-type]
