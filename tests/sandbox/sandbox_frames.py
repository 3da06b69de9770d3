"""A raw-frame WebSocket client for server tests (deliberately not the project's rpc client).

Tests see exactly the JSON the sandbox sends; nothing is interpreted on the way.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

#: Upper bound for any single wait in a test (the sandbox answers in milliseconds).
WAIT = 5.0

Frame = dict[str, Any]


class Raw:
    """One connection; frames not yet consumed by a wait stay in :attr:`inbox`."""

    def __init__(self, ws: ClientConnection, legacy: bool) -> None:
        self.ws = ws
        self.legacy = legacy
        self.inbox: list[Frame] = []
        self._ids = itertools.count(1)

    @classmethod
    async def open(cls, url: str, **kwargs: Any) -> Raw:
        """Connect (legacy URLs also do the ``connect``/``connected`` handshake)."""
        ws = await connect(url, open_timeout=WAIT, **kwargs)
        raw = cls(ws, url.endswith("/websocket"))
        if raw.legacy:
            await raw.send({"msg": "connect", "version": "1", "support": ["1"], "features": []})
            assert (await raw.next())["msg"] == "connected"
        return raw

    async def close(self) -> None:
        """Close politely."""
        await self.ws.close()

    async def send(self, frame: Frame) -> None:
        """Send one frame as JSON."""
        await self.ws.send(json.dumps(frame))

    async def next(self) -> Frame:
        """The next frame from the socket (not the inbox)."""
        async with asyncio.timeout(WAIT):
            return dict(json.loads(await self.ws.recv()))

    async def until(self, predicate: Callable[[Frame], bool]) -> list[Frame]:
        """Frames up to and including the first one matching ``predicate`` (inbox first)."""
        seen: list[Frame] = []
        while True:
            frame = self.inbox.pop(0) if self.inbox else await self.next()
            seen.append(frame)
            if predicate(frame):
                return seen

    def request(self, method: str, *params: Any) -> tuple[Any, Frame]:
        """A request frame for either dialect and its id."""
        call_id = f"c{next(self._ids)}"
        if self.legacy:
            return call_id, {
                "msg": "method",
                "method": method,
                "id": call_id,
                "params": list(params),
            }
        frame = {"jsonrpc": "2.0", "method": method, "id": call_id, "params": list(params)}
        return call_id, frame

    async def call(self, method: str, *params: Any) -> Frame:
        """Send a request and return its response; other frames stay in :attr:`inbox`."""
        call_id, frame = self.request(method, *params)
        await self.send(frame)
        return await self.response(call_id)

    async def response(self, call_id: Any) -> Frame:
        """Wait for the response to ``call_id``, keeping other frames in the inbox."""
        for index, frame in enumerate(self.inbox):
            if frame.get("id") == call_id and is_response(frame):
                return self.inbox.pop(index)
        while True:
            frame = await self.next()
            if frame.get("id") == call_id and is_response(frame):
                return frame
            self.inbox.append(frame)

    async def result(self, method: str, *params: Any) -> Any:
        """The result of a successful call (fails the test on an error response)."""
        frame = await self.call(method, *params)
        assert "error" not in frame, frame
        return frame["result"]

    async def login(self, api_key: str) -> None:
        """Log in with an API key (asserts success)."""
        assert await self.result("auth.login_with_api_key", api_key) is True


def is_response(frame: Frame) -> bool:
    """True for a call response of either dialect (not an event)."""
    return ("result" in frame or "error" in frame) and frame.get("msg") in (None, "result")


def job_events(frames: list[Frame], job_id: int | None = None) -> list[Frame]:
    """The ``core.get_jobs`` event params among ``frames`` (both dialects), in order."""
    events = []
    for frame in frames:
        params = frame.get("params") if frame.get("method") == "collection_update" else frame
        if (
            isinstance(params, dict)
            and params.get("collection") == "core.get_jobs"
            and (job_id is None or params.get("id") == job_id)
        ):
            events.append(params)
    return events
