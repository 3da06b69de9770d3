"""Arguments are checked before anything is sent; the app-name rule matches in full."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from scale_pilot_nb.compose.rules_truenas import app_name_problem
from scale_pilot_nb.errors import AppExistsError, ArgumentError, TrueNASError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

COMPOSE = "services:\n  web:\n    image: nginx:1.27.3\n"


@pytest.fixture
async def manager() -> AsyncIterator[TrueNASDockerManager]:
    with Sandbox("25.10", "demo", timing=Timing()) as sandbox:
        async with TrueNASDockerManager(sandbox.url, sandbox.api_key, history=False) as m:
            yield m


def test_the_app_name_rule_matches_the_whole_name() -> None:
    assert app_name_problem("web") is None
    assert app_name_problem("web\n") is not None  # `$` alone would match before the newline


async def test_a_name_with_a_trailing_newline_is_refused_before_sending(
    manager: TrueNASDockerManager,
) -> None:
    for call in (manager.start_app("web\n"), manager.deploy(COMPOSE, "web\n")):
        with pytest.raises(ArgumentError) as caught:
            await call
        assert isinstance(caught.value, TrueNASError) and isinstance(caught.value, ValueError)
    assert await manager.find_app("web\n") is None


async def test_bulk_refuses_a_lone_string_instead_of_acting_on_its_letters(
    manager: TrueNASDockerManager,
) -> None:
    with pytest.raises(ArgumentError, match="list of names"):
        await manager.bulk("stop", "db")  # would have stopped apps "d" and "b"
    result = await manager.bulk("stop", ["whoami"])
    assert result["whoami"].action == "stopped"


async def test_a_name_clash_is_app_exists_error(manager: TrueNASDockerManager) -> None:
    await manager.deploy(COMPOSE, "clash")
    payload = {"app_name": "clash", "custom_app": True, "custom_compose_config_string": COMPOSE}
    with pytest.raises(AppExistsError) as caught:
        await manager.create_app(payload)
    assert caught.value.errname == "EEXIST" and caught.value.job_id is not None


async def test_wait_for_an_unknown_state_is_refused_not_waited_for(
    manager: TrueNASDockerManager,
) -> None:
    for state in (None, "RUNING", "UNKNOWN", 3):
        with pytest.raises(ArgumentError, match="state must be one of"):
            await manager.wait_for_state("whoami", state)  # type: ignore[arg-type]
