"""``check_values``: ix-app values against a catalog ``questions`` schema."""

from __future__ import annotations

from typing import Any

from scale_pilot_nb.compose.questions import check_values

QUESTIONS: list[dict[str, Any]] = [
    {"variable": "TZ", "schema": {"type": "string", "required": True}},
    {
        "variable": "restart_policy",
        "schema": {
            "type": "string",
            "default": "no",
            "enum": [{"value": "no", "description": "No"}, {"value": "always", "description": ""}],
        },
    },
    {
        "variable": "max_retry_count",
        "schema": {
            "type": "int",
            "min": 0,
            "max": 5,
            "show_if": [["restart_policy", "=", "on-failure"]],
        },
    },
    {"variable": "tty", "schema": {"type": "boolean", "default": False}},
    {
        "variable": "ports",
        "schema": {
            "type": "list",
            "items": [
                {
                    "variable": "port",
                    "schema": {
                        "type": "dict",
                        "attrs": [
                            {
                                "variable": "port_number",
                                "schema": {"type": "int", "required": True, "min": 1, "max": 65535},
                            },
                            {"variable": "name", "schema": {"type": "string", "max_length": 3}},
                        ],
                    },
                }
            ],
        },
    },
    {
        "variable": "envs",
        "schema": {
            "type": "list",
            "items": [
                {
                    "variable": "env",
                    "schema": {
                        "type": "dict",
                        "attrs": [{"variable": "value", "schema": {"type": "string"}}],
                    },
                }
            ],
        },
    },
    {"variable": "gpus", "schema": {"type": "dict", "attrs": [], "$ref": ["definitions/gpu"]}},
]
GOOD: dict[str, Any] = {
    "TZ": "Etc/UTC",
    "restart_policy": "no",
    "max_retry_count": 99,  # hidden: restart_policy is not on-failure
    "tty": False,
    "ports": [{"port_number": 80, "name": "web"}],
    "envs": [{"value": "s3cret"}],
    "gpus": {"anything": {"goes": 1}},
    "networks": [],  # unknown at the top level: kept, as the middleware does
}


def test_good_values_pass() -> None:
    assert check_values(GOOD, QUESTIONS) == []


def test_types_enum_ranges_lengths_required_and_unknown_keys() -> None:
    values = GOOD | {
        "TZ": None,
        "restart_policy": "sometimes",
        "tty": 1,
        "ports": [{"port_number": 70000, "name": "website", "extra": 1}, {"port_number": True}],
        "envs": [{"value": 5}],
    }
    assert check_values(values, QUESTIONS) == [
        ("values.TZ", "is required"),
        ("values.restart_policy", "must be one of 'no', 'always'"),
        ("values.tty", "must be true or false"),
        ("values.ports.0.extra", "is not a field of this schema"),
        ("values.ports.0.port_number", "must be at most 65535 (it is 70000)"),
        ("values.ports.0.name", "must be at most 3 characters"),
        ("values.ports.1.port_number", "must be an integer"),
        ("values.envs.0.value", "must be a string"),
    ]


def test_show_if_hides_and_shows_a_sub_tree() -> None:
    shown = GOOD | {"restart_policy": "on-failure"}
    assert ("values.max_retry_count", "must be at most 5 (it is 99)") in check_values(
        shown, QUESTIONS
    )


def test_messages_never_echo_string_values() -> None:
    values = GOOD | {"envs": [{"value": "s3cret", "oops": "hunter2"}], "TZ": "x" * 5}
    problems = check_values(values, QUESTIONS)
    assert problems == [("values.envs.0.oops", "is not a field of this schema")]
    assert all("s3cret" not in m and "hunter2" not in m for _, m in problems)
