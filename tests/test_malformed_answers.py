"""A NAS answering queries in the wrong shape gives typed errors, never a raw TypeError."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.rpc import RpcClient
from scale_pilot_nb.rpc.options import NO_RECONNECT, Timeouts

#: What the server answers to every query in a run (the parametrised odd shape).
ODD: list[Any] = [None]


async def odd_server(ws: ServerConnection) -> None:
    async for message in ws:
        request = json.loads(message)
        result: Any = {"legacy_jobs": False} if request["method"] == "core.set_options" else ODD[0]
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}))


@pytest.fixture
async def manager() -> AsyncIterator[TrueNASDockerManager]:
    async with serve(odd_server, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        client = RpcClient(
            f"ws://127.0.0.1:{port}/api/current",
            timeouts=Timeouts(connect=5, call=5, keepalive=None),
            reconnect=NO_RECONNECT,
        )
        async with TrueNASDockerManager(client=client, history=False) as m:
            yield m


@pytest.mark.parametrize("shape", [None, 7, "text", {"a": 1}, [1, "x", None], [[]]])
async def test_queries_of_the_wrong_shape_are_typed_errors(
    manager: TrueNASDockerManager, shape: Any
) -> None:
    ODD[0] = shape
    for call in (
        manager.list_apps,
        manager.images,
        manager.pools,
        manager.used_ports,
        lambda: manager.get_app("web"),
    ):
        try:
            await call()
        except TrueNASError as error:
            assert "unexpected shape" in (error.hint or "") or "does not exist" in error.message
