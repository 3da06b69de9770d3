"""10,000 calls over one connection: the client's memory does not grow with the call count.

``tracemalloc`` snapshots are taken after a warm-up and after 10,000 more calls (20 in flight
at a time); only allocations made by the client package count, so the sandbox's own
bookkeeping in the same process does not blur the picture.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections.abc import Callable

import pytest

from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.sandbox import Sandbox

pytestmark = pytest.mark.chaos

CALLS = 10_000
IN_FLIGHT = 20
#: Growth allowed for 10,000 calls: a leak of even 100 bytes per call would be ~1 MiB.
BOUND = 64 * 1024
CLIENT_CODE = ("*/scale_pilot_nb/rpc/*", "*/websockets/*")


async def _burst(client: RpcClient, calls: int) -> None:
    for _ in range(calls // IN_FLIGHT):
        await asyncio.gather(*(client.call("core.ping") for _ in range(IN_FLIGHT)))


def _client_bytes(snapshot: tracemalloc.Snapshot) -> int:
    filters = [tracemalloc.Filter(True, pattern) for pattern in CLIENT_CODE]
    return sum(stat.size for stat in snapshot.filter_traces(filters).statistics("filename"))


async def test_ten_thousand_calls_do_not_grow_memory(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False, rate_limit=False)
    async with RpcClient(sb.url, api_key=sb.api_key, username=sb.username) as client:
        tracemalloc.start()
        try:
            await _burst(client, 1_000)  # warm-up: caches, buffers, free lists
            gc.collect()
            before = _client_bytes(tracemalloc.take_snapshot())
            await _burst(client, CALLS)
            gc.collect()
            after = _client_bytes(tracemalloc.take_snapshot())
        finally:
            tracemalloc.stop()
        assert after - before < BOUND, f"client memory grew by {after - before} bytes"
        assert client.stats.connects == 1
    metrics = sb.metrics
    assert metrics.connections == 1 and metrics.logins == 1
    assert metrics.requests["core.ping"] == 1_000 + CALLS
