"""The web-shell WebSocket: the only way TrueNAS lets a client run a command in a container.

There is no exec method in the API (TS-24.10.2.4, TS-25.04.2.6, TS-25.10.5; see
``docs/exec-design.md``). The web UI's "Shell" button opens ``/websocket/shell`` with a token
from ``auth.generate_token``, and the middleware runs ``docker exec -it <id> <command>`` on a
PTY behind it. This module speaks that protocol and nothing more:

1. first frame (text JSON): ``{"token", "options": {"app_name", "container_id", "command"}}``;
2. ``{"msg": "failed", ...}`` (text) refuses the token, ``{"msg": "connected", "id"}``
   accepts it; a refused container id just closes the socket;
3. then binary frames both ways (raw PTY bytes); a text frame from the client would kill the
   session, so :meth:`ShellChannel.send` only sends binary; the server closes the socket when
   the process ends, without an exit status.

The token is a credential (it opens a root shell on the NAS), so the shell URL passes the
same gate as a login (:func:`~scale_pilot_nb.rpc.wire_safety.check_credential_route`), uses
the API connection's TLS settings, and redirects are not followed. Tokens never appear in a
repr, a log line or an error.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from scale_pilot_nb.errors import ConnectionError, ShellRefusedError
from scale_pilot_nb.rpc.options import ssl_context
from scale_pilot_nb.rpc.transport import TransportClosed, WebsocketsTransport, open_websocket
from scale_pilot_nb.rpc.wire_safety import check_credential_route

if TYPE_CHECKING:
    from scale_pilot_nb.rpc.auth import Credentials

__all__ = [
    "DEFAULT_TOKEN_TTL",
    "SHELL_PATH",
    "ShellChannel",
    "ShellRoute",
    "release_of",
    "shell_url",
    "token_params",
]

#: Where nginx proxies the middleware's shell application (``:6000/_shell``) on every release.
SHELL_PATH = "/websocket/shell"
#: Seconds the token may sit unused; the web UI asks for 300.
DEFAULT_TOKEN_TTL = 300
#: Largest frame accepted from the shell (the middleware sends at most 1024 bytes each).
MAX_SHELL_FRAME = 2**20


@dataclass(frozen=True)
class ShellRoute:
    """How to reach the web shell of the NAS an API client is connected to.

    Attributes:
        api_url: the API endpoint in use (``wss://nas/api/current``); the shell lives on the
            same scheme, host and port.
        verify_ssl: as for the API connection.
        ca_file: as for the API connection.
        allow_insecure: the user's consent to credentials over ``ws://`` to a remote host.
        api_key_login: the session logged in with an API key (24.10 refuses its tokens).
    """

    api_url: str
    verify_ssl: bool = True
    ca_file: str | os.PathLike[str] | None = None
    allow_insecure: bool = False
    api_key_login: bool = False

    @classmethod
    def of_session(
        cls,
        endpoint: str,
        *,
        verify_ssl: bool,
        ca_file: str | os.PathLike[str] | None = None,
        allow_insecure: bool,
        credentials: Credentials | None,
    ) -> ShellRoute:
        """The route of a client connected to ``endpoint`` with these settings and login."""
        return cls(
            endpoint,
            verify_ssl=verify_ssl,
            ca_file=ca_file,
            allow_insecure=allow_insecure,
            api_key_login=credentials is not None and credentials.api_key is not None,
        )


def shell_url(api_url: str) -> str:
    """``wss://nas:8443/api/current`` → ``wss://nas:8443/websocket/shell`` (same scheme, host)."""
    parts = urlsplit(api_url)
    return urlunsplit((parts.scheme, parts.netloc, SHELL_PATH, "", ""))


def release_of(version: str) -> str:
    """``"25.04.2.6"`` or ``"TrueNAS-SCALE-24.10.2.4"`` → ``"25.04"``; ``""`` when unknown."""
    match = re.search(r"(\d{2})\.(\d{2})", version)
    return f"{match[1]}.{match[2]}" if match else ""


def token_params(release: str, ttl: int = DEFAULT_TOKEN_TTL) -> list[object]:
    """``auth.generate_token`` arguments for a shell token on ``release``.

    24.10 takes ``(ttl, attrs, match_origin)``; 25.04+ adds ``single_use``, which the web UI
    sets (and STIG mode requires). ``attrs`` must be empty: the shell refuses tokens with
    attributes; ``match_origin`` ties the token to this machine's address.
    """
    if release and release < "25.04":
        return [ttl, {}, True]
    return [ttl, {}, True, True]


class ShellChannel:
    """One authenticated web-shell session: raw PTY bytes in and out.

    Open it with :meth:`open`; read with :meth:`receive` until it returns None (the process
    ended and the NAS closed the socket); :meth:`close` ends the session early (the NAS then
    kills the process tree).

    Attributes:
        session_id: the NAS's id of this shell (for ``core.resize_shell``).
        notices: text frames the NAS sent after connecting (the ``sudo`` warning for users
            without sudo ``ALL``, whose docker command usually fails).
    """

    def __init__(self, transport: WebsocketsTransport, session_id: str) -> None:
        self._transport = transport
        self.session_id = session_id
        self.notices: list[str] = []

    def __repr__(self) -> str:
        return f"ShellChannel(session_id={self.session_id!r})"

    @classmethod
    async def open(
        cls,
        route: ShellRoute,
        token: str,
        *,
        release: str,
        app_name: str,
        container_id: str,
        command: str,
        open_timeout: float | None = 10.0,
    ) -> ShellChannel:
        """Connect, present ``token`` and wait for ``connected``.

        Args:
            route: where the shell is and how to reach it.
            token: a fresh ``auth.generate_token`` token of the API session.
            release: the NAS release (``"24.10"`` …), for the hint of a refusal.
            app_name: the app.
            container_id: the full id of one of its running containers.
            command: one executable (the NAS passes it to ``docker exec`` as one argv element).
            open_timeout: seconds for the connection and the handshake.

        Raises:
            InsecureTransportError: ``ws://`` to a remote host without ``allow_insecure``.
            ShellRefusedError: the NAS refused the token.
            ConnectionError: unreachable, the NAS closed the socket before connecting (a
                container id it does not accept: the container stopped meanwhile), or it
                did not answer the token within ``open_timeout``.
            CallTimeoutError is not raised here: the caller bounds the whole exchange.
        """
        url = shell_url(route.api_url)
        await asyncio.to_thread(check_credential_route, url, allow_insecure=route.allow_insecure)
        tls = (
            ssl_context(verify_ssl=route.verify_ssl, ca_file=route.ca_file)
            if url.startswith("wss:")
            else None
        )
        transport = await open_websocket(
            url, ssl_context=tls, open_timeout=open_timeout, max_frame=MAX_SHELL_FRAME
        )
        try:
            first = {
                "token": token,
                "options": {"app_name": app_name, "container_id": container_id, "command": command},
            }
            await transport.send(json.dumps(first))
            session_id = await _await_connected(transport, route, release, open_timeout)
        except BaseException:
            await transport.close()
            raise
        return cls(transport, session_id)

    async def send(self, data: bytes) -> None:
        """Type ``data`` into the PTY (one binary frame).

        Raises:
            ConnectionError: the session has ended.
        """
        try:
            await self._transport.send_bytes(data)
        except TransportClosed as exc:
            raise ConnectionError(f"The shell session has ended ({exc.message})") from None

    async def receive(self) -> bytes | None:
        """The next output bytes; None once the NAS closed the session (the process ended)."""
        while True:
            try:
                frame = await self._transport.recv_frame()
            except TransportClosed:
                return None
            if isinstance(frame, bytes):
                return frame
            self.notices.append(frame)

    async def close(self) -> None:
        """End the session (idempotent; the NAS kills the process if it still runs)."""
        await self._transport.close()


async def _await_connected(
    transport: WebsocketsTransport, route: ShellRoute, release: str, limit: float | None
) -> str:
    """The session id from ``{"msg": "connected"}``; raises on ``failed``, a close, or no
    answer within ``limit`` seconds (a shell that never answers must not hang the caller)."""
    scope = asyncio.timeout(limit)
    try:
        async with scope:
            return await _read_connected(transport, route, release)
    except TimeoutError:
        if not scope.expired():
            raise
        raise ConnectionError(
            f"The NAS's web shell did not answer the token within {limit:g} s",
            hint="The NAS may be overloaded, or a proxy in between does not pass WebSocket "
            "frames to /websocket/shell: check that the web UI's Shell opens, then try again.",
        ) from None


async def _read_connected(transport: WebsocketsTransport, route: ShellRoute, release: str) -> str:
    while True:
        try:
            frame = await transport.recv_frame()
        except TransportClosed as exc:
            raise ConnectionError(
                f"The NAS closed the shell before connecting ({exc.message})",
                hint="It refuses a container that is no longer running: check the app's "
                "state and try again.",
            ) from None
        if isinstance(frame, bytes):
            continue
        try:
            message = json.loads(frame)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        if message.get("msg") == "connected":
            return str(message.get("id") or "")
        if message.get("msg") == "failed":
            raise ShellRefusedError(
                "The NAS's web shell refused this session's token",
                hint=_refusal_hint(route, release),
            )


def _refusal_hint(route: ShellRoute, release: str) -> str:
    if release == "24.10" and route.api_key_login:
        return (
            "TrueNAS 24.10 opens the shell only for sessions logged in with a username and "
            "password, not with an API key: connect with username= and password= (25.04+ "
            "accepts API keys)."
        )
    return (
        "The user's privilege needs 'web_shell' (Credentials > Users / Privileges; the "
        "read-only admin role cannot have it, STIG mode turns it off), and the shell must be "
        "opened from the same IP address the API session uses."
    )
