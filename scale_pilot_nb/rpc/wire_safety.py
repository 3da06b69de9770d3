"""The one transport-safety gate: may credentials travel to this URL?

Every path that sends an API key or a password asks this module first — settings resolution,
every connect and reconnect of :class:`~scale_pilot_nb.rpc.session.Session`, and the official
client's adapter — and the ``websockets`` wire never follows a redirect, so the URL judged is
the URL connected to. The rule is the same for both kinds of secret:

* ``wss://``: allowed (the certificate is verified unless the user turned that off);
* ``ws://``: allowed only to this machine — a loopback IP literal, or a name whose every
  resolved address is loopback. Names are judged by what they resolve to, never by how they
  are spelled: ``localhost`` and ``*.localhost`` must resolve to loopback like any other name;
* anything else only when the user passed ``allow_insecure=True``.

Why passwords too: TrueNAS 25.04+ revokes a plain API key that arrives over a non-TLS,
non-loopback connection, which at least destroys the stolen key; a password sent the same
way stays valid, so exposing it is worse, not better.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from scale_pilot_nb.errors import InsecureTransportError

__all__ = ["check_credential_route", "is_loopback_address"]


def check_credential_route(url: str, *, allow_insecure: bool) -> None:
    """Refuse to let credentials travel to ``url`` unless it is TLS or this machine.

    Resolves the host name of a ``ws://`` URL (a blocking DNS lookup; call it off the event
    loop). A name that does not resolve is refused too: it cannot be shown to be loopback.

    Args:
        url: the ``ws://``/``wss://`` URL about to receive a login frame.
        allow_insecure: the user's explicit consent to clear text (labs only).

    Raises:
        InsecureTransportError: ``ws://`` to a host that is not (entirely) loopback, and
            ``allow_insecure`` is false.
    """
    parts = urlsplit(url)
    if parts.scheme == "wss" or allow_insecure:
        return
    host = parts.hostname or ""
    try:
        addresses = _resolved_addresses(host, parts.port)
    except OSError:
        raise _refusal(
            url, f"{host} does not resolve, so it cannot be shown to be loopback"
        ) from None
    remote = sorted(address for address in addresses if not is_loopback_address(address))
    if remote == [host]:
        raise _refusal(url, f"{host} is not this machine")
    if remote:
        raise _refusal(url, f"{host} resolves to {', '.join(remote)}, not only to this machine")


def is_loopback_address(text: str) -> bool:
    """True for a loopback IP literal (``127.0.0.0/8``, ``::1``, ``::ffff:127.x``)."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone index
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _resolved_addresses(host: str, port: int | None) -> set[str]:
    """Every address ``host`` stands for (itself, for an IP literal)."""
    if is_loopback_address(host):
        return {host}
    infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    return {str(info[4][0]) for info in infos}


def _refusal(url: str, why: str) -> InsecureTransportError:
    return InsecureTransportError(
        f"Refusing to send credentials to {url} in clear text: {why}. TrueNAS 25.04+ revokes "
        "an API key that arrives that way, and a password would be readable on the network."
    )
