"""The packaged examples: each is valid for TrueNAS (no errors, no warnings), converts cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scale_pilot_nb import examples
from scale_pilot_nb.compose.convert import convert
from scale_pilot_nb.compose.plan import plan
from scale_pilot_nb.compose.validate import validate

EXAMPLES = examples.path()
FILES = sorted(EXAMPLES.glob("*.yml"))


def test_the_expected_examples_exist() -> None:
    names = {p.name for p in FILES}
    assert {"nginx.yml", "postgres.yml", "redis.yml", "wordpress-stack.yml"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_validates_without_errors_or_warnings(path: Path) -> None:
    report = validate(path, name=path.stem)
    assert report.errors == [] and report.warnings == [], str(report)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_converts_and_round_trips(path: Path) -> None:
    conversion = convert(path, path.stem)
    live = yaml.safe_load(conversion.payload["custom_compose_config_string"])
    assert plan(conversion.payload, live).action == "noop"


def test_multi_service_example_orders_database_first() -> None:
    report = validate(EXAMPLES / "wordpress-stack.yml")
    assert report.valid
    conversion = convert(EXAMPLES / "wordpress-stack.yml", "wp", split=True)
    assert [a.app_name for a in conversion.apps] == ["wp-db", "wp-wordpress"]
