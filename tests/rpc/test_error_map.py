"""Middleware errors become the project's exceptions, keeping everything the NAS said."""

from __future__ import annotations

import pytest

from scale_pilot_nb.errors import (
    ApiError,
    AuthenticationError,
    FieldError,
    JobFailedError,
    RateLimitedError,
    UnsupportedError,
    ValidationError,
)
from scale_pilot_nb.rpc.error_map import (
    call_error,
    errname_for,
    field_errors,
    job_error,
    login_error,
    login_refused,
)
from scale_pilot_nb.rpc.events import ErrorInfo, RpcError
from scale_pilot_nb.rpc.protocol import JsonRpcProtocol, LegacyProtocol

from .captures import server_frames


def _captured_errors(capture: str, legacy: bool = False) -> list[ErrorInfo]:
    protocol = LegacyProtocol() if legacy else JsonRpcProtocol()
    return [
        e.error
        for f in server_frames(capture)
        for e in protocol.feed(f.text)
        if isinstance(e, RpcError)
    ]


def test_jsonrpc_validation_error_keeps_field_errors() -> None:
    info = next(i for i in _captured_errors("cap-2510") if i.code == -32602)
    error = call_error(info, method="test.validation")
    assert type(error) is ValidationError
    assert error.field_errors == [FieldError("test.validation.name", "Field required", 22)]
    assert (error.errno, error.errname, error.trace_class) == (22, "EINVAL", "ValidationErrors")
    assert error.reason == "[EINVAL] test.validation.name: Field required\n"
    assert "test.validation.name: Field required" in str(error)


def test_legacy_validation_error_is_a_validation_error_too() -> None:
    info = next(i for i in _captured_errors("cap-2410", legacy=True) if i.validation)
    error = call_error(info, method="test.validation")
    assert type(error) is ValidationError
    assert error.field_errors == [FieldError("test.name", "Field required", 22)]
    assert error.errno == 11


def test_call_error_keeps_errno_reason_and_trace_class() -> None:
    info = next(i for i in _captured_errors("cap-2510") if i.errno == 2)
    error = call_error(info, method="test.callerror", job_id=7)
    assert type(error) is ApiError
    assert (error.errno, error.errname, error.reason) == (2, "ENOENT", "[ENOENT] thing not found")
    assert error.trace_class == "CallError"
    assert error.job_id == 7
    assert error.message == "test.callerror: [ENOENT] thing not found"
    assert error.hint  # ENOENT gets advice


def test_not_authenticated_is_an_authentication_error() -> None:
    info = next(i for i in _captured_errors("cap-2510") if i.errno == 207)
    error = call_error(info, method="core.subscribe")
    assert type(error) is AuthenticationError
    assert error.errname == "ENOTAUTHENTICATED"


@pytest.mark.parametrize(
    "info",
    [
        ErrorInfo("Method does not exist", code=-32601),
        ErrorInfo(
            "[ENOMETHOD] Method 'x' not found", errno=201, reason="[ENOMETHOD] Method 'x' not found"
        ),
    ],
)
def test_missing_methods_are_unsupported(info: ErrorInfo) -> None:
    error = call_error(info, method="docker.backup")
    assert type(error) is UnsupportedError
    assert "docker.backup" in error.message


def test_rate_limit_is_typed() -> None:
    info = ErrorInfo(
        "Method call error",
        code=-32001,
        errno=16,
        errname="EBUSY",
        reason="[EBUSY] Rate Limit Exceeded",
    )
    error = call_error(info, method="auth.login_ex")
    assert isinstance(error, RateLimitedError)
    assert error.errno == 16 and "60 s" in (error.hint or "")


def test_a_plain_ebusy_is_not_a_rate_limit() -> None:
    info = ErrorInfo("busy", errno=16, reason="[EBUSY] pool is busy")
    assert type(call_error(info, method="pool.scrub")) is ApiError


def test_too_many_concurrent_calls_has_a_hint() -> None:
    info = ErrorInfo("Maximum number of concurrent calls (20) has exceeded", code=-32000)
    error = call_error(info, method="app.query")
    assert type(error) is ApiError and "concurrency" in (error.hint or "")


def _failed_job(**changes: object) -> dict[str, object]:
    job: dict[str, object] = {
        "id": 101,
        "method": "app.create",
        "state": "FAILED",
        "progress": {"percent": 35, "description": "Setting up App directory", "extra": None},
        "error": "[EFAULT] boom",
        "exc_info": {"repr": "CallError('boom')", "type": "CallError", "errno": 14, "extra": None},
    }
    job.update(changes)
    return job


def test_failed_job_is_job_failed_error_with_job_id_and_progress() -> None:
    error = job_error(_failed_job())
    assert type(error) is JobFailedError
    assert (error.job_id, error.state, error.errno, error.errname) == (101, "FAILED", 14, "EFAULT")
    assert error.progress_description == "Setting up App directory"
    assert error.trace_class == "CallError"
    assert error.reason == "[EFAULT] boom"
    assert error.message == "app.create (job 101) failed: [EFAULT] boom"


def test_validation_inside_a_job_is_a_validation_error_with_job_id() -> None:
    exc_info = {
        "repr": "ValidationErrors(...)",
        "type": "VALIDATION",
        "errno": None,
        "extra": [["app_create.app_name", "Invalid name", 22], ["app_create.values", "bad", 22]],
    }
    error = job_error(_failed_job(exc_info=exc_info, error="[EINVAL] app_create.app_name: ..."))
    assert type(error) is ValidationError
    assert error.job_id == 101
    assert [f.attribute for f in error.field_errors] == [
        "app_create.app_name",
        "app_create.values",
    ]


def test_aborted_job() -> None:
    error = job_error(_failed_job(state="ABORTED", error=None, exc_info=None))
    assert type(error) is JobFailedError
    assert error.state == "ABORTED" and "aborted" in error.message


def test_field_errors_skip_malformed_items_and_name_whole_object_errors() -> None:
    assert field_errors(None) == []
    assert field_errors({"a": 1}) == []
    assert field_errors([["", "whole object", 22], "junk", ["x"], ("y", "msg")]) == [
        FieldError("ALL", "whole object", 22),
        FieldError("y", "msg", None),
    ]


def test_errnames_include_truenas_specific_ones() -> None:
    assert errname_for(207) == "ENOTAUTHENTICATED"
    assert errname_for(2) == "ENOENT"
    assert errname_for(None) is None


@pytest.mark.parametrize(
    ("response_type", "words"),
    [
        ("AUTH_ERR", "rejected"),
        ("EXPIRED", "revoked"),
        ("OTP_REQUIRED", "one-time password"),
        (None, "failed"),
    ],
)
def test_login_refusals_say_which_mechanism_and_why(response_type: str | None, words: str) -> None:
    error = login_refused("API_KEY_PLAIN via auth.login_ex", response_type)
    assert type(error) is AuthenticationError
    assert error.mechanism == "API_KEY_PLAIN via auth.login_ex"
    assert "API_KEY_PLAIN" in error.message and words in error.message


def test_login_error_keeps_rate_limit_typed() -> None:
    limited = call_error(
        ErrorInfo("x", errno=16, reason="[EBUSY] Rate Limit Exceeded"), method="auth.login"
    )
    error = login_error("auth.login", limited)
    assert isinstance(error, RateLimitedError) and error.mechanism == "auth.login"
