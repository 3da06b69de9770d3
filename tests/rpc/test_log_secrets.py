"""DEBUG logging never carries a secret (issue #14, item 4).

Every logger — ours, ``websockets``, asyncio, the sandbox's — is turned to DEBUG, logins with
an API key and with a password run against the sandbox over ``ws://`` and ``wss://``, and
everything logged is scanned for the secrets and any 8-character slice of them.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

from .conftest import TEST_TIMEOUTS

API_KEY = "7-LogScanKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
PASSWORD = "Pa55word-that-must-never-reach-a-log-file"
SLICE = 8


@pytest.fixture
def every_logger_at_debug() -> Iterator[io.StringIO]:
    """DEBUG on the root and on every logger known so far; all records land in the buffer."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = [logger.level for logger in loggers]
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        yield buffer
    finally:
        logging.getLogger().removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@pytest.fixture(params=[("24.10", False), ("25.04", False), ("25.10", False), ("25.10", True)])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    version, tls = request.param
    with Sandbox(
        version=version, timing=Timing(), tls=tls, api_key=API_KEY, password=PASSWORD
    ) as sb:
        yield sb


def _leaks(text: str, secret: str) -> list[str]:
    return [
        secret[i : i + SLICE]
        for i in range(len(secret) - SLICE + 1)
        if secret[i : i + SLICE] in text
    ]


async def test_logins_at_debug_log_no_secret(
    sandbox: Sandbox, every_logger_at_debug: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = sandbox.legacy_url if sandbox.version == "24.10" else sandbox.url
    logins = [
        {"api_key": API_KEY},
        {"api_key": API_KEY, "username": sandbox.username},  # auth.login_ex API_KEY_PLAIN
        {"username": sandbox.username, "password": PASSWORD},
    ]
    for credentials in logins:
        async with RpcClient(
            url, ca_file=sandbox.ca_file, timeouts=TEST_TIMEOUTS, **credentials
        ) as client:
            assert client.login_mechanism is not None
            assert await client.call("core.ping") == "pong"
    logged = every_logger_at_debug.getvalue() + caplog.text
    assert "websockets.client DEBUG > TEXT" in logged  # frames are still traced, without contents
    assert _leaks(logged, API_KEY) == []
    assert _leaks(logged, PASSWORD) == []
