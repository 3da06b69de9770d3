"""Every timestamp the SDK hands out, in ``to_dict()`` and ``--json``, is ISO 8601 in UTC.

One demo NAS goes through a deploy and a backup; then every plain-data output is walked and
each timestamp-like value (by its key, or by looking like a date and time) must be text that
``datetime.fromisoformat`` reads, with a zero UTC offset.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scale_pilot_nb.cli import main
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.records import Job
from scale_pilot_nb.sandbox import Sandbox

#: Keys that hold a moment: ``time_started``, ``created_on``, ``recorded_at``, ``boottime`` …
TIMESTAMP_KEY = re.compile(r"(time|timestamp|_at|_on|created|_started|_finished|last_update)$")
#: Text that holds a moment whatever its key: a date followed by a time of day.
TIMESTAMP_TEXT = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")

COMPOSE = "services:\n  web:\n    image: nginx:1.27.3\n    ports: ['18091:80']\n"


def timestamps(data: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every timestamp-like value in plain data."""
    if isinstance(data, dict):
        for key, value in data.items():
            inner = f"{path}.{key}"
            if TIMESTAMP_KEY.search(str(key)) and not isinstance(value, dict | list | None):
                yield inner, value
            else:
                yield from timestamps(value, inner)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from timestamps(item, f"{path}[{index}]")
    elif isinstance(data, str) and TIMESTAMP_TEXT.match(data):
        yield path, data


def is_utc_iso(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return moment.utcoffset() == dt.timedelta(0)


@pytest.fixture
def cli_json(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    """Run ``scale-compose <args> --json`` in-process against the sandbox; return its document."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in [n for n in os.environ if n.startswith("TRUENAS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TRUENAS_URL", sandbox.url)
    monkeypatch.setenv("TRUENAS_API_KEY", sandbox.api_key)
    monkeypatch.setenv("TRUENAS_USERNAME", sandbox.username)

    def run(*argv: str) -> Any:
        out, err = io.StringIO(), io.StringIO()
        code = main([*argv, "--json"], stdout=out, stderr=err, stdin=io.StringIO())
        assert code == 0, err.getvalue()
        return json.loads(out.getvalue())

    return run


async def test_every_timestamp_in_plain_data_is_iso_8601_in_utc(
    sandbox: Sandbox, cli_json: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "web.yml").write_text(COMPOSE)
    cli_json("deploy", "web.yml", "web")
    cli_json("backup", "before")
    outputs: dict[str, Any] = {
        "status --json": cli_json("status"),
        "list --json": cli_json("list"),
        "history --json": cli_json("history", "web"),
        "logs --json": cli_json("logs", "web"),
        "backups --json": cli_json("backups"),
        "doctor --json": cli_json("doctor"),
    }
    async with TrueNASDockerManager(sandbox.url, sandbox.api_key) as manager:
        jobs = await manager.client.call("core.get_jobs")
        outputs["Job.to_dict"] = [Job.from_api(job).to_dict() for job in jobs]
        outputs["Image.to_dict"] = [image.to_dict() for image in await manager.images()]
        outputs["Revision.to_dict"] = [r.to_dict() for r in await manager.history("web")]
        outputs["backups rows"] = await manager.backups()
        outputs["DoctorReport.to_dict"] = (await manager.doctor()).to_dict()

    found = {source: list(timestamps(data)) for source, data in outputs.items()}
    offenders = [
        f"{source}: {path} = {value!r}"
        for source, items in found.items()
        for path, value in items
        if not is_utc_iso(value)
    ]
    assert not offenders, "\n".join(offenders)
    without = {source for source, items in found.items() if not items}
    assert without == {"doctor --json", "DoctorReport.to_dict"}  # a doctor report has no times


def test_the_walk_finds_what_it_must_judge() -> None:
    data = {
        "recorded_at": 1750410000.0,
        "rows": [{"created_on": "2025-06-20 09:00:57"}, {"note": "2025-06-20T09:00:57+02:00"}],
        "date_added": "2024-07-30",
        "timezone": "Etc/UTC",
        "time_finished": None,
    }
    found = dict(timestamps(data))
    assert found == {
        ".recorded_at": 1750410000.0,
        ".rows[0].created_on": "2025-06-20 09:00:57",
        ".rows[1].note": "2025-06-20T09:00:57+02:00",
    }
    assert not any(is_utc_iso(value) for value in found.values())
    assert is_utc_iso("2025-06-20T07:00:57+00:00")
