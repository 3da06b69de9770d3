"""Day-2 DataFrames: fixed columns and dtypes, also when empty; logs in timestamp order."""

from __future__ import annotations

import pytest

from scale_pilot_nb.manager.history import Revision
from scale_pilot_nb.manager.logs import LogLine
from scale_pilot_nb.notebook.day2_tables import (
    BACKUP_COLUMNS,
    HISTORY_COLUMNS,
    LOG_COLUMNS,
    UPDATE_COLUMNS,
    backups_frame,
    history_frame,
    logs_frame,
    updates_frame,
)


@pytest.mark.parametrize(
    ("build", "columns"),
    [
        (history_frame, HISTORY_COLUMNS),
        (updates_frame, UPDATE_COLUMNS),
        (backups_frame, BACKUP_COLUMNS),
        (logs_frame, LOG_COLUMNS),
    ],
)
def test_empty_frames_keep_their_columns_and_dtypes(build: object, columns: dict[str, str]) -> None:
    frame = build([])  # type: ignore[operator]
    assert list(frame.columns) == list(columns)
    assert {name: str(dtype) for name, dtype in frame.dtypes.items()} == columns


def test_logs_of_several_services_are_sorted_by_time_and_ties_keep_arrival_order() -> None:
    lines = [
        LogLine("web", "c1", "second", "2025-06-20 09:00:02+00:00"),
        LogLine("db", "c2", "first", "2025-06-20 09:00:01+00:00"),
        LogLine("db", "c2", "tie-a", "2025-06-20 09:00:03+00:00"),
        LogLine("web", "c1", "tie-b", "2025-06-20 09:00:03+00:00"),
        LogLine("web", "c1", "no time", None),
    ]
    frame = logs_frame(lines)
    assert list(frame["line"]) == ["first", "second", "tie-a", "tie-b", "no time"]
    assert list(frame["service"][:2]) == ["db", "web"]


def test_history_frame_lists_pinned_images() -> None:
    revision = Revision(
        app="web",
        revision=2,
        recorded_at=1750410000.0,
        action="update",
        actor="me@here",
        tool="cli",
        nas="S1",
        nas_host="truenas",
        custom_app=True,
        app_version="1.0.0",
        config={"services": {}},
        digests={"nginx:1.27.3": "sha256:abc"},
        redacted=("web.API_KEY",),
    )
    row = history_frame([revision]).iloc[0]
    assert row["images"] == ["nginx:1.27.3@sha256:abc"] and row["existed"]
    assert str(row["recorded_at"]) == "2025-06-20 09:00:00+00:00"
    assert row["redacted"] == ["web.API_KEY"]
