"""Plan: one object for a deploy's plan, whatever number of apps (parts) it touches."""

from __future__ import annotations

import json

import pytest
import yaml

from scale_pilot_nb.compose.convert import convert
from scale_pilot_nb.compose.plan import DeployPlan, Plan, plan

STACK = """\
services:
  web:
    image: nginx:1.27
    environment:
      DB_PASSWORD: ${PW}
  db:
    image: postgres:16.6
"""


def split_parts(text: str = STACK, pw: str = "first-secret") -> list[DeployPlan]:
    """The part of each app of a split deploy, against a NAS that runs ``STACK`` already."""
    live = {
        app.payload["app_name"]: yaml.safe_load(app.payload["custom_compose_config_string"])
        for app in convert(STACK, "shop", split=True, variables={"PW": "first-secret"}).apps
    }
    desired = convert(text, "shop", split=True, variables={"PW": pw}).apps
    return [plan(app.payload, live.get(app.payload["app_name"])) for app in desired]


def test_parts_are_reached_by_iteration_name_and_position() -> None:
    parts = split_parts()
    whole = Plan(tuple(parts))
    assert list(whole) == parts and len(whole) == 2
    assert whole.app_names == ["shop-web", "shop-db"]
    assert whole["shop-db"] is parts[1] and whole[0] is parts[0] and whole[-1] is parts[1]
    assert "shop-web" in whole and "shop" not in whole
    with pytest.raises(KeyError):
        whole["shop"]
    with pytest.raises(IndexError):
        whole[2]
    (only,) = Plan((parts[0],))  # a one-app plan unpacks like the list it replaced
    assert only is parts[0]


def test_changes_is_true_when_any_part_changes() -> None:
    assert Plan(tuple(split_parts())).changes is False
    changed = Plan(tuple(split_parts(STACK.replace("postgres:16.6", "postgres:16.7"))))
    assert [part.action for part in changed] == ["noop", "update"]
    assert changed.changes is True


def test_to_dict_is_json_with_every_part_and_no_secret() -> None:
    whole = Plan(tuple(split_parts(pw="second-secret")))
    data = json.loads(json.dumps(whole.to_dict()))
    assert data["changes"] is True
    assert data["plans"] == [part.to_dict() for part in whole]
    assert data["plans"][0]["secrets_changed"] == ["services.web.environment.DB_PASSWORD"]
    assert "second-secret" not in json.dumps(data)


def test_text_forms_name_every_part() -> None:
    parts = split_parts(STACK.replace("postgres:16.6", "postgres:16.7"))
    whole = Plan(tuple(parts))
    assert str(whole) == f"{parts[0]}\n{parts[1]}"
    assert repr(whole) == "<Plan changes=True: noop 'shop-web', update 'shop-db'>"
