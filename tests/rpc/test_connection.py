"""One connection: the in-flight limit and frame accounting, against the sandbox."""

from __future__ import annotations

import asyncio

import pytest

from scale_pilot_nb.errors import ApiError
from scale_pilot_nb.sandbox import Sandbox

from .conftest import client_for


async def test_at_most_twenty_calls_in_flight_without_errors(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        results = await asyncio.gather(*(client.call("test.sleep", 0.05) for _ in range(45)))
    assert results == [0.05] * 45  # the sandbox refuses the 21st concurrent call


async def test_frames_counted_match_the_servers_count(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        await client.call("app.query")
        await client.call_job("test.progress")
        sent = client.stats.frames_sent
    metrics = sandbox.metrics
    assert sent == metrics.frames_in
    assert client.stats.logins == metrics.logins == 1


async def test_an_oversized_request_is_refused_before_sending(sandbox: Sandbox) -> None:
    async with client_for(sandbox) as client:
        with pytest.raises(ApiError) as refused:
            await client.call("test.sleep", "x" * 70_000)
        assert refused.value.errname == "EMSGSIZE" and refused.value.hint
        assert await client.call("core.ping") == "pong"
        assert client.stats.reconnects == 0
    assert sandbox.metrics.requests["test.sleep"] == 0


async def test_unencodable_parameters_are_refused_and_the_client_stays_usable(
    sandbox: Sandbox,
) -> None:
    async with client_for(sandbox) as client:
        for _ in range(25):  # more than the call slots: a refusal must not hold one
            with pytest.raises(ApiError) as refused:
                await client.call("test.sleep", object())
            assert refused.value.errname == "EINVAL"
        assert await client.call("core.ping") == "pong"
