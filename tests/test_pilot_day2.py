"""Pilot's day-2 face: logs, history, rollback, updates and backups as DataFrames."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scale_pilot_nb.manager.logs import LogLine
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.notebook.day2_tables import (
    BACKUP_COLUMNS,
    HISTORY_COLUMNS,
    LOG_COLUMNS,
    UPDATE_COLUMNS,
)
from scale_pilot_nb.pilot.pilot import ConfirmationRequired, Pilot
from scale_pilot_nb.sandbox import Sandbox

TWO = """
services:
  web:
    image: nginx:1.27.3
    ports: ["18082:80"]
  cache:
    image: redis:7.4
"""


@pytest.fixture
def pilot(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Iterator[Pilot]:
    sb = make_sandbox("25.10", "demo", test_methods=False)
    manager = TrueNASDockerManager(sb.url, sb.api_key, history=tmp_path / "h.sqlite")
    with Pilot(manager) as p:
        yield p


def test_logs_interleave_services_in_timestamp_order(pilot: Pilot) -> None:
    pilot.deploy(TWO, "shop")
    frame = pilot.logs("shop", tail=5)
    assert list(frame.columns) == list(LOG_COLUMNS)
    assert len(frame) == 10 and set(frame["service"]) == {"web", "cache"}
    assert frame["timestamp"].is_monotonic_increasing
    assert len(pilot.logs("shop", "cache", tail=3)) == 3
    stream = pilot.logs("shop", "web", tail=1, follow=True)
    assert isinstance(next(stream), LogLine)
    stream.close()  # type: ignore[attr-defined]


def test_history_diff_and_rollback(pilot: Pilot) -> None:
    pilot.deploy(TWO, "shop")
    pilot.deploy(TWO.replace("redis:7.4", "redis:7.4.5"), "shop")
    history = pilot.history("shop")
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert list(history["action"]) == ["create", "update"]
    assert list(history["existed"]) == [False, True]
    plan = pilot.rollback_plan("shop")
    assert (
        plan.revision == 2 and "-    image: redis:7.4.5\n+    image: redis:7.4@sha256:" in plan.diff
    )
    result = pilot.rollback("shop")
    assert result.ok
    assert pilot.app_config("shop")["services"]["cache"]["image"].startswith("redis:7.4@sha256:")
    assert "-      image: redis:7.4\n" in pilot.diff("shop", 2, 3)


def test_updates_and_backups_frames(pilot: Pilot) -> None:
    updates = pilot.updates()
    assert list(updates.columns) == list(UPDATE_COLUMNS)
    assert updates.loc[updates["app"] == "jellyfin", "target_version"].iloc[0] == "1.3.12"
    assert pilot.update_images("whoami")["whoami"].app.state == "RUNNING"  # type: ignore[union-attr]
    assert pilot.upgrade_summary("jellyfin")["upgrade_version"] == "1.3.12"
    assert pilot.upgrade("jellyfin").details["summary"]["upgrade_version"] == "1.3.12"

    assert list(pilot.backups().columns) == list(BACKUP_COLUMNS)
    name = pilot.backup("nightly").details["backup"]
    assert list(pilot.backups()["name"]) == [name]
    pilot.delete("whoami", confirm=True)
    with pytest.raises(ConfirmationRequired):
        pilot.restore(name)
    assert "whoami" not in set(pilot.apps()["name"])
    pilot.restore(name, confirm=name)
    assert "whoami" in set(pilot.apps()["name"])
