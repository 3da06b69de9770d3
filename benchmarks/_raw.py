"""The baselines' wire: a bare ``websockets`` JSON-RPC client, as a hand-written script has.

No records, no reconnects, no event-driven job waits: jobs are followed by polling
``core.get_jobs`` (what the earlier tool and most scripts do). Each instance is one
connection and one login, on its own loop thread so benchmarks can call it synchronously.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from scale_pilot_nb.sandbox import Sandbox

#: Seconds between two ``core.get_jobs`` polls of a running job.
POLL_INTERVAL = 0.1


async def _open(url: str) -> ClientConnection:
    return await connect(url, max_size=None)


class RawClient:
    """One bare JSON-RPC connection, logged in with the sandbox's API key."""

    def __init__(self, sb: Sandbox) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._ws: ClientConnection = self._run(_open(sb.url))
        self._next = 0
        self.call("auth.login_with_api_key", sb.api_key)

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def call(self, method: str, *params: Any) -> Any:
        """Send one request and return its result (other frames are skipped)."""
        self._next += 1
        request_id = self._next
        request = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}

        async def round_trip() -> Any:
            await self._ws.send(json.dumps(request))
            while True:
                message = json.loads(await self._ws.recv())
                if message.get("id") == request_id:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message["result"]

        return self._run(round_trip())

    def job(self, method: str, *params: Any) -> Any:
        """Start a job and poll ``core.get_jobs`` until it ends; return its result."""
        job_id = self.call(method, *params)
        while True:
            (job,) = self.call("core.get_jobs", [["id", "=", job_id]])
            if job["state"] in ("SUCCESS", "FAILED", "ABORTED"):
                if job["state"] != "SUCCESS":
                    raise RuntimeError(f"{method}: {job['error']}")
                return job["result"]
            time.sleep(POLL_INTERVAL)

    def collect(self, name: str, quiet: float, duration: float | None = None) -> int:
        """Subscribe to ``name`` and count its events until ``quiet`` seconds pass without
        one (or ``duration`` seconds have passed)."""
        self.call("core.subscribe", name)

        async def count() -> int:
            seen = 0
            loop = asyncio.get_running_loop()
            deadline = None if duration is None else loop.time() + duration
            while deadline is None or loop.time() < deadline:
                try:
                    async with asyncio.timeout(quiet):
                        message = json.loads(await self._ws.recv())
                except TimeoutError:
                    break
                seen += message.get("method") == "collection_update"
            return seen

        return int(self._run(count()))

    def close(self) -> None:
        self._run(self._ws.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
