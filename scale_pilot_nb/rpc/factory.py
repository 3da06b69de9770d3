"""Choosing the wire: ``transport="websockets"`` (default) or ``"official"``.

Both clients offer the same interface, written down as :class:`TrueNASClient`, so the
manager can type against it and take either.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Literal, Protocol, Self

from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.rpc.auth import SecretLike
from scale_pilot_nb.rpc.client import RpcClient
from scale_pilot_nb.rpc.connection import DEFAULT_MAX_IN_FLIGHT
from scale_pilot_nb.rpc.jobs import ProgressCallback
from scale_pilot_nb.rpc.official import OfficialClient
from scale_pilot_nb.rpc.options import (
    DEFAULT_RECONNECT,
    DEFAULT_TIMEOUTS,
    USE_DEFAULT,
    ReconnectPolicy,
    TimeoutArg,
    Timeouts,
)
from scale_pilot_nb.rpc.shell import ShellRoute
from scale_pilot_nb.rpc.stats import ClientStats
from scale_pilot_nb.rpc.subscription import DEFAULT_MAX_QUEUE, Subscription

__all__ = ["TRANSPORTS", "TransportName", "TrueNASClient", "make_client"]

TransportName = Literal["websockets", "official"]
TRANSPORTS: tuple[TransportName, ...] = ("websockets", "official")


class TrueNASClient(Protocol):
    """What :class:`~scale_pilot_nb.rpc.client.RpcClient` and
    :class:`~scale_pilot_nb.rpc.official.OfficialClient` both offer."""

    stats: ClientStats
    timeouts: Timeouts

    @property
    def url(self) -> str | None:
        """The endpoint in use, once connected."""

    @property
    def connected(self) -> bool:
        """True while connected."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def connect(self) -> None:
        """Connect and log in."""

    async def close(self) -> None:
        """Close; idempotent."""

    async def call(
        self,
        method: str,
        *params: Any,
        timeout: TimeoutArg = USE_DEFAULT,
        retry_safe: bool | None = None,
    ) -> Any:
        """One call."""

    async def call_job(
        self,
        method: str,
        *params: Any,
        progress: ProgressCallback | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
        on_job: Callable[[int], None] | None = None,
    ) -> Any:
        """A job, waited for."""

    async def wait_job(
        self,
        job_id: int,
        *,
        progress: ProgressCallback | None = None,
        timeout: TimeoutArg = USE_DEFAULT,
    ) -> Any:
        """An existing job, waited for."""

    def subscribe(self, name: str, *, max_queue: int = DEFAULT_MAX_QUEUE) -> Subscription:
        """Events as an async iterator."""

    def shell_route(self) -> ShellRoute:
        """Where the connected NAS's web shell is, and how to reach it."""


def make_client(
    url: str | Sequence[str],
    *,
    transport: TransportName = "websockets",
    api_key: SecretLike | None = None,
    username: str | None = None,
    password: SecretLike | None = None,
    verify_ssl: bool = True,
    ca_file: str | os.PathLike[str] | None = None,
    timeouts: Timeouts = DEFAULT_TIMEOUTS,
    reconnect: ReconnectPolicy = DEFAULT_RECONNECT,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    allow_insecure: bool = False,
) -> TrueNASClient:
    """A client on the chosen wire (arguments as for :class:`RpcClient`).

    ``allow_insecure`` lets credentials travel over ``ws://`` to a host that is not loopback
    (see :mod:`~scale_pilot_nb.rpc.wire_safety`); both clients check it on every connect.

    The official client has no reconnect of its own, so ``reconnect`` applies to ours only.

    Raises:
        ConfigError: unknown ``transport``, or ``ca_file`` with ``"official"``.
        UnsupportedError: ``"official"`` without ``truenas_api_client`` installed.
    """
    options: dict[str, Any] = {
        "api_key": api_key,
        "username": username,
        "password": password,
        "verify_ssl": verify_ssl,
        "ca_file": ca_file,
        "timeouts": timeouts,
        "max_in_flight": max_in_flight,
        "allow_insecure": allow_insecure,
    }
    if transport == "websockets":
        return RpcClient(url, reconnect=reconnect, **options)
    if transport == "official":
        return OfficialClient(url, **options)
    raise ConfigError(
        f"Unknown transport {transport!r}", hint=f"Use one of {', '.join(TRANSPORTS)}."
    )
