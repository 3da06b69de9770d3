"""ix-app payloads the SDK builds are ones each release's questions schema accepts.

The judge is the sandbox, whose ix-app values check is written from the middleware's and the
catalog's source for each release (never from the SDK's conversion). Every compose-corpus file
and example that the SDK validates in ix-app mode against that NAS (its ``app.ip_choices`` and
host paths included) is converted, created and then updated with the same values: none may be
refused. The host paths the files bind are made to exist first, as a user creates datasets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scale_pilot_nb import TrueNASDockerManager, examples
from scale_pilot_nb.compose import convert
from scale_pilot_nb.compose.validate import host_bind_sources, prepare
from scale_pilot_nb.errors import ComposeError
from scale_pilot_nb.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "compose_corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
FILES = [
    (key, CORPUS / key, dict(entry.get("variables") or {}))
    for key, entry in sorted(EXPECTED.items())
    if key.startswith("good/")
] + [(f"examples/{p.name}", p, {}) for p in sorted(examples.path().glob("*.yml"))]


@pytest.fixture(params=["24.10", "25.04", "25.10"])
async def manager(request: pytest.FixtureRequest) -> AsyncIterator[TrueNASDockerManager]:
    with Sandbox(version=request.param, seed="empty") as sandbox:
        paths = {path for _, file, variables in FILES for path in _binds(file, variables)}
        sandbox.call_in_loop(lambda: sandbox.model.directories.update(paths))
        url = sandbox.legacy_url if request.param == "24.10" else sandbox.url
        async with TrueNASDockerManager(url, sandbox.api_key, username=sandbox.username) as m:
            yield m


def _binds(file: Path, variables: dict[str, str]) -> list[str]:
    try:
        return host_bind_sources(prepare(file, variables=variables))
    except ComposeError:
        return []


async def test_every_ix_app_payload_is_accepted_on_create_and_update(
    manager: TrueNASDockerManager,
) -> None:
    sent, refused_by_us = 0, 0
    for label, file, variables in FILES:
        report = await manager.validate(file, "ixc", mode="ix-app", split=True, variables=variables)
        if not report.valid:
            refused_by_us += 1
            continue
        for app in convert(file, "ixc", mode="ix-app", split=True, variables=variables).apps:
            try:
                await manager.client.call_job("app.create", app.payload)
                await manager.client.call_job(
                    "app.update", app.app_name, {"values": app.payload["values"]}
                )
            except Exception as exc:  # the message names the field the release refused
                pytest.fail(f"{label} ({app.app_name}) was refused: {exc}")
            await manager.client.call_job("app.delete", app.app_name, {"remove_images": False})
            sent += 1
    assert sent >= 60, f"only {sent} apps were sent ({refused_by_us} files refused by validate)"
