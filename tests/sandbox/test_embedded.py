"""``Sandbox``: the thread, start-up errors, context managers, reset, metrics and --state."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sandbox_frames import Raw

from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.embedded import parse_seed
from scale_pilot_nb.sandbox.state import Timing

MakeSandbox = Callable[..., Sandbox]
COMPOSE = "services:\n  web:\n    image: nginx:1.27\n"


async def create_app(sb: Sandbox, name: str) -> dict[str, object]:
    raw = await Raw.open(sb.url)
    await raw.result("core.set_options", {"legacy_jobs": False})
    await raw.login(sb.api_key)
    payload = {"app_name": name, "custom_app": True, "custom_compose_config_string": COMPOSE}
    created: dict[str, object] = await raw.result("app.create", payload)
    await raw.close()
    return created


async def app_names(sb: Sandbox) -> list[str]:
    raw = await Raw.open(sb.url)
    await raw.login(sb.api_key)
    names = [app["name"] for app in await raw.result("app.query", [], {"select": ["name"]})]
    await raw.close()
    return names


def test_urls_thread_and_secrets_masked() -> None:
    with Sandbox(seed="empty", timing=Timing()) as sb:
        assert sb.url == f"ws://127.0.0.1:{sb.port}/api/current"
        assert sb.legacy_url == f"ws://127.0.0.1:{sb.port}/websocket"
        assert sb.api_key.startswith("1-") and len(sb.api_key) > 20
        assert sb.api_key not in repr(sb) and sb.password not in repr(sb)
        names = [t.name for t in threading.enumerate() if t.daemon]
        assert "scale-pilot-sandbox-25.10" in names
    assert "scale-pilot-sandbox-25.10" not in [t.name for t in threading.enumerate()]
    sb.stop()  # idempotent


def test_start_failure_is_raised_in_the_caller() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError):
            Sandbox(seed="empty", port=port).start()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"version": "23.10"}, "version must be one of"),
        ({"seed": "lots"}, "seed must be"),
        ({"api_key": "nodash"}, "api_key must look like"),
    ],
)
def test_bad_arguments(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Sandbox(**kwargs)  # type: ignore[arg-type]


def test_parse_seed() -> None:
    assert (parse_seed("demo"), parse_seed("12"), parse_seed(3)) == ("demo", 12, 3)


async def test_async_context_manager() -> None:
    async with Sandbox("25.04", "empty", timing=Timing()) as sb:
        raw = await Raw.open(sb.url)
        await raw.login(sb.api_key)
        assert await raw.result("core.ping") == "pong"
        await raw.close()


async def test_demo_seed_serves_apps(sandbox: Sandbox) -> None:
    assert len(await app_names(sandbox)) >= 5


async def test_reset_restores_seed_and_counters(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10", "empty")
    await create_app(sb, "web")
    assert await app_names(sb) == ["web"]
    assert sb.metrics.requests["app.create"] == 1
    sb.reset()
    assert sb.metrics.requests["app.create"] == 0
    assert await app_names(sb) == []


async def test_state_file_survives_restart(tmp_path: Path) -> None:
    state = tmp_path / "nas.json"
    async with Sandbox("25.10", "empty", state_file=state, timing=Timing()) as sb:
        await create_app(sb, "keeper")
        assert json.loads(state.read_text())["apps"]  # saved after the job, not only on stop
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "nas.json"]
    assert leftovers == []  # the atomic write leaves no temporary files
    async with Sandbox("25.10", "demo", state_file=state, timing=Timing()) as again:
        assert await app_names(again) == ["keeper"]  # the file wins over the seed


def test_state_file_from_another_version_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "nas.json"
    with Sandbox("25.10", "empty", state_file=state, timing=Timing()):
        pass
    with pytest.raises(ValueError, match=r"holds a 25\.10 NAS"):
        Sandbox("25.04", "empty", state_file=state).start()


async def test_thousand_app_seed_over_the_wire(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("25.10", 1000)
    raw = await Raw.open(sb.url, max_size=None)
    await raw.login(sb.api_key)
    assert await raw.result("app.query", [], {"count": True}) == 1000
    page = await raw.result(
        "app.query", [], {"order_by": ["name"], "limit": 10, "select": ["name"]}
    )
    assert len(page) == 10
    await raw.close()
