"""The resolved connection settings and the clear-text credentials guard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scale_pilot_nb.config.secret import Secret
from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.rpc.wire_safety import check_credential_route

__all__ = ["ConnectionSettings", "check_transport_safety"]


@dataclass(frozen=True, repr=False)
class ConnectionSettings:
    """Everything needed to open one authenticated connection to a NAS.

    Attributes:
        urls: WebSocket URLs to try in order (``/api/current`` first, ``/websocket`` as the
            24.10 fallback, or the single URL the user gave).
        api_key: API key (exclusive with username/password).
        username: login name for password authentication.
        password: password for ``username``.
        verify_ssl: verify the server's TLS certificate.
        ca_file: CA bundle to verify against instead of the system store.
        allow_insecure: allow credentials over plain ``ws://`` to a remote host (labs only).
        sources: where each part came from (``url``, ``credentials``, ...), for messages.
    """

    urls: tuple[str, ...]
    api_key: Secret | None = None
    username: str | None = None
    password: Secret | None = None
    verify_ssl: bool = True
    ca_file: Path | None = None
    allow_insecure: bool = False
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.urls:
            raise ConfigError("ConnectionSettings needs at least one URL.")
        if self.api_key is not None and self.password is not None:
            raise ConfigError(
                "Both an API key and a password were given.",
                hint="Use one login method.",
            )
        # With an API key, ``username`` names the key's owner (auth.login_ex API_KEY_PLAIN).
        has_password_login = self.api_key is None and (
            self.username is not None or self.password is not None
        )
        if has_password_login and (not self.username or not self.password):
            raise ConfigError(
                "Password login needs both a username and a password.",
                hint="Set both, or use an API key instead.",
            )
        if self.api_key is None and not has_password_login:
            raise ConfigError(
                "No credentials were given.",
                hint="Pass api_key=... (or username= and password=).",
            )

    def __repr__(self) -> str:
        parts = [f"url={self.url!r}"]
        if len(self.urls) > 1:
            parts.append(f"fallback_urls={self.urls[1:]!r}")
        if self.api_key is not None:
            parts.append(f"api_key={self.api_key!r}")
        else:
            parts.append(f"username={self.username!r}, password={self.password!r}")
        parts.append(f"verify_ssl={self.verify_ssl!r}")
        if self.ca_file is not None:
            parts.append(f"ca_file={str(self.ca_file)!r}")
        if self.allow_insecure:
            parts.append("allow_insecure=True")
        return f"ConnectionSettings({', '.join(parts)})"

    @property
    def url(self) -> str:
        """The first URL to try."""
        return self.urls[0]

    @property
    def host(self) -> str:
        """Host name or address of the NAS (no port, no brackets)."""
        return urlsplit(self.url).hostname or ""

    @property
    def auth_method(self) -> str:
        """``"api_key"`` or ``"password"``."""
        return "api_key" if self.api_key is not None else "password"


def check_transport_safety(settings: ConnectionSettings) -> None:
    """Refuse settings that would send their credentials in clear text to another machine.

    Every URL the settings may use is put through the one gate of
    :func:`~scale_pilot_nb.rpc.wire_safety.check_credential_route` (API keys and passwords
    alike; ``ws://`` names are resolved). The clients ask the same gate again on every
    connect, so this early check only spares a doomed attempt.

    Args:
        settings: the settings about to be used.

    Raises:
        InsecureTransportError: a URL is ``ws://`` to a host that is not loopback and
            ``settings.allow_insecure`` is false.
    """
    for url in settings.urls:
        check_credential_route(url, allow_insecure=settings.allow_insecure)
