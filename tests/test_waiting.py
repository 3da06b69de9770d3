"""The one wait model and its progress: defaults, the CLI's options, bars that keep their end."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.manager.waiting import DEFAULT_TIMEOUT
from scale_pilot_nb.notebook.widgets.progress import ProgressBar
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def pilot(sandbox: Sandbox) -> Iterator[Pilot]:
    with Pilot(TrueNASDockerManager(sandbox.url, sandbox.api_key, history=False)) as pilot:
        yield pilot


def test_progress_defaults_to_a_bar_on_a_terminal_and_to_silence_elsewhere(
    pilot: Pilot, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    pilot.stop("whoami")
    lines = terminal.getvalue().splitlines()
    assert lines[0] == "stop whoami" and lines[-1] == "  done"
    assert "100% whoami: STOPPED" in lines[-2]

    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    pilot.start("whoami")
    assert piped.getvalue() == ""  # not a terminal: nothing unless asked (progress=True)


def test_one_default_timeout_for_every_change() -> None:
    import inspect

    from scale_pilot_nb.manager.day2 import DayTwoOperations

    changes = [
        TrueNASDockerManager.deploy,
        TrueNASDockerManager.start_app,
        TrueNASDockerManager.stop_app,
        TrueNASDockerManager.restart_app,
        TrueNASDockerManager.redeploy_app,
        TrueNASDockerManager.delete_app,
        TrueNASDockerManager.wait_for_state,
        DayTwoOperations.rollback,
        DayTwoOperations.upgrade,
        DayTwoOperations.update_images,
        DayTwoOperations.import_,
        DayTwoOperations.restore_backup,
        Pilot.deploy,
        Pilot.start,
        Pilot.stop,
        Pilot.restart,
        Pilot.redeploy,
        Pilot.rollback,
        Pilot.upgrade,
        Pilot.update_images,
        Pilot.import_,
        Pilot.restore,
    ]
    for change in changes:
        parameters = inspect.signature(change).parameters
        assert parameters["timeout"].default == DEFAULT_TIMEOUT, change.__qualname__
        if change.__name__ != "delete_app" and "wait_for_state" not in change.__name__:
            assert parameters["wait"].default is True, change.__qualname__
    assert 60 <= DEFAULT_TIMEOUT <= 300  # a few minutes, not ten


class _Handle:
    def __init__(self) -> None:
        self.shown: list[str] = []

    def update(self, obj: Any) -> None:
        self.shown.append(repr(obj))


def test_a_bar_updates_its_stored_output_with_its_final_state() -> None:
    for ok, final in (
        (True, "deploy web [##########] 100% web: RUNNING"),
        (False, "deploy web [####......]  40% boom"),
    ):
        bar = ProgressBar("deploy web")
        bar.display_handle = handle = _Handle()
        bar(40, "pulling")
        bar.finish(ok, "web: RUNNING" if ok else "boom")
        assert handle.shown == [final]
