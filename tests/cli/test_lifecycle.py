"""``start``/``stop``/``restart``/``redeploy`` (several apps at once) and ``delete``."""

from __future__ import annotations

from collections.abc import Callable

from scale_pilot_nb.cli import ExitStatus
from tests.cli.conftest import Result, TerminalInput

Run = Callable[..., Result]


def _states(cli: Run) -> dict[str, str]:
    return {app["name"]: app["state"] for app in cli("list", "--json").json()["apps"]}


def test_stop_and_start_several_apps(nas_env: dict[str, str], cli: Run) -> None:
    stopped = cli("stop", "whoami", "gitea")
    assert stopped.code == ExitStatus.OK
    assert stopped.stdout.splitlines() == ["whoami: stopped (STOPPED)", "gitea: stopped (STOPPED)"]
    assert {k: v for k, v in _states(cli).items() if k in ("whoami", "gitea")} == {
        "whoami": "STOPPED",
        "gitea": "STOPPED",
    }
    started = cli("start", "whoami", "gitea", "--json")
    document = started.json()
    assert (document["command"], document["result"]["ok"]) == ("start", True)
    assert [o["state"] for o in document["result"]["outcomes"]] == ["RUNNING", "RUNNING"]


def test_restart_and_redeploy(nas_env: dict[str, str], cli: Run) -> None:
    assert cli("restart", "whoami").stdout == "whoami: restarted (RUNNING)\n"
    assert cli("redeploy", "whoami").stdout.startswith("whoami: redeployed (")


def test_partly_failed_bulk_is_exit_1(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("stop", "whoami", "ghost", "--json")
    assert result.code == ExitStatus.ERROR
    outcomes = {o["app_name"]: o for o in result.json()["result"]["outcomes"]}
    assert outcomes["whoami"]["ok"] is True
    assert outcomes["ghost"]["error"]["type"] == "AppNotFoundError"
    assert "ghost: failed: App 'ghost' does not exist" in result.stderr


def test_delete_asks_for_the_name(nas_env: dict[str, str], cli: Run) -> None:
    refused = cli("delete", "whoami", stdin=TerminalInput("who\n"))
    assert refused.code == ExitStatus.USAGE
    assert "Type the app name (whoami)" in refused.stderr
    assert "whoami" in _states(cli)
    deleted = cli("delete", "whoami", stdin=TerminalInput("whoami\n"))
    assert (deleted.code, deleted.stdout) == (0, "whoami: deleted\n")
    assert "whoami" not in _states(cli)


def test_delete_without_terminal_needs_yes(nas_env: dict[str, str], cli: Run) -> None:
    refused = cli("delete", "gitea")
    assert refused.code == ExitStatus.USAGE
    assert "--yes" in refused.stderr
    assert "gitea" in _states(cli)
    done = cli("delete", "gitea", "--yes", "--remove-volumes", "--remove-images", "--json")
    assert done.json()["result"]["outcomes"][0]["action"] == "deleted"
    assert "gitea" not in _states(cli)


def test_delete_missing_app_is_exit_1(nas_env: dict[str, str], cli: Run) -> None:
    assert cli("delete", "ghost", "--yes").code == ExitStatus.ERROR


def test_sandbox_option_runs_on_a_fresh_demo_nas(workdir: object, cli: Run) -> None:
    result = cli("list", "--sandbox", "--json")
    assert result.code == ExitStatus.OK
    assert "whoami" in {app["name"] for app in result.json()["apps"]}


def test_an_app_left_crashed_is_exit_1(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("start", "nightly-report")  # the demo's nightly job crashes on start
    assert result.code == ExitStatus.ERROR
    assert result.stdout == ""
    assert "nightly-report: failed: App 'nightly-report' crashed" in result.stderr
    assert "logs" in result.stderr
    # without waiting the job's success is reported, and the state tells the crash
    result = cli("start", "nightly-report", "--no-wait")
    assert result.code == ExitStatus.ERROR
    assert result.stdout == "nightly-report: started (CRASHED)\n"
    assert "scale-compose logs nightly-report" in result.stderr
