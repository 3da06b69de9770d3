"""Reading ``since``/``until`` as ``docker compose logs`` does (pure: no NAS)."""

from __future__ import annotations

import datetime as dt

import pytest

from scale_pilot_nb.errors import ArgumentError
from scale_pilot_nb.manager.timefilter import TimeWindow, moment

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03T10:00:00Z", dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)),
        ("2026-12-03T11:00:00.5+01:00", dt.datetime(2026, 12, 3, 10, 0, 0, 500000, dt.UTC)),
        ("2026-12-03T10:00:00.123456789Z", dt.datetime(2026, 12, 3, 10, 0, 0, 123456, dt.UTC)),
        ("1764756000", dt.datetime(2025, 12, 3, 10, tzinfo=dt.UTC)),
        ("42s", NOW - dt.timedelta(seconds=42)),
        ("10m", NOW - dt.timedelta(minutes=10)),
        ("1h30m", NOW - dt.timedelta(minutes=90)),
        ("1.5h", NOW - dt.timedelta(minutes=90)),
        ("250ms", NOW - dt.timedelta(milliseconds=250)),
    ],
)
def test_moment_reads_docker_forms(text: str, expected: dt.datetime) -> None:
    assert moment(text, now=NOW) == expected


def test_dates_and_naive_datetimes_are_local_time() -> None:
    local_midnight = dt.datetime(2026, 12, 3).astimezone(dt.UTC)
    assert moment("2026-12-03") == local_midnight
    assert moment(dt.datetime(2026, 12, 3)) == local_midnight
    aware = dt.datetime(2026, 12, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert moment(aware) == dt.datetime(2026, 12, 3, 8, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["yesterday", "10x", "", "-5m", "h", "2026-13-40"])
def test_unreadable_times_are_argument_errors_with_a_hint(text: str) -> None:
    with pytest.raises(ArgumentError, match="until: cannot read") as caught:
        moment(text, "until", now=NOW)
    assert "1h30m" in str(caught.value.hint)
    with pytest.raises(ArgumentError, match="datetime or text"):
        moment(5, now=NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "99999999999999",  # a Unix timestamp past year 9999
        "9" * 400,  # one float() reads as infinity
        "100000000000h",  # more than timedelta holds
        "100000000h",  # a timedelta, but before year 1
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    ],
)
def test_times_datetime_cannot_hold_are_argument_errors_with_a_hint(text: str) -> None:
    with pytest.raises(ArgumentError, match=r"since: .* is outside the years 1 to 9999") as caught:
        moment(text, now=NOW)
    assert "1h30m" in str(caught.value.hint)
    with pytest.raises(ArgumentError, match=r"until: .* is outside the years"):
        TimeWindow(until=text, now=NOW)


def test_window_keeps_its_bounds_inclusive_and_untimed_lines() -> None:
    window = TimeWindow("2026-12-03T10:00:00Z", "2026-12-03T11:00:00Z")
    assert window.keeps(dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC))
    assert window.keeps(dt.datetime(2026, 12, 3, 11, tzinfo=dt.UTC))
    assert not window.keeps(dt.datetime(2026, 12, 3, 9, 59, tzinfo=dt.UTC))
    assert not window.keeps(dt.datetime(2026, 12, 3, 11, 0, 1, tzinfo=dt.UTC))
    assert window.keeps(None)
    assert window.passed(dt.datetime(2026, 12, 3, 11, 0, 1, tzinfo=dt.UTC))
    assert not window.passed(None)
    assert TimeWindow().keeps(dt.datetime.min.replace(tzinfo=dt.UTC))
    with pytest.raises(ArgumentError, match="before since"):
        TimeWindow("1h", "2h", now=NOW)
