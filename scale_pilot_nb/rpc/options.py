"""Small value objects that configure the client: timeouts, reconnect policy, TLS.

Defaults are module constants. Per-call ``timeout=`` arguments use the :data:`USE_DEFAULT`
sentinel to mean "the client's default", so ``None`` can mean "no timeout".
"""

from __future__ import annotations

import os
import random
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Final, Literal

from scale_pilot_nb.errors import ConfigError

__all__ = [
    "DEFAULT_RECONNECT",
    "DEFAULT_TIMEOUTS",
    "NO_RECONNECT",
    "USE_DEFAULT",
    "ReconnectPolicy",
    "Timeouts",
    "UseDefault",
    "ssl_context",
]


class UseDefault(Enum):
    """Type of :data:`USE_DEFAULT`."""

    USE_DEFAULT = "USE_DEFAULT"

    def __repr__(self) -> str:
        return "USE_DEFAULT"


#: "Not passed": use the client's configured default (``None`` means "no timeout").
USE_DEFAULT: Final = UseDefault.USE_DEFAULT

TimeoutArg = float | None | Literal[UseDefault.USE_DEFAULT]


@dataclass(frozen=True)
class Timeouts:
    """Timeouts in seconds; ``None`` disables one.

    Attributes:
        connect: opening the WebSocket and the protocol handshake.
        call: waiting for the answer to one call (including a wait for a free call slot).
        job: waiting for a job to end, from sending its call; ``None`` waits as long as the
            job runs, as the official client does (image pulls can take many minutes).
        keepalive: idle seconds after which ``core.ping`` checks the connection; ``None``
            turns keepalive off.
    """

    connect: float | None = 10.0
    call: float | None = 60.0
    job: float | None = None
    keepalive: float | None = 30.0

    def __post_init__(self) -> None:
        for name in ("connect", "call", "job", "keepalive"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError(f"Timeouts.{name} must be positive or None, not {value!r}")


DEFAULT_TIMEOUTS: Final = Timeouts()


@dataclass(frozen=True)
class ReconnectPolicy:
    """How to reconnect after the connection drops: exponential backoff with jitter.

    Attempt ``n`` (from 0) waits ``min(max_delay, initial_delay * multiplier**n)`` scaled by a
    random factor in ``[1 - jitter, 1]``, so many clients dropped at once do not return in
    lock-step. After ``max_attempts`` failed attempts the client gives up; the next call
    starts a new round. ``max_attempts=0`` never reconnects.
    """

    max_attempts: int = 8
    initial_delay: float = 0.5
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 0 or self.initial_delay < 0 or self.max_delay < 0:
            raise ConfigError("ReconnectPolicy values must not be negative")
        if not 0 <= self.jitter <= 1 or self.multiplier < 1:
            raise ConfigError("ReconnectPolicy needs 0 <= jitter <= 1 and multiplier >= 1")

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The wait before each attempt, ``max_attempts`` values."""
        rng = rng or random.Random()
        for attempt in range(self.max_attempts):
            base = min(self.max_delay, self.initial_delay * self.multiplier**attempt)
            yield base * (1 - self.jitter * rng.random())


DEFAULT_RECONNECT: Final = ReconnectPolicy()
NO_RECONNECT: Final = ReconnectPolicy(max_attempts=0)


def ssl_context(
    *, verify_ssl: bool = True, ca_file: str | os.PathLike[str] | None = None
) -> ssl.SSLContext:
    """The TLS context for ``wss://``: verified against the system CAs by default.

    Args:
        verify_ssl: ``False`` accepts any certificate (self-signed lab boxes); insecure.
        ca_file: a PEM bundle to trust instead of the system CAs (your NAS's own CA).

    Raises:
        ConfigError: ``ca_file`` cannot be read or is not a certificate bundle.
    """
    try:
        context = ssl.create_default_context(cafile=os.fspath(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"Cannot load the CA file {os.fspath(ca_file or '')!r}: {exc}",
            hint="Pass the path of a PEM file holding the NAS's CA certificate.",
        ) from None
    if not verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
