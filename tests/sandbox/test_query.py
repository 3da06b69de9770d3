"""Query semantics shared by every sandbox ``*.query`` method."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scale_pilot_nb.sandbox.contract import SandboxValidationErrors
from scale_pilot_nb.sandbox.query import MatchNotFound, filter_list, get_path
from scale_pilot_nb.sandbox.wire import error_object

ITEMS = [
    {"name": "alpha", "state": "RUNNING", "n": 3, "w": {"containers": 2}, "tags": ["a", "b"]},
    {"name": "beta", "state": "STOPPED", "n": 1, "w": {"containers": 0}, "tags": []},
    {"name": "gamma", "state": "CRASHED", "n": None, "w": {"containers": 1}, "tags": ["b"]},
    {"name": "Delta", "state": "RUNNING", "n": 2, "w": {"containers": 5}, "tags": ["c"]},
]


def names(result: list[dict[str, object]]) -> list[object]:
    return [item["name"] for item in result]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (["state", "=", "RUNNING"], ["alpha", "Delta"]),
        (["state", "!=", "RUNNING"], ["beta", "gamma"]),
        (["name", "in", ["beta", "gamma"]], ["beta", "gamma"]),
        (["name", "nin", ["beta", "gamma"]], ["alpha", "Delta"]),
        (["name", "~", "^[ab]"], ["alpha", "beta"]),
        (["name", "^", "ga"], ["gamma"]),
        (["name", "$", "ta"], ["beta", "Delta"]),
        (["name", "!^", "a"], ["beta", "gamma", "Delta"]),
        (["name", "C=", "delta"], ["Delta"]),
        (["name", "C^", "DE"], ["Delta"]),
        (["n", ">", 1], ["alpha", "Delta"]),
        (["n", "<=", 2], ["beta", "Delta"]),
        (["w.containers", ">=", 2], ["alpha", "Delta"]),
        (["tags", "rin", "b"], ["alpha", "gamma"]),
        (["tags", "rnin", "b"], ["beta", "Delta"]),
        (["tags.0", "=", "c"], ["Delta"]),
        (["missing.key", "=", None], ["alpha", "beta", "gamma", "Delta"]),
    ],
)
def test_each_operator_selects_the_matching_items(flt: list[object], expected: list[str]) -> None:
    assert names(filter_list(ITEMS, [flt])) == expected


def test_filters_are_anded_and_or_takes_filters_or_filter_groups() -> None:
    assert names(filter_list(ITEMS, [["state", "=", "RUNNING"], ["n", ">", 2]])) == ["alpha"]
    either = ["OR", [["name", "=", "beta"], [["state", "=", "RUNNING"], ["n", "=", 2]]]]
    assert names(filter_list(ITEMS, [either])) == ["beta", "Delta"]


def test_order_by_supports_descending_and_puts_nulls_last() -> None:
    assert names(filter_list(ITEMS, [], {"order_by": ["n"]})) == ["beta", "Delta", "alpha", "gamma"]
    assert names(filter_list(ITEMS, [], {"order_by": ["-n"]})) == [
        "alpha",
        "Delta",
        "beta",
        "gamma",
    ]
    by_state_then_name = filter_list(ITEMS, [], {"order_by": ["state", "-name"]})
    assert names(by_state_then_name) == ["gamma", "alpha", "Delta", "beta"]


def test_offset_limit_count_get_and_select() -> None:
    assert names(filter_list(ITEMS, [], {"offset": 1, "limit": 2})) == ["beta", "gamma"]
    assert filter_list(ITEMS, [["state", "=", "RUNNING"]], {"count": True, "limit": 1}) == 2
    assert filter_list(ITEMS, [["n", "=", 1]], {"get": True})["name"] == "beta"
    selected = filter_list(ITEMS, [["name", "=", "alpha"]], {"select": ["name", "w.containers"]})
    assert selected == [{"name": "alpha", "w": {"containers": 2}}]
    aliased = filter_list(ITEMS, [["name", "=", "beta"]], {"select": [["state", "s"]]})
    assert aliased == [{"s": "STOPPED"}]


def test_get_without_a_match_raises_match_not_found() -> None:
    with pytest.raises(MatchNotFound) as missing:
        filter_list(ITEMS, [["name", "=", "nope"]], {"get": True})
    # A plain Python exception in the middleware: EINVAL, and the reason is its repr unprefixed.
    wire = error_object(missing.value)
    assert (wire["error"], wire["errname"]) == (22, "EINVAL")
    assert wire["reason"] == "MatchNotFound()"
    assert wire["trace"]["class"] == "MatchNotFound"


@pytest.mark.parametrize(
    ("filters", "options", "attribute"),
    [
        ([["name", "like", "a"]], {}, "filters"),
        ([["name", "="]], {}, "filters"),
        ("name", {}, "filters"),
        ([], {"limit": -1}, "options.limit"),
        ([], {"sort": ["name"]}, "options.sort"),
        ([], {"order_by": "name"}, "options.order_by"),
    ],
)
def test_malformed_queries_raise_validation_errors(
    filters: object, options: object, attribute: str
) -> None:
    with pytest.raises(SandboxValidationErrors) as caught:
        filter_list(ITEMS, filters, options)
    assert caught.value.errors[0][0] == attribute


def test_get_path_prefers_a_literal_dotted_key() -> None:
    assert get_path({"a.b": 1, "a": {"b": 2}}, "a.b") == 1
    assert get_path({"a": {"b": 2}}, "a.b") == 2
    assert get_path({"a": [1]}, "a.5") is None


NUMBERS = st.one_of(st.none(), st.integers(-5, 5))
RECORDS = st.lists(
    st.fixed_dictionaries({"n": NUMBERS, "s": st.sampled_from("abc")}),
    max_size=12,
)


@given(items=RECORDS, value=st.integers(-5, 5), offset=st.integers(0, 4), limit=st.integers(0, 4))
def test_filters_and_paging_agree_with_plain_python(
    items: list[dict[str, object]], value: int, offset: int, limit: int
) -> None:
    wanted = [i for i in items if i["n"] is not None and i["n"] >= value]  # type: ignore[operator]
    assert filter_list(items, [["n", ">=", value]], {"count": True}) == len(wanted)
    paged = filter_list(items, [["n", ">=", value]], {"offset": offset, "limit": limit})
    assert paged == wanted[offset:][: limit or None]
    ordered = filter_list(items, [], {"order_by": ["-n"]})
    numbers = [i["n"] for i in ordered if i["n"] is not None]
    assert numbers == sorted(numbers, reverse=True)
    assert [i["n"] for i in ordered][len(numbers) :] == [None] * (len(items) - len(numbers))
