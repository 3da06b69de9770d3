"""The one redaction model: what counts as a secret, and redact -> names -> fill round trips;
every output (history rows, diffs, plans, export files) hides the same things."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scale_pilot_nb.compose import plan
from scale_pilot_nb.compose.redaction import REDACTED, fill_secrets, redact
from scale_pilot_nb.manager.history import HistoryStore

COMPOSE: dict[str, Any] = {
    "x-common": {"API_TOKEN": "tok-x"},
    "services": {
        "app": {
            "image": "acme/app:1",
            "environment": {
                "DATABASE_URL": "postgres://app:pg-pass@db/app",
                "DB_PASSWORD": "env-pass",
                "RANDOM_ROOT_PASSWORD": "1",  # a switch, not a secret
                "TZ": "UTC",
            },
            "labels": {"com.example.auth-token": "label-tok", "com.example.team": "ops"},
        },
        "worker": {
            "image": "acme/app:1",
            "environment": ["REDIS_URL=redis://:r-pass@cache:6379", "MODE=worker"],
            "labels": ["com.example.api-key=list-key"],
        },
    },
}
IX_VALUES: dict[str, Any] = {
    "image": {"repository": "acme/app", "tag": "1"},
    "envs": [{"name": "DB_PASSWORD", "value": "ix-pass"}, {"name": "TZ", "value": "UTC"}],
    "labels": [{"key": "com.example.token", "value": "ix-tok", "containers": ["app"]}],
}
SECRETS = ("tok-x", "pg-pass", "env-pass", "label-tok", "r-pass", "list-key", "ix-pass", "ix-tok")


#: What a user gives back for each redacted name: the value, or the URL's password.
GIVEN = {
    "x-common.API_TOKEN": "tok-x",
    "app.DATABASE_URL": "pg-pass",
    "app.DB_PASSWORD": "env-pass",
    'services.app.labels["com.example.auth-token"]': "label-tok",
    "worker.REDIS_URL": "r-pass",
    'services.worker.labels["com.example.api-key"]': "list-key",
    "envs[0].DB_PASSWORD": "ix-pass",
    'labels[0]["com.example.token"]': "ix-tok",
}


@pytest.mark.parametrize("config", [COMPOSE, IX_VALUES], ids=["compose", "ix-app"])
def test_every_kind_of_secret_is_hidden_and_comes_back(config: dict[str, Any]) -> None:
    hidden, names = redact(config)
    assert not [s for s in SECRETS if s in repr(hidden)]
    assert sorted(fill_secrets(hidden, {})[1]) == sorted(names)
    restored, missing = fill_secrets(hidden, {name: GIVEN[name] for name in names})
    assert missing == [] and restored == config
    assert redact(hidden) == (hidden, names)  # redacting twice changes nothing


def test_names_are_short_for_environment_and_paths_elsewhere() -> None:
    _, names = redact(COMPOSE)
    assert names == [
        "x-common.API_TOKEN",
        "app.DATABASE_URL",
        "app.DB_PASSWORD",
        'services.app.labels["com.example.auth-token"]',
        "worker.REDIS_URL",
        'services.worker.labels["com.example.api-key"]',
    ]
    hidden = redact(COMPOSE)[0]
    assert hidden["services"]["app"]["environment"]["RANDOM_ROOT_PASSWORD"] == "1"
    assert hidden["services"]["app"]["environment"]["DATABASE_URL"] == (
        f"postgres://app:{REDACTED}@db/app"
    )
    assert redact(IX_VALUES)[1] == ["envs[0].DB_PASSWORD", 'labels[0]["com.example.token"]']
    filled, missing = fill_secrets(redact(IX_VALUES)[0], {"DB_PASSWORD": "p"})
    assert missing == ['labels[0]["com.example.token"]']
    assert filled["envs"][0] == {"name": "DB_PASSWORD", "value": "p"}


def test_history_rows_and_diffs_hide_what_the_plan_hides(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    for config, custom in ((COMPOSE, True), (IX_VALUES, False)):
        store.record(
            app="web", action="update", nas="S1", nas_host="truenas", config=config,
            custom_app=custom, app_version="1.0.0", digests={},
        )  # fmt: skip
    stored = (tmp_path / "h.sqlite").read_bytes().decode("latin-1")
    assert not [s for s in SECRETS if s in stored]
    diff = store.diff("web", "S1", 1, 2)
    assert not [s for s in SECRETS if s in diff]
    deployed = plan({"custom_app": True, "custom_compose_config": COMPOSE, "app_name": "web"}, None)
    assert not [s for s in SECRETS if s in str(deployed)]
