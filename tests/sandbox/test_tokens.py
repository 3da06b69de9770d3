"""``auth.generate_token``'s arguments: refused exactly where the release's schema refuses them.

:data:`ACCEPTED` and :data:`REFUSED` are a recorded verdict, not computed here: the table was
produced once, outside this suite, by building the middleware's own ``AuthGenerateTokenArgs``
models from its source at TS-25.04.2.6 and TS-25.10.5 (``api/v25_04_2/auth.py``,
``api/v25_10_5/auth.py``) with pydantic 2.9.2, the version those releases pin, and feeding
them these values. That run found strict types, ``attrs`` an object (not null), a bool for
``match_origin`` and ``single_use``. The suite neither imports the middleware nor repeats
that run; the tests check the sandbox against the recorded lists. 24.10's legacy
``@accepts`` (``Int('ttl', null=True)``, ``Dict('attrs')``, ``Bool('match_origin')``) refuses
the same values, in its own words, except that its ``Int`` also takes text it can parse as a
number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scale_pilot_nb.sandbox import Sandbox
from tests.sandbox.sandbox_frames import Raw

ACCEPTED = [[], [300], [None], [0], [-1], [300, {}], [300, {"a": 1}], [300, {}, False]]
REFUSED = [
    (["x"], "ttl"),
    ([True], "ttl"),
    ([300, None], "attrs"),
    ([300, []], "attrs"),
    ([300, {}, "yes"], "match_origin"),
    ([300, {}, 1], "match_origin"),
]


async def _answer(sandbox: Sandbox, params: list[Any]) -> dict[str, Any]:
    url = sandbox.legacy_url if sandbox.version == "24.10" else sandbox.url
    raw = await Raw.open(url)
    try:
        await raw.login(sandbox.api_key)
        return await raw.call("auth.generate_token", *params)
    finally:
        await raw.close()


@pytest.mark.parametrize("version", ["24.10", "25.04", "25.10"])
async def test_arguments_each_schema_accepts(
    make_sandbox: Callable[..., Sandbox], version: str
) -> None:
    sandbox = make_sandbox(version, "empty")
    for params in ACCEPTED:
        answer = await _answer(sandbox, params)
        assert isinstance(answer.get("result"), str), (params, answer)


@pytest.mark.parametrize("version", ["24.10", "25.04", "25.10"])
async def test_arguments_each_schema_refuses(
    make_sandbox: Callable[..., Sandbox], version: str
) -> None:
    sandbox = make_sandbox(version, "empty")
    for params, field in REFUSED:
        answer = await _answer(sandbox, params)
        assert "result" not in answer, params
        assert f"auth.generate_token.{field}" in str(answer["error"]), (params, answer)


@pytest.mark.parametrize(("version", "accepted"), [("24.10", True), ("25.04", False)])
async def test_only_the_legacy_schema_takes_a_number_as_text(
    make_sandbox: Callable[..., Sandbox], version: str, accepted: bool
) -> None:
    answer = await _answer(make_sandbox(version, "empty"), ["300"])
    assert isinstance(answer.get("result"), str) is accepted, answer


async def test_single_use_must_be_a_bool_from_2504(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox("25.10", "empty")
    assert isinstance((await _answer(sandbox, [300, {}, True, True])).get("result"), str)
    refused = await _answer(sandbox, [300, {}, True, "yes"])
    assert "auth.generate_token.single_use" in str(refused["error"])
