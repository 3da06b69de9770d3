"""``config FILE [NAME]``: the compose as ``deploy`` would store it, offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from scale_pilot_nb.cli import ExitStatus
from scale_pilot_nb.compose.convert import convert
from tests.cli.conftest import Result

Run = Callable[..., Result]

COMPOSE = """\
services:
  web:
    image: nginx:1.27.3-alpine
    environment:
      DB_PASSWORD: ${DB_PASSWORD}
      GREETING: "cost $$5"
"""
VARIABLES = {"DB_PASSWORD": "s3cret-value"}


@pytest.fixture
def app_file(workdir: Path) -> Path:
    """``app.yml`` with a secret from ``prod.env`` and a literal ``$``; no NAS settings."""
    (workdir / "app.yml").write_text(COMPOSE)
    (workdir / "prod.env").write_text("DB_PASSWORD=s3cret-value\n")
    return workdir / "app.yml"


def test_prints_what_deploy_would_store(app_file: Path, cli: Run) -> None:
    stored = convert(app_file, "app", variables=VARIABLES).payload["custom_compose_config_string"]
    result = cli("config", "app.yml", "--env-file", "prod.env", "--with-secrets")
    assert result.code == ExitStatus.OK, result.stderr
    assert result.stdout == stored
    assert "cost $$5" in result.stdout  # escaped, as stored, so the NAS does not interpolate


def test_secrets_are_redacted_unless_asked(app_file: Path, cli: Run) -> None:
    for argv in [[], ["--payload"], ["--json"], ["--json", "--payload"]]:
        shown = cli("config", "app.yml", "--env-file", "prod.env", *argv)
        assert shown.code == ExitStatus.OK
        assert "s3cret-value" not in shown.stdout
        assert "<redacted>" in shown.stdout


def test_payload_is_the_app_create_payload(app_file: Path, cli: Run) -> None:
    expected = convert(app_file, "web-app", variables=VARIABLES).payload
    result = cli(
        "config", "app.yml", "web-app", "--env-file", "prod.env", "--payload", "--with-secrets"
    )
    assert json.loads(result.stdout) == expected


def test_app_name_defaults_to_the_stem_or_the_folder(app_file: Path, cli: Run) -> None:
    assert cli("config", "app.yml", "--payload").json()["app_name"] == "app"
    (app_file.parent / "Shop").mkdir()
    (app_file.parent / "Shop" / "compose.yml").write_text(COMPOSE)
    assert cli("config", "Shop/compose.yml", "--payload").json()["app_name"] == "shop"


def test_split_prints_one_document_per_app(workdir: Path, cli: Run) -> None:
    (workdir / "stack.yml").write_text(
        "services:\n  db: {image: 'redis:7.4'}\n  web: {image: 'nginx:1.27', depends_on: [db]}\n"
    )
    result = cli("config", "stack.yml", "shop", "--split")
    assert result.stdout.startswith("# app shop-db\n")
    assert "---\n# app shop-web\n" in result.stdout
    document = cli("config", "stack.yml", "shop", "--split", "--json").json()
    assert [app["app_name"] for app in document["apps"]] == ["shop-db", "shop-web"]


def test_a_missing_yaml_file_is_reported_not_looked_up_on_the_nas(workdir: Path, cli: Run) -> None:
    result = cli("config", "missing.yml")
    assert result.code == ExitStatus.USAGE
    assert "missing.yml" in result.stderr


def test_name_and_payload_need_a_file(workdir: Path, cli: Run) -> None:
    result = cli("config", "my-app", "other")
    assert result.code == ExitStatus.USAGE
    assert "not a compose file" in result.stderr


def test_config_name_still_shows_the_stored_config(nas_env: dict[str, str], cli: Run) -> None:
    assert cli("deploy", "nginx.yml", "web", "--no-wait").code == ExitStatus.OK
    stored = cli("config", "web")
    assert stored.code == ExitStatus.OK
    assert "nginx:1.27.3-alpine" in stored.stdout
