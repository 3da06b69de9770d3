"""Inventory: ``Pilot.apps()`` on the 1,000-app seed vs the floor the wire allows.

The floor is one raw ``websockets`` JSON-RPC ``app.query`` on an already logged-in connection
plus ``pandas.json_normalize`` of the result: what a hand-written script would do, with no
records, dtypes or error handling.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from typing import Any

import pandas as pd
from websockets.asyncio.client import ClientConnection, connect

from benchmarks._harness import Comparison, compare
from scale_pilot_nb.manager import TrueNASDockerManager
from scale_pilot_nb.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox


class RawClient:
    """A bare JSON-RPC connection on its own loop thread (the baseline's wire)."""

    def __init__(self, sb: Sandbox) -> None:
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, daemon=True).start()
        self._ws: ClientConnection = self.run(self._open(sb.url))
        self._next = 0
        self.call("auth.login_with_api_key", sb.api_key)

    @staticmethod
    async def _open(url: str) -> ClientConnection:
        return await connect(url, max_size=None)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def call(self, method: str, *params: Any) -> Any:
        self._next += 1
        request = {"jsonrpc": "2.0", "id": self._next, "method": method, "params": list(params)}

        async def round_trip() -> Any:
            await self._ws.send(json.dumps(request))
            while True:
                message = json.loads(await self._ws.recv())
                if message.get("id") == self._next:
                    return message["result"]

        return self.run(round_trip())

    def close(self) -> None:
        self.run(self._ws.close())
        self._loop.call_soon_threadsafe(self._loop.stop)


def run(apps: int = 1000, rounds: int = 5) -> list[Comparison]:
    """Time ``Pilot.apps()`` and ``Pilot.containers()`` against the raw floor."""
    with Sandbox(seed=apps) as sb:
        raw = RawClient(sb)
        pilot = Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username))
        try:

            def floor() -> pd.DataFrame:
                return pd.json_normalize(raw.call("app.query"))

            return [
                compare(
                    f"Pilot.apps() ({apps} apps)",
                    pilot.apps,
                    floor,
                    baseline_label="raw app.query + json_normalize",
                    rounds=rounds,
                ),
                compare(
                    f"Pilot.containers() ({apps} apps)",
                    pilot.containers,
                    floor,
                    baseline_label="raw app.query + json_normalize",
                    rounds=rounds,
                ),
            ]
        finally:
            pilot.close()
            raw.close()


if __name__ == "__main__":
    for row in run():
        print(row.row())
