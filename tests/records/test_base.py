"""Tests for scale_pilot_nb.records._base: tolerant readers and plain-data conversion."""

from __future__ import annotations

import datetime as dt

import pytest

from scale_pilot_nb.errors import FieldError
from scale_pilot_nb.records import AppState
from scale_pilot_nb.records._base import (
    format_bytes,
    integer,
    iso_timestamp,
    number,
    objects,
    plain,
    strings,
    wire_datetime,
)

EPOCH_PLUS = dt.datetime(2025, 6, 15, 15, 6, 40, 500000, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "value",
    [
        {"$date": 1750000000500},
        EPOCH_PLUS,
        EPOCH_PLUS.replace(tzinfo=None),  # naive means UTC
        "2025-06-15T15:06:40.5Z",
        "2025-06-15 17:06:40.500000+02:00",
    ],
)
def test_wire_datetime_accepts_every_form(value: object) -> None:
    assert wire_datetime(value) == EPOCH_PLUS


@pytest.mark.parametrize(
    "value",
    [
        None,
        1750000000500,
        "soon",
        {"$date": "x"},
        {"$date": 1, "a": 2},
        {"$date": 1e20},  # beyond year 9999
        {"$date": -1e15},  # before year 1
        {"$date": float("nan")},
        {"$date": float("inf")},
    ],
)
def test_wire_datetime_rejects_the_rest(value: object) -> None:
    assert wire_datetime(value) is None


@pytest.mark.parametrize(
    "value",
    [
        {"$date": 1750000000500},
        EPOCH_PLUS,
        EPOCH_PLUS.replace(tzinfo=None),  # naive means UTC
        "2025-06-15 15:06:40.500000",  # the NAS's naive text (backups' created_on)
        "2025-06-15 17:06:40.500000+02:00",  # another zone is told in UTC
    ],
)
def test_iso_timestamp_is_one_utc_form_for_every_wire_form(value: object) -> None:
    assert iso_timestamp(value) == "2025-06-15T15:06:40.500000+00:00"
    assert iso_timestamp(value, timespec="seconds") == "2025-06-15T15:06:40+00:00"


@pytest.mark.parametrize("value", [None, 1750000000.5, "soon", ""])
def test_iso_timestamp_of_anything_else_is_none(value: object) -> None:
    assert iso_timestamp(value) is None


def test_integer_and_number() -> None:
    assert [integer(v) for v in (5, "7", " 8 ", 3.0, 3.5, True, None, "x")] == [
        5,
        7,
        8,
        3,
        None,
        None,
        None,
        None,
    ]
    assert [number(v) for v in (5, 2.5, True, "1")] == [5.0, 2.5, None, None]


def test_list_readers_skip_foreign_items() -> None:
    assert strings(["a", 1, None, "b"]) == ("a", "b")
    assert strings("ab") == ()
    assert objects([{"a": 1}, "x", None]) == ({"a": 1},)
    assert objects(None) == ()


@pytest.mark.parametrize(
    ("size", "text"),
    [(None, "?"), (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (68719476736, "64.0 GiB")],
)
def test_format_bytes(size: int | None, text: str) -> None:
    assert format_bytes(size) == text


def test_plain_converts_nested_values() -> None:
    value = {
        "state": AppState.RUNNING,
        "when": EPOCH_PLUS,
        "errors": (FieldError("a", "b", 22),),
        "tags": frozenset({"x"}),
        "naive": EPOCH_PLUS.replace(tzinfo=None),
        1: [dt.date(2025, 1, 2)],
    }
    assert plain(value) == {
        "state": "RUNNING",
        "when": "2025-06-15T15:06:40.500000+00:00",
        "errors": [{"attribute": "a", "message": "b", "errno": 22}],
        "tags": ["x"],
        "naive": "2025-06-15T15:06:40.500000+00:00",
        "1": ["2025-01-02"],
    }
