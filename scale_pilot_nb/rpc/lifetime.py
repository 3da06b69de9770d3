"""``with`` and ``async with`` for the objects that hold a connection, written once.

The client, its official-client twin, the manager, the AI helper, the pilot, a fleet, the loop
runner, the CLI session and a container shell all open on entry (or are open already) and close
on exit, whatever ended the block. They inherit one of these three instead of each spelling out
the same methods; ``close`` is idempotent everywhere, so a block that closed early still exits
cleanly.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

__all__ = ["AsyncClosedOnExit", "AsyncConnected", "ClosedOnExit"]


class AsyncClosedOnExit:
    """``async with obj:`` returns ``obj`` (already open) and awaits ``obj.close()`` on exit."""

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class AsyncConnected(AsyncClosedOnExit):
    """``async with obj:`` awaits ``obj.connect()`` on entry and ``obj.close()`` on exit."""

    async def connect(self) -> Any:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.connect()
        return self


class ClosedOnExit:
    """``with obj:`` returns ``obj`` (already open) and calls ``obj.close()`` on exit."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
