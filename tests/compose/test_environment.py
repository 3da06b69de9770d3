"""compose.environment: the canonical shapes of ``environment`` and ``env_file``."""

from __future__ import annotations

from typing import Any

import pytest

from scale_pilot_nb.compose.environment import env_file_entries, environment_mapping


def test_list_entries_split_at_the_first_equals_and_later_entries_win() -> None:
    assert environment_mapping(["A=1", "B=x=y", "A=2", "C"]) == {"A": "2", "B": "x=y", "C": None}


def test_null_environment_is_empty() -> None:
    assert environment_mapping(None) == {}


@pytest.mark.parametrize("value", ["A=1", 5, ["A=1", ["nested"]], {"A": {"b": 1}}, [None]])
def test_wrong_shapes_give_none_for_the_caller_to_report(value: Any) -> None:
    assert environment_mapping(value) is None


def test_env_file_required_defaults_to_true_and_reads_text_flags() -> None:
    assert env_file_entries(["a.env", {"path": "b.env", "required": "false"}]) == [
        {"path": "a.env", "required": True},
        {"path": "b.env", "required": False},
    ]
    assert env_file_entries({"path": "c.env", "required": "maybe"}) == [
        {"path": "c.env", "required": True}
    ]


@pytest.mark.parametrize("value", [5, None, [{"required": False}], ["a.env", 3]])
def test_malformed_env_file_gives_none(value: Any) -> None:
    assert env_file_entries(value) is None
