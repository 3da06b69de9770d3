"""``--wait/--no-wait`` and ``--timeout``: the CLI's side of the one wait model."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scale_pilot_nb.cli.exits import ExitStatus

from .conftest import Result


def test_cli_timeout_names_the_job_that_goes_on(
    nas_env: dict[str, str], cli: Callable[..., Result]
) -> None:
    assert cli("stop", "search").code == ExitStatus.OK  # the demo's never-healthy app
    result = cli("start", "search", "--timeout", "0.5")
    assert result.code == ExitStatus.ERROR
    assert "search: failed: App 'search' did not become RUNNING within 0.5 s" in result.stderr
    assert "(app.start) goes on on the NAS" in result.stderr
    assert "starting (not healthy yet)" in result.stderr


def test_cli_no_wait_returns_when_the_job_ends(
    nas_env: dict[str, str], cli: Callable[..., Result]
) -> None:
    cli("stop", "search")
    result = cli("start", "search", "--no-wait", "--json")
    assert result.code == ExitStatus.OK
    (outcome,) = result.json()["result"]["outcomes"]
    assert outcome["action"] == "started" and outcome["state"] == "DEPLOYING"
    assert len(outcome["job_ids"]) == 1


@pytest.mark.parametrize("bad", ["x", "-1", "nan"])
def test_cli_refuses_a_bad_timeout_before_connecting(bad: str, cli: Callable[..., Result]) -> None:
    result = cli("start", "web", "--timeout", bad)
    assert result.code == ExitStatus.USAGE and "--timeout" in result.stderr
