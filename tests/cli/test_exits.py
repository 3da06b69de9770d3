"""Each error family maps to its documented exit status."""

from __future__ import annotations

import pytest

from scale_pilot_nb.cli.exits import ExitStatus, UsageError, describe_statuses, exit_status_for
from scale_pilot_nb.errors import (
    ApiError,
    AppNotFoundError,
    AuthenticationError,
    CallTimeoutError,
    ComposeInvalidError,
    ComposeLoadError,
    ConfigError,
    ConnectionError,
    InsecureTransportError,
    JobFailedError,
    RequestOutcomeUnknown,
    TrueNASError,
    ValidationError,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ConnectionError("x"), ExitStatus.CONNECTION),
        (RequestOutcomeUnknown("x", method="app.create", sent=True), ExitStatus.CONNECTION),
        (AuthenticationError("x"), ExitStatus.CONNECTION),
        (InsecureTransportError("x"), ExitStatus.CONNECTION),
        (ConfigError("x"), ExitStatus.CONNECTION),
        (UsageError("x"), ExitStatus.USAGE),
        (ComposeLoadError("x"), ExitStatus.USAGE),
        (ComposeInvalidError("x", report=None), ExitStatus.USAGE),
        (ValidationError("x"), ExitStatus.USAGE),
        (JobFailedError("x"), ExitStatus.ERROR),
        (AppNotFoundError("x"), ExitStatus.ERROR),
        (CallTimeoutError("x"), ExitStatus.ERROR),
        (ApiError("x"), ExitStatus.ERROR),
        (TrueNASError("x"), ExitStatus.ERROR),
    ],
)
def test_exit_status_for(error: TrueNASError, status: ExitStatus) -> None:
    assert exit_status_for(error) is status


def test_statuses_are_the_documented_numbers() -> None:
    assert [int(s) for s in ExitStatus] == [0, 1, 2, 3, 130]
    assert (
        describe_statuses() == "exit status: 0 ok, 1 error, 2 usage, 3 connection, 130 interrupted"
    )
