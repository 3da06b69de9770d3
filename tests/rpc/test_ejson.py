"""TrueNAS extended JSON: wrappers in and out, exactly as the official client writes them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scale_pilot_nb.rpc import ejson


def test_encoding_matches_the_captured_official_frame() -> None:
    # cap-2510: "params": [{"$date": 1735787045000}, {"$set": [1, 2]}]
    when = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert ejson.dumps([when, {1, 2}]) == '[{"$date": 1735787045000}, {"$set": [1, 2]}]'


def test_outgoing_datetimes_drop_sub_seconds_and_convert_to_utc() -> None:
    cest = dt.timezone(dt.timedelta(hours=2))
    aware = dt.datetime(2025, 1, 2, 5, 4, 5, 999_000, tzinfo=cest)
    naive = dt.datetime(2025, 1, 2, 3, 4, 5, 999_000)
    assert ejson.dumps(aware) == ejson.dumps(naive) == '{"$date": 1735787045000}'


def test_date_time_and_set_wrappers() -> None:
    assert ejson.dumps(dt.date(2025, 1, 2)) == '{"$type": "date", "$value": "2025-01-02"}'
    assert ejson.dumps(dt.time(3, 4, 5, 6)) == '{"$time": "03:04:05.000006"}'
    assert ejson.dumps(frozenset({"a"})) == '{"$set": ["a"]}'


def test_decoding_keeps_milliseconds_and_is_aware_utc() -> None:
    value = ejson.loads('{"$date": 1735787045500}')
    assert value == dt.datetime(2025, 1, 2, 3, 4, 5, 500_000, tzinfo=dt.UTC)


def test_round_trip_of_every_wrapper() -> None:
    original = {
        "when": dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        "day": dt.date(2025, 1, 2),
        "at": dt.time(3, 4, 5),
        "roles": {"FULL_ADMIN", "READONLY_ADMIN"},
    }
    assert ejson.loads(ejson.dumps(original)) == original


def test_only_exact_wrappers_are_converted() -> None:
    text = '{"$date": 1, "other": 2}'
    assert ejson.loads(text) == {"$date": 1, "other": 2}
    assert ejson.loads('{"$set": "not a list"}') == {"$set": "not a list"}


def test_a_set_of_unhashable_members_stays_a_list() -> None:
    assert ejson.loads('{"$set": [{"a": 1}]}') == [{"a": 1}]


def test_unserialisable_values_raise_type_error() -> None:
    with pytest.raises(TypeError, match="object"):
        ejson.dumps(object())


def test_ascii_only_output_like_the_official_client() -> None:
    assert ejson.dumps("café") == '"caf\\u00e9"'


def test_a_wrapper_key_with_an_escaped_dollar_is_still_decoded() -> None:
    assert ejson.loads('{"\\u0024set": [1]}') == {1}
    assert ejson.loads(b'{"\\u0024set": [1]}') == {1}


def test_text_without_wrapper_keys_decodes_as_plain_json() -> None:
    text = '{"price": "5 $", "nested": [{"a": {"b": null}}]}'
    expected = {"price": "5 $", "nested": [{"a": {"b": None}}]}
    assert ejson.loads(text) == ejson.loads(text.encode()) == expected


_whole_seconds = st.datetimes(
    min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
).map(lambda d: d.replace(microsecond=0))
_plain_keys = st.text(max_size=5).filter(lambda key: not key.startswith("$"))  # not wrappers
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=10)
    | _whole_seconds
    | st.dates()
    | st.times()
    | st.frozensets(st.integers(), max_size=3).map(set),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(_plain_keys, children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(value=_values)
def test_round_trip_of_arbitrary_nested_values(value: object) -> None:
    assert ejson.loads(ejson.dumps(value)) == value


@pytest.mark.parametrize(
    "wrapper",
    [
        {"$date": 1e20},  # past datetime.max
        {"$date": float("nan")},
        {"$date": True},
        {"$time": "99:99"},
        {"$type": "date", "$value": "2020-13-01"},
    ],
)
def test_a_wrapper_with_an_impossible_value_stays_as_sent(wrapper: dict[str, object]) -> None:
    text = json.dumps({"result": wrapper})
    assert repr(ejson.loads(text)) == repr(json.loads(text))  # repr: NaN is not equal to itself


def test_an_escaped_wrapper_key_in_utf16_bytes_is_still_decoded() -> None:
    assert ejson.loads('{"\\u0024set": [1]}'.encode("utf-16")) == {1}
