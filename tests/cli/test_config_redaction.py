"""``config NAME`` shows the stored config with secrets redacted, like every other output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from scale_pilot_nb.cli import ExitStatus
from tests.cli.conftest import Result

Run = Callable[..., Result]


def test_config_redacts_secrets_unless_asked(nas_env: dict[str, str], cli: Run) -> None:
    Path("db.yml").write_text(
        "services:\n  db:\n    image: postgres:16.9\n"
        "    environment: {POSTGRES_PASSWORD: hunter2, URL: 'postgres://u:pw9@db/x'}\n"
    )
    assert cli("deploy", "db.yml", "db", "--no-wait").code == ExitStatus.OK
    shown = cli("config", "db").stdout + cli("config", "db", "--json").stdout
    assert "hunter2" not in shown and "pw9" not in shown and "<redacted>" in shown
    kept = yaml.safe_load(cli("config", "db", "--with-secrets").stdout)
    assert kept["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == "hunter2"
